//===- QuantBuilders.h - integer requantization, built once -----*- C++ -*-===//
//
// The fixed-point requantization every target computes the same way, so
// that the reference, CPU, GPU and HLS outputs of an integer model agree bit
// for bit (DESIGN.md, "Semantics that every target shares"):
//
//   y = clamp(z + ((acc * multiplier + 2^(t-1)) >> t), qmin, qmax)
//
// in 64-bit integers, with t = 31 + shift (`quantizeMultiplier` picks the
// multiplier in [2^30, 2^31) and the shift), rounding half up, and a fused
// relu / clamp narrowing [qmin, qmax] in the integer domain.
//
//===----------------------------------------------------------------------===//

#ifndef EFFC_SUPPORT_QUANTBUILDERS_H
#define EFFC_SUPPORT_QUANTBUILDERS_H

#include "effc/Dialect/EffcAttrs.h"

#include "mlir/Dialect/Quant/IR/QuantTypes.h"
#include "mlir/IR/Builders.h"
#include "llvm/ADT/APFloat.h"

#include <cstdint>
#include <optional>

namespace mlir {
namespace effc {

/// The offset added to a stored requantization shift: the right shift is
/// t = kRequantShiftBase + shift.
inline constexpr int64_t kRequantShiftBase = 31;

/// The zero point and clamp bounds of a requantized result.
struct RequantRange {
  int64_t zeroPoint = 0;
  int64_t qmin = 0;
  int64_t qmax = 0;
};

/// `result`'s storage range, narrowed by a fused relu (to the zero point) or
/// clamp (`lo` / `hi` rounded to the nearest code).
RequantRange getRequantRange(quant::UniformQuantizedType result, Activation act,
                             std::optional<APFloat> lo,
                             std::optional<APFloat> hi);

/// Builds the requantization of `acc` to `storageElt` (e.g. i8). Works on
/// scalars and on vectors alike: `acc`, `multiplier` and `totalShift` (t,
/// already including kRequantShiftBase) are signless integers of the same
/// shape, sign-extended to 64 bits here when narrower. `rounding`, when
/// given, is 2^(t-1) precomputed by the caller (a kernel that keeps it per
/// channel); otherwise it is computed from `totalShift`.
Value buildRequantize(OpBuilder &b, Location loc, Value acc, Value multiplier,
                      Value totalShift, const RequantRange &range,
                      Type storageElt, Value rounding = Value());

} // namespace effc
} // namespace mlir

#endif // EFFC_SUPPORT_QUANTBUILDERS_H

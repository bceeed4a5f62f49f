//===- QuantMath.h - host-side quantization arithmetic ----------*- C++ -*-===//
//
// The arithmetic that --effc-assign-precision uses to measure the error of a
// candidate precision and that --effc-quantize uses to materialize it, so
// the error reported is the error of the weights actually stored. It follows
// DESIGN.md: symmetric weights, scale = max|w| / qmax, round half to even,
// saturate; fp8 is OCP E4M3FN (max 448, round to nearest even).
//
//===----------------------------------------------------------------------===//

#ifndef EFFC_TRANSFORMS_QUANTMATH_H
#define EFFC_TRANSFORMS_QUANTMATH_H

#include "effc/Dialect/EffcAttrs.h"
#include "effc/Support/FloatBits.h"

#include "llvm/ADT/ArrayRef.h"

#include <cstdint>
#include <vector>

namespace mlir {
namespace effc {

/// Largest magnitude of a symmetric code: 127 (i8), 7 (i4), 448 (fp8).
double precisionMax(Precision p);

/// Bits per stored weight element.
unsigned precisionBits(Precision p);

bool isIntegerPrecision(Precision p);

/// The scale block of a [N, K] weight: tensor [N, K], channel [1, K],
/// group [1, G], block [G, G].
struct ScaleBlock {
  int64_t rows, cols;
};
ScaleBlock getScaleBlock(Granularity g, int64_t groupSize, int64_t n,
                         int64_t k);

/// A [N, K] weight quantized with one scale per ScaleBlock.
struct QuantizedWeights {
  ScaleBlock block{1, 1};
  /// i8 / i4 values (i4 in [-7, 7]) or fp8 bit patterns; empty for
  /// bf16 / f16 / f32.
  std::vector<int8_t> codes;
  /// [N / rows, K / cols] row-major; empty for bf16 / f16 / f32.
  std::vector<float> scales;
  /// What the kernels compute with, [N, K].
  std::vector<double> dequantized;
};

/// Quantizes the row-major [n, k] weight `w` to precision `p` with the
/// given granularity. The block must divide the shape (checked by callers).
QuantizedWeights quantizeWeights(llvm::ArrayRef<double> w, int64_t n, int64_t k,
                                 Precision p, Granularity g, int64_t groupSize);

/// Asymmetric int8 parameters covering [lo, hi] (0 always included).
struct AffineParams {
  double scale;
  int64_t zeroPoint;
};
AffineParams int8Params(double lo, double hi);

/// Dequantized activations [rows, k] as the target computes them: static
/// int8 with `params`, or, without them, dynamic symmetric scales per
/// 1 x `tile` tile (int8 or fp8); f32 leaves them unchanged; bf16 / f16
/// round them.
std::vector<double> simulateActivations(llvm::ArrayRef<double> x, int64_t rows,
                                        int64_t k, Precision p,
                                        const AffineParams *params,
                                        int64_t tile);

/// 10 log10(signal / noise) of `approx` against `ref`; +inf when exact.
double sqnrDb(llvm::ArrayRef<double> ref, llvm::ArrayRef<double> approx);

/// Fixed-point multiplier and shift with
/// multiplier * 2^-(31 + shift) ~= real, multiplier in [2^30, 2^31).
void quantizeMultiplier(double real, int32_t &multiplier, int32_t &shift);

} // namespace effc
} // namespace mlir

#endif // EFFC_TRANSFORMS_QUANTMATH_H

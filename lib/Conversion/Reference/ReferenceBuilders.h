//===- ReferenceBuilders.h - scalar quantization builders -------*- C++ -*-===//
//
// Private to lib/Conversion/Reference: the scalar casts, saturation and
// quantization the reference lowering of effc's quantized ops and of
// quant.qcast / quant.dcast share (LowerReferenceQuant.cpp,
// LowerQuantCasts.cpp).
//
//===----------------------------------------------------------------------===//

#ifndef EFFC_LIB_CONVERSION_REFERENCE_REFERENCEBUILDERS_H
#define EFFC_LIB_CONVERSION_REFERENCE_REFERENCEBUILDERS_H

#include "mlir/IR/AffineMap.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"

#include <optional>
#include <utility>

namespace mlir {
namespace effc {
namespace reference {

/// Scalar constants.
Value f32c(OpBuilder &b, Location loc, double v);
Value i32c(OpBuilder &b, Location loc, int64_t v);
Value i64c(OpBuilder &b, Location loc, int64_t v);

/// A scalar integer or float converted to f32 (integers signed).
Value toF32(OpBuilder &b, Location loc, Value v);

/// An f32 scalar converted to the float type `t`.
Value fromF32(OpBuilder &b, Location loc, Value v, Type t);

/// A scalar integer sign-extended or truncated to i32.
Value toI32(OpBuilder &b, Location loc, Value v);

/// Saturating cast of an f32 value (already rounded for integers) to the
/// storage type `t`; integers saturate to [lo, hi] when given (a narrow
/// range such as i8<-127:127>), else to the type's range; fp8 clamps to its
/// largest finite value.
Value saturate(OpBuilder &b, Location loc, Value v, Type t,
               std::optional<std::pair<int64_t, int64_t>> range = {});

/// q = saturate(round_half_even(x / s) + z) (z may be null).
Value quantizeScalar(OpBuilder &b, Location loc, Value x, Value s, Value z,
                     Type storage,
                     std::optional<std::pair<int64_t, int64_t>> range = {});

/// The largest symmetric code of a storage type: 2^(w-1) - 1, or the
/// largest finite float.
double storageMax(Type t);

/// Map reading a blocked scale tensor from data coordinates.
AffineMap blockMap(MLIRContext *ctx, ArrayRef<int64_t> block,
                   ArrayRef<int64_t> shape);

/// A quantized tensor's storage integers (quant.scast).
Value storageOf(OpBuilder &b, Location loc, Value v);

/// A parallel linalg.generic writing a fresh `outTy` whose body yields
/// `fn(args)`; `inMaps` index the inputs, the output is the identity.
Value elementwise(OpBuilder &b, Location loc, RankedTensorType outTy,
                  ValueRange ins, ArrayRef<AffineMap> inMaps,
                  function_ref<Value(OpBuilder &, Location, ValueRange)> fn);

} // namespace reference
} // namespace effc
} // namespace mlir

#endif // EFFC_LIB_CONVERSION_REFERENCE_REFERENCEBUILDERS_H

//===- ReferenceBuilders.cpp - scalar quantization builders ---------------===//

#include "ReferenceBuilders.h"

#include "effc/Support/LinalgBuilders.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Quant/IR/Quant.h"
#include "mlir/Dialect/Quant/IR/QuantTypes.h"

#include <cmath>

using namespace mlir;
using namespace mlir::effc;
using namespace mlir::effc::reference;
using utils::IteratorType;

Value mlir::effc::reference::f32c(OpBuilder &b, Location loc, double v) {
  return arith::ConstantOp::create(b, loc, b.getF32Type(),
                                   b.getF32FloatAttr(v));
}
Value mlir::effc::reference::i32c(OpBuilder &b, Location loc, int64_t v) {
  return arith::ConstantOp::create(b, loc, b.getI32Type(),
                                   b.getI32IntegerAttr(v));
}
Value mlir::effc::reference::i64c(OpBuilder &b, Location loc, int64_t v) {
  return arith::ConstantOp::create(b, loc, b.getI64Type(),
                                   b.getI64IntegerAttr(v));
}

Value mlir::effc::reference::toF32(OpBuilder &b, Location loc, Value v) {
  Type t = v.getType();
  if (t.isF32())
    return v;
  if (isa<IntegerType>(t))
    return arith::SIToFPOp::create(b, loc, b.getF32Type(), v);
  if (t.getIntOrFloatBitWidth() < 32)
    return arith::ExtFOp::create(b, loc, b.getF32Type(), v);
  return arith::TruncFOp::create(b, loc, b.getF32Type(), v);
}

Value mlir::effc::reference::fromF32(OpBuilder &b, Location loc, Value v,
                                     Type t) {
  if (t.isF32())
    return v;
  if (t.getIntOrFloatBitWidth() < 32)
    return arith::TruncFOp::create(b, loc, t, v);
  return arith::ExtFOp::create(b, loc, t, v);
}

Value mlir::effc::reference::toI32(OpBuilder &b, Location loc, Value v) {
  auto it = cast<IntegerType>(v.getType());
  if (it.getWidth() == 32)
    return v;
  if (it.getWidth() < 32)
    return arith::ExtSIOp::create(b, loc, b.getI32Type(), v);
  return arith::TruncIOp::create(b, loc, b.getI32Type(), v);
}

/// Saturating cast of an f32 value (already rounded for integers) to the
/// storage type `t`; integers saturate to [lo, hi] when given (a narrow
/// range such as i8<-127:127>), else to the type's range.
Value mlir::effc::reference::saturate(
    OpBuilder &b, Location loc, Value v, Type t,
    std::optional<std::pair<int64_t, int64_t>> range) {
  if (auto it = dyn_cast<IntegerType>(t)) {
    unsigned w = it.getWidth();
    double lo = it.isUnsigned() ? 0 : -std::ldexp(1.0, w - 1);
    double hi =
        it.isUnsigned() ? std::ldexp(1.0, w) - 1 : std::ldexp(1.0, w - 1) - 1;
    if (range) {
      lo = double(range->first);
      hi = double(range->second);
    }
    v = arith::MaximumFOp::create(b, loc, v, f32c(b, loc, lo));
    v = arith::MinimumFOp::create(b, loc, v, f32c(b, loc, hi));
    if (it.isUnsigned())
      return arith::FPToUIOp::create(b, loc, t, v);
    return arith::FPToSIOp::create(b, loc, t, v);
  }
  // fp8: clamp to the largest finite value, then round to nearest even.
  double maxv = APFloat::getLargest(cast<FloatType>(t).getFloatSemantics())
                    .convertToDouble();
  v = arith::MaximumFOp::create(b, loc, v, f32c(b, loc, -maxv));
  v = arith::MinimumFOp::create(b, loc, v, f32c(b, loc, maxv));
  return arith::TruncFOp::create(b, loc, t, v);
}

double mlir::effc::reference::storageMax(Type t) {
  if (auto it = dyn_cast<IntegerType>(t))
    return std::ldexp(1.0, it.getWidth() - 1) - 1;
  return APFloat::getLargest(cast<FloatType>(t).getFloatSemantics())
      .convertToDouble();
}

/// Map reading a blocked scale tensor from data coordinates.
AffineMap mlir::effc::reference::blockMap(MLIRContext *ctx,
                                          ArrayRef<int64_t> block,
                                          ArrayRef<int64_t> shape) {
  SmallVector<AffineExpr> r;
  for (size_t i = 0; i < block.size(); ++i)
    r.push_back(block[i] == shape[i]
                    ? getAffineConstantExpr(0, ctx)
                    : getAffineDimExpr(i, ctx).floorDiv(block[i]));
  return AffineMap::get(block.size(), 0, r, ctx);
}

Value mlir::effc::reference::elementwise(
    OpBuilder &b, Location loc, RankedTensorType outTy, ValueRange ins,
    ArrayRef<AffineMap> inMaps,
    function_ref<Value(OpBuilder &, Location, ValueRange)> fn) {
  SmallVector<AffineMap> maps(inMaps);
  maps.push_back(
      AffineMap::getMultiDimIdentityMap(outTy.getRank(), b.getContext()));
  SmallVector<IteratorType> iters(outTy.getRank(), IteratorType::parallel);
  // Dynamic (batch / sequence) dims of the result are those of the first
  // input, which every caller reads with an identity map.
  Value init = outTy.hasStaticShape()
                   ? buildEmpty(b, loc, outTy)
                   : buildEmpty(b, loc, outTy,
                                buildDynamicDims(b, loc, outTy, ins.front()));
  return linalg::GenericOp::create(
             b, loc, outTy, ins, ValueRange{init}, maps, iters,
             [&](OpBuilder &nb, Location nl, ValueRange args) {
               linalg::YieldOp::create(nb, nl, fn(nb, nl, args));
             })
      .getResult(0);
}

/// q = saturate(round_half_even(x / s) + z).
Value mlir::effc::reference::quantizeScalar(
    OpBuilder &b, Location loc, Value x, Value s, Value z, Type storage,
    std::optional<std::pair<int64_t, int64_t>> range) {
  Value q = arith::DivFOp::create(b, loc, toF32(b, loc, x), toF32(b, loc, s));
  if (isa<IntegerType>(storage)) {
    q = math::RoundEvenOp::create(b, loc, q);
    if (z)
      q = arith::AddFOp::create(b, loc, q, toF32(b, loc, z));
  }
  return saturate(b, loc, q, storage, range);
}

Value mlir::effc::reference::storageOf(OpBuilder &b, Location loc, Value v) {
  auto ty = cast<RankedTensorType>(v.getType());
  auto qt = cast<quant::QuantizedType>(ty.getElementType());
  return quant::StorageCastOp::create(
      b, loc, RankedTensorType::get(ty.getShape(), qt.getStorageType()), v);
}

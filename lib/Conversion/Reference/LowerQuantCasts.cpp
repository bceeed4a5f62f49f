//===- LowerQuantCasts.cpp - quant.qcast / quant.dcast to linalg -*- C++
//-*-===//
//
// quant.qcast (`saturate(round_half_even(x / s) + z)`) and quant.dcast
// (`(q - z) * s`) of per-tensor and per-axis types, computed exactly as the
// reference lowering of effc's quantize ops (--effc-lower-quant-casts).
//
//===----------------------------------------------------------------------===//

#include "ReferenceBuilders.h"

#include "effc/Conversion/Reference/Passes.h"
#include "effc/Dialect/EffcOps.h"
#include "effc/Support/LinalgBuilders.h"
#include "effc/Support/QuantBuilders.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Quant/IR/Quant.h"
#include "mlir/Dialect/Quant/IR/QuantTypes.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Transforms/DialectConversion.h"

#include <cmath>
#include <optional>
#include <type_traits>
#include <utility>

using namespace mlir;
using namespace mlir::effc;
using namespace mlir::effc::reference;

namespace {

using utils::IteratorType;

//===----------------------------------------------------------------------===//
// quant.qcast / quant.dcast with per-tensor or per-axis types
//===----------------------------------------------------------------------===//

/// Scale and zero-point constants of `qt` as [C] tensors read through the
/// map of the quantized dimension (a single element for per-tensor).
struct AffineOperands {
  Value scale, zero;
  AffineMap map;
};

FailureOr<AffineOperands> affineOperands(OpBuilder &b, Location loc,
                                         quant::QuantizedType qt,
                                         int64_t rank) {
  MLIRContext *ctx = b.getContext();
  SmallVector<float> scales;
  SmallVector<int32_t> zeros;
  AffineExpr e = getAffineConstantExpr(0, ctx);
  if (auto u = dyn_cast<quant::UniformQuantizedType>(qt)) {
    scales.push_back(float(u.getScale()));
    zeros.push_back(int32_t(u.getZeroPoint()));
  } else if (auto pa = dyn_cast<quant::UniformQuantizedPerAxisType>(qt)) {
    for (double s : pa.getScales())
      scales.push_back(float(s));
    for (int64_t z : pa.getZeroPoints())
      zeros.push_back(int32_t(z));
    e = getAffineDimExpr(pa.getQuantizedDimension(), ctx);
  } else {
    return failure();
  }
  int64_t c = scales.size();
  auto sTy = RankedTensorType::get({c}, b.getF32Type());
  auto zTy = RankedTensorType::get({c}, b.getI32Type());
  AffineOperands ops;
  ops.scale = arith::ConstantOp::create(
      b, loc, sTy, DenseElementsAttr::get(sTy, ArrayRef<float>(scales)));
  ops.zero = arith::ConstantOp::create(
      b, loc, zTy, DenseElementsAttr::get(zTy, ArrayRef<int32_t>(zeros)));
  ops.map = AffineMap::get(rank, 0, e, ctx);
  return ops;
}

/// quant.qcast: q = saturate(round_half_even(x / s) + z) in the storage
/// type; quant.dcast: x = (q - z) * s. One generic over the tensor with the
/// scale and zero point read through the quantized dimension.
template <typename OpTy> struct LowerQuantCast : OpConversionPattern<OpTy> {
  using OpConversionPattern<OpTy>::OpConversionPattern;
  static constexpr bool isQuantize =
      std::is_same_v<OpTy, quant::QuantizeCastOp>;

  LogicalResult
  matchAndRewrite(OpTy op, typename OpTy::Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto inTy = dyn_cast<RankedTensorType>(op.getInput().getType());
    auto outTy = dyn_cast<RankedTensorType>(op.getType());
    if (!inTy || !outTy)
      return rewriter.notifyMatchFailure(op, "needs a ranked tensor");
    auto qt = cast<quant::QuantizedType>(
        (isQuantize ? outTy : inTy).getElementType());
    // Dynamic (batch, sequence) dims are fine; per-axis scales need their
    // channel dim static.
    if (auto pa = dyn_cast<quant::UniformQuantizedPerAxisType>(qt);
        pa && inTy.isDynamicDim(pa.getQuantizedDimension()))
      return op.emitError("per-axis scales along a dynamic dim");
    Location loc = op.getLoc();
    int64_t r = inTy.getRank();
    FailureOr<AffineOperands> a = affineOperands(rewriter, loc, qt, r);
    if (failed(a))
      return op.emitError("only per-tensor and per-axis quantized types are "
                          "supported by effc lowerings");
    AffineMap id = AffineMap::getMultiDimIdentityMap(r, op.getContext());
    Type storage = qt.getStorageType();
    Value in = isQuantize ? adaptor.getInput()
                          : storageOf(rewriter, loc, adaptor.getInput());
    auto resTy =
        isQuantize ? RankedTensorType::get(outTy.getShape(), storage) : outTy;
    Value res = elementwise(
        rewriter, loc, resTy, ValueRange{in, a->scale, a->zero},
        {id, a->map, a->map}, [&](OpBuilder &b, Location l, ValueRange v) {
          if (!isQuantize) {
            Value q = arith::SubIOp::create(b, l, toI32(b, l, v[0]), v[2]);
            Value f = arith::SIToFPOp::create(b, l, b.getF32Type(), q);
            return fromF32(b, l, arith::MulFOp::create(b, l, f, v[1]),
                           outTy.getElementType());
          }
          // Saturate to the type's storage range (e.g. [-127, 127]).
          return quantizeScalar(
              b, l, v[0], v[1], v[2], storage,
              std::make_pair(qt.getStorageTypeMin(), qt.getStorageTypeMax()));
        });
    if (isQuantize)
      res = quant::StorageCastOp::create(rewriter, loc, outTy, res);
    rewriter.replaceOp(op, res);
    return success();
  }
};
using LowerQuantizeCast = LowerQuantCast<quant::QuantizeCastOp>;
using LowerDequantizeCast = LowerQuantCast<quant::DequantizeCastOp>;

} // namespace

namespace mlir {
namespace effc {
#define GEN_PASS_DEF_LOWERQUANTCASTSPASS
#include "effc/Conversion/Reference/Passes.h.inc"
} // namespace effc
} // namespace mlir

LogicalResult mlir::effc::lowerQuantCasts(Operation *root) {
  // qcast first, then dcast: the conversion driver folds an illegal op
  // before trying patterns, and upstream folds dcast(qcast(x)) to x, which
  // would drop the rounding.
  MLIRContext *ctx = root->getContext();
  {
    ConversionTarget target(*ctx);
    target.addIllegalOp<quant::QuantizeCastOp>();
    target.markUnknownOpDynamicallyLegal([](Operation *) { return true; });
    RewritePatternSet patterns(ctx);
    patterns.add<LowerQuantizeCast>(ctx);
    if (failed(applyPartialConversion(root, target, std::move(patterns))))
      return failure();
  }
  ConversionTarget target(*ctx);
  target.addIllegalOp<quant::DequantizeCastOp>();
  target.markUnknownOpDynamicallyLegal([](Operation *) { return true; });
  RewritePatternSet patterns(ctx);
  patterns.add<LowerDequantizeCast>(ctx);
  return applyPartialConversion(root, target, std::move(patterns));
}

namespace {
struct LowerQuantCastsPass
    : effc::impl::LowerQuantCastsPassBase<LowerQuantCastsPass> {
  void runOnOperation() override {
    if (failed(lowerQuantCasts(getOperation())))
      signalPassFailure();
  }
};
} // namespace

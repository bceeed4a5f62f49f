//===- LowerReferenceQuant.cpp - quantized effc ops to linalg ---*- C++ -*-===//
//
// Reference semantics of effc's quantization ops. Integer arithmetic is
// exact (int32 accumulation, int64 requantization) so that every optimized
// backend must agree with it bit for bit.
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

struct LowerQuantize : OpConversionPattern<QuantizeOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(QuantizeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto inTy = op.getInput().getType();
    auto outTy = op.getType();
    MLIRContext *ctx = getContext();
    AffineMap sm = blockMap(ctx, op.getBlock(), inTy.getShape());
    SmallVector<Value> ins = {adaptor.getInput(), adaptor.getScale()};
    SmallVector<AffineMap> maps = {
        AffineMap::getMultiDimIdentityMap(inTy.getRank(), ctx), sm};
    if (adaptor.getZeroPoint()) {
      ins.push_back(adaptor.getZeroPoint());
      maps.push_back(sm);
    }
    Type storage = outTy.getElementType();
    rewriter.replaceOp(
        op, elementwise(rewriter, op.getLoc(), outTy, ins, maps,
                        [&](OpBuilder &b, Location l, ValueRange a) {
                          return quantizeScalar(b, l, a[0], a[1],
                                                a.size() > 3 ? a[2] : Value(),
                                                storage);
                        }));
    return success();
  }
};

struct LowerDequantize : OpConversionPattern<DequantizeOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(DequantizeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto inTy = op.getInput().getType();
    auto outTy = op.getType();
    MLIRContext *ctx = getContext();
    AffineMap sm = blockMap(ctx, op.getBlock(), inTy.getShape());
    SmallVector<Value> ins = {adaptor.getInput(), adaptor.getScale()};
    SmallVector<AffineMap> maps = {
        AffineMap::getMultiDimIdentityMap(inTy.getRank(), ctx), sm};
    bool hasZp = (bool)adaptor.getZeroPoint();
    if (hasZp) {
      ins.push_back(adaptor.getZeroPoint());
      maps.push_back(sm);
    }
    Type outElt = outTy.getElementType();
    rewriter.replaceOp(
        op, elementwise(rewriter, op.getLoc(), outTy, ins, maps,
                        [&](OpBuilder &b, Location l, ValueRange a) {
                          Value q = toF32(b, l, a[0]);
                          if (hasZp)
                            q = arith::SubFOp::create(b, l, q,
                                                      toF32(b, l, a[2]));
                          Value x =
                              arith::MulFOp::create(b, l, q, toF32(b, l, a[1]));
                          return fromF32(b, l, x, outElt);
                        }));
    return success();
  }
};

struct LowerDynamicQuantize : OpConversionPattern<DynamicQuantizeOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(DynamicQuantizeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto inTy = op.getInput().getType();
    Location loc = op.getLoc();
    MLIRContext *ctx = getContext();
    int64_t r = inTy.getRank();
    ArrayRef<int64_t> block = op.getBlock();
    // Dynamic (batch, sequence) dims take blocks of one row (per-token
    // scales, DeepSeek-V3's 1 x 128 activation tiles): LowerReferencePass
    // reports other blocks along them.
    for (int64_t i = 0; i < r; ++i)
      if (inTy.isDynamicDim(i) && block[i] != 1)
        return failure();
    // [d0, d1, ...] -> [ceil(d0 / b0), b0, ...], reduce the odd dims. A
    // partial last block is padded with zeros, which leave max|x| alone.
    SmallVector<int64_t> split, padded;
    SmallVector<OpFoldResult> splitSizes;
    SmallVector<ReassociationIndices> reassoc;
    for (int64_t i = 0; i < r; ++i) {
      if (inTy.isDynamicDim(i)) {
        padded.push_back(ShapedType::kDynamic);
        split.append({ShapedType::kDynamic, 1});
        splitSizes.push_back(
            tensor::getMixedSize(rewriter, loc, adaptor.getInput(), i));
        splitSizes.push_back(rewriter.getIndexAttr(1));
      } else {
        int64_t blocks = llvm::divideCeil(inTy.getDimSize(i), block[i]);
        padded.push_back(blocks * block[i]);
        split.push_back(blocks);
        split.push_back(block[i]);
        splitSizes.push_back(rewriter.getIndexAttr(blocks));
        splitSizes.push_back(rewriter.getIndexAttr(block[i]));
      }
      reassoc.push_back({2 * i, 2 * i + 1});
    }
    Value x = tensor::ExpandShapeOp::create(
        rewriter, loc, RankedTensorType::get(split, inTy.getElementType()),
        buildZeroPadHigh(rewriter, loc, adaptor.getInput(), padded), reassoc,
        splitSizes);
    auto scaleTy = op.getScale().getType();
    SmallVector<AffineExpr> outExprs;
    SmallVector<IteratorType> iters;
    for (int64_t i = 0; i < 2 * r; ++i) {
      iters.push_back(i % 2 ? IteratorType::reduction : IteratorType::parallel);
      if (i % 2 == 0)
        outExprs.push_back(getAffineDimExpr(i, ctx));
    }
    auto absTy =
        RankedTensorType::get(scaleTy.getShape(), rewriter.getF32Type());
    SmallVector<OpFoldResult> absSizes;
    for (int64_t i = 0; i < r; ++i)
      absSizes.push_back(splitSizes[2 * i]);
    Value absInit = linalg::FillOp::create(
                        rewriter, loc, ValueRange{f32c(rewriter, loc, 0.0)},
                        ValueRange{tensor::EmptyOp::create(
                            rewriter, loc, absSizes, rewriter.getF32Type())})
                        .getResult(0);
    Value absmax =
        linalg::GenericOp::create(
            rewriter, loc, absTy, ValueRange{x}, ValueRange{absInit},
            {AffineMap::getMultiDimIdentityMap(2 * r, ctx),
             AffineMap::get(2 * r, 0, outExprs, ctx)},
            iters,
            [&](OpBuilder &b, Location l, ValueRange a) {
              Value v = math::AbsFOp::create(b, l, toF32(b, l, a[0]));
              linalg::YieldOp::create(
                  b, l, arith::MaximumFOp::create(b, l, v, a[1]).getResult());
            })
            .getResult(0);
    Type storage = op.getOutput().getType().getElementType();
    double qmax = storageMax(storage);
    Type scaleElt = scaleTy.getElementType();
    AffineMap id = AffineMap::getMultiDimIdentityMap(r, ctx);
    Value scale = elementwise(
        rewriter, loc, scaleTy, ValueRange{absmax}, {id},
        [&](OpBuilder &b, Location l, ValueRange a) {
          // An all-zero block gets scale 1 (any scale represents it).
          Value s = arith::DivFOp::create(b, l, a[0], f32c(b, l, qmax));
          Value isZero = arith::CmpFOp::create(b, l, arith::CmpFPredicate::OEQ,
                                               a[0], f32c(b, l, 0.0));
          s = arith::SelectOp::create(b, l, isZero, f32c(b, l, 1.0), s);
          return fromF32(b, l, s, scaleElt);
        });
    Value q =
        elementwise(rewriter, loc, op.getOutput().getType(),
                    ValueRange{adaptor.getInput(), scale},
                    {id, blockMap(ctx, block, inTy.getShape())},
                    [&](OpBuilder &b, Location l, ValueRange a) {
                      return quantizeScalar(b, l, a[0], a[1], Value(), storage);
                    });
    rewriter.replaceOp(op, {q, scale});
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Quantized linear and conv
//===----------------------------------------------------------------------===//

/// Scales of a quantized weight as an f32 tensor [C, G] (C output channels,
/// G groups along the reduction), and the group size along K (K when not
/// grouped).
std::pair<Value, int64_t> weightScales(OpBuilder &b, Location loc,
                                       quant::QuantizedType qt, int64_t c,
                                       int64_t k) {
  SmallVector<float> data;
  int64_t groups = 1;
  if (auto u = dyn_cast<quant::UniformQuantizedType>(qt)) {
    data.assign(c, (float)u.getScale());
  } else if (auto pa = dyn_cast<quant::UniformQuantizedPerAxisType>(qt)) {
    for (double s : pa.getScales())
      data.push_back((float)s);
  } else {
    auto sc = cast<quant::UniformQuantizedSubChannelType>(qt);
    DenseElementsAttr scales = sc.getScales();
    auto sTy = cast<ShapedType>(scales.getType());
    groups = sTy.getShape().back();
    int64_t rows = sTy.getShape().front();
    for (APFloat v : scales.getValues<APFloat>())
      data.push_back((float)v.convertToDouble());
    if (rows == 1 && c > 1) { // scales shared by all channels
      SmallVector<float> rep;
      for (int64_t i = 0; i < c; ++i)
        rep.append(data.begin(), data.end());
      data = rep;
    }
  }
  auto ty = RankedTensorType::get({c, groups}, b.getF32Type());
  Value t = arith::ConstantOp::create(
      b, loc, ty, DenseElementsAttr::get(ty, ArrayRef<float>(data)));
  return {t, k / groups};
}

/// Turns int32 accumulators `acc` [..., C] (C = channel dim, last) into the
/// op's result: i32 (+relu), float (dequantized, activation) or requantized.
Value finishQuantized(OpBuilder &b, Location loc, Operation *op, Value acc,
                      Value scales, double inScale, RankedTensorType outTy,
                      Activation act, std::optional<APFloat> lo,
                      std::optional<APFloat> hi,
                      std::optional<ArrayRef<int32_t>> multiplier,
                      std::optional<ArrayRef<int32_t>> shift) {
  MLIRContext *ctx = b.getContext();
  int64_t r = outTy.getRank();
  AffineMap id = AffineMap::getMultiDimIdentityMap(r, ctx);
  AffineExpr ch = getAffineDimExpr(r - 1, ctx);
  Type outElt = outTy.getElementType();
  if (outElt.isInteger(32)) {
    return elementwise(b, loc, outTy, ValueRange{acc}, {id},
                       [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
                         if (act == Activation::relu)
                           return arith::MaxSIOp::create(nb, l, a[0],
                                                         i32c(nb, l, 0));
                         return a[0];
                       });
  }
  if (isa<FloatType>(outElt)) {
    AffineMap sm =
        AffineMap::get(r, 0, {ch, getAffineConstantExpr(0, ctx)}, ctx);
    return elementwise(
        b, loc, outTy, ValueRange{acc, scales}, {id, sm},
        [&](OpBuilder &nb, Location l, ValueRange a) {
          Value v = arith::SIToFPOp::create(nb, l, nb.getF32Type(), a[0]);
          v = arith::MulFOp::create(
              nb, l, v,
              arith::MulFOp::create(nb, l, a[1], f32c(nb, l, inScale)));
          v = buildActivation(nb, l, v, act, lo, hi);
          return fromF32(nb, l, v, outElt);
        });
  }
  // Requantized: y = clamp(zy + rounding_shift(acc * mult, 31 + shift)).
  auto qt = cast<quant::UniformQuantizedType>(outElt);
  int64_t c = outTy.getDimSize(r - 1);
  auto perChannel = [&](ArrayRef<int32_t> v) {
    SmallVector<int64_t> out;
    for (int64_t i = 0; i < c; ++i)
      out.push_back(v.size() == 1 ? v[0] : v[i]);
    auto ty = RankedTensorType::get({c}, b.getI64Type());
    return arith::ConstantOp::create(
               b, loc, ty, DenseElementsAttr::get(ty, ArrayRef<int64_t>(out)))
        .getResult();
  };
  Value mult = perChannel(*multiplier), sh = perChannel(*shift);
  RequantRange range = getRequantRange(qt, act, lo, hi);
  auto storageTy = RankedTensorType::get(outTy.getShape(), qt.getStorageType());
  AffineMap cm = AffineMap::get(r, 0, ch);
  Value q =
      elementwise(b, loc, storageTy, ValueRange{acc, mult, sh}, {id, cm, cm},
                  [&](OpBuilder &nb, Location l, ValueRange a) {
                    Value total = arith::AddIOp::create(
                        nb, l, a[2], i64c(nb, l, kRequantShiftBase));
                    return buildRequantize(nb, l, a[0], a[1], total, range,
                                           qt.getStorageType());
                  });
  return quant::StorageCastOp::create(b, loc, outTy, q);
}

/// Per-block dot products partial[m, n, b] = sum_j acc(x[m, b, j], w[n, b, j])
/// of x [M, K] and w [N, K] with K split into `blocks` x `bs` (an
/// expand_shape, so every indexing map is a projection); `product` maps a
/// pair of elements to the accumulator type, summed with addi / addf.
Value blockedDot(
    OpBuilder &b, Location loc, Value x, Value w, int64_t m, int64_t n,
    int64_t blocks, int64_t bs, Type accElt,
    function_ref<Value(OpBuilder &, Location, Value, Value)> product) {
  MLIRContext *ctx = b.getContext();
  // x's rows may be a runtime size (a dynamic batch or sequence).
  auto expand = [&](Value v, int64_t rows) {
    Type elt = cast<RankedTensorType>(v.getType()).getElementType();
    SmallVector<OpFoldResult> shape = {tensor::getMixedSize(b, loc, v, 0),
                                       b.getIndexAttr(blocks),
                                       b.getIndexAttr(bs)};
    return tensor::ExpandShapeOp::create(
        b, loc, RankedTensorType::get({rows, blocks, bs}, elt), v,
        ArrayRef<ReassociationIndices>{{0}, {1, 2}}, shape);
  };
  AffineExpr dm, dn, dg, dj;
  bindDims(ctx, dm, dn, dg, dj);
  auto accTy = RankedTensorType::get({m, n, blocks}, accElt);
  SmallVector<Value> dynRows;
  if (ShapedType::isDynamic(m))
    dynRows.push_back(tensor::DimOp::create(b, loc, x, 0));
  Value zero = buildFilled(b, loc, accTy, dynRows, 0.0);
  return linalg::GenericOp::create(
             b, loc, accTy, ValueRange{expand(x, m), expand(w, n)},
             ValueRange{zero},
             {AffineMap::get(4, 0, {dm, dg, dj}, ctx),
              AffineMap::get(4, 0, {dn, dg, dj}, ctx),
              AffineMap::get(4, 0, {dm, dn, dg}, ctx)},
             {IteratorType::parallel, IteratorType::parallel,
              IteratorType::parallel, IteratorType::reduction},
             [&](OpBuilder &nb, Location l, ValueRange a) {
               Value p = product(nb, l, a[0], a[1]);
               p = isa<IntegerType>(accElt)
                       ? arith::AddIOp::create(nb, l, a[2], p).getResult()
                       : arith::AddFOp::create(nb, l, a[2], p).getResult();
               linalg::YieldOp::create(nb, l, p);
             })
      .getResult(0);
}

struct LowerQuantizedLinear : OpConversionPattern<QuantizedLinearOp> {
  using OpConversionPattern::OpConversionPattern;

  /// Weight-only: dequantize the weight ([N, G, K/G] so the scale map is a
  /// projection) into the input's float type and hand the product to
  /// effc.linear, which the same conversion lowers next.
  LogicalResult lowerWeightOnly(QuantizedLinearOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const {
    Location loc = op.getLoc();
    MLIRContext *ctx = getContext();
    auto wTy = op.getWeight().getType();
    Type fTy = op.getInput().getType().getElementType();
    auto wq = cast<quant::QuantizedType>(wTy.getElementType());
    int64_t n = wTy.getDimSize(0), k = wTy.getDimSize(1);
    auto [scales, groupSize] = weightScales(rewriter, loc, wq, n, k);
    int64_t groups = k / groupSize;
    Value w = storageOf(rewriter, loc, adaptor.getWeight());
    w = tensor::ExpandShapeOp::create(
        rewriter, loc,
        RankedTensorType::get({n, groups, groupSize}, wq.getStorageType()), w,
        ArrayRef<ReassociationIndices>{{0}, {1, 2}});
    AffineExpr dn, dg, dj;
    bindDims(ctx, dn, dg, dj);
    Value deq = elementwise(
        rewriter, loc, RankedTensorType::get({n, groups, groupSize}, fTy),
        ValueRange{w, scales},
        {AffineMap::getMultiDimIdentityMap(3, ctx),
         AffineMap::get(3, 0, {dn, dg}, ctx)},
        [&](OpBuilder &b, Location l, ValueRange a) {
          Value v = arith::SIToFPOp::create(b, l, b.getF32Type(), a[0]);
          return fromF32(b, l, arith::MulFOp::create(b, l, v, a[1]), fTy);
        });
    deq = tensor::CollapseShapeOp::create(
        rewriter, loc, RankedTensorType::get({n, k}, fTy), deq,
        ArrayRef<ReassociationIndices>{{0}, {1, 2}});
    auto lin = LinearOp::create(rewriter, loc, op.getType(), adaptor.getInput(),
                                deq, adaptor.getBias(), op.getActivationAttr(),
                                op.getClampMinAttr(), op.getClampMaxAttr());
    rewriter.replaceOp(op, lin.getResult());
    return success();
  }

  LogicalResult
  matchAndRewrite(QuantizedLinearOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto inTy = op.getInput().getType();
    auto wTy = op.getWeight().getType();
    auto outTy = op.getType();
    // Weight-only: the float input keeps its dynamic leading dims through
    // the effc.linear it becomes.
    if (isa<FloatType>(inTy.getElementType()) && wTy.hasStaticShape())
      return lowerWeightOnly(op, adaptor, rewriter);
    // The input's leading dims (rows) may be runtime sizes.
    if (!wTy.hasStaticShape())
      return op.emitError("a quantized weight with a dynamic shape");
    Location loc = op.getLoc();
    MLIRContext *ctx = getContext();
    auto xq = cast<quant::UniformQuantizedType>(inTy.getElementType());
    auto wq = cast<quant::QuantizedType>(wTy.getElementType());
    int64_t n = wTy.getDimSize(0), k = wTy.getDimSize(1);
    int64_t m = getRowCount(inTy);
    auto [scales, groupSize] = weightScales(rewriter, loc, wq, n, k);
    int64_t groups = k / groupSize;
    Value xStorage = storageOf(rewriter, loc, adaptor.getInput());
    Value x = buildCollapseToRows(rewriter, loc, xStorage);
    SmallVector<Value> dynRows;
    if (ShapedType::isDynamic(m))
      dynRows.push_back(tensor::DimOp::create(rewriter, loc, x, 0));
    Value w = storageOf(rewriter, loc, adaptor.getWeight());
    // Integer partial sums per group: acc[m, n, g] over k in group g.
    int64_t zx = xq.getZeroPoint();
    Value partial = blockedDot(
        rewriter, loc, x, w, m, n, groups, groupSize, rewriter.getI32Type(),
        [&](OpBuilder &b, Location l, Value xe, Value we) -> Value {
          Value xv =
              arith::SubIOp::create(b, l, toI32(b, l, xe), i32c(b, l, zx));
          return arith::MulIOp::create(b, l, xv, toI32(b, l, we));
        });
    AffineExpr dm, dn, dg;
    bindDims(ctx, dm, dn, dg);
    auto out2Ty = RankedTensorType::get({m, n}, outTy.getElementType());
    Value result;
    if (groups > 1) {
      // Grouped scales: the float result sums scaled group partials.
      auto fTy = RankedTensorType::get({m, n}, rewriter.getF32Type());
      Value sum =
          linalg::GenericOp::create(
              rewriter, loc, fTy, ValueRange{partial, scales},
              ValueRange{buildFilled(rewriter, loc, fTy, dynRows, 0.0)},
              {AffineMap::get(3, 0, {dm, dn, dg}, ctx),
               AffineMap::get(3, 0, {dn, dg}, ctx),
               AffineMap::get(3, 0, {dm, dn}, ctx)},
              {IteratorType::parallel, IteratorType::parallel,
               IteratorType::reduction},
              [&](OpBuilder &b, Location l, ValueRange a) {
                Value v = arith::SIToFPOp::create(b, l, b.getF32Type(), a[0]);
                v = arith::MulFOp::create(b, l, v, a[1]);
                linalg::YieldOp::create(
                    b, l, arith::AddFOp::create(b, l, a[2], v).getResult());
              })
              .getResult(0);
      Type outElt = outTy.getElementType();
      result =
          elementwise(rewriter, loc, out2Ty, ValueRange{sum},
                      {AffineMap::getMultiDimIdentityMap(2, ctx)},
                      [&](OpBuilder &b, Location l, ValueRange a) {
                        Value v = arith::MulFOp::create(
                            b, l, a[0], f32c(b, l, xq.getScale()));
                        v = buildActivation(b, l, v, op.getActivation(),
                                            op.getClampMin(), op.getClampMax());
                        return fromF32(b, l, v, outElt);
                      });
    } else {
      auto acc2Ty = RankedTensorType::get({m, n}, rewriter.getI32Type());
      Value acc = tensor::CollapseShapeOp::create(
          rewriter, loc, acc2Ty, partial,
          ArrayRef<ReassociationIndices>{{0}, {1, 2}});
      if (Value bias = adaptor.getBias())
        acc = elementwise(
            rewriter, loc, acc2Ty, ValueRange{acc, bias},
            {AffineMap::getMultiDimIdentityMap(2, ctx),
             AffineMap::get(2, 0, getAffineDimExpr(1, ctx))},
            [&](OpBuilder &b, Location l, ValueRange a) {
              return arith::AddIOp::create(b, l, a[0], a[1]).getResult();
            });
      result =
          finishQuantized(rewriter, loc, op, acc, scales, xq.getScale(), out2Ty,
                          op.getActivation(), op.getClampMin(),
                          op.getClampMax(), op.getMultiplier(), op.getShift());
    }
    rewriter.replaceOp(op,
                       buildExpandRows(rewriter, loc, result, outTy, xStorage));
    return success();
  }
};

struct LowerQuantizedConv2D : OpConversionPattern<QuantizedConv2DOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(QuantizedConv2DOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto inTy = op.getInput().getType();
    auto wTy = op.getWeight().getType();
    auto outTy = op.getType();
    if (!inTy.hasStaticShape() || !wTy.hasStaticShape())
      return op.emitError(
          "dynamic shapes are not supported by effc lowerings yet");
    Location loc = op.getLoc();
    MLIRContext *ctx = getContext();
    auto xq = cast<quant::UniformQuantizedType>(inTy.getElementType());
    auto wq = cast<quant::QuantizedType>(wTy.getElementType());
    int64_t f = wTy.getDimSize(0);
    Value scales = weightScales(rewriter, loc, wq, f, 1).first;
    Value x = storageOf(rewriter, loc, adaptor.getInput());
    Value w = storageOf(rewriter, loc, adaptor.getWeight());
    // Pad with the input zero point: padded positions contribute 0.
    Type xElt = cast<RankedTensorType>(x.getType()).getElementType();
    x = buildPadNHWC(rewriter, loc, x, op.getPadding(),
                     arith::ConstantOp::create(
                         rewriter, loc, xElt,
                         rewriter.getIntegerAttr(xElt, xq.getZeroPoint())));
    auto accTy = RankedTensorType::get(outTy.getShape(), rewriter.getI32Type());
    Value izp = i32c(rewriter, loc, xq.getZeroPoint());
    Value fzp = i32c(rewriter, loc, 0);
    auto strides = rewriter.getI64TensorAttr(op.getStrides());
    auto dilations = rewriter.getI64TensorAttr(op.getDilations());
    int64_t g = op.getGroups();
    Value acc;
    if (g == 1) {
      acc = linalg::Conv2DNhwcFhwcQOp::create(
                rewriter, loc, TypeRange{accTy}, ValueRange{x, w, izp, fzp},
                ValueRange{buildFilled(rewriter, loc, accTy, 0)}, strides,
                dilations)
                .getResult(0);
    } else {
      auto xTy = cast<RankedTensorType>(x.getType());
      int64_t c = xTy.getDimSize(3);
      auto x5 = RankedTensorType::get(
          {xTy.getDimSize(0), xTy.getDimSize(1), xTy.getDimSize(2), g, c / g},
          xTy.getElementType());
      auto wsTy = cast<RankedTensorType>(w.getType());
      auto w5 = RankedTensorType::get({g, f / g, wsTy.getDimSize(1),
                                       wsTy.getDimSize(2), wsTy.getDimSize(3)},
                                      wsTy.getElementType());
      auto a5 = RankedTensorType::get({outTy.getDimSize(0), outTy.getDimSize(1),
                                       outTy.getDimSize(2), g, f / g},
                                      rewriter.getI32Type());
      Value gx = tensor::ExpandShapeOp::create(
          rewriter, loc, x5, x,
          ArrayRef<ReassociationIndices>{{0}, {1}, {2}, {3, 4}});
      Value gw = tensor::ExpandShapeOp::create(
          rewriter, loc, w5, w,
          ArrayRef<ReassociationIndices>{{0, 1}, {2}, {3}, {4}});
      Value acc5 =
          linalg::Conv2DNhwgcGfhwcQOp::create(
              rewriter, loc, TypeRange{a5}, ValueRange{gx, gw, izp, fzp},
              ValueRange{buildFilled(rewriter, loc, a5, 0)}, strides, dilations)
              .getResult(0);
      acc = tensor::CollapseShapeOp::create(
          rewriter, loc, accTy, acc5,
          ArrayRef<ReassociationIndices>{{0}, {1}, {2}, {3, 4}});
    }
    if (Value bias = adaptor.getBias())
      acc = elementwise(
          rewriter, loc, accTy, ValueRange{acc, bias},
          {AffineMap::getMultiDimIdentityMap(4, ctx),
           AffineMap::get(4, 0, getAffineDimExpr(3, ctx))},
          [&](OpBuilder &b, Location l, ValueRange a) {
            return arith::AddIOp::create(b, l, a[0], a[1]).getResult();
          });
    rewriter.replaceOp(op,
                       finishQuantized(rewriter, loc, op, acc, scales,
                                       xq.getScale(), outTy, op.getActivation(),
                                       op.getClampMin(), op.getClampMax(),
                                       op.getMultiplier(), op.getShift()));
    return success();
  }
};

struct LowerBlockScaledLinear : OpConversionPattern<BlockScaledLinearOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(BlockScaledLinearOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto inTy = op.getInput().getType();
    auto wTy = op.getWeight().getType();
    auto outTy = op.getType();
    // The input's leading dims (rows) may be runtime sizes.
    if (!wTy.hasStaticShape())
      return op.emitError("a block-scaled weight with a dynamic shape");
    Location loc = op.getLoc();
    MLIRContext *ctx = getContext();
    int64_t n = wTy.getDimSize(0), k = wTy.getDimSize(1);
    int64_t m = getRowCount(inTy);
    int64_t bn = op.getBlock()[0], bk = op.getBlock()[1];
    // A partial last K block is padded with zeros in both operands (a zero
    // product leaves each partial sum as it is).
    int64_t kb = llvm::divideCeil(k, bk);
    Value rows = buildCollapseToRows(rewriter, loc, adaptor.getInput());
    Value x = buildZeroPadHigh(rewriter, loc, rows, {m, kb * bk});
    Value w =
        buildZeroPadHigh(rewriter, loc, adaptor.getWeight(), {n, kb * bk});
    Value xs = buildCollapseToRows(rewriter, loc, adaptor.getInputScale());
    SmallVector<Value> dynRows;
    if (ShapedType::isDynamic(m))
      dynRows.push_back(tensor::DimOp::create(rewriter, loc, x, 0));
    // Per K block: partial[m, n, kb] = sum_j x[m, kb, j] * w[n, kb, j],
    // exact in i32 for i8 operands and in f32 for fp8; then
    // acc[m, n] = sum_kb partial * xs[m, kb] * ws[n / bn, kb].
    Type qElt = inTy.getElementType();
    bool isInt = isa<IntegerType>(qElt);
    Type partElt = isInt ? (Type)rewriter.getI32Type() : rewriter.getF32Type();
    Value partial = blockedDot(
        rewriter, loc, x, w, m, n, kb, bk, partElt,
        [&](OpBuilder &b, Location l, Value xe, Value we) -> Value {
          if (isInt)
            return arith::MulIOp::create(b, l, toI32(b, l, xe),
                                         toI32(b, l, we));
          return arith::MulFOp::create(b, l, toF32(b, l, xe), toF32(b, l, we));
        });
    AffineExpr dm, dn, dg;
    bindDims(ctx, dm, dn, dg);
    auto fTy = RankedTensorType::get({m, n}, rewriter.getF32Type());
    AffineExpr wsRow =
        bn == n ? getAffineConstantExpr(0, ctx) : dn.floorDiv(bn);
    if (bn == 1)
      wsRow = dn;
    Value acc =
        linalg::GenericOp::create(
            rewriter, loc, fTy,
            ValueRange{partial, xs, adaptor.getWeightScale()},
            ValueRange{buildFilled(rewriter, loc, fTy, dynRows, 0.0)},
            {AffineMap::get(3, 0, {dm, dn, dg}, ctx),
             AffineMap::get(3, 0, {dm, dg}, ctx),
             AffineMap::get(3, 0, {wsRow, dg}, ctx),
             AffineMap::get(3, 0, {dm, dn}, ctx)},
            {IteratorType::parallel, IteratorType::parallel,
             IteratorType::reduction},
            [&](OpBuilder &b, Location l, ValueRange a) {
              Value s = arith::MulFOp::create(b, l, a[1], a[2]);
              Value p = arith::MulFOp::create(b, l, toF32(b, l, a[0]), s);
              linalg::YieldOp::create(
                  b, l, arith::AddFOp::create(b, l, a[3], p).getResult());
            })
            .getResult(0);
    Type outElt = outTy.getElementType();
    Value out = elementwise(
        rewriter, loc, RankedTensorType::get({m, n}, outElt), ValueRange{acc},
        {AffineMap::getMultiDimIdentityMap(2, ctx)},
        [&](OpBuilder &b, Location l, ValueRange a) {
          return fromF32(b, l, a[0], outElt);
        });
    rewriter.replaceOp(
        op, buildExpandRows(rewriter, loc, out, outTy, adaptor.getInput()));
    return success();
  }
};

/// Bytes [..., K/2] -> i4 [..., K] via a [..., K/2, 2] generic whose last
/// index selects the nibble (low first), so every map is a projection.
struct LowerUnpackInt4 : OpConversionPattern<UnpackInt4Op> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(UnpackInt4Op op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto inTy = op.getInput().getType();
    auto outTy = op.getType();
    if (!inTy.hasStaticShape() || !outTy.hasStaticShape())
      return op.emitError(
          "dynamic shapes are not supported by effc lowerings yet");
    Location loc = op.getLoc();
    MLIRContext *ctx = getContext();
    int64_t r = inTy.getRank();
    SmallVector<int64_t> split(inTy.getShape());
    split.push_back(2);
    SmallVector<AffineExpr> inExprs;
    for (int64_t i = 0; i < r; ++i)
      inExprs.push_back(getAffineDimExpr(i, ctx));
    auto splitTy = RankedTensorType::get(split, outTy.getElementType());
    Type i8 = rewriter.getI8Type();
    Value bytes = adaptor.getInput();
    if (inTy.getElementType() != i8)
      bytes = arith::BitcastOp::create(
          rewriter, loc, RankedTensorType::get(inTy.getShape(), i8), bytes);
    Value unpacked = elementwise(
        rewriter, loc, splitTy, ValueRange{bytes},
        {AffineMap::get(r + 1, 0, inExprs, ctx)},
        [&](OpBuilder &b, Location l, ValueRange a) {
          Value hi = arith::IndexCastOp::create(
              b, l, i8, linalg::IndexOp::create(b, l, r));
          // low: (b << 4) >> 4; high: b >> 4 (both arithmetic).
          Value four =
              arith::ConstantOp::create(b, l, i8, b.getI8IntegerAttr(4));
          Value sh = arith::SubIOp::create(
              b, l, four, arith::MulIOp::create(b, l, hi, four));
          Value v = arith::ShLIOp::create(b, l, a[0], sh);
          v = arith::ShRSIOp::create(b, l, v, four);
          return arith::TruncIOp::create(b, l, outTy.getElementType(), v)
              .getResult();
        });
    SmallVector<ReassociationIndices> re;
    for (int64_t i = 0; i + 1 < r; ++i)
      re.push_back({i});
    re.push_back({r - 1, r});
    rewriter.replaceOpWithNewOp<tensor::CollapseShapeOp>(op, outTy, unpacked,
                                                         re);
    return success();
  }
};

} // namespace

void mlir::effc::populateLowerReferenceQuantPatterns(
    RewritePatternSet &patterns) {
  patterns.add<LowerQuantize, LowerDequantize, LowerDynamicQuantize,
               LowerQuantizedLinear, LowerQuantizedConv2D,
               LowerBlockScaledLinear, LowerUnpackInt4>(patterns.getContext());
}

//===- Quantize.cpp - materialize precision plans ---------------*- C++ -*-===//
//
// Turns `effc.precision_plan` decisions into stored low-precision weights
// and quantized ops (see the pass description in Passes.td). The weights
// are quantized by QuantMath, the same arithmetic --effc-assign-precision
// measured, so the plan's SQNR describes the weights actually stored.
//
//===----------------------------------------------------------------------===//

#include "effc/Dialect/EffcOps.h"
#include "effc/Support/LinalgBuilders.h"
#include "effc/Support/WeightData.h"
#include "effc/Transforms/Calibration.h"
#include "effc/Transforms/Passes.h"
#include "effc/Transforms/QuantMath.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Quant/IR/Quant.h"
#include "mlir/Dialect/Quant/IR/QuantTypes.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include <cmath>

namespace mlir {
namespace effc {
#define GEN_PASS_DEF_QUANTIZEPASS
#include "effc/Transforms/Passes.h.inc"
} // namespace effc
} // namespace mlir

using namespace mlir;
using namespace mlir::effc;

namespace {

//===----------------------------------------------------------------------===//
// Constants and types
//===----------------------------------------------------------------------===//

Value rawConstant(OpBuilder &b, Location loc, RankedTensorType type,
                  ArrayRef<char> raw) {
  return arith::ConstantOp::create(
      b, loc, type, DenseElementsAttr::getFromRawBuffer(type, raw));
}

Value f32Constant(OpBuilder &b, Location loc, ArrayRef<int64_t> shape,
                  ArrayRef<float> values) {
  auto type = RankedTensorType::get(shape, b.getF32Type());
  return arith::ConstantOp::create(b, loc, type,
                                   DenseElementsAttr::get(type, values));
}

/// The storage constant of integer codes: i8 bytes, or i4 packed two to a
/// byte (low nibble first) and unpacked by effc.unpack_int4.
Value integerCodes(OpBuilder &b, Location loc, ArrayRef<int64_t> shape,
                   ArrayRef<int8_t> codes, bool int4) {
  if (!int4) {
    auto type = RankedTensorType::get(shape, b.getI8Type());
    return rawConstant(
        b, loc, type, ArrayRef<char>((const char *)codes.data(), codes.size()));
  }
  SmallVector<int64_t> packedShape(shape);
  packedShape.back() /= 2;
  std::vector<char> packed(codes.size() / 2);
  for (size_t i = 0; i < packed.size(); ++i)
    packed[i] =
        char((uint8_t(codes[2 * i]) & 0xf) | (uint8_t(codes[2 * i + 1]) << 4));
  Value bytes = rawConstant(
      b, loc, RankedTensorType::get(packedShape, b.getI8Type()), packed);
  return UnpackInt4Op::create(
      b, loc, RankedTensorType::get(shape, b.getIntegerType(4)), bytes);
}

/// The symmetric !quant.uniform weight type of `q` for a weight of `shape`
/// whose scale blocks are [rows, cols] over the weight seen as [N, K].
FailureOr<Type> weightQuantType(Operation *op, ArrayRef<int64_t> shape,
                                const QuantizedWeights &q, bool int4) {
  MLIRContext *ctx = op->getContext();
  Builder b(ctx);
  Type storage = b.getIntegerType(int4 ? 4 : 8);
  int64_t qmax = int4 ? 7 : 127;
  unsigned flags = quant::QuantizationFlags::Signed;
  Type f32 = b.getF32Type();
  int64_t n = shape[0];
  int64_t k = 1;
  for (int64_t d : shape.drop_front())
    k *= d;
  if (q.block.rows == n && q.block.cols == k)
    return Type(quant::UniformQuantizedType::get(flags, storage, f32,
                                                 q.scales[0], 0, -qmax, qmax));
  if (q.block.rows == 1 && q.block.cols == k) {
    SmallVector<double> scales(q.scales.begin(), q.scales.end());
    SmallVector<int64_t> zeros(scales.size(), 0);
    return Type(quant::UniformQuantizedPerAxisType::get(
        flags, storage, f32, scales, zeros, 0, -qmax, qmax));
  }
  if (shape.size() != 2)
    return op->emitError("grouped weight scales need a [N, K] weight");
  int64_t nb = n / q.block.rows, kb = k / q.block.cols;
  auto scaleTy = RankedTensorType::get({nb, kb}, f32);
  auto zeroTy = RankedTensorType::get({nb, kb}, storage);
  auto scales = DenseElementsAttr::get(scaleTy, ArrayRef<float>(q.scales));
  auto zeros = DenseElementsAttr::get(zeroTy, APInt(int4 ? 4 : 8, 0));
  auto emit = [&]() { return op->emitError(); };
  Type t = quant::UniformQuantizedSubChannelType::getChecked(
      emit, flags, storage, f32, scales, zeros, ArrayRef<int32_t>{0, 1},
      ArrayRef<int64_t>{q.block.rows, q.block.cols}, -qmax, qmax);
  if (!t)
    return failure();
  return t;
}

/// The constant weight of `op` as doubles, with the [N, K] view (conv:
/// [F, KH * KW * C]).
FailureOr<std::vector<double>> weightValues(WeightedOpInterface op, int64_t &n,
                                            int64_t &k) {
  std::optional<std::vector<double>> values =
      getConstantFloatValues(op.getWeight());
  if (!values)
    return op->emitError("effc-quantize: the weight must be a constant of "
                         "f32, f16 or bf16 with its data available");
  auto type = cast<RankedTensorType>(op.getWeight().getType());
  n = type.getDimSize(0);
  k = type.getNumElements() / n;
  return std::move(*values);
}

std::optional<APFloat> optFloat(FloatAttr a) {
  if (!a)
    return std::nullopt;
  return a.getValue();
}

//===----------------------------------------------------------------------===//
// The rewrite of one op
//===----------------------------------------------------------------------===//

struct OpQuantizer {
  Operation *op;
  PrecisionPlanAttr plan;
  const ActivationStats *stats; // for bias correction, may be null
  OpBuilder b;
  Location loc;
  int64_t n = 0, k = 0;
  std::vector<double> w;
  QuantizedWeights q;

  OpQuantizer(Operation *op, PrecisionPlanAttr plan,
              const ActivationStats *stats)
      : op(op), plan(plan), stats(stats), b(op), loc(op->getLoc()) {}

  WeightedOpInterface weighted() { return cast<WeightedOpInterface>(op); }
  Activation activation() { return weighted().getActivation(); }
  std::optional<APFloat> clampMin() { return weighted().getClampMin(); }
  std::optional<APFloat> clampMax() { return weighted().getClampMax(); }
  Value input() { return weighted().getInput(); }
  Value bias() { return weighted().getBias(); }
  RankedTensorType resultType() {
    return cast<RankedTensorType>(op->getResult(0).getType());
  }
  ArrayRef<int64_t> weightShape() { return weighted().getWeightShape(); }

  /// The float bias values, with the mean output shift of weight
  /// quantization folded in when `correct` is set.
  FailureOr<std::vector<double>> biasValues(bool correct) {
    std::vector<double> values(n, 0.0);
    if (Value bv = bias()) {
      Attribute cst;
      auto type = cast<RankedTensorType>(bv.getType());
      std::optional<FloatFormat> format = getFloatFormat(type.getElementType());
      if (!format || !matchPattern(bv, m_Constant(&cst)))
        return failure();
      std::vector<char> raw = getRawBytes(cst, n, format->bytes);
      if (raw.empty())
        return failure();
      values = toDouble(raw, *format);
    }
    if (correct && stats && int64_t(stats->mean.size()) == k)
      for (int64_t j = 0; j < n; ++j) {
        double shift = 0;
        for (int64_t t = 0; t < k; ++t)
          shift += stats->mean[t] * (w[j * k + t] - q.dequantized[j * k + t]);
        values[j] += shift;
      }
    return values;
  }

  Value floatBias(ArrayRef<double> values, Type elt) {
    auto format = *getFloatFormat(elt);
    auto type = RankedTensorType::get({n}, elt);
    return rawConstant(b, loc, type, fromDouble(values, format));
  }

  /// Replaces the op's weight operand by a float value.
  void setWeight(Value weight) { weighted().getWeightOperand()->set(weight); }

  /// Replaces the op's float bias, or adds one (bias correction).
  void setBias(Value bias) {
    MutableOperandRange range = isa<LinearOp>(op)
                                    ? cast<LinearOp>(op).getBiasMutable()
                                    : cast<Conv2DOp>(op).getBiasMutable();
    range.assign(bias);
  }

  LogicalResult run(bool biasCorrection) {
    auto weights = weightValues(weighted(), n, k);
    if (failed(weights))
      return failure();
    w = std::move(*weights);
    Precision wp = plan.getWeights(), ap = plan.getActivations();
    Granularity g = plan.getGranularity();
    q = quantizeWeights(w, n, k, wp, g, plan.getGroupSize());
    ScaleBlock blk = q.block;
    // Block scales (fp8 / int8 block-scaled) take partial edge blocks; the
    // sub-channel !quant.uniform types of group scales need whole groups.
    if (!q.scales.empty() && g != Granularity::block &&
        (n % blk.rows || k % blk.cols))
      return op->emitError("effc-quantize: scale block ")
             << blk.rows << "x" << blk.cols << " does not divide the [" << n
             << ", " << k << "] weight";
    bool correct = biasCorrection && wp != Precision::f32;
    auto biasVals = biasValues(correct);
    if (failed(biasVals))
      return op->emitError("effc-quantize: the bias must be a float constant");
    Type fElt = resultType().getElementType();
    bool hasBias = bias() || correct;

    if (wp == Precision::f32)
      return success();
    if (wp == Precision::bf16 || wp == Precision::f16)
      return halfWeights(wp);

    // A dense convolution whose plan needs what only the linear ops carry
    // (dynamic int8 or fp8 activations, group or block scales) becomes
    // im2col + effc.linear here, as the CPU lowering would make it anyway.
    if (auto c = dyn_cast<Conv2DOp>(op);
        c && c.getGroups() == 1 && needsLinearForm(wp, ap, g))
      convertConvToLinear(c);
    bool conv = isa<Conv2DOp>(op);
    bool int4 = wp == Precision::i4;
    if (int4 && weightShape().back() % 2 != 0)
      return op->emitError("effc-quantize: int4 weights are packed two to a "
                           "byte along the last dim, which must be even, "
                           "got ")
             << weightShape().back();
    if (conv)
      return convWeights(wp, ap, *biasVals, hasBias);

    if (wp == Precision::f8e4m3) {
      Value wq = rawConstant(
          b, loc, RankedTensorType::get({n, k}, b.getType<Float8E4M3FNType>()),
          ArrayRef<char>((const char *)q.codes.data(), q.codes.size()));
      Value ws = f32Constant(b, loc,
                             {llvm::divideCeilSigned(n, blk.rows),
                              llvm::divideCeilSigned(k, blk.cols)},
                             q.scales);
      if (ap == Precision::f8e4m3)
        return blockScaled(wq, ws, b.getType<Float8E4M3FNType>(), *biasVals,
                           hasBias);
      // Weight-only fp8: dequantize the stored bytes.
      Value deq = DequantizeOp::create(
          b, loc, RankedTensorType::get({n, k}, fElt), wq, ws, Value(),
          b.getDenseI64ArrayAttr({blk.rows, blk.cols}));
      setWeight(deq);
      if (correct)
        setBias(floatBias(*biasVals, fElt));
      return success();
    }

    // Integer weights.
    FailureOr<Type> qt = weightQuantType(op, {n, k}, q, int4);
    if (failed(qt))
      return failure();
    Value codes = integerCodes(b, loc, {n, k}, q.codes, int4);
    Value wq = quant::StorageCastOp::create(
        b, loc, RankedTensorType::get({n, k}, *qt), codes);
    auto lin = cast<LinearOp>(op);
    if (!isIntegerPrecision(ap)) {
      Value biasV = correct ? floatBias(*biasVals, fElt) : bias();
      auto ql = QuantizedLinearOp::create(
          b, loc, resultType(), input(), wq, biasV, nullptr, nullptr,
          lin.getActivationAttr(), lin.getClampMinAttr(),
          lin.getClampMaxAttr());
      ql->setAttr(EffcDialect::kPrecisionPlanAttrName, plan);
      copyName(ql);
      op->getResult(0).replaceAllUsesWith(ql.getResult());
      op->erase();
      return success();
    }
    if (plan.getInputMin())
      return staticLinear(wq, *biasVals, hasBias);
    // Dynamic int8 activations: i8 weights for the block-scaled product.
    Value w8 = codes;
    if (int4)
      w8 = arith::ExtSIOp::create(
          b, loc, RankedTensorType::get({n, k}, b.getI8Type()), codes);
    Value ws = f32Constant(b, loc,
                           {llvm::divideCeilSigned(n, blk.rows),
                            llvm::divideCeilSigned(k, blk.cols)},
                           q.scales);
    return blockScaled(w8, ws, b.getI8Type(), *biasVals, hasBias);
  }

  /// Whether a dense convolution with this plan must be quantized as its
  /// im2col linear.
  bool needsLinearForm(Precision wp, Precision ap, Granularity g) {
    if (g == Granularity::group || g == Granularity::block)
      return true;
    if (ap == Precision::f8e4m3)
      return true;
    return wp != Precision::f8e4m3 && isIntegerPrecision(ap) &&
           !plan.getInputMin();
  }

  /// Replaces the convolution `c` by im2col + effc.linear (same plan and
  /// name), which the rest of the rewrite then quantizes.
  void convertConvToLinear(Conv2DOp c) {
    auto wTy = c.getWeight().getType();
    Value w2 = tensor::CollapseShapeOp::create(
        b, loc, RankedTensorType::get({n, k}, wTy.getElementType()),
        c.getWeight(), ArrayRef<ReassociationIndices>{{0}, {1, 2, 3}});
    LinearOp lin;
    Value out = buildConvAsLinear(b, c, w2, &lin);
    for (NamedAttribute attr : c->getDiscardableAttrs())
      lin->setAttr(attr.getName(), attr.getValue());
    c.getResult().replaceAllUsesWith(out);
    c.erase();
    op = lin;
    b.setInsertionPoint(lin);
  }

  /// Carries the op's name and sparsity decisions (discardable effc.*
  /// attributes) over to its replacement.
  void copyName(Operation *to) {
    for (NamedAttribute attr : op->getDiscardableAttrs())
      if (attr.getName().strref().starts_with("effc.") &&
          !to->hasAttr(attr.getName()))
        to->setAttr(attr.getName(), attr.getValue());
  }

  LogicalResult halfWeights(Precision wp) {
    Type halfTy =
        wp == Precision::bf16 ? (Type)b.getBF16Type() : (Type)b.getF16Type();
    auto wTy = cast<RankedTensorType>(weighted().getWeight().getType());
    auto format = *getFloatFormat(halfTy);
    Value half = rawConstant(b, loc, wTy.clone(halfTy), fromDouble(w, format));
    setWeight(arith::ExtFOp::create(b, loc, wTy, half));
    return success();
  }

  /// out = act(block_scaled_linear(dynamic_quantize(x), w, ws) + bias).
  LogicalResult blockScaled(Value wq, Value ws, Type actElt,
                            ArrayRef<double> biasVals, bool hasBias) {
    auto lin = cast<LinearOp>(op);
    auto inTy = cast<RankedTensorType>(input().getType());
    int64_t bk = q.block.cols;
    SmallVector<int64_t> block(inTy.getRank(), 1);
    block.back() = bk;
    SmallVector<int64_t> scaleShape(inTy.getShape());
    scaleShape.back() = llvm::divideCeil(k, bk);
    auto dq = DynamicQuantizeOp::create(
        b, loc,
        TypeRange{inTy.clone(actElt),
                  RankedTensorType::get(scaleShape, b.getF32Type())},
        input(), b.getDenseI64ArrayAttr(block));
    RankedTensorType outTy = resultType();
    auto bs = BlockScaledLinearOp::create(
        b, loc, outTy, dq.getResult(0), dq.getResult(1), wq, ws,
        b.getDenseI64ArrayAttr({q.block.rows, bk}));
    bs->setAttr(EffcDialect::kPrecisionPlanAttrName, plan);
    copyName(bs);
    Value out = bs.getResult();
    Value biasV =
        hasBias ? floatBias(biasVals, outTy.getElementType()) : Value();
    out = buildBiasActivation(b, loc, out, biasV, outTy.getRank() - 1,
                              lin.getActivation(), clampMin(), clampMax());
    op->getResult(0).replaceAllUsesWith(out);
    op->erase();
    return success();
  }

  /// The static int8 input type from the plan's calibrated range.
  quant::UniformQuantizedType inputQuantType() {
    AffineParams p = int8Params(plan.getInputMin().getValueAsDouble(),
                                plan.getInputMax().getValueAsDouble());
    return quant::UniformQuantizedType::get(quant::QuantizationFlags::Signed,
                                            b.getI8Type(), b.getF32Type(),
                                            p.scale, p.zeroPoint, -128, 127);
  }

  Value quantizeInput(quant::UniformQuantizedType xt) {
    auto inTy = cast<RankedTensorType>(input().getType());
    return quant::QuantizeCastOp::create(b, loc, inTy.clone(xt), input());
  }

  /// int32 bias in the accumulator scale s_x * s_w[n].
  Value int32Bias(ArrayRef<double> biasVals, double sx) {
    SmallVector<int32_t> vals(n);
    for (int64_t j = 0; j < n; ++j) {
      double sw = q.scales.size() == 1 ? q.scales[0] : q.scales[j];
      double v = std::nearbyint(biasVals[j] / (sx * sw));
      vals[j] = int32_t(std::clamp(v, -2147483648.0, 2147483647.0));
    }
    auto type = RankedTensorType::get({n}, b.getI32Type());
    return arith::ConstantOp::create(
        b, loc, type, DenseElementsAttr::get(type, ArrayRef<int32_t>(vals)));
  }

  LogicalResult staticLinear(Value wq, ArrayRef<double> biasVals,
                             bool hasBias) {
    auto lin = cast<LinearOp>(op);
    quant::UniformQuantizedType xt = inputQuantType();
    Value xq = quantizeInput(xt);
    RankedTensorType outTy = resultType();
    bool grouped = q.block.cols != k;
    if (grouped) {
      // Grouped scales give a float sum; bias and activation follow.
      auto ql =
          QuantizedLinearOp::create(b, loc, outTy, xq, wq, Value(), nullptr,
                                    nullptr, nullptr, nullptr, nullptr);
      ql->setAttr(EffcDialect::kPrecisionPlanAttrName, plan);
      copyName(ql);
      Value biasV =
          hasBias ? floatBias(biasVals, outTy.getElementType()) : Value();
      Value out = buildBiasActivation(b, loc, ql.getResult(), biasV,
                                      outTy.getRank() - 1, lin.getActivation(),
                                      clampMin(), clampMax());
      op->getResult(0).replaceAllUsesWith(out);
      op->erase();
      return success();
    }
    Value biasV = hasBias ? int32Bias(biasVals, xt.getScale()) : Value();
    auto ql = QuantizedLinearOp::create(
        b, loc, outTy, xq, wq, biasV, nullptr, nullptr, lin.getActivationAttr(),
        lin.getClampMinAttr(), lin.getClampMaxAttr());
    ql->setAttr(EffcDialect::kPrecisionPlanAttrName, plan);
    copyName(ql);
    op->getResult(0).replaceAllUsesWith(ql.getResult());
    op->erase();
    return success();
  }

  LogicalResult convWeights(Precision wp, Precision ap,
                            ArrayRef<double> biasVals, bool hasBias) {
    auto conv = cast<Conv2DOp>(op);
    RankedTensorType wTy = conv.getWeight().getType();
    ArrayRef<int64_t> shape = wTy.getShape();
    RankedTensorType outTy = resultType();
    Type fElt = outTy.getElementType();
    bool perTensor = q.block.rows == n;
    SmallVector<int64_t> block(shape);
    if (!perTensor)
      block[0] = 1;
    SmallVector<int64_t> scaleShape = {perTensor ? 1 : n, 1, 1, 1};
    if (wp == Precision::f8e4m3 || !isIntegerPrecision(ap) ||
        !plan.getInputMin()) {
      if (isIntegerPrecision(ap) && !plan.getInputMin())
        op->emitWarning() << "effc-quantize: int8 activations of a "
                             "grouped convolution need a calibrated range "
                             "(dynamic quantization covers effc.linear and "
                             "dense convolutions); quantizing its weights "
                             "only";
      Value codes;
      if (wp == Precision::f8e4m3)
        codes = rawConstant(
            b, loc, wTy.clone(b.getType<Float8E4M3FNType>()),
            ArrayRef<char>((const char *)q.codes.data(), q.codes.size()));
      else
        codes = integerCodes(b, loc, shape, q.codes, wp == Precision::i4);
      Value scales = f32Constant(b, loc, scaleShape, q.scales);
      setWeight(DequantizeOp::create(b, loc, wTy, codes, scales, Value(),
                                     b.getDenseI64ArrayAttr(block)));
      if (hasBias && bias())
        setBias(floatBias(biasVals, fElt));
      return success();
    }
    FailureOr<Type> qt = weightQuantType(op, shape, q, wp == Precision::i4);
    if (failed(qt))
      return failure();
    Value codes = integerCodes(b, loc, shape, q.codes, wp == Precision::i4);
    Value wq = quant::StorageCastOp::create(b, loc, wTy.clone(*qt), codes);
    quant::UniformQuantizedType xt = inputQuantType();
    Value xq = quantizeInput(xt);
    Value biasV = hasBias ? int32Bias(biasVals, xt.getScale()) : Value();
    auto qc = QuantizedConv2DOp::create(
        b, loc, outTy, xq, wq, biasV, conv.getStridesAttr(),
        conv.getDilationsAttr(), conv.getPaddingAttr(), conv.getGroupsAttr(),
        nullptr, nullptr, conv.getActivationAttr(), conv.getClampMinAttr(),
        conv.getClampMaxAttr());
    qc->setAttr(EffcDialect::kPrecisionPlanAttrName, plan);
    copyName(qc);
    op->getResult(0).replaceAllUsesWith(qc.getResult());
    op->erase();
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Cleanups
//===----------------------------------------------------------------------===//

/// quant.qcast(quant.dcast(x)) of the same type is x.
struct RemoveQdqPair : OpRewritePattern<quant::QuantizeCastOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(quant::QuantizeCastOp op,
                                PatternRewriter &rewriter) const override {
    auto dcast = op.getInput().getDefiningOp<quant::DequantizeCastOp>();
    if (!dcast || dcast.getInput().getType() != op.getType())
      return failure();
    rewriter.replaceOp(op, dcast.getInput());
    return success();
  }
};

/// A quantized op with an f32 result whose only user quantizes it to a
/// per-tensor i8 type produces that type directly, requantized by a
/// fixed-point multiplier and shift per output channel (the activation
/// moves into the integer domain).
template <typename OpTy> struct FoldRequantize : OpRewritePattern<OpTy> {
  using OpRewritePattern<OpTy>::OpRewritePattern;
  LogicalResult matchAndRewrite(OpTy op,
                                PatternRewriter &rewriter) const override {
    auto outTy = cast<RankedTensorType>(op.getType());
    if (!outTy.getElementType().isF32() || !op->hasOneUse() ||
        op.getMultiplier())
      return failure();
    auto qcast = dyn_cast<quant::QuantizeCastOp>(*op->user_begin());
    if (!qcast)
      return failure();
    auto yt = dyn_cast<quant::UniformQuantizedType>(
        cast<RankedTensorType>(qcast.getType()).getElementType());
    auto xt = dyn_cast<quant::UniformQuantizedType>(
        cast<RankedTensorType>(op.getInput().getType()).getElementType());
    if (!yt || !xt || yt.getStorageTypeIntegralWidth() != 8 || !yt.isSigned())
      return failure();
    Type wElt =
        cast<RankedTensorType>(op.getWeight().getType()).getElementType();
    SmallVector<double> ws;
    if (auto u = dyn_cast<quant::UniformQuantizedType>(wElt))
      ws.push_back(u.getScale());
    else if (auto pa = dyn_cast<quant::UniformQuantizedPerAxisType>(wElt))
      ws.assign(pa.getScales().begin(), pa.getScales().end());
    else
      return failure();
    Activation act = op.getActivation();
    if (act != Activation::none && act != Activation::relu &&
        act != Activation::clamp)
      return failure();
    SmallVector<int32_t> mult, shift;
    for (double s : ws) {
      int32_t m, sh;
      // The op computes in f32: use the product it would have used.
      quantizeMultiplier(double(float(xt.getScale())) * double(float(s)) /
                             double(float(yt.getScale())),
                         m, sh);
      mult.push_back(m);
      shift.push_back(sh);
    }
    rewriter.setInsertionPoint(op);
    auto newOp = cast<OpTy>(rewriter.clone(*op.getOperation()));
    newOp.setMultiplierAttr(rewriter.getDenseI32ArrayAttr(mult));
    newOp.setShiftAttr(rewriter.getDenseI32ArrayAttr(shift));
    newOp->getResult(0).setType(qcast.getType());
    rewriter.replaceOp(qcast, newOp->getResult(0));
    rewriter.eraseOp(op);
    return success();
  }
};

/// An effc.linear on the output of quant.dcast ops (a QDQ model: ONNX
/// QuantizeLinear / DequantizeLinear pairs, quantization-aware training)
/// runs on the integers it was given, with their scales: an int8 input
/// and a symmetric i8 / i4 weight (per tensor or per output channel) make
/// an effc.quantized_linear; a float input with such a weight, a
/// weight-only one. Nothing is requantized.
struct FoldQdqLinear : OpRewritePattern<LinearOp> {
  using OpRewritePattern::OpRewritePattern;

  static bool isSymmetricWeight(Type t) {
    auto q = dyn_cast<quant::QuantizedType>(t);
    if (!q || !q.isSigned() ||
        (q.getStorageTypeIntegralWidth() != 8 &&
         q.getStorageTypeIntegralWidth() != 4))
      return false;
    if (auto u = dyn_cast<quant::UniformQuantizedType>(q))
      return u.getZeroPoint() == 0;
    if (auto a = dyn_cast<quant::UniformQuantizedPerAxisType>(q))
      return a.getQuantizedDimension() == 0 &&
             llvm::all_of(a.getZeroPoints(), [](int64_t z) { return z == 0; });
    return false;
  }

  LogicalResult matchAndRewrite(LinearOp op,
                                PatternRewriter &rewriter) const override {
    auto wd = op.getWeight().getDefiningOp<quant::DequantizeCastOp>();
    auto outTy = op.getType();
    if (!wd || op.getWeight().getType().getRank() != 2 ||
        !isSymmetricWeight(getElementTypeOrSelf(wd.getInput().getType())) ||
        !outTy.getElementType().isF32())
      return failure();
    Value wq = wd.getInput();
    Location loc = op.getLoc();
    auto xd = op.getInput().getDefiningOp<quant::DequantizeCastOp>();
    auto xt = xd ? dyn_cast<quant::UniformQuantizedType>(
                       getElementTypeOrSelf(xd.getInput().getType()))
                 : quant::UniformQuantizedType();
    if (!xt || xt.getStorageTypeIntegralWidth() != 8 || !xt.isSigned()) {
      // Weight-only.
      auto ql = QuantizedLinearOp::create(
          rewriter, loc, outTy, op.getInput(), wq, op.getBias(), nullptr,
          nullptr, op.getActivationAttr(), op.getClampMinAttr(),
          op.getClampMaxAttr());
      rewriter.replaceOp(op, ql.getResult());
      return success();
    }
    bool fuseAct = !op.getBias();
    auto ql = QuantizedLinearOp::create(
        rewriter, loc, outTy, xd.getInput(), wq, Value(), nullptr, nullptr,
        fuseAct ? op.getActivationAttr()
                : ActivationAttr::get(getContext(), Activation::none),
        fuseAct ? op.getClampMinAttr() : FloatAttr(),
        fuseAct ? op.getClampMaxAttr() : FloatAttr());
    Value out = ql.getResult();
    if (!fuseAct)
      out = buildBiasActivation(rewriter, loc, out, op.getBias(),
                                outTy.getRank() - 1, op.getActivation(),
                                optFloat(op.getClampMinAttr()),
                                optFloat(op.getClampMaxAttr()));
    rewriter.replaceOp(op, out);
    return success();
  }
};

struct QuantizePass : effc::impl::QuantizePassBase<QuantizePass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    CalibrationStats stats;
    if (biasCorrection) {
      if (calibration.empty()) {
        mlir::emitError(module.getLoc())
            << "effc-quantize: bias-correction needs calibration=<stats.json>";
        return signalPassFailure();
      }
      auto read = readCalibrationStats(calibration);
      if (!read) {
        mlir::emitError(module.getLoc())
            << "effc-quantize: " << toString(read.takeError());
        return signalPassFailure();
      }
      stats = std::move(*read);
    }
    SmallVector<std::pair<Operation *, std::string>> work;
    forEachQuantizableOp(module, [&](Operation *op, StringRef key) {
      if (op->hasAttr(EffcDialect::kPrecisionPlanAttrName))
        work.push_back({op, key.str()});
    });
    for (auto &[op, key] : work) {
      auto plan = op->getAttrOfType<PrecisionPlanAttr>(
          EffcDialect::kPrecisionPlanAttrName);
      auto it = stats.find(key);
      OpQuantizer quantizer(op, plan,
                            it == stats.end() ? nullptr : &it->second);
      if (failed(quantizer.run(biasCorrection)))
        return signalPassFailure();
    }
    RewritePatternSet patterns(&getContext());
    patterns
        .add<RemoveQdqPair, FoldQdqLinear, FoldRequantize<QuantizedLinearOp>,
             FoldRequantize<QuantizedConv2DOp>>(&getContext());
    // No folding: it would widen the stored bf16 / f16 constants back to
    // f32 (arith.extf of a constant folds).
    GreedyRewriteConfig config;
    config.enableFolding(false);
    config.enableConstantCSE(false);
    if (failed(applyPatternsGreedily(module, std::move(patterns), config)))
      signalPassFailure();
  }
};

} // namespace

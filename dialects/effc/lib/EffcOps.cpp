//===- EffcOps.cpp - effc operations ----------------------------*- C++ -*-===//
//
// The verifiers, folders and interface methods of every effc op. One file
// although it is over 800 lines, as upstream keeps a dialect's op C++ (
// LinalgOps.cpp, TosaOps.cpp): element types are ODS constraints, and what
// is left here are the cross-operand shape rules, one function per op.
//
//===----------------------------------------------------------------------===//

#include "effc/Dialect/EffcOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Quant/IR/QuantTypes.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/IR/TypeUtilities.h"

#include <cmath>

using namespace mlir;
using namespace mlir::effc;

//===----------------------------------------------------------------------===//
// Shared verification helpers
//===----------------------------------------------------------------------===//

/// True when two dims may be equal (either is dynamic, or they are).
static bool compatible(int64_t a, int64_t b) {
  return ShapedType::isDynamic(a) || ShapedType::isDynamic(b) || a == b;
}

static std::string shapeStr(ArrayRef<int64_t> shape) {
  std::string s;
  llvm::raw_string_ostream os(s);
  os << "[";
  llvm::interleaveComma(shape, os, [&](int64_t d) {
    if (ShapedType::isDynamic(d))
      os << "?";
    else
      os << d;
  });
  os << "]";
  return s;
}

static LogicalResult verifyActivation(Operation *op, Activation act,
                                      std::optional<APFloat> lo,
                                      std::optional<APFloat> hi) {
  if (act != Activation::clamp) {
    if (lo || hi)
      return op->emitOpError(
          "clamp_min/clamp_max are only allowed with activation 'clamp'");
    return success();
  }
  if (!lo || !hi)
    return op->emitOpError("activation 'clamp' needs clamp_min and clamp_max");
  if (lo->convertToDouble() > hi->convertToDouble())
    return op->emitOpError("clamp_min must not exceed clamp_max");
  return success();
}

/// Checks `[..., K] x [N, K] -> [..., N]` (or the batched `[B, M, K] x
/// [B, N, K]` form when `allowBatched`) and returns N.
static LogicalResult verifyLinearShapes(Operation *op, ArrayRef<int64_t> in,
                                        ArrayRef<int64_t> w,
                                        ArrayRef<int64_t> out,
                                        bool allowBatched) {
  if (w.size() != 2 && !(allowBatched && w.size() == 3))
    return op->emitOpError("weight must be [N, K]")
           << (allowBatched ? " or [B, N, K]" : "") << ", got " << shapeStr(w);
  if (in.empty())
    return op->emitOpError("input must have rank >= 1");
  int64_t n = w[w.size() - 2], k = w.back();
  if (w.size() == 3) {
    if (in.size() != 3)
      return op->emitOpError("a batched weight [B, N, K] needs a [B, M, K] "
                             "input, got ")
             << shapeStr(in);
    if (!compatible(in[0], w[0]))
      return op->emitOpError("batch of input (")
             << in[0] << ") and weight (" << w[0] << ") differ";
  }
  if (!compatible(in.back(), k))
    return op->emitOpError("reduction dim of input (")
           << in.back() << ") and weight (" << k << ") differ";
  if (out.size() != in.size())
    return op->emitOpError("result rank ")
           << out.size() << " differs from input rank " << in.size();
  for (size_t i = 0; i + 1 < in.size(); ++i)
    if (!compatible(in[i], out[i]))
      return op->emitOpError("result shape ")
             << shapeStr(out) << " does not match input shape " << shapeStr(in)
             << " in dim " << i;
  if (!compatible(out.back(), n))
    return op->emitOpError("result dim ")
           << out.back() << " differs from the weight's output channels " << n;
  return success();
}

static LogicalResult verifyBias(Operation *op, Value bias, int64_t channels,
                                Type expectedElt) {
  if (!bias)
    return success();
  auto t = cast<RankedTensorType>(bias.getType());
  if (t.getRank() != 1 || !compatible(t.getDimSize(0), channels))
    return op->emitOpError("bias must be [")
           << channels << "], got " << shapeStr(t.getShape());
  if (t.getElementType() != expectedElt)
    return op->emitOpError("bias element type must be ") << expectedElt;
  return success();
}

static LogicalResult
verifyConvShapes(Operation *op, ArrayRef<int64_t> in, ArrayRef<int64_t> w,
                 ArrayRef<int64_t> out, ArrayRef<int64_t> strides,
                 ArrayRef<int64_t> dilations, ArrayRef<int64_t> padding,
                 int64_t groups) {
  if (in.size() != 4 || w.size() != 4 || out.size() != 4)
    return op->emitOpError("input, weight and result must have rank 4 "
                           "(NHWC, [F, KH, KW, C / groups], NHWF)");
  if (strides.size() != 2 ||
      llvm::any_of(strides, [](int64_t s) { return s <= 0; }))
    return op->emitOpError("strides must be two positive integers");
  if (dilations.size() != 2 ||
      llvm::any_of(dilations, [](int64_t d) { return d <= 0; }))
    return op->emitOpError("dilations must be two positive integers");
  if (padding.size() != 4 ||
      llvm::any_of(padding, [](int64_t p) { return p < 0; }))
    return op->emitOpError(
        "padding must be four non-negative integers [top, bottom, left, "
        "right]");
  if (groups <= 0)
    return op->emitOpError("groups must be positive");
  int64_t c = in[3], f = w[0];
  if (!ShapedType::isDynamic(c) && c % groups != 0)
    return op->emitOpError("input channels (")
           << c << ") are not divisible by groups (" << groups << ")";
  if (!ShapedType::isDynamic(f) && f % groups != 0)
    return op->emitOpError("output channels (")
           << f << ") are not divisible by groups (" << groups << ")";
  if (!ShapedType::isDynamic(c) && !ShapedType::isDynamic(w[3]) &&
      w[3] * groups != c)
    return op->emitOpError("weight input channels (")
           << w[3] << ") times groups (" << groups
           << ") must equal the input channels (" << c << ")";
  if (!compatible(out[0], in[0]))
    return op->emitOpError("result batch differs from input batch");
  if (!compatible(out[3], f))
    return op->emitOpError("result channels (")
           << out[3] << ") differ from weight output channels (" << f << ")";
  for (int i = 0; i < 2; ++i) {
    int64_t size = in[1 + i], kernel = w[1 + i];
    if (ShapedType::isDynamic(size) || ShapedType::isDynamic(kernel))
      continue;
    int64_t padded = size + padding[2 * i] + padding[2 * i + 1];
    int64_t span = dilations[i] * (kernel - 1) + 1;
    if (padded < span)
      return op->emitOpError("kernel window (")
             << span << ") is larger than the padded input (" << padded
             << ") in dim " << (1 + i);
    int64_t expected = (padded - span) / strides[i] + 1;
    if (!compatible(out[1 + i], expected))
      return op->emitOpError("result spatial dim ")
             << (1 + i) << " is " << out[1 + i] << ", expected " << expected;
  }
  return success();
}

/// K of an OHWI convolution weight `[F, KH, KW, C / groups]`: the
/// contiguous KH * KW * C / groups weights of one output channel.
static int64_t convReductionSize(ArrayRef<int64_t> weightShape) {
  ArrayRef<int64_t> perChannel = weightShape.drop_front();
  if (ShapedType::isDynamicShape(perChannel))
    return ShapedType::kDynamic;
  return ShapedType::getNumElements(perChannel);
}

static bool isSignedInteger(Type t, unsigned width) {
  auto it = dyn_cast<IntegerType>(t);
  return it && it.getWidth() == width && !it.isUnsigned();
}

/// Checks a quantized weight type: symmetric, i8 or i4 storage, scales per
/// tensor, per output channel (axis 0) or, when `allowGroups`, per group of
/// G along the last dim. Returns the group size through `groupSize` (0 when
/// not grouped).
static LogicalResult verifyQuantizedWeight(Operation *op, Type elt,
                                           ArrayRef<int64_t> shape,
                                           bool allowGroups,
                                           int64_t &groupSize) {
  groupSize = 0;
  auto qt = cast<quant::QuantizedType>(elt);
  unsigned width = qt.getStorageTypeIntegralWidth();
  if (!qt.isSigned() || (width != 8 && width != 4))
    return op->emitOpError("weight storage must be i8 or i4");
  if (auto u = dyn_cast<quant::UniformQuantizedType>(qt)) {
    if (u.getZeroPoint() != 0)
      return op->emitOpError("weight quantization must be symmetric (zero "
                             "point 0)");
    return success();
  }
  if (auto pa = dyn_cast<quant::UniformQuantizedPerAxisType>(qt)) {
    if (pa.getQuantizedDimension() != 0)
      return op->emitOpError("per-axis weight scales must be along the "
                             "output channels (axis 0)");
    if (!compatible(shape[0], pa.getScales().size()))
      return op->emitOpError("weight has ")
             << pa.getScales().size() << " scales for " << shape[0]
             << " output channels";
    if (llvm::any_of(pa.getZeroPoints(), [](int64_t z) { return z != 0; }))
      return op->emitOpError("weight quantization must be symmetric (zero "
                             "point 0)");
    return success();
  }
  if (auto sc = dyn_cast<quant::UniformQuantizedSubChannelType>(qt)) {
    if (!allowGroups)
      return op->emitOpError("sub-channel (grouped) weight scales are not "
                             "supported by this op");
    int64_t rank = shape.size();
    int64_t channelBlock = 1, kBlock = 1;
    for (auto [dim, size] :
         llvm::zip(sc.getQuantizedDimensions(), sc.getBlockSizes())) {
      if (dim == 0)
        channelBlock = size;
      else if (dim == rank - 1)
        kBlock = size;
      else
        return op->emitOpError("grouped weight scales may only block dims 0 "
                               "and ")
               << (rank - 1);
    }
    if (channelBlock != 1)
      return op->emitOpError("grouped weight scales need block size 1 along "
                             "the output channels");
    if (!ShapedType::isDynamic(shape.back()) && shape.back() % kBlock != 0)
      return op->emitOpError("group size ")
             << kBlock << " does not divide K = " << shape.back();
    for (APInt z : sc.getZeroPoints().getValues<APInt>())
      if (!z.isZero())
        return op->emitOpError("weight quantization must be symmetric (zero "
                               "point 0)");
    groupSize = kBlock;
    return success();
  }
  return op->emitOpError("unsupported weight quantization type ") << elt;
}

static LogicalResult verifyQuantizedInput(Operation *op, Type elt) {
  auto qt = dyn_cast<quant::UniformQuantizedType>(elt);
  if (!qt || qt.getStorageTypeIntegralWidth() != 8 || !qt.isSigned())
    return op->emitOpError("input must be per-tensor !quant.uniform with i8 "
                           "storage, got ")
           << elt;
  return success();
}

/// Checks the result convention shared by the quantized compute ops.
static LogicalResult
verifyQuantizedResult(Operation *op, Type resultElt, int64_t channels,
                      int64_t groupSize,
                      std::optional<ArrayRef<int32_t>> multiplier,
                      std::optional<ArrayRef<int32_t>> shift, Activation act) {
  bool requant = isa<quant::UniformQuantizedType>(resultElt);
  if (requant) {
    auto q = cast<quant::UniformQuantizedType>(resultElt);
    if (q.getStorageTypeIntegralWidth() != 8 || !q.isSigned())
      return op->emitOpError("requantized result must have i8 storage");
    if (!multiplier || !shift)
      return op->emitOpError("a requantized result needs multiplier and "
                             "shift");
    if (multiplier->size() != shift->size())
      return op->emitOpError("multiplier and shift must have the same length");
    if (multiplier->size() != 1 &&
        !compatible(channels, (int64_t)multiplier->size()))
      return op->emitOpError("expected 1 or ")
             << channels << " requantization multipliers, got "
             << multiplier->size();
    if (llvm::any_of(*multiplier, [](int32_t m) { return m <= 0; }))
      return op->emitOpError("requantization multipliers must be positive");
    if (llvm::any_of(*shift, [](int32_t s) { return s < -31 || s > 31; }))
      return op->emitOpError("requantization shifts must be in [-31, 31]");
  } else if (multiplier || shift) {
    return op->emitOpError("multiplier and shift need a requantized "
                           "(!quant.uniform) result");
  }
  if (groupSize != 0 && !isa<FloatType>(resultElt))
    return op->emitOpError("grouped weight scales cannot produce a single "
                           "int32 accumulator; use a float result");
  if (isSignedInteger(resultElt, 32)) {
    // Raw accumulators have no real-valued scale to clamp in.
    if (act == Activation::clamp)
      return op->emitOpError("i32 results allow only the activations 'none' "
                             "and 'relu'");
  } else if (!requant && !isa<FloatType>(resultElt)) {
    return op->emitOpError("result must be i32, a float type or an i8 "
                           "!quant.uniform, got ")
           << resultElt;
  }
  if (!isa<FloatType>(resultElt) && act != Activation::none &&
      act != Activation::relu && act != Activation::clamp)
    return op->emitOpError("integer results allow only the activations "
                           "'none', 'relu' and 'clamp'");
  return success();
}

//===----------------------------------------------------------------------===//
// LinearOp
//===----------------------------------------------------------------------===//

LogicalResult LinearOp::verify() {
  auto w = getWeight().getType().getShape();
  // Only leading (batch / sequence) dims may be dynamic: every lowering
  // tiles and packs the weight by its static N and K.
  if (w.size() >= 2 && (ShapedType::isDynamic(w[w.size() - 2]) ||
                        ShapedType::isDynamic(w.back())))
    return emitOpError("weight dims N and K must be static, got ")
           << shapeStr(w);
  if (getOutput().getType().getRank() > 0 &&
      getOutput().getType().isDynamicDim(getOutput().getType().getRank() - 1))
    return emitOpError("result's last dim must be static (the weight's "
                       "output channels)");
  if (failed(verifyLinearShapes(*this, getInput().getType().getShape(), w,
                                getOutput().getType().getShape(),
                                /*allowBatched=*/true)))
    return failure();
  if (failed(verifyBias(*this, getBias(), w[w.size() - 2],
                        getInput().getType().getElementType())))
    return failure();
  return verifyActivation(*this, getActivation(), getClampMin(), getClampMax());
}

namespace {
/// clamp(x, 0, +inf) is relu; relu lowers and fuses better everywhere.
template <typename OpTy> struct ClampToRelu : OpRewritePattern<OpTy> {
  using OpRewritePattern<OpTy>::OpRewritePattern;
  LogicalResult matchAndRewrite(OpTy op,
                                PatternRewriter &rewriter) const override {
    if (op.getActivation() != Activation::clamp || !op.getClampMin() ||
        !op.getClampMax())
      return failure();
    if (!op.getClampMin()->isZero() || !op.getClampMax()->isInfinity() ||
        op.getClampMax()->isNegative())
      return failure();
    rewriter.modifyOpInPlace(op, [&] {
      op.setActivation(Activation::relu);
      op.removeClampMinAttr();
      op.removeClampMaxAttr();
    });
    return success();
  }
};
} // namespace

void LinearOp::getCanonicalizationPatterns(RewritePatternSet &results,
                                           MLIRContext *context) {
  results.add<ClampToRelu<LinearOp>>(context);
}

//===----------------------------------------------------------------------===//
// Conv2DOp
//===----------------------------------------------------------------------===//

LogicalResult Conv2DOp::verify() {
  auto w = getWeight().getType().getShape();
  if (failed(verifyConvShapes(*this, getInput().getType().getShape(), w,
                              getOutput().getType().getShape(), getStrides(),
                              getDilations(), getPadding(), getGroups())))
    return failure();
  if (failed(verifyBias(*this, getBias(), w[0],
                        getInput().getType().getElementType())))
    return failure();
  return verifyActivation(*this, getActivation(), getClampMin(), getClampMax());
}

int64_t Conv2DOp::getReductionSize() {
  return convReductionSize(getWeight().getType().getShape());
}

int64_t Conv2DOp::getOutputChannels() {
  return getWeight().getType().getDimSize(0);
}

namespace {
/// A 1x1, stride-1, unpadded, ungrouped convolution is a linear op over the
/// channel dim of the NHWC input: it reuses the GEMM kernels and the linear
/// compression paths.
struct PointwiseConvToLinear : OpRewritePattern<Conv2DOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(Conv2DOp op,
                                PatternRewriter &rewriter) const override {
    auto wTy = op.getWeight().getType();
    if (wTy.getDimSize(1) != 1 || wTy.getDimSize(2) != 1 ||
        op.getGroups() != 1 ||
        llvm::any_of(op.getStrides(), [](int64_t s) { return s != 1; }) ||
        llvm::any_of(op.getPadding(), [](int64_t p) { return p != 0; }))
      return failure();
    auto flatTy = RankedTensorType::get({wTy.getDimSize(0), wTy.getDimSize(3)},
                                        wTy.getElementType());
    Value flat = tensor::CollapseShapeOp::create(
        rewriter, op.getLoc(), flatTy, op.getWeight(),
        ArrayRef<ReassociationIndices>{{0}, {1, 2, 3}});
    auto linear = LinearOp::create(
        rewriter, op.getLoc(), op.getType(), op.getInput(), flat, op.getBias(),
        op.getActivationAttr(), op.getClampMinAttr(), op.getClampMaxAttr());
    // Compression decisions recorded on the conv hold for the linear too.
    for (StringRef name : {EffcDialect::kPrecisionPlanAttrName,
                           EffcDialect::kSparsityPlanAttrName})
      if (Attribute plan = op->getAttr(name))
        linear->setAttr(name, plan);
    rewriter.replaceOp(op, linear);
    return success();
  }
};
} // namespace

void Conv2DOp::getCanonicalizationPatterns(RewritePatternSet &results,
                                           MLIRContext *context) {
  results.add<ClampToRelu<Conv2DOp>, PointwiseConvToLinear>(context);
}

//===----------------------------------------------------------------------===//
// AttentionOp
//===----------------------------------------------------------------------===//

LogicalResult AttentionOp::verify() {
  auto q = getQuery().getType(), k = getKey().getType(),
       v = getValue().getType();
  auto o = getOutput().getType();
  int64_t r = q.getRank();
  if (r < 2 || r > 4)
    return emitOpError("query must have rank 2, 3 or 4, got ") << r;
  if (k.getRank() != r || v.getRank() != r || o.getRank() != r)
    return emitOpError("query, key, value and result must have the same rank");
  auto qs = q.getShape(), ks = k.getShape(), vs = v.getShape(),
       os = o.getShape();
  if (!compatible(qs[r - 1], ks[r - 1]))
    return emitOpError("query and key head dims differ (")
           << qs[r - 1] << " vs " << ks[r - 1] << ")";
  if (!compatible(ks[r - 2], vs[r - 2]))
    return emitOpError("key and value sequence lengths differ (")
           << ks[r - 2] << " vs " << vs[r - 2] << ")";
  if (!compatible(os[r - 2], qs[r - 2]) || !compatible(os[r - 1], vs[r - 1]))
    return emitOpError("result shape ")
           << shapeStr(os) << " must be [..., Sq, Dv] = [..., " << qs[r - 2]
           << ", " << vs[r - 1] << "]";
  for (int64_t i = 0; i + 3 < r; ++i)
    if (!compatible(qs[i], ks[i]) || !compatible(qs[i], vs[i]) ||
        !compatible(qs[i], os[i]))
      return emitOpError("batch dim ") << i << " differs between operands";
  if (r >= 3) {
    int64_t hq = qs[r - 3], hk = ks[r - 3];
    if (!compatible(hk, vs[r - 3]))
      return emitOpError("key and value head counts differ");
    if (!compatible(os[r - 3], hq))
      return emitOpError("result head count differs from query head count");
    if (!ShapedType::isDynamic(hq) && !ShapedType::isDynamic(hk) &&
        (hk == 0 || hq % hk != 0))
      return emitOpError("query heads (")
             << hq << ") must be a multiple of key/value heads (" << hk << ")";
  }
  if (auto s = getScale()) {
    double sv = s->convertToDouble();
    if (!std::isfinite(sv) || sv == 0.0)
      return emitOpError("scale must be finite and non-zero");
  } else if (ShapedType::isDynamic(qs[r - 1])) {
    return emitOpError("needs a static head dim or an explicit scale");
  }
  MaskKind kind = getMask();
  if (kind == MaskKind::window) {
    // The I64Attr getter returns uint64_t: compare the signed value.
    if (!getWindowAttr() || getWindowAttr().getInt() <= 0)
      return emitOpError("mask 'window' needs a positive window size");
  } else if (getWindow()) {
    return emitOpError("window is only allowed with mask 'window'");
  }
  Value maskVal = getMaskValues();
  if (kind == MaskKind::additive) {
    if (!maskVal)
      return emitOpError("mask 'explicit' needs a mask operand");
    auto m = cast<RankedTensorType>(maskVal.getType());
    auto ms = m.getShape();
    int64_t mr = m.getRank();
    if (mr != 2 && mr != r)
      return emitOpError("mask must have rank 2 or ") << r;
    if (!compatible(ms[mr - 1], ks[r - 2]))
      return emitOpError("mask must end in Skv = ")
             << ks[r - 2] << ", got " << shapeStr(ms);
    // Every other dim broadcasts (1) or matches the scores' [..., Hq, Sq].
    for (int64_t i = 0; i + 1 < mr; ++i) {
      int64_t scoresDim = qs[r - mr + i];
      if (ms[i] != 1 && !compatible(ms[i], scoresDim))
        return emitOpError("mask dim ")
               << i << " must be 1 or " << scoresDim << ", got " << ms[i];
    }
  } else if (maskVal) {
    return emitOpError("a mask operand needs mask 'explicit'");
  }
  auto blockSize = getBlockSize();
  auto layout = getBlockLayout();
  if (blockSize.has_value() != layout.has_value())
    return emitOpError("block_size and block_layout go together");
  if (blockSize) {
    if (blockSize->size() != 2 || (*blockSize)[0] <= 0 || (*blockSize)[1] <= 0)
      return emitOpError("block_size must be two positive sizes [bq, bk]");
    int64_t sq = qs[r - 2], skv = ks[r - 2];
    if (ShapedType::isDynamic(sq) || ShapedType::isDynamic(skv))
      return emitOpError("a block layout needs static sequence lengths");
    int64_t bq = (*blockSize)[0], bk = (*blockSize)[1];
    if (sq % bq != 0 || skv % bk != 0)
      return emitOpError("block_size [")
             << bq << ", " << bk << "] does not tile the scores [" << sq << ", "
             << skv << "]";
    if ((int64_t)layout->size() != (sq / bq) * (skv / bk))
      return emitOpError("block_layout has ")
             << layout->size() << " entries, expected " << (sq / bq) << " x "
             << (skv / bk);
  }
  return success();
}

double AttentionOp::getScaleOrDefault() {
  if (auto s = getScale())
    return s->convertToDouble();
  return 1.0 / std::sqrt((double)getQuery().getType().getShape().back());
}

namespace {
/// A window at least as long as the keys masks nothing beyond causality.
struct WideWindowToCausal : OpRewritePattern<AttentionOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(AttentionOp op,
                                PatternRewriter &rewriter) const override {
    if (op.getMask() != MaskKind::window || !op.getWindow())
      return failure();
    int64_t skv = op.getKey().getType().getShape().end()[-2];
    if (ShapedType::isDynamic(skv) || op.getWindowAttr().getInt() < skv)
      return failure();
    rewriter.modifyOpInPlace(op, [&] {
      op.setMask(MaskKind::causal);
      op.removeWindowAttr();
    });
    return success();
  }
};

/// An explicit additive mask of constant zeros masks nothing.
struct DropZeroMask : OpRewritePattern<AttentionOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(AttentionOp op,
                                PatternRewriter &rewriter) const override {
    if (op.getMask() != MaskKind::additive || !op.getMaskValues() ||
        !matchPattern(op.getMaskValues(), m_AnyZeroFloat()))
      return failure();
    rewriter.modifyOpInPlace(op, [&] {
      op.setMask(MaskKind::none);
      op.getMaskValuesMutable().clear();
    });
    return success();
  }
};
} // namespace

void AttentionOp::getCanonicalizationPatterns(RewritePatternSet &results,
                                              MLIRContext *context) {
  results.add<WideWindowToCausal, DropZeroMask>(context);
}

//===----------------------------------------------------------------------===//
// Quantize / dequantize
//===----------------------------------------------------------------------===//

/// Checks `scale_shape[i] == ceil(data_shape[i] / block[i])` (the last block
/// along a dim may be partial, as in DeepSeek-V3's kernels) and the zero
/// point.
static LogicalResult verifyBlockScales(Operation *op, RankedTensorType data,
                                       RankedTensorType scale, Value zeroPoint,
                                       ArrayRef<int64_t> block,
                                       Type storageElt) {
  if ((int64_t)block.size() != data.getRank())
    return op->emitOpError("block must have one entry per dim (")
           << data.getRank() << "), got " << block.size();
  if (llvm::any_of(block, [](int64_t b) { return b <= 0; }))
    return op->emitOpError("block sizes must be positive");
  if (scale.getRank() != data.getRank())
    return op->emitOpError("scale must have the data's rank ")
           << data.getRank();
  for (int64_t i = 0; i < data.getRank(); ++i) {
    int64_t d = data.getDimSize(i), s = scale.getDimSize(i);
    if (ShapedType::isDynamic(d))
      continue;
    int64_t blocks = llvm::divideCeil(d, block[i]);
    if (!compatible(s, blocks))
      return op->emitOpError("scale dim ")
             << i << " is " << s << ", expected ceil(" << d << " / " << block[i]
             << ") = " << blocks;
  }
  if (zeroPoint) {
    auto z = cast<RankedTensorType>(zeroPoint.getType());
    if (!isa<IntegerType>(storageElt))
      return op->emitOpError("a zero point needs an integer quantized type");
    if (z.getShape() != scale.getShape())
      return op->emitOpError("zero point must be an integer tensor shaped "
                             "like the scale");
  }
  return success();
}

LogicalResult QuantizeOp::verify() {
  auto in = getInput().getType();
  auto out = getOutput().getType();
  if (failed(verifyCompatibleShape(in, out)))
    return emitOpError("input and result shapes differ");
  return verifyBlockScales(*this, in, getScale().getType(), getZeroPoint(),
                           getBlock(), out.getElementType());
}

OpFoldResult QuantizeOp::fold(FoldAdaptor) {
  // quantize(dequantize(q, s, z), s, z) == q: the round trip is exact.
  auto deq = getInput().getDefiningOp<DequantizeOp>();
  if (!deq || deq.getScale() != getScale() ||
      deq.getZeroPoint() != getZeroPoint() || deq.getBlock() != getBlock() ||
      deq.getInput().getType() != getType())
    return {};
  return deq.getInput();
}

LogicalResult DequantizeOp::verify() {
  auto in = getInput().getType();
  auto out = getOutput().getType();
  if (failed(verifyCompatibleShape(in, out)))
    return emitOpError("input and result shapes differ");
  return verifyBlockScales(*this, in, getScale().getType(), getZeroPoint(),
                           getBlock(), in.getElementType());
}

LogicalResult UnpackInt4Op::verify() {
  auto in = getInput().getType(), out = getOutput().getType();
  if (in.getRank() != out.getRank() || in.getRank() == 0)
    return emitOpError("input and result must have the same non-zero rank");
  int64_t r = in.getRank();
  for (int64_t i = 0; i + 1 < r; ++i)
    if (!compatible(in.getDimSize(i), out.getDimSize(i)))
      return emitOpError("leading dims must match: ")
             << shapeStr(in.getShape()) << " vs " << shapeStr(out.getShape());
  int64_t ki = in.getDimSize(r - 1), ko = out.getDimSize(r - 1);
  if (!ShapedType::isDynamic(ki) && !ShapedType::isDynamic(ko) && ko != 2 * ki)
    return emitOpError("the last dim must double: ")
           << ki << " bytes hold " << 2 * ki << " values, not " << ko;
  return success();
}

LogicalResult DynamicQuantizeOp::verify() {
  auto in = getInput().getType();
  auto out = getOutput().getType();
  if (failed(verifyCompatibleShape(in, out)))
    return emitOpError("input and result shapes differ");
  return verifyBlockScales(*this, in, getScale().getType(), Value(), getBlock(),
                           out.getElementType());
}

//===----------------------------------------------------------------------===//
// Quantized compute ops
//===----------------------------------------------------------------------===//

LogicalResult QuantizedLinearOp::verify() {
  auto in = getInput().getType(), w = getWeight().getType(),
       out = getOutput().getType();
  bool weightOnly = isa<FloatType>(in.getElementType());
  if (!weightOnly && failed(verifyQuantizedInput(*this, in.getElementType())))
    return failure();
  if (w.getRank() != 2)
    return emitOpError("weight must be [N, K], got ") << shapeStr(w.getShape());
  int64_t groupSize;
  if (failed(verifyQuantizedWeight(*this, w.getElementType(), w.getShape(),
                                   /*allowGroups=*/true, groupSize)))
    return failure();
  if (failed(verifyLinearShapes(*this, in.getShape(), w.getShape(),
                                out.getShape(), /*allowBatched=*/false)))
    return failure();
  int64_t n = w.getDimSize(0);
  if (weightOnly) {
    // Weight-only quantization: the weight is dequantized and the product
    // is computed in the input's float type.
    if (out.getElementType() != in.getElementType())
      return emitOpError("a weight-only quantized linear (float input) must "
                         "have a result of the input's type ")
             << in.getElementType();
    if (getMultiplier() || getShift())
      return emitOpError("multiplier and shift need a quantized input and a "
                         "requantized result");
    if (failed(verifyBias(*this, getBias(), n, in.getElementType())))
      return failure();
    return verifyActivation(*this, getActivation(), getClampMin(),
                            getClampMax());
  }
  if (failed(
          verifyBias(*this, getBias(), n, IntegerType::get(getContext(), 32))))
    return failure();
  if (failed(verifyQuantizedResult(*this, out.getElementType(), n, groupSize,
                                   getMultiplier(), getShift(),
                                   getActivation())))
    return failure();
  if (groupSize != 0 && getBias())
    return emitOpError("a bias needs per-tensor or per-channel weight scales "
                       "(its scale is s_x * s_w[n])");
  return verifyActivation(*this, getActivation(), getClampMin(), getClampMax());
}

LogicalResult QuantizedConv2DOp::verify() {
  auto in = getInput().getType(), w = getWeight().getType(),
       out = getOutput().getType();
  if (failed(verifyQuantizedInput(*this, in.getElementType())))
    return failure();
  if (failed(verifyConvShapes(*this, in.getShape(), w.getShape(),
                              out.getShape(), getStrides(), getDilations(),
                              getPadding(), getGroups())))
    return failure();
  int64_t groupSize;
  if (failed(verifyQuantizedWeight(*this, w.getElementType(), w.getShape(),
                                   /*allowGroups=*/false, groupSize)))
    return failure();
  int64_t f = w.getDimSize(0);
  if (failed(
          verifyBias(*this, getBias(), f, IntegerType::get(getContext(), 32))))
    return failure();
  if (failed(verifyQuantizedResult(*this, out.getElementType(), f, groupSize,
                                   getMultiplier(), getShift(),
                                   getActivation())))
    return failure();
  return verifyActivation(*this, getActivation(), getClampMin(), getClampMax());
}

int64_t QuantizedConv2DOp::getReductionSize() {
  return convReductionSize(getWeight().getType().getShape());
}

int64_t QuantizedConv2DOp::getOutputChannels() {
  return getWeight().getType().getDimSize(0);
}

OpOperand *BlockScaledLinearOp::getBiasOperand() {
  // The block scales are applied per K block; there is no bias.
  return nullptr;
}

LogicalResult BlockScaledLinearOp::verify() {
  auto in = getInput().getType(), w = getWeight().getType();
  auto xs = getInputScale().getType(), ws = getWeightScale().getType();
  auto out = getOutput().getType();
  ArrayRef<int64_t> block = getBlock();
  if (block.size() != 2 || block[0] <= 0 || block[1] <= 0)
    return emitOpError("block must be two positive sizes [bn, bk]");
  if (failed(verifyLinearShapes(*this, in.getShape(), w.getShape(),
                                out.getShape(), /*allowBatched=*/false)))
    return failure();
  int64_t n = w.getDimSize(0), k = w.getDimSize(1);
  int64_t bn = block[0], bk = block[1];
  // Edge blocks may be partial; block counts of dynamic dims are dynamic.
  int64_t nb =
      ShapedType::isDynamic(n) ? ShapedType::kDynamic : llvm::divideCeil(n, bn);
  int64_t kb =
      ShapedType::isDynamic(k) ? ShapedType::kDynamic : llvm::divideCeil(k, bk);
  if (ws.getRank() != 2 || !compatible(ws.getDimSize(0), nb) ||
      !compatible(ws.getDimSize(1), kb))
    return emitOpError("weight scale must be [ceil(N / bn), ceil(K / bk)] = ")
           << shapeStr({nb, kb}) << ", got " << shapeStr(ws.getShape());
  auto inShape = in.getShape();
  if (xs.getRank() != in.getRank())
    return emitOpError("input scale must have the input's rank");
  for (int64_t i = 0; i + 1 < in.getRank(); ++i)
    if (!compatible(xs.getDimSize(i), inShape[i]))
      return emitOpError("input scale must be [..., ceil(K / bk)], got ")
             << shapeStr(xs.getShape());
  if (!compatible(xs.getShape().back(), kb))
    return emitOpError("input scale must be [..., ceil(K / bk)], got ")
           << shapeStr(xs.getShape());
  return success();
}

//===----------------------------------------------------------------------===//
// SparseLinearOp
//===----------------------------------------------------------------------===//

/// Parses `(`,` `offsets` type)? (`,` `bias` type)?`. Both groups open with
/// a comma, so a declarative format would commit to `offsets` on the comma
/// and reject `, bias T` alone; the keyword after the comma decides here.
static ParseResult parseOffsetsAndBiasTypes(OpAsmParser &parser,
                                            Type &offsetsType, Type &biasType) {
  if (failed(parser.parseOptionalComma()))
    return success();
  if (succeeded(parser.parseOptionalKeyword("offsets"))) {
    if (parser.parseType(offsetsType))
      return failure();
    if (failed(parser.parseOptionalComma()))
      return success();
  }
  if (parser.parseKeyword("bias") || parser.parseType(biasType))
    return failure();
  return success();
}

static void printOffsetsAndBiasTypes(OpAsmPrinter &p, Operation *,
                                     Type offsetsType, Type biasType) {
  if (offsetsType)
    p << ", offsets " << offsetsType;
  if (biasType)
    p << ", bias " << biasType;
}

OpOperand *SparseLinearOp::getWeightOperand() {
  // The weight is stored compressed: values, indices and offsets.
  return nullptr;
}

LogicalResult SparseLinearOp::verify() {
  auto in = getInput().getType(), vals = getValues().getType(),
       idx = getIndices().getType(), out = getOutput().getType();
  ArrayRef<int64_t> ws = getWeightShape();
  if (ws.size() != 2 || ws[0] <= 0 || ws[1] <= 0)
    return emitOpError("weight_shape must be two positive sizes [N, K]");
  int64_t n = ws[0], k = ws[1];
  if (failed(verifyLinearShapes(*this, in.getShape(), ws, out.getShape(),
                                /*allowBatched=*/false)))
    return failure();

  Type valElt = vals.getElementType();
  Type biasElt = in.getElementType();
  if (std::optional<ArrayRef<float>> cs = getChannelScales()) {
    if (!valElt.isSignlessInteger(8))
      return emitOpError("channel_scales need signless i8 values");
    if ((int64_t)cs->size() != n)
      return emitOpError("channel_scales has ")
             << cs->size() << " scales for " << n << " output channels";
    if (llvm::any_of(*cs, [](float s) { return !(s > 0.0f) || std::isinf(s); }))
      return emitOpError("channel_scales must be positive and finite");
  } else if (valElt.isSignlessInteger(8)) {
    return emitOpError("i8 values without channel_scales: use a "
                       "!quant.uniform element type");
  }
  if (isa<quant::QuantizedType>(valElt) || getChannelScales()) {
    if (failed(verifyQuantizedInput(*this, in.getElementType())))
      return failure();
    auto qt = dyn_cast<quant::QuantizedType>(valElt);
    if (qt &&
        (!isa<quant::UniformQuantizedType, quant::UniformQuantizedPerAxisType>(
             qt) ||
         qt.getStorageTypeIntegralWidth() != 8 || !qt.isSigned()))
      return emitOpError("quantized values must be i8 per tensor or per "
                         "output channel");
    if (auto pa = dyn_cast_if_present<quant::UniformQuantizedPerAxisType>(qt)) {
      // The axis names a dim of the dense [N, K] weight, not of `values`.
      if (pa.getQuantizedDimension() != 0)
        return emitOpError("per-axis value scales must be along the output "
                           "channels (axis 0 of the dense weight)");
      if ((int64_t)pa.getScales().size() != n)
        return emitOpError("values have ")
               << pa.getScales().size() << " scales for " << n
               << " output channels";
    }
    biasElt = IntegerType::get(getContext(), 32);
  } else {
    if (valElt != in.getElementType() || out.getElementType() != valElt)
      return emitOpError("values, input and result must share one float "
                         "element type");
  }
  if (failed(verifyBias(*this, getBias(), n, biasElt)))
    return failure();

  SparseEncodingAttr enc = getEncoding();
  auto i32 = [](Type t) { return isSignedInteger(t, 32); };
  Value offsets = getOffsets();
  switch (enc.getFormat()) {
  case SparseFormat::csr:
  case SparseFormat::bsr: {
    bool bsr = enc.getFormat() == SparseFormat::bsr;
    int64_t r = bsr ? enc.getBlockRows() : 1, c = bsr ? enc.getBlockCols() : 1;
    if (n % r != 0 || k % c != 0)
      return emitOpError("block ")
             << r << "x" << c << " does not tile the weight " << n << "x" << k;
    if (!offsets)
      return emitOpError("csr and bsr need an offsets operand");
    auto off = cast<RankedTensorType>(offsets.getType());
    if (off.getRank() != 1 || !compatible(off.getDimSize(0), n / r + 1))
      return emitOpError("offsets must be [")
             << n / r + 1 << "] x i32, got " << shapeStr(off.getShape());
    if (idx.getRank() != 1 || !i32(idx.getElementType()))
      return emitOpError("indices must be a rank-1 i32 tensor");
    int64_t wantRank = bsr ? 3 : 1;
    if (vals.getRank() != wantRank)
      return emitOpError("values must have rank ") << wantRank;
    if (!compatible(vals.getDimSize(0), idx.getDimSize(0)))
      return emitOpError("values and indices must have the same length");
    if (bsr && (!compatible(vals.getDimSize(1), r) ||
                !compatible(vals.getDimSize(2), c)))
      return emitOpError("bsr values must be [nnzb, ") << r << ", " << c << "]";
    break;
  }
  case SparseFormat::nm: {
    int64_t nn = enc.getN(), m = enc.getM();
    if (k % m != 0)
      return emitOpError("group size m = ")
             << m << " does not divide K = " << k;
    if (offsets)
      return emitOpError("nm takes no offsets operand");
    SmallVector<int64_t> want = {n, k / m * nn};
    if (vals.getRank() != 2 || !compatible(vals.getDimSize(0), want[0]) ||
        !compatible(vals.getDimSize(1), want[1]))
      return emitOpError("nm values must be ")
             << shapeStr(want) << ", got " << shapeStr(vals.getShape());
    Type idxElt = idx.getElementType();
    if (isSignedInteger(idxElt, 16)) {
      // Packed 2-bit positions, eight to a word.
      if (m > 4)
        return emitOpError("packed 2-bit nm indices need m <= 4, got m = ")
               << m;
      SmallVector<int64_t> words = {n, getPackedNMWords(want[1])};
      if (idx.getRank() != 2 || !compatible(idx.getDimSize(0), words[0]) ||
          !compatible(idx.getDimSize(1), words[1]))
        return emitOpError("packed nm indices must be ")
               << shapeStr(words) << " x i16, got " << shapeStr(idx.getShape());
    } else if (idx.getShape() != vals.getShape() ||
               !isSignedInteger(idxElt, 8)) {
      return emitOpError("nm indices must be i8 shaped like the values, or "
                         "i16 packed 2-bit positions");
    }
    break;
  }
  }
  return verifyActivation(*this, getActivation(), getClampMin(), getClampMax());
}

#define GET_OP_CLASSES
#include "effc/Dialect/EffcOps.cpp.inc"

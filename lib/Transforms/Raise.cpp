//===- Raise.cpp - upstream compute ops to effc ops -------------*- C++ -*-===//
//
// Recognizes linalg and tosa matmuls and convolutions (and the bias-add and
// activation generics that follow them) and raises them to effc ops, which
// compression passes and the effc backends work on.
//
//===----------------------------------------------------------------------===//

#include "RaiseImpl.h"

#include "effc/Dialect/EffcOps.h"
#include "effc/Support/LinalgBuilders.h"
#include "effc/Support/WeightData.h"
#include "effc/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Quant/IR/Quant.h"
#include "mlir/Dialect/Quant/IR/QuantTypes.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Tosa/IR/TosaOps.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "llvm/ADT/StringMap.h"

#include <cmath>
#include <cstring>

namespace mlir {
namespace effc {
#define GEN_PASS_DEF_RAISEPASS
#include "effc/Transforms/Passes.h.inc"
} // namespace effc
} // namespace mlir

using namespace mlir;
using namespace mlir::effc;
using namespace mlir::effc::raise;

namespace {

//===----------------------------------------------------------------------===//
// Operand helpers
//===----------------------------------------------------------------------===//

/// A quantized constant weight as a QDQ model (ONNX DequantizeLinear,
/// quantization-aware training) spells it: quant.dcast of quant.scast of an
/// integer constant, per tensor or per axis. Returns the dcast.
quant::DequantizeCastOp getQdqWeight(Value v) {
  auto dcast = v.getDefiningOp<quant::DequantizeCastOp>();
  if (!dcast)
    return {};
  auto scast = dcast.getInput().getDefiningOp<quant::StorageCastOp>();
  Type elt = getElementTypeOrSelf(dcast.getInput().getType());
  if (!scast || !matchPattern(scast.getInput(), m_Constant()) ||
      !isa<quant::UniformQuantizedType, quant::UniformQuantizedPerAxisType>(
          elt))
    return {};
  return dcast;
}

} // namespace

bool raise::isWeightSource(Value v) {
  if (matchPattern(v, m_Constant()) || getQdqWeight(v))
    return true;
  if (auto arg = dyn_cast<BlockArgument>(v))
    return isa<FunctionOpInterface>(arg.getOwner()->getParentOp());
  return false;
}

/// A per-axis quantized dimension moves with the permutation.
Value raise::permute(PatternRewriter &rewriter, Location loc, Value v,
                     ArrayRef<int64_t> perm) {
  DenseElementsAttr cst;
  if (matchPattern(v, m_Constant(&cst)) &&
      cst.getElementType().getIntOrFloatBitWidth() % 8 == 0) {
    DenseElementsAttr t = permuteConstant(cst, perm);
    return arith::ConstantOp::create(rewriter, loc, t.getType(), t);
  }
  if (quant::DequantizeCastOp dcast = getQdqWeight(v)) {
    auto scast = dcast.getInput().getDefiningOp<quant::StorageCastOp>();
    DenseElementsAttr raw;
    if (matchPattern(scast.getInput(), m_Constant(&raw)) &&
        raw.getElementType().getIntOrFloatBitWidth() % 8 == 0) {
      DenseElementsAttr t = permuteConstant(raw, perm);
      Type qt = getElementTypeOrSelf(dcast.getInput().getType());
      if (auto axis = dyn_cast<quant::UniformQuantizedPerAxisType>(qt)) {
        int32_t newDim =
            llvm::find(perm, axis.getQuantizedDimension()) - perm.begin();
        qt = quant::UniformQuantizedPerAxisType::get(
            axis.getFlags(), axis.getStorageType(), axis.getExpressedType(),
            axis.getScales(), axis.getZeroPoints(), newDim,
            axis.getStorageTypeMin(), axis.getStorageTypeMax());
      }
      Value c = arith::ConstantOp::create(rewriter, loc, t.getType(), t);
      Value q = quant::StorageCastOp::create(
          rewriter, loc, cast<RankedTensorType>(t.getType()).clone(qt), c);
      auto outTy = cast<RankedTensorType>(dcast.getType());
      SmallVector<int64_t> shape;
      for (int64_t p : perm)
        shape.push_back(outTy.getDimSize(p));
      return quant::DequantizeCastOp::create(rewriter, loc, outTy.clone(shape),
                                             q);
    }
  }
  auto type = cast<RankedTensorType>(v.getType());
  SmallVector<OpFoldResult> sizes;
  for (int64_t p : perm)
    sizes.push_back(tensor::getMixedSize(rewriter, loc, v, p));
  Value init =
      tensor::EmptyOp::create(rewriter, loc, sizes, type.getElementType());
  return linalg::TransposeOp::create(rewriter, loc, v, init, perm)
      .getResult()[0];
}

namespace {

/// If `v` is `linalg.transpose(x)` with permutation `perm`, returns x.
Value stripTranspose(Value v, ArrayRef<int64_t> perm) {
  if (auto t = v.getDefiningOp<linalg::TransposeOp>())
    if (t.getPermutation() == perm)
      return t.getInput();
  return {};
}

/// If `v` is a 2-D tensor broadcast along a new leading batch dim by a
/// copying linalg.generic (torch-mlir's nn.Linear on a rank-3 input with a
/// dynamic batch: batch_matmul(x, broadcast(W^T))), returns the 2-D tensor.
Value stripBatchBroadcast(Value v) {
  auto g = v.getDefiningOp<linalg::GenericOp>();
  if (!g || g.getNumDpsInputs() != 1 || g.getNumDpsInits() != 1 ||
      g.getNumLoops() != 3 || g.getNumParallelLoops() != 3)
    return {};
  auto yield = cast<linalg::YieldOp>(g.getRegion().front().getTerminator());
  if (yield.getValues().size() != 1 ||
      yield.getValues()[0] != g.getRegion().front().getArgument(0))
    return {};
  MLIRContext *ctx = g.getContext();
  AffineMap in = AffineMap::get(
      3, 0, {getAffineDimExpr(1, ctx), getAffineDimExpr(2, ctx)}, ctx);
  auto maps = g.getIndexingMapsArray();
  if (maps[0] != in || !maps[1].isIdentity())
    return {};
  return g.getDpsInputs()[0];
}

/// If `v` is a constant [B, ...] tensor whose B slices are all equal (a
/// weight broadcast over a static batch, folded: what --effc-specialize
/// makes of torch-mlir's nn.Linear on a rank-3 input), the first slice.
std::optional<DenseElementsAttr> batchInvariantSlice(Value v) {
  DenseElementsAttr attr;
  if (!matchPattern(v, m_Constant(&attr)))
    return std::nullopt;
  auto t = cast<RankedTensorType>(attr.getType());
  if (t.getRank() != 3 || t.getDimSize(0) < 2)
    return std::nullopt;
  auto sliceTy =
      RankedTensorType::get(t.getShape().drop_front(), t.getElementType());
  if (attr.isSplat())
    return attr.resizeSplat(sliceTy);
  ArrayRef<char> raw = attr.getRawData();
  int64_t bits = t.getElementTypeBitWidth();
  if (bits % 8)
    return std::nullopt;
  size_t sliceBytes = sliceTy.getNumElements() * (bits / 8);
  if (raw.size() != sliceBytes * t.getDimSize(0))
    return std::nullopt;
  for (int64_t i = 1; i < t.getDimSize(0); ++i)
    if (std::memcmp(raw.data(), raw.data() + i * sliceBytes, sliceBytes))
      return std::nullopt;
  return DenseElementsAttr::getFromRawBuffer(sliceTy,
                                             raw.take_front(sliceBytes));
}

} // namespace

bool raise::isZeroInit(Value init) {
  if (auto fill = init.getDefiningOp<linalg::FillOp>())
    return matchPattern(fill.getInputs()[0], m_AnyZeroFloat());
  return matchPattern(init, m_AnyZeroFloat());
}

bool raise::isFloatTensor(Value v) {
  // Dynamic dims are allowed: a server's batch and sequence lengths. A
  // weight's dims are static wherever it matters (isWeightSource, the
  // effc ops' verifiers).
  auto t = dyn_cast<RankedTensorType>(v.getType());
  return t && isa<FloatType>(t.getElementType());
}

bool raise::isStaticFloatTensor(Value v) {
  return isFloatTensor(v) &&
         cast<RankedTensorType>(v.getType()).hasStaticShape();
}

namespace {

//===----------------------------------------------------------------------===//
// Matmuls
//===----------------------------------------------------------------------===//

/// Which operand layout a 2-D or batched matmul reads, from its maps.
struct MatmulLayout {
  bool transA = false, transB = false;
};

std::optional<MatmulLayout> classifyMaps(ArrayRef<AffineMap> maps,
                                         bool batched) {
  if (maps.size() != 3)
    return std::nullopt;
  MLIRContext *ctx = maps[0].getContext();
  unsigned nd = batched ? 4 : 3;
  SmallVector<AffineExpr> d;
  for (unsigned i = 0; i < nd; ++i)
    d.push_back(getAffineDimExpr(i, ctx));
  auto mk = [&](std::initializer_list<int> idx) {
    SmallVector<AffineExpr> r;
    for (int i : idx)
      r.push_back(d[i]);
    return AffineMap::get(nd, 0, r, ctx);
  };
  // Dims: (b,) m, n, k.
  int o = batched ? 1 : 0;
  auto withB = [&](int x, int y) {
    return batched ? mk({0, x + o, y + o}) : mk({x, y});
  };
  if (maps[2] != withB(0, 1))
    return std::nullopt;
  MatmulLayout l;
  if (maps[0] == withB(0, 2))
    l.transA = false;
  else if (maps[0] == withB(2, 0))
    l.transA = true;
  else
    return std::nullopt;
  if (maps[1] == withB(2, 1))
    l.transB = false;
  else if (maps[1] == withB(1, 2))
    l.transB = true;
  else
    return std::nullopt;
  return l;
}

/// Raises a matmul-like op computing [(B,) M, N] = A x B into effc.linear.
/// `a`/`b` are the operands as the op reads them through `layout`.
LogicalResult raiseMatmul(PatternRewriter &rewriter, Operation *op, Value a,
                          Value b, MatmulLayout layout, bool batched) {
  Location loc = op->getLoc();
  // A weight broadcast over a (dynamic) batch is a plain 2-D weight.
  if (batched && !layout.transA && !layout.transB) {
    if (Value w = stripBatchBroadcast(b); w && isWeightSource(w)) {
      batched = false;
      b = w;
    } else if (std::optional<DenseElementsAttr> slice =
                   batchInvariantSlice(b)) {
      batched = false;
      b = arith::ConstantOp::create(rewriter, loc, *slice);
    }
  }
  SmallVector<int64_t> swap =
      batched ? SmallVector<int64_t>{0, 2, 1} : SmallVector<int64_t>{1, 0};
  // The weight effc wants is [(B,) N, K].
  Value weight;
  if (layout.transB) {
    if (!isWeightSource(b))
      return failure();
    weight = b;
  } else if (Value w = stripTranspose(b, swap); w && isWeightSource(w)) {
    weight = w; // B = transpose(W) with W already [N, K]
  } else if (isWeightSource(b)) {
    weight = permute(rewriter, loc, b, swap);
  } else {
    return failure();
  }
  // Only activations take dynamic (batch, sequence) dims: effc ops keep a
  // weight's N and K static.
  if (!cast<RankedTensorType>(weight.getType()).hasStaticShape())
    return failure();
  Value input = layout.transA ? permute(rewriter, loc, a, swap) : a;
  auto resTy = cast<RankedTensorType>(op->getResult(0).getType());
  // A batch of one (TOSA's matmul is always batched: torch-mlir writes every
  // nn.Linear as [1, M, K] x [1, K, N]) is a plain [N, K] weight applied to
  // a rank-3 input, which every precision and compression takes.
  auto wTy = cast<RankedTensorType>(weight.getType());
  if (batched && wTy.getDimSize(0) == 1 && resTy.getDimSize(0) == 1)
    weight = buildReshape(rewriter, loc, weight,
                          RankedTensorType::get(wTy.getShape().drop_front(),
                                                wTy.getElementType()));
  rewriter.replaceOpWithNewOp<LinearOp>(
      op, resTy, input, weight, Value(),
      ActivationAttr::get(rewriter.getContext(), Activation::none), FloatAttr(),
      FloatAttr());
  return success();
}

/// linalg.matmul (`batched` = false) and linalg.batch_matmul (true) on
/// float tensors of one element type, accumulating into zeros.
template <typename OpTy, bool batched>
struct RaiseLinalgContraction : OpRewritePattern<OpTy> {
  using OpRewritePattern<OpTy>::OpRewritePattern;
  LogicalResult matchAndRewrite(OpTy op,
                                PatternRewriter &rewriter) const override {
    if (!op.hasPureTensorSemantics() || op->getNumResults() != 1 ||
        !llvm::all_of(op->getOperands(), isFloatTensor) ||
        !isZeroInit(op.getOutputs()[0]))
      return failure();
    Type elt = getElementTypeOrSelf(op->getResult(0).getType());
    if (llvm::any_of(op->getOperands(), [&](Value v) {
          return getElementTypeOrSelf(v.getType()) != elt;
        }))
      return failure();
    auto layout = classifyMaps(op.getIndexingMapsArray(), batched);
    if (!layout)
      return failure();
    return raiseMatmul(rewriter, op, op.getInputs()[0], op.getInputs()[1],
                       *layout, batched);
  }
};
using RaiseLinalgMatmul = RaiseLinalgContraction<linalg::MatmulOp, false>;
using RaiseLinalgBatchMatmul =
    RaiseLinalgContraction<linalg::BatchMatmulOp, true>;

/// Float TOSA zero points are zero constants; anything else is not raised.
bool isZeroZp(Value zp) { return matchPattern(zp, m_AnyZeroFloat()); }

struct RaiseTosaMatmul : OpRewritePattern<tosa::MatMulOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(tosa::MatMulOp op,
                                PatternRewriter &rewriter) const override {
    if (!isFloatTensor(op.getA()) || !isFloatTensor(op.getB()) ||
        !isFloatTensor(op.getOutput()) || !isZeroZp(op.getAZp()) ||
        !isZeroZp(op.getBZp()) ||
        getElementTypeOrSelf(op.getA().getType()) !=
            getElementTypeOrSelf(op.getOutput().getType()))
      return failure();
    return raiseMatmul(rewriter, op, op.getA(), op.getB(), MatmulLayout(),
                       /*batched=*/true);
  }
};

//===----------------------------------------------------------------------===//
// Convolutions
//===----------------------------------------------------------------------===//

} // namespace

Value raise::absorbPad(Value input, SmallVector<int64_t> &padding,
                       unsigned hDim) {
  padding.assign(4, 0);
  auto pad = input.getDefiningOp<tensor::PadOp>();
  if (!pad)
    return input;
  Value padValue = pad.getConstantPaddingValue();
  if (!padValue || !matchPattern(padValue, m_AnyZeroFloat()))
    return input;
  auto lo = pad.getStaticLow(), hi = pad.getStaticHigh();
  if (lo.size() != 4 || llvm::any_of(lo, ShapedType::isDynamic) ||
      llvm::any_of(hi, ShapedType::isDynamic))
    return input;
  for (unsigned d = 0; d < 4; ++d)
    if (d != hDim && d != hDim + 1 && (lo[d] != 0 || hi[d] != 0))
      return input;
  padding = {lo[hDim], hi[hDim], lo[hDim + 1], hi[hDim + 1]};
  return pad.getSource();
}

Value raise::createConv(PatternRewriter &rewriter, Location loc,
                        Type resultType, Value input, Value weight, Value bias,
                        ArrayRef<int64_t> strides, ArrayRef<int64_t> dilations,
                        ArrayRef<int64_t> padding, int64_t groups) {
  auto conv = Conv2DOp::create(
      rewriter, loc, resultType, input, weight, bias,
      rewriter.getDenseI64ArrayAttr(strides),
      rewriter.getDenseI64ArrayAttr(dilations),
      rewriter.getDenseI64ArrayAttr(padding),
      rewriter.getI64IntegerAttr(groups),
      ActivationAttr::get(rewriter.getContext(), Activation::none), FloatAttr(),
      FloatAttr());
  return conv.getResult();
}

namespace {

SmallVector<int64_t> denseToVec(DenseIntElementsAttr attr, int64_t def,
                                int64_t n) {
  if (!attr)
    return SmallVector<int64_t>(n, def);
  return llvm::to_vector(attr.getValues<int64_t>());
}

struct RaiseConvNhwcHwcf : OpRewritePattern<linalg::Conv2DNhwcHwcfOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(linalg::Conv2DNhwcHwcfOp op,
                                PatternRewriter &rewriter) const override {
    if (!op.hasPureTensorSemantics() ||
        !llvm::all_of(op->getOperands(), isStaticFloatTensor) ||
        !isZeroInit(op.getOutputs()[0]) || !isWeightSource(op.getInputs()[1]))
      return failure();
    SmallVector<int64_t> padding;
    Value input = absorbPad(op.getInputs()[0], padding, /*hDim=*/1);
    // [KH, KW, C, F] -> [F, KH, KW, C]
    Value w = permute(rewriter, op.getLoc(), op.getInputs()[1], {3, 0, 1, 2});
    Value conv =
        createConv(rewriter, op->getLoc(), op->getResult(0).getType(), input, w,
                   Value(), denseToVec(op.getStrides(), 1, 2),
                   denseToVec(op.getDilations(), 1, 2), padding, 1);
    rewriter.replaceOp(op, conv);
    return success();
  }
};

struct RaiseDepthwiseNhwcHwc
    : OpRewritePattern<linalg::DepthwiseConv2DNhwcHwcOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(linalg::DepthwiseConv2DNhwcHwcOp op,
                                PatternRewriter &rewriter) const override {
    if (!op.hasPureTensorSemantics() ||
        !llvm::all_of(op->getOperands(), isStaticFloatTensor) ||
        !isZeroInit(op.getOutputs()[0]) || !isWeightSource(op.getInputs()[1]))
      return failure();
    SmallVector<int64_t> padding;
    Value input = absorbPad(op.getInputs()[0], padding, /*hDim=*/1);
    auto wTy = cast<RankedTensorType>(op.getInputs()[1].getType());
    int64_t kh = wTy.getDimSize(0), kw = wTy.getDimSize(1),
            c = wTy.getDimSize(2);
    // [KH, KW, C] -> [C, KH, KW] -> [C, KH, KW, 1]
    Value w = permute(rewriter, op.getLoc(), op.getInputs()[1], {2, 0, 1});
    w = buildReshape(
        rewriter, op.getLoc(), w,
        RankedTensorType::get({c, kh, kw, 1}, wTy.getElementType()));
    Value conv =
        createConv(rewriter, op->getLoc(), op->getResult(0).getType(), input, w,
                   Value(), denseToVec(op.getStrides(), 1, 2),
                   denseToVec(op.getDilations(), 1, 2), padding, c);
    rewriter.replaceOp(op, conv);
    return success();
  }
};

/// A TOSA bias of one element broadcasts; effc wants one per channel.
Value tosaBias(PatternRewriter &rewriter, Location loc, Value bias,
               int64_t channels) {
  auto bTy = cast<RankedTensorType>(bias.getType());
  if (bTy.getDimSize(0) == channels)
    return bias;
  if (matchPattern(bias, m_AnyZeroFloat()))
    return Value();
  DenseElementsAttr cst;
  if (matchPattern(bias, m_Constant(&cst)) && cst.isSplat()) {
    auto t = RankedTensorType::get({channels}, bTy.getElementType());
    return arith::ConstantOp::create(
        rewriter, loc, t,
        DenseElementsAttr::get(t, cst.getSplatValue<Attribute>()));
  }
  return nullptr;
}

struct RaiseTosaConv2D : OpRewritePattern<tosa::Conv2DOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(tosa::Conv2DOp op,
                                PatternRewriter &rewriter) const override {
    if (!isStaticFloatTensor(op.getInput()) ||
        !isStaticFloatTensor(op.getWeight()) ||
        !isStaticFloatTensor(op.getOutput()) || !isZeroZp(op.getInputZp()) ||
        !isZeroZp(op.getWeightZp()) || !isWeightSource(op.getWeight()))
      return failure();
    Type elt = getElementTypeOrSelf(op.getInput().getType());
    if (getElementTypeOrSelf(op.getOutput().getType()) != elt ||
        getElementTypeOrSelf(op.getBias().getType()) != elt)
      return failure();
    int64_t f = cast<RankedTensorType>(op.getWeight().getType()).getDimSize(0);
    Value bias = tosaBias(rewriter, op.getLoc(), op.getBias(), f);
    if (!bias && !matchPattern(op.getBias(), m_AnyZeroFloat()))
      return failure();
    // TOSA's weight is already [F, KH, KW, C]; pad is [top, bottom, left,
    // right] like effc's.
    Value conv = createConv(rewriter, op->getLoc(), op->getResult(0).getType(),
                            op.getInput(), op.getWeight(), bias, op.getStride(),
                            op.getDilation(), op.getPad(), 1);
    rewriter.replaceOp(op, conv);
    return success();
  }
};

struct RaiseTosaDepthwise : OpRewritePattern<tosa::DepthwiseConv2DOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(tosa::DepthwiseConv2DOp op,
                                PatternRewriter &rewriter) const override {
    if (!isStaticFloatTensor(op.getInput()) ||
        !isStaticFloatTensor(op.getWeight()) ||
        !isStaticFloatTensor(op.getOutput()) || !isZeroZp(op.getInputZp()) ||
        !isZeroZp(op.getWeightZp()) || !isWeightSource(op.getWeight()))
      return failure();
    Type elt = getElementTypeOrSelf(op.getInput().getType());
    if (getElementTypeOrSelf(op.getOutput().getType()) != elt ||
        getElementTypeOrSelf(op.getBias().getType()) != elt)
      return failure();
    auto wTy = cast<RankedTensorType>(op.getWeight().getType());
    int64_t kh = wTy.getDimSize(0), kw = wTy.getDimSize(1),
            c = wTy.getDimSize(2), mult = wTy.getDimSize(3);
    Value bias = tosaBias(rewriter, op.getLoc(), op.getBias(), c * mult);
    if (!bias && !matchPattern(op.getBias(), m_AnyZeroFloat()))
      return failure();
    // [KH, KW, C, M] -> [C, M, KH, KW] -> [C * M, KH, KW, 1]: output
    // channel c * M + m reads input channel c.
    Value w = permute(rewriter, op.getLoc(), op.getWeight(), {2, 3, 0, 1});
    w = buildReshape(rewriter, op.getLoc(), w,
                     RankedTensorType::get({c * mult, kh, kw, 1}, elt));
    Value conv = createConv(rewriter, op->getLoc(), op->getResult(0).getType(),
                            op.getInput(), w, bias, op.getStride(),
                            op.getDilation(), op.getPad(), c);
    rewriter.replaceOp(op, conv);
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Bias and activation folding
//===----------------------------------------------------------------------===//

/// The effc op whose result feeds `v`, if `v` is its only use.
template <typename OpTy> OpTy producerFor(Value v) {
  auto op = v.getDefiningOp<OpTy>();
  if (!op || !op->hasOneUse())
    return nullptr;
  return op;
}

bool isElementwise(linalg::GenericOp g) {
  return g.getNumDpsInits() == 1 && g->getNumResults() == 1 &&
         g.getNumLoops() > 0 && g.getNumLoops() == g.getNumParallelLoops() &&
         g.getIndexingMapsArray().back().isIdentity() &&
         g.hasPureTensorSemantics();
}

/// The channel dim of the op's result (last for linear, 3 for NHWC conv).
int64_t channelDim(Operation *op) {
  return cast<RankedTensorType>(op->getResult(0).getType()).getRank() - 1;
}

/// The value of an operand that is a scalar splat constant (a rank-0 or
/// broadcast splat), as frontends pass the 0 of relu or the 6 of relu6.
std::optional<double> scalarSplat(Value v) {
  DenseElementsAttr cst;
  if (!matchPattern(v, m_Constant(&cst)) || !cst.isSplat() ||
      !isa<FloatType>(cst.getElementType()))
    return std::nullopt;
  return cst.getSplatValue<APFloat>().convertToDouble();
}

/// One elementwise generic reading the result of an effc op of type OpTy
/// (as an input or as its init) plus, optionally, a per-channel bias
/// vector and scalar splat constants.
template <typename OpTy> struct Epilogue {
  OpTy producer;
  BlockArgument accArg;
  Value bias;                        // the [C] bias operand, if any
  BlockArgument biasArg;             // its block argument
  llvm::DenseMap<Value, double> env; // scalar constants, bound
};

template <typename OpTy>
std::optional<Epilogue<OpTy>> matchEpilogue(linalg::GenericOp g) {
  if (!isElementwise(g))
    return std::nullopt;
  Epilogue<OpTy> e;
  Block &body = g.getRegion().front();
  auto maps = g.getIndexingMapsArray();
  Type resTy = g.getResult(0).getType();
  for (OpOperand &operand : g->getOpOperands()) {
    unsigned idx = operand.getOperandNumber();
    BlockArgument arg = body.getArgument(idx);
    bool isInit = idx >= g.getNumDpsInputs();
    if (isInit && arg.use_empty())
      continue; // an init the body never reads
    Value v = operand.get();
    if (!e.producer && maps[idx].isIdentity() && v.getType() == resTy)
      if (OpTy p = producerFor<OpTy>(v)) {
        e.producer = p;
        e.accArg = arg;
        continue;
      }
    if (std::optional<double> c = scalarSplat(v)) {
      e.env[arg] = *c;
      continue;
    }
    if (!e.bias && !isInit) {
      auto t = cast<RankedTensorType>(v.getType());
      if (t.getRank() == 1 && maps[idx].getNumResults() == 1 &&
          maps[idx].getResult(0) ==
              getAffineDimExpr(channelDim(g), g.getContext())) {
        e.bias = v;
        e.biasArg = arg;
        continue;
      }
    }
    return std::nullopt;
  }
  if (!e.producer || e.producer.getResult().getType() != resTy)
    return std::nullopt;
  return e;
}

/// Folds the recognized epilogue into a clone of the producer.
template <typename OpTy>
void foldEpilogue(PatternRewriter &rewriter, linalg::GenericOp g, OpTy producer,
                  Value bias, Activation act, double lo, double hi) {
  rewriter.setInsertionPoint(g);
  auto fused = cast<OpTy>(rewriter.clone(*producer));
  if (bias)
    fused.getBiasMutable().assign(bias);
  fused.setActivation(act);
  if (act == Activation::clamp) {
    fused.setClampMinAttr(rewriter.getF32FloatAttr(lo));
    fused.setClampMaxAttr(rewriter.getF32FloatAttr(hi));
  } else {
    fused.removeClampMinAttr();
    fused.removeClampMaxAttr();
  }
  rewriter.replaceOp(g, fused->getResults());
  rewriter.eraseOp(producer);
}

/// act(acc + bias[c]) as one generic (the bias may be the generic's input
/// and acc its init, as an in-place bias-add writes it) -> the effc op's
/// bias operand and fused activation.
template <typename OpTy> struct FoldBias : OpRewritePattern<linalg::GenericOp> {
  using OpRewritePattern<linalg::GenericOp>::OpRewritePattern;
  LogicalResult matchAndRewrite(linalg::GenericOp g,
                                PatternRewriter &rewriter) const override {
    auto e = matchEpilogue<OpTy>(g);
    if (!e || !e->bias || e->producer.getBias() ||
        e->producer.getActivation() != Activation::none)
      return failure();
    auto biasTy = cast<RankedTensorType>(e->bias.getType());
    if (biasTy.getElementType() != getElementTypeOrSelf(e->producer.getType()))
      return failure();
    // The add of acc and bias; everything after it must be an activation
    // of the sum alone.
    arith::AddFOp add;
    for (Operation &op : g.getRegion().front())
      if (auto a = dyn_cast<arith::AddFOp>(op))
        if ((a.getLhs() == e->accArg && a.getRhs() == e->biasArg) ||
            (a.getRhs() == e->accArg && a.getLhs() == e->biasArg)) {
          add = a;
          break;
        }
    if (!add)
      return failure();
    Block &body = g.getRegion().front();
    auto f = [&](double x) {
      llvm::DenseMap<Value, double> env = e->env;
      env[add] = x;
      return evalBody(body, env);
    };
    // The add itself or anything before it must not read other values.
    for (Operation &op : body) {
      if (&op == add.getOperation())
        break;
      if (!isa<arith::ConstantOp>(op))
        return failure();
    }
    Activation act = Activation::none;
    double lo = 0, hi = 0;
    bool identity = true;
    for (int i = -8; i <= 8; ++i) {
      std::optional<double> y = f(i * 0.7 + 0.01);
      if (!y || *y != i * 0.7 + 0.01) {
        identity = false;
        break;
      }
    }
    if (!identity) {
      auto r = recognizeActivation(f);
      if (!r)
        return failure();
      std::tie(act, lo, hi) = *r;
    }
    foldEpilogue(rewriter, g, e->producer, e->bias, act, lo, hi);
    return success();
  }
};

/// act(acc) as one or several elementwise generics that read only the
/// effc op's result, each other and scalar constants (GELU as torch-mlir's
/// TOSA form writes it: mul, erf, add, mul, mul; ReLU6 as a max then a min;
/// SiLU as a sigmoid then a mul) -> the effc op's fused activation,
/// composed with the one it has. The chain is evaluated as a whole on
/// sample points, so it does not matter how it was split or spelled.
template <typename OpTy> struct FoldActivation : OpRewritePattern<OpTy> {
  using OpRewritePattern<OpTy>::OpRewritePattern;
  static constexpr unsigned kMaxChain = 8;

  LogicalResult matchAndRewrite(OpTy op,
                                PatternRewriter &rewriter) const override {
    Value root = op.getResult();
    Type type = root.getType();
    Block *block = op->getBlock();
    SmallVector<linalg::GenericOp> chain;
    llvm::DenseSet<Value> inChain{root};
    SmallVector<Value> queue{root};
    while (!queue.empty()) {
      Value v = queue.pop_back_val();
      for (Operation *user : v.getUsers()) {
        // Anything else reading v is a use outside the chain.
        auto g = dyn_cast<linalg::GenericOp>(user);
        if (!g || g->getBlock() != block || !isElementwise(g) ||
            g.getResult(0).getType() != type ||
            !g.getMatchingBlockArgument(g.getDpsInitOperand(0)).use_empty() ||
            llvm::is_contained(chain, g))
          continue;
        bool eligible =
            llvm::all_of(g.getDpsInputOperands(), [&](OpOperand *in) {
              return (inChain.contains(in->get()) &&
                      g.getMatchingIndexingMap(in).isIdentity()) ||
                     scalarSplat(in->get());
            });
        if (!eligible)
          continue;
        chain.push_back(g);
        if (chain.size() > kMaxChain)
          return failure();
        inChain.insert(g.getResult(0));
        queue.push_back(g.getResult(0));
      }
    }
    auto isChained = [&](Operation *user) {
      auto g = dyn_cast<linalg::GenericOp>(user);
      return g && llvm::is_contained(chain, g);
    };
    if (!llvm::all_of(root.getUsers(), isChained))
      return failure();
    // Exactly one generic's result leaves the chain, and nothing else does.
    linalg::GenericOp sink;
    for (linalg::GenericOp g : chain) {
      bool inside = false, outside = false;
      for (Operation *user : g->getUsers())
        (isChained(user) ? inside : outside) = true;
      if (outside && (inside || sink))
        return failure();
      if (outside || g->use_empty())
        sink = outside ? g : sink;
    }
    if (!sink)
      return failure();
    llvm::sort(chain, [](linalg::GenericOp a, linalg::GenericOp b) {
      return a->isBeforeInBlock(b);
    });
    Activation prev = op.getActivation();
    double plo = op.getClampMin() ? op.getClampMin()->convertToDouble() : 0.0;
    double phi = op.getClampMax() ? op.getClampMax()->convertToDouble() : 0.0;
    auto f = [&](double x) -> std::optional<double> {
      llvm::DenseMap<Value, double> values;
      values[root] = applyActivation(prev, plo, phi, x);
      for (linalg::GenericOp g : chain) {
        Block &body = g.getRegion().front();
        llvm::DenseMap<Value, double> env;
        for (OpOperand *in : g.getDpsInputOperands()) {
          auto it = values.find(in->get());
          env[g.getMatchingBlockArgument(in)] =
              it != values.end() ? it->second : *scalarSplat(in->get());
        }
        std::optional<double> y = evalBody(body, env);
        if (!y)
          return std::nullopt;
        values[g.getResult(0)] = *y;
      }
      return values[sink.getResult(0)];
    };
    auto act = recognizeActivation(f);
    if (!act)
      return failure();
    auto [kind, lo, hi] = *act;
    rewriter.setInsertionPoint(sink);
    auto fused = cast<OpTy>(rewriter.clone(*op));
    fused.setActivation(kind);
    if (kind == Activation::clamp) {
      fused.setClampMinAttr(rewriter.getF32FloatAttr(lo));
      fused.setClampMaxAttr(rewriter.getF32FloatAttr(hi));
    } else {
      fused.removeClampMinAttr();
      fused.removeClampMaxAttr();
    }
    rewriter.replaceOp(sink, fused->getResults());
    for (linalg::GenericOp g : llvm::reverse(chain))
      if (g != sink)
        rewriter.eraseOp(g);
    rewriter.eraseOp(op);
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Pass
//===----------------------------------------------------------------------===//

struct RaisePass : effc::impl::RaisePassBase<RaisePass> {
  using Base::Base;

  void getDependentDialects(DialectRegistry &registry) const override {
    RaisePassBase::getDependentDialects(registry);
    // The TOSA lowering runs as a nested pipeline: its dialects load here.
    OpPassManager pm(ModuleOp::getOperationName());
    addTosaToLinalgLowering(pm);
    pm.getDependentDialects(registry);
  }

  void runOnOperation() override {
    // torch-mlir and the ONNX importer write weights as dense_resource
    // blobs; as dense literals they fold (transposes, reshapes, batch norm)
    // and lower without a copy per call.
    materializeResourceConstants(getOperation());
    // Dynamic batch / sequence dims: torch-mlir's size guards fold first.
    if (hasDynamicTensors(getOperation())) {
      OpPassManager cleanup(getOperation()->getName().getStringRef());
      buildDynamicShapeCleanup(cleanup);
      if (failed(runPipeline(cleanup, getOperation())))
        return signalPassFailure();
    }
    RewritePatternSet patterns(&getContext());
    populateRaisePatterns(patterns);
    populateRaiseDynamicPatterns(patterns);
    FrozenRewritePatternSet frozen(std::move(patterns));
    if (failed(sweep(frozen)))
      return signalPassFailure();
    // What TOSA leaves around its matmuls and convolutions (bias adds,
    // clamps, batch norm, transposes, reshapes) goes to linalg, the form
    // the folds read, and the patterns run once more on it.
    bool hasTosa = false;
    getOperation()->walk([&](Operation *op) {
      if (isa<tosa::TosaDialect>(op->getDialect()))
        hasTosa = true;
    });
    if (!hasTosa)
      return reportLeft();
    OpPassManager pm(ModuleOp::getOperationName());
    addTosaToLinalgLowering(pm);
    if (failed(runPipeline(pm, getOperation())))
      return signalPassFailure();
    materializeResourceConstants(getOperation());
    if (failed(sweep(frozen)))
      return signalPassFailure();
    reportLeft();
  }

  /// With remarks=1: why each contraction / convolution stayed, and per
  /// function how many linalg and TOSA ops are left.
  void reportLeft() {
    if (!remarks)
      return;
    getOperation()->walk([&](FunctionOpInterface fn) {
      llvm::StringMap<unsigned> left;
      fn.walk([&](Operation *op) {
        StringRef ns =
            op->getDialect() ? op->getDialect()->getNamespace() : StringRef();
        if ((ns == "linalg" || ns == "tosa") &&
            !isa<linalg::YieldOp, linalg::IndexOp>(op) &&
            !op->getParentOfType<linalg::LinalgOp>())
          ++left[op->getName().getStringRef()];
        if (isa<linalg::ContractionOpInterface, linalg::ConvolutionOpInterface,
                tosa::MatMulOp, tosa::Conv2DOp, tosa::DepthwiseConv2DOp>(op) &&
            !isa<linalg::GenericOp>(op))
          op->emitRemark() << "effc-raise: not raised: " << whyNotRaised(op);
      });
      if (left.empty())
        return;
      SmallVector<std::pair<StringRef, unsigned>> counts;
      for (const auto &entry : left)
        counts.push_back({entry.getKey(), entry.getValue()});
      llvm::sort(counts, [](auto &a, auto &b) {
        return a.second != b.second ? a.second > b.second : a.first < b.first;
      });
      InFlightDiagnostic diag = fn.emitRemark("effc-raise: left ");
      for (auto [i, c] : llvm::enumerate(counts))
        diag << (i ? ", " : "") << c.second << " " << c.first;
    });
  }

  static std::string whyNotRaised(Operation *op) {
    auto floatStatic = [](Value v) {
      auto t = dyn_cast<RankedTensorType>(v.getType());
      return t && isa<FloatType>(t.getElementType());
    };
    // Activations may have dynamic batch / sequence dims; a weight may not.
    if (op->getNumOperands() > 1)
      if (auto t = dyn_cast<RankedTensorType>(op->getOperand(1).getType());
          t && !t.hasStaticShape() && isWeightSource(op->getOperand(1)))
        return "the weight operand has a dynamic shape";
    if (!llvm::all_of(op->getOperands(), [&](Value v) {
          return !isa<RankedTensorType>(v.getType()) || floatStatic(v) ||
                 !isa<TensorType>(v.getType());
        }))
      return "integer tensors (effc raises float compute; quantized models "
             "come as QDQ)";
    if (auto l = dyn_cast<linalg::LinalgOp>(op)) {
      if (!isZeroInit(l.getDpsInits()[0]))
        return "the accumulator is not zero (and no bias effc can read)";
      if (l.getNumDpsInputs() > 1 && !isWeightSource(l.getDpsInputs()[1]))
        return "the right operand is neither a constant nor a function "
               "argument (an activation, as in attention: "
               "--effc-rewrite-attention fuses attention)";
    }
    return "this operand layout or attribute combination has no effc "
           "form";
  }

  LogicalResult sweep(const FrozenRewritePatternSet &frozen) {
    // Every op but the quant casts: upstream folds quant.dcast(quant.qcast
    // (x)) to x, which would drop the activation quantization of a QDQ
    // model. One sweep over a fixed op list can miss a fold that only
    // becomes possible when a later rewrite frees an op's last other use,
    // so sweep until nothing changes.
    GreedyRewriteConfig config;
    config.setStrictness(GreedyRewriteStrictness::ExistingAndNewOps);
    for (int sweep = 0; sweep < 8; ++sweep) {
      SmallVector<Operation *> ops;
      getOperation()->walk([&](Operation *op) {
        if (!isa<quant::QuantizeCastOp, quant::DequantizeCastOp>(op))
          ops.push_back(op);
      });
      bool changed = false;
      if (failed(applyOpPatternsGreedily(ops, frozen, config, &changed)))
        return failure();
      if (!changed)
        break;
    }
    return success();
  }
};

} // namespace

void mlir::effc::populateRaisePatterns(RewritePatternSet &patterns) {
  MLIRContext *ctx = patterns.getContext();
  patterns.add<RaiseLinalgMatmul, RaiseLinalgBatchMatmul, RaiseTosaMatmul,
               RaiseConvNhwcHwcf, RaiseDepthwiseNhwcHwc, RaiseTosaConv2D,
               RaiseTosaDepthwise, FoldBias<LinearOp>, FoldBias<Conv2DOp>,
               FoldActivation<LinearOp>, FoldActivation<Conv2DOp>>(ctx);
  populateRaiseLayoutPatterns(patterns);
  populateRaiseFoldPatterns(patterns);
}

//===- Raise.cpp - upstream compute ops to effc ops -------------*- C++ -*-===//
//
// Recognizes linalg and tosa matmuls and convolutions (and the bias-add and
// activation generics that follow them) and raises them to effc ops, which
// compression passes and the effc backends work on.
//
//===----------------------------------------------------------------------===//

#include "effc/Dialect/EffcOps.h"
#include "effc/Support/LinalgBuilders.h"
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
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

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

/// Weights effc raises: constants, function arguments and QDQ constants.
bool isWeightSource(Value v) {
  if (matchPattern(v, m_Constant()) || getQdqWeight(v))
    return true;
  if (auto arg = dyn_cast<BlockArgument>(v))
    return isa<FunctionOpInterface>(arg.getOwner()->getParentOp());
  return false;
}

/// `v` with its dims permuted: folded for constants (QDQ constants keep
/// their scales, a per-axis dimension moves with the permutation), else
/// linalg.transpose.
Value permute(PatternRewriter &rewriter, Location loc, Value v,
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
  SmallVector<int64_t> shape;
  for (int64_t p : perm)
    shape.push_back(type.getDimSize(p));
  auto outTy = RankedTensorType::get(shape, type.getElementType());
  return linalg::TransposeOp::create(rewriter, loc, v,
                                     buildEmpty(rewriter, loc, outTy), perm)
      .getResult()[0];
}

/// If `v` is `linalg.transpose(x)` with permutation `perm`, returns x.
Value stripTranspose(Value v, ArrayRef<int64_t> perm) {
  if (auto t = v.getDefiningOp<linalg::TransposeOp>())
    if (t.getPermutation() == perm)
      return t.getInput();
  return {};
}

/// True when `init` is all zeros (a fill with 0 or a zero constant).
bool isZeroInit(Value init) {
  if (auto fill = init.getDefiningOp<linalg::FillOp>())
    return matchPattern(fill.getInputs()[0], m_AnyZeroFloat());
  return matchPattern(init, m_AnyZeroFloat());
}

bool isFloatTensor(Value v) {
  auto t = dyn_cast<RankedTensorType>(v.getType());
  return t && isa<FloatType>(t.getElementType()) && t.hasStaticShape();
}

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
  Value input = layout.transA ? permute(rewriter, loc, a, swap) : a;
  auto resTy = cast<RankedTensorType>(op->getResult(0).getType());
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

/// Absorbs a zero `tensor.pad` of H and W into the conv's padding.
Value absorbPad(Value input, SmallVector<int64_t> &padding) {
  padding.assign(4, 0);
  auto pad = input.getDefiningOp<tensor::PadOp>();
  if (!pad)
    return input;
  Value padValue = pad.getConstantPaddingValue();
  if (!padValue || !matchPattern(padValue, m_AnyZeroFloat()))
    return input;
  auto lo = pad.getStaticLow(), hi = pad.getStaticHigh();
  if (lo.size() != 4 || lo[0] != 0 || lo[3] != 0 || hi[0] != 0 || hi[3] != 0 ||
      llvm::any_of(lo, ShapedType::isDynamic) ||
      llvm::any_of(hi, ShapedType::isDynamic))
    return input;
  padding = {lo[1], hi[1], lo[2], hi[2]};
  return pad.getSource();
}

SmallVector<int64_t> denseToVec(DenseIntElementsAttr attr, int64_t def,
                                int64_t n) {
  if (!attr)
    return SmallVector<int64_t>(n, def);
  return llvm::to_vector(attr.getValues<int64_t>());
}

Value createConv(PatternRewriter &rewriter, Operation *op, Value input,
                 Value weight, Value bias, ArrayRef<int64_t> strides,
                 ArrayRef<int64_t> dilations, ArrayRef<int64_t> padding,
                 int64_t groups) {
  auto resTy = cast<RankedTensorType>(op->getResult(0).getType());
  auto conv = Conv2DOp::create(
      rewriter, op->getLoc(), resTy, input, weight, bias,
      rewriter.getDenseI64ArrayAttr(strides),
      rewriter.getDenseI64ArrayAttr(dilations),
      rewriter.getDenseI64ArrayAttr(padding),
      rewriter.getI64IntegerAttr(groups),
      ActivationAttr::get(rewriter.getContext(), Activation::none), FloatAttr(),
      FloatAttr());
  return conv.getResult();
}

struct RaiseConvNhwcHwcf : OpRewritePattern<linalg::Conv2DNhwcHwcfOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(linalg::Conv2DNhwcHwcfOp op,
                                PatternRewriter &rewriter) const override {
    if (!op.hasPureTensorSemantics() ||
        !llvm::all_of(op->getOperands(), isFloatTensor) ||
        !isZeroInit(op.getOutputs()[0]) || !isWeightSource(op.getInputs()[1]))
      return failure();
    SmallVector<int64_t> padding;
    Value input = absorbPad(op.getInputs()[0], padding);
    // [KH, KW, C, F] -> [F, KH, KW, C]
    Value w = permute(rewriter, op.getLoc(), op.getInputs()[1], {3, 0, 1, 2});
    Value conv = createConv(rewriter, op, input, w, Value(),
                            denseToVec(op.getStrides(), 1, 2),
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
        !llvm::all_of(op->getOperands(), isFloatTensor) ||
        !isZeroInit(op.getOutputs()[0]) || !isWeightSource(op.getInputs()[1]))
      return failure();
    SmallVector<int64_t> padding;
    Value input = absorbPad(op.getInputs()[0], padding);
    auto wTy = cast<RankedTensorType>(op.getInputs()[1].getType());
    int64_t kh = wTy.getDimSize(0), kw = wTy.getDimSize(1),
            c = wTy.getDimSize(2);
    // [KH, KW, C] -> [C, KH, KW] -> [C, KH, KW, 1]
    Value w = permute(rewriter, op.getLoc(), op.getInputs()[1], {2, 0, 1});
    w = buildReshape(
        rewriter, op.getLoc(), w,
        RankedTensorType::get({c, kh, kw, 1}, wTy.getElementType()));
    Value conv = createConv(rewriter, op, input, w, Value(),
                            denseToVec(op.getStrides(), 1, 2),
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
    if (!isFloatTensor(op.getInput()) || !isFloatTensor(op.getWeight()) ||
        !isFloatTensor(op.getOutput()) || !isZeroZp(op.getInputZp()) ||
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
    Value conv = createConv(rewriter, op, op.getInput(), op.getWeight(), bias,
                            op.getStride(), op.getDilation(), op.getPad(), 1);
    rewriter.replaceOp(op, conv);
    return success();
  }
};

struct RaiseTosaDepthwise : OpRewritePattern<tosa::DepthwiseConv2DOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(tosa::DepthwiseConv2DOp op,
                                PatternRewriter &rewriter) const override {
    if (!isFloatTensor(op.getInput()) || !isFloatTensor(op.getWeight()) ||
        !isFloatTensor(op.getOutput()) || !isZeroZp(op.getInputZp()) ||
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
    Value conv = createConv(rewriter, op, op.getInput(), w, bias,
                            op.getStride(), op.getDilation(), op.getPad(), c);
    rewriter.replaceOp(op, conv);
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Bias and activation folding
//===----------------------------------------------------------------------===//

/// Evaluates the scalar body of a one-input elementwise generic on `x`.
/// Returns nullopt for ops outside the small arith/math subset.
std::optional<double> evalBody(Block &body, double x) {
  llvm::DenseMap<Value, double> env;
  env[body.getArgument(0)] = x;
  for (Operation &op : body) {
    auto get = [&](unsigned i) -> std::optional<double> {
      Value v = op.getOperand(i);
      auto it = env.find(v);
      if (it != env.end())
        return it->second;
      FloatAttr f;
      if (matchPattern(v, m_Constant(&f)))
        return f.getValueAsDouble();
      return std::nullopt;
    };
    if (auto y = dyn_cast<linalg::YieldOp>(op)) {
      if (y.getNumOperands() != 1)
        return std::nullopt;
      return get(0);
    }
    if (auto c = dyn_cast<arith::ConstantOp>(op)) {
      auto f = dyn_cast<FloatAttr>(c.getValue());
      if (!f)
        return std::nullopt;
      env[c] = f.getValueAsDouble();
      continue;
    }
    SmallVector<double> args;
    for (unsigned i = 0; i < op.getNumOperands(); ++i) {
      auto v = get(i);
      if (!v)
        return std::nullopt;
      args.push_back(*v);
    }
    double r;
    if (isa<arith::AddFOp>(op))
      r = args[0] + args[1];
    else if (isa<arith::SubFOp>(op))
      r = args[0] - args[1];
    else if (isa<arith::MulFOp>(op))
      r = args[0] * args[1];
    else if (isa<arith::DivFOp>(op))
      r = args[0] / args[1];
    else if (isa<arith::NegFOp>(op))
      r = -args[0];
    else if (isa<arith::MaximumFOp, arith::MaxNumFOp>(op))
      r = std::max(args[0], args[1]);
    else if (isa<arith::MinimumFOp, arith::MinNumFOp>(op))
      r = std::min(args[0], args[1]);
    else if (isa<arith::ExtFOp, arith::TruncFOp>(op))
      r = args[0];
    else if (isa<math::ExpOp>(op))
      r = std::exp(args[0]);
    else if (isa<math::ErfOp>(op))
      r = std::erf(args[0]);
    else if (isa<math::TanhOp>(op))
      r = std::tanh(args[0]);
    else if (isa<math::SqrtOp>(op))
      r = std::sqrt(args[0]);
    else if (isa<math::RsqrtOp>(op))
      r = 1.0 / std::sqrt(args[0]);
    else if (isa<math::PowFOp>(op))
      r = std::pow(args[0], args[1]);
    else if (auto cmp = dyn_cast<arith::CmpFOp>(op)) {
      switch (cmp.getPredicate()) {
      case arith::CmpFPredicate::OGT:
      case arith::CmpFPredicate::UGT:
        r = args[0] > args[1];
        break;
      case arith::CmpFPredicate::OGE:
      case arith::CmpFPredicate::UGE:
        r = args[0] >= args[1];
        break;
      case arith::CmpFPredicate::OLT:
      case arith::CmpFPredicate::ULT:
        r = args[0] < args[1];
        break;
      case arith::CmpFPredicate::OLE:
      case arith::CmpFPredicate::ULE:
        r = args[0] <= args[1];
        break;
      default:
        return std::nullopt;
      }
    } else if (isa<arith::SelectOp>(op))
      r = args[0] != 0 ? args[1] : args[2];
    else
      return std::nullopt;
    env[op.getResult(0)] = r;
  }
  return std::nullopt;
}

/// Recognizes an activation by evaluating the body on sample points, so it
/// does not matter how a frontend spelled it (max vs cmp+select, x*sigmoid
/// vs x/(1+exp(-x)), ...). Clamp bounds are read from the flat tails.
std::optional<std::tuple<Activation, double, double>>
recognizeActivation(Block &body) {
  SmallVector<double> xs;
  for (int i = -24; i <= 24; ++i)
    xs.push_back(i * 0.37 + 0.013);
  SmallVector<double> ys;
  for (double x : xs) {
    auto y = evalBody(body, x);
    if (!y)
      return std::nullopt;
    ys.push_back(*y);
  }
  auto matches = [&](auto fn) {
    for (size_t i = 0; i < xs.size(); ++i) {
      double want = fn(xs[i]);
      if (std::abs(ys[i] - want) > 1e-4 * std::max(1.0, std::abs(want)))
        return false;
    }
    return true;
  };
  auto sigm = [](double x) { return 1.0 / (1.0 + std::exp(-x)); };
  if (matches([](double x) { return std::max(x, 0.0); }))
    return std::make_tuple(Activation::relu, 0.0, 0.0);
  if (matches([](double x) {
        return 0.5 * x * (1 + std::erf(x / std::sqrt(2.0)));
      }))
    return std::make_tuple(Activation::gelu, 0.0, 0.0);
  if (matches([](double x) {
        return 0.5 * x *
               (1 +
                std::tanh(std::sqrt(2 / M_PI) * (x + 0.044715 * x * x * x)));
      }))
    return std::make_tuple(Activation::gelu_tanh, 0.0, 0.0);
  if (matches([&](double x) { return x * sigm(x); }))
    return std::make_tuple(Activation::silu, 0.0, 0.0);
  if (matches(sigm))
    return std::make_tuple(Activation::sigmoid, 0.0, 0.0);
  if (matches([](double x) { return std::tanh(x); }))
    return std::make_tuple(Activation::tanh, 0.0, 0.0);
  // Clamp: the flat tails give the bounds; the middle must be identity.
  // Each tail must span two samples, else a bound lies outside the sampled
  // range (min(x, 100), the identity) and the extremes are not bounds.
  size_t n = ys.size();
  double lo = ys.front(), hi = ys.back();
  if (lo < hi && ys[1] == lo && ys[n - 2] == hi &&
      matches([&](double x) { return std::min(std::max(x, lo), hi); }))
    return std::make_tuple(Activation::clamp, lo, hi);
  return std::nullopt;
}

/// The effc op whose result feeds `v`, if it has no bias/activation yet and
/// `v` is its only use.
template <typename OpTy> OpTy producerFor(Value v) {
  auto op = v.getDefiningOp<OpTy>();
  if (!op || !op->hasOneUse() || op.getActivation() != Activation::none)
    return nullptr;
  return op;
}

bool isElementwise(linalg::GenericOp g) {
  return g.getNumDpsInits() == 1 && g->getNumResults() == 1 &&
         g.getNumLoops() == g.getNumParallelLoops() &&
         g.getIndexingMapsArray().back().isIdentity();
}

/// The channel dim of the op's result (last for linear, 3 for NHWC conv).
int64_t channelDim(Operation *op) {
  return cast<RankedTensorType>(op->getResult(0).getType()).getRank() - 1;
}

/// acc + bias[c] as a generic -> the effc op's bias operand.
template <typename OpTy> struct FoldBias : OpRewritePattern<linalg::GenericOp> {
  using OpRewritePattern<linalg::GenericOp>::OpRewritePattern;
  LogicalResult matchAndRewrite(linalg::GenericOp g,
                                PatternRewriter &rewriter) const override {
    if (!isElementwise(g) || g.getNumDpsInputs() != 2 ||
        !g.hasPureTensorSemantics())
      return failure();
    Block &body = g.getRegion().front();
    auto yield = cast<linalg::YieldOp>(body.getTerminator());
    auto addOp = yield.getOperand(0).getDefiningOp<arith::AddFOp>();
    if (!addOp || body.getOperations().size() != 2)
      return failure();
    auto maps = g.getIndexingMapsArray();
    for (int accIdx = 0; accIdx < 2; ++accIdx) {
      int biasIdx = 1 - accIdx;
      Value accArg = body.getArgument(accIdx),
            biasArg = body.getArgument(biasIdx);
      if (!((addOp.getLhs() == accArg && addOp.getRhs() == biasArg) ||
            (addOp.getRhs() == accArg && addOp.getLhs() == biasArg)))
        continue;
      OpTy producer = producerFor<OpTy>(g.getDpsInputOperand(accIdx)->get());
      if (!producer || producer.getBias() || !maps[accIdx].isIdentity())
        continue;
      int64_t cdim = channelDim(producer);
      AffineMap want = AffineMap::get(maps[accIdx].getNumDims(), 0,
                                      getAffineDimExpr(cdim, getContext()));
      Value bias = g.getDpsInputOperand(biasIdx)->get();
      auto biasTy = cast<RankedTensorType>(bias.getType());
      if (maps[biasIdx] != want || biasTy.getRank() != 1 ||
          biasTy.getElementType() != getElementTypeOrSelf(producer.getType()) ||
          g.getResult(0).getType() != producer.getType())
        continue;
      rewriter.setInsertionPoint(g);
      auto fused = cast<OpTy>(rewriter.clone(*producer));
      fused.getBiasMutable().assign(bias);
      rewriter.replaceOp(g, fused->getResults());
      rewriter.eraseOp(producer);
      return success();
    }
    return failure();
  }
};

/// act(acc) as a generic -> the effc op's fused activation.
template <typename OpTy>
struct FoldActivation : OpRewritePattern<linalg::GenericOp> {
  using OpRewritePattern<linalg::GenericOp>::OpRewritePattern;
  LogicalResult matchAndRewrite(linalg::GenericOp g,
                                PatternRewriter &rewriter) const override {
    if (!isElementwise(g) || g.getNumDpsInputs() != 1 ||
        !g.hasPureTensorSemantics() ||
        !g.getIndexingMapsArray()[0].isIdentity())
      return failure();
    OpTy producer = producerFor<OpTy>(g.getDpsInputOperand(0)->get());
    if (!producer || g.getResult(0).getType() != producer.getType())
      return failure();
    auto act = recognizeActivation(g.getRegion().front());
    if (!act)
      return failure();
    auto [kind, lo, hi] = *act;
    rewriter.setInsertionPoint(g);
    auto fused = cast<OpTy>(rewriter.clone(*producer));
    fused.setActivation(kind);
    if (kind == Activation::clamp) {
      fused.setClampMinAttr(rewriter.getF32FloatAttr(lo));
      fused.setClampMaxAttr(rewriter.getF32FloatAttr(hi));
    }
    rewriter.replaceOp(g, fused->getResults());
    rewriter.eraseOp(producer);
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Pass
//===----------------------------------------------------------------------===//

struct RaisePass : effc::impl::RaisePassBase<RaisePass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    populateRaisePatterns(patterns);
    // Every op but the quant casts: upstream folds quant.dcast(quant.qcast
    // (x)) to x, which would drop the activation quantization of a QDQ
    // model.
    SmallVector<Operation *> ops;
    getOperation()->walk([&](Operation *op) {
      if (!isa<quant::QuantizeCastOp, quant::DequantizeCastOp>(op))
        ops.push_back(op);
    });
    GreedyRewriteConfig config;
    config.setStrictness(GreedyRewriteStrictness::ExistingAndNewOps);
    if (failed(applyOpPatternsGreedily(ops, std::move(patterns), config)))
      signalPassFailure();
  }
};

} // namespace

void mlir::effc::populateRaisePatterns(RewritePatternSet &patterns) {
  MLIRContext *ctx = patterns.getContext();
  patterns.add<RaiseLinalgMatmul, RaiseLinalgBatchMatmul, RaiseTosaMatmul,
               RaiseConvNhwcHwcf, RaiseDepthwiseNhwcHwc, RaiseTosaConv2D,
               RaiseTosaDepthwise, FoldBias<LinearOp>, FoldBias<Conv2DOp>,
               FoldActivation<LinearOp>, FoldActivation<Conv2DOp>>(ctx);
}

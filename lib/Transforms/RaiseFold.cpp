//===- RaiseFold.cpp - constant and batch-norm folding for raise -*- C++
//-*-===//
//
// What frontends leave around the compute ops: weights as dense_resource
// blobs, moved by transposes and reshapes; batch-norm statistics combined
// by elementwise generics on constants (var + eps, rsqrt); and batch norm
// itself as per-channel subtract / multiply / add generics after the
// convolution. Here the constants fold at compile time and the per-channel
// affine ops fold into the effc op's weight and bias, as TensorRT and ONNX
// Runtime fold batch norm.
//
//===----------------------------------------------------------------------===//

#include "RaiseImpl.h"

#include "effc/Dialect/EffcOps.h"
#include "effc/Support/LinalgBuilders.h"
#include "effc/Support/WeightData.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Matchers.h"

#include "llvm/ADT/SetVector.h"

#include <cmath>

using namespace mlir;
using namespace mlir::effc;
using namespace mlir::effc::raise;

//===----------------------------------------------------------------------===//
// Scalar evaluation
//===----------------------------------------------------------------------===//

std::optional<double> raise::evalTensorAt(Value v, ArrayRef<int64_t> idx,
                                          unsigned depth) {
  if (depth > 32)
    return std::nullopt;
  DenseElementsAttr dense;
  if (matchPattern(v, m_Constant(&dense))) {
    auto type = cast<ShapedType>(dense.getType());
    int64_t lin = 0;
    if (!dense.isSplat()) {
      if (!type.hasStaticShape())
        return std::nullopt;
      for (auto [d, i] : llvm::enumerate(idx)) {
        if (i < 0 || i >= type.getDimSize(d))
          return std::nullopt;
        lin = lin * type.getDimSize(d) + i;
      }
    }
    Type elt = type.getElementType();
    if (isa<FloatType>(elt))
      return dense.getValues<APFloat>()[lin].convertToDouble();
    if (elt.isInteger(1))
      return (double)dense.getValues<bool>()[lin];
    if (isa<IntegerType>(elt))
      return (double)dense.getValues<APInt>()[lin].getSExtValue();
    return std::nullopt;
  }
  if (auto fill = v.getDefiningOp<linalg::FillOp>()) {
    FloatAttr f;
    IntegerAttr n;
    if (matchPattern(fill.getInputs()[0], m_Constant(&f)))
      return f.getValueAsDouble();
    if (matchPattern(fill.getInputs()[0], m_Constant(&n)))
      return (double)n.getValue().getSExtValue();
    return std::nullopt;
  }
  if (auto cast = v.getDefiningOp<tensor::CastOp>())
    return evalTensorAt(cast.getSource(), idx, depth + 1);
  // Reshapes that only add or drop unit dims: each group has at most one
  // dim that is not a static 1.
  auto unitGroups =
      [](ArrayRef<ReassociationIndices> groups,
         RankedTensorType expanded) -> std::optional<SmallVector<int64_t>> {
    SmallVector<int64_t> pick;
    for (const ReassociationIndices &g : groups) {
      int64_t nonUnit = -1;
      for (int64_t d : g)
        if (expanded.getDimSize(d) != 1) {
          if (nonUnit >= 0)
            return std::nullopt;
          nonUnit = d;
        }
      pick.push_back(nonUnit >= 0 ? nonUnit : g.front());
    }
    return pick;
  };
  if (auto expand = v.getDefiningOp<tensor::ExpandShapeOp>()) {
    auto pick =
        unitGroups(expand.getReassociationIndices(), expand.getResultType());
    if (!pick)
      return std::nullopt;
    SmallVector<int64_t> src;
    for (int64_t d : *pick)
      src.push_back(idx[d]);
    return evalTensorAt(expand.getSrc(), src, depth + 1);
  }
  if (auto collapse = v.getDefiningOp<tensor::CollapseShapeOp>()) {
    auto pick =
        unitGroups(collapse.getReassociationIndices(), collapse.getSrcType());
    if (!pick)
      return std::nullopt;
    SmallVector<int64_t> src(collapse.getSrcType().getRank(), 0);
    for (auto [g, d] : llvm::enumerate(*pick))
      src[d] = idx[g];
    return evalTensorAt(collapse.getSrc(), src, depth + 1);
  }
  auto g = v.getDefiningOp<linalg::GenericOp>();
  if (!g || g->getNumResults() != 1 ||
      g.getNumLoops() != g.getNumParallelLoops() ||
      !g.getMatchingIndexingMap(g.getDpsInitOperand(0)).isIdentity())
    return std::nullopt;
  llvm::DenseMap<Value, double> env;
  Block &body = g.getRegion().front();
  for (OpOperand *in : g.getDpsInputOperands()) {
    SmallVector<int64_t> at = g.getMatchingIndexingMap(in).compose(idx);
    std::optional<double> x = evalTensorAt(in->get(), at, depth + 1);
    if (!x)
      return std::nullopt;
    env[body.getArgument(in->getOperandNumber())] = *x;
  }
  return evalBody(body, env, idx);
}

std::optional<double> raise::evalBody(Block &body,
                                      llvm::DenseMap<Value, double> &env,
                                      ArrayRef<int64_t> loopIndex) {
  for (Operation &op : body) {
    auto get = [&](unsigned i) -> std::optional<double> {
      Value v = op.getOperand(i);
      auto it = env.find(v);
      if (it != env.end())
        return it->second;
      FloatAttr f;
      if (matchPattern(v, m_Constant(&f)))
        return f.getValueAsDouble();
      IntegerAttr n;
      if (matchPattern(v, m_Constant(&n)))
        return n.getType().isInteger(1) ? (double)n.getValue().getBoolValue()
                                        : (double)n.getValue().getSExtValue();
      return std::nullopt;
    };
    if (auto y = dyn_cast<linalg::YieldOp>(op)) {
      if (y.getNumOperands() != 1)
        return std::nullopt;
      return get(0);
    }
    if (env.count(op.getNumResults() == 1 ? op.getResult(0) : Value()))
      continue; // bound by the caller
    if (auto c = dyn_cast<arith::ConstantOp>(op)) {
      if (auto f = dyn_cast<FloatAttr>(c.getValue()))
        env[c] = f.getValueAsDouble();
      else if (auto n = dyn_cast<IntegerAttr>(c.getValue()))
        env[c] = n.getType().isInteger(1) ? n.getValue().getBoolValue()
                                          : n.getValue().getSExtValue();
      else
        return std::nullopt;
      continue;
    }
    if (auto index = dyn_cast<linalg::IndexOp>(op)) {
      if (index.getDim() >= loopIndex.size())
        return std::nullopt;
      env[index] = loopIndex[index.getDim()];
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
    else if (isa<math::AbsFOp>(op))
      r = std::abs(args[0]);
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
      case arith::CmpFPredicate::OEQ:
        r = args[0] == args[1]; // false on NaN, as ordered compares are
        break;
      case arith::CmpFPredicate::UNE:
        r = args[0] != args[1]; // true on NaN, as unordered compares are
        break;
      default:
        return std::nullopt;
      }
    } else if (isa<arith::SelectOp>(op))
      r = args[0] != 0 ? args[1] : args[2];
    else if (isa<arith::IndexCastOp, arith::ExtSIOp, arith::ExtUIOp,
                 arith::SIToFPOp, arith::UIToFPOp>(op))
      r = args[0];
    else if (auto trunc = dyn_cast<arith::TruncIOp>(op)) {
      // Wraps to the narrower width, as trunci does.
      unsigned w = trunc.getType().getIntOrFloatBitWidth();
      if (w == 0 || w >= 64)
        return std::nullopt;
      APInt v(64, (uint64_t)(int64_t)args[0], /*isSigned=*/true);
      r = w == 1 ? (double)v.trunc(1).getZExtValue()
                 : (double)v.trunc(w).getSExtValue();
    } else if (isa<arith::AddIOp>(op))
      r = args[0] + args[1];
    else if (isa<arith::SubIOp>(op))
      r = args[0] - args[1];
    else if (isa<arith::MulIOp>(op))
      r = args[0] * args[1];
    else if (isa<arith::AndIOp>(op))
      r = (double)((int64_t)args[0] & (int64_t)args[1]);
    else if (isa<arith::OrIOp>(op))
      r = (double)((int64_t)args[0] | (int64_t)args[1]);
    else if (isa<arith::XOrIOp>(op))
      r = (double)((int64_t)args[0] ^ (int64_t)args[1]);
    else if (auto cmp = dyn_cast<arith::CmpIOp>(op)) {
      double a = args[0], b = args[1];
      switch (cmp.getPredicate()) {
      case arith::CmpIPredicate::eq:
        r = a == b;
        break;
      case arith::CmpIPredicate::ne:
        r = a != b;
        break;
      case arith::CmpIPredicate::slt:
        r = a < b;
        break;
      case arith::CmpIPredicate::sle:
        r = a <= b;
        break;
      case arith::CmpIPredicate::sgt:
        r = a > b;
        break;
      case arith::CmpIPredicate::sge:
        r = a >= b;
        break;
      default:
        return std::nullopt; // unsigned compares of signed values
      }
    } else
      return std::nullopt;
    env[op.getResult(0)] = r;
  }
  return std::nullopt;
}

double raise::applyActivation(Activation act, double lo, double hi, double x) {
  auto sigm = [](double v) { return 1.0 / (1.0 + std::exp(-v)); };
  switch (act) {
  case Activation::none:
    return x;
  case Activation::relu:
    return std::max(x, 0.0);
  case Activation::gelu:
    return 0.5 * x * (1 + std::erf(x / std::sqrt(2.0)));
  case Activation::gelu_tanh:
    return 0.5 * x *
           (1 + std::tanh(std::sqrt(2 / M_PI) * (x + 0.044715 * x * x * x)));
  case Activation::silu:
    return x * sigm(x);
  case Activation::sigmoid:
    return sigm(x);
  case Activation::tanh:
    return std::tanh(x);
  case Activation::clamp:
    return std::min(std::max(x, lo), hi);
  }
  return x;
}

std::optional<std::tuple<Activation, double, double>>
raise::recognizeActivation(function_ref<std::optional<double>(double)> f) {
  SmallVector<double> xs;
  for (int i = -24; i <= 24; ++i)
    xs.push_back(i * 0.37 + 0.013);
  SmallVector<double> ys;
  for (double x : xs) {
    auto y = f(x);
    if (!y)
      return std::nullopt;
    ys.push_back(*y);
  }
  auto matches = [&](Activation act, double lo, double hi) {
    for (size_t i = 0; i < xs.size(); ++i) {
      double want = applyActivation(act, lo, hi, xs[i]);
      if (std::abs(ys[i] - want) > 1e-4 * std::max(1.0, std::abs(want)))
        return false;
    }
    return true;
  };
  for (Activation act :
       {Activation::relu, Activation::gelu, Activation::gelu_tanh,
        Activation::silu, Activation::sigmoid, Activation::tanh})
    if (matches(act, 0, 0))
      return std::make_tuple(act, 0.0, 0.0);
  // Clamp: the flat tails give the bounds; the middle must be identity.
  // Each tail must span two samples, else a bound lies outside the sampled
  // range (min(x, 100), the identity) and the extremes are not bounds.
  size_t n = ys.size();
  double lo = ys.front(), hi = ys.back();
  if (lo < hi && ys[1] == lo && ys[n - 2] == hi &&
      matches(Activation::clamp, lo, hi))
    return std::make_tuple(Activation::clamp, lo, hi);
  return std::nullopt;
}

//===----------------------------------------------------------------------===//
// Constants
//===----------------------------------------------------------------------===//

namespace {

/// The values of a float or integer (<= 64 bits, i1 as 0 / 1) constant,
/// splats expanded, as doubles.
std::optional<std::vector<double>> constantValues(Value v) {
  auto type = dyn_cast<RankedTensorType>(v.getType());
  if (type && type.getElementType().isSignlessInteger() &&
      type.getElementTypeBitWidth() <= 64 && type.hasStaticShape()) {
    DenseIntElementsAttr attr;
    if (!matchPattern(v, m_Constant(&attr)))
      return std::nullopt;
    bool isBool = type.getElementType().isInteger(1);
    std::vector<double> out;
    out.reserve(type.getNumElements());
    for (const APInt &x : attr.getValues<APInt>())
      out.push_back(isBool ? (double)x.getBoolValue()
                           : (double)x.getSExtValue());
    return out;
  }
  return getConstantFloatValues(v);
}

/// `values` as a constant of `type` (float or signless integer).
DenseElementsAttr makeConstant(RankedTensorType type, ArrayRef<double> values) {
  Type elt = type.getElementType();
  if (std::optional<FloatFormat> fmt = getFloatFormat(elt))
    return DenseElementsAttr::getFromRawBuffer(type, fromDouble(values, *fmt));
  SmallVector<APInt> ints;
  unsigned width = elt.getIntOrFloatBitWidth();
  for (double x : values)
    ints.push_back(APInt(width, (int64_t)x, /*isSigned=*/true,
                         /*implicitTrunc=*/true));
  return DenseElementsAttr::get(type, ints);
}

/// A generic with parallel loops only whose inputs are all constants (or
/// none: masks built from linalg.index) folds to a constant. Weight-side
/// math such as batch norm's rsqrt(var + eps), a transposing generic on a
/// weight, or a causal mask built from index comparisons. A pure broadcast
/// (a body that yields an input) used as another op's init is not folded:
/// a convolution's init carries its bias that way.
struct FoldConstantGeneric : OpRewritePattern<linalg::GenericOp> {
  using OpRewritePattern::OpRewritePattern;
  static constexpr int64_t kMaxElements = 1 << 22;
  LogicalResult matchAndRewrite(linalg::GenericOp g,
                                PatternRewriter &rewriter) const override {
    if (!g.hasPureTensorSemantics() || g->getNumResults() != 1 ||
        g.getNumLoops() != g.getNumParallelLoops())
      return failure();
    auto outTy = cast<RankedTensorType>(g.getResult(0).getType());
    Type outElt = outTy.getElementType();
    if (!(getFloatFormat(outElt) || (outElt.isSignlessInteger() &&
                                     outElt.getIntOrFloatBitWidth() <= 64)) ||
        !outTy.hasStaticShape() || outTy.getNumElements() > kMaxElements ||
        !g.getIndexingMapsArray().back().isIdentity())
      return failure();
    Block &body = g.getRegion().front();
    if (!g.getMatchingBlockArgument(g.getDpsInitOperand(0)).use_empty())
      return failure();
    auto yield = cast<linalg::YieldOp>(body.getTerminator());
    // A broadcast that initializes another op (a conv's bias) stays.
    if (isa<BlockArgument>(yield.getOperand(0)) &&
        body.getOperations().size() == 1 &&
        llvm::any_of(g->getUses(), [](OpOperand &use) {
          auto dps = dyn_cast<DestinationStyleOpInterface>(use.getOwner());
          return dps && dps.isDpsInit(&use);
        }))
      return failure();
    SmallVector<std::vector<double>> values;
    SmallVector<SmallVector<int64_t>> strides;
    for (OpOperand *in : g.getDpsInputOperands()) {
      auto vals = constantValues(in->get());
      if (!vals)
        return failure();
      values.push_back(std::move(*vals));
      auto t = cast<RankedTensorType>(in->get().getType());
      SmallVector<int64_t> st(t.getRank(), 1);
      for (int64_t d = t.getRank() - 2; d >= 0; --d)
        st[d] = st[d + 1] * t.getDimSize(d + 1);
      strides.push_back(st);
    }
    auto maps = g.getIndexingMapsArray();
    // Each map result is a loop dim or a constant (0 for broadcast dims).
    for (unsigned i = 0; i < g.getNumDpsInputs(); ++i)
      for (AffineExpr e : maps[i].getResults())
        if (!isa<AffineDimExpr, AffineConstantExpr>(e))
          return failure();
    ArrayRef<int64_t> shape = outTy.getShape();
    int64_t total = outTy.getNumElements();
    std::vector<double> out(total);
    SmallVector<int64_t> idx(shape.size(), 0);
    for (int64_t flat = 0; flat < total; ++flat) {
      llvm::DenseMap<Value, double> env;
      for (unsigned i = 0; i < g.getNumDpsInputs(); ++i) {
        int64_t off = 0;
        for (auto [r, e] : llvm::enumerate(maps[i].getResults())) {
          int64_t at = isa<AffineDimExpr>(e)
                           ? idx[cast<AffineDimExpr>(e).getPosition()]
                           : cast<AffineConstantExpr>(e).getValue();
          off += at * strides[i][r];
        }
        const std::vector<double> &vals = values[i];
        env[body.getArgument(i)] = vals.size() == 1 ? vals[0] : vals[off];
      }
      std::optional<double> y = evalBody(body, env, idx);
      if (!y)
        return failure();
      out[flat] = *y;
      for (int64_t d = shape.size() - 1; d >= 0; --d) {
        if (++idx[d] < shape[d])
          break;
        idx[d] = 0;
      }
    }
    rewriter.replaceOpWithNewOp<arith::ConstantOp>(g, outTy,
                                                   makeConstant(outTy, out));
    return success();
  }
};

/// linalg.transpose of a constant -> the permuted constant.
struct FoldConstantTranspose : OpRewritePattern<linalg::TransposeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(linalg::TransposeOp op,
                                PatternRewriter &rewriter) const override {
    DenseElementsAttr cst;
    if (!op.hasPureTensorSemantics() ||
        !matchPattern(op.getInput(), m_Constant(&cst)) ||
        cst.getElementType().getIntOrFloatBitWidth() % 8 != 0)
      return failure();
    DenseElementsAttr t = permuteConstant(cst, op.getPermutation());
    rewriter.replaceOpWithNewOp<arith::ConstantOp>(op, t.getType(), t);
    return success();
  }
};

/// expand_shape / collapse_shape of a constant -> the reshaped constant.
template <typename OpTy> struct FoldConstantReshape : OpRewritePattern<OpTy> {
  using OpRewritePattern<OpTy>::OpRewritePattern;
  LogicalResult matchAndRewrite(OpTy op,
                                PatternRewriter &rewriter) const override {
    DenseElementsAttr cst;
    auto type = cast<RankedTensorType>(op.getResult().getType());
    if (!matchPattern(op.getSrc(), m_Constant(&cst)) || !type.hasStaticShape())
      return failure();
    rewriter.replaceOpWithNewOp<arith::ConstantOp>(op, type, cst.reshape(type));
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Per-channel affine ops (batch norm) into effc ops
//===----------------------------------------------------------------------===//

/// A constant read through a map that only picks the result's channel dim
/// (or nothing: a scalar), as per-channel values; nullopt otherwise.
std::optional<std::vector<double>>
perChannel(Value v, AffineMap map, unsigned channelDim, int64_t channels) {
  auto t = dyn_cast<RankedTensorType>(v.getType());
  if (!t)
    return std::nullopt;
  auto vals = constantValues(v);
  if (!vals)
    return std::nullopt;
  bool sawChannel = false;
  for (auto [i, e] : llvm::enumerate(map.getResults())) {
    if (auto d = dyn_cast<AffineDimExpr>(e)) {
      if (t.getDimSize(i) == 1 && d.getPosition() != channelDim)
        continue; // a unit dim reads index 0 whatever the loop
      if (d.getPosition() != channelDim || t.getDimSize(i) != channels)
        return std::nullopt;
      sawChannel = true;
    } else if (auto c = dyn_cast<AffineConstantExpr>(e)) {
      if (c.getValue() != 0 || t.getDimSize(i) != 1)
        return std::nullopt;
    } else {
      return std::nullopt;
    }
  }
  if (!sawChannel) {
    if (vals->size() != 1)
      return std::nullopt;
    return std::vector<double>(channels, (*vals)[0]);
  }
  return vals;
}

/// `op(x) (+|-|*|/) c[channel]` as an elementwise generic -> the effc op
/// with its weight rows and bias scaled and shifted.
template <typename OpTy>
struct FoldChannelAffine : OpRewritePattern<linalg::GenericOp> {
  using OpRewritePattern<linalg::GenericOp>::OpRewritePattern;
  LogicalResult matchAndRewrite(linalg::GenericOp g,
                                PatternRewriter &rewriter) const override {
    if (!g.hasPureTensorSemantics() || g->getNumResults() != 1 ||
        g.getNumDpsInputs() != 2 ||
        g.getNumLoops() != g.getNumParallelLoops() ||
        !g.getIndexingMapsArray().back().isIdentity())
      return failure();
    Block &body = g.getRegion().front();
    if (body.getOperations().size() != 2)
      return failure();
    Operation *bin = &body.front();
    if (!isa<arith::AddFOp, arith::SubFOp, arith::MulFOp, arith::DivFOp>(bin))
      return failure();
    auto resTy = cast<RankedTensorType>(g.getResult(0).getType());
    if (resTy.getRank() == 0)
      return failure();
    unsigned cdim = resTy.getRank() - 1;
    int64_t channels = resTy.getDimSize(cdim);
    auto maps = g.getIndexingMapsArray();
    for (unsigned accIdx = 0; accIdx < 2; ++accIdx) {
      auto producer = g.getDpsInputs()[accIdx].getDefiningOp<OpTy>();
      if (!producer || !producer->hasOneUse() ||
          producer.getActivation() != Activation::none ||
          producer.getType() != resTy || !maps[accIdx].isIdentity())
        continue;
      // acc must be the left operand of - and /.
      if (bin->getOperand(0) != body.getArgument(accIdx) &&
          (isa<arith::SubFOp, arith::DivFOp>(bin) ||
           bin->getOperand(1) != body.getArgument(accIdx)))
        continue;
      if (bin->getOperand(0) != body.getArgument(1 - accIdx) &&
          bin->getOperand(1) != body.getArgument(1 - accIdx))
        continue;
      auto c = perChannel(g.getDpsInputs()[1 - accIdx], maps[1 - accIdx], cdim,
                          channels);
      if (!c)
        continue;
      return fold(rewriter, g, producer, bin, *c);
    }
    return failure();
  }

  LogicalResult fold(PatternRewriter &rewriter, linalg::GenericOp g,
                     OpTy producer, Operation *bin,
                     const std::vector<double> &c) const {
    auto wTy = cast<RankedTensorType>(producer.getWeight().getType());
    auto outElt = getElementTypeOrSelf(producer.getType());
    std::optional<FloatFormat> fmt = getFloatFormat(outElt);
    // The output channel is the weight's dim 0 (linear [N, K], conv OHWI).
    if (!fmt || wTy.getDimSize(0) != (int64_t)c.size() ||
        (isa<LinearOp>(producer) && wTy.getRank() != 2))
      return failure();
    int64_t n = c.size();
    std::vector<double> bias(n, 0.0);
    if (Value b = producer.getBias()) {
      auto bv = constantValues(b);
      if (!bv || (int64_t)bv->size() != n)
        return failure();
      bias = *bv;
    }
    bool scales = isa<arith::MulFOp, arith::DivFOp>(bin);
    Value weight = producer.getWeight();
    Location loc = g.getLoc();
    rewriter.setInsertionPoint(g);
    if (scales) {
      auto wv = constantValues(weight);
      if (!wv || getElementTypeOrSelf(wTy) != outElt)
        return failure();
      int64_t row = wTy.getNumElements() / n;
      for (int64_t i = 0; i < n; ++i) {
        double s = isa<arith::MulFOp>(bin) ? c[i] : 1.0 / c[i];
        for (int64_t j = 0; j < row; ++j)
          (*wv)[i * row + j] *= s;
        bias[i] *= s;
      }
      weight = arith::ConstantOp::create(
          rewriter, loc, wTy,
          DenseElementsAttr::getFromRawBuffer(wTy, fromDouble(*wv, *fmt)));
    } else {
      for (int64_t i = 0; i < n; ++i)
        bias[i] += isa<arith::AddFOp>(bin) ? c[i] : -c[i];
    }
    auto bTy = RankedTensorType::get({n}, outElt);
    Value b = arith::ConstantOp::create(
        rewriter, loc, bTy,
        DenseElementsAttr::getFromRawBuffer(bTy, fromDouble(bias, *fmt)));
    auto fused = cast<OpTy>(rewriter.clone(*producer));
    fused.getWeightMutable().assign(weight);
    fused.getBiasMutable().assign(b);
    rewriter.replaceOp(g, fused->getResults());
    rewriter.eraseOp(producer);
    return success();
  }
};

/// collapse_shape / expand_shape(effc.linear(x)) that reshapes only the
/// leading dims -> effc.linear(reshape(x)): torch-mlir flattens [B, S, K]
/// to [B*S, K] around every nn.Linear and TOSA's [1, M, K] matmuls read 2-D
/// activations through reshapes; moved to the input they cancel, and the
/// epilogue folds (bias, activation) see the linear op.
template <typename ReshapeOp>
struct ReshapeOfLinear : OpRewritePattern<ReshapeOp> {
  using OpRewritePattern<ReshapeOp>::OpRewritePattern;
  LogicalResult matchAndRewrite(ReshapeOp op,
                                PatternRewriter &rewriter) const override {
    auto linear = op.getSrc().template getDefiningOp<LinearOp>();
    if (!linear || !linear->hasOneUse())
      return failure();
    auto wTy = cast<RankedTensorType>(linear.getWeight().getType());
    auto inTy = cast<RankedTensorType>(linear.getInput().getType());
    auto outTy = cast<RankedTensorType>(op.getType());
    auto reassoc = op.getReassociationIndices();
    if (wTy.getRank() != 2 || reassoc.back().size() != 1 ||
        !inTy.hasStaticShape() || !outTy.hasStaticShape())
      return failure();
    SmallVector<int64_t> shape(outTy.getShape().drop_back());
    shape.push_back(inTy.getShape().back());
    Value in =
        ReshapeOp::create(rewriter, op.getLoc(),
                          RankedTensorType::get(shape, inTy.getElementType()),
                          linear.getInput(), reassoc);
    auto fused = cast<LinearOp>(rewriter.clone(*linear));
    fused.getInputMutable().assign(in);
    fused.getResult().setType(outTy);
    rewriter.replaceOp(op, fused.getResult());
    rewriter.eraseOp(linear);
    return success();
  }
};

/// arith.truncf of a scalar float constant -> the rounded constant
/// (to nearest even, truncf's default). Upstream folds only exact
/// truncations; torch-mlir writes attention scales as f64 constants
/// truncated in the generic's body, where the attention matcher wants a
/// constant.
struct FoldTruncOfConstant : OpRewritePattern<arith::TruncFOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(arith::TruncFOp op,
                                PatternRewriter &rewriter) const override {
    FloatAttr value;
    auto type = dyn_cast<FloatType>(op.getType());
    if (!type || !matchPattern(op.getIn(), m_Constant(&value)) ||
        (op.getRoundingmodeAttr() &&
         *op.getRoundingmode() != arith::RoundingMode::to_nearest_even))
      return failure();
    APFloat v = value.getValue();
    bool lost;
    v.convert(type.getFloatSemantics(), APFloat::rmNearestTiesToEven, &lost);
    rewriter.replaceOpWithNewOp<arith::ConstantOp>(
        op, type, rewriter.getFloatAttr(type, v));
    return success();
  }
};

/// A result of a multi-result generic that nothing reads, whose init is
/// read only to compute that result (torch-mlir's softmax max-reduction
/// also computes an argmax nobody uses), is dropped.
struct DropUnusedGenericResult : OpRewritePattern<linalg::GenericOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(linalg::GenericOp g,
                                PatternRewriter &rewriter) const override {
    if (g->getNumResults() < 2 || !g.hasPureTensorSemantics())
      return failure();
    Block &body = g.getRegion().front();
    auto yield = cast<linalg::YieldOp>(body.getTerminator());
    for (unsigned i = 0; i < g->getNumResults(); ++i) {
      if (!g->getResult(i).use_empty())
        continue;
      // The ops computing yield operand i only, found backwards from it.
      llvm::SetVector<Operation *> slice;
      SmallVector<Value> work{yield.getOperand(i)};
      bool ok = true;
      while (!work.empty() && ok) {
        Value v = work.pop_back_val();
        Operation *def = v.getDefiningOp();
        if (!def || def->getBlock() != &body || slice.contains(def))
          continue;
        slice.insert(def);
        for (Value operand : def->getOperands())
          work.push_back(operand);
      }
      for (Operation *op : slice)
        for (Operation *user : op->getUsers())
          if (user != yield.getOperation() && !slice.contains(user))
            ok = false;
      for (unsigned j = 0; j < yield.getNumOperands(); ++j)
        if (j != i && slice.contains(yield.getOperand(j).getDefiningOp()))
          ok = false;
      BlockArgument out = g.getMatchingBlockArgument(g.getDpsInitOperand(i));
      for (Operation *user : out.getUsers())
        if (!slice.contains(user))
          ok = false;
      if (!ok || !llvm::all_of(slice, isMemoryEffectFree))
        continue;
      return drop(rewriter, g, i, slice);
    }
    return failure();
  }

  LogicalResult drop(PatternRewriter &rewriter, linalg::GenericOp g, unsigned i,
                     llvm::SetVector<Operation *> &slice) const {
    SmallVector<Value> inits;
    SmallVector<Type> types;
    SmallVector<AffineMap> maps;
    for (OpOperand *in : g.getDpsInputOperands())
      maps.push_back(g.getMatchingIndexingMap(in));
    for (unsigned j = 0; j < g.getNumDpsInits(); ++j) {
      if (j == i)
        continue;
      inits.push_back(g.getDpsInits()[j]);
      types.push_back(g->getResult(j).getType());
      maps.push_back(g.getMatchingIndexingMap(g.getDpsInitOperand(j)));
    }
    auto newG =
        linalg::GenericOp::create(rewriter, g.getLoc(), types, g.getDpsInputs(),
                                  inits, maps, g.getIteratorTypesArray());
    unsigned argIndex =
        g.getMatchingBlockArgument(g.getDpsInitOperand(i)).getArgNumber();
    rewriter.inlineRegionBefore(g.getRegion(), newG.getRegion(),
                                newG.getRegion().begin());
    Block &body = newG.getRegion().front();
    auto yield = cast<linalg::YieldOp>(body.getTerminator());
    SmallVector<Value> kept;
    for (unsigned j = 0; j < yield.getNumOperands(); ++j)
      if (j != i)
        kept.push_back(yield.getOperand(j));
    rewriter.setInsertionPoint(yield);
    rewriter.replaceOpWithNewOp<linalg::YieldOp>(yield, kept);
    for (Operation *op : llvm::reverse(slice))
      rewriter.eraseOp(op);
    body.eraseArgument(argIndex);
    SmallVector<Value> results;
    unsigned k = 0;
    for (unsigned j = 0; j < g->getNumResults(); ++j)
      results.push_back(j == i ? Value() : newG->getResult(k++));
    rewriter.replaceOp(g, results);
    return success();
  }
};

/// True when no row (last dim) of `s` can be all -inf: `s` is unmasked
/// scores (a contraction), or `x + c` with `c` a constant whose every row,
/// as `s` reads it, has a finite entry (a causal or padding mask with one
/// visible key at least), and x finite.
bool hasFiniteEntryPerRow(Value s) {
  // Unmasked scores: Q x K^T of finite values (the assumption made for x
  // below too) has no -inf.
  if (auto l = s.getDefiningOp<linalg::LinalgOp>();
      l && linalg::isaContractionOpInterface(l))
    return true;
  auto g = s.getDefiningOp<linalg::GenericOp>();
  if (!g || g.getNumDpsInputs() != 2 || g->getNumResults() != 1)
    return false;
  Block &body = g.getRegion().front();
  auto add = dyn_cast<arith::AddFOp>(&body.front());
  if (!add || body.getOperations().size() != 2)
    return false;
  unsigned n = g.getNumLoops();
  for (OpOperand *in : g.getDpsInputOperands()) {
    DenseElementsAttr c;
    AffineMap m = g.getMatchingIndexingMap(in);
    if (m.getNumResults() == 0 ||
        m.getResults().back() != getAffineDimExpr(n - 1, g.getContext()))
      continue;
    auto mTy = cast<RankedTensorType>(in->get().getType());
    if (!matchPattern(in->get(), m_Constant(&c))) {
      // A mask computed at run time for dynamic lengths: sampled rows
      // (leading rows and rows far down a long sequence) each have a
      // finite entry among the sampled keys.
      if (mTy.hasStaticShape() || mTy.getRank() < 2)
        continue;
      int64_t mr = mTy.getRank();
      SmallVector<int64_t> rows = {0, 1, 2, 3, 4, 5, 6, 7, 1000, 4095};
      bool evaluated = true, allFinite = true;
      for (int64_t i : rows) {
        bool finite = false;
        for (int64_t j : rows) {
          SmallVector<int64_t> at(mr, 0);
          at[mr - 2] = i;
          at[mr - 1] = j;
          std::optional<double> x = evalTensorAt(in->get(), at);
          evaluated &= x.has_value();
          finite |= x && std::isfinite(*x);
        }
        allFinite &= finite;
      }
      if (!evaluated)
        continue; // not a mask (the scores themselves)
      return allFinite;
    }
    auto vals = getConstantFloatValues(in->get());
    if (!vals)
      return false;
    int64_t cols = cast<RankedTensorType>(c.getType()).getShape().back();
    for (size_t row = 0; row < vals->size(); row += cols) {
      bool finite = false;
      for (int64_t j = 0; j < cols && !finite; ++j)
        finite = std::isfinite((*vals)[row + j]);
      if (!finite)
        return false;
    }
    return true;
  }
  return false;
}

/// select(rowAll(s == -inf), zeros, p) -> p when no row of s can be all
/// -inf: torch-mlir's guard for fully masked rows in
/// scaled_dot_product_attention, which a causal mask never has.
struct DropImpossibleMaskedRowGuard : OpRewritePattern<linalg::GenericOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(linalg::GenericOp g,
                                PatternRewriter &rewriter) const override {
    if (g.getNumDpsInputs() != 3 || g->getNumResults() != 1 ||
        !g.getIndexingMapsArray().back().isIdentity())
      return failure();
    Block &body = g.getRegion().front();
    auto sel = dyn_cast<arith::SelectOp>(&body.front());
    if (!sel || body.getOperations().size() != 2 ||
        sel.getCondition() != body.getArgument(0) ||
        sel.getFalseValue() != body.getArgument(2) ||
        !g.getMatchingIndexingMap(g.getDpsInputOperand(2)).isIdentity() ||
        g.getDpsInputs()[2].getType() != g.getResult(0).getType())
      return failure();
    // The flag: an and-reduction over the last dim of (s == -inf).
    Value flag = g.getDpsInputs()[0];
    if (auto e = flag.getDefiningOp<tensor::ExpandShapeOp>())
      flag = e.getSrc();
    auto red = flag.getDefiningOp<linalg::GenericOp>();
    if (!red || red.getNumDpsInputs() != 1 || red.getNumReductionLoops() != 1 ||
        red.getIteratorTypesArray().back() != utils::IteratorType::reduction)
      return failure();
    Block &rbody = red.getRegion().front();
    if (!isa<arith::AndIOp>(rbody.front()) ||
        rbody.getOperations().size() != 2 ||
        !matchPattern(red.getDpsInits()[0].getDefiningOp<linalg::FillOp>()
                          ? red.getDpsInits()[0]
                                .getDefiningOp<linalg::FillOp>()
                                .getInputs()[0]
                          : Value(),
                      m_One()))
      return failure();
    auto cmp = red.getDpsInputs()[0].getDefiningOp<linalg::GenericOp>();
    if (!cmp || cmp.getNumDpsInputs() < 1 || cmp.getNumDpsInputs() > 2)
      return failure();
    auto cmpf = dyn_cast<arith::CmpFOp>(
        cast<linalg::YieldOp>(cmp.getRegion().front().getTerminator())
            .getOperand(0)
            .getDefiningOp());
    if (!cmpf || cmpf.getPredicate() != arith::CmpFPredicate::OEQ ||
        !isNegativeInfinity(cmp, cmpf.getRhs()))
      return failure();
    // The scores, possibly widened in the body.
    Value lhs = cmpf.getLhs();
    if (auto ext = lhs.getDefiningOp<arith::ExtFOp>())
      lhs = ext.getIn();
    if (lhs != cmp.getRegion().front().getArgument(0))
      return failure();
    // TOSA's form compares in f64 after an elementwise extf.
    Value scores = cmp.getDpsInputs()[0];
    if (auto ext = scores.getDefiningOp<linalg::GenericOp>();
        ext && ext.getNumDpsInputs() == 1 &&
        ext.getRegion().front().getOperations().size() == 2 &&
        isa<arith::ExtFOp>(ext.getRegion().front().front()) &&
        llvm::all_of(ext.getIndexingMapsArray(),
                     [](AffineMap m) { return m.isIdentity(); }))
      scores = ext.getDpsInputs()[0];
    if (!hasFiniteEntryPerRow(scores))
      return failure();
    rewriter.replaceOp(g, g.getDpsInputs()[2]);
    return success();
  }

  /// `v` in `cmp`'s body is -inf: an arith.constant, or the block argument
  /// of a constant input that is -inf everywhere (TOSA's broadcast scalar).
  static bool isNegativeInfinity(linalg::GenericOp cmp, Value v) {
    auto isNegInf = [](const APFloat &f) {
      return f.isInfinity() && f.isNegative();
    };
    FloatAttr bound;
    if (matchPattern(v, m_Constant(&bound)))
      return isNegInf(bound.getValue());
    auto arg = dyn_cast<BlockArgument>(v);
    if (!arg || arg.getOwner() != &cmp.getRegion().front() ||
        arg.getArgNumber() >= cmp.getNumDpsInputs())
      return false;
    DenseElementsAttr c;
    if (!matchPattern(cmp.getDpsInputs()[arg.getArgNumber()], m_Constant(&c)) ||
        !isa<FloatType>(c.getElementType()))
      return false;
    return llvm::all_of(c.getValues<APFloat>(), isNegInf);
  }
};

} // namespace

void raise::populateRaiseFoldPatterns(RewritePatternSet &patterns) {
  // Slices of weights (TOSA splits a grouped convolution's weight by group)
  // fold like any other constant.
  tensor::populateFoldConstantExtractSlicePatterns(
      patterns, [](tensor::ExtractSliceOp op) { return true; });
  // fill + collapse_shape -> a fill of the collapsed shape (reduction inits).
  linalg::FillOp::getCanonicalizationPatterns(patterns, patterns.getContext());
  patterns
      .add<FoldTruncOfConstant, ReshapeOfLinear<tensor::CollapseShapeOp>,
           ReshapeOfLinear<tensor::ExpandShapeOp>, DropUnusedGenericResult,
           DropImpossibleMaskedRowGuard, FoldConstantGeneric,
           FoldConstantTranspose, FoldConstantReshape<tensor::ExpandShapeOp>,
           FoldConstantReshape<tensor::CollapseShapeOp>,
           FoldChannelAffine<LinearOp>, FoldChannelAffine<Conv2DOp>>(
          patterns.getContext());
}

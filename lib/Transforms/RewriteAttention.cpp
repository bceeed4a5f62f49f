//===- RewriteAttention.cpp - fuse attention to effc.attention -*- C++ -*-===//
//
// Recognizes scaled dot-product attention written as two contractions around
// a softmax (the forms torch-mlir and ONNX importers emit) and fuses it into
// one effc.attention; imposes the causal / sliding-window variants. The
// multi-head-latent absorption is AbsorbLatentProjections.cpp.
//
// One file although it is over 800 lines: it is one recognizer, matching a
// single IR shape top-down (contractions, then the scale and mask chain,
// then the softmax), and its helpers are private to that match.
//
//===----------------------------------------------------------------------===//

#include "RaiseImpl.h"

#include "effc/Dialect/EffcOps.h"
#include "effc/Support/LinalgBuilders.h"
#include "effc/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include <cmath>
#include <cstring>

namespace mlir {
namespace effc {
#define GEN_PASS_DEF_REWRITEATTENTIONPASS
#include "effc/Transforms/Passes.h.inc"
} // namespace effc
} // namespace mlir

using namespace mlir;
using namespace mlir::effc;

namespace {

//===----------------------------------------------------------------------===//
// Value helpers
//===----------------------------------------------------------------------===//

/// Masked scores at or below this are treated as -inf when a constant mask
/// is checked for causality (HF-style -1e4 / -1e9 / finfo.min masks):
/// exp() of such a shifted score is 0 in every float type effc supports.
constexpr double kMaskedBelow = -1.0e4;

/// A float tensor; batch and sequence dims may be dynamic (a server's
/// runtime sizes), head dims are checked static by effc.attention's
/// verifier.
bool isFloatTensor(Value v) {
  auto t = dyn_cast<RankedTensorType>(v.getType());
  return t && isa<FloatType>(t.getElementType());
}

bool hasNUses(Value v, unsigned n) {
  return static_cast<unsigned>(std::distance(v.use_begin(), v.use_end())) == n;
}

/// A compile-time float that `v` holds in every element: a scalar
/// constant, a splat constant tensor or a linalg.fill of a constant.
std::optional<double> uniformConstant(Value v) {
  FloatAttr f;
  if (matchPattern(v, m_Constant(&f)))
    return f.getValueAsDouble();
  DenseFPElementsAttr dense;
  if (matchPattern(v, m_Constant(&dense)) && dense.isSplat())
    return dense.getSplatValue<APFloat>().convertToDouble();
  if (auto fill = v.getDefiningOp<linalg::FillOp>())
    return uniformConstant(fill.getInputs()[0]);
  return std::nullopt;
}

/// True when `init` is all zeros (a fill with 0 or a zero constant).
bool isZeroInit(Value init) {
  std::optional<double> c = uniformConstant(init);
  return c && *c == 0.0;
}

bool isIdentityPerm(ArrayRef<int64_t> perm) {
  for (auto [i, p] : llvm::enumerate(perm))
    if (p != static_cast<int64_t>(i))
      return false;
  return true;
}

/// A linalg op on tensors with one init, one result and only parallel
/// loops whose init is read through the identity map.
linalg::LinalgOp elementwiseProducer(Value v) {
  auto op = v.getDefiningOp<linalg::LinalgOp>();
  if (!op || !op.hasPureTensorSemantics() || op->getNumResults() != 1 ||
      op.getNumDpsInits() != 1 || !op.isAllParallelLoops() ||
      !op.getMatchingIndexingMap(op.getDpsInitOperand(0)).isIdentity() ||
      isa<linalg::FillOp, linalg::TransposeOp, linalg::BroadcastOp,
          linalg::CopyOp>(op.getOperation()))
    return nullptr;
  return op;
}

/// The value a linalg body yields (single-result ops only).
Value yieldedValue(linalg::LinalgOp op) {
  auto yield = dyn_cast<linalg::YieldOp>(op.getBlock()->getTerminator());
  if (!yield || yield.getNumOperands() != 1)
    return {};
  return yield.getOperand(0);
}

/// The op operand a body value reads, if it is one of the op's block args.
OpOperand *operandOf(linalg::LinalgOp op, Value v) {
  auto arg = dyn_cast<BlockArgument>(v);
  if (!arg || arg.getOwner() != op.getBlock())
    return nullptr;
  return op.getMatchingOpOperand(arg);
}

/// A compile-time float a body value stands for: a constant inside or
/// above the body, or a block argument reading a uniform constant input.
std::optional<double> bodyConstant(linalg::LinalgOp op, Value v) {
  if (OpOperand *operand = operandOf(op, v)) {
    if (op.isDpsInit(operand))
      return std::nullopt;
    return uniformConstant(operand->get());
  }
  FloatAttr f;
  if (matchPattern(v, m_Constant(&f)))
    return f.getValueAsDouble();
  return std::nullopt;
}

/// True when `v` is `fn(a, b)` of the given arith op in either order.
template <typename OpTy> bool isCommutedOf(Value v, Value a, Value b) {
  auto op = v.getDefiningOp<OpTy>();
  return op && ((op->getOperand(0) == a && op->getOperand(1) == b) ||
                (op->getOperand(0) == b && op->getOperand(1) == a));
}

//===----------------------------------------------------------------------===//
// Operand layouts
//===----------------------------------------------------------------------===//

/// A value read in a permuted layout: logical dim i is dim perm[i] of base.
struct Layout {
  Value base;
  SmallVector<int64_t> perm;
};

/// If `v` is a transpose (linalg.transpose or a generic that only permutes),
/// returns its input and the permutation with result dim i = input dim p[i].
std::optional<std::pair<Value, SmallVector<int64_t>>> asTranspose(Value v) {
  if (auto t = v.getDefiningOp<linalg::TransposeOp>())
    return std::make_pair(t.getInput(), llvm::to_vector(t.getPermutation()));
  auto g = v.getDefiningOp<linalg::GenericOp>();
  if (!g || !g.hasPureTensorSemantics() || g.getNumDpsInputs() != 1 ||
      g.getNumDpsInits() != 1 || !g.isAllParallelLoops())
    return std::nullopt;
  AffineMap in = g.getIndexingMapsArray()[0];
  AffineMap out = g.getIndexingMapsArray()[1];
  if (!out.isIdentity() || !in.isPermutation() ||
      yieldedValue(g) != g.getBlock()->getArgument(0))
    return std::nullopt;
  // Input dim t is loop in[t]; result dim i is loop i.
  SmallVector<int64_t> perm(in.getNumResults());
  for (unsigned t = 0; t < in.getNumResults(); ++t)
    perm[in.getDimPosition(t)] = t;
  return std::make_pair(g.getDpsInputs()[0], perm);
}

/// Composes `l` with the transposes that produce its base.
void stripTransposes(Layout &l) {
  while (auto t = asTranspose(l.base)) {
    for (int64_t &p : l.perm)
      p = t->second[p];
    l.base = t->first;
  }
}

/// `l` as a tensor in logical order: its base, or a linalg.transpose of it.
Value materialize(PatternRewriter &rewriter, Location loc, const Layout &l) {
  if (isIdentityPerm(l.perm))
    return l.base;
  auto type = cast<RankedTensorType>(l.base.getType());
  SmallVector<OpFoldResult> sizes;
  for (int64_t p : l.perm)
    sizes.push_back(tensor::getMixedSize(rewriter, loc, l.base, p));
  Value init =
      tensor::EmptyOp::create(rewriter, loc, sizes, type.getElementType());
  return linalg::TransposeOp::create(rewriter, loc, l.base, init, l.perm)
      .getResult()[0];
}

//===----------------------------------------------------------------------===//
// Contractions
//===----------------------------------------------------------------------===//

/// `out[batch..., m, n] = sum_k lhs[.., m, .., k] * rhs[.., k, .., n]` with
/// a zero init: linalg.matmul / batch_matmul (any indexing maps), or a
/// generic / linalg.contract with that body.
struct Contraction {
  linalg::LinalgOp op;
  SmallVector<unsigned> batch;
  unsigned m, n, k;
};

std::optional<Contraction> matchContraction(Value v) {
  auto op = v.getDefiningOp<linalg::LinalgOp>();
  if (!op || !op.hasPureTensorSemantics() || op->getNumResults() != 1 ||
      op.getNumDpsInputs() != 2 || op.getNumDpsInits() != 1 ||
      !linalg::isaContractionOpInterface(op) ||
      !llvm::all_of(op->getOperands(), isFloatTensor) ||
      !isZeroInit(op.getDpsInits()[0]))
    return std::nullopt;
  Type elt = getElementTypeOrSelf(v.getType());
  if (llvm::any_of(op->getOperands(), [&](Value o) {
        return getElementTypeOrSelf(o.getType()) != elt;
      }))
    return std::nullopt;
  // A body with casts or other ops is not the plain multiply-accumulate.
  if (op.getBlock()->getOperations().size() != 3)
    return std::nullopt;
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  AffineMap lhs = maps[0], rhs = maps[1], out = maps[2];
  unsigned nOut = out.getNumResults();
  if (nOut < 2 || nOut > 4 || op.getNumLoops() != nOut + 1 ||
      !out.isProjectedPermutation() || !lhs.isProjectedPermutation() ||
      !rhs.isProjectedPermutation() || lhs.getNumResults() != nOut ||
      rhs.getNumResults() != nOut)
    return std::nullopt;
  Contraction c;
  c.op = op;
  for (unsigned t = 0; t + 2 < nOut; ++t)
    c.batch.push_back(out.getDimPosition(t));
  c.m = out.getDimPosition(nOut - 2);
  c.n = out.getDimPosition(nOut - 1);
  auto iters = op.getIteratorTypesArray();
  std::optional<unsigned> k;
  for (unsigned d = 0; d < op.getNumLoops(); ++d)
    if (iters[d] == utils::IteratorType::reduction)
      k = d;
  if (!k || op.getNumReductionLoops() != 1)
    return std::nullopt;
  c.k = *k;
  auto reads = [](AffineMap map, unsigned d) {
    return map.getResultPosition(getAffineDimExpr(d, map.getContext()))
        .has_value();
  };
  for (unsigned b : c.batch)
    if (!reads(lhs, b) || !reads(rhs, b))
      return std::nullopt;
  if (!reads(lhs, c.m) || reads(rhs, c.m) || !reads(rhs, c.n) ||
      reads(lhs, c.n) || !reads(lhs, c.k) || !reads(rhs, c.k))
    return std::nullopt;
  return c;
}

/// Operand `idx` of `c` read with its dims in the order of loops `want`.
Layout operandLayout(const Contraction &c, unsigned idx,
                     ArrayRef<unsigned> want) {
  linalg::LinalgOp op = c.op;
  OpOperand *operand = op.getDpsInputOperand(idx);
  AffineMap map = op.getMatchingIndexingMap(operand);
  Layout l{operand->get(), {}};
  for (unsigned d : want)
    l.perm.push_back(
        *map.getResultPosition(getAffineDimExpr(d, map.getContext())));
  stripTransposes(l);
  return l;
}

SmallVector<unsigned> withBatch(const Contraction &c, unsigned a, unsigned b) {
  SmallVector<unsigned> dims(c.batch);
  dims.push_back(a);
  dims.push_back(b);
  return dims;
}

//===----------------------------------------------------------------------===//
// Elementwise scale and mask
//===----------------------------------------------------------------------===//

/// A body value as `a * x + b * m + shift` of the chain input x and the
/// mask m, or a pure constant.
struct LinearForm {
  double a = 0, b = 0, shift = 0;
  std::optional<double> constant;
};

std::optional<LinearForm> linearForm(linalg::LinalgOp op, Value v, Value x,
                                     Value m) {
  if (v == x)
    return LinearForm{1, 0, 0, std::nullopt};
  if (m && v == m)
    return LinearForm{0, 1, 0, std::nullopt};
  if (auto c = bodyConstant(op, v))
    return LinearForm{0, 0, 0, c};
  Operation *def = v.getDefiningOp();
  if (!def || def->getBlock() != op.getBlock())
    return std::nullopt;
  auto operands = [&]() -> std::optional<std::pair<LinearForm, LinearForm>> {
    auto l = linearForm(op, def->getOperand(0), x, m);
    auto r = linearForm(op, def->getOperand(1), x, m);
    if (!l || !r)
      return std::nullopt;
    return std::make_pair(*l, *r);
  };
  auto scaled = [](LinearForm f, double c) {
    return LinearForm{f.a * c, f.b * c, f.shift * c, std::nullopt};
  };
  if (isa<arith::MulFOp>(def)) {
    auto lr = operands();
    if (!lr)
      return std::nullopt;
    auto [l, r] = *lr;
    if (l.constant && r.constant)
      return LinearForm{0, 0, 0, *l.constant * *r.constant};
    if (l.constant)
      std::swap(l, r);
    if (!r.constant)
      return std::nullopt;
    return scaled(l, *r.constant);
  }
  if (isa<arith::DivFOp>(def)) {
    auto lr = operands();
    if (!lr || !lr->second.constant || *lr->second.constant == 0.0)
      return std::nullopt;
    auto [l, r] = *lr;
    if (l.constant)
      return LinearForm{0, 0, 0, *l.constant / *r.constant};
    return scaled(l, 1.0 / *r.constant);
  }
  if (isa<arith::AddFOp, arith::SubFOp>(def)) {
    auto lr = operands();
    if (!lr)
      return std::nullopt;
    auto [l, r] = *lr;
    double sign = isa<arith::SubFOp>(def) ? -1.0 : 1.0;
    auto asShift = [](LinearForm f) {
      return f.constant ? LinearForm{0, 0, *f.constant, std::nullopt} : f;
    };
    if (l.constant && r.constant)
      return LinearForm{0, 0, 0, *l.constant + sign * *r.constant};
    l = asShift(l);
    r = asShift(r);
    return LinearForm{l.a + sign * r.a, l.b + sign * r.b,
                      l.shift + sign * r.shift, std::nullopt};
  }
  return std::nullopt;
}

/// One elementwise step `y = a * x + b * mask + shift` on the way to the
/// scores.
struct ScaleStep {
  Value input; // x, read through the identity map
  double a = 1, b = 0, shift = 0;
  OpOperand *mask = nullptr; // set exactly when b != 0
};

/// Matches `v` as an elementwise op whose identity-mapped input `input` is
/// scaled by constants, plus a constant shift and, when `allowMask`, one
/// other operand.
std::optional<ScaleStep> matchScaleStep(Value v, OpOperand *input,
                                        bool allowMask) {
  auto op = cast<linalg::LinalgOp>(v.getDefiningOp());
  if (!op.getMatchingIndexingMap(input).isIdentity() ||
      input->get().getType() != v.getType())
    return std::nullopt;
  ScaleStep step;
  step.input = input->get();
  for (OpOperand *other : op.getDpsInputOperands()) {
    if (other == input || uniformConstant(other->get()))
      continue;
    if (!allowMask || step.mask)
      return std::nullopt;
    step.mask = other;
  }
  Value yielded = yieldedValue(op);
  if (!yielded)
    return std::nullopt;
  Block *body = op.getBlock();
  Value x = body->getArgument(input->getOperandNumber());
  Value m =
      step.mask ? body->getArgument(step.mask->getOperandNumber()) : Value();
  std::optional<LinearForm> form = linearForm(op, yielded, x, m);
  if (!form || form->constant || form->a == 0.0 || !std::isfinite(form->a) ||
      !std::isfinite(form->b) || !std::isfinite(form->shift))
    return std::nullopt;
  if ((step.mask != nullptr) != (form->b != 0.0))
    return std::nullopt;
  step.a = form->a;
  step.b = form->b;
  step.shift = form->shift;
  return step;
}

/// Peels constant scales off a query/key operand: returns the product.
double peelScales(Layout &l) {
  double factor = 1.0;
  while (true) {
    linalg::LinalgOp op = elementwiseProducer(l.base);
    if (!op)
      return factor;
    std::optional<ScaleStep> found;
    for (OpOperand *in : op.getDpsInputOperands())
      if ((found = matchScaleStep(l.base, in, /*allowMask=*/false)))
        break;
    // A shift of Q or K is not a scale of the scores.
    if (!found || found->shift != 0.0)
      return factor;
    factor *= found->a;
    l.base = found->input;
    stripTransposes(l);
  }
}

/// The scores before softmax: `alpha * (Q K^T) + beta * mask`.
struct ScoreChain {
  Contraction qk;
  double alpha = 1, beta = 0;
  Value mask;
  AffineMap maskMap;
};

/// Walks from the softmax input back to the Q x K^T contraction. Constant
/// shifts on the way are dropped: softmax(z + c) = softmax(z).
std::optional<ScoreChain> matchScoreChain(Value v, double alpha, double beta,
                                          Value mask, AffineMap maskMap) {
  if (auto qk = matchContraction(v)) {
    ScoreChain chain{*qk, alpha, beta, mask, maskMap};
    return chain;
  }
  linalg::LinalgOp op = elementwiseProducer(v);
  if (!op)
    return std::nullopt;
  for (OpOperand *in : op.getDpsInputOperands()) {
    std::optional<ScaleStep> step = matchScaleStep(v, in, /*allowMask=*/!mask);
    if (!step || !hasNUses(step->input, 1))
      continue;
    Value newMask = mask;
    AffineMap newMaskMap = maskMap;
    double newBeta = beta;
    if (step->mask) {
      newMask = step->mask->get();
      newMaskMap = op.getMatchingIndexingMap(step->mask);
      newBeta = alpha * step->b;
    }
    if (auto chain = matchScoreChain(step->input, alpha * step->a, newBeta,
                                     newMask, newMaskMap))
      return chain;
  }
  return std::nullopt;
}

/// How the recognized additive mask is expressed on effc.attention.
struct MaskChoice {
  MaskKind kind = MaskKind::none;
  Value values;
};

/// True when the [Sq, Skv] slices of a constant f32 mask are effc's causal
/// mask (0 where key j <= i + Skv - Sq, very negative elsewhere), after
/// multiplying by `beta > 0`.
bool isCausalConstant(DenseElementsAttr attr, double beta) {
  auto type = cast<RankedTensorType>(attr.getType());
  if (!type.getElementType().isF32() || type.getRank() < 2 || beta <= 0.0)
    return false;
  int64_t sq = type.getDimSize(type.getRank() - 2);
  int64_t skv = type.getDimSize(type.getRank() - 1);
  int64_t offset = skv - sq;
  ArrayRef<char> raw = attr.getRawData();
  int64_t n = type.getNumElements();
  for (int64_t lin = 0; lin < n; ++lin) {
    float f;
    std::memcpy(&f, &raw[(attr.isSplat() ? 0 : lin) * sizeof(float)],
                sizeof(float));
    double val = f * beta;
    int64_t i = (lin / skv) % sq, j = lin % skv;
    bool visible = j <= i + offset;
    if (visible ? val != 0.0 : !(val <= kMaskedBelow))
      return false;
  }
  return true;
}

/// True when `mask`, a runtime [.., S, S] tensor (both of its last dims the
/// same size) that `map` reads in the scores' order, is effc's causal mask
/// times `beta`: checked by evaluating it on leading rows and on rows far
/// down a long sequence.
bool isCausalByEvaluation(Value mask, double beta) {
  auto mTy = cast<RankedTensorType>(mask.getType());
  int64_t mr = mTy.getRank();
  if (mr < 2 || beta <= 0.0 || !raise::sameDim(mask, mr - 2, mask, mr - 1))
    return false;
  for (int64_t d = 0; d + 2 < mr; ++d)
    if (mTy.getDimSize(d) != 1)
      return false;
  SmallVector<int64_t> rows = {0, 1, 2, 3, 4, 5, 6, 7, 1000, 1001, 4095};
  for (int64_t i : rows)
    for (int64_t j : rows) {
      SmallVector<int64_t> idx(mr, 0);
      idx[mr - 2] = i;
      idx[mr - 1] = j;
      std::optional<double> val = raise::evalTensorAt(mask, idx);
      if (!val)
        return false;
      double x = *val * beta;
      if (j <= i ? x != 0.0 : !(x <= kMaskedBelow))
        return false;
    }
  return true;
}

/// Chooses the mask kind for `beta * mask` read through `map` by scores of
/// rank `rank`; nullopt when effc.attention cannot express it.
std::optional<MaskChoice> chooseMask(const ScoreChain &chain, int64_t rank,
                                     Type elt) {
  MaskChoice choice;
  if (!chain.mask)
    return choice;
  std::optional<double> splat = uniformConstant(chain.mask);
  if (splat && *splat * chain.beta == 0.0)
    return choice; // adds zero: no mask
  auto mTy = dyn_cast<RankedTensorType>(chain.mask.getType());
  if (!mTy || mTy.getElementType() != elt)
    return std::nullopt;
  // The mask must be [Sq, Skv] or of the scores' rank, read in that order,
  // each dim but the last matching the scores' or broadcast (size 1, read
  // at 0).
  AffineMap map = chain.maskMap;
  MLIRContext *ctx = map.getContext();
  int64_t mr = map.getNumResults();
  if (mr != 2 && mr != rank)
    return std::nullopt;
  for (int64_t t = 0; t < mr; ++t) {
    AffineExpr e = map.getResult(t);
    int64_t loop = rank - mr + t;
    if (e == getAffineDimExpr(loop, ctx))
      continue;
    // Every dim but the keys' may broadcast: [B, 1, 1, Skv] padding masks.
    auto cst = dyn_cast<AffineConstantExpr>(e);
    if (t + 1 < mr && cst && cst.getValue() == 0 && mTy.getDimSize(t) == 1)
      continue;
    return std::nullopt;
  }
  // A constant is checked for causality only when it has its own row per
  // query (a broadcast row cannot be causal unless it masks nothing).
  DenseElementsAttr dense;
  if (map.getResult(mr - 2) == getAffineDimExpr(rank - 2, ctx) &&
      matchPattern(chain.mask, m_Constant(&dense)) &&
      isCausalConstant(dense, chain.beta)) {
    choice.kind = MaskKind::causal;
    return choice;
  }
  // A mask computed at run time for dynamic lengths.
  if (map.getResult(mr - 2) == getAffineDimExpr(rank - 2, ctx) &&
      !mTy.hasStaticShape() && isCausalByEvaluation(chain.mask, chain.beta)) {
    choice.kind = MaskKind::causal;
    return choice;
  }
  if (chain.beta != 1.0)
    return std::nullopt;
  choice.kind = MaskKind::additive;
  choice.values = chain.mask;
  return choice;
}

//===----------------------------------------------------------------------===//
// Softmax
//===----------------------------------------------------------------------===//

/// If operand `operand` of an op with `rank` loops reads a per-row value
/// (broadcast along the last loop), returns the rank-1-lower row value:
/// read through a map dropping the last loop, through a keep-dim map
/// `(.., 0)` of an expand_shape, or from a linalg.broadcast.
Value rowValue(linalg::LinalgOp op, OpOperand *operand, int64_t rank) {
  AffineMap map = op.getMatchingIndexingMap(operand);
  MLIRContext *ctx = map.getContext();
  Value v = operand->get();
  auto isRowPrefix = [&](AffineMap m) {
    if (m.getNumResults() < static_cast<unsigned>(rank - 1))
      return false;
    for (int64_t t = 0; t < rank - 1; ++t)
      if (m.getResult(t) != getAffineDimExpr(t, ctx))
        return false;
    return true;
  };
  if (map.getNumResults() == static_cast<unsigned>(rank - 1) &&
      isRowPrefix(map))
    return v;
  if (map.getNumResults() == static_cast<unsigned>(rank) && isRowPrefix(map)) {
    auto cst = dyn_cast<AffineConstantExpr>(map.getResult(rank - 1));
    if (cst && cst.getValue() == 0) {
      // Keep-dim [.., S, 1]: the expand_shape of a [.., S] reduction.
      auto expand = v.getDefiningOp<tensor::ExpandShapeOp>();
      if (!expand || !hasNUses(v, 1) ||
          expand.getSrcType().getRank() != rank - 1)
        return {};
      return expand.getSrc();
    }
    if (map.isIdentity()) {
      if (auto b = v.getDefiningOp<linalg::BroadcastOp>())
        if (hasNUses(v, 1) && b.getDimensions().size() == 1 &&
            b.getDimensions()[0] == rank - 1)
          return b.getInput();
    }
  }
  return {};
}

/// The kind of reduction a body computes.
enum class Reduction { sum, max };

/// If `v` is a reduction of some [.., S] over its last dim into a zero (sum)
/// or any constant (max) init, returns the reduced input.
Value matchRowReduction(Value v, Reduction kind) {
  auto op = v.getDefiningOp<linalg::LinalgOp>();
  if (!op || !op.hasPureTensorSemantics() || op->getNumResults() != 1 ||
      op.getNumDpsInputs() != 1 || op.getNumDpsInits() != 1)
    return {};
  auto inTy = dyn_cast<RankedTensorType>(op.getDpsInputs()[0].getType());
  if (!inTy)
    return {};
  int64_t rank = inTy.getRank();
  auto iters = op.getIteratorTypesArray();
  if (rank < 1 || op.getNumLoops() != rank)
    return {};
  for (int64_t d = 0; d < rank; ++d)
    if ((iters[d] == utils::IteratorType::reduction) != (d == rank - 1))
      return {};
  AffineMap inMap = op.getMatchingIndexingMap(op.getDpsInputOperand(0));
  AffineMap outMap = op.getMatchingIndexingMap(op.getDpsInitOperand(0));
  if (!inMap.isIdentity() ||
      outMap != AffineMap::getMultiDimIdentityMap(rank, op->getContext())
                    .getMajorSubMap(rank - 1))
    return {};
  std::optional<double> init = uniformConstant(op.getDpsInits()[0]);
  if (!init || (kind == Reduction::sum && *init != 0.0))
    return {};
  Value yielded = yieldedValue(op);
  Block *body = op.getBlock();
  if (!yielded || body->getOperations().size() != 2)
    return {};
  Value in = body->getArgument(0), acc = body->getArgument(1);
  bool ok = kind == Reduction::sum
                ? isCommutedOf<arith::AddFOp>(yielded, in, acc)
                : (isCommutedOf<arith::MaximumFOp>(yielded, in, acc) ||
                   isCommutedOf<arith::MaxNumFOp>(yielded, in, acc));
  return ok ? op.getDpsInputs()[0] : Value();
}

/// Splits an elementwise op over [.., S, S'] into its full-rank operand
/// (through the identity map) and its per-row operand.
std::optional<std::pair<OpOperand *, OpOperand *>>
fullAndRowOperands(linalg::LinalgOp op, int64_t rank) {
  if (op.getNumDpsInputs() != 2)
    return std::nullopt;
  for (int i = 0; i < 2; ++i) {
    OpOperand *full = op.getDpsInputOperand(i);
    OpOperand *row = op.getDpsInputOperand(1 - i);
    if (op.getMatchingIndexingMap(full).isIdentity() &&
        full->get().getType() == op->getResult(0).getType() &&
        rowValue(op, row, rank))
      return std::make_pair(full, row);
  }
  return std::nullopt;
}

/// If `e` is exp(x - rowmax(x)) (one op, or a subtract and an exp) or
/// exp(x), returns x, the softmax input.
Value matchExp(Value e, int64_t rank) {
  linalg::LinalgOp op = elementwiseProducer(e);
  if (!op)
    return {};
  Value yielded = yieldedValue(op);
  auto exp = yielded ? yielded.getDefiningOp<math::ExpOp>() : nullptr;
  Block *body = op.getBlock();
  if (op.getNumDpsInputs() == 1 && exp &&
      exp.getOperand() == body->getArgument(0) &&
      op.getMatchingIndexingMap(op.getDpsInputOperand(0)).isIdentity() &&
      op.getDpsInputs()[0].getType() == e.getType()) {
    // exp(d): d is x - rowmax(x) or x itself.
    Value d = op.getDpsInputs()[0];
    if (linalg::LinalgOp sub = elementwiseProducer(d)) {
      auto parts = fullAndRowOperands(sub, rank);
      Value subYield = yieldedValue(sub);
      auto subf = subYield ? subYield.getDefiningOp<arith::SubFOp>() : nullptr;
      if (parts && subf && hasNUses(d, 1) &&
          subf.getLhs() ==
              sub.getBlock()->getArgument(parts->first->getOperandNumber()) &&
          subf.getRhs() ==
              sub.getBlock()->getArgument(parts->second->getOperandNumber())) {
        Value x = parts->first->get();
        Value max = rowValue(sub, parts->second, rank);
        if (hasNUses(max, 1) && matchRowReduction(max, Reduction::max) == x &&
            hasNUses(x, 2))
          return x;
        return {};
      }
    }
    return hasNUses(d, 1) ? d : Value();
  }
  auto parts = fullAndRowOperands(op, rank);
  if (!parts || !exp)
    return {};
  auto subf = exp.getOperand().getDefiningOp<arith::SubFOp>();
  if (!subf ||
      subf.getLhs() != body->getArgument(parts->first->getOperandNumber()) ||
      subf.getRhs() != body->getArgument(parts->second->getOperandNumber()))
    return {};
  Value x = parts->first->get();
  Value max = rowValue(op, parts->second, rank);
  if (!hasNUses(max, 1) || matchRowReduction(max, Reduction::max) != x ||
      !hasNUses(x, 2))
    return {};
  return x;
}

/// If `p` is softmax(x) over the last dim and nothing else reads the
/// intermediate values, returns x.
Value matchSoftmax(Value p) {
  auto pTy = dyn_cast<RankedTensorType>(p.getType());
  if (!pTy)
    return {};
  int64_t rank = pTy.getRank();
  if (auto sm = p.getDefiningOp<linalg::SoftmaxOp>()) {
    if (sm.getDimension() != static_cast<uint64_t>(rank - 1) ||
        sm.getInput().getType() != p.getType() || !hasNUses(sm.getInput(), 1))
      return {};
    return sm.getInput();
  }
  // p = e / rowsum(e), e * (1 / rowsum(e)) or e * reciprocal(rowsum(e)).
  linalg::LinalgOp norm = elementwiseProducer(p);
  if (!norm)
    return {};
  auto parts = fullAndRowOperands(norm, rank);
  Value yielded = yieldedValue(norm);
  if (!parts || !yielded)
    return {};
  Block *body = norm.getBlock();
  Value eArg = body->getArgument(parts->first->getOperandNumber());
  Value rArg = body->getArgument(parts->second->getOperandNumber());
  Value e = parts->first->get();
  Value row = rowValue(norm, parts->second, rank);
  auto isOne = [&](Value v) {
    auto c = bodyConstant(norm, v);
    return c && *c == 1.0;
  };
  Value sum;
  if (auto div = yielded.getDefiningOp<arith::DivFOp>();
      div && div.getLhs() == eArg && div.getRhs() == rArg) {
    sum = row;
  } else if (auto mul = yielded.getDefiningOp<arith::MulFOp>()) {
    Value other = mul.getLhs() == eArg   ? mul.getRhs()
                  : mul.getRhs() == eArg ? mul.getLhs()
                                         : Value();
    auto recip = other ? other.getDefiningOp<arith::DivFOp>() : nullptr;
    if (recip && recip->getBlock() == body && isOne(recip.getLhs()) &&
        recip.getRhs() == rArg) {
      sum = row;
    } else if (other == rArg) {
      // The reciprocal is its own op on the row sums.
      linalg::LinalgOp rop = elementwiseProducer(row);
      Value ry = rop ? yieldedValue(rop) : Value();
      auto rdiv = ry ? ry.getDefiningOp<arith::DivFOp>() : nullptr;
      if (!rdiv || rop.getNumDpsInputs() != 1 || !hasNUses(row, 1) ||
          !rop.getMatchingIndexingMap(rop.getDpsInputOperand(0)).isIdentity() ||
          rdiv.getRhs() != rop.getBlock()->getArgument(0) ||
          !bodyConstant(rop, rdiv.getLhs()) ||
          *bodyConstant(rop, rdiv.getLhs()) != 1.0)
        return {};
      sum = rop.getDpsInputs()[0];
    }
  }
  if (!sum || !hasNUses(sum, 1) ||
      matchRowReduction(sum, Reduction::sum) != e || !hasNUses(e, 2))
    return {};
  return matchExp(e, rank);
}

//===----------------------------------------------------------------------===//
// Fusion pattern
//===----------------------------------------------------------------------===//

/// softmax(scale * Q K^T + mask) V, anchored on the contraction with V.
struct FuseAttention : OpInterfaceRewritePattern<linalg::LinalgOp> {
  using OpInterfaceRewritePattern::OpInterfaceRewritePattern;
  LogicalResult matchAndRewrite(linalg::LinalgOp op,
                                PatternRewriter &rewriter) const override {
    if (op->getNumResults() != 1)
      return failure();
    Value out = op->getResult(0);
    std::optional<Contraction> pv = matchContraction(out);
    if (!pv)
      return rewriter.notifyMatchFailure(op, "not a contraction");
    int64_t rank = cast<RankedTensorType>(out.getType()).getRank();
    // P is read in its own order, [batch..., i, j].
    Layout pl = operandLayout(*pv, 0, withBatch(*pv, pv->m, pv->k));
    Value p = op.getDpsInputs()[0];
    if (pl.base != p || !isIdentityPerm(pl.perm) || !hasNUses(p, 1))
      return rewriter.notifyMatchFailure(op, "lhs is not a softmax");
    Value x = matchSoftmax(p);
    if (!x)
      return rewriter.notifyMatchFailure(op, "lhs is not a softmax");
    // Uses of the scores were checked on the way: one per chain step, and
    // the softmax's own when the scores feed it directly.
    std::optional<ScoreChain> chain =
        matchScoreChain(x, 1.0, 0.0, Value(), AffineMap());
    if (!chain)
      return rewriter.notifyMatchFailure(op, "no Q x K^T before the softmax");
    const Contraction &qk = chain->qk;
    if (qk.batch.size() != pv->batch.size())
      return failure();
    Type elt = getElementTypeOrSelf(out.getType());
    std::optional<MaskChoice> mask = chooseMask(*chain, rank, elt);
    if (!mask)
      return rewriter.notifyMatchFailure(op, "mask not expressible");

    Layout ql = operandLayout(qk, 0, withBatch(qk, qk.m, qk.k));
    Layout kl = operandLayout(qk, 1, withBatch(qk, qk.n, qk.k));
    Layout vl = operandLayout(*pv, 1, withBatch(*pv, pv->k, pv->n));
    double scale = chain->alpha * peelScales(ql) * peelScales(kl);
    auto f32Scale = static_cast<float>(scale);
    if (!std::isfinite(f32Scale) || f32Scale == 0.0f)
      return rewriter.notifyMatchFailure(op, "scale out of f32 range");

    Location loc = op.getLoc();
    Value q = materialize(rewriter, loc, ql);
    Value k = materialize(rewriter, loc, kl);
    Value v = materialize(rewriter, loc, vl);
    auto attn = AttentionOp::create(
        rewriter, loc, out.getType(), q, k, v, mask->values,
        rewriter.getF32FloatAttr(f32Scale),
        MaskKindAttr::get(rewriter.getContext(), mask->kind), IntegerAttr());
    rewriter.replaceOp(op, attn.getResult());
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Pass
//===----------------------------------------------------------------------===//

struct RewriteAttentionPass
    : effc::impl::RewriteAttentionPassBase<RewriteAttentionPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    int64_t windowSize = window;
    if (variant == AttentionVariant::window && windowSize <= 0) {
      module.emitError("effc-rewrite-attention: variant=window needs a "
                       "positive window, got ")
          << windowSize;
      return signalPassFailure();
    }
    if (variant != AttentionVariant::window && windowSize != 0) {
      module.emitError("effc-rewrite-attention: window=")
          << windowSize << " is only meaningful with variant=window";
      return signalPassFailure();
    }

    RewritePatternSet patterns(&getContext());
    populateRewriteAttentionPatterns(patterns);
    if (failed(applyPatternsGreedily(module, std::move(patterns)))) {
      module.emitError("effc-rewrite-attention: rewriting did not converge");
      return signalPassFailure();
    }
    // Broadcast masks are narrowed once every attention is fused, so that
    // the layers that share a mask share its narrowed copy too.
    RewritePatternSet maskPatterns(&getContext());
    populateNarrowAttentionMaskPatterns(maskPatterns);
    if (failed(applyPatternsGreedily(module, std::move(maskPatterns)))) {
      module.emitError("effc-rewrite-attention: mask narrowing did not "
                       "converge");
      return signalPassFailure();
    }

    if (variant == AttentionVariant::flash)
      return;
    MaskKind kind = variant == AttentionVariant::causal ? MaskKind::causal
                                                        : MaskKind::window;
    WalkResult result = module.walk([&](AttentionOp op) {
      // An explicit mask may encode padding or anything else; replacing or
      // combining it with a causal/window mask would change the model.
      if (op.getMask() == MaskKind::additive) {
        op.emitError("variant=")
            << stringifyMaskKind(kind)
            << " conflicts with this attention's explicit mask";
        return WalkResult::interrupt();
      }
      op.setMask(kind);
      if (kind == MaskKind::window)
        op.setWindowAttr(IntegerAttr::get(IntegerType::get(op.getContext(), 64),
                                          windowSize));
      else
        op.removeWindowAttr();
      return WalkResult::advance();
    });
    if (result.wasInterrupted())
      signalPassFailure();
  }
};

} // namespace

void mlir::effc::populateRewriteAttentionPatterns(RewritePatternSet &patterns) {
  MLIRContext *ctx = patterns.getContext();
  patterns.add<FuseAttention>(ctx);
  populateAbsorbLatentProjectionsPatterns(patterns);
  populateRecoverGqaPatterns(patterns);
}

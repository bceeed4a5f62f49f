//===- NarrowAttentionMask.cpp - masks read before their broadcast -*- C++ -*-//
//
// Frontends materialize the padding mask of BERT-style encoders at the
// scores' shape: Hugging Face builds a [B, 1, Sq, Skv] mask from the
// [B, Skv] attention_mask (and-ed with an all-true [Sq] column, then a
// select of 0 / finfo.min), so each effc.attention would read B x Sq x Skv
// mask values that repeat the same row Sq times. effc.attention takes any
// mask that broadcasts to the scores, so the elementwise ops that build such
// a mask are re-created with size 1 along every dim the mask does not vary
// over, and the attention reads the [B, 1, 1, Skv] result.
//
//===----------------------------------------------------------------------===//

#include "effc/Dialect/EffcOps.h"
#include "effc/Support/LinalgBuilders.h"
#include "effc/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"

#include "llvm/ADT/SetVector.h"
#include "llvm/ADT/SmallBitVector.h"

using namespace mlir;
using namespace mlir::effc;

namespace {

/// How many producers deep the invariance analysis looks.
constexpr int kMaxDepth = 8;

/// A linalg op on static tensors with one result, only parallel loops, the
/// init read through the identity map and not read by the body, and a body
/// with one argument per operand (so it can be cloned into a generic): the
/// result at an index depends only on the inputs read at that index.
linalg::LinalgOp elementwiseProducer(Value v) {
  auto op = v.getDefiningOp<linalg::LinalgOp>();
  if (!op || isa<linalg::FillOp>(op.getOperation()) ||
      !op.hasPureTensorSemantics() || op->getNumResults() != 1 ||
      op.getNumDpsInits() != 1 || !op.isAllParallelLoops() ||
      !op.getMatchingIndexingMap(op.getDpsInitOperand(0)).isIdentity() ||
      !cast<RankedTensorType>(v.getType()).hasStaticShape() ||
      op.getBlock()->getNumArguments() != op->getNumOperands() ||
      op.payloadUsesValueFromOperand(op.getDpsInitOperand(0)))
    return nullptr;
  return op;
}

/// A value that is the same in every element: a splat constant or a fill
/// of a static shape.
bool isUniform(Value v) {
  DenseElementsAttr dense;
  if (matchPattern(v, m_Constant(&dense)))
    return dense.isSplat();
  auto fill = v.getDefiningOp<linalg::FillOp>();
  return fill && fill.hasPureTensorSemantics() &&
         cast<RankedTensorType>(v.getType()).hasStaticShape();
}

/// The subset of `wanted` (dims of `v`'s shape) along which `v` provably
/// does not vary.
llvm::SmallBitVector invariantDims(Value v, const llvm::SmallBitVector &wanted,
                                   int depth) {
  llvm::SmallBitVector none(wanted.size());
  if (wanted.none())
    return none;
  if (isUniform(v))
    return wanted;
  linalg::LinalgOp op = elementwiseProducer(v);
  if (!op || depth == 0)
    return none;
  // Loop d is the result's dim d (identity init map).
  llvm::SmallBitVector result = wanted;
  op.getBlock()->walk([&](linalg::IndexOp index) {
    if (index.getDim() < result.size())
      result.reset(index.getDim());
  });
  for (OpOperand *in : op.getDpsInputOperands()) {
    AffineMap map = op.getMatchingIndexingMap(in);
    // Input dims that must not vary, for the result not to vary along the
    // loops they are read by.
    llvm::SmallBitVector inWanted(map.getNumResults());
    for (auto [pos, expr] : llvm::enumerate(map.getResults())) {
      if (auto dim = dyn_cast<AffineDimExpr>(expr)) {
        if (result.test(dim.getPosition()))
          inWanted.set(pos);
        continue;
      }
      if (isa<AffineConstantExpr>(expr))
        continue;
      // A compound index: none of its loops is broadcast.
      for (unsigned d = 0; d < result.size(); ++d)
        if (expr.isFunctionOfDim(d))
          result.reset(d);
    }
    if (inWanted.none())
      continue;
    llvm::SmallBitVector inInvariant =
        invariantDims(in->get(), inWanted, depth - 1);
    for (auto [pos, expr] : llvm::enumerate(map.getResults()))
      if (inWanted.test(pos) && !inInvariant.test(pos))
        result.reset(cast<AffineDimExpr>(expr).getPosition());
  }
  return result;
}

/// `type` with size 1 along `dims`.
RankedTensorType narrowedType(RankedTensorType type,
                              const llvm::SmallBitVector &dims) {
  SmallVector<int64_t> shape(type.getShape());
  for (int d : dims.set_bits())
    shape[d] = 1;
  return RankedTensorType::get(shape, type.getElementType());
}

/// Re-creates `v`, known invariant along `dims`, with size 1 along them.
/// New ops go right after the ones they replace, so they dominate every
/// use of `v`.
Value narrow(RewriterBase &rewriter, Value v,
             const llvm::SmallBitVector &dims) {
  if (dims.none())
    return v;
  auto type = narrowedType(cast<RankedTensorType>(v.getType()), dims);
  OpBuilder::InsertionGuard guard(rewriter);
  rewriter.setInsertionPointAfterValue(v);
  Location loc = v.getLoc();
  DenseElementsAttr dense;
  if (matchPattern(v, m_Constant(&dense)))
    return arith::ConstantOp::create(rewriter, loc, dense.resizeSplat(type));
  if (auto fill = v.getDefiningOp<linalg::FillOp>())
    return linalg::FillOp::create(rewriter, loc, fill.getInputs()[0],
                                  buildEmpty(rewriter, loc, type))
        .getResult(0);
  auto op = cast<linalg::LinalgOp>(v.getDefiningOp());
  SmallVector<Value> inputs;
  for (OpOperand *in : op.getDpsInputOperands()) {
    AffineMap map = op.getMatchingIndexingMap(in);
    llvm::SmallBitVector inDims(map.getNumResults());
    for (auto [pos, expr] : llvm::enumerate(map.getResults()))
      if (auto dim = dyn_cast<AffineDimExpr>(expr);
          dim && dims.test(dim.getPosition()))
        inDims.set(pos);
    inputs.push_back(narrow(rewriter, in->get(), inDims));
  }
  // The same maps and body over the narrowed loop ranges.
  auto generic = linalg::GenericOp::create(
      rewriter, loc, TypeRange{type}, inputs,
      ValueRange{buildEmpty(rewriter, loc, type)}, op.getIndexingMapsArray(),
      op.getIteratorTypesArray());
  rewriter.cloneRegionBefore(op->getRegion(0), generic.getRegion(),
                             generic.getRegion().end());
  return generic.getResult(0);
}

/// An explicit mask that repeats along some of its non-key dims is
/// computed with size 1 along them; every effc.attention reading it reads
/// the narrowed mask.
struct NarrowBroadcastMask : OpRewritePattern<AttentionOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(AttentionOp op,
                                PatternRewriter &rewriter) const override {
    Value mask = op.getMaskValues();
    if (op.getMask() != MaskKind::additive || !mask)
      return failure();
    auto type = cast<RankedTensorType>(mask.getType());
    if (!type.hasStaticShape())
      return rewriter.notifyMatchFailure(op, "dynamic mask shape");
    // Every dim but the keys' may broadcast.
    llvm::SmallBitVector wanted(type.getRank());
    for (int64_t d = 0; d + 1 < type.getRank(); ++d)
      if (type.getDimSize(d) > 1)
        wanted.set(d);
    llvm::SmallBitVector dims = invariantDims(mask, wanted, kMaxDepth);
    if (dims.none())
      return rewriter.notifyMatchFailure(op, "mask is not a broadcast");
    Value narrowed = narrow(rewriter, mask, dims);
    llvm::SetVector<AttentionOp> readers;
    for (Operation *user : mask.getUsers())
      if (auto att = dyn_cast<AttentionOp>(user);
          att && att.getMaskValues() == mask)
        readers.insert(att);
    for (AttentionOp att : readers)
      rewriter.modifyOpInPlace(
          att, [&] { att.getMaskValuesMutable().assign(narrowed); });
    return success();
  }
};

} // namespace

void mlir::effc::populateNarrowAttentionMaskPatterns(
    RewritePatternSet &patterns) {
  patterns.add<NarrowBroadcastMask>(patterns.getContext());
}

//===- RaiseDynamic.cpp - torch-mlir's dynamic-shape guards, removed ------===//
//
// Exported with dynamic dims (torch.export `dynamic_shapes`), torch-mlir
// writes what the static export writes as collapse/expand_shape and plain
// broadcasts in a guarded form:
//   - views as `tensor.reshape` by a `tensor.from_elements` shape computed
//     in i64 (view's -1 inference, `x < 0 ? ... : x` selects);
//   - same-shape "broadcasts" as generics that read their input through
//     `tensor.extract %src[size == 1 ? 0 : i, ...]`, in case a dim is 1 at
//     run time;
//   - `cf.assert`s on those sizes.
// The raise patterns and the attention matcher read the structured forms,
// so this file turns the guarded forms back into them where the sizes are
// provably equal (the same runtime value), and leaves everything else:
//   1. integer range optimization (a tensor.dim is never negative, so the
//      -1 inference folds away) and canonicalization (asserts on `true`);
//   2. `select(size == 1, 0, index d)` -> `index d` when loop d runs over
//      `size` (when size is 1, index d is 0 anyway);
//   3. a generic that only copies `tensor.extract %src[index 0, ...]` ->
//      `%src` when the shapes are equal;
//   4. `tensor.reshape` by `from_elements` -> expand_shape / collapse_shape
//      when its dims, matched from the innermost, are equal (the same
//      static size or the same runtime size) or group into one another.
//
//===----------------------------------------------------------------------===//

#include "RaiseImpl.h"

#include "effc/Dialect/EffcOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Transforms/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/DestinationStyleOpInterface.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;
using namespace mlir::effc;

namespace {

/// A size as a comparable key: a static size (root null), a dim of a
/// function argument (the argument, its dim) or an opaque runtime value
/// (the value, -1). Two equal keys are the same size at run time.
using SizeKey = std::pair<Value, int64_t>;

std::optional<SizeKey> dimKey(Value t, int64_t i, unsigned depth = 0);

/// The key of an index or integer scalar that is a size.
std::optional<SizeKey> sizeKey(Value v, unsigned depth = 0) {
  while (auto cast = v.getDefiningOp<arith::IndexCastOp>())
    v = cast.getIn();
  APInt c;
  if (matchPattern(v, m_ConstantInt(&c)))
    return SizeKey{Value(), c.getSExtValue()};
  if (auto dim = v.getDefiningOp<tensor::DimOp>())
    if (std::optional<int64_t> i = dim.getConstantIndex())
      if (std::optional<SizeKey> k = dimKey(dim.getSource(), *i, depth + 1))
        return k;
  return SizeKey{v, -1};
}

std::optional<SizeKey> foldResultKey(OpFoldResult r, unsigned depth) {
  if (auto attr = dyn_cast<Attribute>(r))
    return SizeKey{Value(), cast<IntegerAttr>(attr).getInt()};
  return sizeKey(cast<Value>(r), depth);
}

/// Follows dim `i` of tensor `t` to where its size is defined.
std::optional<SizeKey> dimKey(Value t, int64_t i, unsigned depth) {
  auto type = dyn_cast<RankedTensorType>(t.getType());
  if (!type || i < 0 || i >= type.getRank() || depth > 64)
    return std::nullopt;
  if (!type.isDynamicDim(i))
    return SizeKey{Value(), type.getDimSize(i)};
  if (isa<BlockArgument>(t))
    return SizeKey{t, i};
  Operation *op = t.getDefiningOp();
  if (auto empty = dyn_cast<tensor::EmptyOp>(op))
    return sizeKey(empty.getDynamicSize(i), depth + 1);
  if (auto dps = dyn_cast<DestinationStyleOpInterface>(op)) {
    auto result = cast<OpResult>(t);
    if (dps.getNumDpsInits() > result.getResultNumber())
      return dimKey(dps.getDpsInits()[result.getResultNumber()], i, depth + 1);
  }
  if (auto cast = dyn_cast<tensor::CastOp>(op))
    return dimKey(cast.getSource(), i, depth + 1);
  if (auto expand = dyn_cast<tensor::ExpandShapeOp>(op))
    return foldResultKey(expand.getMixedOutputShape()[i], depth + 1);
  if (auto collapse = dyn_cast<tensor::CollapseShapeOp>(op)) {
    ReassociationIndices group = collapse.getReassociationIndices()[i];
    if (group.size() == 1)
      return dimKey(collapse.getSrc(), group[0], depth + 1);
    return std::nullopt;
  }
  if (auto slice = dyn_cast<tensor::ExtractSliceOp>(op)) {
    if (slice.getSourceType().getRank() != type.getRank())
      return std::nullopt;
    return foldResultKey(slice.getMixedSizes()[i], depth + 1);
  }
  if (auto reshape = dyn_cast<tensor::ReshapeOp>(op))
    if (auto elems = reshape.getShape().getDefiningOp<tensor::FromElementsOp>())
      return sizeKey(elems.getElements()[i], depth + 1);
  // A linear layer's leading dims are its input's.
  if (auto linear = dyn_cast<LinearOp>(op))
    if (i < type.getRank() - 1)
      return dimKey(linear.getInput(), i, depth + 1);
  return std::nullopt;
}

bool sameSize(std::optional<SizeKey> a, std::optional<SizeKey> b) {
  return a && b && *a == *b && (a->first || a->second >= 0);
}

/// The extent of loop `d` of `g`, read from an init whose map has d as a
/// plain result.
std::optional<SizeKey> loopExtent(linalg::GenericOp g, unsigned d) {
  for (OpOperand &init : g.getDpsInitsMutable()) {
    AffineMap map = g.getMatchingIndexingMap(&init);
    for (auto [j, e] : llvm::enumerate(map.getResults()))
      if (auto dim = dyn_cast<AffineDimExpr>(e); dim && dim.getPosition() == d)
        return dimKey(init.get(), j);
  }
  return std::nullopt;
}

/// select(size == 1, 0, index d) -> index d, when loop d runs over `size`.
struct BroadcastGuardToIndex : OpRewritePattern<arith::SelectOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(arith::SelectOp sel,
                                PatternRewriter &rewriter) const override {
    auto g = dyn_cast<linalg::GenericOp>(sel->getParentOp());
    auto index = sel.getFalseValue().getDefiningOp<linalg::IndexOp>();
    auto cmp = sel.getCondition().getDefiningOp<arith::CmpIOp>();
    if (!g || !index || !cmp ||
        cmp.getPredicate() != arith::CmpIPredicate::eq ||
        !matchPattern(sel.getTrueValue(), m_Zero()) ||
        !matchPattern(cmp.getRhs(), m_One()))
      return failure();
    Value size = cmp.getLhs();
    if (g->isAncestor(size.getParentBlock()->getParentOp()))
      return failure();
    if (!sameSize(loopExtent(g, index.getDim()), sizeKey(size)))
      return failure();
    rewriter.replaceOp(sel, index.getResult());
    return success();
  }
};

/// A generic that copies `tensor.extract %src[index 0, ..., index r-1]`
/// into an init of src's shape -> %src.
struct IdentityExtractGeneric : OpRewritePattern<linalg::GenericOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(linalg::GenericOp g,
                                PatternRewriter &rewriter) const override {
    if (g.getNumDpsInputs() != 0 || g.getNumDpsInits() != 1 ||
        g->getNumResults() != 1 || !g.getIndexingMapsArray()[0].isIdentity())
      return failure();
    Block &body = g.getRegion().front();
    auto yield = cast<linalg::YieldOp>(body.getTerminator());
    auto extract = yield.getValues()[0].getDefiningOp<tensor::ExtractOp>();
    if (!extract || extract->getBlock() != &body)
      return failure();
    Value src = extract.getTensor();
    if (g->isAncestor(src.getParentBlock()->getParentOp()))
      return failure();
    auto srcTy = cast<RankedTensorType>(src.getType());
    auto resTy = cast<RankedTensorType>(g.getResult(0).getType());
    if (srcTy.getRank() != resTy.getRank() ||
        srcTy.getElementType() != resTy.getElementType())
      return failure();
    for (auto [d, idx] : llvm::enumerate(extract.getIndices())) {
      // Index 0 of a unit dim (a broadcast guard once the size is known
      // to be 1, as in an --effc-specialize version) is the identity too.
      if (matchPattern(idx, m_Zero()) && srcTy.getDimSize(d) == 1 &&
          resTy.getDimSize(d) == 1)
        continue;
      auto index = idx.getDefiningOp<linalg::IndexOp>();
      if (!index || index.getDim() != d ||
          !sameSize(dimKey(src, d), dimKey(g.getDpsInits()[0], d)))
        return failure();
    }
    Value out = src;
    if (srcTy != resTy)
      out = tensor::CastOp::create(rewriter, g.getLoc(), resTy, src);
    rewriter.replaceOp(g, out);
    return success();
  }
};

/// tensor.reshape by a from_elements shape -> expand_shape or
/// collapse_shape, grouping dims from the innermost.
struct ReshapeToExpandCollapse : OpRewritePattern<tensor::ReshapeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(tensor::ReshapeOp op,
                                PatternRewriter &rewriter) const override {
    auto elems = op.getShape().getDefiningOp<tensor::FromElementsOp>();
    auto srcTy = dyn_cast<RankedTensorType>(op.getSource().getType());
    auto resTy = dyn_cast<RankedTensorType>(op.getResult().getType());
    if (!elems || !srcTy || !resTy)
      return failure();
    Value src = op.getSource();
    auto resKey = [&](int64_t j) -> std::optional<SizeKey> {
      if (!resTy.isDynamicDim(j))
        return SizeKey{Value(), resTy.getDimSize(j)};
      return sizeKey(elems.getElements()[j]);
    };
    // Groups of source dims <-> groups of result dims, innermost first.
    SmallVector<std::pair<ReassociationIndices, ReassociationIndices>> groups;
    int64_t i = srcTy.getRank() - 1, j = resTy.getRank() - 1;
    while (i >= 0 && j >= 0) {
      if (sameSize(dimKey(src, i), resKey(j))) {
        groups.push_back({{i}, {j}});
        --i, --j;
        continue;
      }
      // Static sizes that group: one source dim into several result dims
      // or several source dims into one.
      if (srcTy.isDynamicDim(i) || resTy.isDynamicDim(j))
        break;
      int64_t a = srcTy.getDimSize(i), b = resTy.getDimSize(j);
      ReassociationIndices gs{i}, gr{j};
      while (a != b) {
        if (a < b) {
          if (--i < 0 || srcTy.isDynamicDim(i))
            return failure();
          a *= srcTy.getDimSize(i);
          gs.insert(gs.begin(), i);
        } else {
          if (--j < 0 || resTy.isDynamicDim(j))
            return failure();
          b *= resTy.getDimSize(j);
          gr.insert(gr.begin(), j);
        }
      }
      groups.push_back({gs, gr});
      --i, --j;
    }
    // What is left at the front is one group (the reshape keeps the element
    // count, so its sizes multiply to the same total).
    if (i >= 0 || j >= 0) {
      if (i < 0 || j < 0 || (i > 0 && j > 0))
        return failure();
      ReassociationIndices gs, gr;
      for (int64_t k = 0; k <= i; ++k)
        gs.push_back(k);
      for (int64_t k = 0; k <= j; ++k)
        gr.push_back(k);
      groups.push_back({gs, gr});
    }
    std::reverse(groups.begin(), groups.end());
    bool expand =
        llvm::all_of(groups, [](auto &g) { return g.first.size() == 1; });
    bool collapse =
        llvm::all_of(groups, [](auto &g) { return g.second.size() == 1; });
    Location loc = op.getLoc();
    if (collapse) {
      SmallVector<ReassociationIndices> reassoc;
      for (auto &g : groups)
        reassoc.push_back(g.first);
      Value c = tensor::CollapseShapeOp::create(rewriter, loc, src, reassoc);
      if (c.getType() != resTy)
        c = tensor::CastOp::create(rewriter, loc, resTy, c);
      rewriter.replaceOp(op, c);
      return success();
    }
    if (!expand)
      return failure();
    SmallVector<ReassociationIndices> reassoc;
    for (auto &g : groups)
      reassoc.push_back(g.second);
    SmallVector<OpFoldResult> sizes;
    for (int64_t k = 0; k < resTy.getRank(); ++k) {
      if (!resTy.isDynamicDim(k)) {
        sizes.push_back(rewriter.getIndexAttr(resTy.getDimSize(k)));
        continue;
      }
      Value e = elems.getElements()[k];
      if (!e.getType().isIndex())
        e = arith::IndexCastOp::create(rewriter, loc, rewriter.getIndexType(),
                                       e);
      sizes.push_back(e);
    }
    rewriter.replaceOpWithNewOp<tensor::ExpandShapeOp>(op, resTy, src, reassoc,
                                                       sizes);
    return success();
  }
};

} // namespace

bool raise::hasDynamicTensors(Operation *root) {
  bool dynamic = false;
  root->walk([&](Operation *op) {
    for (Type t :
         llvm::concat<Type>(op->getOperandTypes(), op->getResultTypes()))
      if (auto st = dyn_cast<RankedTensorType>(t); st && !st.hasStaticShape())
        dynamic = true;
    return dynamic ? WalkResult::interrupt() : WalkResult::advance();
  });
  return dynamic;
}

bool raise::sameDim(Value a, int64_t i, Value b, int64_t j) {
  return sameSize(dimKey(a, i), dimKey(b, j));
}

void raise::buildDynamicShapeCleanup(OpPassManager &pm) {
  pm.addPass(arith::createIntRangeOptimizationsPass());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
}

void raise::populateRaiseDynamicPatterns(RewritePatternSet &patterns) {
  patterns.add<BroadcastGuardToIndex, IdentityExtractGeneric,
               ReshapeToExpandCollapse>(patterns.getContext());
}

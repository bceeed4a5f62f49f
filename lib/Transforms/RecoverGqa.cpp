//===- RecoverGqa.cpp - repeat_kv back to grouped-query attention -*- C++ -*-=//
//
// Hugging Face's Llama / Mistral / Qwen attention (and torch-mlir's export
// of it) repeats each key/value head `rep` times before the matmuls
// (`repeat_kv`: a broadcast to [B, Hkv, rep, S, D] collapsed to
// [B, Hkv * rep, S, D]). effc.attention reads the KV heads once for every
// query head of their group (query head h reads KV head h / (Hq / Hkv)),
// so the repeat is dropped: K and V shrink by `rep` and the kernels read
// each KV head once per group, as grouped-query attention means.
//
//===----------------------------------------------------------------------===//

#include "effc/Dialect/EffcOps.h"
#include "effc/Transforms/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"

using namespace mlir;
using namespace mlir::effc;

namespace {

/// If `v` is collapse_shape [[0], [1, 2], [3], [4]] of a broadcast of
/// x [B, Hkv, S, D] along a new dim 2 (a generic yielding its input, or
/// linalg.broadcast), returns x and the repeat count.
std::optional<std::pair<Value, int64_t>> matchRepeatKv(Value v) {
  auto collapse = v.getDefiningOp<tensor::CollapseShapeOp>();
  if (!collapse)
    return std::nullopt;
  auto reassoc = collapse.getReassociationIndices();
  if (reassoc.size() != 4 || reassoc[0].size() != 1 || reassoc[1].size() != 2 ||
      reassoc[2].size() != 1 || reassoc[3].size() != 1)
    return std::nullopt;
  Value src = collapse.getSrc();
  auto srcTy = cast<RankedTensorType>(src.getType());
  int64_t rep = srcTy.getDimSize(2);
  MLIRContext *ctx = v.getContext();
  if (auto b = src.getDefiningOp<linalg::BroadcastOp>()) {
    if (b.getDimensions() == ArrayRef<int64_t>{2})
      return std::make_pair(b.getInput(), rep);
    return std::nullopt;
  }
  auto g = src.getDefiningOp<linalg::GenericOp>();
  if (!g || g.getNumDpsInputs() != 1 || g.getNumLoops() != 5 ||
      g.getNumParallelLoops() != 5)
    return std::nullopt;
  Block &body = g.getRegion().front();
  auto yield = cast<linalg::YieldOp>(body.getTerminator());
  SmallVector<AffineExpr> d;
  for (unsigned i = 0; i < 5; ++i)
    d.push_back(getAffineDimExpr(i, ctx));
  if (body.getOperations().size() != 1 ||
      yield.getOperand(0) != body.getArgument(0) ||
      !g.getIndexingMapsArray()[1].isIdentity())
    return std::nullopt;
  // x reads (d0, d1, d3, d4); a unit dim may be read at 0 instead.
  AffineMap in = g.getIndexingMapsArray()[0];
  unsigned expected[] = {0, 1, 3, 4};
  if (in.getNumResults() != 4)
    return std::nullopt;
  for (unsigned i = 0; i < 4; ++i) {
    AffineExpr e = in.getResult(i);
    bool unitZero = srcTy.getDimSize(expected[i]) == 1 &&
                    isa<AffineConstantExpr>(e) &&
                    cast<AffineConstantExpr>(e).getValue() == 0;
    if (e != d[expected[i]] && !unitZero)
      return std::nullopt;
  }
  return std::make_pair(g.getDpsInputs()[0], rep);
}

struct RecoverGqa : OpRewritePattern<AttentionOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(AttentionOp op,
                                PatternRewriter &rewriter) const override {
    auto k = matchRepeatKv(op.getKey());
    auto v = matchRepeatKv(op.getValue());
    if (!k || !v || k->second != v->second || k->second == 1)
      return rewriter.notifyMatchFailure(op, "K and V are not repeat_kv");
    rewriter.modifyOpInPlace(op, [&] {
      op.getKeyMutable().assign(k->first);
      op.getValueMutable().assign(v->first);
    });
    return success();
  }
};

} // namespace

void mlir::effc::populateRecoverGqaPatterns(RewritePatternSet &patterns) {
  patterns.add<RecoverGqa>(patterns.getContext());
}

//===- LowerDynamicExpandShape.cpp - dynamic expands as casts ---*- C++ -*-===//
//
// memref.expand_shape of a contiguous buffer that splits one runtime size
// into several as a memref.reinterpret_cast: MLIR 22's
// expand-strided-metadata crashes on the expand (docs/upstream-bugs.md).
//
//===----------------------------------------------------------------------===//

#include "effc/Conversion/CPU/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir {
namespace effc {
#define GEN_PASS_DEF_LOWERDYNAMICEXPANDSHAPEPASS
#include "effc/Conversion/CPU/Passes.h.inc"
} // namespace effc
} // namespace mlir

using namespace mlir;

namespace {

struct DynamicExpandToCast : OpRewritePattern<memref::ExpandShapeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(memref::ExpandShapeOp op,
                                PatternRewriter &rewriter) const override {
    MemRefType srcTy = op.getSrcType(), resTy = op.getResultType();
    if (!srcTy.getLayout().isIdentity() || !resTy.getLayout().isIdentity())
      return failure();
    // Only the expands the upstream pass cannot take: a group with more
    // than one dynamic dim.
    bool twoDynamic = llvm::any_of(op.getReassociationIndices(),
                                   [&](const ReassociationIndices &g) {
                                     return llvm::count_if(g, [&](int64_t d) {
                                              return resTy.isDynamicDim(d);
                                            }) > 1;
                                   });
    if (!twoDynamic)
      return failure();
    Location loc = op.getLoc();
    SmallVector<OpFoldResult> sizes = op.getMixedOutputShape();
    SmallVector<OpFoldResult> strides(sizes.size());
    OpFoldResult stride = rewriter.getIndexAttr(1);
    for (int64_t d = sizes.size() - 1; d >= 0; --d) {
      strides[d] = stride;
      if (d == 0)
        break;
      // Static while the sizes are: the identity layout's static strides.
      std::optional<int64_t> a = getConstantIntValue(stride),
                             b = getConstantIntValue(sizes[d]);
      if (a && b) {
        stride = rewriter.getIndexAttr(*a * *b);
        continue;
      }
      stride = arith::MulIOp::create(
                   rewriter, loc,
                   getValueOrCreateConstantIndexOp(rewriter, loc, stride),
                   getValueOrCreateConstantIndexOp(rewriter, loc, sizes[d]))
                   .getResult();
    }
    rewriter.replaceOpWithNewOp<memref::ReinterpretCastOp>(
        op, resTy, op.getSrc(), rewriter.getIndexAttr(0), sizes, strides);
    return success();
  }
};

struct LowerDynamicExpandShapePass
    : effc::impl::LowerDynamicExpandShapePassBase<LowerDynamicExpandShapePass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<DynamicExpandToCast>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};

} // namespace

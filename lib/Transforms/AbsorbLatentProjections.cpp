//===- AbsorbLatentProjections.cpp - MLA weight absorption -----*- C++ -*-===//
//
// DeepSeek's multi-head latent attention, rewritten for inference: the K and
// V up-projections of the latent cache are absorbed into the query and
// output sides of effc.attention (part of --effc-rewrite-attention).
//
//===----------------------------------------------------------------------===//

#include "effc/Dialect/EffcOps.h"
#include "effc/Support/LinalgBuilders.h"
#include "effc/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"

using namespace mlir;
using namespace mlir::effc;

namespace {

//===----------------------------------------------------------------------===//
// Multi-head latent attention
//===----------------------------------------------------------------------===//

/// A constant 2-D weight transposed, through its raw data when dense.
Value transposeWeight(PatternRewriter &rewriter, Location loc, Value w) {
  auto type = cast<RankedTensorType>(w.getType());
  auto outTy = RankedTensorType::get({type.getDimSize(1), type.getDimSize(0)},
                                     type.getElementType());
  DenseElementsAttr attr;
  if (matchPattern(w, m_Constant(&attr)) &&
      type.getElementTypeBitWidth() % 8 == 0) {
    if (attr.isSplat())
      return arith::ConstantOp::create(rewriter, loc, outTy,
                                       attr.reshape(outTy));
    int64_t rows = type.getDimSize(0), cols = type.getDimSize(1);
    unsigned bytes = type.getElementTypeBitWidth() / 8;
    ArrayRef<char> raw = attr.getRawData();
    std::vector<char> out(raw.size());
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t c = 0; c < cols; ++c)
        std::memcpy(&out[(c * rows + r) * bytes], &raw[(r * cols + c) * bytes],
                    bytes);
    auto t = DenseElementsAttr::getFromRawBuffer(outTy, out);
    return arith::ConstantOp::create(rewriter, loc, outTy, t);
  }
  return linalg::TransposeOp::create(rewriter, loc, w,
                                     buildEmpty(rewriter, loc, outTy),
                                     ArrayRef<int64_t>{1, 0})
      .getResult()[0];
}

/// A plain projection `x W^T` by a constant rank-2 weight.
LinearOp latentProjection(Value v) {
  auto lin = v.getDefiningOp<LinearOp>();
  if (!lin || lin.getBias() || lin.getActivation() != Activation::none ||
      !v.hasNUses(1) || lin.getWeight().getType().getRank() != 2 ||
      !matchPattern(lin.getWeight(), m_Constant()))
    return nullptr;
  return lin;
}

/// attention(q, C W_UK^T, C W_UV^T) = attention(q W_UK, C, C) W_UV^T: the
/// scores and the weighted sum are taken in the latent space of C.
struct AbsorbLatentProjections : OpRewritePattern<AttentionOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(AttentionOp op,
                                PatternRewriter &rewriter) const override {
    LinearOp kProj = latentProjection(op.getKey());
    LinearOp vProj = latentProjection(op.getValue());
    if (!kProj || !vProj || kProj == vProj ||
        kProj.getInput() != vProj.getInput())
      return rewriter.notifyMatchFailure(op, "K, V not projections of one "
                                             "latent by constant weights");
    Value latent = kProj.getInput();
    auto qTy = op.getQuery().getType();
    auto cTy = cast<RankedTensorType>(latent.getType());
    if (!qTy.hasStaticShape() || !cTy.hasStaticShape() ||
        cTy.getElementType() != qTy.getElementType())
      return failure();
    Location loc = op.getLoc();
    Type elt = qTy.getElementType();
    int64_t dc = cTy.getShape().back();
    // The scale stays the original one, 1/sqrt(D) when it was implicit.
    double scale = op.getScaleOrDefault();

    // q' = q W_UK: a linear with weight W_UK^T [Dc, D].
    Value wukT = transposeWeight(rewriter, loc, kProj.getWeight());
    SmallVector<int64_t> qShape(qTy.getShape());
    qShape.back() = dc;
    auto qlTy = RankedTensorType::get(qShape, elt);
    auto none = ActivationAttr::get(rewriter.getContext(), Activation::none);
    Value ql = LinearOp::create(rewriter, loc, qlTy, op.getQuery(), wukT,
                                Value(), none, FloatAttr(), FloatAttr());
    Value attn = AttentionOp::create(
        rewriter, loc, qlTy, ql, latent, latent, op.getMaskValues(),
        rewriter.getF32FloatAttr(static_cast<float>(scale)), op.getMaskAttr(),
        op.getWindowAttr());
    // o = attn' W_UV^T: W_UV [Dv, Dc] is already the [N, K] weight.
    rewriter.replaceOpWithNewOp<LinearOp>(op, op.getType(), attn,
                                          vProj.getWeight(), Value(), none,
                                          FloatAttr(), FloatAttr());
    return success();
  }
};

} // namespace

void mlir::effc::populateAbsorbLatentProjectionsPatterns(
    RewritePatternSet &patterns) {
  patterns.add<AbsorbLatentProjections>(patterns.getContext());
}

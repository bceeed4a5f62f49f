//===- RaiseLayout.cpp - NCHW convolutions and layout propagation -*- C++ -*-=//
//
// PyTorch (through torch-mlir) and ONNX write convolutions in NCHW; effc's
// conv2d is NHWC. A raised NCHW convolution reads its input through a
// transpose to NHWC and gives its result back through a transpose to NCHW.
// The layout is then handled once, for the whole graph: transposes sink
// through elementwise generics (which then compute in NHWC), fold into
// reductions and pads, turn into reshapes when they only move unit dims,
// and cancel against each other, so a CNN keeps NHWC from its first
// convolution to its classifier.
//
//===----------------------------------------------------------------------===//

#include "RaiseImpl.h"

#include "effc/Dialect/EffcOps.h"
#include "effc/Support/LinalgBuilders.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Matchers.h"
#include "llvm/ADT/SmallBitVector.h"

using namespace mlir;
using namespace mlir::effc;
using namespace mlir::effc::raise;

namespace {

/// NCHW -> NHWC and back, as `result dim i = input dim perm[i]`.
constexpr int64_t kToNhwc[] = {0, 2, 3, 1};
constexpr int64_t kToNchw[] = {0, 3, 1, 2};

Value transposeTo(PatternRewriter &rewriter, Location loc, Value v,
                  ArrayRef<int64_t> perm) {
  return permute(rewriter, loc, v, perm);
}

SmallVector<int64_t> attrToVec(DenseIntElementsAttr attr) {
  if (!attr)
    return {1, 1};
  return llvm::to_vector(attr.getValues<int64_t>());
}

/// The shape of `t` permuted by `perm`.
RankedTensorType permutedType(RankedTensorType t, ArrayRef<int64_t> perm) {
  SmallVector<int64_t> shape;
  for (int64_t p : perm)
    shape.push_back(t.getDimSize(p));
  return RankedTensorType::get(shape, t.getElementType());
}

/// The bias a frontend puts in a convolution's init: torch-mlir writes
/// `linalg.broadcast` of the [F] bias over every other dim (through an
/// expand_shape for grouped convolutions). Null when the init is not one.
Value initBias(Value init, unsigned channelDim) {
  if (auto e = init.getDefiningOp<tensor::ExpandShapeOp>())
    init = e.getSrc();
  // TOSA's lowering writes the broadcast as a generic that yields its input.
  if (auto g = init.getDefiningOp<linalg::GenericOp>()) {
    Block &body = g.getRegion().front();
    auto yield = cast<linalg::YieldOp>(body.getTerminator());
    if (g.getNumDpsInputs() != 1 || body.getOperations().size() != 1 ||
        yield.getOperand(0) != body.getArgument(0) ||
        g.getNumLoops() != g.getNumParallelLoops())
      return {};
    AffineMap m = g.getIndexingMapsArray()[0];
    if (m.getNumResults() != 1 ||
        m.getResult(0) != getAffineDimExpr(channelDim, g.getContext()) ||
        !g.getIndexingMapsArray()[1].isIdentity())
      return {};
    return g.getDpsInputs()[0];
  }
  auto b = init.getDefiningOp<linalg::BroadcastOp>();
  if (!b || !b.hasPureTensorSemantics())
    return {};
  auto inTy = cast<RankedTensorType>(b.getInput().getType());
  ArrayRef<int64_t> dims = b.getDimensions();
  if (inTy.getRank() != 1 || llvm::is_contained(dims, (int64_t)channelDim))
    return {};
  return b.getInput();
}

/// Checks what every raised NCHW convolution needs: static float tensors
/// of one element type, a zero or bias init and a weight effc can take.
template <typename OpTy> bool isRaisableConv(OpTy op, unsigned channelDim = 1) {
  return op.hasPureTensorSemantics() &&
         llvm::all_of(op->getOperands(), isStaticFloatTensor) &&
         (isZeroInit(op.getOutputs()[0]) ||
          initBias(op.getOutputs()[0], channelDim)) &&
         isWeightSource(op.getInputs()[1]) &&
         llvm::all_of(op->getOperands(), [&](Value v) {
           return getElementTypeOrSelf(v.getType()) ==
                  getElementTypeOrSelf(op->getResult(0).getType());
         });
}

/// conv(NHWC input, OHWI weight) back in NCHW: the transposes around it
/// are what the layout propagation below cancels.
Value convInNhwc(PatternRewriter &rewriter, Location loc, Value nchwInput,
                 ArrayRef<int64_t> padding, Value ohwiWeight, Value init,
                 RankedTensorType nchwResult, ArrayRef<int64_t> strides,
                 ArrayRef<int64_t> dilations, int64_t groups) {
  Value input = transposeTo(rewriter, loc, nchwInput, kToNhwc);
  Value conv = createConv(rewriter, loc, permutedType(nchwResult, kToNhwc),
                          input, ohwiWeight, initBias(init, 1), strides,
                          dilations, padding, groups);
  return transposeTo(rewriter, loc, conv, kToNchw);
}

/// linalg.conv_2d_nchw_fchw: weight [F, C, KH, KW] -> [F, KH, KW, C].
struct RaiseConvNchwFchw : OpRewritePattern<linalg::Conv2DNchwFchwOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(linalg::Conv2DNchwFchwOp op,
                                PatternRewriter &rewriter) const override {
    if (!isRaisableConv(op))
      return failure();
    SmallVector<int64_t> padding;
    Value input = absorbPad(op.getInputs()[0], padding, /*hDim=*/2);
    Value w = permute(rewriter, op.getLoc(), op.getInputs()[1], {0, 2, 3, 1});
    rewriter.replaceOp(
        op, convInNhwc(
                rewriter, op.getLoc(), input, padding, w, op.getOutputs()[0],
                cast<RankedTensorType>(op->getResult(0).getType()),
                attrToVec(op.getStrides()), attrToVec(op.getDilations()), 1));
    return success();
  }
};

/// linalg.conv_2d_nhwc_fhwc (TOSA's conv2d lowered): the weight is already
/// OHWI.
struct RaiseConvNhwcFhwc : OpRewritePattern<linalg::Conv2DNhwcFhwcOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(linalg::Conv2DNhwcFhwcOp op,
                                PatternRewriter &rewriter) const override {
    if (!isRaisableConv(op, /*channelDim=*/3))
      return failure();
    SmallVector<int64_t> padding;
    Value input = absorbPad(op.getInputs()[0], padding, /*hDim=*/1);
    rewriter.replaceOp(
        op, createConv(rewriter, op.getLoc(), op->getResult(0).getType(), input,
                       op.getInputs()[1], initBias(op.getOutputs()[0], 3),
                       attrToVec(op.getStrides()), attrToVec(op.getDilations()),
                       padding, 1));
    return success();
  }
};

/// linalg.depthwise_conv_2d_nchw_chw: weight [C, KH, KW] -> [C, KH, KW, 1]
/// with C groups.
struct RaiseDepthwiseNchwChw
    : OpRewritePattern<linalg::DepthwiseConv2DNchwChwOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(linalg::DepthwiseConv2DNchwChwOp op,
                                PatternRewriter &rewriter) const override {
    if (!isRaisableConv(op))
      return failure();
    SmallVector<int64_t> padding;
    Value input = absorbPad(op.getInputs()[0], padding, /*hDim=*/2);
    auto wTy = cast<RankedTensorType>(op.getInputs()[1].getType());
    int64_t c = wTy.getDimSize(0);
    Value w = buildReshape(
        rewriter, op.getLoc(), op.getInputs()[1],
        RankedTensorType::get({c, wTy.getDimSize(1), wTy.getDimSize(2), 1},
                              wTy.getElementType()));
    rewriter.replaceOp(
        op, convInNhwc(
                rewriter, op.getLoc(), input, padding, w, op.getOutputs()[0],
                cast<RankedTensorType>(op->getResult(0).getType()),
                attrToVec(op.getStrides()), attrToVec(op.getDilations()), c));
    return success();
  }
};

/// linalg.conv_2d_ngchw_gfchw (grouped): input [N, G, C/G, H, W], weight
/// [G, F/G, C/G, KH, KW], output [N, G, F/G, OH, OW]. The group dim is
/// merged back into the channels on both sides.
struct RaiseConvNgchwGfchw : OpRewritePattern<linalg::Conv2DNgchwGfchwOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(linalg::Conv2DNgchwGfchwOp op,
                                PatternRewriter &rewriter) const override {
    if (!isRaisableConv(op))
      return failure();
    Location loc = op.getLoc();
    auto inTy = cast<RankedTensorType>(op.getInputs()[0].getType());
    auto wTy = cast<RankedTensorType>(op.getInputs()[1].getType());
    auto resTy = cast<RankedTensorType>(op->getResult(0).getType());
    Type elt = inTy.getElementType();
    int64_t g = wTy.getDimSize(0), fg = wTy.getDimSize(1),
            cg = wTy.getDimSize(2), kh = wTy.getDimSize(3),
            kw = wTy.getDimSize(4);
    // Padding sits on the 5-D input (dims 3, 4); take it off there.
    SmallVector<int64_t> padding(4, 0);
    Value in5 = op.getInputs()[0];
    if (auto pad = in5.getDefiningOp<tensor::PadOp>()) {
      auto lo = pad.getStaticLow(), hi = pad.getStaticHigh();
      Value pv = pad.getConstantPaddingValue();
      if (pv && matchPattern(pv, m_AnyZeroFloat()) &&
          llvm::none_of(lo, ShapedType::isDynamic) &&
          llvm::none_of(hi, ShapedType::isDynamic) && lo[0] == 0 &&
          lo[1] == 0 && lo[2] == 0 && hi[0] == 0 && hi[1] == 0 && hi[2] == 0) {
        padding = {lo[3], hi[3], lo[4], hi[4]};
        in5 = pad.getSource();
      }
    }
    auto in5Ty = cast<RankedTensorType>(in5.getType());
    Value in4 = buildReshape(
        rewriter, loc, in5,
        RankedTensorType::get({in5Ty.getDimSize(0), g * cg, in5Ty.getDimSize(3),
                               in5Ty.getDimSize(4)},
                              elt));
    // [G, F/G, C/G, KH, KW] -> [F, C/G, KH, KW] -> [F, KH, KW, C/G].
    Value w = buildReshape(rewriter, loc, op.getInputs()[1],
                           RankedTensorType::get({g * fg, cg, kh, kw}, elt));
    w = permute(rewriter, loc, w, {0, 2, 3, 1});
    auto res4Ty = RankedTensorType::get(
        {resTy.getDimSize(0), g * fg, resTy.getDimSize(3), resTy.getDimSize(4)},
        elt);
    Value conv =
        convInNhwc(rewriter, loc, in4, padding, w, op.getOutputs()[0], res4Ty,
                   attrToVec(op.getStrides()), attrToVec(op.getDilations()), g);
    rewriter.replaceOp(op, buildReshape(rewriter, loc, conv, resTy));
    return success();
  }
};

/// effc.conv2d(pad(x)) with a zero pad of H and W -> the conv's padding:
/// the pad reaches the conv only once the layout transposes cancel.
struct AbsorbPadIntoConv : OpRewritePattern<Conv2DOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(Conv2DOp op,
                                PatternRewriter &rewriter) const override {
    SmallVector<int64_t> extra;
    Value input = absorbPad(op.getInput(), extra, /*hDim=*/1);
    if (input == op.getInput())
      return failure();
    SmallVector<int64_t> padding = llvm::to_vector(op.getPadding());
    for (unsigned i = 0; i < 4; ++i)
      padding[i] += extra[i];
    rewriter.modifyOpInPlace(op, [&] {
      op.getInputMutable().assign(input);
      op.setPadding(padding);
    });
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Layout propagation
//===----------------------------------------------------------------------===//

/// transpose(transpose(x, p1), p2) -> transpose(x, p1 o p2), or x.
struct ComposeTransposes : OpRewritePattern<linalg::TransposeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(linalg::TransposeOp op,
                                PatternRewriter &rewriter) const override {
    auto inner = op.getInput().getDefiningOp<linalg::TransposeOp>();
    if (!inner || !op.hasPureTensorSemantics())
      return failure();
    ArrayRef<int64_t> p1 = inner.getPermutation(), p2 = op.getPermutation();
    SmallVector<int64_t> perm;
    for (int64_t p : p2)
      perm.push_back(p1[p]);
    if (llvm::equal(perm, llvm::seq<int64_t>(0, perm.size()))) {
      rewriter.replaceOp(op, inner.getInput());
      return success();
    }
    rewriter.replaceOp(op,
                       permute(rewriter, op.getLoc(), inner.getInput(), perm));
    return success();
  }
};

/// A transpose that keeps the order of the non-unit dims is a reshape; only
/// where it can propagate no further (its users are not generics, pads or
/// transposes), so that it still cancels where it can.
struct UnitTransposeToReshape : OpRewritePattern<linalg::TransposeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(linalg::TransposeOp op,
                                PatternRewriter &rewriter) const override {
    auto inTy = cast<RankedTensorType>(op.getInput().getType());
    if (!op.hasPureTensorSemantics() || !inTy.hasStaticShape() ||
        llvm::any_of(op->getUsers(), [](Operation *user) {
          return isa<linalg::GenericOp, tensor::PadOp, linalg::TransposeOp>(
              user);
        }))
      return failure();
    int64_t last = -1;
    for (int64_t p : op.getPermutation()) {
      if (inTy.getDimSize(p) == 1)
        continue;
      if (p < last)
        return failure();
      last = p;
    }
    rewriter.replaceOp(
        op, buildReshape(rewriter, op.getLoc(), op.getInput(),
                         cast<RankedTensorType>(op.getResult()[0].getType())));
    return success();
  }
};

/// pad(transpose(x, p)) -> transpose(pad'(x), p).
struct SinkTransposeThroughPad : OpRewritePattern<tensor::PadOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(tensor::PadOp pad,
                                PatternRewriter &rewriter) const override {
    auto t = pad.getSource().getDefiningOp<linalg::TransposeOp>();
    Value pv = pad.getConstantPaddingValue();
    if (!t || !pv ||
        !pv.getParentRegion()->isProperAncestor(&pad.getRegion()) ||
        llvm::any_of(pad.getStaticLow(), ShapedType::isDynamic) ||
        llvm::any_of(pad.getStaticHigh(), ShapedType::isDynamic))
      return failure();
    ArrayRef<int64_t> perm = t.getPermutation();
    size_t n = perm.size();
    SmallVector<int64_t> lo(n), hi(n);
    for (size_t k = 0; k < n; ++k) {
      lo[perm[k]] = pad.getStaticLow()[k];
      hi[perm[k]] = pad.getStaticHigh()[k];
    }
    auto srcTy = cast<RankedTensorType>(t.getInput().getType());
    SmallVector<int64_t> shape;
    for (size_t d = 0; d < n; ++d)
      shape.push_back(srcTy.getDimSize(d) + lo[d] + hi[d]);
    SmallVector<OpFoldResult> loOfr, hiOfr;
    for (size_t d = 0; d < n; ++d) {
      loOfr.push_back(rewriter.getIndexAttr(lo[d]));
      hiOfr.push_back(rewriter.getIndexAttr(hi[d]));
    }
    Value padded = tensor::PadOp::create(
        rewriter, pad.getLoc(),
        RankedTensorType::get(shape, srcTy.getElementType()), t.getInput(),
        loOfr, hiOfr, pv);
    rewriter.replaceOp(pad, permute(rewriter, pad.getLoc(), padded, perm));
    return success();
  }
};

/// A generic reading `transpose(x, p)` through an identity map reads x
/// instead, with its loops renamed so that x's map is the identity. An
/// elementwise generic (identity result map) then computes in x's layout
/// and its result is transposed (the transpose sinks); any other generic
/// (a reduction) keeps its result, with its maps composed. All transposed
/// operands of full rank must share `p`, so sinking never ping-pongs.
struct PropagateTransposeThroughGeneric : OpRewritePattern<linalg::GenericOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(linalg::GenericOp g,
                                PatternRewriter &rewriter) const override {
    // Static shapes only: the permuted init is built from the type.
    if (!g.hasPureTensorSemantics() || g->getNumResults() != 1 ||
        g.getNumDpsInits() != 1 ||
        !cast<RankedTensorType>(g.getResult(0).getType()).hasStaticShape())
      return failure();
    unsigned n = g.getNumLoops();
    auto maps = g.getIndexingMapsArray();
    ArrayRef<int64_t> perm;
    for (OpOperand *in : g.getDpsInputOperands()) {
      auto t = in->get().getDefiningOp<linalg::TransposeOp>();
      if (t && maps[in->getOperandNumber()].isIdentity() &&
          t.getPermutation().size() == n) {
        perm = t.getPermutation();
        break;
      }
    }
    if (perm.empty())
      return failure();
    bool elementwise = maps.back().isIdentity();
    // Full-rank identity-mapped operands that are not transposes by `perm`
    // would end up transposed themselves: leave those generics alone
    // (constants transpose for free).
    for (OpOperand &o : g->getOpOperands()) {
      if (!maps[o.getOperandNumber()].isIdentity())
        continue;
      // An init the body never reads is replaced by a fresh one.
      if (g.isDpsInit(&o) &&
          (!elementwise || g.getMatchingBlockArgument(&o).use_empty()))
        continue;
      auto t = o.get().getDefiningOp<linalg::TransposeOp>();
      if ((!t || t.getPermutation() != perm) &&
          !matchPattern(o.get(), m_Constant()))
        return failure();
    }
    // Old loop i_k is new loop e_perm[k]: compose every map with
    // (e) -> (e_perm[0], ..., e_perm[n-1]).
    MLIRContext *ctx = g.getContext();
    SmallVector<AffineExpr> sub;
    for (int64_t p : perm)
      sub.push_back(getAffineDimExpr(p, ctx));
    AffineMap subst = AffineMap::get(n, 0, sub, ctx);
    SmallVector<int64_t> inverse(n);
    for (unsigned k = 0; k < n; ++k)
      inverse[perm[k]] = k;

    Location loc = g.getLoc();
    SmallVector<Value> ins;
    SmallVector<AffineMap> newMaps;
    auto remap = [&](Value v, AffineMap m) -> Value {
      if (m.isIdentity()) {
        // v is in the transposed layout; bring it to x's layout.
        newMaps.push_back(AffineMap::getMultiDimIdentityMap(n, ctx));
        if (auto t = v.getDefiningOp<linalg::TransposeOp>();
            t && t.getPermutation() == perm)
          return t.getInput();
        return permute(rewriter, loc, v, inverse);
      }
      newMaps.push_back(m.compose(subst));
      return v;
    };
    for (OpOperand *in : g.getDpsInputOperands())
      ins.push_back(remap(in->get(), maps[in->getOperandNumber()]));
    Value init = g.getDpsInits()[0];
    SmallVector<utils::IteratorType> iters(n);
    auto oldIters = g.getIteratorTypesArray();
    for (unsigned k = 0; k < n; ++k)
      iters[perm[k]] = oldIters[k];
    Value newInit;
    if (elementwise &&
        g.getMatchingBlockArgument(g.getDpsInitOperand(0)).use_empty()) {
      newMaps.push_back(AffineMap::getMultiDimIdentityMap(n, ctx));
      newInit = buildEmpty(
          rewriter, loc,
          permutedType(cast<RankedTensorType>(init.getType()), inverse));
    } else if (elementwise) {
      newInit = remap(init, maps.back());
    } else {
      newInit = init;
      newMaps.push_back(maps.back().compose(subst));
    }
    auto newG =
        linalg::GenericOp::create(rewriter, loc, TypeRange{newInit.getType()},
                                  ins, ValueRange{newInit}, newMaps, iters);
    rewriter.inlineRegionBefore(g.getRegion(), newG.getRegion(),
                                newG.getRegion().begin());
    // linalg.index reads loops by number: renumber.
    for (auto idx : llvm::make_early_inc_range(
             newG.getRegion().front().getOps<linalg::IndexOp>())) {
      rewriter.setInsertionPoint(idx);
      rewriter.replaceOpWithNewOp<linalg::IndexOp>(idx, perm[idx.getDim()]);
    }
    rewriter.setInsertionPointAfter(newG);
    Value result = newG.getResult(0);
    if (elementwise)
      result = permute(rewriter, loc, result, perm);
    SmallVector<Operation *> read;
    for (Value v : g->getOperands())
      if (Operation *def = v.getDefiningOp<linalg::TransposeOp>())
        read.push_back(def);
    rewriter.replaceOp(g, result);
    // Transposes only g read die now, so that their inputs' producers see
    // their one remaining use when the folds visit the new generic.
    for (Operation *def : read)
      if (def->use_empty())
        rewriter.eraseOp(def);
    return success();
  }
};

/// expand_shape(batch_matmul(collapse_shape(a), collapse_shape(b))) that
/// merges and splits the same leading dims ([B, H, S, D] <-> [B*H, S, D], as
/// torch-mlir writes every attention matmul) -> one contraction over the
/// 4-D operands, so the scores, the mask and the softmax stay in one rank.
struct UncollapseBatchMatmul : OpRewritePattern<linalg::BatchMatmulOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(linalg::BatchMatmulOp op,
                                PatternRewriter &rewriter) const override {
    if (!op.hasPureTensorSemantics() || !op->hasOneUse() ||
        !isZeroInit(op.getOutputs()[0]) ||
        !llvm::all_of(op->getOperands(), isFloatTensor))
      return failure();
    auto isDefaultMaps = [&] {
      MLIRContext *ctx = op.getContext();
      AffineExpr b = getAffineDimExpr(0, ctx), m = getAffineDimExpr(1, ctx),
                 n = getAffineDimExpr(2, ctx), k = getAffineDimExpr(3, ctx);
      auto maps = op.getIndexingMapsArray();
      return maps[0] == AffineMap::get(4, 0, {b, m, k}, ctx) &&
             maps[1] == AffineMap::get(4, 0, {b, k, n}, ctx) &&
             maps[2] == AffineMap::get(4, 0, {b, m, n}, ctx);
    };
    auto expand = dyn_cast<tensor::ExpandShapeOp>(*op->getUsers().begin());
    auto ca = op.getInputs()[0].getDefiningOp<tensor::CollapseShapeOp>();
    auto cb = op.getInputs()[1].getDefiningOp<tensor::CollapseShapeOp>();
    if (!expand || !ca || !cb || !isDefaultMaps())
      return failure();
    auto leadingSplit = [](ArrayRef<ReassociationIndices> r) {
      return r.size() == 3 && r[0].size() == 2 && r[1].size() == 1 &&
             r[2].size() == 1;
    };
    auto aTy = cast<RankedTensorType>(ca.getSrc().getType());
    auto bTy = cast<RankedTensorType>(cb.getSrc().getType());
    auto outTy = cast<RankedTensorType>(expand.getType());
    if (!leadingSplit(ca.getReassociationIndices()) ||
        !leadingSplit(cb.getReassociationIndices()) ||
        !leadingSplit(expand.getReassociationIndices()))
      return failure();
    // The same [B, H] split on both operands and the result (dynamic dims:
    // the same runtime sizes).
    for (int64_t d = 0; d < 2; ++d)
      if (!sameDim(ca.getSrc(), d, expand.getResult(), d) ||
          !sameDim(cb.getSrc(), d, expand.getResult(), d))
        return failure();
    MLIRContext *ctx = op.getContext();
    SmallVector<AffineExpr> d;
    for (unsigned i = 0; i < 5; ++i)
      d.push_back(getAffineDimExpr(i, ctx));
    // Loops (b, h, m, n, k).
    SmallVector<AffineMap> maps = {
        AffineMap::get(5, 0, {d[0], d[1], d[2], d[4]}, ctx),
        AffineMap::get(5, 0, {d[0], d[1], d[4], d[3]}, ctx),
        AffineMap::get(5, 0, {d[0], d[1], d[2], d[3]}, ctx)};
    SmallVector<utils::IteratorType> iters(4, utils::IteratorType::parallel);
    iters.push_back(utils::IteratorType::reduction);
    Location loc = op.getLoc();
    // At the expand: its output sizes (runtime values of a dynamic
    // reshape) may be defined after the batch_matmul.
    rewriter.setInsertionPoint(expand);
    Value init =
        buildFilled(rewriter, loc, outTy, expand.getOutputShape(), 0.0);
    auto g = linalg::GenericOp::create(
        rewriter, loc, TypeRange{outTy}, ValueRange{ca.getSrc(), cb.getSrc()},
        ValueRange{init}, maps, iters,
        [](OpBuilder &b, Location l, ValueRange args) {
          Value prod = arith::MulFOp::create(b, l, args[0], args[1]);
          Value sum = arith::AddFOp::create(b, l, prod, args[2]);
          linalg::YieldOp::create(b, l, sum);
        });
    rewriter.replaceOp(expand, g.getResult(0));
    rewriter.eraseOp(op);
    return success();
  }
};

/// collapse_shape [[0, 1, 2], [3], [4]] of a 5-D tensor (torch-mlir's
/// repeat_kv: [B, Hkv, rep, S, D] -> [B*H, S, D]) feeding a batch_matmul ->
/// the same collapse in two steps, heads first ([B, H, S, D]), so that the
/// batch_matmul raises to a 4-D contraction like the other attention
/// matmuls.
struct SplitHeadCollapse : OpRewritePattern<tensor::CollapseShapeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(tensor::CollapseShapeOp op,
                                PatternRewriter &rewriter) const override {
    auto srcTy = cast<RankedTensorType>(op.getSrc().getType());
    auto reassoc = op.getReassociationIndices();
    if (srcTy.getRank() != 5 || !srcTy.hasStaticShape() ||
        reassoc.size() != 3 || reassoc[0].size() != 3 ||
        !llvm::all_of(op->getUsers(), [](Operation *u) {
          return isa<linalg::BatchMatmulOp>(u);
        }))
      return failure();
    ArrayRef<int64_t> shape = srcTy.getShape();
    auto heads = RankedTensorType::get(
        {shape[0], shape[1] * shape[2], shape[3], shape[4]},
        srcTy.getElementType());
    Value h = tensor::CollapseShapeOp::create(
        rewriter, op.getLoc(), heads, op.getSrc(),
        ArrayRef<ReassociationIndices>{{0}, {1, 2}, {3}, {4}});
    rewriter.replaceOpWithNewOp<tensor::CollapseShapeOp>(
        op, op.getType(), h, ArrayRef<ReassociationIndices>{{0, 1}, {2}, {3}});
    return success();
  }
};

/// A copy / broadcast generic whose result is only collapsed, with unit
/// dims the collapses merge away (TOSA's tile writes repeat_kv as a 10-D
/// [1, 1, 1, Hkv, rep, 1, 1, S, 1, D] broadcast) -> the same broadcast over
/// the dims the collapses keep (each group's first and non-unit dims),
/// collapsed the same way: [B, Hkv, rep, S, D],
/// torch-mlir's linalg form of repeat_kv. An input expand_shape adding
/// unit dims the map reads at 0 is folded too.
struct DropUnitDimsOfCollapsedBroadcast : OpRewritePattern<linalg::GenericOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(linalg::GenericOp g,
                                PatternRewriter &rewriter) const override {
    if (!g.hasPureTensorSemantics() || g.getNumDpsInputs() != 1 ||
        g->getNumResults() != 1 || g.getNumLoops() != g.getNumParallelLoops())
      return failure();
    Block &body = g.getRegion().front();
    if (body.getOperations().size() != 1 ||
        body.getTerminator()->getOperand(0) != body.getArgument(0))
      return failure();
    auto outTy = cast<RankedTensorType>(g->getResult(0).getType());
    AffineMap inMap = g.getIndexingMapsArray()[0];
    if (!outTy.hasStaticShape() || !g.getIndexingMapsArray()[1].isIdentity() ||
        g->getResult(0).use_empty())
      return failure();
    SmallVector<tensor::CollapseShapeOp> users;
    for (Operation *u : g->getResult(0).getUsers()) {
      auto c = dyn_cast<tensor::CollapseShapeOp>(u);
      if (!c)
        return failure();
      users.push_back(c);
    }
    int64_t rank = outTy.getRank();
    ArrayRef<int64_t> shape = outTy.getShape();
    llvm::SmallBitVector kept(rank);
    // Each group keeps its first dim (the batch dim of a [B*H, S, D]
    // collapse stays) and its non-unit dims.
    for (tensor::CollapseShapeOp c : users)
      for (const ReassociationIndices &group : c.getReassociationIndices()) {
        kept.set(group.front());
        for (int64_t d : group)
          if (shape[d] != 1)
            kept.set(d);
      }
    if (kept.all())
      return failure();
    // The new loop index of each kept dim.
    SmallVector<int64_t> newIndex(rank, -1);
    SmallVector<int64_t> newShape;
    for (int64_t d = 0; d < rank; ++d)
      if (kept.test(d)) {
        newIndex[d] = newShape.size();
        newShape.push_back(shape[d]);
      }
    MLIRContext *ctx = g.getContext();
    Value input = g.getDpsInputs()[0];
    auto inTy = cast<RankedTensorType>(input.getType());
    // Input results over dropped (unit) dims read index 0.
    SmallVector<AffineExpr> inExprs;
    for (AffineExpr e : inMap.getResults()) {
      auto dim = dyn_cast<AffineDimExpr>(e);
      if (!dim) {
        auto cst = dyn_cast<AffineConstantExpr>(e);
        if (!cst || cst.getValue() != 0)
          return failure();
        inExprs.push_back(e);
        continue;
      }
      int64_t ni = newIndex[dim.getPosition()];
      inExprs.push_back(ni < 0 ? getAffineConstantExpr(0, ctx)
                               : getAffineDimExpr(ni, ctx));
    }
    // An expand_shape that only added unit dims read at 0 folds away.
    if (auto expand = input.getDefiningOp<tensor::ExpandShapeOp>()) {
      SmallVector<AffineExpr> srcExprs;
      bool ok = true;
      for (const ReassociationIndices &group :
           expand.getReassociationIndices()) {
        int64_t nonUnit = -1;
        for (int64_t i : group) {
          bool zero = isa<AffineConstantExpr>(inExprs[i]);
          if (inTy.getDimSize(i) != 1 || !zero) {
            if (nonUnit >= 0)
              ok = false;
            nonUnit = i;
          }
        }
        srcExprs.push_back(inExprs[nonUnit >= 0 ? nonUnit : group.front()]);
      }
      if (ok) {
        input = expand.getSrc();
        inExprs = srcExprs;
      }
    }
    int64_t newRank = newShape.size();
    auto newTy = RankedTensorType::get(newShape, outTy.getElementType());
    Location loc = g.getLoc();
    auto ng = linalg::GenericOp::create(
        rewriter, loc, TypeRange{newTy}, ValueRange{input},
        ValueRange{buildEmpty(rewriter, loc, newTy)},
        {AffineMap::get(newRank, 0, inExprs, ctx),
         AffineMap::getMultiDimIdentityMap(newRank, ctx)},
        SmallVector<utils::IteratorType>(newRank,
                                         utils::IteratorType::parallel),
        [](OpBuilder &b, Location l, ValueRange args) {
          linalg::YieldOp::create(b, l, args[0]);
        });
    for (tensor::CollapseShapeOp c : users) {
      SmallVector<ReassociationIndices> reassoc;
      for (const ReassociationIndices &group : c.getReassociationIndices()) {
        ReassociationIndices keptGroup;
        for (int64_t d : group)
          if (kept.test(d))
            keptGroup.push_back(newIndex[d]);
        reassoc.push_back(keptGroup);
      }
      rewriter.setInsertionPoint(c);
      if (newRank == c.getType().getRank())
        rewriter.replaceOp(c, ng.getResult(0));
      else
        rewriter.replaceOpWithNewOp<tensor::CollapseShapeOp>(
            c, c.getType(), ng.getResult(0), reassoc);
    }
    rewriter.eraseOp(g);
    return success();
  }
};

/// linalg.reduce (how tosa-to-linalg writes reduce_sum / reduce_max) and
/// linalg.broadcast feeding elementwise ops -> the equivalent generics,
/// the one form the softmax, norm and epilogue matchers read.
struct GeneralizeReduce : OpRewritePattern<linalg::ReduceOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(linalg::ReduceOp op,
                                PatternRewriter &rewriter) const override {
    if (!op.hasPureTensorSemantics() || op->getNumResults() != 1)
      return failure();
    return linalg::generalizeNamedOp(rewriter, op);
  }
};

/// An elementwise generic on expand_shape(x) (unit dims added to per-row
/// values, as tosa-to-linalg writes softmax's 1 / rowsum) -> the generic on
/// x, expanded after: per-row values stay rank-lower until they are
/// broadcast, the form the softmax matcher reads.
struct SinkExpandThroughElementwise : OpRewritePattern<linalg::GenericOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(linalg::GenericOp g,
                                PatternRewriter &rewriter) const override {
    if (!g.hasPureTensorSemantics() || g.getNumDpsInputs() != 1 ||
        g->getNumResults() != 1 || g.getNumLoops() != g.getNumParallelLoops() ||
        !llvm::all_of(g.getIndexingMapsArray(),
                      [](AffineMap m) { return m.isIdentity(); }) ||
        !g.getMatchingBlockArgument(g.getDpsInitOperand(0)).use_empty())
      return failure();
    auto expand = g.getDpsInputs()[0].getDefiningOp<tensor::ExpandShapeOp>();
    if (!expand || !g.getRegion().front().getOps<linalg::IndexOp>().empty())
      return failure();
    auto srcTy = cast<RankedTensorType>(expand.getSrc().getType());
    auto resTy = cast<RankedTensorType>(g.getResult(0).getType());
    if (!srcTy.hasStaticShape() ||
        srcTy.getNumElements() != resTy.getNumElements())
      return failure();
    // Only the keepdim of per-row values (a trailing unit dim added); an
    // expand that splits heads, or one after an effc op (the reshape folds
    // of raise move those), stays.
    if (resTy.getRank() != srcTy.getRank() + 1 || resTy.getShape().back() != 1)
      return failure();
    Location loc = g.getLoc();
    auto newTy =
        RankedTensorType::get(srcTy.getShape(), resTy.getElementType());
    unsigned n = srcTy.getRank();
    SmallVector<AffineMap> maps(
        2, AffineMap::getMultiDimIdentityMap(n, g.getContext()));
    auto newG = linalg::GenericOp::create(
        rewriter, loc, TypeRange{newTy}, ValueRange{expand.getSrc()},
        ValueRange{buildEmpty(rewriter, loc, newTy)}, maps,
        SmallVector<utils::IteratorType>(n, utils::IteratorType::parallel));
    rewriter.inlineRegionBefore(g.getRegion(), newG.getRegion(),
                                newG.getRegion().begin());
    rewriter.replaceOpWithNewOp<tensor::ExpandShapeOp>(
        g, resTy, newG.getResult(0), expand.getReassociationIndices());
    return success();
  }
};

/// A reduction that keeps the reduced dim as a unit dim in its result
/// (`outs(tensor<..x1>)` read through `(.., 0)`, torch-mlir's keepdim
/// softmax sums) -> the reduction into the rank-lower tensor and an
/// expand_shape: the one form of per-row values the attention and norm
/// matchers read.
struct KeepDimReductionToExpand : OpRewritePattern<linalg::GenericOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(linalg::GenericOp g,
                                PatternRewriter &rewriter) const override {
    if (!g.hasPureTensorSemantics() || g.getNumDpsInits() != 1 ||
        g.getNumReductionLoops() == 0)
      return failure();
    AffineMap outMap = g.getMatchingIndexingMap(g.getDpsInitOperand(0));
    Value init = g.getDpsInits()[0];
    auto initTy = cast<RankedTensorType>(init.getType());
    SmallVector<AffineExpr> kept;
    SmallVector<int64_t> shape;
    SmallVector<ReassociationIndices> reassoc;
    for (auto [i, e] : llvm::enumerate(outMap.getResults())) {
      auto c = dyn_cast<AffineConstantExpr>(e);
      if (c && c.getValue() == 0 && initTy.getDimSize(i) == 1) {
        // A dropped unit dim joins the group of the dim before it (or the
        // first group when it leads).
        if (reassoc.empty())
          reassoc.push_back({});
        reassoc.back().push_back(i);
        continue;
      }
      if (!reassoc.empty() && kept.empty() && reassoc.size() == 1 &&
          reassoc[0].size() == i)
        reassoc[0].push_back(i); // leading unit dims, then this one
      else
        reassoc.push_back({(int64_t)i});
      kept.push_back(e);
      shape.push_back(initTy.getDimSize(i));
    }
    if (kept.size() == outMap.getNumResults() || kept.empty())
      return failure();
    Location loc = g.getLoc();
    auto newTy = RankedTensorType::get(shape, initTy.getElementType());
    Value newInit =
        tensor::CollapseShapeOp::create(rewriter, loc, newTy, init, reassoc);
    SmallVector<AffineMap> maps;
    for (OpOperand *in : g.getDpsInputOperands())
      maps.push_back(g.getMatchingIndexingMap(in));
    maps.push_back(
        AffineMap::get(outMap.getNumDims(), 0, kept, g.getContext()));
    auto newG = linalg::GenericOp::create(rewriter, loc, TypeRange{newTy},
                                          g.getDpsInputs(), ValueRange{newInit},
                                          maps, g.getIteratorTypesArray());
    rewriter.inlineRegionBefore(g.getRegion(), newG.getRegion(),
                                newG.getRegion().begin());
    if (initTy.hasStaticShape()) {
      rewriter.replaceOpWithNewOp<tensor::ExpandShapeOp>(
          g, initTy, newG.getResult(0), reassoc);
      return success();
    }
    // Dynamic (batch, sequence) dims: the expand takes the init's sizes.
    rewriter.replaceOpWithNewOp<tensor::ExpandShapeOp>(
        g, initTy, newG.getResult(0), reassoc,
        tensor::getMixedSizes(rewriter, loc, init));
    return success();
  }
};

} // namespace

void raise::populateRaiseLayoutPatterns(RewritePatternSet &patterns) {
  patterns
      .add<RaiseConvNchwFchw, RaiseConvNhwcFhwc, RaiseDepthwiseNchwChw,
           RaiseConvNgchwGfchw, AbsorbPadIntoConv, UncollapseBatchMatmul,
           SplitHeadCollapse, DropUnitDimsOfCollapsedBroadcast,
           GeneralizeReduce, SinkExpandThroughElementwise, ComposeTransposes,
           KeepDimReductionToExpand, UnitTransposeToReshape,
           SinkTransposeThroughPad, PropagateTransposeThroughGeneric>(
          patterns.getContext());
}

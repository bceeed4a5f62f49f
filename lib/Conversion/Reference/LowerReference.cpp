//===- LowerReference.cpp - effc ops to plain linalg ------------*- C++ -*-===//
//
// The reference lowering defines the semantics of every effc op as the
// straightforward linalg computation on tensors. Optimized lowerings are
// tested against it.
//
//===----------------------------------------------------------------------===//

#include "effc/Conversion/Reference/Passes.h"
#include "effc/Dialect/EffcOps.h"
#include "effc/Support/LinalgBuilders.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Quant/IR/Quant.h"
#include "mlir/Dialect/Quant/IR/QuantTypes.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/DialectConversion.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include <limits>

namespace mlir {
namespace effc {
#define GEN_PASS_DEF_LOWERREFERENCEPASS
#include "effc/Conversion/Reference/Passes.h.inc"
} // namespace effc
} // namespace mlir

using namespace mlir;
using namespace mlir::effc;

namespace {

using utils::IteratorType;

AffineMap mapOf(MLIRContext *ctx, unsigned numDims,
                ArrayRef<AffineExpr> results) {
  return AffineMap::get(numDims, 0, results, ctx);
}

bool hasDynamicShape(Operation *op) {
  return llvm::any_of(
      llvm::concat<Type>(op->getOperandTypes(), op->getResultTypes()),
      [](Type t) {
        auto st = dyn_cast<ShapedType>(t);
        return st && !st.hasStaticShape();
      });
}

/// The ops whose lowerings take dynamic leading (batch, sequence) dims.
bool lowersDynamicShapes(Operation *op) {
  if (auto linear = dyn_cast<LinearOp>(op))
    return linear.getWeight().getType().getRank() == 2;
  // 4-D [B, H, S, D] attention (what --effc-rewrite-attention makes of
  // torch-mlir's); a block-sparse layout needs static lengths.
  if (auto attn = dyn_cast<AttentionOp>(op))
    return !attn.getBlockSize() &&
           llvm::all_of(attn->getOperands(), [](Value v) {
             return cast<RankedTensorType>(v.getType()).getRank() == 4;
           });
  // Quantized, block-scaled and sparse linears over runtime rows: their
  // weights (and compressed operands) are static.
  if (auto ql = dyn_cast<QuantizedLinearOp>(op))
    return ql.getWeight().getType().hasStaticShape();
  if (auto bl = dyn_cast<BlockScaledLinearOp>(op))
    return bl.getWeight().getType().hasStaticShape();
  if (auto sl = dyn_cast<SparseLinearOp>(op))
    return sl.getValues().getType().hasStaticShape();
  return isa<DynamicQuantizeOp, QuantizeOp, DequantizeOp>(op);
}

LogicalResult requireStatic(Operation *op, PatternRewriter &rewriter) {
  if (hasDynamicShape(op)) {
    op->emitError("dynamic shapes are not supported by effc lowerings yet");
    return failure();
  }
  return success();
}

//===----------------------------------------------------------------------===//
// effc.linear
//===----------------------------------------------------------------------===//

struct LowerLinear : OpConversionPattern<LinearOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(LinearOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    // Dynamic leading (batch, sequence) dims are lowered below; a weight's
    // dims are static (the verifier).
    if (op.getWeight().getType().getRank() != 2 &&
        failed(requireStatic(op, rewriter)))
      return failure();
    Location loc = op.getLoc();
    MLIRContext *ctx = getContext();
    auto inTy = op.getInput().getType();
    auto wTy = op.getWeight().getType();
    auto outTy = op.getType();
    Type elt = outTy.getElementType();
    // f16 / bf16 products accumulate in f32 (as tensor cores and every BLAS
    // do) and round once, after bias and activation.
    Type accElt =
        isa<Float16Type, BFloat16Type>(elt) ? Type(rewriter.getF32Type()) : elt;
    Value input = adaptor.getInput();
    Value acc;
    if (wTy.getRank() == 3) {
      // [B, M, K] x [B, N, K] -> [B, M, N] (static: see lowersDynamicShapes).
      AffineExpr b, m, n, k;
      bindDims(ctx, b, m, n, k);
      SmallVector<Attribute> maps = {
          AffineMapAttr::get(mapOf(ctx, 4, {b, m, k})),
          AffineMapAttr::get(mapOf(ctx, 4, {b, n, k})),
          AffineMapAttr::get(mapOf(ctx, 4, {b, m, n}))};
      auto accTy = outTy.clone(accElt);
      Value init =
          buildFilled(rewriter, loc, accTy,
                      buildDynamicDims(rewriter, loc, accTy, input), 0.0);
      acc = linalg::BatchMatmulOp::create(
                rewriter, loc, TypeRange{accTy},
                ValueRange{input, adaptor.getWeight()}, ValueRange{init},
                {rewriter.getNamedAttr("indexing_maps",
                                       rewriter.getArrayAttr(maps))})
                .getResult(0);
      acc = buildBiasActivation(rewriter, loc, acc, adaptor.getBias(), 2,
                                op.getActivation(), op.getClampMin(),
                                op.getClampMax(), elt);
      rewriter.replaceOp(op, acc);
      return success();
    }
    // [..., K] x [N, K]: flatten the leading dims into M (a runtime size
    // when one of them is dynamic).
    int64_t n = wTy.getDimSize(0);
    int64_t m = getRowCount(inTy);
    Value in2 = buildCollapseToRows(rewriter, loc, adaptor.getInput());
    auto out2Ty = RankedTensorType::get({m, n}, accElt);
    AffineExpr dm, dn, dk;
    bindDims(ctx, dm, dn, dk);
    SmallVector<Attribute> maps = {AffineMapAttr::get(mapOf(ctx, 3, {dm, dk})),
                                   AffineMapAttr::get(mapOf(ctx, 3, {dn, dk})),
                                   AffineMapAttr::get(mapOf(ctx, 3, {dm, dn}))};
    Value init = buildFilled(rewriter, loc, out2Ty,
                             buildDynamicDims(rewriter, loc, out2Ty, in2), 0.0);
    acc = linalg::MatmulOp::create(
              rewriter, loc, TypeRange{out2Ty},
              ValueRange{in2, adaptor.getWeight()}, ValueRange{init},
              {rewriter.getNamedAttr("indexing_maps",
                                     rewriter.getArrayAttr(maps))})
              .getResult(0);
    acc = buildBiasActivation(rewriter, loc, acc, adaptor.getBias(), 1,
                              op.getActivation(), op.getClampMin(),
                              op.getClampMax(), elt);
    rewriter.replaceOp(
        op, buildExpandRows(rewriter, loc, acc, outTy, adaptor.getInput()));
    return success();
  }
};

//===----------------------------------------------------------------------===//
// effc.conv2d
//===----------------------------------------------------------------------===//

struct LowerConv2D : OpConversionPattern<Conv2DOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(Conv2DOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    if (failed(requireStatic(op, rewriter)))
      return failure();
    Location loc = op.getLoc();
    auto outTy = op.getType();
    Type elt = outTy.getElementType();
    Value zero = arith::ConstantOp::create(rewriter, loc, elt,
                                           rewriter.getFloatAttr(elt, 0.0));
    Value input =
        buildPadNHWC(rewriter, loc, adaptor.getInput(), op.getPadding(), zero);
    auto strides = rewriter.getI64TensorAttr(op.getStrides());
    auto dilations = rewriter.getI64TensorAttr(op.getDilations());
    int64_t g = op.getGroups();
    Value acc;
    if (g == 1) {
      Value init = buildFilled(rewriter, loc, outTy, 0.0);
      acc = linalg::Conv2DNhwcFhwcOp::create(
                rewriter, loc, TypeRange{outTy},
                ValueRange{input, adaptor.getWeight()}, ValueRange{init},
                strides, dilations)
                .getResult(0);
    } else {
      // Split channels into groups: [N, H, W, G, C/G] x [G, F/G, KH, KW, C/G].
      auto inTy = cast<RankedTensorType>(input.getType());
      auto wTy = op.getWeight().getType();
      int64_t c = inTy.getDimSize(3), f = wTy.getDimSize(0);
      auto in5 = RankedTensorType::get({inTy.getDimSize(0), inTy.getDimSize(1),
                                        inTy.getDimSize(2), g, c / g},
                                       elt);
      auto w5 = RankedTensorType::get(
          {g, f / g, wTy.getDimSize(1), wTy.getDimSize(2), wTy.getDimSize(3)},
          elt);
      auto out5 =
          RankedTensorType::get({outTy.getDimSize(0), outTy.getDimSize(1),
                                 outTy.getDimSize(2), g, f / g},
                                elt);
      Value gin = tensor::ExpandShapeOp::create(
          rewriter, loc, in5, input,
          ArrayRef<ReassociationIndices>{{0}, {1}, {2}, {3, 4}});
      Value gw = tensor::ExpandShapeOp::create(
          rewriter, loc, w5, adaptor.getWeight(),
          ArrayRef<ReassociationIndices>{{0, 1}, {2}, {3}, {4}});
      Value init = buildFilled(rewriter, loc, out5, 0.0);
      Value acc5 = linalg::Conv2DNhwgcGfhwcOp::create(
                       rewriter, loc, TypeRange{out5}, ValueRange{gin, gw},
                       ValueRange{init}, strides, dilations)
                       .getResult(0);
      acc = tensor::CollapseShapeOp::create(
          rewriter, loc, outTy, acc5,
          ArrayRef<ReassociationIndices>{{0}, {1}, {2}, {3, 4}});
    }
    acc = buildBiasActivation(rewriter, loc, acc, adaptor.getBias(), 3,
                              op.getActivation(), op.getClampMin(),
                              op.getClampMax());
    rewriter.replaceOp(op, acc);
    return success();
  }
};

//===----------------------------------------------------------------------===//
// effc.attention
//===----------------------------------------------------------------------===//

struct LowerAttention : OpConversionPattern<AttentionOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(AttentionOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    // Dynamic batch and sequence lengths: 4-D operands without a block
    // layout (lowersDynamicShapes).
    if (!lowersDynamicShapes(op) && failed(requireStatic(op, rewriter)))
      return failure();
    Location loc = op.getLoc();
    MLIRContext *ctx = getContext();
    auto outTy = op.getType();
    Type elt = outTy.getElementType();
    Value q = buildLeadingUnitDims(rewriter, loc, 4, adaptor.getQuery());
    Value k = buildLeadingUnitDims(rewriter, loc, 4, adaptor.getKey());
    Value v = buildLeadingUnitDims(rewriter, loc, 4, adaptor.getValue());
    auto qTy = cast<RankedTensorType>(q.getType());
    auto kTy = cast<RankedTensorType>(k.getType());
    auto vTy = cast<RankedTensorType>(v.getType());
    int64_t B = qTy.getDimSize(0), Hq = qTy.getDimSize(1),
            Sq = qTy.getDimSize(2), D = qTy.getDimSize(3);
    int64_t Hkv = kTy.getDimSize(1), Skv = kTy.getDimSize(2),
            Dv = vTy.getDimSize(3);
    int64_t G = Hq / Hkv;
    // Sizes that may be runtime values (B, Sq, Skv).
    OpFoldResult bSz = tensor::getMixedSize(rewriter, loc, q, 0),
                 sqSz = tensor::getMixedSize(rewriter, loc, q, 2),
                 skvSz = tensor::getMixedSize(rewriter, loc, k, 2);
    auto idxAttr = [&](int64_t c) -> OpFoldResult {
      return rewriter.getIndexAttr(c);
    };
    auto filled = [&](ArrayRef<OpFoldResult> sizes, double value) {
      Value e = tensor::EmptyOp::create(rewriter, loc, sizes, elt);
      Value c = arith::ConstantOp::create(rewriter, loc, elt,
                                          rewriter.getFloatAttr(elt, value));
      return linalg::FillOp::create(rewriter, loc, ValueRange{c}, ValueRange{e})
          .getResult(0);
    };
    SmallVector<OpFoldResult> s5Sizes = {bSz, idxAttr(Hkv), idxAttr(G), sqSz,
                                         skvSz};
    SmallVector<OpFoldResult> r4Sizes = {bSz, idxAttr(Hkv), idxAttr(G), sqSz};
    // Query heads grouped by the key/value head they read: [B, Hkv, G, Sq, D].
    auto q5Ty = RankedTensorType::get({B, Hkv, G, Sq, D}, elt);
    Value q5 = tensor::ExpandShapeOp::create(
        rewriter, loc, q5Ty, q,
        ArrayRef<ReassociationIndices>{{0}, {1, 2}, {3}, {4}},
        SmallVector<OpFoldResult>{bSz, idxAttr(Hkv), idxAttr(G), sqSz,
                                  idxAttr(D)});

    // Loop dims (b, h, g, i, j, d).
    AffineExpr b, h, g, i, j, d;
    bindDims(ctx, b, h, g, i, j, d);
    auto sTy = RankedTensorType::get({B, Hkv, G, Sq, Skv}, elt);
    Value sInit = filled(s5Sizes, 0.0);
    Value scores =
        linalg::GenericOp::create(
            rewriter, loc, sTy, ValueRange{q5, k}, ValueRange{sInit},
            {mapOf(ctx, 6, {b, h, g, i, d}), mapOf(ctx, 6, {b, h, j, d}),
             mapOf(ctx, 6, {b, h, g, i, j})},
            {IteratorType::parallel, IteratorType::parallel,
             IteratorType::parallel, IteratorType::parallel,
             IteratorType::parallel, IteratorType::reduction},
            [&](OpBuilder &nb, Location nl, ValueRange a) {
              Value p = arith::MulFOp::create(nb, nl, a[0], a[1]);
              linalg::YieldOp::create(
                  nb, nl, arith::AddFOp::create(nb, nl, a[2], p).getResult());
            })
            .getResult(0);

    // Scale and mask: (b, h, g, i, j).
    AffineExpr b5, h5, g5, i5, j5;
    bindDims(ctx, b5, h5, g5, i5, j5);
    AffineMap id5 = AffineMap::getMultiDimIdentityMap(5, ctx);
    SmallVector<IteratorType> par5(5, IteratorType::parallel);
    double scale = op.getScaleOrDefault();
    MaskKind kind = op.getMask();
    int64_t window = op.getWindow().value_or(0);
    // Key j is visible from query i iff j <= i + (Skv - Sq): a runtime
    // offset when a length is dynamic.
    Value offset = arith::SubIOp::create(
                       rewriter, loc,
                       getValueOrCreateConstantIndexOp(rewriter, loc, skvSz),
                       getValueOrCreateConstantIndexOp(rewriter, loc, sqSz))
                       .getResult();
    SmallVector<Value> maskIns = {scores};
    SmallVector<AffineMap> maskMaps = {id5};
    if (kind == MaskKind::additive) {
      // Size-1 mask dims broadcast: they are read at index 0.
      Value mask = adaptor.getMaskValues();
      auto mTy = cast<RankedTensorType>(mask.getType());
      AffineExpr zero = getAffineConstantExpr(0, ctx);
      auto dimOrZero = [&](RankedTensorType t, unsigned dim, AffineExpr e) {
        return t.getDimSize(dim) == 1 ? zero : e;
      };
      if (mTy.getRank() == 2) {
        maskMaps.push_back(mapOf(ctx, 5, {dimOrZero(mTy, 0, i5), j5}));
      } else {
        Value m4 = buildLeadingUnitDims(rewriter, loc, 4, mask);
        auto m4Ty = cast<RankedTensorType>(m4.getType());
        AffineExpr bExpr = dimOrZero(m4Ty, 0, b5);
        AffineExpr iExpr = dimOrZero(m4Ty, 2, i5);
        if (m4Ty.getDimSize(1) == 1) {
          maskMaps.push_back(mapOf(ctx, 5, {bExpr, zero, iExpr, j5}));
        } else {
          auto m5Ty =
              RankedTensorType::get({m4Ty.getDimSize(0), Hkv, G,
                                     m4Ty.getDimSize(2), m4Ty.getDimSize(3)},
                                    elt);
          m4 = tensor::ExpandShapeOp::create(
              rewriter, loc, m5Ty, m4,
              ArrayRef<ReassociationIndices>{{0}, {1, 2}, {3}, {4}},
              SmallVector<OpFoldResult>{
                  tensor::getMixedSize(rewriter, loc, m4, 0), idxAttr(Hkv),
                  idxAttr(G), tensor::getMixedSize(rewriter, loc, m4, 2),
                  tensor::getMixedSize(rewriter, loc, m4, 3)});
          maskMaps.push_back(mapOf(ctx, 5, {bExpr, h5, g5, iExpr, j5}));
        }
        mask = m4;
      }
      maskIns.push_back(mask);
    }
    // Block-sparse layout: a constant [Sq/bq, Skv/bk] i1 table read at
    // (i / bq, j / bk).
    unsigned layoutArg = 0;
    if (auto blockSize = op.getBlockSize()) {
      int64_t bq = (*blockSize)[0], bk = (*blockSize)[1];
      auto layoutTy =
          RankedTensorType::get({Sq / bq, Skv / bk}, rewriter.getI1Type());
      Value layout = arith::ConstantOp::create(
          rewriter, loc, layoutTy,
          DenseElementsAttr::get(layoutTy, *op.getBlockLayout()));
      layoutArg = maskIns.size();
      maskIns.push_back(layout);
      maskMaps.push_back(mapOf(ctx, 5, {i5.floorDiv(bq), j5.floorDiv(bk)}));
    }
    maskMaps.push_back(id5);
    Value masked =
        linalg::GenericOp::create(
            rewriter, loc, sTy, maskIns,
            ValueRange{tensor::EmptyOp::create(rewriter, loc, s5Sizes, elt)},
            maskMaps, par5,
            [&](OpBuilder &nb, Location nl, ValueRange a) {
              Value s = arith::MulFOp::create(
                  nb, nl, a[0],
                  arith::ConstantOp::create(nb, nl, elt,
                                            nb.getFloatAttr(elt, scale)));
              if (kind == MaskKind::additive) {
                s = arith::AddFOp::create(nb, nl, s, a[1]);
              } else if (kind == MaskKind::causal || kind == MaskKind::window) {
                // Key j is visible from query i iff j <= i + offset (and,
                // for a window, j > i + offset - window).
                Value qi = linalg::IndexOp::create(nb, nl, 3);
                Value kj = linalg::IndexOp::create(nb, nl, 4);
                Value last = arith::AddIOp::create(nb, nl, qi, offset);
                Value visible = arith::CmpIOp::create(
                    nb, nl, arith::CmpIPredicate::sle, kj, last);
                if (kind == MaskKind::window) {
                  Value first = arith::SubIOp::create(
                      nb, nl, last,
                      arith::ConstantIndexOp::create(nb, nl, window));
                  Value inWin = arith::CmpIOp::create(
                      nb, nl, arith::CmpIPredicate::sgt, kj, first);
                  visible = arith::AndIOp::create(nb, nl, visible, inWin);
                }
                Value ninf = arith::ConstantOp::create(
                    nb, nl, elt,
                    nb.getFloatAttr(elt,
                                    -std::numeric_limits<double>::infinity()));
                s = arith::SelectOp::create(nb, nl, visible, s, ninf);
              }
              if (layoutArg) {
                Value ninf = arith::ConstantOp::create(
                    nb, nl, elt,
                    nb.getFloatAttr(elt,
                                    -std::numeric_limits<double>::infinity()));
                s = arith::SelectOp::create(nb, nl, a[layoutArg], s, ninf);
              }
              linalg::YieldOp::create(nb, nl, s);
            })
            .getResult(0);

    // Softmax over j.
    auto rTy = RankedTensorType::get({B, Hkv, G, Sq}, elt);
    AffineMap red = mapOf(ctx, 5, {b5, h5, g5, i5});
    SmallVector<IteratorType> redIters = {
        IteratorType::parallel, IteratorType::parallel, IteratorType::parallel,
        IteratorType::parallel, IteratorType::reduction};
    Value maxInit = filled(r4Sizes, -std::numeric_limits<double>::infinity());
    Value rowMax = buildGeneric(
        rewriter, loc, rTy, ValueRange{masked}, maxInit, {id5, red}, redIters,
        [](OpBuilder &nb, Location nl, ValueRange a) -> Value {
          return arith::MaximumFOp::create(nb, nl, a[0], a[1]);
        });
    Value expd =
        linalg::GenericOp::create(
            rewriter, loc, sTy, ValueRange{masked, rowMax},
            ValueRange{tensor::EmptyOp::create(rewriter, loc, s5Sizes, elt)},
            {id5, red, id5}, par5,
            [&](OpBuilder &nb, Location nl, ValueRange a) {
              // A row that sees no key has max -inf: subtract 0 instead so
              // its exps are 0 (and its output 0) rather than NaN.
              Value isInf = arith::CmpFOp::create(
                  nb, nl, arith::CmpFPredicate::OEQ, a[1],
                  arith::ConstantOp::create(
                      nb, nl, elt,
                      nb.getFloatAttr(
                          elt, -std::numeric_limits<double>::infinity())));
              Value base = arith::SelectOp::create(
                  nb, nl, isInf,
                  arith::ConstantOp::create(nb, nl, elt,
                                            nb.getFloatAttr(elt, 0.0)),
                  a[1]);
              Value diff = arith::SubFOp::create(nb, nl, a[0], base);
              linalg::YieldOp::create(
                  nb, nl, math::ExpOp::create(nb, nl, diff).getResult());
            })
            .getResult(0);
    Value sumInit = filled(r4Sizes, 0.0);
    Value rowSum = buildGeneric(
        rewriter, loc, rTy, ValueRange{expd}, sumInit, {id5, red}, redIters,
        [](OpBuilder &nb, Location nl, ValueRange a) -> Value {
          return arith::AddFOp::create(nb, nl, a[0], a[1]);
        });
    Value probs =
        linalg::GenericOp::create(
            rewriter, loc, sTy, ValueRange{expd, rowSum},
            ValueRange{tensor::EmptyOp::create(rewriter, loc, s5Sizes, elt)},
            {id5, red, id5}, par5,
            [&](OpBuilder &nb, Location nl, ValueRange a) {
              linalg::YieldOp::create(
                  nb, nl,
                  arith::SelectOp::create(
                      nb, nl,
                      arith::CmpFOp::create(
                          nb, nl, arith::CmpFPredicate::OEQ, a[1],
                          arith::ConstantOp::create(nb, nl, elt,
                                                    nb.getFloatAttr(elt, 0.0))),
                      arith::ConstantOp::create(nb, nl, elt,
                                                nb.getFloatAttr(elt, 0.0)),
                      arith::DivFOp::create(nb, nl, a[0], a[1]))
                      .getResult());
            })
            .getResult(0);

    // probs x V: loop dims (b, h, g, i, e, j).
    AffineExpr e;
    bindDims(ctx, b, h, g, i, e, j);
    auto o5Ty = RankedTensorType::get({B, Hkv, G, Sq, Dv}, elt);
    Value oInit =
        filled({bSz, idxAttr(Hkv), idxAttr(G), sqSz, idxAttr(Dv)}, 0.0);
    Value out5 =
        linalg::GenericOp::create(
            rewriter, loc, o5Ty, ValueRange{probs, v}, ValueRange{oInit},
            {mapOf(ctx, 6, {b, h, g, i, j}), mapOf(ctx, 6, {b, h, j, e}),
             mapOf(ctx, 6, {b, h, g, i, e})},
            {IteratorType::parallel, IteratorType::parallel,
             IteratorType::parallel, IteratorType::parallel,
             IteratorType::parallel, IteratorType::reduction},
            [&](OpBuilder &nb, Location nl, ValueRange a) {
              Value p = arith::MulFOp::create(nb, nl, a[0], a[1]);
              linalg::YieldOp::create(
                  nb, nl, arith::AddFOp::create(nb, nl, a[2], p).getResult());
            })
            .getResult(0);
    if (outTy.hasStaticShape()) {
      rewriter.replaceOp(op, buildReshape(rewriter, loc, out5, outTy));
      return success();
    }
    rewriter.replaceOpWithNewOp<tensor::CollapseShapeOp>(
        op, outTy, out5, ArrayRef<ReassociationIndices>{{0}, {1, 2}, {3}, {4}});
    return success();
  }
};

/// linalg.softmax and other aggregate linalg ops become their elementwise
/// and reduction parts, so every later step sees plain structured ops.
struct DecomposeAggregate
    : OpInterfaceRewritePattern<linalg::AggregatedOpInterface> {
  using OpInterfaceRewritePattern::OpInterfaceRewritePattern;
  LogicalResult matchAndRewrite(linalg::AggregatedOpInterface op,
                                PatternRewriter &rewriter) const override {
    FailureOr<SmallVector<Value>> parts = op.decomposeOperation(rewriter);
    if (failed(parts))
      return failure();
    rewriter.replaceOp(op, *parts);
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Pass
//===----------------------------------------------------------------------===//

struct LowerReferencePass
    : effc::impl::LowerReferencePassBase<LowerReferencePass> {
  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    // Report every op the patterns cannot lower once, on that op, instead
    // of the conversion's generic "failed to legalize" on top of it.
    bool dynamic = false;
    getOperation().walk([&](Operation *op) {
      if (!isa_and_nonnull<EffcDialect>(op->getDialect()) ||
          !hasDynamicShape(op))
        return;
      if (auto dq = dyn_cast<DynamicQuantizeOp>(op)) {
        auto inTy = dq.getInput().getType();
        for (int64_t i = 0; i < inTy.getRank(); ++i)
          if (inTy.isDynamicDim(i) && dq.getBlock()[i] != 1) {
            dq.emitError("dynamic dim #")
                << i << " needs a block size of 1 along it, got "
                << dq.getBlock()[i];
            dynamic = true;
            return;
          }
      }
      if (!lowersDynamicShapes(op)) {
        op->emitError("dynamic shapes are not supported by effc lowerings yet");
        dynamic = true;
      }
    });
    if (dynamic)
      return signalPassFailure();
    if (failed(lowerQuantCasts(getOperation())))
      return signalPassFailure();
    ConversionTarget target(*ctx);
    target.addIllegalDialect<EffcDialect>();
    target.addLegalDialect<linalg::LinalgDialect, tensor::TensorDialect,
                           scf::SCFDialect, arith::ArithDialect,
                           math::MathDialect, quant::QuantDialect>();
    target.markUnknownOpDynamicallyLegal([](Operation *) { return true; });
    RewritePatternSet patterns(ctx);
    populateLowerReferencePatterns(patterns);
    if (failed(applyPartialConversion(getOperation(), target,
                                      std::move(patterns))))
      return signalPassFailure();
    RewritePatternSet decompose(ctx);
    decompose.add<DecomposeAggregate>(ctx);
    if (failed(applyPatternsGreedily(getOperation(), std::move(decompose))))
      signalPassFailure();
  }
};

} // namespace

void mlir::effc::populateLowerReferencePatterns(RewritePatternSet &patterns) {
  patterns.add<LowerLinear, LowerConv2D, LowerAttention>(patterns.getContext());
  populateLowerReferenceQuantPatterns(patterns);
  populateLowerReferenceSparsePatterns(patterns);
}

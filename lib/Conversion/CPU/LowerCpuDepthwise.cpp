//===- LowerCpuDepthwise.cpp - depthwise convolution for CPUs ---*- C++ -*-===//
//
// A depthwise effc.conv2d (one filter per channel, NHWC) as a register-
// blocked vector kernel on tensors, in the style of XNNPACK's and oneDNN's
// depthwise microkernels: channels are the vector lanes, the KH x KW filter
// taps of a channel block stay in registers for a whole output row, and
// each output vector is KH x KW fused multiply-adds of shifted input
// vectors. Output rows run in parallel (scf.forall over batch x output
// row); several output columns are computed at once so that their FMA
// chains overlap. Bias and activation are applied to the accumulators.
//
// Before, a depthwise convolution became linalg.conv_2d_nhwgc_gfhwc: scalar
// loops on one thread.
//
//===----------------------------------------------------------------------===//

#include "effc/Conversion/CPU/Passes.h"
#include "effc/Dialect/EffcOps.h"
#include "effc/Support/LinalgBuilders.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"

using namespace mlir;
using namespace mlir::effc;

namespace {

/// Output columns computed together: independent FMA chains that hide the
/// FMA latency (4 cycles x 2 units wants 8 in flight; 4 columns x 1-2
/// channel blocks per thread come close without spilling the taps).
constexpr int64_t kColumns = 4;

/// The taps as [KH*KW, C] rows (one vector load per tap and channel block)
/// from the [C, KH, KW, 1] weight: permuted at compile time when constant.
Value tapRows(PatternRewriter &rewriter, Location loc, Value weight) {
  auto wTy = cast<RankedTensorType>(weight.getType());
  int64_t c = wTy.getDimSize(0), taps = wTy.getDimSize(1) * wTy.getDimSize(2);
  auto flatTy = RankedTensorType::get({c, taps}, wTy.getElementType());
  DenseElementsAttr cst;
  if (matchPattern(weight, m_Constant(&cst))) {
    DenseElementsAttr t = permuteConstant(cst.reshape(flatTy), {1, 0});
    return arith::ConstantOp::create(rewriter, loc, t.getType(), t);
  }
  Value flat = tensor::CollapseShapeOp::create(
      rewriter, loc, flatTy, weight,
      ArrayRef<ReassociationIndices>{{0}, {1, 2, 3}});
  return buildTransposeLast2(rewriter, loc, flat);
}

struct DepthwiseConv : OpRewritePattern<Conv2DOp> {
  DepthwiseConv(MLIRContext *ctx, int64_t lanes)
      : OpRewritePattern(ctx), lanes(lanes) {}

  LogicalResult matchAndRewrite(Conv2DOp op,
                                PatternRewriter &rewriter) const override {
    auto inTy = op.getInput().getType();
    auto wTy = op.getWeight().getType();
    auto outTy = op.getType();
    if (!inTy.hasStaticShape() || !wTy.hasStaticShape() ||
        !outTy.hasStaticShape())
      return failure();
    int64_t c = inTy.getDimSize(3);
    if ((int64_t)op.getGroups() != c || wTy.getDimSize(0) != c ||
        wTy.getDimSize(3) != 1 || outTy.getDimSize(3) != c)
      return failure();
    Type f32 = rewriter.getF32Type();
    if (inTy.getElementType() != f32 || wTy.getElementType() != f32 ||
        outTy.getElementType() != f32 ||
        (op.getBias() && op.getBias().getType().getElementType() != f32))
      return failure();

    Location loc = op.getLoc();
    int64_t n = outTy.getDimSize(0), oh = outTy.getDimSize(1),
            ow = outTy.getDimSize(2);
    int64_t kh = wTy.getDimSize(1), kw = wTy.getDimSize(2);
    ArrayRef<int64_t> strides = op.getStrides(), dil = op.getDilations();
    // The widest vector that tiles the channels exactly.
    int64_t vl = lanes;
    while (vl > 1 && c % vl)
      vl /= 2;
    auto vecTy = VectorType::get({vl}, f32);

    Value zero = arith::ConstantOp::create(rewriter, loc, f32,
                                           rewriter.getF32FloatAttr(0.0));
    Value input =
        buildPadNHWC(rewriter, loc, op.getInput(), op.getPadding(), zero);
    Value taps = tapRows(rewriter, loc, op.getWeight());
    Value bias = op.getBias();
    Value init = tensor::EmptyOp::create(rewriter, loc, outTy.getShape(), f32);

    auto idx = [&](int64_t v) -> Value {
      return arith::ConstantIndexOp::create(rewriter, loc, v);
    };
    Value zeroVec = arith::ConstantOp::create(
        rewriter, loc, vecTy, DenseElementsAttr::get(vecTy, 0.0f));

    auto forall = scf::ForallOp::create(
        rewriter, loc,
        SmallVector<OpFoldResult>{rewriter.getIndexAttr(n),
                                  rewriter.getIndexAttr(oh)},
        ValueRange{init}, std::nullopt);
    {
      OpBuilder::InsertionGuard guard(rewriter);
      rewriter.setInsertionPoint(forall.getTerminator());
      Value b = forall.getInductionVar(0), y = forall.getInductionVar(1);
      Value out = forall.getRegionIterArgs()[0];
      auto rowTy = RankedTensorType::get({ow, c}, f32);
      SmallVector<OpFoldResult> rowOff = {b, y, rewriter.getIndexAttr(0),
                                          rewriter.getIndexAttr(0)};
      SmallVector<OpFoldResult> rowSize = {
          rewriter.getIndexAttr(1), rewriter.getIndexAttr(1),
          rewriter.getIndexAttr(ow), rewriter.getIndexAttr(c)};
      SmallVector<OpFoldResult> unit(4, rewriter.getIndexAttr(1));
      Value row = tensor::ExtractSliceOp::create(rewriter, loc, rowTy, out,
                                                 rowOff, rowSize, unit);
      // First input row of each tap row: y * stride + i * dilation.
      Value y0 = arith::MulIOp::create(rewriter, loc, y, idx(strides[0]));
      SmallVector<Value> inRows;
      for (int64_t i = 0; i < kh; ++i)
        inRows.push_back(
            arith::AddIOp::create(rewriter, loc, y0, idx(i * dil[0])));

      auto channels = scf::ForOp::create(
          rewriter, loc, idx(0), idx(c), idx(vl), ValueRange{row},
          [&](OpBuilder &bb, Location l, Value cb, ValueRange iter) {
            SmallVector<Value> w;
            for (int64_t t = 0; t < kh * kw; ++t)
              w.push_back(vector::TransferReadOp::create(
                  bb, l, vecTy, taps, ValueRange{idx(t), cb},
                  /*padding=*/std::nullopt, ArrayRef<bool>{true}));
            Value start =
                bias ? vector::TransferReadOp::create(
                           bb, l, vecTy, bias, ValueRange{cb},
                           /*padding=*/std::nullopt, ArrayRef<bool>{true})
                           .getResult()
                     : zeroVec;
            // `cols` output columns from column x: each a chain of
            // KH x KW FMAs, then the activation, then one store.
            auto columns = [&](OpBuilder &cb2, Location l2, Value x,
                               int64_t cols, Value acc) -> Value {
              SmallVector<Value> sums(cols, start);
              for (int64_t j = 0; j < cols; ++j) {
                Value xj = arith::AddIOp::create(cb2, l2, x, idx(j));
                Value x0 = arith::MulIOp::create(cb2, l2, xj, idx(strides[1]));
                for (int64_t i = 0; i < kh; ++i)
                  for (int64_t k = 0; k < kw; ++k) {
                    Value xi =
                        arith::AddIOp::create(cb2, l2, x0, idx(k * dil[1]));
                    Value v = vector::TransferReadOp::create(
                        cb2, l2, vecTy, input, ValueRange{b, inRows[i], xi, cb},
                        /*padding=*/std::nullopt, ArrayRef<bool>{true});
                    sums[j] = vector::FMAOp::create(cb2, l2, v, w[i * kw + k],
                                                    sums[j]);
                  }
              }
              for (int64_t j = 0; j < cols; ++j) {
                Value r = buildActivation(cb2, l2, sums[j], op.getActivation(),
                                          op.getClampMin(), op.getClampMax());
                Value xj = arith::AddIOp::create(cb2, l2, x, idx(j));
                acc = vector::TransferWriteOp::create(cb2, l2, r, acc,
                                                      ValueRange{xj, cb},
                                                      ArrayRef<bool>{true})
                          .getResult();
              }
              return acc;
            };
            int64_t full = ow / kColumns * kColumns;
            Value acc = iter[0];
            if (full > 0)
              acc =
                  scf::ForOp::create(
                      bb, l, idx(0), idx(full), idx(kColumns), ValueRange{acc},
                      [&](OpBuilder &b3, Location l3, Value x, ValueRange it) {
                        scf::YieldOp::create(
                            b3, l3, columns(b3, l3, x, kColumns, it[0]));
                      })
                      .getResult(0);
            if (full < ow)
              acc = columns(bb, l, idx(full), ow - full, acc);
            scf::YieldOp::create(bb, l, acc);
          });
      rewriter.setInsertionPoint(forall.getTerminator().getBody(),
                                 forall.getTerminator().getBody()->end());
      tensor::ParallelInsertSliceOp::create(
          rewriter, loc, channels.getResult(0), out, rowOff, rowSize, unit);
    }
    rewriter.replaceOp(op, forall.getResult(0));
    return success();
  }

  int64_t lanes;
};

} // namespace

void mlir::effc::populateLowerCpuDepthwisePatterns(RewritePatternSet &patterns,
                                                   int64_t f32Lanes) {
  patterns.add<DepthwiseConv>(patterns.getContext(), f32Lanes);
}

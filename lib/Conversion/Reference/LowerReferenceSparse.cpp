//===- LowerReferenceSparse.cpp - sparse effc ops to linalg -----*- C++ -*-===//
//
// Reference semantics of effc.sparse_linear: the compressed weight is
// expanded to its dense [N, K] form and the dense linear (or quantized
// linear) computes the result. Slow by design; it defines the numbers that
// the sparse kernels are checked against.
//
//===----------------------------------------------------------------------===//

#include "effc/Conversion/Reference/Passes.h"
#include "effc/Dialect/EffcOps.h"
#include "effc/Support/LinalgBuilders.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Quant/IR/Quant.h"
#include "mlir/Dialect/Quant/IR/QuantTypes.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Transforms/DialectConversion.h"

using namespace mlir;
using namespace mlir::effc;

namespace {

using utils::IteratorType;

Value indexAt(OpBuilder &b, Location loc, Value tensor, ValueRange idx) {
  Value v = tensor::ExtractOp::create(b, loc, tensor, idx);
  return arith::IndexCastOp::create(b, loc, b.getIndexType(), v);
}

/// The i8 in-group positions [N, per] of packed 2-bit N:M indices
/// [N, words] x i16 (#effc.sparse_encoding): the words are expanded to
/// [N, words, 8] slots, slot t of a word being bits [2t, 2t + 2).
Value unpackNMPositions(OpBuilder &b, Location loc, Value words, int64_t n,
                        int64_t per) {
  MLIRContext *ctx = b.getContext();
  int64_t w = cast<RankedTensorType>(words.getType()).getDimSize(1);
  Type i8 = b.getI8Type(), i16 = b.getI16Type();
  auto slotsTy = RankedTensorType::get({n, w, 8}, i8);
  AffineExpr dn, dw, dt;
  bindDims(ctx, dn, dw, dt);
  Value slots =
      linalg::GenericOp::create(
          b, loc, slotsTy, ValueRange{words},
          ValueRange{tensor::EmptyOp::create(b, loc, slotsTy.getShape(), i8)},
          {AffineMap::get(3, 0, {dn, dw}, ctx),
           AffineMap::get(3, 0, {dn, dw, dt}, ctx)},
          {IteratorType::parallel, IteratorType::parallel,
           IteratorType::parallel},
          [&](OpBuilder &nb, Location l, ValueRange a) {
            Value t = arith::IndexCastOp::create(
                nb, l, i16, linalg::IndexOp::create(nb, l, 2));
            Value shift = arith::MulIOp::create(
                nb, l, t, arith::ConstantIntOp::create(nb, l, i16, 2));
            Value bits = arith::AndIOp::create(
                nb, l, arith::ShRUIOp::create(nb, l, a[0], shift),
                arith::ConstantIntOp::create(nb, l, i16, 3));
            linalg::YieldOp::create(
                nb, l, arith::TruncIOp::create(nb, l, i8, bits).getResult());
          })
          .getResult(0);
  Value flat = tensor::CollapseShapeOp::create(
      b, loc, RankedTensorType::get({n, w * 8}, i8), slots,
      ArrayRef<ReassociationIndices>{{0}, {1, 2}});
  if (w * 8 == per)
    return flat;
  SmallVector<OpFoldResult> off = {b.getIndexAttr(0), b.getIndexAttr(0)};
  SmallVector<OpFoldResult> sz = {b.getIndexAttr(n), b.getIndexAttr(per)};
  SmallVector<OpFoldResult> st(2, b.getIndexAttr(1));
  return tensor::ExtractSliceOp::create(
      b, loc, RankedTensorType::get({n, per}, i8), flat, off, sz, st);
}

/// Dense [N, K] weight from N:M values and in-group positions. K is split
/// into [K / m groups, m positions] and the kept slots into [K / m, n], so
/// every indexing map is a projection.
Value densifyNM(OpBuilder &b, Location loc, Value values, Value indices,
                int64_t n, int64_t k, int64_t keep, int64_t m) {
  MLIRContext *ctx = b.getContext();
  Type elt = cast<RankedTensorType>(values.getType()).getElementType();
  Type idxElt = cast<RankedTensorType>(indices.getType()).getElementType();
  SmallVector<ReassociationIndices> split = {{0}, {1, 2}};
  Value vals3 = tensor::ExpandShapeOp::create(
      b, loc, RankedTensorType::get({n, k / m, keep}, elt), values, split);
  Value idx3 = tensor::ExpandShapeOp::create(
      b, loc, RankedTensorType::get({n, k / m, keep}, idxElt), indices, split);
  auto dense3Ty = RankedTensorType::get({n, k / m, m}, elt);
  AffineExpr dn, dg, dp, dt;
  bindDims(ctx, dn, dg, dp, dt);
  Value dense3 =
      linalg::GenericOp::create(
          b, loc, dense3Ty, ValueRange{vals3, idx3},
          ValueRange{buildFilled(b, loc, dense3Ty, 0.0)},
          {AffineMap::get(4, 0, {dn, dg, dt}, ctx),
           AffineMap::get(4, 0, {dn, dg, dt}, ctx),
           AffineMap::get(4, 0, {dn, dg, dp}, ctx)},
          {IteratorType::parallel, IteratorType::parallel,
           IteratorType::parallel, IteratorType::reduction},
          [&](OpBuilder &nb, Location l, ValueRange a) {
            Value pos = linalg::IndexOp::create(nb, l, 2);
            Value stored =
                arith::IndexCastOp::create(nb, l, nb.getIndexType(), a[1]);
            Value hit = arith::CmpIOp::create(nb, l, arith::CmpIPredicate::eq,
                                              pos, stored);
            // At most one slot of a group names a position, so the selected
            // value replaces the zero.
            Value v = arith::SelectOp::create(nb, l, hit, a[0], a[2]);
            linalg::YieldOp::create(nb, l, v);
          })
          .getResult(0);
  return tensor::CollapseShapeOp::create(
      b, loc, RankedTensorType::get({n, k}, elt), dense3, split);
}

/// Dense [N, K] weight from CSR (blockRows = blockCols = 1) or BSR.
Value densifyBlocked(OpBuilder &b, Location loc, Value values, Value indices,
                     Value offsets, int64_t n, int64_t k, int64_t r,
                     int64_t c) {
  Type elt = cast<RankedTensorType>(values.getType()).getElementType();
  auto denseTy = RankedTensorType::get({n, k}, elt);
  Value dense = buildFilled(b, loc, denseTy, 0.0);
  Value c0 = arith::ConstantIndexOp::create(b, loc, 0);
  Value c1 = arith::ConstantIndexOp::create(b, loc, 1);
  Value rows = arith::ConstantIndexOp::create(b, loc, n / r);
  bool blocked =
      r > 1 || c > 1 || cast<RankedTensorType>(values.getType()).getRank() == 3;
  auto outer = scf::ForOp::create(
      b, loc, c0, rows, c1, ValueRange{dense},
      [&](OpBuilder &ob, Location l, Value row, ValueRange iter) {
        Value lo = indexAt(ob, l, offsets, ValueRange{row});
        Value hi = indexAt(ob, l, offsets,
                           ValueRange{arith::AddIOp::create(ob, l, row, c1)});
        auto inner = scf::ForOp::create(
            ob, l, lo, hi, c1, iter,
            [&](OpBuilder &ib, Location il, Value j, ValueRange acc) {
              Value col = indexAt(ib, il, indices, ValueRange{j});
              Value next;
              if (!blocked) {
                Value v =
                    tensor::ExtractOp::create(ib, il, values, ValueRange{j});
                next = tensor::InsertOp::create(ib, il, v, acc[0],
                                                ValueRange{row, col});
              } else {
                auto blockTy = RankedTensorType::get({r, c}, elt);
                SmallVector<OpFoldResult> off = {j, ib.getIndexAttr(0),
                                                 ib.getIndexAttr(0)};
                SmallVector<OpFoldResult> sz = {
                    ib.getIndexAttr(1), ib.getIndexAttr(r), ib.getIndexAttr(c)};
                SmallVector<OpFoldResult> st(3, ib.getIndexAttr(1));
                Value blk = tensor::ExtractSliceOp::create(ib, il, blockTy,
                                                           values, off, sz, st);
                Value r0 = arith::MulIOp::create(
                    ib, il, row, arith::ConstantIndexOp::create(ib, il, r));
                Value k0 = arith::MulIOp::create(
                    ib, il, col, arith::ConstantIndexOp::create(ib, il, c));
                SmallVector<OpFoldResult> dOff = {r0, k0};
                SmallVector<OpFoldResult> dSz = {ib.getIndexAttr(r),
                                                 ib.getIndexAttr(c)};
                SmallVector<OpFoldResult> dSt(2, ib.getIndexAttr(1));
                next = tensor::InsertSliceOp::create(ib, il, blk, acc[0], dOff,
                                                     dSz, dSt);
              }
              scf::YieldOp::create(ib, il, next);
            });
        scf::YieldOp::create(ob, l, inner.getResults());
      });
  return outer.getResult(0);
}

struct LowerSparseLinear : OpConversionPattern<SparseLinearOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(SparseLinearOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    // Runtime rows (batch, sequence) are the dense layer's business; the
    // compressed operands are constants with static shapes.
    if (!op.getValues().getType().hasStaticShape())
      return op.emitError("sparse values with a dynamic shape");
    Location loc = op.getLoc();
    int64_t n = op.getWeightShape()[0], k = op.getWeightShape()[1];
    SparseEncodingAttr enc = op.getEncoding();
    auto valTy = op.getValues().getType();
    auto qt = dyn_cast<quant::QuantizedType>(valTy.getElementType());
    Value values = adaptor.getValues();
    if (qt)
      values = quant::StorageCastOp::create(
          rewriter, loc,
          RankedTensorType::get(valTy.getShape(), qt.getStorageType()), values);
    Value dense;
    switch (enc.getFormat()) {
    case SparseFormat::nm: {
      Value positions = adaptor.getIndices();
      int64_t per = k / enc.getM() * enc.getN();
      if (cast<RankedTensorType>(positions.getType())
              .getElementType()
              .isInteger(16))
        positions = unpackNMPositions(rewriter, loc, positions, n, per);
      dense = densifyNM(rewriter, loc, values, positions, n, k, enc.getN(),
                        enc.getM());
      break;
    }
    case SparseFormat::csr:
      dense = densifyBlocked(rewriter, loc, values, adaptor.getIndices(),
                             adaptor.getOffsets(), n, k, 1, 1);
      break;
    case SparseFormat::bsr:
      dense = densifyBlocked(rewriter, loc, values, adaptor.getIndices(),
                             adaptor.getOffsets(), n, k, enc.getBlockRows(),
                             enc.getBlockCols());
      break;
    }
    // Plain i8 values with channel_scales: the dense weight is symmetric
    // per output channel.
    if (std::optional<ArrayRef<float>> cs = op.getChannelScales()) {
      SmallVector<double> scales(cs->begin(), cs->end());
      SmallVector<int64_t> zeros(scales.size(), 0);
      qt = quant::UniformQuantizedPerAxisType::get(
          quant::QuantizationFlags::Signed, rewriter.getI8Type(),
          rewriter.getF32Type(), scales, zeros, /*quantizedDimension=*/0, -128,
          127);
    }
    if (!qt) {
      rewriter.replaceOpWithNewOp<LinearOp>(
          op, op.getType(), adaptor.getInput(), dense, adaptor.getBias(),
          op.getActivationAttr(), op.getClampMinAttr(), op.getClampMaxAttr());
      return success();
    }
    // The dense storage gets the values' quantization back (per tensor or
    // per output channel, both along dim 0 of [N, K]).
    Value qDense = quant::StorageCastOp::create(
        rewriter, loc, RankedTensorType::get({n, k}, qt), dense);
    rewriter.replaceOpWithNewOp<QuantizedLinearOp>(
        op, op.getType(), adaptor.getInput(), qDense, adaptor.getBias(),
        DenseI32ArrayAttr(), DenseI32ArrayAttr(), op.getActivationAttr(),
        op.getClampMinAttr(), op.getClampMaxAttr());
    return success();
  }
};

} // namespace

void mlir::effc::populateLowerReferenceSparsePatterns(
    RewritePatternSet &patterns) {
  patterns.add<LowerSparseLinear>(patterns.getContext());
}

//===- LowerHlsAttention.cpp - effc-lower-hls attention ---------*- C++ -*-===//
//
// effc.attention as one streaming pass over the keys per query row with an
// online softmax (running max and sum, a Dv-wide accumulator kept in
// registers), so that no Sq x Skv score buffer exists on the FPGA. An
// explicit mask is read per (row, key) with its broadcast dims at index 0.
//
//===----------------------------------------------------------------------===//

#include "LowerHls.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

#include <limits>

using namespace mlir;
using namespace mlir::effc;
using namespace mlir::effc::hls;

LogicalResult FuncLowering::lowerAttention(AttentionOp op) {
  auto qTy = op.getQuery().getType(), kTy = op.getKey().getType();
  auto vTy = op.getValue().getType();
  if (!qTy.getElementType().isF32())
    return op.emitError("effc-lower-hls: attention must be f32");
  if (fixedMode)
    return op.emitError("effc-lower-hls: attention next to fixed-point "
                        "layers is not supported yet (its exp runs in "
                        "float)");
  MaskKind kind = op.getMask();
  if (op.getBlockSize())
    return op.emitError("effc-lower-hls: block-sparse layouts are not "
                        "supported on the HLS path yet");
  Location loc = op.getLoc();
  int64_t rank = qTy.getRank();
  int64_t d = qTy.getDimSize(rank - 1), dv = vTy.getDimSize(rank - 1);
  if (qTy.isDynamicDim(rank - 1) || vTy.isDynamicDim(rank - 1) ||
      (rank >= 3 && (qTy.isDynamicDim(rank - 3) || kTy.isDynamicDim(rank - 3))))
    return op.emitError("effc-lower-hls: attention's head dims and head "
                        "counts must be static on the HLS path (batch and "
                        "sequence lengths may be dynamic)");
  int64_t group =
      rank >= 3 ? qTy.getDimSize(rank - 3) / kTy.getDimSize(rank - 3) : 1;
  int64_t window = op.getWindow().value_or(0);
  float scale = float(op.getScaleOrDefault());
  Value q = memOf(op.getQuery()), k = memOf(op.getKey());
  Value v = memOf(op.getValue());
  FailureOr<Sizes> qSizes = sizesOf(op.getQuery());
  FailureOr<Sizes> kSizes = sizesOf(op.getKey());
  FailureOr<MemRefType> outTy = bufferTypeOf(op.getResult());
  if (!q || !k || !v || failed(qSizes) || failed(kSizes) || failed(outTy))
    return op.emitError("effc-lower-hls: attention's query, key and value "
                        "must be computed tensors with known sizes");
  // Sq and Skv (runtime sizes allowed): key j is visible from query i iff
  // j <= i + Skv - Sq.
  AffineExpr sq = (*qSizes)[rank - 2], skv = (*kSizes)[rank - 2];
  Value out = bufferFor(op.getResult(), *outTy);
  MLIRContext *ctx = b.getContext();
  Type f32 = b.getF32Type();

  // Loops over the leading dims and the query rows: (lead..., i).
  OpBuilder::InsertionGuard g(b);
  SmallVector<Value> ivs;
  for (int64_t dim = 0; dim < rank - 1; ++dim) {
    auto loop = loopTo(loc, (*qSizes)[dim]);
    if (dim == 0)
      loop->setAttr(EffcDialect::kHlsLayerAttrName,
                    b.getStringAttr(layerName(op)));
    b.setInsertionPointToStart(loop.getBody());
    ivs.push_back(loop.getInductionVar());
  }
  Value i = ivs.back();
  ValueRange lead = ValueRange(ivs).drop_back();
  // K and V rows of query head h are those of head h / group.
  auto kvMap = [&](unsigned numDims) {
    SmallVector<AffineExpr> r;
    for (int64_t dim = 0; dim < rank; ++dim) {
      AffineExpr e = getAffineDimExpr(dim, ctx);
      if (dim == rank - 3 && group > 1)
        e = e.floorDiv(group);
      r.push_back(e);
    }
    return AffineMap::get(numDims, 0, r, ctx);
  };
  auto withIvs = [&](ValueRange prefix, Value a, Value c) {
    SmallVector<Value> all(prefix.begin(), prefix.end());
    all.push_back(a);
    all.push_back(c);
    return all;
  };
  // The explicit mask, read at (lead..., i, j): a rank-2 mask reads the
  // last two, and size-1 (broadcast) dims read index 0.
  Value mask;
  AffineMap maskMap;
  if (kind == MaskKind::additive) {
    mask = memOf(op.getMaskValues());
    auto mTy = cast<RankedTensorType>(op.getMaskValues().getType());
    int64_t mr = mTy.getRank();
    SmallVector<AffineExpr> exprs;
    for (int64_t dim = 0; dim < mr; ++dim)
      exprs.push_back(mTy.getDimSize(dim) == 1
                          ? getAffineConstantExpr(0, ctx)
                          : getAffineDimExpr(rank - mr + dim, ctx));
    maskMap = AffineMap::get(rank, 0, exprs, ctx);
  }
  // The running output row, completely partitioned (Dv registers).
  auto accTy = MemRefType::get({dv}, f32);
  Value acc = memref::AllocOp::create(b, loc, accTy);
  acc.getDefiningOp()->setAttr(EffcDialect::kHlsPartitionAttrName,
                               b.getDenseI64ArrayAttr({dv}));
  auto rowLoop = [&](function_ref<void(Value e)> fn) {
    auto loop = affine::AffineForOp::create(b, loc, 0, dv);
    loop->setAttr(EffcDialect::kHlsUnrollAttrName, b.getI64IntegerAttr(0));
    OpBuilder::InsertionGuard g2(b);
    b.setInsertionPointToStart(loop.getBody());
    fn(loop.getInductionVar());
  };
  rowLoop([&](Value e) {
    affine::AffineStoreOp::create(b, loc, fcst(loc, 0.0), acc, e);
  });
  Value ninf = fcst(loc, -std::numeric_limits<double>::infinity());
  // The causal offset Skv - Sq, computed once per row (a runtime value
  // when either length is).
  Value offset;
  if (kind == MaskKind::causal || kind == MaskKind::window)
    offset = sizeValue(loc, skv - sq);
  auto keys = loopTo(loc, skv, ValueRange{ninf, fcst(loc, 0.0)});
  {
    OpBuilder::InsertionGuard g2(b);
    b.setInsertionPointToStart(keys.getBody());
    Value j = keys.getInductionVar();
    Value m = keys.getRegionIterArgs()[0], l = keys.getRegionIterArgs()[1];
    // One online-softmax step: s = scale * q.k (+ mask), m' = max(m, s),
    // l' = l * exp(m - m') + exp(s - m'), acc' = acc * exp(m - m') +
    // exp(s - m') * v.
    auto step = [&]() -> SmallVector<Value> {
      auto dot = affine::AffineForOp::create(b, loc, 0, d, 1,
                                             ValueRange{fcst(loc, 0.0)});
      dot->setAttr(EffcDialect::kHlsPipelineIiAttrName,
                   b.getI64IntegerAttr(opts.targetIi));
      {
        OpBuilder::InsertionGuard g3(b);
        b.setInsertionPointToStart(dot.getBody());
        Value dd = dot.getInductionVar();
        Value qv =
            affine::AffineLoadOp::create(b, loc, q, withIvs(lead, i, dd));
        Value kv = affine::AffineLoadOp::create(b, loc, k, kvMap(rank),
                                                withIvs(lead, j, dd));
        Value p = arith::MulFOp::create(b, loc, qv, kv);
        affine::AffineYieldOp::create(
            b, loc,
            arith::AddFOp::create(b, loc, dot.getRegionIterArgs()[0], p)
                .getResult());
      }
      Value sc =
          arith::MulFOp::create(b, loc, dot.getResult(0), fcst(loc, scale));
      if (mask)
        sc = arith::AddFOp::create(
            b, loc, sc,
            affine::AffineLoadOp::create(b, loc, mask, maskMap,
                                         withIvs(lead, i, j)));
      Value mn = arith::MaximumFOp::create(b, loc, m, sc), base = mn;
      if (mask) {
        // A -inf mask can leave the running max at -inf: subtract 0 then,
        // so that exp gives 0 instead of NaN.
        Value none =
            arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ, mn, ninf);
        base = arith::SelectOp::create(b, loc, none, fcst(loc, 0.0), mn);
      }
      Value corr =
          math::ExpOp::create(b, loc, arith::SubFOp::create(b, loc, m, base));
      Value pr =
          math::ExpOp::create(b, loc, arith::SubFOp::create(b, loc, sc, base));
      Value ln = arith::AddFOp::create(
          b, loc, arith::MulFOp::create(b, loc, l, corr), pr);
      rowLoop([&](Value e) {
        Value a = affine::AffineLoadOp::create(b, loc, acc, e);
        Value vv = affine::AffineLoadOp::create(b, loc, v, kvMap(rank),
                                                withIvs(lead, j, e));
        Value kept = arith::MulFOp::create(b, loc, a, corr);
        Value added = arith::MulFOp::create(b, loc, pr, vv);
        Value upd = arith::AddFOp::create(b, loc, kept, added);
        affine::AffineStoreOp::create(b, loc, upd, acc, e);
      });
      return {mn, ln};
    };
    SmallVector<Value> next;
    if (kind == MaskKind::causal || kind == MaskKind::window) {
      // Key j is visible from query i iff j <= i + offset (and, for a
      // window, j > i + offset - window): masked keys are skipped.
      Type idx = b.getIndexType();
      Value last = arith::AddIOp::create(b, loc, i, offset);
      Value vis =
          arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sle, j, last);
      if (kind == MaskKind::window) {
        Value first =
            arith::SubIOp::create(b, loc, last, cst(loc, idx, window));
        vis = arith::AndIOp::create(
            b, loc, vis,
            arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sgt, j, first));
      }
      auto ifOp = scf::IfOp::create(b, loc, TypeRange{f32, f32}, vis,
                                    /*withElseRegion=*/true);
      {
        OpBuilder::InsertionGuard g3(b);
        b.setInsertionPointToStart(&ifOp.getThenRegion().front());
        scf::YieldOp::create(b, loc, step());
        b.setInsertionPointToStart(&ifOp.getElseRegion().front());
        scf::YieldOp::create(b, loc, ValueRange{m, l});
      }
      next.assign(ifOp.getResults().begin(), ifOp.getResults().end());
    } else {
      next = step();
    }
    affine::AffineYieldOp::create(b, loc, next);
  }
  // out = acc / l; a row that sees no key is 0.
  Value l = keys.getResult(1);
  Value any = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT, l,
                                    fcst(loc, 0.0));
  rowLoop([&](Value e) {
    Value a = affine::AffineLoadOp::create(b, loc, acc, e);
    Value o = arith::SelectOp::create(
        b, loc, any, arith::DivFOp::create(b, loc, a, l), fcst(loc, 0.0));
    affine::AffineStoreOp::create(b, loc, o, out, withIvs(lead, i, e));
  });
  mem[op.getResult()] = out;
  return success();
}

//===- LowerCpuAttention.cpp - flash attention for CPUs ---------*- C++ -*-===//
//
// effc.attention as a flash-attention loop nest on tensors: query tiles run
// in parallel (scf.forall over batch x head x query tile), each streams over
// key/value tiles with an online softmax (running max and running sum), so
// nothing of size Sq x Skv is ever materialized. Causal and window masks
// shrink the key loop to the tiles that can be visible; grouped-query heads
// read their shared key/value head. The tile matmuls become linalg.matmul
// and run on effc's GEMM kernels.
//
// Batch and sequence lengths may be dynamic (head counts and head dims stay
// static): a dynamic length gets fixed 64-row tiles, its last tile is read
// padded with zeros so the tile math keeps static shapes, padded keys are
// masked to -inf, padded query rows are not written, and the causal / window
// offset Skv - Sq is computed at run time.
//
//===----------------------------------------------------------------------===//

#include "effc/Conversion/CPU/Passes.h"
#include "effc/Dialect/EffcOps.h"
#include "effc/Support/LinalgBuilders.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Tensor/Utils/Utils.h"
#include "mlir/IR/PatternMatch.h"

#include <functional>
#include <limits>

using namespace mlir;
using namespace mlir::effc;

namespace {

using utils::IteratorType;

/// The largest tile size <= `preferred` that divides `size` (tiles stay
/// static so the tile matmuls get the GEMM kernels).
int64_t tileFor(int64_t size, int64_t preferred) {
  for (int64_t t = std::min(size, preferred); t > 1; --t)
    if (size % t == 0)
      return t;
  return 1;
}

struct FlashAttention : OpRewritePattern<AttentionOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(AttentionOp op,
                                PatternRewriter &rewriter) const override {
    // Batch and sequence dims may be dynamic; head counts and head dims stay
    // static (they fix the tile shapes), and so do a mask's broadcast dims.
    bool dyn = false;
    for (Type t :
         llvm::concat<Type>(op->getOperandTypes(), op->getResultTypes()))
      dyn |= !cast<ShapedType>(t).hasStaticShape();
    if (dyn) {
      // A block-sparse layout is tied to static lengths.
      if (op.getBlockSize())
        return failure();
      int64_t rank = op.getType().getRank();
      for (Value x :
           {op.getQuery(), op.getKey(), op.getValue(), op.getOutput()}) {
        auto t = cast<RankedTensorType>(x.getType());
        if (t.isDynamicDim(rank - 1) || (rank >= 3 && t.isDynamicDim(rank - 3)))
          return failure();
      }
      if (Value mv = op.getMaskValues()) {
        auto t = cast<RankedTensorType>(mv.getType());
        for (int64_t i = 0; i + 2 < t.getRank(); ++i)
          if (t.isDynamicDim(i))
            return failure();
      }
    }
    Location loc = op.getLoc();
    MLIRContext *ctx = getContext();
    auto outTy = op.getType();
    Type elt = outTy.getElementType();
    int64_t r = outTy.getRank();
    // Everything as 4-D [B, H, S, D].
    auto to4 = [&](Value v) {
      return buildLeadingUnitDims(rewriter, loc, 4, v);
    };
    Value q = to4(op.getQuery()), k = to4(op.getKey()), v = to4(op.getValue());
    auto qTy = cast<RankedTensorType>(q.getType());
    auto kTy = cast<RankedTensorType>(k.getType());
    auto vTy = cast<RankedTensorType>(v.getType());
    int64_t Hq = qTy.getDimSize(1), Sq = qTy.getDimSize(2),
            D = qTy.getDimSize(3);
    int64_t Hkv = kTy.getDimSize(1), Skv = kTy.getDimSize(2),
            Dv = vTy.getDimSize(3);
    int64_t G = Hq / Hkv;
    Value mask = op.getMaskValues();
    if (mask) {
      // An explicit mask as [B or 1, Hq or 1, Sq or 1, Skv].
      mask = to4(mask);
    }
    // Dynamic lengths get fixed tiles; the last query / key tile is then
    // partial, read padded to the full tile (so the tile math stays static)
    // with its out-of-range keys masked and out-of-range rows not written.
    bool qPartial = ShapedType::isDynamic(Sq),
         kPartial = ShapedType::isDynamic(Skv);
    int64_t BrFixed = qPartial ? 64 : tileFor(Sq, 64),
            BcFixed = kPartial ? 64 : tileFor(Skv, 64);
    auto dimOf = [&](Value t, int64_t i) -> OpFoldResult {
      auto ty = cast<RankedTensorType>(t.getType());
      if (!ty.isDynamicDim(i))
        return rewriter.getIndexAttr(ty.getDimSize(i));
      return tensor::DimOp::create(rewriter, loc, t, i).getResult();
    };
    OpFoldResult bOfr = dimOf(q, 0), sqOfr = dimOf(q, 2), skvOfr = dimOf(k, 2);
    Value sqV = getValueOrCreateConstantIndexOp(rewriter, loc, sqOfr);
    Value skvV = getValueOrCreateConstantIndexOp(rewriter, loc, skvOfr);
    // A block-sparse layout fixes the tiles: one tile per layout block, and
    // inactive blocks are skipped.
    auto blockSize = op.getBlockSize();
    Value layout;
    if (blockSize) {
      BrFixed = (*blockSize)[0];
      BcFixed = (*blockSize)[1];
      auto layoutTy = RankedTensorType::get({Sq / BrFixed, Skv / BcFixed},
                                            rewriter.getI1Type());
      layout = arith::ConstantOp::create(
          rewriter, loc, layoutTy,
          DenseElementsAttr::get(layoutTy, *op.getBlockLayout()));
    }
    int64_t offset = (qPartial || kPartial) ? 0 : Skv - Sq;
    // Skv - Sq at run time when either length is dynamic.
    Value offV;
    if (qPartial || kPartial)
      offV = arith::SubIOp::create(rewriter, loc, skvV, sqV);
    MaskKind kind = op.getMask();
    int64_t window = op.getWindow().value_or(0);
    double scale = op.getScaleOrDefault();

    // The flash loop nest with query tiles of Br rows and key tiles of Bc;
    // returns the [B, Hq, Sq, Dv] result.
    auto buildNest = [&](int64_t Br, int64_t Bc) -> Value {
      Value outInit = tensor::EmptyOp::create(
          rewriter, loc,
          SmallVector<OpFoldResult>{bOfr, rewriter.getIndexAttr(Hq), sqOfr,
                                    rewriter.getIndexAttr(Dv)},
          elt);
      OpFoldResult nQTiles =
          qPartial ? OpFoldResult(
                         arith::CeilDivUIOp::create(
                             rewriter, loc, sqV,
                             arith::ConstantIndexOp::create(rewriter, loc, Br))
                             .getResult())
                   : OpFoldResult(rewriter.getIndexAttr(Sq / Br));
      SmallVector<OpFoldResult> ubs = {bOfr, rewriter.getIndexAttr(Hq),
                                       nQTiles};
      auto forall = scf::ForallOp::create(rewriter, loc, ubs,
                                          ValueRange{outInit}, std::nullopt);
      OpBuilder::InsertionGuard guard(rewriter);
      rewriter.setInsertionPoint(forall.getTerminator());
      Value bi = forall.getInductionVar(0), hi = forall.getInductionVar(1),
            ti = forall.getInductionVar(2);
      auto idx = [&](int64_t c) {
        return arith::ConstantIndexOp::create(rewriter, loc, c).getResult();
      };
      Value i0 = arith::MulIOp::create(rewriter, loc, ti, idx(Br));
      Value kvh = arith::DivUIOp::create(rewriter, loc, hi, idx(G));

      // Rows of a tile starting at `row0` that lie within `len`:
      // min(tile, len - row0), only needed for a partial (dynamic) length.
      auto validRows = [](OpBuilder &b, Location l, Value len, Value row0,
                          int64_t tile) {
        return arith::MinSIOp::create(
                   b, l, arith::SubIOp::create(b, l, len, row0),
                   arith::ConstantIndexOp::create(b, l, tile))
            .getResult();
      };
      // Pads a slice with dynamic dims up to the static tile type with zeros.
      auto padTo = [&](OpBuilder &b, Location l, Value tile,
                       RankedTensorType full) -> Value {
        if (cast<RankedTensorType>(tile.getType()).hasStaticShape())
          return tile;
        Value zero = arith::ConstantOp::create(b, l, elt, b.getZeroAttr(elt));
        return tensor::createPadHighOp(full, tile, zero, /*nofold=*/false, l, b)
            .getResult();
      };
      // 4-D slice [1, 1, rows, cols] at (b, h, row0, 0), rank-reduced to 2-D;
      // with `valid` (rows within the length) the slice is partial and padded
      // to `rows`.
      auto slice2 = [&](OpBuilder &b, Location l, Value src, Value bIdx,
                        Value hIdx, Value row0, int64_t rows, int64_t cols,
                        Value valid = Value()) {
        OpFoldResult rowSz =
            valid ? OpFoldResult(valid) : OpFoldResult(b.getIndexAttr(rows));
        SmallVector<OpFoldResult> off = {bIdx, hIdx, row0, b.getIndexAttr(0)};
        SmallVector<OpFoldResult> sz = {b.getIndexAttr(1), b.getIndexAttr(1),
                                        rowSz, b.getIndexAttr(cols)};
        SmallVector<OpFoldResult> st(4, b.getIndexAttr(1));
        auto ty = RankedTensorType::get(
            {valid ? ShapedType::kDynamic : rows, cols}, elt);
        Value t = tensor::ExtractSliceOp::create(b, l, ty, src, off, sz, st);
        return padTo(b, l, t, RankedTensorType::get({rows, cols}, elt));
      };
      Value qValid = qPartial ? validRows(rewriter, loc, sqV, i0, Br) : Value();
      Value qTile = slice2(rewriter, loc, q, bi, hi, i0, Br, D, qValid);

      // Key tiles that can be visible from query rows [i0, i0 + Br).
      Value jBegin = idx(0), jEnd = skvV;
      if (offV && (kind == MaskKind::causal || kind == MaskKind::window)) {
        // The same bounds from the runtime offset; a negative bound (more
        // queries than keys) clamps to 0.
        Value last = arith::MaxSIOp::create(
            rewriter, loc,
            arith::AddIOp::create(
                rewriter, loc,
                arith::AddIOp::create(rewriter, loc, i0, idx(Br)), offV),
            idx(0));
        Value tiles = arith::CeilDivUIOp::create(rewriter, loc, last, idx(Bc));
        jEnd = arith::MinUIOp::create(
            rewriter, loc, arith::MulIOp::create(rewriter, loc, tiles, idx(Bc)),
            skvV);
        if (kind == MaskKind::window) {
          Value first = arith::AddIOp::create(
              rewriter, loc, arith::AddIOp::create(rewriter, loc, i0, offV),
              idx(1 - window));
          Value firstC = arith::MaxSIOp::create(rewriter, loc, first, idx(0));
          jBegin = arith::MulIOp::create(
              rewriter, loc,
              arith::DivUIOp::create(rewriter, loc, firstC, idx(Bc)), idx(Bc));
        }
      } else if (kind == MaskKind::causal || kind == MaskKind::window) {
        // Last visible key of the tile's last row: i0 + Br - 1 + offset.
        Value last =
            arith::AddIOp::create(rewriter, loc, i0, idx(Br - 1 + offset + 1));
        Value tiles = arith::CeilDivUIOp::create(rewriter, loc, last, idx(Bc));
        jEnd = arith::MinUIOp::create(
            rewriter, loc, arith::MulIOp::create(rewriter, loc, tiles, idx(Bc)),
            idx(Skv));
        if (kind == MaskKind::window) {
          // First visible key of the tile's first row: i0 + offset - W + 1.
          Value first =
              arith::AddIOp::create(rewriter, loc, i0, idx(offset + 1));
          Value firstC = arith::MaxSIOp::create(
              rewriter, loc,
              arith::SubIOp::create(rewriter, loc, first, idx(window)), idx(0));
          jBegin = arith::MulIOp::create(
              rewriter, loc,
              arith::DivUIOp::create(rewriter, loc, firstC, idx(Bc)), idx(Bc));
        }
      }

      auto rowTy = RankedTensorType::get({Br}, elt);
      auto accTy = RankedTensorType::get({Br, Dv}, elt);
      auto sTy = RankedTensorType::get({Br, Bc}, elt);
      double ninf = -std::numeric_limits<double>::infinity();
      Value m0 = buildFilled(rewriter, loc, rowTy, ninf);
      Value l0 = buildFilled(rewriter, loc, rowTy, 0.0);
      Value acc0 = buildFilled(rewriter, loc, accTy, 0.0);
      AffineExpr d0, d1, d2;
      bindDims(ctx, d0, d1, d2);
      AffineMap id2 = AffineMap::getMultiDimIdentityMap(2, ctx);
      AffineMap row2 = AffineMap::get(2, 0, d0);
      AffineMap id1 = AffineMap::getMultiDimIdentityMap(1, ctx);
      SmallVector<IteratorType> par2(2, IteratorType::parallel);
      SmallVector<IteratorType> red2 = {IteratorType::parallel,
                                        IteratorType::reduction};

      auto loop = scf::ForOp::create(
          rewriter, loc, jBegin, jEnd, idx(Bc), ValueRange{m0, l0, acc0},
          [&](OpBuilder &outerB, Location l, Value j0, ValueRange iter) {
            scf::IfOp active;
            OpBuilder b = outerB;
            if (layout) {
              Value jt = arith::DivUIOp::create(
                  outerB, l, j0, arith::ConstantIndexOp::create(outerB, l, Bc));
              Value on = tensor::ExtractOp::create(outerB, l, layout,
                                                   ValueRange{ti, jt});
              active = scf::IfOp::create(outerB, l, iter.getTypes(), on,
                                         /*withElseRegion=*/true);
              OpBuilder eb = OpBuilder::atBlockEnd(active.elseBlock());
              scf::YieldOp::create(eb, l, iter);
              b = OpBuilder::atBlockEnd(active.thenBlock());
            }
            auto cst = [&](double x) {
              return arith::ConstantOp::create(b, l, elt,
                                               b.getFloatAttr(elt, x))
                  .getResult();
            };
            Value kValid = kPartial ? validRows(b, l, skvV, j0, Bc) : Value();
            Value kTile = slice2(b, l, k, bi, kvh, j0, Bc, D, kValid);
            // Padded value rows are zeros, so masked keys add exactly 0.
            Value vTile = slice2(b, l, v, bi, kvh, j0, Bc, Dv, kValid);
            // s = q k^T (k read as [Bc, D] through transposed maps).
            AffineExpr m, n, kk;
            bindDims(ctx, m, n, kk);
            SmallVector<Attribute> maps = {
                AffineMapAttr::get(AffineMap::get(3, 0, {m, kk}, ctx)),
                AffineMapAttr::get(AffineMap::get(3, 0, {n, kk}, ctx)),
                AffineMapAttr::get(AffineMap::get(3, 0, {m, n}, ctx))};
            Value s =
                linalg::MatmulOp::create(
                    b, l, TypeRange{sTy}, ValueRange{qTile, kTile},
                    ValueRange{buildFilled(b, l, sTy, 0.0)},
                    {b.getNamedAttr("indexing_maps", b.getArrayAttr(maps))})
                    .getResult(0);
            // Scale and mask.
            SmallVector<Value> ins = {s};
            SmallVector<AffineMap> inMaps = {id2};
            if (mask) {
              // Size-1 (broadcast) mask dims are read at index 0; a mask
              // broadcast over the query rows is one [Bc] row for the tile.
              auto mTy = cast<RankedTensorType>(mask.getType());
              Value mb = mTy.getDimSize(0) == 1 ? idx(0) : bi;
              Value mh = mTy.getDimSize(1) == 1 ? idx(0) : hi;
              bool rowBroadcast = mTy.getDimSize(2) == 1;
              SmallVector<OpFoldResult> off = {mb, mh,
                                               rowBroadcast ? idx(0) : i0, j0};
              bool rowPartial = qPartial && !rowBroadcast;
              OpFoldResult rowSz =
                  rowPartial
                      ? OpFoldResult(qValid)
                      : OpFoldResult(b.getIndexAttr(rowBroadcast ? 1 : Br));
              OpFoldResult colSz = kPartial ? OpFoldResult(kValid)
                                            : OpFoldResult(b.getIndexAttr(Bc));
              SmallVector<OpFoldResult> sz = {b.getIndexAttr(1),
                                              b.getIndexAttr(1), rowSz, colSz};
              SmallVector<OpFoldResult> st(4, b.getIndexAttr(1));
              int64_t colDim = kPartial ? ShapedType::kDynamic : Bc;
              auto tileTy =
                  rowBroadcast
                      ? RankedTensorType::get({colDim}, elt)
                      : RankedTensorType::get(
                            {rowPartial ? ShapedType::kDynamic : Br, colDim},
                            elt);
              Value mTile = tensor::ExtractSliceOp::create(b, l, tileTy, mask,
                                                           off, sz, st);
              ins.push_back(
                  padTo(b, l, mTile,
                        rowBroadcast ? RankedTensorType::get({Bc}, elt) : sTy));
              inMaps.push_back(rowBroadcast ? AffineMap::get(2, 0, d1) : id2);
            }
            inMaps.push_back(id2);
            Value scaled =
                linalg::GenericOp::create(
                    b, l, sTy, ins, ValueRange{buildEmpty(b, l, sTy)}, inMaps,
                    par2,
                    [&](OpBuilder &nb, Location nl, ValueRange a) {
                      Value x = arith::MulFOp::create(
                          nb, nl, a[0],
                          arith::ConstantOp::create(
                              nb, nl, elt, nb.getFloatAttr(elt, scale)));
                      if (mask)
                        x = arith::AddFOp::create(nb, nl, x, a[1]);
                      bool causal =
                          kind == MaskKind::causal || kind == MaskKind::window;
                      if (causal || kPartial) {
                        Value qi = arith::AddIOp::create(
                            nb, nl, linalg::IndexOp::create(nb, nl, 0), i0);
                        Value kj = arith::AddIOp::create(
                            nb, nl, linalg::IndexOp::create(nb, nl, 1), j0);
                        Value vis;
                        // Keys of the padded tail of a partial tile.
                        if (kPartial)
                          vis = arith::CmpIOp::create(
                              nb, nl, arith::CmpIPredicate::slt, kj, skvV);
                        Value lastK = arith::AddIOp::create(
                            nb, nl, qi,
                            offV
                                ? offV
                                : arith::ConstantIndexOp::create(nb, nl, offset)
                                      .getResult());
                        if (causal) {
                          Value c = arith::CmpIOp::create(
                              nb, nl, arith::CmpIPredicate::sle, kj, lastK);
                          vis = vis ? arith::AndIOp::create(nb, nl, vis, c)
                                          .getResult()
                                    : c;
                        }
                        if (kind == MaskKind::window) {
                          Value firstK = arith::SubIOp::create(
                              nb, nl, lastK,
                              arith::ConstantIndexOp::create(nb, nl, window));
                          vis = arith::AndIOp::create(
                              nb, nl, vis,
                              arith::CmpIOp::create(nb, nl,
                                                    arith::CmpIPredicate::sgt,
                                                    kj, firstK));
                        }
                        x = arith::SelectOp::create(
                            nb, nl, vis, x,
                            arith::ConstantOp::create(
                                nb, nl, elt, nb.getFloatAttr(elt, ninf)));
                      }
                      linalg::YieldOp::create(nb, nl, x);
                    })
                    .getResult(0);
            // m_new = max(m, rowmax(s)).
            Value mNew = buildGeneric(
                b, l, rowTy, ValueRange{scaled}, iter[0], {id2, row2}, red2,
                [](OpBuilder &nb, Location nl, ValueRange a) -> Value {
                  return arith::MaximumFOp::create(nb, nl, a[0], a[1]);
                });
            // A row with nothing visible yet keeps max -inf; subtract 0 then
            // so exp gives 0 instead of NaN.
            auto safe = [&](OpBuilder &nb, Location nl, Value x) {
              Value isInf = arith::CmpFOp::create(
                  nb, nl, arith::CmpFPredicate::OEQ, x,
                  arith::ConstantOp::create(nb, nl, elt,
                                            nb.getFloatAttr(elt, ninf)));
              return arith::SelectOp::create(
                         nb, nl, isInf,
                         arith::ConstantOp::create(nb, nl, elt,
                                                   nb.getFloatAttr(elt, 0.0)),
                         x)
                  .getResult();
            };
            // exp(x - safe(m)) elementwise, x and m read through `maps`.
            auto expDiff = [&](RankedTensorType ty, Value x, Value m,
                               ArrayRef<AffineMap> maps,
                               ArrayRef<IteratorType> iters) {
              return linalg::GenericOp::create(
                         b, l, ty, ValueRange{x, m},
                         ValueRange{buildEmpty(b, l, ty)}, maps, iters,
                         [&](OpBuilder &nb, Location nl, ValueRange a) {
                           Value d = arith::SubFOp::create(nb, nl, a[0],
                                                           safe(nb, nl, a[1]));
                           linalg::YieldOp::create(
                               nb, nl,
                               math::ExpOp::create(nb, nl, d).getResult());
                         })
                  .getResult(0);
            };
            Value p = expDiff(sTy, scaled, mNew, {id2, row2, id2}, par2);
            // corr = exp(m - m_new); l = l * corr + rowsum(p).
            Value corr = expDiff(rowTy, iter[0], mNew, {id1, id1, id1},
                                 {IteratorType::parallel});
            auto mul = [](OpBuilder &nb, Location nl, ValueRange a) -> Value {
              return arith::MulFOp::create(nb, nl, a[0], a[1]);
            };
            Value lScaled =
                buildGeneric(b, l, rowTy, ValueRange{iter[1], corr}, Value(),
                             {id1, id1, id1}, {IteratorType::parallel}, mul);
            Value lNew = buildGeneric(
                b, l, rowTy, ValueRange{p}, lScaled, {id2, row2}, red2,
                [](OpBuilder &nb, Location nl, ValueRange a) -> Value {
                  return arith::AddFOp::create(nb, nl, a[0], a[1]);
                });
            // acc = acc * corr + p v.
            Value accScaled =
                buildGeneric(b, l, accTy, ValueRange{iter[2], corr}, Value(),
                             {id2, row2, id2}, par2, mul);
            Value accNew = linalg::MatmulOp::create(b, l, TypeRange{accTy},
                                                    ValueRange{p, vTile},
                                                    ValueRange{accScaled})
                               .getResult(0);
            (void)cst;
            scf::YieldOp::create(b, l, ValueRange{mNew, lNew, accNew});
            if (active)
              scf::YieldOp::create(outerB, l, active.getResults());
          });

      // out = acc / l (rows that saw no key at all give 0, not NaN).
      Value outTile =
          linalg::GenericOp::create(
              rewriter, loc, accTy,
              ValueRange{loop.getResult(2), loop.getResult(1)},
              ValueRange{buildEmpty(rewriter, loc, accTy)}, {id2, row2, id2},
              par2,
              [&](OpBuilder &nb, Location nl, ValueRange a) {
                Value zero = arith::ConstantOp::create(
                    nb, nl, elt, nb.getFloatAttr(elt, 0.0));
                Value empty = arith::CmpFOp::create(
                    nb, nl, arith::CmpFPredicate::OEQ, a[1], zero);
                Value div = arith::DivFOp::create(nb, nl, a[0], a[1]);
                linalg::YieldOp::create(
                    nb, nl,
                    arith::SelectOp::create(nb, nl, empty, zero, div)
                        .getResult());
              })
              .getResult(0);
      if (qPartial) {
        // Only the rows within Sq of the last tile are written.
        SmallVector<OpFoldResult> o2(2, rewriter.getIndexAttr(0)),
            s2 = {qValid, rewriter.getIndexAttr(Dv)},
            st2(2, rewriter.getIndexAttr(1));
        outTile = tensor::ExtractSliceOp::create(
            rewriter, loc,
            RankedTensorType::get({ShapedType::kDynamic, Dv}, elt), outTile, o2,
            s2, st2);
      }
      rewriter.setInsertionPointToStart(forall.getTerminator().getBody());
      SmallVector<OpFoldResult> off = {bi, hi, i0, rewriter.getIndexAttr(0)};
      SmallVector<OpFoldResult> sz = {
          rewriter.getIndexAttr(1), rewriter.getIndexAttr(1),
          qPartial ? OpFoldResult(qValid)
                   : OpFoldResult(rewriter.getIndexAttr(Br)),
          rewriter.getIndexAttr(Dv)};
      SmallVector<OpFoldResult> st(4, rewriter.getIndexAttr(1));
      tensor::ParallelInsertSliceOp::create(
          rewriter, loc, outTile, forall.getRegionIterArgs()[0], off, sz, st);
      return forall.getResult(0);
    };

    Value result;
    if (!qPartial && !kPartial) {
      result = buildNest(BrFixed, BcFixed);
    } else {
      // A dynamic length's tiles are padded to full size, so short lengths
      // (decoding steps, short sentences) would mostly compute padding:
      // the nest is built for tiles of 8, 16, 32 and 64 rows and the
      // smallest that holds the runtime lengths runs (static lengths keep
      // their own tiles).
      Value longest = qPartial && kPartial
                          ? arith::MaxUIOp::create(rewriter, loc, sqV, skvV)
                      : qPartial ? sqV
                                 : skvV;
      auto resultTy =
          RankedTensorType::get({ShapedType::kDynamic, Hq, Sq, Dv}, elt);
      if (!qTy.isDynamicDim(0))
        resultTy = RankedTensorType::get({qTy.getDimSize(0), Hq, Sq, Dv}, elt);
      auto nestFor = [&](int64_t t) {
        return buildNest(qPartial ? t : BrFixed, kPartial ? t : BcFixed);
      };
      std::function<Value(ArrayRef<int64_t>)> dispatch =
          [&](ArrayRef<int64_t> sizes) -> Value {
        if (sizes.empty())
          return nestFor(64);
        Value fits = arith::CmpIOp::create(
            rewriter, loc, arith::CmpIPredicate::ule, longest,
            arith::ConstantIndexOp::create(rewriter, loc, sizes.front()));
        auto ifOp = scf::IfOp::create(rewriter, loc, TypeRange{resultTy}, fits,
                                      /*withElseRegion=*/true);
        OpBuilder::InsertionGuard g(rewriter);
        rewriter.setInsertionPointToStart(ifOp.thenBlock());
        scf::YieldOp::create(rewriter, loc, nestFor(sizes.front()));
        rewriter.setInsertionPointToStart(ifOp.elseBlock());
        scf::YieldOp::create(rewriter, loc, dispatch(sizes.drop_front()));
        return ifOp.getResult(0);
      };
      int64_t tileSizes[] = {8, 16, 32};
      result = dispatch(tileSizes);
    }
    Value out = buildReshape(rewriter, loc, result, outTy);
    (void)r;
    rewriter.replaceOp(op, out);
    return success();
  }
};

} // namespace

void mlir::effc::populateLowerCpuAttentionPatterns(
    RewritePatternSet &patterns) {
  patterns.add<FlashAttention>(patterns.getContext());
}

//===- LowerCpuSparse.cpp - sparse linear kernels for CPUs ------*- C++ -*-===//
//
// effc.sparse_linear (f32 or quantized i8 values; CSR, BSR or N:M) as a
// vectorized, threaded
// loop nest on tensors. The kernels work on the transposed problem
//
//   yT[N, M] = W[N, K] (compressed) x xT[K, M]
//
// so that every stored weight w at (n, k) is one broadcast and a few fused
// multiply-adds on contiguous vectors of xT's row k, 16 input rows (one
// zmm) at a time, with no gathers:
//
//   scf.forall chunk of output rows (block rows for BSR)    // OpenMP
//     for row (block row) in chunk
//       for m0 in M step 16 * MT                            // MT <= 8 vectors
//         acc[R][MT] = 0
//         for stored w (CSR: offsets; N:M: k = g*m + pos; BSR: blocks)
//           xv[v] = xT[k, m0 + 16v .. +16]                  // vector loads
//           acc[r][v] = fma(broadcast(w[r]), xv[v], acc[r][v])
//         yT[row + r, m0 + 16v ..] = acc[r][v]
//
// Quantized values (i8, per-tensor or per-channel scales, i8 per-tensor
// input) run the same loops with xT holding x - z_x. When every partial
// sum is provably an integer of magnitude <= 2^24 (stored values per row x
// max |w| x max |x - z_x|, from the constant operands), the lanes are f32
// and each product is one FMA, exact, so the result converts back to the
// reference's i32 bit for bit; otherwise the lanes are i32 (a vpmulld and a
// vpaddd per vector, exact because wrapping addition is associative).
// N:M positions are read as i8 or unpacked from the 2-bit i16 words. The
// epilogue adds the i32 bias and produces i32 (+relu) or
// float(acc) * (s_w[n] * s_x) with the activation, as
// effc.quantized_linear.
//
// BSR reuses each loaded xT vector for the R rows of its block. The input
// and result transposes and the bias / activation epilogue are linalg ops
// that the rest of the CPU pipeline lowers.
//
//===----------------------------------------------------------------------===//

#include "effc/Conversion/CPU/Passes.h"
#include "effc/Dialect/EffcOps.h"
#include "effc/Support/LinalgBuilders.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Quant/IR/Quant.h"
#include "mlir/Dialect/Quant/IR/QuantTypes.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"

#include <algorithm>
#include <map>
#include <thread>

using namespace mlir;
using namespace mlir::effc;

namespace {

/// f32 lanes per vector: one zmm.
constexpr int64_t kLanes = 16;

/// Whether a column tile's last vector may pass M.
enum class TileTail { none, lastPartial };

/// How a tile's K loop is blocked: `kBlocks` blocks of `kBlock` columns;
/// for CSR / BSR with several blocks, `blockOffsets` holds where each
/// unit's entries of each block start ([units * (kBlocks + 1)] i32).
struct KPlan {
  int64_t kBlock = 0, kBlocks = 1;
  Value blockOffsets;
};

int64_t chunkFor(int64_t units);

/// `then()` when `cond` holds, else `otherwise`: an scf.if whose branches
/// yield them (`then` builds its ops inside the then-branch).
Value ifThenElse(OpBuilder &b, Location loc, Value cond,
                 function_ref<Value()> then, function_ref<Value()> otherwise) {
  auto ifOp = scf::IfOp::create(
      b, loc, cond,
      [&](OpBuilder &, Location l) { scf::YieldOp::create(b, l, then()); },
      [&](OpBuilder &, Location l) {
        scf::YieldOp::create(b, l, otherwise());
      });
  return ifOp.getResult(0);
}

/// Emits the kernel for one sparse_linear into `b`.
class SparseKernelEmitter {
public:
  /// `values` holds the stored weights (f32, or the i8 storage of quantized
  /// values); `xT` is f32, or i32 (input minus its zero point) for i8
  /// values, whose products then accumulate exactly in i32 lanes.
  /// `m`, xT's column count, may be dynamic (a runtime batch or sequence):
  /// the column tiles are then counted at run time and the last partial
  /// tile picks its vector count at run time (see emit).
  /// `x` is xT before its transpose ([M, K]): a 1-lane tile (one row of a
  /// runtime M) reads it, contiguous in k, instead of xT's column.
  SparseKernelEmitter(OpBuilder &b, Location loc, SparseLinearOp op,
                      Value values, Value xT, Value x)
      : b(b), loc(loc), op(op), values(values), xT(xT), x(x) {
    n = op.getWeightShape()[0];
    k = op.getWeightShape()[1];
    m = cast<RankedTensorType>(xT.getType()).getDimSize(1);
    enc = op.getEncoding();
    rowsPerUnit = enc.getFormat() == SparseFormat::bsr ? enc.getBlockRows() : 1;
    elt = cast<RankedTensorType>(xT.getType()).getElementType();
    setLanes(kLanes);
    // Accumulators R x MT plus MT loaded vectors and a broadcast in 32 zmm.
    mt = std::clamp<int64_t>(27 / (rowsPerUnit + 1), 1, 8);
    if (!ShapedType::isDynamic(m))
      mt = std::min<int64_t>(mt, llvm::divideCeil(m, kLanes));
    plans[mt] = planKBlocks(mt);
    // A runtime M's last tile has 1 to MT vectors: each count gets the K
    // blocks of the next power of two (at most 4 plans), so one row
    // (one token) is not cut into the 64-row K blocks of an 8-vector tile.
    if (ShapedType::isDynamic(m))
      for (int64_t v = 1; v < mt; v *= 2)
        plans.try_emplace(v, planKBlocks(v));
  }

  /// yT [N, M] computed from the compressed weight.
  Value emit() {
    auto yTy = RankedTensorType::get({n, m}, elt);
    bool dynamic = ShapedType::isDynamic(m);
    Value mDim =
        dynamic ? tensor::DimOp::create(b, loc, xT, 1).getResult() : Value();
    Value init = dynamic ? buildEmpty(b, loc, yTy, ValueRange{mDim})
                         : buildEmpty(b, loc, yTy);
    int64_t units = n / rowsPerUnit;
    int64_t chunk = chunkFor(units);
    int64_t chunks = units / chunk, chunkRows = chunk * rowsPerUnit;
    auto tileTy = RankedTensorType::get({chunkRows, m}, elt);
    auto forall = scf::ForallOp::create(
        b, loc, ArrayRef<OpFoldResult>{b.getIndexAttr(chunks)},
        ValueRange{init}, std::nullopt);
    OpBuilder::InsertionGuard g(b);
    b.setInsertionPoint(forall.getTerminator());
    Value c = forall.getInductionVar(0);
    Value out = forall.getRegionIterArgs()[0];
    Value row0 = mul(c, idx(chunkRows));
    SmallVector<OpFoldResult> offs = {row0, b.getIndexAttr(0)};
    SmallVector<OpFoldResult> sizes = {
        b.getIndexAttr(chunkRows),
        dynamic ? OpFoldResult(mDim) : OpFoldResult(b.getIndexAttr(m))};
    SmallVector<OpFoldResult> strides(2, b.getIndexAttr(1));
    Value tile = tensor::ExtractSliceOp::create(b, loc, tileTy, out, offs,
                                                sizes, strides);
    Value units0 = mul(c, idx(chunk));
    // Column tiles outside, then K blocks, then the chunk's units: the
    // [K block, tile] slice of xT stays in L1 while every unit reads it.
    auto perTile = [&](Value m0, int64_t vecs, TileTail tail, Value t) {
      const KPlan &plan = planFor(dynamic ? vecs : mt);
      return loop(idx(0), idx(plan.kBlocks), idx(1), ValueRange{t},
                  [&](Value kb, ValueRange it) -> SmallVector<Value> {
                    return loop(
                        idx(0), idx(chunk), idx(1), it,
                        [&](Value u, ValueRange it2) -> SmallVector<Value> {
                          return {emitTile(add(units0, u),
                                           mul(u, idx(rowsPerUnit)), it2[0], m0,
                                           vecs, tail, kb, plan)};
                        });
                  })[0];
    };
    int64_t step = mt * kLanes;
    Value done = tile;
    if (!dynamic) {
      int64_t full = m / step;
      if (full > 0)
        done = loop(idx(0), idx(full * step), idx(step), ValueRange{done},
                    [&](Value m0, ValueRange it) -> SmallVector<Value> {
                      return {perTile(m0, mt, TileTail::none, it[0])};
                    })[0];
      if (int64_t rest = m - full * step; rest > 0) {
        int64_t vecs = llvm::divideCeil(rest, kLanes);
        done = perTile(idx(full * step), vecs,
                       rest % kLanes ? TileTail::lastPartial : TileTail::none,
                       done);
      }
    } else {
      // Full tiles of MT vectors, then the rest (fewer than 16 MT rows: 1
      // to MT vectors, the last one masked) through a switch on its vector
      // count, so a runtime M gets the tile the static kernel would have
      // for it.
      Value fullEnd =
          mul(arith::DivUIOp::create(b, loc, mDim, idx(step)), idx(step));
      done = loop(idx(0), fullEnd, idx(step), ValueRange{done},
                  [&](Value m0, ValueRange it) -> SmallVector<Value> {
                    return {perTile(m0, mt, TileTail::none, it[0])};
                  })[0];
      Value rest = arith::SubIOp::create(b, loc, mDim, fullEnd);
      Value restVecs = arith::DivUIOp::create(
          b, loc, add(rest, idx(kLanes - 1)), idx(kLanes));
      // Fewer than 16 rows (a decode step's one token, a small batch) run
      // on 1-, 4- or 8-lane vectors: a 16-lane masked load of a row of xT
      // only M floats long splits cache lines on every stored entry, where
      // the static kernel's constant mask becomes a scalar or narrow load.
      Value laneClass = idx(kLanes);
      for (int64_t l : {8, 4, 1})
        laneClass = arith::SelectOp::create(
            b, loc,
            arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ule, rest,
                                  idx(l)),
            idx(l), laneClass);
      SmallVector<int64_t> vecCounts =
          llvm::to_vector(llvm::seq<int64_t>(1, mt + 1));
      done = switchOn(restVecs, vecCounts, done, [&](int64_t vecs) {
        if (vecs > 1)
          return perTile(fullEnd, vecs, TileTail::lastPartial, done);
        return switchOn(laneClass, {1, 4, 8, kLanes}, done, [&](int64_t l) {
          int64_t saved = lanes;
          setLanes(l);
          Value t;
          if (l == 1) {
            t = perTile(fullEnd, 1, TileTail::none, done);
          } else {
            // Exactly l rows (a power-of-two batch) need no masks.
            t = ifThenElse(
                b, loc,
                arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, rest,
                                      idx(l)),
                [&] { return perTile(fullEnd, 1, TileTail::none, done); },
                [&] {
                  return perTile(fullEnd, 1, TileTail::lastPartial, done);
                });
          }
          setLanes(saved);
          return t;
        });
      });
    }
    b.setInsertionPointToEnd(forall.getTerminator().getBody());
    tensor::ParallelInsertSliceOp::create(b, loc, done, out, offs, sizes,
                                          strides);
    return forall.getResult(0);
  }

private:
  Value idx(int64_t v) { return arith::ConstantIndexOp::create(b, loc, v); }
  void setLanes(int64_t l) {
    lanes = l;
    vecTy = VectorType::get({l}, elt);
  }
  /// An scf.index_switch on `sel` yielding `body(c)` for each case c and
  /// `otherwise` by default.
  Value switchOn(Value sel, ArrayRef<int64_t> cases, Value otherwise,
                 function_ref<Value(int64_t)> body) {
    auto sw = scf::IndexSwitchOp::create(b, loc, otherwise.getType(), sel,
                                         cases, cases.size());
    OpBuilder::InsertionGuard g(b);
    b.setInsertionPointToStart(&sw.getDefaultRegion().emplaceBlock());
    scf::YieldOp::create(b, loc, otherwise);
    for (auto [region, c] : llvm::zip(sw.getCaseRegions(), cases)) {
      b.setInsertionPointToStart(&region.emplaceBlock());
      scf::YieldOp::create(b, loc, body(c));
    }
    return sw.getResult(0);
  }
  Value add(Value x, Value y) { return arith::AddIOp::create(b, loc, x, y); }
  Value mul(Value x, Value y) { return arith::MulIOp::create(b, loc, x, y); }
  Value toIndex(Value v) {
    if (v.getType().isIndex())
      return v;
    if (v.getType().getIntOrFloatBitWidth() < 32)
      v = arith::ExtSIOp::create(b, loc, b.getI32Type(), v);
    return arith::IndexCastOp::create(b, loc, b.getIndexType(), v);
  }
  Value extract(Value t, ValueRange at) {
    return tensor::ExtractOp::create(b, loc, t, at);
  }
  /// An scf.for with iter_args whose body `body(iv, iterArgs)` returns
  /// the yielded values; returns the loop's results.
  template <typename Fn>
  SmallVector<Value> loop(Value lb, Value ub, Value step, ValueRange inits,
                          Fn body) {
    auto f = scf::ForOp::create(b, loc, lb, ub, step, inits);
    OpBuilder::InsertionGuard g(b);
    b.setInsertionPointToStart(f.getBody());
    SmallVector<Value> next = body(f.getInductionVar(), f.getRegionIterArgs());
    scf::YieldOp::create(b, loc, next);
    return SmallVector<Value>(f.getResults());
  }
  Value zeroVec() {
    return arith::ConstantOp::create(
        b, loc, vecTy, DenseElementsAttr::get(vecTy, b.getZeroAttr(elt)));
  }
  bool isInt() const { return isa<IntegerType>(elt); }
  /// The in-group position of stored value `j` of row `unit` of N:M
  /// indices: an i8 per value, or packed 2-bit fields of i16 words.
  Value position(Value indices, Value unit, Value j) {
    auto ty = cast<RankedTensorType>(indices.getType());
    if (!ty.getElementType().isInteger(16))
      return toIndex(extract(indices, {unit, j}));
    Value word =
        extract(indices, {unit, arith::ShRUIOp::create(b, loc, j, idx(3))});
    Value w32 = arith::ExtUIOp::create(b, loc, b.getI32Type(), word);
    Value slot = arith::AndIOp::create(b, loc, j, idx(7));
    Value shift = arith::IndexCastOp::create(
        b, loc, b.getI32Type(), arith::ShLIOp::create(b, loc, slot, idx(1)));
    Value bits = arith::AndIOp::create(
        b, loc, arith::ShRUIOp::create(b, loc, w32, shift),
        arith::ConstantIntOp::create(b, loc, b.getI32Type(), 3));
    return arith::IndexCastOp::create(b, loc, b.getIndexType(), bits);
  }
  /// A stored weight as a scalar of the accumulator type.
  Value weight(Value w) {
    if (isInt())
      return arith::ExtSIOp::create(b, loc, elt, w);
    if (isa<IntegerType>(w.getType()))
      return arith::SIToFPOp::create(b, loc, elt, w);
    return w;
  }

  /// The [R, vecs * 16] tile of yT at (the unit's rows, m0); with
  /// `lastPartial`, its last vector may pass M (masked loads and stores).
  Value emitTile(Value unit, Value localRow, Value tile, Value m0, int64_t vecs,
                 TileTail tail, Value kb, const KPlan &plan) {
    int64_t kBlock = plan.kBlock, kBlocks = plan.kBlocks;
    int64_t r = rowsPerUnit;
    SmallVector<Value> cols;
    SmallVector<bool> inBounds;
    for (int64_t v = 0; v < vecs; ++v) {
      cols.push_back(add(m0, idx(v * lanes)));
      inBounds.push_back(tail == TileTail::none || v + 1 < vecs);
    }
    Value pad = arith::ConstantOp::create(b, loc, b.getZeroAttr(elt));
    SmallVector<Value> acc(r * vecs, zeroVec());
    // Later K blocks continue from what the earlier ones stored.
    if (kBlocks > 1) {
      Value first =
          arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, kb, idx(0));
      for (int64_t i = 0; i < r; ++i)
        for (int64_t v = 0; v < vecs; ++v)
          acc[i * vecs + v] = arith::SelectOp::create(
              b, loc, first, acc[i * vecs + v],
              vector::TransferReadOp::create(
                  b, loc, vecTy, tile,
                  ValueRange{add(localRow, idx(i)), cols[v]}, pad,
                  ArrayRef<bool>{inBounds[v]}));
    }
    // The stored entries of this unit in K block kb: [lo, hi).
    auto range = [&]() -> std::pair<Value, Value> {
      if (kBlocks == 1)
        return {toIndex(extract(op.getOffsets(), unit)),
                toIndex(extract(op.getOffsets(), add(unit, idx(1))))};
      Value at = add(mul(unit, idx(kBlocks + 1)), kb);
      return {toIndex(extract(plan.blockOffsets, at)),
              toIndex(extract(plan.blockOffsets, add(at, idx(1))))};
    };
    // next[i][v] = iter[i][v] + w[i] * xT[kIdx, cols[v]]
    // `set` selects one of two accumulator sets: consecutive entries of a
    // CSR row or N:M group alternate between them, so each FMA chain waits
    // on every other entry only (the FMA latency, not the loads, bounds a
    // single chain).
    auto fmaRow = [&](Value kIdx, ArrayRef<Value> w,
                      SmallVectorImpl<Value> &next, int64_t set = 0) {
      SmallVector<Value> xv;
      // With a runtime row stride, per-vector reads each recompute
      // kIdx * M + column (LLVM does not fold the 16 v into one base) and
      // the address arithmetic spills: the in-bounds vectors are one wide
      // read split in registers (constant offsets from one base); a masked
      // last vector stays its own read (a wide masked load scalarizes).
      int64_t wide =
          ShapedType::isDynamic(m) ? (inBounds.back() ? vecs : vecs - 1) : 0;
      if (wide > 1) {
        auto wideTy = VectorType::get({wide * lanes}, elt);
        Value row = vector::TransferReadOp::create(b, loc, wideTy, xT,
                                                   ValueRange{kIdx, cols[0]},
                                                   pad, ArrayRef<bool>{true});
        for (int64_t v = 0; v < wide; ++v)
          xv.push_back(vector::ExtractStridedSliceOp::create(
              b, loc, row, ArrayRef<int64_t>{v * lanes},
              ArrayRef<int64_t>{lanes}, ArrayRef<int64_t>{1}));
      }
      // One row of a runtime M: x[m0, k] has a static stride (K) where
      // xT[k, m0] has the runtime M, an extra multiply per stored entry.
      if (lanes == 1 && ShapedType::isDynamic(m))
        xv.push_back(vector::TransferReadOp::create(b, loc, vecTy, x,
                                                    ValueRange{cols[0], kIdx},
                                                    pad, ArrayRef<bool>{true}));
      for (int64_t v = xv.size(); v < vecs; ++v)
        xv.push_back(vector::TransferReadOp::create(
            b, loc, vecTy, xT, ValueRange{kIdx, cols[v]}, pad,
            ArrayRef<bool>{inBounds[v]}));
      int64_t base = set * r * vecs;
      for (int64_t i = 0; i < (int64_t)w.size(); ++i) {
        Value wb = vector::BroadcastOp::create(b, loc, vecTy, weight(w[i]));
        for (int64_t v = 0; v < vecs; ++v) {
          Value &a = next[base + i * vecs + v];
          a = isInt() ? arith::AddIOp::create(
                            b, loc, a, arith::MulIOp::create(b, loc, wb, xv[v]))
                            .getResult()
                      : vector::FMAOp::create(b, loc, wb, xv[v], a).getResult();
        }
      }
    };
    // Sums the second accumulator set into the first.
    auto fold = [&](SmallVector<Value> both) {
      int64_t half = both.size() / 2;
      SmallVector<Value> out;
      for (int64_t i = 0; i < half; ++i)
        out.push_back(
            isInt() ? arith::AddIOp::create(b, loc, both[i], both[half + i])
                          .getResult()
                    : arith::AddFOp::create(b, loc, both[i], both[half + i])
                          .getResult());
      return out;
    };
    SmallVector<Value> acc2(acc);
    acc2.append(r * vecs, zeroVec());
    Value indices = op.getIndices();
    SmallVector<Value> result;
    switch (enc.getFormat()) {
    case SparseFormat::csr: {
      auto [lo, hi] = range();
      // Pairs of entries on the two sets, then the odd one out.
      Value pairsEnd = add(
          lo, mul(arith::DivUIOp::create(
                      b, loc, arith::SubIOp::create(b, loc, hi, lo), idx(2)),
                  idx(2)));
      result =
          fold(loop(lo, pairsEnd, idx(2), acc2, [&](Value j, ValueRange iter) {
            SmallVector<Value> next = llvm::to_vector(iter);
            Value j1 = add(j, idx(1));
            fmaRow(toIndex(extract(indices, j)), {extract(values, j)}, next, 0);
            fmaRow(toIndex(extract(indices, j1)), {extract(values, j1)}, next,
                   1);
            return next;
          }));
      result =
          loop(pairsEnd, hi, idx(1), result, [&](Value j, ValueRange iter) {
            SmallVector<Value> next = llvm::to_vector(iter);
            fmaRow(toIndex(extract(indices, j)), {extract(values, j)}, next);
            return next;
          });
      break;
    }
    case SparseFormat::nm: {
      int64_t keep = enc.getN(), grp = enc.getM();
      int64_t perBlock = kBlock / grp;
      Value g0 = mul(kb, idx(perBlock));
      Value g1 =
          arith::MinSIOp::create(b, loc, add(g0, idx(perBlock)), idx(k / grp));
      result = fold(loop(g0, g1, idx(1), acc2, [&](Value g, ValueRange iter) {
        SmallVector<Value> next = llvm::to_vector(iter);
        Value base = mul(g, idx(grp)), j0 = mul(g, idx(keep));
        for (int64_t t = 0; t < keep; ++t) {
          Value j = add(j0, idx(t));
          Value pos = position(indices, unit, j);
          fmaRow(add(base, pos), {extract(values, {unit, j})}, next, t % 2);
        }
        return next;
      }));
      break;
    }
    case SparseFormat::bsr: {
      int64_t bc = enc.getBlockCols();
      auto [lo, hi] = range();
      result = loop(lo, hi, idx(1), acc, [&](Value j, ValueRange iter) {
        SmallVector<Value> next = llvm::to_vector(iter);
        Value k0 = mul(toIndex(extract(indices, j)), idx(bc));
        for (int64_t cc = 0; cc < bc; ++cc) {
          SmallVector<Value> w;
          for (int64_t i = 0; i < r; ++i)
            w.push_back(extract(values, {j, idx(i), idx(cc)}));
          fmaRow(add(k0, idx(cc)), w, next);
        }
        return next;
      });
      break;
    }
    }
    for (int64_t i = 0; i < r; ++i)
      for (int64_t v = 0; v < vecs; ++v)
        tile = vector::TransferWriteOp::create(
                   b, loc, result[i * vecs + v], tile,
                   ValueRange{add(localRow, idx(i)), cols[v]},
                   ArrayRef<bool>{inBounds[v]})
                   .getResult();
    return tile;
  }

  /// The K blocks of a tile of `vecs` vectors: blocks whose [block,
  /// 16 * vecs] slice of xT fits in L1 (32 KiB). CSR and BSR then need,
  /// per unit, where each K block's entries start: read from the constant
  /// indices at compile time.
  KPlan planKBlocks(int64_t vecs) {
    int64_t grp = enc.getFormat() == SparseFormat::nm    ? enc.getM()
                  : enc.getFormat() == SparseFormat::bsr ? enc.getBlockCols()
                                                         : 1;
    KPlan plan;
    int64_t &kBlock = plan.kBlock, &kBlocks = plan.kBlocks;
    kBlock = std::max<int64_t>(grp, 32768 / (vecs * kLanes * 4) / grp * grp);
    kBlocks = llvm::divideCeil(k, kBlock);
    if (kBlocks <= 1 || enc.getFormat() == SparseFormat::nm) {
      if (kBlocks <= 1)
        kBlock = k;
      return plan;
    }
    DenseIntElementsAttr idxAttr, offAttr;
    if (!matchPattern(op.getIndices(), m_Constant(&idxAttr)) ||
        !matchPattern(op.getOffsets(), m_Constant(&offAttr))) {
      kBlocks = 1;
      kBlock = k;
      return plan;
    }
    SmallVector<int32_t> cols = llvm::to_vector(idxAttr.getValues<int32_t>());
    SmallVector<int32_t> offs = llvm::to_vector(offAttr.getValues<int32_t>());
    int64_t units = n / rowsPerUnit;
    std::vector<int32_t> starts;
    starts.reserve(units * (kBlocks + 1));
    for (int64_t u = 0; u < units; ++u) {
      int32_t j = offs[u];
      for (int64_t kb = 0; kb < kBlocks; ++kb) {
        starts.push_back(j);
        while (j < offs[u + 1] && cols[j] * grp < (kb + 1) * kBlock)
          ++j;
      }
      starts.push_back(offs[u + 1]);
    }
    auto ty = RankedTensorType::get({(int64_t)starts.size()}, b.getI32Type());
    plan.blockOffsets = arith::ConstantOp::create(
        b, loc, DenseElementsAttr::get(ty, ArrayRef(starts)));
    return plan;
  }

  /// The plan for a tile of `vecs` vectors: its own, or the next larger
  /// power of two's (at most MT's).
  const KPlan &planFor(int64_t vecs) {
    auto it = plans.lower_bound(vecs);
    assert(it != plans.end() && "no K-block plan for the tile");
    return it->second;
  }

  OpBuilder &b;
  Location loc;
  SparseLinearOp op;
  Value values, xT, x;
  /// K-block plans by tile vector count.
  std::map<int64_t, KPlan> plans;
  int64_t m, n = 0, k = 0, rowsPerUnit = 1, mt = 1;
  /// Lanes per vector: 16, or fewer for the last tile of a small runtime M.
  int64_t lanes = kLanes;
  SparseEncodingAttr enc;
  Type elt;
  VectorType vecTy;
};

/// The largest divisor of `units` that is at most `units / (4 * threads)`
/// (at least 1): static chunks, about four per thread.
int64_t chunkFor(int64_t units) {
  int64_t threads = std::max<int64_t>(1, std::thread::hardware_concurrency());
  int64_t want = std::max<int64_t>(1, units / (4 * threads));
  for (int64_t d = want; d > 1; --d)
    if (units % d == 0)
      return d;
  return 1;
}

/// Transposes the 16 x 16 block held as 16 row vectors in place: four
/// stages of two-input shuffles, stage d swapping bit d of the row and
/// column indices (16 shuffles per stage instead of 256 element moves).
void transposeInRegisters(OpBuilder &b, Location loc,
                          MutableArrayRef<Value> rows) {
  for (int64_t d : {8, 4, 2, 1})
    for (int64_t i = 0; i < kLanes; ++i) {
      if (i & d)
        continue;
      int64_t j = i + d;
      SmallVector<int64_t> lo, hi;
      for (int64_t c = 0; c < kLanes; ++c) {
        lo.push_back((c & d) == 0 ? c : kLanes + c - d);
        hi.push_back((c & d) == 0 ? c + d : kLanes + c);
      }
      Value ni = vector::ShuffleOp::create(b, loc, rows[i], rows[j], lo);
      Value nj = vector::ShuffleOp::create(b, loc, rows[i], rows[j], hi);
      rows[i] = ni;
      rows[j] = nj;
    }
}

/// Writes rows [b0, b0 + bValid) of the transpose of `in` [A, B] into
/// `tile` [bValid, A], in 16 x 16 register blocks. With `bMasked`, columns
/// from b0 on may pass B (masked reads, zeros). A may be a runtime size:
/// the last partial block then reads clamped rows and masks its stores.
/// With `validRows` (a runtime count below 16), `tile` is the whole
/// transpose and only rows b0 + j, j < validRows, are written (each
/// under an scf.if).
Value transposeRowBlock(OpBuilder &b, Location loc, Value in, Value b0,
                        int64_t bValid, bool bMasked, Value tile,
                        Value validRows = Value()) {
  auto inTy = cast<RankedTensorType>(in.getType());
  int64_t cols = inTy.getDimSize(0);
  Type elt = inTy.getElementType();
  auto vecTy = VectorType::get({kLanes}, elt);
  auto idx = [&](int64_t v) -> Value {
    return arith::ConstantIndexOp::create(b, loc, v);
  };
  Value pad = arith::ConstantOp::create(b, loc, b.getZeroAttr(elt));
  Value zero = arith::ConstantOp::create(
      b, loc, vecTy, DenseElementsAttr::get(vecTy, b.getZeroAttr(elt)));
  bool readInBounds = bValid == kLanes && !bMasked;
  // aValid rows from a0 (static), or, with `lastRow`, 16 rows from a0 of
  // which those past lastRow repeat it and are masked off in the stores.
  auto block = [&](Value a0, int64_t aValid, Value lastRow, Value t) {
    SmallVector<Value> rows;
    for (int64_t i = 0; i < kLanes; ++i) {
      if (!lastRow && i >= aValid) {
        rows.push_back(zero);
        continue;
      }
      Value a = arith::AddIOp::create(b, loc, a0, idx(i));
      if (lastRow)
        a = arith::MinUIOp::create(b, loc, a, lastRow);
      rows.push_back(
          vector::TransferReadOp::create(b, loc, vecTy, in, ValueRange{a, b0},
                                         pad, ArrayRef<bool>{readInBounds}));
    }
    transposeInRegisters(b, loc, rows);
    bool writeInBounds = !lastRow && aValid == kLanes;
    for (int64_t j = 0; j < bValid; ++j) {
      if (!validRows) {
        t = vector::TransferWriteOp::create(b, loc, rows[j], t,
                                            ValueRange{idx(j), a0},
                                            ArrayRef<bool>{writeInBounds})
                .getResult();
        continue;
      }
      Value valid = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult,
                                          idx(j), validRows);
      t = ifThenElse(
          b, loc, valid,
          [&] {
            Value row = arith::AddIOp::create(b, loc, b0, idx(j));
            return vector::TransferWriteOp::create(
                       b, loc, rows[j], t, ValueRange{row, a0},
                       ArrayRef<bool>{writeInBounds})
                .getResult();
          },
          [&] { return t; });
    }
    return t;
  };
  auto fullLoop = [&](Value end) {
    auto loop =
        scf::ForOp::create(b, loc, idx(0), end, idx(kLanes), ValueRange{tile});
    OpBuilder::InsertionGuard g(b);
    b.setInsertionPointToStart(loop.getBody());
    scf::YieldOp::create(b, loc,
                         block(loop.getInductionVar(), kLanes, Value(),
                               loop.getRegionIterArgs()[0]));
    return loop.getResult(0);
  };
  if (ShapedType::isDynamic(cols)) {
    Value a = tensor::DimOp::create(b, loc, in, 0);
    Value fullEnd = arith::MulIOp::create(
        b, loc, arith::DivUIOp::create(b, loc, a, idx(kLanes)), idx(kLanes));
    tile = fullLoop(fullEnd);
    Value partial =
        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, fullEnd, a);
    return ifThenElse(
        b, loc, partial,
        [&] {
          return block(fullEnd, kLanes,
                       arith::SubIOp::create(b, loc, a, idx(1)), tile);
        },
        [&] { return tile; });
  }
  int64_t full = cols / kLanes;
  if (full > 0)
    tile = fullLoop(idx(full * kLanes));
  if (cols % kLanes)
    tile = block(idx(full * kLanes), cols % kLanes, Value(), tile);
  return tile;
}

/// `in` [A, B] transposed to [B, A] in 16 x 16 register blocks, threaded
/// over blocks of 16 output rows (a strided scalar copy costs as much as a
/// 90%-sparse kernel). A or B may be runtime sizes (the rows of a dynamic
/// batch or sequence).
Value buildBlockTranspose(OpBuilder &b, Location loc, Value in) {
  auto inTy = cast<RankedTensorType>(in.getType());
  int64_t rows = inTy.getDimSize(1), cols = inTy.getDimSize(0);
  Type elt = inTy.getElementType();
  auto outTy = RankedTensorType::get({rows, cols}, elt);
  auto idx = [&](int64_t v) -> Value {
    return arith::ConstantIndexOp::create(b, loc, v);
  };
  SmallVector<Value> dynSizes;
  if (ShapedType::isDynamic(rows))
    dynSizes.push_back(tensor::DimOp::create(b, loc, in, 1));
  if (ShapedType::isDynamic(cols))
    dynSizes.push_back(tensor::DimOp::create(b, loc, in, 0));
  Value out = buildEmpty(b, loc, outTy, dynSizes);
  OpFoldResult colSize = ShapedType::isDynamic(cols)
                             ? OpFoldResult(dynSizes.back())
                             : OpFoldResult(b.getIndexAttr(cols));
  SmallVector<OpFoldResult> strides(2, b.getIndexAttr(1));
  auto sizes = [&](OpFoldResult r) {
    return SmallVector<OpFoldResult>{r, colSize};
  };
  auto blockTy = RankedTensorType::get({kLanes, cols}, elt);
  // Full blocks of 16 rows, threaded.
  auto fullBlocks = [&](OpFoldResult count) {
    auto forall = scf::ForallOp::create(b, loc, ArrayRef<OpFoldResult>{count},
                                        ValueRange{out}, std::nullopt);
    OpBuilder::InsertionGuard g(b);
    b.setInsertionPoint(forall.getTerminator());
    Value r0 =
        arith::MulIOp::create(b, loc, forall.getInductionVar(0), idx(kLanes));
    SmallVector<OpFoldResult> offs = {r0, b.getIndexAttr(0)};
    Value shared = forall.getRegionIterArgs()[0];
    Value tile = tensor::ExtractSliceOp::create(
        b, loc, blockTy, shared, offs, sizes(b.getIndexAttr(kLanes)), strides);
    tile = transposeRowBlock(b, loc, in, r0, kLanes, /*bMasked=*/false, tile);
    b.setInsertionPointToEnd(forall.getTerminator().getBody());
    tensor::ParallelInsertSliceOp::create(
        b, loc, tile, shared, offs, sizes(b.getIndexAttr(kLanes)), strides);
    return forall.getResult(0);
  };
  if (ShapedType::isDynamic(rows)) {
    // The last partial block's masked reads pad with zeros; only its
    // valid rows are written, straight into the result.
    Value bDim = dynSizes.front();
    Value full = arith::DivUIOp::create(b, loc, bDim, idx(kLanes));
    out = fullBlocks(full);
    Value r0 = arith::MulIOp::create(b, loc, full, idx(kLanes));
    Value rest = arith::SubIOp::create(b, loc, bDim, r0);
    Value partial =
        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, r0, bDim);
    return ifThenElse(
        b, loc, partial,
        [&] {
          return transposeRowBlock(b, loc, in, r0, kLanes, /*bMasked=*/true,
                                   out, rest);
        },
        [&] { return out; });
  }
  int64_t full = rows / kLanes;
  if (full > 0)
    out = fullBlocks(b.getIndexAttr(full));
  if (int64_t rest = rows % kLanes) {
    SmallVector<OpFoldResult> offs = {b.getIndexAttr(full * kLanes),
                                      b.getIndexAttr(0)};
    Value tile = tensor::ExtractSliceOp::create(
        b, loc, RankedTensorType::get({rest, cols}, elt), out, offs,
        sizes(b.getIndexAttr(rest)), strides);
    tile = transposeRowBlock(b, loc, in, idx(full * kLanes), rest,
                             /*bMasked=*/false, tile);
    out = tensor::InsertSliceOp::create(b, loc, tile, out, offs,
                                        sizes(b.getIndexAttr(rest)), strides);
  }
  return out;
}

/// Whether `inTy` [..., K] has a static K: the leading dims (rows) may be
/// runtime sizes.
bool hasStaticRowShape(RankedTensorType inTy) {
  return inTy.getRank() >= 1 && !ShapedType::isDynamic(inTy.getShape().back());
}

struct LowerSparseLinearCpu : OpRewritePattern<SparseLinearOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(SparseLinearOp op,
                                PatternRewriter &rewriter) const override {
    auto inTy = op.getInput().getType();
    auto outTy = op.getType();
    // Quantized values: LowerQuantSparseLinearCpu.
    if (!op.getValues().getType().getElementType().isF32() ||
        !hasStaticRowShape(inTy) || !op.getValues().getType().hasStaticShape())
      return failure();
    Location loc = op.getLoc();
    Value x = buildCollapseToRows(rewriter, loc, op.getInput());
    Value xT = buildBlockTranspose(rewriter, loc, x);
    Value yT =
        SparseKernelEmitter(rewriter, loc, op, op.getValues(), xT, x).emit();
    Value y = buildBlockTranspose(rewriter, loc, yT);
    y = buildBiasActivation(rewriter, loc, y, op.getBias(), 1,
                            op.getActivation(), op.getClampMin(),
                            op.getClampMax());
    rewriter.replaceOp(op,
                       buildExpandRows(rewriter, loc, y, outTy, op.getInput()));
    return success();
  }
};

/// Whether the i32 dot products of an int8 sparse_linear are exact in f32
/// lanes: every partial sum is an integer bounded by (stored values per
/// row) x max |w| x max |x - z_x| (|w| <= 128 when `values`, the constant
/// i8 values, is empty), exact when that is at most 2^24. Then the
/// kernel runs on f32 FMAs (one instruction per vector instead of vpmulld +
/// vpaddd, twice the throughput) and the result converts back exactly.
static bool int8DotsExactInF32(SparseLinearOp op, ArrayRef<int8_t> values,
                               int64_t zx) {
  int64_t k = op.getWeightShape()[1];
  SparseEncodingAttr enc = op.getEncoding();
  int64_t perRow = k;
  DenseIntElementsAttr offs;
  if (enc.getFormat() == SparseFormat::nm) {
    perRow = k / enc.getM() * enc.getN();
  } else if (op.getOffsets() &&
             matchPattern(op.getOffsets(), m_Constant(&offs))) {
    int64_t c = enc.getFormat() == SparseFormat::bsr ? enc.getBlockCols() : 1;
    SmallVector<int32_t> o = llvm::to_vector(offs.getValues<int32_t>());
    perRow = 0;
    for (size_t i = 0; i + 1 < o.size(); ++i)
      perRow = std::max<int64_t>(perRow, int64_t(o[i + 1] - o[i]) * c);
  }
  int64_t maxW = values.empty() ? 128 : 0;
  for (int8_t w : values)
    maxW = std::max<int64_t>(maxW, std::abs(int64_t(w)));
  int64_t maxX = std::max<int64_t>(127 - zx, zx + 128);
  return perRow * maxW * maxX <= (int64_t(1) << 24);
}

/// Quantized values: i8 per-tensor or per-channel values, i8 per-tensor
/// input, i32 or float result (see the file comment).
struct LowerQuantSparseLinearCpu : OpRewritePattern<SparseLinearOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(SparseLinearOp op,
                                PatternRewriter &rewriter) const override {
    auto inTy = op.getInput().getType();
    auto outTy = op.getType();
    auto valTy = op.getValues().getType();
    auto wq = dyn_cast<quant::QuantizedType>(valTy.getElementType());
    auto xq = dyn_cast<quant::UniformQuantizedType>(inTy.getElementType());
    std::optional<ArrayRef<float>> channelScales = op.getChannelScales();
    if (!((wq && wq.getStorageType().isSignlessInteger(8)) || channelScales) ||
        !xq || !xq.getStorageType().isSignlessInteger(8) ||
        !hasStaticRowShape(inTy) || !valTy.hasStaticShape())
      return failure();
    Type outElt = outTy.getElementType();
    Activation act = op.getActivation();
    bool isI32 = outElt.isInteger(32);
    if (isI32 ? act != Activation::none && act != Activation::relu
              : !isa<FloatType>(outElt))
      return failure();
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    int64_t n = op.getWeightShape()[0], k = op.getWeightShape()[1];
    int64_t m = getRowCount(inTy);
    Type i32 = rewriter.getI32Type(), f32 = rewriter.getF32Type();
    Type i8 = rewriter.getI8Type();
    // The runtime sizes of the result are read from this i8 storage (a
    // tensor.dim of the quantized input would keep its cast alive).
    Value xStorage = quant::StorageCastOp::create(
        rewriter, loc, RankedTensorType::get(inTy.getShape(), i8),
        op.getInput());
    Value x = buildCollapseToRows(rewriter, loc, xStorage);
    Value values = op.getValues();
    if (wq)
      values = quant::StorageCastOp::create(
          rewriter, loc, RankedTensorType::get(valTy.getShape(), i8), values);
    Value valuesStorage = values;
    if (auto sc = values.getDefiningOp<quant::StorageCastOp>())
      valuesStorage = sc.getInput();
    // The constant i8 values as raw bytes (empty when not constant).
    ArrayRef<int8_t> constValues;
    DenseIntElementsAttr valAttr;
    if (matchPattern(valuesStorage, m_Constant(&valAttr)) &&
        !valAttr.isSplat()) {
      ArrayRef<char> raw = valAttr.getRawData();
      constValues =
          ArrayRef(reinterpret_cast<const int8_t *>(raw.data()), raw.size());
    }
    // x - z_x in i32 (or, when exact, f32) lanes, then transposed.
    AffineMap id2 = AffineMap::getMultiDimIdentityMap(2, ctx);
    int64_t zx = xq.getZeroPoint();
    bool f32Lanes = int8DotsExactInF32(op, constValues, zx);
    Type laneTy = f32Lanes ? f32 : i32;
    Value xs = buildGeneric(
        rewriter, loc, RankedTensorType::get({m, k}, laneTy), ValueRange{x},
        buildEmptyLike(rewriter, loc, x, laneTy), {id2, id2},
        {utils::IteratorType::parallel, utils::IteratorType::parallel},
        [&](OpBuilder &b, Location l, ValueRange a) -> Value {
          Value v = arith::ExtSIOp::create(b, l, b.getI32Type(), a[0]);
          v = arith::SubIOp::create(
              b, l, v, arith::ConstantIntOp::create(b, l, b.getI32Type(), zx));
          return f32Lanes ? arith::SIToFPOp::create(b, l, b.getF32Type(), v)
                                .getResult()
                          : v;
        });
    Value xT = buildBlockTranspose(rewriter, loc, xs);
    // f32 lanes over at most two vectors of rows: constant values widened
    // at compile time, so a stored weight is a broadcast load as in the
    // f32 kernel (the per-entry sign-extend and convert bound the kernel
    // when each entry feeds only one or two FMAs). Wider tiles keep the i8
    // values: a quarter of the bytes to stream per tile.
    if (f32Lanes && !ShapedType::isDynamic(m) && m <= 2 * kLanes &&
        !constValues.empty()) {
      SmallVector<float> wide(constValues.begin(), constValues.end());
      auto wideTy = RankedTensorType::get(valTy.getShape(), f32);
      values = arith::ConstantOp::create(
          rewriter, loc, DenseElementsAttr::get(wideTy, ArrayRef(wide)));
    }
    Value yT = SparseKernelEmitter(rewriter, loc, op, values, xT, xs).emit();
    Value acc = buildBlockTranspose(rewriter, loc, yT);
    if (f32Lanes)
      acc = buildGeneric(
          rewriter, loc, RankedTensorType::get({m, n}, i32), ValueRange{acc},
          buildEmptyLike(rewriter, loc, acc, i32), {id2, id2},
          {utils::IteratorType::parallel, utils::IteratorType::parallel},
          [&](OpBuilder &b, Location l, ValueRange a) -> Value {
            return arith::FPToSIOp::create(b, l, b.getI32Type(), a[0]);
          });
    // Epilogue: + bias (i32), then i32 (+relu) or the dequantized float.
    SmallVector<float> scales;
    if (channelScales)
      for (float sw : *channelScales)
        scales.push_back(sw * (float)xq.getScale());
    else if (auto pa = dyn_cast<quant::UniformQuantizedPerAxisType>(wq))
      for (double sw : pa.getScales())
        scales.push_back((float)sw * (float)xq.getScale());
    else
      scales.assign(n, (float)cast<quant::UniformQuantizedType>(wq).getScale() *
                           (float)xq.getScale());
    auto sTy = RankedTensorType::get({n}, f32);
    Value sc = arith::ConstantOp::create(
        rewriter, loc, sTy, DenseElementsAttr::get(sTy, ArrayRef(scales)));
    AffineMap chan = AffineMap::get(2, 0, getAffineDimExpr(1, ctx));
    SmallVector<Value> ins = {acc, sc};
    SmallVector<AffineMap> maps = {id2, chan};
    Value bias = op.getBias();
    if (bias) {
      ins.push_back(bias);
      maps.push_back(chan);
    }
    maps.push_back(id2);
    std::optional<APFloat> lo = op.getClampMin(), hi = op.getClampMax();
    Value y = buildGeneric(
        rewriter, loc, RankedTensorType::get({m, n}, outElt), ins,
        buildEmptyLike(rewriter, loc, acc, outElt), maps,
        {utils::IteratorType::parallel, utils::IteratorType::parallel},
        [&](OpBuilder &b, Location l, ValueRange a) -> Value {
          Value v = a[0];
          if (bias)
            v = arith::AddIOp::create(b, l, v, a[2]);
          if (isI32)
            return act == Activation::relu
                       ? arith::MaxSIOp::create(b, l, v,
                                                arith::ConstantIntOp::create(
                                                    b, l, b.getI32Type(), 0))
                             .getResult()
                       : v;
          Value f = arith::SIToFPOp::create(b, l, b.getF32Type(), v);
          f = arith::MulFOp::create(b, l, f, a[1]);
          f = buildActivation(b, l, f, act, lo, hi);
          if (outElt.getIntOrFloatBitWidth() < 32)
            return arith::TruncFOp::create(b, l, outElt, f).getResult();
          if (!outElt.isF32())
            return arith::ExtFOp::create(b, l, outElt, f).getResult();
          return f;
        });
    rewriter.replaceOp(op, buildExpandRows(rewriter, loc, y, outTy, xStorage));
    return success();
  }
};

} // namespace

void mlir::effc::populateLowerCpuSparsePatterns(RewritePatternSet &patterns) {
  patterns.add<LowerSparseLinearCpu, LowerQuantSparseLinearCpu>(
      patterns.getContext());
}

//===- CpuGemm.cpp - the f32 GEMM emitter -----------------------*- C++ -*-===//
//
// A BLIS-style GEMM (every bufferized f32 `linalg.matmul`, and weight-only
// quantized linears on many rows, whose B panels are widened as packed):
//
//   scf.parallel t in [0, T)                 // threads own panel ranges
//     pack B panels [K, NR] of this range    // (large M only)
//     for mc in M step MC                    // A block stays in L2
//       for kc in K step KC                  // B micro-panel stays in L1
//         for jp in panels(t)
//           for i0 in mc block step MR
//             MR x NR register tile: acc[r][v] += bcast(A[i, k]) * B[k, v]
//
// The register tile holds MR * NR / VL vector accumulators, loaded from and
// stored back to C (the matmul accumulates into its init), with masks on
// the N edge. M remainders get a second, shorter tile.
//
//===----------------------------------------------------------------------===//

#include "CpuGemm.h"
#include "CpuQuantKernels.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

#include <algorithm>

using namespace mlir;
using namespace mlir::effc;

namespace {

class GemmEmitter {
public:
  GemmEmitter(OpBuilder &b, Location loc, const GemmPlan &p, Value a,
              Value bMat, Value c, const QuantizedB *quantB)
      : b(b), loc(loc), lb(b, loc), p(p), a(a), bMat(bMat), c(c),
        quantB(quantB) {
    f32 = b.getF32Type();
    vecTy = VectorType::get({p.vl}, f32);
    maskTy = VectorType::get({p.vl}, b.getI1Type());
  }

  void emit() {
    if (!ShapedType::isDynamic(p.m)) {
      pack = p.pack;
      emitWithPacking(lb.idx(p.m));
      return;
    }
    // A runtime M (a server's batch x sequence): the same kernels, with the
    // packing decision planF32Gemm makes for a static M taken at run time
    // (a quantized B is always packed: that is where it is widened).
    Value m = memref::DimOp::create(b, loc, a, 0);
    if (quantB || !p.pack) {
      pack = quantB != nullptr;
      emitWithPacking(m);
      return;
    }
    Value big = arith::CmpIOp::create(
        b, loc, arith::CmpIPredicate::sge, m,
        lb.idx(planF32Gemm(1, p.n, p.k, p.vl, p.threads).packMinRows()));
    scf::IfOp::create(
        b, loc, big,
        [&](OpBuilder &tb, Location l) {
          OpBuilder::InsertionGuard g(b);
          b.setInsertionPoint(scf::YieldOp::create(tb, l));
          pack = true;
          emitWithPacking(m);
        },
        [&](OpBuilder &eb, Location l) {
          OpBuilder::InsertionGuard g(b);
          b.setInsertionPoint(scf::YieldOp::create(eb, l));
          pack = false;
          emitWithPacking(m);
        });
  }

private:
  /// The GEMM over `m` rows (a constant or a runtime value) with packing
  /// on or off (`pack`).
  void emitWithPacking(Value m) {
    int64_t numPanels = llvm::divideCeil(p.n, p.nr);
    int64_t chunks = std::max<int64_t>(1, std::min(p.threads, numPanels));
    Value packed;
    if (pack) {
      auto packTy = MemRefType::get({numPanels, p.k, p.nr}, f32);
      packed = memref::AllocOp::create(b, loc, packTy, b.getI64IntegerAttr(64));
    }
    auto body = [&](Value t) {
      // Panels [p0, p1) belong to chunk t.
      Value np = lb.idx(numPanels), ch = lb.idx(chunks);
      Value p0 = lb.div(lb.mul(t, np), ch);
      Value p1 = lb.div(lb.mul(lb.add(t, lb.idx(1)), np), ch);
      if (pack)
        emitPack(packed, p0, p1);
      lb.rowTiles(p.m, m, p.mr, [&](int64_t rows, Value begin, Value end) {
        emitBlocks(packed, p0, p1, rows, begin, end);
      });
    };
    if (chunks == 1) {
      // One chunk (a single thread, or a GEMM already inside a parallel
      // loop): no parallel region.
      body(lb.idx(0));
    } else {
      auto par = scf::ParallelOp::create(b, loc, {lb.idx(0)}, {lb.idx(chunks)},
                                         {lb.idx(1)});
      OpBuilder::InsertionGuard g(b);
      b.setInsertionPointToStart(par.getBody());
      body(par.getInductionVars()[0]);
    }
    if (pack && p.freeScratch)
      memref::DeallocOp::create(b, loc, packed);
  }

  /// Lanes of vector `v` of the panel starting at column `n0` that lie
  /// inside N.
  Value laneMask(Value n0, int64_t v) {
    Value col = lb.add(n0, lb.idx(v * p.vl));
    Value cnt =
        lb.max(lb.idx(0), lb.min(lb.idx(p.vl), lb.sub(lb.idx(p.n), col)));
    return vector::CreateMaskOp::create(b, loc, maskTy, ValueRange{cnt});
  }

  Value zeroVec() {
    return arith::ConstantOp::create(b, loc, vecTy,
                                     DenseElementsAttr::get(vecTy, 0.0f));
  }

  /// packed[jp, k, :] = B[k, jp * NR : jp * NR + NR], zero beyond N.
  void emitPack(Value packed, Value p0, Value p1) {
    if (quantB)
      return emitQuantizedPack(packed, p0, p1);
    lb.forLoop(p0, p1, lb.idx(1), [&](Value jp) {
      Value n0 = lb.mul(jp, lb.idx(p.nr));
      SmallVector<Value> masks;
      for (int64_t v = 0; v < p.nr / p.vl; ++v)
        masks.push_back(laneMask(n0, v));
      lb.forLoop(lb.idx(0), lb.idx(p.k), lb.idx(1), [&](Value k) {
        for (int64_t v = 0; v < p.nr / p.vl; ++v) {
          Value col = lb.add(n0, lb.idx(v * p.vl));
          Value vals = vector::MaskedLoadOp::create(
              b, loc, vecTy, bMat, ValueRange{k, col}, masks[v], zeroVec());
          vector::StoreOp::create(b, loc, vals, packed,
                                  ValueRange{jp, k, lb.idx(v * p.vl)});
        }
      });
    });
  }

  /// The same panels widened from int8 / int4 codes: each code is read
  /// once per call, converted and scaled in registers. The codes and
  /// scales are padded to whole panels, so no load needs a mask.
  void emitQuantizedPack(Value packed, Value p0, Value p1) {
    Type i8 = b.getI8Type(), i32 = b.getI32Type();
    auto bytesTy = VectorType::get({p.vl}, i8);
    auto intTy = VectorType::get({p.vl}, i32);
    auto toFloat = [&](Value ints, Value scale) {
      Value f = arith::SIToFPOp::create(b, loc, vecTy, ints);
      return arith::MulFOp::create(b, loc, f, scale).getResult();
    };
    auto splat = [&](int32_t v) {
      return arith::ConstantOp::create(b, loc, intTy,
                                       DenseElementsAttr::get(intTy, v));
    };
    int64_t gs = quantB->groupSize;
    // int4: two K rows per byte row, so groups hold whole byte rows.
    int64_t step = quantB->bits == 4 ? 2 : 1;
    lb.forLoop(p0, p1, lb.idx(1), [&](Value jp) {
      Value n0 = lb.mul(jp, lb.idx(p.nr));
      lb.forLoop(lb.idx(0), lb.idx(p.k), lb.idx(step), [&](Value k) {
        Value g = lb.div(k, lb.idx(gs));
        for (int64_t v = 0; v < p.nr / p.vl; ++v) {
          Value col = lb.add(n0, lb.idx(v * p.vl));
          Value scale = vector::LoadOp::create(b, loc, vecTy, quantB->scales,
                                               ValueRange{g, col});
          Value lane = lb.idx(v * p.vl);
          if (quantB->bits == 8) {
            Value codes = vector::LoadOp::create(b, loc, bytesTy, quantB->codes,
                                                 ValueRange{k, col});
            Value ints = arith::ExtSIOp::create(b, loc, intTy, codes);
            vector::StoreOp::create(b, loc, toFloat(ints, scale), packed,
                                    ValueRange{jp, k, lane});
            continue;
          }
          // Widened to i32 first: x86 has no 8-bit vector shifts.
          Value bytes =
              vector::LoadOp::create(b, loc, bytesTy, quantB->codes,
                                     ValueRange{lb.div(k, lb.idx(2)), col});
          Value ints = arith::ExtSIOp::create(b, loc, intTy, bytes);
          // Low nibble (row k) and high nibble (row k + 1), sign-extended.
          Value lo = arith::ShRSIOp::create(
              b, loc, arith::ShLIOp::create(b, loc, ints, splat(28)),
              splat(28));
          Value hi = arith::ShRSIOp::create(b, loc, ints, splat(4));
          vector::StoreOp::create(b, loc, toFloat(lo, scale), packed,
                                  ValueRange{jp, k, lane});
          vector::StoreOp::create(b, loc, toFloat(hi, scale), packed,
                                  ValueRange{jp, lb.add(k, lb.idx(1)), lane});
        }
      });
    });
  }

  /// Rows [rowBegin, rowEnd) in register tiles of `rows` rows.
  void emitBlocks(Value packed, Value p0, Value p1, int64_t rows,
                  Value rowBegin, Value rowEnd) {
    int64_t mc = std::max(p.mc / rows * rows, rows);
    // A tiles are packed k-major ([tile][k][row]) so the register tile's
    // broadcasts read consecutive addresses instead of `rows` rows that are
    // a multiple of 4 KiB apart (and fight over the same L1 sets).
    Value packedA;
    if (pack)
      packedA = memref::AllocOp::create(
          b, loc, MemRefType::get({mc / rows, p.kc, rows}, f32),
          b.getI64IntegerAttr(64));
    lb.forLoop(rowBegin, rowEnd, lb.idx(mc), [&](Value mc0) {
      Value mcEnd = lb.min(lb.add(mc0, lb.idx(mc)), rowEnd);
      lb.forLoop(lb.idx(0), lb.idx(p.k), lb.idx(p.kc), [&](Value kc0) {
        Value kcEnd = lb.min(lb.add(kc0, lb.idx(p.kc)), lb.idx(p.k));
        if (pack)
          lb.forLoop(mc0, mcEnd, lb.idx(rows), [&](Value i0) {
            Value tile = lb.div(lb.sub(i0, mc0), lb.idx(rows));
            lb.forLoop(kc0, kcEnd, lb.idx(1), [&](Value k) {
              Value kk = lb.sub(k, kc0);
              for (int64_t r = 0; r < rows; ++r) {
                Value v = memref::LoadOp::create(
                    b, loc, a, ValueRange{lb.add(i0, lb.idx(r)), k});
                memref::StoreOp::create(b, loc, v, packedA,
                                        ValueRange{tile, kk, lb.idx(r)});
              }
            });
          });
        lb.forLoop(p0, p1, lb.idx(1), [&](Value jp) {
          Value n0 = lb.mul(jp, lb.idx(p.nr));
          SmallVector<Value> masks;
          for (int64_t v = 0; v < p.nr / p.vl; ++v)
            masks.push_back(laneMask(n0, v));
          lb.forLoop(mc0, mcEnd, lb.idx(rows), [&](Value i0) {
            Value tile = lb.div(lb.sub(i0, mc0), lb.idx(rows));
            emitTile(packed, packedA, tile, rows, i0, jp, n0, kc0, kcEnd,
                     masks);
          });
        });
      });
    });
    if (pack && p.freeScratch)
      memref::DeallocOp::create(b, loc, packedA);
  }

  void emitTile(Value packed, Value packedA, Value tile, int64_t rows, Value i0,
                Value jp, Value n0, Value k0, Value k1, ArrayRef<Value> masks) {
    int64_t nv = p.nr / p.vl;
    SmallVector<Value> rowIdx, colIdx;
    for (int64_t r = 0; r < rows; ++r)
      rowIdx.push_back(lb.add(i0, lb.idx(r)));
    for (int64_t v = 0; v < nv; ++v)
      colIdx.push_back(lb.add(n0, lb.idx(v * p.vl)));
    auto loadC = [&](OpBuilder &lb, Location l) {
      SmallVector<Value> vals;
      Value zero = arith::ConstantOp::create(
          lb, l, vecTy, DenseElementsAttr::get(vecTy, 0.0f));
      for (int64_t r = 0; r < rows; ++r)
        for (int64_t v = 0; v < nv; ++v)
          vals.push_back(vector::MaskedLoadOp::create(
              lb, l, vecTy, c, ValueRange{rowIdx[r], colIdx[v]}, masks[v],
              zero));
      return vals;
    };
    SmallVector<Value> acc;
    if (p.zeroInit) {
      // The matmul's zero fill was dropped: the first K block starts from
      // zero accumulators, later ones continue from C.
      Value first = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, k0,
                                          lb.idx(0));
      auto ifOp = scf::IfOp::create(
          b, loc, first,
          [&](OpBuilder &tb, Location l) {
            Value zero = arith::ConstantOp::create(
                tb, l, vecTy, DenseElementsAttr::get(vecTy, 0.0f));
            scf::YieldOp::create(tb, l, SmallVector<Value>(rows * nv, zero));
          },
          [&](OpBuilder &eb, Location l) {
            scf::YieldOp::create(eb, l, loadC(eb, l));
          });
      acc.assign(ifOp.getResults().begin(), ifOp.getResults().end());
    } else {
      acc = loadC(b, loc);
    }
    auto loop = scf::ForOp::create(
        b, loc, k0, k1, lb.idx(1), acc,
        [&](OpBuilder &nb, Location nl, Value k, ValueRange iter) {
          SmallVector<Value> bv;
          for (int64_t v = 0; v < nv; ++v) {
            if (pack)
              bv.push_back(vector::LoadOp::create(
                  nb, nl, vecTy, packed,
                  ValueRange{
                      jp, k,
                      arith::ConstantIndexOp::create(nb, nl, v * p.vl)}));
            else
              bv.push_back(vector::MaskedLoadOp::create(
                  nb, nl, vecTy, bMat, ValueRange{k, colIdx[v]}, masks[v],
                  zeroVec()));
          }
          SmallVector<Value> next;
          for (int64_t r = 0; r < rows; ++r) {
            Value av =
                pack
                    ? memref::LoadOp::create(
                          nb, nl, packedA,
                          ValueRange{tile, arith::SubIOp::create(nb, nl, k, k0),
                                     arith::ConstantIndexOp::create(nb, nl, r)})
                    : memref::LoadOp::create(nb, nl, a,
                                             ValueRange{rowIdx[r], k});
            Value ab = vector::BroadcastOp::create(nb, nl, vecTy, av);
            for (int64_t v = 0; v < nv; ++v)
              next.push_back(
                  vector::FMAOp::create(nb, nl, ab, bv[v], iter[r * nv + v]));
          }
          scf::YieldOp::create(nb, nl, next);
        });
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t v = 0; v < nv; ++v)
        vector::MaskedStoreOp::create(b, loc, c,
                                      ValueRange{rowIdx[r], colIdx[v]},
                                      masks[v], loop.getResult(r * nv + v));
  }

  OpBuilder &b;
  Location loc;
  cpuquant::LoopBuilder lb;
  const GemmPlan &p;
  Value a, bMat, c;
  const QuantizedB *quantB;
  bool pack = false; // B (and A) panels packed in this emission
  Type f32;
  VectorType vecTy, maskTy;
};

} // namespace

GemmPlan mlir::effc::planF32Gemm(int64_t m, int64_t n, int64_t k, int64_t vl,
                                 int64_t threads) {
  GemmPlan plan;
  plan.m = m;
  plan.k = k;
  plan.n = n;
  plan.vl = vl;
  plan.nr = 2 * vl;
  // 8 x 2 zmm accumulators (AVX-512) or 6 x 2 ymm (AVX2) leave room for
  // the B vectors and the broadcast.
  plan.mr = vl == 16 ? 8 : 6;
  plan.kc = 256;
  plan.mc = 32 * plan.mr;
  plan.threads = threads;
  // Packing costs one pass over A and B; it pays once B is reused by
  // enough rows of A.
  // (A runtime M keeps `pack` on: the kernel decides when it runs.)
  plan.pack = ShapedType::isDynamic(m) || plan.m >= plan.packMinRows();
  plan.zeroInit = false;
  return plan;
}

void mlir::effc::emitF32Gemm(OpBuilder &b, Location loc, const GemmPlan &plan,
                             Value a, Value bMat, Value c,
                             const QuantizedB *quantB) {
  GemmEmitter(b, loc, plan, a, bMat, c, quantB).emit();
}

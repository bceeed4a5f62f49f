//===- LowerCpuMatmul.cpp - f32 matmul kernels for CPUs ---------*- C++ -*-===//
//
// Generates a BLIS-style GEMM for every bufferized f32 `linalg.matmul`:
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

#include "effc/Conversion/CPU/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include <algorithm>
#include <thread>

namespace mlir {
namespace effc {
#define GEN_PASS_DEF_LOWERCPUMATMULPASS
#include "effc/Conversion/CPU/Passes.h.inc"
} // namespace effc
} // namespace mlir

using namespace mlir;
using namespace mlir::effc;

namespace {

struct GemmPlan {
  int64_t m, n, k;
  int64_t vl;      // f32 lanes per vector
  int64_t nr;      // columns per panel (a multiple of vl)
  int64_t mr;      // rows per register tile
  int64_t kc;      // K block
  int64_t mc;      // M block (a multiple of mr)
  int64_t threads; // parallel chunks of panels
  bool pack;       // pack B panels into a contiguous buffer
  bool zeroInit;   // C starts as zeros: the first K block skips loading it
};

class GemmEmitter {
public:
  GemmEmitter(OpBuilder &b, Location loc, const GemmPlan &p, Value a,
              Value bMat, Value c)
      : b(b), loc(loc), p(p), a(a), bMat(bMat), c(c) {
    f32 = b.getF32Type();
    vecTy = VectorType::get({p.vl}, f32);
    maskTy = VectorType::get({p.vl}, b.getI1Type());
  }

  void emit() {
    int64_t numPanels = llvm::divideCeil(p.n, p.nr);
    int64_t chunks = std::max<int64_t>(1, std::min(p.threads, numPanels));
    Value packed;
    if (p.pack) {
      auto packTy = MemRefType::get({numPanels, p.k, p.nr}, f32);
      packed = memref::AllocOp::create(b, loc, packTy, b.getI64IntegerAttr(64));
    }
    auto body = [&](Value t) {
      // Panels [p0, p1) belong to chunk t.
      Value np = idx(numPanels), ch = idx(chunks);
      Value p0 = div(mul(t, np), ch);
      Value p1 = div(mul(add(t, idx(1)), np), ch);
      if (p.pack)
        emitPack(packed, p0, p1);
      int64_t mFull = p.m / p.mr * p.mr;
      if (mFull > 0)
        emitBlocks(packed, p0, p1, /*rows=*/p.mr, 0, mFull);
      if (mFull < p.m)
        emitBlocks(packed, p0, p1, /*rows=*/p.m - mFull, mFull, p.m);
    };
    if (chunks == 1) {
      // One chunk (a single thread, or a GEMM already inside a parallel
      // loop): no parallel region.
      body(idx(0));
    } else {
      auto par =
          scf::ParallelOp::create(b, loc, {idx(0)}, {idx(chunks)}, {idx(1)});
      OpBuilder::InsertionGuard g(b);
      b.setInsertionPointToStart(par.getBody());
      body(par.getInductionVars()[0]);
    }
    if (p.pack)
      memref::DeallocOp::create(b, loc, packed);
  }

private:
  Value idx(int64_t v) { return arith::ConstantIndexOp::create(b, loc, v); }
  Value add(Value x, Value y) { return arith::AddIOp::create(b, loc, x, y); }
  Value sub(Value x, Value y) { return arith::SubIOp::create(b, loc, x, y); }
  Value mul(Value x, Value y) { return arith::MulIOp::create(b, loc, x, y); }
  Value div(Value x, Value y) { return arith::DivUIOp::create(b, loc, x, y); }
  Value min(Value x, Value y) { return arith::MinSIOp::create(b, loc, x, y); }
  Value max(Value x, Value y) { return arith::MaxSIOp::create(b, loc, x, y); }

  /// Lanes of vector `v` of the panel starting at column `n0` that lie
  /// inside N.
  Value laneMask(Value n0, int64_t v) {
    Value col = add(n0, idx(v * p.vl));
    Value cnt = max(idx(0), min(idx(p.vl), sub(idx(p.n), col)));
    return vector::CreateMaskOp::create(b, loc, maskTy, ValueRange{cnt});
  }

  Value zeroVec() {
    return arith::ConstantOp::create(b, loc, vecTy,
                                     DenseElementsAttr::get(vecTy, 0.0f));
  }

  template <typename Fn> void forLoop(Value lb, Value ub, Value step, Fn body) {
    auto loop = scf::ForOp::create(b, loc, lb, ub, step);
    OpBuilder::InsertionGuard g(b);
    b.setInsertionPointToStart(loop.getBody());
    body(loop.getInductionVar());
  }

  /// packed[jp, k, :] = B[k, jp * NR : jp * NR + NR], zero beyond N.
  void emitPack(Value packed, Value p0, Value p1) {
    forLoop(p0, p1, idx(1), [&](Value jp) {
      Value n0 = mul(jp, idx(p.nr));
      SmallVector<Value> masks;
      for (int64_t v = 0; v < p.nr / p.vl; ++v)
        masks.push_back(laneMask(n0, v));
      forLoop(idx(0), idx(p.k), idx(1), [&](Value k) {
        for (int64_t v = 0; v < p.nr / p.vl; ++v) {
          Value col = add(n0, idx(v * p.vl));
          Value vals = vector::MaskedLoadOp::create(
              b, loc, vecTy, bMat, ValueRange{k, col}, masks[v], zeroVec());
          vector::StoreOp::create(b, loc, vals, packed,
                                  ValueRange{jp, k, idx(v * p.vl)});
        }
      });
    });
  }

  /// Rows [rowBegin, rowEnd) in register tiles of `rows` rows.
  void emitBlocks(Value packed, Value p0, Value p1, int64_t rows,
                  int64_t rowBegin, int64_t rowEnd) {
    int64_t mc = std::max(p.mc / rows * rows, rows);
    // A tiles are packed k-major ([tile][k][row]) so the register tile's
    // broadcasts read consecutive addresses instead of `rows` rows that are
    // a multiple of 4 KiB apart (and fight over the same L1 sets).
    Value packedA;
    if (p.pack)
      packedA = memref::AllocOp::create(
          b, loc, MemRefType::get({mc / rows, p.kc, rows}, f32),
          b.getI64IntegerAttr(64));
    forLoop(idx(rowBegin), idx(rowEnd), idx(mc), [&](Value mc0) {
      Value mcEnd = min(add(mc0, idx(mc)), idx(rowEnd));
      forLoop(idx(0), idx(p.k), idx(p.kc), [&](Value kc0) {
        Value kcEnd = min(add(kc0, idx(p.kc)), idx(p.k));
        if (p.pack)
          forLoop(mc0, mcEnd, idx(rows), [&](Value i0) {
            Value tile = div(sub(i0, mc0), idx(rows));
            forLoop(kc0, kcEnd, idx(1), [&](Value k) {
              Value kk = sub(k, kc0);
              for (int64_t r = 0; r < rows; ++r) {
                Value v = memref::LoadOp::create(
                    b, loc, a, ValueRange{add(i0, idx(r)), k});
                memref::StoreOp::create(b, loc, v, packedA,
                                        ValueRange{tile, kk, idx(r)});
              }
            });
          });
        forLoop(p0, p1, idx(1), [&](Value jp) {
          Value n0 = mul(jp, idx(p.nr));
          SmallVector<Value> masks;
          for (int64_t v = 0; v < p.nr / p.vl; ++v)
            masks.push_back(laneMask(n0, v));
          forLoop(mc0, mcEnd, idx(rows), [&](Value i0) {
            Value tile = div(sub(i0, mc0), idx(rows));
            emitTile(packed, packedA, tile, rows, i0, jp, n0, kc0, kcEnd,
                     masks);
          });
        });
      });
    });
    if (p.pack)
      memref::DeallocOp::create(b, loc, packedA);
  }

  void emitTile(Value packed, Value packedA, Value tile, int64_t rows, Value i0,
                Value jp, Value n0, Value k0, Value k1, ArrayRef<Value> masks) {
    int64_t nv = p.nr / p.vl;
    SmallVector<Value> rowIdx, colIdx;
    for (int64_t r = 0; r < rows; ++r)
      rowIdx.push_back(add(i0, idx(r)));
    for (int64_t v = 0; v < nv; ++v)
      colIdx.push_back(add(n0, idx(v * p.vl)));
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
      Value first =
          arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, k0, idx(0));
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
        b, loc, k0, k1, idx(1), acc,
        [&](OpBuilder &nb, Location nl, Value k, ValueRange iter) {
          SmallVector<Value> bv;
          for (int64_t v = 0; v < nv; ++v) {
            if (p.pack)
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
                p.pack
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
  const GemmPlan &p;
  Value a, bMat, c;
  Type f32;
  VectorType vecTy, maskTy;
};

/// A memref the kernel can read with vector loads along its last dim.
bool isVectorizable(Value v) {
  auto ty = dyn_cast<MemRefType>(v.getType());
  return ty && ty.hasStaticShape() && ty.getElementType().isF32() &&
         ty.isLastDimUnitStride();
}

struct LowerCpuMatmulPass
    : effc::impl::LowerCpuMatmulPassBase<LowerCpuMatmulPass> {
  using Base::Base;

  /// C[M, N] += A[M, K] x B[K, N] with the kernel shape for this target.
  void emitGemm(OpBuilder &b, Location loc, Value a, Value bMat, Value c,
                int64_t threads, bool zeroInit) {
    auto aTy = cast<MemRefType>(a.getType());
    auto bTy = cast<MemRefType>(bMat.getType());
    GemmPlan plan;
    plan.m = aTy.getDimSize(0);
    plan.k = aTy.getDimSize(1);
    plan.n = bTy.getDimSize(1);
    plan.vl = vectorWidth;
    plan.nr = 2 * vectorWidth;
    // 8 x 2 zmm accumulators (AVX-512) or 6 x 2 ymm (AVX2) leave room for
    // the B vectors and the broadcast.
    plan.mr = vectorWidth == 16 ? 8 : 6;
    plan.kc = 256;
    plan.mc = 32 * plan.mr;
    plan.threads = threads;
    // Packing costs one pass over A and B; it pays once B is reused by
    // enough rows of A.
    plan.pack = plan.m >= 4 * plan.mr;
    // A GEMM inside a parallel loop (e.g. a flash-attention tile) runs on
    // one thread; its operands are small enough to stay in cache unpacked.
    if (b.getInsertionBlock()
            ->getParentOp()
            ->getParentOfType<scf::ParallelOp>() ||
        b.getInsertionBlock()
            ->getParentOp()
            ->getParentOfType<scf::ForallOp>() ||
        isa<scf::ParallelOp, scf::ForallOp>(
            b.getInsertionBlock()->getParentOp())) {
      plan.threads = 1;
      plan.pack = false;
    }
    plan.zeroInit = zeroInit;
    GemmEmitter(b, loc, plan, a, bMat, c).emit();
  }

  /// Finds the `linalg.fill` of zeros that initializes `c` right before
  /// `op` (only allocations and pure ops in between) and erases it: the
  /// kernel then starts from zero accumulators instead of reading C.
  static bool takeZeroFill(Operation *op, Value c) {
    for (Operation *prev = op->getPrevNode(); prev;
         prev = prev->getPrevNode()) {
      if (auto fill = dyn_cast<linalg::FillOp>(prev)) {
        if (fill.getOutputs()[0] != c ||
            !matchPattern(fill.getInputs()[0], m_AnyZeroFloat()))
          return false;
        fill.erase();
        return true;
      }
      if (!isa<memref::AllocOp, memref::AllocaOp>(prev) && !isPure(prev))
        return false;
    }
    return false;
  }

  void runOnOperation() override {
    if (vectorWidth != 4 && vectorWidth != 8 && vectorWidth != 16) {
      getOperation().emitError("vector-width must be 4, 8 or 16");
      return signalPassFailure();
    }
    int64_t threads = numThreads > 0
                          ? (int64_t)numThreads
                          : std::max(1u, std::thread::hardware_concurrency());
    SmallVector<linalg::MatmulOp> matmuls;
    getOperation().walk([&](linalg::MatmulOp op) {
      if (op.hasPureBufferSemantics() && !op.hasUserDefinedMaps() &&
          llvm::all_of(op->getOperands(), isVectorizable))
        matmuls.push_back(op);
    });
    for (linalg::MatmulOp op : matmuls) {
      bool zeroInit = takeZeroFill(op, op.getOutputs()[0]);
      OpBuilder b(op);
      emitGemm(b, op.getLoc(), op.getInputs()[0], op.getInputs()[1],
               op.getOutputs()[0], threads, zeroInit);
      op.erase();
    }

    // Batched matmuls: one GEMM per batch on rank-reduced views.
    SmallVector<linalg::BatchMatmulOp> batched;
    getOperation().walk([&](linalg::BatchMatmulOp op) {
      if (op.hasPureBufferSemantics() && !op.hasUserDefinedMaps() &&
          llvm::all_of(op->getOperands(), isVectorizable))
        batched.push_back(op);
    });
    for (linalg::BatchMatmulOp op : batched) {
      OpBuilder b(op);
      Location loc = op.getLoc();
      int64_t batch =
          cast<MemRefType>(op.getInputs()[0].getType()).getDimSize(0);
      Value c0 = arith::ConstantIndexOp::create(b, loc, 0);
      Value cb = arith::ConstantIndexOp::create(b, loc, batch);
      Value c1 = arith::ConstantIndexOp::create(b, loc, 1);
      auto loop = scf::ForOp::create(b, loc, c0, cb, c1);
      b.setInsertionPointToStart(loop.getBody());
      Value iv = loop.getInductionVar();
      auto slice = [&](Value v) -> Value {
        auto ty = cast<MemRefType>(v.getType());
        SmallVector<OpFoldResult> offsets = {iv, b.getIndexAttr(0),
                                             b.getIndexAttr(0)};
        SmallVector<OpFoldResult> sizes = {b.getIndexAttr(1),
                                           b.getIndexAttr(ty.getDimSize(1)),
                                           b.getIndexAttr(ty.getDimSize(2))};
        SmallVector<OpFoldResult> strides(3, b.getIndexAttr(1));
        auto viewTy = memref::SubViewOp::inferRankReducedResultType(
            {ty.getDimSize(1), ty.getDimSize(2)}, ty, offsets, sizes, strides);
        return memref::SubViewOp::create(b, loc, cast<MemRefType>(viewTy), v,
                                         offsets, sizes, strides);
      };
      emitGemm(b, loc, slice(op.getInputs()[0]), slice(op.getInputs()[1]),
               slice(op.getOutputs()[0]), threads, /*zeroInit=*/false);
      op.erase();
    }
  }
};

} // namespace

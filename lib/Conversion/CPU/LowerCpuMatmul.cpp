//===- LowerCpuMatmul.cpp - f32 matmul kernels for CPUs ---------*- C++ -*-===//
//
// Every bufferized f32 `linalg.matmul` / `linalg.batch_matmul` whose
// operands take vector loads becomes the BLIS-style GEMM of CpuGemm.cpp
// (B panels packed per thread, A blocks in L2, MR x NR register tiles).
//
//===----------------------------------------------------------------------===//

#include "CpuGemm.h"

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

/// A memref the kernel can read with vector loads along its last dim;
/// with `dynamicRows`, its first dim (M of A and C) may be dynamic.
bool isVectorizable(Value v, bool dynamicRows = false) {
  auto ty = dyn_cast<MemRefType>(v.getType());
  if (!ty || !ty.getElementType().isF32() || !ty.isLastDimUnitStride())
    return false;
  ArrayRef<int64_t> shape = ty.getShape();
  if (dynamicRows && !shape.empty())
    shape = shape.drop_front();
  return llvm::none_of(shape, ShapedType::isDynamic);
}

struct LowerCpuMatmulPass
    : effc::impl::LowerCpuMatmulPassBase<LowerCpuMatmulPass> {
  using Base::Base;

  /// C[M, N] += A[M, K] x B[K, N] with the kernel shape for this target.
  void emitGemm(OpBuilder &b, Location loc, Value a, Value bMat, Value c,
                int64_t threads, bool zeroInit) {
    auto aTy = cast<MemRefType>(a.getType());
    auto bTy = cast<MemRefType>(bMat.getType());
    GemmPlan plan = planF32Gemm(aTy.getDimSize(0), bTy.getDimSize(1),
                                aTy.getDimSize(1), vectorWidth, threads);
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
    emitF32Gemm(b, loc, plan, a, bMat, c);
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
      // M may be a runtime size (dynamic batch / sequence); K and N are
      // the weight's.
      if (op.hasPureBufferSemantics() && !op.hasUserDefinedMaps() &&
          isVectorizable(op.getInputs()[0], /*dynamicRows=*/true) &&
          isVectorizable(op.getInputs()[1]) &&
          isVectorizable(op.getOutputs()[0], /*dynamicRows=*/true))
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
          llvm::all_of(op->getOperands(),
                       [](Value v) { return isVectorizable(v); }))
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

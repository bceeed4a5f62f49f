//===- LowerCpuCopies.cpp - strided copies as vector rows -------*- C++ -*-===//
//
// memref.copy into or out of a strided subview (padding, slice insertion)
// as threaded loops of vector row copies instead of the runtime's generic
// element-by-element memrefCopy.
//
//===----------------------------------------------------------------------===//

#include "effc/Conversion/CPU/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir {
namespace effc {
#define GEN_PASS_DEF_LOWERCPUCOPIESPASS
#include "effc/Conversion/CPU/Passes.h.inc"
} // namespace effc
} // namespace mlir

using namespace mlir;
using namespace mlir::effc;

namespace {

/// Rows longer than this stay one memrefCopy (a vector that long would
/// unroll into too much code).
constexpr int64_t kMaxRow = 4096;

bool hasUnitInnerStride(MemRefType t) {
  SmallVector<int64_t> strides;
  int64_t offset;
  return succeeded(t.getStridesAndOffset(strides, offset)) &&
         !strides.empty() && strides.back() == 1;
}

/// Rewrites `copy` as row copies; returns false when it stays.
bool lowerCopy(IRRewriter &rewriter, memref::CopyOp copy,
               int64_t minParallelElements) {
  auto srcTy = dyn_cast<MemRefType>(copy.getSource().getType());
  auto dstTy = dyn_cast<MemRefType>(copy.getTarget().getType());
  if (!srcTy || !dstTy || !srcTy.hasStaticShape() || srcTy.getRank() < 2 ||
      !isa<func::FuncOp>(copy->getParentOp()))
    return false;
  if (srcTy.getLayout().isIdentity() && dstTy.getLayout().isIdentity())
    return false;
  if (!hasUnitInnerStride(srcTy) || !hasUnitInnerStride(dstTy))
    return false;
  Type elt = srcTy.getElementType();
  if (!elt.isIntOrFloat() || elt.getIntOrFloatBitWidth() % 8)
    return false;
  int64_t row = srcTy.getShape().back();
  if (row > kMaxRow || row == 0)
    return false;

  Location loc = copy.getLoc();
  rewriter.setInsertionPoint(copy);
  auto idx = [&](int64_t v) -> Value {
    return arith::ConstantIndexOp::create(rewriter, loc, v);
  };
  ArrayRef<int64_t> shape = srcTy.getShape().drop_back();
  SmallVector<Value> lbs, ubs, steps;
  for (int64_t d : shape) {
    lbs.push_back(idx(0));
    ubs.push_back(idx(d));
    steps.push_back(idx(1));
  }
  auto vecTy = VectorType::get({row}, elt);
  auto body = [&](OpBuilder &b, Location l, ValueRange ivs) {
    SmallVector<Value> at(ivs.begin(), ivs.end());
    at.push_back(idx(0));
    Value v = vector::TransferReadOp::create(b, l, vecTy, copy.getSource(), at,
                                             /*padding=*/std::nullopt,
                                             ArrayRef<bool>{true});
    vector::TransferWriteOp::create(b, l, v, copy.getTarget(), at,
                                    ArrayRef<bool>{true});
  };
  if (srcTy.getNumElements() >= minParallelElements) {
    scf::ParallelOp::create(rewriter, loc, lbs, ubs, steps, body);
  } else {
    scf::buildLoopNest(
        rewriter, loc, lbs, ubs, steps,
        [&](OpBuilder &b, Location l, ValueRange ivs) { body(b, l, ivs); });
  }
  rewriter.eraseOp(copy);
  return true;
}

struct LowerCpuCopiesPass
    : effc::impl::LowerCpuCopiesPassBase<LowerCpuCopiesPass> {
  using Base::Base;
  void runOnOperation() override {
    SmallVector<memref::CopyOp> copies;
    getOperation().walk([&](memref::CopyOp op) { copies.push_back(op); });
    IRRewriter rewriter(&getContext());
    for (memref::CopyOp copy : copies)
      (void)lowerCopy(rewriter, copy, minParallelElements);
  }
};

} // namespace

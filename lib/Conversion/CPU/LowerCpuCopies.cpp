//===- LowerCpuCopies.cpp - strided copies as vector rows -------*- C++ -*-===//
//
// memref.copy into or out of a strided subview (padding, slice insertion)
// as threaded loops of vector row copies instead of the runtime's generic
// element-by-element memrefCopy, and buffer fills (a kernel's own zeroed
// scratch) as vector row stores instead of scalar loops.
//
//===----------------------------------------------------------------------===//

#include "effc/Conversion/CPU/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
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

/// Rewrites a fill of a buffer (what a kernel allocates and zeroes for
/// itself after bufferization) as vector row stores; returns false when it
/// stays.
bool lowerFill(IRRewriter &rewriter, linalg::FillOp fill,
               int64_t minParallelElements) {
  if (!fill.hasPureBufferSemantics() || !isa<func::FuncOp>(fill->getParentOp()))
    return false;
  auto dstTy = dyn_cast<MemRefType>(fill.getOutputs()[0].getType());
  if (!dstTy || !dstTy.hasStaticShape() || dstTy.getRank() < 1 ||
      !hasUnitInnerStride(dstTy))
    return false;
  Type elt = dstTy.getElementType();
  if (!elt.isIntOrFloat() || elt.getIntOrFloatBitWidth() % 8)
    return false;
  int64_t row = dstTy.getShape().back();
  if (row > kMaxRow || row == 0)
    return false;

  Location loc = fill.getLoc();
  rewriter.setInsertionPoint(fill);
  auto idx = [&](int64_t v) -> Value {
    return arith::ConstantIndexOp::create(rewriter, loc, v);
  };
  auto vecTy = VectorType::get({row}, elt);
  Value splat =
      vector::BroadcastOp::create(rewriter, loc, vecTy, fill.getInputs()[0]);
  Value dst = fill.getOutputs()[0];
  SmallVector<Value> lbs, ubs, steps;
  for (int64_t d : dstTy.getShape().drop_back()) {
    lbs.push_back(idx(0));
    ubs.push_back(idx(d));
    steps.push_back(idx(1));
  }
  auto body = [&](OpBuilder &b, Location l, ValueRange ivs) {
    SmallVector<Value> at(ivs.begin(), ivs.end());
    at.push_back(idx(0));
    vector::TransferWriteOp::create(b, l, splat, dst, at, ArrayRef<bool>{true});
  };
  if (lbs.empty())
    body(rewriter, loc, {});
  else if (dstTy.getNumElements() >= minParallelElements)
    scf::ParallelOp::create(rewriter, loc, lbs, ubs, steps, body);
  else
    scf::buildLoopNest(
        rewriter, loc, lbs, ubs, steps,
        [&](OpBuilder &b, Location l, ValueRange ivs) { body(b, l, ivs); });
  rewriter.eraseOp(fill);
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
    SmallVector<linalg::FillOp> fills;
    getOperation().walk([&](linalg::FillOp op) { fills.push_back(op); });
    for (linalg::FillOp fill : fills)
      (void)lowerFill(rewriter, fill, minParallelElements);
  }
};

} // namespace

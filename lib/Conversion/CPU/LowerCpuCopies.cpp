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

/// The vector type of one innermost row of `t`, when `t` can be moved in
/// such rows: a static row (the outer dims may be runtime sizes, a dynamic
/// batch or sequence), byte-sized elements, unit innermost stride, a row of
/// at most kMaxRow elements.
std::optional<VectorType> rowVectorType(MemRefType t) {
  if (!t || t.getRank() < 1 || ShapedType::isDynamic(t.getShape().back()) ||
      !hasUnitInnerStride(t))
    return std::nullopt;
  Type elt = t.getElementType();
  int64_t row = t.getShape().back();
  if (!elt.isIntOrFloat() || elt.getIntOrFloatBitWidth() % 8 || row == 0 ||
      row > kMaxRow)
    return std::nullopt;
  return VectorType::get({row}, elt);
}

/// Emits `rowBody(builder, loc, index of the row's first element)` for
/// every innermost row of `buffer`: in an scf.parallel over the outer
/// dimensions when the copy is at the function's top level and has at
/// least `minParallelElements` elements (or runtime outer sizes: the
/// parallel region's work threshold decides at run time), else in a loop
/// nest (inside a kernel's loops, whose threads it already runs on).
void emitRows(IRRewriter &rewriter, Location loc, Value buffer, bool topLevel,
              int64_t minParallelElements,
              function_ref<void(OpBuilder &, Location, ValueRange)> rowBody) {
  auto idx = [&](int64_t v) -> Value {
    return arith::ConstantIndexOp::create(rewriter, loc, v);
  };
  ArrayRef<int64_t> shape = cast<MemRefType>(buffer.getType()).getShape();
  Value zero = idx(0);
  SmallVector<Value> lbs, ubs, steps;
  for (auto [d, size] : llvm::enumerate(shape.drop_back())) {
    lbs.push_back(zero);
    ubs.push_back(
        ShapedType::isDynamic(size)
            ? memref::DimOp::create(rewriter, loc, buffer, d).getResult()
            : idx(size));
    steps.push_back(idx(1));
  }
  auto body = [&](OpBuilder &b, Location l, ValueRange ivs) {
    SmallVector<Value> at(ivs.begin(), ivs.end());
    at.push_back(zero);
    rowBody(b, l, at);
  };
  if (lbs.empty())
    body(rewriter, loc, {});
  else if (topLevel &&
           (ShapedType::isDynamicShape(shape) ||
            ShapedType::getNumElements(shape) >= minParallelElements))
    scf::ParallelOp::create(rewriter, loc, lbs, ubs, steps, body);
  else
    scf::buildLoopNest(rewriter, loc, lbs, ubs, steps, body);
}

/// Rewrites `copy` as row copies unless both sides are contiguous (a
/// memcpy); returns false when it stays.
bool lowerCopy(IRRewriter &rewriter, memref::CopyOp copy,
               int64_t minParallelElements) {
  auto srcTy = dyn_cast<MemRefType>(copy.getSource().getType());
  auto dstTy = dyn_cast<MemRefType>(copy.getTarget().getType());
  if (!srcTy || !dstTy || srcTy.getRank() < 2 ||
      (srcTy.getLayout().isIdentity() && dstTy.getLayout().isIdentity()))
    return false;
  // Inside a kernel's loops only runtime-sized copies (the rows of a
  // dynamic sequence's last attention tile) are rewritten, as serial row
  // loops: the runtime's generic memrefCopy moves them element by element.
  // The kernels' static copies are left as they were measured.
  bool topLevel = isa<func::FuncOp>(copy->getParentOp());
  if (!topLevel && srcTy.hasStaticShape())
    return false;
  std::optional<VectorType> vecTy = rowVectorType(srcTy);
  if (!vecTy || !rowVectorType(dstTy))
    return false;
  rewriter.setInsertionPoint(copy);
  emitRows(rewriter, copy.getLoc(), copy.getSource(), topLevel,
           minParallelElements, [&](OpBuilder &b, Location l, ValueRange at) {
             Value v = vector::TransferReadOp::create(
                 b, l, *vecTy, copy.getSource(), at,
                 /*padding=*/std::nullopt, ArrayRef<bool>{true});
             vector::TransferWriteOp::create(b, l, v, copy.getTarget(), at,
                                             ArrayRef<bool>{true});
           });
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
  Value dst = fill.getOutputs()[0];
  auto dstTy = dyn_cast<MemRefType>(dst.getType());
  std::optional<VectorType> vecTy = rowVectorType(dstTy);
  if (!vecTy)
    return false;
  rewriter.setInsertionPoint(fill);
  Value splat = vector::BroadcastOp::create(rewriter, fill.getLoc(), *vecTy,
                                            fill.getInputs()[0]);
  emitRows(rewriter, fill.getLoc(), dst, /*topLevel=*/true, minParallelElements,
           [&](OpBuilder &b, Location l, ValueRange at) {
             vector::TransferWriteOp::create(b, l, splat, dst, at,
                                             ArrayRef<bool>{true});
           });
  rewriter.eraseOp(fill);
  return true;
}

struct LowerCpuCopiesPass
    : effc::impl::LowerCpuCopiesPassBase<LowerCpuCopiesPass> {
  using Base::Base;
  void runOnOperation() override {
    SmallVector<Operation *> ops;
    getOperation().walk([&](Operation *op) {
      if (isa<memref::CopyOp, linalg::FillOp>(op))
        ops.push_back(op);
    });
    IRRewriter rewriter(&getContext());
    for (Operation *op : ops) {
      if (auto copy = dyn_cast<memref::CopyOp>(op))
        (void)lowerCopy(rewriter, copy, minParallelElements);
      else
        (void)lowerFill(rewriter, cast<linalg::FillOp>(op),
                        minParallelElements);
    }
  }
};

} // namespace

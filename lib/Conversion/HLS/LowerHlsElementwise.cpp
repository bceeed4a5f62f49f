//===- LowerHlsElementwise.cpp - effc-lower-hls elementwise ops -*- C++ -*-===//
//
// The elementwise layers between matmul-like ones that --effc-raise does
// not fuse into them (a bias and an activation as separate generics, a
// residual add, a scaling): an all-parallel linalg.generic becomes one
// pipelined loop nest over its result whose body is the generic's own,
// cloned, its operands read through their indexing maps (broadcasts
// included; constant operands become ROMs); and the float precision casts
// of a weight plan (arith.extf / arith.truncf of a whole tensor).
//
//===----------------------------------------------------------------------===//

#include "LowerHls.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/IRMapping.h"

using namespace mlir;
using namespace mlir::effc;
using namespace mlir::effc::hls;

/// Whether the HLS C++ emitter writes `op` inside a loop body, in fixed
/// point (`fixed`) or IEEE float.
static bool isEmittableScalarOp(Operation *op, bool fixed) {
  if (isa<math::ExpOp, math::RoundEvenOp>(op))
    return !fixed;
  return isa<arith::AddFOp, arith::SubFOp, arith::MulFOp, arith::DivFOp,
             arith::NegFOp, arith::MaximumFOp, arith::MinimumFOp,
             arith::MaxNumFOp, arith::MinNumFOp, arith::CmpFOp, arith::SelectOp,
             arith::AddIOp, arith::SubIOp, arith::MulIOp, arith::MaxSIOp,
             arith::MinSIOp, arith::ExtSIOp, arith::TruncIOp, arith::SIToFPOp,
             arith::FPToSIOp, arith::CmpIOp, arith::AndIOp, arith::ConstantOp,
             math::AbsFOp>(op);
}

LogicalResult FuncLowering::lowerGeneric(linalg::GenericOp op) {
  if (op.getNumDpsInits() != 1 || op->getNumResults() != 1)
    return op.emitError("effc-lower-hls: a linalg.generic needs one result "
                        "on the HLS path");
  if (llvm::any_of(op.getIteratorTypesArray(), [](utils::IteratorType t) {
        return t != utils::IteratorType::parallel;
      }))
    return op.emitError("effc-lower-hls: only elementwise (all-parallel) "
                        "linalg.generic ops are supported on the HLS path; "
                        "reductions come as effc layers (run --effc-raise)");
  auto resTy = cast<RankedTensorType>(op->getResult(0).getType());
  if (!resTy.hasStaticShape())
    return op.emitError("effc-lower-hls: the result must be a static tensor");
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  OpOperand *init = op.getDpsInitOperand(0);
  if (!maps[init->getOperandNumber()].isIdentity())
    return op.emitError("effc-lower-hls: the result of a linalg.generic must "
                        "be written in loop order (an identity map)");
  for (Value v : op->getOperands())
    if (auto t = dyn_cast<RankedTensorType>(v.getType());
        t && isa<FloatType>(t.getElementType()) && !t.getElementType().isF32())
      return op.emitError("effc-lower-hls: linalg.generic operands must be "
                          "f32 or integers on the HLS path, not ")
             << t.getElementType();
  Block &body = *op.getBody();
  for (Operation &inner : body.without_terminator()) {
    if (!isEmittableScalarOp(&inner, fixedMode))
      return inner.emitError("effc-lower-hls: ")
             << inner.getName() << " in a linalg.generic is not supported on "
             << "the HLS path"
             << (fixedMode ? " in a fixed-point function" : "");
    for (Value v : inner.getOperands())
      if (v.getParentBlock() != &body && !v.getDefiningOp<arith::ConstantOp>())
        return inner.emitError("effc-lower-hls: a linalg.generic body may use "
                               "only its arguments and scalar constants");
  }
  // Operands: computed tensors by their buffers, constants as ROMs.
  Location loc = op.getLoc();
  std::string name = layerName(op);
  SmallVector<Value> sources;
  for (OpOperand &in : op->getOpOperands()) {
    bool used = !body.getArgument(in.getOperandNumber()).use_empty();
    Value m = memOf(in.get());
    if (!m && used) {
      if (in.getOperandNumber() == init->getOperandNumber())
        return op.emitError("effc-lower-hls: the linalg.generic reads its "
                            "output's initial value, which has none here "
                            "(tensor.empty)");
      DenseElementsAttr attr;
      if (!matchPattern(in.get(), m_Constant(&attr)))
        return op.emitError("effc-lower-hls: operand ")
               << in.getOperandNumber()
               << " of the linalg.generic is neither computed nor a constant";
      if (!isa<FloatType, IntegerType>(attr.getElementType()) ||
          (isa<FloatType>(attr.getElementType()) &&
           !attr.getElementType().isF32()))
        return op.emitError("effc-lower-hls: constant operands of a "
                            "linalg.generic must be f32 or integers");
      m = rom(loc, (name + "_c" + Twine(in.getOperandNumber())).str(), attr);
    }
    sources.push_back(m);
  }
  MemRefType outTy = memTypeOf(resTy);
  Value out = bufferFor(op->getResult(0), outTy);
  elementwise(loc, name, outTy, [&](ValueRange ivs) {
    IRMapping map;
    for (OpOperand &in : op->getOpOperands()) {
      BlockArgument arg = body.getArgument(in.getOperandNumber());
      if (arg.use_empty())
        continue;
      Value v =
          affine::AffineLoadOp::create(b, loc, sources[in.getOperandNumber()],
                                       maps[in.getOperandNumber()], ivs);
      map.map(arg, v);
    }
    for (Operation &inner : body.without_terminator()) {
      for (Value v : inner.getOperands())
        if (!map.contains(v) && v.getParentBlock() != &body)
          map.map(v, b.clone(*v.getDefiningOp())->getResult(0));
      b.clone(inner, map);
    }
    Value y = map.lookupOrDefault(body.getTerminator()->getOperand(0));
    if (y.getParentBlock() != b.getInsertionBlock() && !isa<BlockArgument>(y))
      y = b.clone(*y.getDefiningOp())->getResult(0);
    affine::AffineStoreOp::create(b, loc, y, out, ivs);
  });
  mem[op->getResult(0)] = out;
  return success();
}

LogicalResult FuncLowering::lowerFloatCast(Operation *op) {
  auto inTy = cast<RankedTensorType>(op->getOperand(0).getType());
  auto outTy = cast<RankedTensorType>(op->getResult(0).getType());
  Value in = memOf(op->getOperand(0));
  if (!in)
    return op->emitError("effc-lower-hls: the operand of ")
           << op->getName() << " is neither computed nor a constant";
  // A fixed-point function holds every float in its one format, and an
  // f16 / bf16 value is exact in a float: both are copies. Rounding a
  // float to f16 / bf16 is not (the C++ has no half type to round with).
  if (!fixedMode && isa<arith::TruncFOp>(op))
    return op->emitError("effc-lower-hls: arith.truncf of a computed tensor "
                         "(")
           << inTy.getElementType() << " to " << outTy.getElementType()
           << ") needs half-precision rounding, which the float HLS C++ "
              "does not emulate; keep activations in f32 (plan "
              "activations=f32) or compute in fixed point";
  MemRefType mt = memTypeOf(outTy);
  Value out = bufferFor(op->getResult(0), mt);
  Location loc = op->getLoc();
  elementwise(loc, layerName(op), mt, [&](ValueRange iv) {
    Value v = affine::AffineLoadOp::create(b, loc, in, iv);
    Type t = outTy.getElementType();
    if (isa<arith::ExtFOp>(op))
      v = arith::ExtFOp::create(b, loc, t, v);
    else
      v = arith::TruncFOp::create(b, loc, t, v);
    affine::AffineStoreOp::create(b, loc, v, out, iv);
  });
  mem[op->getResult(0)] = out;
  return success();
}

LogicalResult FuncLowering::lowerReshape(Operation *op) {
  auto inTy = cast<RankedTensorType>(op->getOperand(0).getType());
  auto outTy = cast<RankedTensorType>(op->getResult(0).getType());
  if (!inTy.hasStaticShape() || !outTy.hasStaticShape())
    return op->emitError("effc-lower-hls: reshapes must be static");
  Value in = memOf(op->getOperand(0));
  if (!in)
    return op->emitError("effc-lower-hls: the operand of ")
           << op->getName() << " must be a computed tensor (constants are "
           << "read only as layer weights)";
  // Both shapes are row-major views of the same elements: an input dim
  // folded into an output dim is its (floordiv, mod) digit; an input dim
  // split into output dims is their row-major combination.
  MLIRContext *ctx = b.getContext();
  SmallVector<AffineExpr> inIdx;
  if (auto collapse = dyn_cast<tensor::CollapseShapeOp>(op)) {
    for (auto [d, group] :
         llvm::enumerate(collapse.getReassociationIndices())) {
      int64_t stride = 1;
      for (int64_t k : group)
        stride *= inTy.getDimSize(k);
      for (auto [i, k] : llvm::enumerate(group)) {
        stride /= inTy.getDimSize(k);
        AffineExpr e = getAffineDimExpr(d, ctx).floorDiv(stride);
        inIdx.push_back(i == 0 ? e : e % inTy.getDimSize(k));
      }
    }
  } else {
    auto expand = cast<tensor::ExpandShapeOp>(op);
    for (const ReassociationIndices &group : expand.getReassociationIndices()) {
      AffineExpr e = getAffineConstantExpr(0, ctx);
      for (int64_t k : group)
        e = e * outTy.getDimSize(k) + getAffineDimExpr(k, ctx);
      inIdx.push_back(e);
    }
  }
  AffineMap map = AffineMap::get(outTy.getRank(), 0, inIdx, ctx);
  MemRefType mt = memTypeOf(outTy);
  Value out = bufferFor(op->getResult(0), mt);
  Location loc = op->getLoc();
  elementwise(loc, layerName(op), mt, [&](ValueRange iv) {
    Value v = affine::AffineLoadOp::create(b, loc, in, map, iv);
    affine::AffineStoreOp::create(b, loc, v, out, iv);
  });
  mem[op->getResult(0)] = out;
  return success();
}

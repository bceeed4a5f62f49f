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

/// Whether `v` is a tensor.empty, possibly reshaped: a shape, no values.
static bool isEmptyTensorValue(Value v) {
  while (Operation *def = v.getDefiningOp()) {
    if (isa<tensor::EmptyOp>(def))
      return true;
    if (!isa<tensor::ExpandShapeOp, tensor::CollapseShapeOp>(def))
      return false;
    v = def->getOperand(0);
  }
  return false;
}

/// Whether the HLS C++ emitter writes `op` inside a loop body, in fixed
/// point (`fixed`) or IEEE float.
static bool isEmittableScalarOp(Operation *op, bool fixed) {
  if (isa<math::ExpOp, math::RoundEvenOp, math::ErfOp, math::RsqrtOp,
          math::SqrtOp, math::TanhOp>(op))
    return !fixed;
  // f32 <-> f64 (torch's layernorm variance); half precision is refused.
  if (auto t = dyn_cast<arith::TruncFOp>(op))
    return fixed || t.getType().isF32();
  return isa<arith::AddFOp, arith::SubFOp, arith::MulFOp, arith::DivFOp,
             arith::NegFOp, arith::MaximumFOp, arith::MinimumFOp,
             arith::MaxNumFOp, arith::MinNumFOp, arith::CmpFOp, arith::SelectOp,
             arith::AddIOp, arith::SubIOp, arith::MulIOp, arith::MaxSIOp,
             arith::MinSIOp, arith::ExtSIOp, arith::TruncIOp, arith::SIToFPOp,
             arith::FPToSIOp, arith::CmpIOp, arith::AndIOp, arith::ConstantOp,
             arith::ExtFOp, math::AbsFOp>(op);
}

LogicalResult FuncLowering::lowerGeneric(linalg::GenericOp op) {
  if (op.getNumDpsInits() != 1 || op->getNumResults() != 1)
    return op.emitError("effc-lower-hls: a linalg.generic needs one result "
                        "on the HLS path");
  bool reduction =
      llvm::any_of(op.getIteratorTypesArray(), [](utils::IteratorType t) {
        return t != utils::IteratorType::parallel;
      });
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  OpOperand *init = op.getDpsInitOperand(0);
  AffineMap outMap = maps[init->getOperandNumber()];
  if (!reduction && !outMap.isIdentity())
    return op.emitError("effc-lower-hls: the result of a linalg.generic must "
                        "be written in loop order (an identity map)");
  if (reduction && !outMap.isProjectedPermutation())
    return op.emitError("effc-lower-hls: the result of a reduction must be "
                        "indexed by a projection of its loops");
  for (Value v : op->getOperands())
    if (auto t = dyn_cast<RankedTensorType>(v.getType());
        t && isa<FloatType>(t.getElementType()) &&
        !t.getElementType().isF32() && !t.getElementType().isF64())
      return op.emitError("effc-lower-hls: linalg.generic operands must be "
                          "f32, f64 or integers on the HLS path, not ")
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
  // The loop sizes: each loop's from an operand that it indexes.
  unsigned numLoops = op.getNumLoops();
  Sizes loops(numLoops);
  SmallVector<OpOperand *> order{init};
  for (OpOperand &in : op->getOpOperands())
    if (&in != init)
      order.push_back(&in);
  for (OpOperand *operand : order) {
    if (!isa<RankedTensorType>(operand->get().getType()))
      continue;
    AffineMap map = maps[operand->getOperandNumber()];
    bool known = llvm::all_of(map.getResults(), [&](AffineExpr e) {
      auto d = dyn_cast<AffineDimExpr>(e);
      return !d || loops[d.getPosition()];
    });
    if (known)
      continue;
    FailureOr<Sizes> s = sizesOf(operand->get());
    if (failed(s))
      return failure();
    for (auto [p, e] : llvm::enumerate(map.getResults()))
      if (auto d = dyn_cast<AffineDimExpr>(e); d && !loops[d.getPosition()])
        loops[d.getPosition()] = (*s)[p];
  }
  if (llvm::any_of(loops, [](AffineExpr e) { return !e; }))
    return op.emitError("effc-lower-hls: a loop of the linalg.generic "
                        "indexes no operand dimension");
  // Operands: computed tensors by their buffers, constants as ROMs.
  Location loc = op.getLoc();
  std::string name = layerName(op);
  bool readsOut = !body.getArgument(init->getOperandNumber()).use_empty();
  SmallVector<Value> sources;
  for (OpOperand &in : op->getOpOperands()) {
    bool used = !body.getArgument(in.getOperandNumber()).use_empty();
    if (&in == init) {
      sources.push_back({});
      continue;
    }
    Value m = materialize(in.get());
    if (!m && used) {
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
  FailureOr<Sizes> outSizes = sizesOf(op->getResult(0));
  FailureOr<MemRefType> outTy = bufferTypeOf(op->getResult(0));
  if (failed(outSizes) || failed(outTy))
    return failure();
  Value out = bufferFor(op->getResult(0), *outTy);
  if (readsOut) {
    // The output's initial value: its linalg.fill's value, or a copy.
    Value initial = init->get();
    if (auto fill = initial.getDefiningOp<linalg::FillOp>()) {
      Value x = fill.getInputs()[0];
      elementwise(loc, name + "_init", *outSizes, [&](ValueRange iv) {
        Value c = x;
        if (auto k = x.getDefiningOp<arith::ConstantOp>())
          c = b.clone(*k)->getResult(0);
        affine::AffineStoreOp::create(b, loc, c, out, iv);
      });
    } else if (Value m = materialize(initial)) {
      if (m != out)
        copy(loc, m, out, *outSizes);
    } else {
      return op.emitError("effc-lower-hls: the linalg.generic reads its "
                          "output's initial value, which has none here "
                          "(tensor.empty)");
    }
    sources[init->getOperandNumber()] = out;
  }
  elementwise(loc, name, loops, [&](ValueRange ivs) {
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
    affine::AffineStoreOp::create(b, loc, y, out, outMap, ivs);
  });
  mem[op->getResult(0)] = out;
  return success();
}

LogicalResult FuncLowering::lowerTranspose(linalg::TransposeOp op) {
  Value in = materialize(op.getInput());
  if (!in)
    return op.emitError("effc-lower-hls: the input of linalg.transpose must "
                        "be a computed tensor");
  Value result = op->getResult(0);
  FailureOr<Sizes> shape = sizesOf(result);
  FailureOr<MemRefType> type = bufferTypeOf(result);
  if (failed(shape) || failed(type))
    return failure();
  // out[i] = in[j] with j[perm[d]] = i[d].
  ArrayRef<int64_t> perm = op.getPermutation();
  SmallVector<AffineExpr> inIdx(perm.size());
  for (auto [d, p] : llvm::enumerate(perm))
    inIdx[p] = getAffineDimExpr(d, b.getContext());
  AffineMap map = AffineMap::get(perm.size(), 0, inIdx, b.getContext());
  Value out = bufferFor(result, *type);
  Location loc = op.getLoc();
  elementwise(loc, layerName(op), *shape, [&](ValueRange iv) {
    Value v = affine::AffineLoadOp::create(b, loc, in, map, iv);
    affine::AffineStoreOp::create(b, loc, v, out, iv);
  });
  mem[result] = out;
  return success();
}

LogicalResult FuncLowering::lowerExtractSlice(Operation *o) {
  auto op = cast<tensor::ExtractSliceOp>(o);
  Value in = materialize(op.getSource());
  if (!in)
    return op.emitError("effc-lower-hls: the source of tensor.extract_slice "
                        "must be a computed tensor");
  if (op.getType().getRank() != op.getSourceType().getRank() ||
      !op.hasUnitStride() || llvm::any_of(op.getStaticOffsets(), [](int64_t o) {
        return ShapedType::isDynamic(o);
      }))
    return op.emitError("effc-lower-hls: tensor.extract_slice needs static "
                        "offsets, unit strides and no rank reduction on the "
                        "HLS path");
  FailureOr<Sizes> shape = sizesOf(op.getResult());
  FailureOr<MemRefType> type = bufferTypeOf(op.getResult());
  if (failed(shape) || failed(type))
    return failure();
  SmallVector<AffineExpr> inIdx;
  for (auto [d, offset] : llvm::enumerate(op.getStaticOffsets()))
    inIdx.push_back(getAffineDimExpr(d, b.getContext()) + offset);
  AffineMap map = AffineMap::get(inIdx.size(), 0, inIdx, b.getContext());
  Value out = bufferFor(op.getResult(), *type);
  Location loc = op.getLoc();
  elementwise(loc, layerName(op), *shape, [&](ValueRange iv) {
    Value v = affine::AffineLoadOp::create(b, loc, in, map, iv);
    affine::AffineStoreOp::create(b, loc, v, out, iv);
  });
  mem[op.getResult()] = out;
  return success();
}

LogicalResult FuncLowering::lowerFloatCast(Operation *op) {
  auto inTy = cast<RankedTensorType>(op->getOperand(0).getType());
  auto outTy = cast<RankedTensorType>(op->getResult(0).getType());
  Value in = materialize(op->getOperand(0));
  if (!in)
    return op->emitError("effc-lower-hls: the operand of ")
           << op->getName() << " is neither computed nor a constant";
  // A fixed-point function holds every float in its one format, and an
  // f16 / bf16 value is exact in a float: both are copies. Rounding a
  // float to f16 / bf16 is not (the C++ has no half type to round with).
  if (!fixedMode && isa<arith::TruncFOp>(op) && !outTy.getElementType().isF32())
    return op->emitError("effc-lower-hls: arith.truncf of a computed tensor "
                         "(")
           << inTy.getElementType() << " to " << outTy.getElementType()
           << ") needs half-precision rounding, which the float HLS C++ "
              "does not emulate; keep activations in f32 (plan "
              "activations=f32) or compute in fixed point";
  FailureOr<Sizes> shape = sizesOf(op->getResult(0));
  FailureOr<MemRefType> mt = bufferTypeOf(op->getResult(0));
  if (failed(shape) || failed(mt))
    return failure();
  Value out = bufferFor(op->getResult(0), *mt);
  Location loc = op->getLoc();
  elementwise(loc, layerName(op), *shape, [&](ValueRange iv) {
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
  // A reshaped tensor.empty is a shape: nothing to copy.
  if (isEmptyTensorValue(op->getOperand(0)))
    return success();
  Value in = materialize(op->getOperand(0));
  if (!in)
    return op->emitError("effc-lower-hls: the operand of ")
           << op->getName() << " must be a computed tensor (constants are "
           << "read only as layer weights)";
  // Both shapes are row-major views of the same elements: an input dim
  // folded into an output dim is its (floordiv, mod) digit; an input dim
  // split into output dims is their row-major combination. A runtime size
  // must lead its group, where it scales nothing, so that the arrays'
  // bounds (not the runtime sizes) are the strides.
  MLIRContext *ctx = b.getContext();
  auto leadsGroups = [&](RankedTensorType t,
                         ArrayRef<ReassociationIndices> groups) {
    return llvm::all_of(groups, [&](const ReassociationIndices &g) {
      return llvm::all_of(ArrayRef<int64_t>(g).drop_front(),
                          [&](int64_t k) { return !t.isDynamicDim(k); });
    });
  };
  SmallVector<AffineExpr> inIdx;
  if (auto collapse = dyn_cast<tensor::CollapseShapeOp>(op)) {
    auto groups = collapse.getReassociationIndices();
    if (!leadsGroups(inTy, groups))
      return op->emitError("effc-lower-hls: a dynamic dim of a "
                           "tensor.collapse_shape must lead its group");
    for (auto [d, group] : llvm::enumerate(groups)) {
      int64_t stride = 1;
      for (int64_t k : ArrayRef<int64_t>(group).drop_front())
        stride *= inTy.getDimSize(k);
      for (auto [i, k] : llvm::enumerate(group)) {
        if (i > 0)
          stride /= inTy.getDimSize(k);
        AffineExpr e = getAffineDimExpr(d, ctx).floorDiv(stride);
        inIdx.push_back(i == 0 ? e : e % inTy.getDimSize(k));
      }
    }
  } else {
    auto expand = cast<tensor::ExpandShapeOp>(op);
    auto groups = expand.getReassociationIndices();
    if (!leadsGroups(outTy, groups))
      return op->emitError("effc-lower-hls: a dynamic dim of a "
                           "tensor.expand_shape must lead its group");
    for (const ReassociationIndices &group : groups) {
      AffineExpr e = getAffineConstantExpr(0, ctx);
      for (auto [i, k] : llvm::enumerate(group))
        e = i == 0 ? getAffineDimExpr(k, ctx)
                   : e * outTy.getDimSize(k) + getAffineDimExpr(k, ctx);
      inIdx.push_back(e);
    }
  }
  AffineMap map = AffineMap::get(outTy.getRank(), 0, inIdx, ctx);
  FailureOr<Sizes> shape = sizesOf(op->getResult(0));
  FailureOr<MemRefType> mt = bufferTypeOf(op->getResult(0));
  if (failed(shape) || failed(mt))
    return failure();
  Value out = bufferFor(op->getResult(0), *mt);
  Location loc = op->getLoc();
  elementwise(loc, layerName(op), *shape, [&](ValueRange iv) {
    Value v = affine::AffineLoadOp::create(b, loc, in, map, iv);
    affine::AffineStoreOp::create(b, loc, v, out, iv);
  });
  mem[op->getResult(0)] = out;
  return success();
}

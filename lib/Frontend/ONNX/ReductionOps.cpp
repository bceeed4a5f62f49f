//===- ReductionOps.cpp - ONNX reductions, Softmax, LayerNorm ---*- C++ -*-===//
//
// Reductions are linalg.generic ops with reduction iterators into keepdim
// shapes (torch-mlir's form: the reduced dim stays as size 1 and consumers
// read it at index 0). Softmax is written as torch-mlir decomposes it:
// max-reduce, subtract, exp, sum-reduce, divide; LayerNormalization as
// mean, centered variance and the normalization generic.
//
//===----------------------------------------------------------------------===//

#include "OnnxImporter.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"

using namespace mlir;
using namespace mlir::effc::onnx_import;

Value mlir::effc::onnx_import::buildSoftmax(OpBuilder &b, Location loc,
                                            Value input, int64_t axis,
                                            bool log) {
  auto type = cast<RankedTensorType>(input.getType());
  Type elementType = type.getElementType();
  ArrayRef<int64_t> shape = type.getShape();
  Value max = buildReduction(
      b, loc, input, axis, /*keepDims=*/true, getLowest(elementType),
      [](OpBuilder &nb, Location nloc, Value acc, Value x) -> Value {
        return arith::MaximumFOp::create(nb, nloc, acc, x);
      });
  Value shifted = buildElementwise(
      b, loc, {input, max}, shape, elementType,
      [&](OpBuilder &nb, Location nloc, ValueRange args) -> Value {
        return arith::SubFOp::create(nb, nloc, args[0], args[1]);
      });
  Value exp = buildElementwise(
      b, loc, shifted, shape, elementType,
      [](OpBuilder &nb, Location nloc, ValueRange args) -> Value {
        return math::ExpOp::create(nb, nloc, args[0]);
      });
  Value sum = buildReduction(
      b, loc, exp, axis, /*keepDims=*/true, 0,
      [](OpBuilder &nb, Location nloc, Value acc, Value x) -> Value {
        return arith::AddFOp::create(nb, nloc, acc, x);
      });
  if (log)
    return buildElementwise(
        b, loc, {shifted, sum}, shape, elementType,
        [](OpBuilder &nb, Location nloc, ValueRange args) -> Value {
          Value l = math::LogOp::create(nb, nloc, args[1]);
          return arith::SubFOp::create(nb, nloc, args[0], l);
        });
  return buildElementwise(
      b, loc, {exp, sum}, shape, elementType,
      [](OpBuilder &nb, Location nloc, ValueRange args) -> Value {
        return arith::DivFOp::create(nb, nloc, args[0], args[1]);
      });
}

namespace {

enum class ReduceKind {
  Sum,
  Mean,
  Max,
  Min,
  Prod,
  SumSquare,
  L1,
  L2,
  LogSum,
  LogSumExp
};

/// The normalized, sorted reduction axes of a Reduce* node; an empty result
/// with `noop` set means the node is an identity.
FailureOr<SmallVector<int64_t>> getReduceAxes(NodeImporter &node, int64_t rank,
                                              bool &noop) {
  SmallVector<int64_t> axes;
  if (node.hasInput(1)) {
    FailureOr<SmallVector<int64_t>> a = node.getConstantInts(1);
    if (failed(a))
      return failure();
    axes = *a;
  } else {
    axes = node.getAttrInts("axes");
  }
  noop = axes.empty() && node.getAttrInt("noop_with_empty_axes", 0);
  SmallVector<int64_t> result;
  if (axes.empty() && !noop)
    for (int64_t i = 0; i < rank; ++i)
      result.push_back(i);
  for (int64_t axis : axes) {
    FailureOr<int64_t> a = node.normalizeAxis(axis, rank);
    if (failed(a))
      return failure();
    if (!llvm::is_contained(result, *a))
      result.push_back(*a);
  }
  llvm::sort(result);
  return result;
}

template <ReduceKind Kind> LogicalResult convertReduce(NodeImporter &node) {
  RankedTensorType type = node.getInputType(0);
  Type elementType = type.getElementType();
  bool isUnsigned = node.isInputUnsigned(0);
  bool noop = false;
  FailureOr<SmallVector<int64_t>> axes =
      getReduceAxes(node, type.getRank(), noop);
  if (failed(axes))
    return failure();
  OpBuilder &b = node.b;
  Location loc = node.loc;
  Value input = node.getInput(0);
  if (noop) {
    node.setOutput(0, input, isUnsigned);
    return success();
  }
  bool fp = isa<FloatType>(elementType);
  constexpr bool floatOnly =
      Kind == ReduceKind::Mean || Kind == ReduceKind::L2 ||
      Kind == ReduceKind::LogSum || Kind == ReduceKind::LogSumExp;
  if (!fp && floatOnly)
    return node.emitError() << "expects a float input";
  // Squares and absolute values are taken elementwise first.
  if (Kind == ReduceKind::SumSquare || Kind == ReduceKind::L2 ||
      Kind == ReduceKind::L1 || Kind == ReduceKind::LogSumExp)
    input = buildElementwise(
        b, loc, input, type.getShape(), elementType,
        [&](OpBuilder &nb, Location nloc, ValueRange args) -> Value {
          if (Kind == ReduceKind::LogSumExp)
            return math::ExpOp::create(nb, nloc, args[0]);
          if (Kind == ReduceKind::L1)
            return fp ? math::AbsFOp::create(nb, nloc, args[0]).getResult()
                      : math::AbsIOp::create(nb, nloc, args[0]).getResult();
          return createMulScalar(nb, nloc, args[0], args[0]);
        });
  bool keepDims = node.getAttrInt("keepdims", 1);
  double init = 0;
  if (Kind == ReduceKind::Max)
    init = isUnsigned ? 0 : getLowest(elementType);
  else if (Kind == ReduceKind::Min)
    init = isUnsigned ? -1 : getHighest(elementType);
  else if (Kind == ReduceKind::Prod)
    init = 1;
  Value result = buildReduction(
      b, loc, input, *axes, keepDims, init,
      [&](OpBuilder &nb, Location nloc, Value acc, Value x) -> Value {
        switch (Kind) {
        case ReduceKind::Max:
          return createMaxScalar(nb, nloc, acc, x, isUnsigned);
        case ReduceKind::Min:
          return createMinScalar(nb, nloc, acc, x, isUnsigned);
        case ReduceKind::Prod:
          return createMulScalar(nb, nloc, acc, x);
        default:
          return createAddScalar(nb, nloc, acc, x);
        }
      });
  auto resultType = cast<RankedTensorType>(result.getType());
  if (Kind == ReduceKind::Mean || Kind == ReduceKind::L2 ||
      Kind == ReduceKind::LogSum || Kind == ReduceKind::LogSumExp) {
    int64_t count = 1;
    for (int64_t axis : *axes)
      count *= type.getDimSize(axis);
    result = buildElementwise(
        b, loc, result, resultType.getShape(), elementType,
        [&](OpBuilder &nb, Location nloc, ValueRange args) -> Value {
          if (Kind == ReduceKind::L2)
            return math::SqrtOp::create(nb, nloc, args[0]);
          if (Kind == ReduceKind::LogSum || Kind == ReduceKind::LogSumExp)
            return math::LogOp::create(nb, nloc, args[0]);
          Value n = createScalar(nb, nloc, elementType, count);
          return arith::DivFOp::create(nb, nloc, args[0], n);
        });
  }
  node.setOutput(0, result, isUnsigned);
  return success();
}

//===----------------------------------------------------------------------===//
// Softmax
//===----------------------------------------------------------------------===//

LogicalResult convertSoftmax(NodeImporter &node) {
  RankedTensorType type = node.getInputType(0);
  if (!isa<FloatType>(type.getElementType()))
    return node.emitError() << "expects a float input";
  bool log = node.getOpType() == "LogSoftmax";
  int64_t rank = type.getRank();
  bool coerce2D = node.opset < 13;
  FailureOr<int64_t> axis =
      node.normalizeAxis(node.getAttrInt("axis", coerce2D ? 1 : -1), rank);
  if (failed(axis))
    return failure();
  Value input = node.getInput(0);
  if (!coerce2D) {
    node.setOutput(0, buildSoftmax(node.b, node.loc, input, *axis, log));
    return success();
  }
  // Before opset 13 the input is flattened to 2-D at `axis`.
  int64_t outer = 1, inner = 1;
  for (int64_t i = 0; i < rank; ++i)
    (i < *axis ? outer : inner) *= type.getDimSize(i);
  Value flat = reshapeTo(node.b, node.loc, input, {outer, inner});
  Value result = buildSoftmax(node.b, node.loc, flat, 1, log);
  node.setOutput(0, reshapeTo(node.b, node.loc, result, type.getShape()));
  return success();
}

//===----------------------------------------------------------------------===//
// LayerNormalization
//===----------------------------------------------------------------------===//

/// The statistics of a normalization over `axes`: x - mean, mean and
/// 1 / sqrt(var + epsilon), the last two in keepdim shapes.
struct NormStats {
  Value centered, mean, invStd;
};

NormStats buildNormStats(OpBuilder &b, Location loc, Value input,
                         ArrayRef<int64_t> axes, double epsilon) {
  auto type = cast<RankedTensorType>(input.getType());
  Type elementType = type.getElementType();
  ArrayRef<int64_t> shape = type.getShape();
  int64_t count = 1;
  for (int64_t axis : axes)
    count *= shape[axis];
  auto add = [](OpBuilder &nb, Location nloc, Value acc, Value x) -> Value {
    return arith::AddFOp::create(nb, nloc, acc, x);
  };
  auto divideByCount = [&](Value sum) {
    auto sumType = cast<RankedTensorType>(sum.getType());
    return buildElementwise(
        b, loc, sum, sumType.getShape(), elementType,
        [&](OpBuilder &nb, Location nloc, ValueRange args) -> Value {
          Value n = createScalar(nb, nloc, elementType, count);
          return arith::DivFOp::create(nb, nloc, args[0], n);
        });
  };
  NormStats stats;
  stats.mean = divideByCount(
      buildReduction(b, loc, input, axes, /*keepDims=*/true, 0, add));
  stats.centered = buildElementwise(
      b, loc, {input, stats.mean}, shape, elementType,
      [](OpBuilder &nb, Location nloc, ValueRange args) -> Value {
        return arith::SubFOp::create(nb, nloc, args[0], args[1]);
      });
  Value squared = buildElementwise(
      b, loc, stats.centered, shape, elementType,
      [](OpBuilder &nb, Location nloc, ValueRange args) -> Value {
        return arith::MulFOp::create(nb, nloc, args[0], args[0]);
      });
  Value var = divideByCount(
      buildReduction(b, loc, squared, axes, /*keepDims=*/true, 0, add));
  auto statType = cast<RankedTensorType>(var.getType());
  stats.invStd = buildElementwise(
      b, loc, var, statType.getShape(), elementType,
      [&](OpBuilder &nb, Location nloc, ValueRange args) -> Value {
        Value eps = createScalar(nb, nloc, elementType, epsilon);
        Value v = arith::AddFOp::create(nb, nloc, args[0], eps);
        return math::RsqrtOp::create(nb, nloc, v);
      });
  return stats;
}

/// centered * invStd * scale (+ bias), numpy-broadcast.
FailureOr<Value> buildScaleShift(NodeImporter &node, const NormStats &stats,
                                 Value scale, Value bias) {
  SmallVector<Value> inputs = {stats.centered, stats.invStd, scale};
  if (bias)
    inputs.push_back(bias);
  Type elementType =
      cast<RankedTensorType>(stats.centered.getType()).getElementType();
  return buildBroadcastElementwise(
      node, inputs, elementType,
      [&](OpBuilder &nb, Location nloc, ValueRange args) -> Value {
        Value normed = arith::MulFOp::create(nb, nloc, args[0], args[1]);
        Value scaled = arith::MulFOp::create(nb, nloc, normed, args[2]);
        if (!bias)
          return scaled;
        return arith::AddFOp::create(nb, nloc, scaled, args[3]);
      });
}

LogicalResult convertLayerNorm(NodeImporter &node) {
  RankedTensorType type = node.getInputType(0);
  if (!isa<FloatType>(type.getElementType()))
    return node.emitError() << "expects a float input";
  if (node.getAttrInt("stash_type", 1) != 1)
    return node.emitError() << "supports stash_type = 1 (float) only";
  int64_t rank = type.getRank();
  FailureOr<int64_t> axis =
      node.normalizeAxis(node.getAttrInt("axis", -1), rank);
  if (failed(axis))
    return failure();
  SmallVector<int64_t> axes;
  for (int64_t i = *axis; i < rank; ++i)
    axes.push_back(i);
  NormStats stats = buildNormStats(node.b, node.loc, node.getInput(0), axes,
                                   node.getAttrFloat("epsilon", 1e-5f));
  FailureOr<Value> result =
      buildScaleShift(node, stats, node.getInput(1),
                      node.hasInput(2) ? node.getInput(2) : Value());
  if (failed(result))
    return failure();
  node.setOutput(0, *result);
  node.setOutput(1, stats.mean);
  node.setOutput(2, stats.invStd);
  return success();
}

/// Normalizes each (n, c) over the spatial dims, then scales per channel.
LogicalResult convertInstanceNorm(NodeImporter &node) {
  RankedTensorType type = node.getInputType(0);
  int64_t rank = type.getRank();
  if (!isa<FloatType>(type.getElementType()) || rank < 3)
    return node.emitError() << "expects a float input of rank >= 3";
  SmallVector<int64_t> axes;
  for (int64_t i = 2; i < rank; ++i)
    axes.push_back(i);
  NormStats stats = buildNormStats(node.b, node.loc, node.getInput(0), axes,
                                   node.getAttrFloat("epsilon", 1e-5f));
  // [C] -> [C, 1, ...] so that numpy broadcasting reads it along dim 1.
  SmallVector<int64_t> channelShape(rank - 1, 1);
  channelShape[0] = type.getDimSize(1);
  for (unsigned i = 1; i < 3; ++i)
    if (node.getInputType(i).getNumElements() != type.getDimSize(1))
      return node.emitError()
             << "input #" << i << " must have C = " << type.getDimSize(1)
             << " elements";
  Value scale = reshapeTo(node.b, node.loc, node.getInput(1), channelShape);
  Value bias = reshapeTo(node.b, node.loc, node.getInput(2), channelShape);
  FailureOr<Value> result = buildScaleShift(node, stats, scale, bias);
  if (failed(result))
    return failure();
  node.setOutput(0, *result);
  return success();
}

/// x / (bias + alpha / size * sum of x^2 over a window of channels)^beta:
/// squares padded along C, a generic summing the window as a reduction dim.
LogicalResult convertLRN(NodeImporter &node) {
  RankedTensorType type = node.getInputType(0);
  Type elementType = type.getElementType();
  int64_t rank = type.getRank();
  int64_t size = node.getAttrInt("size", 0);
  if (!isa<FloatType>(elementType) || rank < 3 || size <= 0)
    return node.emitError()
           << "expects a float input of rank >= 3 and size > 0";
  double alpha = node.getAttrFloat("alpha", 1e-4f);
  double beta = node.getAttrFloat("beta", 0.75f);
  double bias = node.getAttrFloat("bias", 1.0f);
  OpBuilder &b = node.b;
  Location loc = node.loc;
  MLIRContext *context = b.getContext();
  Value input = node.getInput(0);
  ArrayRef<int64_t> shape = type.getShape();
  Value squares = buildElementwise(
      b, loc, input, shape, elementType,
      [](OpBuilder &nb, Location nloc, ValueRange args) -> Value {
        return arith::MulFOp::create(nb, nloc, args[0], args[0]);
      });
  SmallVector<int64_t> low(rank, 0), high(rank, 0);
  low[1] = (size - 1) / 2;
  high[1] = size - 1 - low[1];
  Value padded = padConstant(b, loc, squares, low, high, 0);
  // Dims (n, c, spatial..., k): read padded[n, c + k, spatial...].
  SmallVector<AffineExpr> read;
  for (int64_t d = 0; d < rank; ++d)
    read.push_back(d == 1 ? getAffineDimExpr(1, context) +
                                getAffineDimExpr(rank, context)
                          : getAffineDimExpr(d, context));
  SmallVector<AffineExpr> write;
  for (int64_t d = 0; d < rank; ++d)
    write.push_back(getAffineDimExpr(d, context));
  Value window = createEmpty(b, loc, {size}, elementType);
  SmallVector<utils::IteratorType> iterators(rank,
                                             utils::IteratorType::parallel);
  iterators.push_back(utils::IteratorType::reduction);
  Value init = createFilled(b, loc, shape, elementType, 0);
  Value sums =
      linalg::GenericOp::create(
          b, loc, init.getType(), ValueRange{padded, window}, init,
          SmallVector<AffineMap>{
              AffineMap::get(rank + 1, 0, read, context),
              AffineMap::get(rank + 1, 0, getAffineDimExpr(rank, context)),
              AffineMap::get(rank + 1, 0, write, context)},
          iterators,
          [](OpBuilder &nb, Location nloc, ValueRange args) {
            Value sum = arith::AddFOp::create(nb, nloc, args[2], args[0]);
            linalg::YieldOp::create(nb, nloc, sum);
          })
          .getResult(0);
  Value result = buildElementwise(
      b, loc, {input, sums}, shape, elementType,
      [&](OpBuilder &nb, Location nloc, ValueRange args) -> Value {
        Value scaled = arith::MulFOp::create(
            nb, nloc, args[1],
            createScalar(nb, nloc, elementType, alpha / size));
        Value base = arith::AddFOp::create(
            nb, nloc, scaled, createScalar(nb, nloc, elementType, bias));
        Value denom = math::PowFOp::create(
            nb, nloc, base, createScalar(nb, nloc, elementType, beta));
        return arith::DivFOp::create(nb, nloc, args[0], denom);
      });
  node.setOutput(0, result);
  return success();
}

/// (x - mean) / std over `axes` (default N, H, W).
LogicalResult convertMeanVarianceNorm(NodeImporter &node) {
  RankedTensorType type = node.getInputType(0);
  if (!isa<FloatType>(type.getElementType()))
    return node.emitError() << "expects a float input";
  SmallVector<int64_t> axes;
  SmallVector<int64_t> attr = node.hasAttr("axes")
                                  ? node.getAttrInts("axes")
                                  : SmallVector<int64_t>{0, 2, 3};
  for (int64_t axis : attr) {
    FailureOr<int64_t> a = node.normalizeAxis(axis, type.getRank());
    if (failed(a))
      return failure();
    axes.push_back(*a);
  }
  llvm::sort(axes);
  // ONNX divides by sqrt(var) + 1e-9; rsqrt(var + 1e-18) matches it to f32
  // precision and keeps a constant slice at 0.
  NormStats stats =
      buildNormStats(node.b, node.loc, node.getInput(0), axes, 1e-18);
  FailureOr<Value> result = buildBroadcastElementwise(
      node, {stats.centered, stats.invStd}, type.getElementType(),
      [](OpBuilder &nb, Location nloc, ValueRange args) -> Value {
        return arith::MulFOp::create(nb, nloc, args[0], args[1]);
      });
  if (failed(result))
    return failure();
  node.setOutput(0, *result);
  return success();
}

//===----------------------------------------------------------------------===//
// ArgMax / ArgMin
//===----------------------------------------------------------------------===//

/// One generic reducing `axis` into the best value and its index (two
/// outputs); returns the i64 indices.
Value buildArgExtremum(OpBuilder &b, Location loc, Value input, int64_t axis,
                       bool isMax, bool last, bool keepDims, bool isUnsigned) {
  auto type = cast<RankedTensorType>(input.getType());
  Type elementType = type.getElementType();
  int64_t rank = type.getRank();
  MLIRContext *context = b.getContext();
  SmallVector<int64_t> outShape;
  SmallVector<AffineExpr> outExprs;
  SmallVector<utils::IteratorType> iterators;
  for (int64_t i = 0; i < rank; ++i) {
    bool reduced = i == axis;
    iterators.push_back(reduced ? utils::IteratorType::reduction
                                : utils::IteratorType::parallel);
    if (reduced && !keepDims)
      continue;
    outShape.push_back(reduced ? 1 : type.getDimSize(i));
    outExprs.push_back(reduced ? getAffineConstantExpr(0, context)
                               : getAffineDimExpr(i, context));
  }
  double init = isMax ? (isUnsigned ? 0 : getLowest(elementType))
                      : (isUnsigned ? -1 : getHighest(elementType));
  Value values = createFilled(b, loc, outShape, elementType, init);
  Value indices = createFilled(b, loc, outShape, b.getI64Type(), 0);
  AffineMap outMap = AffineMap::get(rank, 0, outExprs, context);
  SmallVector<AffineMap> maps = {
      AffineMap::getMultiDimIdentityMap(rank, context), outMap, outMap};
  auto generic = linalg::GenericOp::create(
      b, loc, TypeRange{values.getType(), indices.getType()}, input,
      ValueRange{values, indices}, maps, iterators,
      [&](OpBuilder &nb, Location nloc, ValueRange args) {
        Value x = args[0], best = args[1], bestIndex = args[2];
        Value index = arith::IndexCastOp::create(
            nb, nloc, nb.getI64Type(), linalg::IndexOp::create(nb, nloc, axis));
        Value better;
        if (isa<FloatType>(elementType)) {
          auto pred = isMax ? (last ? arith::CmpFPredicate::OGE
                                    : arith::CmpFPredicate::OGT)
                            : (last ? arith::CmpFPredicate::OLE
                                    : arith::CmpFPredicate::OLT);
          better = arith::CmpFOp::create(nb, nloc, pred, x, best);
        } else {
          using P = arith::CmpIPredicate;
          P pred = isMax ? (last ? (isUnsigned ? P::uge : P::sge)
                                 : (isUnsigned ? P::ugt : P::sgt))
                         : (last ? (isUnsigned ? P::ule : P::sle)
                                 : (isUnsigned ? P::ult : P::slt));
          better = arith::CmpIOp::create(nb, nloc, pred, x, best);
        }
        // The first element always wins, so an all -inf (or all lowest)
        // row still reports index 0.
        Value first =
            arith::CmpIOp::create(nb, nloc, arith::CmpIPredicate::eq, index,
                                  createScalar(nb, nloc, nb.getI64Type(), 0));
        better = arith::OrIOp::create(nb, nloc, better, first);
        Value newBest = arith::SelectOp::create(nb, nloc, better, x, best);
        Value newIndex =
            arith::SelectOp::create(nb, nloc, better, index, bestIndex);
        linalg::YieldOp::create(nb, nloc, ValueRange{newBest, newIndex});
      });
  return generic.getResult(1);
}

LogicalResult convertArgExtremum(NodeImporter &node) {
  RankedTensorType type = node.getInputType(0);
  FailureOr<int64_t> axis =
      node.normalizeAxis(node.getAttrInt("axis", 0), type.getRank());
  if (failed(axis))
    return failure();
  node.setOutput(0, buildArgExtremum(node.b, node.loc, node.getInput(0), *axis,
                                     node.getOpType() == "ArgMax",
                                     node.getAttrInt("select_last_index", 0),
                                     node.getAttrInt("keepdims", 1),
                                     node.isInputUnsigned(0)));
  return success();
}

/// 1 at the first maximum along `axis`, 0 elsewhere.
LogicalResult convertHardmax(NodeImporter &node) {
  RankedTensorType type = node.getInputType(0);
  if (!isa<FloatType>(type.getElementType()) || node.opset < 13)
    return node.emitError() << "supports float inputs from opset 13";
  FailureOr<int64_t> axis =
      node.normalizeAxis(node.getAttrInt("axis", -1), type.getRank());
  if (failed(axis))
    return failure();
  Value index = buildArgExtremum(node.b, node.loc, node.getInput(0), *axis,
                                 /*isMax=*/true, /*last=*/false,
                                 /*keepDims=*/true, /*isUnsigned=*/false);
  Type elementType = type.getElementType();
  Value result = buildElementwise(
      node.b, node.loc, index, type.getShape(), elementType,
      [&](OpBuilder &b, Location loc, ValueRange args) -> Value {
        Value i = arith::IndexCastOp::create(
            b, loc, b.getI64Type(), linalg::IndexOp::create(b, loc, *axis));
        Value hit =
            arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, i, args[0]);
        return arith::UIToFPOp::create(b, loc, elementType, hit);
      });
  node.setOutput(0, result);
  return success();
}

/// out[..i..] = sum of x[..j..] over j <= i (j < i exclusive; j >= i
/// reversed): a generic with the summed index as an extra reduction dim.
LogicalResult convertCumSum(NodeImporter &node) {
  RankedTensorType type = node.getInputType(0);
  int64_t rank = type.getRank();
  FailureOr<SmallVector<int64_t>> axisValues = node.getConstantInts(1);
  if (failed(axisValues))
    return failure();
  if (axisValues->size() != 1)
    return node.emitError() << "axis must be a scalar";
  FailureOr<int64_t> axis = node.normalizeAxis((*axisValues)[0], rank);
  if (failed(axis))
    return failure();
  bool exclusive = node.getAttrInt("exclusive", 0);
  bool reverse = node.getAttrInt("reverse", 0);
  OpBuilder &b = node.b;
  MLIRContext *context = b.getContext();
  SmallVector<AffineExpr> inExprs;
  for (int64_t d = 0; d < rank; ++d)
    inExprs.push_back(getAffineDimExpr(d == *axis ? rank : d, context));
  SmallVector<utils::IteratorType> iterators(rank,
                                             utils::IteratorType::parallel);
  iterators.push_back(utils::IteratorType::reduction);
  SmallVector<AffineExpr> outExprs;
  for (int64_t d = 0; d < rank; ++d)
    outExprs.push_back(getAffineDimExpr(d, context));
  Type elementType = type.getElementType();
  Value init = createFilled(b, node.loc, type.getShape(), elementType, 0);
  using P = arith::CmpIPredicate;
  P pred =
      reverse ? (exclusive ? P::sgt : P::sge) : (exclusive ? P::slt : P::sle);
  Value result =
      linalg::GenericOp::create(
          b, node.loc, init.getType(), node.getInput(0), init,
          SmallVector<AffineMap>{
              AffineMap::get(rank + 1, 0, inExprs, context),
              AffineMap::get(rank + 1, 0, outExprs, context)},
          iterators,
          [&](OpBuilder &nb, Location loc, ValueRange args) {
            Value i = linalg::IndexOp::create(nb, loc, *axis);
            Value j = linalg::IndexOp::create(nb, loc, rank);
            Value take = arith::CmpIOp::create(nb, loc, pred, j, i);
            Value zero = createScalar(nb, loc, elementType, 0);
            Value x = arith::SelectOp::create(nb, loc, take, args[0], zero);
            linalg::YieldOp::create(nb, loc,
                                    createAddScalar(nb, loc, args[1], x));
          })
          .getResult(0);
  node.setOutput(0, result, node.isInputUnsigned(0));
  return success();
}

} // namespace

void mlir::effc::onnx_import::addReductionConverters(ConverterMap &map) {
  map["ReduceSum"] = convertReduce<ReduceKind::Sum>;
  map["ReduceMean"] = convertReduce<ReduceKind::Mean>;
  map["ReduceMax"] = convertReduce<ReduceKind::Max>;
  map["ReduceMin"] = convertReduce<ReduceKind::Min>;
  map["ReduceProd"] = convertReduce<ReduceKind::Prod>;
  map["ReduceSumSquare"] = convertReduce<ReduceKind::SumSquare>;
  map["ReduceL1"] = convertReduce<ReduceKind::L1>;
  map["ReduceL2"] = convertReduce<ReduceKind::L2>;
  map["ReduceLogSum"] = convertReduce<ReduceKind::LogSum>;
  map["ReduceLogSumExp"] = convertReduce<ReduceKind::LogSumExp>;
  map["Softmax"] = convertSoftmax;
  map["LogSoftmax"] = convertSoftmax;
  map["LayerNormalization"] = convertLayerNorm;
  map["InstanceNormalization"] = convertInstanceNorm;
  map["MeanVarianceNormalization"] = convertMeanVarianceNorm;
  map["LRN"] = convertLRN;
  map["ArgMax"] = convertArgExtremum;
  map["ArgMin"] = convertArgExtremum;
  map["Hardmax"] = convertHardmax;
  map["CumSum"] = convertCumSum;
}

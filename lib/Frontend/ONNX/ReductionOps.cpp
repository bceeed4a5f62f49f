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
#include "mlir/Dialect/Math/IR/Math.h"

using namespace mlir;
using namespace mlir::effc::onnx_import;

namespace {

enum class ReduceKind { Sum, Mean, Max, Min, Prod, SumSquare, L1, L2 };

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
  if (!fp && (Kind == ReduceKind::Mean || Kind == ReduceKind::L2))
    return node.emitError() << "expects a float input";
  // Squares and absolute values are taken elementwise first.
  if (Kind == ReduceKind::SumSquare || Kind == ReduceKind::L2 ||
      Kind == ReduceKind::L1)
    input = buildElementwise(
        b, loc, input, type.getShape(), elementType,
        [&](OpBuilder &nb, Location nloc, ValueRange args) -> Value {
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
  if (Kind == ReduceKind::Mean || Kind == ReduceKind::L2) {
    int64_t count = 1;
    for (int64_t axis : *axes)
      count *= type.getDimSize(axis);
    result = buildElementwise(
        b, loc, result, resultType.getShape(), elementType,
        [&](OpBuilder &nb, Location nloc, ValueRange args) -> Value {
          if (Kind == ReduceKind::L2)
            return math::SqrtOp::create(nb, nloc, args[0]);
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

/// softmax (or log-softmax) of `input` along `axis`, keepdim reductions.
Value buildSoftmax(OpBuilder &b, Location loc, Value input, int64_t axis,
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

LogicalResult convertLayerNorm(NodeImporter &node) {
  RankedTensorType type = node.getInputType(0);
  Type elementType = type.getElementType();
  if (!isa<FloatType>(elementType))
    return node.emitError() << "expects a float input";
  if (node.getAttrInt("stash_type", 1) != 1)
    return node.emitError() << "supports stash_type = 1 (float) only";
  int64_t rank = type.getRank();
  FailureOr<int64_t> axis =
      node.normalizeAxis(node.getAttrInt("axis", -1), rank);
  if (failed(axis))
    return failure();
  double epsilon = node.getAttrFloat("epsilon", 1e-5f);
  OpBuilder &b = node.b;
  Location loc = node.loc;
  ArrayRef<int64_t> shape = type.getShape();
  SmallVector<int64_t> axes;
  int64_t count = 1;
  for (int64_t i = *axis; i < rank; ++i) {
    axes.push_back(i);
    count *= shape[i];
  }
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
  Value input = node.getInput(0);
  Value mean = divideByCount(
      buildReduction(b, loc, input, axes, /*keepDims=*/true, 0, add));
  Value centered = buildElementwise(
      b, loc, {input, mean}, shape, elementType,
      [](OpBuilder &nb, Location nloc, ValueRange args) -> Value {
        return arith::SubFOp::create(nb, nloc, args[0], args[1]);
      });
  Value squared = buildElementwise(
      b, loc, centered, shape, elementType,
      [](OpBuilder &nb, Location nloc, ValueRange args) -> Value {
        return arith::MulFOp::create(nb, nloc, args[0], args[0]);
      });
  Value var = divideByCount(
      buildReduction(b, loc, squared, axes, /*keepDims=*/true, 0, add));
  auto statType = cast<RankedTensorType>(var.getType());
  Value invStd = buildElementwise(
      b, loc, var, statType.getShape(), elementType,
      [&](OpBuilder &nb, Location nloc, ValueRange args) -> Value {
        Value eps = createScalar(nb, nloc, elementType, epsilon);
        Value v = arith::AddFOp::create(nb, nloc, args[0], eps);
        return math::RsqrtOp::create(nb, nloc, v);
      });
  SmallVector<Value> inputs = {centered, invStd, node.getInput(1)};
  bool hasBias = node.hasInput(2);
  if (hasBias)
    inputs.push_back(node.getInput(2));
  FailureOr<Value> result = buildBroadcastElementwise(
      node, inputs, elementType,
      [&](OpBuilder &nb, Location nloc, ValueRange args) -> Value {
        Value normed = arith::MulFOp::create(nb, nloc, args[0], args[1]);
        Value scaled = arith::MulFOp::create(nb, nloc, normed, args[2]);
        if (!hasBias)
          return scaled;
        return arith::AddFOp::create(nb, nloc, scaled, args[3]);
      });
  if (failed(result))
    return failure();
  node.setOutput(0, *result);
  node.setOutput(1, mean);
  node.setOutput(2, invStd);
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
  map["Softmax"] = convertSoftmax;
  map["LogSoftmax"] = convertSoftmax;
  map["LayerNormalization"] = convertLayerNorm;
}

//===- ScatterOps.cpp - ONNX ScatterElements and ScatterND ------*- C++ -*-===//
//
// A scatter writes updates in order, so later updates win (or combine). As
// linalg on tensors it is one generic over the output positions (parallel)
// and the updates (a reduction, which runs in order), starting from the
// data: each output position takes, in turn, every update whose index
// lands on it. The cost is output size x update count, which suits the
// small scatters of exported models (index_put, KV-cache slots).
//
//===----------------------------------------------------------------------===//

#include "OnnxImporter.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using namespace mlir::effc::onnx_import;

namespace {

/// acc combined with an update by the node's `reduction`.
FailureOr<Value> combine(NodeImporter &node, OpBuilder &b, Location loc,
                         Value acc, Value update, bool isUnsigned) {
  std::string reduction = node.getAttrString("reduction", "none");
  if (reduction == "none")
    return update;
  if (reduction == "add")
    return createAddScalar(b, loc, acc, update);
  if (reduction == "mul")
    return createMulScalar(b, loc, acc, update);
  if (reduction == "max")
    return createMaxScalar(b, loc, acc, update, isUnsigned);
  if (reduction == "min")
    return createMinScalar(b, loc, acc, update, isUnsigned);
  return failure();
}

/// `index` (any integer type) with negative values counted from `dim`, as
/// an index.
Value wrapIndex(OpBuilder &b, Location loc, Value index, int64_t dim) {
  Value idx = arith::IndexCastOp::create(b, loc, b.getIndexType(), index);
  Value isNeg =
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, idx,
                            arith::ConstantIndexOp::create(b, loc, 0));
  Value wrapped = arith::AddIOp::create(
      b, loc, idx, arith::ConstantIndexOp::create(b, loc, dim));
  return arith::SelectOp::create(b, loc, isNeg, wrapped, idx);
}

Value isEqual(OpBuilder &b, Location loc, Value x, Value y) {
  return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, x, y);
}

/// The generic shared by both ops: output dims [0, rank) parallel, update
/// dims after them reduced; `hit` decides whether an update lands on the
/// output position.
FailureOr<Value>
buildScatter(NodeImporter &node, ArrayRef<Value> inputs,
             ArrayRef<AffineMap> inputMaps, int64_t numUpdateDims,
             function_ref<Value(OpBuilder &, Location, ValueRange)> hit,
             unsigned updateArg) {
  std::string reduction = node.getAttrString("reduction", "none");
  if (reduction != "none" && reduction != "add" && reduction != "mul" &&
      reduction != "max" && reduction != "min")
    return node.emitError() << "has an unknown reduction '" << reduction << "'";
  RankedTensorType type = node.getInputType(0);
  int64_t rank = type.getRank();
  int64_t numDims = rank + numUpdateDims;
  MLIRContext *context = node.b.getContext();
  SmallVector<AffineExpr> outExprs;
  for (int64_t d = 0; d < rank; ++d)
    outExprs.push_back(getAffineDimExpr(d, context));
  SmallVector<AffineMap> maps(inputMaps);
  maps.push_back(AffineMap::get(numDims, 0, outExprs, context));
  SmallVector<utils::IteratorType> iterators(rank,
                                             utils::IteratorType::parallel);
  iterators.append(numUpdateDims, utils::IteratorType::reduction);
  bool isUnsigned = node.isInputUnsigned(0);
  // The output starts as a copy of the data.
  Value init = buildElementwise(
      node.b, node.loc, node.getInput(0), type.getShape(),
      type.getElementType(),
      [](OpBuilder &, Location, ValueRange args) { return args[0]; });
  bool failedCombine = false;
  Value result =
      linalg::GenericOp::create(
          node.b, node.loc, type, inputs, init, maps, iterators,
          [&](OpBuilder &b, Location loc, ValueRange args) {
            Value acc = args.back();
            FailureOr<Value> combined =
                combine(node, b, loc, acc, args[updateArg], isUnsigned);
            if (failed(combined)) {
              failedCombine = true;
              combined = acc;
            }
            Value landed = hit(b, loc, args);
            linalg::YieldOp::create(
                b, loc,
                arith::SelectOp::create(b, loc, landed, *combined, acc)
                    .getResult());
          })
          .getResult(0);
  if (failedCombine)
    return failure();
  return result;
}

/// out[i with i[axis] = indices[u]] = updates[u], u over updates' shape.
LogicalResult convertScatterElements(NodeImporter &node) {
  RankedTensorType type = node.getInputType(0);
  RankedTensorType indexType = node.getInputType(1);
  RankedTensorType updateType = node.getInputType(2);
  int64_t rank = type.getRank();
  if (indexType.getShape() != updateType.getShape() ||
      indexType.getRank() != rank ||
      updateType.getElementType() != type.getElementType())
    return node.emitError() << "indices " << indexType << " and updates "
                            << updateType << " do not fit data " << type;
  FailureOr<int64_t> axis =
      node.normalizeAxis(node.getAttrInt("axis", 0), rank);
  if (failed(axis))
    return failure();
  MLIRContext *context = node.b.getContext();
  SmallVector<AffineExpr> updateExprs;
  for (int64_t d = 0; d < rank; ++d)
    updateExprs.push_back(getAffineDimExpr(rank + d, context));
  AffineMap updateMap = AffineMap::get(2 * rank, 0, updateExprs, context);
  int64_t axisDim = type.getDimSize(*axis);
  FailureOr<Value> result = buildScatter(
      node, {node.getInput(1), node.getInput(2)}, {updateMap, updateMap}, rank,
      [&](OpBuilder &b, Location loc, ValueRange args) -> Value {
        Value landed;
        for (int64_t d = 0; d < rank; ++d) {
          Value position = linalg::IndexOp::create(b, loc, d);
          Value target =
              d == *axis
                  ? wrapIndex(b, loc, args[0], axisDim)
                  : linalg::IndexOp::create(b, loc, rank + d).getResult();
          Value eq = isEqual(b, loc, position, target);
          landed = landed ? arith::AndIOp::create(b, loc, landed, eq) : eq;
        }
        return landed;
      },
      /*updateArg=*/1);
  if (failed(result))
    return failure();
  node.setOutput(0, *result, node.isInputUnsigned(0));
  return success();
}

/// out[indices[q, :], j...] = updates[q, j...], q over indices' leading dims.
LogicalResult convertScatterND(NodeImporter &node) {
  RankedTensorType type = node.getInputType(0);
  RankedTensorType indexType = node.getInputType(1);
  RankedTensorType updateType = node.getInputType(2);
  int64_t rank = type.getRank();
  int64_t q = indexType.getRank() - 1;
  int64_t k = q >= 0 ? indexType.getShape().back() : 0;
  SmallVector<int64_t> expected(indexType.getShape().drop_back());
  if (q >= 0)
    llvm::append_range(expected, type.getShape().drop_front(k));
  if (q < 0 || k > rank ||
      ArrayRef<int64_t>(expected) != updateType.getShape() ||
      updateType.getElementType() != type.getElementType())
    return node.emitError() << "indices " << indexType << " and updates "
                            << updateType << " do not fit data " << type;
  MLIRContext *context = node.b.getContext();
  SmallVector<AffineExpr> updateExprs;
  for (int64_t d = 0; d < q; ++d)
    updateExprs.push_back(getAffineDimExpr(rank + d, context));
  for (int64_t d = k; d < rank; ++d)
    updateExprs.push_back(getAffineDimExpr(d, context));
  AffineMap updateMap = AffineMap::get(rank + q, 0, updateExprs, context);
  Value indices = node.getInput(1);
  FailureOr<Value> result = buildScatter(
      node, {node.getInput(2)}, {updateMap}, q,
      [&](OpBuilder &b, Location loc, ValueRange) -> Value {
        SmallVector<Value> at;
        for (int64_t d = 0; d < q; ++d)
          at.push_back(linalg::IndexOp::create(b, loc, rank + d));
        Value landed;
        for (int64_t t = 0; t < k; ++t) {
          SmallVector<Value> where(at);
          where.push_back(arith::ConstantIndexOp::create(b, loc, t));
          Value target = wrapIndex(
              b, loc, tensor::ExtractOp::create(b, loc, indices, where),
              type.getDimSize(t));
          Value eq =
              isEqual(b, loc, linalg::IndexOp::create(b, loc, t), target);
          landed = landed ? arith::AndIOp::create(b, loc, landed, eq) : eq;
        }
        return landed ? landed
                      : arith::ConstantIntOp::create(b, loc, 1, 1).getResult();
      },
      /*updateArg=*/0);
  if (failed(result))
    return failure();
  node.setOutput(0, *result, node.isInputUnsigned(0));
  return success();
}

} // namespace

void mlir::effc::onnx_import::addScatterConverters(ConverterMap &map) {
  map["ScatterElements"] = convertScatterElements;
  // Scatter (deprecated since opset 11) is ScatterElements without
  // reduction.
  map["Scatter"] = convertScatterElements;
  map["ScatterND"] = convertScatterND;
}

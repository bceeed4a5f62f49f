//===- ShapeOps.cpp - ONNX data movement and constants ----------*- C++ -*-===//
//
// Reshape, Flatten, Squeeze, Unsqueeze (tensor.collapse_shape/expand_shape),
// Transpose (linalg.transpose), Concat (tensor.concat), Slice and Split
// (tensor.extract_slice), Gather (a generic reading with tensor.extract, as
// torch-mlir writes embeddings), Expand, Pad (constant: tensor.pad; edge,
// reflect: a generic reading clamped or mirrored indices), and the ops that
// fold to constants: Constant, Shape, Size, ConstantOfShape, Identity of a
// constant. Shapes, axes and indices that define the result type must be
// constants.
//
//===----------------------------------------------------------------------===//

#include "OnnxImporter.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"

#include <numeric>

using namespace mlir;
using namespace mlir::effc::onnx_import;

namespace {

onnx::TensorProto makeInt64Tensor(ArrayRef<int64_t> values,
                                  ArrayRef<int64_t> shape) {
  onnx::TensorProto tensor;
  tensor.set_data_type(onnx::TensorProto::INT64);
  for (int64_t d : shape)
    tensor.add_dims(d);
  for (int64_t v : values)
    tensor.add_int64_data(v);
  return tensor;
}

Value extractSlice(OpBuilder &b, Location loc, Value input,
                   ArrayRef<int64_t> offsets, ArrayRef<int64_t> sizes,
                   ArrayRef<int64_t> strides) {
  MLIRContext *context = b.getContext();
  return tensor::ExtractSliceOp::create(
      b, loc, input, getAsIndexOpFoldResult(context, offsets),
      getAsIndexOpFoldResult(context, sizes),
      getAsIndexOpFoldResult(context, strides));
}

/// The axes of a node from its `axes` input (newer opsets) or attribute.
FailureOr<SmallVector<int64_t>> getAxes(NodeImporter &node, unsigned input) {
  if (node.hasInput(input))
    return node.getConstantInts(input);
  return node.getAttrInts("axes");
}

//===----------------------------------------------------------------------===//
// Constants
//===----------------------------------------------------------------------===//

LogicalResult convertConstant(NodeImporter &node) {
  if (const onnx::TensorProto *value = node.getAttrTensor("value")) {
    node.setConstantOutput(0, *value);
    return success();
  }
  onnx::TensorProto tensor;
  if (node.hasAttr("value_float")) {
    tensor.set_data_type(onnx::TensorProto::FLOAT);
    tensor.add_float_data(node.getAttrFloat("value_float", 0));
  } else if (node.hasAttr("value_floats")) {
    tensor.set_data_type(onnx::TensorProto::FLOAT);
    SmallVector<float> values = node.getAttrFloats("value_floats");
    tensor.add_dims(values.size());
    for (float v : values)
      tensor.add_float_data(v);
  } else if (node.hasAttr("value_int")) {
    tensor = makeInt64Tensor({node.getAttrInt("value_int", 0)}, {});
  } else if (node.hasAttr("value_ints")) {
    SmallVector<int64_t> values = node.getAttrInts("value_ints");
    tensor = makeInt64Tensor(values, {static_cast<int64_t>(values.size())});
  } else {
    return node.emitError() << "has no value attribute the importer reads "
                               "(sparse and string constants are not "
                               "supported)";
  }
  node.setConstantOutput(0, tensor);
  return success();
}

LogicalResult convertShape(NodeImporter &node) {
  ArrayRef<int64_t> shape = node.getInputType(0).getShape();
  int64_t rank = shape.size();
  int64_t start = node.getAttrInt("start", 0);
  int64_t end = node.getAttrInt("end", rank);
  if (start < 0)
    start += rank;
  if (end < 0)
    end += rank;
  start = std::clamp<int64_t>(start, 0, rank);
  end = std::clamp<int64_t>(end, start, rank);
  ArrayRef<int64_t> dims = shape.slice(start, end - start);
  node.setConstantOutput(0, makeInt64Tensor(dims, {end - start}));
  return success();
}

LogicalResult convertSize(NodeImporter &node) {
  node.setConstantOutput(
      0, makeInt64Tensor({node.getInputType(0).getNumElements()}, {}));
  return success();
}

LogicalResult convertConstantOfShape(NodeImporter &node) {
  FailureOr<SmallVector<int64_t>> shape = node.getConstantInts(0);
  if (failed(shape))
    return failure();
  Type elementType = node.b.getF32Type();
  double value = 0;
  int32_t onnxType = onnx::TensorProto::FLOAT;
  if (const onnx::TensorProto *tensor = node.getAttrTensor("value")) {
    onnxType = tensor->data_type();
    elementType = getElementType(node.b.getContext(), onnxType);
    FailureOr<SmallVector<double>> values = getTensorDoubles(*tensor, node.loc);
    if (failed(values) || values->size() != 1 || !elementType)
      return node.emitError() << "expects a one-element numeric 'value'";
    value = (*values)[0];
  }
  node.setOutput(0, createFilled(node.b, node.loc, *shape, elementType, value),
                 isUnsignedOnnxType(onnxType));
  return success();
}

LogicalResult convertDropout(NodeImporter &node) {
  if (node.hasInput(2)) {
    FailureOr<SmallVector<int64_t>> training = node.getConstantInts(2);
    if (failed(training))
      return failure();
    if (llvm::any_of(*training, [](int64_t v) { return v != 0; }))
      return node.emitError() << "training mode is not supported";
  }
  node.setOutput(0, node.getInput(0), node.isInputUnsigned(0));
  // Inference keeps every element: the mask is all true.
  node.setOutput(1,
                 createFilled(node.b, node.loc, node.getInputType(0).getShape(),
                              node.b.getI1Type(), 1));
  return success();
}

LogicalResult convertIdentity(NodeImporter &node) {
  if (const onnx::TensorProto *constant = node.getConstantInput(0)) {
    node.setConstantOutput(0, *constant);
    return success();
  }
  node.setOutput(0, node.getInput(0), node.isInputUnsigned(0));
  return success();
}

//===----------------------------------------------------------------------===//
// Reshapes
//===----------------------------------------------------------------------===//

LogicalResult setReshaped(NodeImporter &node, ArrayRef<int64_t> shape) {
  RankedTensorType type = node.getInputType(0);
  int64_t numElements = 1;
  for (int64_t d : shape)
    numElements *= d;
  if (numElements != type.getNumElements())
    return node.emitError()
           << "cannot reshape " << type << " to " << shape.size()
           << "-D shape with " << numElements << " elements";
  node.setOutput(0, reshapeTo(node.b, node.loc, node.getInput(0), shape),
                 node.isInputUnsigned(0));
  return success();
}

LogicalResult convertReshape(NodeImporter &node) {
  FailureOr<SmallVector<int64_t>> target = node.getConstantInts(1);
  if (failed(target))
    return failure();
  RankedTensorType type = node.getInputType(0);
  bool allowZero = node.getAttrInt("allowzero", 0);
  SmallVector<int64_t> shape;
  int64_t inferred = -1, known = 1;
  for (auto [i, dim] : llvm::enumerate(*target)) {
    if (dim == 0 && !allowZero) {
      if (i >= static_cast<size_t>(type.getRank()))
        return node.emitError() << "copies dim #" << i << " of a rank-"
                                << type.getRank() << " input";
      dim = type.getDimSize(i);
    }
    if (dim == -1) {
      if (inferred >= 0)
        return node.emitError() << "has more than one -1 in its shape";
      inferred = i;
      shape.push_back(1);
      continue;
    }
    if (dim < 0)
      return node.emitError() << "has an invalid dim " << dim;
    known *= dim;
    shape.push_back(dim);
  }
  if (inferred >= 0) {
    if (known == 0 || type.getNumElements() % known)
      return node.emitError()
             << "cannot infer the -1 dim of a reshape of " << type;
    shape[inferred] = type.getNumElements() / known;
  }
  return setReshaped(node, shape);
}

LogicalResult convertFlatten(NodeImporter &node) {
  ArrayRef<int64_t> shape = node.getInputType(0).getShape();
  int64_t rank = shape.size();
  int64_t axis = node.getAttrInt("axis", 1);
  if (axis < 0)
    axis += rank;
  if (axis < 0 || axis > rank)
    return node.emitError() << "axis is out of range";
  int64_t outer = std::accumulate(shape.begin(), shape.begin() + axis,
                                  int64_t(1), std::multiplies<int64_t>());
  int64_t inner = std::accumulate(shape.begin() + axis, shape.end(), int64_t(1),
                                  std::multiplies<int64_t>());
  return setReshaped(node, {outer, inner});
}

LogicalResult convertSqueeze(NodeImporter &node) {
  ArrayRef<int64_t> shape = node.getInputType(0).getShape();
  FailureOr<SmallVector<int64_t>> axes = getAxes(node, 1);
  if (failed(axes))
    return failure();
  SmallVector<int64_t> normalized;
  for (int64_t axis : *axes) {
    FailureOr<int64_t> a = node.normalizeAxis(axis, shape.size());
    if (failed(a))
      return failure();
    if (shape[*a] != 1)
      return node.emitError()
             << "squeezes dim #" << *a << " of size " << shape[*a];
    normalized.push_back(*a);
  }
  SmallVector<int64_t> result;
  for (auto [i, dim] : llvm::enumerate(shape)) {
    bool squeezed =
        axes->empty() ? dim == 1 : llvm::is_contained(normalized, int64_t(i));
    if (!squeezed)
      result.push_back(dim);
  }
  return setReshaped(node, result);
}

LogicalResult convertUnsqueeze(NodeImporter &node) {
  ArrayRef<int64_t> shape = node.getInputType(0).getShape();
  FailureOr<SmallVector<int64_t>> axes = getAxes(node, 1);
  if (failed(axes))
    return failure();
  int64_t rank = shape.size() + axes->size();
  SmallVector<int64_t> normalized;
  for (int64_t axis : *axes) {
    FailureOr<int64_t> a = node.normalizeAxis(axis, rank);
    if (failed(a))
      return failure();
    normalized.push_back(*a);
  }
  SmallVector<int64_t> result;
  const int64_t *next = shape.begin();
  for (int64_t i = 0; i < rank; ++i)
    result.push_back(llvm::is_contained(normalized, i) ? 1 : *next++);
  return setReshaped(node, result);
}

//===----------------------------------------------------------------------===//
// Layout and slicing
//===----------------------------------------------------------------------===//

LogicalResult convertTranspose(NodeImporter &node) {
  int64_t rank = node.getInputType(0).getRank();
  SmallVector<int64_t> perm = node.getAttrInts("perm");
  if (perm.empty())
    for (int64_t i = rank - 1; i >= 0; --i)
      perm.push_back(i);
  SmallVector<int64_t> sorted(perm);
  llvm::sort(sorted);
  for (int64_t i = 0; i < rank; ++i)
    if (static_cast<int64_t>(sorted.size()) != rank || sorted[i] != i)
      return node.emitError() << "perm is not a permutation of rank " << rank;
  node.setOutput(0, transpose(node.b, node.loc, node.getInput(0), perm),
                 node.isInputUnsigned(0));
  return success();
}

LogicalResult convertConcat(NodeImporter &node) {
  RankedTensorType type = node.getInputType(0);
  FailureOr<int64_t> axis =
      node.normalizeAxis(node.getAttrInt("axis", 0), type.getRank());
  if (failed(axis))
    return failure();
  SmallVector<Value> inputs;
  for (unsigned i = 0; i < node.getNumInputs(); ++i) {
    RankedTensorType t = node.getInputType(i);
    if (!t || t.getRank() != type.getRank() ||
        t.getElementType() != type.getElementType())
      return node.emitError() << "inputs differ in rank or element type";
    for (int64_t d = 0; d < type.getRank(); ++d)
      if (d != *axis && t.getDimSize(d) != type.getDimSize(d))
        return node.emitError()
               << "input #" << i << " " << t << " does not match " << type
               << " outside the concatenated axis";
    // Empty inputs add nothing.
    if (t.getNumElements() == 0 && node.getNumInputs() > 1)
      continue;
    inputs.push_back(node.getInput(i));
  }
  if (inputs.size() == 1) {
    node.setOutput(0, inputs[0], node.isInputUnsigned(0));
    return success();
  }
  Value result = tensor::ConcatOp::create(node.b, node.loc, *axis, inputs);
  node.setOutput(0, result, node.isInputUnsigned(0));
  return success();
}

LogicalResult convertSlice(NodeImporter &node) {
  RankedTensorType type = node.getInputType(0);
  int64_t rank = type.getRank();
  SmallVector<int64_t> starts, ends, axes, steps;
  if (node.opset < 10) {
    starts = node.getAttrInts("starts");
    ends = node.getAttrInts("ends");
    axes = node.getAttrInts("axes");
  } else {
    auto s = node.getConstantInts(1), e = node.getConstantInts(2);
    if (failed(s) || failed(e))
      return failure();
    starts = *s;
    ends = *e;
    if (node.hasInput(3)) {
      auto a = node.getConstantInts(3);
      if (failed(a))
        return failure();
      axes = *a;
    }
    if (node.hasInput(4)) {
      auto st = node.getConstantInts(4);
      if (failed(st))
        return failure();
      steps = *st;
    }
  }
  if (axes.empty())
    for (int64_t i = 0, e = starts.size(); i < e; ++i)
      axes.push_back(i);
  if (steps.empty())
    steps.assign(starts.size(), 1);
  if (ends.size() != starts.size() || axes.size() != starts.size() ||
      steps.size() != starts.size())
    return node.emitError() << "starts, ends, axes and steps differ in length";

  SmallVector<int64_t> offsets(rank, 0), sizes(type.getShape()),
      strides(rank, 1);
  for (auto [start, end, axis, step] : llvm::zip(starts, ends, axes, steps)) {
    FailureOr<int64_t> a = node.normalizeAxis(axis, rank);
    if (failed(a))
      return failure();
    if (step == 0)
      return node.emitError() << "has a zero step";
    int64_t dim = type.getDimSize(*a);
    if (start < 0)
      start += dim;
    if (end < 0)
      end += dim;
    int64_t size;
    if (step > 0) {
      start = std::clamp<int64_t>(start, 0, dim);
      end = std::clamp<int64_t>(end, 0, dim);
      size = end > start ? (end - start + step - 1) / step : 0;
    } else {
      start = std::clamp<int64_t>(start, 0, dim - 1);
      end = std::clamp<int64_t>(end, -1, dim - 1);
      size = start > end ? (start - end - step - 1) / -step : 0;
    }
    offsets[*a] = size ? start : 0;
    sizes[*a] = size;
    strides[*a] = step;
  }
  Value input = node.getInput(0);
  Value result;
  if (llvm::is_contained(sizes, 0)) {
    result = createEmpty(node.b, node.loc, sizes, type.getElementType());
  } else if (llvm::all_of(strides, [](int64_t s) { return s > 0; })) {
    result = extractSlice(node.b, node.loc, input, offsets, sizes, strides);
  } else {
    // Negative steps: out[i] = in[offset + i * stride] per dim.
    result =
        linalg::GenericOp::create(
            node.b, node.loc,
            RankedTensorType::get(sizes, type.getElementType()), ValueRange{},
            createEmpty(node.b, node.loc, sizes, type.getElementType()),
            SmallVector<AffineMap>{
                AffineMap::getMultiDimIdentityMap(rank, node.b.getContext())},
            SmallVector<utils::IteratorType>(rank,
                                             utils::IteratorType::parallel),
            [&](OpBuilder &b, Location loc, ValueRange) {
              SmallVector<Value> indices;
              for (int64_t d = 0; d < rank; ++d) {
                Value i = linalg::IndexOp::create(b, loc, d);
                Value scaled = arith::MulIOp::create(
                    b, loc, i,
                    arith::ConstantIndexOp::create(b, loc, strides[d]));
                indices.push_back(arith::AddIOp::create(
                    b, loc, scaled,
                    arith::ConstantIndexOp::create(b, loc, offsets[d])));
              }
              Value v = tensor::ExtractOp::create(b, loc, input, indices);
              linalg::YieldOp::create(b, loc, v);
            })
            .getResult(0);
  }
  node.setOutput(0, result, node.isInputUnsigned(0));
  return success();
}

LogicalResult convertSplit(NodeImporter &node) {
  RankedTensorType type = node.getInputType(0);
  FailureOr<int64_t> axis =
      node.normalizeAxis(node.getAttrInt("axis", 0), type.getRank());
  if (failed(axis))
    return failure();
  int64_t dim = type.getDimSize(*axis);
  SmallVector<int64_t> split;
  if (node.hasInput(1)) {
    auto s = node.getConstantInts(1);
    if (failed(s))
      return failure();
    split = *s;
  } else {
    split = node.getAttrInts("split");
  }
  int64_t numOutputs = node.getNumOutputs();
  if (split.empty()) {
    int64_t chunk = (dim + numOutputs - 1) / numOutputs;
    for (int64_t i = 0; i < numOutputs; ++i)
      split.push_back(std::min(chunk, dim - i * chunk));
  }
  if (static_cast<int64_t>(split.size()) != numOutputs ||
      std::accumulate(split.begin(), split.end(), int64_t(0)) != dim)
    return node.emitError() << "split sizes do not add up to dim " << dim
                            << " over " << numOutputs << " outputs";
  int64_t offset = 0;
  for (auto [i, size] : llvm::enumerate(split)) {
    SmallVector<int64_t> offsets(type.getRank(), 0), sizes(type.getShape()),
        strides(type.getRank(), 1);
    offsets[*axis] = offset;
    sizes[*axis] = size;
    offset += size;
    if (size == 0) {
      // An empty piece: nothing to slice (its offset may be out of bounds).
      node.setOutput(
          i, createEmpty(node.b, node.loc, sizes, type.getElementType()),
          node.isInputUnsigned(0));
      continue;
    }
    node.setOutput(i,
                   extractSlice(node.b, node.loc, node.getInput(0), offsets,
                                sizes, strides),
                   node.isInputUnsigned(0));
  }
  return success();
}

LogicalResult convertGather(NodeImporter &node) {
  RankedTensorType dataType = node.getInputType(0);
  RankedTensorType indexType = node.getInputType(1);
  FailureOr<int64_t> axis =
      node.normalizeAxis(node.getAttrInt("axis", 0), dataType.getRank());
  if (failed(axis))
    return failure();
  int64_t indexRank = indexType.getRank();
  SmallVector<int64_t> shape;
  for (int64_t i = 0; i < *axis; ++i)
    shape.push_back(dataType.getDimSize(i));
  llvm::append_range(shape, indexType.getShape());
  for (int64_t i = *axis + 1; i < dataType.getRank(); ++i)
    shape.push_back(dataType.getDimSize(i));
  int64_t rank = shape.size();
  MLIRContext *context = node.b.getContext();
  SmallVector<AffineExpr> indexExprs;
  for (int64_t i = 0; i < indexRank; ++i)
    indexExprs.push_back(getAffineDimExpr(*axis + i, context));
  SmallVector<AffineMap> maps = {
      AffineMap::get(rank, 0, indexExprs, context),
      AffineMap::getMultiDimIdentityMap(rank, context)};
  Value data = node.getInput(0);
  int64_t axisDim = dataType.getDimSize(*axis);
  Value result =
      linalg::GenericOp::create(
          node.b, node.loc,
          RankedTensorType::get(shape, dataType.getElementType()),
          node.getInput(1),
          createEmpty(node.b, node.loc, shape, dataType.getElementType()), maps,
          SmallVector<utils::IteratorType>(rank, utils::IteratorType::parallel),
          [&](OpBuilder &b, Location loc, ValueRange args) {
            // Negative indices count from the end.
            Value idx =
                arith::IndexCastOp::create(b, loc, b.getIndexType(), args[0]);
            Value zero = arith::ConstantIndexOp::create(b, loc, 0);
            Value isNeg = arith::CmpIOp::create(
                b, loc, arith::CmpIPredicate::slt, idx, zero);
            Value wrapped = arith::AddIOp::create(
                b, loc, idx, arith::ConstantIndexOp::create(b, loc, axisDim));
            idx = arith::SelectOp::create(b, loc, isNeg, wrapped, idx);
            SmallVector<Value> indices;
            for (int64_t i = 0; i < *axis; ++i)
              indices.push_back(linalg::IndexOp::create(b, loc, i));
            indices.push_back(idx);
            for (int64_t i = *axis + 1; i < dataType.getRank(); ++i)
              indices.push_back(
                  linalg::IndexOp::create(b, loc, i - 1 + indexRank));
            Value v = tensor::ExtractOp::create(b, loc, data, indices);
            linalg::YieldOp::create(b, loc, v);
          })
          .getResult(0);
  node.setOutput(0, result, node.isInputUnsigned(0));
  return success();
}

/// out[i] = data[i with i[axis] replaced by indices[i]].
LogicalResult convertGatherElements(NodeImporter &node) {
  RankedTensorType dataType = node.getInputType(0);
  RankedTensorType indexType = node.getInputType(1);
  int64_t rank = dataType.getRank();
  if (indexType.getRank() != rank)
    return node.emitError() << "data and indices differ in rank";
  FailureOr<int64_t> axis =
      node.normalizeAxis(node.getAttrInt("axis", 0), rank);
  if (failed(axis))
    return failure();
  Value data = node.getInput(0);
  int64_t axisDim = dataType.getDimSize(*axis);
  Value result = buildElementwise(
      node.b, node.loc, node.getInput(1), indexType.getShape(),
      dataType.getElementType(),
      [&](OpBuilder &b, Location loc, ValueRange args) -> Value {
        Value idx =
            arith::IndexCastOp::create(b, loc, b.getIndexType(), args[0]);
        Value zero = arith::ConstantIndexOp::create(b, loc, 0);
        Value isNeg =
            arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, idx, zero);
        Value wrapped = arith::AddIOp::create(
            b, loc, idx, arith::ConstantIndexOp::create(b, loc, axisDim));
        idx = arith::SelectOp::create(b, loc, isNeg, wrapped, idx);
        SmallVector<Value> indices;
        for (int64_t d = 0; d < rank; ++d)
          indices.push_back(
              d == *axis ? idx
                         : linalg::IndexOp::create(b, loc, d).getResult());
        return tensor::ExtractOp::create(b, loc, data, indices);
      });
  node.setOutput(0, result, node.isInputUnsigned(0));
  return success();
}

LogicalResult convertExpand(NodeImporter &node) {
  FailureOr<SmallVector<int64_t>> shape = node.getConstantInts(1);
  if (failed(shape))
    return failure();
  RankedTensorType type = node.getInputType(0);
  FailureOr<SmallVector<int64_t>> result = getBroadcastShape(
      {llvm::to_vector(type.getShape()), SmallVector<int64_t>(*shape)});
  if (failed(result))
    return node.emitError() << "cannot broadcast " << type << " to the shape";
  node.setOutput(0,
                 buildElementwise(node.b, node.loc, node.getInput(0), *result,
                                  type.getElementType(),
                                  [](OpBuilder &, Location, ValueRange args) {
                                    return args[0];
                                  }),
                 node.isInputUnsigned(0));
  return success();
}

/// Edge and reflect padding: each output element reads the input at its
/// position minus `low`, clamped to the edge or mirrored at it.
Value buildIndexPad(OpBuilder &b, Location loc, Value input,
                    ArrayRef<int64_t> shape, ArrayRef<int64_t> low,
                    bool reflect) {
  auto type = cast<RankedTensorType>(input.getType());
  int64_t rank = type.getRank();
  return buildElementwise(
      b, loc, ValueRange{}, shape, type.getElementType(),
      [&](OpBuilder &nb, Location nloc, ValueRange) -> Value {
        SmallVector<Value> indices;
        for (int64_t d = 0; d < rank; ++d) {
          auto c = [&](int64_t v) -> Value {
            return arith::ConstantIndexOp::create(nb, nloc, v);
          };
          Value i = arith::SubIOp::create(
              nb, nloc, linalg::IndexOp::create(nb, nloc, d), c(low[d]));
          int64_t last = type.getDimSize(d) - 1;
          if (reflect) {
            // -i below 0, 2 * last - i past the end.
            Value neg = arith::CmpIOp::create(
                nb, nloc, arith::CmpIPredicate::slt, i, c(0));
            i = arith::SelectOp::create(
                nb, nloc, neg, arith::SubIOp::create(nb, nloc, c(0), i), i);
            Value past = arith::CmpIOp::create(
                nb, nloc, arith::CmpIPredicate::sgt, i, c(last));
            i = arith::SelectOp::create(
                nb, nloc, past, arith::SubIOp::create(nb, nloc, c(2 * last), i),
                i);
          } else {
            i = arith::MaxSIOp::create(nb, nloc, i, c(0));
            i = arith::MinSIOp::create(nb, nloc, i, c(last));
          }
          indices.push_back(i);
        }
        return tensor::ExtractOp::create(nb, nloc, input, indices);
      });
}

LogicalResult convertPad(NodeImporter &node) {
  std::string mode = node.getAttrString("mode", "constant");
  if (mode != "constant" && mode != "edge" && mode != "reflect")
    return node.emitError() << "has an unknown mode '" << mode << "'";
  RankedTensorType type = node.getInputType(0);
  int64_t rank = type.getRank();
  SmallVector<int64_t> pads;
  if (node.opset < 11) {
    pads = node.getAttrInts("pads");
  } else {
    auto p = node.getConstantInts(1);
    if (failed(p))
      return failure();
    pads = *p;
  }
  SmallVector<int64_t> axes;
  if (node.hasInput(3)) {
    auto a = node.getConstantInts(3);
    if (failed(a))
      return failure();
    for (int64_t axis : *a) {
      FailureOr<int64_t> n = node.normalizeAxis(axis, rank);
      if (failed(n))
        return failure();
      axes.push_back(*n);
    }
  } else {
    for (int64_t i = 0; i < rank; ++i)
      axes.push_back(i);
  }
  if (pads.size() != 2 * axes.size())
    return node.emitError()
           << "has " << pads.size() << " pads for " << axes.size() << " axes";
  SmallVector<int64_t> low(rank, 0), high(rank, 0);
  for (auto [i, axis] : llvm::enumerate(axes)) {
    low[axis] = pads[i];
    high[axis] = pads[i + axes.size()];
    if (low[axis] < 0 || high[axis] < 0)
      return node.emitError() << "negative pads are not supported";
  }
  SmallVector<int64_t> shape;
  for (int64_t i = 0; i < rank; ++i)
    shape.push_back(type.getDimSize(i) + low[i] + high[i]);
  if (mode != "constant") {
    for (int64_t i = 0; i < rank; ++i)
      if ((low[i] || high[i]) &&
          (type.getDimSize(i) == 0 ||
           (mode == "reflect" &&
            std::max(low[i], high[i]) >= type.getDimSize(i))))
        return node.emitError()
               << "cannot " << mode << "-pad dim #" << i << " of size "
               << type.getDimSize(i) << " by " << std::max(low[i], high[i]);
    node.setOutput(0,
                   buildIndexPad(node.b, node.loc, node.getInput(0), shape, low,
                                 mode == "reflect"),
                   node.isInputUnsigned(0));
    return success();
  }
  Value padValue;
  if (node.hasInput(2)) {
    padValue = tensor::ExtractOp::create(
        node.b, node.loc, reshapeTo(node.b, node.loc, node.getInput(2), {}),
        ValueRange{});
  } else {
    padValue = createScalar(node.b, node.loc, type.getElementType(),
                            node.getAttrFloat("value", 0));
  }
  Value result = createPad(node.b, node.loc,
                           RankedTensorType::get(shape, type.getElementType()),
                           node.getInput(0), low, high, padValue);
  node.setOutput(0, result, node.isInputUnsigned(0));
  return success();
}

/// Constant Ranges are folded (ConstantFolding.cpp); others would have a
/// data-dependent shape.
LogicalResult convertRange(NodeImporter &node) {
  for (unsigned i = 0; i < 3; ++i)
    if (!node.getConstantInput(i))
      return node.emitError()
             << "input #" << i << " ('" << node.getNode().input(i)
             << "') must be a constant: it defines the result's shape";
  return node.emitError() << "only Ranges of integers or floats of up to "
                             "4096 elements are supported";
}

} // namespace

void mlir::effc::onnx_import::addShapeConverters(ConverterMap &map) {
  map["Constant"] = convertConstant;
  map["Shape"] = convertShape;
  map["Size"] = convertSize;
  map["ConstantOfShape"] = convertConstantOfShape;
  map["Identity"] = convertIdentity;
  // Inference mode: Dropout passes its input through (its mask output is
  // not supported).
  map["Dropout"] = convertDropout;
  map["Reshape"] = convertReshape;
  map["Flatten"] = convertFlatten;
  map["Squeeze"] = convertSqueeze;
  map["Unsqueeze"] = convertUnsqueeze;
  map["Transpose"] = convertTranspose;
  map["Concat"] = convertConcat;
  map["Slice"] = convertSlice;
  map["Split"] = convertSplit;
  map["Gather"] = convertGather;
  map["GatherElements"] = convertGatherElements;
  map["Expand"] = convertExpand;
  map["Range"] = convertRange;
  map["Pad"] = convertPad;
}

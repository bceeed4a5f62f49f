//===- ConstantFolding.cpp - ONNX shape arithmetic at import ----*- C++ -*-===//
//
// Exported models compute shapes with small integer graphs (Shape -> Gather
// -> Unsqueeze -> Concat -> Reshape). With static shapes their inputs are
// constants, so the importer evaluates them here, and Reshape, Expand,
// ConstantOfShape, ... downstream see constants instead of tensors. Only
// small tensors are folded; everything else is converted as usual.
//
//===----------------------------------------------------------------------===//

#include "OnnxImporter.h"

#include "llvm/ADT/StringSet.h"

#include <cmath>
#include <limits>

using namespace mlir;
using namespace mlir::effc::onnx_import;

using onnx::TensorProto;

namespace {

/// Larger results are left to the regular conversion.
constexpr int64_t kMaxFoldedElements = 4096;

/// A constant being folded: values held as doubles (exact for shapes).
struct Folded {
  int32_t type = TensorProto::INT64;
  SmallVector<int64_t> shape;
  SmallVector<double> values;
};

int64_t getNumElements(ArrayRef<int64_t> shape) {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

bool isFoldableType(int32_t type) {
  switch (type) {
  case TensorProto::INT64:
  case TensorProto::INT32:
  case TensorProto::INT16:
  case TensorProto::INT8:
  case TensorProto::UINT8:
  case TensorProto::BOOL:
  case TensorProto::FLOAT:
  case TensorProto::DOUBLE:
    return true;
  default:
    return false;
  }
}

bool isIntegerType(int32_t type) {
  return type != TensorProto::FLOAT && type != TensorProto::DOUBLE;
}

TensorProto toTensor(const Folded &folded) {
  TensorProto tensor;
  tensor.set_data_type(folded.type);
  for (int64_t d : folded.shape)
    tensor.add_dims(d);
  for (double v : folded.values) {
    switch (folded.type) {
    case TensorProto::INT64:
      tensor.add_int64_data(static_cast<int64_t>(v));
      break;
    case TensorProto::FLOAT:
      tensor.add_float_data(static_cast<float>(v));
      break;
    case TensorProto::DOUBLE:
      tensor.add_double_data(v);
      break;
    case TensorProto::BOOL:
      tensor.add_int32_data(v != 0);
      break;
    default:
      tensor.add_int32_data(static_cast<int32_t>(v));
      break;
    }
  }
  return tensor;
}

/// Rounds a value to what a tensor of `type` holds.
double castTo(double v, int32_t type) {
  switch (type) {
  case TensorProto::FLOAT:
    return static_cast<float>(v);
  case TensorProto::DOUBLE:
    return v;
  case TensorProto::BOOL:
    return v != 0;
  default:
    return std::trunc(v);
  }
}

/// The flat index into `inShape` (numpy-broadcast to `outShape`) of the
/// output element with flat index `flat`.
int64_t broadcastIndex(int64_t flat, ArrayRef<int64_t> outShape,
                       ArrayRef<int64_t> inShape) {
  int64_t index = 0, stride = 1;
  int64_t offset = outShape.size() - inShape.size();
  for (int64_t d = outShape.size() - 1; d >= 0; --d) {
    int64_t coord = flat % outShape[d];
    flat /= outShape[d];
    if (d < offset)
      continue;
    int64_t inDim = inShape[d - offset];
    if (inDim != 1)
      index += coord * stride;
    stride *= inDim;
  }
  return index;
}

FailureOr<Folded> foldElementwise(StringRef op, ArrayRef<Folded> in,
                                  int32_t resultType) {
  SmallVector<SmallVector<int64_t>> shapes;
  for (const Folded &f : in)
    shapes.push_back(f.shape);
  FailureOr<SmallVector<int64_t>> shape = getBroadcastShape(shapes);
  if (failed(shape))
    return failure();
  Folded out;
  out.type = resultType;
  out.shape = *shape;
  bool integer = isIntegerType(in[0].type);
  for (int64_t i = 0, e = getNumElements(*shape); i < e; ++i) {
    double args[3] = {0, 0, 0};
    for (auto [k, f] : llvm::enumerate(in.take_front(3)))
      args[k] = f.values[broadcastIndex(i, *shape, f.shape)];
    double a = args[0], b = args[1], r = 0;
    if (op == "Add")
      r = a + b;
    else if (op == "Sub")
      r = a - b;
    else if (op == "Mul")
      r = a * b;
    else if (op == "Div") {
      if (integer && b == 0)
        return failure();
      r = integer ? std::trunc(a / b) : a / b;
    } else if (op == "Max")
      r = std::max(a, b);
    else if (op == "Min")
      r = std::min(a, b);
    else if (op == "Equal")
      r = a == b;
    else if (op == "Less")
      r = a < b;
    else if (op == "Greater")
      r = a > b;
    else if (op == "Where")
      r = a != 0 ? b : args[2];
    else if (op == "Neg")
      r = -a;
    else if (op == "Abs")
      r = std::fabs(a);
    else if (op == "Not")
      r = a == 0;
    else if (op == "Sqrt")
      r = std::sqrt(a);
    else if (op == "Cast")
      r = a;
    else
      return failure();
    out.values.push_back(castTo(r, resultType));
  }
  return out;
}

FailureOr<Folded> foldConcat(NodeImporter &node, ArrayRef<Folded> in) {
  int64_t rank = in[0].shape.size();
  FailureOr<int64_t> axis =
      node.normalizeAxis(node.getAttrInt("axis", 0), rank);
  if (failed(axis))
    return failure();
  Folded out;
  out.type = in[0].type;
  out.shape = in[0].shape;
  out.shape[*axis] = 0;
  for (const Folded &f : in) {
    if (static_cast<int64_t>(f.shape.size()) != rank)
      return failure();
    out.shape[*axis] += f.shape[*axis];
  }
  int64_t outer =
      getNumElements(ArrayRef<int64_t>(out.shape).take_front(*axis));
  for (int64_t o = 0; o < outer; ++o)
    for (const Folded &f : in) {
      int64_t chunk =
          getNumElements(ArrayRef<int64_t>(f.shape).drop_front(*axis));
      for (int64_t i = 0; i < chunk; ++i)
        out.values.push_back(f.values[o * chunk + i]);
    }
  return out;
}

FailureOr<Folded> foldGather(NodeImporter &node, ArrayRef<Folded> in) {
  const Folded &data = in[0], &indices = in[1];
  int64_t rank = data.shape.size();
  FailureOr<int64_t> axis =
      node.normalizeAxis(node.getAttrInt("axis", 0), rank);
  if (failed(axis))
    return failure();
  int64_t outer =
      getNumElements(ArrayRef<int64_t>(data.shape).take_front(*axis));
  int64_t inner =
      getNumElements(ArrayRef<int64_t>(data.shape).drop_front(*axis + 1));
  int64_t dim = data.shape[*axis];
  Folded out;
  out.type = data.type;
  out.shape.append(data.shape.begin(), data.shape.begin() + *axis);
  out.shape.append(indices.shape.begin(), indices.shape.end());
  out.shape.append(data.shape.begin() + *axis + 1, data.shape.end());
  for (int64_t o = 0; o < outer; ++o)
    for (double idx : indices.values) {
      int64_t k = static_cast<int64_t>(idx);
      if (k < 0)
        k += dim;
      if (k < 0 || k >= dim)
        return failure();
      for (int64_t i = 0; i < inner; ++i)
        out.values.push_back(data.values[(o * dim + k) * inner + i]);
    }
  return out;
}

/// A folded index as int64: exporters write INT64_MAX / INT64_MIN for
/// "to the end", which a double holds only approximately (converting it
/// back overflows).
int64_t toIndex(double v) {
  if (v >= 9.2e18)
    return std::numeric_limits<int64_t>::max() / 2;
  if (v <= -9.2e18)
    return std::numeric_limits<int64_t>::min() / 2;
  return static_cast<int64_t>(v);
}

/// Slices of 1-D constants (the common shape-vector case).
FailureOr<Folded> foldSlice(ArrayRef<Folded> in) {
  if (in[0].shape.size() != 1 || in.size() < 3)
    return failure();
  int64_t dim = in[0].shape[0];
  int64_t start = toIndex(in[1].values[0]), end = toIndex(in[2].values[0]);
  int64_t step = in.size() > 4 ? static_cast<int64_t>(in[4].values[0]) : 1;
  if (step == 0 ||
      (in.size() > 3 && in[3].values[0] != 0 && in[3].values[0] != -1))
    return failure();
  if (start < 0)
    start += dim;
  if (end < 0)
    end += dim;
  Folded out;
  out.type = in[0].type;
  if (step > 0) {
    start = std::clamp<int64_t>(start, 0, dim);
    end = std::clamp<int64_t>(end, 0, dim);
    for (int64_t i = start; i < end; i += step)
      out.values.push_back(in[0].values[i]);
  } else {
    start = std::clamp<int64_t>(start, 0, dim - 1);
    end = std::clamp<int64_t>(end, -1, dim - 1);
    for (int64_t i = start; i > end; i += step)
      out.values.push_back(in[0].values[i]);
  }
  out.shape = {static_cast<int64_t>(out.values.size())};
  return out;
}

FailureOr<Folded> foldRange(ArrayRef<Folded> in) {
  double start = in[0].values[0], limit = in[1].values[0],
         delta = in[2].values[0];
  if (delta == 0)
    return failure();
  int64_t n = std::max<int64_t>(
      static_cast<int64_t>(std::ceil((limit - start) / delta)), 0);
  if (n > kMaxFoldedElements)
    return failure();
  Folded out;
  out.type = in[0].type;
  out.shape = {n};
  for (int64_t i = 0; i < n; ++i)
    out.values.push_back(castTo(start + i * delta, out.type));
  return out;
}

FailureOr<Folded> foldConstantOfShape(NodeImporter &node, const Folded &shape) {
  Folded out;
  out.type = TensorProto::FLOAT;
  double value = 0;
  if (const TensorProto *tensor = node.getAttrTensor("value")) {
    FailureOr<SmallVector<double>> values = getTensorDoubles(*tensor, node.loc);
    if (failed(values) || values->size() != 1 ||
        !isFoldableType(tensor->data_type()))
      return failure();
    out.type = tensor->data_type();
    value = (*values)[0];
  }
  for (double d : shape.values)
    out.shape.push_back(static_cast<int64_t>(d));
  int64_t n = getNumElements(out.shape);
  if (n < 0 || n > kMaxFoldedElements)
    return failure();
  out.values.assign(n, value);
  return out;
}

} // namespace

FailureOr<bool> mlir::effc::onnx_import::tryFoldNode(NodeImporter &node) {
  StringRef op = node.getOpType();
  static const llvm::StringSet<> foldableOps = {
      "Add",       "Sub",     "Mul",     "Div",     "Max",
      "Min",       "Equal",   "Less",    "Greater", "Where",
      "Neg",       "Abs",     "Not",     "Sqrt",    "Cast",
      "Concat",    "Gather",  "Slice",   "Range",   "ConstantOfShape",
      "Unsqueeze", "Squeeze", "Reshape", "Flatten"};
  bool foldable = foldableOps.contains(op);
  if (!foldable || node.getNumOutputs() != 1 || node.getNumInputs() == 0)
    return false;
  SmallVector<Folded> in;
  for (unsigned i = 0; i < node.getNumInputs(); ++i) {
    const TensorProto *tensor = node.getConstantInput(i);
    if (!tensor || !isFoldableType(tensor->data_type()) ||
        getNumElements(getTensorShape(*tensor)) > kMaxFoldedElements)
      return false;
    FailureOr<SmallVector<double>> values = getTensorDoubles(*tensor, node.loc);
    if (failed(values))
      return failure();
    in.push_back({tensor->data_type(), getTensorShape(*tensor), *values});
  }

  FailureOr<Folded> out = failure();
  if (op == "Concat") {
    out = foldConcat(node, in);
  } else if (op == "Gather") {
    out = foldGather(node, in);
  } else if (op == "Slice") {
    out = foldSlice(in);
  } else if (op == "Range") {
    out = foldRange(in);
  } else if (op == "ConstantOfShape") {
    out = foldConstantOfShape(node, in[0]);
  } else if (op == "Unsqueeze" || op == "Squeeze" || op == "Reshape" ||
             op == "Flatten") {
    // The data keeps its order; ONNX shape inference knows the shape.
    std::optional<SmallVector<int64_t>> shape = node.getInferredShape(0);
    if (!shape || getNumElements(*shape) != getNumElements(in[0].shape))
      return false;
    out = in[0];
    out->shape = *shape;
  } else {
    int32_t type = in[0].type;
    if (op == "Equal" || op == "Less" || op == "Greater")
      type = TensorProto::BOOL;
    else if (op == "Where")
      type = in[1].type;
    else if (op == "Cast")
      type = node.getAttrInt("to", 0);
    if (!isFoldableType(type))
      return false;
    out = foldElementwise(op, in, type);
  }
  if (failed(out) || getNumElements(out->shape) > kMaxFoldedElements)
    return false;
  node.setConstantOutput(0, toTensor(*out));
  return true;
}

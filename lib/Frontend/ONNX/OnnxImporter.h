//===- OnnxImporter.h - state shared by the ONNX op importers ---*- C++ -*-===//
//
// Private to lib/Frontend/ONNX. The graph importer walks the nodes in order
// and hands each to the conversion registered for its op type; a conversion
// sees its node through a NodeImporter (inputs as tensors, constant inputs as
// numbers, attributes, the builder and the node's location) and sets the
// node's results. The op families live in one file each (*Ops.cpp) and the
// linalg builders they share in OnnxBuilders.cpp.
//
//===----------------------------------------------------------------------===//

#ifndef EFFC_LIB_FRONTEND_ONNX_ONNXIMPORTER_H
#define EFFC_LIB_FRONTEND_ONNX_ONNXIMPORTER_H

#include "mlir/Dialect/Utils/StructuredOpsUtils.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Diagnostics.h"
#include "llvm/ADT/StringMap.h"

#include <onnx/onnx_pb.h>

#include <optional>
#include <vector>

namespace mlir {
namespace effc {
namespace onnx_import {

class GraphImporter;

//===----------------------------------------------------------------------===//
// Tensor data
//===----------------------------------------------------------------------===//

/// The MLIR element type of an ONNX `TensorProto::DataType` (unsigned ONNX
/// types map to signless integers), or null for types effc does not import.
Type getElementType(MLIRContext *context, int32_t onnxType);

/// Whether an ONNX data type is an unsigned integer.
bool isUnsignedOnnxType(int32_t onnxType);

/// The elements of an initializer or a constant, little-endian and packed as
/// MLIR stores them (one byte per bool).
FailureOr<std::vector<char>> getTensorBytes(const onnx::TensorProto &tensor,
                                            Location loc);

/// The shape of a TensorProto.
SmallVector<int64_t> getTensorShape(const onnx::TensorProto &tensor);

/// The elements of a constant tensor as integers / doubles (any numeric type).
FailureOr<SmallVector<int64_t>> getTensorInts(const onnx::TensorProto &tensor,
                                              Location loc);
FailureOr<SmallVector<double>> getTensorDoubles(const onnx::TensorProto &tensor,
                                                Location loc);

//===----------------------------------------------------------------------===//
// NodeImporter
//===----------------------------------------------------------------------===//

/// One node being converted.
class NodeImporter {
public:
  NodeImporter(GraphImporter &graph, const onnx::NodeProto &node, OpBuilder &b,
               Location loc, int64_t opset)
      : b(b), loc(loc), opset(opset), graph(graph), node(node) {}

  OpBuilder &b;
  Location loc;
  /// The model's version of the default ONNX domain.
  int64_t opset;

  const onnx::NodeProto &getNode() const { return node; }
  StringRef getOpType() const { return node.op_type(); }

  /// Inputs, counting omitted optional ones (empty names) in the middle.
  unsigned getNumInputs() const { return node.input_size(); }
  bool hasInput(unsigned i) const {
    return i < getNumInputs() && !node.input(i).empty();
  }
  /// Input `i` as a ranked tensor (constants are materialized on demand).
  Value getInput(unsigned i);
  RankedTensorType getInputType(unsigned i);
  /// Whether input `i` holds an unsigned ONNX integer type.
  bool isInputUnsigned(unsigned i);
  /// Input `i` when it is a compile-time constant (an initializer, a
  /// Constant node or a folded shape computation), else null.
  const onnx::TensorProto *getConstantInput(unsigned i);
  /// The elements of a constant input; an error naming the input otherwise.
  FailureOr<SmallVector<int64_t>> getConstantInts(unsigned i);
  FailureOr<SmallVector<double>> getConstantDoubles(unsigned i);

  unsigned getNumOutputs() const { return node.output_size(); }
  /// The ONNX type of output `i` found by shape inference (0 when unknown).
  int32_t getOutputOnnxType(unsigned i);
  /// The static shape ONNX shape inference found for output `i`.
  std::optional<SmallVector<int64_t>> getInferredShape(unsigned i);
  /// Sets output `i`; `isUnsigned` records an unsigned ONNX integer type.
  void setOutput(unsigned i, Value value, bool isUnsigned = false);
  /// Sets output `i` to a compile-time constant (also usable as a value).
  void setConstantOutput(unsigned i, const onnx::TensorProto &tensor);

  bool hasAttr(StringRef name) const;
  int64_t getAttrInt(StringRef name, int64_t defaultValue) const;
  float getAttrFloat(StringRef name, float defaultValue) const;
  std::string getAttrString(StringRef name, StringRef defaultValue) const;
  SmallVector<int64_t> getAttrInts(StringRef name) const;
  SmallVector<float> getAttrFloats(StringRef name) const;
  const onnx::TensorProto *getAttrTensor(StringRef name) const;

  /// An error at the node ("<op> node '<name>': ..."); returns failure.
  InFlightDiagnostic emitError();

  /// Normalizes a possibly negative axis for a tensor of `rank`.
  FailureOr<int64_t> normalizeAxis(int64_t axis, int64_t rank);

private:
  const onnx::AttributeProto *findAttr(StringRef name) const;

  GraphImporter &graph;
  const onnx::NodeProto &node;
};

using ConvertFn = LogicalResult (*)(NodeImporter &);
using ConverterMap = llvm::StringMap<ConvertFn>;

/// Evaluates a node of small constant integer (shape) arithmetic at import
/// time and sets its output as a constant; false when it does not apply.
FailureOr<bool> tryFoldNode(NodeImporter &node);

/// The op families; each adds its op types to the map.
void addElementwiseConverters(ConverterMap &map);
void addLinearConverters(ConverterMap &map);
void addShapeConverters(ConverterMap &map);
void addReductionConverters(ConverterMap &map);
void addPoolingConverters(ConverterMap &map);
void addQuantConverters(ConverterMap &map);
void addRearrangeConverters(ConverterMap &map);
void addAttentionConverters(ConverterMap &map);
void addScatterConverters(ConverterMap &map);

//===----------------------------------------------------------------------===//
// Builders (OnnxBuilders.cpp)
//===----------------------------------------------------------------------===//

/// `tensor.empty` of a static shape.
Value createEmpty(OpBuilder &b, Location loc, ArrayRef<int64_t> shape,
                  Type elementType);
/// A scalar `arith.constant` of a float or integer type.
Value createScalar(OpBuilder &b, Location loc, Type type, double value);
/// A tensor filled with `value` (linalg.fill).
Value createFilled(OpBuilder &b, Location loc, ArrayRef<int64_t> shape,
                   Type elementType, double value);
/// The largest finite value (or -value) of `type`, as a double.
double getLowest(Type type);
double getHighest(Type type);

/// The numpy broadcast of `shapes`; failure if they are incompatible.
FailureOr<SmallVector<int64_t>>
getBroadcastShape(ArrayRef<SmallVector<int64_t>> shapes);

using BodyFn = function_ref<Value(OpBuilder &b, Location loc, ValueRange args)>;

/// A linalg.generic over `inputs` broadcast (numpy rules) to `shape`; the body
/// maps the scalar arguments to the result element.
Value buildElementwise(OpBuilder &b, Location loc, ValueRange inputs,
                       ArrayRef<int64_t> shape, Type resultElementType,
                       BodyFn body);
/// The same with the result shape the broadcast of the inputs' shapes.
FailureOr<Value> buildBroadcastElementwise(NodeImporter &node,
                                           ValueRange inputs,
                                           Type resultElementType, BodyFn body);

/// Converts a scalar between element types (float, signed or unsigned
/// integers, i1), with ONNX semantics (float to int truncates; to bool is
/// `!= 0`).
Value convertScalar(OpBuilder &b, Location loc, Value value, Type to,
                    bool srcUnsigned, bool dstUnsigned = false);
/// Converts every element of a tensor.
Value convertTensor(OpBuilder &b, Location loc, Value tensor, Type to,
                    bool srcUnsigned, bool dstUnsigned = false);

/// Reduces `input` over `axes` with `combine(acc, x)` from `init`; keepDims
/// keeps the reduced dims as size 1 (torch-mlir's keepdim form).
Value buildReduction(
    OpBuilder &b, Location loc, Value input, ArrayRef<int64_t> axes,
    bool keepDims, double init,
    function_ref<Value(OpBuilder &, Location, Value acc, Value x)> combine);

/// softmax (or log-softmax) of a float tensor along `axis`, written as
/// torch-mlir decomposes it (keepdim max and sum reductions).
Value buildSoftmax(OpBuilder &b, Location loc, Value input, int64_t axis,
                   bool log);

/// Reshapes a static tensor: one tensor.collapse_shape or expand_shape when
/// the shapes allow it, else a collapse to 1-D and an expand.
Value reshapeTo(OpBuilder &b, Location loc, Value input,
                ArrayRef<int64_t> shape);
/// linalg.transpose by `perm`.
Value transpose(OpBuilder &b, Location loc, Value input,
                ArrayRef<int64_t> perm);
/// tensor.pad with a constant.
Value padConstant(OpBuilder &b, Location loc, Value input,
                  ArrayRef<int64_t> low, ArrayRef<int64_t> high, double value);
/// tensor.pad with a scalar value defined outside the pad.
Value createPad(OpBuilder &b, Location loc, RankedTensorType resultType,
                Value input, ArrayRef<int64_t> low, ArrayRef<int64_t> high,
                Value padValue);
/// A constant tensor from raw little-endian data (dense_resource when large).
Value createConstant(OpBuilder &b, Location loc, RankedTensorType type,
                     ArrayRef<char> data, StringRef name);

/// linalg.matmul (2-D operands) or linalg.batch_matmul (3-D) accumulating
/// into a zero-filled tensor of `accType`.
Value buildMatmul(OpBuilder &b, Location loc, Value lhs, Value rhs,
                  Type accType);
/// A generic over `tensor` and a 1-D `perChannel` read along `channelDim`.
Value buildChannelBroadcast(OpBuilder &b, Location loc, Value tensor,
                            Value perChannel, int64_t channelDim, BodyFn body);

/// The spatial geometry of a Conv or pooling node from its attributes
/// (strides, dilations, pads, auto_pad, ceil_mode).
struct ConvGeometry {
  SmallVector<int64_t> strides, dilations, padLow, padHigh;
  /// Padding past padHigh that ceil_mode windows read (pooling only).
  SmallVector<int64_t> extraHigh;
  SmallVector<int64_t> outShape;
};
FailureOr<ConvGeometry> getConvGeometry(NodeImporter &node,
                                        ArrayRef<int64_t> inputShape,
                                        ArrayRef<int64_t> kernel);

/// ONNX MatMul semantics (1-D operands, broadcast batch dims) on any
/// element type; the result has the operands' element type.
FailureOr<Value> buildOnnxMatMul(NodeImporter &node, Value lhs, Value rhs);
/// ONNX Conv (1-D or 2-D, groups, the node's geometry attributes) on any
/// element type, accumulating in it; `bias` may be null.
FailureOr<Value> buildOnnxConv(NodeImporter &node, Value input, Value weight,
                               Value bias);

/// Folds BatchNormalization nodes that follow a Conv with constant float
/// weights into new weight and bias initializers of the Conv.
void foldBatchNormIntoConv(onnx::GraphProto &graph, Location loc);

/// A `dense<...> : vector<Nxi64>` attribute (strides and dilations of
/// linalg convolutions and pooling, as torch-mlir writes them).
DenseIntElementsAttr getI64VectorAttr(OpBuilder &b, ArrayRef<int64_t> values);

/// Scalar helpers for generic bodies.
Value createAddScalar(OpBuilder &b, Location loc, Value x, Value y);
Value createMulScalar(OpBuilder &b, Location loc, Value x, Value y);
Value createMaxScalar(OpBuilder &b, Location loc, Value x, Value y,
                      bool isUnsigned);
Value createMinScalar(OpBuilder &b, Location loc, Value x, Value y,
                      bool isUnsigned);

} // namespace onnx_import
} // namespace effc
} // namespace mlir

#endif // EFFC_LIB_FRONTEND_ONNX_ONNXIMPORTER_H

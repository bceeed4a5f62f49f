//===- OnnxImporter.cpp - ONNX graphs to a func.func ------------*- C++ -*-===//
//
// Parses the model, fixes input shapes (--shape), runs ONNX shape inference,
// and converts the nodes in graph order into one function. Initializers are
// materialized where they are first used, as dense_resource constants.
//
//===----------------------------------------------------------------------===//

#include "OnnxImporter.h"
#include "effc/Frontend/OnnxImport.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/Verifier.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/ADT/StringSwitch.h"

#include <onnx/defs/schema.h>
#include <onnx/shape_inference/implementation.h>

#include <exception>
#include <memory>

using namespace mlir;
using namespace mlir::effc;
using namespace mlir::effc::onnx_import;

namespace mlir::effc::onnx_import {

//===----------------------------------------------------------------------===//
// GraphImporter
//===----------------------------------------------------------------------===//

class GraphImporter {
public:
  GraphImporter(MLIRContext *context, onnx::ModelProto &model,
                StringRef fileName, const OnnxImportOptions &options)
      : context(context), model(model), fileName(fileName.str()),
        options(options), builder(context) {}

  OwningOpRef<ModuleOp> run();

  Location getFileLoc() const {
    return FileLineColLoc::get(context, fileName, 0, 0);
  }

  /// The value of `name`, materializing a constant at `b`'s insertion point.
  Value lookup(StringRef name, OpBuilder &b, Location loc);

  MLIRContext *context;
  onnx::ModelProto &model;
  std::string fileName;
  const OnnxImportOptions &options;
  OpBuilder builder;
  int64_t opset = 1;

  llvm::StringMap<Value> values;
  llvm::StringSet<> unsignedValues;
  llvm::StringMap<const onnx::TensorProto *> constants;
  /// Constants computed at import time (Shape, folded shape arithmetic).
  std::vector<std::unique_ptr<onnx::TensorProto>> ownedConstants;
  /// Types ONNX shape inference found for intermediate values.
  llvm::StringMap<const onnx::TypeProto *> inferredTypes;

private:
  LogicalResult prepareInputs();
  LogicalResult checkConvRanks();
  LogicalResult convertNode(const onnx::NodeProto &node, int index,
                            const ConverterMap &converters);
};

} // namespace mlir::effc::onnx_import

static std::string shapeToString(ArrayRef<int64_t> shape) {
  return llvm::join(llvm::map_range(shape,
                                    [](int64_t d) {
                                      return d < 0 ? std::string("?")
                                                   : std::to_string(d);
                                    }),
                    "x");
}

/// A resource name that the MLIR printer writes as it is.
static std::string sanitizeName(StringRef name) {
  std::string result;
  for (char c : name)
    result += llvm::isAlnum(c) || c == '_' || c == '.' ? c : '_';
  if (result.empty() || llvm::isDigit(result[0]))
    result = "w_" + result;
  return result;
}

Value GraphImporter::lookup(StringRef name, OpBuilder &b, Location loc) {
  auto it = values.find(name);
  if (it != values.end())
    return it->second;
  auto constant = constants.find(name);
  if (constant == constants.end())
    return nullptr;
  const onnx::TensorProto &tensor = *constant->second;
  Type elementType = getElementType(context, tensor.data_type());
  if (!elementType) {
    emitError(loc) << "constant '" << name << "' has ONNX data type "
                   << tensor.data_type()
                   << ", which the importer does not support";
    return nullptr;
  }
  FailureOr<std::vector<char>> bytes = getTensorBytes(tensor, loc);
  if (failed(bytes))
    return nullptr;
  auto type = RankedTensorType::get(getTensorShape(tensor), elementType);
  Value value = createConstant(b, NameLoc::get(b.getStringAttr(name)), type,
                               *bytes, sanitizeName(name));
  values[name] = value;
  return value;
}

LogicalResult GraphImporter::prepareInputs() {
  onnx::GraphProto *graph = model.mutable_graph();
  llvm::StringSet<> initializerNames;
  for (const onnx::TensorProto &init : graph->initializer())
    initializerNames.insert(init.name());

  llvm::StringSet<> known;
  for (onnx::ValueInfoProto &input : *graph->mutable_input()) {
    if (initializerNames.contains(input.name()))
      continue;
    known.insert(input.name());
    auto it = options.inputShapes.find(input.name());
    if (it == options.inputShapes.end())
      continue;
    onnx::TypeProto_Tensor *tensorType =
        input.mutable_type()->mutable_tensor_type();
    onnx::TensorShapeProto *shape = tensorType->mutable_shape();
    if (tensorType->has_shape() && shape->dim_size() != 0 &&
        shape->dim_size() != static_cast<int>(it->second.size()))
      return emitError(getFileLoc())
             << "--shape " << input.name() << "=" << shapeToString(it->second)
             << " has rank " << it->second.size() << ", but the model's input '"
             << input.name() << "' has rank " << shape->dim_size();
    shape->clear_dim();
    for (int64_t dim : it->second)
      shape->add_dim()->set_dim_value(dim);
  }
  for (const auto &entry : options.inputShapes)
    if (!known.contains(entry.getKey())) {
      std::string names;
      for (const onnx::ValueInfoProto &input : graph->input())
        if (!initializerNames.contains(input.name()))
          names += (names.empty() ? "'" : ", '") + input.name() + "'";
      return emitError(getFileLoc())
             << "--shape names '" << entry.getKey()
             << "', which is not an input of the model (inputs: " << names
             << ")";
    }

  for (const onnx::ValueInfoProto &input : graph->input()) {
    if (initializerNames.contains(input.name()))
      continue;
    if (!input.type().has_tensor_type())
      return emitError(getFileLoc())
             << "input '" << input.name() << "' is not a tensor";
    const onnx::TypeProto_Tensor &tensorType = input.type().tensor_type();
    if (!tensorType.has_shape())
      return emitError(getFileLoc()) << "input '" << input.name()
                                     << "' has no shape; give one with --shape "
                                     << input.name() << "=<d0>x<d1>...";
    for (auto [i, dim] : llvm::enumerate(tensorType.shape().dim()))
      if (!dim.has_dim_value() || dim.dim_value() < 0) {
        auto diag = emitError(getFileLoc())
                    << "input '" << input.name()
                    << "' has a dynamic dimension #" << i;
        if (dim.has_dim_param())
          diag << " ('" << dim.dim_param() << "')";
        diag << "; fix its shape with --shape " << input.name()
             << "=<d0>x<d1>...";
        return diag;
      }
  }
  return success();
}

/// ONNX 1.12's shape inference of ConvTranspose reads weight dims that a
/// malformed model may not have (and crashes): convolution inputs whose
/// ranks are known up front are checked before it runs.
LogicalResult GraphImporter::checkConvRanks() {
  const onnx::GraphProto &graph = model.graph();
  llvm::StringMap<int64_t> ranks;
  for (const onnx::TensorProto &init : graph.initializer())
    ranks[init.name()] = init.dims_size();
  for (const onnx::ValueInfoProto &input : graph.input())
    if (input.type().tensor_type().has_shape() && !ranks.count(input.name()))
      ranks[input.name()] = input.type().tensor_type().shape().dim_size();
  for (const onnx::NodeProto &node : graph.node()) {
    StringRef op = node.op_type();
    unsigned weight = op == "QLinearConv" ? 3 : 1;
    if (op != "Conv" && op != "ConvTranspose" && op != "ConvInteger" &&
        op != "QLinearConv")
      continue;
    if (node.input_size() <= static_cast<int>(weight))
      continue;
    auto x = ranks.find(node.input(0)), w = ranks.find(node.input(weight));
    if (w != ranks.end() &&
        (w->second < 3 || (x != ranks.end() && x->second != w->second)))
      return emitError(getFileLoc())
             << op << " node '" << node.name() << "': weight '"
             << node.input(weight) << "' has rank " << w->second
             << ", not the input's rank (at least 3)";
  }
  return success();
}

OwningOpRef<ModuleOp> GraphImporter::run() {
  for (const onnx::OperatorSetIdProto &id : model.opset_import())
    if (id.domain().empty() || id.domain() == "ai.onnx")
      opset = id.version();
  if (failed(prepareInputs()))
    return nullptr;

  if (failed(checkConvRanks()))
    return nullptr;
  foldBatchNormIntoConv(*model.mutable_graph(), getFileLoc());

  // Shape inference fills value_info; the importer computes shapes itself and
  // uses these to check them and to know element types.
  try {
    onnx::shape_inference::InferShapes(model);
  } catch (const std::exception &e) {
    emitError(getFileLoc()) << "ONNX shape inference failed: " << e.what();
    return nullptr;
  }
  onnx::GraphProto &graph = *model.mutable_graph();
  for (const onnx::ValueInfoProto &info : graph.value_info())
    inferredTypes[info.name()] = &info.type();
  for (const onnx::ValueInfoProto &info : graph.output())
    inferredTypes[info.name()] = &info.type();
  for (const onnx::TensorProto &init : graph.initializer())
    constants[init.name()] = &init;

  Location fileLoc = getFileLoc();
  OwningOpRef<ModuleOp> module = ModuleOp::create(fileLoc);
  builder.setInsertionPointToEnd(module->getBody());

  SmallVector<Type> argTypes;
  SmallVector<const onnx::ValueInfoProto *> args;
  for (const onnx::ValueInfoProto &input : graph.input()) {
    if (constants.count(input.name()))
      continue;
    const onnx::TypeProto_Tensor &tensorType = input.type().tensor_type();
    Type elementType = getElementType(context, tensorType.elem_type());
    if (!elementType) {
      emitError(fileLoc) << "input '" << input.name() << "' has ONNX data type "
                         << tensorType.elem_type()
                         << ", which the importer does not support";
      return nullptr;
    }
    SmallVector<int64_t> shape;
    for (const auto &dim : tensorType.shape().dim())
      shape.push_back(dim.dim_value());
    argTypes.push_back(RankedTensorType::get(shape, elementType));
    args.push_back(&input);
  }

  auto func = func::FuncOp::create(builder, fileLoc, options.entryName,
                                   builder.getFunctionType(argTypes, {}));
  Block *entry = func.addEntryBlock();
  for (auto [arg, info] : llvm::zip(entry->getArguments(), args)) {
    arg.setLoc(NameLoc::get(builder.getStringAttr(info->name()), fileLoc));
    values[info->name()] = arg;
    if (isUnsignedOnnxType(info->type().tensor_type().elem_type()))
      unsignedValues.insert(info->name());
  }
  builder.setInsertionPointToEnd(entry);

  ConverterMap converters;
  addElementwiseConverters(converters);
  addLinearConverters(converters);
  addShapeConverters(converters);
  addReductionConverters(converters);
  addPoolingConverters(converters);
  addQuantConverters(converters);
  addRearrangeConverters(converters);
  addAttentionConverters(converters);
  addScatterConverters(converters);
  for (auto [index, node] : llvm::enumerate(graph.node()))
    if (failed(convertNode(node, index, converters)))
      return nullptr;

  SmallVector<Value> results;
  for (const onnx::ValueInfoProto &output : graph.output()) {
    Value value = lookup(output.name(), builder, fileLoc);
    if (!value) {
      emitError(fileLoc) << "graph output '" << output.name()
                         << "' is not computed by any node";
      return nullptr;
    }
    results.push_back(value);
  }
  func::ReturnOp::create(builder, fileLoc, results);
  func.setFunctionType(
      builder.getFunctionType(argTypes, ValueRange(results).getTypes()));
  if (failed(verify(*module)))
    return nullptr;
  return module;
}

/// The shape in an inferred type when every dim is known.
static std::optional<SmallVector<int64_t>>
getStaticShape(const onnx::TypeProto &type) {
  if (!type.has_tensor_type() || !type.tensor_type().has_shape())
    return std::nullopt;
  SmallVector<int64_t> shape;
  for (const auto &dim : type.tensor_type().shape().dim()) {
    if (!dim.has_dim_value())
      return std::nullopt;
    shape.push_back(dim.dim_value());
  }
  return shape;
}

LogicalResult GraphImporter::convertNode(const onnx::NodeProto &node, int index,
                                         const ConverterMap &converters) {
  std::string name = node.name().empty()
                         ? node.op_type() + "_" + std::to_string(index)
                         : node.name();
  Location loc =
      NameLoc::get(builder.getStringAttr(name),
                   FileLineColLoc::get(context, fileName, index + 1, 1));
  if (!node.domain().empty() && node.domain() != "ai.onnx")
    return emitError(loc) << "unsupported ONNX op '" << node.domain()
                          << "::" << node.op_type() << "' (node '" << name
                          << "')";
  for (const std::string &input : node.input())
    if (!input.empty() && !values.count(input) && !constants.count(input))
      return emitError(loc)
             << node.op_type() << " node '" << name << "': input '" << input
             << "' is not defined before the node";

  // The node must match its schema (input and output counts, required
  // inputs present, attribute types) before a converter reads it.
  const onnx::OpSchema *schema =
      onnx::OpSchemaRegistry::Schema(node.op_type(), opset, onnx::ONNX_DOMAIN);
  if (!schema) {
    // Ops newer than the ONNX library (Gelu: opset 20, Attention: opset 23):
    // their required inputs and single output, checked here.
    int required = llvm::StringSwitch<int>(node.op_type())
                       .Case("Attention", 3)
                       .Case("Gelu", 1)
                       .Default(0);
    for (int i = 0; i < required; ++i)
      if (i >= node.input_size() || node.input(i).empty())
        return emitError(loc)
               << node.op_type() << " node '" << name << "' needs input #" << i;
    if (required && (node.output_size() < 1 || node.output(0).empty()))
      return emitError(loc)
             << node.op_type() << " node '" << name << "' has no output";
  } else {
    try {
      schema->Verify(node);
    } catch (const std::exception &e) {
      return emitError(loc) << node.op_type() << " node '" << name
                            << "' does not match its ONNX schema: "
                            << StringRef(e.what()).trim();
    }
  }

  NodeImporter importer(*this, node, builder, loc, opset);
  FailureOr<bool> folded = tryFoldNode(importer);
  if (failed(folded))
    return failure();
  if (!*folded) {
    auto it = converters.find(node.op_type());
    if (it == converters.end())
      return emitError(loc) << "unsupported ONNX op '" << node.op_type()
                            << "' (node '" << name << "')";
    if (failed(it->second(importer)))
      return failure();
  }

  for (const std::string &output : node.output()) {
    if (output.empty())
      continue;
    if (!values.count(output) && !constants.count(output))
      return emitError(loc)
             << node.op_type() << " node '" << name << "': output '" << output
             << "' is not supported by the importer";
    auto inferred = inferredTypes.find(output);
    if (inferred == inferredTypes.end() || !values.count(output))
      continue;
    std::optional<SmallVector<int64_t>> shape =
        getStaticShape(*inferred->second);
    auto type = cast<RankedTensorType>(values[output].getType());
    if (shape && ArrayRef<int64_t>(*shape) != type.getShape())
      return emitError(loc)
             << node.op_type() << " node '" << name << "': output '" << output
             << "' has shape " << shapeToString(type.getShape())
             << " but ONNX shape inference says " << shapeToString(*shape);
  }
  return success();
}

//===----------------------------------------------------------------------===//
// NodeImporter
//===----------------------------------------------------------------------===//

Value NodeImporter::getInput(unsigned i) {
  if (!hasInput(i))
    return nullptr;
  return graph.lookup(node.input(i), b, loc);
}

RankedTensorType NodeImporter::getInputType(unsigned i) {
  Value value = getInput(i);
  return value ? cast<RankedTensorType>(value.getType()) : nullptr;
}

bool NodeImporter::isInputUnsigned(unsigned i) {
  if (!hasInput(i))
    return false;
  if (graph.unsignedValues.contains(node.input(i)))
    return true;
  auto it = graph.constants.find(node.input(i));
  return it != graph.constants.end() &&
         isUnsignedOnnxType(it->second->data_type());
}

const onnx::TensorProto *NodeImporter::getConstantInput(unsigned i) {
  if (!hasInput(i))
    return nullptr;
  auto it = graph.constants.find(node.input(i));
  return it == graph.constants.end() ? nullptr : it->second;
}

FailureOr<SmallVector<int64_t>> NodeImporter::getConstantInts(unsigned i) {
  const onnx::TensorProto *tensor = getConstantInput(i);
  if (!tensor)
    return emitError() << "input #" << i << " ('"
                       << (hasInput(i) ? node.input(i) : "") << "')"
                       << " must be a constant (an initializer or a Constant "
                          "node)";
  return getTensorInts(*tensor, loc);
}

FailureOr<SmallVector<double>> NodeImporter::getConstantDoubles(unsigned i) {
  const onnx::TensorProto *tensor = getConstantInput(i);
  if (!tensor)
    return emitError() << "input #" << i << " ('"
                       << (hasInput(i) ? node.input(i) : "") << "')"
                       << " must be a constant (an initializer or a Constant "
                          "node)";
  return getTensorDoubles(*tensor, loc);
}

int32_t NodeImporter::getOutputOnnxType(unsigned i) {
  auto it = graph.inferredTypes.find(node.output(i));
  if (it == graph.inferredTypes.end() || !it->second->has_tensor_type())
    return 0;
  return it->second->tensor_type().elem_type();
}

std::optional<SmallVector<int64_t>> NodeImporter::getInferredShape(unsigned i) {
  auto it = graph.inferredTypes.find(node.output(i));
  if (it == graph.inferredTypes.end())
    return std::nullopt;
  return getStaticShape(*it->second);
}

void NodeImporter::setOutput(unsigned i, Value value, bool isUnsigned) {
  if (i >= getNumOutputs() || node.output(i).empty())
    return;
  const std::string &name = node.output(i);
  graph.values[name] = value;
  if (isUnsigned || isUnsignedOnnxType(getOutputOnnxType(i)))
    graph.unsignedValues.insert(name);
}

void NodeImporter::setConstantOutput(unsigned i,
                                     const onnx::TensorProto &tensor) {
  if (i >= getNumOutputs() || node.output(i).empty())
    return;
  auto owned = std::make_unique<onnx::TensorProto>(tensor);
  owned->set_name(node.output(i));
  graph.constants[node.output(i)] = owned.get();
  graph.ownedConstants.push_back(std::move(owned));
  if (isUnsignedOnnxType(tensor.data_type()))
    graph.unsignedValues.insert(node.output(i));
}

const onnx::AttributeProto *NodeImporter::findAttr(StringRef name) const {
  for (const onnx::AttributeProto &attr : node.attribute())
    if (attr.name() == name)
      return &attr;
  return nullptr;
}

bool NodeImporter::hasAttr(StringRef name) const {
  return findAttr(name) != nullptr;
}

int64_t NodeImporter::getAttrInt(StringRef name, int64_t defaultValue) const {
  const onnx::AttributeProto *attr = findAttr(name);
  return attr ? attr->i() : defaultValue;
}

float NodeImporter::getAttrFloat(StringRef name, float defaultValue) const {
  const onnx::AttributeProto *attr = findAttr(name);
  return attr ? attr->f() : defaultValue;
}

std::string NodeImporter::getAttrString(StringRef name,
                                        StringRef defaultValue) const {
  const onnx::AttributeProto *attr = findAttr(name);
  return attr ? attr->s() : defaultValue.str();
}

SmallVector<int64_t> NodeImporter::getAttrInts(StringRef name) const {
  const onnx::AttributeProto *attr = findAttr(name);
  if (!attr)
    return {};
  return SmallVector<int64_t>(attr->ints().begin(), attr->ints().end());
}

SmallVector<float> NodeImporter::getAttrFloats(StringRef name) const {
  const onnx::AttributeProto *attr = findAttr(name);
  if (!attr)
    return {};
  return SmallVector<float>(attr->floats().begin(), attr->floats().end());
}

const onnx::TensorProto *NodeImporter::getAttrTensor(StringRef name) const {
  const onnx::AttributeProto *attr = findAttr(name);
  return attr && attr->has_t() ? &attr->t() : nullptr;
}

InFlightDiagnostic NodeImporter::emitError() {
  std::string name = node.name();
  if (auto nameLoc = dyn_cast<NameLoc>(loc))
    name = nameLoc.getName().str();
  return mlir::emitError(loc) << node.op_type() << " node '" << name << "': ";
}

FailureOr<int64_t> NodeImporter::normalizeAxis(int64_t axis, int64_t rank) {
  int64_t bound = std::max<int64_t>(rank, 1);
  if (axis < -bound || axis >= bound)
    return emitError() << "axis " << axis << " is out of range for rank "
                       << rank;
  return axis < 0 ? axis + bound : axis;
}

//===----------------------------------------------------------------------===//
// Entry points
//===----------------------------------------------------------------------===//

LogicalResult mlir::effc::parseOnnxShapeOption(StringRef text,
                                               OnnxImportOptions &options,
                                               std::string &error) {
  auto [name, dims] = text.rsplit('=');
  if (name.empty() || dims.empty() || !text.contains('=')) {
    error = "--shape " + text.str() + ": expected <input>=<d0>x<d1>...";
    return failure();
  }
  SmallVector<int64_t> shape;
  SmallVector<StringRef> parts;
  dims.split(parts, 'x');
  for (StringRef part : parts) {
    int64_t dim;
    if (part.getAsInteger(10, dim) || dim < 0) {
      error = "--shape " + text.str() + ": '" + part.str() +
              "' is not a dimension (a non-negative integer)";
      return failure();
    }
    shape.push_back(dim);
  }
  options.inputShapes[name] = shape;
  return success();
}

void mlir::effc::registerOnnxImportDialects(DialectRegistry &registry) {
  registry.insert<arith::ArithDialect, func::FuncDialect, linalg::LinalgDialect,
                  math::MathDialect, tensor::TensorDialect>();
}

OwningOpRef<ModuleOp>
mlir::effc::importOnnxModel(MLIRContext *context, StringRef bytes,
                            StringRef fileName,
                            const OnnxImportOptions &options) {
  DialectRegistry registry;
  registerOnnxImportDialects(registry);
  context->appendDialectRegistry(registry);
  context->loadAllAvailableDialects();

  Location fileLoc = FileLineColLoc::get(context, fileName, 0, 0);
  onnx::ModelProto model;
  if (bytes.size() > static_cast<size_t>(INT32_MAX) ||
      !model.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())) ||
      !model.has_graph() || model.ir_version() <= 0) {
    emitError(fileLoc) << "'" << fileName
                       << "' is not an ONNX model (it does not parse as an "
                          "onnx.ModelProto with a graph)";
    return nullptr;
  }
  GraphImporter importer(context, model, fileName, options);
  return importer.run();
}

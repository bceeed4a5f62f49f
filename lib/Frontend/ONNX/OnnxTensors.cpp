//===- OnnxTensors.cpp - ONNX tensor data and element types -----*- C++ -*-===//
//
// Reads the elements of TensorProtos (initializers, Constant nodes and
// attributes) in every storage ONNX allows: raw little-endian bytes or the
// typed repeated fields.
//
//===----------------------------------------------------------------------===//

#include "OnnxImporter.h"

#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Diagnostics.h"

#include <cstring>

using namespace mlir;
using namespace mlir::effc::onnx_import;

using onnx::TensorProto;

Type mlir::effc::onnx_import::getElementType(MLIRContext *context,
                                             int32_t onnxType) {
  Builder b(context);
  switch (onnxType) {
  case TensorProto::FLOAT:
    return b.getF32Type();
  case TensorProto::DOUBLE:
    return b.getF64Type();
  case TensorProto::FLOAT16:
    return b.getF16Type();
  case TensorProto::BFLOAT16:
    return b.getBF16Type();
  case TensorProto::BOOL:
    return b.getI1Type();
  case TensorProto::INT8:
  case TensorProto::UINT8:
    return b.getIntegerType(8);
  case TensorProto::INT16:
  case TensorProto::UINT16:
    return b.getIntegerType(16);
  case TensorProto::INT32:
  case TensorProto::UINT32:
    return b.getIntegerType(32);
  case TensorProto::INT64:
  case TensorProto::UINT64:
    return b.getIntegerType(64);
  default:
    return nullptr;
  }
}

bool mlir::effc::onnx_import::isUnsignedOnnxType(int32_t onnxType) {
  return onnxType == TensorProto::UINT8 || onnxType == TensorProto::UINT16 ||
         onnxType == TensorProto::UINT32 || onnxType == TensorProto::UINT64;
}

static unsigned getStorageSize(int32_t onnxType) {
  switch (onnxType) {
  case TensorProto::BOOL:
  case TensorProto::INT8:
  case TensorProto::UINT8:
    return 1;
  case TensorProto::INT16:
  case TensorProto::UINT16:
  case TensorProto::FLOAT16:
  case TensorProto::BFLOAT16:
    return 2;
  case TensorProto::INT32:
  case TensorProto::UINT32:
  case TensorProto::FLOAT:
    return 4;
  case TensorProto::INT64:
  case TensorProto::UINT64:
  case TensorProto::DOUBLE:
    return 8;
  default:
    return 0;
  }
}

SmallVector<int64_t>
mlir::effc::onnx_import::getTensorShape(const TensorProto &tensor) {
  return SmallVector<int64_t>(tensor.dims().begin(), tensor.dims().end());
}

template <typename T, typename Field>
static void appendAs(std::vector<char> &bytes, const Field &field) {
  for (auto v : field) {
    T value = static_cast<T>(v);
    const char *p = reinterpret_cast<const char *>(&value);
    bytes.insert(bytes.end(), p, p + sizeof(T));
  }
}

FailureOr<std::vector<char>>
mlir::effc::onnx_import::getTensorBytes(const TensorProto &tensor,
                                        Location loc) {
  const std::string &name = tensor.name();
  unsigned size = getStorageSize(tensor.data_type());
  if (!size)
    return emitError(loc) << "tensor '" << name << "' has ONNX data type "
                          << tensor.data_type()
                          << ", which the importer does not support";
  if (tensor.data_location() == TensorProto::EXTERNAL)
    return emitError(loc) << "tensor '" << name
                          << "' keeps its data in an external file, which "
                             "the importer does not read";
  int64_t numElements = 1;
  for (int64_t dim : tensor.dims()) {
    if (dim < 0 || (dim && numElements > (int64_t(1) << 40) / dim))
      return emitError(loc) << "tensor '" << name << "' has an invalid shape";
    numElements *= dim;
  }
  std::vector<char> bytes;
  if (tensor.has_raw_data()) {
    const std::string &raw = tensor.raw_data();
    bytes.assign(raw.begin(), raw.end());
  } else {
    switch (tensor.data_type()) {
    case TensorProto::FLOAT:
      appendAs<float>(bytes, tensor.float_data());
      break;
    case TensorProto::DOUBLE:
      appendAs<double>(bytes, tensor.double_data());
      break;
    case TensorProto::INT64:
      appendAs<int64_t>(bytes, tensor.int64_data());
      break;
    case TensorProto::UINT32:
      appendAs<uint32_t>(bytes, tensor.uint64_data());
      break;
    case TensorProto::UINT64:
      appendAs<uint64_t>(bytes, tensor.uint64_data());
      break;
    case TensorProto::INT32:
      appendAs<int32_t>(bytes, tensor.int32_data());
      break;
    case TensorProto::INT16:
    case TensorProto::UINT16:
    case TensorProto::FLOAT16:
    case TensorProto::BFLOAT16:
      appendAs<uint16_t>(bytes, tensor.int32_data());
      break;
    default: // BOOL, INT8, UINT8
      appendAs<uint8_t>(bytes, tensor.int32_data());
      break;
    }
  }
  if (static_cast<int64_t>(bytes.size()) != numElements * size)
    return emitError(loc) << "tensor '" << name << "' holds " << bytes.size()
                          << " bytes of data, but its shape needs "
                          << numElements * size;
  if (tensor.data_type() == TensorProto::BOOL)
    for (char &c : bytes)
      c = c != 0;
  return bytes;
}

template <typename T>
static T readAt(const std::vector<char> &bytes, size_t i) {
  T value;
  std::memcpy(&value, bytes.data() + i * sizeof(T), sizeof(T));
  return value;
}

FailureOr<SmallVector<double>>
mlir::effc::onnx_import::getTensorDoubles(const TensorProto &tensor,
                                          Location loc) {
  FailureOr<std::vector<char>> bytes = getTensorBytes(tensor, loc);
  if (failed(bytes))
    return failure();
  int32_t type = tensor.data_type();
  size_t n = bytes->size() / getStorageSize(type);
  SmallVector<double> values;
  values.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    switch (type) {
    case TensorProto::FLOAT:
      values.push_back(readAt<float>(*bytes, i));
      break;
    case TensorProto::DOUBLE:
      values.push_back(readAt<double>(*bytes, i));
      break;
    case TensorProto::INT64:
      values.push_back(readAt<int64_t>(*bytes, i));
      break;
    case TensorProto::UINT64:
      values.push_back(readAt<uint64_t>(*bytes, i));
      break;
    case TensorProto::INT32:
      values.push_back(readAt<int32_t>(*bytes, i));
      break;
    case TensorProto::UINT32:
      values.push_back(readAt<uint32_t>(*bytes, i));
      break;
    case TensorProto::INT16:
      values.push_back(readAt<int16_t>(*bytes, i));
      break;
    case TensorProto::UINT16:
      values.push_back(readAt<uint16_t>(*bytes, i));
      break;
    case TensorProto::INT8:
      values.push_back(readAt<int8_t>(*bytes, i));
      break;
    case TensorProto::UINT8:
    case TensorProto::BOOL:
      values.push_back(readAt<uint8_t>(*bytes, i));
      break;
    default:
      return emitError(loc) << "tensor '" << tensor.name()
                            << "' is not of a numeric type the importer "
                               "reads at compile time";
    }
  }
  return values;
}

FailureOr<SmallVector<int64_t>>
mlir::effc::onnx_import::getTensorInts(const TensorProto &tensor,
                                       Location loc) {
  if (tensor.data_type() == TensorProto::INT64) {
    FailureOr<std::vector<char>> bytes = getTensorBytes(tensor, loc);
    if (failed(bytes))
      return failure();
    SmallVector<int64_t> values(bytes->size() / 8);
    std::memcpy(values.data(), bytes->data(), bytes->size());
    return values;
  }
  FailureOr<SmallVector<double>> values = getTensorDoubles(tensor, loc);
  if (failed(values))
    return failure();
  return llvm::map_to_vector(*values,
                             [](double v) { return static_cast<int64_t>(v); });
}

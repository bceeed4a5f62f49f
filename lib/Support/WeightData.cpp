//===- WeightData.cpp - raw constant weight buffers -------------*- C++ -*-===//

#include "effc/Support/WeightData.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Matchers.h"

#include <cmath>
#include <cstdio>
#include <cstring>

using namespace mlir;
using namespace mlir::effc;

/// The weight's raw bytes (dense or dense_resource), or an empty buffer.
/// A splat is expanded.
std::vector<char> mlir::effc::getRawBytes(Attribute attr, int64_t numElements,
                                          unsigned bytes) {
  ArrayRef<char> raw;
  if (auto dense = dyn_cast<DenseElementsAttr>(attr))
    raw = dense.getRawData();
  else if (auto resource = dyn_cast<DenseResourceElementsAttr>(attr))
    raw = resource.getData();
  if (raw.size() == size_t(numElements) * bytes)
    return std::vector<char>(raw.begin(), raw.end());
  std::vector<char> out;
  if (raw.size() == bytes) { // splat
    out.resize(size_t(numElements) * bytes);
    for (int64_t i = 0; i < numElements; ++i)
      std::memcpy(&out[i * bytes], raw.data(), bytes);
  }
  return out;
}

std::vector<double> mlir::effc::toDouble(ArrayRef<char> raw,
                                         const FloatFormat &f) {
  size_t n = raw.size() / f.bytes;
  std::vector<double> out(n);
  if (f.bytes == 8) {
    std::memcpy(out.data(), raw.data(), raw.size());
  } else if (f.bytes == 4) {
    for (size_t i = 0; i < n; ++i) {
      float v;
      std::memcpy(&v, &raw[i * 4], 4);
      out[i] = v;
    }
  } else {
    for (size_t i = 0; i < n; ++i) {
      uint16_t bits;
      std::memcpy(&bits, &raw[i * 2], 2);
      out[i] = decodeHalf(bits, f);
    }
  }
  return out;
}

std::vector<char> mlir::effc::fromDouble(ArrayRef<double> values,
                                         const FloatFormat &f) {
  std::vector<char> out(values.size() * f.bytes);
  for (size_t i = 0; i < values.size(); ++i) {
    if (f.bytes == 8) {
      std::memcpy(&out[i * 8], &values[i], 8);
    } else if (f.bytes == 4) {
      float v = static_cast<float>(values[i]);
      std::memcpy(&out[i * 4], &v, 4);
    } else {
      uint16_t bits = static_cast<uint16_t>(encodeHalf(values[i], f));
      std::memcpy(&out[i * 2], &bits, 2);
    }
  }
  return out;
}

/// printf-style formatting of one number, for diagnostics.
std::string mlir::effc::formatNumber(const char *spec, double value) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), spec, value);
  return buf;
}

std::optional<std::vector<double>>
mlir::effc::getConstantFloatValues(Value weight) {
  auto type = dyn_cast<ShapedType>(weight.getType());
  Attribute cst;
  if (!type || !type.hasStaticShape() ||
      !matchPattern(weight, m_Constant(&cst)))
    return std::nullopt;
  std::optional<FloatFormat> format = getFloatFormat(type.getElementType());
  if (!format)
    return std::nullopt;
  std::vector<char> raw =
      getRawBytes(cst, type.getNumElements(), format->bytes);
  if (raw.empty())
    return std::nullopt;
  return toDouble(raw, *format);
}

void mlir::effc::materializeResourceConstants(Operation *root) {
  root->walk([](arith::ConstantOp op) {
    auto res = dyn_cast<DenseResourceElementsAttr>(op.getValue());
    if (!res)
      return;
    auto type = cast<ShapedType>(res.getType());
    Type elt = type.getElementType();
    if (!elt.isIntOrFloat() || elt.getIntOrFloatBitWidth() % 8 != 0 ||
        !type.hasStaticShape())
      return;
    std::vector<char> raw = getRawBytes(res, type.getNumElements(),
                                        elt.getIntOrFloatBitWidth() / 8);
    if (raw.empty())
      return; // the blob was elided: leave it
    op.setValueAttr(DenseElementsAttr::getFromRawBuffer(type, raw));
  });
}

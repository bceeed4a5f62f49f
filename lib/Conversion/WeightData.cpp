//===- WeightData.cpp - raw constant weight buffers -------------*- C++ -*-===//

#include "effc/Transforms/WeightData.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Matchers.h"

#include <cmath>
#include <cstdio>
#include <cstring>

using namespace mlir;
using namespace mlir::effc;

std::optional<FloatFormat> mlir::effc::getFloatFormat(Type type) {
  if (type.isF64())
    return FloatFormat{8, 11, 52};
  if (type.isF32())
    return FloatFormat{4, 8, 23};
  if (type.isF16())
    return FloatFormat{2, 5, 10};
  if (type.isBF16())
    return FloatFormat{2, 8, 7};
  return std::nullopt;
}

/// Decodes an IEEE-style f16 / bf16 bit pattern.
double mlir::effc::decodeHalf(uint32_t bits, const FloatFormat &f) {
  uint32_t manMask = (1u << f.manBits) - 1, expMax = (1u << f.expBits) - 1;
  int bias = (1 << (f.expBits - 1)) - 1;
  uint32_t man = bits & manMask, exp = (bits >> f.manBits) & expMax;
  bool neg = (bits >> (f.expBits + f.manBits)) & 1;
  double v;
  if (exp == expMax)
    v = man ? std::nan("") : HUGE_VAL;
  else if (exp == 0)
    v = std::ldexp(double(man), 1 - bias - f.manBits);
  else
    v = std::ldexp(double(man | (1u << f.manBits)),
                   int(exp) - bias - f.manBits);
  return neg ? -v : v;
}

/// Encodes `x` as f16 / bf16 bits, rounding to nearest even.
uint32_t mlir::effc::encodeHalf(double x, const FloatFormat &f) {
  uint32_t expMax = (1u << f.expBits) - 1;
  int bias = (1 << (f.expBits - 1)) - 1;
  uint32_t sign = std::signbit(x) ? 1u << (f.expBits + f.manBits) : 0;
  if (std::isnan(x))
    return sign | (expMax << f.manBits) | (1u << (f.manBits - 1));
  double a = std::fabs(x);
  int minExp = 1 - bias;
  if (a < std::ldexp(1.0, minExp)) {
    // Subnormal (or rounds up to the smallest normal): units of the last
    // subnormal place.
    return sign | uint32_t(std::nearbyint(std::ldexp(a, f.manBits - minExp)));
  }
  if (std::isinf(a))
    return sign | (expMax << f.manBits);
  int e;
  double frac = std::frexp(a, &e); // a = frac * 2^e, frac in [0.5, 1)
  double man = std::nearbyint(std::ldexp(frac, f.manBits + 1));
  int biased = e - 1 + bias;
  if (man == std::ldexp(1.0, f.manBits + 1)) {
    man /= 2;
    ++biased;
  }
  if (biased >= int(expMax))
    return sign | (expMax << f.manBits);
  return sign | (uint32_t(biased) << f.manBits) |
         (uint32_t(man) - (1u << f.manBits));
}

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

std::vector<double> mlir::effc::toDouble(ArrayRef<char> raw, const FloatFormat &f) {
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

std::vector<char> mlir::effc::fromDouble(ArrayRef<double> values, const FloatFormat &f) {
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
  if (!type || !type.hasStaticShape() || !matchPattern(weight, m_Constant(&cst)))
    return std::nullopt;
  std::optional<FloatFormat> format = getFloatFormat(type.getElementType());
  if (!format)
    return std::nullopt;
  std::vector<char> raw = getRawBytes(cst, type.getNumElements(), format->bytes);
  if (raw.empty())
    return std::nullopt;
  return toDouble(raw, *format);
}

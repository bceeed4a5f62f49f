//===- FloatBits.cpp - float bit-pattern codecs ---------------------------===//

#include "effc/Support/FloatBits.h"

#include <cmath>
#include <limits>

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

float mlir::effc::halfToFloat(uint16_t bits) {
  return static_cast<float>(decodeHalf(bits, kF16Format));
}

uint16_t mlir::effc::floatToHalf(float value) {
  return static_cast<uint16_t>(encodeHalf(value, kF16Format));
}

float mlir::effc::bf16ToFloat(uint16_t bits) {
  return static_cast<float>(decodeHalf(bits, kBF16Format));
}

uint16_t mlir::effc::floatToBF16(float value) {
  return static_cast<uint16_t>(encodeHalf(value, kBF16Format));
}

uint8_t mlir::effc::encodeF8E4M3FN(double x) {
  if (std::isnan(x))
    return 0x7f;
  uint8_t sign = std::signbit(x) ? 0x80 : 0;
  double a = std::fabs(x);
  if (a >= 448)
    return sign | 0x7e;
  // Subnormals: multiples of 2^-9 below 2^-6 (m == 8 is the smallest
  // normal, whose code is 0x08 as well).
  if (a < std::ldexp(1.0, -6))
    return sign | uint8_t(std::nearbyint(std::ldexp(a, 9)));
  int e;
  double f = std::frexp(a, &e); // a = f * 2^e, f in [0.5, 1)
  e -= 1;                       // a = (2f) * 2^e, 2f in [1, 2)
  double mq = std::nearbyint((2 * f - 1) * 8);
  if (mq == 8) {
    mq = 0;
    ++e;
  }
  int biased = e + 7;
  if (biased > 15 || (biased == 15 && mq == 7))
    return sign | 0x7e;
  return sign | uint8_t(biased << 3) | uint8_t(mq);
}

double mlir::effc::decodeF8E4M3FN(uint8_t bits) {
  if ((bits & 0x7f) == 0x7f)
    return std::numeric_limits<double>::quiet_NaN();
  int e = (bits >> 3) & 15, m = bits & 7;
  double v = e == 0 ? std::ldexp(m, -9) : std::ldexp(1.0 + m / 8.0, e - 7);
  return (bits & 0x80) ? -v : v;
}

//===- FloatBits.h - float bit-pattern codecs -------------------*- C++ -*-===//
//
// The one place effc converts f16, bf16 and fp8 (OCP E4M3FN) bit patterns
// to and from numbers, without APFloat: weight rewriting, .npy files and
// the quantizer all go through these, so a weight reads back the same
// wherever it is decoded. Encoders round to nearest even.
//
//===----------------------------------------------------------------------===//

#ifndef EFFC_SUPPORT_FLOATBITS_H
#define EFFC_SUPPORT_FLOATBITS_H

#include "mlir/IR/Types.h"

#include <cstdint>
#include <optional>

namespace mlir {
namespace effc {

/// The bit layout of an IEEE-style binary float type.
struct FloatFormat {
  unsigned bytes;
  int expBits;
  int manBits;
};

inline constexpr FloatFormat kF16Format{2, 5, 10};
inline constexpr FloatFormat kBF16Format{2, 8, 7};

/// The layout of f64, f32, f16 or bf16; nullopt for other types.
std::optional<FloatFormat> getFloatFormat(Type type);

/// Decodes an f16 / bf16 bit pattern (exact in double).
double decodeHalf(uint32_t bits, const FloatFormat &f);

/// Encodes `x` as f16 / bf16 bits, rounding to nearest even; overflow gives
/// infinity, NaN a quiet NaN of the same sign.
uint32_t encodeHalf(double x, const FloatFormat &f);

/// IEEE binary16 / bfloat16 <-> float (the same codec, on floats).
float halfToFloat(uint16_t bits);
uint16_t floatToHalf(float value);
float bf16ToFloat(uint16_t bits);
uint16_t floatToBF16(float value);

/// OCP f8E4M3FN bits: round to nearest even, saturating to +-448 (the
/// format has no infinity); NaN encodes as 0x7f.
uint8_t encodeF8E4M3FN(double x);
double decodeF8E4M3FN(uint8_t bits);

} // namespace effc
} // namespace mlir

#endif // EFFC_SUPPORT_FLOATBITS_H

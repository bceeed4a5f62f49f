//===- QuantMath.cpp - host-side quantization arithmetic --------*- C++ -*-===//

#include "effc/Transforms/QuantMath.h"
#include "effc/Support/WeightData.h"

#include "llvm/Support/MathExtras.h"

#include <algorithm>
#include <cmath>
#include <limits>

using namespace mlir;
using namespace mlir::effc;

double mlir::effc::precisionMax(Precision p) {
  switch (p) {
  case Precision::i8:
    return 127;
  case Precision::i4:
    return 7;
  case Precision::f8e4m3:
    return 448;
  default:
    return 0;
  }
}

unsigned mlir::effc::precisionBits(Precision p) {
  switch (p) {
  case Precision::f32:
    return 32;
  case Precision::bf16:
  case Precision::f16:
    return 16;
  case Precision::f8e4m3:
  case Precision::i8:
    return 8;
  case Precision::i4:
    return 4;
  }
  return 32;
}

bool mlir::effc::isIntegerPrecision(Precision p) {
  return p == Precision::i8 || p == Precision::i4;
}

ScaleBlock mlir::effc::getScaleBlock(Granularity g, int64_t groupSize,
                                     int64_t n, int64_t k) {
  switch (g) {
  case Granularity::tensor:
    return {n, k};
  case Granularity::channel:
    return {1, k};
  case Granularity::group:
    return {1, groupSize};
  case Granularity::block:
    return {groupSize, groupSize};
  }
  return {1, k};
}

QuantizedWeights mlir::effc::quantizeWeights(ArrayRef<double> w, int64_t n,
                                             int64_t k, Precision p,
                                             Granularity g, int64_t groupSize) {
  QuantizedWeights out;
  out.dequantized.resize(n * k);
  if (p == Precision::f32) {
    out.dequantized.assign(w.begin(), w.end());
    return out;
  }
  if (p == Precision::bf16 || p == Precision::f16) {
    FloatFormat f =
        p == Precision::bf16 ? FloatFormat{2, 8, 7} : FloatFormat{2, 5, 10};
    for (int64_t i = 0; i < n * k; ++i)
      out.dequantized[i] = decodeHalf(encodeHalf(w[i], f), f);
    return out;
  }
  out.block = getScaleBlock(g, groupSize, n, k);
  int64_t br = out.block.rows, bc = out.block.cols;
  // The last block along a dim the block does not divide is partial.
  int64_t nb = llvm::divideCeil(n, br), kb = llvm::divideCeil(k, bc);
  double qmax = precisionMax(p);
  out.codes.resize(n * k);
  out.scales.resize(nb * kb);
  for (int64_t bi = 0; bi < nb; ++bi)
    for (int64_t bj = 0; bj < kb; ++bj) {
      int64_t r0 = bi * br, r1 = std::min(n, r0 + br);
      int64_t c0 = bj * bc, c1 = std::min(k, c0 + bc);
      double amax = 0;
      for (int64_t r = r0; r < r1; ++r)
        for (int64_t c = c0; c < c1; ++c)
          amax = std::max(amax, std::fabs(w[r * k + c]));
      // Stored as f32: quantize with the scale the kernels will read.
      float s = amax > 0 ? float(amax / qmax) : 1.0f;
      out.scales[bi * kb + bj] = s;
      for (int64_t r = r0; r < r1; ++r)
        for (int64_t c = c0; c < c1; ++c) {
          int64_t i = r * k + c;
          if (p == Precision::f8e4m3) {
            uint8_t code = encodeF8E4M3FN(w[i] / double(s));
            out.codes[i] = int8_t(code);
            out.dequantized[i] = decodeF8E4M3FN(code) * double(s);
          } else {
            double q =
                std::clamp(std::nearbyint(w[i] / double(s)), -qmax, qmax);
            out.codes[i] = int8_t(q);
            out.dequantized[i] = q * double(s);
          }
        }
    }
  return out;
}

AffineParams mlir::effc::int8Params(double lo, double hi) {
  lo = std::min(lo, 0.0);
  hi = std::max(hi, 0.0);
  double scale = (hi - lo) / 255.0;
  if (!(scale > 0) || !std::isfinite(scale))
    return {1.0, 0};
  // Stored as f32 in !quant.uniform; use the value the kernels read.
  scale = double(float(scale));
  int64_t zp = int64_t(std::nearbyint(-128.0 - lo / scale));
  return {scale, std::clamp<int64_t>(zp, -128, 127)};
}

std::vector<double> mlir::effc::simulateActivations(ArrayRef<double> x,
                                                    int64_t rows, int64_t k,
                                                    Precision p,
                                                    const AffineParams *params,
                                                    int64_t tile) {
  std::vector<double> out(x.begin(), x.end());
  if (p == Precision::f32)
    return out;
  if (p == Precision::bf16 || p == Precision::f16) {
    FloatFormat f =
        p == Precision::bf16 ? FloatFormat{2, 8, 7} : FloatFormat{2, 5, 10};
    for (double &v : out)
      v = decodeHalf(encodeHalf(v, f), f);
    return out;
  }
  if (params && isIntegerPrecision(p)) {
    for (double &v : out) {
      double q = std::clamp(std::nearbyint(v / params->scale) +
                                double(params->zeroPoint),
                            -128.0, 127.0);
      v = (q - double(params->zeroPoint)) * params->scale;
    }
    return out;
  }
  // Dynamic symmetric scales per 1 x tile (int8 activations for i8 / i4
  // weights, fp8 for fp8).
  double qmax = p == Precision::f8e4m3 ? 448.0 : 127.0;
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c0 = 0; c0 < k; c0 += tile) {
      int64_t c1 = std::min(k, c0 + tile);
      double amax = 0;
      for (int64_t c = c0; c < c1; ++c)
        amax = std::max(amax, std::fabs(out[r * k + c]));
      float s = amax > 0 ? float(amax / qmax) : 1.0f;
      for (int64_t c = c0; c < c1; ++c) {
        double &v = out[r * k + c];
        if (p == Precision::f8e4m3)
          v = decodeF8E4M3FN(encodeF8E4M3FN(v / double(s))) * double(s);
        else
          v = std::clamp(std::nearbyint(v / double(s)), -qmax, qmax) *
              double(s);
      }
    }
  return out;
}

double mlir::effc::sqnrDb(ArrayRef<double> ref, ArrayRef<double> approx) {
  double signal = 0, noise = 0;
  for (size_t i = 0; i < ref.size(); ++i) {
    signal += ref[i] * ref[i];
    double d = ref[i] - approx[i];
    noise += d * d;
  }
  if (noise == 0)
    return std::numeric_limits<double>::infinity();
  if (signal == 0)
    return -std::numeric_limits<double>::infinity();
  return 10 * std::log10(signal / noise);
}

void mlir::effc::quantizeMultiplier(double real, int32_t &multiplier,
                                    int32_t &shift) {
  if (!(real > 0)) {
    multiplier = 1 << 30;
    shift = 31;
    return;
  }
  int e;
  double f = std::frexp(real, &e); // real = f * 2^e, f in [0.5, 1)
  int64_t m = int64_t(std::nearbyint(std::ldexp(f, 31)));
  if (m == (int64_t(1) << 31)) {
    m /= 2;
    ++e;
  }
  // real ~= m * 2^-31 * 2^e = m * 2^-(31 + shift) with shift = -e, which
  // the op requires in [-31, 31]; the total shift stays >= 1.
  int64_t s = -e;
  if (s > 31) {
    m = std::max<int64_t>(1, m >> (s - 31));
    s = 31;
  }
  if (s < -30) {
    s = -30;
    m = (int64_t(1) << 31) - 1;
  }
  multiplier = int32_t(m);
  shift = int32_t(s);
}

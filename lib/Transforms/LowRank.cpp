//===- LowRank.cpp - factor linear weights by truncated SVD -----*- C++ -*-===//
//
// Replaces `effc.linear` with a constant [N, K] weight W by two linears
// through a rank-R bottleneck: W ~= U_R S_R V_R^T, split as
// (U_R S_R^1/2) (S_R^1/2 V_R^T) so both factors have the same scale (which
// matters once they are stored in f16/bf16 or quantized). The SVD runs in
// double precision on the raw weight bytes (Svd.h); the rewrite happens only
// when it shrinks the weight, R (N + K) < N K, which also shrinks the FLOPs.
//
//===----------------------------------------------------------------------===//

#include "effc/Dialect/EffcOps.h"
#include "effc/Transforms/Passes.h"
#include "effc/Transforms/Svd.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Matchers.h"

#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>

namespace mlir {
namespace effc {
#define GEN_PASS_DEF_LOWRANKPASS
#include "effc/Transforms/Passes.h.inc"
} // namespace effc
} // namespace mlir

using namespace mlir;
using namespace mlir::effc;

namespace {

//===----------------------------------------------------------------------===//
// Raw weight buffers <-> double
//===----------------------------------------------------------------------===//

/// The float formats a weight may have, by their bit layout.
struct FloatFormat {
  unsigned bytes;
  int expBits;
  int manBits;
};

std::optional<FloatFormat> getFormat(Type type) {
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
double decodeHalf(uint32_t bits, const FloatFormat &f) {
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
uint32_t encodeHalf(double x, const FloatFormat &f) {
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
std::vector<char> getRawBytes(Attribute attr, int64_t numElements,
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

std::vector<double> toDouble(ArrayRef<char> raw, const FloatFormat &f) {
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

std::vector<char> fromDouble(ArrayRef<double> values, const FloatFormat &f) {
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
std::string formatNumber(const char *spec, double value) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), spec, value);
  return buf;
}

//===----------------------------------------------------------------------===//
// Pass
//===----------------------------------------------------------------------===//

struct LowRankPass : effc::impl::LowRankPassBase<LowRankPass> {
  using Base::Base;

  /// The `rank` option as a plain integer: options stream into diagnostics
  /// as characters.
  int64_t fixedRank = 0;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    fixedRank = rank;
    if (fixedRank < 0) {
      module.emitError() << "effc-low-rank: 'rank' must be >= 0 (0: choose "
                            "it from 'energy'), got "
                         << fixedRank;
      return signalPassFailure();
    }
    if (!(energy > 0.0 && energy <= 1.0)) {
      module.emitError() << "effc-low-rank: 'energy' must be in (0, 1], got "
                         << formatNumber("%g", energy);
      return signalPassFailure();
    }
    SmallVector<LinearOp> linears;
    module.walk([&](LinearOp op) { linears.push_back(op); });
    bool failed = false;
    for (LinearOp op : linears)
      failed |= mlir::failed(factor(op));
    if (failed)
      signalPassFailure();
  }

  /// Factors one linear, or leaves it with a remark saying why; fails only
  /// on a rank that cannot exist.
  LogicalResult factor(LinearOp op) {
    auto wTy = op.getWeight().getType();
    Attribute cst;
    if (!matchPattern(op.getWeight(), m_Constant(&cst))) {
      op.emitRemark("low-rank: not factored: the weight is not a constant");
      return success();
    }
    if (wTy.getRank() != 2 || !wTy.hasStaticShape()) {
      op.emitRemark("low-rank: not factored: only [N, K] weights are "
                    "factored");
      return success();
    }
    std::optional<FloatFormat> format = getFormat(wTy.getElementType());
    if (!format) {
      op.emitRemark() << "low-rank: not factored: unsupported weight element "
                         "type "
                      << wTy.getElementType();
      return success();
    }
    int64_t n = wTy.getDimSize(0), k = wTy.getDimSize(1);
    int64_t small = std::min(n, k);
    // The largest rank that still saves: R (N + K) < N K.
    int64_t maxSaving = (n * k - 1) / (n + k);
    if (fixedRank > small)
      return op.emitOpError() << "low-rank: rank " << fixedRank
                              << " exceeds min(N, K) = " << small << " of the ["
                              << n << ", " << k << "] weight";
    if (fixedRank > maxSaving) {
      op.emitRemark() << "low-rank: not factored: rank " << fixedRank
                      << " (N = " << n << ", K = " << k
                      << ") would not shrink it: R * (N + K) = "
                      << fixedRank * (n + k) << " >= N * K = " << n * k;
      return success();
    }
    if (maxSaving == 0) {
      op.emitRemark() << "low-rank: not factored: no rank shrinks a [" << n
                      << ", " << k << "] weight";
      return success();
    }
    std::vector<char> raw = getRawBytes(cst, n * k, format->bytes);
    if (raw.empty()) {
      op.emitRemark("low-rank: not factored: the weight's data is not "
                    "available");
      return success();
    }
    std::vector<double> w = toDouble(raw, *format);
    if (!llvm::all_of(w, [](double v) { return std::isfinite(v); })) {
      op.emitRemark("low-rank: not factored: the weight has NaN or Inf "
                    "entries");
      return success();
    }

    Svd svd;
    int64_t r = fixedRank;
    double total = 0;
    if (r > 0) {
      svd = computeLeadingSvd(w, n, k, r);
      for (double v : w)
        total += v * v;
    } else {
      std::string energyStr = formatNumber("%g", energy);
      EnergySvd found = computeEnergySvd(w, n, k, energy, maxSaving);
      total = found.totalEnergy;
      if (found.rank == 0) {
        op.emitRemark() << "low-rank: not factored: energy " << energyStr
                        << " is not reached by rank <= " << found.searched
                        << " (N = " << n << ", K = " << k
                        << "; randomized search, ranks up to " << maxSaving
                        << " would shrink it); give rank=R to force a rank";
        return success();
      }
      r = found.rank;
      if (r > maxSaving) {
        op.emitRemark() << "low-rank: not factored: energy " << energyStr
                        << " needs rank " << r << " (N = " << n << ", K = " << k
                        << ") and R * (N + K) = " << r * (n + k)
                        << " >= N * K = " << n * k;
        return success();
      }
      svd = std::move(found.svd);
    }
    double norm = std::sqrt(total);
    double truncErr = truncationError(w, svd, r);

    // V' = S^1/2 V^T [R, K] and U' = U S^1/2 [N, R], in the weight's type.
    int64_t have = svd.size();
    std::vector<double> vr(r * k), ur(n * r);
    for (int64_t i = 0; i < r; ++i) {
      double root = std::sqrt(svd.s[i]);
      for (int64_t j = 0; j < k; ++j)
        vr[i * k + j] = root * svd.vt[i * k + j];
      for (int64_t j = 0; j < n; ++j)
        ur[j * r + i] = svd.u[j * have + i] * root;
    }
    std::vector<char> vBytes = fromDouble(vr, *format);
    std::vector<char> uBytes = fromDouble(ur, *format);
    // The error of the factors as stored (rounded to the element type).
    double err = productDistance(w, toDouble(uBytes, *format),
                                 toDouble(vBytes, *format), n, k, r);

    OpBuilder b(op);
    Location loc = op.getLoc();
    Type elemTy = wTy.getElementType();
    auto constant = [&](ArrayRef<int64_t> shape, ArrayRef<char> bytes) {
      auto type = RankedTensorType::get(shape, elemTy);
      return arith::ConstantOp::create(
          b, loc, DenseElementsAttr::getFromRawBuffer(type, bytes));
    };
    Value vCst = constant({r, k}, vBytes), uCst = constant({n, r}, uBytes);
    auto inTy = op.getInput().getType();
    SmallVector<int64_t> midShape(inTy.getShape());
    midShape.back() = r;
    auto midTy = RankedTensorType::get(midShape, inTy.getElementType());
    auto first = LinearOp::create(b, loc, midTy, op.getInput(), vCst,
                                  /*bias=*/Value(), Activation::none,
                                  FloatAttr(), FloatAttr());
    auto second = LinearOp::create(b, loc, op.getType(), first.getResult(),
                                   uCst, op.getBias(), op.getActivationAttr(),
                                   op.getClampMinAttr(), op.getClampMaxAttr());
    for (NamedAttribute attr : op->getDiscardableAttrs())
      second->setDiscardableAttr(attr.getName(), attr.getValue());

    int64_t bytes = format->bytes;
    {
      InFlightDiagnostic remark = op.emitRemark();
      remark << "low-rank: factored to rank " << r << " (N = " << n
             << ", K = " << k << "): relative Frobenius error "
             << formatNumber("%.3e", norm > 0 ? err / norm : 0.0)
             << " (truncation alone "
             << formatNumber("%.3e", norm > 0 ? truncErr / norm : 0.0)
             << "); weight bytes " << n * k * bytes << " -> "
             << r * (n + k) * bytes << ", FLOPs per input row " << 2 * n * k
             << " -> " << 2 * r * (n + k) << " ("
             << formatNumber("%.2f", double(n * k) / double(r * (n + k)))
             << "x fewer)";
      if (fixedRank == 0)
        remark << "; energy " << formatNumber("%g", energy);
      if (svd.randomized)
        remark << "; randomized SVD";
    }

    Operation *weightOp = op.getWeight().getDefiningOp();
    op.replaceAllUsesWith(second.getResult());
    op.erase();
    if (weightOp && weightOp->use_empty())
      weightOp->erase();
    return success();
  }
};

} // namespace

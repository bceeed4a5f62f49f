//===- LowRank.cpp - factor linear weights by truncated SVD -----*- C++ -*-===//
//
// Replaces `effc.linear` with a constant [N, K] weight W by two linears
// through a rank-R bottleneck: W ~= U_R S_R V_R^T, split as
// (U_R S_R^1/2) (S_R^1/2 V_R^T) so both factors have the same scale (which
// matters once they are stored in f16/bf16 or quantized). The SVD runs in
// double precision on the raw weight bytes (Svd.h); the rewrite happens only
// when it shrinks the weight, R (N + K) < N K, which also shrinks the FLOPs.
// The SVD's BLAS / LAPACK calls run on the compile's threads (Lapack.h): the
// weights are factored one at a time, each using all of them.
//
//===----------------------------------------------------------------------===//

#include "Lapack.h"

#include "effc/Dialect/EffcOps.h"
#include "effc/Support/WeightData.h"
#include "effc/Transforms/Passes.h"
#include "effc/Transforms/Svd.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Matchers.h"

#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
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
    ScopedBlasThreads blasThreads(&getContext());
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
    std::optional<FloatFormat> format = getFloatFormat(wTy.getElementType());
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
    // A rank beyond this layer's (a narrow layer in a model of wide ones)
    // skips the layer like any rank that would not shrink it.
    if (fixedRank > small) {
      op.emitRemark() << "low-rank: not factored: rank " << fixedRank
                      << " exceeds min(N, K) = " << small << " of the [" << n
                      << ", " << k << "] weight";
      return success();
    }
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
    // LAPACK (dgesdd) indexes with 32-bit integers.
    if (n * k > std::numeric_limits<int32_t>::max()) {
      op.emitRemark() << "low-rank: not factored: a [" << n << ", " << k
                      << "] weight exceeds 32-bit LAPACK indexing";
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

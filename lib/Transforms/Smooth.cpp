//===- Smooth.cpp - SmoothQuant activation smoothing ------------*- C++ -*-===//
//
// SmoothQuant (Xiao et al., 2023) moves the quantization difficulty of
// activations with outlier channels into the weights: for the linears
// reading one activation x [.., K], each input channel j gets a factor
//
//   s_j = max|x_j|^alpha / max|W_:j|^(1 - alpha)
//
// (the weight maximum over every linear reading x), x becomes x / s and
// each weight W[:, j] becomes W[:, j] * s_j. The product is unchanged in
// exact arithmetic, but x / s has no outlier channels left, so one int8
// scale per tensor (static) or per token (dynamic) resolves it much better.
// The calibration statistics of the smoothed ops are rewritten to describe
// x / s; their |x| histogram describes x only, so a smoothed op's range is
// the min / max of its smoothed per-channel ranges.
//
//===----------------------------------------------------------------------===//

#include "effc/Dialect/EffcOps.h"
#include "effc/Support/FloatBits.h"
#include "effc/Support/LinalgBuilders.h"
#include "effc/Support/WeightData.h"
#include "effc/Transforms/Calibration.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"

#include "llvm/ADT/MapVector.h"

#include <algorithm>
#include <cmath>
#include <limits>

using namespace mlir;
using namespace mlir::effc;

namespace {

struct Member {
  LinearOp op;
  ActivationStats *stats;
  std::vector<double> weight; // [N, K]
  int64_t n;
};

/// Why `op` cannot be smoothed, or empty when it can.
std::string whyNotSmoothable(LinearOp op, const ActivationStats &stats,
                             int64_t k) {
  auto wTy = cast<RankedTensorType>(op.getWeight().getType());
  if (wTy.getRank() != 2)
    return "its weight is batched";
  if (stats.channelMax.empty())
    return "the calibration statistics have no per-channel ranges "
           "(re-run effc-run --calibrate)";
  if (stats.rowLength != k)
    return "its statistics' rows are not its K = " + std::to_string(k) +
           " inputs";
  return "";
}

} // namespace

int64_t mlir::effc::smoothActivations(
    ModuleOp module, CalibrationStats &stats, double alpha,
    llvm::function_ref<bool(Operation *, StringRef)> filter) {
  // Linears that read the same activation share one set of factors.
  llvm::MapVector<Value, SmallVector<Member>> groups;
  forEachQuantizableOp(module, [&](Operation *op, StringRef key) {
    if (!filter(op, key))
      return;
    auto lin = dyn_cast<LinearOp>(op);
    if (!lin) {
      op->emitRemark() << "effc-assign-precision: not smoothed: smoothing "
                          "applies to effc.linear";
      return;
    }
    int64_t k = cast<WeightedOpInterface>(op).getReductionSize();
    auto it = stats.find(key);
    if (it == stats.end())
      return; // effc-assign-precision warns about it
    ActivationStats *s = &it->second;
    if (std::string why = whyNotSmoothable(lin, *s, k); !why.empty()) {
      op->emitRemark() << "effc-assign-precision: not smoothed: " << why;
      return;
    }
    std::optional<std::vector<double>> w =
        getConstantFloatValues(lin.getWeight());
    if (!w) {
      op->emitRemark() << "effc-assign-precision: not smoothed: the weight "
                          "is not a float constant";
      return;
    }
    int64_t n = int64_t(w->size()) / k;
    groups[lin.getInput()].push_back({lin, s, std::move(*w), n});
  });

  int64_t smoothed = 0;
  for (auto &[input, members] : groups) {
    int64_t k = members.front().stats->rowLength;
    // Every member observed the same tensor; take the widest range anyway
    // (statistics from different runs may differ slightly).
    std::vector<double> aMax(k, 0.0), wMax(k, 0.0);
    for (const Member &m : members) {
      for (int64_t j = 0; j < k; ++j)
        aMax[j] = std::max({aMax[j], std::fabs(m.stats->channelMin[j]),
                            std::fabs(m.stats->channelMax[j])});
      for (int64_t r = 0; r < m.n; ++r)
        for (int64_t j = 0; j < k; ++j)
          wMax[j] = std::max(wMax[j], std::fabs(m.weight[r * k + j]));
    }
    // Live channels take the paper's factor. The others are set relative
    // to them, never to an absolute constant (a randomly initialized CNN's
    // features are 1e-9 in size): a channel the calibration saw only at 0
    // (ReLU-dead) gets the smallest live factor, so its weight column
    // shrinks like the others and does not set the row's int8 scale alone;
    // a channel whose weights are all 0 is scaled to the widest smoothed
    // live range, so it does not set the token's scale alone.
    std::vector<double> s(k, 0.0);
    double minLive = 0, maxSmoothed = 0;
    for (int64_t j = 0; j < k; ++j) {
      if (aMax[j] <= 0 || wMax[j] <= 0)
        continue;
      s[j] = std::pow(aMax[j], alpha) / std::pow(wMax[j], 1 - alpha);
      minLive = minLive == 0 ? s[j] : std::min(minLive, s[j]);
      maxSmoothed = std::max(maxSmoothed, aMax[j] / s[j]);
    }
    for (int64_t j = 0; j < k; ++j) {
      if (s[j] > 0 && std::isfinite(s[j]))
        continue;
      if (minLive == 0)
        s[j] = 1.0; // nothing live: leave the channel alone
      else if (aMax[j] <= 0)
        s[j] = minLive;
      else
        s[j] = aMax[j] / maxSmoothed;
    }

    // x / s, right after x is defined.
    OpBuilder b(module.getContext());
    if (Operation *def = input.getDefiningOp())
      b.setInsertionPointAfter(def);
    else
      b.setInsertionPointToStart(cast<BlockArgument>(input).getOwner());
    Location loc = members.front().op.getLoc();
    auto xTy = cast<RankedTensorType>(input.getType());
    Type elt = xTy.getElementType();
    auto invTy = RankedTensorType::get({k}, elt);
    std::vector<double> inv(k);
    for (int64_t j = 0; j < k; ++j)
      inv[j] = 1.0 / s[j];
    Value invConst = arith::ConstantOp::create(
        b, loc, invTy,
        DenseElementsAttr::getFromRawBuffer(
            invTy, fromDouble(inv, *getFloatFormat(elt))));
    int64_t rank = xTy.getRank();
    MLIRContext *ctx = b.getContext();
    AffineMap id = AffineMap::getMultiDimIdentityMap(rank, ctx);
    AffineMap last = AffineMap::get(rank, 0, b.getAffineDimExpr(rank - 1));
    Value xs = buildGeneric(
        b, loc, xTy, {input, invConst}, Value(), {id, last, id},
        SmallVector<utils::IteratorType>(rank, utils::IteratorType::parallel),
        [](OpBuilder &nb, Location nloc, ValueRange args) {
          return arith::MulFOp::create(nb, nloc, args[0], args[1]).getResult();
        });

    for (Member &m : members) {
      // W[:, j] * s_j, in the weight's own element type.
      for (int64_t r = 0; r < m.n; ++r)
        for (int64_t j = 0; j < k; ++j)
          m.weight[r * k + j] *= s[j];
      auto wTy = cast<RankedTensorType>(m.op.getWeight().getType());
      OpBuilder wb(m.op);
      Value w = arith::ConstantOp::create(
          wb, m.op.getLoc(), wTy,
          DenseElementsAttr::getFromRawBuffer(
              wTy,
              fromDouble(m.weight, *getFloatFormat(wTy.getElementType()))));
      Operation *old = m.op.getWeight().getDefiningOp();
      m.op.getWeightMutable().assign(w);
      if (old && old->use_empty() && isa<arith::ConstantOp>(old))
        old->erase();
      m.op.getInputMutable().assign(xs);

      // The statistics now describe x / s (s > 0 keeps min below max).
      ActivationStats &st = *m.stats;
      st.min = std::numeric_limits<double>::infinity();
      st.max = -std::numeric_limits<double>::infinity();
      for (int64_t j = 0; j < k; ++j) {
        st.channelMin[j] /= s[j];
        st.channelMax[j] /= s[j];
        if (j < int64_t(st.mean.size()))
          st.mean[j] /= s[j];
        st.min = std::min(st.min, st.channelMin[j]);
        st.max = std::max(st.max, st.channelMax[j]);
      }
      for (size_t i = 0; i < st.rows.size(); ++i)
        st.rows[i] /= s[i % k];
      st.hist.clear(); // describes x, not x / s: ranges fall back to min/max
      st.histMax = 0;
      st.gram.clear(); // likewise
      st.gramPath.clear();
      ++smoothed;
    }
  }
  return smoothed;
}

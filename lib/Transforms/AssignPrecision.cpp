//===- AssignPrecision.cpp - per-op precision plans -------------*- C++ -*-===//
//
// Chooses each quantizable op's weight and activation precision, writes it
// as `effc.precision_plan` together with the calibrated activation range
// and the measured SQNR, and (with weights=auto) picks the precisions that
// minimize the total measured error under an average-bits budget.
//
//===----------------------------------------------------------------------===//

#include "effc/Dialect/EffcOps.h"
#include "effc/Support/WeightData.h"
#include "effc/Transforms/Calibration.h"
#include "effc/Transforms/Passes.h"
#include "effc/Transforms/QuantMath.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Quant/IR/Quant.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Matchers.h"

#include "llvm/ADT/StringSwitch.h"

#include <cmath>
#include <limits>

namespace mlir {
namespace effc {
#define GEN_PASS_DEF_ASSIGNPRECISIONPASS
#include "effc/Transforms/Passes.h.inc"
} // namespace effc
} // namespace mlir

using namespace mlir;
using namespace mlir::effc;

namespace {

/// One quantizable op: its weight as [N, K] doubles and its calibration.
struct Candidate {
  Precision weights, activations;
  Granularity granularity;
  int64_t groupSize;
  double bits;  // stored bits, scales included
  double sqnr;  // measured, dB
  double noise; // relative noise power 10^(-sqnr/10)
  std::optional<std::pair<double, double>> range;
};

struct OpInfo {
  Operation *op;
  std::string key;
  int64_t n = 0, k = 0;
  std::vector<double> w;
  const ActivationStats *stats = nullptr;
  SmallVector<Candidate> candidates; // most precise first
  unsigned choice = 0;
};

/// The op's constant weight viewed as [N, K] doubles (conv: [F, KH*KW*C]).
LogicalResult loadWeight(OpInfo &info) {
  Value weight = cast<WeightedOpInterface>(info.op).getWeight();
  std::optional<std::vector<double>> values = getConstantFloatValues(weight);
  if (!values)
    return failure();
  info.w = std::move(*values);
  auto type = cast<ShapedType>(weight.getType());
  if (type.getRank() == 3) // batched effc.linear weights: [B * N, K]
    info.n = type.getDimSize(0) * type.getDimSize(1);
  else
    info.n = type.getDimSize(0);
  info.k = type.getNumElements() / info.n;
  return success();
}

struct AssignPrecisionPass
    : effc::impl::AssignPrecisionPassBase<AssignPrecisionPass> {
  using Base::Base;

  /// Checks that `g` / group size fit `info`'s op; says why not in
  /// `reason` when given.
  LogicalResult checkGranularity(const OpInfo &info, Precision p, Granularity g,
                                 int64_t groupSize,
                                 std::string *reason = nullptr) {
    auto fail = [&](const Twine &msg) {
      if (reason)
        *reason = msg.str();
      return failure();
    };
    if (p == Precision::f32 || p == Precision::bf16 || p == Precision::f16)
      return success();
    // Grouped convolutions (depthwise) have no linear form; dense ones are
    // quantized as their im2col linear where the plan needs it.
    auto conv = dyn_cast<Conv2DOp>(info.op);
    bool grouped = conv && conv.getGroups() != 1;
    bool batched =
        cast<WeightedOpInterface>(info.op).getWeightShape().size() == 3;
    if (batched)
      return fail("batched [B, N, K] weights are stored in bf16 / f16 only "
                  "(the quantized ops take [N, K] weights)");
    if (grouped && (g == Granularity::group || g == Granularity::block))
      return fail(Twine("granularity '") + stringifyGranularity(g) +
                  "' needs an effc.linear or a dense convolution (this one "
                  "has groups = " +
                  Twine(conv.getGroups()) + ")");
    ArrayRef<int64_t> shape =
        cast<WeightedOpInterface>(info.op).getWeightShape();
    // A dense convolution with group / block scales is quantized as its
    // im2col linear, packed along K.
    int64_t packed = shape.empty() ? 0 : shape.back();
    if (conv && !grouped &&
        (g == Granularity::group || g == Granularity::block))
      packed = info.k;
    if (p == Precision::i4 && packed % 2 != 0)
      return fail("int4 weights are packed two to a byte along the last "
                  "dim, which is odd here (" +
                  Twine(packed) + ")");
    if (g == Granularity::group && info.k % groupSize != 0)
      return fail("group-size " + Twine(groupSize) +
                  " does not divide K = " + Twine(info.k));
    // Block scales take partial edge blocks (a 1000-wide K has a 104-wide
    // last block of 128), as DeepSeek-V3's kernels do.
    return success();
  }

  /// The activation precision that goes with weights `p`.
  Precision pairedActivations(Precision p, std::optional<Precision> act) {
    if (!act)
      return isIntegerPrecision(p) ? Precision::i8 : p;
    // With weights=auto, candidates the fixed activation precision does not
    // pair with keep float activations.
    if (*act == Precision::i8 && !isIntegerPrecision(p))
      return Precision::f32;
    if (*act == Precision::f8e4m3 && p != Precision::f8e4m3)
      return Precision::f32;
    return *act;
  }

  /// Measures one (weights, activations, granularity) candidate on `info`.
  Candidate measure(const OpInfo &info, Precision wp, Precision ap,
                    Granularity g, int64_t groupSize, RangeMethod method) {
    Candidate c{wp, ap, g, groupSize, 0, 0, 0, std::nullopt};
    QuantizedWeights q =
        quantizeWeights(info.w, info.n, info.k, wp, g, groupSize);
    double numel = double(info.n) * double(info.k);
    c.bits = numel * precisionBits(wp) + 32.0 * q.scales.size();
    // Activation quantization: static int8 with a calibrated range, else
    // dynamic per 1 x tile (the K block of the weight scales).
    AffineParams params{1.0, 0};
    bool haveParams = false;
    if (info.stats && isIntegerPrecision(ap) && !dynamic) {
      c.range = chooseRange(*info.stats, method, percentile);
      params = int8Params(c.range->first, c.range->second);
      haveParams = true;
    }
    int64_t tile =
        q.block.cols > 0 && !q.scales.empty() ? q.block.cols : info.k;
    int64_t rows =
        info.stats && isa<LinearOp>(info.op) && info.stats->rowLength == info.k
            ? info.stats->numRows()
            : 0;
    // Keep the measurement cheap on large layers.
    while (rows > 1 && double(rows) * numel > 6.4e7)
      rows /= 2;
    if (rows == 0) {
      c.sqnr = sqnrDb(info.w, q.dequantized);
    } else {
      ArrayRef<double> x(info.stats->rows.data(), rows * info.k);
      std::vector<double> xs = simulateActivations(
          x, rows, info.k, ap, haveParams ? &params : nullptr, tile);
      std::vector<double> ref(rows * info.n), got(rows * info.n);
      for (int64_t r = 0; r < rows; ++r)
        for (int64_t j = 0; j < info.n; ++j) {
          double a = 0, b = 0;
          const double *wr = &info.w[j * info.k];
          const double *qr = &q.dequantized[j * info.k];
          for (int64_t t = 0; t < info.k; ++t) {
            a += x[r * info.k + t] * wr[t];
            b += xs[r * info.k + t] * qr[t];
          }
          ref[r * info.n + j] = a;
          got[r * info.n + j] = b;
        }
      c.sqnr = sqnrDb(ref, got);
    }
    c.noise = std::isinf(c.sqnr) ? (c.sqnr > 0 ? 0.0 : 1.0)
                                 : std::pow(10.0, -c.sqnr / 10.0);
    return c;
  }

  void runOnOperation() override {
    ModuleOp module = getOperation();
    // Module-level errors point at the first function (a module parsed
    // from a split input file has no location of its own).
    Location loc = module.getLoc();
    for (auto func : module.getOps<func::FuncOp>()) {
      loc = func.getLoc();
      break;
    }
    auto fail = [&](const Twine &msg) {
      mlir::emitError(loc) << "effc-assign-precision: " << msg;
      signalPassFailure();
    };
    // Empty: auto.
    std::optional<Precision> wantW = getPrecision(weights),
                             wantA = getPrecision(activations);
    if ((granularity == Granularity::group ||
         granularity == Granularity::block) &&
        groupSize <= 0)
      return fail("group-size must be positive, got " + Twine(groupSize));
    bool isAuto = !wantW;
    if (isAuto && budgetBits <= 0)
      return fail("weights=auto needs budget-bits > 0");
    if (!isAuto && budgetBits > 0)
      return fail("budget-bits needs weights=auto");
    if (wantA && *wantA == Precision::i4)
      return fail("activations=i4 is not supported (use i8)");
    if (wantA && (*wantA == Precision::i8) && wantW &&
        !isIntegerPrecision(*wantW))
      return fail(Twine("activations=i8 needs integer weights (i8 or i4), "
                        "got weights=") +
                  stringifyPrecision(*wantW));
    if (wantA && *wantA == Precision::f8e4m3 && wantW &&
        *wantW != Precision::f8e4m3)
      return fail("activations=f8e4m3 needs weights=f8e4m3");
    if (!(percentile > 0 && percentile <= 100))
      return fail("percentile must be in (0, 100], got " +
                  formatNumber("%g", percentile));

    CalibrationStats stats;
    if (!calibration.empty()) {
      auto read = readCalibrationStats(calibration);
      if (!read) {
        std::string msg = toString(read.takeError());
        return fail(msg);
      }
      stats = std::move(*read);
    }
    // exclude= as in --effc-prune: keys, name / location substrings, and
    // the first / last quantizable op.
    Operation *firstOp = nullptr, *lastOp = nullptr;
    forEachQuantizableOp(module, [&](Operation *op, StringRef) {
      if (!firstOp)
        firstOp = op;
      lastOp = op;
    });
    auto isExcluded = [&](Operation *op, StringRef key) {
      return llvm::any_of(exclude, [&](const std::string &pattern) {
        StringRef p = StringRef(pattern).trim();
        return (p == "first" && op == firstOp) ||
               (p == "last" && op == lastOp) ||
               matchesExcludePattern(p, op, key);
      });
    };

    if (!(smooth >= 0 && smooth <= 1))
      return fail("smooth must be in [0, 1], got " +
                  formatNumber("%g", smooth));
    if (smooth > 0) {
      if (calibration.empty())
        return fail("smooth needs calibration statistics (calibration=)");
      if (!wantA || (*wantA != Precision::i8 && *wantA != Precision::f8e4m3))
        return fail("smooth needs quantized activations (activations=i8 or "
                    "f8e4m3): smoothing float activations changes nothing");
      smoothActivations(module, stats, smooth,
                        [&](Operation *op, StringRef key) {
                          return !isExcluded(op, key) &&
                                 !cast<WeightedOpInterface>(op)
                                      .getWeight()
                                      .getDefiningOp<quant::DequantizeCastOp>();
                        });
    }

    // Collect the ops.
    std::vector<OpInfo> infos;
    bool failedAny = false;
    int64_t numOps = 0;
    forEachQuantizableOp(module, [&](Operation *op, StringRef key) {
      ++numOps;
      if (isExcluded(op, key))
        return;
      OpInfo info;
      info.op = op;
      info.key = key.str();
      if (cast<WeightedOpInterface>(op)
              .getWeight()
              .getDefiningOp<quant::DequantizeCastOp>())
        return; // already quantized (QDQ): its scales are kept
      if (failed(loadWeight(info))) {
        op->emitRemark() << "effc-assign-precision: the weight is not a "
                            "constant of f32/f16/bf16; left in float";
        return;
      }
      auto it = stats.find(key);
      if (it != stats.end())
        info.stats = &it->second;
      else if (!stats.empty())
        op->emitWarning() << "effc-assign-precision: no calibration data "
                             "for '"
                          << key << "'";
      infos.push_back(std::move(info));
    });
    if (failedAny)
      return signalPassFailure();
    // Not a silent no-op: say why nothing is planned.
    if (numOps == 0)
      mlir::emitWarning(loc)
          << "effc-assign-precision: no effc.linear or effc.conv2d to plan "
             "(run --effc-raise first; `--effc-raise remarks=1` says why a "
             "contraction stays, e.g. a dynamic shape)";

    // Candidates per op.
    SmallVector<Precision> choices;
    if (isAuto)
      choices = {Precision::bf16, Precision::f8e4m3, Precision::i8,
                 Precision::i4};
    else
      choices = {*wantW};
    for (OpInfo &info : infos) {
      for (Precision p : choices) {
        Granularity g = granularity;
        int64_t gs = groupSize;
        if (p == Precision::bf16 || p == Precision::f16 ||
            p == Precision::f32) {
          g = Granularity::tensor;
          gs = 0;
        } else if (g != Granularity::group && g != Granularity::block) {
          gs = 0;
        }
        if (isAuto) {
          // auto skips what does not fit this op instead of failing.
          if (failed(checkGranularity(info, p, g, gs))) {
            g = Granularity::channel;
            gs = 0;
          }
          if (failed(checkGranularity(info, p, g, gs)))
            continue;
        } else if (std::string why;
                   failed(checkGranularity(info, p, g, gs, &why))) {
          // A layer the granularity does not fit (group scales on a
          // convolution, a group size that does not divide K, a batched
          // weight) is quantized per channel when that fits, else left in
          // float, with a remark: the rest of the model is still quantized.
          std::string whyChannel;
          if (succeeded(checkGranularity(info, p, Granularity::channel, 0,
                                         &whyChannel))) {
            info.op->emitRemark()
                << "effc-assign-precision: " << why << "; quantized per "
                << "channel instead";
            g = Granularity::channel;
            gs = 0;
          } else {
            info.op->emitRemark()
                << "effc-assign-precision: " << why
                << (whyChannel == why ? "" : "; per channel: " + whyChannel)
                << "; left in float";
            continue;
          }
        }
        Precision ap = pairedActivations(p, wantA);
        auto conv = dyn_cast<Conv2DOp>(info.op);
        if (conv && conv.getGroups() != 1 && ap == Precision::f8e4m3) {
          if (!isAuto)
            info.op->emitRemark()
                << "effc-assign-precision: fp8 activations are block-scaled "
                   "over a dense K; this grouped convolution keeps float "
                   "activations with fp8 weights";
          ap = Precision::f32;
        }
        info.candidates.push_back(
            measure(info, p, ap, g, gs, calibrationMethod));
        // auto also weighs groups of group-size along K against one scale
        // per channel: more scale bits, less error.
        if (isAuto && p != Precision::bf16 && g != Granularity::group &&
            succeeded(
                checkGranularity(info, p, Granularity::group, groupSize)) &&
            groupSize < info.k)
          info.candidates.push_back(measure(info, p, ap, Granularity::group,
                                            groupSize, calibrationMethod));
      }
    }
    // Layers no candidate fits stay in float (each said why).
    llvm::erase_if(infos,
                   [](const OpInfo &info) { return info.candidates.empty(); });

    if (isAuto && !infos.empty()) {
      double numel = 0, total = 0, cheapest = 0;
      for (OpInfo &info : infos) {
        numel += double(info.n) * double(info.k);
        total += info.candidates[0].bits;
        double lo = info.candidates[0].bits;
        for (const Candidate &c : info.candidates)
          lo = std::min(lo, c.bits);
        cheapest += lo;
      }
      double budget = budgetBits * numel;
      if (cheapest > budget)
        return fail("budget-bits=" + formatNumber("%g", budgetBits) +
                    " is below the cheapest plan (" +
                    formatNumber("%.3f", cheapest / numel) +
                    " bits per weight)");
      // Greedy on the knapsack: repeatedly take the step down with the
      // least added error per saved bit.
      while (total > budget) {
        OpInfo *best = nullptr;
        unsigned bestTo = 0;
        double bestRatio = std::numeric_limits<double>::infinity();
        for (OpInfo &info : infos) {
          const Candidate &cur = info.candidates[info.choice];
          for (unsigned j = 0; j < info.candidates.size(); ++j) {
            const Candidate &c = info.candidates[j];
            double saved = cur.bits - c.bits;
            if (saved <= 0)
              continue;
            double ratio = std::max(0.0, c.noise - cur.noise) / saved;
            if (ratio < bestRatio) {
              bestRatio = ratio;
              best = &info;
              bestTo = j;
            }
          }
        }
        if (!best)
          break;
        total -=
            best->candidates[best->choice].bits - best->candidates[bestTo].bits;
        best->choice = bestTo;
      }
      // A large step may overshoot: spend the slack again on the upgrades
      // that remove the most noise per added bit and still fit.
      while (true) {
        OpInfo *best = nullptr;
        unsigned bestTo = 0;
        double bestRatio = 0;
        for (OpInfo &info : infos) {
          const Candidate &cur = info.candidates[info.choice];
          for (unsigned j = 0; j < info.candidates.size(); ++j) {
            const Candidate &c = info.candidates[j];
            double added = c.bits - cur.bits;
            if (added <= 0 || total + added > budget)
              continue;
            double ratio = (cur.noise - c.noise) / added;
            if (ratio > bestRatio) {
              bestRatio = ratio;
              best = &info;
              bestTo = j;
            }
          }
        }
        if (!best)
          break;
        total +=
            best->candidates[bestTo].bits - best->candidates[best->choice].bits;
        best->choice = bestTo;
      }
      mlir::emitRemark(loc)
          << "effc-assign-precision: auto plan uses "
          << formatNumber("%.3f", total / numel) << " bits per weight (budget "
          << formatNumber("%g", budgetBits) << ")";
    }

    MLIRContext *ctx = &getContext();
    Builder b(ctx);
    for (OpInfo &info : infos) {
      if (info.candidates.empty())
        continue;
      const Candidate &c = info.candidates[info.choice];
      FloatAttr lo, hi;
      if (c.range && isIntegerPrecision(c.activations)) {
        lo = b.getF64FloatAttr(c.range->first);
        hi = b.getF64FloatAttr(c.range->second);
      }
      double sq = std::isinf(c.sqnr) ? (c.sqnr > 0 ? 999.0 : -999.0)
                                     : std::round(c.sqnr * 100) / 100;
      auto plan =
          PrecisionPlanAttr::get(ctx, c.weights, c.activations, c.granularity,
                                 c.groupSize, lo, hi, b.getF64FloatAttr(sq));
      info.op->setAttr(EffcDialect::kPrecisionPlanAttrName, plan);
    }
  }
};

} // namespace

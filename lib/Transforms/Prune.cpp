//===- Prune.cpp - zero the weakest constant weights ------------*- C++ -*-===//
//
// Prunes the constant weights of effc.linear and effc.conv2d in place: the
// weight is viewed as [N, K] with the reduction K contiguous (the last dim of
// a linear, KH * KW * C/g of an OHWI convolution), scored on its raw bytes,
// and written back as a dense constant with zeros. Every ranking is a strict
// total order (score, then the lower index wins), so the result does not
// depend on the sort and matches an independent implementation bit for bit.
//
// This file holds the pass, its option checking and the unstructured
// methods (magnitude, N:M, block); PruneStructured.cpp the channel and head
// pruning, PruneObs.cpp the OBS compensation (PruneImpl.h).
//
//===----------------------------------------------------------------------===//

#include "PruneImpl.h"

#include "effc/Dialect/EffcOps.h"
#include "effc/Support/WeightData.h"
#include "effc/Transforms/Calibration.h"
#include "effc/Transforms/Passes.h"
#include "effc/Transforms/Sparsify.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Matchers.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>
#include <string>

namespace mlir {
namespace effc {
#define GEN_PASS_DEF_PRUNEPASS
#include "effc/Transforms/Passes.h.inc"
} // namespace effc
} // namespace mlir

using namespace mlir;
using namespace mlir::effc;

//===----------------------------------------------------------------------===//
// Raw weight buffers
//===----------------------------------------------------------------------===//

unsigned mlir::effc::getPruneElementBytes(Type type) {
  auto format = getFloatFormat(type);
  return format && format->bytes <= 4 ? format->bytes : 0;
}

double mlir::effc::rankable(double score) {
  return std::isnan(score) ? HUGE_VAL : score;
}

std::vector<int64_t> mlir::effc::selectWeakest(ArrayRef<double> scores,
                                               int64_t count) {
  int64_t total = scores.size();
  count = std::clamp<int64_t>(count, 0, total);
  std::vector<int64_t> order(total);
  std::iota(order.begin(), order.end(), 0);
  auto stronger = [&](int64_t a, int64_t b) {
    return scores[a] > scores[b] || (scores[a] == scores[b] && a < b);
  };
  int64_t keep = total - count;
  if (count > 0 && keep > 0)
    std::nth_element(order.begin(), order.begin() + keep, order.end(),
                     stronger);
  return std::vector<int64_t>(order.begin() + keep, order.end());
}

std::vector<double> mlir::effc::constantValues(Value v) {
  Attribute cst;
  auto ty = dyn_cast<RankedTensorType>(v.getType());
  if (!ty || !matchPattern(v, m_Constant(&cst)))
    return {};
  auto format = getFloatFormat(ty.getElementType());
  if (!format || format->bytes > 4)
    return {};
  std::vector<char> raw = getRawBytes(cst, ty.getNumElements(), format->bytes);
  return raw.empty() ? std::vector<double>() : toDouble(raw, *format);
}

//===----------------------------------------------------------------------===//
// Pass
//===----------------------------------------------------------------------===//

namespace {

/// Where module-level diagnostics point: the first function (a module
/// parsed from a split input file has no location of its own).
Location firstFunctionLoc(ModuleOp module) {
  for (auto func : module.getOps<func::FuncOp>())
    return func.getLoc();
  return module.getLoc();
}

struct PrunePass : effc::impl::PrunePassBase<PrunePass> {
  using Base::Base;

  /// The options, checked (parseOptions).
  PruneConfig config;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    if (failed(parseOptions(module)))
      return signalPassFailure();

    if (config.method == PruneMethod::head) {
      SmallVector<AttentionOp> attentions;
      module.walk([&](AttentionOp op) { attentions.push_back(op); });
      for (AttentionOp op : attentions) {
        if (isExcludedByName(op))
          continue;
        if (failed(pruneHeads(op, config)))
          return signalPassFailure();
      }
      return;
    }

    SmallVector<PruneTarget> targets;
    bool failedAny = false;
    int64_t numOps = 0;
    module.walk([&](Operation *op) {
      if (!isa<LinearOp, Conv2DOp>(op))
        return;
      ++numOps;
      failedAny |= failed(collect(op, targets));
    });
    if (failedAny)
      return signalPassFailure();
    // Not a silent no-op: say why nothing is pruned.
    if (numOps == 0)
      mlir::emitWarning(firstFunctionLoc(module))
          << "effc-prune: no effc.linear or effc.conv2d to prune (run "
             "--effc-raise first; `--effc-raise remarks=1` says why a "
             "contraction stays, e.g. a dynamic shape)";
    dropExcluded(targets);
    // A layer the method cannot take (the first conv of a CNN has
    // K = 3x3x3 = 27, no multiple of 4) stays dense with a remark, as
    // TensorRT's and ModelOpt's sparsity tools skip it: the rest of the
    // model is still pruned.
    llvm::erase_if(targets,
                   [&](const PruneTarget &t) { return failed(checkShape(t)); });
    if (config.method == PruneMethod::channel) {
      for (PruneTarget &t : targets)
        if (failed(pruneChannels(t, config)))
          return signalPassFailure();
      return;
    }

    for (PruneTarget &t : targets) {
      t.raw = getRawBytes(t.cst, t.rows * t.cols,
                          getPruneElementBytes(t.type.getElementType()));
      if (t.raw.empty()) {
        t.op->emitOpError("prune: the weight's data is not available");
        return signalPassFailure();
      }
      t.values = toDouble(t.raw, *getFloatFormat(t.type.getElementType()));
    }

    switch (config.method) {
    case PruneMethod::nm:
      for (PruneTarget &t : targets)
        pruneNM(t);
      break;
    case PruneMethod::magnitude:
    case PruneMethod::block:
      pruneRanked(targets);
      break;
    default:
      llvm_unreachable("methods are checked in parseOptions");
    }
    ObsOptions obs;
    obs.damp = damp;
    // SparseGPT chooses N:M masks and per-layer magnitude ones; block and
    // global masks stay as ranked, only their kept weights move.
    if (config.method == PruneMethod::nm)
      obs.sparseGpt = SparseGptPattern{config.groupKeep, config.groupSize, 0};
    else if (config.method == PruneMethod::magnitude &&
             scope == PruneScope::tensor)
      obs.sparseGpt = SparseGptPattern{0, 0, config.fraction};
    if (!calibration.empty() &&
        failed(compensatePruned(targets, calibration, obs)))
      return signalPassFailure();
    for (PruneTarget &t : targets)
      writeBack(t);
    if (failed(compressPruned(targets)))
      return signalPassFailure();
  }

  /// Stores the pruned linear weights compressed (see `compress`).
  LogicalResult compressPruned(ArrayRef<PruneTarget> targets) {
    if (compress == PruneCompress::never)
      return success();
    SparsifyOptions opts;
    opts.force = compress == PruneCompress::always;
    // N:M-pruned weights keep the layout sparse tensor cores and the N:M
    // kernel read, even where CSR would estimate marginally faster.
    if (config.method == PruneMethod::nm)
      opts.format = SparseFormat::nm;
    for (const PruneTarget &t : targets) {
      if (!isa<LinearOp>(t.op)) {
        t.op->setDiscardableAttr(
            EffcDialect::kSparseDecisionAttrName,
            StringAttr::get(t.op->getContext(),
                            "dense: no compressed convolution op"));
        continue;
      }
      if (failed(sparsifyLinear(t.op, opts)))
        return failure();
    }
    return success();
  }

  LogicalResult parseOptions(ModuleOp module) {
    config.method = method;
    config.fraction = sparsity;
    if (!(config.fraction >= 0.0 && config.fraction < 1.0))
      return module.emitError() << "effc-prune: 'sparsity' must be in [0, 1), "
                                   "got "
                                << formatNumber("%g", config.fraction);
    config.l1 = criterion == PruneCriterion::l1;
    if (!(damp > 0 && damp <= 10))
      return module.emitError() << "effc-prune: 'damp' must be in (0, 10], "
                                   "got "
                                << formatNumber("%g", damp);
    if (config.method == PruneMethod::nm) {
      config.groupKeep = n;
      config.groupSize = m;
      if (config.groupKeep <= 0 || config.groupKeep >= config.groupSize)
        return module.emitError()
               << "effc-prune: nm needs 0 < n < m, got n = " << config.groupKeep
               << ", m = " << config.groupSize;
    }
    if (config.method == PruneMethod::block) {
      auto [r, c] = StringRef(block).split('x');
      if (r.getAsInteger(10, config.blockRows) ||
          c.getAsInteger(10, config.blockCols) || config.blockRows <= 0 ||
          config.blockCols <= 0)
        return module.emitError() << "effc-prune: 'block' must be RxC with "
                                     "positive R and C, got '"
                                  << block << "'";
    }
    return success();
  }

  /// Adds `op` to `targets` if its weight is a constant; fails on a weight
  /// that cannot be pruned.
  LogicalResult collect(Operation *op, SmallVectorImpl<PruneTarget> &targets) {
    auto weighted = cast<WeightedOpInterface>(op);
    Value weight = weighted.getWeight();
    Attribute cst;
    if (!matchPattern(weight, m_Constant(&cst))) {
      op->emitRemark("prune: not pruned: the weight is not a constant");
      return success();
    }
    auto type = dyn_cast<RankedTensorType>(weight.getType());
    if (!type || !type.hasStaticShape() || type.getRank() < 2)
      return op->emitOpError("prune: the weight must have a static shape of "
                             "rank >= 2");
    if (!getPruneElementBytes(type.getElementType()))
      return op->emitOpError()
             << "prune: unsupported weight element type "
             << type.getElementType() << " (expected f32, f16 or bf16)";
    PruneTarget t{op, cst, type, 0, 0, 0, {}, {}};
    int64_t numel = type.getNumElements();
    // A row is one output channel's reduction (OHWI: KH * KW * C/g,
    // contiguous); a batched [B, N, K] weight has B matrices of N rows.
    t.matrixRows = weighted.getOutputChannels();
    t.cols = weighted.getReductionSize();
    t.rows = t.cols ? numel / t.cols : 0;
    targets.push_back(std::move(t));
    return success();
  }

  /// Whether `exclude` names `op` (the name patterns only).
  bool isExcludedByName(Operation *op) {
    for (const std::string &pattern : exclude) {
      StringRef p = StringRef(pattern).trim();
      if (!p.empty() && p != "first" && p != "last" &&
          StringRef(getOpNameOrLocation(op)).contains(p))
        return true; // attention ops have no quantizable-op key
    }
    return false;
  }

  void dropExcluded(SmallVectorImpl<PruneTarget> &targets) {
    if ((exclude.empty() && !excludeFirstLast) || targets.empty())
      return;
    DenseMap<Operation *, std::string> keys;
    forEachQuantizableOp(
        targets.front().op->getParentOfType<ModuleOp>(),
        [&](Operation *op, StringRef key) { keys[op] = key.str(); });
    SmallVector<bool> drop(targets.size(), false);
    if (excludeFirstLast)
      drop.front() = drop.back() = true;
    for (const std::string &pattern : exclude) {
      StringRef p = StringRef(pattern).trim();
      if (p == "first") {
        drop.front() = true;
      } else if (p == "last") {
        drop.back() = true;
      } else if (!p.empty()) {
        for (auto [i, t] : llvm::enumerate(targets))
          if (matchesExcludePattern(p, t.op, keys.lookup(t.op)))
            drop[i] = true;
      }
    }
    SmallVector<PruneTarget> kept;
    for (auto [i, t] : llvm::enumerate(targets))
      if (!drop[i])
        kept.push_back(std::move(t));
    targets = std::move(kept);
  }

  /// Whether the method can take `t`'s shape; a remark says why not.
  LogicalResult checkShape(const PruneTarget &t) {
    if (config.method == PruneMethod::nm && t.cols % config.groupSize != 0) {
      t.op->emitRemark() << "prune: not pruned: the reduction size K = "
                         << t.cols
                         << " is not a multiple of m = " << config.groupSize;
      return failure();
    }
    return success();
  }

  /// Zeroes element `i` of the raw buffer (+0.0 in every float format).
  static void zero(PruneTarget &t, int64_t i) {
    unsigned bytes = getPruneElementBytes(t.type.getElementType());
    std::memset(&t.raw[i * bytes], 0, bytes);
  }

  /// N:M: keeps the n largest |w| of every m consecutive weights along K.
  void pruneNM(PruneTarget &t) {
    SmallVector<int64_t> order(config.groupSize);
    SmallVector<double> mag(config.groupSize);
    int64_t numel = t.rows * t.cols;
    for (int64_t g = 0; g < numel; g += config.groupSize) {
      for (int64_t j = 0; j < config.groupSize; ++j)
        mag[j] = rankable(std::fabs(double(t.values[g + j])));
      std::iota(order.begin(), order.end(), 0);
      std::sort(order.begin(), order.end(), [&](int64_t a, int64_t b) {
        return mag[a] > mag[b] || (mag[a] == mag[b] && a < b);
      });
      for (int64_t j = config.groupKeep; j < config.groupSize; ++j)
        zero(t, g + order[j]);
    }
  }

  /// The units ranked by magnitude / block pruning: elements by |w|, or
  /// blocks (row-major over the [N, K] view) by their norm.
  std::vector<double> scoreUnits(const PruneTarget &t) {
    if (config.method == PruneMethod::magnitude) {
      std::vector<double> scores(t.values.size());
      for (size_t i = 0; i < scores.size(); ++i)
        scores[i] = rankable(std::fabs(double(t.values[i])));
      return scores;
    }
    // Blocks at the end of a dim the block does not divide are partial;
    // their norm is scaled to a whole block's element count (l1: the sum,
    // l2: the sum of squares), so they rank by their weights' size, not by
    // how many they hold.
    int64_t br = llvm::divideCeil(t.rows, config.blockRows);
    int64_t bc = llvm::divideCeil(t.cols, config.blockCols);
    std::vector<double> scores(br * bc, 0.0);
    std::vector<int64_t> counts(br * bc, 0);
    bool l1 = config.l1;
    for (int64_t r = 0; r < t.rows; ++r)
      for (int64_t c = 0; c < t.cols; ++c) {
        double v = t.values[r * t.cols + c];
        int64_t unit = (r / config.blockRows) * bc + c / config.blockCols;
        scores[unit] += l1 ? std::fabs(v) : v * v;
        ++counts[unit];
      }
    double whole = double(config.blockRows * config.blockCols);
    for (auto [s, n] : llvm::zip_equal(scores, counts)) {
      s *= whole / double(n);
      s = rankable(l1 ? s : std::sqrt(s));
    }
    return scores;
  }

  void zeroUnit(PruneTarget &t, int64_t unit) {
    if (config.method == PruneMethod::magnitude)
      return zero(t, unit);
    int64_t bc = llvm::divideCeil(t.cols, config.blockCols);
    int64_t r0 = (unit / bc) * config.blockRows,
            c0 = (unit % bc) * config.blockCols;
    for (int64_t r = r0; r < std::min(t.rows, r0 + config.blockRows); ++r)
      for (int64_t c = c0; c < std::min(t.cols, c0 + config.blockCols); ++c)
        zero(t, r * t.cols + c);
  }

  /// Magnitude / block: zeroes the round(sparsity * units) weakest units of
  /// each weight, or of all weights together with scope=global (ranked by
  /// score, then op order, then index).
  void pruneRanked(MutableArrayRef<PruneTarget> targets) {
    auto countFor = [&](size_t units) {
      return int64_t(std::nearbyint(config.fraction * double(units)));
    };
    if (scope == PruneScope::tensor) {
      for (PruneTarget &t : targets) {
        std::vector<double> scores = scoreUnits(t);
        for (int64_t unit : selectWeakest(scores, countFor(scores.size())))
          zeroUnit(t, unit);
      }
      return;
    }
    std::vector<double> all;
    SmallVector<int64_t> offsets;
    for (PruneTarget &t : targets) {
      offsets.push_back(all.size());
      std::vector<double> scores = scoreUnits(t);
      all.insert(all.end(), scores.begin(), scores.end());
    }
    offsets.push_back(all.size());
    for (int64_t unit : selectWeakest(all, countFor(all.size()))) {
      size_t i = std::upper_bound(offsets.begin(), offsets.end(), unit) -
                 offsets.begin() - 1;
      zeroUnit(targets[i], unit - offsets[i]);
    }
  }

  /// Replaces the weight by the pruned constant and records the plan.
  void writeBack(PruneTarget &t) {
    unsigned bytes = getPruneElementBytes(t.type.getElementType());
    int64_t numel = t.rows * t.cols, zeros = 0;
    for (int64_t i = 0; i < numel; ++i) {
      const char *p = &t.raw[i * bytes];
      // Zero in magnitude: every bit but the sign (the top bit) clear.
      bool isZero = true;
      for (unsigned b = 0; b < bytes; ++b)
        isZero &= (p[b] & (b + 1 == bytes ? 0x7f : 0xff)) == 0;
      zeros += isZero;
    }
    OpBuilder builder(t.op);
    OpOperand *weight = cast<WeightedOpInterface>(t.op).getWeightOperand();
    Operation *oldCst = weight->get().getDefiningOp();
    auto cst = arith::ConstantOp::create(
        builder, oldCst ? oldCst->getLoc() : t.op->getLoc(),
        DenseElementsAttr::getFromRawBuffer(t.type, t.raw));
    weight->set(cst.getResult());
    if (oldCst && oldCst->use_empty())
      oldCst->erase();

    MLIRContext *ctx = t.op->getContext();
    bool nm = config.method == PruneMethod::nm;
    bool blk = config.method == PruneMethod::block;
    auto plan = SparsityPlanAttr::get(
        ctx, config.method,
        FloatAttr::get(Float64Type::get(ctx),
                       numel ? double(zeros) / double(numel) : 0.0),
        nm ? config.groupKeep : 0, nm ? config.groupSize : 0,
        blk ? config.blockRows : 0, blk ? config.blockCols : 0);
    t.op->setDiscardableAttr(EffcDialect::kSparsityPlanAttrName, plan);
  }
};

} // namespace

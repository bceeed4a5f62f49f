//===- Prune.cpp - zero the weakest constant weights ------------*- C++ -*-===//
//
// Prunes the constant weights of effc.linear and effc.conv2d in place: the
// weight is viewed as [N, K] with the reduction K contiguous (the last dim of
// a linear, KH * KW * C/g of an OHWI convolution), scored on its raw bytes,
// and written back as a dense constant with zeros. Every ranking is a strict
// total order (score, then the lower index wins), so the result does not
// depend on the sort and matches an independent implementation bit for bit.
//
//===----------------------------------------------------------------------===//

#include "effc/Dialect/EffcOps.h"
#include "effc/Support/Npy.h"
#include "effc/Support/WeightData.h"
#include "effc/Transforms/Passes.h"
#include "effc/Transforms/Sparsify.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Interfaces/FunctionInterfaces.h"
#include "llvm/ADT/SetVector.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
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

/// Bytes per element of the float types pruned (f32, f16, bf16), 0 for
/// others.
static unsigned getElementBytes(Type type) {
  auto format = getFloatFormat(type);
  return format && format->bytes <= 4 ? format->bytes : 0;
}

/// A score to rank by; NaN ranks as the strongest so it is never hidden.
static double rankable(double score) {
  return std::isnan(score) ? HUGE_VAL : score;
}

/// The `count` weakest of `scores` by (score ascending, index descending),
/// i.e. what remains after keeping the strongest with ties to the lower
/// index.
static std::vector<int64_t> selectWeakest(ArrayRef<double> scores,
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

/// printf-style formatting of one number, for diagnostics.

//===----------------------------------------------------------------------===//
// Pass
//===----------------------------------------------------------------------===//

namespace {

/// One weight to prune, viewed as [rows, cols] with the reduction in cols.
struct Target {
  Operation *op;
  Attribute cst;
  RankedTensorType type;
  int64_t rows, cols;
  /// Rows of one matrix: a block may not straddle the batch of a [B, N, K]
  /// linear weight.
  int64_t matrixRows;
  std::vector<char> raw;
  std::vector<double> values;
};

struct PrunePass : effc::impl::PrunePassBase<PrunePass> {
  using Base::Base;

  // The options as plain values: options stream into diagnostics as
  // characters.
  PruneMethod pruneMethod = PruneMethod::magnitude;
  double fraction = 0;
  int64_t groupKeep = 0, groupSize = 0, blockRows = 0, blockCols = 0;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    if (failed(parseOptions(module)))
      return signalPassFailure();

    if (pruneMethod == PruneMethod::head) {
      SmallVector<AttentionOp> attentions;
      module.walk([&](AttentionOp op) { attentions.push_back(op); });
      for (AttentionOp op : attentions) {
        if (isExcludedByName(op))
          continue;
        if (failed(pruneHeads(op)))
          return signalPassFailure();
      }
      return;
    }

    SmallVector<Target> targets;
    bool failedAny = false;
    module.walk([&](Operation *op) {
      if (isa<LinearOp, Conv2DOp>(op))
        failedAny |= failed(collect(op, targets));
    });
    if (failedAny)
      return signalPassFailure();
    dropExcluded(targets);
    for (Target &t : targets)
      failedAny |= failed(checkShape(t));
    if (failedAny)
      return signalPassFailure();
    if (pruneMethod == PruneMethod::channel) {
      for (Target &t : targets)
        if (failed(pruneChannels(t)))
          return signalPassFailure();
      return;
    }

    for (Target &t : targets) {
      t.raw = getRawBytes(t.cst, t.rows * t.cols,
                          getElementBytes(t.type.getElementType()));
      if (t.raw.empty()) {
        t.op->emitOpError("prune: the weight's data is not available");
        return signalPassFailure();
      }
      t.values = toDouble(t.raw, *getFloatFormat(t.type.getElementType()));
    }

    switch (pruneMethod) {
    case PruneMethod::nm:
      for (Target &t : targets)
        pruneNM(t);
      break;
    case PruneMethod::magnitude:
    case PruneMethod::block:
      pruneRanked(targets);
      break;
    default:
      llvm_unreachable("methods are checked in parseOptions");
    }
    if (!calibration.empty() && failed(compensate(targets)))
      return signalPassFailure();
    for (Target &t : targets)
      writeBack(t);
    if (failed(compressPruned(targets)))
      return signalPassFailure();
  }

  //===--------------------------------------------------------------===//
  // One-shot compensation (calibration=)
  //===--------------------------------------------------------------===//

  /// A row-major matrix of doubles.
  struct Matrix {
    int64_t rows = 0, cols = 0;
    std::vector<double> data;
  };

  /// Solves `a x = b` in place for a symmetric positive definite `a`
  /// (n x n, row-major) by Cholesky; false when `a` is not positive
  /// definite.
  static bool solveSpd(std::vector<double> &a, std::vector<double> &b,
                       int64_t n) {
    for (int64_t j = 0; j < n; ++j) {
      double d = a[j * n + j];
      for (int64_t k = 0; k < j; ++k)
        d -= a[j * n + k] * a[j * n + k];
      if (!(d > 0))
        return false;
      d = std::sqrt(d);
      a[j * n + j] = d;
      for (int64_t i = j + 1; i < n; ++i) {
        double v = a[i * n + j];
        for (int64_t k = 0; k < j; ++k)
          v -= a[i * n + k] * a[j * n + k];
        a[i * n + j] = v / d;
      }
    }
    for (int64_t i = 0; i < n; ++i) {
      for (int64_t k = 0; k < i; ++k)
        b[i] -= a[i * n + k] * b[k];
      b[i] /= a[i * n + i];
    }
    for (int64_t i = n - 1; i >= 0; --i) {
      for (int64_t k = i + 1; k < n; ++k)
        b[i] -= a[k * n + i] * b[k];
      b[i] /= a[i * n + i];
    }
    return true;
  }

  /// The f32/f16/bf16 constant operand `v` as doubles, or empty.
  static std::vector<double> constantValues(Value v) {
    Attribute cst;
    auto ty = dyn_cast<RankedTensorType>(v.getType());
    if (!ty || !matchPattern(v, m_Constant(&cst)))
      return {};
    auto format = getFloatFormat(ty.getElementType());
    if (!format || format->bytes > 4)
      return {};
    std::vector<char> raw =
        getRawBytes(cst, ty.getNumElements(), format->bytes);
    return raw.empty() ? std::vector<double>() : toDouble(raw, *format);
  }

  /// Updates the kept weights of each pruned target from calibration
  /// activations (see the pass description): the chain of effc.linear ops
  /// from the function's first argument is evaluated in order, each layer
  /// compensated before its output feeds the next.
  LogicalResult compensate(MutableArrayRef<Target> targets) {
    if (targets.empty())
      return success();
    Operation *first = targets.front().op;
    auto fn = first->getParentOfType<FunctionOpInterface>();
    if (!fn || fn.getNumArguments() == 0)
      return first->emitOpError("prune: calibration needs the op in a "
                                "function with an input argument");
    llvm::Expected<NpyArray> samples = readNpy(calibration);
    if (!samples)
      return fn->emitError() << "effc-prune: calibration: "
                             << llvm::toString(samples.takeError());
    Value arg = fn.getArgument(0);
    auto argTy = dyn_cast<RankedTensorType>(arg.getType());
    if (!argTy || argTy.getRank() == 0 || !argTy.hasStaticShape())
      return fn->emitError("effc-prune: calibration: the first argument "
                           "must be a static tensor");
    int64_t k0 = argTy.getShape().back();
    int64_t numel = 1;
    for (int64_t d : samples->shape)
      numel *= d;
    if (samples->shape.empty() || samples->shape.back() != k0)
      return fn->emitError() << "effc-prune: calibration: samples must be "
                                "[..., "
                             << k0 << "], got " << samples->getTypeString();
    DenseMap<Value, Matrix> acts;
    Matrix x0{numel / k0, k0, std::vector<double>(numel)};
    for (int64_t i = 0; i < numel; ++i)
      x0.data[i] = samples->getAsDouble(i);
    acts[arg] = std::move(x0);
    DenseMap<Operation *, Target *> byOp;
    for (Target &t : targets)
      byOp[t.op] = &t;

    WalkResult walk = fn->walk([&](LinearOp op) -> WalkResult {
      Target *t = byOp.lookup(op);
      auto in = acts.find(op.getInput());
      if (in == acts.end()) {
        if (t)
          return op.emitOpError("prune: calibration: cannot compute this "
                                "op's inputs (only chains of effc.linear "
                                "from the first argument are evaluated)");
        return WalkResult::advance();
      }
      const Matrix &x = in->second;
      auto wTy = cast<RankedTensorType>(op.getWeight().getType());
      if (wTy.getRank() != 2) {
        if (t)
          return op.emitOpError("prune: calibration needs an [N, K] weight");
        return WalkResult::advance();
      }
      int64_t n = wTy.getDimSize(0), k = wTy.getDimSize(1);
      std::vector<double> w = t ? t->values : constantValues(op.getWeight());
      if ((int64_t)w.size() != n * k)
        return WalkResult::advance();
      if (t)
        compensateTarget(*t, x, w);
      // The op's output with the (compensated) weights feeds the next op.
      std::vector<double> bias(n, 0.0);
      if (Value b = op.getBias()) {
        bias = constantValues(b);
        if ((int64_t)bias.size() != n)
          return WalkResult::advance();
      }
      Activation act = op.getActivation();
      if (act != Activation::none && act != Activation::relu &&
          act != Activation::clamp)
        return WalkResult::advance();
      double lo =
          op.getClampMin() ? op.getClampMin()->convertToDouble() : -HUGE_VAL;
      double hi =
          op.getClampMax() ? op.getClampMax()->convertToDouble() : HUGE_VAL;
      Matrix y{x.rows, n, std::vector<double>(x.rows * n)};
      for (int64_t s = 0; s < x.rows; ++s)
        for (int64_t r = 0; r < n; ++r) {
          double acc = bias[r];
          for (int64_t c = 0; c < k; ++c)
            acc += x.data[s * k + c] * w[r * k + c];
          if (act == Activation::relu)
            acc = std::max(acc, 0.0);
          else if (act == Activation::clamp)
            acc = std::clamp(acc, lo, hi);
          y.data[s * n + r] = acc;
        }
      acts[op.getResult()] = std::move(y);
      return WalkResult::advance();
    });
    return failure(walk.wasInterrupted());
  }

  /// Compensates one target from its inputs `x` [S, K]; `w` is its weight
  /// on return (kept entries updated, pruned ones zero).
  void compensateTarget(Target &t, const Matrix &x, std::vector<double> &w) {
    int64_t k = t.cols, n = t.rows;
    std::vector<double> h(k * k, 0.0);
    for (int64_t s = 0; s < x.rows; ++s)
      for (int64_t i = 0; i < k; ++i) {
        double xi = x.data[s * k + i];
        if (xi == 0.0)
          continue;
        for (int64_t j = 0; j < k; ++j)
          h[i * k + j] += xi * x.data[s * k + j];
      }
    double meanDiag = 0;
    for (int64_t i = 0; i < k; ++i)
      meanDiag += h[i * k + i];
    double damp = 0.01 * meanDiag / double(k);
    if (!(damp > 0))
      damp = 1e-8;
    for (int64_t i = 0; i < k; ++i)
      h[i * k + i] += damp;

    unsigned bytes = getElementBytes(t.type.getElementType());
    auto pruned = [&](int64_t i) {
      const char *p = &t.raw[i * bytes];
      for (unsigned b = 0; b < bytes; ++b)
        if (p[b] & (b + 1 == bytes ? 0x7f : 0xff))
          return false;
      return true;
    };
    for (int64_t r = 0; r < n; ++r) {
      SmallVector<int64_t> kept, gone;
      for (int64_t c = 0; c < k; ++c)
        (pruned(r * k + c) ? gone : kept).push_back(c);
      for (int64_t c : gone)
        w[r * k + c] = 0.0;
      bool anyGone = llvm::any_of(
          gone, [&](int64_t c) { return t.values[r * k + c] != 0.0; });
      if (!anyGone || kept.empty())
        continue;
      int64_t m = kept.size();
      std::vector<double> a(m * m), rhs(m, 0.0);
      for (int64_t i = 0; i < m; ++i) {
        for (int64_t j = 0; j < m; ++j)
          a[i * m + j] = h[kept[i] * k + kept[j]];
        for (int64_t c : gone)
          rhs[i] += h[kept[i] * k + c] * t.values[r * k + c];
      }
      if (!solveSpd(a, rhs, m))
        continue;
      for (int64_t i = 0; i < m; ++i)
        w[r * k + kept[i]] = t.values[r * k + kept[i]] + rhs[i];
    }
    // Kept entries take the updated values; pruned ones stay zero.
    auto format = *getFloatFormat(t.type.getElementType());
    std::vector<char> updated = fromDouble(w, format);
    for (int64_t i = 0; i < n * k; ++i)
      if (!pruned(i))
        std::memcpy(&t.raw[i * bytes], &updated[i * bytes], bytes);
  }

  /// Stores the pruned linear weights compressed (see `compress`).
  LogicalResult compressPruned(ArrayRef<Target> targets) {
    if (compress == PruneCompress::never)
      return success();
    SparsifyOptions opts;
    opts.force = compress == PruneCompress::always;
    // N:M-pruned weights keep the layout sparse tensor cores and the N:M
    // kernel read, even where CSR would estimate marginally faster.
    if (pruneMethod == PruneMethod::nm)
      opts.format = SparseFormat::nm;
    for (const Target &t : targets) {
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
    pruneMethod = method;
    fraction = sparsity;
    if (!(fraction >= 0.0 && fraction < 1.0))
      return module.emitError() << "effc-prune: 'sparsity' must be in [0, 1), "
                                   "got "
                                << formatNumber("%g", fraction);
    if (pruneMethod == PruneMethod::nm) {
      groupKeep = n;
      groupSize = m;
      if (groupKeep <= 0 || groupKeep >= groupSize)
        return module.emitError()
               << "effc-prune: nm needs 0 < n < m, got n = " << groupKeep
               << ", m = " << groupSize;
    }
    if (pruneMethod == PruneMethod::block) {
      auto [r, c] = StringRef(block).split('x');
      if (r.getAsInteger(10, blockRows) || c.getAsInteger(10, blockCols) ||
          blockRows <= 0 || blockCols <= 0)
        return module.emitError() << "effc-prune: 'block' must be RxC with "
                                     "positive R and C, got '"
                                  << block << "'";
    }
    return success();
  }

  /// Adds `op` to `targets` if its weight is a constant; fails on a weight
  /// that cannot be pruned.
  LogicalResult collect(Operation *op, SmallVectorImpl<Target> &targets) {
    Value weight = op->getOperand(1);
    Attribute cst;
    if (!matchPattern(weight, m_Constant(&cst))) {
      op->emitRemark("prune: not pruned: the weight is not a constant");
      return success();
    }
    auto type = dyn_cast<RankedTensorType>(weight.getType());
    if (!type || !type.hasStaticShape() || type.getRank() < 2)
      return op->emitOpError("prune: the weight must have a static shape of "
                             "rank >= 2");
    if (!getElementBytes(type.getElementType()))
      return op->emitOpError()
             << "prune: unsupported weight element type "
             << type.getElementType() << " (expected f32, f16 or bf16)";
    Target t{op, cst, type, 0, 0, 0, {}, {}};
    int64_t numel = type.getNumElements();
    if (isa<LinearOp>(op)) {
      t.cols = type.getShape().back();
      t.matrixRows = type.getDimSize(type.getRank() - 2);
    } else {
      // OHWI: the reduction KH * KW * C/g is contiguous per output channel.
      t.matrixRows = type.getDimSize(0);
      t.cols = t.matrixRows ? numel / t.matrixRows : 0;
    }
    t.rows = t.cols ? numel / t.cols : 0;
    targets.push_back(std::move(t));
    return success();
  }

  /// The op's name for `exclude`: a `name` / `effc.name` string attribute,
  /// else its location.
  static std::string getOpName(Operation *op) {
    for (StringRef attr : {"name", "effc.name"})
      if (auto name = op->getAttrOfType<StringAttr>(attr))
        return name.str();
    std::string loc;
    llvm::raw_string_ostream os(loc);
    op->getLoc().print(os);
    return loc;
  }

  /// Whether `exclude` names `op` (the name patterns only).
  bool isExcludedByName(Operation *op) {
    for (const std::string &pattern : exclude) {
      StringRef p = StringRef(pattern).trim();
      if (!p.empty() && p != "first" && p != "last" &&
          StringRef(getOpName(op)).contains(p))
        return true;
    }
    return false;
  }

  void dropExcluded(SmallVectorImpl<Target> &targets) {
    if ((exclude.empty() && !excludeFirstLast) || targets.empty())
      return;
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
          if (StringRef(getOpName(t.op)).contains(p))
            drop[i] = true;
      }
    }
    SmallVector<Target> kept;
    for (auto [i, t] : llvm::enumerate(targets))
      if (!drop[i])
        kept.push_back(std::move(t));
    targets = std::move(kept);
  }

  LogicalResult checkShape(const Target &t) {
    if (pruneMethod == PruneMethod::nm && t.cols % groupSize != 0)
      return t.op->emitOpError() << "prune: the reduction size K = " << t.cols
                                 << " is not a multiple of m = " << groupSize;
    if (pruneMethod == PruneMethod::block &&
        (t.matrixRows % blockRows != 0 || t.cols % blockCols != 0))
      return t.op->emitOpError()
             << "prune: block " << blockRows << "x" << blockCols
             << " does not divide the [" << t.matrixRows << ", " << t.cols
             << "] weight";
    return success();
  }

  /// Zeroes element `i` of the raw buffer (+0.0 in every float format).
  static void zero(Target &t, int64_t i) {
    unsigned bytes = getElementBytes(t.type.getElementType());
    std::memset(&t.raw[i * bytes], 0, bytes);
  }

  /// N:M: keeps the n largest |w| of every m consecutive weights along K.
  void pruneNM(Target &t) {
    SmallVector<int64_t> order(groupSize);
    SmallVector<double> mag(groupSize);
    int64_t numel = t.rows * t.cols;
    for (int64_t g = 0; g < numel; g += groupSize) {
      for (int64_t j = 0; j < groupSize; ++j)
        mag[j] = rankable(std::fabs(double(t.values[g + j])));
      std::iota(order.begin(), order.end(), 0);
      std::sort(order.begin(), order.end(), [&](int64_t a, int64_t b) {
        return mag[a] > mag[b] || (mag[a] == mag[b] && a < b);
      });
      for (int64_t j = groupKeep; j < groupSize; ++j)
        zero(t, g + order[j]);
    }
  }

  /// The units ranked by magnitude / block pruning: elements by |w|, or
  /// blocks (row-major over the [N, K] view) by their norm.
  std::vector<double> scoreUnits(const Target &t) {
    if (pruneMethod == PruneMethod::magnitude) {
      std::vector<double> scores(t.values.size());
      for (size_t i = 0; i < scores.size(); ++i)
        scores[i] = rankable(std::fabs(double(t.values[i])));
      return scores;
    }
    int64_t br = t.rows / blockRows, bc = t.cols / blockCols;
    std::vector<double> scores(br * bc, 0.0);
    bool l1 = criterion == PruneCriterion::l1;
    for (int64_t r = 0; r < t.rows; ++r)
      for (int64_t c = 0; c < t.cols; ++c) {
        double v = t.values[r * t.cols + c];
        scores[(r / blockRows) * bc + c / blockCols] +=
            l1 ? std::fabs(v) : v * v;
      }
    for (double &s : scores)
      s = rankable(l1 ? s : std::sqrt(s));
    return scores;
  }

  void zeroUnit(Target &t, int64_t unit) {
    if (pruneMethod == PruneMethod::magnitude)
      return zero(t, unit);
    int64_t bc = t.cols / blockCols;
    int64_t r0 = (unit / bc) * blockRows, c0 = (unit % bc) * blockCols;
    for (int64_t r = r0; r < r0 + blockRows; ++r)
      for (int64_t c = c0; c < c0 + blockCols; ++c)
        zero(t, r * t.cols + c);
  }

  /// Magnitude / block: zeroes the round(sparsity * units) weakest units of
  /// each weight, or of all weights together with scope=global (ranked by
  /// score, then op order, then index).
  void pruneRanked(MutableArrayRef<Target> targets) {
    auto countFor = [&](size_t units) {
      return int64_t(std::nearbyint(fraction * double(units)));
    };
    if (scope == PruneScope::tensor) {
      for (Target &t : targets) {
        std::vector<double> scores = scoreUnits(t);
        for (int64_t unit : selectWeakest(scores, countFor(scores.size())))
          zeroUnit(t, unit);
      }
      return;
    }
    std::vector<double> all;
    SmallVector<int64_t> offsets;
    for (Target &t : targets) {
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

  //===--------------------------------------------------------------===//
  // Channel pruning
  //===--------------------------------------------------------------===//

  /// The op's constant weight (operand 1) as raw bytes, or empty.
  static std::vector<char> currentWeight(Operation *op,
                                         RankedTensorType &type) {
    Attribute cst;
    if (!matchPattern(op->getOperand(1), m_Constant(&cst)))
      return {};
    type = cast<RankedTensorType>(op->getOperand(1).getType());
    return getRawBytes(cst, type.getNumElements(),
                       getElementBytes(type.getElementType()));
  }

  /// Replaces operand `index` of `op` by a constant of `type` from `raw`.
  static void setConstant(Operation *op, unsigned index, RankedTensorType type,
                          ArrayRef<char> raw) {
    OpBuilder b(op);
    Operation *old = op->getOperand(index).getDefiningOp();
    auto cst = arith::ConstantOp::create(
        b, old ? old->getLoc() : op->getLoc(),
        DenseElementsAttr::getFromRawBuffer(type, raw));
    op->setOperand(index, cst.getResult());
    if (old && old->use_empty())
      old->erase();
  }

  /// Keeps the `keep` entries of dim `dim` of a raw row-major tensor.
  static std::vector<char> sliceDim(ArrayRef<char> raw, ArrayRef<int64_t> shape,
                                    int64_t dim, ArrayRef<int64_t> keep,
                                    unsigned bytes) {
    int64_t outer = 1, inner = bytes;
    for (int64_t i = 0; i < dim; ++i)
      outer *= shape[i];
    for (int64_t i = dim + 1; i < (int64_t)shape.size(); ++i)
      inner *= shape[i];
    std::vector<char> out;
    out.reserve(outer * keep.size() * inner);
    for (int64_t o = 0; o < outer; ++o)
      for (int64_t k : keep) {
        const char *p = raw.data() + (o * shape[dim] + k) * inner;
        out.insert(out.end(), p, p + inner);
      }
    return out;
  }

  static RankedTensorType withDim(RankedTensorType t, int64_t dim,
                                  int64_t size) {
    SmallVector<int64_t> shape(t.getShape());
    shape[dim] = size;
    return RankedTensorType::get(shape, t.getElementType());
  }

  /// Finds every use of `v` (whose last dim holds the pruned channels):
  /// consumers that read it as their input channels, and elementwise ops in
  /// between, whose results carry the channels on. Fails, naming the op,
  /// where the channels cannot follow.
  LogicalResult followChannels(Operation *producer, Value v,
                               SetVector<Operation *> &elementwise,
                               SetVector<Operation *> &consumers) {
    for (OpOperand &use : v.getUses()) {
      Operation *user = use.getOwner();
      if (isa<LinearOp>(user) && use.getOperandNumber() == 0) {
        auto wTy = cast<RankedTensorType>(user->getOperand(1).getType());
        if (wTy.getRank() != 2 ||
            !matchPattern(user->getOperand(1), m_Constant()))
          return user->emitOpError()
                 << "prune: cannot shrink the input channels of this op "
                    "(its weight must be a constant [N, K]) after removing "
                    "output channels of "
                 << producer->getName();
        consumers.insert(user);
        continue;
      }
      if (auto conv = dyn_cast<Conv2DOp>(user);
          conv && use.getOperandNumber() == 0) {
        if (conv.getGroups() != 1 ||
            !matchPattern(conv.getWeight(), m_Constant()))
          return user->emitOpError()
                 << "prune: cannot shrink the input channels of a grouped "
                    "convolution or one with a non-constant weight";
        consumers.insert(user);
        continue;
      }
      bool elementwiseOp =
          user->getNumResults() == 1 &&
          user->hasTrait<OpTrait::Elementwise>() &&
          llvm::all_of(user->getOperands(),
                       [&](Value o) {
                         return o == v || !isa<ShapedType>(o.getType());
                       }) &&
          user->getResult(0).getType() == v.getType();
      if (elementwiseOp) {
        if (elementwise.insert(user))
          if (failed(followChannels(producer, user->getResult(0), elementwise,
                                    consumers)))
            return failure();
        continue;
      }
      return user->emitOpError()
             << "prune: channel pruning cannot propagate the removed output "
                "channels of '"
             << getOpName(producer) << "' through this op";
    }
    return success();
  }

  /// method=channel: removes the round(sparsity * N) output channels with
  /// the smallest L1 / L2 row norm (ties keep the lower index) and shrinks
  /// the op's weight, bias and result, the elementwise ops after it, and
  /// its consumers' input channels. Ops are pruned in program order, each
  /// ranked on its weight as left by the previous ones.
  LogicalResult pruneChannels(Target &t) {
    Operation *op = t.op;
    RankedTensorType wTy;
    std::vector<char> raw = currentWeight(op, wTy);
    if (raw.empty())
      return op->emitOpError("prune: the weight's data is not available");
    if (isa<LinearOp>(op) && wTy.getRank() != 2)
      return op->emitOpError("prune: channel pruning needs an [N, K] weight");
    if (auto conv = dyn_cast<Conv2DOp>(op); conv && conv.getGroups() != 1)
      return op->emitOpError("prune: channel pruning of a grouped "
                             "convolution is not supported");
    Type elt = wTy.getElementType();
    unsigned bytes = getElementBytes(elt);
    int64_t rows = wTy.getDimSize(0);
    int64_t cols = wTy.getNumElements() / rows;
    std::vector<double> values = toDouble(raw, *getFloatFormat(elt));
    bool l1 = criterion == PruneCriterion::l1;
    std::vector<double> scores(rows, 0.0);
    for (int64_t r = 0; r < rows; ++r) {
      for (int64_t c = 0; c < cols; ++c) {
        double v = values[r * cols + c];
        scores[r] += l1 ? std::fabs(v) : v * v;
      }
      scores[r] = rankable(l1 ? scores[r] : std::sqrt(scores[r]));
    }
    int64_t count = int64_t(std::nearbyint(fraction * double(rows)));
    if (count >= rows)
      return op->emitOpError()
             << "prune: channel pruning with sparsity "
             << formatNumber("%g", fraction) << " would remove all " << rows
             << " output channels";
    std::vector<int64_t> dropped = selectWeakest(scores, count);
    std::vector<bool> isDropped(rows, false);
    for (int64_t d : dropped)
      isDropped[d] = true;
    SmallVector<int64_t> keep;
    for (int64_t r = 0; r < rows; ++r)
      if (!isDropped[r])
        keep.push_back(r);
    int64_t kept = keep.size();

    SetVector<Operation *> elementwise, consumers;
    Value result = op->getResult(0);
    if (failed(followChannels(op, result, elementwise, consumers)))
      return failure();

    MLIRContext *ctx = op->getContext();
    if (count > 0) {
      setConstant(op, 1, withDim(wTy, 0, kept),
                  sliceDim(raw, wTy.getShape(), 0, keep, bytes));
      if (op->getNumOperands() > 2) {
        Value bias = op->getOperand(2);
        RankedTensorType bTy;
        Attribute cst;
        if (!matchPattern(bias, m_Constant(&cst)))
          return op->emitOpError("prune: channel pruning needs a constant "
                                 "bias");
        bTy = cast<RankedTensorType>(bias.getType());
        std::vector<char> b = getRawBytes(
            cst, bTy.getNumElements(), getElementBytes(bTy.getElementType()));
        if (b.empty())
          return op->emitOpError("prune: the bias data is not available");
        setConstant(op, 2, withDim(bTy, 0, kept),
                    sliceDim(b, bTy.getShape(), 0, keep,
                             getElementBytes(bTy.getElementType())));
      }
      auto resTy = cast<RankedTensorType>(result.getType());
      RankedTensorType newTy = withDim(resTy, resTy.getRank() - 1, kept);
      result.setType(newTy);
      for (Operation *e : elementwise)
        e->getResult(0).setType(newTy);
      for (Operation *c : consumers) {
        RankedTensorType cTy;
        std::vector<char> cRaw = currentWeight(c, cTy);
        if (cRaw.empty())
          return c->emitOpError("prune: the weight's data is not available");
        int64_t lastDim = cTy.getRank() - 1;
        setConstant(c, 1, withDim(cTy, lastDim, kept),
                    sliceDim(cRaw, cTy.getShape(), lastDim, keep,
                             getElementBytes(cTy.getElementType())));
      }
    }
    auto plan = SparsityPlanAttr::get(
        ctx, PruneMethod::channel,
        FloatAttr::get(Float64Type::get(ctx), double(count) / double(rows)), 0,
        0, 0, 0);
    op->setDiscardableAttr(EffcDialect::kSparsityPlanAttrName, plan);
    return success();
  }

  //===--------------------------------------------------------------===//
  // Head pruning
  //===--------------------------------------------------------------===//

  /// One projection feeding an attention operand: linear [.., H * D] ->
  /// expand_shape [.., H, D] -> transpose [.., H, S, D].
  struct HeadInput {
    LinearOp linear;
    tensor::ExpandShapeOp expand;
    linalg::TransposeOp transpose;
  };

  /// The single user of `v`, or null.
  static Operation *singleUser(Value v) {
    return v.hasOneUse() ? *v.getUsers().begin() : nullptr;
  }

  /// Follows attention operand `v` back to its projection; `headDim` is
  /// the head dim of the operand. Fails naming the op that breaks it.
  LogicalResult traceHeadInput(AttentionOp att, Value v, int64_t headDim,
                               HeadInput &in) {
    auto fail = [&](Operation *at) {
      return (at ? at : att.getOperation())->emitOpError()
             << "prune: head pruning needs each attention operand to be "
                "linear -> tensor.expand_shape (last dim into [H, D]) -> "
                "linalg.transpose, each with one use";
    };
    in.transpose = v.getDefiningOp<linalg::TransposeOp>();
    if (!in.transpose || !v.hasOneUse())
      return fail(v.getDefiningOp());
    in.expand = in.transpose.getInput().getDefiningOp<tensor::ExpandShapeOp>();
    if (!in.expand || !in.expand.getResult().hasOneUse())
      return fail(in.transpose);
    in.linear = in.expand.getSrc().getDefiningOp<LinearOp>();
    if (!in.linear || !in.linear.getResult().hasOneUse() ||
        cast<RankedTensorType>(in.linear.getWeight().getType()).getRank() !=
            2 ||
        !matchPattern(in.linear.getWeight(), m_Constant()))
      return fail(in.expand);
    auto reassoc = in.expand.getReassociationIndices();
    int64_t rank = in.expand.getResultType().getRank();
    ArrayRef<int64_t> perm = in.transpose.getPermutation();
    if (reassoc.back().size() != 2 || perm[headDim] != rank - 2 ||
        perm[rank - 1] != rank - 1)
      return fail(in.expand);
    return success();
  }

  /// Rebuilds the expand_shape / transpose pair after a head count change.
  static Value rebuildSplit(OpBuilder &b, tensor::ExpandShapeOp expand,
                            linalg::TransposeOp transpose, Value src,
                            int64_t heads) {
    RankedTensorType eTy = expand.getResultType();
    auto newE = withDim(eTy, eTy.getRank() - 2, heads);
    b.setInsertionPoint(expand);
    Value e = tensor::ExpandShapeOp::create(b, expand.getLoc(), newE, src,
                                            expand.getReassociationIndices());
    ArrayRef<int64_t> perm = transpose.getPermutation();
    SmallVector<int64_t> shape;
    for (int64_t d : perm)
      shape.push_back(newE.getDimSize(d));
    auto tTy = RankedTensorType::get(shape, newE.getElementType());
    b.setInsertionPoint(transpose);
    Value init = tensor::EmptyOp::create(b, transpose.getLoc(), tTy.getShape(),
                                         tTy.getElementType());
    return linalg::TransposeOp::create(b, transpose.getLoc(), e, init,
                                       b.getDenseI64ArrayAttr(perm))
        .getResult()[0];
  }

  /// method=head: removes the round(sparsity * H) attention heads whose
  /// Q, K, V projection rows and output projection columns have the
  /// smallest joint L2 (criterion=l1: L1) norm, with those rows / columns.
  LogicalResult pruneHeads(AttentionOp att) {
    auto qTy = att.getQuery().getType();
    int64_t rank = qTy.getRank();
    if (rank < 3)
      return att.emitOpError("prune: head pruning needs [.., H, S, D] "
                             "attention operands");
    int64_t hd = rank - 3;
    int64_t heads = qTy.getDimSize(hd);
    if (att.getKey().getType().getDimSize(hd) != heads)
      return att.emitOpError("prune: head pruning of grouped-query "
                             "attention (fewer K/V heads) is not supported");
    if (Value mask = att.getMaskValues())
      if (auto mTy = cast<RankedTensorType>(mask.getType());
          mTy.getRank() == rank && mTy.getDimSize(hd) != 1)
        return att.emitOpError("prune: head pruning with a per-head mask "
                               "is not supported");
    HeadInput ins[3];
    Value operands[3] = {att.getQuery(), att.getKey(), att.getValue()};
    for (int i = 0; i < 3; ++i)
      if (failed(traceHeadInput(att, operands[i], hd, ins[i])))
        return failure();
    // Output: transpose [.., S, H, Dv] -> collapse_shape [.., H * Dv] ->
    // the output projection's input.
    auto outT =
        dyn_cast_or_null<linalg::TransposeOp>(singleUser(att.getResult()));
    auto collapse = outT ? dyn_cast_or_null<tensor::CollapseShapeOp>(
                               singleUser(outT.getResult()[0]))
                         : tensor::CollapseShapeOp();
    auto outLinear =
        collapse ? dyn_cast_or_null<LinearOp>(singleUser(collapse.getResult()))
                 : LinearOp();
    if (!outT || !collapse || !outLinear ||
        outLinear.getInput() != collapse.getResult() ||
        outT.getPermutation()[rank - 2] != hd ||
        outT.getPermutation()[rank - 1] != rank - 1 ||
        collapse.getReassociationIndices().back().size() != 2 ||
        !matchPattern(outLinear.getWeight(), m_Constant()))
      return att.emitOpError()
             << "prune: head pruning needs the attention output to go "
                "linalg.transpose -> tensor.collapse_shape ([H, Dv] into "
                "one dim) -> effc.linear, each with one use";

    // Scores: head h owns rows [h*D, (h+1)*D) of Wq, Wk, Wv and columns
    // [h*Dv, (h+1)*Dv) of Wo.
    bool l1 = criterion == PruneCriterion::l1;
    std::vector<double> scores(heads, 0.0);
    auto add = [&](double v) { return l1 ? std::fabs(v) : v * v; };
    for (HeadInput &in : ins) {
      std::vector<double> w = constantValues(in.linear.getWeight());
      auto wTy = cast<RankedTensorType>(in.linear.getWeight().getType());
      int64_t rows = wTy.getDimSize(0), cols = wTy.getDimSize(1);
      if ((int64_t)w.size() != rows * cols || rows % heads)
        return in.linear.emitOpError("prune: head pruning needs a constant "
                                     "f32/f16/bf16 weight of H * D rows");
      for (int64_t r = 0; r < rows; ++r)
        for (int64_t c = 0; c < cols; ++c)
          scores[r / (rows / heads)] += add(w[r * cols + c]);
    }
    std::vector<double> wo = constantValues(outLinear.getWeight());
    auto woTy = cast<RankedTensorType>(outLinear.getWeight().getType());
    int64_t oRows = woTy.getDimSize(0), oCols = woTy.getDimSize(1);
    if ((int64_t)wo.size() != oRows * oCols || oCols % heads)
      return outLinear.emitOpError("prune: head pruning needs a constant "
                                   "output projection of H * Dv columns");
    for (int64_t r = 0; r < oRows; ++r)
      for (int64_t c = 0; c < oCols; ++c)
        scores[c / (oCols / heads)] += add(wo[r * oCols + c]);
    for (double &v : scores)
      v = rankable(l1 ? v : std::sqrt(v));

    int64_t count = int64_t(std::nearbyint(fraction * double(heads)));
    if (count >= heads)
      return att.emitOpError() << "prune: head pruning with sparsity "
                               << formatNumber("%g", fraction)
                               << " would remove all " << heads << " heads";
    MLIRContext *ctx = att.getContext();
    auto recordPlan = [&] {
      att->setDiscardableAttr(
          EffcDialect::kSparsityPlanAttrName,
          SparsityPlanAttr::get(
              ctx, PruneMethod::head,
              FloatAttr::get(Float64Type::get(ctx), double(count) / heads), 0,
              0, 0, 0));
    };
    if (count == 0) {
      recordPlan();
      return success();
    }
    std::vector<bool> dropped(heads, false);
    for (int64_t h : selectWeakest(scores, count))
      dropped[h] = true;
    int64_t kept = heads - count;
    // Indices of the kept heads' slices of a dim of `per * heads`.
    auto keptIndices = [&](int64_t per) {
      SmallVector<int64_t> idx;
      for (int64_t h = 0; h < heads; ++h)
        if (!dropped[h])
          for (int64_t j = 0; j < per; ++j)
            idx.push_back(h * per + j);
      return idx;
    };

    OpBuilder b(att);
    Value newOperands[3];
    for (int i = 0; i < 3; ++i) {
      HeadInput &in = ins[i];
      Operation *lin = in.linear;
      RankedTensorType wTy;
      std::vector<char> raw = currentWeight(lin, wTy);
      int64_t per = wTy.getDimSize(0) / heads;
      SmallVector<int64_t> rows = keptIndices(per);
      unsigned bytes = getElementBytes(wTy.getElementType());
      setConstant(lin, 1, withDim(wTy, 0, rows.size()),
                  sliceDim(raw, wTy.getShape(), 0, rows, bytes));
      if (Value bias = in.linear.getBias()) {
        Attribute cst;
        if (!matchPattern(bias, m_Constant(&cst)))
          return lin->emitOpError("prune: head pruning needs a constant "
                                  "bias");
        auto bTy = cast<RankedTensorType>(bias.getType());
        unsigned bb = getElementBytes(bTy.getElementType());
        std::vector<char> braw = getRawBytes(cst, bTy.getNumElements(), bb);
        setConstant(lin, 2, withDim(bTy, 0, rows.size()),
                    sliceDim(braw, bTy.getShape(), 0, rows, bb));
      }
      auto outTy = in.linear.getType();
      in.linear.getResult().setType(
          withDim(outTy, outTy.getRank() - 1, rows.size()));
      newOperands[i] =
          rebuildSplit(b, in.expand, in.transpose, in.linear.getResult(), kept);
    }
    // The attention op on the kept heads.
    att->setOperand(0, newOperands[0]);
    att->setOperand(1, newOperands[1]);
    att->setOperand(2, newOperands[2]);
    auto attTy = att.getType();
    att.getResult().setType(withDim(attTy, hd, kept));
    for (int i = 0; i < 3; ++i) {
      ins[i].transpose.erase();
      ins[i].expand.erase();
    }
    // Output transpose and collapse, then Wo's columns.
    b.setInsertionPoint(outT);
    ArrayRef<int64_t> perm = outT.getPermutation();
    SmallVector<int64_t> tShape;
    for (int64_t d : perm)
      tShape.push_back(cast<RankedTensorType>(att.getType()).getDimSize(d));
    Value init = tensor::EmptyOp::create(b, outT.getLoc(), tShape,
                                         attTy.getElementType());
    Value t = linalg::TransposeOp::create(b, outT.getLoc(), att.getResult(),
                                          init, b.getDenseI64ArrayAttr(perm))
                  .getResult()[0];
    auto cTy = collapse.getResultType();
    int64_t perOut = oCols / heads;
    Value c = tensor::CollapseShapeOp::create(
        b, collapse.getLoc(), withDim(cTy, cTy.getRank() - 1, kept * perOut), t,
        collapse.getReassociationIndices());
    outLinear->setOperand(0, c);
    collapse.erase();
    outT.erase();
    RankedTensorType oTy;
    std::vector<char> oraw = currentWeight(outLinear, oTy);
    setConstant(outLinear, 1, withDim(oTy, 1, kept * perOut),
                sliceDim(oraw, oTy.getShape(), 1, keptIndices(perOut),
                         getElementBytes(oTy.getElementType())));
    recordPlan();
    return success();
  }

  /// Replaces the weight by the pruned constant and records the plan.
  void writeBack(Target &t) {
    unsigned bytes = getElementBytes(t.type.getElementType());
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
    Value weight = t.op->getOperand(1);
    Operation *oldCst = weight.getDefiningOp();
    auto cst = arith::ConstantOp::create(
        builder, oldCst ? oldCst->getLoc() : t.op->getLoc(),
        DenseElementsAttr::getFromRawBuffer(t.type, t.raw));
    t.op->setOperand(1, cst.getResult());
    if (oldCst && oldCst->use_empty())
      oldCst->erase();

    MLIRContext *ctx = t.op->getContext();
    bool nm = pruneMethod == PruneMethod::nm;
    bool blk = pruneMethod == PruneMethod::block;
    auto plan = SparsityPlanAttr::get(
        ctx, pruneMethod,
        FloatAttr::get(Float64Type::get(ctx),
                       numel ? double(zeros) / double(numel) : 0.0),
        nm ? groupKeep : 0, nm ? groupSize : 0, blk ? blockRows : 0,
        blk ? blockCols : 0);
    t.op->setDiscardableAttr(EffcDialect::kSparsityPlanAttrName, plan);
  }
};

} // namespace

//===- PruneObs.cpp - OBS compensation for --effc-prune -------*- C++ -*-===//
//
// With `calibration=<x.npy>`, the kept weights of each pruned effc.linear
// are updated from the activations that reach it (OBS / SparseGPT-style
// second-order compensation, solved exactly per output row): with X the
// layer's inputs and H = X^T X + 0.01 mean(diag) I, a row w gets
// w_S += H_SS^-1 H_SP w_P on its kept set S, pruned set P. The solve is
// LAPACK's Cholesky (`dpotrf` + `dpotrs`, Lapack.h), one factorization per
// distinct mask shared by the rows that have it.
//
//===----------------------------------------------------------------------===//

#include "PruneImpl.h"

#include "Lapack.h"

#include "effc/Support/Npy.h"
#include "effc/Support/WeightData.h"
#include "effc/Transforms/Calibration.h"
#include "mlir/IR/BuiltinOps.h"

#include "mlir/Interfaces/FunctionInterfaces.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>
#include <numeric>

using namespace mlir;
using namespace mlir::effc;

namespace {
/// A row-major matrix of doubles.
struct Matrix {
  int64_t rows = 0, cols = 0;
  std::vector<double> data;
};
} // namespace

/// Adds OBS's damping (`relDamp` times the mean diagonal; SparseGPT's
/// default is 1%) to a Gram matrix [k, k].
static void dampHessian(std::vector<double> &h, int64_t k,
                        double relDamp = 0.01) {
  double meanDiag = 0;
  for (int64_t i = 0; i < k; ++i)
    meanDiag += h[i * k + i];
  double damp = relDamp * meanDiag / double(k);
  if (!(damp > 0))
    damp = 1e-8;
  for (int64_t i = 0; i < k; ++i)
    h[i * k + i] += damp;
}

std::vector<double> mlir::effc::obsHessian(ArrayRef<double> x, int64_t samples,
                                           int64_t k, double relDamp) {
  std::vector<double> h(k * k, 0.0);
  // H = X^T X: x (row-major [samples, k]) is the column-major X^T.
  blasGemm(false, true, k, k, samples, 1.0, x.data(), k, x.data(), k, 0.0,
           h.data(), k);
  dampHessian(h, k, relDamp);
  return h;
}

std::vector<double>
mlir::effc::obsCompensate(ArrayRef<double> h, ArrayRef<double> w, int64_t n,
                          int64_t k,
                          llvm::function_ref<bool(int64_t)> isPruned) {
  std::vector<double> out(w.begin(), w.end());
  // Rows to update, grouped by their kept set: one factorization of H_SS
  // serves every row with the same mask.
  std::map<std::vector<int64_t>, SmallVector<int64_t>> byKept;
  for (int64_t r = 0; r < n; ++r) {
    std::vector<int64_t> kept;
    bool anyGone = false;
    for (int64_t c = 0; c < k; ++c) {
      if (!isPruned(r * k + c)) {
        kept.push_back(c);
        continue;
      }
      anyGone |= w[r * k + c] != 0.0;
      out[r * k + c] = 0.0;
    }
    if (anyGone && !kept.empty())
      byKept[std::move(kept)].push_back(r);
  }
  std::vector<double> a, rhs;
  for (auto &[kept, rows] : byKept) {
    int64_t m = kept.size(), nrhs = rows.size();
    // H is symmetric: the row-major H_SS is also its column-major self.
    a.assign(m * m, 0.0);
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < m; ++j)
        a[i * m + j] = h[kept[i] * k + kept[j]];
    if (!lapackCholesky(m, a.data()))
      continue;
    // Column-major rhs [m, nrhs]: column t is H_SP w_P of row rows[t].
    rhs.assign(m * nrhs, 0.0);
    for (int64_t t = 0; t < nrhs; ++t) {
      int64_t r = rows[t];
      for (int64_t c = 0; c < k; ++c) {
        if (!isPruned(r * k + c) || w[r * k + c] == 0.0)
          continue;
        double wc = w[r * k + c];
        for (int64_t i = 0; i < m; ++i)
          rhs[t * m + i] += h[kept[i] * k + c] * wc;
      }
    }
    lapackCholeskySolve(m, a.data(), rhs.data(), nrhs);
    for (int64_t t = 0; t < nrhs; ++t)
      for (int64_t i = 0; i < m; ++i)
        out[rows[t] * k + kept[i]] = w[rows[t] * k + kept[i]] + rhs[t * m + i];
  }
  return out;
}

/// SparseGPT (Frantar & Alistarh, 2023): sweeps the K columns of the
/// row-major `w` [n, k] in order, a block of columns at a time. The mask
/// follows the compensation instead of being fixed by magnitude: N:M
/// prunes, per row at the start of each group of m, the m - keep weights
/// of smallest OBS saliency w^2 / [U]_cc^2 (U the upper Cholesky factor of
/// H^-1); unstructured prunes, at the start of each block, that fraction of
/// the block's weights with the smallest saliency; both on the weights as
/// the sweep has updated them. Each pruned weight's error is spread over
/// the columns not yet visited (within the block directly, beyond it with
/// one GEMM per block). `h` is damped; false when it (or its inverse) is
/// not positive definite.
bool mlir::effc::sparseGpt(ArrayRef<double> h, std::vector<double> &w,
                           int64_t n, int64_t k, const SparseGptPattern &p) {
  // H^-1 from H's Cholesky factor, then its own upper factor U
  // (H^-1 = U^T U); both buffers are symmetric, so their row- and
  // column-major views agree, and U[i][j] (j >= i) is u[i * k + j].
  std::vector<double> l(h.begin(), h.end());
  if (!lapackCholesky(k, l.data()))
    return false;
  std::vector<double> u(k * k, 0.0);
  for (int64_t i = 0; i < k; ++i)
    u[i * k + i] = 1.0;
  lapackCholeskySolve(k, l.data(), u.data(), k);
  if (!lapackCholesky(k, u.data()))
    return false;
  auto saliency = [&](double v, int64_t col) {
    double d = u[col * k + col];
    return v * v / (d * d);
  };

  bool nm = p.keep > 0;
  int64_t m = nm ? p.group : 1;
  const int64_t block = std::max<int64_t>(m, 128 / m * m);
  std::vector<double> err, scores;
  std::vector<char> mask; // [n, width]: 1 = pruned
  SmallVector<int64_t> order(m);
  SmallVector<double> score(m);
  for (int64_t i1 = 0; i1 < k; i1 += block) {
    int64_t i2 = std::min(i1 + block, k), width = i2 - i1;
    err.assign(n * width, 0.0);
    mask.assign(n * width, 0);
    if (!nm) {
      scores.resize(n * width);
      for (int64_t r = 0; r < n; ++r)
        for (int64_t c = i1; c < i2; ++c)
          scores[r * width + c - i1] = saliency(w[r * k + c], c);
      int64_t count = std::llround(p.fraction * double(n * width));
      for (int64_t i : selectWeakest(scores, count))
        mask[i] = 1;
    }
    for (int64_t r = 0; r < n; ++r) {
      double *row = &w[r * k];
      double *e = &err[r * width];
      char *pruned = &mask[r * width];
      for (int64_t c = i1; c < i2; ++c) {
        if (nm && (c - i1) % m == 0) {
          // The group's mask, on the weights as updated so far; ties keep
          // the lower index.
          for (int64_t j = 0; j < m; ++j)
            score[j] = saliency(row[c + j], c + j);
          std::iota(order.begin(), order.end(), 0);
          std::stable_sort(
              order.begin(), order.end(),
              [&](int64_t a, int64_t b) { return score[a] > score[b]; });
          for (int64_t j = p.keep; j < m; ++j)
            pruned[c - i1 + order[j]] = 1;
        }
        if (!pruned[c - i1])
          continue;
        double q = row[c] / u[c * k + c];
        e[c - i1] = q;
        // Spread over the block's later columns; the pruned weight itself
        // becomes exactly zero.
        for (int64_t t = c + 1; t < i2; ++t)
          row[t] -= q * u[c * k + t];
        row[c] = 0.0;
      }
    }
    if (i2 < k) {
      // w[:, i2:] -= err @ U[i1:i2, i2:], column-major: w^T[i2:, :] -=
      // U[i1:i2, i2:]^T err^T.
      blasGemm(false, false, k - i2, n, width, -1.0, &u[i1 * k + i2], k,
               err.data(), width, 1.0, &w[i2], k);
    }
  }
  return true;
}

/// Compensates one target with the damped Hessian `h` [K, K]; `w` is its
/// weight on return (kept entries updated, pruned ones zero).
static void compensateWithHessian(PruneTarget &t, ArrayRef<double> h,
                                  std::vector<double> &w) {
  int64_t k = t.cols, n = t.rows;
  unsigned bytes = getPruneElementBytes(t.type.getElementType());
  // Pruned: zero in magnitude, every bit but the sign (the top bit) clear.
  auto pruned = [&](int64_t i) {
    const char *p = &t.raw[i * bytes];
    for (unsigned b = 0; b < bytes; ++b)
      if (p[b] & (b + 1 == bytes ? 0x7f : 0xff))
        return false;
    return true;
  };
  w = obsCompensate(h, t.values, n, k, pruned);
  // Kept entries take the updated values; pruned ones stay zero.
  auto format = *getFloatFormat(t.type.getElementType());
  std::vector<char> updated = fromDouble(w, format);
  for (int64_t i = 0; i < n * k; ++i)
    if (!pruned(i))
      std::memcpy(&t.raw[i * bytes], &updated[i * bytes], bytes);
}

/// Prunes-and-compensates (SparseGPT chooses the mask) or compensates
/// (the mask already chosen) one target with the damped Hessian `h`; `w`
/// is its weight on return, also written to its raw buffer.
static void pruneOrCompensate(PruneTarget &t, ArrayRef<double> h,
                              const ObsOptions &options,
                              std::vector<double> &w) {
  if (options.sparseGpt) {
    w = t.values;
    if (sparseGpt(h, w, t.rows, t.cols, *options.sparseGpt)) {
      t.raw = fromDouble(w, *getFloatFormat(t.type.getElementType()));
      return;
    }
    t.op->emitRemark() << "prune: the Hessian is not positive definite; the "
                          "magnitude mask is compensated instead";
  }
  compensateWithHessian(t, h, w);
}

/// Compensates one target from its inputs `x` [S, K].
static void compensateTarget(PruneTarget &t, const Matrix &x,
                             const ObsOptions &options,
                             std::vector<double> &w) {
  std::vector<double> h = obsHessian(x.data, x.rows, t.cols, options.damp);
  pruneOrCompensate(t, h, options, w);
}

/// `calibration=<stats>.json` (from `effc-run --calibrate`): each target is
/// compensated with the Gram matrix of the inputs the calibration run
/// observed at it, wherever it sits in the model (after convolutions,
/// norms, attention); a target without one stays uncompensated with a
/// remark.
static LogicalResult compensateFromStats(MutableArrayRef<PruneTarget> targets,
                                         StringRef calibration,
                                         const ObsOptions &options) {
  auto module = targets.front().op->getParentOfType<ModuleOp>();
  llvm::Expected<CalibrationStats> stats = readCalibrationStats(calibration);
  if (!stats)
    return module.emitError()
           << "effc-prune: calibration: " << llvm::toString(stats.takeError());
  DenseMap<Operation *, std::string> keys;
  forEachQuantizableOp(
      module, [&](Operation *op, StringRef key) { keys[op] = key.str(); });
  ScopedBlasThreads blasThreads(module->getContext());
  for (PruneTarget &t : targets) {
    std::string key = keys.lookup(t.op);
    auto it = stats->find(key);
    if (it == stats->end()) {
      t.op->emitRemark() << "prune: not compensated: the calibration "
                            "stats have no op '"
                         << key << "'";
      continue;
    }
    if (it->second.gramPath.empty()) {
      t.op->emitRemark() << "prune: not compensated: no Hessian was "
                            "recorded for '"
                         << key << "' (grouped convolutions have none)";
      continue;
    }
    llvm::Expected<std::vector<double>> h = readGram(it->second);
    if (!h)
      return t.op->emitOpError()
             << "prune: calibration: " << llvm::toString(h.takeError());
    if (int64_t(h->size()) != t.cols * t.cols)
      return t.op->emitOpError() << "prune: calibration: the Hessian of '"
                                 << key << "' is for K = " << it->second.gramK
                                 << ", the weight has K = " << t.cols;
    dampHessian(*h, t.cols, options.damp);
    std::vector<double> w;
    pruneOrCompensate(t, *h, options, w);
    t.values = std::move(w);
  }
  return success();
}

/// The chain of effc.linear ops from the function's first argument is
/// evaluated in order, each layer compensated before its output feeds the
/// next.
LogicalResult mlir::effc::compensatePruned(MutableArrayRef<PruneTarget> targets,
                                           StringRef calibration,
                                           const ObsOptions &options) {
  if (targets.empty())
    return success();
  if (calibration.ends_with(".json"))
    return compensateFromStats(targets, calibration, options);
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
  // BLAS on the compile's threads (the Hessians, the Cholesky solves).
  ScopedBlasThreads blasThreads(fn->getContext());
  DenseMap<Value, Matrix> acts;
  Matrix x0{numel / k0, k0, std::vector<double>(numel)};
  for (int64_t i = 0; i < numel; ++i)
    x0.data[i] = samples->getAsDouble(i);
  acts[arg] = std::move(x0);
  DenseMap<Operation *, PruneTarget *> byOp;
  for (PruneTarget &t : targets)
    byOp[t.op] = &t;

  WalkResult walk = fn->walk([&](LinearOp op) -> WalkResult {
    PruneTarget *t = byOp.lookup(op);
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
      compensateTarget(*t, x, options, w);
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

//===- Calibration.h - activation statistics for quantization ---*- C++ -*-===//
//
// `effc-run --calibrate` observes the input activation of every quantizable
// op (effc.linear and effc.conv2d with a float input) on sample inputs and
// writes these statistics as JSON; `--effc-assign-precision
// calibration=...` reads them back and turns them into activation ranges
// (min/max, percentile, MSE-optimal or KL-divergence clip) and per-op
// sensitivities (the op's output SQNR on the recorded sample rows).
//
// File format (version 1):
//   {"version": 1, "bins": 2048, "ops": {"<key>": {
//      "min": m, "max": M, "count": n, "hist_max": h,
//      "hist": [2048 counts of |x| over [0, h]],
//      "row_length": K, "rows": [[...K values...], ...],
//      "mean": [...K values...],
//      "channel_min": [...K...], "channel_max": [...K...]}}}
//   (channel_* are the per-K ranges activation smoothing reads; files
//   written before they existed lack them.)
//
//===----------------------------------------------------------------------===//

#ifndef EFFC_TRANSFORMS_CALIBRATION_H
#define EFFC_TRANSFORMS_CALIBRATION_H

#include "mlir/IR/Operation.h"
#include "mlir/IR/Value.h"

#include "llvm/ADT/StringMap.h"
#include "llvm/Support/Error.h"

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace mlir {
class ModuleOp;
namespace func {
class FuncOp;
} // namespace func

namespace effc {

/// effc.linear / effc.conv2d with a float input.
bool isQuantizableOp(Operation *op);

/// Calls `fn(op, key)` for every quantizable op of `func` in order. The key
/// is the op's `effc.name` (or `name`) string attribute, else
/// "<func>/<kind>#<i>" with i counting ops of that kind in the function.
void forEachQuantizableOp(func::FuncOp func,
                          llvm::function_ref<void(Operation *, StringRef)> fn);
void forEachQuantizableOp(ModuleOp module,
                          llvm::function_ref<void(Operation *, StringRef)> fn);

/// The one meaning of the compression passes' `exclude=` patterns: whether
/// `pattern` selects the quantizable op `op` whose key (see
/// forEachQuantizableOp) is `key`. A pattern with a '#' is a key and
/// matches it exactly (`main/linear#1` is not `main/linear#10`); any other
/// matches a substring of the key or of the op's location. `first` and
/// `last` (the first / last op in order) are handled by the callers.
bool matchesExcludePattern(StringRef pattern, Operation *op, StringRef key);

/// Statistics of one activation tensor.
struct ActivationStats {
  static constexpr int kBins = 2048;
  static constexpr int kMaxRows = 32;

  double min = 0, max = 0, histMax = 0;
  int64_t count = 0;
  std::vector<double> hist; // kBins counts of |x| over [0, histMax]
  int64_t rowLength = 0;    // K: the reduction dim (last dim)
  std::vector<double> rows; // up to kMaxRows sample rows [R, K]
  std::vector<double> mean; // per-K mean over all rows
  /// Per-K minimum and maximum over all rows (SmoothQuant's per-channel
  /// activation ranges).
  std::vector<double> channelMin, channelMax;
  /// The Gram matrix sum_rows x x^T [gramK, gramK] of the op's reduction
  /// rows (a linear op's input rows, a convolution's im2col patches) over
  /// all samples: the Hessian OBS / SparseGPT compensation solves with.
  /// Written beside the JSON as `<stats>.gram/<i>.npy` (f64) and read
  /// back as its path only, loaded by the pass that needs it.
  std::vector<double> gram;
  int64_t gramK = 0, gramRows = 0;
  std::string gramPath;

  int64_t numRows() const { return rowLength ? rows.size() / rowLength : 0; }

  /// First pass: min/max. Second pass (after fixing histMax): histogram,
  /// rows and means.
  void observeRange(const float *data, int64_t n);
  void startHistogram();
  void observeHistogram(const float *data, int64_t n, int64_t rowLength);
  /// Adds `numRows` rows of length `k` (row-major) to the Gram matrix.
  void observeGram(const float *rows, int64_t numRows, int64_t k);
  void finish();
};

using CalibrationStats = llvm::StringMap<ActivationStats>;

llvm::Error writeCalibrationStats(StringRef path,
                                  const CalibrationStats &stats);
llvm::Expected<CalibrationStats> readCalibrationStats(StringRef path);

/// The Gram matrix `stats.gramPath` holds ([K, K] f64), or an error.
llvm::Expected<std::vector<double>> readGram(const ActivationStats &stats);

/// How an activation range is chosen from the statistics (the
/// `calibration-method` option).
enum class RangeMethod { minmax, percentile, mse, entropy };

/// The activation range [lo, hi] the method chooses; `percentile` in
/// (0, 100] is used by RangeMethod::percentile.
std::pair<double, double> chooseRange(const ActivationStats &stats,
                                      RangeMethod method, double percentile);

/// SmoothQuant activation smoothing with migration strength `alpha` in
/// (0, 1] on every effc.linear that `filter(op, key)` accepts: the linears
/// reading one activation x get per-channel factors s from x's calibrated
/// channel ranges and their weights, x is replaced by x / s and the weights
/// by W * s, and their statistics in `stats` are rewritten to describe
/// x / s. Ops it cannot smooth get a remark. Returns the number smoothed.
int64_t
smoothActivations(ModuleOp module, CalibrationStats &stats, double alpha,
                  llvm::function_ref<bool(Operation *, StringRef)> filter);

} // namespace effc
} // namespace mlir

#endif // EFFC_TRANSFORMS_CALIBRATION_H

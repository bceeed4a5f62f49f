//===- Calibrate.h - activation statistics from samples ---------*- C++ -*-===//
//
// `effc-run --calibrate` as a library: runs the float model in the JIT on
// sample inputs and writes the input statistics of every quantizable op
// (effc/Transforms/Calibration.h), which `--effc-assign-precision
// calibration=<stats.json>` reads back.
//
//===----------------------------------------------------------------------===//

#ifndef EFFC_RUNTIME_CALIBRATE_H
#define EFFC_RUNTIME_CALIBRATE_H

#include "effc/Runtime/JitRunner.h"

#include <string>
#include <vector>

namespace mlir {
namespace effc {

/// One sample: one array per argument of the entry.
using CalibrationSample = SmallVector<NpyArray>;

/// A problem with the samples or with what the entry offers to observe, as
/// opposed to a failure to lower or run the model: tools name their
/// calibration option in front of it.
class CalibrationError : public llvm::ErrorInfo<CalibrationError> {
public:
  static char ID;
  explicit CalibrationError(std::string message)
      : message(std::move(message)) {}
  void log(llvm::raw_ostream &os) const override;
  std::error_code convertToErrorCode() const override;
  const std::string &getMessage() const { return message; }

private:
  std::string message;
};

/// Reads the samples of `entry` (whose arguments `signature` describes) from
/// `.npz` archives (np.savez: one array per argument, in order) or `.npy`
/// files (one per argument per sample). Each group of one array per
/// argument holds the argument's shape (one sample) or [S, ...shape] (S
/// samples stacked along a new leading dim).
llvm::Expected<std::vector<CalibrationSample>>
readCalibrationSamples(ArrayRef<std::string> paths,
                       const EntrySignature &signature, StringRef entry);

struct CalibrationSummary {
  /// The ops observed.
  size_t numOps = 0;
  size_t numSamples = 0;
};

/// Returns the input of every quantizable op of `entry` as an extra result,
/// lowers `module` in place with the CPU pipeline (`options.target` is not
/// used), runs the samples twice (ranges first, then histograms and sample
/// rows, which need the ranges) and writes the statistics to `statsPath`.
llvm::Expected<CalibrationSummary>
calibrate(ModuleOp module, StringRef entry, ArrayRef<CalibrationSample> samples,
          StringRef statsPath, const JitOptions &options);

/// readCalibrationSamples, then calibrate.
llvm::Expected<CalibrationSummary> calibrate(ModuleOp module, StringRef entry,
                                             ArrayRef<std::string> samplePaths,
                                             StringRef statsPath,
                                             const JitOptions &options);

} // namespace effc
} // namespace mlir

#endif // EFFC_RUNTIME_CALIBRATE_H

//===- PruneImpl.h - Pieces of --effc-prune shared by its files -*- C++ -*-===//
//
// `--effc-prune` is split along its seams: Prune.cpp holds the pass, its
// option checking and the unstructured decisions (magnitude, N:M, block),
// PruneStructured.cpp the shape-shrinking channel and head pruning,
// PruneObs.cpp the one-shot OBS compensation (calibration=). This private
// header carries what they share.
//
//===----------------------------------------------------------------------===//

#ifndef EFFC_LIB_TRANSFORMS_PRUNEIMPL_H
#define EFFC_LIB_TRANSFORMS_PRUNEIMPL_H

#include "effc/Dialect/EffcOps.h"

#include "mlir/IR/Operation.h"
#include "mlir/Support/LLVM.h"
#include "llvm/ADT/STLFunctionalExtras.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace mlir {
namespace effc {

/// The pass options as plain values: options stream into diagnostics as
/// characters.
struct PruneConfig {
  PruneMethod method = PruneMethod::magnitude;
  double fraction = 0;
  int64_t groupKeep = 0, groupSize = 0, blockRows = 0, blockCols = 0;
  /// criterion=l1 (else l2).
  bool l1 = false;
};

/// One weight to prune, viewed as [rows, cols] with the reduction in cols.
struct PruneTarget {
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

//===----------------------------------------------------------------------===//
// Shared helpers (Prune.cpp)
//===----------------------------------------------------------------------===//

/// Bytes per element of the float types pruned (f32, f16, bf16), 0 for
/// others.
unsigned getPruneElementBytes(Type type);

/// A score to rank by; NaN ranks as the strongest so it is never hidden.
double rankable(double score);

/// The `count` weakest of `scores` by (score ascending, index descending),
/// i.e. what remains after keeping the strongest with ties to the lower
/// index.
std::vector<int64_t> selectWeakest(ArrayRef<double> scores, int64_t count);

/// The f32/f16/bf16 constant operand `v` as doubles, or empty.
std::vector<double> constantValues(Value v);

//===----------------------------------------------------------------------===//
// Structured pruning (PruneStructured.cpp)
//===----------------------------------------------------------------------===//

/// method=channel: removes the round(fraction * N) weakest output channels
/// of `t` and shrinks everything they reach.
LogicalResult pruneChannels(PruneTarget &t, const PruneConfig &config);

/// method=head: removes the round(fraction * H) weakest heads of `att`
/// with their projection rows and output-projection columns.
LogicalResult pruneHeads(AttentionOp att, const PruneConfig &config);

//===----------------------------------------------------------------------===//
// OBS compensation (PruneObs.cpp)
//===----------------------------------------------------------------------===//

/// The sparsity SparseGPT chooses masks for: `keep` of every `group`
/// along K (N:M, keep > 0), else `fraction` of each block of columns.
struct SparseGptPattern {
  int64_t keep = 0, group = 0;
  double fraction = 0;
};

/// How compensation runs: the relative damping of the Hessian and, when
/// set, the pattern SparseGPT re-chooses the masks for as it compensates
/// (else the masks already chosen stay and only the kept weights move).
struct ObsOptions {
  double damp = 0.01;
  std::optional<SparseGptPattern> sparseGpt;
};

/// Updates the kept weights of each pruned target from the calibration
/// (statistics JSON or a .npy of inputs, see the pass description); with
/// `options.sparseGpt`, SparseGPT re-chooses each target's mask.
LogicalResult compensatePruned(MutableArrayRef<PruneTarget> targets,
                               StringRef calibration,
                               const ObsOptions &options);

/// The damped Hessian H = X^T X + relDamp mean(diag) I [k, k] (row-major)
/// of the row-major inputs x [samples, k].
std::vector<double> obsHessian(ArrayRef<double> x, int64_t samples, int64_t k,
                               double relDamp = 0.01);

/// SparseGPT's prune-and-compensate sweep of the row-major `w` [n, k] with
/// the damped Hessian `h` [k, k]; false when `h` is not positive definite
/// (w is then unchanged).
bool sparseGpt(ArrayRef<double> h, std::vector<double> &w, int64_t n, int64_t k,
               const SparseGptPattern &pattern);

/// The OBS update of the row-major weights w [n, k] with the damped Hessian
/// `h`: in each row with pruned nonzeros (`isPruned(r * k + c)`), the kept
/// entries S become w_S + H_SS^-1 H_SP w_P (which minimizes
/// |X (w' - w)| with the pruned entries P zero) and the pruned ones zero.
/// Rows whose H_SS is not positive definite keep their weights (pruned
/// ones still zero). Returns the new weights.
std::vector<double> obsCompensate(ArrayRef<double> h, ArrayRef<double> w,
                                  int64_t n, int64_t k,
                                  llvm::function_ref<bool(int64_t)> isPruned);

} // namespace effc
} // namespace mlir

#endif // EFFC_LIB_TRANSFORMS_PRUNEIMPL_H

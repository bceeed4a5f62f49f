//===- Sparsify.h - compressed weights and their cost model -----*- C++ -*-===//
//
// What `--effc-sparsify` and `--effc-prune` share: the compressed layouts a
// weight with zeros can take (CSR, BSR, N:M), their stored bytes, the
// per-target cost model that decides whether a layout beats the dense
// kernel, and the rewrite of an `effc.linear` with a constant weight into
// `effc.sparse_linear`.
//
//===----------------------------------------------------------------------===//

#ifndef EFFC_TRANSFORMS_SPARSIFY_H
#define EFFC_TRANSFORMS_SPARSIFY_H

#include "effc/Dialect/EffcAttrs.h"
#include "mlir/IR/Operation.h"
#include "mlir/Support/LLVM.h"

#include <cstdint>
#include <optional>
#include <string>

namespace mlir {
namespace effc {

/// The hardware a cost estimate is for.
enum class SparseTarget { cpu, gpu };

/// One compressed layout of a dense [N, K] weight.
struct SparseLayout {
  SparseFormat format = SparseFormat::csr;
  int64_t n = 0, m = 0;                 // nm
  int64_t blockRows = 1, blockCols = 1; // bsr (1 x 1 for csr)
  /// Values stored, padding included (nm groups with fewer than n
  /// non-zeros, zeros inside kept blocks).
  int64_t storedValues = 0;
  /// Compressed bytes: values, indices and offsets.
  int64_t bytes = 0;
};

/// The problem a cost estimate is for: rows of the input (M, the product
/// of its leading dims), the weight's [N, K], and the value precision.
struct SparseProblem {
  int64_t rows = 1, n = 1, k = 1;
  /// Bytes per stored value: 4 (f32) or 1 (i8, quantized).
  unsigned valueBytes = 4;
};

/// Estimated time in ns of the dense kernel on `target`.
double estimateDenseNs(SparseTarget target, const SparseProblem &p);

/// Estimated time in ns of the sparse kernel for `layout` on `target`;
/// nullopt when the target has no kernel for it.
std::optional<double> estimateSparseNs(SparseTarget target,
                                       const SparseProblem &p,
                                       const SparseLayout &layout);

/// The layouts the non-zero pattern `nonzero` (row-major [n, k], one byte
/// per element) fits: CSR, BSR for the block shapes that divide the
/// weight, and N:M for m = 4 and 8 when every group holds fewer than m
/// non-zeros.
SmallVector<SparseLayout> findSparseLayouts(ArrayRef<uint8_t> nonzero,
                                            int64_t n, int64_t k,
                                            unsigned valueBytes);

struct SparsifyOptions {
  SparseTarget target = SparseTarget::cpu;
  /// Only this format is considered; nullopt: all of them.
  std::optional<SparseFormat> format;
  /// Compress whenever a layout fits, even when the cost model prefers the
  /// dense kernel.
  bool force = false;
};

/// Rewrites `op` (an effc.linear with a constant 2-D f32 weight) into an
/// effc.sparse_linear in the layout the cost model picks, or leaves it
/// dense and records why in `effc.sparse_decision`. Returns the new op, or
/// null when it stayed dense; fails (with a diagnostic) only on a forced
/// format that does not fit.
FailureOr<Operation *> sparsifyLinear(Operation *op,
                                      const SparsifyOptions &options);

/// The stored bytes of a `effc.sparse_linear`'s compressed weight.
int64_t getCompressedBytes(Operation *sparseLinear);

} // namespace effc
} // namespace mlir

#endif // EFFC_TRANSFORMS_SPARSIFY_H

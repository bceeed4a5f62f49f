//===- Svd.h - Dense singular value decomposition ---------------*- C++ -*-===//
//
// The SVD behind weight compression (`--effc-low-rank`), in double
// precision on LAPACK and BLAS (OpenBLAS):
//
// - `computeSvd`: the full thin SVD by LAPACK `dgesdd` (divide and conquer;
//   `dgesvd` if that fails to converge), accurate to working precision.
// - `computeRandomizedSvd`: the k leading triplets by randomized subspace
//   iteration (Halko, Martinsson, Tropp 2011), O(m n k): BLAS products,
//   Householder QR between them, `dgesdd` of the small projection.
// - `computeLeadingSvd` / `computeEnergySvd` pick between the two.
//
// Matrices are row-major. Results repeat exactly for a given machine and
// BLAS thread count (the random start is a fixed function of the seed), but
// are not bit-identical across CPUs or thread counts: OpenBLAS picks its
// kernels (FMA, vector width, blocking) per CPU and splits some sums across
// threads, so values agree to rounding, not bit for bit; compare them with
// a tolerance.
// Signs are normalized (the largest component of each right singular
// vector is positive), so factors agree whichever method computed them.
//
//===----------------------------------------------------------------------===//

#ifndef EFFC_TRANSFORMS_SVD_H
#define EFFC_TRANSFORMS_SVD_H

#include "llvm/ADT/ArrayRef.h"

#include <cstdint>
#include <vector>

namespace mlir {
namespace effc {

/// A thin (possibly truncated) SVD A ~= U diag(S) V^T of a row-major
/// [rows, cols] matrix, with k = S.size() triplets.
struct Svd {
  int64_t rows = 0;
  int64_t cols = 0;
  /// Singular values, non-negative and in non-increasing order.
  std::vector<double> s;
  /// Left singular vectors, row-major [rows, k] (orthonormal columns).
  std::vector<double> u;
  /// Right singular vectors transposed, row-major [k, cols] (orthonormal
  /// rows).
  std::vector<double> vt;
  /// True when the triplets come from randomized subspace iteration.
  bool randomized = false;

  int64_t size() const { return static_cast<int64_t>(s.size()); }
  /// Keeps the first `k` triplets.
  void truncate(int64_t k);
};

/// The full thin SVD (k = min(rows, cols)) of row-major `a`.
Svd computeSvd(llvm::ArrayRef<double> a, int64_t rows, int64_t cols);

/// The `k` leading triplets by randomized subspace iteration with
/// `oversample` extra directions and `powerIters` power iterations; the
/// random start is a fixed function of `seed`.
Svd computeRandomizedSvd(llvm::ArrayRef<double> a, int64_t rows, int64_t cols,
                         int64_t k, int64_t oversample = 16,
                         int64_t powerIters = 3, uint64_t seed = 0x5eed);

/// The `k` leading triplets, from `computeSvd` when that is affordable or
/// not much dearer than the randomized method, else randomized.
Svd computeLeadingSvd(llvm::ArrayRef<double> a, int64_t rows, int64_t cols,
                      int64_t k);

/// ||A - U Vt||_F for row-major a [rows, cols], u [rows, k], vt [k, cols].
double productDistance(llvm::ArrayRef<double> a, llvm::ArrayRef<double> u,
                       llvm::ArrayRef<double> vt, int64_t rows, int64_t cols,
                       int64_t k);

/// ||A - U_k S_k V_k^T||_F for the first k triplets of `svd` (of `a`): from
/// the trailing singular values of a full exact SVD, else computed directly.
double truncationError(llvm::ArrayRef<double> a, const Svd &svd, int64_t k);

/// The outcome of an energy-driven rank search.
struct EnergySvd {
  /// The leading triplets: all of them from the exact method, the
  /// `searched` (or, after the exact singular values, `rank`) leading ones
  /// from the randomized method. Only the singular values, no vectors, when
  /// the exact values give a `rank` above `maxRank`.
  Svd svd;
  /// The smallest rank R >= 1 with sum_{i<R} s_i^2 >= energy * ||A||_F^2
  /// (from the randomized search: a rank that provably reaches it), or 0
  /// when the search stopped at `searched` without reaching it.
  int64_t rank = 0;
  /// The largest rank examined.
  int64_t searched = 0;
  /// ||A||_F^2.
  double totalEnergy = 0;
};

/// Finds the smallest rank keeping `energy` (in (0, 1]) of the squared
/// singular values. Small matrices get the exact SVD. Large ones get a
/// randomized search whose rank doubles from 32 up to `maxRank` or until the
/// work would exceed a fixed budget of about a second; its leading energies
/// are lower bounds of the true ones, so the rank found is never too small
/// and the factors keep at least `energy` of ||A||_F^2. Once a step of the
/// search would cost half the exact SVD (a tenth while the target is far
/// off), the exact singular values end it if the budget allows (a 1024 x
/// 1024 weight whose energy needs a high rank): they give the smallest
/// rank, whose triplets then come from the randomized method if its
/// energies reach the target by that rank, else from the exact SVD.
EnergySvd computeEnergySvd(llvm::ArrayRef<double> a, int64_t rows, int64_t cols,
                           double energy, int64_t maxRank);

} // namespace effc
} // namespace mlir

#endif // EFFC_TRANSFORMS_SVD_H

//===- Lapack.h - BLAS and LAPACK for the compression passes ----*- C++ -*-===//
//
// Column-major wrappers over the Fortran BLAS / LAPACK routines that the
// exact SVD, the randomized range finder (Svd.cpp) and the OBS solve
// (PruneObs.cpp) use, and the thread count they run with. The library is
// OpenBLAS, found at configure time (lib/Transforms/CMakeLists.txt).
//
// A row-major [rows, cols] buffer is the column-major [cols, rows] matrix
// of its transpose: callers pass their row-major data as such, no copy.
//
//===----------------------------------------------------------------------===//

#ifndef EFFC_LIB_TRANSFORMS_LAPACK_H
#define EFFC_LIB_TRANSFORMS_LAPACK_H

#include <cstdint>

namespace mlir {
class MLIRContext;

namespace effc {

/// c = alpha op(a) op(b) + beta c for column-major a, b, c, where op
/// transposes when asked; c is [m, n] and the product's inner size `k`.
void blasGemm(bool transA, bool transB, int64_t m, int64_t n, int64_t k,
              double alpha, const double *a, int64_t lda, const double *b,
              int64_t ldb, double beta, double *c, int64_t ldc);

/// The thin SVD a = u diag(s) vt of the column-major a [m, n] (leading dim
/// m), p = min(m, n): s [p] in non-increasing order, u [m, p] (leading dim
/// m), vt [p, n] (leading dim p). `dgesdd` (divide and conquer), else
/// `dgesvd` if that does not converge; false when neither does.
bool lapackSvd(int64_t m, int64_t n, const double *a, double *s, double *u,
               double *vt);

/// The singular values alone of the column-major a [m, n] (leading dim m),
/// in non-increasing order (`dgesdd` without vectors: about 0.4x the time
/// of `lapackSvd`); false when it does not converge.
bool lapackSingularValues(int64_t m, int64_t n, const double *a, double *s);

/// Replaces the column-major a [m, n] (m >= n) by the orthonormal factor Q
/// of its Householder QR (`dgeqrf` + `dorgqr`): Q has orthonormal columns
/// even when a is rank deficient.
void lapackOrthonormalize(int64_t m, int64_t n, double *a);

/// Cholesky factorization of the symmetric positive definite a [n, n] in
/// place (`dpotrf`, lower triangle); false when a is not positive definite.
bool lapackCholesky(int64_t n, double *a);

/// Solves a x = b in place for b [n, nrhs] (column-major) with the factor
/// from `lapackCholesky` (`dpotrs`).
void lapackCholeskySolve(int64_t n, const double *factor, double *b,
                         int64_t nrhs);

/// Runs BLAS / LAPACK on the compile's threads while alive: the thread count
/// of `context` (1 when its multithreading is disabled), so the passes that
/// call these routines one weight at a time neither oversubscribe the
/// machine nor leave it idle. An explicit OPENBLAS_NUM_THREADS (or
/// GOTO_NUM_THREADS / OMP_NUM_THREADS) in the environment wins. Restores the
/// previous count on destruction.
class ScopedBlasThreads {
public:
  explicit ScopedBlasThreads(MLIRContext *context);
  ~ScopedBlasThreads();
  ScopedBlasThreads(const ScopedBlasThreads &) = delete;
  ScopedBlasThreads &operator=(const ScopedBlasThreads &) = delete;

private:
  /// The count to restore, 0 when nothing was changed.
  int previous = 0;
};

} // namespace effc
} // namespace mlir

#endif // EFFC_LIB_TRANSFORMS_LAPACK_H

//===- Lapack.cpp - BLAS and LAPACK for the compression passes --*- C++ -*-===//
//
// Calls the Fortran entry points directly (OpenBLAS exports them; no
// LAPACKE or CBLAS header needed), with the hidden string-length arguments
// that gfortran-compiled LAPACK expects after the others. Integers are the
// 32-bit `int` of Debian's OpenBLAS (no INTERFACE64): sizes beyond it are a
// fatal error rather than a silent wrap.
//
//===----------------------------------------------------------------------===//

#include "Lapack.h"

#include "mlir/IR/MLIRContext.h"
#include "llvm/Support/ErrorHandling.h"

#include <algorithm>
#include <climits>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <vector>

using namespace mlir;
using namespace mlir::effc;

extern "C" {
void dgemm_(const char *transa, const char *transb, const int *m, const int *n,
            const int *k, const double *alpha, const double *a, const int *lda,
            const double *b, const int *ldb, const double *beta, double *c,
            const int *ldc, size_t, size_t);
void dgesdd_(const char *jobz, const int *m, const int *n, double *a,
             const int *lda, double *s, double *u, const int *ldu, double *vt,
             const int *ldvt, double *work, const int *lwork, int *iwork,
             int *info, size_t);
void dgesvd_(const char *jobu, const char *jobvt, const int *m, const int *n,
             double *a, const int *lda, double *s, double *u, const int *ldu,
             double *vt, const int *ldvt, double *work, const int *lwork,
             int *info, size_t, size_t);
void dgeqrf_(const int *m, const int *n, double *a, const int *lda, double *tau,
             double *work, const int *lwork, int *info);
void dorgqr_(const int *m, const int *n, const int *k, double *a,
             const int *lda, const double *tau, double *work, const int *lwork,
             int *info);
void dpotrf_(const char *uplo, const int *n, double *a, const int *lda,
             int *info, size_t);
void dpotrs_(const char *uplo, const int *n, const int *nrhs, const double *a,
             const int *lda, double *b, const int *ldb, int *info, size_t);
// OpenBLAS's thread control; weak so that another BLAS still links (and
// then keeps its own threading).
int openblas_get_num_threads(void) __attribute__((weak));
void openblas_set_num_threads(int) __attribute__((weak));
}

/// `v` as a BLAS integer.
static int blasInt(int64_t v) {
  if (v < 0 || v > INT_MAX)
    llvm::report_fatal_error("effc: matrix too large for 32-bit BLAS/LAPACK");
  return static_cast<int>(v);
}

/// The optimal workspace size a LAPACK query returned in `query`.
static int workspaceSize(double query) {
  if (!(query >= 1.0))
    return 1;
  if (query > double(INT_MAX))
    llvm::report_fatal_error("effc: LAPACK workspace too large");
  return static_cast<int>(query);
}

void mlir::effc::blasGemm(bool transA, bool transB, int64_t m, int64_t n,
                          int64_t k, double alpha, const double *a, int64_t lda,
                          const double *b, int64_t ldb, double beta, double *c,
                          int64_t ldc) {
  if (m == 0 || n == 0)
    return;
  if (k == 0) {
    // c = beta c, which not every BLAS does for an empty product.
    for (int64_t j = 0; j < n; ++j)
      for (int64_t i = 0; i < m; ++i)
        c[j * ldc + i] = beta == 0.0 ? 0.0 : beta * c[j * ldc + i];
    return;
  }
  int im = blasInt(m), in = blasInt(n), ik = blasInt(k);
  int ilda = blasInt(std::max<int64_t>(lda, 1)),
      ildb = blasInt(std::max<int64_t>(ldb, 1)), ildc = blasInt(ldc);
  dgemm_(transA ? "T" : "N", transB ? "T" : "N", &im, &in, &ik, &alpha, a,
         &ilda, b, &ildb, &beta, c, &ildc, 1, 1);
}

bool mlir::effc::lapackSvd(int64_t m, int64_t n, const double *a, double *s,
                           double *u, double *vt) {
  int64_t p = std::min(m, n);
  if (p == 0)
    return true;
  int im = blasInt(m), in = blasInt(n), ip = blasInt(p), info = 0;
  std::vector<double> work(a, a + m * n);
  // Workspace query, then the factorization.
  std::vector<int> iwork(8 * p);
  double query = 0;
  int lwork = -1;
  dgesdd_("S", &im, &in, work.data(), &im, s, u, &im, vt, &ip, &query, &lwork,
          iwork.data(), &info, 1);
  if (info == 0) {
    lwork = workspaceSize(query);
    std::vector<double> scratch(lwork);
    dgesdd_("S", &im, &in, work.data(), &im, s, u, &im, vt, &ip, scratch.data(),
            &lwork, iwork.data(), &info, 1);
    if (info == 0)
      return true;
  }
  // Divide and conquer failed to converge (info > 0): QR iteration.
  std::memcpy(work.data(), a, sizeof(double) * m * n);
  lwork = -1;
  dgesvd_("S", "S", &im, &in, work.data(), &im, s, u, &im, vt, &ip, &query,
          &lwork, &info, 1, 1);
  if (info != 0)
    return false;
  lwork = workspaceSize(query);
  std::vector<double> scratch(lwork);
  dgesvd_("S", "S", &im, &in, work.data(), &im, s, u, &im, vt, &ip,
          scratch.data(), &lwork, &info, 1, 1);
  return info == 0;
}

bool mlir::effc::lapackSingularValues(int64_t m, int64_t n, const double *a,
                                      double *s) {
  int64_t p = std::min(m, n);
  if (p == 0)
    return true;
  int im = blasInt(m), in = blasInt(n), one = 1, info = 0;
  std::vector<double> work(a, a + m * n);
  std::vector<int> iwork(8 * p);
  double query = 0, unused = 0;
  int lwork = -1;
  dgesdd_("N", &im, &in, work.data(), &im, s, &unused, &one, &unused, &one,
          &query, &lwork, iwork.data(), &info, 1);
  if (info != 0)
    return false;
  lwork = workspaceSize(query);
  std::vector<double> scratch(lwork);
  dgesdd_("N", &im, &in, work.data(), &im, s, &unused, &one, &unused, &one,
          scratch.data(), &lwork, iwork.data(), &info, 1);
  return info == 0;
}

void mlir::effc::lapackOrthonormalize(int64_t m, int64_t n, double *a) {
  if (n == 0)
    return;
  int im = blasInt(m), in = blasInt(n), info = 0;
  std::vector<double> tau(n);
  double query = 0, query2 = 0;
  int lwork = -1;
  dgeqrf_(&im, &in, a, &im, tau.data(), &query, &lwork, &info);
  dorgqr_(&im, &in, &in, a, &im, tau.data(), &query2, &lwork, &info);
  lwork = workspaceSize(std::max(query, query2));
  std::vector<double> scratch(lwork);
  dgeqrf_(&im, &in, a, &im, tau.data(), scratch.data(), &lwork, &info);
  if (info != 0)
    llvm::report_fatal_error("effc: dgeqrf rejected its arguments");
  dorgqr_(&im, &in, &in, a, &im, tau.data(), scratch.data(), &lwork, &info);
  if (info != 0)
    llvm::report_fatal_error("effc: dorgqr rejected its arguments");
}

bool mlir::effc::lapackCholesky(int64_t n, double *a) {
  if (n == 0)
    return true;
  int in = blasInt(n), info = 0;
  dpotrf_("L", &in, a, &in, &info, 1);
  return info == 0;
}

void mlir::effc::lapackCholeskySolve(int64_t n, const double *factor, double *b,
                                     int64_t nrhs) {
  if (n == 0 || nrhs == 0)
    return;
  int in = blasInt(n), inrhs = blasInt(nrhs), info = 0;
  dpotrs_("L", &in, &inrhs, factor, &in, b, &in, &info, 1);
  if (info != 0)
    llvm::report_fatal_error("effc: dpotrs rejected its arguments");
}

/// Whether the environment fixes OpenBLAS's thread count.
static bool threadsFromEnvironment() {
  for (const char *var :
       {"OPENBLAS_NUM_THREADS", "GOTO_NUM_THREADS", "OMP_NUM_THREADS"})
    if (const char *v = std::getenv(var); v && *v)
      return true;
  return false;
}

ScopedBlasThreads::ScopedBlasThreads(MLIRContext *context) {
  if (!openblas_set_num_threads || !openblas_get_num_threads ||
      threadsFromEnvironment())
    return;
  int threads = context && context->isMultithreadingEnabled()
                    ? static_cast<int>(context->getNumThreads())
                    : 1;
  previous = openblas_get_num_threads();
  openblas_set_num_threads(std::max(threads, 1));
}

ScopedBlasThreads::~ScopedBlasThreads() {
  if (previous > 0)
    openblas_set_num_threads(previous);
}

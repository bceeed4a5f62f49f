//===- Svd.cpp - Dense singular value decomposition -------------*- C++ -*-===//
//
// Exact path: for A [m, n] with m >= n, the eigenvectors V of the Gram
// matrix A^T A (Householder tridiagonalization + implicit QL, as in EISPACK
// tred2/tql2) make the columns of A V nearly orthogonal; a one-sided
// (Hestenes) Jacobi SVD of A V then finishes in a few sweeps. The Gram matrix
// alone would lose the small singular values (it squares the condition
// number); Jacobi recovers them and makes U and V orthonormal to working
// precision. A matrix at least twice as tall as wide is first reduced to its
// square R factor (A = Q R, Gram-Schmidt with reorthogonalization).
//
// Randomized path: subspace iteration on a Gaussian start block, re-
// orthonormalized after every product, then the exact SVD of the small
// projected matrix. Its cost is a handful of [m, n] x [n, k] products, which
// the blocked kernels below run near the machine's peak.
//
//===----------------------------------------------------------------------===//

#include "effc/Transforms/Svd.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <numeric>
#include <type_traits>

using namespace mlir;
using namespace mlir::effc;

// The product kernel is compiled for AVX-512, AVX2 and the x86-64 baseline
// and picked at run time. No FMA (GCC only contracts a * b + c when FMA is
// enabled, and -ffp-contract=off is set for this file): results are
// bit-identical on every x86-64 machine.
#if defined(__x86_64__) && defined(__GNUC__)
#define EFFC_X86_DISPATCH 1
#endif

static constexpr double kEps = std::numeric_limits<double>::epsilon();

void Svd::truncate(int64_t k) {
  if (k >= size())
    return;
  int64_t old = size();
  std::vector<double> nu(rows * k);
  for (int64_t i = 0; i < rows; ++i)
    std::copy_n(&u[i * old], k, &nu[i * k]);
  u = std::move(nu);
  s.resize(k);
  vt.resize(k * cols);
}

//===----------------------------------------------------------------------===//
// Kernels
//===----------------------------------------------------------------------===//

/// x . y with eight partial sums: vectorizes without reassociation flags and
/// sums in a fixed order.
static double dot(const double *x, const double *y, int64_t n) {
  double acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    for (int j = 0; j < 8; ++j)
      acc[j] += x[i + j] * y[i + j];
  for (; i < n; ++i)
    acc[i % 8] += x[i] * y[i];
  return ((acc[0] + acc[1]) + (acc[2] + acc[3])) +
         ((acc[4] + acc[5]) + (acc[6] + acc[7]));
}

/// Eight doubles: one AVX-512 register, two AVX2 ones, four SSE2 ones.
typedef double V8 __attribute__((vector_size(64)));

/// c[r][0..8W) += sum_k a[r * lda + k] * x[k * ldx + 0..8W) for R rows: the
/// register block of the product, R * W vector accumulators.
template <int R, int W>
__attribute__((always_inline)) static inline void
microKernel(const double *a, int64_t lda, const double *x, int64_t ldx,
            double *c, int64_t ldc, int64_t kn) {
  // memcpy: unaligned loads and stores without intrinsics.
  V8 acc[R][W], xv[W];
  for (int r = 0; r < R; ++r)
    for (int w = 0; w < W; ++w)
      std::memcpy(&acc[r][w], c + r * ldc + 8 * w, sizeof(V8));
  for (int64_t k = 0; k < kn; ++k) {
    for (int w = 0; w < W; ++w)
      std::memcpy(&xv[w], x + k * ldx + 8 * w, sizeof(V8));
    for (int r = 0; r < R; ++r) {
      double av = a[r * lda + k];
      for (int w = 0; w < W; ++w)
        acc[r][w] += av * xv[w];
    }
  }
  for (int r = 0; r < R; ++r)
    for (int w = 0; w < W; ++w)
      std::memcpy(c + r * ldc + 8 * w, &acc[r][w], sizeof(V8));
}

/// One column of the above: c[r][0] += sum_k a[r * lda + k] * x[k * ldx].
template <int R>
__attribute__((always_inline)) static inline void
columnKernel(const double *a, int64_t lda, const double *x, int64_t ldx,
             double *c, int64_t ldc, int64_t kn) {
  double acc[R];
  for (int r = 0; r < R; ++r)
    acc[r] = c[r * ldc];
  for (int64_t k = 0; k < kn; ++k)
    for (int r = 0; r < R; ++r)
      acc[r] += a[r * lda + k] * x[k * ldx];
  for (int r = 0; r < R; ++r)
    c[r * ldc] = acc[r];
}

/// c [rows, l] = a [rows, kdim] x [kdim, l], all row-major, in column
/// blocks of 8 W, then 8, then single columns. Blocked over k: a [4, 256] block
/// of a stays in L1 while it meets all of the [256, l] panel of x (in L2),
/// so a, the big operand, is read from memory once.
template <int W>
__attribute__((always_inline)) static inline void
gemmImpl(const double *a, const double *x, double *c, int64_t rows,
         int64_t kdim, int64_t l) {
  constexpr int64_t kBlock = 256;
  std::fill(c, c + rows * l, 0.0);
  for (int64_t k0 = 0; k0 < kdim; k0 += kBlock) {
    int64_t kn = std::min(kBlock, kdim - k0);
    const double *xb = x + k0 * l;
    auto rowBlock = [&](auto rowsTag, int64_t r) {
      constexpr int R = decltype(rowsTag)::value;
      int64_t j0 = 0;
      for (; j0 + 8 * W <= l; j0 += 8 * W)
        microKernel<R, W>(a + r * kdim + k0, kdim, xb + j0, l, c + r * l + j0,
                          l, kn);
      for (; j0 + 8 <= l; j0 += 8)
        microKernel<R, 1>(a + r * kdim + k0, kdim, xb + j0, l, c + r * l + j0,
                          l, kn);
      for (; j0 < l; ++j0)
        columnKernel<R>(a + r * kdim + k0, kdim, xb + j0, l, c + r * l + j0, l,
                        kn);
    };
    int64_t r = 0;
    for (; r + 4 <= rows; r += 4)
      rowBlock(std::integral_constant<int, 4>(), r);
    for (; r < rows; ++r)
      rowBlock(std::integral_constant<int, 1>(), r);
  }
}

using GemmFn = void (*)(const double *, const double *, double *, int64_t,
                        int64_t, int64_t);

static void gemmBaseline(const double *a, const double *x, double *c,
                         int64_t rows, int64_t kdim, int64_t l) {
  gemmImpl<1>(a, x, c, rows, kdim, l);
}

#ifdef EFFC_X86_DISPATCH
__attribute__((target("avx2"))) static void gemmAvx2(const double *a,
                                                     const double *x, double *c,
                                                     int64_t rows, int64_t kdim,
                                                     int64_t l) {
  gemmImpl<1>(a, x, c, rows, kdim, l);
}

__attribute__((target("avx512f"))) static void
gemmAvx512(const double *a, const double *x, double *c, int64_t rows,
           int64_t kdim, int64_t l) {
  gemmImpl<2>(a, x, c, rows, kdim, l);
}
#endif

static void gemm(const double *a, const double *x, double *c, int64_t rows,
                 int64_t kdim, int64_t l) {
  static const GemmFn fn = [] {
#ifdef EFFC_X86_DISPATCH
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f"))
      return static_cast<GemmFn>(gemmAvx512);
    if (__builtin_cpu_supports("avx2"))
      return static_cast<GemmFn>(gemmAvx2);
#endif
    return static_cast<GemmFn>(gemmBaseline);
  }();
  fn(a, x, c, rows, kdim, l);
}

static std::vector<double> transpose(llvm::ArrayRef<double> a, int64_t rows,
                                     int64_t cols) {
  std::vector<double> t(a.size());
  constexpr int64_t kTile = 32;
  for (int64_t i0 = 0; i0 < rows; i0 += kTile)
    for (int64_t j0 = 0; j0 < cols; j0 += kTile)
      for (int64_t i = i0; i < std::min(rows, i0 + kTile); ++i)
        for (int64_t j = j0; j < std::min(cols, j0 + kTile); ++j)
          t[j * rows + i] = a[i * cols + j];
  return t;
}

/// Deterministic standard normal numbers (splitmix64 + Box-Muller), the
/// same on every platform, unlike std::normal_distribution.
namespace {
class Gaussian {
public:
  explicit Gaussian(uint64_t seed) : state(seed) {}
  double next() {
    if (haveSpare) {
      haveSpare = false;
      return spare;
    }
    double u1 = uniform(), u2 = uniform();
    double r = std::sqrt(-2.0 * std::log(u1));
    spare = r * std::sin(2.0 * M_PI * u2);
    haveSpare = true;
    return r * std::cos(2.0 * M_PI * u2);
  }

private:
  /// Uniform in (0, 1].
  double uniform() {
    uint64_t z = (state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    z ^= z >> 31;
    return (static_cast<double>(z >> 11) + 1.0) * 0x1.0p-53;
  }
  uint64_t state;
  double spare = 0;
  bool haveSpare = false;
};
} // namespace

//===----------------------------------------------------------------------===//
// Orthonormal bases
//===----------------------------------------------------------------------===//

/// Orthogonalizes `v` (length n) against the first `k` rows of `q` (row
/// stride n, orthonormal) twice ("twice is enough") and returns the norm
/// left.
static double orthogonalize(double *v, const double *q, int64_t k, int64_t n) {
  for (int pass = 0; pass < 2; ++pass)
    for (int64_t i = 0; i < k; ++i) {
      double r = dot(q + i * n, v, n);
      const double *qi = q + i * n;
      for (int64_t t = 0; t < n; ++t)
        v[t] -= r * qi[t];
    }
  return std::sqrt(dot(v, v, n));
}

/// Makes row `k` of `q` (row stride n) a unit vector orthogonal to rows
/// [0, k): tries unit vectors e_c in turn and keeps the first with a large
/// enough component outside the span (one exists: their squared components
/// average (n - k) / n).
static void completeBasis(double *q, int64_t k, int64_t n) {
  double *v = q + k * n;
  double need = std::sqrt(0.5 * double(n - k) / double(n));
  for (int64_t c = 0; c < n; ++c) {
    std::fill(v, v + n, 0.0);
    v[c] = 1.0;
    double norm = orthogonalize(v, q, k, n);
    if (norm >= need) {
      for (int64_t t = 0; t < n; ++t)
        v[t] /= norm;
      return;
    }
  }
}

/// Orthonormalizes the rows of `q` [k, n] in place: Gram-Schmidt with
/// reorthogonalization, run over blocks of 8 rows so that each earlier row is
/// read once per block rather than once per row (the same arithmetic as
/// row-by-row MGS, an eighth of the memory traffic). Rows that are
/// (numerically) dependent are replaced by random directions, so the result
/// always has k orthonormal rows. `passes` = 1 skips the reorthogonalization
/// (rows orthogonal only to ~eps * cond): enough for a basis that is
/// multiplied again, not for the final one.
static void orthonormalizeRows(std::vector<double> &q, int64_t k, int64_t n,
                               Gaussian &rng, int passes = 2) {
  constexpr int64_t kRows = 8;
  double before[kRows], coef[kRows];
  for (int64_t j0 = 0; j0 < k; j0 += kRows) {
    int64_t jb = std::min(kRows, k - j0);
    double *block = &q[j0 * n];
    for (int64_t i = 0; i < jb; ++i)
      before[i] = std::sqrt(dot(block + i * n, block + i * n, n));
    // Against the finished rows [0, j0).
    for (int pass = 0; pass < passes; ++pass)
      for (int64_t t = 0; t < j0; ++t) {
        const double *qt = &q[t * n];
        for (int64_t i = 0; i < jb; ++i)
          coef[i] = dot(qt, block + i * n, n);
        for (int64_t i = 0; i < jb; ++i) {
          double *v = block + i * n;
          for (int64_t x = 0; x < n; ++x)
            v[x] -= coef[i] * qt[x];
        }
      }
    // Within the block, row by row.
    for (int64_t i = 0; i < jb; ++i) {
      double *v = block + i * n;
      int64_t row = j0 + i;
      double norm = 0;
      for (int pass = 0; pass < passes; ++pass)
        for (int64_t t = j0; t < row; ++t) {
          const double *qt = &q[t * n];
          double r = dot(qt, v, n);
          for (int64_t x = 0; x < n; ++x)
            v[x] -= r * qt[x];
        }
      norm = std::sqrt(dot(v, v, n));
      double ref = before[i];
      for (int tries = 0; !(norm > 64 * kEps * ref) || norm == 0; ++tries) {
        if (tries == 4) {
          completeBasis(q.data(), row, n);
          norm = 1.0;
          break;
        }
        for (int64_t x = 0; x < n; ++x)
          v[x] = rng.next();
        ref = std::sqrt(dot(v, v, n));
        norm = orthogonalize(v, q.data(), row, n);
      }
      for (int64_t x = 0; x < n; ++x)
        v[x] /= norm;
    }
  }
}

//===----------------------------------------------------------------------===//
// Symmetric eigensolver (EISPACK tred2 + tql2)
//===----------------------------------------------------------------------===//

/// Eigen-decomposition of the symmetric row-major `v` [n, n]: on success `d`
/// holds the eigenvalues in decreasing order and row i of `v` the unit
/// eigenvector of d[i]. Fails when QL does not converge.
static bool symmetricEigen(std::vector<double> &v, std::vector<double> &d,
                           int64_t n) {
  auto V = [&](int64_t i, int64_t j) -> double & { return v[i * n + j]; };
  d.assign(n, 0.0);
  std::vector<double> e(n, 0.0);
  if (n == 0)
    return true;
  // Householder reduction to tridiagonal form; V accumulates the
  // transformations.
  for (int64_t j = 0; j < n; ++j)
    d[j] = V(n - 1, j);
  for (int64_t i = n - 1; i > 0; --i) {
    double scale = 0.0, h = 0.0;
    for (int64_t k = 0; k < i; ++k)
      scale += std::fabs(d[k]);
    if (scale == 0.0) {
      e[i] = d[i - 1];
      for (int64_t j = 0; j < i; ++j) {
        d[j] = V(i - 1, j);
        V(i, j) = 0.0;
        V(j, i) = 0.0;
      }
    } else {
      for (int64_t k = 0; k < i; ++k) {
        d[k] /= scale;
        h += d[k] * d[k];
      }
      double f = d[i - 1];
      double g = std::sqrt(h);
      if (f > 0)
        g = -g;
      e[i] = scale * g;
      h -= f * g;
      d[i - 1] = f - g;
      for (int64_t j = 0; j < i; ++j)
        e[j] = 0.0;
      // e = (lower triangle of V) d, row by row for contiguous access.
      for (int64_t k = 0; k < i; ++k) {
        const double *row = &V(k, 0);
        double dk = d[k], acc = 0.0;
        for (int64_t j = 0; j < k; ++j) {
          e[j] += row[j] * dk;
          acc += row[j] * d[j];
        }
        e[k] += row[k] * dk + acc;
      }
      for (int64_t j = 0; j < i; ++j)
        V(j, i) = d[j];
      f = 0.0;
      for (int64_t j = 0; j < i; ++j) {
        e[j] /= h;
        f += e[j] * d[j];
      }
      double hh = f / (h + h);
      for (int64_t j = 0; j < i; ++j)
        e[j] -= hh * d[j];
      // V -= d e^T + e d^T on the lower triangle, row by row.
      for (int64_t k = 0; k < i; ++k) {
        double *row = &V(k, 0);
        double ek = e[k], dk = d[k];
        for (int64_t j = 0; j <= k; ++j)
          row[j] -= (d[j] * ek + e[j] * dk);
      }
      for (int64_t j = 0; j < i; ++j) {
        d[j] = V(i - 1, j);
        V(i, j) = 0.0;
      }
    }
    d[i] = h;
  }
  for (int64_t i = 0; i < n - 1; ++i) {
    V(n - 1, i) = V(i, i);
    V(i, i) = 1.0;
    double h = d[i + 1];
    if (h != 0.0) {
      for (int64_t k = 0; k <= i; ++k)
        d[k] = V(k, i + 1) / h;
      // V[0..i][0..i] -= d (V[0..i][i+1]^T V[0..i][0..i]), row by row.
      std::vector<double> g(i + 1, 0.0);
      for (int64_t k = 0; k <= i; ++k) {
        const double *row = &V(k, 0);
        double vk = V(k, i + 1);
        for (int64_t j = 0; j <= i; ++j)
          g[j] += vk * row[j];
      }
      for (int64_t k = 0; k <= i; ++k) {
        double *row = &V(k, 0);
        double dk = d[k];
        for (int64_t j = 0; j <= i; ++j)
          row[j] -= g[j] * dk;
      }
    }
    for (int64_t k = 0; k <= i; ++k)
      V(k, i + 1) = 0.0;
  }
  for (int64_t j = 0; j < n; ++j) {
    d[j] = V(n - 1, j);
    V(n - 1, j) = 0.0;
  }
  V(n - 1, n - 1) = 1.0;
  e[0] = 0.0;

  // Implicit QL on the tridiagonal matrix. The eigenvectors are the columns
  // of V; work on the transpose so that each rotation touches two
  // contiguous rows.
  std::vector<double> w = transpose(v, n, n);
  auto W = [&](int64_t i, int64_t j) -> double & { return w[i * n + j]; };
  for (int64_t i = 1; i < n; ++i)
    e[i - 1] = e[i];
  e[n - 1] = 0.0;
  double f = 0.0, tst1 = 0.0;
  for (int64_t l = 0; l < n; ++l) {
    tst1 = std::max(tst1, std::fabs(d[l]) + std::fabs(e[l]));
    int64_t m = l;
    while (m < n - 1 && std::fabs(e[m]) > kEps * tst1)
      ++m;
    if (m > l) {
      int iter = 0;
      do {
        if (++iter > 64)
          return false;
        double g = d[l];
        double p = (d[l + 1] - g) / (2.0 * e[l]);
        double r = std::hypot(p, 1.0);
        if (p < 0)
          r = -r;
        d[l] = e[l] / (p + r);
        d[l + 1] = e[l] * (p + r);
        double dl1 = d[l + 1];
        double h = g - d[l];
        for (int64_t i = l + 2; i < n; ++i)
          d[i] -= h;
        f += h;
        p = d[m];
        double c = 1.0, c2 = 1.0, c3 = 1.0;
        double el1 = e[l + 1];
        double s = 0.0, s2 = 0.0;
        for (int64_t i = m - 1; i >= l; --i) {
          c3 = c2;
          c2 = c;
          s2 = s;
          g = c * e[i];
          h = c * p;
          r = std::hypot(p, e[i]);
          e[i + 1] = s * r;
          s = e[i] / r;
          c = p / r;
          p = c * d[i] - s * g;
          d[i + 1] = h + s * (c * g + s * d[i]);
          double *wi = &W(i, 0), *wi1 = &W(i + 1, 0);
          for (int64_t k = 0; k < n; ++k) {
            double t = wi1[k];
            wi1[k] = s * wi[k] + c * t;
            wi[k] = c * wi[k] - s * t;
          }
        }
        p = -s * s2 * c3 * el1 * e[l] / dl1;
        e[l] = s * p;
        d[l] = c * p;
      } while (std::fabs(e[l]) > kEps * tst1);
    }
    d[l] += f;
    e[l] = 0.0;
  }

  // Decreasing order.
  std::vector<int64_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](int64_t x, int64_t y) { return d[x] > d[y]; });
  std::vector<double> sorted(n);
  for (int64_t i = 0; i < n; ++i) {
    sorted[i] = d[order[i]];
    std::copy_n(&w[order[i] * n], n, &v[i * n]);
  }
  d = std::move(sorted);
  return true;
}

//===----------------------------------------------------------------------===//
// Exact SVD
//===----------------------------------------------------------------------===//

/// One-sided Jacobi on the rows of `bt` [n, m] (the columns of B): rotates
/// pairs of rows until every pair is orthogonal relative to its norms,
/// applying the same rotations to the rows of `vt` [n, nv].
static void oneSidedJacobi(std::vector<double> &bt, std::vector<double> &vt,
                           int64_t n, int64_t m, int64_t nv) {
  const double tol = kEps * std::max<int64_t>(m, 16);
  std::vector<double> norms(n);
  auto rotate = [](double *x, double *y, int64_t len, double c, double s) {
    for (int64_t t = 0; t < len; ++t) {
      double xt = x[t], yt = y[t];
      x[t] = c * xt - s * yt;
      y[t] = s * xt + c * yt;
    }
  };
  for (int sweep = 0; sweep < 64; ++sweep) {
    for (int64_t j = 0; j < n; ++j)
      norms[j] = dot(&bt[j * m], &bt[j * m], m);
    bool rotated = false;
    for (int64_t p = 0; p + 1 < n; ++p)
      for (int64_t q = p + 1; q < n; ++q) {
        double alpha = norms[p], beta = norms[q];
        if (alpha == 0.0 || beta == 0.0)
          continue;
        double *bp = &bt[p * m], *bq = &bt[q * m];
        double gamma = dot(bp, bq, m);
        if (std::fabs(gamma) <= tol * std::sqrt(alpha) * std::sqrt(beta))
          continue;
        rotated = true;
        double zeta = (beta - alpha) / (2.0 * gamma);
        double t = std::fabs(zeta) > 1e150
                       ? 0.5 / zeta
                       : std::copysign(1.0, zeta) /
                             (std::fabs(zeta) + std::sqrt(1.0 + zeta * zeta));
        double c = 1.0 / std::sqrt(1.0 + t * t), s = c * t;
        rotate(bp, bq, m, c, s);
        rotate(&vt[p * nv], &vt[q * nv], nv, c, s);
        // Recomputed rather than updated: small columns keep their
        // relative accuracy.
        norms[p] = dot(bp, bp, m);
        norms[q] = dot(bq, bq, m);
      }
    if (!rotated)
      break;
  }
}

/// The thin SVD of `a` [m, n] with m >= n.
static Svd exactSvdTall(llvm::ArrayRef<double> a, int64_t m, int64_t n) {
  Svd out;
  out.rows = m;
  out.cols = n;
  if (m >= 2 * n && n > 0) {
    // Much taller than wide: A = Q R first (Gram-Schmidt, twice), then the
    // SVD of the [n, n] R; the Jacobi sweeps then run on rows of n, not m.
    std::vector<double> qt = transpose(a, m, n);
    Gaussian rng(0x51ab);
    orthonormalizeRows(qt, n, m, rng);
    std::vector<double> r(n * n);
    gemm(qt.data(), a.data(), r.data(), n, m, n);
    Svd inner = exactSvdTall(r, n, n);
    std::vector<double> q = transpose(qt, n, m);
    out.u.resize(m * n);
    gemm(q.data(), inner.u.data(), out.u.data(), m, n, n);
    out.s = std::move(inner.s);
    out.vt = std::move(inner.vt);
    return out;
  }
  // vt: the right singular vector estimates as rows. Start from the
  // eigenvectors of A^T A (fall back to the identity if QL fails).
  std::vector<double> vt(n * n), d;
  gemm(transpose(a, m, n).data(), a.data(), vt.data(), n, m, n);
  if (!symmetricEigen(vt, d, n)) {
    std::fill(vt.begin(), vt.end(), 0.0);
    for (int64_t i = 0; i < n; ++i)
      vt[i * n + i] = 1.0;
  }
  // bt = (A V)^T: row j is A v_j.
  std::vector<double> av(m * n);
  gemm(a.data(), transpose(vt, n, n).data(), av.data(), m, n, n);
  std::vector<double> bt = transpose(av, m, n);
  oneSidedJacobi(bt, vt, n, m, n);

  std::vector<double> norms(n);
  for (int64_t j = 0; j < n; ++j)
    norms[j] = std::sqrt(dot(&bt[j * m], &bt[j * m], m));
  std::vector<int64_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](int64_t x, int64_t y) { return norms[x] > norms[y]; });
  // ut: left singular vectors as rows; exact zeros get completed to an
  // orthonormal basis.
  std::vector<double> ut(n * m);
  out.s.resize(n);
  out.vt.resize(n * n);
  double smax = n ? norms[order[0]] : 0.0;
  for (int64_t j = 0; j < n; ++j) {
    int64_t src = order[j];
    double sj = norms[src];
    out.s[j] = sj;
    std::copy_n(&vt[src * n], n, &out.vt[j * n]);
    if (sj > 0 && sj > smax * 1e-280) {
      for (int64_t i = 0; i < m; ++i)
        ut[j * m + i] = bt[src * m + i] / sj;
    } else {
      out.s[j] = 0.0;
      completeBasis(ut.data(), j, m);
    }
  }
  out.u = transpose(ut, n, m);
  return out;
}

/// Flips each pair (u_j, v_j) so that the largest component of v_j is
/// positive: the signs of singular vectors are arbitrary, this makes them
/// the same whichever method computed them.
static void normalizeSigns(Svd &svd) {
  int64_t k = svd.size(), n = svd.cols;
  for (int64_t j = 0; j < k; ++j) {
    double *v = &svd.vt[j * n];
    int64_t big = 0;
    for (int64_t c = 1; c < n; ++c)
      if (std::fabs(v[c]) > std::fabs(v[big]))
        big = c;
    if (n == 0 || v[big] >= 0)
      continue;
    for (int64_t c = 0; c < n; ++c)
      v[c] = -v[c];
    for (int64_t i = 0; i < svd.rows; ++i)
      svd.u[i * k + j] = -svd.u[i * k + j];
  }
}

static Svd transposed(Svd t) {
  Svd out;
  out.rows = t.cols;
  out.cols = t.rows;
  out.s = std::move(t.s);
  out.randomized = t.randomized;
  int64_t k = out.size();
  // A^T = U S V^T  =>  A = V S U^T.
  out.u = transpose(t.vt, k, t.cols);
  out.vt = transpose(t.u, t.rows, k);
  return out;
}

Svd mlir::effc::computeSvd(llvm::ArrayRef<double> a, int64_t rows,
                           int64_t cols) {
  Svd out =
      rows >= cols
          ? exactSvdTall(a, rows, cols)
          : transposed(exactSvdTall(transpose(a, rows, cols), cols, rows));
  normalizeSigns(out);
  return out;
}

//===----------------------------------------------------------------------===//
// Randomized SVD
//===----------------------------------------------------------------------===//

Svd mlir::effc::computeRandomizedSvd(llvm::ArrayRef<double> a, int64_t rows,
                                     int64_t cols, int64_t k,
                                     int64_t oversample, int64_t powerIters,
                                     uint64_t seed) {
  int64_t m = rows, n = cols, small = std::min(m, n);
  k = std::clamp<int64_t>(k, 0, small);
  // The block width, rounded up to the kernels' multiple of 8 where that
  // fits; the extra directions only help.
  int64_t l = std::min(small, k + std::max<int64_t>(oversample, 0));
  l = std::min(small, (l + 7) / 8 * 8);
  if (l == small || k == 0) {
    Svd full = computeSvd(a, rows, cols);
    full.truncate(k);
    return full;
  }
  Gaussian rng(seed);
  // Panels are row-major [len, l]; orthonormalization works on their
  // transposes.
  auto orthonormalize = [&](std::vector<double> &panel, int64_t len,
                            int passes) {
    std::vector<double> t = transpose(panel, len, l);
    orthonormalizeRows(t, l, len, rng, passes);
    panel = transpose(t, l, len);
  };
  // A^T explicitly: strided reads of A would thrash the caches (and the
  // TLB) for power-of-two widths.
  std::vector<double> at = transpose(a, m, n);
  std::vector<double> omega(n * l), y(m * l), z(n * l);
  for (double &x : omega)
    x = rng.next();
  gemm(a.data(), omega.data(), y.data(), m, n, l);
  for (int64_t it = 0; it < powerIters; ++it) {
    orthonormalize(y, m, 1);
    gemm(at.data(), y.data(), z.data(), n, m, l);
    orthonormalize(z, n, 1);
    gemm(a.data(), z.data(), y.data(), m, n, l);
  }
  orthonormalize(y, m, 2);
  // B^T = A^T Q [n, l] = Ub S Vb^T, so A ~= Q B = (Q Vb) S Ub^T.
  gemm(at.data(), y.data(), z.data(), n, m, l);
  Svd b = computeSvd(z, n, l);
  Svd out;
  out.rows = m;
  out.cols = n;
  out.randomized = true;
  out.s.assign(b.s.begin(), b.s.begin() + k);
  // U = Q Vb (b.vt is Vb^T [l, l]), keeping the first k columns.
  std::vector<double> vb = transpose(b.vt, l, l), ufull(m * l);
  gemm(y.data(), vb.data(), ufull.data(), m, l, l);
  out.u.resize(m * k);
  for (int64_t i = 0; i < m; ++i)
    std::copy_n(&ufull[i * l], k, &out.u[i * k]);
  // V^T = Ub^T: rows are the columns of b.u [n, l].
  out.vt.resize(k * n);
  for (int64_t j = 0; j < k; ++j)
    for (int64_t c = 0; c < n; ++c)
      out.vt[j * n + c] = b.u[c * l + j];
  normalizeSigns(out);
  return out;
}

double mlir::effc::productDistance(llvm::ArrayRef<double> a,
                                   llvm::ArrayRef<double> u,
                                   llvm::ArrayRef<double> vt, int64_t rows,
                                   int64_t cols, int64_t k) {
  // By blocks of rows: no [rows, cols] temporary.
  constexpr int64_t kRows = 256;
  std::vector<double> approx(std::min(rows, kRows) * cols);
  double err = 0;
  for (int64_t r0 = 0; r0 < rows; r0 += kRows) {
    int64_t rb = std::min(kRows, rows - r0);
    gemm(u.data() + r0 * k, vt.data(), approx.data(), rb, k, cols);
    const double *ab = a.data() + r0 * cols;
    for (int64_t i = 0; i < rb * cols; ++i)
      err += (ab[i] - approx[i]) * (ab[i] - approx[i]);
  }
  return std::sqrt(err);
}

double mlir::effc::truncationError(llvm::ArrayRef<double> a, const Svd &svd,
                                   int64_t k) {
  int64_t m = svd.rows, n = svd.cols, have = svd.size();
  k = std::clamp<int64_t>(k, 0, have);
  if (!svd.randomized && have == std::min(m, n)) {
    double tail = 0;
    for (int64_t i = have - 1; i >= k; --i)
      tail += svd.s[i] * svd.s[i];
    return std::sqrt(tail);
  }
  // Directly: ||A||^2 - sum s_i^2 cancels when the error is small.
  std::vector<double> us(m * k);
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < k; ++j)
      us[i * k + j] = svd.u[i * have + j] * svd.s[j];
  return productDistance(a, us, svd.vt, m, n, k);
}

//===----------------------------------------------------------------------===//
// Method choice
//===----------------------------------------------------------------------===//

// Rough cost models in flops: the exact path ~25 m n^2 (Gram, eigensolver,
// Jacobi sweeps), the randomized one 2 (2 q + 2) m n l for the products plus
// an exact SVD of [n, l]. On one core of a current x86-64 both run at about
// 1e10 of these units per second.
static constexpr int64_t kPowerIters = 3;
/// Power iterations while searching for an energy rank: the estimates stay
/// lower bounds (so the rank found is safe), only a little less tight.
static constexpr int64_t kSearchPowerIters = 1;
/// Below this the exact SVD takes well under a second.
static constexpr double kCheapExact = 4e9;
/// The most an energy search spends (a few seconds).
static constexpr double kSearchBudget = 4e10;

static double exactCost(int64_t m, int64_t n) {
  double big = std::max(m, n), small = std::min(m, n);
  return 25.0 * big * small * small;
}

static int64_t blockWidth(int64_t k) {
  return k + std::max<int64_t>(16, k / 4);
}

static double randomizedCost(int64_t m, int64_t n, int64_t k,
                             int64_t powerIters) {
  int64_t l = std::min(blockWidth(k), std::min(m, n));
  return 2.0 * (2 * powerIters + 2) * double(m) * double(n) * double(l) +
         exactCost(std::max(m, n), l);
}

Svd mlir::effc::computeLeadingSvd(llvm::ArrayRef<double> a, int64_t rows,
                                  int64_t cols, int64_t k) {
  double exact = exactCost(rows, cols);
  if (exact <= kCheapExact ||
      exact <= randomizedCost(rows, cols, k, kPowerIters)) {
    Svd full = computeSvd(a, rows, cols);
    full.truncate(k);
    return full;
  }
  return computeRandomizedSvd(a, rows, cols, k, blockWidth(k) - k, kPowerIters);
}

/// The smallest r in [1, s.size()] whose leading energy reaches `target`,
/// or 0.
static int64_t energyRank(llvm::ArrayRef<double> s, double target) {
  double acc = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    acc += s[i] * s[i];
    if (acc >= target)
      return static_cast<int64_t>(i) + 1;
  }
  return 0;
}

EnergySvd mlir::effc::computeEnergySvd(llvm::ArrayRef<double> a, int64_t rows,
                                       int64_t cols, double energy,
                                       int64_t maxRank) {
  EnergySvd out;
  out.totalEnergy = dot(a.data(), a.data(), a.size());
  int64_t small = std::min(rows, cols);
  maxRank = std::clamp<int64_t>(maxRank, 1, small);
  // Rounding must not push energy = 1 past the last singular value.
  double target = energy * out.totalEnergy * (1.0 - 1e-12);
  if (exactCost(rows, cols) <= kCheapExact) {
    out.svd = computeSvd(a, rows, cols);
    out.searched = small;
    out.rank = std::max<int64_t>(1, energyRank(out.svd.s, target));
    return out;
  }
  // Randomized search with a doubling rank. The leading energies of the
  // projection Q^T A are lower bounds of the true ones, so a rank that
  // reaches the target is safe, and U S V^T = Q Q^T A restricted to it keeps
  // at least that energy: ||A - U S V^T||_F^2 = ||A||_F^2 - sum s_i^2.
  double spent = 0;
  for (int64_t k = std::min<int64_t>(32, maxRank);;
       k = std::min(2 * k, maxRank)) {
    out.svd = computeRandomizedSvd(a, rows, cols, k, blockWidth(k) - k,
                                   kSearchPowerIters);
    spent += randomizedCost(rows, cols, k, kSearchPowerIters);
    out.searched = k;
    out.rank = energyRank(out.svd.s, target);
    if (out.rank || k == maxRank ||
        spent + randomizedCost(rows, cols, std::min(2 * k, maxRank),
                               kSearchPowerIters) >
            kSearchBudget)
      return out;
  }
}

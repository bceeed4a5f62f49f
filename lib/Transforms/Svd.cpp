//===- Svd.cpp - Dense singular value decomposition -------------*- C++ -*-===//
//
// The exact SVD is LAPACK's `dgesdd` (Lapack.h). The randomized path is
// subspace iteration on a Gaussian start block, re-orthonormalized by
// Householder QR after every product, then the exact SVD of the small
// projected matrix; its products run through BLAS `dgemm`.
//
// All matrices here are row-major; a row-major [rows, cols] buffer is the
// column-major [cols, rows] matrix of its transpose, which is how BLAS and
// LAPACK see it, so no product or factorization needs a transposed copy.
//
//===----------------------------------------------------------------------===//

#include "effc/Transforms/Svd.h"

#include "Lapack.h"

#include "llvm/Support/ErrorHandling.h"

#include <algorithm>
#include <cmath>

using namespace mlir;
using namespace mlir::effc;

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

namespace {
/// Deterministic standard normal numbers (splitmix64 + Box-Muller), the
/// same on every platform, unlike std::normal_distribution.
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
// Exact SVD
//===----------------------------------------------------------------------===//

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

Svd mlir::effc::computeSvd(llvm::ArrayRef<double> a, int64_t rows,
                           int64_t cols) {
  Svd out;
  out.rows = rows;
  out.cols = cols;
  int64_t p = std::min(rows, cols);
  out.s.resize(p);
  out.u.resize(rows * p);
  out.vt.resize(p * cols);
  // LAPACK sees A^T [cols, rows] = U' S V'^T, so A = V' S U'^T: its U'
  // [cols, p] is our row-major vt [p, cols] and its V'^T [p, rows] our
  // row-major u [rows, p].
  if (!lapackSvd(cols, rows, a.data(), out.s.data(), out.vt.data(),
                 out.u.data()))
    llvm::report_fatal_error("effc: the LAPACK SVD (dgesdd, dgesvd) did not "
                             "converge");
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
  int64_t l = std::min(small, k + std::max<int64_t>(oversample, 0));
  if (l == small || k == 0) {
    Svd full = computeSvd(a, rows, cols);
    full.truncate(k);
    return full;
  }
  Gaussian rng(seed);
  // Panels are column-major: y [m, l], z [n, l]. A (row-major) is the
  // column-major A^T [n, m], so A x is a transposed product and A^T x a
  // plain one.
  const double *pa = a.data();
  std::vector<double> y(m * l), z(n * l);
  for (double &x : z)
    x = rng.next();
  auto timesA = [&] { // y = A z
    blasGemm(true, false, m, l, n, 1.0, pa, n, z.data(), n, 0.0, y.data(), m);
  };
  auto timesAt = [&] { // z = A^T y
    blasGemm(false, false, n, l, m, 1.0, pa, n, y.data(), m, 0.0, z.data(), n);
  };
  timesA();
  for (int64_t it = 0; it < powerIters; ++it) {
    lapackOrthonormalize(m, l, y.data());
    timesAt();
    lapackOrthonormalize(n, l, z.data());
    timesA();
  }
  lapackOrthonormalize(m, l, y.data());
  // Q = y. B^T = A^T Q [n, l] = Ub S Vb^T, so A ~= Q B = (Q Vb) S Ub^T.
  timesAt();
  std::vector<double> sb(l), ub(n * l), vbt(l * l);
  if (!lapackSvd(n, l, z.data(), sb.data(), ub.data(), vbt.data()))
    llvm::report_fatal_error("effc: the LAPACK SVD (dgesdd, dgesvd) did not "
                             "converge");
  Svd out;
  out.rows = m;
  out.cols = n;
  out.randomized = true;
  out.s.assign(sb.begin(), sb.begin() + k);
  // Row-major u [m, k] is the column-major (Q Vb)^T [k, m] = Vb^T Q^T,
  // keeping the first k rows of Vb^T.
  out.u.resize(m * k);
  blasGemm(false, true, k, m, l, 1.0, vbt.data(), l, y.data(), m, 0.0,
           out.u.data(), k);
  // Row-major V^T [k, n] = Ub^T: the first k columns of column-major Ub.
  out.vt.assign(ub.begin(), ub.begin() + k * n);
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
    // Row-major approx [rb, cols] = u [rb, k] vt [k, cols], i.e. the
    // column-major approx^T = vt^T u^T.
    blasGemm(false, false, cols, rb, k, 1.0, vt.data(), cols, u.data() + r0 * k,
             k, 0.0, approx.data(), cols);
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

// Rough cost models in flop-like units: the exact path (dgesdd with thin
// factors) ~18 m n^2 for m >= n, the randomized one 2 (2 q + 2) m n l for
// the products plus an exact SVD of [n, l]. On one core of a current x86-64
// with OpenBLAS both run at about 3.5e10 of these units per second (measured
// on AMD Zen 4: dgesdd 1024^2 0.5 s, 2048^2 4.2 s; a randomized step of rank
// 256 with one power iteration on 1024^2 about 2.6x cheaper than dgesdd);
// more threads speed both up alike.
static constexpr int64_t kPowerIters = 3;
/// Power iterations while searching for an energy rank: the estimates stay
/// lower bounds (so the rank found is safe), only a little less tight.
static constexpr int64_t kSearchPowerIters = 1;
/// Below this (~0.1 s) the exact SVD is used even where the randomized
/// method would be cheaper: both are instant.
static constexpr double kCheapExact = 3e9;
/// An energy search far from its target switches to the exact singular
/// values once a randomized step costs more than 1 / kValuesSwitch of the
/// exact SVD.
static constexpr double kValuesSwitch = 10.0;
/// The most an energy search spends (about a second on one core: the ranks
/// it reaches on a 2048 x 2048 weight are those the search reached before
/// LAPACK, in less time).
static constexpr double kSearchBudget = 4e10;

static double exactCost(int64_t m, int64_t n) {
  double big = std::max(m, n), small = std::min(m, n);
  return 18.0 * big * small * small;
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
  for (double v : a)
    out.totalEnergy += v * v;
  int64_t small = std::min(rows, cols);
  maxRank = std::clamp<int64_t>(maxRank, 1, small);
  // Rounding must not push energy = 1 past the last singular value.
  double target = energy * out.totalEnergy * (1.0 - 1e-12);
  double exact = exactCost(rows, cols);
  auto exactSearch = [&] {
    out.svd = computeSvd(a, rows, cols);
    out.searched = small;
    out.rank = std::max<int64_t>(1, energyRank(out.svd.s, target));
    return out;
  };
  if (exact <= kCheapExact)
    return exactSearch();
  // The smallest rank from the singular values alone, then its triplets:
  // randomized where cheaper, kept when their energies (lower bounds) reach
  // the target by that rank, else exact. None when the rank is unusable.
  auto valuesSearch = [&] {
    std::vector<double> values(small);
    // A row-major A is the column-major A^T: same singular values.
    if (!lapackSingularValues(cols, rows, a.data(), values.data()))
      llvm::report_fatal_error("effc: the LAPACK SVD (dgesdd) did not "
                               "converge");
    out.searched = small;
    out.rank = std::max<int64_t>(1, energyRank(values, target));
    if (out.rank > maxRank) {
      out.svd = Svd();
      out.svd.rows = rows;
      out.svd.cols = cols;
      out.svd.s = std::move(values);
      return out;
    }
    int64_t r = out.rank;
    if (randomizedCost(rows, cols, r, kPowerIters) < exact) {
      Svd fast = computeRandomizedSvd(a, rows, cols, r, blockWidth(r) - r,
                                      kPowerIters);
      int64_t reached = energyRank(fast.s, target);
      if (reached > 0 && reached <= r) {
        out.svd = std::move(fast);
        out.rank = reached;
        return out;
      }
    }
    return exactSearch();
  };
  // Randomized search with a doubling rank. The leading energies of the
  // projection Q^T A are lower bounds of the true ones, so a rank that
  // reaches the target is safe, and U S V^T = Q Q^T A restricted to it keeps
  // at least that energy: ||A - U S V^T||_F^2 = ||A||_F^2 - sum s_i^2.
  double spent = 0;
  // The energy the previous step left short of the target (lower bound),
  // and what the target allows to be left out.
  double shortfall = 0, allowed = out.totalEnergy - target;
  for (int64_t k = std::min<int64_t>(32, maxRank);;
       k = std::min(2 * k, maxRank)) {
    double step = randomizedCost(rows, cols, k, kSearchPowerIters);
    // The exact singular values (~0.4 of the exact SVD) end the search,
    // where the budget allows, once a step costs half the exact SVD, or a
    // tenth of it while the last step left the target far out of reach:
    // doubling the rank rarely cuts the energy left out 8-fold, so the rank
    // lies beyond this step.
    bool farOff = shortfall > 8.0 * allowed;
    if (spent + exact <= kSearchBudget &&
        (2.0 * step >= exact || (farOff && kValuesSwitch * step >= exact)))
      return valuesSearch();
    out.svd = computeRandomizedSvd(a, rows, cols, k, blockWidth(k) - k,
                                   kSearchPowerIters);
    spent += step;
    out.searched = k;
    out.rank = energyRank(out.svd.s, target);
    double captured = 0;
    for (double v : out.svd.s)
      captured += v * v;
    shortfall = target - captured;
    if (out.rank || k == maxRank ||
        spent + randomizedCost(rows, cols, std::min(2 * k, maxRank),
                               kSearchPowerIters) >
            kSearchBudget)
      return out;
  }
}

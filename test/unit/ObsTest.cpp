//===- ObsTest.cpp - tests of the OBS compensation solve --------*- C++ -*-===//
//
// Checks the one-shot OBS update behind `--effc-prune calibration=`
// (lib/Transforms/PruneImpl.h): the damped Hessian, and that each updated
// row is the constrained least-squares optimum (the residual H (w' - w) is
// zero on the kept entries), matches an independent per-row solve, never
// increases the layer's output error, and leaves rows it cannot solve
// alone. And SparseGPT's sweep (`sparseGpt`): that its blocked, lazily
// updated form equals the plain column-by-column algorithm computed
// independently here, that its masks have the requested sparsity, and
// that it beats the magnitude mask compensated exactly.
//
//===----------------------------------------------------------------------===//

#include "PruneImpl.h"

#include "gtest/gtest.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

using namespace mlir::effc;

namespace {

/// Deterministic standard normal numbers.
class Rng {
public:
  explicit Rng(uint64_t seed) : state(seed) {}
  double normal() {
    double u1 = uniform(), u2 = uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * M_PI * u2);
  }
  double uniform() {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    return (static_cast<double>(state >> 11) + 1.0) * 0x1.0p-53;
  }

private:
  uint64_t state;
};

using Matrix = std::vector<double>;

/// Correlated inputs x [samples, k]: a shared factor plus noise, so that
/// the compensation has something to work with.
Matrix correlatedInputs(int64_t samples, int64_t k, uint64_t seed) {
  Rng rng(seed);
  Matrix x(samples * k);
  for (int64_t s = 0; s < samples; ++s) {
    double shared = rng.normal();
    for (int64_t c = 0; c < k; ++c)
      x[s * k + c] = shared * (1.0 + 0.1 * double(c % 5)) + 0.5 * rng.normal();
  }
  return x;
}

/// (d^T H d) for d = a - b over one row.
double quadratic(const Matrix &h, const double *a, const double *b, int64_t k) {
  double q = 0;
  for (int64_t i = 0; i < k; ++i)
    for (int64_t j = 0; j < k; ++j)
      q += (a[i] - b[i]) * h[i * k + j] * (a[j] - b[j]);
  return q;
}

/// Solves a x = rhs (dense, partial pivoting): the independent reference.
std::vector<double> gaussSolve(Matrix a, std::vector<double> rhs) {
  int64_t n = rhs.size();
  for (int64_t c = 0; c < n; ++c) {
    int64_t p = c;
    for (int64_t r = c + 1; r < n; ++r)
      if (std::fabs(a[r * n + c]) > std::fabs(a[p * n + c]))
        p = r;
    for (int64_t j = 0; j < n; ++j)
      std::swap(a[c * n + j], a[p * n + j]);
    std::swap(rhs[c], rhs[p]);
    for (int64_t r = c + 1; r < n; ++r) {
      double f = a[r * n + c] / a[c * n + c];
      for (int64_t j = c; j < n; ++j)
        a[r * n + j] -= f * a[c * n + j];
      rhs[r] -= f * rhs[c];
    }
  }
  for (int64_t r = n - 1; r >= 0; --r) {
    for (int64_t j = r + 1; j < n; ++j)
      rhs[r] -= a[r * n + j] * rhs[j];
    rhs[r] /= a[r * n + r];
  }
  return rhs;
}

TEST(ObsTest, DampedHessian) {
  int64_t samples = 7, k = 5;
  Matrix x = correlatedInputs(samples, k, 3);
  std::vector<double> h = obsHessian(x, samples, k);
  ASSERT_EQ(h.size(), size_t(k * k));
  double trace = 0;
  for (int64_t s = 0; s < samples; ++s)
    for (int64_t i = 0; i < k; ++i)
      trace += x[s * k + i] * x[s * k + i];
  double damp = 0.01 * trace / double(k);
  for (int64_t i = 0; i < k; ++i)
    for (int64_t j = 0; j < k; ++j) {
      double want = i == j ? damp : 0.0;
      for (int64_t s = 0; s < samples; ++s)
        want += x[s * k + i] * x[s * k + j];
      EXPECT_NEAR(h[i * k + j], want, 1e-12 * trace) << i << ", " << j;
    }
  // All-zero inputs still give a positive definite Hessian.
  std::vector<double> zero = obsHessian(Matrix(samples * k, 0.0), samples, k);
  for (int64_t i = 0; i < k; ++i)
    EXPECT_GT(zero[i * k + i], 0.0);
}

TEST(ObsTest, OptimalUpdate) {
  int64_t samples = 256, k = 24, n = 9;
  Matrix x = correlatedInputs(samples, k, 11);
  std::vector<double> h = obsHessian(x, samples, k);
  Rng rng(5);
  Matrix w(n * k);
  for (double &v : w)
    v = rng.normal();
  // Random masks; rows 3 and 4 share one (one factorization for both), row
  // 6 has nothing pruned, row 7 only already-zero entries pruned, row 8
  // everything pruned.
  std::vector<bool> mask(n * k);
  for (int64_t i = 0; i < n * k; ++i)
    mask[i] = rng.uniform() < 0.5;
  for (int64_t c = 0; c < k; ++c) {
    mask[4 * k + c] = mask[3 * k + c];
    mask[6 * k + c] = false;
    mask[7 * k + c] = c % 3 == 0;
    if (mask[7 * k + c])
      w[7 * k + c] = 0.0;
    mask[8 * k + c] = true;
  }
  auto isPruned = [&](int64_t i) { return bool(mask[i]); };
  std::vector<double> out = obsCompensate(h, w, n, k, isPruned);
  ASSERT_EQ(out.size(), w.size());

  for (int64_t r = 0; r < n; ++r) {
    SCOPED_TRACE(testing::Message() << "row " << r);
    const double *wr = &w[r * k], *outr = &out[r * k];
    std::vector<int64_t> kept;
    for (int64_t c = 0; c < k; ++c) {
      if (mask[r * k + c])
        EXPECT_EQ(outr[c], 0.0) << "pruned entry " << c;
      else
        kept.push_back(c);
    }
    bool anyGone = false;
    for (int64_t c = 0; c < k; ++c)
      anyGone |= mask[r * k + c] && wr[c] != 0.0;
    if (!anyGone || kept.empty()) {
      for (int64_t c : kept)
        EXPECT_EQ(outr[c], wr[c]) << "kept entry " << c;
      continue;
    }
    // Optimality: H (w' - w) vanishes on the kept entries.
    double scale = 0;
    for (double v : h)
      scale = std::max(scale, std::fabs(v));
    for (int64_t i : kept) {
      double g = 0;
      for (int64_t j = 0; j < k; ++j)
        g += h[i * k + j] * (outr[j] - wr[j]);
      EXPECT_NEAR(g, 0.0, 1e-10 * scale) << "gradient at " << i;
    }
    // Against an independent solve of H_SS d = H_SP w_P.
    int64_t m = kept.size();
    Matrix a(m * m);
    std::vector<double> rhs(m, 0.0);
    for (int64_t i = 0; i < m; ++i) {
      for (int64_t j = 0; j < m; ++j)
        a[i * m + j] = h[kept[i] * k + kept[j]];
      for (int64_t c = 0; c < k; ++c)
        if (mask[r * k + c])
          rhs[i] += h[kept[i] * k + c] * wr[c];
    }
    std::vector<double> d = gaussSolve(a, rhs);
    for (int64_t i = 0; i < m; ++i)
      EXPECT_NEAR(outr[kept[i]], wr[kept[i]] + d[i],
                  1e-10 * (1.0 + std::fabs(d[i])))
          << "kept entry " << kept[i];
    // The output error |X (w' - w)|^2 (damped) beats plain masking.
    std::vector<double> masked(wr, wr + k);
    for (int64_t c = 0; c < k; ++c)
      if (mask[r * k + c])
        masked[c] = 0.0;
    EXPECT_LT(quadratic(h, outr, wr, k), quadratic(h, masked.data(), wr, k));
  }
  // Rows 3 and 4 (one shared factorization) match their own solves above;
  // the all-pruned row is zero.
  for (int64_t c = 0; c < k; ++c)
    EXPECT_EQ(out[8 * k + c], 0.0);
}

TEST(ObsTest, IndefiniteBlockKeepsRow) {
  // H_SS on kept {0, 1} is indefinite: that row keeps its kept weights and
  // loses its pruned one; the row with kept {0, 2} is solved.
  int64_t k = 3, n = 2;
  std::vector<double> h = {1.0, 2.0, 0.5, //
                           2.0, 1.0, 0.2, //
                           0.5, 0.2, 2.0};
  std::vector<double> w = {1.0, 2.0, 3.0, //
                           1.0, 2.0, 3.0};
  auto isPruned = [](int64_t i) { return i == 2 || i == 4; };
  std::vector<double> out = obsCompensate(h, w, n, k, isPruned);
  EXPECT_EQ(out[0], 1.0);
  EXPECT_EQ(out[1], 2.0);
  EXPECT_EQ(out[2], 0.0);
  // Kept {0, 2}: [[1, 0.5], [0.5, 2]] d = [2, 0.2] * 2.
  std::vector<double> d = gaussSolve({1.0, 0.5, 0.5, 2.0}, {4.0, 0.4});
  EXPECT_NEAR(out[3], 1.0 + d[0], 1e-14);
  EXPECT_EQ(out[4], 0.0);
  EXPECT_NEAR(out[5], 3.0 + d[1], 1e-14);
}

/// SparseGPT as the paper states it, column by column with every update
/// applied at once, on an independently computed U = chol(H^-1)^T.
Matrix referenceSparseGpt(const Matrix &h, Matrix w, int64_t n, int64_t k,
                          const SparseGptPattern &p) {
  Matrix hinv(k * k);
  for (int64_t c = 0; c < k; ++c) {
    std::vector<double> e(k, 0.0);
    e[c] = 1.0;
    std::vector<double> col = gaussSolve(h, e);
    for (int64_t r = 0; r < k; ++r)
      hinv[r * k + c] = col[r];
  }
  Matrix l(k * k, 0.0); // hinv = l l^T
  for (int64_t i = 0; i < k; ++i)
    for (int64_t j = 0; j <= i; ++j) {
      double sum = hinv[i * k + j];
      for (int64_t t = 0; t < j; ++t)
        sum -= l[i * k + t] * l[j * k + t];
      l[i * k + j] = i == j ? std::sqrt(sum) : sum / l[j * k + j];
    }
  auto u = [&](int64_t i, int64_t j) { return l[j * k + i]; };
  auto sal = [&](double v, int64_t c) { return v * v / (u(c, c) * u(c, c)); };
  std::vector<char> pruned(n * k, 0);
  for (int64_t c = 0; c < k; ++c) {
    if (p.keep == 0 && c % 128 == 0) {
      int64_t end = std::min<int64_t>(c + 128, k);
      std::vector<double> scores;
      for (int64_t r = 0; r < n; ++r)
        for (int64_t j = c; j < end; ++j)
          scores.push_back(sal(w[r * k + j], j));
      int64_t count = std::llround(p.fraction * double(scores.size()));
      for (int64_t i : selectWeakest(scores, count))
        pruned[(i / (end - c)) * k + c + i % (end - c)] = 1;
    }
    for (int64_t r = 0; r < n; ++r) {
      double *row = &w[r * k];
      if (p.keep > 0 && c % p.group == 0) {
        // Prune the group - keep smallest, ties pruning the higher index.
        for (int64_t drop = 0; drop < p.group - p.keep; ++drop) {
          int64_t worst = -1;
          for (int64_t j = c + p.group - 1; j >= c; --j)
            if (!pruned[r * k + j] &&
                (worst < 0 || sal(row[j], j) < sal(row[worst], worst)))
              worst = j;
          pruned[r * k + worst] = 1;
        }
      }
      if (!pruned[r * k + c])
        continue;
      double q = row[c] / u(c, c);
      for (int64_t j = c; j < k; ++j)
        row[j] -= q * u(c, j);
      row[c] = 0.0;
    }
  }
  return w;
}

/// sum over rows of (w' - w)^T H (w' - w): the layer's output error.
double layerError(const Matrix &h, const Matrix &a, const Matrix &b, int64_t n,
                  int64_t k) {
  double e = 0;
  for (int64_t r = 0; r < n; ++r)
    e += quadratic(h, &a[r * k], &b[r * k], k);
  return e;
}

TEST(ObsTest, SparseGptMatchesColumnByColumn) {
  // K = 300: two full blocks of 128 columns and a partial one.
  int64_t samples = 400, k = 300, n = 6;
  Matrix x = correlatedInputs(samples, k, 17);
  std::vector<double> h = obsHessian(x, samples, k, 0.05);
  Rng rng(5);
  Matrix w(n * k);
  for (double &v : w)
    v = rng.normal();
  for (SparseGptPattern p :
       {SparseGptPattern{2, 4, 0}, SparseGptPattern{0, 0, 0.5}}) {
    Matrix got = w;
    ASSERT_TRUE(sparseGpt(h, got, n, k, p));
    Matrix want = referenceSparseGpt(h, w, n, k, p);
    int64_t zeros = 0;
    for (int64_t i = 0; i < n * k; ++i) {
      EXPECT_NEAR(got[i], want[i], 1e-9) << "element " << i;
      zeros += got[i] == 0.0;
    }
    if (p.keep > 0) {
      // Exactly 2 of every 4 are zero (random weights have no zeros).
      for (int64_t g = 0; g < n * k; g += 4)
        EXPECT_EQ(int((got[g] == 0) + (got[g + 1] == 0) + (got[g + 2] == 0) +
                      (got[g + 3] == 0)),
                  2);
    }
    EXPECT_EQ(zeros, n * k / 2);
  }
}

TEST(ObsTest, SparseGptBeatsMagnitudeMask) {
  // Input channels of unequal scale, as real activations have: a weight's
  // magnitude alone then misjudges what pruning it costs.
  int64_t samples = 200, k = 64, n = 16;
  Matrix x = correlatedInputs(samples, k, 3);
  Rng rng(9);
  for (int64_t c = 0; c < k; ++c) {
    double scale = std::exp(rng.normal());
    for (int64_t s = 0; s < samples; ++s)
      x[s * k + c] *= scale;
  }
  std::vector<double> h = obsHessian(x, samples, k);
  Matrix w(n * k);
  for (double &v : w)
    v = rng.normal();
  // 2:4 by magnitude, then the exact OBS update with that mask fixed.
  std::vector<char> magPruned(n * k, 0);
  for (int64_t g = 0; g < n * k; g += 4) {
    std::vector<double> mag;
    for (int64_t j = 0; j < 4; ++j)
      mag.push_back(std::fabs(w[g + j]));
    for (int64_t i : selectWeakest(mag, 2))
      magPruned[g + i] = 1;
  }
  Matrix mag =
      obsCompensate(h, w, n, k, [&](int64_t i) { return bool(magPruned[i]); });
  Matrix sgpt = w;
  ASSERT_TRUE(sparseGpt(h, sgpt, n, k, SparseGptPattern{2, 4, 0}));
  EXPECT_LT(layerError(h, sgpt, w, n, k), layerError(h, mag, w, n, k));
}

TEST(ObsTest, SparseGptRejectsIndefinite) {
  std::vector<double> h = {1.0, 2.0, 2.0, 1.0};
  Matrix w = {1.0, 2.0};
  EXPECT_FALSE(sparseGpt(h, w, 1, 2, SparseGptPattern{1, 2, 0}));
  EXPECT_EQ(w, (Matrix{1.0, 2.0}));
}

} // namespace

//===- SvdTest.cpp - tests of the dense SVD helper --------------*- C++ -*-===//
//
// Checks the SVD that --effc-low-rank relies on (effc/Transforms/Svd.h):
// reconstruction, ordering and orthonormality on tall, wide, square,
// rank-deficient and degenerate matrices; known spectra; the randomized
// method against the exact one; the energy rank choice.
//
//===----------------------------------------------------------------------===//

#include "effc/Transforms/Svd.h"

#include "gtest/gtest.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

using namespace mlir::effc;

namespace {

/// Deterministic standard normal numbers for test matrices.
class Rng {
public:
  explicit Rng(uint64_t seed) : state(seed) {}
  double normal() {
    double u1 = uniform(), u2 = uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * M_PI * u2);
  }

private:
  double uniform() {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    return (static_cast<double>(state >> 11) + 1.0) * 0x1.0p-53;
  }
  uint64_t state;
};

using Matrix = std::vector<double>;

Matrix randomMatrix(int64_t rows, int64_t cols, uint64_t seed) {
  Rng rng(seed);
  Matrix a(rows * cols);
  for (double &x : a)
    x = rng.normal();
  return a;
}

/// [rows, r] x [r, cols]: a matrix of rank (at most) r.
Matrix lowRankMatrix(int64_t rows, int64_t cols, int64_t r, uint64_t seed) {
  Matrix l = randomMatrix(rows, r, seed), rt = randomMatrix(r, cols, seed + 1);
  Matrix a(rows * cols, 0.0);
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t t = 0; t < r; ++t)
      for (int64_t j = 0; j < cols; ++j)
        a[i * cols + j] += l[i * r + t] * rt[t * cols + j];
  return a;
}

double maxAbs(const Matrix &a) {
  double m = 0;
  for (double x : a)
    m = std::max(m, std::fabs(x));
  return m;
}

/// U_k S_k V_k^T.
Matrix reconstruct(const Svd &svd, int64_t k) {
  int64_t have = svd.size();
  Matrix a(svd.rows * svd.cols, 0.0);
  for (int64_t i = 0; i < svd.rows; ++i)
    for (int64_t t = 0; t < k; ++t) {
      double c = svd.u[i * have + t] * svd.s[t];
      for (int64_t j = 0; j < svd.cols; ++j)
        a[i * svd.cols + j] += c * svd.vt[t * svd.cols + j];
    }
  return a;
}

/// max |Q^T Q - I| over the k columns of `q` [rows, stride].
double orthonormalityError(const Matrix &q, int64_t rows, int64_t stride,
                           int64_t k, bool columns) {
  auto at = [&](int64_t i, int64_t t) {
    return columns ? q[i * stride + t] : q[t * stride + i];
  };
  double err = 0;
  for (int64_t p = 0; p < k; ++p)
    for (int64_t r = p; r < k; ++r) {
      double d = 0;
      for (int64_t i = 0; i < rows; ++i)
        d += at(i, p) * at(i, r);
      err = std::max(err, std::fabs(d - (p == r ? 1.0 : 0.0)));
    }
  return err;
}

/// Checks everything a full thin SVD of `a` promises.
void expectValidSvd(const Matrix &a, int64_t rows, int64_t cols, const Svd &svd,
                    double tol = 1e-10) {
  int64_t k = std::min(rows, cols);
  ASSERT_EQ(svd.rows, rows);
  ASSERT_EQ(svd.cols, cols);
  ASSERT_EQ(svd.size(), k);
  ASSERT_EQ(svd.u.size(), size_t(rows * k));
  ASSERT_EQ(svd.vt.size(), size_t(k * cols));
  for (int64_t i = 0; i < k; ++i) {
    EXPECT_GE(svd.s[i], 0.0) << "s[" << i << "]";
    if (i > 0) {
      EXPECT_LE(svd.s[i], svd.s[i - 1]) << "s[" << i << "]";
    }
  }
  Matrix back = reconstruct(svd, k);
  double scale = std::max(1.0, maxAbs(a)), err = 0;
  for (size_t i = 0; i < a.size(); ++i)
    err = std::max(err, std::fabs(back[i] - a[i]));
  EXPECT_LE(err, tol * scale) << "reconstruction";
  EXPECT_LE(orthonormalityError(svd.u, rows, k, k, /*columns=*/true), tol)
      << "U^T U != I";
  EXPECT_LE(orthonormalityError(svd.vt, cols, cols, k, /*columns=*/false), tol)
      << "V^T V != I";
}

struct Shape {
  int64_t rows, cols;
};

//===----------------------------------------------------------------------===//
// Exact SVD
//===----------------------------------------------------------------------===//

TEST(SvdTest, RandomShapes) {
  uint64_t seed = 1;
  for (Shape s : {Shape{40, 25}, Shape{25, 40}, Shape{32, 32}, Shape{1, 7},
                  Shape{7, 1}, Shape{1, 1}, Shape{3, 2}, Shape{200, 90},
                  Shape{90, 200}, Shape{500, 40}, Shape{40, 500}}) {
    SCOPED_TRACE(testing::Message() << s.rows << "x" << s.cols);
    Matrix a = randomMatrix(s.rows, s.cols, ++seed);
    expectValidSvd(a, s.rows, s.cols, computeSvd(a, s.rows, s.cols));
  }
}

TEST(SvdTest, RankDeficient) {
  uint64_t seed = 100;
  for (Shape s : {Shape{30, 20}, Shape{20, 30}, Shape{24, 24}, Shape{100, 20},
                  Shape{20, 100}}) {
    for (int64_t r : {1, 2, 5}) {
      SCOPED_TRACE(testing::Message()
                   << s.rows << "x" << s.cols << " rank " << r);
      Matrix a = lowRankMatrix(s.rows, s.cols, r, ++seed);
      Svd svd = computeSvd(a, s.rows, s.cols);
      expectValidSvd(a, s.rows, s.cols, svd);
      // Exactly r non-negligible singular values.
      EXPECT_GT(svd.s[r - 1], 1e-3 * svd.s[0]);
      EXPECT_LE(svd.s[r], 1e-12 * svd.s[0]);
    }
  }
}

TEST(SvdTest, DegenerateMatrices) {
  // Zero matrix: all singular values zero, factors still orthonormal.
  Matrix zero(6 * 4, 0.0);
  Svd z = computeSvd(zero, 6, 4);
  expectValidSvd(zero, 6, 4, z);
  for (double s : z.s)
    EXPECT_EQ(s, 0.0);
  // Exact zero columns and rows, and repeated singular values.
  Matrix a = {1, 0, 0, 0, //
              0, 0, 0, 0, //
              0, 0, 1, 0, //
              0, 0, 0, 0, //
              0, 0, 0, 1};
  Svd svd = computeSvd(a, 5, 4);
  expectValidSvd(a, 5, 4, svd);
  EXPECT_NEAR(svd.s[0], 1.0, 1e-15);
  EXPECT_NEAR(svd.s[2], 1.0, 1e-15);
  EXPECT_EQ(svd.s[3], 0.0);
}

TEST(SvdTest, KnownSpectrum) {
  // A = Q1 diag(s) Q2^T with orthonormal Q1, Q2 (taken from the SVD of a
  // random matrix, checked orthonormal above) and a graded spectrum over 12
  // orders of magnitude.
  int64_t m = 30, n = 18;
  Matrix g = randomMatrix(m, n, 7);
  Svd basis = computeSvd(g, m, n);
  std::vector<double> s(n);
  for (int64_t i = 0; i < n; ++i)
    s[i] = std::pow(10.0, -12.0 * double(i) / double(n - 1)) * 5.0;
  Svd built = basis;
  built.s = s;
  Matrix a = reconstruct(built, n);
  Svd svd = computeSvd(a, m, n);
  expectValidSvd(a, m, n, svd);
  for (int64_t i = 0; i < n; ++i)
    EXPECT_NEAR(svd.s[i], s[i], 1e-13 * s[0]) << "s[" << i << "]";
}

TEST(SvdTest, Deterministic) {
  Matrix a = randomMatrix(50, 35, 11);
  Svd x = computeSvd(a, 50, 35), y = computeSvd(a, 50, 35);
  EXPECT_EQ(x.s, y.s);
  EXPECT_EQ(x.u, y.u);
  EXPECT_EQ(x.vt, y.vt);
}

//===----------------------------------------------------------------------===//
// Randomized SVD, truncation, energy
//===----------------------------------------------------------------------===//

/// A low-rank matrix plus noise of relative size `noise`.
Matrix noisyLowRank(int64_t rows, int64_t cols, int64_t r, double noise,
                    uint64_t seed) {
  Matrix a = lowRankMatrix(rows, cols, r, seed);
  Rng rng(seed + 17);
  for (double &x : a)
    x += noise * rng.normal();
  return a;
}

TEST(SvdTest, RandomizedMatchesExact) {
  for (Shape s : {Shape{300, 200}, Shape{200, 300}}) {
    SCOPED_TRACE(testing::Message() << s.rows << "x" << s.cols);
    int64_t k = 12;
    Matrix a = noisyLowRank(s.rows, s.cols, k, 1e-3, 5);
    Svd exact = computeSvd(a, s.rows, s.cols);
    Svd fast = computeRandomizedSvd(a, s.rows, s.cols, k);
    ASSERT_TRUE(fast.randomized);
    ASSERT_EQ(fast.size(), k);
    for (int64_t i = 0; i < k; ++i) {
      EXPECT_GE(fast.s[i], 0.0);
      if (i > 0) {
        EXPECT_LE(fast.s[i], fast.s[i - 1]);
      }
      EXPECT_NEAR(fast.s[i], exact.s[i], 1e-10 * exact.s[0]);
    }
    EXPECT_LE(orthonormalityError(fast.u, s.rows, k, k, true), 1e-12);
    EXPECT_LE(orthonormalityError(fast.vt, s.cols, s.cols, k, false), 1e-12);
    // Within a hair of the optimal rank-k error (the trailing values).
    double optimal = truncationError(a, exact, k);
    double got = truncationError(a, fast, k);
    EXPECT_LE(got, optimal * (1 + 1e-6));
    EXPECT_GE(got, optimal * (1 - 1e-9));
  }
}

TEST(SvdTest, RandomizedExactLowRank) {
  // Fewer true directions than the block: the basis must still come out
  // orthonormal and the reconstruction exact.
  Matrix a = lowRankMatrix(120, 90, 3, 21);
  Svd fast = computeRandomizedSvd(a, 120, 90, 10);
  EXPECT_LE(orthonormalityError(fast.u, 120, 10, 10, true), 1e-12);
  EXPECT_LE(orthonormalityError(fast.vt, 90, 90, 10, false), 1e-12);
  Matrix back = reconstruct(fast, 10);
  double err = 0;
  for (size_t i = 0; i < a.size(); ++i)
    err = std::max(err, std::fabs(back[i] - a[i]));
  EXPECT_LE(err, 1e-10 * maxAbs(a));
  EXPECT_LE(fast.s[3], 1e-12 * fast.s[0]);
}

TEST(SvdTest, TruncationError) {
  Matrix a = randomMatrix(40, 30, 3);
  Svd svd = computeSvd(a, 40, 30);
  for (int64_t k : {0, 1, 10, 30}) {
    Matrix back = reconstruct(svd, k);
    double direct = 0;
    for (size_t i = 0; i < a.size(); ++i)
      direct += (a[i] - back[i]) * (a[i] - back[i]);
    EXPECT_NEAR(truncationError(a, svd, k), std::sqrt(direct), 1e-10)
        << "k = " << k;
  }
}

TEST(SvdTest, LeadingTriplets) {
  Matrix a = randomMatrix(60, 45, 9);
  Svd full = computeSvd(a, 60, 45);
  Svd lead = computeLeadingSvd(a, 60, 45, 7);
  ASSERT_EQ(lead.size(), 7);
  ASSERT_EQ(lead.u.size(), size_t(60 * 7));
  ASSERT_EQ(lead.vt.size(), size_t(7 * 45));
  for (int64_t i = 0; i < 7; ++i)
    EXPECT_NEAR(lead.s[i], full.s[i], 1e-12 * full.s[0]);
}

TEST(SvdTest, EnergyRank) {
  // Singular values 8, 4, 2, 1, 0.5, ...: energy fractions 64/85.3,
  // 80/85.3, 84/85.3, ...
  int64_t m = 24, n = 16;
  Svd basis = computeSvd(randomMatrix(m, n, 13), m, n);
  double total = 0;
  for (int64_t i = 0; i < n; ++i) {
    basis.s[i] = 8.0 * std::pow(0.5, double(i));
    total += basis.s[i] * basis.s[i];
  }
  Matrix a = reconstruct(basis, n);
  auto rankFor = [&](double energy) {
    EnergySvd e = computeEnergySvd(a, m, n, energy, n);
    EXPECT_NEAR(e.totalEnergy, total, 1e-10 * total);
    return e.rank;
  };
  EXPECT_EQ(rankFor(0.5), 1);
  EXPECT_EQ(rankFor(64.0 / total), 1);
  EXPECT_EQ(rankFor(0.76), 2);
  EXPECT_EQ(rankFor(0.95), 3);
  EXPECT_EQ(rankFor(0.99), 4);
  EXPECT_EQ(rankFor(1.0), n);
  // An exactly rank-2 matrix keeps all of its energy at rank 2.
  Matrix low = lowRankMatrix(20, 12, 2, 31);
  EXPECT_EQ(computeEnergySvd(low, 20, 12, 1.0, 12).rank, 2);
}

} // namespace

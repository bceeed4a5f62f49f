//===- HlsTypesTest.cpp - tests of effc's ap_int / ap_fixed -----*- C++ -*-===//
//
// Checks the C-simulation header that emitted HLS C++ compiles against
// (include/effc/hls) against exact integer arithmetic: wrap-around of
// ap_int / ap_uint at every width, exact products and sums, and ap_fixed
// conversions under every quantization and overflow mode the emitter uses,
// exhaustively on small formats.
//
//===----------------------------------------------------------------------===//

#include "effc/hls/ap_fixed.h"
#include "effc/hls/ap_int.h"

#include "gtest/gtest.h"

#include <cmath>
#include <cstdint>

namespace {

/// The exact two's-complement wrap of v to n bits, by arithmetic.
long long wrapSigned(long long v, int n) {
  if (n == 64)
    return v;
  long long m = 1LL << n;
  long long r = ((v % m) + m) % m;
  return r >= (m >> 1) ? r - m : r;
}

/// floor(num / 2^s) and the remainder, by exact integer division.
long long floorDiv(long long num, long long den) {
  long long q = num / den;
  if ((num % den != 0) && ((num < 0) != (den < 0)))
    --q;
  return q;
}

TEST(HlsTypes, ApIntWrapsAtEveryWidth) {
  for (long long v : {0LL, 1LL, -1LL, 127LL, 128LL, -129LL, 255LL, 300LL,
                      -70000LL, 1LL << 40, -(1LL << 40) - 3}) {
    EXPECT_EQ((long long)ap_int<8>(v), wrapSigned(v, 8)) << v;
    EXPECT_EQ((long long)ap_int<4>(v), wrapSigned(v, 4)) << v;
    EXPECT_EQ((long long)ap_int<9>(v), wrapSigned(v, 9)) << v;
    EXPECT_EQ((long long)ap_int<17>(v), wrapSigned(v, 17)) << v;
    EXPECT_EQ((long long)ap_int<32>(v), wrapSigned(v, 32)) << v;
    EXPECT_EQ((long long)ap_int<64>(v), v) << v;
    EXPECT_EQ((unsigned long long)ap_uint<8>(v),
              ((unsigned long long)v & 255))
        << v;
  }
}

TEST(HlsTypes, ApIntArithmeticIsExactInTheWidenedResult) {
  // All int8 x int8 products and a 32x32 product in 64 bits.
  for (int a = -128; a < 128; ++a)
    for (int b = -128; b < 128; b += 7) {
      ap_int<8> x = a, y = b;
      ap_int<16> p = x * y;
      EXPECT_EQ((long long)p, (long long)a * b);
      ap_int<9> s = x + y;
      EXPECT_EQ((long long)s, (long long)a + b);
    }
  ap_int<32> acc = -2147483647 - 1;
  ap_int<32> mult = 2147483647;
  ap_int<64> prod = (long long)acc * mult;
  EXPECT_EQ((long long)prod, -4611686016279904256LL);
  // Compound assignment wraps to the target width.
  ap_int<8> w = 100;
  w += 100;
  EXPECT_EQ((long long)w, -56);
  ap_int<4> n4 = 7;
  ++n4;
  EXPECT_EQ((long long)n4, -8);
  // Arithmetic shift right keeps the sign.
  ap_int<64> neg = -5;
  EXPECT_EQ((long long)(neg >> 1), -3);
}

TEST(HlsTypes, ApIntFromDoubleTruncatesTowardZero) {
  EXPECT_EQ((long long)ap_int<8>(2.9), 2);
  EXPECT_EQ((long long)ap_int<8>(-2.9), -2);
  EXPECT_EQ((long long)ap_int<8>(300.0), wrapSigned(300, 8));
}

/// Exhaustive check of ap_fixed<W, I, Q, O> construction from every value
/// k * 2^-6 in a range (a format with 6 fraction bits, so every mode sees
/// every remainder), against floor/round computed on integers.
template <ap_q_mode Q, ap_o_mode O> void checkConversion() {
  constexpr int W = 6, I = 3; // 3 fraction bits, range [-4, 3.875]
  for (long long k = -700; k <= 700; ++k) {
    double d = std::ldexp(double(k), -6);
    ap_fixed<W, I, Q, O> x = d;
    ap_fixed<12, 6> src = d; // exact
    ap_fixed<W, I, Q, O> y = src;
    // Exact reference: k / 8 in units of 2^-3 with the mode's rounding.
    long long fl = floorDiv(k, 8), rem = k - fl * 8;
    long long q = fl;
    bool neg = k < 0;
    switch (Q) {
    case AP_TRN:
      break;
    case AP_TRN_ZERO:
      q = (neg && rem) ? fl + 1 : fl;
      break;
    case AP_RND:
      q = rem >= 4 ? fl + 1 : fl;
      break;
    case AP_RND_ZERO:
      q = (rem > 4 || (rem == 4 && neg)) ? fl + 1 : fl;
      break;
    case AP_RND_MIN_INF:
      q = rem > 4 ? fl + 1 : fl;
      break;
    case AP_RND_INF:
      q = (rem > 4 || (rem == 4 && !neg)) ? fl + 1 : fl;
      break;
    case AP_RND_CONV:
      q = (rem > 4 || (rem == 4 && (fl & 1))) ? fl + 1 : fl;
      break;
    }
    long long lo = -32, hi = 31;
    if (q < lo || q > hi) {
      if (O == AP_SAT)
        q = q < lo ? lo : hi;
      else if (O == AP_SAT_ZERO)
        q = 0;
      else if (O == AP_SAT_SYM)
        q = q < lo ? -hi : hi;
      else
        q = wrapSigned(q, W);
    }
    EXPECT_EQ(x.raw(), q) << "k=" << k << " Q=" << Q << " O=" << O;
    EXPECT_EQ(y.raw(), q) << "k=" << k << " Q=" << Q << " O=" << O;
    EXPECT_EQ(x.to_double(), std::ldexp(double(q), -3));
  }
}

TEST(HlsTypes, ApFixedQuantizationAndOverflowModes) {
  checkConversion<AP_TRN, AP_WRAP>();
  checkConversion<AP_TRN, AP_SAT>();
  checkConversion<AP_TRN_ZERO, AP_SAT>();
  checkConversion<AP_RND, AP_SAT>();
  checkConversion<AP_RND, AP_WRAP>();
  checkConversion<AP_RND_ZERO, AP_SAT>();
  checkConversion<AP_RND_MIN_INF, AP_SAT>();
  checkConversion<AP_RND_INF, AP_SAT>();
  checkConversion<AP_RND_CONV, AP_SAT>();
  checkConversion<AP_RND_CONV, AP_WRAP>();
  checkConversion<AP_RND_CONV, AP_SAT_ZERO>();
  checkConversion<AP_RND_CONV, AP_SAT_SYM>();
}

TEST(HlsTypes, ApFixedArithmeticIsExact) {
  // Every pair of ap_fixed<8, 3> values on a grid: the full-precision sum,
  // difference and product equal the exact integer results.
  for (int a = -128; a < 128; a += 3)
    for (int b = -128; b < 128; b += 5) {
      auto x = ap_fixed<8, 3>::fromRaw(a);   // a * 2^-5
      auto y = ap_fixed<10, 2>::fromRaw(b); // b * 2^-8
      auto s = x + y;
      auto d = x - y;
      auto p = x * y;
      EXPECT_EQ(s.raw(), (long long)a * 8 + b);
      EXPECT_EQ(d.raw(), (long long)a * 8 - b);
      EXPECT_EQ(p.raw(), (long long)a * b);
      EXPECT_EQ(decltype(p)::fwidth, 13);
      EXPECT_EQ(decltype(s)::fwidth, 8);
      EXPECT_EQ(x < y, a * 8 < b);
      EXPECT_EQ(x >= y, a * 8 >= b);
      // Accumulating into a narrower type rounds once, at the assignment.
      ap_fixed<12, 4, AP_RND_CONV, AP_SAT> acc = x;
      acc += p;
      long long exact = (long long)a * 256 + (long long)a * b; // 2^-13 units
      long long want = floorDiv(exact, 32);
      long long rem = exact - want * 32;
      if (rem > 16 || (rem == 16 && (want & 1)))
        ++want;
      want = want < -2048 ? -2048 : want > 2047 ? 2047 : want;
      EXPECT_EQ(acc.raw(), want) << a << " " << b;
    }
}

TEST(HlsTypes, ApFixedFromDoubleRoundsOnceFromTheExactValue) {
  // 0.1 is not a dyadic rational: the conversion must round the exact
  // double, not a rounded intermediate.
  ap_fixed<16, 4, AP_RND_CONV, AP_SAT> x = 0.1;
  EXPECT_EQ(x.raw(), (long long)std::nearbyint(0.1 * 4096));
  ap_fixed<16, 4, AP_TRN, AP_SAT> t = -0.1;
  EXPECT_EQ(t.raw(), (long long)std::floor(-0.1 * 4096));
  ap_fixed<16, 4, AP_RND_CONV, AP_SAT> big = 1e30, small = -1e30;
  EXPECT_EQ(big.raw(), 32767);
  EXPECT_EQ(small.raw(), -32768);
  ap_fixed<16, 4, AP_RND_CONV, AP_SAT> tiny = 1e-30;
  EXPECT_EQ(tiny.raw(), 0);
  ap_fixed<16, 4> fromInt = ap_int<8>(-3);
  EXPECT_EQ(fromInt.to_double(), -3.0);
  EXPECT_EQ(fromInt.to_int(), -3);
}

} // namespace

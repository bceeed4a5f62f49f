//===- ap_fixed.h - bit-accurate fixed-point numbers -----------*- C++ -*-===//
//
// effc's own C-simulation model of the Vitis HLS `ap_fixed<W, I, Q, O>` and
// `ap_ufixed<W, I, Q, O>` types: W bits in all, I of them integer bits (sign
// included for ap_fixed), F = W - I fraction bits. A value is an integer
// `raw` standing for `raw * 2^-F`.
//
// Quantization modes (what happens to bits below 2^-F): AP_TRN (floor, the
// default), AP_TRN_ZERO (toward zero), AP_RND (round half up, toward +inf),
// AP_RND_ZERO (half toward zero), AP_RND_MIN_INF (half toward -inf),
// AP_RND_INF (half away from zero), AP_RND_CONV (half to even).
// Overflow modes: AP_WRAP (keep the low W bits, the default), AP_SAT
// (clamp), AP_SAT_ZERO (zero on overflow), AP_SAT_SYM (clamp to
// +-(2^(W-1) - 1) ulps). AP_WRAP_SM is not modelled.
//
// As in Vitis, `a + b`, `a - b` and `a * b` of two fixed-point values are
// exact (their result type is wide enough), and quantization and overflow
// happen when a value is assigned to (constructed as) a narrower type.
// Scope: W <= 64 for every type, including the full-precision results of
// + - * (e.g. a product of two 32-bit values at most).
//
//===----------------------------------------------------------------------===//

#ifndef EFFC_HLS_AP_FIXED_H
#define EFFC_HLS_AP_FIXED_H

#include "ap_int.h"

#include <cmath>

enum ap_q_mode {
  AP_RND,
  AP_RND_ZERO,
  AP_RND_MIN_INF,
  AP_RND_INF,
  AP_RND_CONV,
  AP_TRN,
  AP_TRN_ZERO
};
enum ap_o_mode { AP_SAT, AP_SAT_ZERO, AP_SAT_SYM, AP_WRAP, AP_WRAP_SM };

namespace effc_hls {

__extension__ typedef __int128 int128;

/// floor(r / 2^s) for s >= 0, with the rounding of the dropped bits chosen
/// by `q`.
inline int128 quantizeShift(int128 r, int s, ap_q_mode q) {
  if (s <= 0)
    return r;
  if (s > 120) // |r| < 2^64: the value is far below half an ulp
    return (q == AP_TRN && r < 0) ? -1 : 0;
  int128 one = 1;
  int128 fl = r >> s; // floor
  int128 rem = r - fl * (one << s);
  if (rem == 0)
    return fl;
  int128 half = one << (s - 1);
  bool neg = r < 0;
  switch (q) {
  case AP_TRN:
    return fl;
  case AP_TRN_ZERO:
    return neg ? fl + 1 : fl;
  case AP_RND:
    return rem >= half ? fl + 1 : fl;
  case AP_RND_ZERO:
    return (rem > half || (rem == half && neg)) ? fl + 1 : fl;
  case AP_RND_MIN_INF:
    return rem > half ? fl + 1 : fl;
  case AP_RND_INF:
    return (rem > half || (rem == half && !neg)) ? fl + 1 : fl;
  case AP_RND_CONV:
    return (rem > half || (rem == half && (fl & 1))) ? fl + 1 : fl;
  }
  return fl;
}

/// Fits `r` into W bits (signed or not) by the overflow mode `o`.
inline long long overflow(int128 r, int w, bool isSigned, ap_o_mode o) {
  int128 one = 1;
  int128 lo = isSigned ? -(one << (w - 1)) : 0;
  int128 hi = isSigned ? (one << (w - 1)) - 1 : (one << w) - 1;
  if (r >= lo && r <= hi)
    return static_cast<long long>(r);
  switch (o) {
  case AP_SAT:
    return static_cast<long long>(r < lo ? lo : hi);
  case AP_SAT_SYM:
    if (isSigned)
      return static_cast<long long>(r < lo ? -hi : hi);
    return static_cast<long long>(r < lo ? lo : hi);
  case AP_SAT_ZERO:
    return 0;
  default: {
    unsigned long long bits = static_cast<unsigned long long>(r);
    return isSigned ? signExtend(bits, w)
                    : static_cast<long long>(zeroExtend(bits, w));
  }
  }
}

/// `raw * 2^-srcF` converted to a value with F fraction bits and W bits.
inline long long convert(int128 raw, int srcF, int w, int f, bool isSigned,
                         ap_q_mode q, ap_o_mode o) {
  int shift = srcF - f;
  int128 r;
  if (shift >= 0) {
    r = quantizeShift(raw, shift, q);
  } else {
    // Left shift: exact while it fits in 127 bits; beyond, every kept bit
    // is zero and the value overflows any W <= 64.
    if (raw == 0)
      return 0;
    if (-shift > 62)
      r = raw < 0 ? -(int128(1) << 100) : (int128(1) << 100);
    else
      r = raw * (int128(1) << -shift);
    if (-shift > 62 && (o == AP_WRAP || o == AP_WRAP_SM))
      return 0; // the low W bits of raw * 2^(>=63) are zero
  }
  return overflow(r, w, isSigned, o);
}

/// A double as `mant * 2^-f` with |mant| < 2^53 (exact), for conversion.
inline void decompose(double d, long long &mant, int &f) {
  int e = 0;
  double fr = std::frexp(d, &e); // d = fr * 2^e, 0.5 <= |fr| < 1
  mant = static_cast<long long>(std::ldexp(fr, 53));
  f = 53 - e;
}

} // namespace effc_hls

template <int W, int I, ap_q_mode Q, ap_o_mode O, bool S> class ap_fixed_base;

template <int W, int I, ap_q_mode Q = AP_TRN, ap_o_mode O = AP_WRAP,
          int N = 0>
using ap_fixed = ap_fixed_base<W, I, Q, O, true>;
template <int W, int I, ap_q_mode Q = AP_TRN, ap_o_mode O = AP_WRAP,
          int N = 0>
using ap_ufixed = ap_fixed_base<W, I, Q, O, false>;

/// The fixed-point type (signed when S); `ap_fixed` and `ap_ufixed` name it.
template <int W, int I, ap_q_mode Q, ap_o_mode O, bool S> class ap_fixed_base {
  static_assert(W >= 1 && W <= 64, "effc's ap_fixed supports widths 1..64");
  static_assert(O != AP_WRAP_SM, "AP_WRAP_SM is not modelled by effc");
  long long raw_;

  template <int, int, ap_q_mode, ap_o_mode, bool> friend class ap_fixed_base;

public:
  static constexpr int width = W;
  static constexpr int iwidth = I;
  static constexpr int fwidth = W - I;

  ap_fixed_base() : raw_(0) {}
  template <int W2, int I2, ap_q_mode Q2, ap_o_mode O2, bool S2>
  ap_fixed_base(const ap_fixed_base<W2, I2, Q2, O2, S2> &o)
      : raw_(effc_hls::convert(o.raw_, W2 - I2, W, W - I, S, Q, O)) {}
  template <int M>
  ap_fixed_base(const ap_int<M> &v)
      : raw_(effc_hls::convert(v.to_int64(), 0, W, W - I, S, Q, O)) {}
  template <int M>
  ap_fixed_base(const ap_uint<M> &v)
      : raw_(effc_hls::convert(effc_hls::int128(v.to_uint64()), 0, W, W - I,
                               S, Q, O)) {}
  template <typename T,
            typename std::enable_if<std::is_integral<T>::value, int>::type = 0>
  ap_fixed_base(T v)
      : raw_(effc_hls::convert(effc_hls::int128(v), 0, W, W - I, S, Q, O)) {}
  ap_fixed_base(double d) : raw_(fromDouble(d)) {}
  ap_fixed_base(float d) : raw_(fromDouble(d)) {}

  /// The value with raw bits `r` (as Vitis' `V = r` on the bit vector).
  static ap_fixed_base fromRaw(long long r) {
    ap_fixed_base x;
    x.raw_ = effc_hls::overflow(r, W, S, AP_WRAP);
    return x;
  }
  long long raw() const { return raw_; }

  double to_double() const { return std::ldexp(double(raw_), I - W); }
  float to_float() const { return float(to_double()); }
  /// The integer part, truncated toward zero.
  int to_int() const {
    return int(effc_hls::convert(raw_, W - I, 64, 0, true, AP_TRN_ZERO,
                                 AP_WRAP));
  }

  ap_fixed_base operator-() const {
    return ap_fixed_base(ap_fixed_base<W + 1, I + 1, AP_TRN, AP_WRAP, true>::
                             fromRaw(-raw_));
  }

  template <int W2, int I2, ap_q_mode Q2, ap_o_mode O2, bool S2>
  ap_fixed_base &operator+=(const ap_fixed_base<W2, I2, Q2, O2, S2> &o) {
    return *this = ap_fixed_base(*this + o);
  }
  template <int W2, int I2, ap_q_mode Q2, ap_o_mode O2, bool S2>
  ap_fixed_base &operator-=(const ap_fixed_base<W2, I2, Q2, O2, S2> &o) {
    return *this = ap_fixed_base(*this - o);
  }
  template <int W2, int I2, ap_q_mode Q2, ap_o_mode O2, bool S2>
  ap_fixed_base &operator*=(const ap_fixed_base<W2, I2, Q2, O2, S2> &o) {
    return *this = ap_fixed_base(*this * o);
  }

private:
  static long long fromDouble(double d) {
    if (d != d)
      return 0;
    if (std::isinf(d))
      return effc_hls::overflow(d > 0 ? (effc_hls::int128(1) << 100)
                                      : -(effc_hls::int128(1) << 100),
                                W, S, O == AP_WRAP ? AP_SAT_ZERO : O);
    if (d == 0)
      return 0;
    long long mant;
    int f;
    effc_hls::decompose(d, mant, f);
    return effc_hls::convert(mant, f, W, W - I, S, Q, O);
  }
};

namespace effc_hls {
constexpr int maxInt(int a, int b) { return a > b ? a : b; }

/// Both operands' raw values aligned to F fraction bits.
template <int F, int W, int I, ap_q_mode Q, ap_o_mode O, bool S>
int128 aligned(const ap_fixed_base<W, I, Q, O, S> &v) {
  return int128(v.raw()) * (int128(1) << (F - (W - I)));
}
} // namespace effc_hls

// Exact sum / difference: F = max(F1, F2) fraction bits, one more integer
// bit than the wider integer part (an unsigned operand next to a signed one
// adds a sign bit).
#define EFFC_AP_FIXED_ADDSUB(OP)                                               \
  template <int W1, int I1, ap_q_mode Q1, ap_o_mode O1, bool S1, int W2,      \
            int I2, ap_q_mode Q2, ap_o_mode O2, bool S2>                       \
  auto operator OP(const ap_fixed_base<W1, I1, Q1, O1, S1> &a,                 \
                   const ap_fixed_base<W2, I2, Q2, O2, S2> &b) {               \
    constexpr int F = effc_hls::maxInt(W1 - I1, W2 - I2);                      \
    constexpr int IR = effc_hls::maxInt(I1 + (S2 && !S1), I2 + (S1 && !S2)) +  \
                       1;                                                      \
    using R = ap_fixed_base<IR + F, IR, AP_TRN, AP_WRAP, (S1 || S2)>;          \
    effc_hls::int128 r = effc_hls::aligned<F>(a) OP effc_hls::aligned<F>(b);   \
    return R::fromRaw(static_cast<long long>(r));                              \
  }
EFFC_AP_FIXED_ADDSUB(+)
EFFC_AP_FIXED_ADDSUB(-)
#undef EFFC_AP_FIXED_ADDSUB

/// Exact product: W1 + W2 bits, I1 + I2 integer bits.
template <int W1, int I1, ap_q_mode Q1, ap_o_mode O1, bool S1, int W2, int I2,
          ap_q_mode Q2, ap_o_mode O2, bool S2>
auto operator*(const ap_fixed_base<W1, I1, Q1, O1, S1> &a,
               const ap_fixed_base<W2, I2, Q2, O2, S2> &b) {
  using R = ap_fixed_base<W1 + W2, I1 + I2, AP_TRN, AP_WRAP, (S1 || S2)>;
  effc_hls::int128 r = effc_hls::int128(a.raw()) * b.raw();
  return R::fromRaw(static_cast<long long>(r));
}

#define EFFC_AP_FIXED_CMP(OP)                                                  \
  template <int W1, int I1, ap_q_mode Q1, ap_o_mode O1, bool S1, int W2,      \
            int I2, ap_q_mode Q2, ap_o_mode O2, bool S2>                       \
  bool operator OP(const ap_fixed_base<W1, I1, Q1, O1, S1> &a,                 \
                   const ap_fixed_base<W2, I2, Q2, O2, S2> &b) {               \
    constexpr int F = effc_hls::maxInt(W1 - I1, W2 - I2);                      \
    return effc_hls::aligned<F>(a) OP effc_hls::aligned<F>(b);                 \
  }
EFFC_AP_FIXED_CMP(<)
EFFC_AP_FIXED_CMP(>)
EFFC_AP_FIXED_CMP(<=)
EFFC_AP_FIXED_CMP(>=)
EFFC_AP_FIXED_CMP(==)
EFFC_AP_FIXED_CMP(!=)
#undef EFFC_AP_FIXED_CMP

#endif // EFFC_HLS_AP_FIXED_H

//===- ap_int.h - bit-accurate arbitrary-width integers --------*- C++ -*-===//
//
// effc's own C-simulation model of the Vitis HLS `ap_int<N>` / `ap_uint<N>`
// types, so that the C++ that `effc-translate --emit-hls-cpp` writes compiles
// and runs with any C++17 compiler (`g++ -std=c++17 -I include/effc/hls`).
// In Vitis HLS the vendor's header takes its place unchanged.
//
// Scope: widths 1..64. A value is kept sign- (ap_int) or zero- (ap_uint)
// extended in a 64-bit word; every assignment wraps to N bits, as in Vitis.
// Arithmetic converts implicitly to `long long` / `unsigned long long` and
// is therefore exact whenever the exact result fits in 64 bits, which is
// what Vitis computes too (it widens the result type). effc's emitter only
// forms such expressions: products of operands of at most 32 bits and sums
// of at most 63-bit values.
//
//===----------------------------------------------------------------------===//

#ifndef EFFC_HLS_AP_INT_H
#define EFFC_HLS_AP_INT_H

#include <cstdint>
#include <type_traits>

namespace effc_hls {

/// The low `n` bits of `v`, sign-extended (1 <= n <= 64).
inline long long signExtend(unsigned long long v, int n) {
  if (n >= 64)
    return static_cast<long long>(v);
  unsigned long long mask = (1ULL << n) - 1, sign = 1ULL << (n - 1);
  v &= mask;
  // Two's complement without signed overflow: subtract 2^n when negative.
  return (v & sign) ? -static_cast<long long>(mask - v) - 1
                    : static_cast<long long>(v);
}

/// The low `n` bits of `v` (1 <= n <= 64).
inline unsigned long long zeroExtend(unsigned long long v, int n) {
  return n >= 64 ? v : v & ((1ULL << n) - 1);
}

/// Double to integer as C (truncation toward zero), kept defined for
/// values outside the 64-bit range: they wrap modulo 2^64 like Vitis' own
/// conversion of the integer part.
inline unsigned long long doubleToBits(double d) {
  if (!(d == d))
    return 0;
  if (d >= 0 ? d < 9223372036854775808.0 : d >= -9223372036854775808.0)
    return static_cast<unsigned long long>(static_cast<long long>(d));
  return 0; // beyond 64 bits: the low bits of such a value are all zero
}

} // namespace effc_hls

template <int N> class ap_uint;

/// A signed N-bit two's-complement integer (1 <= N <= 64).
template <int N> class ap_int {
  static_assert(N >= 1 && N <= 64, "effc's ap_int supports widths 1..64");
  long long v_;

public:
  ap_int() : v_(0) {}
  template <typename T,
            typename std::enable_if<std::is_integral<T>::value, int>::type = 0>
  ap_int(T v)
      : v_(effc_hls::signExtend(static_cast<unsigned long long>(v), N)) {}
  template <typename T, typename std::enable_if<
                            std::is_floating_point<T>::value, int>::type = 0>
  ap_int(T v) : v_(effc_hls::signExtend(effc_hls::doubleToBits(v), N)) {}
  template <int M>
  ap_int(const ap_int<M> &o)
      : v_(effc_hls::signExtend(static_cast<unsigned long long>(o.to_int64()),
                                N)) {}
  template <int M>
  ap_int(const ap_uint<M> &o) : v_(effc_hls::signExtend(o.to_uint64(), N)) {}

  operator long long() const { return v_; }

  long long to_int64() const { return v_; }
  unsigned long long to_uint64() const {
    return static_cast<unsigned long long>(v_);
  }
  int to_int() const { return static_cast<int>(v_); }
  double to_double() const { return static_cast<double>(v_); }
  static constexpr int width = N;

  /// Bit `i` (0 = least significant).
  bool operator[](int i) const { return (to_uint64() >> i) & 1; }

#define EFFC_AP_INT_COMPOUND(OP)                                               \
  template <typename T> ap_int &operator OP##=(const T &o) {                   \
    *this = ap_int(*this OP o);                                                \
    return *this;                                                              \
  }
  EFFC_AP_INT_COMPOUND(+)
  EFFC_AP_INT_COMPOUND(-)
  EFFC_AP_INT_COMPOUND(*)
  EFFC_AP_INT_COMPOUND(/)
  EFFC_AP_INT_COMPOUND(%)
  EFFC_AP_INT_COMPOUND(&)
  EFFC_AP_INT_COMPOUND(|)
  EFFC_AP_INT_COMPOUND(^)
  EFFC_AP_INT_COMPOUND(<<)
  EFFC_AP_INT_COMPOUND(>>)
#undef EFFC_AP_INT_COMPOUND
  ap_int &operator++() { return *this += 1; }
  ap_int &operator--() { return *this -= 1; }
  ap_int operator++(int) {
    ap_int old = *this;
    *this += 1;
    return old;
  }
  ap_int operator--(int) {
    ap_int old = *this;
    *this -= 1;
    return old;
  }
};

/// An unsigned N-bit integer (1 <= N <= 64).
template <int N> class ap_uint {
  static_assert(N >= 1 && N <= 64, "effc's ap_uint supports widths 1..64");
  unsigned long long v_;

public:
  ap_uint() : v_(0) {}
  template <typename T,
            typename std::enable_if<std::is_integral<T>::value, int>::type = 0>
  ap_uint(T v)
      : v_(effc_hls::zeroExtend(static_cast<unsigned long long>(v), N)) {}
  template <typename T, typename std::enable_if<
                            std::is_floating_point<T>::value, int>::type = 0>
  ap_uint(T v) : v_(effc_hls::zeroExtend(effc_hls::doubleToBits(v), N)) {}
  template <int M>
  ap_uint(const ap_uint<M> &o) : v_(effc_hls::zeroExtend(o.to_uint64(), N)) {}
  template <int M>
  ap_uint(const ap_int<M> &o) : v_(effc_hls::zeroExtend(o.to_uint64(), N)) {}

  operator unsigned long long() const { return v_; }

  unsigned long long to_uint64() const { return v_; }
  long long to_int64() const { return static_cast<long long>(v_); }
  unsigned to_uint() const { return static_cast<unsigned>(v_); }
  double to_double() const { return static_cast<double>(v_); }
  static constexpr int width = N;

  bool operator[](int i) const { return (v_ >> i) & 1; }

#define EFFC_AP_UINT_COMPOUND(OP)                                              \
  template <typename T> ap_uint &operator OP##=(const T &o) {                  \
    *this = ap_uint(*this OP o);                                               \
    return *this;                                                              \
  }
  EFFC_AP_UINT_COMPOUND(+)
  EFFC_AP_UINT_COMPOUND(-)
  EFFC_AP_UINT_COMPOUND(*)
  EFFC_AP_UINT_COMPOUND(/)
  EFFC_AP_UINT_COMPOUND(%)
  EFFC_AP_UINT_COMPOUND(&)
  EFFC_AP_UINT_COMPOUND(|)
  EFFC_AP_UINT_COMPOUND(^)
  EFFC_AP_UINT_COMPOUND(<<)
  EFFC_AP_UINT_COMPOUND(>>)
#undef EFFC_AP_UINT_COMPOUND
  ap_uint &operator++() { return *this += 1; }
  ap_uint &operator--() { return *this -= 1; }
};

#endif // EFFC_HLS_AP_INT_H

//===- QuantKernelsTest.cpp - quantized CPU kernels vs scalar C++ -*- C++
//-*-===//
//
// Compiles effc.quantized_linear / quantized_conv2d models with the CPU
// pipeline (the VNNI kernel, its plain-i32 fallback, the AVX2 fallback and
// the weight-only int8/int4 kernels), runs them in the JIT and checks the
// results against scalar C++ written here from the op definitions:
// integer and requantized results bit for bit, float results of the int8
// GEMM bit for bit (one f32 multiply per element), weight-only results
// within a relative tolerance (the kernel sums per group before scaling).
// effc.block_scaled_linear (i8 and f8E4M3FN) is checked bit for bit
// against scalar loops in the op's per-block order.
// The f8E4M3FN conversions (--effc-expand-fp8) are checked against APFloat
// on all 256 fp8 values and on ~100k f32 values.
//
//===----------------------------------------------------------------------===//

#include "effc/InitAll.h"
#include "effc/Runtime/JitRunner.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"

#include "llvm/ADT/APFloat.h"

#include "gtest/gtest.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <vector>

using namespace mlir;

namespace {

//===----------------------------------------------------------------------===//
// JIT harness
//===----------------------------------------------------------------------===//

/// Compiles each function of one module with effc's CPU pipeline in its own
/// JitRunner and calls the 1-input, 1-result ones on raw vectors.
class CompiledModule {
public:
  CompiledModule() {
    DialectRegistry registry;
    effc::registerAllDialects(registry);
    context = std::make_unique<MLIRContext>(registry);
    context->loadAllAvailableDialects();
  }

  /// Empty on success, else what failed.
  std::string compile(const std::string &source,
                      const std::string &features = "",
                      bool reference = false) {
    OwningOpRef<ModuleOp> module =
        parseSourceString<ModuleOp>(source, ParserConfig(context.get()));
    if (!module)
      return "parse failed:\n" + source;
    effc::JitOptions options;
    options.targetFeatures = features;
    options.plainCpuLowering = reference;
    for (auto func : module->getOps<func::FuncOp>()) {
      // The runner lowers its module in place: one copy per entry.
      OwningOpRef<ModuleOp> copy = module->clone();
      auto runner = effc::JitRunner::create(*copy, func.getSymName(), options);
      if (!runner)
        return llvm::toString(runner.takeError());
      runners[func.getSymName().str()] = std::move(*runner);
    }
    return "";
  }

  /// Calls `name(in) -> out` on a row-major `in` of shape `inShape`.
  template <typename Out, typename In, int R>
  std::vector<Out> call(const std::string &name, const std::vector<In> &in,
                        std::array<int64_t, R> inShape) {
    auto it = runners.find(name);
    if (it == runners.end()) {
      ADD_FAILURE() << "no function @" << name;
      return {};
    }
    effc::JitRunner &runner = *it->second;
    effc::NpyArray arg(runner.getSignature().inputs.front().dtype,
                       ArrayRef<int64_t>(inShape));
    if (arg.getNumBytes() != in.size() * sizeof(In)) {
      ADD_FAILURE() << "@" << name << " takes " << arg.getNumBytes()
                    << " bytes, got " << in.size() * sizeof(In);
      return {};
    }
    std::memcpy(arg.data.data(), in.data(), arg.getNumBytes());
    llvm::Expected<effc::JitResult> result = runner.run({arg});
    if (!result) {
      ADD_FAILURE() << llvm::toString(result.takeError());
      return {};
    }
    const effc::NpyArray &res = result->outputs.front();
    if (res.getElementSize() != sizeof(Out)) {
      ADD_FAILURE() << "@" << name << " returns " << res.getTypeString();
      return {};
    }
    std::vector<Out> out(res.getNumElements());
    std::memcpy(out.data(), res.data.data(), res.getNumBytes());
    return out;
  }

private:
  std::unique_ptr<MLIRContext> context;
  std::map<std::string, std::unique_ptr<effc::JitRunner>> runners;
};

std::string exact(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  std::string s = buf;
  if (s.find_first_of(".eEn") == std::string::npos)
    s += ".0";
  return s;
}

template <typename T> std::string list(const std::vector<T> &v) {
  std::ostringstream os;
  for (size_t i = 0; i < v.size(); ++i)
    os << (i ? ", " : "") << +v[i];
  return os.str();
}

std::string flist(const std::vector<float> &v) {
  std::string s;
  for (size_t i = 0; i < v.size(); ++i)
    s += (i ? ", " : "") + exact(v[i]);
  return s;
}

template <typename T>
std::string dense2d(const std::vector<T> &v, int64_t rows, int64_t cols) {
  std::ostringstream os;
  os << "dense<[";
  for (int64_t r = 0; r < rows; ++r) {
    os << (r ? ", [" : "[");
    for (int64_t c = 0; c < cols; ++c)
      os << (c ? ", " : "") << +v[r * cols + c];
    os << "]";
  }
  os << "]>";
  return os.str();
}

/// Packs int4 values two to a byte, low nibble first (effc.unpack_int4).
std::vector<int8_t> packInt4(const std::vector<int8_t> &w) {
  std::vector<int8_t> out(w.size() / 2);
  for (size_t i = 0; i < out.size(); ++i)
    out[i] = (int8_t)((w[2 * i] & 0xF) | ((w[2 * i + 1] & 0xF) << 4));
  return out;
}

/// The weight constant and its quant.scast: i8 directly, i4 as packed
/// bytes through effc.unpack_int4. Returns the SSA name of the weight.
std::string weightIR(std::ostringstream &os, const std::vector<int8_t> &w,
                     int64_t n, int64_t k, int bits, const std::string &qtype) {
  if (bits == 8) {
    os << "  %wc = arith.constant " << dense2d(w, n, k) << " : tensor<" << n
       << "x" << k << "xi8>\n";
    os << "  %w = quant.scast %wc : tensor<" << n << "x" << k
       << "xi8> to tensor<" << n << "x" << k << "x" << qtype << ">\n";
  } else {
    std::vector<int8_t> packed = packInt4(w);
    os << "  %wp = arith.constant " << dense2d(packed, n, k / 2) << " : tensor<"
       << n << "x" << k / 2 << "xi8>\n";
    os << "  %wc = effc.unpack_int4 %wp : tensor<" << n << "x" << k / 2
       << "xi8> -> tensor<" << n << "x" << k << "xi4>\n";
    os << "  %w = quant.scast %wc : tensor<" << n << "x" << k
       << "xi4> to tensor<" << n << "x" << k << "x" << qtype << ">\n";
  }
  return "%w";
}

//===----------------------------------------------------------------------===//
// int8 activations
//===----------------------------------------------------------------------===//

enum class OutKind { I32, F32, Q8 };

struct Int8Case {
  int64_t m, n, k;
  bool perChannel;
  OutKind out;
  std::string act; // none, relu, clamp
  bool bias = true;
  int bits = 8;
  int zx = -3;
};

std::string describe(const Int8Case &c) {
  std::ostringstream os;
  os << c.m << "x" << c.n << "x" << c.k
     << (c.perChannel ? " per-channel" : " per-tensor") << " out="
     << (c.out == OutKind::I32   ? "i32"
         : c.out == OutKind::F32 ? "f32"
                                 : "i8")
     << " act=" << c.act << " bias=" << c.bias << " w=i" << c.bits
     << " zx=" << c.zx;
  return os.str();
}

/// Runs one case with the given target features (empty: host) and checks
/// it against the scalar reference.
void runInt8Case(const Int8Case &c, const std::string &features,
                 std::mt19937 &rng) {
  SCOPED_TRACE(describe(c) + " features=" + features);
  int64_t m = c.m, n = c.n, k = c.k;
  int wmax = c.bits == 8 ? 127 : 7;
  std::uniform_int_distribution<int> xd(-128, 127), wd(-wmax, wmax),
      bd(-5000, 5000);
  std::uniform_real_distribution<float> sd(0.001f, 0.02f);
  std::vector<int8_t> x(m * k), w(n * k);
  for (auto &v : x)
    v = (int8_t)xd(rng);
  for (auto &v : w)
    v = (int8_t)wd(rng);
  std::vector<int32_t> bias(n, 0);
  if (c.bias)
    for (auto &v : bias)
      v = bd(rng);
  std::vector<float> ws(c.perChannel ? n : 1);
  for (auto &v : ws)
    v = sd(rng);
  float sx = 0.05f, sy = 0.4f;
  int zy = 5;
  float lo = -3.0f, hi = 20.0f;
  std::vector<int32_t> mult(c.perChannel ? n : 1), shift(mult.size());
  std::uniform_int_distribution<int32_t> md(1 << 29, INT32_MAX);
  std::uniform_int_distribution<int32_t> shd(-2, 9);
  for (size_t i = 0; i < mult.size(); ++i) {
    mult[i] = md(rng);
    shift[i] = shd(rng);
  }

  std::string wq = c.perChannel
                       ? "!quant.uniform<i" + std::to_string(c.bits) + "<-" +
                             std::to_string(wmax) + ":" + std::to_string(wmax) +
                             ">:f32:0, {" + flist(ws) + "}>"
                       : "!quant.uniform<i" + std::to_string(c.bits) + "<-" +
                             std::to_string(wmax) + ":" + std::to_string(wmax) +
                             ">:f32, " + exact(ws[0]) + ">";
  std::string xq =
      "!quant.uniform<i8:f32, " + exact(sx) + ":" + std::to_string(c.zx) + ">";
  std::string yq =
      "!quant.uniform<i8:f32, " + exact(sy) + ":" + std::to_string(zy) + ">";
  std::string outStorage = c.out == OutKind::I32   ? "i32"
                           : c.out == OutKind::F32 ? "f32"
                                                   : "i8";
  std::string outElt = c.out == OutKind::Q8 ? yq : outStorage;
  auto T = [](int64_t a, int64_t b, const std::string &e) {
    return "tensor<" + std::to_string(a) + "x" + std::to_string(b) + "x" + e +
           ">";
  };
  std::ostringstream os;
  os << "func.func @f(%x: " << T(m, k, "i8") << ") -> " << T(m, n, outStorage)
     << " {\n";
  os << "  %xq = quant.scast %x : " << T(m, k, "i8") << " to " << T(m, k, xq)
     << "\n";
  weightIR(os, w, n, k, c.bits, wq);
  if (c.bias)
    os << "  %b = arith.constant dense<[" << list(bias) << "]> : tensor<" << n
       << "xi32>\n";
  os << "  %y = effc.quantized_linear %xq, %w" << (c.bias ? " bias %b" : "")
     << " {activation = #effc.activation<" << c.act << ">";
  if (c.act == "clamp")
    os << ", clamp_min = " << exact(lo) << " : f32, clamp_max = " << exact(hi)
       << " : f32";
  if (c.out == OutKind::Q8)
    os << ", multiplier = array<i32: " << list(mult)
       << ">, shift = array<i32: " << list(shift) << ">";
  os << "} : " << T(m, k, xq) << ", " << T(n, k, wq)
     << (c.bias ? ", tensor<" + std::to_string(n) + "xi32>" : "") << " -> "
     << T(m, n, outElt) << "\n";
  if (c.out == OutKind::Q8)
    os << "  %r = quant.scast %y : " << T(m, n, yq) << " to " << T(m, n, "i8")
       << "\n  return %r : " << T(m, n, "i8") << "\n}\n";
  else
    os << "  return %y : " << T(m, n, outStorage) << "\n}\n";

  CompiledModule jit;
  std::string err = jit.compile(os.str(), features);
  ASSERT_EQ(err, "");

  // Scalar reference.
  std::vector<int64_t> acc(m * n);
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      int64_t s = 0;
      for (int64_t t = 0; t < k; ++t)
        s += (int64_t)(x[i * k + t] - c.zx) * w[j * k + t];
      acc[i * n + j] = (int32_t)(s + bias[j]);
    }
  auto wsOf = [&](int64_t j) { return ws[c.perChannel ? j : 0]; };
  int64_t mismatches = 0;
  if (c.out == OutKind::I32) {
    auto got = jit.call<int32_t, int8_t, 2>("f", x, {m, k});
    ASSERT_EQ((int64_t)got.size(), m * n);
    for (int64_t e = 0; e < m * n; ++e) {
      int32_t want = (int32_t)acc[e];
      if (c.act == "relu")
        want = std::max(want, 0);
      if (got[e] != want && mismatches++ < 5)
        ADD_FAILURE() << "at " << e << ": " << got[e] << " != " << want;
    }
  } else if (c.out == OutKind::F32) {
    auto got = jit.call<float, int8_t, 2>("f", x, {m, k});
    ASSERT_EQ((int64_t)got.size(), m * n);
    for (int64_t e = 0; e < m * n; ++e) {
      float s = wsOf(e % n) * sx;
      float want = (float)acc[e] * s;
      if (c.act == "relu")
        want = std::max(want, 0.0f);
      if (c.act == "clamp")
        want = std::min(std::max(want, lo), hi);
      if (std::memcmp(&got[e], &want, 4) && mismatches++ < 5)
        ADD_FAILURE() << "at " << e << ": " << got[e] << " != " << want;
    }
  } else {
    auto got = jit.call<int8_t, int8_t, 2>("f", x, {m, k});
    ASSERT_EQ((int64_t)got.size(), m * n);
    int64_t qlo = -128, qhi = 127;
    if (c.act == "relu")
      qlo = std::max<int64_t>(qlo, zy);
    if (c.act == "clamp") {
      qlo =
          std::max<int64_t>(qlo, zy + (int64_t)std::nearbyint(lo / (double)sy));
      qhi =
          std::min<int64_t>(qhi, zy + (int64_t)std::nearbyint(hi / (double)sy));
    }
    for (int64_t e = 0; e < m * n; ++e) {
      int64_t j = e % n;
      int64_t mu = mult[c.perChannel ? j : 0];
      int64_t total = 31 + shift[c.perChannel ? j : 0];
      int64_t r = (acc[e] * mu + ((int64_t)1 << (total - 1))) >> total;
      int64_t want = std::min(std::max(r + zy, qlo), qhi);
      if (got[e] != want && mismatches++ < 5)
        ADD_FAILURE() << "at " << e << ": " << +got[e] << " != " << want;
    }
  }
  EXPECT_EQ(mismatches, 0);
}

std::vector<Int8Case> int8Cases() {
  std::vector<Int8Case> cases;
  // Shapes with M = 1, N and K off the tile sizes, K odd and K < 4.
  const int64_t shapes[][3] = {{1, 1, 1},      {1, 33, 7},   {5, 17, 3},
                               {8, 32, 64},    {9, 50, 129}, {17, 65, 255},
                               {3, 100, 1000}, {70, 40, 66}};
  const char *acts[] = {"none", "relu", "clamp"};
  int i = 0;
  for (auto &s : shapes)
    for (OutKind out : {OutKind::I32, OutKind::F32, OutKind::Q8})
      for (bool pc : {false, true}) {
        Int8Case c{s[0], s[1], s[2], pc, out, acts[i % 3]};
        if (out == OutKind::I32 && c.act == "clamp")
          c.act = "relu";
        c.bias = i % 4 != 3;
        c.zx = (i % 5) * 7 - 14;
        cases.push_back(c);
        ++i;
      }
  return cases;
}

TEST(QuantKernels, Int8LinearAmx) {
  // The host's features: AMX tiles for M >= 16 where the CPU has AMX-INT8,
  // VNNI below.
  std::mt19937 rng(1);
  for (const Int8Case &c : int8Cases())
    runInt8Case(c, "", rng);
}

TEST(QuantKernels, Int8LinearVnni) {
  std::mt19937 rng(11);
  for (const Int8Case &c : int8Cases())
    runInt8Case(c, "-amx-int8,-amx-tile,-amx-bf16", rng);
}

TEST(QuantKernels, Int8LinearNoVnni) {
  std::mt19937 rng(2);
  for (const Int8Case &c : int8Cases())
    runInt8Case(c, "-avx512vnni,-avxvnni,-amx-int8,-amx-tile,-amx-bf16", rng);
}

TEST(QuantKernels, Int8LinearAvx2) {
  std::mt19937 rng(3);
  for (const Int8Case &c : int8Cases())
    runInt8Case(c, "-avx512f", rng);
}

TEST(QuantKernels, Int4WeightsInt8Activations) {
  std::mt19937 rng(4);
  for (OutKind out : {OutKind::I32, OutKind::Q8})
    for (std::array<int64_t, 3> s : {std::array<int64_t, 3>{1, 33, 8},
                                     std::array<int64_t, 3>{7, 40, 130}}) {
      Int8Case c{s[0], s[1], s[2], true, out, "relu"};
      c.bits = 4;
      runInt8Case(c, "", rng);
    }
}

//===----------------------------------------------------------------------===//
// Weight-only (float activations)
//===----------------------------------------------------------------------===//

void runWeightOnly(int64_t m, int64_t n, int64_t k, int bits, int64_t group,
                   bool bias, const std::string &act, std::mt19937 &rng) {
  SCOPED_TRACE("weight-only " + std::to_string(m) + "x" + std::to_string(n) +
               "x" + std::to_string(k) + " i" + std::to_string(bits) +
               " group=" + std::to_string(group) + " act=" + act);
  int wmax = bits == 8 ? 127 : 7;
  int64_t groups = group ? k / group : 1;
  std::uniform_int_distribution<int> wd(-wmax, wmax);
  std::uniform_real_distribution<float> xd(-2, 2), sd(0.001f, 0.1f);
  std::vector<float> x(m * k), ws(n * groups), b(n);
  std::vector<int8_t> w(n * k);
  for (auto &v : x)
    v = xd(rng);
  for (auto &v : w)
    v = (int8_t)wd(rng);
  for (auto &v : ws)
    v = sd(rng);
  for (auto &v : b)
    v = xd(rng);
  std::string storage = "i" + std::to_string(bits) + "<-" +
                        std::to_string(wmax) + ":" + std::to_string(wmax) + ">";
  std::string wq;
  if (group) {
    wq = "!quant.uniform<" + storage + ":f32:{0:1, 1:" + std::to_string(group) +
         "}, {";
    for (int64_t r = 0; r < n; ++r) {
      std::vector<float> row(ws.begin() + r * groups,
                             ws.begin() + (r + 1) * groups);
      wq += (r ? ", {" : "{") + flist(row) + "}";
    }
    wq += "}>";
  } else {
    wq = "!quant.uniform<" + storage + ":f32:0, {" + flist(ws) + "}>";
  }
  std::string xt = "tensor<" + std::to_string(m) + "x" + std::to_string(k) +
                   "xf32>",
              yt = "tensor<" + std::to_string(m) + "x" + std::to_string(n) +
                   "xf32>",
              wt = "tensor<" + std::to_string(n) + "x" + std::to_string(k) +
                   "x" + wq + ">";
  std::ostringstream os;
  os << "func.func @f(%x: " << xt << ") -> " << yt << " {\n";
  weightIR(os, w, n, k, bits, wq);
  if (bias)
    os << "  %b = arith.constant dense<[" << flist(b) << "]> : tensor<" << n
       << "xf32>\n";
  os << "  %y = effc.quantized_linear %x, %w" << (bias ? " bias %b" : "")
     << " {activation = #effc.activation<" << act << ">";
  if (act == "clamp")
    os << ", clamp_min = -1.0 : f32, clamp_max = 1.5 : f32";
  os << "} : " << xt << ", " << wt
     << (bias ? ", tensor<" + std::to_string(n) + "xf32>" : "") << " -> " << yt
     << "\n  return %y : " << yt << "\n}\n";
  CompiledModule jit;
  ASSERT_EQ(jit.compile(os.str()), "");
  auto got = jit.call<float, float, 2>("f", x, {m, k});
  ASSERT_EQ((int64_t)got.size(), m * n);
  int64_t bad = 0;
  int64_t gs = k / groups;
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      double y = bias ? b[j] : 0, mag = std::fabs(y);
      for (int64_t t = 0; t < k; ++t) {
        double p =
            (double)x[i * k + t] * w[j * k + t] * ws[j * groups + t / gs];
        y += p;
        mag += std::fabs(p);
      }
      if (act == "relu")
        y = std::max(y, 0.0);
      if (act == "clamp")
        y = std::min(std::max(y, -1.0), 1.5);
      // f32 accumulation: a few ulp of the sum of magnitudes.
      double tol = 4e-6 * mag + 1e-6;
      if (std::fabs(got[i * n + j] - y) > tol && bad++ < 5)
        ADD_FAILURE() << "at " << i << "," << j << ": " << got[i * n + j]
                      << " vs " << y << " (tol " << tol << ")";
    }
  EXPECT_EQ(bad, 0);
}

TEST(QuantKernels, WeightOnlyInt4Grouped) {
  std::mt19937 rng(5);
  runWeightOnly(1, 1, 32, 4, 32, true, "none", rng);
  runWeightOnly(1, 100, 256, 4, 32, true, "none", rng);
  runWeightOnly(3, 33, 128, 4, 64, false, "relu", rng);
  runWeightOnly(6, 70, 96, 4, 16, true, "clamp", rng);
}

TEST(QuantKernels, WeightOnlyInt4PerChannel) {
  std::mt19937 rng(6);
  runWeightOnly(1, 65, 40, 4, 0, true, "none", rng);
  runWeightOnly(5, 17, 200, 4, 0, false, "none", rng);
}

TEST(QuantKernels, WeightOnlyInt8) {
  std::mt19937 rng(7);
  runWeightOnly(1, 64, 64, 8, 0, true, "none", rng);
  runWeightOnly(4, 33, 36, 8, 0, true, "relu", rng);
  runWeightOnly(9, 31, 128, 8, 32, false, "none", rng);
}

//===----------------------------------------------------------------------===//
// Packed int4 round trip (effc.unpack_int4 on the CPU)
//===----------------------------------------------------------------------===//

//===----------------------------------------------------------------------===//
// Block-scaled int8 (effc.block_scaled_linear with i8 operands)
//===----------------------------------------------------------------------===//

/// `tensor<AxBxE>`.
std::string tensor2d(int64_t a, int64_t b, const std::string &e) {
  return "tensor<" + std::to_string(a) + "x" + std::to_string(b) + "x" + e +
         ">";
}

/// A row-major [rows, cols] f32 vector as a dense attribute.
std::string fdense2d(const std::vector<float> &v, int64_t rows, int64_t cols) {
  std::string d = "dense<[";
  for (int64_t r = 0; r < rows; ++r) {
    std::vector<float> row(v.begin() + r * cols, v.begin() + (r + 1) * cols);
    d += (r ? ", [" : "[") + flist(row) + "]";
  }
  return d + "]>";
}

/// Runs out = block_scaled_linear(x, xs, w, ws) with constant xs, w (i8, or
/// i4 through effc.unpack_int4 + arith.extsi) and ws, and checks it bit for
/// bit against scalar C++ in the op's order: per K block an exact i32 dot,
/// then acc += f32(dot) * (xs * ws) in f32, blocks in order.
void runBlockScaled(int64_t m, int64_t n, int64_t k, int64_t bn, int64_t bk,
                    int bits, const std::string &features, std::mt19937 &rng) {
  SCOPED_TRACE("block-scaled " + std::to_string(m) + "x" + std::to_string(n) +
               "x" + std::to_string(k) + " block=" + std::to_string(bn) + "x" +
               std::to_string(bk) + " i" + std::to_string(bits) +
               " features=" + features);
  int wmax = bits == 8 ? 127 : 7;
  int64_t nkb = k / bk, nnb = n / bn;
  std::uniform_int_distribution<int> xd(-128, 127), wd(-wmax, wmax);
  std::uniform_real_distribution<float> sd(0.001f, 0.05f);
  std::vector<int8_t> x(m * k), w(n * k);
  std::vector<float> xs(m * nkb), ws(nnb * nkb);
  for (auto &v : x)
    v = (int8_t)xd(rng);
  for (auto &v : w)
    v = (int8_t)wd(rng);
  for (auto &v : xs)
    v = sd(rng);
  for (auto &v : ws)
    v = sd(rng);
  auto T = tensor2d;
  std::ostringstream os;
  os << "func.func @f(%x: " << T(m, k, "i8") << ") -> " << T(m, n, "f32")
     << " {\n";
  if (bits == 8) {
    os << "  %w = arith.constant " << dense2d(w, n, k) << " : " << T(n, k, "i8")
       << "\n";
  } else {
    os << "  %wp = arith.constant " << dense2d(packInt4(w), n, k / 2) << " : "
       << T(n, k / 2, "i8") << "\n";
    os << "  %w4 = effc.unpack_int4 %wp : " << T(n, k / 2, "i8") << " -> "
       << T(n, k, "i4") << "\n";
    os << "  %w = arith.extsi %w4 : " << T(n, k, "i4") << " to "
       << T(n, k, "i8") << "\n";
  }
  os << "  %xs = arith.constant " << fdense2d(xs, m, nkb) << " : "
     << T(m, nkb, "f32") << "\n";
  os << "  %ws = arith.constant " << fdense2d(ws, nnb, nkb) << " : "
     << T(nnb, nkb, "f32") << "\n";
  os << "  %y = effc.block_scaled_linear %x, %xs, %w, %ws {block = array<i64: "
     << bn << ", " << bk << ">} : " << T(m, k, "i8") << ", " << T(m, nkb, "f32")
     << ", " << T(n, k, "i8") << ", " << T(nnb, nkb, "f32") << " -> "
     << T(m, n, "f32") << "\n  return %y : " << T(m, n, "f32") << "\n}\n";
  CompiledModule jit;
  ASSERT_EQ(jit.compile(os.str(), features), "");
  auto got = jit.call<float, int8_t, 2>("f", x, {m, k});
  ASSERT_EQ((int64_t)got.size(), m * n);
  int64_t bad = 0;
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      float acc = 0.0f;
      for (int64_t b = 0; b < nkb; ++b) {
        int32_t dot = 0;
        for (int64_t t = b * bk; t < (b + 1) * bk; ++t)
          dot += (int32_t)x[i * k + t] * w[j * k + t];
        // Separate rounded steps (volatile: no contraction into an FMA).
        volatile float s = xs[i * nkb + b] * ws[(j / bn) * nkb + b];
        volatile float p = (float)dot * s;
        acc = acc + p;
      }
      if (std::memcmp(&acc, &got[i * n + j], 4) && bad++ < 5)
        ADD_FAILURE() << "at " << i << "," << j << ": " << got[i * n + j]
                      << " vs " << acc;
    }
  EXPECT_EQ(bad, 0);
}

void runBlockScaledCases(const std::string &features, unsigned seed) {
  std::mt19937 rng(seed);
  // {M, N, K, bn, bk, bits}: M = 1, N and K off the tile sizes, bn = 1, N
  // and 128, per-channel (bk = K) and per-group activations; bk = 6 of
  // K = 12 is not a whole number of 4-byte words and takes the reference
  // loops; one block of K = 9 or 27 (a first convolution's patches) is
  // zero-padded to a multiple of 4 in the kernel.
  const int64_t cases[][6] = {
      {1, 40, 96, 1, 32, 8},       {1, 33, 64, 33, 64, 8},
      {5, 17, 48, 17, 16, 8},      {9, 50, 200, 25, 8, 8},
      {13, 256, 256, 128, 128, 8}, {3, 100, 1000, 100, 8, 8},
      {70, 40, 128, 8, 32, 8},     {7, 40, 128, 40, 32, 4},
      {4, 10, 12, 5, 6, 8},        {37, 16, 9, 1, 9, 8},
      {20, 24, 27, 24, 27, 8}};
  for (auto &c : cases)
    runBlockScaled(c[0], c[1], c[2], c[3], c[4], (int)c[5], features, rng);
}

TEST(QuantKernels, BlockScaledInt8Host) { runBlockScaledCases("", 21); }

TEST(QuantKernels, BlockScaledInt8NoVnni) {
  runBlockScaledCases("-avx512vnni,-avxvnni,-amx-int8,-amx-tile,-amx-bf16", 22);
}

TEST(QuantKernels, BlockScaledInt8Avx2) { runBlockScaledCases("-avx512f", 23); }

TEST(QuantKernels, Int4PackRoundTrip) {
  // Every int4 pair as one byte: the unpacked values must be the pair.
  std::vector<int8_t> vals;
  for (int hi = -8; hi < 8; ++hi)
    for (int lo = -8; lo < 8; ++lo) {
      vals.push_back((int8_t)lo);
      vals.push_back((int8_t)hi);
    }
  std::vector<int8_t> packed = packInt4(vals);
  ASSERT_EQ(packed.size(), 256u);
  std::string src = R"(
func.func @f(%p: tensor<16x16xi8>) -> tensor<16x32xi8> {
  %u = effc.unpack_int4 %p : tensor<16x16xi8> -> tensor<16x32xi4>
  %e = arith.extsi %u : tensor<16x32xi4> to tensor<16x32xi8>
  return %e : tensor<16x32xi8>
}
)";
  CompiledModule jit;
  ASSERT_EQ(jit.compile(src), "");
  auto got = jit.call<int8_t, int8_t, 2>("f", packed, {16, 16});
  ASSERT_EQ(got.size(), vals.size());
  for (size_t i = 0; i < vals.size(); ++i)
    ASSERT_EQ(+got[i], +vals[i]) << "element " << i;
}

//===----------------------------------------------------------------------===//
// Quantized convolution (im2col + the int8 GEMM)
//===----------------------------------------------------------------------===//

TEST(QuantKernels, QuantizedConv2D) {
  std::mt19937 rng(8);
  const int64_t N = 2, H = 7, W = 6, C = 5, F = 19, KH = 3, KW = 2;
  const int64_t pt = 1, pb = 0, pl = 1, pr = 1, sh = 2, sw = 1, dh = 1, dw = 2;
  int64_t OH = (H + pt + pb - dh * (KH - 1) - 1) / sh + 1;
  int64_t OW = (W + pl + pr - dw * (KW - 1) - 1) / sw + 1;
  int zx = 9, zy = -4;
  float sx = 0.03f, sy = 0.25f;
  std::uniform_int_distribution<int> xd(-128, 127), wd(-127, 127),
      bd(-3000, 3000), shd(0, 6);
  std::uniform_int_distribution<int32_t> md(1 << 29, INT32_MAX);
  std::uniform_real_distribution<float> sd(0.001f, 0.02f);
  std::vector<int8_t> x(N * H * W * C), w(F * KH * KW * C);
  for (auto &v : x)
    v = (int8_t)xd(rng);
  for (auto &v : w)
    v = (int8_t)wd(rng);
  std::vector<int32_t> bias(F), mult(F), shift(F);
  std::vector<float> ws(F);
  for (int64_t f = 0; f < F; ++f) {
    bias[f] = bd(rng);
    mult[f] = md(rng);
    shift[f] = shd(rng);
    ws[f] = sd(rng);
  }
  auto t4 = [](int64_t a, int64_t b, int64_t c, int64_t d,
               const std::string &e) {
    return "tensor<" + std::to_string(a) + "x" + std::to_string(b) + "x" +
           std::to_string(c) + "x" + std::to_string(d) + "x" + e + ">";
  };
  std::string xq =
      "!quant.uniform<i8:f32, " + exact(sx) + ":" + std::to_string(zx) + ">";
  std::string yq =
      "!quant.uniform<i8:f32, " + exact(sy) + ":" + std::to_string(zy) + ">";
  std::string wq = "!quant.uniform<i8<-127:127>:f32:0, {" + flist(ws) + "}>";
  std::ostringstream os;
  os << "func.func @f(%x: " << t4(N, H, W, C, "i8") << ") -> "
     << t4(N, OH, OW, F, "i8") << " {\n"
     << "  %xq = quant.scast %x : " << t4(N, H, W, C, "i8") << " to "
     << t4(N, H, W, C, xq) << "\n"
     << "  %wc = arith.constant dense<[" << list(w) << "]> : tensor<"
     << F * KH * KW * C << "xi8>\n"
     << "  %wr = tensor.expand_shape %wc [[0, 1, 2, 3]] output_shape [" << F
     << ", " << KH << ", " << KW << ", " << C << "] : tensor<"
     << F * KH * KW * C << "xi8> into " << t4(F, KH, KW, C, "i8") << "\n"
     << "  %w = quant.scast %wr : " << t4(F, KH, KW, C, "i8") << " to "
     << t4(F, KH, KW, C, wq) << "\n"
     << "  %b = arith.constant dense<[" << list(bias) << "]> : tensor<" << F
     << "xi32>\n"
     << "  %y = effc.quantized_conv2d %xq, %w bias %b {strides = array<i64: "
     << sh << ", " << sw << ">, dilations = array<i64: " << dh << ", " << dw
     << ">, padding = array<i64: " << pt << ", " << pb << ", " << pl << ", "
     << pr << ">, activation = #effc.activation<relu>, multiplier = "
     << "array<i32: " << list(mult) << ">, shift = array<i32: " << list(shift)
     << ">} : " << t4(N, H, W, C, xq) << ", " << t4(F, KH, KW, C, wq)
     << ", tensor<" << F << "xi32> -> " << t4(N, OH, OW, F, yq) << "\n"
     << "  %r = quant.scast %y : " << t4(N, OH, OW, F, yq) << " to "
     << t4(N, OH, OW, F, "i8") << "\n  return %r : " << t4(N, OH, OW, F, "i8")
     << "\n}\n";
  CompiledModule jit;
  ASSERT_EQ(jit.compile(os.str()), "");
  auto got = jit.call<int8_t, int8_t, 4>("f", x, {N, H, W, C});
  ASSERT_EQ((int64_t)got.size(), N * OH * OW * F);
  int64_t bad = 0;
  for (int64_t n = 0; n < N; ++n)
    for (int64_t oh = 0; oh < OH; ++oh)
      for (int64_t ow = 0; ow < OW; ++ow)
        for (int64_t f = 0; f < F; ++f) {
          int64_t acc = bias[f];
          for (int64_t i = 0; i < KH; ++i)
            for (int64_t j = 0; j < KW; ++j)
              for (int64_t c = 0; c < C; ++c) {
                int64_t h = oh * sh + i * dh - pt, ww = ow * sw + j * dw - pl;
                int64_t xv = (h < 0 || h >= H || ww < 0 || ww >= W)
                                 ? zx
                                 : x[((n * H + h) * W + ww) * C + c];
                acc += (xv - zx) * w[((f * KH + i) * KW + j) * C + c];
              }
          int64_t total = 31 + shift[f];
          int64_t r = (acc * mult[f] + ((int64_t)1 << (total - 1))) >> total;
          int64_t want = std::min<int64_t>(std::max<int64_t>(r + zy, zy), 127);
          int64_t e = ((n * OH + oh) * OW + ow) * F + f;
          if (got[e] != want && bad++ < 5)
            ADD_FAILURE() << "at " << e << ": " << +got[e] << " != " << want;
        }
  EXPECT_EQ(bad, 0);
}

//===----------------------------------------------------------------------===//
// f8E4M3FN conversions
//===----------------------------------------------------------------------===//

uint8_t apfloatToFp8(float v) {
  llvm::APFloat a(v);
  bool lost;
  a.convert(llvm::APFloat::Float8E4M3FN(), llvm::APFloat::rmNearestTiesToEven,
            &lost);
  return (uint8_t)a.bitcastToAPInt().getZExtValue();
}

float apfloatFromFp8(uint8_t bits) {
  llvm::APFloat a(llvm::APFloat::Float8E4M3FN(), llvm::APInt(8, bits));
  bool lost;
  a.convert(llvm::APFloat::IEEEsingle(), llvm::APFloat::rmNearestTiesToEven,
            &lost);
  return a.convertToFloat();
}

const char *kFp8Module = R"(
func.func @ext(%b: tensor<256xi8>) -> tensor<256xf32> {
  %f8 = arith.bitcast %b : tensor<256xi8> to tensor<256xf8E4M3FN>
  %f = arith.extf %f8 : tensor<256xf8E4M3FN> to tensor<256xf32>
  return %f : tensor<256xf32>
}
func.func @trunc(%f: tensor<NNNxf32>) -> tensor<NNNxi8> {
  %f8 = arith.truncf %f : tensor<NNNxf32> to tensor<NNNxf8E4M3FN>
  %b = arith.bitcast %f8 : tensor<NNNxf8E4M3FN> to tensor<NNNxi8>
  return %b : tensor<NNNxi8>
}
)";

void checkFp8(bool reference) {
  // f32 inputs: every fp8 value, the midpoints between neighbours and one
  // f32 ulp either side, specials, and random bit patterns near the range.
  std::vector<float> in;
  for (int b = 0; b < 256; ++b) {
    float v = apfloatFromFp8(b), next = apfloatFromFp8((b + 1) & 0xFF);
    in.push_back(v);
    if ((b & 0x7F) < 0x7E && !std::isnan(next)) {
      float mid = (v + next) / 2;
      in.push_back(mid);
      in.push_back(std::nextafter(mid, INFINITY));
      in.push_back(std::nextafter(mid, -INFINITY));
    }
  }
  for (float v : {0.0f,
                  -0.0f,
                  INFINITY,
                  -INFINITY,
                  NAN,
                  -NAN,
                  448.0f,
                  -448.0f,
                  463.99f,
                  464.0f,
                  464.01f,
                  -464.0f,
                  1e30f,
                  -1e30f,
                  1e-30f,
                  1e-45f,
                  std::ldexp(1.0f, -10),
                  std::ldexp(1.0f, -10) * 1.0001f,
                  std::ldexp(1.0f, -6),
                  std::ldexp(0.9375f, -6)})
    in.push_back(v);
  std::mt19937 rng(9);
  std::uniform_int_distribution<uint32_t> bits(0, 0xFFFFFFFFu);
  std::uniform_int_distribution<int> ex(127 - 12, 127 + 10);
  while (in.size() < 100000) {
    uint32_t u = bits(rng);
    if (in.size() % 2) // mostly near the fp8 range
      u = (u & 0x807FFFFFu) | ((uint32_t)ex(rng) << 23);
    float f;
    std::memcpy(&f, &u, 4);
    in.push_back(f);
  }
  std::string src = kFp8Module;
  std::string nStr = std::to_string(in.size());
  for (size_t p; (p = src.find("NNN")) != std::string::npos;)
    src.replace(p, 3, nStr);
  CompiledModule jit;
  ASSERT_EQ(jit.compile(src, "", reference), "");
  std::vector<int8_t> all(256);
  for (int b = 0; b < 256; ++b)
    all[b] = (int8_t)b;
  auto ext = jit.call<float, int8_t, 1>("ext", all, {256});
  ASSERT_EQ(ext.size(), 256u);
  for (int b = 0; b < 256; ++b) {
    float want = apfloatFromFp8(b);
    uint32_t gw, ww;
    std::memcpy(&gw, &ext[b], 4);
    std::memcpy(&ww, &want, 4);
    if (std::isnan(want))
      EXPECT_TRUE(std::isnan(ext[b]) &&
                  std::signbit(ext[b]) == std::signbit(want))
          << "fp8 0x" << std::hex << b;
    else
      EXPECT_EQ(gw, ww) << "fp8 0x" << std::hex << b << ": " << ext[b] << " vs "
                        << want;
  }
  auto tr = jit.call<int8_t, float, 1>("trunc", in, {(int64_t)in.size()});
  ASSERT_EQ(tr.size(), in.size());
  int64_t bad = 0;
  for (size_t i = 0; i < in.size(); ++i) {
    uint8_t want = apfloatToFp8(in[i]), got = (uint8_t)tr[i];
    if (got != want && bad++ < 10)
      ADD_FAILURE() << "f32 " << in[i] << " (0x" << std::hex <<
          [&] {
            uint32_t u;
            std::memcpy(&u, &in[i], 4);
            return u;
          }() << "): 0x"
                    << +got << " vs APFloat 0x" << +want;
  }
  EXPECT_EQ(bad, 0);
}

TEST(QuantKernels, Fp8ConversionsCpuPipeline) { checkFp8(false); }
TEST(QuantKernels, Fp8ConversionsReferencePipeline) { checkFp8(true); }

/// f8E4M3FN block-scaled linear with a constant weight against scalar C++:
/// per K block the partial sum in k order with separately rounded f32
/// multiply and add (the reference lowering's order, which the kernel
/// keeps), then acc += partial * (xs * ws). Bit for bit.
void runBlockScaledFp8(int64_t m, int64_t n, int64_t k, int64_t bn, int64_t bk,
                       const std::string &features, std::mt19937 &rng) {
  SCOPED_TRACE("block-scaled fp8 " + std::to_string(m) + "x" +
               std::to_string(n) + "x" + std::to_string(k) +
               " block=" + std::to_string(bn) + "x" + std::to_string(bk) +
               " features=" + features);
  int64_t nkb = k / bk, nnb = n / bn;
  // Finite codes only: 0x7F / 0xFF are NaN.
  std::uniform_int_distribution<int> cd(0, 125), sg(0, 1);
  std::uniform_real_distribution<float> sd(0.001f, 0.05f);
  std::vector<int8_t> x(m * k), w(n * k);
  std::vector<float> xs(m * nkb), ws(nnb * nkb);
  for (auto &v : x)
    v = (int8_t)(cd(rng) | sg(rng) << 7);
  for (auto &v : w)
    v = (int8_t)(cd(rng) | sg(rng) << 7);
  for (auto &v : xs)
    v = sd(rng);
  for (auto &v : ws)
    v = sd(rng);
  auto T = tensor2d;
  std::string hex = "dense<\"0x";
  for (int8_t v : w) {
    char buf[3];
    std::snprintf(buf, sizeof buf, "%02X", (unsigned)(uint8_t)v);
    hex += buf;
  }
  hex += "\">";
  std::string f8 = "f8E4M3FN";
  std::ostringstream os;
  os << "func.func @f(%xb: " << T(m, k, "i8") << ") -> " << T(m, n, "f32")
     << " {\n  %x = arith.bitcast %xb : " << T(m, k, "i8") << " to "
     << T(m, k, f8) << "\n  %w = arith.constant " << hex << " : " << T(n, k, f8)
     << "\n  %xs = arith.constant " << fdense2d(xs, m, nkb) << " : "
     << T(m, nkb, "f32") << "\n  %ws = arith.constant "
     << fdense2d(ws, nnb, nkb) << " : " << T(nnb, nkb, "f32")
     << "\n  %y = effc.block_scaled_linear %x, %xs, %w, %ws {block = "
        "array<i64: "
     << bn << ", " << bk << ">} : " << T(m, k, f8) << ", " << T(m, nkb, "f32")
     << ", " << T(n, k, f8) << ", " << T(nnb, nkb, "f32") << " -> "
     << T(m, n, "f32") << "\n  return %y : " << T(m, n, "f32") << "\n}\n";
  CompiledModule jit;
  ASSERT_EQ(jit.compile(os.str(), features), "");
  auto got = jit.call<float, int8_t, 2>("f", x, {m, k});
  ASSERT_EQ((int64_t)got.size(), m * n);
  int64_t bad = 0;
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      float acc = 0.0f;
      for (int64_t b = 0; b < nkb; ++b) {
        float part = 0.0f;
        for (int64_t t = b * bk; t < (b + 1) * bk; ++t) {
          volatile float p = apfloatFromFp8((uint8_t)x[i * k + t]) *
                             apfloatFromFp8((uint8_t)w[j * k + t]);
          part = part + p;
        }
        volatile float s = xs[i * nkb + b] * ws[(j / bn) * nkb + b];
        volatile float p = part * s;
        acc = acc + p;
      }
      if (std::memcmp(&acc, &got[i * n + j], 4) && bad++ < 5)
        ADD_FAILURE() << "at " << i << "," << j << ": " << got[i * n + j]
                      << " vs " << acc;
    }
  EXPECT_EQ(bad, 0);
}

void runBlockScaledFp8Cases(const std::string &features, unsigned seed) {
  std::mt19937 rng(seed);
  // {M, N, K, bn, bk}: M = 1, N off the tile width, bn = 1, N and 128.
  const int64_t cases[][5] = {{1, 40, 96, 1, 32},      {5, 17, 48, 17, 16},
                              {9, 50, 200, 25, 8},     {13, 256, 256, 128, 128},
                              {1, 256, 384, 128, 128}, {6, 33, 30, 11, 3}};
  for (auto &c : cases)
    runBlockScaledFp8(c[0], c[1], c[2], c[3], c[4], features, rng);
}

TEST(QuantKernels, BlockScaledFp8Host) { runBlockScaledFp8Cases("", 31); }

TEST(QuantKernels, BlockScaledFp8Avx2) {
  runBlockScaledFp8Cases("-avx512f", 32);
}

} // namespace

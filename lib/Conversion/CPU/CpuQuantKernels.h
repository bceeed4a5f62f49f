//===- CpuQuantKernels.h - shared by the quantized CPU kernels -*- C++ -*-===//
//
// Private to lib/Conversion/CPU: what the int8 GEMM, the weight-only and
// the block-scaled kernels (LowerCpuQuant*.cpp) share: constant weights read
// at compile time, loop builders, the int8 GEMM's plan and epilogue.
//
//===----------------------------------------------------------------------===//

#ifndef EFFC_LIB_CONVERSION_CPU_CPUQUANTKERNELS_H
#define EFFC_LIB_CONVERSION_CPU_CPUQUANTKERNELS_H

#include "effc/Conversion/CPU/CpuTarget.h"
#include "effc/Dialect/EffcAttrs.h"
#include "effc/Support/QuantBuilders.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/PatternMatch.h"

#include <optional>
#include <vector>

namespace mlir {
namespace effc {
namespace cpuquant {

//===----------------------------------------------------------------------===//
// Compile-time data
//===----------------------------------------------------------------------===//

/// A constant quantized weight [N, K]: its integer values (i4 already
/// sign-extended) and f32 scales [N, groups].
struct ConstWeight {
  int64_t n = 0, k = 0, groups = 1, bits = 8;
  std::vector<int8_t> values;
  std::vector<float> scales;
};

/// Sign-extended int4 values of packed bytes (element 2j is the low nibble
/// of byte j).
std::vector<int8_t> unpackInt4Bytes(ArrayRef<char> raw);

/// Matches `quant.scast(arith.constant)` or
/// `quant.scast(effc.unpack_int4(arith.constant))` with symmetric scales.
std::optional<ConstWeight> getConstWeight(Value w);

template <typename T> ArrayRef<char> rawOf(const std::vector<T> &v) {
  return ArrayRef<char>(reinterpret_cast<const char *>(v.data()),
                        v.size() * sizeof(T));
}

/// A compile-time constant as a read-only buffer for the kernels.
Value constBuffer(OpBuilder &b, Location loc, ArrayRef<int64_t> shape, Type elt,
                  ArrayRef<char> raw);

/// A tensor as a read-only buffer.
Value readBuffer(OpBuilder &b, Location loc, Value t);

/// A quantized tensor's storage integers (quant.scast).
Value storageOf(OpBuilder &b, Location loc, Value v);

/// A 64-byte aligned memref [m, n] of `elt`; a dynamic `m` is the row
/// count of `rowsOf` (an [M, ...] memref).
Value allocRows(OpBuilder &b, Location loc, Value rowsOf, int64_t m, int64_t n,
                Type elt);

/// `threads`, or the host's hardware threads when it is 0.
int64_t hostThreads(int64_t threads);

//===----------------------------------------------------------------------===//
// Loop-building helpers
//===----------------------------------------------------------------------===//

class LoopBuilder {
public:
  LoopBuilder(OpBuilder &b, Location loc) : b(b), loc(loc) {}

  Value idx(int64_t v) { return arith::ConstantIndexOp::create(b, loc, v); }
  Value add(Value x, Value y) { return arith::AddIOp::create(b, loc, x, y); }
  Value sub(Value x, Value y) { return arith::SubIOp::create(b, loc, x, y); }
  Value mul(Value x, Value y) { return arith::MulIOp::create(b, loc, x, y); }
  Value div(Value x, Value y) { return arith::DivUIOp::create(b, loc, x, y); }
  Value min(Value x, Value y) { return arith::MinSIOp::create(b, loc, x, y); }
  Value max(Value x, Value y) { return arith::MaxSIOp::create(b, loc, x, y); }

  template <typename Fn> void forLoop(Value lb, Value ub, Value step, Fn fn) {
    auto loop = scf::ForOp::create(b, loc, lb, ub, step);
    OpBuilder::InsertionGuard g(b);
    b.setInsertionPointToStart(loop.getBody());
    fn(loop.getInductionVar());
  }

  /// Runs `body(t)` for t in [0, chunks): as an scf.parallel (OpenMP
  /// threads) when there is more than one chunk.
  template <typename Fn> void parallel(int64_t chunks, Fn body) {
    if (chunks <= 1) {
      body(idx(0));
      return;
    }
    auto par =
        scf::ParallelOp::create(b, loc, {idx(0)}, {idx(chunks)}, {idx(1)});
    OpBuilder::InsertionGuard g(b);
    b.setInsertionPointToStart(par.getBody());
    body(par.getInductionVars()[0]);
  }

  /// Runs `tiles(rows, begin, end)` over rows [0, m) of a kernel whose
  /// register tile is `mr` rows high: whole tiles on [0, m - m % mr), then
  /// the remainder with a tile of its exact height. `m` is a constant
  /// (`staticM`, everything decided here) or ShapedType::kDynamic with the
  /// runtime count in `dynM`: then the remainder's height picks one of the
  /// mr - 1 shorter tiles through an scf.index_switch.
  template <typename Fn>
  void rowTiles(int64_t staticM, Value dynM, int64_t mr, Fn tiles) {
    if (!ShapedType::isDynamic(staticM)) {
      int64_t mFull = staticM / mr * mr;
      if (mFull > 0)
        tiles(mr, idx(0), idx(mFull));
      if (mFull < staticM)
        tiles(staticM - mFull, idx(mFull), idx(staticM));
      return;
    }
    Value mFull = mul(div(dynM, idx(mr)), idx(mr));
    tiles(mr, idx(0), mFull);
    SmallVector<int64_t> cases = llvm::to_vector(llvm::seq<int64_t>(1, mr));
    auto sw = scf::IndexSwitchOp::create(b, loc, TypeRange{}, sub(dynM, mFull),
                                         cases, cases.size());
    OpBuilder::InsertionGuard g(b);
    for (auto [i, rows] : llvm::enumerate(cases)) {
      b.setInsertionPointToStart(&sw.getCaseRegions()[i].emplaceBlock());
      b.setInsertionPoint(scf::YieldOp::create(b, loc));
      tiles(rows, mFull, dynM);
    }
    b.setInsertionPointToStart(&sw.getDefaultRegion().emplaceBlock());
    scf::YieldOp::create(b, loc);
  }

  /// Mask of the lanes of a `vl`-lane vector at column `col` below `limit`.
  Value laneMask(Value col, int64_t vl, int64_t limit) {
    Value cnt = max(idx(0), min(idx(vl), sub(idx(limit), col)));
    return vector::CreateMaskOp::create(
        b, loc, VectorType::get({vl}, b.getI1Type()), ValueRange{cnt});
  }

  Value splat(VectorType ty, Attribute scalar) {
    return arith::ConstantOp::create(
        b, loc, ty, SplatElementsAttr::get(ty, ArrayRef<Attribute>{scalar}));
  }

  OpBuilder &b;
  Location loc;
};

/// Panels [p0, p1) that chunk `t` of `chunks` owns.
std::pair<Value, Value> panelRange(LoopBuilder &lb, Value t, int64_t panels,
                                   int64_t chunks);

//===----------------------------------------------------------------------===//
// The int8 x int8 -> int32 GEMM
//===----------------------------------------------------------------------===//

/// vpdpbusd as `llvm.call_intrinsic` has unknown memory effects, which the
/// ownership-based buffer deallocation rejects, so until the module is in
/// the llvm dialect each dot is a pure `llvm.intr.fshl` (acc, broadcast u8
/// words, s8 weight words) carrying this attribute;
/// finalizeCpuQuantKernels swaps it for the intrinsic.
constexpr llvm::StringLiteral kVnniDotAttr = "effc_vnni_dot";

/// What the int8 GEMM's epilogue makes of the accumulators.
struct Int8Epilogue {
  enum Kind { I32, Float, Requant } kind = I32;
  Type outElt; // i32, a float type, or i8
  Activation act = Activation::none;
  float fLo = 0, fHi = 0; // float clamp
  RequantRange range;     // Requant: zero point and clamp bounds
};

struct Int8Plan {
  int64_t m, n, k;
  int64_t vl = 16; // i32 lanes
  int64_t nv = 2;  // vectors per register tile row
  int64_t mr = 8;  // rows per register tile
  int64_t mc = 64; // rows per block (the B panel stays in L2, A in L1)
  int64_t threads = 1;
  bool vnni = true;
  /// AMX tiles (tdpbusd) instead of VNNI registers: 16-row tiles of A,
  /// 16 x 64-byte tiles of B, K padded to 64.
  bool amx = false;
  /// Block-scaled (effc.block_scaled_linear): K blocks of `bk` (a multiple
  /// of 4) each summed exactly in i32, then scaled into f32 accumulators.
  int64_t bk = 0;
  int64_t nr() const { return vl * nv; }
  int64_t panels() const { return llvm::divideCeil(n, nr()); }
  int64_t kq() const { return llvm::divideCeil(k, 4); }
  /// Packed weight rows (words of 4 k) per panel: padded to whole AMX tiles.
  int64_t kqAlloc() const { return amx ? kwa() : kq(); }
  /// Rows of the packed activations: whole AMX tiles.
  int64_t mAlloc() const { return amx ? llvm::alignTo(m, 32) : m; }
  /// i32 words per row of the packed activations (rows padded to 64 bytes).
  int64_t kwa() const { return llvm::divideCeil(k, 64) * 16; }
};

/// Packs w[N, K] (row-major i8) into [panels, ceil(K/4), NR * 4] bytes:
/// lane c of word kq holds w[p * NR + c, 4 kq .. 4 kq + 3]; zero padded.
std::vector<int8_t> packVnni(ArrayRef<int8_t> w, const Int8Plan &p);

/// A plan for an [M, K] x [N, K] int8 GEMM on `target` with `threads`
/// parallel chunks (0: the host's).
Int8Plan makeInt8Plan(const CpuTarget &target, int64_t threads, int64_t m,
                      int64_t n, int64_t k);

/// Emits the int8 GEMM's loops: x memref [M, K] i8; w the packed weight;
/// off [panels * NR] i32 (bias - (128 + z_x) colsum); aux the epilogue's
/// per-channel vectors (block-scaled: [xs [M, K/bk], wsx [K/bk, NP]]); out
/// the [M, N] result buffer.
void emitInt8Gemm(LoopBuilder &lb, const Int8Plan &p, const Int8Epilogue &e,
                  Value x, Value w, Value off, ArrayRef<Value> aux, Value out);

//===----------------------------------------------------------------------===//
// Patterns
//===----------------------------------------------------------------------===//

/// A rewrite to a CPU kernel, with the target it generates code for.
template <typename OpTy> struct CpuKernelPattern : OpRewritePattern<OpTy> {
  CpuKernelPattern(MLIRContext *ctx, const CpuTarget &target, int64_t threads)
      : OpRewritePattern<OpTy>(ctx, /*benefit=*/2), target(target),
        threads(threads) {}
  CpuTarget target;
  int64_t threads;
};

/// effc.quantized_linear / effc.quantized_conv2d with int8 activations on
/// the int8 GEMM (LowerCpuQuantInt8.cpp).
void populateInt8Patterns(RewritePatternSet &patterns, const CpuTarget &target,
                          int64_t threads);

/// Weight-only effc.quantized_linear (LowerCpuQuantWeightOnly.cpp).
void populateWeightOnlyPatterns(RewritePatternSet &patterns,
                                const CpuTarget &target, int64_t threads);

/// effc.block_scaled_linear, int8 and fp8 (LowerCpuQuantBlockScaled.cpp).
void populateBlockScaledPatterns(RewritePatternSet &patterns,
                                 const CpuTarget &target, int64_t threads);

} // namespace cpuquant
} // namespace effc
} // namespace mlir

#endif // EFFC_LIB_CONVERSION_CPU_CPUQUANTKERNELS_H

//===- LowerCpuQuant.cpp - quantized kernels for CPUs -----------*- C++ -*-===//
//
// Fast CPU forms of effc's quantized ops, emitted on tensors (the operands
// enter the loops through bufferization.to_buffer, the result leaves through
// bufferization.to_tensor) so that they bufferize with the rest of the
// module:
//
// - effc.quantized_linear with int8 activations and constant i8 / i4
//   weights: an int8 GEMM on AVX-512 VNNI. vpdpbusd multiplies u8 by s8, so
//   the activations are shifted to u8 (x + 128, an xor of the sign bit) and
//   the correction (128 + z_x) * colsum(w)[n] is folded with the bias into
//   one per-channel constant. Weights are packed at compile time into
//   panels of NR columns with 4 consecutive k per 32-bit lane. The
//   epilogue (bias, dequantization or fixed-point requantization,
//   relu/clamp) runs on the accumulator registers. With AMX-INT8 and at
//   least 16 rows the same packed weights feed tdpbusd tiles (32 x 32
//   output blocks, K unrolled) whose results go through a stack buffer
//   into the same epilogue. Without VNNI the VNNI layout is multiplied
//   with plain i32 vector arithmetic.
// - weight-only effc.quantized_linear (f32 activations, i8 or packed i4
//   weights, per-channel or per-group scales): the packed weights are read
//   as 32-bit lanes and unpacked in registers (shift left, arithmetic shift
//   right, convert), f32 FMAs per group, one scale multiply per group.
// - effc.quantized_conv2d (groups = 1): im2col on the i8 storage (padded
//   with the input zero point) + the int8 GEMM above.
// - effc.block_scaled_linear with a constant weight: for i8 operands the
//   int8 GEMM above (VNNI or plain vectors, not AMX) with each K block
//   summed exactly in i32 and scaled into f32 accumulators, acc +=
//   f32(dot + off_b) * (xs * ws), off_b = -128 * the block's column sums;
//   for f8E4M3FN the weight packed as fp8 bytes, widened in registers,
//   f32 multiply + add per k (not FMA: the reference's rounding), then the
//   same per-block scaling. Both are bit-exact with the reference lowering.
//
// Integer results are bit-exact with the reference lowering
// (LowerReferenceQuant.cpp): int32 arithmetic wraps the same way and the
// requantization is the same int64 computation.
//
//===----------------------------------------------------------------------===//

#include "effc/Conversion/CPU/LowerCpuQuant.h"
#include "effc/Dialect/EffcOps.h"
#include "effc/Support/LinalgBuilders.h"
#include "effc/Support/QuantBuilders.h"
#include "effc/Support/WeightData.h"

#include "mlir/Dialect/AMX/AMXDialect.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Quant/IR/Quant.h"
#include "mlir/Dialect/Quant/IR/QuantTypes.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"

#include <algorithm>
#include <cmath>
#include <thread>

using namespace mlir;
using namespace mlir::effc;

namespace {

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
std::vector<int8_t> unpackInt4Bytes(ArrayRef<char> raw) {
  std::vector<int8_t> v(2 * raw.size());
  for (size_t i = 0; i < raw.size(); ++i) {
    auto byte = (uint8_t)raw[i];
    v[2 * i] = (int8_t)(uint8_t)(byte << 4) >> 4;
    v[2 * i + 1] = (int8_t)byte >> 4;
  }
  return v;
}

/// Matches `quant.scast(arith.constant)` or
/// `quant.scast(effc.unpack_int4(arith.constant))` with symmetric scales.
std::optional<ConstWeight> getConstWeight(Value w) {
  auto wTy = dyn_cast<RankedTensorType>(w.getType());
  auto scast = w.getDefiningOp<quant::StorageCastOp>();
  if (!wTy || !wTy.hasStaticShape() || wTy.getRank() < 2 || !scast)
    return std::nullopt;
  auto qt = dyn_cast<quant::QuantizedType>(wTy.getElementType());
  if (!qt || !qt.isSigned())
    return std::nullopt;
  ConstWeight cw;
  // [N, K], or a conv weight [F, KH, KW, C] read as [F, KH*KW*C].
  cw.n = wTy.getDimSize(0);
  cw.k = wTy.getNumElements() / cw.n;
  Value src = scast.getInput();
  DenseElementsAttr attr;
  if (auto unpack = src.getDefiningOp<UnpackInt4Op>()) {
    if (!matchPattern(unpack.getInput(), m_Constant(&attr)) ||
        attr.getElementType().getIntOrFloatBitWidth() != 8 || cw.k % 2)
      return std::nullopt;
    std::vector<char> raw = getRawBytes(attr, cw.n * cw.k / 2, 1);
    if (raw.empty())
      return std::nullopt;
    cw.bits = 4;
    cw.values = unpackInt4Bytes(raw);
  } else {
    if (!matchPattern(src, m_Constant(&attr)) ||
        !attr.getElementType().isInteger(8))
      return std::nullopt;
    std::vector<char> raw = getRawBytes(attr, cw.n * cw.k, 1);
    if (raw.empty())
      return std::nullopt;
    cw.values.assign(raw.begin(), raw.end());
  }
  if (auto u = dyn_cast<quant::UniformQuantizedType>(qt)) {
    if (u.getZeroPoint() != 0)
      return std::nullopt;
    cw.scales.assign(cw.n, (float)u.getScale());
  } else if (auto pa = dyn_cast<quant::UniformQuantizedPerAxisType>(qt)) {
    if (pa.getQuantizedDimension() != 0 ||
        (int64_t)pa.getScales().size() != cw.n ||
        llvm::any_of(pa.getZeroPoints(), [](int64_t z) { return z != 0; }))
      return std::nullopt;
    for (double s : pa.getScales())
      cw.scales.push_back((float)s);
  } else if (auto sc = dyn_cast<quant::UniformQuantizedSubChannelType>(qt)) {
    DenseElementsAttr s = sc.getScales();
    auto sTy = llvm::cast<ShapedType>(s.getType());
    if (sTy.getRank() != 2 || cw.k % sTy.getDimSize(1))
      return std::nullopt;
    int64_t rows = sTy.getDimSize(0);
    cw.groups = sTy.getDimSize(1);
    if (rows != cw.n && rows != 1)
      return std::nullopt;
    DenseElementsAttr zp = sc.getZeroPoints();
    if (zp && llvm::any_of(zp.getValues<APInt>(),
                           [](const APInt &z) { return !z.isZero(); }))
      return std::nullopt;
    std::vector<float> data;
    for (APFloat v : s.getValues<APFloat>())
      data.push_back((float)v.convertToDouble());
    for (int64_t r = 0; r < cw.n; ++r)
      for (int64_t g = 0; g < cw.groups; ++g)
        cw.scales.push_back(data[(rows == 1 ? 0 : r) * cw.groups + g]);
  } else {
    return std::nullopt;
  }
  return cw;
}

template <typename T> ArrayRef<char> rawOf(const std::vector<T> &v) {
  return ArrayRef<char>(reinterpret_cast<const char *>(v.data()),
                        v.size() * sizeof(T));
}

/// A compile-time constant as a read-only buffer for the kernels.
Value constBuffer(OpBuilder &b, Location loc, ArrayRef<int64_t> shape, Type elt,
                  ArrayRef<char> raw) {
  auto tt = RankedTensorType::get(shape, elt);
  Value c = arith::ConstantOp::create(
      b, loc, tt, DenseElementsAttr::getFromRawBuffer(tt, raw));
  return bufferization::ToBufferOp::create(b, loc, MemRefType::get(shape, elt),
                                           c, /*read_only=*/true);
}

Value readBuffer(OpBuilder &b, Location loc, Value t) {
  auto tt = cast<RankedTensorType>(t.getType());
  return bufferization::ToBufferOp::create(
      b, loc, MemRefType::get(tt.getShape(), tt.getElementType()), t,
      /*read_only=*/true);
}

Value storageOf(OpBuilder &b, Location loc, Value v) {
  auto ty = cast<RankedTensorType>(v.getType());
  auto qt = cast<quant::QuantizedType>(ty.getElementType());
  return quant::StorageCastOp::create(
      b, loc, RankedTensorType::get(ty.getShape(), qt.getStorageType()), v);
}

int64_t hostThreads(int64_t threads) {
  return threads > 0
             ? threads
             : std::max<int64_t>(1, std::thread::hardware_concurrency());
}

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
                                   int64_t chunks) {
  Value np = lb.idx(panels), ch = lb.idx(chunks);
  return {lb.div(lb.mul(t, np), ch),
          lb.div(lb.mul(lb.add(t, lb.idx(1)), np), ch)};
}

//===----------------------------------------------------------------------===//
// int8 x int8 -> int32 GEMM
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
std::vector<int8_t> packVnni(ArrayRef<int8_t> w, const Int8Plan &p) {
  int64_t nr = p.nr(), kq = p.kqAlloc();
  std::vector<int8_t> out(p.panels() * kq * nr * 4, 0);
  for (int64_t n = 0; n < p.n; ++n) {
    int64_t panel = n / nr, c = n % nr;
    for (int64_t k = 0; k < p.k; ++k)
      out[((panel * kq + k / 4) * nr + c) * 4 + k % 4] = w[n * p.k + k];
  }
  return out;
}

class Int8GemmEmitter {
public:
  /// x: memref [M, K] i8; w: packed memref; off: [panels * NR] i32 (bias -
  /// (128 + z_x) colsum); aux: the epilogue's per-channel vectors; out:
  /// memref [M, N] of the epilogue's element type.
  Int8GemmEmitter(LoopBuilder &lb, const Int8Plan &p, const Int8Epilogue &e,
                  Value x, Value w, Value off, ArrayRef<Value> aux, Value out)
      : lb(lb), b(lb.b), loc(lb.loc), p(p), e(e), x(x), w(w), off(off),
        aux(aux), out(out) {
    i32 = b.getI32Type();
    vecTy = VectorType::get({p.vl}, i32);
    bytesTy = VectorType::get({p.vl * 4}, b.getI8Type());
  }

  void emit() {
    // Activations as u8 (x xor 0x80 = x + 128), K padded with zeros to a
    // multiple of 64 bytes per row.
    auto xaTy = p.amx
                    ? MemRefType::get({p.mAlloc(), p.kwa() * 4}, b.getI8Type())
                    : MemRefType::get({p.m, p.kwa()}, i32);
    Value xa = memref::AllocOp::create(b, loc, xaTy, b.getI64IntegerAttr(64));
    emitPackA(xa);
    if (p.amx) {
      emitAmx(xa);
      return;
    }
    int64_t chunks = std::max<int64_t>(1, std::min(p.threads, p.panels()));
    lb.parallel(chunks, [&](Value t) {
      auto [p0, p1] = panelRange(lb, t, p.panels(), chunks);
      int64_t mFull = p.m / p.mr * p.mr;
      if (mFull > 0)
        emitBlocks(xa, p0, p1, p.mr, 0, mFull);
      if (mFull < p.m)
        emitBlocks(xa, p0, p1, p.m - mFull, mFull, p.m);
    });
    // No dealloc: the buffer deallocation pipeline frees `xa`.
  }

private:
  void emitPackA(Value xa) {
    auto v64 = VectorType::get({64}, b.getI8Type());
    Value sign = lb.splat(v64, b.getI8IntegerAttr(-128));
    lb.forLoop(lb.idx(0), lb.idx(p.m), lb.idx(1), [&](Value m) {
      lb.forLoop(lb.idx(0), lb.idx(p.kwa() / 16), lb.idx(1), [&](Value kb) {
        Value k0 = lb.mul(kb, lb.idx(64));
        Value mask = lb.laneMask(k0, 64, p.k);
        // Lanes beyond K read 0x80 and become 0 after the xor.
        Value bytes = vector::MaskedLoadOp::create(
            b, loc, v64, x, ValueRange{m, k0}, mask, sign);
        Value u = arith::XOrIOp::create(b, loc, bytes, sign);
        if (p.amx) {
          vector::StoreOp::create(b, loc, u, xa, ValueRange{m, k0});
          return;
        }
        Value words =
            vector::BitCastOp::create(b, loc, VectorType::get({16}, i32), u);
        vector::StoreOp::create(b, loc, words, xa,
                                ValueRange{m, lb.mul(kb, lb.idx(16))});
      });
    });
  }

  /// AMX: per panel and 32-row block, four 16 x 16 i32 accumulator tiles
  /// (2 row halves x the panel's two 16-column halves) += u8 A tiles (16
  /// rows x 64 bytes) . s8 B tiles (16 words of 4 k x 16 columns): 4 tile
  /// loads per 4 tdpbusd, all 8 tile registers in use. The tiles then go
  /// through a stack buffer into the vector epilogue.
  void emitAmx(Value xa) {
    assert(p.nr() == 32 && "AMX panels are two 16-column tiles");
    auto aTy = amx::TileType::get({16, 64}, b.getI8Type());
    auto cTy = amx::TileType::get({16, 16}, i32);
    int64_t chunks = std::max<int64_t>(1, std::min(p.threads, p.panels()));
    lb.parallel(chunks, [&](Value t) {
      auto [p0, p1] = panelRange(lb, t, p.panels(), chunks);
      Value scratch = memref::AllocaOp::create(
          b, loc, MemRefType::get({32, 32}, i32), b.getI64IntegerAttr(64));
      lb.forLoop(p0, p1, lb.idx(1), [&](Value jp) {
        Value wRow0 = lb.mul(jp, lb.idx(p.kqAlloc()));
        lb.forLoop(lb.idx(0), lb.idx(p.mAlloc()), lb.idx(32), [&](Value i0) {
          // The K loop is unrolled: tiles cannot be loop-carried (block
          // arguments of tile type have no LLVM lowering).
          Value z = amx::TileZeroOp::create(b, loc, cTy);
          Value acc[2][2] = {{z, z}, {z, z}};
          Value i1 = lb.add(i0, lb.idx(16));
          for (int64_t kq0 = 0; kq0 < p.kwa(); kq0 += 16) {
            Value kb = lb.idx(4 * kq0);
            Value a[2] = {
                amx::TileLoadOp::create(b, loc, aTy, xa, ValueRange{i0, kb}),
                amx::TileLoadOp::create(b, loc, aTy, xa, ValueRange{i1, kb})};
            Value row = lb.add(wRow0, lb.idx(kq0));
            for (int64_t h = 0; h < 2; ++h) {
              Value bt = amx::TileLoadOp::create(
                  b, loc, aTy, w, ValueRange{row, lb.idx(64 * h)});
              for (int64_t r = 0; r < 2; ++r) {
                auto mul =
                    amx::TileMulIOp::create(b, loc, cTy, a[r], bt, acc[r][h]);
                mul.setIsZextLhs(true);
                acc[r][h] = mul;
              }
            }
          }
          for (int64_t r = 0; r < 2; ++r)
            for (int64_t h = 0; h < 2; ++h)
              amx::TileStoreOp::create(
                  b, loc, scratch, ValueRange{lb.idx(16 * r), lb.idx(16 * h)},
                  acc[r][h]);
          Value n0 = lb.mul(jp, lb.idx(p.nr()));
          SmallVector<Value> masks, chans[2];
          for (int64_t v = 0; v < 2; ++v) {
            Value col = lb.add(n0, lb.idx(v * p.vl));
            masks.push_back(lb.laneMask(col, p.vl, p.n));
            chans[v].push_back(vector::LoadOp::create(b, loc, vecTy, off, col));
            for (Value a : aux)
              chans[v].push_back(vector::LoadOp::create(
                  b, loc,
                  VectorType::get(
                      {p.vl}, cast<MemRefType>(a.getType()).getElementType()),
                  a, col));
          }
          Value rows = lb.min(lb.idx(32), lb.sub(lb.idx(p.m), i0));
          lb.forLoop(lb.idx(0), rows, lb.idx(1), [&](Value r) {
            for (int64_t v = 0; v < 2; ++v) {
              Value acc = vector::LoadOp::create(b, loc, vecTy, scratch,
                                                 ValueRange{r, lb.idx(16 * v)});
              Value res = finish(acc, chans[v]);
              vector::MaskedStoreOp::create(
                  b, loc, out,
                  ValueRange{lb.add(i0, r), lb.add(n0, lb.idx(v * p.vl))},
                  masks[v], res);
            }
          });
        });
      });
    });
  }

  void emitBlocks(Value xa, Value p0, Value p1, int64_t rows, int64_t rowBegin,
                  int64_t rowEnd) {
    int64_t mc = std::max(p.mc / rows * rows, rows);
    lb.forLoop(lb.idx(rowBegin), lb.idx(rowEnd), lb.idx(mc), [&](Value mc0) {
      Value mcEnd = lb.min(lb.add(mc0, lb.idx(mc)), lb.idx(rowEnd));
      lb.forLoop(p0, p1, lb.idx(1), [&](Value jp) {
        lb.forLoop(mc0, mcEnd, lb.idx(rows),
                   [&](Value i0) { emitTile(xa, rows, i0, jp); });
      });
    });
  }

  /// acc += u8(a) . s8(b) over groups of 4 bytes per i32 lane.
  Value dot(OpBuilder &nb, Location l, Value acc, Value aWord,
            ArrayRef<Value> bParts, Value bBytes) {
    if (p.vnni) {
      // The pure stand-in for vpdpbusd (see kVnniDotAttr).
      Value a = vector::BroadcastOp::create(nb, l, vecTy, aWord);
      Value bWords = vector::BitCastOp::create(nb, l, vecTy, bBytes);
      auto dot = LLVM::FshlOp::create(nb, l, acc, a, bWords);
      dot->setAttr(kVnniDotAttr, nb.getUnitAttr());
      return dot;
    }
    // Plain i32 arithmetic: byte j of the word times the sign-extended
    // byte j of every lane of b (bParts[j]).
    for (int64_t j = 0; j < 4; ++j) {
      Value aj = arith::ShRUIOp::create(
          nb, l, aWord,
          arith::ConstantOp::create(nb, l, i32, nb.getI32IntegerAttr(8 * j)));
      aj = arith::AndIOp::create(
          nb, l, aj,
          arith::ConstantOp::create(nb, l, i32, nb.getI32IntegerAttr(255)));
      Value av = vector::BroadcastOp::create(nb, l, vecTy, aj);
      acc = arith::AddIOp::create(nb, l, acc,
                                  arith::MulIOp::create(nb, l, av, bParts[j]));
    }
    return acc;
  }

  /// The i32 accumulators of a `rows` x NR tile over the words [kq0, kq1).
  scf::ForOp emitKLoop(Value xa, int64_t rows, Value i0, Value jp, Value kq0,
                       Value kq1) {
    int64_t nv = p.nv;
    Value zero = lb.splat(vecTy, b.getI32IntegerAttr(0));
    SmallVector<Value> init(rows * nv, zero);
    return scf::ForOp::create(
        b, loc, kq0, kq1, lb.idx(1), init,
        [&](OpBuilder &nb, Location l, Value kq, ValueRange acc) {
          SmallVector<Value> bBytes;
          SmallVector<SmallVector<Value, 4>> bParts(nv);
          for (int64_t v = 0; v < nv; ++v) {
            Value col = arith::ConstantIndexOp::create(nb, l, v * p.vl * 4);
            bBytes.push_back(vector::LoadOp::create(nb, l, bytesTy, w,
                                                    ValueRange{jp, kq, col}));
            if (!p.vnni) {
              Value words =
                  vector::BitCastOp::create(nb, l, vecTy, bBytes.back());
              for (int64_t j = 0; j < 4; ++j) {
                auto sh = [&](int64_t s) {
                  return arith::ConstantOp::create(
                      nb, l, vecTy,
                      SplatElementsAttr::get(
                          vecTy, ArrayRef<Attribute>{nb.getI32IntegerAttr(s)}));
                };
                Value t = arith::ShLIOp::create(nb, l, words, sh(24 - 8 * j));
                bParts[v].push_back(arith::ShRSIOp::create(nb, l, t, sh(24)));
              }
            }
          }
          SmallVector<Value> next;
          for (int64_t r = 0; r < rows; ++r) {
            Value row = arith::AddIOp::create(
                nb, l, i0, arith::ConstantIndexOp::create(nb, l, r));
            Value aWord =
                memref::LoadOp::create(nb, l, xa, ValueRange{row, kq});
            for (int64_t v = 0; v < nv; ++v)
              next.push_back(
                  dot(nb, l, acc[r * nv + v], aWord, bParts[v], bBytes[v]));
          }
          scf::YieldOp::create(nb, l, next);
        });
  }

  void emitTile(Value xa, int64_t rows, Value i0, Value jp) {
    if (p.bk > 0)
      return emitScaledTile(xa, rows, i0, jp);
    int64_t nv = p.nv;
    scf::ForOp loop = emitKLoop(xa, rows, i0, jp, lb.idx(0), lb.idx(p.kq()));
    Value n0 = lb.mul(jp, lb.idx(p.nr()));
    for (int64_t v = 0; v < nv; ++v) {
      Value col = lb.add(n0, lb.idx(v * p.vl));
      Value mask = lb.laneMask(col, p.vl, p.n);
      SmallVector<Value> chan;
      chan.push_back(vector::LoadOp::create(b, loc, vecTy, off, col));
      for (Value a : aux)
        chan.push_back(vector::LoadOp::create(
            b, loc,
            VectorType::get({p.vl},
                            cast<MemRefType>(a.getType()).getElementType()),
            a, col));
      for (int64_t r = 0; r < rows; ++r) {
        Value res = finish(loop.getResult(r * nv + v), chan);
        vector::MaskedStoreOp::create(
            b, loc, out, ValueRange{lb.add(i0, lb.idx(r)), col}, mask, res);
      }
    }
  }

  /// Block-scaled tile: per K block b, acc_f += f32(acc_i32 + off[b]) *
  /// (xs[m, b] * ws[n / bn, b]), the reference's per-element order (off =
  /// -128 * the block's column sums; aux = [xs [M, K/bk], wsx [K/bk, NP]]
  /// with wsx[b, n] = ws[n / bn, b]).
  void emitScaledTile(Value xa, int64_t rows, Value i0, Value jp) {
    int64_t nv = p.nv, kqb = p.bk / 4;
    auto fTy = VectorType::get({p.vl}, b.getF32Type());
    Value n0 = lb.mul(jp, lb.idx(p.nr()));
    SmallVector<Value> finit(rows * nv, lb.splat(fTy, b.getF32FloatAttr(0)));
    auto outer = scf::ForOp::create(b, loc, lb.idx(0), lb.idx(p.k / p.bk),
                                    lb.idx(1), finit);
    {
      OpBuilder::InsertionGuard g(b);
      b.setInsertionPointToStart(outer.getBody());
      Value kb = outer.getInductionVar();
      Value kq0 = lb.mul(kb, lb.idx(kqb));
      scf::ForOp acc =
          emitKLoop(xa, rows, i0, jp, kq0, lb.add(kq0, lb.idx(kqb)));
      SmallVector<Value> next(rows * nv);
      SmallVector<Value> xsv;
      for (int64_t r = 0; r < rows; ++r)
        xsv.push_back(vector::BroadcastOp::create(
            b, loc, fTy,
            memref::LoadOp::create(b, loc, aux[0],
                                   ValueRange{lb.add(i0, lb.idx(r)), kb})));
      for (int64_t v = 0; v < nv; ++v) {
        Value col = lb.add(n0, lb.idx(v * p.vl));
        Value offv =
            vector::LoadOp::create(b, loc, vecTy, off, ValueRange{kb, col});
        Value wsv =
            vector::LoadOp::create(b, loc, fTy, aux[1], ValueRange{kb, col});
        for (int64_t r = 0; r < rows; ++r) {
          Value s = arith::MulFOp::create(b, loc, xsv[r], wsv);
          Value a =
              arith::AddIOp::create(b, loc, acc.getResult(r * nv + v), offv);
          Value pf = arith::MulFOp::create(
              b, loc, arith::SIToFPOp::create(b, loc, fTy, a), s);
          next[r * nv + v] = arith::AddFOp::create(
              b, loc, outer.getRegionIterArgs()[r * nv + v], pf);
        }
      }
      scf::YieldOp::create(b, loc, next);
    }
    for (int64_t v = 0; v < nv; ++v) {
      Value col = lb.add(n0, lb.idx(v * p.vl));
      Value mask = lb.laneMask(col, p.vl, p.n);
      for (int64_t r = 0; r < rows; ++r) {
        Value res = outer.getResult(r * nv + v);
        if (!e.outElt.isF32())
          res = arith::TruncFOp::create(b, loc,
                                        VectorType::get({p.vl}, e.outElt), res);
        vector::MaskedStoreOp::create(
            b, loc, out, ValueRange{lb.add(i0, lb.idx(r)), col}, mask, res);
      }
    }
  }

  /// The epilogue on one accumulator vector; chan = [off, aux...].
  Value finish(Value acc, ArrayRef<Value> chan) {
    acc = arith::AddIOp::create(b, loc, acc, chan[0]);
    switch (e.kind) {
    case Int8Epilogue::I32:
      if (e.act == Activation::relu)
        acc = arith::MaxSIOp::create(b, loc, acc,
                                     lb.splat(vecTy, b.getI32IntegerAttr(0)));
      return acc;
    case Int8Epilogue::Float: {
      auto fTy = VectorType::get({p.vl}, b.getF32Type());
      Value v = arith::SIToFPOp::create(b, loc, fTy, acc);
      v = arith::MulFOp::create(b, loc, v, chan[1]);
      if (e.act == Activation::relu)
        v = arith::MaximumFOp::create(b, loc, v,
                                      lb.splat(fTy, b.getF32FloatAttr(0)));
      if (e.act == Activation::clamp) {
        v = arith::MaximumFOp::create(b, loc, v,
                                      lb.splat(fTy, b.getF32FloatAttr(e.fLo)));
        v = arith::MinimumFOp::create(b, loc, v,
                                      lb.splat(fTy, b.getF32FloatAttr(e.fHi)));
      }
      if (!e.outElt.isF32())
        v = arith::TruncFOp::create(b, loc, VectorType::get({p.vl}, e.outElt),
                                    v);
      return v;
    }
    case Int8Epilogue::Requant:
      // chan = [off, multiplier, 2^(t-1), t] with t = 31 + shift (i64).
      return buildRequantize(b, loc, acc, chan[1], chan[3], e.range,
                             b.getI8Type(), /*rounding=*/chan[2]);
    }
    llvm_unreachable("unknown epilogue");
  }

  LoopBuilder &lb;
  OpBuilder &b;
  Location loc;
  const Int8Plan &p;
  const Int8Epilogue &e;
  Value x, w, off;
  SmallVector<Value> aux;
  Value out;
  Type i32;
  VectorType vecTy, bytesTy;
};

/// effc.quantized_linear with int8 activations and a constant weight with
/// per-tensor or per-channel scales.
/// A rewrite to a CPU kernel, with the target it generates code for.
template <typename OpTy> struct CpuKernelPattern : OpRewritePattern<OpTy> {
  CpuKernelPattern(MLIRContext *ctx, const CpuTarget &target, int64_t threads)
      : OpRewritePattern<OpTy>(ctx, /*benefit=*/2), target(target),
        threads(threads) {}
  CpuTarget target;
  int64_t threads;
};

/// What the int8 GEMM needs from a quantized linear or convolution.
struct Int8Spec {
  ConstWeight w;
  std::vector<int32_t> bias;
  Int8Epilogue e;
  quant::UniformQuantizedType xq, yq;
};

/// Checks that `op` (effc.quantized_linear or effc.quantized_conv2d) fits
/// the int8 kernel: int8 activations, a constant weight with per-tensor or
/// per-channel scales, a constant bias, a none/relu/clamp activation.
template <typename OpTy>
std::optional<Int8Spec> matchInt8(OpTy op, Builder &b) {
  auto inTy = cast<RankedTensorType>(op.getInput().getType());
  auto outTy = cast<RankedTensorType>(op.getType());
  Int8Spec s;
  s.xq = dyn_cast<quant::UniformQuantizedType>(inTy.getElementType());
  if (!s.xq || !inTy.hasStaticShape() || !outTy.hasStaticShape() ||
      !s.xq.getStorageType().isSignlessInteger(8))
    return std::nullopt;
  std::optional<ConstWeight> cw = getConstWeight(op.getWeight());
  if (!cw || cw->groups != 1)
    return std::nullopt;
  s.w = std::move(*cw);
  int64_t n = s.w.n;
  // The bias folds into the per-channel offset at compile time.
  s.bias.assign(n, 0);
  if (Value bv = op.getBias()) {
    DenseElementsAttr attr;
    if (!matchPattern(bv, m_Constant(&attr)))
      return std::nullopt;
    std::vector<char> raw = getRawBytes(attr, n, 4);
    if (raw.empty())
      return std::nullopt;
    std::memcpy(s.bias.data(), raw.data(), 4 * n);
  }
  Int8Epilogue &e = s.e;
  Activation act = op.getActivation();
  if (act != Activation::none && act != Activation::relu &&
      act != Activation::clamp)
    return std::nullopt;
  e.act = act;
  Type outElt = outTy.getElementType();
  s.yq = dyn_cast<quant::UniformQuantizedType>(outElt);
  if (outElt.isInteger(32)) {
    e.kind = Int8Epilogue::I32;
    if (act == Activation::clamp)
      return std::nullopt;
  } else if (outElt.isF32() || outElt.isF16() || outElt.isBF16()) {
    e.kind = Int8Epilogue::Float;
    if (act == Activation::clamp) {
      e.fLo = (float)op.getClampMin()->convertToDouble();
      e.fHi = (float)op.getClampMax()->convertToDouble();
    }
  } else if (s.yq && s.yq.getStorageType().isSignlessInteger(8) &&
             op.getMultiplier() && op.getShift()) {
    e.kind = Int8Epilogue::Requant;
    e.range = getRequantRange(s.yq, act, op.getClampMin(), op.getClampMax());
  } else {
    return std::nullopt;
  }
  e.outElt = e.kind == Int8Epilogue::Requant ? b.getI8Type() : outElt;
  return s;
}

Int8Plan makeInt8Plan(const CpuTarget &target, int64_t threads, int64_t m,
                      int64_t n, int64_t k) {
  Int8Plan p;
  p.m = m;
  p.n = n;
  p.k = k;
  p.vnni = target.vnni && target.avx512;
  p.vl = target.avx512 ? 16 : 8;
  p.nv = 2;
  p.mr = target.avx512 ? 8 : 4;
  p.threads = hostThreads(threads);
  // AMX pays from one full 16-row tile on; decode shapes (M < 16) stay on
  // VNNI, whose broadcast rows waste nothing.
  p.amx = target.amxInt8 && target.avx512 && m >= 16 && k <= 16384;
  return p;
}

/// The [M, N] result in the op's storage (i32, float or i8) reshaped to
/// `outTy`, with a quant.scast for a requantized result.
Value finishInt8(PatternRewriter &rewriter, Location loc, Value y,
                 const Int8Spec &s, RankedTensorType outTy) {
  if (!s.yq)
    return buildReshape(rewriter, loc, y, outTy);
  y = buildReshape(rewriter, loc, y, outTy.clone(s.yq.getStorageType()));
  return quant::StorageCastOp::create(rewriter, loc, outTy, y);
}

Value emitInt8Linear(PatternRewriter &rewriter, Location loc, const Int8Plan &p,
                     const Int8Epilogue &e, Value x, ArrayRef<int8_t> w,
                     ArrayRef<int32_t> bias, int64_t zx,
                     ArrayRef<float> wScales, float inScale,
                     std::optional<ArrayRef<int32_t>> multiplier,
                     std::optional<ArrayRef<int32_t>> shift);

/// effc.quantized_linear with int8 activations and a constant weight with
/// per-tensor or per-channel scales.
struct QuantizedLinearInt8 : CpuKernelPattern<QuantizedLinearOp> {
  using CpuKernelPattern::CpuKernelPattern;

  LogicalResult matchAndRewrite(QuantizedLinearOp op,
                                PatternRewriter &rewriter) const override {
    std::optional<Int8Spec> s = matchInt8(op, rewriter);
    if (!s)
      return failure();
    int64_t n = s->w.n, k = s->w.k;
    int64_t m = op.getInput().getType().getNumElements() / k;
    Int8Plan p = makeInt8Plan(target, threads, m, n, k);
    Location loc = op.getLoc();
    Value x =
        buildReshape(rewriter, loc, storageOf(rewriter, loc, op.getInput()),
                     RankedTensorType::get({m, k}, rewriter.getI8Type()));
    Value y = emitInt8Linear(rewriter, loc, p, s->e, x, s->w.values, s->bias,
                             s->xq.getZeroPoint(), s->w.scales,
                             (float)s->xq.getScale(), op.getMultiplier(),
                             op.getShift());
    rewriter.replaceOp(op, finishInt8(rewriter, loc, y, *s, op.getType()));
    return success();
  }
};

/// The GEMM with its compile-time operands; `x` is the [M, K] i8 tensor.
/// Returns the [M, N] result tensor of the epilogue's element type.
Value emitInt8Linear(PatternRewriter &rewriter, Location loc, const Int8Plan &p,
                     const Int8Epilogue &e, Value x, ArrayRef<int8_t> w,
                     ArrayRef<int32_t> bias, int64_t zx,
                     ArrayRef<float> wScales, float inScale,
                     std::optional<ArrayRef<int32_t>> multiplier,
                     std::optional<ArrayRef<int32_t>> shift) {
  int64_t n = p.n, k = p.k, np = p.panels() * p.nr();
  // off[n] = bias[n] - (128 + z_x) * colsum(w)[n], wrapping like i32.
  std::vector<int32_t> off(np, 0);
  for (int64_t c = 0; c < n; ++c) {
    int64_t colsum = 0;
    for (int64_t j = 0; j < k; ++j)
      colsum += w[c * k + j];
    off[c] = (int32_t)((uint32_t)bias[c] - (uint32_t)((128 + zx) * colsum));
  }
  std::vector<int8_t> packed = packVnni(w, p);
  Type i8 = rewriter.getI8Type(), i32 = rewriter.getI32Type();
  // AMX reads B tiles from a 2-D view (rows of 16 x 4 bytes, one panel
  // after another); the VNNI loops index [panel, k / 4, lane bytes].
  Value wBuf =
      p.amx ? constBuffer(rewriter, loc, {p.panels() * p.kqAlloc(), p.nr() * 4},
                          i8, rawOf(packed))
            : constBuffer(rewriter, loc, {p.panels(), p.kq(), p.nr() * 4}, i8,
                          rawOf(packed));
  Value offBuf = constBuffer(rewriter, loc, {np}, i32, rawOf(off));
  SmallVector<Value> aux;
  if (e.kind == Int8Epilogue::Float) {
    std::vector<float> s(np, 0.0f);
    for (int64_t c = 0; c < n; ++c)
      s[c] = wScales[c] * inScale; // as the reference: f32 s_w * f32 s_x
    aux.push_back(
        constBuffer(rewriter, loc, {np}, rewriter.getF32Type(), rawOf(s)));
  }
  if (e.kind == Int8Epilogue::Requant) {
    std::vector<int64_t> mult(np, 0), half(np, 0), total(np, kRequantShiftBase);
    for (int64_t c = 0; c < n; ++c) {
      size_t i = multiplier->size() == 1 ? 0 : c;
      mult[c] = (*multiplier)[i];
      total[c] = kRequantShiftBase + (int64_t)(*shift)[i];
      half[c] = (int64_t)((uint64_t)1 << (total[c] - 1));
    }
    Type i64 = rewriter.getI64Type();
    aux.push_back(constBuffer(rewriter, loc, {np}, i64, rawOf(mult)));
    aux.push_back(constBuffer(rewriter, loc, {np}, i64, rawOf(half)));
    aux.push_back(constBuffer(rewriter, loc, {np}, i64, rawOf(total)));
  }
  Value xBuf = readBuffer(rewriter, loc, x);
  auto outTy = MemRefType::get({p.m, n}, e.outElt);
  Value out = memref::AllocOp::create(rewriter, loc, outTy,
                                      rewriter.getI64IntegerAttr(64));
  LoopBuilder lb(rewriter, loc);
  Int8GemmEmitter(lb, p, e, xBuf, wBuf, offBuf, aux, out).emit();
  return bufferization::ToTensorOp::create(
      rewriter, loc, RankedTensorType::get({p.m, n}, e.outElt), out,
      /*restrict=*/true, /*writable=*/true);
}

//===----------------------------------------------------------------------===//
// Weight-only (float activations, i8 / i4 weights)
//===----------------------------------------------------------------------===//

struct WeightOnlyPlan {
  int64_t m, n, k, groups, bits;
  int64_t vl = 16, nv = 2, mr = 4, threads = 1;
  int64_t nr() const { return vl * nv; }
  int64_t panels() const { return llvm::divideCeil(n, nr()); }
  int64_t perWord() const { return 32 / bits; }
  int64_t words() const { return k / perWord(); }
  int64_t groupWords() const { return words() / groups; }
};

/// [panels, K / perWord, NR] i32: lane c of word kw holds the `bits`-bit
/// two's-complement values w[p * NR + c, kw * perWord + j] at bit bits * j.
std::vector<int32_t> packWeightOnly(const ConstWeight &cw,
                                    const WeightOnlyPlan &p) {
  int64_t nr = p.nr(), words = p.words(), per = p.perWord();
  uint32_t mask = (1u << p.bits) - 1;
  std::vector<int32_t> out(p.panels() * words * nr, 0);
  for (int64_t n = 0; n < p.n; ++n)
    for (int64_t kw = 0; kw < words; ++kw) {
      uint32_t word = 0;
      for (int64_t j = 0; j < per; ++j)
        word |= ((uint32_t)(uint8_t)cw.values[n * p.k + kw * per + j] & mask)
                << (p.bits * j);
      out[((n / nr) * words + kw) * nr + n % nr] = (int32_t)word;
    }
  return out;
}

class WeightOnlyEmitter {
public:
  WeightOnlyEmitter(LoopBuilder &lb, const WeightOnlyPlan &p, Activation act,
                    float lo, float hi, Value x, Value w, Value scales,
                    Value bias, Value out)
      : lb(lb), b(lb.b), loc(lb.loc), p(p), act(act), lo(lo), hi(hi), x(x),
        w(w), scales(scales), bias(bias), out(out) {
    fTy = VectorType::get({p.vl}, b.getF32Type());
    iTy = VectorType::get({p.vl}, b.getI32Type());
  }

  void emit() {
    int64_t chunks = std::max<int64_t>(1, std::min(p.threads, p.panels()));
    lb.parallel(chunks, [&](Value t) {
      auto [p0, p1] = panelRange(lb, t, p.panels(), chunks);
      lb.forLoop(p0, p1, lb.idx(1), [&](Value jp) {
        int64_t mFull = p.m / p.mr * p.mr;
        if (mFull > 0)
          lb.forLoop(lb.idx(0), lb.idx(mFull), lb.idx(p.mr),
                     [&](Value i0) { emitTile(p.mr, i0, jp); });
        if (mFull < p.m)
          emitTile(p.m - mFull, lb.idx(mFull), jp);
      });
    });
  }

private:
  Value fzero() { return lb.splat(fTy, b.getF32FloatAttr(0)); }

  void emitTile(int64_t rows, Value i0, Value jp) {
    int64_t nv = p.nv;
    // Two partial-sum sets for one row (even / odd k) so that the FMA
    // chains overlap; one set per row otherwise.
    int64_t sets = rows == 1 ? 2 : 1;
    int64_t nAcc = rows * nv;
    SmallVector<Value> init(nAcc, fzero());
    auto groupLoop = scf::ForOp::create(
        b, loc, lb.idx(0), lb.idx(p.groups), lb.idx(1), init,
        [&](OpBuilder &gb, Location gl, Value g, ValueRange acc) {
          OpBuilder::InsertionGuard guard(b);
          b.setInsertionPointToEnd(gb.getInsertionBlock());
          SmallVector<Value> pinit(sets * nAcc, fzero());
          Value kw0 = lb.mul(g, lb.idx(p.groupWords()));
          auto kLoop = scf::ForOp::create(
              b, loc, kw0, lb.add(kw0, lb.idx(p.groupWords())), lb.idx(1),
              pinit, [&](OpBuilder &kb, Location kl, Value kw, ValueRange pa) {
                OpBuilder::InsertionGuard guard2(b);
                b.setInsertionPointToEnd(kb.getInsertionBlock());
                scf::YieldOp::create(b, loc,
                                     groupStep(rows, sets, i0, jp, kw, pa));
              });
          SmallVector<Value> next(nAcc);
          for (int64_t v = 0; v < nv; ++v) {
            Value s = vector::LoadOp::create(
                b, loc, fTy, scales, ValueRange{jp, g, lb.idx(v * p.vl)});
            for (int64_t r = 0; r < rows; ++r) {
              Value part = kLoop.getResult(r * nv + v);
              if (sets == 2)
                part = arith::AddFOp::create(
                    b, loc, part, kLoop.getResult(nAcc + r * nv + v));
              next[r * nv + v] =
                  vector::FMAOp::create(b, loc, part, s, acc[r * nv + v]);
            }
          }
          scf::YieldOp::create(b, loc, next);
        });
    Value n0 = lb.mul(jp, lb.idx(p.nr()));
    for (int64_t v = 0; v < nv; ++v) {
      Value col = lb.add(n0, lb.idx(v * p.vl));
      Value mask = lb.laneMask(col, p.vl, p.n);
      Value bv;
      if (bias)
        bv = vector::MaskedLoadOp::create(b, loc, fTy, bias, ValueRange{col},
                                          mask, fzero());
      for (int64_t r = 0; r < rows; ++r) {
        Value y = groupLoop.getResult(r * nv + v);
        if (bv)
          y = arith::AddFOp::create(b, loc, y, bv);
        if (act == Activation::relu)
          y = arith::MaximumFOp::create(b, loc, y, fzero());
        if (act == Activation::clamp) {
          y = arith::MaximumFOp::create(b, loc, y,
                                        lb.splat(fTy, b.getF32FloatAttr(lo)));
          y = arith::MinimumFOp::create(b, loc, y,
                                        lb.splat(fTy, b.getF32FloatAttr(hi)));
        }
        vector::MaskedStoreOp::create(
            b, loc, out, ValueRange{lb.add(i0, lb.idx(r)), col}, mask, y);
      }
    }
  }

  /// One packed word per lane: unpack its values and FMA them with the
  /// broadcast activations.
  SmallVector<Value> groupStep(int64_t rows, int64_t sets, Value i0, Value jp,
                               Value kw, ValueRange pa) {
    int64_t nv = p.nv, per = p.perWord(), bits = p.bits;
    SmallVector<Value> acc(pa.begin(), pa.end());
    SmallVector<Value> words;
    for (int64_t v = 0; v < nv; ++v)
      words.push_back(vector::LoadOp::create(
          b, loc, iTy, w, ValueRange{jp, kw, lb.idx(v * p.vl)}));
    auto shiftBy = [&](int64_t s) {
      return lb.splat(iTy, b.getI32IntegerAttr(s));
    };
    Value kBase = lb.mul(kw, lb.idx(per));
    for (int64_t j = 0; j < per; ++j) {
      SmallVector<Value> wf;
      for (int64_t v = 0; v < nv; ++v) {
        Value t = words[v];
        int64_t left = 32 - bits * (j + 1);
        if (left)
          t = arith::ShLIOp::create(b, loc, t, shiftBy(left));
        t = arith::ShRSIOp::create(b, loc, t, shiftBy(32 - bits));
        wf.push_back(arith::SIToFPOp::create(b, loc, fTy, t));
      }
      int64_t set = j % sets;
      for (int64_t r = 0; r < rows; ++r) {
        Value xs = memref::LoadOp::create(
            b, loc, x,
            ValueRange{lb.add(i0, lb.idx(r)), lb.add(kBase, lb.idx(j))});
        Value xb = vector::BroadcastOp::create(b, loc, fTy, xs);
        for (int64_t v = 0; v < nv; ++v) {
          int64_t a = set * rows * nv + r * nv + v;
          acc[a] = vector::FMAOp::create(b, loc, xb, wf[v], acc[a]);
        }
      }
    }
    return acc;
  }

  LoopBuilder &lb;
  OpBuilder &b;
  Location loc;
  const WeightOnlyPlan &p;
  Activation act;
  float lo, hi;
  Value x, w, scales, bias, out;
  VectorType fTy, iTy;
};

struct QuantizedLinearWeightOnly : CpuKernelPattern<QuantizedLinearOp> {
  using CpuKernelPattern::CpuKernelPattern;

  LogicalResult matchAndRewrite(QuantizedLinearOp op,
                                PatternRewriter &rewriter) const override {
    auto inTy = op.getInput().getType();
    auto outTy = op.getType();
    if (!inTy.getElementType().isF32() || !inTy.hasStaticShape() ||
        !outTy.hasStaticShape())
      return failure();
    Activation act = op.getActivation();
    if (act != Activation::none && act != Activation::relu &&
        act != Activation::clamp)
      return failure();
    std::optional<ConstWeight> cw = getConstWeight(op.getWeight());
    if (!cw)
      return failure();
    WeightOnlyPlan p;
    p.n = cw->n;
    p.k = cw->k;
    p.m = inTy.getNumElements() / p.k;
    p.groups = cw->groups;
    p.bits = cw->bits;
    p.vl = target.avx512 ? 16 : 8;
    p.threads = hostThreads(threads);
    if (p.k % p.perWord() || (p.k / p.groups) % p.perWord())
      return failure();
    Location loc = op.getLoc();
    std::vector<int32_t> packed = packWeightOnly(*cw, p);
    std::vector<float> scales(p.panels() * p.groups * p.nr(), 0.0f);
    for (int64_t c = 0; c < p.n; ++c)
      for (int64_t g = 0; g < p.groups; ++g)
        scales[((c / p.nr()) * p.groups + g) * p.nr() + c % p.nr()] =
            cw->scales[c * p.groups + g];
    Value wBuf = constBuffer(rewriter, loc, {p.panels(), p.words(), p.nr()},
                             rewriter.getI32Type(), rawOf(packed));
    Value sBuf = constBuffer(rewriter, loc, {p.panels(), p.groups, p.nr()},
                             rewriter.getF32Type(), rawOf(scales));
    auto x2Ty = RankedTensorType::get({p.m, p.k}, rewriter.getF32Type());
    Value xBuf = readBuffer(rewriter, loc,
                            buildReshape(rewriter, loc, op.getInput(), x2Ty));
    Value biasBuf;
    if (op.getBias())
      biasBuf = readBuffer(rewriter, loc, op.getBias());
    auto outMTy = MemRefType::get({p.m, p.n}, rewriter.getF32Type());
    Value out = memref::AllocOp::create(rewriter, loc, outMTy,
                                        rewriter.getI64IntegerAttr(64));
    float lo = 0, hi = 0;
    if (act == Activation::clamp) {
      lo = (float)op.getClampMin()->convertToDouble();
      hi = (float)op.getClampMax()->convertToDouble();
    }
    LoopBuilder lb(rewriter, loc);
    WeightOnlyEmitter(lb, p, act, lo, hi, xBuf, wBuf, sBuf, biasBuf, out)
        .emit();
    Value y = bufferization::ToTensorOp::create(
        rewriter, loc, RankedTensorType::get({p.m, p.n}, rewriter.getF32Type()),
        out, /*restrict=*/true, /*writable=*/true);
    rewriter.replaceOp(op, buildReshape(rewriter, loc, y, outTy));
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Quantized convolution as im2col + quantized_linear
//===----------------------------------------------------------------------===//

/// A dense quantized convolution with a constant weight: the i8 patches
/// [N*OH*OW, KH*KW*C] (padding = the input zero point) times the weight
/// read as [F, KH*KW*C], on the int8 GEMM.
struct QuantizedConvIm2Col : CpuKernelPattern<QuantizedConv2DOp> {
  using CpuKernelPattern::CpuKernelPattern;

  LogicalResult matchAndRewrite(QuantizedConv2DOp op,
                                PatternRewriter &rewriter) const override {
    auto wTy = op.getWeight().getType();
    auto outTy = op.getType();
    if (op.getGroups() != 1 || !wTy.hasStaticShape())
      return failure();
    std::optional<Int8Spec> s = matchInt8(op, rewriter);
    if (!s)
      return failure();
    Location loc = op.getLoc();
    Type st = s->xq.getStorageType();
    int64_t n = outTy.getDimSize(0), oh = outTy.getDimSize(1),
            ow = outTy.getDimSize(2), f = outTy.getDimSize(3);
    int64_t kh = wTy.getDimSize(1), kw = wTy.getDimSize(2),
            c = wTy.getDimSize(3);
    ArrayRef<int64_t> pad = op.getPadding(), str = op.getStrides(),
                      dil = op.getDilations();
    Value x = storageOf(rewriter, loc, op.getInput());
    x = buildPadNHWC(rewriter, loc, x, pad,
                     arith::ConstantOp::create(
                         rewriter, loc, st,
                         rewriter.getIntegerAttr(st, s->xq.getZeroPoint())));
    int64_t m = n * oh * ow, k = kh * kw * c;
    Value p2 = buildIm2Col(rewriter, loc, x, {n, oh, ow}, kh, kw, str, dil);
    Int8Plan p = makeInt8Plan(target, threads, m, f, k);
    Value y = emitInt8Linear(rewriter, loc, p, s->e, p2, s->w.values, s->bias,
                             s->xq.getZeroPoint(), s->w.scales,
                             (float)s->xq.getScale(), op.getMultiplier(),
                             op.getShift());
    rewriter.replaceOp(op, finishInt8(rewriter, loc, y, *s, outTy));
    return success();
  }
};

/// The values of a constant i8 [N, K] weight: `arith.constant` or
/// `arith.extsi(effc.unpack_int4(arith.constant))`.
std::optional<std::vector<int8_t>> getConstI8(Value w, int64_t n, int64_t k) {
  DenseElementsAttr attr;
  if (auto ext = w.getDefiningOp<arith::ExtSIOp>()) {
    auto unpack = ext.getIn().getDefiningOp<UnpackInt4Op>();
    if (!unpack || !matchPattern(unpack.getInput(), m_Constant(&attr)) ||
        attr.getElementType().getIntOrFloatBitWidth() != 8 || k % 2)
      return std::nullopt;
    std::vector<char> raw = getRawBytes(attr, n * k / 2, 1);
    if (raw.empty())
      return std::nullopt;
    return unpackInt4Bytes(raw);
  }
  if (!matchPattern(w, m_Constant(&attr)) ||
      !attr.getElementType().isInteger(8))
    return std::nullopt;
  std::vector<char> raw = getRawBytes(attr, n * k, 1);
  if (raw.empty())
    return std::nullopt;
  return std::vector<int8_t>(raw.begin(), raw.end());
}

/// Static shapes and an f32 / f16 / bf16 result: what the block-scaled
/// kernels take.
bool blockScaledFits(BlockScaledLinearOp op) {
  Type outElt = op.getType().getElementType();
  return op.getInput().getType().hasStaticShape() &&
         op.getWeight().getType().hasStaticShape() &&
         op.getType().hasStaticShape() &&
         (outElt.isF32() || outElt.isF16() || outElt.isBF16());
}

/// The weight scales per K block and output column: wsx[b, c] =
/// ws[c / bn, b] for c < n, zero in the padding columns up to np.
Value expandWeightScales(LoopBuilder &lb, Value wsT, int64_t n, int64_t np,
                         int64_t bn) {
  OpBuilder &b = lb.b;
  Location loc = lb.loc;
  Type f32 = b.getF32Type();
  int64_t nkb = cast<RankedTensorType>(wsT.getType()).getDimSize(1);
  Value ws = readBuffer(b, loc, wsT);
  Value wsx = memref::AllocOp::create(b, loc, MemRefType::get({nkb, np}, f32),
                                      b.getI64IntegerAttr(64));
  linalg::FillOp::create(
      b, loc,
      ValueRange{arith::ConstantOp::create(b, loc, f32, b.getF32FloatAttr(0))},
      ValueRange{wsx});
  lb.forLoop(lb.idx(0), lb.idx(nkb), lb.idx(1), [&](Value kb) {
    lb.forLoop(lb.idx(0), lb.idx(n), lb.idx(1), [&](Value c) {
      Value v = memref::LoadOp::create(b, loc, ws,
                                       ValueRange{lb.div(c, lb.idx(bn)), kb});
      memref::StoreOp::create(b, loc, v, wsx, ValueRange{kb, c});
    });
  });
  return wsx;
}

/// effc.block_scaled_linear with i8 operands and a constant weight: the
/// int8 GEMM (VNNI or plain vectors) with each K block summed exactly in
/// i32 and scaled into f32 accumulators in the reference's order
/// (bit-exact with LowerReferenceQuant.cpp).
struct BlockScaledLinearInt8 : CpuKernelPattern<BlockScaledLinearOp> {
  using CpuKernelPattern::CpuKernelPattern;

  LogicalResult matchAndRewrite(BlockScaledLinearOp op,
                                PatternRewriter &rewriter) const override {
    auto inTy = op.getInput().getType();
    auto wTy = op.getWeight().getType();
    auto outTy = op.getType();
    Type outElt = outTy.getElementType();
    if (!inTy.getElementType().isInteger(8) || !blockScaledFits(op))
      return failure();
    int64_t n = wTy.getDimSize(0), k = wTy.getDimSize(1);
    int64_t bn = op.getBlock()[0], bk = op.getBlock()[1];
    if (bk % 4)
      return failure();
    std::optional<std::vector<int8_t>> w = getConstI8(op.getWeight(), n, k);
    if (!w)
      return failure();
    int64_t m = inTy.getNumElements() / k, nkb = k / bk;
    Int8Plan p = makeInt8Plan(target, threads, m, n, k);
    p.amx = false;
    p.bk = bk;
    int64_t np = p.panels() * p.nr();
    // off[b, n] = -128 * (sum of the block's weights): the u8 shift.
    std::vector<int32_t> off(nkb * np, 0);
    for (int64_t b = 0; b < nkb; ++b)
      for (int64_t c = 0; c < n; ++c) {
        int32_t colsum = 0;
        for (int64_t j = 0; j < bk; ++j)
          colsum += (*w)[c * k + b * bk + j];
        off[b * np + c] = -128 * colsum;
      }
    std::vector<int8_t> packed = packVnni(*w, p);
    Location loc = op.getLoc();
    Type f32 = rewriter.getF32Type();
    Value wBuf = constBuffer(rewriter, loc, {p.panels(), p.kq(), p.nr() * 4},
                             rewriter.getI8Type(), rawOf(packed));
    Value offBuf = constBuffer(rewriter, loc, {nkb, np}, rewriter.getI32Type(),
                               rawOf(off));
    Value x = readBuffer(
        rewriter, loc,
        buildReshape(rewriter, loc, op.getInput(),
                     RankedTensorType::get({m, k}, rewriter.getI8Type())));
    Value xs = readBuffer(rewriter, loc,
                          buildReshape(rewriter, loc, op.getInputScale(),
                                       RankedTensorType::get({m, nkb}, f32)));
    LoopBuilder lb(rewriter, loc);
    Value wsx = expandWeightScales(lb, op.getWeightScale(), n, np, bn);
    Int8Epilogue e;
    e.kind = Int8Epilogue::Float;
    e.outElt = outElt;
    Value out =
        memref::AllocOp::create(rewriter, loc, MemRefType::get({m, n}, outElt),
                                rewriter.getI64IntegerAttr(64));
    Value aux[] = {xs, wsx};
    Int8GemmEmitter(lb, p, e, x, wBuf, offBuf, aux, out).emit();
    Value y = bufferization::ToTensorOp::create(
        rewriter, loc, RankedTensorType::get({m, n}, outElt), out,
        /*restrict=*/true, /*writable=*/true);
    rewriter.replaceOp(op, buildReshape(rewriter, loc, y, outTy));
    return success();
  }
};

/// f8E4M3FN block-scaled GEMM: the weight packed at compile time as fp8
/// bytes [panels, K, NR], each 1 x NR row widened in registers (arith.extf,
/// expanded to integer code by --effc-expand-fp8), the activations widened
/// to f32 once. Per K block the partial sums run in k order with a separate
/// f32 multiply and add (as the reference's generic, so the result is
/// bit-exact with it; an FMA would round differently), then acc +=
/// partial * (xs * ws).
class Fp8BlockEmitter {
public:
  Fp8BlockEmitter(LoopBuilder &lb, int64_t m, int64_t n, int64_t k, int64_t bk,
                  int64_t vl, int64_t mr, int64_t threads, Value x, Value w,
                  Value xs, Value wsx, Value out)
      : lb(lb), b(lb.b), loc(lb.loc), m(m), n(n), k(k), bk(bk), vl(vl), mr(mr),
        threads(threads), x(x), w(w), xs(xs), wsx(wsx), out(out) {
    fTy = VectorType::get({vl}, b.getF32Type());
  }
  static constexpr int64_t nv = 2;
  int64_t nr() const { return vl * nv; }
  int64_t panels() const { return llvm::divideCeil(n, nr()); }

  void emit() {
    int64_t chunks = std::max<int64_t>(1, std::min(threads, panels()));
    lb.parallel(chunks, [&](Value t) {
      auto [p0, p1] = panelRange(lb, t, panels(), chunks);
      lb.forLoop(p0, p1, lb.idx(1), [&](Value jp) {
        int64_t mFull = m / mr * mr;
        if (mFull > 0)
          lb.forLoop(lb.idx(0), lb.idx(mFull), lb.idx(mr),
                     [&](Value i0) { emitTile(mr, i0, jp); });
        if (mFull < m)
          emitTile(m - mFull, lb.idx(mFull), jp);
      });
    });
  }

private:
  scf::ForOp forWithInit(Value lo, Value hi, ValueRange init) {
    return scf::ForOp::create(b, loc, lo, hi, lb.idx(1), init);
  }

  void emitTile(int64_t rows, Value i0, Value jp) {
    Value zero = lb.splat(fTy, b.getF32FloatAttr(0));
    SmallVector<Value> init(rows * nv, zero);
    SmallVector<Value> rowIdx;
    for (int64_t r = 0; r < rows; ++r)
      rowIdx.push_back(lb.add(i0, lb.idx(r)));
    Value n0 = lb.mul(jp, lb.idx(nr()));
    scf::ForOp outer = forWithInit(lb.idx(0), lb.idx(k / bk), init);
    {
      OpBuilder::InsertionGuard g(b);
      b.setInsertionPointToStart(outer.getBody());
      Value kb = outer.getInductionVar();
      Value k0 = lb.mul(kb, lb.idx(bk));
      scf::ForOp inner = forWithInit(k0, lb.add(k0, lb.idx(bk)), init);
      {
        OpBuilder::InsertionGuard g2(b);
        b.setInsertionPointToStart(inner.getBody());
        Value kk = inner.getInductionVar();
        auto bytesTy = VectorType::get({vl}, b.getI8Type());
        auto f8Ty =
            VectorType::get({vl}, Float8E4M3FNType::get(b.getContext()));
        SmallVector<Value> wv;
        for (int64_t v = 0; v < nv; ++v) {
          Value bytes = vector::LoadOp::create(
              b, loc, bytesTy, w, ValueRange{jp, kk, lb.idx(v * vl)});
          Value f8 = arith::BitcastOp::create(b, loc, f8Ty, bytes);
          wv.push_back(arith::ExtFOp::create(b, loc, fTy, f8));
        }
        SmallVector<Value> next(rows * nv);
        for (int64_t r = 0; r < rows; ++r) {
          Value a = vector::BroadcastOp::create(
              b, loc, fTy,
              memref::LoadOp::create(b, loc, x, ValueRange{rowIdx[r], kk}));
          for (int64_t v = 0; v < nv; ++v)
            next[r * nv + v] = arith::AddFOp::create(
                b, loc, inner.getRegionIterArgs()[r * nv + v],
                arith::MulFOp::create(b, loc, a, wv[v]));
        }
        scf::YieldOp::create(b, loc, next);
      }
      SmallVector<Value> next(rows * nv);
      SmallVector<Value> xsv;
      for (int64_t r = 0; r < rows; ++r)
        xsv.push_back(vector::BroadcastOp::create(
            b, loc, fTy,
            memref::LoadOp::create(b, loc, xs, ValueRange{rowIdx[r], kb})));
      for (int64_t v = 0; v < nv; ++v) {
        Value wsv = vector::LoadOp::create(
            b, loc, fTy, wsx, ValueRange{kb, lb.add(n0, lb.idx(v * vl))});
        for (int64_t r = 0; r < rows; ++r) {
          Value s = arith::MulFOp::create(b, loc, xsv[r], wsv);
          Value pf =
              arith::MulFOp::create(b, loc, inner.getResult(r * nv + v), s);
          next[r * nv + v] = arith::AddFOp::create(
              b, loc, outer.getRegionIterArgs()[r * nv + v], pf);
        }
      }
      scf::YieldOp::create(b, loc, next);
    }
    Type outElt = cast<MemRefType>(out.getType()).getElementType();
    for (int64_t v = 0; v < nv; ++v) {
      Value col = lb.add(n0, lb.idx(v * vl));
      Value mask = lb.laneMask(col, vl, n);
      for (int64_t r = 0; r < rows; ++r) {
        Value res = outer.getResult(r * nv + v);
        if (!outElt.isF32())
          res = arith::TruncFOp::create(b, loc, VectorType::get({vl}, outElt),
                                        res);
        vector::MaskedStoreOp::create(b, loc, out, ValueRange{rowIdx[r], col},
                                      mask, res);
      }
    }
  }

  LoopBuilder &lb;
  OpBuilder &b;
  Location loc;
  int64_t m, n, k, bk, vl, mr, threads;
  Value x, w, xs, wsx, out;
  VectorType fTy;
};

/// effc.block_scaled_linear with f8E4M3FN operands and a constant weight.
struct BlockScaledLinearFp8 : CpuKernelPattern<BlockScaledLinearOp> {
  using CpuKernelPattern::CpuKernelPattern;

  LogicalResult matchAndRewrite(BlockScaledLinearOp op,
                                PatternRewriter &rewriter) const override {
    auto inTy = op.getInput().getType();
    auto wTy = op.getWeight().getType();
    auto outTy = op.getType();
    Type outElt = outTy.getElementType();
    if (!isa<Float8E4M3FNType>(inTy.getElementType()) || !blockScaledFits(op))
      return failure();
    int64_t n = wTy.getDimSize(0), k = wTy.getDimSize(1);
    int64_t bn = op.getBlock()[0], bk = op.getBlock()[1];
    DenseElementsAttr attr;
    if (!matchPattern(op.getWeight(), m_Constant(&attr)))
      return failure();
    std::vector<char> raw = getRawBytes(attr, n * k, 1);
    if (raw.empty())
      return failure();
    int64_t m = inTy.getNumElements() / k, nkb = k / bk;
    int64_t vl = target.avx512 ? 16 : 8, mr = target.avx512 ? 4 : 2;
    int64_t nr = vl * Fp8BlockEmitter::nv, panels = llvm::divideCeil(n, nr);
    int64_t np = panels * nr;
    // packed[p, k, c] = w[p * NR + c, k], +0.0 (byte 0) in the padding.
    std::vector<char> packed(panels * k * nr, 0);
    for (int64_t c = 0; c < n; ++c)
      for (int64_t j = 0; j < k; ++j)
        packed[((c / nr) * k + j) * nr + c % nr] = raw[c * k + j];
    Location loc = op.getLoc();
    Type f32 = rewriter.getF32Type();
    Value wBuf = constBuffer(rewriter, loc, {panels, k, nr},
                             rewriter.getI8Type(), packed);
    Value xq =
        buildReshape(rewriter, loc, op.getInput(),
                     RankedTensorType::get({m, k}, inTy.getElementType()));
    Value x =
        readBuffer(rewriter, loc,
                   arith::ExtFOp::create(
                       rewriter, loc, RankedTensorType::get({m, k}, f32), xq));
    Value xs = readBuffer(rewriter, loc,
                          buildReshape(rewriter, loc, op.getInputScale(),
                                       RankedTensorType::get({m, nkb}, f32)));
    LoopBuilder lb(rewriter, loc);
    Value wsx = expandWeightScales(lb, op.getWeightScale(), n, np, bn);
    Value out =
        memref::AllocOp::create(rewriter, loc, MemRefType::get({m, n}, outElt),
                                rewriter.getI64IntegerAttr(64));
    Fp8BlockEmitter(lb, m, n, k, bk, vl, mr, hostThreads(threads), x, wBuf, xs,
                    wsx, out)
        .emit();
    Value y = bufferization::ToTensorOp::create(
        rewriter, loc, RankedTensorType::get({m, n}, outElt), out,
        /*restrict=*/true, /*writable=*/true);
    rewriter.replaceOp(op, buildReshape(rewriter, loc, y, outTy));
    return success();
  }
};

} // namespace

void mlir::effc::populateLowerCpuQuantPatterns(RewritePatternSet &patterns,
                                               const CpuTarget &target,
                                               int64_t threads) {
  MLIRContext *ctx = patterns.getContext();
  patterns
      .add<QuantizedLinearInt8, QuantizedLinearWeightOnly, QuantizedConvIm2Col,
           BlockScaledLinearInt8, BlockScaledLinearFp8>(ctx, target, threads);
}

LogicalResult mlir::effc::finalizeCpuQuantKernels(Operation *root) {
  SmallVector<LLVM::FshlOp> dots;
  root->walk([&](LLVM::FshlOp op) {
    if (op->hasAttr(kVnniDotAttr))
      dots.push_back(op);
  });
  for (LLVM::FshlOp op : dots) {
    auto vecTy = dyn_cast<VectorType>(op.getType());
    if (!vecTy || vecTy.getNumElements() != 16)
      return op.emitError("malformed VNNI dot stand-in");
    OpBuilder b(op);
    Location loc = op.getLoc();
    auto bytesTy = VectorType::get({64}, b.getI8Type());
    Value a = LLVM::BitcastOp::create(b, loc, bytesTy, op.getB());
    Value w = LLVM::BitcastOp::create(b, loc, bytesTy, op.getC());
    Value dot =
        LLVM::CallIntrinsicOp::create(
            b, loc, vecTy, b.getStringAttr("llvm.x86.avx512.vpdpbusd.512"),
            ValueRange{op.getA(), a, w})
            .getResult(0);
    op.replaceAllUsesWith(dot);
    op.erase();
  }
  return success();
}

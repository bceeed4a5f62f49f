//===- LowerCpuQuantInt8.cpp - the int8 GEMM (VNNI, AMX, i32 vectors) -----===//

#include "CpuQuantKernels.h"

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
using namespace mlir::effc::cpuquant;

/// Packs w[N, K] (row-major i8) into [panels, ceil(K/4), NR * 4] bytes:
/// lane c of word kq holds w[p * NR + c, 4 kq .. 4 kq + 3]; zero padded.
std::vector<int8_t> mlir::effc::cpuquant::packVnni(ArrayRef<int8_t> w,
                                                   const Int8Plan &p) {
  int64_t nr = p.nr(), kq = p.kqAlloc();
  std::vector<int8_t> out(p.panels() * kq * nr * 4, 0);
  for (int64_t n = 0; n < p.n; ++n) {
    int64_t panel = n / nr, c = n % nr;
    for (int64_t k = 0; k < p.k; ++k)
      out[((panel * kq + k / 4) * nr + c) * 4 + k % 4] = w[n * p.k + k];
  }
  return out;
}

Int8Plan mlir::effc::cpuquant::makeInt8Plan(const CpuTarget &target,
                                            int64_t threads, int64_t m,
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
  // VNNI, whose broadcast rows waste nothing. A runtime M stays on VNNI
  // too (the AMX loops pad M to whole tiles at compile time).
  p.amx = target.amxInt8 && target.avx512 && !ShapedType::isDynamic(m) &&
          m >= 16 && k <= 16384;
  return p;
}

namespace {

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
    // A runtime M (dynamic batch / sequence) is read from x; the AMX path
    // takes static M only (makeInt8Plan).
    assert((!p.amx || !ShapedType::isDynamic(p.m)) && "AMX needs a static M");
    mRows = ShapedType::isDynamic(p.m) ? memref::DimOp::create(b, loc, x, 0)
                                       : lb.idx(p.m);
    auto xaTy = p.amx
                    ? MemRefType::get({p.mAlloc(), p.kwa() * 4}, b.getI8Type())
                    : MemRefType::get({p.m, p.kwa()}, i32);
    SmallVector<Value> dynSizes;
    if (ShapedType::isDynamic(p.m))
      dynSizes.push_back(mRows);
    Value xa = memref::AllocOp::create(b, loc, xaTy, dynSizes,
                                       b.getI64IntegerAttr(64));
    emitPackA(xa);
    if (p.amx) {
      emitAmx(xa);
      return;
    }
    int64_t chunks = std::max<int64_t>(1, std::min(p.threads, p.panels()));
    lb.parallel(chunks, [&](Value t) {
      auto [p0, p1] = panelRange(lb, t, p.panels(), chunks);
      lb.rowTiles(p.m, mRows, p.mr, [&](int64_t rows, Value begin, Value end) {
        emitBlocks(xa, p0, p1, rows, begin, end);
      });
    });
    // No dealloc: the buffer deallocation pipeline frees `xa`.
  }

private:
  void emitPackA(Value xa) {
    auto v64 = VectorType::get({64}, b.getI8Type());
    Value sign = lb.splat(v64, b.getI8IntegerAttr(-128));
    lb.forLoop(lb.idx(0), mRows, lb.idx(1), [&](Value m) {
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

  void emitBlocks(Value xa, Value p0, Value p1, int64_t rows, Value rowBegin,
                  Value rowEnd) {
    int64_t mc = std::max(p.mc / rows * rows, rows);
    lb.forLoop(rowBegin, rowEnd, lb.idx(mc), [&](Value mc0) {
      Value mcEnd = lb.min(lb.add(mc0, lb.idx(mc)), rowEnd);
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
  Value mRows; // M as an index value (a constant or read from x)
  Type i32;
  VectorType vecTy, bytesTy;
};

/// What the int8 GEMM needs from a quantized linear or convolution.
struct Int8Spec {
  ConstWeight w;
  std::vector<int32_t> bias;
  Int8Epilogue e;
  quant::UniformQuantizedType xq, yq;
  /// An activation the kernel's epilogue does not have (GELU, SiLU...) on
  /// an f32 result: applied by an elementwise pass over the result, on the
  /// f32 value the reference lowering applies it to.
  Activation postActivation = Activation::none;
};

/// Checks that `op` (effc.quantized_linear or effc.quantized_conv2d) fits
/// the int8 kernel: int8 activations, a constant weight with per-tensor or
/// per-channel scales, a constant bias, a none/relu/clamp activation (any
/// other on an f32 result follows the kernel, see Int8Spec).
template <typename OpTy>
std::optional<Int8Spec> matchInt8(OpTy op, Builder &b) {
  auto inTy = cast<RankedTensorType>(op.getInput().getType());
  auto outTy = cast<RankedTensorType>(op.getType());
  Int8Spec s;
  s.xq = dyn_cast<quant::UniformQuantizedType>(inTy.getElementType());
  // Leading (batch, sequence) dims may be runtime sizes; K and N may not.
  if (!s.xq || ShapedType::isDynamic(inTy.getShape().back()) ||
      ShapedType::isDynamic(outTy.getShape().back()) ||
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
  Type outElt = outTy.getElementType();
  if (act != Activation::none && act != Activation::relu &&
      act != Activation::clamp) {
    if (!outElt.isF32())
      return std::nullopt;
    s.postActivation = act;
    act = Activation::none;
  }
  e.act = act;
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

/// The [M, N] result in the op's storage (i32, float or i8) reshaped to
/// `outTy`, with a quant.scast for a requantized result.
/// `input` (the op's [..., K] input) gives the dynamic leading dims of a
/// linear layer's result.
Value finishInt8(PatternRewriter &rewriter, Location loc, Value y,
                 const Int8Spec &s, RankedTensorType outTy,
                 Value input = Value()) {
  auto reshape = [&](RankedTensorType type) {
    if (type.hasStaticShape())
      return buildReshape(rewriter, loc, y, type);
    return buildExpandRows(rewriter, loc, y, type, input);
  };
  if (s.postActivation != Activation::none) {
    auto yTy = cast<RankedTensorType>(y.getType());
    AffineMap id = AffineMap::getMultiDimIdentityMap(2, rewriter.getContext());
    y = buildGeneric(
        rewriter, loc, yTy, ValueRange{y}, buildEmptyLike(rewriter, loc, y),
        {id, id},
        {utils::IteratorType::parallel, utils::IteratorType::parallel},
        [&](OpBuilder &b, Location l, ValueRange a) {
          return buildActivation(b, l, a[0], s.postActivation, std::nullopt,
                                 std::nullopt);
        });
  }
  if (!s.yq)
    return reshape(outTy);
  y = reshape(outTy.clone(s.yq.getStorageType()));
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
    int64_t m = getRowCount(op.getInput().getType());
    Int8Plan p = makeInt8Plan(target, threads, m, n, k);
    Location loc = op.getLoc();
    // The storage integers also give the result's dynamic dims (a
    // tensor.dim of the quantized tensor would keep its quant.scast alive).
    Value storage = storageOf(rewriter, loc, op.getInput());
    Value x = buildCollapseToRows(rewriter, loc, storage);
    Value y = emitInt8Linear(rewriter, loc, p, s->e, x, s->w.values, s->bias,
                             s->xq.getZeroPoint(), s->w.scales,
                             (float)s->xq.getScale(), op.getMultiplier(),
                             op.getShift());
    rewriter.replaceOp(op,
                       finishInt8(rewriter, loc, y, *s, op.getType(), storage));
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
  Value out = allocRows(rewriter, loc, xBuf, p.m, n, e.outElt);
  LoopBuilder lb(rewriter, loc);
  Int8GemmEmitter(lb, p, e, xBuf, wBuf, offBuf, aux, out).emit();
  return bufferization::ToTensorOp::create(
      rewriter, loc, RankedTensorType::get({p.m, n}, e.outElt), out,
      /*restrict=*/true, /*writable=*/true);
}

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
    if (op.getGroups() != 1 || !wTy.hasStaticShape() ||
        !op.getInput().getType().hasStaticShape() || !outTy.hasStaticShape())
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

} // namespace

void mlir::effc::cpuquant::emitInt8Gemm(LoopBuilder &lb, const Int8Plan &p,
                                        const Int8Epilogue &e, Value x, Value w,
                                        Value off, ArrayRef<Value> aux,
                                        Value out) {
  Int8GemmEmitter(lb, p, e, x, w, off, aux, out).emit();
}

void mlir::effc::cpuquant::populateInt8Patterns(RewritePatternSet &patterns,
                                                const CpuTarget &target,
                                                int64_t threads) {
  patterns.add<QuantizedLinearInt8, QuantizedConvIm2Col>(patterns.getContext(),
                                                         target, threads);
}

//===- LowerCpuQuantBlockScaled.cpp - block-scaled int8 and fp8 linears ---===//

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

namespace {

//===----------------------------------------------------------------------===//
// Block-scaled linears (DeepSeek-V3 style)
//===----------------------------------------------------------------------===//

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

/// A static weight, static trailing (K, N) dims and an f32 / f16 / bf16
/// result: what the block-scaled kernels take. `dynamicRows` admits
/// runtime leading dims (batch, sequence).
bool blockScaledFits(BlockScaledLinearOp op, bool dynamicRows) {
  Type outElt = op.getType().getElementType();
  auto staticTail = [&](RankedTensorType t) {
    return dynamicRows ? !ShapedType::isDynamic(t.getShape().back())
                       : t.hasStaticShape();
  };
  return staticTail(op.getInput().getType()) &&
         op.getWeight().getType().hasStaticShape() &&
         staticTail(op.getType()) &&
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
    if (!inTy.getElementType().isInteger(8) ||
        !blockScaledFits(op, /*dynamicRows=*/true))
      return failure();
    int64_t n = wTy.getDimSize(0), k = wTy.getDimSize(1);
    int64_t bn = op.getBlock()[0], bk = op.getBlock()[1];
    // The kernel reads 4 consecutive k per 32-bit lane. K is zero-padded
    // (a zero weight adds nothing, also after the u8 shift) to whole
    // blocks; one K block (per-channel weights with per-token activations:
    // int8 dynamic) of another length, such as a first convolution's 3x3x1
    // or 3x3x3 patches, to a multiple of 4. Several blocks of a length that
    // is not a multiple of 4 are left to the reference.
    int64_t nkb = llvm::divideCeil(k, bk);
    if (nkb > 1 && bk % 4)
      return failure();
    int64_t kp = nkb == 1 ? llvm::alignTo(k, 4) : nkb * bk;
    std::optional<std::vector<int8_t>> w = getConstI8(op.getWeight(), n, k);
    if (!w)
      return failure();
    int64_t m = getRowCount(inTy);
    // Zero-padding K of a runtime row count is left to the reference.
    if (kp != k && ShapedType::isDynamic(m))
      return failure();
    if (kp != k) {
      std::vector<int8_t> padded(n * kp, 0);
      for (int64_t c = 0; c < n; ++c)
        std::copy_n(w->begin() + c * k, k, padded.begin() + c * kp);
      w = std::move(padded);
    }
    Int8Plan p = makeInt8Plan(target, threads, m, n, kp);
    p.amx = false;
    p.bk = nkb == 1 ? kp : bk;
    int64_t np = p.panels() * p.nr();
    // off[b, n] = -128 * (sum of the block's weights): the u8 shift.
    std::vector<int32_t> off(nkb * np, 0);
    for (int64_t b = 0; b < nkb; ++b)
      for (int64_t c = 0; c < n; ++c) {
        int32_t colsum = 0;
        for (int64_t j = 0; j < p.bk; ++j)
          colsum += (*w)[c * kp + b * p.bk + j];
        off[b * np + c] = -128 * colsum;
      }
    std::vector<int8_t> packed = packVnni(*w, p);
    Location loc = op.getLoc();
    Type f32 = rewriter.getF32Type();
    Value wBuf = constBuffer(rewriter, loc, {p.panels(), p.kq(), p.nr() * 4},
                             rewriter.getI8Type(), rawOf(packed));
    Value offBuf = constBuffer(rewriter, loc, {nkb, np}, rewriter.getI32Type(),
                               rawOf(off));
    Value x2 = buildCollapseToRows(rewriter, loc, op.getInput());
    if (kp != k)
      x2 = buildZeroPadHigh(rewriter, loc, x2, {m, kp});
    Value x = readBuffer(rewriter, loc, x2);
    Value xs = readBuffer(
        rewriter, loc, buildCollapseToRows(rewriter, loc, op.getInputScale()));
    LoopBuilder lb(rewriter, loc);
    Value wsx = expandWeightScales(lb, op.getWeightScale(), n, np, bn);
    Int8Epilogue e;
    e.kind = Int8Epilogue::Float;
    e.outElt = outElt;
    Value out = allocRows(rewriter, loc, x, m, n, outElt);
    Value aux[] = {xs, wsx};
    emitInt8Gemm(lb, p, e, x, wBuf, offBuf, aux, out);
    Value y = bufferization::ToTensorOp::create(
        rewriter, loc, RankedTensorType::get({m, n}, outElt), out,
        /*restrict=*/true, /*writable=*/true);
    rewriter.replaceOp(op,
                       buildExpandRows(rewriter, loc, y, outTy, op.getInput()));
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
      // A runtime M (dynamic batch / sequence) is x's row count.
      Value mRows = ShapedType::isDynamic(m)
                        ? memref::DimOp::create(b, loc, x, 0).getResult()
                        : lb.idx(m);
      lb.forLoop(p0, p1, lb.idx(1), [&](Value jp) {
        lb.rowTiles(m, mRows, mr, [&](int64_t rows, Value begin, Value end) {
          if (rows < mr) {
            emitTile(rows, begin, jp); // the remainder: one tile
            return;
          }
          lb.forLoop(begin, end, lb.idx(mr),
                     [&](Value i0) { emitTile(mr, i0, jp); });
        });
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
    if (!isa<Float8E4M3FNType>(inTy.getElementType()) ||
        !blockScaledFits(op, /*dynamicRows=*/true))
      return failure();
    int64_t n = wTy.getDimSize(0), k = wTy.getDimSize(1);
    int64_t bn = op.getBlock()[0], bk = op.getBlock()[1];
    DenseElementsAttr attr;
    if (!matchPattern(op.getWeight(), m_Constant(&attr)))
      return failure();
    std::vector<char> raw = getRawBytes(attr, n * k, 1);
    if (raw.empty())
      return failure();
    // A partial last K block is zero-padded to a whole one in both
    // operands, as the reference does (same sums in the same order).
    int64_t m = getRowCount(inTy), nkb = llvm::divideCeil(k, bk);
    int64_t kp = nkb * bk;
    int64_t vl = target.avx512 ? 16 : 8, mr = target.avx512 ? 4 : 2;
    int64_t nr = vl * Fp8BlockEmitter::nv, panels = llvm::divideCeil(n, nr);
    int64_t np = panels * nr;
    // packed[p, k, c] = w[p * NR + c, k], +0.0 (byte 0) in the padding.
    std::vector<char> packed(panels * kp * nr, 0);
    for (int64_t c = 0; c < n; ++c)
      for (int64_t j = 0; j < k; ++j)
        packed[((c / nr) * kp + j) * nr + c % nr] = raw[c * k + j];
    Location loc = op.getLoc();
    Type f32 = rewriter.getF32Type();
    Value wBuf = constBuffer(rewriter, loc, {panels, kp, nr},
                             rewriter.getI8Type(), packed);
    Value xq = buildZeroPadHigh(
        rewriter, loc, buildCollapseToRows(rewriter, loc, op.getInput()),
        {m, kp});
    Value x =
        readBuffer(rewriter, loc,
                   arith::ExtFOp::create(
                       rewriter, loc, RankedTensorType::get({m, kp}, f32), xq));
    Value xs = readBuffer(
        rewriter, loc, buildCollapseToRows(rewriter, loc, op.getInputScale()));
    LoopBuilder lb(rewriter, loc);
    Value wsx = expandWeightScales(lb, op.getWeightScale(), n, np, bn);
    Value out = allocRows(rewriter, loc, x, m, n, outElt);
    Fp8BlockEmitter(lb, m, n, kp, bk, vl, mr, hostThreads(threads), x, wBuf, xs,
                    wsx, out)
        .emit();
    Value y = bufferization::ToTensorOp::create(
        rewriter, loc, RankedTensorType::get({m, n}, outElt), out,
        /*restrict=*/true, /*writable=*/true);
    rewriter.replaceOp(op,
                       buildExpandRows(rewriter, loc, y, outTy, op.getInput()));
    return success();
  }
};

} // namespace

void mlir::effc::cpuquant::populateBlockScaledPatterns(
    RewritePatternSet &patterns, const CpuTarget &target, int64_t threads) {
  patterns.add<BlockScaledLinearInt8, BlockScaledLinearFp8>(
      patterns.getContext(), target, threads);
}

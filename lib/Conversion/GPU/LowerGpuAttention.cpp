//===- LowerGpuAttention.cpp - flash-attention kernel template --*- C++ -*-===//
//
// The attention kernel of --effc-lower-gpu, after FlashAttention-2: one
// thread block per (batch x head, 64 queries), each of its four warps owns
// 16 query rows. Key tiles of 64 are staged in shared memory (K row-major,
// V transposed, rows padded by 16 bytes against bank conflicts); S = Q K^T
// and O += P V run on mma.sync m16n8k16 with f32 accumulators, and the
// softmax is online: running row maxima and sums in registers, reduced
// across the four threads of a row with shuffles. The m16n8 accumulator
// layout of two adjacent S tiles is the m16n8k16 A-operand layout, so P
// goes from registers straight into the second MMA.
//
//===----------------------------------------------------------------------===//

#include "LowerGpu.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

#include <limits>

using namespace mlir;
using namespace mlir::effc;

static constexpr int64_t kQueryTile = 64, kKeyTile = 64, kThreads = 128;

std::string mlir::effc::checkAttentionSpec(const AttentionSpec &s) {
  if (s.headDim % 16 || s.valueDim % 16 || s.headDim > 128 || s.valueDim > 128)
    return "head dims must be multiples of 16 up to 128";
  if (s.kvHeads <= 0 || s.heads % s.kvHeads)
    return "query heads must be a multiple of key/value heads";
  auto empty = [](int64_t d) { return !ShapedType::isDynamic(d) && d <= 0; };
  if (empty(s.queries) || empty(s.keys) || empty(s.batch))
    return "empty attention";
  if (s.mask &&
      (ShapedType::isDynamic(s.queries) || ShapedType::isDynamic(s.keys) ||
       ShapedType::isDynamic(s.batch)))
    return "explicit masks need static shapes on the GPU (causal and "
           "unmasked attention take runtime lengths)";
  if (s.mask && ((s.maskBatch != 1 && s.maskBatch != s.batch) ||
                 (s.maskHeads != 1 && s.maskHeads != s.heads) ||
                 (s.maskRows != 1 && s.maskRows != s.queries)))
    return "mask dims must be 1 or the scores' batch, heads and queries";
  return "";
}

KernelLaunch mlir::effc::buildAttentionKernel(OpBuilder &builder, Location loc,
                                              gpu::GPUModuleOp module,
                                              StringRef name,
                                              const AttentionSpec &s) {
  MLIRContext *ctx = builder.getContext();
  ImplicitLocOpBuilder b(loc, builder);
  b.setInsertionPointToEnd(module.getBody());
  IndexMath im{b};
  Type elt = s.elementType, f32 = b.getF32Type(), i32 = b.getI32Type();
  const int64_t D = s.headDim, Dv = s.valueDim, Sq = s.queries, Skv = s.keys;
  // A runtime batch makes the (batch x heads) dims dynamic.
  auto perBatch = [&](int64_t n) {
    return ShapedType::isDynamic(s.batch) ? ShapedType::kDynamic : s.batch * n;
  };
  const int64_t bh = perBatch(s.heads), bkv = perBatch(s.kvHeads);
  const int64_t group = s.heads / s.kvHeads;

  auto wg = gpu::AddressSpaceAttr::get(ctx, gpu::AddressSpace::Workgroup);
  auto sKTy =
      MemRefType::get({kKeyTile, D + 8}, elt, MemRefLayoutAttrInterface(), wg);
  auto sVTy =
      MemRefType::get({Dv, kKeyTile + 8}, elt, MemRefLayoutAttrInterface(), wg);
  SmallVector<Type> args = {MemRefType::get({bh, Sq, D}, elt),
                            MemRefType::get({bkv, Skv, D}, elt),
                            MemRefType::get({bkv, Skv, Dv}, elt)};
  if (s.mask)
    args.push_back(
        MemRefType::get({s.maskBatch * s.maskHeads, s.maskRows, Skv}, elt));
  args.push_back(MemRefType::get({bh, Sq, Dv}, elt));
  auto func = gpu::GPUFuncOp::create(b, name, b.getFunctionType(args, {}),
                                     TypeRange{sKTy, sVTy}, TypeRange{});
  func->setAttr(gpu::GPUDialect::getKernelFuncAttrName(), b.getUnitAttr());
  alignWorkgroupBuffers(func);
  b.setInsertionPointToStart(&func.getBody().front());
  Value Q = func.getArgument(0), K = func.getArgument(1),
        V = func.getArgument(2), O = func.getArgument(args.size() - 1);
  Value M = s.mask ? func.getArgument(3) : Value();
  Value sK = func.getWorkgroupAttributions()[0];
  Value sV = func.getWorkgroupAttributions()[1];
  // The lengths as values: constants, or read from Q and K at run time (a
  // dynamic batch only changes the grid).
  Value SqV =
      ShapedType::isDynamic(Sq) ? memref::DimOp::create(b, Q, 1) : im.c(Sq);
  Value SkvV =
      ShapedType::isDynamic(Skv) ? memref::DimOp::create(b, K, 1) : im.c(Skv);
  bool dynamic = ShapedType::isDynamic(Sq) || ShapedType::isDynamic(Skv);
  Value lastQ = ShapedType::isDynamic(Sq) ? im.sub(SqV, 1) : im.c(Sq - 1);
  Value lastKey = ShapedType::isDynamic(Skv) ? im.sub(SkvV, 1) : im.c(Skv - 1);
  // Keys past the queries' diagonal offset: Skv - Sq (causal masks).
  Value diagonal = dynamic ? arith::SubIOp::create(b, SkvV, SqV).getResult()
                           : im.c(Skv - Sq);

  Value tid = gpu::ThreadIdOp::create(b, gpu::Dimension::x);
  Value lane = im.rem(tid, 32), warp = im.div(tid, 32);
  Value g = im.div(lane, 4), q = im.rem(lane, 4);
  // Block y is (batch entry, query head) = (head / H, head % H).
  Value head = gpu::BlockIdOp::create(b, gpu::Dimension::y);
  Value batchIdx = im.div(head, s.heads), headIdx = im.rem(head, s.heads);
  Value kvHead = im.add(im.mul(batchIdx, s.kvHeads), im.div(headIdx, group));
  Value blockQ =
      im.mul(gpu::BlockIdOp::create(b, gpu::Dimension::x), kQueryTile);
  Value q0 = im.add(blockQ, im.mul(warp, 16));
  // The mask's [maskBatch * maskHeads] slice this block reads; broadcast
  // dims read index 0.
  Value maskSlice;
  if (s.mask) {
    if (s.maskBatch == 1)
      maskSlice = s.maskHeads == 1 ? im.c(0) : headIdx;
    else if (s.maskHeads == 1)
      maskSlice = batchIdx;
    else
      maskSlice = im.add(im.mul(batchIdx, s.maskHeads), headIdx);
  }

  auto fragTy = VectorType::get({4, 2}, elt),
       bTy = VectorType::get({2, 2}, elt);
  auto accTy = VectorType::get({2, 2}, f32);
  auto pairTy = VectorType::get({2}, elt);
  auto vec8 = VectorType::get({8}, elt);
  Value zeroAcc = arith::ConstantOp::create(b, accTy, b.getZeroAttr(accTy));
  auto constF = [&](double v) {
    return arith::ConstantOp::create(b, f32, b.getF32FloatAttr(v)).getResult();
  };
  Value negInf = constF(-std::numeric_limits<double>::infinity());

  // The warp's Q fragments stay in registers for the whole loop.
  SmallVector<Value> qFrags;
  for (int64_t ks = 0; ks < D / 16; ++ks) {
    Value frag = arith::ConstantOp::create(b, fragTy, b.getZeroAttr(fragTy));
    for (int64_t i = 0; i < 4; ++i) {
      Value row = im.min(im.add(im.add(q0, g), (i % 2) * 8), lastQ);
      Value col = im.add(im.mul(q, 2), ks * 16 + (i / 2) * 8);
      Value v =
          vector::LoadOp::create(b, pairTy, Q, ValueRange{head, row, col});
      frag = vector::InsertOp::create(b, v, frag, ArrayRef<int64_t>{i});
    }
    qFrags.push_back(frag);
  }
  auto loadB = [&](Value smem, Value rowBase, int64_t colBase) {
    Value frag = arith::ConstantOp::create(b, bTy, b.getZeroAttr(bTy));
    for (int64_t i = 0; i < 2; ++i) {
      Value row = im.add(rowBase, g);
      Value col = im.add(im.mul(q, 2), colBase + i * 8);
      Value v = vector::LoadOp::create(b, pairTy, smem, ValueRange{row, col});
      frag = vector::InsertOp::create(b, v, frag, ArrayRef<int64_t>{i});
    }
    return frag;
  };
  // Reduces across the four threads that share a row.
  auto quadReduce = [&](Value v, bool isMax) {
    for (int64_t offset : {1, 2}) {
      Value other =
          gpu::ShuffleOp::create(
              b, v,
              arith::ConstantOp::create(b, i32, b.getI32IntegerAttr(offset)),
              arith::ConstantOp::create(b, i32, b.getI32IntegerAttr(32)),
              gpu::ShuffleMode::XOR)
              .getShuffleResult();
      v = isMax ? arith::MaximumFOp::create(b, v, other).getResult()
                : arith::AddFOp::create(b, v, other).getResult();
    }
    return v;
  };

  // Key tiles this block needs: all, or (causal) up to the last key its
  // last query row sees.
  Value upper =
      ShapedType::isDynamic(Skv)
          ? arith::CeilDivUIOp::create(b, SkvV, im.c(kKeyTile)).getResult()
          : im.c((Skv + kKeyTile - 1) / kKeyTile);
  if (s.causal) {
    Value lastRow = im.min(im.add(blockQ, kQueryTile - 1), lastQ);
    Value lim = arith::AddIOp::create(
        b, lastRow, dynamic ? im.add(diagonal, 1) : im.c(Skv - Sq + 1));
    Value tiles = arith::CeilDivSIOp::create(b, lim, im.c(kKeyTile));
    upper = arith::MaxSIOp::create(b, im.c(0),
                                   arith::MinSIOp::create(b, tiles, upper));
  }

  const int64_t dTiles = Dv / 8;
  SmallVector<Value> init(dTiles, zeroAcc);
  init.append({negInf, negInf, constF(0), constF(0)}); // m0, m1, l0, l1
  auto loop = scf::ForOp::create(b, im.c(0), upper, im.c(1), init);
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(loop.getBody());
    Value kt = loop.getInductionVar();
    Value keyBase = im.mul(kt, kKeyTile);
    ValueRange iter = loop.getRegionIterArgs();
    Value zero8 = arith::ConstantOp::create(b, vec8, b.getZeroAttr(vec8));
    // Stage K [keys, D] and V^T [Dv, keys]; keys past Skv are zeros.
    auto stage = [&](Value src, int64_t width, bool transpose) {
      for (int64_t it = 0; it < kKeyTile * width / 8 / kThreads; ++it) {
        Value chunk = im.add(tid, it * kThreads);
        Value row = im.div(chunk, width / 8);
        Value col = im.mul(im.rem(chunk, width / 8), 8);
        Value key = im.add(keyBase, row);
        Value v = vector::LoadOp::create(
            b, vec8, src, ValueRange{kvHead, im.min(key, lastKey), col});
        v = arith::SelectOp::create(b, im.lt(key, SkvV), v, zero8);
        if (!transpose) {
          vector::StoreOp::create(b, v, sK, ValueRange{row, col});
          continue;
        }
        for (int64_t e = 0; e < 8; ++e)
          memref::StoreOp::create(
              b, vector::ExtractOp::create(b, v, ArrayRef<int64_t>{e}), sV,
              ValueRange{im.add(col, e), row});
      }
    };
    stage(K, D, false);
    stage(V, Dv, true);
    gpu::BarrierOp::create(b);

    // S = Q K^T for the warp's 16 rows and the tile's 64 keys.
    SmallVector<Value> sTiles;
    for (int64_t nt = 0; nt < kKeyTile / 8; ++nt) {
      Value acc = zeroAcc;
      for (int64_t ks = 0; ks < D / 16; ++ks)
        acc = nvgpu::MmaSyncOp::create(b, qFrags[ks],
                                       loadB(sK, im.c(nt * 8), ks * 16), acc,
                                       ArrayRef<int64_t>{16, 8, 16});
      sTiles.push_back(acc);
    }
    // Scale and mask; scores[nt][i][j] for row g + 8i, key 8nt + 2q + j.
    Value scale = constF(s.scale);
    SmallVector<Value> scores(kKeyTile / 8 * 4);
    // Additive mask values, read at clamped indices (keys past Skv are
    // masked below; rows past Sq are not stored). A mask broadcast over
    // the rows is read once for both of a thread's rows.
    auto maskAt = [&](Value row, Value key) -> Value {
      Value r = s.maskRows == 1 ? im.c(0) : im.min(row, lastQ);
      Value m = memref::LoadOp::create(
          b, M, ValueRange{maskSlice, r, im.min(key, lastKey)});
      return arith::ExtFOp::create(b, f32, m);
    };
    for (int64_t nt = 0; nt < kKeyTile / 8; ++nt)
      for (int64_t j = 0; j < 2; ++j) {
        Value key = im.add(im.add(keyBase, nt * 8 + j), im.mul(q, 2));
        Value rowMask;
        if (s.mask && s.maskRows == 1)
          rowMask = maskAt(Value(), key);
        for (int64_t i = 0; i < 2; ++i) {
          Value row;
          if (s.causal || (s.mask && !rowMask))
            row = im.add(im.add(q0, g), i * 8);
          Value v =
              vector::ExtractOp::create(b, sTiles[nt], ArrayRef<int64_t>{i, j});
          v = arith::MulFOp::create(b, v, scale);
          if (s.mask)
            v = arith::AddFOp::create(b, v,
                                      rowMask ? rowMask : maskAt(row, key));
          Value masked =
              arith::CmpIOp::create(b, arith::CmpIPredicate::uge, key, SkvV);
          if (s.causal) {
            // Key j is visible to row i iff j <= i + (Skv - Sq).
            Value late =
                arith::CmpIOp::create(b, arith::CmpIPredicate::sgt, key,
                                      arith::AddIOp::create(b, row, diagonal));
            masked = arith::OrIOp::create(b, masked, late);
          }
          scores[nt * 4 + i * 2 + j] =
              arith::SelectOp::create(b, masked, negInf, v);
        }
      }
    // Online softmax per row.
    SmallVector<Value> base(2), alpha(2), lNew(2);
    SmallVector<Value> probs(scores.size());
    SmallVector<Value> mNew(2);
    for (int64_t i = 0; i < 2; ++i) {
      Value mx = negInf;
      for (int64_t nt = 0; nt < kKeyTile / 8; ++nt)
        for (int64_t j = 0; j < 2; ++j)
          mx = arith::MaximumFOp::create(b, mx, scores[nt * 4 + i * 2 + j]);
      mx = quadReduce(mx, /*isMax=*/true);
      mNew[i] = arith::MaximumFOp::create(b, iter[dTiles + i], mx);
      // A row that has seen no key yet keeps exp() finite.
      Value empty =
          arith::CmpFOp::create(b, arith::CmpFPredicate::OEQ, mNew[i], negInf);
      base[i] = arith::SelectOp::create(b, empty, constF(0), mNew[i]);
      alpha[i] = math::ExpOp::create(
          b, arith::SubFOp::create(b, iter[dTiles + i], base[i]));
      Value sum = constF(0);
      for (int64_t nt = 0; nt < kKeyTile / 8; ++nt)
        for (int64_t j = 0; j < 2; ++j) {
          int64_t at = nt * 4 + i * 2 + j;
          probs[at] = math::ExpOp::create(
              b, arith::SubFOp::create(b, scores[at], base[i]));
          sum = arith::AddFOp::create(b, sum, probs[at]);
        }
      sum = quadReduce(sum, /*isMax=*/false);
      lNew[i] = arith::AddFOp::create(
          b, arith::MulFOp::create(b, iter[dTiles + 2 + i], alpha[i]), sum);
    }
    // O = O * alpha + P V.
    SmallVector<Value> pFrags;
    for (int64_t kk = 0; kk < kKeyTile / 16; ++kk) {
      Value frag = arith::ConstantOp::create(b, fragTy, b.getZeroAttr(fragTy));
      for (int64_t r = 0; r < 4; ++r) {
        int64_t nt = 2 * kk + r / 2, i = r % 2;
        Value lo = arith::TruncFOp::create(b, elt, probs[nt * 4 + i * 2]);
        Value hi = arith::TruncFOp::create(b, elt, probs[nt * 4 + i * 2 + 1]);
        Value pair =
            vector::FromElementsOp::create(b, pairTy, ValueRange{lo, hi});
        frag = vector::InsertOp::create(b, pair, frag, ArrayRef<int64_t>{r});
      }
      pFrags.push_back(frag);
    }
    SmallVector<Value> yields;
    for (int64_t nd = 0; nd < dTiles; ++nd) {
      Value acc = iter[nd];
      for (int64_t i = 0; i < 2; ++i)
        for (int64_t j = 0; j < 2; ++j) {
          Value v = vector::ExtractOp::create(b, acc, ArrayRef<int64_t>{i, j});
          acc =
              vector::InsertOp::create(b, arith::MulFOp::create(b, v, alpha[i]),
                                       acc, ArrayRef<int64_t>{i, j});
        }
      for (int64_t kk = 0; kk < kKeyTile / 16; ++kk)
        acc = nvgpu::MmaSyncOp::create(b, pFrags[kk],
                                       loadB(sV, im.c(nd * 8), kk * 16), acc,
                                       ArrayRef<int64_t>{16, 8, 16});
      yields.push_back(acc);
    }
    yields.append({mNew[0], mNew[1], lNew[0], lNew[1]});
    gpu::BarrierOp::create(b);
    scf::YieldOp::create(b, yields);
  }

  // O / l; rows that saw no key are zeros.
  for (int64_t nd = 0; nd < dTiles; ++nd)
    for (int64_t i = 0; i < 2; ++i) {
      Value row = im.add(im.add(q0, g), i * 8);
      Value l = loop.getResult(dTiles + 2 + i);
      Value empty =
          arith::CmpFOp::create(b, arith::CmpFPredicate::OEQ, l, constF(0));
      Value inv = arith::SelectOp::create(
          b, empty, constF(0), arith::DivFOp::create(b, constF(1), l));
      auto ifOp = scf::IfOp::create(b, im.lt(row, SqV), false);
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(ifOp.thenBlock());
      SmallVector<Value> pair;
      for (int64_t j = 0; j < 2; ++j) {
        Value v = vector::ExtractOp::create(b, loop.getResult(nd),
                                            ArrayRef<int64_t>{i, j});
        pair.push_back(
            arith::TruncFOp::create(b, elt, arith::MulFOp::create(b, v, inv)));
      }
      vector::StoreOp::create(
          b, vector::FromElementsOp::create(b, pairTy, pair), O,
          ValueRange{head, row, im.add(im.mul(q, 2), nd * 8)});
    }
  gpu::ReturnOp::create(b);
  // Grid x tiles the queries, y runs over (batch, head) pairs; runtime
  // sizes come from Q's dims at launch.
  KernelLaunch launch{func, {0, 0, 1}, {kThreads, 1, 1}};
  launch.setGridDim(0, Sq, kQueryTile, /*arg=*/0, /*dim=*/1);
  launch.setGridDim(1, bh, 1, /*arg=*/0, /*dim=*/0);
  return launch;
}

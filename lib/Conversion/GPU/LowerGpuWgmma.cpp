//===- LowerGpuWgmma.cpp - sm_90a warpgroup GEMM kernel ---------*- C++ -*-===//
//
// The Hopper GEMM of --effc-lower-gpu (chip=sm_90a): one CTA computes a
// 128 x 128 output tile with two consumer warpgroups (rows 0-63 and
// 64-127). K advances in tiles of 128 bytes per row (64 f16/bf16, 128
// int8): thread 0 brings each tile of P and Q into shared memory with two
// TMA loads (cp.async.bulk.tensor, 128B swizzle) that complete on the
// stage's mbarrier, and refills a stage with the tile `kStages` ahead as
// soon as both warpgroups are done with it. Each warpgroup issues
// four `wgmma.mma_async` m64n128 per tile on shared-memory matrix
// descriptors, accumulating in registers, and the epilogue is the one of
// the mma.sync kernel (buildGemmEpilogue). Block-scaled fp8 (e4m3) GEMMs
// multiply each 128-wide K tile into fresh accumulators and add them to
// the running f32 sums times the tile's input-row and weight-block scales
// (DeepSeek-V3's promotion, as DeepGEMM does it).
//
// Shared memory is one dynamic buffer, aligned at run time to 1024 bytes
// (the 128B swizzle repeats every 8 rows of 128 bytes, and wgmma
// descriptors assume atoms that start on that boundary):
//
//   stage s:  P tile [128][128 B] at s * 32 KiB, Q tile at s * 32 KiB + 16 KiB
//   then      kStages mbarriers of 8 bytes.
//
// Register accesses to the accumulators never overlap an in-flight wgmma:
// every tile's group is waited for (wgmma.wait_group 0) before the loop
// carries the accumulators on, so the PTX stays correct whatever copies
// the register allocator inserts.
//
//===----------------------------------------------------------------------===//

#include "LowerGpu.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/ImplicitLocOpBuilder.h"

using namespace mlir;
using namespace mlir::effc;

namespace {

constexpr int64_t kTileM = 128, kTileN = 128;
/// Bytes of one K tile row: the span of the 128B swizzle.
constexpr int64_t kRowBytes = 128;
/// Bytes of K one wgmma consumes (k16 f16/bf16, k32 int8).
constexpr int64_t kStepBytes = 32;
constexpr int64_t kStages = 4;
constexpr int64_t kThreads = 256;
constexpr int64_t kTileBytes = kTileM * kRowBytes; // per operand
constexpr int64_t kStageBytes = 2 * kTileBytes;
constexpr int64_t kSharedAlign = 1024;

NVVM::WGMMATypes wgmmaType(MmaKind kind) {
  switch (kind) {
  case MmaKind::F16:
    return NVVM::WGMMATypes::f16;
  case MmaKind::BF16:
    return NVVM::WGMMATypes::bf16;
  case MmaKind::I8:
    return NVVM::WGMMATypes::s8;
  case MmaKind::F8E4M3:
    return NVVM::WGMMATypes::e4m3;
  case MmaKind::TF32:
  case MmaKind::F32:
    break;
  }
  llvm_unreachable("mma kind");
}

/// The shared-memory matrix descriptor of a K-major operand whose 8-row x
/// 128-byte swizzle atoms are stacked 1024 bytes apart, starting at shared
/// address `addr` (i64): start address >> 4 in bits 0-13, leading byte
/// offset 1 (unused for swizzled K-major operands) in bits 16-29, stride
/// byte offset 1024 >> 4 in bits 32-45, base offset 0, 128B swizzle (1) in
/// bits 62-63.
Value matrixDescriptor(ImplicitLocOpBuilder &b, Value addr) {
  Type i64 = b.getI64Type();
  auto c = [&](uint64_t v) {
    return arith::ConstantOp::create(b, i64, b.getI64IntegerAttr(v))
        .getResult();
  };
  Value start = arith::ShRUIOp::create(
      b, arith::AndIOp::create(b, addr, c(0x3FFFF)), c(4));
  uint64_t fixed =
      (uint64_t(1) << 62) | (uint64_t(1024 >> 4) << 32) | (uint64_t(1) << 16);
  return arith::OrIOp::create(b, start, c(fixed));
}

} // namespace

std::string mlir::effc::checkWgmmaSpec(const GemmSpec &s) {
  if (s.sparse || s.transposeOut)
    return "the wgmma kernel is dense and stores untransposed";
  if (s.kind == MmaKind::F8E4M3) {
    // One K tile (128 e4m3) is one scale block, and one CTA's 128 columns
    // share a weight scale.
    if (!s.blockScaled || s.scaleBlockK != kRowBytes || s.scaleBlockC % kTileN)
      return "the fp8 wgmma kernel takes 128-wide K scale blocks and weight "
             "scale blocks of a multiple of 128 rows";
  } else if (s.blockScaled) {
    return "block scales go with fp8 operands";
  } else if (s.kind != MmaKind::F16 && s.kind != MmaKind::BF16 &&
             s.kind != MmaKind::I8) {
    return "the wgmma kernel takes f16, bf16, int8 or fp8 operands";
  }
  // TMA tensor maps are encoded with static extents.
  if (ShapedType::isDynamic(s.rows) || ShapedType::isDynamic(s.cols))
    return "the wgmma kernel takes static shapes (TMA maps are encoded with "
           "static extents)";
  if (s.rows < kTileM || s.cols < kTileN)
    return "the wgmma kernel needs at least one 128 x 128 output tile";
  if ((s.depth * getMmaElementBytes(s.kind)) % 16)
    return "TMA needs K rows of a multiple of 16 bytes";
  return "";
}

KernelLaunch mlir::effc::buildWgmmaGemmKernel(OpBuilder &builder, Location loc,
                                              gpu::GPUModuleOp module,
                                              StringRef name,
                                              const GemmSpec &s) {
  MLIRContext *ctx = builder.getContext();
  ImplicitLocOpBuilder b(loc, builder);
  b.setInsertionPointToEnd(module.getBody());
  IndexMath im{b};
  Type i32 = b.getI32Type(), i64 = b.getI64Type();
  auto ptrTy = LLVM::LLVMPointerType::get(ctx);
  auto sharedPtrTy = LLVM::LLVMPointerType::get(ctx, /*addressSpace=*/3);
  // TMA writes to shared::cluster addresses; a CTA's own shared::cta
  // window is part of it (a launch without clusters is a 1-CTA cluster).
  auto clusterPtrTy = LLVM::LLVMPointerType::get(ctx, /*addressSpace=*/7);

  const int64_t R = s.rows, C = s.cols, K = s.depth;
  const int64_t eltBytes = getMmaElementBytes(s.kind);
  const int64_t tileK = kRowBytes / eltBytes;
  const int64_t numKTiles = (K + tileK - 1) / tileK;
  const bool integer = s.kind == MmaKind::I8;
  Type accElt = integer ? Type(i32) : Type(b.getF32Type());

  // Kernel signature: the tensor maps of P and Q (pointers to the encoded
  // CUtensorMap in device memory), then the block scales, the epilogue
  // operands and the output, as in buildGemmKernel.
  SmallVector<Type> argTypes = {ptrTy, ptrTy};
  if (s.blockScaled) {
    argTypes.push_back(MemRefType::get({R, numKTiles}, b.getF32Type()));
    argTypes.push_back(MemRefType::get(
        {(C + s.scaleBlockC - 1) / s.scaleBlockC, numKTiles}, b.getF32Type()));
  }
  appendEpilogueArgTypes(b, s, C, argTypes);
  argTypes.push_back(MemRefType::get({R, C}, getStoredType(s)));

  auto func = gpu::GPUFuncOp::create(b, name, b.getFunctionType(argTypes, {}));
  func->setAttr(gpu::GPUDialect::getKernelFuncAttrName(), b.getUnitAttr());
  for (int64_t operand = 0; operand < 2; ++operand)
    func.setArgAttr(
        operand, kTensorMapArgAttr,
        b.getDictionaryAttr(
            {b.getNamedAttr("source", b.getI64IntegerAttr(operand)),
             b.getNamedAttr("box", b.getDenseI64ArrayAttr({kTileM, tileK})),
             b.getNamedAttr("swizzle", b.getI64IntegerAttr(kRowBytes))}));
  Block &entry = func.getBody().front();
  b.setInsertionPointToStart(&entry);

  Value mapP = func.getArgument(0), mapQ = func.getArgument(1);
  unsigned firstEpi = s.blockScaled ? 4 : 2;
  Value xs = s.blockScaled ? func.getArgument(2) : Value();
  Value ws = s.blockScaled ? func.getArgument(3) : Value();
  SmallVector<Value> epiArgs;
  for (unsigned i = firstEpi; i + 1 < func.getNumArguments(); ++i)
    epiArgs.push_back(func.getArgument(i));
  Value out = func.getArguments().back();

  auto c64 = [&](int64_t v) {
    return arith::ConstantOp::create(b, i64, b.getI64IntegerAttr(v))
        .getResult();
  };
  auto c32 = [&](int64_t v) {
    return arith::ConstantOp::create(b, i32, b.getI32IntegerAttr(v))
        .getResult();
  };
  auto toI64 = [&](Value index) {
    return arith::IndexCastUIOp::create(b, i64, index).getResult();
  };
  auto toI32 = [&](Value index) {
    return arith::IndexCastUIOp::create(b, i32, index).getResult();
  };
  auto sharedPtr = [&](Value addr) {
    return LLVM::IntToPtrOp::create(b, sharedPtrTy, addr).getResult();
  };

  // The shared window address of the dynamic buffer, rounded up to 1024.
  auto wg = gpu::AddressSpaceAttr::get(ctx, gpu::AddressSpace::Workgroup);
  Value dyn = gpu::DynamicSharedMemoryOp::create(
      b, MemRefType::get({ShapedType::kDynamic}, b.getI8Type(),
                         MemRefLayoutAttrInterface(), wg));
  Value raw = toI64(memref::ExtractAlignedPointerAsIndexOp::create(b, dyn));
  Value base = arith::AndIOp::create(
      b, arith::AddIOp::create(b, raw, c64(kSharedAlign - 1)),
      c64(~(kSharedAlign - 1)));
  auto stageAddr = [&](Value stage, int64_t offset) {
    Value s64 = toI64(stage);
    return arith::AddIOp::create(
        b, base,
        arith::AddIOp::create(
            b, arith::MulIOp::create(b, s64, c64(kStageBytes)), c64(offset)));
  };
  auto barrier = [&](Value stage) {
    return sharedPtr(arith::AddIOp::create(
        b, arith::AddIOp::create(b, base, c64(kStages * kStageBytes)),
        arith::MulIOp::create(b, toI64(stage), c64(8))));
  };

  Value tid = gpu::ThreadIdOp::create(b, gpu::Dimension::x);
  Value group = im.div(tid, 128);
  Value lane = im.rem(tid, 32), warp = im.rem(im.div(tid, 32), 4);
  Value n0 = im.mul(gpu::BlockIdOp::create(b, gpu::Dimension::x), kTileN);
  Value m0 = im.mul(gpu::BlockIdOp::create(b, gpu::Dimension::y), kTileM);
  Value leader =
      arith::CmpIOp::create(b, arith::CmpIPredicate::eq, tid, im.c(0));
  // The first output row of this thread's accumulators (see the epilogue).
  Value rowBase = im.add(im.add(m0, im.mul(group, 64)),
                         im.add(im.mul(warp, 16), im.div(lane, 4)));

  // One arrival (the leader's arrive.expect_tx) completes each phase.
  {
    auto ifOp = scf::IfOp::create(b, leader, /*withElseRegion=*/false);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(ifOp.thenBlock());
    for (int64_t st = 0; st < kStages; ++st)
      NVVM::MBarrierInitOp::create(b, barrier(im.c(st)), c32(1), Value());
    NVVM::FenceMbarrierInitOp::create(b);
  }
  gpu::BarrierOp::create(b);

  // The leader's loads of K tile `kt` into `stage`: coordinates are
  // innermost first (K element, then row).
  auto issueTile = [&](Value kt, Value stage, Value cond) {
    auto ifOp = scf::IfOp::create(b, cond, /*withElseRegion=*/false);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(ifOp.thenBlock());
    Value bar = barrier(stage);
    NVVM::MBarrierArriveExpectTxOp::create(b, Type(), bar, c32(kStageBytes),
                                           NVVM::MemScopeKind::CTA,
                                           /*relaxed=*/false, Value());
    Value k = toI32(im.mul(kt, tileK));
    for (auto [map, row, offset] :
         {std::tuple{mapP, m0, int64_t(0)}, std::tuple{mapQ, n0, kTileBytes}})
      NVVM::CpAsyncBulkTensorGlobalToSharedClusterOp::create(
          b,
          LLVM::AddrSpaceCastOp::create(b, clusterPtrTy,
                                        sharedPtr(stageAddr(stage, offset))),
          map, ValueRange{k, toI32(row)}, bar, ValueRange{}, Value(), Value(),
          NVVM::TMALoadMode::TILE, /*isCTAOnly=*/false,
          NVVM::CTAGroupKindAttr(), Value());
  };
  for (int64_t p = 0; p < std::min<int64_t>(kStages, numKTiles); ++p)
    issueTile(im.c(p), im.c(p), leader);

  auto accTy = LLVM::LLVMStructType::getLiteral(
      ctx, SmallVector<Type>(kTileN / 2, accElt));
  Value zero = LLVM::ZeroOp::create(b, accTy);
  auto loop = scf::ForOp::create(b, im.c(0), im.c(numKTiles), im.c(1),
                                 ValueRange{zero});
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(loop.getBody());
    Value kt = loop.getInductionVar();
    Value stage = im.rem(kt, kStages);
    Value phase = toI32(im.rem(im.div(kt, kStages), 2));
    NVVM::MBarrierTryWaitParityOp::create(b, barrier(stage), phase,
                                          c32(10'000'000));
    Value acc = loop.getRegionIterArgs()[0];
    // Block-scaled fp8 multiplies each K tile into fresh accumulators
    // (scale-d 0 on the first step) and promotes them below.
    Value tileAcc = s.blockScaled ? zero : acc;
    Value rowOffset =
        arith::MulIOp::create(b, toI64(group), c64(64 * kRowBytes));
    Value pAddr = arith::AddIOp::create(b, stageAddr(stage, 0), rowOffset);
    Value qAddr = stageAddr(stage, kTileBytes);
    NVVM::WgmmaFenceAlignedOp::create(b);
    NVVM::WGMMATypes type = wgmmaType(s.kind);
    for (int64_t ks = 0; ks < kRowBytes / kStepBytes; ++ks) {
      Value descP = matrixDescriptor(
          b, arith::AddIOp::create(b, pAddr, c64(ks * kStepBytes)));
      Value descQ = matrixDescriptor(
          b, arith::AddIOp::create(b, qAddr, c64(ks * kStepBytes)));
      tileAcc = NVVM::WgmmaMmaAsyncOp::create(
          b, accTy, tileAcc, descP, descQ,
          NVVM::MMAShapeAttr::get(ctx, 64, kTileN, kStepBytes / eltBytes), type,
          type, integer ? NVVM::WGMMATypes::s32 : NVVM::WGMMATypes::f32,
          s.blockScaled && ks == 0 ? NVVM::WGMMAScaleOut::zero
                                   : NVVM::WGMMAScaleOut::one,
          NVVM::WGMMAScaleIn::one, NVVM::WGMMAScaleIn::one,
          NVVM::MMALayout::row, NVVM::MMALayout::col,
          /*satfinite=*/NVVM::MMAIntOverflowAttr());
    }
    NVVM::WgmmaGroupSyncAlignedOp::create(b);
    NVVM::WgmmaWaitGroupSyncOp::create(b, uint64_t(0));
    if (s.blockScaled) {
      // DeepSeek-V3 promotion, per 128-wide K block: acc += tile *
      // xs[row][kb] * ws[column block][kb] in f32. A thread's accumulators
      // cover two rows (lane / 4 and 8 below it).
      Value wsv = memref::LoadOp::create(
          b, ws, ValueRange{im.div(n0, s.scaleBlockC), kt});
      Value sc[2];
      for (int64_t half = 0; half < 2; ++half) {
        Value row = im.min(im.add(rowBase, half * 8), R - 1);
        sc[half] = arith::MulFOp::create(
            b, memref::LoadOp::create(b, xs, ValueRange{row, kt}), wsv);
      }
      for (int64_t v = 0; v < kTileN / 2; ++v) {
        Value part = LLVM::ExtractValueOp::create(b, tileAcc, v);
        Value old = LLVM::ExtractValueOp::create(b, acc, v);
        acc = LLVM::InsertValueOp::create(
            b, acc, math::FmaOp::create(b, part, sc[(v / 2) % 2], old), v);
      }
    } else {
      acc = tileAcc;
    }
    // Both warpgroups are done with this stage before the leader refills
    // it with the tile kStages ahead.
    gpu::BarrierOp::create(b);
    Value next = im.add(kt, kStages);
    issueTile(next, stage, im.both(leader, im.lt(next, numKTiles)));
    scf::YieldOp::create(b, acc);
  }

  // Epilogue. Accumulator v of a thread sits at row 16 * warp + lane / 4
  // + 8 * ((v / 2) % 2) of its warpgroup's 64 rows and column 8 * (v / 4)
  // + 2 * (lane % 4) + v % 2 (the wgmma D fragment layout).
  bool guarded = R % kTileM || C % kTileN;
  Value colBase = im.add(n0, im.mul(im.rem(lane, 4), 2));
  for (int64_t v = 0; v < kTileN / 2; ++v) {
    Value r = im.add(rowBase, ((v / 2) % 2) * 8);
    Value c = im.add(colBase, (v / 4) * 8 + v % 2);
    OpBuilder::InsertionGuard guard(b);
    if (guarded) {
      auto ifOp = scf::IfOp::create(b, im.both(im.lt(r, R), im.lt(c, C)),
                                    /*withElseRegion=*/false);
      b.setInsertionPointToStart(ifOp.thenBlock());
    }
    Value acc = LLVM::ExtractValueOp::create(b, loop.getResult(0), v);
    Value y = buildGemmEpilogue(b, s, acc, c, epiArgs);
    memref::StoreOp::create(b, y, out, ValueRange{r, c});
  }
  gpu::ReturnOp::create(b);
  return {func,
          {(C + kTileN - 1) / kTileN, (R + kTileM - 1) / kTileM, 1},
          {kThreads, 1, 1},
          kStages * kStageBytes + kStages * 8 + kSharedAlign};
}

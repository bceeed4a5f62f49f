//===- LowerGpuGemm.cpp - tensor-core GEMM kernel template ------*- C++ -*-===//
//
// The GEMM kernel of --effc-lower-gpu: a 64 x 64 thread-block tile, four
// warps of 32 x 32 (2 x 4 MMA tiles of 16 x 8 each), K tiles staged in
// shared memory by cp.async with double buffering, fragments read from
// shared memory with 32-bit loads, and a fused epilogue. Rows of the shared
// tiles are padded by 16 bytes: the eight rows a fragment load touches then
// start in eight different groups of four banks, so a warp's 32 loads hit
// 32 different banks.
//
//===----------------------------------------------------------------------===//

#include "LowerGpu.h"

#include "effc/Support/LinalgBuilders.h"
#include "effc/Support/QuantBuilders.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/ImplicitLocOpBuilder.h"

using namespace mlir;
using namespace mlir::effc;

namespace {

/// K consumed by one MMA instruction (logical K for sparse).
int64_t mmaK(const GemmSpec &s) {
  if (getMmaElementBytes(s.kind) == 4)
    return 8;
  return s.sparse || getMmaElementBytes(s.kind) == 1 ? 32 : 16;
}

/// The MMA fragment shapes (per thread) of P, Q and the accumulators.
struct FragTypes {
  VectorType a, b, c;
};

FragTypes fragTypes(MLIRContext *ctx, const GemmSpec &s) {
  Type elt = getMmaElementType(ctx, s.kind);
  Type acc = s.kind == MmaKind::I8 ? Type(IntegerType::get(ctx, 32))
                                   : Type(Float32Type::get(ctx));
  int64_t perReg = 4 / getMmaElementBytes(s.kind);
  int64_t bRegs = s.sparse ? 4 : 2;
  return {VectorType::get({4, perReg}, elt),
          VectorType::get({bRegs, perReg}, elt), VectorType::get({2, 2}, acc)};
}

/// `v` (f32) rounded to the nearest tf32 (ties away from zero), as the
/// 32-bit register mma.sync's .tf32 operands read; mma.sync itself would
/// only drop the low mantissa bits.
Value roundToTf32(ImplicitLocOpBuilder &b, Value v) {
  MLIRContext *ctx = b.getContext();
  auto asmOp = LLVM::InlineAsmOp::create(
      b, b.getI32Type(), ValueRange{v}, "cvt.rna.tf32.f32 $0, $1;", "=r,f",
      /*has_side_effects=*/false, /*is_align_stack=*/false,
      LLVM::TailCallKind::None,
      LLVM::AsmDialectAttr::get(ctx, LLVM::AsmDialect::AD_ATT),
      /*operand_attrs=*/ArrayAttr());
  return asmOp.getResult(0);
}

/// A warp MMA: nvgpu mma.sync (f16/i8) and mma.sp.sync (2:4); the bf16,
/// e4m3 and tf32 mma.sync, which the nvgpu-to-nvvm lowering does not
/// handle, as inline PTX on the same register fragments.
Value buildMma(ImplicitLocOpBuilder &b, const GemmSpec &s, Value a, Value q,
               Value acc, Value meta) {
  if (s.sparse)
    return nvgpu::MmaSparseSyncOp::create(b, a, q, acc, meta, {16, 8, 32});
  if (s.kind == MmaKind::F16 || s.kind == MmaKind::I8)
    return nvgpu::MmaSyncOp::create(b, a, q, acc,
                                    ArrayRef<int64_t>{16, 8, mmaK(s)});
  MLIRContext *ctx = b.getContext();
  Type i32 = b.getI32Type(), f32 = b.getF32Type();
  SmallVector<Value> operands;
  auto regs = [&](Value frag, int64_t n) {
    for (int64_t i = 0; i < n; ++i) {
      if (s.kind == MmaKind::TF32) {
        operands.push_back(roundToTf32(
            b, vector::ExtractOp::create(b, frag, ArrayRef<int64_t>{i, 0})));
        continue;
      }
      Value row = vector::ExtractOp::create(b, frag, ArrayRef<int64_t>{i});
      Value word = vector::BitCastOp::create(b, VectorType::get({1}, i32), row);
      operands.push_back(
          vector::ExtractOp::create(b, word, ArrayRef<int64_t>{0}));
    }
  };
  regs(a, 4);
  regs(q, 2);
  for (int64_t i = 0; i < 2; ++i)
    for (int64_t j = 0; j < 2; ++j)
      operands.push_back(
          vector::ExtractOp::create(b, acc, ArrayRef<int64_t>{i, j}));
  auto resTy = LLVM::LLVMStructType::getLiteral(ctx, {f32, f32, f32, f32});
  auto asmOp = LLVM::InlineAsmOp::create(
      b, resTy, operands,
      s.kind == MmaKind::BF16
          ? "mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 "
            "{$0,$1,$2,$3}, {$4,$5,$6,$7}, {$8,$9}, {$10,$11,$12,$13};"
      : s.kind == MmaKind::TF32
          ? "mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32 "
            "{$0,$1,$2,$3}, {$4,$5,$6,$7}, {$8,$9}, {$10,$11,$12,$13};"
          : "mma.sync.aligned.m16n8k32.row.col.f32.e4m3.e4m3.f32 "
            "{$0,$1,$2,$3}, {$4,$5,$6,$7}, {$8,$9}, {$10,$11,$12,$13};",
      "=f,=f,=f,=f,r,r,r,r,r,r,f,f,f,f", /*has_side_effects=*/false,
      /*is_align_stack=*/false, LLVM::TailCallKind::None,
      LLVM::AsmDialectAttr::get(ctx, LLVM::AsmDialect::AD_ATT),
      /*operand_attrs=*/ArrayAttr());
  Value out =
      arith::ConstantOp::create(b, acc.getType(), b.getZeroAttr(acc.getType()));
  for (int64_t i = 0; i < 4; ++i) {
    Value v = LLVM::ExtractValueOp::create(b, asmOp.getResult(0), i);
    out = vector::InsertOp::create(b, v, out, ArrayRef<int64_t>{i / 2, i % 2});
  }
  return out;
}

/// Loads a fragment of `type` from the shared tile `smem[stage]`: row `i`
/// of the fragment is the contiguous run at `rowCol(i)`.
Value loadFragment(ImplicitLocOpBuilder &b, VectorType type, Value smem,
                   Value stage,
                   function_ref<std::pair<Value, Value>(int64_t)> rowCol) {
  Value frag = arith::ConstantOp::create(b, type, b.getZeroAttr(type));
  auto rowTy = VectorType::get({type.getDimSize(1)}, type.getElementType());
  for (int64_t i = 0; i < type.getDimSize(0); ++i) {
    auto [row, col] = rowCol(i);
    Value v =
        vector::LoadOp::create(b, rowTy, smem, ValueRange{stage, row, col});
    frag = vector::InsertOp::create(b, v, frag, ArrayRef<int64_t>{i});
  }
  return frag;
}

} // namespace

int64_t mlir::effc::getMmaElementBytes(MmaKind kind) {
  if (kind == MmaKind::TF32 || kind == MmaKind::F32)
    return 4;
  return kind == MmaKind::F16 || kind == MmaKind::BF16 ? 2 : 1;
}

Type mlir::effc::getMmaElementType(MLIRContext *ctx, MmaKind kind) {
  switch (kind) {
  case MmaKind::F16:
    return Float16Type::get(ctx);
  case MmaKind::BF16:
    return BFloat16Type::get(ctx);
  case MmaKind::I8:
    return IntegerType::get(ctx, 8);
  case MmaKind::F8E4M3:
    return Float8E4M3FNType::get(ctx);
  case MmaKind::TF32:
  case MmaKind::F32:
    return Float32Type::get(ctx);
  }
  llvm_unreachable("mma kind");
}

Type mlir::effc::getStoredType(const GemmSpec &s) {
  if (s.fused)
    return cast<ShapedType>(s.fused->getResult(0).getType()).getElementType();
  return s.outType;
}

Value mlir::effc::applyFusedEpilogue(ImplicitLocOpBuilder &b, const GemmSpec &s,
                                     Value v, Value channel, ValueRange args) {
  if (!s.fused)
    return v;
  Block &body = s.fused->getRegion(0).front();
  IRMapping map;
  map.map(body.getArgument(0), v);
  if (s.fusedChannelType)
    map.map(body.getArgument(1),
            memref::LoadOp::create(b, args.back(), ValueRange{channel}));
  for (Operation &op : body.without_terminator())
    b.clone(op, map);
  return map.lookup(body.getTerminator()->getOperand(0));
}

/// The epilogue before the fused generic.
static Value buildEpilogueCore(ImplicitLocOpBuilder &b, const GemmSpec &s,
                               Value acc, Value channel, ValueRange args);

Value mlir::effc::buildGemmEpilogue(ImplicitLocOpBuilder &b, const GemmSpec &s,
                                    Value acc, Value channel, ValueRange args) {
  return applyFusedEpilogue(b, s, buildEpilogueCore(b, s, acc, channel, args),
                            channel, args);
}

static Value buildEpilogueCore(ImplicitLocOpBuilder &b, const GemmSpec &s,
                               Value acc, Value channel, ValueRange args) {
  Type f32 = b.getF32Type(), i32 = b.getI32Type(), i64 = b.getI64Type();
  auto load = [&](Value memref) {
    return memref::LoadOp::create(b, memref, ValueRange{channel}).getResult();
  };
  if (s.epilogue == GemmEpilogue::Float) {
    Value v = acc;
    if (s.biasType) {
      Value bias = load(args[0]);
      if (bias.getType() != f32)
        bias = arith::ExtFOp::create(b, f32, bias);
      v = arith::AddFOp::create(b, v, bias);
    }
    v = buildActivation(b, b.getLoc(), v, s.activation, s.clampMin, s.clampMax);
    if (s.outType != f32)
      v = arith::TruncFOp::create(b, s.outType, v);
    return v;
  }
  Value v = arith::AddIOp::create(b, acc, load(args[0]));
  switch (s.epilogue) {
  case GemmEpilogue::Int32:
    if (s.activation == Activation::relu)
      v = arith::MaxSIOp::create(
          b, v, arith::ConstantOp::create(b, i32, b.getI32IntegerAttr(0)));
    return v;
  case GemmEpilogue::Dequant: {
    Value f = arith::SIToFPOp::create(b, f32, v);
    f = arith::MulFOp::create(b, f, load(args[1]));
    f = buildActivation(b, b.getLoc(), f, s.activation, s.clampMin, s.clampMax);
    if (s.outType != f32)
      f = arith::TruncFOp::create(b, s.outType, f);
    return f;
  }
  case GemmEpilogue::Requant: {
    // The reference lowering's arithmetic, so results agree bit for bit.
    Value total = arith::AddIOp::create(
        b, arith::ExtSIOp::create(b, i64, load(args[2])),
        arith::ConstantOp::create(b, i64,
                                  b.getI64IntegerAttr(kRequantShiftBase)));
    return buildRequantize(b, b.getLoc(), v, load(args[1]), total, s.range,
                           s.outType);
  }
  case GemmEpilogue::Float:
    break;
  }
  llvm_unreachable("epilogue");
}

void mlir::effc::appendEpilogueArgTypes(Builder &b, const GemmSpec &s,
                                        int64_t channels,
                                        SmallVectorImpl<Type> &types) {
  auto vec = [&](Type t) { types.push_back(MemRefType::get({channels}, t)); };
  if (s.epilogue != GemmEpilogue::Float)
    vec(b.getI32Type());
  else if (s.biasType)
    vec(s.biasType);
  if (s.epilogue == GemmEpilogue::Requant) {
    vec(b.getI32Type());
    vec(b.getI32Type());
  } else if (s.epilogue == GemmEpilogue::Dequant) {
    vec(b.getF32Type());
  }
  if (s.fusedChannelType)
    vec(s.fusedChannelType);
}

void mlir::effc::alignWorkgroupBuffers(gpu::GPUFuncOp func) {
  // cp.async and vector loads need 16-byte aligned shared tiles.
  OpBuilder b(func.getContext());
  for (unsigned i = 0; i < func.getNumWorkgroupAttributions(); ++i)
    func.setWorkgroupAttributionAttr(
        i, b.getStringAttr(LLVM::LLVMDialect::getAlignAttrName()),
        b.getI64IntegerAttr(16));
}

std::string mlir::effc::checkGemmSpec(const GemmSpec &s) {
  int64_t vec = 16 / getMmaElementBytes(s.kind);
  auto empty = [](int64_t d) { return !ShapedType::isDynamic(d) && d <= 0; };
  if (empty(s.rows) || empty(s.cols) || s.depth <= 0)
    return "empty GEMM";
  // The runtime size is the activation side's; the weight side (channels)
  // stays static.
  if (ShapedType::isDynamic(s.transposeOut ? s.rows : s.cols))
    return "the weight side of a GEMM must be static";
  if (s.sparse) {
    // nvgpu's mma.sp lowering handles f16 only.
    if (s.kind != MmaKind::F16)
      return "2:4 sparse kernels take f16 values";
    if (s.depth % 32)
      return "2:4 sparse kernels need K to be a multiple of 32";
    return "";
  }
  if (s.depth % vec)
    return "K must be a multiple of " + std::to_string(vec) +
           " (16-byte rows for cp.async)";
  if (s.blockScaled) {
    if (s.kind != MmaKind::I8 && s.kind != MmaKind::F8E4M3)
      return "block scales go with int8 or fp8 operands";
    if (s.transposeOut || s.scaleBlockC <= 0 || s.scaleBlockK <= 0)
      return "block scales need an untransposed output and positive blocks";
    // One K block: the scales apply in the epilogue; several: each K tile
    // (64 wide) is promoted on its own, so a block must hold whole tiles.
    if (s.scaleBlockK < s.depth && s.scaleBlockK % (2 * mmaK(s)))
      return "block scales need one K block or K blocks that are multiples "
             "of " +
             std::to_string(2 * mmaK(s));
  }
  return "";
}

KernelLaunch mlir::effc::buildGemmKernel(OpBuilder &builder, Location loc,
                                         gpu::GPUModuleOp module,
                                         StringRef name, const GemmSpec &s) {
  MLIRContext *ctx = builder.getContext();
  ImplicitLocOpBuilder b(loc, builder);
  b.setInsertionPointToEnd(module.getBody());
  IndexMath im{b};

  Type elt = getMmaElementType(ctx, s.kind);
  FragTypes frag = fragTypes(ctx, s);
  const int64_t R = s.rows, C = s.cols, K = s.depth;
  const int64_t vec = 16 / getMmaElementBytes(s.kind);
  const int64_t kStep = mmaK(s), tileK = 2 * kStep;
  const int64_t pK = s.sparse ? K / 2 : K,
                tileKP = s.sparse ? tileK / 2 : tileK;
  const int64_t numKTiles = (K + tileK - 1) / tileK;
  const int64_t T = kGemmTile;

  // Kernel signature (R or C may be dynamic: see GemmSpec).
  SmallVector<Type> argTypes;
  argTypes.push_back(MemRefType::get({R, pK}, elt));
  if (s.sparse)
    argTypes.push_back(MemRefType::get({R, K / 16}, b.getI16Type()));
  argTypes.push_back(MemRefType::get({C, K}, elt));
  if (s.blockScaled) {
    int64_t kb = (K + s.scaleBlockK - 1) / s.scaleBlockK;
    argTypes.push_back(MemRefType::get({R, kb}, b.getF32Type()));
    argTypes.push_back(MemRefType::get(
        {(C + s.scaleBlockC - 1) / s.scaleBlockC, kb}, b.getF32Type()));
  }
  int64_t channels = s.transposeOut ? R : C;
  appendEpilogueArgTypes(b, s, channels, argTypes);
  argTypes.push_back(MemRefType::get(s.transposeOut ? ArrayRef<int64_t>{C, R}
                                                    : ArrayRef<int64_t>{R, C},
                                     getStoredType(s)));

  // Double-buffered shared tiles, rows padded by 16 bytes.
  auto wg = gpu::AddressSpaceAttr::get(ctx, gpu::AddressSpace::Workgroup);
  auto sPTy = MemRefType::get({2, T, tileKP + vec}, elt,
                              MemRefLayoutAttrInterface(), wg);
  auto sQTy = MemRefType::get({2, T, tileK + vec}, elt,
                              MemRefLayoutAttrInterface(), wg);
  auto func = gpu::GPUFuncOp::create(b, name, b.getFunctionType(argTypes, {}),
                                     TypeRange{sPTy, sQTy}, TypeRange{});
  func->setAttr(gpu::GPUDialect::getKernelFuncAttrName(), b.getUnitAttr());
  alignWorkgroupBuffers(func);
  Block &entry = func.getBody().front();
  b.setInsertionPointToStart(&entry);

  unsigned argNo = 0;
  Value P = func.getArgument(argNo++);
  Value meta = s.sparse ? func.getArgument(argNo++) : Value();
  Value Q = func.getArgument(argNo++);
  Value xs, ws;
  if (s.blockScaled) {
    xs = func.getArgument(argNo++);
    ws = func.getArgument(argNo++);
  }
  SmallVector<Value> epiArgs;
  while (argNo + 1 < func.getNumArguments())
    epiArgs.push_back(func.getArgument(argNo++));
  Value out = func.getArgument(argNo);
  Value sP = func.getWorkgroupAttributions()[0];
  Value sQ = func.getWorkgroupAttributions()[1];
  // The row counts of P and Q as values: constants, or the runtime size.
  auto extent = [&](int64_t n, Value operand) -> Value {
    if (!ShapedType::isDynamic(n))
      return im.c(n);
    return memref::DimOp::create(b, operand, 0);
  };
  Value rowsV = extent(R, P), colsV = extent(C, Q);

  Value tid = gpu::ThreadIdOp::create(b, gpu::Dimension::x);
  Value lane = im.rem(tid, 32), warp = im.div(tid, 32);
  Value g = im.div(lane, 4), q = im.rem(lane, 4);
  Value wr = im.mul(im.div(warp, 2), 32), wc = im.mul(im.rem(warp, 2), 32);
  Value c0 = im.mul(gpu::BlockIdOp::create(b, gpu::Dimension::x), T);
  Value r0 = im.mul(gpu::BlockIdOp::create(b, gpu::Dimension::y), T);
  Value trueV = arith::ConstantIntOp::create(b, 1, 1);

  // Issues the cp.async copies of K tile `kt` into `stage`; rows past the
  // matrix and tiles past K are zero-filled. Returns the group's token.
  auto copyTile = [&](Value stage, Value kt, Value inRange) {
    SmallVector<Value> tokens;
    auto copy = [&](Value src, Value dst, Value rows, Value rowBase,
                    int64_t cols, int64_t tileCols) {
      int64_t perRow = tileCols / vec;
      for (int64_t it = 0; it < T * perRow / kGemmThreads; ++it) {
        Value chunk = im.add(tid, it * kGemmThreads);
        Value row = im.div(chunk, perRow);
        Value col = im.mul(im.rem(chunk, perRow), vec);
        Value grow = im.add(rowBase, row);
        Value gcol = im.add(arith::MulIOp::create(b, kt, im.c(tileCols)), col);
        Value valid =
            im.both(inRange, im.both(im.lt(grow, rows), im.lt(gcol, cols)));
        Value n = arith::SelectOp::create(b, valid, im.c(vec), im.c(0));
        tokens.push_back(nvgpu::DeviceAsyncCopyOp::create(
            b, dst, ValueRange{stage, row, col}, src,
            ValueRange{im.min(grow, im.sub(rows, 1)), im.min(gcol, cols - vec)},
            b.getIndexAttr(vec), n, b.getUnitAttr()));
      }
    };
    copy(P, sP, rowsV, r0, pK, tileKP);
    copy(Q, sQ, colsV, c0, K, tileK);
    return nvgpu::DeviceAsyncCreateGroupOp::create(b, tokens).getResult();
  };

  // Exact f32: each thread computes its own accumulator elements (the
  // mma.sync C layout: rows g and g + 8, columns 2q and 2q + 1 of each
  // 16 x 8 tile) with FFMAs in K order, reading the operand rows from the
  // shared tiles as vectors.
  auto computeTileFfma = [&](Value stage, SmallVector<Value> accs) {
    auto kTy = VectorType::get({tileK}, elt);
    auto loadRow = [&](Value smem, Value row) {
      return vector::LoadOp::create(b, kTy, smem,
                                    ValueRange{stage, row, im.c(0)})
          .getResult();
    };
    for (int64_t mt = 0; mt < 2; ++mt) {
      Value prow[2];
      for (int64_t i = 0; i < 2; ++i)
        prow[i] = loadRow(sP, im.add(im.add(wr, mt * 16 + i * 8), g));
      for (int64_t nt = 0; nt < 4; ++nt) {
        Value qrow[2];
        for (int64_t j = 0; j < 2; ++j)
          qrow[j] = loadRow(sQ, im.add(im.add(wc, nt * 8 + j), im.mul(q, 2)));
        Value &acc = accs[mt * 4 + nt];
        for (int64_t i = 0; i < 2; ++i)
          for (int64_t j = 0; j < 2; ++j) {
            Value v =
                vector::ExtractOp::create(b, acc, ArrayRef<int64_t>{i, j});
            for (int64_t k = 0; k < tileK; ++k)
              v = math::FmaOp::create(
                  b, vector::ExtractOp::create(b, prow[i], k),
                  vector::ExtractOp::create(b, qrow[j], k), v);
            acc = vector::InsertOp::create(b, v, acc, ArrayRef<int64_t>{i, j});
          }
      }
    }
    return accs;
  };

  // One K tile of MMAs from `stage` into the warp's 2 x 4 accumulators.
  auto computeTile = [&](Value stage, Value kt, SmallVector<Value> accs) {
    if (s.kind == MmaKind::F32)
      return computeTileFfma(stage, accs);
    for (int64_t ks = 0; ks < tileK / kStep; ++ks) {
      int64_t pCol = ks * (s.sparse ? kStep / 2 : kStep), qCol = ks * kStep;
      int64_t pw = frag.a.getDimSize(1), qw = frag.b.getDimSize(1);
      SmallVector<Value> as, metas;
      for (int64_t mt = 0; mt < 2; ++mt) {
        Value rowBase = im.add(wr, mt * 16);
        as.push_back(loadFragment(b, frag.a, sP, stage, [&](int64_t i) {
          Value row = im.add(im.add(rowBase, g), (i % 2) * 8);
          Value col = im.add(im.mul(q, pw), pCol + (i / 2) * pw * 4);
          return std::make_pair(row, col);
        }));
        if (s.sparse) {
          // Threads 0 and 1 of each quad hold the metadata of rows g and
          // g + 8 for K columns [0, 16) and [16, 32) of this step.
          Value grow = im.add(im.add(r0, rowBase), g);
          Value kcol =
              im.add(im.add(arith::MulIOp::create(b, kt, im.c(tileK / 16)),
                            im.rem(lane, 2)),
                     ks * 2);
          kcol = im.min(kcol, K / 16 - 1);
          Value lo = memref::LoadOp::create(
              b, meta, ValueRange{im.min(grow, R - 1), kcol});
          Value hi = memref::LoadOp::create(
              b, meta, ValueRange{im.min(im.add(grow, 8), R - 1), kcol});
          metas.push_back(vector::FromElementsOp::create(
              b, VectorType::get({2}, b.getI16Type()), ValueRange{lo, hi}));
        }
      }
      for (int64_t nt = 0; nt < 4; ++nt) {
        Value qf = loadFragment(b, frag.b, sQ, stage, [&](int64_t i) {
          Value row = im.add(im.add(wc, nt * 8), g);
          Value col = im.add(im.mul(q, qw), qCol + i * qw * 4);
          return std::make_pair(row, col);
        });
        for (int64_t mt = 0; mt < 2; ++mt)
          accs[mt * 4 + nt] = buildMma(b, s, as[mt], qf, accs[mt * 4 + nt],
                                       s.sparse ? metas[mt] : Value());
      }
    }
    return accs;
  };

  // Block scales: with one K block (per-token x per-channel int8, W8A8)
  // the accumulators run over all of K and the scales apply in the
  // epilogue, as the reference lowering does; with several, each K tile's
  // partial sums are promoted into f32 accumulators (DeepSeek-V3).
  const bool scaleInEpilogue = s.blockScaled && s.scaleBlockK >= K;
  const bool promote = s.blockScaled && !scaleInEpilogue;
  Value zeroAcc = arith::ConstantOp::create(b, frag.c, b.getZeroAttr(frag.c));
  SmallVector<Value> init(8, zeroAcc);
  auto carryTy = VectorType::get({2, 2}, b.getF32Type());
  SmallVector<Value> carryInit =
      promote ? SmallVector<Value>(8, arith::ConstantOp::create(
                                          b, carryTy, b.getZeroAttr(carryTy)))
              : init;
  // The weight scale of output column `col` in K block `kb` (the column
  // clamped into the matrix; the stores mask columns past C).
  auto weightScale = [&](Value col, Value kb) -> Value {
    Value row = im.div(im.min(col, C - 1), s.scaleBlockC);
    return memref::LoadOp::create(b, ws, ValueRange{row, kb});
  };
  auto toF32 = [&](Value v) -> Value {
    if (isa<IntegerType>(v.getType()))
      return arith::SIToFPOp::create(b, b.getF32Type(), v);
    return v;
  };
  copyTile(im.c(0), im.c(0), trueV);
  auto loop =
      scf::ForOp::create(b, im.c(0), im.c(numKTiles), im.c(1), carryInit);
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(loop.getBody());
    Value kt = loop.getInductionVar();
    Value stage = im.rem(kt, 2);
    Value next = im.add(kt, 1);
    Value tok = copyTile(arith::SubIOp::create(b, im.c(1), stage), next,
                         im.lt(next, numKTiles));
    nvgpu::DeviceAsyncWaitOp::create(b, tok, b.getI32IntegerAttr(1));
    gpu::BarrierOp::create(b);
    SmallVector<Value> accs(loop.getRegionIterArgs().begin(),
                            loop.getRegionIterArgs().end());
    if (promote) {
      // DeepSeek-V3 promotion: this tile's partial sums times the input
      // row scale and the weight block scale, added in f32. A weight block
      // spanning the CTA's 64 columns has one scale per tile.
      SmallVector<Value> part = computeTile(stage, kt, init);
      Value kb = im.div(im.mul(kt, tileK), s.scaleBlockK);
      bool sharedWs = s.scaleBlockC % kGemmTile == 0;
      Value tileWs = sharedWs ? weightScale(c0, kb) : Value();
      for (int64_t mt = 0; mt < 2; ++mt)
        for (int64_t i = 0; i < 2; ++i) {
          Value row = im.add(im.add(im.add(r0, wr), mt * 16 + i * 8), g);
          Value xsv = memref::LoadOp::create(
              b, xs, ValueRange{im.min(row, im.sub(rowsV, 1)), kb});
          for (int64_t nt = 0; nt < 4; ++nt)
            for (int64_t j = 0; j < 2; ++j) {
              Value col =
                  im.add(im.add(im.add(c0, wc), nt * 8 + j), im.mul(q, 2));
              Value sc = arith::MulFOp::create(
                  b, xsv, sharedWs ? tileWs : weightScale(col, kb));
              Value &acc = accs[mt * 4 + nt];
              Value p = toF32(vector::ExtractOp::create(
                  b, part[mt * 4 + nt], ArrayRef<int64_t>{i, j}));
              Value a =
                  vector::ExtractOp::create(b, acc, ArrayRef<int64_t>{i, j});
              Value v = math::FmaOp::create(b, p, sc, a);
              acc =
                  vector::InsertOp::create(b, v, acc, ArrayRef<int64_t>{i, j});
            }
        }
    } else {
      accs = computeTile(stage, kt, accs);
    }
    gpu::BarrierOp::create(b);
    scf::YieldOp::create(b, accs);
  }

  // Epilogue: each thread stores its 2 x 4 tiles of 2 x 2 elements.
  for (int64_t mt = 0; mt < 2; ++mt)
    for (int64_t nt = 0; nt < 4; ++nt)
      for (int64_t i = 0; i < 2; ++i)
        for (int64_t j = 0; j < 2; ++j) {
          Value r = im.add(im.add(im.add(r0, wr), mt * 16 + i * 8), g);
          Value c = im.add(im.add(im.add(c0, wc), nt * 8 + j), im.mul(q, 2));
          Value inside = im.both(im.lt(r, rowsV), im.lt(c, colsV));
          auto ifOp = scf::IfOp::create(b, inside, /*withElseRegion=*/false);
          OpBuilder::InsertionGuard guard(b);
          b.setInsertionPointToStart(ifOp.thenBlock());
          Value acc = vector::ExtractOp::create(b, loop.getResult(mt * 4 + nt),
                                                ArrayRef<int64_t>{i, j});
          Value v;
          if (scaleInEpilogue) {
            // The reference's order: f32(sum) * (xs * ws).
            Value zero = im.c(0);
            Value sc = arith::MulFOp::create(
                b, memref::LoadOp::create(b, xs, ValueRange{r, zero}),
                weightScale(c, zero));
            v = arith::MulFOp::create(b, toF32(acc), sc);
            if (s.outType != v.getType())
              v = arith::TruncFOp::create(b, s.outType, v);
            v = applyFusedEpilogue(b, s, v, c, epiArgs);
          } else {
            v = buildGemmEpilogue(b, s, acc, s.transposeOut ? r : c, epiArgs);
          }
          memref::StoreOp::create(
              b, v, out, s.transposeOut ? ValueRange{c, r} : ValueRange{r, c});
        }
  gpu::ReturnOp::create(b);
  KernelLaunch launch{func, {0, 0, 1}, {kGemmThreads, 1, 1}};
  // Grid x tiles C (rows of Q), y tiles R (rows of P); a runtime size is
  // divided at launch.
  launch.setGridDim(0, C, T, /*arg=*/s.sparse ? 2 : 1, /*dim=*/0);
  launch.setGridDim(1, R, T, /*arg=*/0, /*dim=*/0);
  return launch;
}

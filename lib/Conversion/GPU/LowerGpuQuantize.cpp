//===- LowerGpuQuantize.cpp - dynamic int8 quantization kernel --*- C++ -*-===//
//
// The device side of W8A8 with per-token scales (effc.dynamic_quantize
// feeding effc.block_scaled_linear, as LLM serving runs int8, and the
// 1 x 128 fp8 activation tiles of DeepSeek-V3): one warp
// per (row, K block) finds the block's absolute maximum with a shuffle
// reduction, writes the scale, and rounds the block to i8 or e4m3 (fp8
// rounding as integer code: --effc-expand-fp8 runs on the kernels). The scalar
// arithmetic is the reference lowering's (ReferenceBuilders), in the same
// order, so the device and the host agree bit for bit.
//
//===----------------------------------------------------------------------===//

#include "LowerGpu.h"

#include "../Reference/ReferenceBuilders.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/ImplicitLocOpBuilder.h"

using namespace mlir;
using namespace mlir::effc;

/// Rows handled by one thread block (one warp each).
static constexpr int64_t kRowsPerBlock = 4;

std::string mlir::effc::checkDynamicQuantizeSpec(const QuantizeSpec &s) {
  if (!s.storage.isSignlessInteger(8) && !isa<Float8E4M3FNType>(s.storage))
    return "the quantization kernel writes i8 or f8E4M3FN";
  if (!s.inputType.isF32() && !s.inputType.isF16() && !s.inputType.isBF16())
    return "the quantization kernel reads f32, f16 or bf16";
  if (s.depth <= 0 || s.blockK <= 0 ||
      (!ShapedType::isDynamic(s.rows) && s.rows <= 0))
    return "empty quantization";
  return "";
}

KernelLaunch mlir::effc::buildDynamicQuantizeKernel(OpBuilder &builder,
                                                    Location loc,
                                                    gpu::GPUModuleOp module,
                                                    StringRef name,
                                                    const QuantizeSpec &s) {
  ImplicitLocOpBuilder b(loc, builder);
  b.setInsertionPointToEnd(module.getBody());
  IndexMath im{b};
  Type f32 = b.getF32Type();
  const int64_t K = s.depth, bk = std::min(s.blockK, s.depth);
  const int64_t kb = (K + bk - 1) / bk;
  SmallVector<Type> args = {MemRefType::get({s.rows, K}, s.inputType),
                            MemRefType::get({s.rows, K}, s.storage),
                            MemRefType::get({s.rows, kb}, f32)};
  auto func = gpu::GPUFuncOp::create(b, name, b.getFunctionType(args, {}));
  func->setAttr(gpu::GPUDialect::getKernelFuncAttrName(), b.getUnitAttr());
  b.setInsertionPointToStart(&func.getBody().front());
  Value X = func.getArgument(0), Q = func.getArgument(1),
        S = func.getArgument(2);

  Value tid = gpu::ThreadIdOp::create(b, gpu::Dimension::x);
  Value lane = im.rem(tid, 32), warp = im.div(tid, 32);
  Value row = im.add(
      im.mul(gpu::BlockIdOp::create(b, gpu::Dimension::x), kRowsPerBlock),
      warp);
  Value blk = gpu::BlockIdOp::create(b, gpu::Dimension::y);
  Value rows = ShapedType::isDynamic(s.rows)
                   ? memref::DimOp::create(b, X, 0).getResult()
                   : im.c(s.rows);
  // A warp past the last row has nothing to do (the whole warp leaves, so
  // the shuffles below always see 32 lanes).
  auto inside = scf::IfOp::create(b, im.lt(row, rows), false);
  b.setInsertionPointToStart(inside.thenBlock());
  Value k0 = im.mul(blk, bk);
  Value end = im.min(im.add(k0, bk), K);
  auto toF32 = [&](Value v) -> Value {
    return v.getType() == f32 ? v : arith::ExtFOp::create(b, f32, v);
  };

  // max |x| over the lane's strided elements, then across the warp.
  Value zero = arith::ConstantOp::create(b, b.getF32FloatAttr(0.0f));
  auto scan =
      scf::ForOp::create(b, im.add(k0, lane), end, im.c(32), ValueRange{zero});
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(scan.getBody());
    Value x =
        memref::LoadOp::create(b, X, ValueRange{row, scan.getInductionVar()});
    Value a = math::AbsFOp::create(b, toF32(x));
    scf::YieldOp::create(b, ValueRange{arith::MaximumFOp::create(
                                b, a, scan.getRegionIterArgs()[0])});
  }
  Value amax = scan.getResult(0);
  Value width = arith::ConstantOp::create(b, b.getI32IntegerAttr(32));
  for (int64_t offset = 16; offset >= 1; offset /= 2) {
    Value other =
        gpu::ShuffleOp::create(
            b, amax, arith::ConstantOp::create(b, b.getI32IntegerAttr(offset)),
            width, gpu::ShuffleMode::XOR)
            .getShuffleResult();
    amax = arith::MaximumFOp::create(b, amax, other);
  }
  // scale = max / qmax; an all-zero block gets scale 1.
  Value scale = arith::DivFOp::create(
      b, amax,
      arith::ConstantOp::create(b, b.getF32FloatAttr(static_cast<float>(
                                       reference::storageMax(s.storage)))));
  Value isZero =
      arith::CmpFOp::create(b, arith::CmpFPredicate::OEQ, amax, zero);
  scale = arith::SelectOp::create(
      b, isZero, arith::ConstantOp::create(b, b.getF32FloatAttr(1.0f)), scale);
  auto first = scf::IfOp::create(
      b, arith::CmpIOp::create(b, arith::CmpIPredicate::eq, lane, im.c(0)),
      false);
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(first.thenBlock());
    memref::StoreOp::create(b, scale, S, ValueRange{row, blk});
  }
  auto write = scf::ForOp::create(b, im.add(k0, lane), end, im.c(32));
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(write.getBody());
    Value k = write.getInductionVar();
    Value x = memref::LoadOp::create(b, X, ValueRange{row, k});
    Value q =
        reference::quantizeScalar(b, b.getLoc(), x, scale, Value(), s.storage);
    memref::StoreOp::create(b, q, Q, ValueRange{row, k});
  }
  b.setInsertionPointAfter(inside);
  gpu::ReturnOp::create(b);

  KernelLaunch launch{func, {0, kb, 1}, {32 * kRowsPerBlock, 1, 1}};
  launch.setGridDim(0, s.rows, kRowsPerBlock, /*arg=*/0, /*dim=*/0);
  return launch;
}

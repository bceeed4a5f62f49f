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
// This file holds the patterns' entry points and the compile-time data the
// kernels share; the kernels are LowerCpuQuantInt8.cpp,
// LowerCpuQuantWeightOnly.cpp and LowerCpuQuantBlockScaled.cpp.
//
//===----------------------------------------------------------------------===//

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

//===----------------------------------------------------------------------===//
// Compile-time data
//===----------------------------------------------------------------------===//

/// Sign-extended int4 values of packed bytes (element 2j is the low nibble
/// of byte j).
std::vector<int8_t> mlir::effc::cpuquant::unpackInt4Bytes(ArrayRef<char> raw) {
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
std::optional<ConstWeight> mlir::effc::cpuquant::getConstWeight(Value w) {
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

/// A compile-time constant as a read-only buffer for the kernels.
Value mlir::effc::cpuquant::constBuffer(OpBuilder &b, Location loc,
                                        ArrayRef<int64_t> shape, Type elt,
                                        ArrayRef<char> raw) {
  auto tt = RankedTensorType::get(shape, elt);
  Value c = arith::ConstantOp::create(
      b, loc, tt, DenseElementsAttr::getFromRawBuffer(tt, raw));
  return bufferization::ToBufferOp::create(b, loc, MemRefType::get(shape, elt),
                                           c, /*read_only=*/true);
}

Value mlir::effc::cpuquant::readBuffer(OpBuilder &b, Location loc, Value t) {
  auto tt = cast<RankedTensorType>(t.getType());
  return bufferization::ToBufferOp::create(
      b, loc, MemRefType::get(tt.getShape(), tt.getElementType()), t,
      /*read_only=*/true);
}

Value mlir::effc::cpuquant::allocRows(OpBuilder &b, Location loc, Value rowsOf,
                                      int64_t m, int64_t n, Type elt) {
  SmallVector<Value> dyn;
  if (ShapedType::isDynamic(m))
    dyn.push_back(memref::DimOp::create(b, loc, rowsOf, 0));
  return memref::AllocOp::create(b, loc, MemRefType::get({m, n}, elt), dyn,
                                 b.getI64IntegerAttr(64));
}

Value mlir::effc::cpuquant::storageOf(OpBuilder &b, Location loc, Value v) {
  auto ty = cast<RankedTensorType>(v.getType());
  auto qt = cast<quant::QuantizedType>(ty.getElementType());
  return quant::StorageCastOp::create(
      b, loc, RankedTensorType::get(ty.getShape(), qt.getStorageType()), v);
}

int64_t mlir::effc::cpuquant::hostThreads(int64_t threads) {
  return threads > 0
             ? threads
             : std::max<int64_t>(1, std::thread::hardware_concurrency());
}

/// Panels [p0, p1) that chunk `t` of `chunks` owns.
std::pair<Value, Value> mlir::effc::cpuquant::panelRange(LoopBuilder &lb,
                                                         Value t,
                                                         int64_t panels,
                                                         int64_t chunks) {
  Value np = lb.idx(panels), ch = lb.idx(chunks);
  return {lb.div(lb.mul(t, np), ch),
          lb.div(lb.mul(lb.add(t, lb.idx(1)), np), ch)};
}

//===----------------------------------------------------------------------===//
// Entry points
//===----------------------------------------------------------------------===//

void mlir::effc::populateLowerCpuQuantPatterns(RewritePatternSet &patterns,
                                               const CpuTarget &target,
                                               int64_t threads) {
  populateInt8Patterns(patterns, target, threads);
  populateWeightOnlyPatterns(patterns, target, threads);
  populateBlockScaledPatterns(patterns, target, threads);
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

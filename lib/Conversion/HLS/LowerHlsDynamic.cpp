//===- LowerHlsDynamic.cpp - effc-lower-hls dynamic int8 layers -*- C++ -*-===//
//
// Dynamic int8 on the FPGA: effc.dynamic_quantize measures each row
// block's absolute maximum in hardware, derives its scale and rounds the
// block to i8; effc.block_scaled_linear accumulates each K block's
// products exactly in an integer and rescales the block sums in f32. Every
// float step is the reference lowering's (lib/Conversion/Reference), in
// the same order and in IEEE f32, so the C simulation is bit-exact with
// the CPU. fp8 (e4m3) blocks are refused: the C++ would have to emulate
// e4m3 rounding and the reference's f32 accumulation order of fp8
// products.
//
//===----------------------------------------------------------------------===//

#include "LowerHls.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"

#include <cmath>

using namespace mlir;
using namespace mlir::effc;
using namespace mlir::effc::hls;

static LogicalResult refuseFp8(Operation *op, Type storage) {
  if (isa<IntegerType>(storage))
    return success();
  return op->emitError("effc-lower-hls: ")
         << storage
         << " blocks are not supported on the HLS path: the C++ would have to "
            "emulate e4m3 rounding and the f32 accumulation order of fp8 "
            "products bit for bit; use int8 dynamic quantization "
            "(activations=i8) for the FPGA";
}

SmallVector<Value> FuncLowering::leadingLoops(Location loc, const Sizes &sizes,
                                              StringRef layer) {
  SmallVector<Value> ivs;
  for (size_t d = 0; d + 1 < sizes.size(); ++d) {
    auto loop = loopTo(loc, sizes[d]);
    if (d == 0)
      loop->setAttr(EffcDialect::kHlsLayerAttrName, b.getStringAttr(layer));
    b.setInsertionPointToStart(loop.getBody());
    ivs.push_back(loop.getInductionVar());
  }
  return ivs;
}

LogicalResult FuncLowering::lowerDynamicQuantize(DynamicQuantizeOp op) {
  auto inTy = cast<RankedTensorType>(op.getInput().getType());
  auto outTy = cast<RankedTensorType>(op.getOutput().getType());
  auto scaleTy = cast<RankedTensorType>(op.getScale().getType());
  Type storage = outTy.getElementType();
  if (failed(refuseFp8(op, storage)))
    return failure();
  ArrayRef<int64_t> block = op.getBlock();
  int64_t rank = inTy.getRank();
  if (rank < 2 || !inTy.getElementType().isF32() ||
      !scaleTy.getElementType().isF32() || int64_t(block.size()) != rank ||
      llvm::any_of(
          block.drop_back(), [](int64_t v) { return v != 1; }) ||
      inTy.isDynamicDim(rank - 1))
    return op.emitError("effc-lower-hls: effc.dynamic_quantize must take an "
                        "f32 [..., K] input (static K) in [1, ..., 1, B] "
                        "blocks (per-row scales) to f32 scales on the HLS "
                        "path");
  int64_t k = inTy.getDimSize(rank - 1), bk = block.back();
  auto it = cast<IntegerType>(storage);
  double qmax = std::ldexp(1.0, it.getWidth() - 1) - 1;
  double qmin = -std::ldexp(1.0, it.getWidth() - 1);
  Location loc = op.getLoc();
  Value in = memOf(op.getInput());
  if (!in)
    return op.emitError("effc-lower-hls: the input of effc.dynamic_quantize "
                        "must be a computed tensor");
  FailureOr<Sizes> inSizes = sizesOf(op.getInput());
  FailureOr<MemRefType> qTy = bufferTypeOf(op.getOutput());
  FailureOr<MemRefType> sTy = bufferTypeOf(op.getScale());
  if (failed(inSizes) || failed(qTy) || failed(sTy))
    return failure();
  Value q = bufferFor(op.getOutput(), *qTy);
  Value scales = bufferFor(op.getScale(), *sTy);
  OpBuilder::InsertionGuard g(b);
  // One loop per leading (row) dim.
  SmallVector<Value> lead = leadingLoops(loc, *inSizes, layerName(op));
  auto at = [&](Value last) {
    SmallVector<Value> idx(lead);
    idx.push_back(last);
    return idx;
  };
  auto blocks = affine::AffineForOp::create(b, loc, 0, k / bk);
  b.setInsertionPointToStart(blocks.getBody());
  Value kb = blocks.getInductionVar();
  AffineExpr d0, d1;
  bindDims(b.getContext(), d0, d1);
  AffineMap col = AffineMap::get(2, 0, {d0 * bk + d1});
  // The block's absolute maximum, then its scale: absmax / qmax, 1 for an
  // all-zero block.
  auto maxLoop =
      affine::AffineForOp::create(b, loc, 0, bk, 1, ValueRange{fcst(loc, 0.0)});
  maxLoop->setAttr(EffcDialect::kHlsPipelineIiAttrName,
                   b.getI64IntegerAttr(opts.targetIi));
  {
    OpBuilder::InsertionGuard g2(b);
    b.setInsertionPointToStart(maxLoop.getBody());
    Value c = affine::AffineApplyOp::create(
        b, loc, col, ValueRange{kb, maxLoop.getInductionVar()});
    Value x = affine::AffineLoadOp::create(b, loc, in, at(c));
    Value a = math::AbsFOp::create(b, loc, x);
    Value mx =
        arith::MaximumFOp::create(b, loc, a, maxLoop.getRegionIterArgs()[0]);
    affine::AffineYieldOp::create(b, loc, mx);
  }
  Value absmax = maxLoop.getResult(0);
  Value s = arith::DivFOp::create(b, loc, absmax, fcst(loc, qmax));
  Value zero = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ, absmax,
                                     fcst(loc, 0.0));
  s = arith::SelectOp::create(b, loc, zero, fcst(loc, 1.0), s);
  affine::AffineStoreOp::create(b, loc, s, scales, at(kb));
  // saturate(round_half_even(x / s)).
  auto qLoop = affine::AffineForOp::create(b, loc, 0, bk);
  qLoop->setAttr(EffcDialect::kHlsPipelineIiAttrName,
                 b.getI64IntegerAttr(opts.targetIi));
  b.setInsertionPointToStart(qLoop.getBody());
  Value c = affine::AffineApplyOp::create(
      b, loc, col, ValueRange{kb, qLoop.getInductionVar()});
  Value x = affine::AffineLoadOp::create(b, loc, in, at(c));
  Value v = arith::DivFOp::create(b, loc, x, s);
  v = math::RoundEvenOp::create(b, loc, v);
  v = arith::MaximumFOp::create(b, loc, v, fcst(loc, qmin));
  v = arith::MinimumFOp::create(b, loc, v, fcst(loc, qmax));
  Value qi = arith::FPToSIOp::create(b, loc, storage, v);
  memref::StoreOp::create(b, loc, qi, q, at(c));
  mem[op.getOutput()] = q;
  mem[op.getScale()] = scales;
  return success();
}

LogicalResult FuncLowering::lowerBlockScaledLinear(BlockScaledLinearOp op) {
  auto inTy = cast<RankedTensorType>(op.getInput().getType());
  auto wTy = cast<RankedTensorType>(op.getWeight().getType());
  auto outTy = cast<RankedTensorType>(op.getType());
  if (failed(refuseFp8(op, storageOf(inTy.getElementType()))))
    return failure();
  int64_t rank = inTy.getRank();
  if (rank < 2 || wTy.getRank() != 2 || !outTy.getElementType().isF32() ||
      inTy.isDynamicDim(rank - 1))
    return op.emitError("effc-lower-hls: effc.block_scaled_linear must be "
                        "[..., K] x [N, K] -> f32 [..., N] (static K) on the "
                        "HLS path");
  int64_t k = inTy.getDimSize(rank - 1);
  int64_t n = wTy.getDimSize(0);
  int64_t bn = op.getBlock()[0], bk = op.getBlock()[1];
  FailureOr<ConstData> w = readConstant(op.getWeight());
  FailureOr<ConstData> ws = readConstant(op.getWeightScale());
  if (failed(w) || w->isFloat() || failed(ws) || !ws->isFloat())
    return op.emitError("effc-lower-hls: the weight and its scales must be "
                        "constants (integer and f32)");
  Value x = memOf(op.getInput()), xs = memOf(op.getInputScale());
  if (!x || !xs)
    return op.emitError("effc-lower-hls: the input and its scales must be "
                        "computed (effc.dynamic_quantize)");
  Location loc = op.getLoc();
  std::string name = layerName(op);
  // Products of two i8 values, their exact sum over a block of bk.
  int64_t wMax = 0;
  for (int64_t v : w->ints)
    wMax = std::max(wMax, std::abs(v));
  unsigned xBits =
      cast<IntegerType>(storageOf(inTy.getElementType())).getWidth();
  int64_t xMax = int64_t(1) << (xBits - 1);
  unsigned pBits = bitsFor(xMax * std::max<int64_t>(wMax, 1));
  unsigned accBits =
      std::min(32u, bitsFor(xMax * std::max<int64_t>(wMax, 1) * bk));
  accBits = std::max(accBits, pBits);
  Value wRom = romInts(loc, name + "_w", w->shape, w->elem, w->ints);
  std::vector<float> wsf(ws->floats.begin(), ws->floats.end());
  Value wsRom = romFloats(loc, name + "_wscale", ws->shape, wsf);
  FailureOr<Sizes> inSizes = sizesOf(op.getInput());
  FailureOr<MemRefType> outMemTy = bufferTypeOf(op.getResult());
  if (failed(inSizes) || failed(outMemTy))
    return failure();
  Value out = bufferFor(op.getResult(), *outMemTy);

  OpBuilder::InsertionGuard g(b);
  SmallVector<Value> lead = leadingLoops(loc, *inSizes, name);
  auto at = [&](Value last) {
    SmallVector<Value> idx(lead);
    idx.push_back(last);
    return idx;
  };
  auto nLoop = affine::AffineForOp::create(b, loc, 0, n);
  b.setInsertionPointToStart(nLoop.getBody());
  Value ni = nLoop.getInductionVar();
  // acc = sum over K blocks, in order, of f32(partial) * (xs * ws), from 0.
  auto kbLoop = affine::AffineForOp::create(b, loc, 0, k / bk, 1,
                                            ValueRange{fcst(loc, 0.0)});
  {
    OpBuilder::InsertionGuard g2(b);
    b.setInsertionPointToStart(kbLoop.getBody());
    Value kb = kbLoop.getInductionVar();
    Type accTy = b.getIntegerType(accBits);
    auto red = affine::AffineForOp::create(b, loc, 0, bk, 1,
                                           ValueRange{cst(loc, accTy, 0)});
    red->setAttr(EffcDialect::kHlsPipelineIiAttrName,
                 b.getI64IntegerAttr(opts.targetIi));
    {
      OpBuilder::InsertionGuard g3(b);
      b.setInsertionPointToStart(red.getBody());
      AffineExpr d0, d1;
      bindDims(b.getContext(), d0, d1);
      Value c = affine::AffineApplyOp::create(
          b, loc, AffineMap::get(2, 0, {d0 * bk + d1}),
          ValueRange{kb, red.getInductionVar()});
      Value xv = affine::AffineLoadOp::create(b, loc, x, at(c));
      Value wv = affine::AffineLoadOp::create(b, loc, wRom, ValueRange{ni, c});
      Value p = arith::MulIOp::create(b, loc, ext(loc, xv, pBits),
                                      ext(loc, wv, pBits));
      Value sum = arith::AddIOp::create(b, loc, red.getRegionIterArgs()[0],
                                        ext(loc, p, accBits));
      affine::AffineYieldOp::create(b, loc, sum);
    }
    Value part = arith::SIToFPOp::create(b, loc, b.getF32Type(),
                                         ext(loc, red.getResult(0), 32));
    Value xsv = affine::AffineLoadOp::create(b, loc, xs, at(kb));
    AffineExpr dn = getAffineDimExpr(0, b.getContext());
    AffineExpr wsRow = bn == n   ? getAffineConstantExpr(0, b.getContext())
                       : bn == 1 ? dn
                                 : dn.floorDiv(bn);
    Value wsv = affine::AffineLoadOp::create(
        b, loc, wsRom,
        AffineMap::get(2, 0, {wsRow, getAffineDimExpr(1, b.getContext())},
                       b.getContext()),
        ValueRange{ni, kb});
    Value s = arith::MulFOp::create(b, loc, xsv, wsv);
    Value prod = arith::MulFOp::create(b, loc, part, s);
    Value acc =
        arith::AddFOp::create(b, loc, kbLoop.getRegionIterArgs()[0], prod);
    affine::AffineYieldOp::create(b, loc, acc);
  }
  affine::AffineStoreOp::create(b, loc, kbLoop.getResult(0), out, at(ni));
  mem[op.getResult()] = out;
  return success();
}

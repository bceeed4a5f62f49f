//===- LowerHlsLayers.cpp - effc-lower-hls matmul-like layers ---*- C++ -*-===//
//
// The loop nests of effc.linear, effc.conv2d and their quantized forms:
// one reduction over a weight row (dense or its non-zeros) per output
// element, with float, fixed-point or exact-width integer bodies and the
// reference's requantization; and the elementwise quant.qcast / quant.dcast
// at a quantized model's float boundary.
//
//===----------------------------------------------------------------------===//

#include "LowerHls.h"
#include "effc/Support/QuantBuilders.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

#include "llvm/ADT/STLExtras.h"

#include <memory>
#include <tuple>

using namespace mlir;
using namespace mlir::effc;
using namespace mlir::effc::hls;

//===----------------------------------------------------------------------===//
// Loop nests
//===----------------------------------------------------------------------===//

void FuncLowering::buildReduction(Location loc, StringRef name,
                                  ArrayRef<AffineExpr> outer,
                                  const InputAccess &x, const WeightLayout &w,
                                  Value out, const Body &body) {
  OpBuilder::InsertionGuard g(b);
  SmallVector<Value> ivs;
  for (auto [i, trip] : llvm::enumerate(outer)) {
    auto loop = loopTo(loc, trip);
    if (i == 0)
      loop->setAttr(EffcDialect::kHlsLayerAttrName, b.getStringAttr(name));
    b.setInsertionPointToStart(loop.getBody());
    ivs.push_back(loop.getInductionVar());
  }
  Value row = ivs.back();
  Value init = body.init(row);
  auto red = affine::AffineForOp::create(b, loc, 0, w.rowLen, 1, init);
  red->setAttr(EffcDialect::kHlsPipelineIiAttrName,
               b.getI64IntegerAttr(opts.targetIi));
  {
    OpBuilder::InsertionGuard g2(b);
    b.setInsertionPointToStart(red.getBody());
    Value k = red.getInductionVar();
    Value acc = red.getRegionIterArgs()[0];
    Value col = k;
    if (w.sparse) {
      Value c =
          affine::AffineLoadOp::create(b, loc, w.cols, ValueRange{row, k});
      col = arith::IndexCastOp::create(b, loc, b.getIndexType(), c);
    }
    // Steps that must not run: the padding of a short compressed row, an
    // input position in a convolution's zero padding.
    Value cond;
    if (w.sparse && w.counts) {
      Value cnt =
          affine::AffineLoadOp::create(b, loc, w.counts, ValueRange{row});
      Value kc = arith::IndexCastOp::create(b, loc, cnt.getType(), k);
      cond = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, kc, cnt);
    }
    if (x.valid)
      if (Value v = x.valid(ivs, col))
        cond = cond ? arith::AndIOp::create(b, loc, cond, v).getResult() : v;
    auto step = [&]() -> Value {
      Value xv = x.load(ivs, col, !w.sparse);
      Value wv = affine::AffineLoadOp::create(
          b, loc, w.sparse ? w.values : w.dense, ValueRange{row, k});
      if (body.prepW)
        wv = body.prepW(wv, row, col);
      return body.add(acc, body.mulAdd(xv, wv));
    };
    Value next;
    if (cond) {
      auto ifOp = scf::IfOp::create(b, loc, TypeRange{body.accType}, cond,
                                    /*withElseRegion=*/true);
      {
        OpBuilder::InsertionGuard g3(b);
        b.setInsertionPointToStart(&ifOp.getThenRegion().front());
        scf::YieldOp::create(b, loc, step());
        b.setInsertionPointToStart(&ifOp.getElseRegion().front());
        scf::YieldOp::create(b, loc, acc);
      }
      next = ifOp.getResult(0);
    } else {
      next = step();
    }
    affine::AffineYieldOp::create(b, loc, next);
  }
  Value y = body.finish(red.getResult(0), row);
  affine::AffineStoreOp::create(b, loc, y, out, ivs);
}

void FuncLowering::buildMatmul(Location loc, StringRef name, Value x,
                               AffineExpr m, int64_t n, const WeightLayout &w,
                               Value out, const Body &body) {
  InputAccess access;
  access.load = [&, x](ValueRange ivs, Value col, bool colIsIv) -> Value {
    if (colIsIv)
      return affine::AffineLoadOp::create(b, loc, x, ValueRange{ivs[0], col});
    return memref::LoadOp::create(b, loc, x, ValueRange{ivs[0], col});
  };
  buildReduction(loc, name, {m, b.getAffineConstantExpr(n)}, access, w, out,
                 body);
}

FuncLowering::InputAccess FuncLowering::convAccess(Location loc, Value x,
                                                   Operation *op,
                                                   ArrayRef<int64_t> wShape) {
  auto xTy = cast<MemRefType>(x.getType());
  int64_t h = xTy.getDimSize(1), wd = xTy.getDimSize(2);
  int64_t c = xTy.getDimSize(3);
  auto conv = dyn_cast<Conv2DOp>(op);
  auto qconv = dyn_cast<QuantizedConv2DOp>(op);
  ArrayRef<int64_t> strides = conv ? conv.getStrides() : qconv.getStrides();
  ArrayRef<int64_t> dil = conv ? conv.getDilations() : qconv.getDilations();
  ArrayRef<int64_t> pad = conv ? conv.getPadding() : qconv.getPadding();
  int64_t groups = conv ? conv.getGroups() : qconv.getGroups();
  int64_t sh = strides[0], sw = strides[1];
  int64_t dh = dil[0], dw = dil[1];
  int64_t pt = pad[0], pl = pad[2];
  bool padded = llvm::any_of(pad, [](int64_t p) { return p != 0; });
  int64_t f = wShape[0], kw = wShape[2], cg = wShape[3];
  int64_t fg = f / groups;
  (void)c;
  // The input position of output (n, oh, ow, f) and column
  // r = (kh * KW + kw) * Cg + ci: index arithmetic that HLS turns into
  // shifts and adds.
  // Computed once per column (the guard and the load share them).
  auto cache =
      std::make_shared<DenseMap<Value, std::tuple<Value, Value, Value>>>();
  auto coords = [=](ValueRange ivs, Value col) {
    if (auto it = cache->find(col); it != cache->end())
      return it->second;
    auto idx = [&](int64_t v) { return cst(loc, b.getIndexType(), v); };
    auto mul = [&](Value a, int64_t v) -> Value {
      return v == 1 ? a : arith::MulIOp::create(b, loc, a, idx(v)).getResult();
    };
    Value khkw = arith::DivSIOp::create(b, loc, col, idx(cg));
    Value ci = arith::RemSIOp::create(b, loc, col, idx(cg));
    Value khv = arith::DivSIOp::create(b, loc, khkw, idx(kw));
    Value kwv = arith::RemSIOp::create(b, loc, khkw, idx(kw));
    // (Operands built one statement at a time: the IR order must not
    // depend on the compiler's argument evaluation order.)
    Value oy = mul(ivs[1], sh), ky = mul(khv, dh);
    Value ih = arith::AddIOp::create(b, loc, oy, ky);
    Value ox = mul(ivs[2], sw), kx = mul(kwv, dw);
    Value iw = arith::AddIOp::create(b, loc, ox, kx);
    if (pt)
      ih = arith::SubIOp::create(b, loc, ih, idx(pt));
    if (pl)
      iw = arith::SubIOp::create(b, loc, iw, idx(pl));
    Value ch = ci;
    if (groups > 1) {
      Value grp = arith::DivSIOp::create(b, loc, ivs[3], idx(fg));
      ch = arith::AddIOp::create(b, loc, mul(grp, cg), ci);
    }
    (*cache)[col] = std::make_tuple(ih, iw, ch);
    return std::make_tuple(ih, iw, ch);
  };
  InputAccess access;
  access.load = [=](ValueRange ivs, Value col, bool) -> Value {
    auto [ih, iw, ch] = coords(ivs, col);
    return memref::LoadOp::create(b, loc, x, ValueRange{ivs[0], ih, iw, ch});
  };
  if (padded)
    access.valid = [=](ValueRange ivs, Value col) -> Value {
      auto [ih, iw, ch] = coords(ivs, col);
      auto idx = [&](int64_t v) { return cst(loc, b.getIndexType(), v); };
      auto cmp = [&](arith::CmpIPredicate p, Value a, int64_t v) -> Value {
        return arith::CmpIOp::create(b, loc, p, a, idx(v));
      };
      Value yLo = cmp(arith::CmpIPredicate::sge, ih, 0);
      Value yHi = cmp(arith::CmpIPredicate::slt, ih, h);
      Value xLo = cmp(arith::CmpIPredicate::sge, iw, 0);
      Value xHi = cmp(arith::CmpIPredicate::slt, iw, wd);
      Value ok = arith::AndIOp::create(b, loc, yLo, yHi);
      ok = arith::AndIOp::create(b, loc, ok, xLo);
      return arith::AndIOp::create(b, loc, ok, xHi);
    };
  return access;
}

void FuncLowering::buildLayer(WeightedOpInterface op, bool isConv,
                              StringRef name, const WeightLayout &w, Value out,
                              const Body &body) {
  Location loc = op->getLoc();
  Value x = memOf(op.getInput());
  auto outTy = cast<RankedTensorType>(op->getResult(0).getType());
  if (!isConv) {
    // The rows may be a runtime size (its sizes were derived when the
    // output array was made).
    AffineExpr m = b.getAffineConstantExpr(outTy.getDimSize(0));
    if (outTy.isDynamicDim(0))
      m = sizes.lookup(op->getResult(0))[0];
    buildMatmul(loc, name, x, m, outTy.getDimSize(1), w, out, body);
    return;
  }
  Sizes shape;
  for (int64_t d : outTy.getShape())
    shape.push_back(b.getAffineConstantExpr(d));
  buildReduction(loc, name, shape, convAccess(loc, x, op, op.getWeightShape()),
                 w, out, body);
}

//===----------------------------------------------------------------------===//
// Float and quantized layers
//===----------------------------------------------------------------------===//

/// Applies a float activation (none, relu, clamp).
static Value floatActivation(OpBuilder &b, Location loc, Value v,
                             Activation act, std::optional<APFloat> lo,
                             std::optional<APFloat> hi) {
  auto c = [&](double x) {
    return arith::ConstantOp::create(b, loc, b.getF32Type(),
                                     b.getF32FloatAttr(x))
        .getResult();
  };
  if (act == Activation::relu)
    return arith::MaximumFOp::create(b, loc, v, c(0.0));
  if (act == Activation::clamp) {
    v = arith::MaximumFOp::create(b, loc, v, c(lo->convertToDouble()));
    return arith::MinimumFOp::create(b, loc, v, c(hi->convertToDouble()));
  }
  return v;
}

/// The activations the HLS layers apply: none, relu and clamp.
static LogicalResult checkActivation(Operation *op, Activation act) {
  if (act == Activation::none || act == Activation::relu ||
      act == Activation::clamp)
    return success();
  return op->emitError("effc-lower-hls: activation ")
         << stringifyActivation(act)
         << " is not supported on the HLS path (none, relu, clamp)";
}

/// The integer weight of a quantized layer (quant.scast of a constant).
static FailureOr<ConstData> requireIntegerWeight(Operation *op,
                                                 FailureOr<ConstData> w) {
  if (failed(w))
    return failure();
  if (w->isFloat())
    return op->emitError("effc-lower-hls: the weight must be an integer "
                         "constant (quant.scast of arith.constant)");
  return w;
}

template <typename OpT> LogicalResult FuncLowering::lowerLinear(OpT op) {
  constexpr bool isConv = std::is_same<OpT, Conv2DOp>::value;
  constexpr bool isSparse = std::is_same<OpT, SparseLinearOp>::value;
  auto inTy = op.getInput().getType();
  if (!inTy.getElementType().isF32())
    return op.emitError("effc-lower-hls: float layers must be f32 (mapped to "
                        "ap_fixed)");
  if (failed(checkActivation(op, op.getActivation())))
    return failure();
  FailureOr<ConstData> w = failure();
  if constexpr (isSparse)
    w = decodeSparseWeight(op);
  else
    w = readLayerWeight(op, isConv);
  if (failed(w))
    return failure();
  Location loc = op.getLoc();
  std::string name = layerName(op);
  // A compressed weight streams its non-zeros whatever their fraction.
  FailureOr<WeightLayout> layout = weightLayout(op, *w, name, isSparse);
  if (failed(layout))
    return failure();
  Value bias;
  if (op.getBias()) {
    FailureOr<ConstData> bd = readConstant(op.getBias());
    if (failed(bd) || !bd->isFloat())
      return op.emitError("effc-lower-hls: the bias must be a constant");
    std::vector<float> f(bd->floats.begin(), bd->floats.end());
    bias = romFloats(loc, name + "_b", bd->shape, f);
  }
  FailureOr<MemRefType> outMemTy = bufferTypeOf(op.getResult());
  if (failed(outMemTy))
    return failure();
  Value out = bufferFor(op.getResult(), *outMemTy);
  Body body;
  body.accType = b.getF32Type();
  body.init = [&](Value n) -> Value {
    if (!bias)
      return fcst(loc, 0.0);
    return affine::AffineLoadOp::create(b, loc, bias, ValueRange{n});
  };
  body.mulAdd = [&](Value x, Value wv) -> Value {
    return arith::MulFOp::create(b, loc, x, wv);
  };
  body.add = [&](Value acc, Value p) -> Value {
    return arith::AddFOp::create(b, loc, acc, p);
  };
  body.finish = [&](Value acc, Value) -> Value {
    return floatActivation(b, loc, acc, op.getActivation(), op.getClampMin(),
                           op.getClampMax());
  };
  buildLayer(op, isConv, name, *layout, out, body);
  mem[op.getResult()] = out;
  return success();
}

template <typename OpT>
LogicalResult FuncLowering::lowerQuantizedLinear(OpT op) {
  constexpr bool isConv = std::is_same<OpT, QuantizedConv2DOp>::value;
  auto inTy = op.getInput().getType();
  auto wTy = op.getWeight().getType();
  auto outTy = op.getType();
  if constexpr (!isConv)
    if (inTy.getElementType().isF32())
      return lowerWeightOnlyLinear(op);
  auto xq = dyn_cast<quant::UniformQuantizedType>(inTy.getElementType());
  if (!xq)
    return op.emitError("effc-lower-hls: the input of a quantized layer must "
                        "be per-tensor !quant.uniform (or f32 for a "
                        "weight-only linear)");
  auto wElem = wTy.getElementType();
  SmallVector<double> wScales;
  int64_t n = wTy.getDimSize(0), k = wTy.getNumElements() / n;
  if (auto u = dyn_cast<quant::UniformQuantizedType>(wElem))
    wScales.assign(n, u.getScale());
  else if (auto pa = dyn_cast<quant::UniformQuantizedPerAxisType>(wElem))
    wScales.assign(pa.getScales().begin(), pa.getScales().end());
  else
    return op.emitError("effc-lower-hls: grouped (sub-channel) weight scales "
                        "are not supported on the HLS path yet");
  if (failed(checkActivation(op, op.getActivation())))
    return failure();
  FailureOr<ConstData> w =
      requireIntegerWeight(op, readLayerWeight(op, isConv));
  if (failed(w))
    return failure();
  Location loc = op.getLoc();
  std::string name = layerName(op);
  FailureOr<WeightLayout> layout = weightLayout(op, *w, name);
  if (failed(layout))
    return failure();

  // Exact widths: x - z_x, the product, and an accumulator that holds the
  // largest possible |sum| of this weight (32 bits at most: the reference
  // accumulates in i32, wrapping, and so does the narrower one then).
  int64_t zx = xq.getZeroPoint();
  int64_t xMaxAbs = std::max(std::abs(xq.getStorageTypeMin() - zx),
                             std::abs(xq.getStorageTypeMax() - zx));
  unsigned xBits = bitsFor(xMaxAbs);
  int64_t wMaxAbs = 0, rowMax = 0;
  for (int64_t r = 0; r < n; ++r) {
    int64_t rowSum = 0;
    for (int64_t c = 0; c < k; ++c) {
      wMaxAbs = std::max(wMaxAbs, std::abs(w->ints[r * k + c]));
      rowSum += std::abs(w->ints[r * k + c]);
    }
    rowMax = std::max(rowMax, rowSum);
  }
  unsigned wBits = cast<IntegerType>(w->elem).getWidth();
  unsigned pBits = bitsFor(xMaxAbs * std::max<int64_t>(wMaxAbs, 1));
  int64_t biasMax = 0;
  Value bias;
  if (op.getBias()) {
    FailureOr<ConstData> bd = readConstant(op.getBias());
    if (failed(bd) || bd->isFloat())
      return op.emitError("effc-lower-hls: the bias must be an i32 constant");
    for (int64_t v : bd->ints)
      biasMax = std::max(biasMax, std::abs(v));
    bias = romInts(loc, name + "_b", bd->shape, b.getI32Type(), bd->ints);
  }
  double bound = double(xMaxAbs) * double(rowMax) + double(biasMax);
  unsigned accBits = bound < 2147483647.0 ? bitsFor(int64_t(bound)) : 32;
  accBits = std::max(accBits, pBits);
  Type accTy = b.getIntegerType(accBits);
  Type pTy = b.getIntegerType(pBits);
  (void)wBits;

  Type outElem = outTy.getElementType();
  Activation act = op.getActivation();
  Body body;
  body.accType = accTy;
  body.init = [&](Value nIv) -> Value {
    if (!bias)
      return cst(loc, accTy, 0);
    Value bv = affine::AffineLoadOp::create(b, loc, bias, ValueRange{nIv});
    return ext(loc, bv, accBits);
  };
  body.mulAdd = [&](Value xv, Value wv) -> Value {
    Value xz = ext(loc, xv, xBits);
    if (zx != 0)
      xz = arith::SubIOp::create(b, loc, xz,
                                 cst(loc, b.getIntegerType(xBits), zx));
    Value xp = ext(loc, xz, pBits);
    Value wp = ext(loc, wv, pBits);
    return arith::MulIOp::create(b, loc, xp, wp);
  };
  body.add = [&](Value acc, Value p) -> Value {
    return arith::AddIOp::create(b, loc, acc, ext(loc, p, accBits));
  };
  (void)pTy;

  FailureOr<MemRefType> outMemTy = bufferTypeOf(op.getResult());
  if (failed(outMemTy))
    return failure();
  Value out = bufferFor(op.getResult(), *outMemTy);
  if (auto yq = dyn_cast<quant::UniformQuantizedType>(outElem)) {
    if (!op.getMultiplier() || !op.getShift())
      return op.emitError("effc-lower-hls: a requantized result needs "
                          "multiplier and shift");
    ArrayRef<int32_t> mult = *op.getMultiplier(), shift = *op.getShift();
    bool uniform = mult.size() == 1 && shift.size() == 1;
    Value multRom, shiftRom;
    if (!uniform) {
      std::vector<int64_t> mv, sv;
      for (int64_t i = 0; i < n; ++i) {
        mv.push_back(mult.size() == 1 ? mult[0] : mult[i]);
        sv.push_back(kRequantShiftBase +
                     (shift.size() == 1 ? shift[0] : shift[i]));
      }
      multRom = romInts(loc, name + "_mult", {n}, b.getI32Type(), mv);
      shiftRom = romInts(loc, name + "_shift", {n}, b.getI8Type(), sv);
    }
    RequantRange range =
        getRequantRange(yq, act, op.getClampMin(), op.getClampMax());
    Type i64 = b.getI64Type();
    Type st = yq.getStorageType();
    body.finish = [&, uniform, multRom, shiftRom, range](Value acc,
                                                         Value nIv) -> Value {
      Value m64, s64;
      if (uniform) {
        m64 = cst(loc, i64, mult[0]);
        s64 = cst(loc, i64, kRequantShiftBase + shift[0]);
      } else {
        m64 = affine::AffineLoadOp::create(b, loc, multRom, ValueRange{nIv});
        s64 = affine::AffineLoadOp::create(b, loc, shiftRom, ValueRange{nIv});
      }
      return buildRequantize(b, loc, acc, m64, s64, range, st);
    };
  } else if (outElem.isInteger(32)) {
    body.finish = [&](Value acc, Value) -> Value {
      Value v = ext(loc, acc, 32);
      if (act == Activation::relu)
        v = arith::MaxSIOp::create(b, loc, v, cst(loc, b.getI32Type(), 0));
      return v;
    };
  } else if (outElem.isF32()) {
    if (act == Activation::clamp)
      return op.emitError("effc-lower-hls: clamp on a float result is not "
                          "supported on the HLS path");
    // The reference computes acc * (f32(s_w[n]) * f32(s_x)) in f32; the
    // inner product is formed here, in f32, exactly as it would be there.
    std::vector<float> sc;
    for (double s : wScales)
      sc.push_back(float(s) * float(xq.getScale()));
    bool same = llvm::all_equal(sc);
    Value scRom = same ? Value() : romFloats(loc, name + "_scale", {n}, sc);
    float sc0 = sc[0];
    body.finish = [&, scRom, sc0](Value acc, Value nIv) -> Value {
      Value v = arith::SIToFPOp::create(b, loc, b.getF32Type(), acc);
      Value s =
          scRom ? affine::AffineLoadOp::create(b, loc, scRom, ValueRange{nIv})
                      .getResult()
                : fcst(loc, sc0);
      v = arith::MulFOp::create(b, loc, v, s);
      return floatActivation(b, loc, v, act, std::nullopt, std::nullopt);
    };
  } else {
    return op.emitError("effc-lower-hls: unsupported result type ") << outTy;
  }
  buildLayer(op, isConv, name, *layout, out, body);
  mem[op.getResult()] = out;
  return success();
}

LogicalResult FuncLowering::lowerWeightOnlyLinear(QuantizedLinearOp op) {
  auto wTy = op.getWeight().getType();
  int64_t n = wTy.getDimSize(0), k = wTy.getDimSize(1);
  // Scales as [N, G]: one group (per tensor / channel) or K / G groups.
  Type wElem = wTy.getElementType();
  int64_t groups = 1;
  std::vector<float> scales;
  if (auto u = dyn_cast<quant::UniformQuantizedType>(wElem)) {
    scales.assign(n, float(u.getScale()));
  } else if (auto pa = dyn_cast<quant::UniformQuantizedPerAxisType>(wElem)) {
    if (pa.getQuantizedDimension() != 0)
      return op.emitError("effc-lower-hls: per-axis weight scales must run "
                          "along the output channels (dim 0)");
    for (double s : pa.getScales())
      scales.push_back(float(s));
  } else if (auto sc = dyn_cast<quant::UniformQuantizedSubChannelType>(wElem)) {
    DenseElementsAttr st = sc.getScales();
    auto shape = st.getType().getShape();
    if (shape.size() != 2 || shape[0] != n || k % shape[1] != 0 ||
        !st.getElementType().isF32())
      return op.emitError("effc-lower-hls: grouped weight scales must be an "
                          "f32 [N, K / G] table");
    groups = shape[1];
    for (float s : st.getValues<float>())
      scales.push_back(s);
  } else {
    return op.emitError("effc-lower-hls: unsupported weight type ") << wElem;
  }
  if (int64_t(scales.size()) != n * groups)
    return op.emitError("effc-lower-hls: one weight scale per output channel "
                        "(and group) expected");
  if (failed(checkActivation(op, op.getActivation())))
    return failure();
  if (!op.getType().getElementType().isF32())
    return op.emitError("effc-lower-hls: a weight-only layer's result must "
                        "be f32");
  FailureOr<ConstData> w =
      requireIntegerWeight(op, readLayerWeight(op, /*isConv=*/false));
  if (failed(w))
    return failure();
  Location loc = op.getLoc();
  std::string name = layerName(op);
  FailureOr<WeightLayout> layout = weightLayout(op, *w, name);
  if (failed(layout))
    return failure();
  Value bias;
  if (op.getBias()) {
    FailureOr<ConstData> bd = readConstant(op.getBias());
    if (failed(bd) || !bd->isFloat())
      return op.emitError("effc-lower-hls: the bias must be an f32 constant");
    std::vector<float> f(bd->floats.begin(), bd->floats.end());
    bias = romFloats(loc, name + "_b", bd->shape, f);
  }
  int64_t groupSize = k / groups;
  Value scaleRom = romFloats(loc, name + "_scale", {n, groups}, scales);
  FailureOr<MemRefType> outMemTy = bufferTypeOf(op.getResult());
  if (failed(outMemTy))
    return failure();
  Value out = bufferFor(op.getResult(), *outMemTy);
  Body body;
  body.accType = b.getF32Type();
  body.init = [&](Value row) -> Value {
    if (!bias)
      return fcst(loc, 0.0);
    return affine::AffineLoadOp::create(b, loc, bias, ValueRange{row});
  };
  // The reference's dequantization: f32(q) * scale[n][col / G], in f32.
  body.prepW = [&](Value q, Value row, Value col) -> Value {
    Value g = groups == 1
                  ? cst(loc, b.getIndexType(), 0)
                  : arith::DivSIOp::create(
                        b, loc, col, cst(loc, b.getIndexType(), groupSize))
                        .getResult();
    Value s = memref::LoadOp::create(b, loc, scaleRom, ValueRange{row, g});
    Value f = arith::SIToFPOp::create(b, loc, b.getF32Type(), q);
    return arith::MulFOp::create(b, loc, f, s);
  };
  body.mulAdd = [&](Value x, Value wv) -> Value {
    return arith::MulFOp::create(b, loc, x, wv);
  };
  body.add = [&](Value acc, Value p) -> Value {
    return arith::AddFOp::create(b, loc, acc, p);
  };
  body.finish = [&](Value acc, Value) -> Value {
    return floatActivation(b, loc, acc, op.getActivation(), op.getClampMin(),
                           op.getClampMax());
  };
  buildLayer(op, /*isConv=*/false, name, *layout, out, body);
  mem[op.getResult()] = out;
  return success();
}

template LogicalResult FuncLowering::lowerLinear(LinearOp);
template LogicalResult FuncLowering::lowerLinear(Conv2DOp);
template LogicalResult FuncLowering::lowerLinear(SparseLinearOp);
template LogicalResult FuncLowering::lowerQuantizedLinear(QuantizedLinearOp);
template LogicalResult FuncLowering::lowerQuantizedLinear(QuantizedConv2DOp);

//===----------------------------------------------------------------------===//
// Quantization boundary
//===----------------------------------------------------------------------===//

LogicalResult FuncLowering::lowerQuantizeCast(quant::QuantizeCastOp op) {
  auto outTy = cast<RankedTensorType>(op.getType());
  auto qt = dyn_cast<quant::UniformQuantizedType>(outTy.getElementType());
  if (!qt ||
      !cast<RankedTensorType>(op.getInput().getType()).getElementType().isF32())
    return op.emitError("effc-lower-hls: quant.qcast must be f32 to a "
                        "per-tensor !quant.uniform");
  Location loc = op.getLoc();
  FailureOr<Sizes> shape = sizesOf(op.getResult());
  FailureOr<MemRefType> mt = bufferTypeOf(op.getResult());
  if (failed(shape) || failed(mt))
    return failure();
  Value out = bufferFor(op.getResult(), *mt);
  Value in = memOf(op.getInput());
  Type st = qt.getStorageType();
  elementwise(loc, layerName(op), *shape, [&](ValueRange iv) {
    // saturate(round_half_even(x / s) + z), in f32 as the reference.
    Value x = affine::AffineLoadOp::create(b, loc, in, iv);
    Value q = arith::DivFOp::create(b, loc, x, fcst(loc, qt.getScale()));
    q = math::RoundEvenOp::create(b, loc, q);
    q = arith::AddFOp::create(b, loc, q, fcst(loc, qt.getZeroPoint()));
    q = arith::MaximumFOp::create(b, loc, q, fcst(loc, qt.getStorageTypeMin()));
    q = arith::MinimumFOp::create(b, loc, q, fcst(loc, qt.getStorageTypeMax()));
    Value y = arith::FPToSIOp::create(b, loc, st, q);
    affine::AffineStoreOp::create(b, loc, y, out, iv);
  });
  mem[op.getResult()] = out;
  return success();
}

LogicalResult FuncLowering::lowerDequantizeCast(quant::DequantizeCastOp op) {
  auto inTy = cast<RankedTensorType>(op.getInput().getType());
  auto qt = dyn_cast<quant::UniformQuantizedType>(inTy.getElementType());
  auto outTy = cast<RankedTensorType>(op.getType());
  if (!qt || !outTy.getElementType().isF32())
    return op.emitError("effc-lower-hls: quant.dcast must be a per-tensor "
                        "!quant.uniform to f32");
  Location loc = op.getLoc();
  FailureOr<Sizes> shape = sizesOf(op.getResult());
  FailureOr<MemRefType> mt = bufferTypeOf(op.getResult());
  if (failed(shape) || failed(mt))
    return failure();
  Value out = bufferFor(op.getResult(), *mt);
  Value in = memOf(op.getInput());
  elementwise(loc, layerName(op), *shape, [&](ValueRange iv) {
    // (q - z) * s in f32.
    Value q = affine::AffineLoadOp::create(b, loc, in, iv);
    Value f = arith::SIToFPOp::create(b, loc, b.getF32Type(), q);
    f = arith::SubFOp::create(b, loc, f, fcst(loc, qt.getZeroPoint()));
    f = arith::MulFOp::create(b, loc, f, fcst(loc, qt.getScale()));
    affine::AffineStoreOp::create(b, loc, f, out, iv);
  });
  mem[op.getResult()] = out;
  return success();
}

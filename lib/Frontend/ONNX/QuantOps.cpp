//===- QuantOps.cpp - ONNX quantization ops ---------------------*- C++ -*-===//
//
// QuantizeLinear / DequantizeLinear as float generics (round half to even,
// saturate); MatMulInteger / ConvInteger as i32 matmuls and convolutions of
// zero-point-shifted operands; QLinearMatMul / QLinearConv as the same with
// a float requantization generic. Per-axis scales and zero points are read
// along their axis.
//
//===----------------------------------------------------------------------===//

#include "OnnxImporter.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"

using namespace mlir;
using namespace mlir::effc::onnx_import;

namespace {

/// A per-axis 1-D parameter reshaped so that numpy broadcasting reads it
/// along `axis` of a rank-`rank` tensor; scalars stay as they are.
Value alignToAxis(OpBuilder &b, Location loc, Value param, int64_t axis,
                  int64_t rank) {
  auto type = cast<RankedTensorType>(param.getType());
  if (type.getRank() == 0 || type.getNumElements() == 1)
    return reshapeTo(b, loc, param, {});
  SmallVector<int64_t> shape = {type.getNumElements()};
  shape.append(rank - axis - 1, 1);
  return reshapeTo(b, loc, param, shape);
}

/// A scale or zero point: scalar or per-axis (axis attribute, default 1).
FailureOr<Value> getParam(NodeImporter &node, unsigned i, int64_t rank,
                          int64_t axis) {
  RankedTensorType type = node.getInputType(i);
  if (type.getRank() > 1)
    return node.emitError()
           << "input #" << i << " must be a scalar or 1-D, not " << type;
  // The axis only matters for per-axis parameters.
  if (type.getNumElements() != 1) {
    FailureOr<int64_t> normalized = node.normalizeAxis(axis, rank);
    if (failed(normalized))
      return failure();
    axis = *normalized;
  }
  return alignToAxis(node.b, node.loc, node.getInput(i), axis, rank);
}

/// round-half-even(x) + zp, saturated to the range of the quantized type and
/// converted to it.
Value quantizeScalar(OpBuilder &b, Location loc, Value x, Value zp, Type qType,
                     bool isUnsigned) {
  Type f = x.getType();
  Value r = math::RoundEvenOp::create(b, loc, x);
  if (zp)
    r = arith::AddFOp::create(b, loc, r,
                              convertScalar(b, loc, zp, f, isUnsigned));
  unsigned width = qType.getIntOrFloatBitWidth();
  double lo = isUnsigned ? 0 : -std::ldexp(1.0, width - 1);
  double hi =
      isUnsigned ? std::ldexp(1.0, width) - 1 : std::ldexp(1.0, width - 1) - 1;
  r = arith::MaximumFOp::create(b, loc, r, createScalar(b, loc, f, lo));
  r = arith::MinimumFOp::create(b, loc, r, createScalar(b, loc, f, hi));
  return convertScalar(b, loc, r, qType, false, isUnsigned);
}

LogicalResult convertQuantizeLinear(NodeImporter &node) {
  RankedTensorType type = node.getInputType(0);
  int64_t rank = type.getRank();
  int64_t axis = node.getAttrInt("axis", 1);
  bool hasZp = node.hasInput(2);
  Type qType =
      hasZp ? node.getInputType(2).getElementType() : node.b.getIntegerType(8);
  bool isUnsigned = hasZp ? node.isInputUnsigned(2) : true;
  SmallVector<Value> inputs = {node.getInput(0)};
  for (unsigned i = 1; i < (hasZp ? 3u : 2u); ++i) {
    FailureOr<Value> p = getParam(node, i, rank, axis);
    if (failed(p))
      return failure();
    inputs.push_back(*p);
  }
  FailureOr<Value> result = buildBroadcastElementwise(
      node, inputs, qType,
      [&](OpBuilder &b, Location loc, ValueRange args) -> Value {
        Value x = args[0];
        Value scale = convertScalar(b, loc, args[1], x.getType(), false);
        Value scaled = arith::DivFOp::create(b, loc, x, scale);
        return quantizeScalar(b, loc, scaled, hasZp ? args[2] : Value(), qType,
                              isUnsigned);
      });
  if (failed(result))
    return failure();
  node.setOutput(0, *result, isUnsigned);
  return success();
}

LogicalResult convertDequantizeLinear(NodeImporter &node) {
  RankedTensorType type = node.getInputType(0);
  int64_t rank = type.getRank();
  int64_t axis = node.getAttrInt("axis", 1);
  bool hasZp = node.hasInput(2);
  bool isUnsigned = node.isInputUnsigned(0);
  Type floatType = node.getInputType(1).getElementType();
  SmallVector<Value> inputs = {node.getInput(0)};
  for (unsigned i = 1; i < (hasZp ? 3u : 2u); ++i) {
    FailureOr<Value> p = getParam(node, i, rank, axis);
    if (failed(p))
      return failure();
    inputs.push_back(*p);
  }
  FailureOr<Value> result = buildBroadcastElementwise(
      node, inputs, floatType,
      [&](OpBuilder &b, Location loc, ValueRange args) -> Value {
        // (x - zp) * scale, the difference taken exactly in i32.
        Type i32 = b.getI32Type();
        Value x = convertScalar(b, loc, args[0], i32, isUnsigned);
        if (hasZp)
          x = arith::SubIOp::create(
              b, loc, x, convertScalar(b, loc, args[2], i32, isUnsigned));
        Value xf = convertScalar(b, loc, x, floatType, false);
        return arith::MulFOp::create(b, loc, xf, args[1]);
      });
  if (failed(result))
    return failure();
  node.setOutput(0, *result);
  return success();
}

/// y_scale = (max(x, 0) - min(x, 0)) / 255, y_zero_point = saturate(round(
/// -min / scale)), y = saturate(round(x / scale) + zero point), all uint8.
LogicalResult convertDynamicQuantizeLinear(NodeImporter &node) {
  RankedTensorType type = node.getInputType(0);
  Type f = type.getElementType();
  if (!f.isF32())
    return node.emitError() << "expects an f32 input";
  OpBuilder &b = node.b;
  Location loc = node.loc;
  SmallVector<int64_t> all;
  for (int64_t i = 0; i < type.getRank(); ++i)
    all.push_back(i);
  Value input = node.getInput(0);
  // The range always includes 0.
  Value max = buildReduction(
      b, loc, input, all, /*keepDims=*/false, 0,
      [](OpBuilder &nb, Location nloc, Value acc, Value x) -> Value {
        return arith::MaximumFOp::create(nb, nloc, acc, x);
      });
  Value min = buildReduction(
      b, loc, input, all, /*keepDims=*/false, 0,
      [](OpBuilder &nb, Location nloc, Value acc, Value x) -> Value {
        return arith::MinimumFOp::create(nb, nloc, acc, x);
      });
  Value scale = buildElementwise(
      b, loc, {max, min}, {}, f,
      [&](OpBuilder &nb, Location nloc, ValueRange args) -> Value {
        Value range = arith::SubFOp::create(nb, nloc, args[0], args[1]);
        return arith::DivFOp::create(nb, nloc, range,
                                     createScalar(nb, nloc, f, 255));
      });
  Type u8 = b.getIntegerType(8);
  Value zeroPoint = buildElementwise(
      b, loc, {min, scale}, {}, u8,
      [&](OpBuilder &nb, Location nloc, ValueRange args) -> Value {
        Value negMin = arith::NegFOp::create(nb, nloc, args[0]);
        Value zp = arith::DivFOp::create(nb, nloc, negMin, args[1]);
        return quantizeScalar(nb, nloc, zp, Value(), u8, /*isUnsigned=*/true);
      });
  Value result = buildElementwise(
      b, loc, {input, scale, zeroPoint}, type.getShape(), u8,
      [&](OpBuilder &nb, Location nloc, ValueRange args) -> Value {
        Value scaled = arith::DivFOp::create(nb, nloc, args[0], args[1]);
        return quantizeScalar(nb, nloc, scaled, args[2], u8,
                              /*isUnsigned=*/true);
      });
  node.setOutput(0, result, /*isUnsigned=*/true);
  node.setOutput(1, scale);
  node.setOutput(2, zeroPoint, /*isUnsigned=*/true);
  return success();
}

/// `x - zp` in i32 (zp may be null: zero).
Value shiftToI32(NodeImporter &node, Value x, bool isUnsigned, Value zp) {
  OpBuilder &b = node.b;
  auto type = cast<RankedTensorType>(x.getType());
  SmallVector<Value> inputs = {x};
  if (zp)
    inputs.push_back(zp);
  return buildElementwise(
      b, node.loc, inputs, type.getShape(), b.getI32Type(),
      [&](OpBuilder &nb, Location loc, ValueRange args) -> Value {
        Value v = convertScalar(nb, loc, args[0], nb.getI32Type(), isUnsigned);
        if (!zp)
          return v;
        Value z = convertScalar(nb, loc, args[1], nb.getI32Type(), isUnsigned);
        return arith::SubIOp::create(nb, loc, v, z);
      });
}

/// A zero point input `i`, per row (`axis` of a matrix) or scalar; null when
/// absent.
FailureOr<Value> getZeroPoint(NodeImporter &node, unsigned i, int64_t rank,
                              int64_t axis) {
  if (!node.hasInput(i))
    return Value();
  return getParam(node, i, rank, axis);
}

/// The i32 product of the zero-point-shifted operands a (input aIn, zero
/// point aZp) and b.
FailureOr<Value> buildIntegerMatMul(NodeImporter &node, unsigned aIn,
                                    unsigned aZp, unsigned bIn, unsigned bZp) {
  int64_t aRank = node.getInputType(aIn).getRank();
  int64_t bRank = node.getInputType(bIn).getRank();
  // a's zero point runs along its rows (M), b's along its columns (N).
  FailureOr<Value> az = getZeroPoint(node, aZp, aRank, aRank - 2);
  FailureOr<Value> bz = getZeroPoint(node, bZp, bRank, bRank - 1);
  if (failed(az) || failed(bz))
    return failure();
  Value a =
      shiftToI32(node, node.getInput(aIn), node.isInputUnsigned(aIn), *az);
  Value bm =
      shiftToI32(node, node.getInput(bIn), node.isInputUnsigned(bIn), *bz);
  return buildOnnxMatMul(node, a, bm);
}

LogicalResult convertMatMulInteger(NodeImporter &node) {
  FailureOr<Value> result = buildIntegerMatMul(node, 0, 2, 1, 3);
  if (failed(result))
    return failure();
  node.setOutput(0, *result);
  return success();
}

LogicalResult convertConvInteger(NodeImporter &node) {
  int64_t rank = node.getInputType(0).getRank();
  FailureOr<Value> xz = getZeroPoint(node, 2, rank, 1);
  FailureOr<Value> wz = getZeroPoint(node, 3, rank, 0);
  if (failed(xz) || failed(wz))
    return failure();
  Value x = shiftToI32(node, node.getInput(0), node.isInputUnsigned(0), *xz);
  Value w = shiftToI32(node, node.getInput(1), node.isInputUnsigned(1), *wz);
  FailureOr<Value> result = buildOnnxConv(node, x, w, Value());
  if (failed(result))
    return failure();
  node.setOutput(0, *result);
  return success();
}

/// y = saturate(round(acc * aScale * bScale / yScale) + yZp), the scales
/// (inputs sa, sb, sy; sb per `bAxis` of acc) read as f32.
FailureOr<Value> requantize(NodeImporter &node, Value acc, unsigned sa,
                            unsigned sb, int64_t bAxis, unsigned sy,
                            unsigned zy) {
  int64_t rank = cast<RankedTensorType>(acc.getType()).getRank();
  SmallVector<Value> inputs = {acc};
  FailureOr<Value> a = getParam(node, sa, rank, rank - 2);
  FailureOr<Value> bs = getParam(node, sb, rank, bAxis);
  FailureOr<Value> y = getParam(node, sy, rank, 0);
  if (failed(a) || failed(bs) || failed(y))
    return failure();
  inputs.append({*a, *bs, *y});
  bool hasZp = node.hasInput(zy);
  if (hasZp) {
    FailureOr<Value> z = getParam(node, zy, rank, 0);
    if (failed(z))
      return failure();
    inputs.push_back(*z);
  }
  Type qType =
      hasZp ? node.getInputType(zy).getElementType() : node.b.getIntegerType(8);
  bool isUnsigned = hasZp ? node.isInputUnsigned(zy) : true;
  FailureOr<Value> result = buildBroadcastElementwise(
      node, inputs, qType,
      [&](OpBuilder &b, Location loc, ValueRange args) -> Value {
        Type f32 = b.getF32Type();
        Value v = convertScalar(b, loc, args[0], f32, false);
        Value scale = arith::MulFOp::create(
            b, loc, convertScalar(b, loc, args[1], f32, false),
            convertScalar(b, loc, args[2], f32, false));
        scale = arith::DivFOp::create(
            b, loc, scale, convertScalar(b, loc, args[3], f32, false));
        v = arith::MulFOp::create(b, loc, v, scale);
        return quantizeScalar(b, loc, v, hasZp ? args[4] : Value(), qType,
                              isUnsigned);
      });
  if (succeeded(result))
    node.setOutput(0, *result, isUnsigned);
  return result;
}

LogicalResult convertQLinearMatMul(NodeImporter &node) {
  // (a, a_scale, a_zp, b, b_scale, b_zp, y_scale, y_zp)
  FailureOr<Value> acc = buildIntegerMatMul(node, 0, 2, 3, 5);
  if (failed(acc))
    return failure();
  int64_t rank = cast<RankedTensorType>(acc->getType()).getRank();
  return requantize(node, *acc, 1, 4, rank - 1, 6, 7);
}

LogicalResult convertQLinearConv(NodeImporter &node) {
  // (x, x_scale, x_zp, w, w_scale, w_zp, y_scale, y_zp, B)
  int64_t rank = node.getInputType(0).getRank();
  FailureOr<Value> xz = getZeroPoint(node, 2, rank, 1);
  FailureOr<Value> wz = getZeroPoint(node, 5, rank, 0);
  if (failed(xz) || failed(wz))
    return failure();
  Value x = shiftToI32(node, node.getInput(0), node.isInputUnsigned(0), *xz);
  Value w = shiftToI32(node, node.getInput(3), node.isInputUnsigned(3), *wz);
  Value bias = node.hasInput(8) ? node.getInput(8) : Value();
  FailureOr<Value> acc = buildOnnxConv(node, x, w, bias);
  if (failed(acc))
    return failure();
  // Per-channel weight scales run along the output channels (dim 1).
  FailureOr<Value> result = requantize(node, *acc, 1, 4, 1, 6, 7);
  return failure(failed(result));
}

} // namespace

void mlir::effc::onnx_import::addQuantConverters(ConverterMap &map) {
  map["QuantizeLinear"] = convertQuantizeLinear;
  map["DequantizeLinear"] = convertDequantizeLinear;
  map["DynamicQuantizeLinear"] = convertDynamicQuantizeLinear;
  map["MatMulInteger"] = convertMatMulInteger;
  map["ConvInteger"] = convertConvInteger;
  map["QLinearMatMul"] = convertQLinearMatMul;
  map["QLinearConv"] = convertQLinearConv;
}

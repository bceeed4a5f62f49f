//===- ElementwiseOps.cpp - ONNX elementwise ops, activations ---*- C++ -*-===//
//
// Arithmetic, comparisons, logic, activations and casts, each one
// linalg.generic with numpy broadcasting (torch-mlir's form: a size-1 dim
// broadcast against a larger one reads index 0).
//
//===----------------------------------------------------------------------===//

#include "OnnxImporter.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"

#include <cmath>

using namespace mlir;
using namespace mlir::effc::onnx_import;

namespace {

Value constantLike(OpBuilder &b, Location loc, Value like, double value) {
  return createScalar(b, loc, like.getType(), value);
}

bool isFloat(Value v) { return isa<FloatType>(v.getType()); }

/// ONNX's type constraint `T` for ops whose inputs share one type.
LogicalResult checkSameElementType(NodeImporter &node, ValueRange inputs) {
  for (Value input : inputs)
    if (cast<RankedTensorType>(input.getType()).getElementType() !=
        cast<RankedTensorType>(inputs[0].getType()).getElementType())
      return node.emitError()
             << "inputs differ in element type (" << inputs[0].getType()
             << " and " << input.getType() << ")";
  return success();
}

//===----------------------------------------------------------------------===//
// Binary and variadic arithmetic
//===----------------------------------------------------------------------===//

enum class BinaryKind { Add, Sub, Mul, Div, Min, Max };

Value buildBinary(OpBuilder &b, Location loc, BinaryKind kind, Value x, Value y,
                  bool isUnsigned) {
  bool fp = isFloat(x);
  switch (kind) {
  case BinaryKind::Add:
    return createAddScalar(b, loc, x, y);
  case BinaryKind::Sub:
    return fp ? arith::SubFOp::create(b, loc, x, y).getResult()
              : arith::SubIOp::create(b, loc, x, y).getResult();
  case BinaryKind::Mul:
    return createMulScalar(b, loc, x, y);
  case BinaryKind::Div:
    if (fp)
      return arith::DivFOp::create(b, loc, x, y);
    if (isUnsigned)
      return arith::DivUIOp::create(b, loc, x, y);
    return arith::DivSIOp::create(b, loc, x, y);
  case BinaryKind::Min:
    return createMinScalar(b, loc, x, y, isUnsigned);
  case BinaryKind::Max:
    return createMaxScalar(b, loc, x, y, isUnsigned);
  }
  llvm_unreachable("binary kind");
}

template <BinaryKind Kind> LogicalResult convertVariadic(NodeImporter &node) {
  SmallVector<Value> inputs;
  for (unsigned i = 0; i < node.getNumInputs(); ++i)
    if (node.hasInput(i))
      inputs.push_back(node.getInput(i));
  if (inputs.empty())
    return node.emitError() << "expects at least one input";
  if (failed(checkSameElementType(node, inputs)))
    return failure();
  bool isUnsigned = node.isInputUnsigned(0);
  Type elementType = node.getInputType(0).getElementType();
  FailureOr<Value> result = buildBroadcastElementwise(
      node, inputs, elementType,
      [&](OpBuilder &b, Location loc, ValueRange args) {
        Value acc = args[0];
        for (Value arg : args.drop_front())
          acc = buildBinary(b, loc, Kind, acc, arg, isUnsigned);
        return acc;
      });
  if (failed(result))
    return failure();
  node.setOutput(0, *result, isUnsigned);
  return success();
}

LogicalResult convertMean(NodeImporter &node) {
  SmallVector<Value> inputs;
  for (unsigned i = 0; i < node.getNumInputs(); ++i)
    inputs.push_back(node.getInput(i));
  if (failed(checkSameElementType(node, inputs)))
    return failure();
  Type elementType = node.getInputType(0).getElementType();
  if (!isa<FloatType>(elementType))
    return node.emitError() << "expects float inputs";
  FailureOr<Value> result = buildBroadcastElementwise(
      node, inputs, elementType,
      [&](OpBuilder &b, Location loc, ValueRange args) {
        Value acc = args[0];
        for (Value arg : args.drop_front())
          acc = arith::AddFOp::create(b, loc, acc, arg);
        Value n = constantLike(b, loc, acc, args.size());
        return arith::DivFOp::create(b, loc, acc, n).getResult();
      });
  if (failed(result))
    return failure();
  node.setOutput(0, *result);
  return success();
}

LogicalResult convertPow(NodeImporter &node) {
  Value base = node.getInput(0), exponent = node.getInput(1);
  Type resultType = node.getInputType(0).getElementType();
  bool baseUnsigned = node.isInputUnsigned(0);
  bool expUnsigned = node.isInputUnsigned(1);
  FailureOr<Value> result = buildBroadcastElementwise(
      node, {base, exponent}, resultType,
      [&](OpBuilder &b, Location loc, ValueRange args) -> Value {
        // Integer powers are computed exactly in f64 and converted back.
        Type computeType =
            isa<FloatType>(resultType) && isa<FloatType>(args[1].getType())
                ? resultType
                : b.getF64Type();
        Value x = convertScalar(b, loc, args[0], computeType, baseUnsigned);
        Value y = convertScalar(b, loc, args[1], computeType, expUnsigned);
        Value p = math::PowFOp::create(b, loc, x, y);
        return convertScalar(b, loc, p, resultType, false, baseUnsigned);
      });
  if (failed(result))
    return failure();
  node.setOutput(0, *result, baseUnsigned);
  return success();
}

LogicalResult convertPRelu(NodeImporter &node) {
  if (failed(checkSameElementType(node, {node.getInput(0), node.getInput(1)})))
    return failure();
  Type elementType = node.getInputType(0).getElementType();
  FailureOr<Value> result = buildBroadcastElementwise(
      node, {node.getInput(0), node.getInput(1)}, elementType,
      [&](OpBuilder &b, Location loc, ValueRange args) -> Value {
        Value zero = constantLike(b, loc, args[0], 0);
        Value scaled = createMulScalar(b, loc, args[0], args[1]);
        Value positive =
            isFloat(args[0])
                ? arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT,
                                        args[0], zero)
                      .getResult()
                : arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sgt,
                                        args[0], zero)
                      .getResult();
        return arith::SelectOp::create(b, loc, positive, args[0], scaled);
      });
  if (failed(result))
    return failure();
  node.setOutput(0, *result);
  return success();
}

//===----------------------------------------------------------------------===//
// Comparisons, logic, Where
//===----------------------------------------------------------------------===//

template <arith::CmpFPredicate FloatPred, arith::CmpIPredicate SignedPred,
          arith::CmpIPredicate UnsignedPred>
LogicalResult convertCompare(NodeImporter &node) {
  if (failed(checkSameElementType(node, {node.getInput(0), node.getInput(1)})))
    return failure();
  bool isUnsigned = node.isInputUnsigned(0);
  FailureOr<Value> result = buildBroadcastElementwise(
      node, {node.getInput(0), node.getInput(1)}, node.b.getI1Type(),
      [&](OpBuilder &b, Location loc, ValueRange args) -> Value {
        if (isFloat(args[0]))
          return arith::CmpFOp::create(b, loc, FloatPred, args[0], args[1]);
        return arith::CmpIOp::create(
            b, loc, isUnsigned ? UnsignedPred : SignedPred, args[0], args[1]);
      });
  if (failed(result))
    return failure();
  node.setOutput(0, *result);
  return success();
}

template <typename OpTy> LogicalResult convertLogical(NodeImporter &node) {
  for (unsigned i = 0; i < 2; ++i)
    if (!node.getInputType(i).getElementType().isInteger(1))
      return node.emitError() << "expects bool inputs";
  FailureOr<Value> result = buildBroadcastElementwise(
      node, {node.getInput(0), node.getInput(1)}, node.b.getI1Type(),
      [&](OpBuilder &b, Location loc, ValueRange args) -> Value {
        return OpTy::create(b, loc, args[0], args[1]);
      });
  if (failed(result))
    return failure();
  node.setOutput(0, *result);
  return success();
}

LogicalResult convertWhere(NodeImporter &node) {
  Type elementType = node.getInputType(1).getElementType();
  FailureOr<Value> result = buildBroadcastElementwise(
      node, {node.getInput(0), node.getInput(1), node.getInput(2)}, elementType,
      [&](OpBuilder &b, Location loc, ValueRange args) -> Value {
        return arith::SelectOp::create(b, loc, args[0], args[1], args[2]);
      });
  if (failed(result))
    return failure();
  node.setOutput(0, *result, node.isInputUnsigned(1));
  return success();
}

//===----------------------------------------------------------------------===//
// Unary ops and activations
//===----------------------------------------------------------------------===//

Value buildSigmoid(OpBuilder &b, Location loc, Value x) {
  Value one = constantLike(b, loc, x, 1);
  Value neg = arith::NegFOp::create(b, loc, x);
  Value e = math::ExpOp::create(b, loc, neg);
  Value denom = arith::AddFOp::create(b, loc, e, one);
  return arith::DivFOp::create(b, loc, one, denom);
}

Value clampFloat(OpBuilder &b, Location loc, Value x, double lo, double hi) {
  Value low = constantLike(b, loc, x, lo);
  Value high = constantLike(b, loc, x, hi);
  Value clamped = arith::MaximumFOp::create(b, loc, x, low);
  return arith::MinimumFOp::create(b, loc, clamped, high);
}

/// Builds the scalar body of a unary op; null when the op does not apply
/// to the element type.
Value buildUnary(NodeImporter &node, OpBuilder &b, Location loc, Value x,
                 bool isUnsigned) {
  StringRef op = node.getOpType();
  bool fp = isFloat(x);
  auto cmpGt = [&](Value v, double bound) -> Value {
    Value c = constantLike(b, loc, v, bound);
    return arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT, v, c);
  };
  if (op == "Neg")
    return fp ? arith::NegFOp::create(b, loc, x).getResult()
              : arith::SubIOp::create(b, loc, constantLike(b, loc, x, 0), x)
                    .getResult();
  if (op == "Abs") {
    if (fp)
      return math::AbsFOp::create(b, loc, x);
    return isUnsigned ? x : math::AbsIOp::create(b, loc, x).getResult();
  }
  if (op == "Relu")
    return createMaxScalar(b, loc, x, constantLike(b, loc, x, 0), isUnsigned);
  if (op == "Sign") {
    if (!fp)
      return nullptr;
    Value pos = arith::UIToFPOp::create(b, loc, x.getType(), cmpGt(x, 0));
    Value negCmp = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OLT, x,
                                         constantLike(b, loc, x, 0));
    Value neg = arith::UIToFPOp::create(b, loc, x.getType(), negCmp);
    return arith::SubFOp::create(b, loc, pos, neg);
  }
  if (op == "Not")
    return x.getType().isInteger(1)
               ? arith::XOrIOp::create(b, loc, x, constantLike(b, loc, x, 1))
                     .getResult()
               : nullptr;
  if (!fp)
    return nullptr;
  if (op == "Sqrt")
    return math::SqrtOp::create(b, loc, x);
  if (op == "Exp")
    return math::ExpOp::create(b, loc, x);
  if (op == "Log")
    return math::LogOp::create(b, loc, x);
  if (op == "Tanh")
    return math::TanhOp::create(b, loc, x);
  if (op == "Erf")
    return math::ErfOp::create(b, loc, x);
  if (op == "Sin")
    return math::SinOp::create(b, loc, x);
  if (op == "Cos")
    return math::CosOp::create(b, loc, x);
  if (op == "Tan")
    return math::TanOp::create(b, loc, x);
  if (op == "Sinh")
    return math::SinhOp::create(b, loc, x);
  if (op == "Cosh")
    return math::CoshOp::create(b, loc, x);
  if (op == "Asin")
    return math::AsinOp::create(b, loc, x);
  if (op == "Acos")
    return math::AcosOp::create(b, loc, x);
  if (op == "Atan")
    return math::AtanOp::create(b, loc, x);
  if (op == "Asinh")
    return math::AsinhOp::create(b, loc, x);
  if (op == "Acosh")
    return math::AcoshOp::create(b, loc, x);
  if (op == "Atanh")
    return math::AtanhOp::create(b, loc, x);
  if (op == "Floor")
    return math::FloorOp::create(b, loc, x);
  if (op == "Ceil")
    return math::CeilOp::create(b, loc, x);
  if (op == "Round")
    return math::RoundEvenOp::create(b, loc, x);
  if (op == "Reciprocal")
    return arith::DivFOp::create(b, loc, constantLike(b, loc, x, 1), x);
  if (op == "Sigmoid")
    return buildSigmoid(b, loc, x);
  if (op == "Softplus") {
    Value e = math::ExpOp::create(b, loc, x);
    return math::Log1pOp::create(b, loc, e);
  }
  if (op == "Softsign") {
    Value a = math::AbsFOp::create(b, loc, x);
    Value d = arith::AddFOp::create(b, loc, a, constantLike(b, loc, x, 1));
    return arith::DivFOp::create(b, loc, x, d);
  }
  if (op == "LeakyRelu") {
    Value alpha = constantLike(b, loc, x, node.getAttrFloat("alpha", 0.01f));
    Value scaled = arith::MulFOp::create(b, loc, x, alpha);
    return arith::SelectOp::create(b, loc, cmpGt(x, 0), x, scaled);
  }
  if (op == "Elu" || op == "Selu") {
    bool selu = op == "Selu";
    double alpha =
        node.getAttrFloat("alpha", selu ? 1.67326319217681884765625f : 1.0f);
    double gamma =
        selu ? node.getAttrFloat("gamma", 1.05070102214813232421875f) : 1.0;
    Value e = math::ExpM1Op::create(b, loc, x);
    Value neg =
        arith::MulFOp::create(b, loc, e, constantLike(b, loc, x, alpha));
    Value r = arith::SelectOp::create(b, loc, cmpGt(x, 0), x, neg);
    return selu ? arith::MulFOp::create(b, loc, r,
                                        constantLike(b, loc, x, gamma))
                      .getResult()
                : r;
  }
  if (op == "Celu") {
    // max(0, x) + min(0, alpha * expm1(x / alpha))
    double alpha = node.getAttrFloat("alpha", 1.0f);
    Value zero = constantLike(b, loc, x, 0);
    Value a = constantLike(b, loc, x, alpha);
    Value e =
        math::ExpM1Op::create(b, loc, arith::DivFOp::create(b, loc, x, a));
    Value neg = arith::MinimumFOp::create(b, loc, zero,
                                          arith::MulFOp::create(b, loc, a, e));
    return arith::AddFOp::create(
        b, loc, arith::MaximumFOp::create(b, loc, x, zero), neg);
  }
  if (op == "Shrink") {
    // x + bias if x < -lambd, x - bias if x > lambd, else 0
    double lambd = node.getAttrFloat("lambd", 0.5f);
    Value bias = constantLike(b, loc, x, node.getAttrFloat("bias", 0.0f));
    Value zero = constantLike(b, loc, x, 0);
    Value below = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OLT, x,
                                        constantLike(b, loc, x, -lambd));
    Value r = arith::SelectOp::create(
        b, loc, cmpGt(x, lambd), arith::SubFOp::create(b, loc, x, bias), zero);
    return arith::SelectOp::create(b, loc, below,
                                   arith::AddFOp::create(b, loc, x, bias), r);
  }
  if (op == "ThresholdedRelu") {
    Value zero = constantLike(b, loc, x, 0);
    return arith::SelectOp::create(
        b, loc, cmpGt(x, node.getAttrFloat("alpha", 1.0f)), x, zero);
  }
  if (op == "HardSigmoid" || op == "HardSwish") {
    bool swish = op == "HardSwish";
    double alpha = swish ? 1.0 / 6 : node.getAttrFloat("alpha", 0.2f);
    double beta = swish ? 0.5 : node.getAttrFloat("beta", 0.5f);
    Value ax = arith::MulFOp::create(b, loc, x, constantLike(b, loc, x, alpha));
    Value axb =
        arith::AddFOp::create(b, loc, ax, constantLike(b, loc, x, beta));
    Value h = clampFloat(b, loc, axb, 0, 1);
    return swish ? arith::MulFOp::create(b, loc, x, h).getResult() : h;
  }
  if (op == "Gelu") {
    // 0.5 x (1 + erf(x / sqrt 2)), or the tanh approximation.
    Value half = constantLike(b, loc, x, 0.5);
    Value one = constantLike(b, loc, x, 1);
    Value inner;
    if (node.getAttrString("approximate", "none") == "tanh") {
      Value x3 =
          arith::MulFOp::create(b, loc, arith::MulFOp::create(b, loc, x, x), x);
      Value poly = arith::AddFOp::create(
          b, loc, x,
          arith::MulFOp::create(b, loc, x3, constantLike(b, loc, x, 0.044715)));
      Value scaled = arith::MulFOp::create(
          b, loc, poly, constantLike(b, loc, x, 0.7978845608028654));
      inner = math::TanhOp::create(b, loc, scaled);
    } else {
      Value scaled = arith::MulFOp::create(
          b, loc, x, constantLike(b, loc, x, 0.7071067811865476));
      inner = math::ErfOp::create(b, loc, scaled);
    }
    Value sum = arith::AddFOp::create(b, loc, inner, one);
    return arith::MulFOp::create(b, loc, arith::MulFOp::create(b, loc, x, half),
                                 sum);
  }
  return nullptr;
}

LogicalResult convertUnary(NodeImporter &node) {
  RankedTensorType type = node.getInputType(0);
  bool isUnsigned = node.isInputUnsigned(0);
  bool unsupported = false;
  Value result = buildElementwise(
      node.b, node.loc, node.getInput(0), type.getShape(),
      type.getElementType(),
      [&](OpBuilder &b, Location loc, ValueRange args) -> Value {
        Value r = buildUnary(node, b, loc, args[0], isUnsigned);
        if (r)
          return r;
        unsupported = true;
        return args[0];
      });
  if (unsupported) {
    result.getDefiningOp()->erase();
    return node.emitError()
           << "does not support element type " << type.getElementType();
  }
  node.setOutput(0, result, isUnsigned);
  return success();
}

LogicalResult convertClip(NodeImporter &node) {
  RankedTensorType type = node.getInputType(0);
  Type elementType = type.getElementType();
  bool isUnsigned = node.isInputUnsigned(0);
  SmallVector<Value> inputs = {node.getInput(0)};
  std::optional<double> minAttr, maxAttr;
  if (node.opset < 11) {
    minAttr = node.getAttrFloat("min", -3.4028234663852886e38f);
    maxAttr = node.getAttrFloat("max", 3.4028234663852886e38f);
  }
  bool hasMin = node.hasInput(1), hasMax = node.hasInput(2);
  if (hasMin)
    inputs.push_back(node.getInput(1));
  if (hasMax)
    inputs.push_back(node.getInput(2));
  Value result = buildElementwise(
      node.b, node.loc, inputs, type.getShape(), elementType,
      [&](OpBuilder &b, Location loc, ValueRange args) {
        Value x = args[0];
        unsigned next = 1;
        if (hasMin)
          x = createMaxScalar(b, loc, x, args[next++], isUnsigned);
        else if (minAttr)
          x = createMaxScalar(b, loc, x, constantLike(b, loc, x, *minAttr),
                              isUnsigned);
        if (hasMax)
          x = createMinScalar(b, loc, x, args[next++], isUnsigned);
        else if (maxAttr)
          x = createMinScalar(b, loc, x, constantLike(b, loc, x, *maxAttr),
                              isUnsigned);
        return x;
      });
  node.setOutput(0, result, isUnsigned);
  return success();
}

LogicalResult convertIsNaNOrInf(NodeImporter &node) {
  RankedTensorType type = node.getInputType(0);
  if (!isa<FloatType>(type.getElementType()))
    return node.emitError() << "expects a float input";
  bool isNaN = node.getOpType() == "IsNaN";
  bool detectPos = node.getAttrInt("detect_positive", 1);
  bool detectNeg = node.getAttrInt("detect_negative", 1);
  Value result = buildElementwise(
      node.b, node.loc, node.getInput(0), type.getShape(), node.b.getI1Type(),
      [&](OpBuilder &b, Location loc, ValueRange args) -> Value {
        Value x = args[0];
        if (isNaN)
          return arith::CmpFOp::create(b, loc, arith::CmpFPredicate::UNO, x, x);
        Value no = createScalar(b, loc, b.getI1Type(), 0);
        Value pos =
            detectPos
                ? arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ, x,
                                        constantLike(b, loc, x, INFINITY))
                      .getResult()
                : no;
        Value neg =
            detectNeg
                ? arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ, x,
                                        constantLike(b, loc, x, -INFINITY))
                      .getResult()
                : no;
        return arith::OrIOp::create(b, loc, pos, neg);
      });
  node.setOutput(0, result);
  return success();
}

LogicalResult convertMod(NodeImporter &node) {
  Type elementType = node.getInputType(0).getElementType();
  bool isUnsigned = node.isInputUnsigned(0);
  bool fmod = node.getAttrInt("fmod", 0);
  if (isa<FloatType>(elementType) && !fmod)
    return node.emitError() << "float inputs need fmod = 1";
  FailureOr<Value> result = buildBroadcastElementwise(
      node, {node.getInput(0), node.getInput(1)}, elementType,
      [&](OpBuilder &b, Location loc, ValueRange args) -> Value {
        Value x = args[0], y = args[1];
        if (isa<FloatType>(elementType))
          return arith::RemFOp::create(b, loc, x, y);
        if (isUnsigned)
          return arith::RemUIOp::create(b, loc, x, y);
        Value r = arith::RemSIOp::create(b, loc, x, y);
        if (fmod)
          return r;
        // Python semantics: a non-zero remainder takes the divisor's sign.
        Value zero = constantLike(b, loc, x, 0);
        Value rNeg =
            arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, r, zero);
        Value yNeg =
            arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, y, zero);
        Value nonZero =
            arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ne, r, zero);
        Value differ = arith::XOrIOp::create(b, loc, rNeg, yNeg);
        Value fix = arith::AndIOp::create(b, loc, differ, nonZero);
        Value shifted = arith::AddIOp::create(b, loc, r, y);
        return arith::SelectOp::create(b, loc, fix, shifted, r);
      });
  if (failed(result))
    return failure();
  node.setOutput(0, *result, isUnsigned);
  return success();
}

//===----------------------------------------------------------------------===//
// Casts
//===----------------------------------------------------------------------===//

LogicalResult convertCast(NodeImporter &node) {
  int32_t to = node.getOpType() == "CastLike" ? 0 : node.getAttrInt("to", 0);
  Type toType;
  bool dstUnsigned = false;
  if (node.getOpType() == "CastLike") {
    toType = node.getInputType(1).getElementType();
    dstUnsigned = node.isInputUnsigned(1);
  } else {
    toType = getElementType(node.b.getContext(), to);
    dstUnsigned = isUnsignedOnnxType(to);
  }
  if (!toType)
    return node.emitError() << "casts to ONNX data type " << to
                            << ", which the importer does not support";
  Value result = convertTensor(node.b, node.loc, node.getInput(0), toType,
                               node.isInputUnsigned(0), dstUnsigned);
  node.setOutput(0, result, dstUnsigned);
  return success();
}

} // namespace

void mlir::effc::onnx_import::addElementwiseConverters(ConverterMap &map) {
  using P = arith::CmpFPredicate;
  using I = arith::CmpIPredicate;
  map["Add"] = convertVariadic<BinaryKind::Add>;
  map["Sum"] = convertVariadic<BinaryKind::Add>;
  map["Sub"] = convertVariadic<BinaryKind::Sub>;
  map["Mul"] = convertVariadic<BinaryKind::Mul>;
  map["Div"] = convertVariadic<BinaryKind::Div>;
  map["Min"] = convertVariadic<BinaryKind::Min>;
  map["Max"] = convertVariadic<BinaryKind::Max>;
  map["Mean"] = convertMean;
  map["Pow"] = convertPow;
  map["PRelu"] = convertPRelu;
  map["Equal"] = convertCompare<P::OEQ, I::eq, I::eq>;
  map["Less"] = convertCompare<P::OLT, I::slt, I::ult>;
  map["LessOrEqual"] = convertCompare<P::OLE, I::sle, I::ule>;
  map["Greater"] = convertCompare<P::OGT, I::sgt, I::ugt>;
  map["GreaterOrEqual"] = convertCompare<P::OGE, I::sge, I::uge>;
  map["And"] = convertLogical<arith::AndIOp>;
  map["Or"] = convertLogical<arith::OrIOp>;
  map["Xor"] = convertLogical<arith::XOrIOp>;
  map["Where"] = convertWhere;
  for (StringRef op : {"Neg",
                       "Abs",
                       "Relu",
                       "Sign",
                       "Not",
                       "Sqrt",
                       "Exp",
                       "Log",
                       "Tanh",
                       "Erf",
                       "Sin",
                       "Cos",
                       "Floor",
                       "Ceil",
                       "Round",
                       "Reciprocal",
                       "Sigmoid",
                       "Softplus",
                       "Softsign",
                       "LeakyRelu",
                       "Elu",
                       "Selu",
                       "ThresholdedRelu",
                       "HardSigmoid",
                       "HardSwish",
                       "Gelu",
                       "Tan",
                       "Sinh",
                       "Cosh",
                       "Asin",
                       "Acos",
                       "Atan",
                       "Asinh",
                       "Acosh",
                       "Atanh",
                       "Celu",
                       "Shrink"})
    map[op] = convertUnary;
  map["Clip"] = convertClip;
  map["IsNaN"] = convertIsNaNOrInf;
  map["IsInf"] = convertIsNaNOrInf;
  map["Mod"] = convertMod;
  map["Cast"] = convertCast;
  map["CastLike"] = convertCast;
}

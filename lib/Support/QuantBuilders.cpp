//===- QuantBuilders.cpp - integer requantization, built once -------------===//

#include "effc/Support/QuantBuilders.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/BuiltinTypes.h"

#include <algorithm>
#include <cmath>

using namespace mlir;
using namespace mlir::effc;

RequantRange mlir::effc::getRequantRange(quant::UniformQuantizedType result,
                                         Activation act,
                                         std::optional<APFloat> lo,
                                         std::optional<APFloat> hi) {
  RequantRange r;
  r.zeroPoint = result.getZeroPoint();
  r.qmin = result.getStorageTypeMin();
  r.qmax = result.getStorageTypeMax();
  double scale = result.getScale();
  auto code = [&](const APFloat &v) {
    return r.zeroPoint +
           static_cast<int64_t>(std::nearbyint(v.convertToDouble() / scale));
  };
  if (act == Activation::relu)
    r.qmin = std::max(r.qmin, r.zeroPoint);
  if (act == Activation::clamp && lo && hi) {
    r.qmin = std::max(r.qmin, code(*lo));
    r.qmax = std::min(r.qmax, code(*hi));
  }
  return r;
}

/// `type` with its element type replaced (scalars: `elt` itself).
static Type withElementType(Type type, Type elt) {
  if (auto vec = dyn_cast<VectorType>(type))
    return vec.clone(elt);
  return elt;
}

/// `v` sign-extended to 64 bits (unchanged when it already is).
static Value extTo64(OpBuilder &b, Location loc, Value v) {
  Type i64 = withElementType(v.getType(), b.getI64Type());
  if (v.getType() == i64)
    return v;
  return arith::ExtSIOp::create(b, loc, i64, v);
}

Value mlir::effc::buildRequantize(OpBuilder &b, Location loc, Value acc,
                                  Value multiplier, Value totalShift,
                                  const RequantRange &range, Type storageElt,
                                  Value rounding) {
  Type i64 = withElementType(acc.getType(), b.getI64Type());
  auto c64 = [&](int64_t v) -> Value {
    TypedAttr attr = b.getI64IntegerAttr(v);
    if (auto vec = dyn_cast<VectorType>(i64))
      attr = DenseElementsAttr::get(vec, attr);
    return arith::ConstantOp::create(b, loc, i64, attr);
  };
  // Operands are widened before the product and the rounding term is built
  // right before it is added: the HLS emitter prints ops in this order.
  Value m = extTo64(b, loc, multiplier);
  Value t = extTo64(b, loc, totalShift);
  Value y = arith::MulIOp::create(b, loc, extTo64(b, loc, acc), m);
  if (!rounding)
    rounding = arith::ShLIOp::create(b, loc, c64(1),
                                     arith::SubIOp::create(b, loc, t, c64(1)));
  y = arith::AddIOp::create(b, loc, y, extTo64(b, loc, rounding));
  y = arith::ShRSIOp::create(b, loc, y, t);
  y = arith::AddIOp::create(b, loc, y, c64(range.zeroPoint));
  y = arith::MaxSIOp::create(b, loc, y, c64(range.qmin));
  y = arith::MinSIOp::create(b, loc, y, c64(range.qmax));
  return arith::TruncIOp::create(b, loc,
                                 withElementType(acc.getType(), storageElt), y);
}

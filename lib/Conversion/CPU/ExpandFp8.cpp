//===- ExpandFp8.cpp - f8E4M3FN conversions as integer code -----*- C++ -*-===//
//
// f8E4M3FN: 1 sign, 4 exponent (bias 7), 3 mantissa bits; no infinity,
// S.1111.111 is NaN, the largest finite value is 448 and subnormals are
// m * 2^-9. The conversions below work on the bit patterns so that they
// lower to plain integer LLVM IR; they agree with APFloat (constant
// folding) bit for bit, which the unit tests check exhaustively.
//
//===----------------------------------------------------------------------===//

#include "effc/Conversion/CPU/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir {
namespace effc {
#define GEN_PASS_DEF_EXPANDFP8PASS
#include "effc/Conversion/CPU/Passes.h.inc"
} // namespace effc
} // namespace mlir

using namespace mlir;
using namespace mlir::effc;

namespace {

bool isFp8(Type t) { return isa<Float8E4M3FNType>(getElementTypeOrSelf(t)); }

/// `t`'s shape (scalar or vector) with element type `elt`.
Type withElt(Type t, Type elt) {
  if (auto v = dyn_cast<VectorType>(t))
    return v.clone(elt);
  return elt;
}

class Bits {
public:
  Bits(PatternRewriter &b, Location loc, Type shape)
      : b(b), loc(loc), shape(shape) {}

  Value cst(Type elt, int64_t v) {
    Type t = withElt(shape, elt);
    Attribute a = b.getIntegerAttr(elt, v);
    if (auto vt = dyn_cast<VectorType>(t))
      a = SplatElementsAttr::get(vt, a);
    return arith::ConstantOp::create(b, loc, t, cast<TypedAttr>(a));
  }
  Value fcst(double v) {
    Type f32 = b.getF32Type();
    Type t = withElt(shape, f32);
    Attribute a = b.getF32FloatAttr(v);
    if (auto vt = dyn_cast<VectorType>(t))
      a = SplatElementsAttr::get(vt, a);
    return arith::ConstantOp::create(b, loc, t, cast<TypedAttr>(a));
  }
  Value i32(int64_t v) { return cst(b.getI32Type(), v); }
  Value cmp(arith::CmpIPredicate p, Value x, Value y) {
    return arith::CmpIOp::create(b, loc, p, x, y);
  }
  Value sel(Value c, Value x, Value y) {
    return arith::SelectOp::create(b, loc, c, x, y);
  }
  Value bitcast(Value v, Type elt) {
    return arith::BitcastOp::create(b, loc, withElt(shape, elt), v);
  }

  PatternRewriter &b;
  Location loc;
  Type shape;
};

/// f8E4M3FN -> f32, exact.
Value fp8ToF32(PatternRewriter &b, Location loc, Value x) {
  Bits k(b, loc, x.getType());
  Type i32 = b.getI32Type();
  Value byte = k.bitcast(x, b.getI8Type());
  Value u = arith::ExtUIOp::create(b, loc, withElt(x.getType(), i32), byte);
  Value sign = arith::ShLIOp::create(
      b, loc, arith::AndIOp::create(b, loc, u, k.i32(0x80)), k.i32(24));
  Value mag = arith::AndIOp::create(b, loc, u, k.i32(0x7F));
  // Normal: exponent rebiased by 127 - 7 = 120, mantissa moved up 20 bits.
  Value normal = arith::AddIOp::create(
      b, loc, arith::ShLIOp::create(b, loc, mag, k.i32(20)), k.i32(120 << 23));
  // Subnormal (exponent 0): m * 2^-9, exact in f32.
  Value m = arith::AndIOp::create(b, loc, u, k.i32(7));
  Value sub = arith::MulFOp::create(
      b, loc,
      arith::UIToFPOp::create(b, loc, withElt(x.getType(), b.getF32Type()), m),
      k.fcst(1.0 / 512));
  Value subBits = k.bitcast(sub, i32);
  Value isSub = k.cmp(arith::CmpIPredicate::ult, mag, k.i32(8));
  Value bits = k.sel(isSub, subBits, normal);
  Value isNan = k.cmp(arith::CmpIPredicate::eq, mag, k.i32(0x7F));
  bits = k.sel(isNan, k.i32(0x7FC00000), bits);
  bits = arith::OrIOp::create(b, loc, bits, sign);
  return k.bitcast(bits, b.getF32Type());
}

/// f32 -> f8E4M3FN, round to nearest even; NaN, infinity and overflow give
/// NaN (as APFloat does for a type without infinity).
Value f32ToFp8(PatternRewriter &b, Location loc, Value x) {
  Bits k(b, loc, x.getType());
  Type i32 = b.getI32Type();
  Value u = k.bitcast(x, i32);
  Value sign = arith::AndIOp::create(
      b, loc, arith::ShRUIOp::create(b, loc, u, k.i32(24)), k.i32(0x80));
  Value a = arith::AndIOp::create(b, loc, u, k.i32(0x7FFFFFFF));
  // Normal range (|x| >= 2^-6): round the mantissa to 3 bits (ties to
  // even, the carry may bump the exponent), then rebias.
  Value lsb = arith::AndIOp::create(
      b, loc, arith::ShRUIOp::create(b, loc, a, k.i32(20)), k.i32(1));
  Value r = arith::AddIOp::create(
      b, loc, arith::AddIOp::create(b, loc, a, k.i32(0x7FFFF)), lsb);
  Value normal = arith::SubIOp::create(
      b, loc, arith::ShRUIOp::create(b, loc, r, k.i32(20)), k.i32(120 << 3));
  // Below 2^-6: round |x| * 2^9 to an integer (ties to even) with the
  // 2^23 trick; 8 is the smallest normal, which is the right encoding.
  Value absF = k.bitcast(a, b.getF32Type());
  Value scaled = arith::MulFOp::create(b, loc, absF, k.fcst(512.0));
  Value magic = arith::AddFOp::create(b, loc, scaled, k.fcst(8388608.0));
  Value sub =
      arith::SubIOp::create(b, loc, k.bitcast(magic, i32), k.i32(0x4B000000));
  Value isSub = k.cmp(arith::CmpIPredicate::ult, a, k.i32(121 << 23));
  Value mag = k.sel(isSub, sub, normal);
  // Overflow (rounded past 448), infinity and NaN.
  Value over = k.cmp(arith::CmpIPredicate::ugt, mag, k.i32(0x7E));
  Value nonFinite = k.cmp(arith::CmpIPredicate::uge, a, k.i32(0x7F800000));
  Value nan = arith::OrIOp::create(b, loc, over, nonFinite);
  mag = k.sel(nan, k.i32(0x7F), mag);
  Value bits = arith::OrIOp::create(b, loc, mag, sign);
  Value byte = arith::TruncIOp::create(
      b, loc, withElt(x.getType(), b.getI8Type()), bits);
  return k.bitcast(byte, Float8E4M3FNType::get(b.getContext()));
}

struct ExpandExtF : OpRewritePattern<arith::ExtFOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(arith::ExtFOp op,
                                PatternRewriter &rewriter) const override {
    if (!isFp8(op.getIn().getType()))
      return failure();
    Value f = fp8ToF32(rewriter, op.getLoc(), op.getIn());
    Type outElt = getElementTypeOrSelf(op.getType());
    // f32 -> wider is exact; every f8E4M3FN value is exact in f16/bf16.
    if (outElt.getIntOrFloatBitWidth() > 32)
      f = arith::ExtFOp::create(rewriter, op.getLoc(), op.getType(), f);
    else if (!outElt.isF32())
      f = arith::TruncFOp::create(rewriter, op.getLoc(), op.getType(), f);
    rewriter.replaceOp(op, f);
    return success();
  }
};

struct ExpandTruncF : OpRewritePattern<arith::TruncFOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(arith::TruncFOp op,
                                PatternRewriter &rewriter) const override {
    if (!isFp8(op.getType()))
      return failure();
    Value in = op.getIn();
    Type inElt = getElementTypeOrSelf(in.getType());
    Type f32Ty = withElt(in.getType(), rewriter.getF32Type());
    if (inElt.getIntOrFloatBitWidth() > 32)
      in = arith::TruncFOp::create(rewriter, op.getLoc(), f32Ty, in);
    else if (!inElt.isF32())
      in = arith::ExtFOp::create(rewriter, op.getLoc(), f32Ty, in);
    rewriter.replaceOp(op, f32ToFp8(rewriter, op.getLoc(), in));
    return success();
  }
};

struct ExpandFp8Pass : effc::impl::ExpandFp8PassBase<ExpandFp8Pass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<ExpandExtF, ExpandTruncF>(&getContext());
    GreedyRewriteConfig config;
    config.enableFolding(false);
    if (failed(
            applyPatternsGreedily(getOperation(), std::move(patterns), config)))
      signalPassFailure();
  }
};

} // namespace

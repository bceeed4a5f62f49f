//===- LinalgBuilders.cpp - helpers to build linalg on tensors --*- C++ -*-===//

#include "effc/Support/LinalgBuilders.h"

#include "effc/Dialect/EffcOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/ReshapeOpsUtils.h"

#include <cmath>
#include <cstring>
#include <vector>

using namespace mlir;
using namespace mlir::effc;

Value mlir::effc::buildEmpty(OpBuilder &b, Location loc,
                             RankedTensorType type) {
  return tensor::EmptyOp::create(b, loc, type.getShape(),
                                 type.getElementType());
}

Value mlir::effc::buildEmptyLike(OpBuilder &b, Location loc, Value like,
                                 Type elt) {
  auto type = cast<RankedTensorType>(like.getType());
  if (type.hasStaticShape())
    return tensor::EmptyOp::create(b, loc, type.getShape(),
                                   elt ? elt : type.getElementType());
  return tensor::EmptyOp::create(b, loc, tensor::getMixedSizes(b, loc, like),
                                 elt ? elt : type.getElementType());
}

static Value scalarConstant(OpBuilder &b, Location loc, Type t, double v) {
  // A splat for vectors: activations also apply to a kernel's accumulators.
  if (auto vt = dyn_cast<VectorType>(t)) {
    Type e = vt.getElementType();
    TypedAttr s = isa<FloatType>(e)
                      ? TypedAttr(b.getFloatAttr(e, v))
                      : TypedAttr(b.getIntegerAttr(e, (int64_t)v));
    return arith::ConstantOp::create(b, loc, vt, SplatElementsAttr::get(vt, s));
  }
  if (auto ft = dyn_cast<FloatType>(t))
    return arith::ConstantOp::create(b, loc, t, b.getFloatAttr(ft, v));
  return arith::ConstantOp::create(b, loc, t, b.getIntegerAttr(t, (int64_t)v));
}

Value mlir::effc::buildFilled(OpBuilder &b, Location loc, RankedTensorType type,
                              double value) {
  Value init = buildEmpty(b, loc, type);
  Value c = scalarConstant(b, loc, type.getElementType(), value);
  return linalg::FillOp::create(b, loc, c, init).getResult(0);
}

SmallVector<Value> mlir::effc::buildDynamicDims(OpBuilder &b, Location loc,
                                                RankedTensorType type,
                                                Value like) {
  SmallVector<Value> sizes;
  for (int64_t i = 0; i < type.getRank(); ++i)
    if (type.isDynamicDim(i))
      sizes.push_back(tensor::DimOp::create(b, loc, like, i));
  return sizes;
}

Value mlir::effc::buildEmpty(OpBuilder &b, Location loc, RankedTensorType type,
                             ValueRange dynSizes) {
  return tensor::EmptyOp::create(b, loc, type.getShape(), type.getElementType(),
                                 dynSizes);
}

Value mlir::effc::buildFilled(OpBuilder &b, Location loc, RankedTensorType type,
                              ValueRange dynSizes, double value) {
  Value init = buildEmpty(b, loc, type, dynSizes);
  Value c = scalarConstant(b, loc, type.getElementType(), value);
  return linalg::FillOp::create(b, loc, c, init).getResult(0);
}

Value mlir::effc::buildGeneric(
    OpBuilder &b, Location loc, RankedTensorType outTy, ValueRange ins,
    Value init, ArrayRef<AffineMap> maps, ArrayRef<utils::IteratorType> iters,
    function_ref<Value(OpBuilder &, Location, ValueRange)> body) {
  if (!init)
    init = buildEmpty(b, loc, outTy);
  return linalg::GenericOp::create(
             b, loc, outTy, ins, ValueRange{init}, maps, iters,
             [&](OpBuilder &nb, Location nl, ValueRange args) {
               linalg::YieldOp::create(nb, nl, body(nb, nl, args));
             })
      .getResult(0);
}

Value mlir::effc::buildActivation(OpBuilder &b, Location loc, Value v,
                                  Activation act, std::optional<APFloat> lo,
                                  std::optional<APFloat> hi) {
  Type t = v.getType();
  auto cst = [&](double x) { return scalarConstant(b, loc, t, x); };
  auto sigmoid = [&](Value x) {
    Value neg = arith::NegFOp::create(b, loc, x);
    Value e = math::ExpOp::create(b, loc, neg);
    Value den = arith::AddFOp::create(b, loc, cst(1.0), e);
    return arith::DivFOp::create(b, loc, cst(1.0), den).getResult();
  };
  switch (act) {
  case Activation::none:
    return v;
  case Activation::relu:
    return arith::MaximumFOp::create(b, loc, v, cst(0.0));
  case Activation::gelu: {
    Value x = arith::MulFOp::create(b, loc, v, cst(M_SQRT1_2));
    Value erf = math::ErfOp::create(b, loc, x);
    Value onePlus = arith::AddFOp::create(b, loc, cst(1.0), erf);
    Value half = arith::MulFOp::create(b, loc, v, cst(0.5));
    return arith::MulFOp::create(b, loc, half, onePlus);
  }
  case Activation::gelu_tanh: {
    Value x3 =
        arith::MulFOp::create(b, loc, arith::MulFOp::create(b, loc, v, v), v);
    Value inner = arith::AddFOp::create(
        b, loc, v, arith::MulFOp::create(b, loc, x3, cst(0.044715)));
    Value th = math::TanhOp::create(
        b, loc,
        arith::MulFOp::create(b, loc, inner, cst(std::sqrt(2.0 / M_PI))));
    Value onePlus = arith::AddFOp::create(b, loc, cst(1.0), th);
    Value half = arith::MulFOp::create(b, loc, v, cst(0.5));
    return arith::MulFOp::create(b, loc, half, onePlus);
  }
  case Activation::silu:
    return arith::MulFOp::create(b, loc, v, sigmoid(v));
  case Activation::sigmoid:
    return sigmoid(v);
  case Activation::tanh:
    return math::TanhOp::create(b, loc, v);
  case Activation::clamp: {
    Value l = cst(lo->convertToDouble()), h = cst(hi->convertToDouble());
    Value m = arith::MaximumFOp::create(b, loc, v, l);
    return arith::MinimumFOp::create(b, loc, m, h);
  }
  }
  llvm_unreachable("unknown activation");
}

Value mlir::effc::buildBiasActivation(OpBuilder &b, Location loc, Value acc,
                                      Value bias, int64_t channelDim,
                                      Activation act, std::optional<APFloat> lo,
                                      std::optional<APFloat> hi, Type outElt) {
  auto accType = cast<RankedTensorType>(acc.getType());
  Type accElt = accType.getElementType();
  if (!outElt)
    outElt = accElt;
  if (!bias && act == Activation::none && outElt == accElt)
    return acc;
  auto type = accType.clone(outElt);
  int64_t rank = type.getRank();
  MLIRContext *ctx = b.getContext();
  AffineMap id = AffineMap::getMultiDimIdentityMap(rank, ctx);
  SmallVector<Value> ins = {acc};
  SmallVector<AffineMap> maps = {id};
  if (bias) {
    ins.push_back(bias);
    maps.push_back(AffineMap::get(rank, 0, b.getAffineDimExpr(channelDim)));
  }
  maps.push_back(id);
  SmallVector<utils::IteratorType> iters(rank, utils::IteratorType::parallel);
  auto generic = linalg::GenericOp::create(
      b, loc, type, ins, ValueRange{buildEmptyLike(b, loc, acc, outElt)}, maps,
      iters, [&](OpBuilder &nb, Location nloc, ValueRange args) {
        Value v = args[0];
        if (bias) {
          Value c = args[1];
          if (c.getType() != accElt)
            c = arith::ExtFOp::create(nb, nloc, accElt, c);
          v = arith::AddFOp::create(nb, nloc, v, c);
        }
        v = buildActivation(nb, nloc, v, act, lo, hi);
        if (outElt != accElt)
          v = arith::TruncFOp::create(nb, nloc, outElt, v);
        linalg::YieldOp::create(nb, nloc, v);
      });
  return generic.getResult(0);
}

Value mlir::effc::buildReshape(OpBuilder &b, Location loc, Value v,
                               RankedTensorType type) {
  auto src = cast<RankedTensorType>(v.getType());
  if (src == type)
    return v;
  if (auto reassoc = getReassociationIndicesForReshape(src, type)) {
    if (src.getRank() > type.getRank())
      return tensor::CollapseShapeOp::create(b, loc, type, v, *reassoc);
    return tensor::ExpandShapeOp::create(b, loc, type, v, *reassoc);
  }
  // General case: through a flat vector.
  auto flatTy =
      RankedTensorType::get({src.getNumElements()}, src.getElementType());
  SmallVector<ReassociationIndices> all(1);
  for (int64_t i = 0; i < src.getRank(); ++i)
    all[0].push_back(i);
  Value flat =
      src.getRank() == 1
          ? v
          : tensor::CollapseShapeOp::create(b, loc, flatTy, v, all).getResult();
  SmallVector<ReassociationIndices> outAll(1);
  for (int64_t i = 0; i < type.getRank(); ++i)
    outAll[0].push_back(i);
  if (type.getRank() == 1)
    return flat;
  return tensor::ExpandShapeOp::create(b, loc, type, flat, outAll);
}

Value mlir::effc::buildIm2Col(OpBuilder &b, Location loc, Value input,
                              ArrayRef<int64_t> outNHW, int64_t kh, int64_t kw,
                              ArrayRef<int64_t> strides,
                              ArrayRef<int64_t> dilations) {
  MLIRContext *ctx = b.getContext();
  auto inTy = cast<RankedTensorType>(input.getType());
  Type elt = inTy.getElementType();
  int64_t n = outNHW[0], oh = outNHW[1], ow = outNHW[2], c = inTy.getDimSize(3);
  // patches[n, oh, ow, kh, kw, c] = in[n, oh*sh + kh*dh, ow*sw + kw*dw, c]
  auto p6Ty = RankedTensorType::get({n, oh, ow, kh, kw, c}, elt);
  AffineExpr dn, doh, dow, dkh, dkw, dc;
  bindDims(ctx, dn, doh, dow, dkh, dkw, dc);
  AffineMap inMap = AffineMap::get(6, 0,
                                   {dn, doh * strides[0] + dkh * dilations[0],
                                    dow * strides[1] + dkw * dilations[1], dc},
                                   ctx);
  Value patches = buildGeneric(
      b, loc, p6Ty, ValueRange{input}, Value(),
      {inMap, AffineMap::getMultiDimIdentityMap(6, ctx)},
      SmallVector<utils::IteratorType>(6, utils::IteratorType::parallel),
      [](OpBuilder &, Location, ValueRange a) { return a[0]; });
  return tensor::CollapseShapeOp::create(
      b, loc, RankedTensorType::get({n * oh * ow, kh * kw * c}, elt), patches,
      ArrayRef<ReassociationIndices>{{0, 1, 2}, {3, 4, 5}});
}

Value mlir::effc::buildConvAsLinear(OpBuilder &b, Conv2DOp op, Value weight,
                                    LinearOp *linear) {
  Location loc = op.getLoc();
  auto inTy = op.getInput().getType();
  auto wTy = op.getWeight().getType();
  auto outTy = op.getType();
  Type elt = inTy.getElementType();
  int64_t n = outTy.getDimSize(0), oh = outTy.getDimSize(1),
          ow = outTy.getDimSize(2), f = outTy.getDimSize(3);
  int64_t kh = wTy.getDimSize(1), kw = wTy.getDimSize(2), c = wTy.getDimSize(3);
  ArrayRef<int64_t> pad = op.getPadding(), st = op.getStrides(),
                    dil = op.getDilations();
  auto rowsTy = RankedTensorType::get({n * oh * ow, kh * kw * c}, elt);
  bool pointwise = kh == 1 && kw == 1 && st[0] == 1 && st[1] == 1 &&
                   llvm::all_of(pad, [](int64_t p) { return p == 0; });
  Value rows;
  if (pointwise) {
    rows = tensor::CollapseShapeOp::create(
        b, loc, rowsTy, op.getInput(),
        ArrayRef<ReassociationIndices>{{0, 1, 2}, {3}});
  } else {
    Value zero =
        arith::ConstantOp::create(b, loc, elt, b.getFloatAttr(elt, 0.0));
    Value input = buildPadNHWC(b, loc, op.getInput(), pad, zero);
    rows = buildIm2Col(b, loc, input, {n, oh, ow}, kh, kw, st, dil);
  }
  auto lin = LinearOp::create(
      b, loc, RankedTensorType::get({n * oh * ow, f}, outTy.getElementType()),
      rows, weight, op.getBias(), op.getActivationAttr(), op.getClampMinAttr(),
      op.getClampMaxAttr());
  if (linear)
    *linear = lin;
  return tensor::ExpandShapeOp::create(
      b, loc, outTy, lin.getResult(),
      ArrayRef<ReassociationIndices>{{0, 1, 2}, {3}});
}

Value mlir::effc::buildPadNHWC(OpBuilder &b, Location loc, Value input,
                               ArrayRef<int64_t> padding, Value value) {
  if (llvm::all_of(padding, [](int64_t p) { return p == 0; }))
    return input;
  auto ty = cast<RankedTensorType>(input.getType());
  SmallVector<int64_t> shape(ty.getShape());
  shape[1] += padding[0] + padding[1];
  shape[2] += padding[2] + padding[3];
  auto padTy = RankedTensorType::get(shape, ty.getElementType());
  SmallVector<OpFoldResult> lo = {b.getIndexAttr(0), b.getIndexAttr(padding[0]),
                                  b.getIndexAttr(padding[2]),
                                  b.getIndexAttr(0)};
  SmallVector<OpFoldResult> hi = {b.getIndexAttr(0), b.getIndexAttr(padding[1]),
                                  b.getIndexAttr(padding[3]),
                                  b.getIndexAttr(0)};
  return tensor::PadOp::create(b, loc, padTy, input, lo, hi, value);
}

Value mlir::effc::buildZeroPadHigh(OpBuilder &b, Location loc, Value input,
                                   ArrayRef<int64_t> shape) {
  auto ty = cast<RankedTensorType>(input.getType());
  if (ty.getShape() == shape)
    return input;
  Type elt = ty.getElementType();
  Value zero = arith::ConstantOp::create(b, loc, elt, b.getZeroAttr(elt));
  SmallVector<OpFoldResult> lo(shape.size(), b.getIndexAttr(0)), hi;
  // A dynamic dim (kDynamic in `shape`) is not padded.
  for (auto [want, have] : llvm::zip_equal(shape, ty.getShape()))
    hi.push_back(b.getIndexAttr(ShapedType::isDynamic(want) ? 0 : want - have));
  return tensor::PadOp::create(b, loc, RankedTensorType::get(shape, elt), input,
                               lo, hi, zero);
}

/// Permutes the dims of a constant's raw data (no APFloat round trips).
DenseElementsAttr mlir::effc::permuteConstant(DenseElementsAttr attr,
                                              ArrayRef<int64_t> perm) {
  auto type = cast<RankedTensorType>(attr.getType());
  SmallVector<int64_t> outShape;
  for (int64_t p : perm)
    outShape.push_back(type.getDimSize(p));
  auto outTy = RankedTensorType::get(outShape, type.getElementType());
  if (attr.isSplat())
    return attr.reshape(outTy);
  int64_t rank = type.getRank();
  unsigned bytes = llvm::divideCeil(type.getElementTypeBitWidth(), 8);
  ArrayRef<char> raw = attr.getRawData();
  SmallVector<int64_t> inStrides(rank, 1);
  for (int64_t i = rank - 2; i >= 0; --i)
    inStrides[i] = inStrides[i + 1] * type.getDimSize(i + 1);
  std::vector<char> out(raw.size());
  SmallVector<int64_t> outIdx(rank, 0);
  int64_t n = type.getNumElements();
  for (int64_t lin = 0; lin < n; ++lin) {
    int64_t src = 0;
    for (int64_t d = 0; d < rank; ++d)
      src += outIdx[d] * inStrides[perm[d]];
    std::memcpy(&out[lin * bytes], &raw[src * bytes], bytes);
    for (int64_t d = rank - 1; d >= 0; --d) {
      if (++outIdx[d] < outShape[d])
        break;
      outIdx[d] = 0;
    }
  }
  return DenseElementsAttr::getFromRawBuffer(outTy, out);
}

Value mlir::effc::buildLeadingUnitDims(OpBuilder &b, Location loc, int64_t rank,
                                       Value v) {
  auto ty = cast<RankedTensorType>(v.getType());
  SmallVector<int64_t> shape(ty.getShape());
  while ((int64_t)shape.size() < rank)
    shape.insert(shape.begin(), 1);
  return buildReshape(b, loc, v,
                      RankedTensorType::get(shape, ty.getElementType()));
}

Value mlir::effc::buildTransposeLast2(OpBuilder &b, Location loc, Value v) {
  auto type = cast<RankedTensorType>(v.getType());
  int64_t r = type.getRank();
  SmallVector<int64_t> perm;
  for (int64_t i = 0; i < r; ++i)
    perm.push_back(i);
  std::swap(perm[r - 1], perm[r - 2]);
  SmallVector<int64_t> shape(type.getShape());
  std::swap(shape[r - 1], shape[r - 2]);
  auto outTy = RankedTensorType::get(shape, type.getElementType());
  return linalg::TransposeOp::create(b, loc, v, buildEmpty(b, loc, outTy), perm)
      .getResult()[0];
}

int64_t mlir::effc::getRowCount(RankedTensorType inputType) {
  int64_t m = 1;
  for (int64_t d : inputType.getShape().drop_back()) {
    if (ShapedType::isDynamic(d))
      return ShapedType::kDynamic;
    m *= d;
  }
  return m;
}

Value mlir::effc::buildCollapseToRows(OpBuilder &b, Location loc, Value t) {
  auto type = cast<RankedTensorType>(t.getType());
  int64_t rank = type.getRank();
  if (rank == 2)
    return t;
  if (rank == 1)
    return tensor::ExpandShapeOp::create(
        b, loc,
        RankedTensorType::get({1, type.getDimSize(0)}, type.getElementType()),
        t, ArrayRef<ReassociationIndices>{{0, 1}});
  ReassociationIndices lead = llvm::to_vector(llvm::seq<int64_t>(0, rank - 1));
  return tensor::CollapseShapeOp::create(
      b, loc, t, ArrayRef<ReassociationIndices>{lead, {rank - 1}});
}

Value mlir::effc::buildExpandRows(OpBuilder &b, Location loc, Value y,
                                  RankedTensorType outTy, Value input) {
  auto yTy = cast<RankedTensorType>(y.getType());
  int64_t rank = outTy.getRank();
  if (rank == 2)
    return y.getType() == outTy ? y : tensor::CastOp::create(b, loc, outTy, y);
  if (rank == 1)
    return tensor::CollapseShapeOp::create(
        b, loc, y, ArrayRef<ReassociationIndices>{{0, 1}});
  if (yTy.hasStaticShape() && outTy.hasStaticShape())
    return buildReshape(b, loc, y, outTy);
  SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(b, loc, input);
  sizes.back() = b.getIndexAttr(outTy.getShape().back());
  ReassociationIndices lead = llvm::to_vector(llvm::seq<int64_t>(0, rank - 1));
  return tensor::ExpandShapeOp::create(
      b, loc, outTy, y, ArrayRef<ReassociationIndices>{lead, {rank - 1}},
      sizes);
}

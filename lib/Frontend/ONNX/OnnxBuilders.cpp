//===- OnnxBuilders.cpp - linalg builders for the ONNX importer -*- C++ -*-===//
//
// Broadcasting elementwise generics, keepdim reductions, reshapes and
// constants, written in the form torch-mlir's linalg-on-tensors output has.
//
//===----------------------------------------------------------------------===//

#include "OnnxImporter.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"

#include <cmath>
#include <limits>
#include <numeric>

using namespace mlir;
using namespace mlir::effc::onnx_import;

Value mlir::effc::onnx_import::createEmpty(OpBuilder &b, Location loc,
                                           ArrayRef<int64_t> shape,
                                           Type elementType) {
  return tensor::EmptyOp::create(b, loc, shape, elementType);
}

Value mlir::effc::onnx_import::createScalar(OpBuilder &b, Location loc,
                                            Type type, double value) {
  if (auto floatType = dyn_cast<FloatType>(type))
    return arith::ConstantOp::create(b, loc, b.getFloatAttr(floatType, value));
  if (type.isInteger(1))
    return arith::ConstantOp::create(b, loc, b.getBoolAttr(value != 0));
  return arith::ConstantOp::create(
      b, loc, b.getIntegerAttr(type, static_cast<int64_t>(value)));
}

Value mlir::effc::onnx_import::createFilled(OpBuilder &b, Location loc,
                                            ArrayRef<int64_t> shape,
                                            Type elementType, double value) {
  Value empty = createEmpty(b, loc, shape, elementType);
  Value scalar = createScalar(b, loc, elementType, value);
  return linalg::FillOp::create(b, loc, scalar, empty).getResult(0);
}

double mlir::effc::onnx_import::getLowest(Type type) {
  if (auto floatType = dyn_cast<FloatType>(type))
    return -std::numeric_limits<double>::infinity();
  unsigned width = type.getIntOrFloatBitWidth();
  if (width == 1)
    return 0;
  return -std::ldexp(1.0, width - 1);
}

double mlir::effc::onnx_import::getHighest(Type type) {
  if (isa<FloatType>(type))
    return std::numeric_limits<double>::infinity();
  unsigned width = type.getIntOrFloatBitWidth();
  if (width == 1)
    return 1;
  return std::ldexp(1.0, width - 1) - 1;
}

FailureOr<SmallVector<int64_t>> mlir::effc::onnx_import::getBroadcastShape(
    ArrayRef<SmallVector<int64_t>> shapes) {
  size_t rank = 0;
  for (const auto &shape : shapes)
    rank = std::max(rank, shape.size());
  SmallVector<int64_t> result(rank, 1);
  for (const auto &shape : shapes) {
    size_t offset = rank - shape.size();
    for (auto [i, dim] : llvm::enumerate(shape)) {
      int64_t &out = result[offset + i];
      if (dim == out || dim == 1)
        continue;
      if (out != 1)
        return failure();
      out = dim;
    }
  }
  return result;
}

Value mlir::effc::onnx_import::buildElementwise(OpBuilder &b, Location loc,
                                                ValueRange inputs,
                                                ArrayRef<int64_t> shape,
                                                Type resultElementType,
                                                BodyFn body) {
  MLIRContext *context = b.getContext();
  int64_t rank = shape.size();
  SmallVector<AffineMap> maps;
  for (Value input : inputs) {
    ArrayRef<int64_t> inShape =
        cast<RankedTensorType>(input.getType()).getShape();
    int64_t offset = rank - inShape.size();
    SmallVector<AffineExpr> exprs;
    for (auto [i, dim] : llvm::enumerate(inShape))
      exprs.push_back(dim == 1 && shape[offset + i] != 1
                          ? getAffineConstantExpr(0, context)
                          : getAffineDimExpr(offset + i, context));
    maps.push_back(AffineMap::get(rank, 0, exprs, context));
  }
  maps.push_back(AffineMap::getMultiDimIdentityMap(rank, context));
  SmallVector<utils::IteratorType> iterators(rank,
                                             utils::IteratorType::parallel);
  Value init = createEmpty(b, loc, shape, resultElementType);
  auto generic = linalg::GenericOp::create(
      b, loc, init.getType(), inputs, init, maps, iterators,
      [&](OpBuilder &nb, Location nloc, ValueRange args) {
        Value result = body(nb, nloc, args.drop_back());
        linalg::YieldOp::create(nb, nloc, result);
      });
  return generic.getResult(0);
}

FailureOr<Value> mlir::effc::onnx_import::buildBroadcastElementwise(
    NodeImporter &node, ValueRange inputs, Type resultElementType,
    BodyFn body) {
  SmallVector<SmallVector<int64_t>> shapes;
  for (Value input : inputs)
    shapes.push_back(
        llvm::to_vector(cast<RankedTensorType>(input.getType()).getShape()));
  FailureOr<SmallVector<int64_t>> shape = getBroadcastShape(shapes);
  if (failed(shape)) {
    auto diag = node.emitError() << "input shapes";
    for (Value input : inputs)
      diag << " " << input.getType();
    return diag << " do not broadcast";
  }
  return buildElementwise(node.b, node.loc, inputs, *shape, resultElementType,
                          body);
}

Value mlir::effc::onnx_import::convertScalar(OpBuilder &b, Location loc,
                                             Value value, Type to,
                                             bool srcUnsigned,
                                             bool dstUnsigned) {
  Type from = value.getType();
  if (from == to)
    return value;
  auto fromFloat = dyn_cast<FloatType>(from);
  auto toFloat = dyn_cast<FloatType>(to);
  if (to.isInteger(1)) {
    if (fromFloat)
      return arith::CmpFOp::create(b, loc, arith::CmpFPredicate::UNE, value,
                                   createScalar(b, loc, from, 0));
    return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ne, value,
                                 createScalar(b, loc, from, 0));
  }
  if (from.isInteger(1))
    srcUnsigned = true;
  if (fromFloat && toFloat) {
    if (fromFloat.getWidth() < toFloat.getWidth())
      return arith::ExtFOp::create(b, loc, to, value);
    if (fromFloat.getWidth() > toFloat.getWidth())
      return arith::TruncFOp::create(b, loc, to, value);
    // f16 <-> bf16 go through f32.
    Value wide = arith::ExtFOp::create(b, loc, b.getF32Type(), value);
    return arith::TruncFOp::create(b, loc, to, wide);
  }
  if (fromFloat) {
    if (dstUnsigned)
      return arith::FPToUIOp::create(b, loc, to, value);
    return arith::FPToSIOp::create(b, loc, to, value);
  }
  if (toFloat) {
    if (srcUnsigned)
      return arith::UIToFPOp::create(b, loc, to, value);
    return arith::SIToFPOp::create(b, loc, to, value);
  }
  unsigned fromWidth = from.getIntOrFloatBitWidth();
  unsigned toWidth = to.getIntOrFloatBitWidth();
  if (fromWidth > toWidth)
    return arith::TruncIOp::create(b, loc, to, value);
  if (srcUnsigned)
    return arith::ExtUIOp::create(b, loc, to, value);
  return arith::ExtSIOp::create(b, loc, to, value);
}

Value mlir::effc::onnx_import::convertTensor(OpBuilder &b, Location loc,
                                             Value tensor, Type to,
                                             bool srcUnsigned,
                                             bool dstUnsigned) {
  auto type = cast<RankedTensorType>(tensor.getType());
  if (type.getElementType() == to)
    return tensor;
  return buildElementwise(b, loc, tensor, type.getShape(), to,
                          [&](OpBuilder &nb, Location nloc, ValueRange args) {
                            return convertScalar(nb, nloc, args[0], to,
                                                 srcUnsigned, dstUnsigned);
                          });
}

Value mlir::effc::onnx_import::buildReduction(
    OpBuilder &b, Location loc, Value input, ArrayRef<int64_t> axes,
    bool keepDims, double init,
    function_ref<Value(OpBuilder &, Location, Value, Value)> combine) {
  MLIRContext *context = b.getContext();
  auto type = cast<RankedTensorType>(input.getType());
  int64_t rank = type.getRank();
  SmallVector<int64_t> outShape;
  SmallVector<AffineExpr> outExprs;
  SmallVector<utils::IteratorType> iterators;
  for (int64_t i = 0; i < rank; ++i) {
    bool reduced = llvm::is_contained(axes, i);
    iterators.push_back(reduced ? utils::IteratorType::reduction
                                : utils::IteratorType::parallel);
    if (reduced && !keepDims)
      continue;
    outShape.push_back(reduced ? 1 : type.getDimSize(i));
    outExprs.push_back(reduced ? getAffineConstantExpr(0, context)
                               : getAffineDimExpr(i, context));
  }
  Value filled = createFilled(b, loc, outShape, type.getElementType(), init);
  SmallVector<AffineMap> maps = {
      AffineMap::getMultiDimIdentityMap(rank, context),
      AffineMap::get(rank, 0, outExprs, context)};
  auto generic = linalg::GenericOp::create(
      b, loc, filled.getType(), input, filled, maps, iterators,
      [&](OpBuilder &nb, Location nloc, ValueRange args) {
        linalg::YieldOp::create(nb, nloc, combine(nb, nloc, args[1], args[0]));
      });
  return generic.getResult(0);
}

/// Groups the dims of `large` into consecutive runs whose products are the
/// dims of `small`; failure when no such grouping exists.
static FailureOr<SmallVector<ReassociationIndices>>
getReassociation(ArrayRef<int64_t> large, ArrayRef<int64_t> small) {
  SmallVector<ReassociationIndices> groups;
  size_t i = 0;
  for (int64_t dim : small) {
    ReassociationIndices group;
    int64_t product = 1;
    while (i < large.size() && (group.empty() || product < dim)) {
      product *= large[i];
      group.push_back(i++);
    }
    if (product != dim || group.empty())
      return failure();
    groups.push_back(group);
  }
  if (i != large.size()) {
    // Trailing unit dims join the last group.
    if (groups.empty())
      return failure();
    for (; i < large.size(); ++i) {
      if (large[i] != 1)
        return failure();
      groups.back().push_back(i);
    }
  }
  return groups;
}

Value mlir::effc::onnx_import::reshapeTo(OpBuilder &b, Location loc,
                                         Value input, ArrayRef<int64_t> shape) {
  auto type = cast<RankedTensorType>(input.getType());
  ArrayRef<int64_t> inShape = type.getShape();
  if (inShape == shape)
    return input;
  auto resultType = RankedTensorType::get(shape, type.getElementType());
  if (shape.empty())
    return tensor::CollapseShapeOp::create(b, loc, resultType, input,
                                           ArrayRef<ReassociationIndices>{});
  if (inShape.empty())
    return tensor::ExpandShapeOp::create(b, loc, resultType, input,
                                         ArrayRef<ReassociationIndices>{});
  if (shape.size() < inShape.size())
    if (auto groups = getReassociation(inShape, shape); succeeded(groups))
      return tensor::CollapseShapeOp::create(b, loc, resultType, input,
                                             *groups);
  if (shape.size() > inShape.size())
    if (auto groups = getReassociation(shape, inShape); succeeded(groups))
      return tensor::ExpandShapeOp::create(b, loc, resultType, input, *groups);
  int64_t numElements = type.getNumElements();
  Value flat = input;
  if (inShape.size() != 1) {
    ReassociationIndices all(inShape.size());
    std::iota(all.begin(), all.end(), 0);
    flat = tensor::CollapseShapeOp::create(
        b, loc, RankedTensorType::get({numElements}, type.getElementType()),
        input, ArrayRef<ReassociationIndices>{all});
  }
  if (shape.size() == 1)
    return flat;
  ReassociationIndices all(shape.size());
  std::iota(all.begin(), all.end(), 0);
  return tensor::ExpandShapeOp::create(b, loc, resultType, flat,
                                       ArrayRef<ReassociationIndices>{all});
}

Value mlir::effc::onnx_import::transpose(OpBuilder &b, Location loc,
                                         Value input, ArrayRef<int64_t> perm) {
  auto type = cast<RankedTensorType>(input.getType());
  SmallVector<int64_t> shape;
  for (int64_t p : perm)
    shape.push_back(type.getDimSize(p));
  Value init = createEmpty(b, loc, shape, type.getElementType());
  return linalg::TransposeOp::create(b, loc, input, init, perm).getResult()[0];
}

Value mlir::effc::onnx_import::padConstant(OpBuilder &b, Location loc,
                                           Value input, ArrayRef<int64_t> low,
                                           ArrayRef<int64_t> high,
                                           double value) {
  if (llvm::all_of(low, [](int64_t p) { return p == 0; }) &&
      llvm::all_of(high, [](int64_t p) { return p == 0; }))
    return input;
  auto type = cast<RankedTensorType>(input.getType());
  SmallVector<int64_t> shape;
  for (auto [dim, l, h] : llvm::zip(type.getShape(), low, high))
    shape.push_back(dim + l + h);
  auto resultType = RankedTensorType::get(shape, type.getElementType());
  Value padValue = createScalar(b, loc, type.getElementType(), value);
  return createPad(b, loc, resultType, input, low, high, padValue);
}

Value mlir::effc::onnx_import::createPad(OpBuilder &b, Location loc,
                                         RankedTensorType resultType,
                                         Value input, ArrayRef<int64_t> low,
                                         ArrayRef<int64_t> high,
                                         Value padValue) {
  return tensor::PadOp::create(
      b, loc, resultType, input, getAsIndexOpFoldResult(b.getContext(), low),
      getAsIndexOpFoldResult(b.getContext(), high), padValue);
}

Value mlir::effc::onnx_import::createConstant(OpBuilder &b, Location loc,
                                              RankedTensorType type,
                                              ArrayRef<char> data,
                                              StringRef name) {
  Type elementType = type.getElementType();
  int64_t numElements = type.getNumElements();
  if (elementType.isInteger(1)) {
    SmallVector<bool> bits;
    for (char c : data)
      bits.push_back(c != 0);
    return arith::ConstantOp::create(b, loc,
                                     DenseElementsAttr::get(type, bits));
  }
  size_t elementSize = numElements ? data.size() / numElements : 0;
  bool splat = numElements > 0;
  for (int64_t i = 1; splat && i < numElements; ++i)
    splat = std::equal(data.begin(), data.begin() + elementSize,
                       data.begin() + i * elementSize);
  // Scalars, splats and empty tensors stay inline; weights become blobs.
  if (numElements <= 1 || splat) {
    auto splatType = RankedTensorType::get({}, elementType);
    ArrayRef<char> first = data.take_front(numElements ? elementSize : 0);
    DenseElementsAttr attr =
        numElements ? DenseElementsAttr::getFromRawBuffer(splatType, first)
                    : DenseElementsAttr::getFromRawBuffer(type, {});
    if (numElements)
      attr = DenseElementsAttr::get(type, attr.getSplatValue<Attribute>());
    return arith::ConstantOp::create(b, loc, attr);
  }
  auto blob = HeapAsmResourceBlob::allocateAndCopyInferAlign(data);
  auto attr = DenseResourceElementsAttr::get(type, name, std::move(blob));
  return arith::ConstantOp::create(b, loc, attr);
}

DenseIntElementsAttr
mlir::effc::onnx_import::getI64VectorAttr(OpBuilder &b,
                                          ArrayRef<int64_t> values) {
  auto type =
      VectorType::get({static_cast<int64_t>(values.size())}, b.getI64Type());
  return DenseIntElementsAttr::get(type, values);
}

Value mlir::effc::onnx_import::createAddScalar(OpBuilder &b, Location loc,
                                               Value x, Value y) {
  if (isa<FloatType>(x.getType()))
    return arith::AddFOp::create(b, loc, x, y);
  return arith::AddIOp::create(b, loc, x, y);
}

Value mlir::effc::onnx_import::createMulScalar(OpBuilder &b, Location loc,
                                               Value x, Value y) {
  if (isa<FloatType>(x.getType()))
    return arith::MulFOp::create(b, loc, x, y);
  return arith::MulIOp::create(b, loc, x, y);
}

Value mlir::effc::onnx_import::createMaxScalar(OpBuilder &b, Location loc,
                                               Value x, Value y,
                                               bool isUnsigned) {
  if (isa<FloatType>(x.getType()))
    return arith::MaximumFOp::create(b, loc, x, y);
  if (isUnsigned)
    return arith::MaxUIOp::create(b, loc, x, y);
  return arith::MaxSIOp::create(b, loc, x, y);
}

Value mlir::effc::onnx_import::createMinScalar(OpBuilder &b, Location loc,
                                               Value x, Value y,
                                               bool isUnsigned) {
  if (isa<FloatType>(x.getType()))
    return arith::MinimumFOp::create(b, loc, x, y);
  if (isUnsigned)
    return arith::MinUIOp::create(b, loc, x, y);
  return arith::MinSIOp::create(b, loc, x, y);
}

//===- RearrangeOps.cpp - ONNX Tile, DepthToSpace, Trilu, ... ---*- C++ -*-===//
//
// Ops that rearrange or mask elements: Tile (a broadcast into interleaved
// repeat dims, then a collapse), DepthToSpace / SpaceToDepth (expand,
// linalg.transpose, collapse), Trilu (a masking generic on linalg.index).
//
//===----------------------------------------------------------------------===//

#include "OnnxImporter.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using namespace mlir::effc::onnx_import;

namespace {

LogicalResult convertTile(NodeImporter &node) {
  FailureOr<SmallVector<int64_t>> repeats = node.getConstantInts(1);
  if (failed(repeats))
    return failure();
  RankedTensorType type = node.getInputType(0);
  int64_t rank = type.getRank();
  if (static_cast<int64_t>(repeats->size()) != rank ||
      llvm::any_of(*repeats, [](int64_t r) { return r < 0; }))
    return node.emitError() << "needs one non-negative repeat per dim";
  OpBuilder &b = node.b;
  MLIRContext *context = b.getContext();
  // out[r0, d0, r1, d1, ...] = in[d0, d1, ...], collapsed pairwise.
  SmallVector<int64_t> wide, result;
  SmallVector<AffineExpr> inExprs;
  SmallVector<ReassociationIndices> groups;
  for (int64_t i = 0; i < rank; ++i) {
    wide.append({(*repeats)[i], type.getDimSize(i)});
    inExprs.push_back(getAffineDimExpr(2 * i + 1, context));
    groups.push_back({2 * i, 2 * i + 1});
    result.push_back((*repeats)[i] * type.getDimSize(i));
  }
  int64_t wideRank = wide.size();
  Value init = createEmpty(b, node.loc, wide, type.getElementType());
  Value broadcast =
      linalg::GenericOp::create(
          b, node.loc, init.getType(), node.getInput(0), init,
          SmallVector<AffineMap>{
              AffineMap::get(wideRank, 0, inExprs, context),
              AffineMap::getMultiDimIdentityMap(wideRank, context)},
          SmallVector<utils::IteratorType>(wideRank,
                                           utils::IteratorType::parallel),
          [](OpBuilder &nb, Location nloc, ValueRange args) {
            linalg::YieldOp::create(nb, nloc, args[0]);
          })
          .getResult(0);
  Value collapsed = broadcast;
  if (rank > 0)
    collapsed = tensor::CollapseShapeOp::create(
        b, node.loc, RankedTensorType::get(result, type.getElementType()),
        broadcast, groups);
  node.setOutput(0, collapsed, node.isInputUnsigned(0));
  return success();
}

/// DepthToSpace and SpaceToDepth: a reshape to 6-D, a transpose, a reshape.
LogicalResult convertDepthSpace(NodeImporter &node) {
  RankedTensorType type = node.getInputType(0);
  if (type.getRank() != 4)
    return node.emitError() << "expects a 4-D NCHW input";
  int64_t bs = node.getAttrInt("blocksize", 0);
  int64_t n = type.getDimSize(0), c = type.getDimSize(1),
          h = type.getDimSize(2), w = type.getDimSize(3);
  OpBuilder &b = node.b;
  Location loc = node.loc;
  Value input = node.getInput(0);
  Value result;
  if (node.getOpType() == "DepthToSpace") {
    if (bs <= 0 || c % (bs * bs))
      return node.emitError() << "blocksize " << bs
                              << " does not divide C = " << c << " into blocks";
    int64_t cOut = c / (bs * bs);
    bool crd = node.getAttrString("mode", "DCR") == "CRD";
    Value six = reshapeTo(b, loc, input,
                          crd ? SmallVector<int64_t>{n, cOut, bs, bs, h, w}
                              : SmallVector<int64_t>{n, bs, bs, cOut, h, w});
    Value moved = transpose(b, loc, six,
                            crd ? SmallVector<int64_t>{0, 1, 4, 2, 5, 3}
                                : SmallVector<int64_t>{0, 3, 4, 1, 5, 2});
    result = reshapeTo(b, loc, moved, {n, cOut, h * bs, w * bs});
  } else {
    if (bs <= 0 || h % bs || w % bs)
      return node.emitError()
             << "blocksize " << bs << " does not divide H = " << h
             << " and W = " << w;
    Value six = reshapeTo(b, loc, input, {n, c, h / bs, bs, w / bs, bs});
    Value moved = transpose(b, loc, six, {0, 3, 5, 1, 2, 4});
    result = reshapeTo(b, loc, moved, {n, c * bs * bs, h / bs, w / bs});
  }
  node.setOutput(0, result, node.isInputUnsigned(0));
  return success();
}

LogicalResult convertTrilu(NodeImporter &node) {
  RankedTensorType type = node.getInputType(0);
  int64_t rank = type.getRank();
  if (rank < 2)
    return node.emitError() << "expects a tensor of rank >= 2";
  int64_t k = 0;
  if (node.hasInput(1)) {
    FailureOr<SmallVector<int64_t>> values = node.getConstantInts(1);
    if (failed(values))
      return failure();
    if (values->size() != 1)
      return node.emitError() << "k must be a scalar";
    k = (*values)[0];
  }
  bool upper = node.getAttrInt("upper", 1);
  Type elementType = type.getElementType();
  Value result = buildElementwise(
      node.b, node.loc, node.getInput(0), type.getShape(), elementType,
      [&](OpBuilder &b, Location loc, ValueRange args) -> Value {
        // Upper keeps j - i >= k, lower keeps j - i <= k.
        Value i = linalg::IndexOp::create(b, loc, rank - 2);
        Value j = linalg::IndexOp::create(b, loc, rank - 1);
        Value diff = arith::SubIOp::create(b, loc, j, i);
        Value kValue = arith::ConstantIndexOp::create(b, loc, k);
        Value keep = arith::CmpIOp::create(b, loc,
                                           upper ? arith::CmpIPredicate::sge
                                                 : arith::CmpIPredicate::sle,
                                           diff, kValue);
        return arith::SelectOp::create(b, loc, keep, args[0],
                                       createScalar(b, loc, elementType, 0));
      });
  node.setOutput(0, result, node.isInputUnsigned(0));
  return success();
}

} // namespace

void mlir::effc::onnx_import::addRearrangeConverters(ConverterMap &map) {
  map["Tile"] = convertTile;
  map["DepthToSpace"] = convertDepthSpace;
  map["SpaceToDepth"] = convertDepthSpace;
  map["Trilu"] = convertTrilu;
}

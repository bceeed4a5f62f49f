//===- RearrangeOps.cpp - ONNX Tile, DepthToSpace, Trilu, ... ---*- C++ -*-===//
//
// Ops that rearrange, mask or place elements: Tile (a broadcast into
// interleaved repeat dims, then a collapse), DepthToSpace / SpaceToDepth
// (expand, linalg.transpose, collapse), and generics on linalg.index for
// Trilu, OneHot, EyeLike and GatherND; Einsum as one generic.
//
//===----------------------------------------------------------------------===//

#include "OnnxImporter.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

#include "llvm/ADT/StringExtras.h"

#include <map>

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

/// out[..., d, ...] = values[1] where d == indices[...] (negative indices
/// count from depth), values[0] elsewhere; d runs along `axis`.
LogicalResult convertOneHot(NodeImporter &node) {
  RankedTensorType indexType = node.getInputType(0);
  RankedTensorType valueType = node.getInputType(2);
  FailureOr<SmallVector<double>> depthValues = node.getConstantDoubles(1);
  if (failed(depthValues))
    return failure();
  if (depthValues->size() != 1 || (*depthValues)[0] < 1 ||
      valueType.getNumElements() != 2)
    return node.emitError() << "expects a positive scalar depth and two values";
  int64_t depth = static_cast<int64_t>((*depthValues)[0]);
  int64_t rank = indexType.getRank() + 1;
  FailureOr<int64_t> axis =
      node.normalizeAxis(node.getAttrInt("axis", -1), rank);
  if (failed(axis))
    return failure();
  SmallVector<int64_t> shape(indexType.getShape());
  shape.insert(shape.begin() + *axis, depth);
  OpBuilder &b = node.b;
  Location loc = node.loc;
  MLIRContext *context = b.getContext();
  SmallVector<AffineExpr> indexExprs;
  for (int64_t d = 0; d < rank; ++d)
    if (d != *axis)
      indexExprs.push_back(getAffineDimExpr(d, context));
  Value values = reshapeTo(b, loc, node.getInput(2), {2});
  Type elementType = valueType.getElementType();
  bool indexUnsigned = node.isInputUnsigned(0);
  Value init = createEmpty(b, loc, shape, elementType);
  Value result =
      linalg::GenericOp::create(
          b, loc, init.getType(), node.getInput(0), init,
          SmallVector<AffineMap>{
              AffineMap::get(rank, 0, indexExprs, context),
              AffineMap::getMultiDimIdentityMap(rank, context)},
          SmallVector<utils::IteratorType>(rank, utils::IteratorType::parallel),
          [&](OpBuilder &nb, Location nloc, ValueRange args) {
            Type i64 = nb.getI64Type();
            Value idx = convertScalar(nb, nloc, args[0], i64, indexUnsigned);
            Value depthValue = createScalar(nb, nloc, i64, depth);
            Value zero = createScalar(nb, nloc, i64, 0);
            Value isNeg = arith::CmpIOp::create(
                nb, nloc, arith::CmpIPredicate::slt, idx, zero);
            idx = arith::SelectOp::create(
                nb, nloc, isNeg,
                arith::AddIOp::create(nb, nloc, idx, depthValue), idx);
            Value d = arith::IndexCastOp::create(
                nb, nloc, i64, linalg::IndexOp::create(nb, nloc, *axis));
            Value hit = arith::CmpIOp::create(nb, nloc,
                                              arith::CmpIPredicate::eq, d, idx);
            Value off = tensor::ExtractOp::create(
                nb, nloc, values,
                ValueRange{arith::ConstantIndexOp::create(nb, nloc, 0)});
            Value on = tensor::ExtractOp::create(
                nb, nloc, values,
                ValueRange{arith::ConstantIndexOp::create(nb, nloc, 1)});
            linalg::YieldOp::create(
                nb, nloc,
                arith::SelectOp::create(nb, nloc, hit, on, off).getResult());
          })
          .getResult(0);
  node.setOutput(0, result, node.isInputUnsigned(2));
  return success();
}

/// A 2-D tensor shaped like the input: ones on diagonal k, zeros elsewhere.
LogicalResult convertEyeLike(NodeImporter &node) {
  RankedTensorType type = node.getInputType(0);
  if (type.getRank() != 2)
    return node.emitError() << "expects a 2-D input";
  Type elementType = type.getElementType();
  bool isUnsigned = node.isInputUnsigned(0);
  if (node.hasAttr("dtype")) {
    int32_t dtype = node.getAttrInt("dtype", 0);
    elementType = getElementType(node.b.getContext(), dtype);
    isUnsigned = isUnsignedOnnxType(dtype);
    if (!elementType)
      return node.emitError() << "has an unsupported dtype " << dtype;
  }
  int64_t k = node.getAttrInt("k", 0);
  Value result = buildElementwise(
      node.b, node.loc, ValueRange{}, type.getShape(), elementType,
      [&](OpBuilder &b, Location loc, ValueRange) -> Value {
        Value i = linalg::IndexOp::create(b, loc, 0);
        Value j = linalg::IndexOp::create(b, loc, 1);
        Value diff = arith::SubIOp::create(b, loc, j, i);
        Value onDiagonal =
            arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, diff,
                                  arith::ConstantIndexOp::create(b, loc, k));
        return arith::SelectOp::create(b, loc, onDiagonal,
                                       createScalar(b, loc, elementType, 1),
                                       createScalar(b, loc, elementType, 0));
      });
  node.setOutput(0, result, isUnsigned);
  return success();
}

/// Einsum as one linalg.generic: a dim per distinct label (output labels
/// parallel, the others reductions), each operand read through its labels
/// (a repeated label reads a diagonal), the products summed.
LogicalResult convertEinsum(NodeImporter &node) {
  std::string equation;
  for (char c : node.getAttrString("equation", ""))
    if (!llvm::isSpace(c))
      equation += c;
  StringRef eq(equation);
  auto [lhs, rhs] = eq.split("->");
  bool explicitOutput = eq.contains("->");
  SmallVector<StringRef> terms;
  lhs.split(terms, ',');
  if (terms.size() != node.getNumInputs())
    return node.emitError()
           << "equation '" << equation << "' has " << terms.size()
           << " operands, the node " << node.getNumInputs();
  // Labels are letters; an ellipsis stands for leading unnamed dims, given
  // labels 0, 1, ... (aligned from the right across operands).
  int64_t ellipsisDims = 0;
  SmallVector<SmallVector<int>> operandLabels;
  SmallVector<RankedTensorType> types;
  for (auto [i, term] : llvm::enumerate(terms)) {
    RankedTensorType type = node.getInputType(i);
    types.push_back(type);
    size_t dots = term.find("...");
    int64_t named = term.size() - (dots == StringRef::npos ? 0 : 3);
    int64_t unnamed = type.getRank() - named;
    if (unnamed < 0 || (dots == StringRef::npos && unnamed != 0))
      return node.emitError()
             << "term '" << term << "' does not match " << type;
    ellipsisDims = std::max(ellipsisDims, unnamed);
    SmallVector<int> labels;
    for (size_t p = 0; p < term.size();) {
      if (p == dots) {
        for (int64_t e = 0; e < unnamed; ++e)
          labels.push_back(-1 - static_cast<int>(unnamed - 1 - e));
        p += 3;
        continue;
      }
      if (!llvm::isAlpha(term[p]))
        return node.emitError() << "has an invalid label in '" << term << "'";
      labels.push_back(term[p++]);
    }
    operandLabels.push_back(labels);
  }
  SmallVector<int> outLabels;
  if (explicitOutput) {
    size_t dots = rhs.find("...");
    for (size_t p = 0; p < rhs.size();) {
      if (p == dots) {
        for (int64_t e = 0; e < ellipsisDims; ++e)
          outLabels.push_back(-1 - static_cast<int>(ellipsisDims - 1 - e));
        p += 3;
        continue;
      }
      outLabels.push_back(rhs[p++]);
    }
  } else {
    for (int64_t e = 0; e < ellipsisDims; ++e)
      outLabels.push_back(-1 - static_cast<int>(ellipsisDims - 1 - e));
    std::map<int, int> counts;
    for (const auto &labels : operandLabels)
      for (int l : labels)
        if (l >= 0)
          ++counts[l];
    for (auto [label, count] : counts)
      if (count == 1)
        outLabels.push_back(label);
  }
  // Iteration dims: output labels, then the summed ones.
  SmallVector<int> dims(outLabels);
  for (const auto &labels : operandLabels)
    for (int l : labels)
      if (!llvm::is_contained(dims, l))
        dims.push_back(l);
  llvm::DenseMap<int, int64_t> sizes;
  for (auto [labels, type] : llvm::zip(operandLabels, types))
    for (auto [d, l] : llvm::enumerate(labels)) {
      auto [it, inserted] = sizes.try_emplace(l, type.getDimSize(d));
      if (!inserted && it->second != type.getDimSize(d))
        return node.emitError() << "label sizes differ in '" << equation << "'";
    }
  MLIRContext *context = node.b.getContext();
  int64_t numDims = dims.size();
  auto dimOf = [&](int l) {
    return getAffineDimExpr(llvm::find(dims, l) - dims.begin(), context);
  };
  SmallVector<AffineMap> maps;
  for (const auto &labels : operandLabels)
    maps.push_back(AffineMap::get(numDims, 0,
                                  llvm::map_to_vector(labels, dimOf), context));
  SmallVector<int64_t> outShape;
  for (int l : outLabels) {
    if (!sizes.count(l))
      return node.emitError() << "output label not in any operand";
    outShape.push_back(sizes[l]);
  }
  maps.push_back(AffineMap::get(
      numDims, 0, llvm::map_to_vector(outLabels, dimOf), context));
  SmallVector<utils::IteratorType> iterators(numDims,
                                             utils::IteratorType::reduction);
  for (size_t i = 0; i < outLabels.size(); ++i)
    iterators[i] = utils::IteratorType::parallel;
  Type elementType = types[0].getElementType();
  SmallVector<Value> inputs;
  for (unsigned i = 0; i < node.getNumInputs(); ++i)
    inputs.push_back(node.getInput(i));
  Value init = createFilled(node.b, node.loc, outShape, elementType, 0);
  Value result =
      linalg::GenericOp::create(
          node.b, node.loc, init.getType(), inputs, init, maps, iterators,
          [&](OpBuilder &b, Location loc, ValueRange args) {
            Value product = args[0];
            for (Value arg : args.drop_front().drop_back())
              product = createMulScalar(b, loc, product, arg);
            linalg::YieldOp::create(
                b, loc, createAddScalar(b, loc, args.back(), product));
          })
          .getResult(0);
  node.setOutput(0, result);
  return success();
}

/// out[b..., i..., j...] = data[b..., indices[b..., i..., :], j...].
LogicalResult convertGatherND(NodeImporter &node) {
  RankedTensorType dataType = node.getInputType(0);
  RankedTensorType indexType = node.getInputType(1);
  int64_t batchDims = node.getAttrInt("batch_dims", 0);
  int64_t indexRank = indexType.getRank();
  int64_t k = indexType.getShape().back();
  if (indexRank < 1 || batchDims < 0 || batchDims >= indexRank ||
      batchDims + k > dataType.getRank())
    return node.emitError() << "indices " << indexType << " do not fit data "
                            << dataType << " with batch_dims " << batchDims;
  SmallVector<int64_t> shape(indexType.getShape().drop_back());
  llvm::append_range(shape, dataType.getShape().drop_front(batchDims + k));
  int64_t outer = indexRank - 1;
  Value data = node.getInput(0), indices = node.getInput(1);
  Value result = buildElementwise(
      node.b, node.loc, ValueRange{}, shape, dataType.getElementType(),
      [&](OpBuilder &b, Location loc, ValueRange) -> Value {
        SmallVector<Value> prefix;
        for (int64_t d = 0; d < outer; ++d)
          prefix.push_back(linalg::IndexOp::create(b, loc, d));
        SmallVector<Value> at(prefix.begin(), prefix.begin() + batchDims);
        for (int64_t t = 0; t < k; ++t) {
          SmallVector<Value> where(prefix);
          where.push_back(arith::ConstantIndexOp::create(b, loc, t));
          Value idx = arith::IndexCastOp::create(
              b, loc, b.getIndexType(),
              tensor::ExtractOp::create(b, loc, indices, where));
          int64_t dim = dataType.getDimSize(batchDims + t);
          Value isNeg =
              arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, idx,
                                    arith::ConstantIndexOp::create(b, loc, 0));
          Value wrapped = arith::AddIOp::create(
              b, loc, idx, arith::ConstantIndexOp::create(b, loc, dim));
          at.push_back(arith::SelectOp::create(b, loc, isNeg, wrapped, idx));
        }
        for (int64_t d = outer; d < static_cast<int64_t>(shape.size()); ++d)
          at.push_back(linalg::IndexOp::create(b, loc, d));
        return tensor::ExtractOp::create(b, loc, data, at);
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
  map["OneHot"] = convertOneHot;
  map["EyeLike"] = convertEyeLike;
  map["Einsum"] = convertEinsum;
  map["GatherND"] = convertGatherND;
}

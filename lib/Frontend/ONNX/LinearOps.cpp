//===- LinearOps.cpp - ONNX MatMul, Gemm, Conv, BatchNorm -------*- C++ -*-===//
//
// MatMul -> linalg.matmul / linalg.batch_matmul accumulating into zeros
// (an N-D activation times a 2-D weight is collapsed to one matmul, as
// torch-mlir writes nn.Linear); Gemm -> linalg.transpose of the weight,
// matmul and a bias generic; Conv -> tensor.pad + linalg.conv_2d_nchw_fchw
// (grouped: conv_2d_ngchw_gfchw, depthwise: depthwise_conv_2d_nchw_chw) and
// a broadcast bias generic. BatchNormalization after a Conv with constant
// weights is folded into them before conversion (foldBatchNormIntoConv);
// elsewhere it is one elementwise generic.
//
//===----------------------------------------------------------------------===//

#include "OnnxImporter.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"

#include <cmath>
#include <cstring>

using namespace mlir;
using namespace mlir::effc::onnx_import;

//===----------------------------------------------------------------------===//
// Shared builders
//===----------------------------------------------------------------------===//

Value mlir::effc::onnx_import::buildMatmul(OpBuilder &b, Location loc,
                                           Value lhs, Value rhs, Type accType) {
  auto lhsType = cast<RankedTensorType>(lhs.getType());
  auto rhsType = cast<RankedTensorType>(rhs.getType());
  if (lhsType.getRank() == 2) {
    SmallVector<int64_t> shape = {lhsType.getDimSize(0), rhsType.getDimSize(1)};
    Value init = createFilled(b, loc, shape, accType, 0);
    return linalg::MatmulOp::create(b, loc, TypeRange{init.getType()},
                                    ValueRange{lhs, rhs}, ValueRange{init})
        .getResult(0);
  }
  SmallVector<int64_t> shape = {lhsType.getDimSize(0), lhsType.getDimSize(1),
                                rhsType.getDimSize(2)};
  Value init = createFilled(b, loc, shape, accType, 0);
  return linalg::BatchMatmulOp::create(b, loc, TypeRange{init.getType()},
                                       ValueRange{lhs, rhs}, ValueRange{init})
      .getResult(0);
}

Value mlir::effc::onnx_import::buildChannelBroadcast(OpBuilder &b, Location loc,
                                                     Value tensor,
                                                     Value perChannel,
                                                     int64_t channelDim,
                                                     BodyFn body) {
  auto type = cast<RankedTensorType>(tensor.getType());
  MLIRContext *context = b.getContext();
  int64_t rank = type.getRank();
  AffineMap identity = AffineMap::getMultiDimIdentityMap(rank, context);
  AffineMap channel =
      AffineMap::get(rank, 0, getAffineDimExpr(channelDim, context));
  Value init = createEmpty(b, loc, type.getShape(), type.getElementType());
  return linalg::GenericOp::create(
             b, loc, type, ValueRange{tensor, perChannel}, init,
             SmallVector<AffineMap>{identity, channel, identity},
             SmallVector<utils::IteratorType>(rank,
                                              utils::IteratorType::parallel),
             [&](OpBuilder &nb, Location nloc, ValueRange args) {
               linalg::YieldOp::create(nb, nloc,
                                       body(nb, nloc, args.drop_back()));
             })
      .getResult(0);
}

FailureOr<ConvGeometry>
mlir::effc::onnx_import::getConvGeometry(NodeImporter &node,
                                         ArrayRef<int64_t> inputShape,
                                         ArrayRef<int64_t> kernel) {
  size_t n = kernel.size();
  ConvGeometry g;
  g.strides = node.getAttrInts("strides");
  g.dilations = node.getAttrInts("dilations");
  SmallVector<int64_t> pads = node.getAttrInts("pads");
  if (g.strides.empty())
    g.strides.assign(n, 1);
  if (g.dilations.empty())
    g.dilations.assign(n, 1);
  if (pads.empty())
    pads.assign(2 * n, 0);
  if (g.strides.size() != n || g.dilations.size() != n || pads.size() != 2 * n)
    return node.emitError() << "strides, dilations or pads do not match the "
                            << n << "-D kernel";
  std::string autoPad = node.getAttrString("auto_pad", "NOTSET");
  bool ceilMode = node.getAttrInt("ceil_mode", 0);
  for (size_t i = 0; i < n; ++i) {
    int64_t in = inputShape[i];
    int64_t window = (kernel[i] - 1) * g.dilations[i] + 1;
    int64_t low = pads[i], high = pads[i + n];
    if (autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER") {
      int64_t out = (in + g.strides[i] - 1) / g.strides[i];
      int64_t total =
          std::max<int64_t>((out - 1) * g.strides[i] + window - in, 0);
      low = autoPad == "SAME_UPPER" ? total / 2 : total - total / 2;
      high = total - low;
    } else if (autoPad == "VALID") {
      low = high = 0;
    } else if (autoPad != "NOTSET") {
      return node.emitError() << "has an unknown auto_pad '" << autoPad << "'";
    }
    int64_t span = in + low + high - window;
    if (span < 0 || g.strides[i] <= 0)
      return node.emitError() << "has a window larger than the padded input";
    int64_t out = ceilMode ? (span + g.strides[i] - 1) / g.strides[i] + 1
                           : span / g.strides[i] + 1;
    // A last window that starts in the end padding is dropped (ONNX and
    // PyTorch ceil_mode).
    if (ceilMode && (out - 1) * g.strides[i] >= in + low)
      --out;
    int64_t extra = std::max<int64_t>(
        (out - 1) * g.strides[i] + window - (in + low + high), 0);
    g.padLow.push_back(low);
    g.padHigh.push_back(high);
    g.extraHigh.push_back(extra);
    g.outShape.push_back(out);
  }
  return g;
}

namespace {

//===----------------------------------------------------------------------===//
// MatMul and Gemm
//===----------------------------------------------------------------------===//

Value broadcastTo(OpBuilder &b, Location loc, Value v,
                  ArrayRef<int64_t> shape) {
  auto type = cast<RankedTensorType>(v.getType());
  if (type.getShape() == shape)
    return v;
  return buildElementwise(
      b, loc, v, shape, type.getElementType(),
      [](OpBuilder &, Location, ValueRange args) { return args[0]; });
}

} // namespace

FailureOr<Value> mlir::effc::onnx_import::buildOnnxMatMul(NodeImporter &node,
                                                          Value lhs,
                                                          Value rhs) {
  auto lhsType = cast<RankedTensorType>(lhs.getType());
  auto rhsType = cast<RankedTensorType>(rhs.getType());
  Type elementType = lhsType.getElementType();
  if (rhsType.getElementType() != elementType)
    return node.emitError() << "operands differ in element type";
  bool lhsVector = lhsType.getRank() == 1, rhsVector = rhsType.getRank() == 1;
  OpBuilder &b = node.b;
  Location loc = node.loc;
  if (lhsVector)
    lhs = reshapeTo(b, loc, lhs, {1, lhsType.getDimSize(0)});
  if (rhsVector)
    rhs = reshapeTo(b, loc, rhs, {rhsType.getDimSize(0), 1});
  ArrayRef<int64_t> lshape = cast<RankedTensorType>(lhs.getType()).getShape();
  ArrayRef<int64_t> rshape = cast<RankedTensorType>(rhs.getType()).getShape();
  int64_t m = lshape[lshape.size() - 2], k = lshape.back();
  int64_t n = rshape.back();
  if (rshape[rshape.size() - 2] != k)
    return node.emitError()
           << "contracts K = " << k << " with " << rshape[rshape.size() - 2];
  SmallVector<int64_t> lbatch(lshape.drop_back(2)), rbatch(rshape.drop_back(2));
  FailureOr<SmallVector<int64_t>> batch = getBroadcastShape({lbatch, rbatch});
  if (failed(batch))
    return node.emitError() << "batch dims do not broadcast";
  int64_t batchSize = 1;
  for (int64_t d : *batch)
    batchSize *= d;

  Value result;
  SmallVector<int64_t> outShape(*batch);
  outShape.append({m, n});
  if (rbatch.empty()) {
    // [..., M, K] x [K, N]: one matmul over the flattened rows.
    Value rows = reshapeTo(b, loc, lhs, {batchSize * m, k});
    result = buildMatmul(b, loc, rows, rhs, elementType);
  } else {
    SmallVector<int64_t> lfull(*batch), rfull(*batch);
    lfull.append({m, k});
    rfull.append({k, n});
    Value l =
        reshapeTo(b, loc, broadcastTo(b, loc, lhs, lfull), {batchSize, m, k});
    Value r =
        reshapeTo(b, loc, broadcastTo(b, loc, rhs, rfull), {batchSize, k, n});
    result = buildMatmul(b, loc, l, r, elementType);
  }
  SmallVector<int64_t> finalShape(*batch);
  if (!lhsVector)
    finalShape.push_back(m);
  if (!rhsVector)
    finalShape.push_back(n);
  return reshapeTo(b, loc, reshapeTo(b, loc, result, outShape), finalShape);
}

namespace {

LogicalResult convertMatMul(NodeImporter &node) {
  FailureOr<Value> result =
      buildOnnxMatMul(node, node.getInput(0), node.getInput(1));
  if (failed(result))
    return failure();
  node.setOutput(0, *result);
  return success();
}

LogicalResult convertGemm(NodeImporter &node) {
  OpBuilder &b = node.b;
  Location loc = node.loc;
  Value a = node.getInput(0), w = node.getInput(1);
  if (node.getInputType(0).getRank() != 2 ||
      node.getInputType(1).getRank() != 2)
    return node.emitError() << "expects 2-D A and B";
  if (node.getAttrInt("transA", 0))
    a = transpose(b, loc, a, {1, 0});
  if (node.getAttrInt("transB", 0))
    w = transpose(b, loc, w, {1, 0});
  auto aType = cast<RankedTensorType>(a.getType());
  auto wType = cast<RankedTensorType>(w.getType());
  if (aType.getDimSize(1) != wType.getDimSize(0))
    return node.emitError() << "contracts K = " << aType.getDimSize(1)
                            << " with " << wType.getDimSize(0);
  Type elementType = aType.getElementType();
  Value result = buildMatmul(b, loc, a, w, elementType);
  double alpha = node.getAttrFloat("alpha", 1.0f);
  double beta = node.getAttrFloat("beta", 1.0f);
  SmallVector<Value> inputs = {result};
  bool hasBias = node.hasInput(2) && beta != 0;
  if (hasBias)
    inputs.push_back(node.getInput(2));
  if (alpha == 1 && !hasBias) {
    node.setOutput(0, result);
    return success();
  }
  ArrayRef<int64_t> shape = cast<RankedTensorType>(result.getType()).getShape();
  if (hasBias && failed(getBroadcastShape(
                     {llvm::to_vector(shape),
                      llvm::to_vector(node.getInputType(2).getShape())})))
    return node.emitError() << "C does not broadcast to the result";
  result = buildElementwise(
      b, loc, inputs, shape, elementType,
      [&](OpBuilder &nb, Location nloc, ValueRange args) {
        Value acc = args[0];
        if (alpha != 1)
          acc = createMulScalar(nb, nloc, acc,
                                createScalar(nb, nloc, elementType, alpha));
        if (!hasBias)
          return acc;
        Value c = args[1];
        if (beta != 1)
          c = createMulScalar(nb, nloc, c,
                              createScalar(nb, nloc, elementType, beta));
        return createAddScalar(nb, nloc, acc, c);
      });
  node.setOutput(0, result);
  return success();
}

//===----------------------------------------------------------------------===//
// Conv
//===----------------------------------------------------------------------===//

} // namespace

FailureOr<Value> mlir::effc::onnx_import::buildOnnxConv(NodeImporter &node,
                                                        Value input,
                                                        Value weight,
                                                        Value bias) {
  OpBuilder &b = node.b;
  Location loc = node.loc;
  auto inType = cast<RankedTensorType>(input.getType());
  auto wType = cast<RankedTensorType>(weight.getType());
  int64_t rank = inType.getRank();
  if (rank != 3 && rank != 4)
    return node.emitError()
           << "supports 1-D and 2-D convolutions, not " << rank - 2 << "-D";
  if (wType.getRank() != rank)
    return node.emitError() << "weight rank differs from input rank";
  // 1-D convolutions run as 2-D ones with H = 1.
  bool oneD = rank == 3;
  if (oneD) {
    input = reshapeTo(
        b, loc, input,
        {inType.getDimSize(0), inType.getDimSize(1), 1, inType.getDimSize(2)});
    weight = reshapeTo(
        b, loc, weight,
        {wType.getDimSize(0), wType.getDimSize(1), 1, wType.getDimSize(2)});
  }
  ArrayRef<int64_t> in = cast<RankedTensorType>(input.getType()).getShape();
  ArrayRef<int64_t> w = cast<RankedTensorType>(weight.getType()).getShape();
  int64_t batch = in[0], channels = in[1], filters = w[0];
  int64_t group = node.getAttrInt("group", 1);
  if (group <= 0 || channels % group || filters % group ||
      w[1] * group != channels)
    return node.emitError() << "weight " << wType << " does not fit input "
                            << inType << " with group " << group;

  // The attributes are per spatial dim of the ONNX op; 1-D adds H = 1.
  FailureOr<ConvGeometry> g = getConvGeometry(
      node, inType.getShape().drop_front(2), wType.getShape().drop_front(2));
  if (failed(g))
    return failure();
  if (oneD) {
    g->strides.insert(g->strides.begin(), 1);
    g->dilations.insert(g->dilations.begin(), 1);
    g->padLow.insert(g->padLow.begin(), 0);
    g->padHigh.insert(g->padHigh.begin(), 0);
    g->outShape.insert(g->outShape.begin(), 1);
  }
  Type elementType = inType.getElementType();
  input = padConstant(b, loc, input, {0, 0, g->padLow[0], g->padLow[1]},
                      {0, 0, g->padHigh[0], g->padHigh[1]}, 0);
  auto strides = getI64VectorAttr(b, g->strides);
  auto dilations = getI64VectorAttr(b, g->dilations);
  int64_t oh = g->outShape[0], ow = g->outShape[1];
  Value result;
  if (group == 1) {
    Value init = createFilled(b, loc, {batch, filters, oh, ow}, elementType, 0);
    result = linalg::Conv2DNchwFchwOp::create(b, loc, TypeRange{init.getType()},
                                              ValueRange{input, weight}, init,
                                              strides, dilations)
                 .getResult(0);
  } else if (group == channels && filters == channels) {
    Value w3 = reshapeTo(b, loc, weight, {channels, w[2], w[3]});
    Value init =
        createFilled(b, loc, {batch, channels, oh, ow}, elementType, 0);
    result = linalg::DepthwiseConv2DNchwChwOp::create(
                 b, loc, TypeRange{init.getType()}, ValueRange{input, w3}, init,
                 strides, dilations)
                 .getResult(0);
  } else {
    ArrayRef<int64_t> padded =
        cast<RankedTensorType>(input.getType()).getShape();
    Value in5 = reshapeTo(
        b, loc, input, {batch, group, channels / group, padded[2], padded[3]});
    Value w5 =
        reshapeTo(b, loc, weight, {group, filters / group, w[1], w[2], w[3]});
    Value init = createFilled(b, loc, {batch, group, filters / group, oh, ow},
                              elementType, 0);
    result = linalg::Conv2DNgchwGfchwOp::create(
                 b, loc, TypeRange{init.getType()}, ValueRange{in5, w5}, init,
                 strides, dilations)
                 .getResult(0);
    result = reshapeTo(b, loc, result, {batch, filters, oh, ow});
  }
  if (bias)
    result = buildChannelBroadcast(
        b, loc, result, bias, 1,
        [](OpBuilder &nb, Location nloc, ValueRange args) {
          return createAddScalar(nb, nloc, args[0], args[1]);
        });
  if (oneD)
    result = reshapeTo(b, loc, result, {batch, filters, ow});
  return result;
}

namespace {

LogicalResult convertConv(NodeImporter &node) {
  FailureOr<Value> result =
      buildOnnxConv(node, node.getInput(0), node.getInput(1),
                    node.hasInput(2) ? node.getInput(2) : Value());
  if (failed(result))
    return failure();
  node.setOutput(0, *result);
  return success();
}

//===----------------------------------------------------------------------===//
// ConvTranspose
//===----------------------------------------------------------------------===//

/// A transposed convolution as a convolution: the input spread out by the
/// stride (zeros in between, tensor.insert_slice with strides), padded by
/// the dilated kernel extent minus the pads, convolved at stride 1 with the
/// weight's in/out channels swapped and its window flipped.
LogicalResult convertConvTranspose(NodeImporter &node) {
  OpBuilder &b = node.b;
  Location loc = node.loc;
  MLIRContext *context = b.getContext();
  RankedTensorType inType = node.getInputType(0);
  RankedTensorType wType = node.getInputType(1);
  int64_t rank = inType.getRank();
  if ((rank != 3 && rank != 4) || wType.getRank() != rank)
    return node.emitError() << "supports 1-D and 2-D transposed convolutions";
  Value input = node.getInput(0), weight = node.getInput(1);
  bool oneD = rank == 3;
  auto spatial = [&](SmallVector<int64_t> v, int64_t fill) {
    if (v.empty())
      v.assign(rank - 2, fill);
    if (oneD)
      v.insert(v.begin(), fill);
    return v;
  };
  SmallVector<int64_t> strides = spatial(node.getAttrInts("strides"), 1);
  SmallVector<int64_t> dilations = spatial(node.getAttrInts("dilations"), 1);
  SmallVector<int64_t> outputPadding =
      spatial(node.getAttrInts("output_padding"), 0);
  SmallVector<int64_t> pads = node.getAttrInts("pads");
  SmallVector<int64_t> outputShape = node.getAttrInts("output_shape");
  if (pads.empty())
    pads.assign(2 * (rank - 2), 0);
  if (oneD) {
    pads = {0, pads[0], 0, pads[1]};
    if (!outputShape.empty())
      outputShape.insert(outputShape.begin(), 1);
    input = reshapeTo(
        b, loc, input,
        {inType.getDimSize(0), inType.getDimSize(1), 1, inType.getDimSize(2)});
    weight = reshapeTo(
        b, loc, weight,
        {wType.getDimSize(0), wType.getDimSize(1), 1, wType.getDimSize(2)});
  }
  ArrayRef<int64_t> in = cast<RankedTensorType>(input.getType()).getShape();
  ArrayRef<int64_t> w = cast<RankedTensorType>(weight.getType()).getShape();
  int64_t group = node.getAttrInt("group", 1);
  int64_t batch = in[0], channels = in[1];
  if (strides.size() != 2 || dilations.size() != 2 ||
      outputPadding.size() != 2 || pads.size() != 4 || group <= 0 ||
      channels % group || w[0] != channels ||
      (!outputShape.empty() && outputShape.size() != 2))
    return node.emitError() << "has attributes or a weight " << wType
                            << " that do not fit input " << inType;
  int64_t filters = w[1] * group;
  std::string autoPad = node.getAttrString("auto_pad", "NOTSET");
  SmallVector<int64_t> low(2), high(2), out(2);
  for (int d = 0; d < 2; ++d) {
    int64_t window = (w[2 + d] - 1) * dilations[d] + 1;
    int64_t full = strides[d] * (in[2 + d] - 1) + outputPadding[d] + window;
    int64_t begin = pads[d], end = pads[d + 2];
    if (!outputShape.empty() || autoPad == "SAME_UPPER" ||
        autoPad == "SAME_LOWER") {
      int64_t target =
          !outputShape.empty() ? outputShape[d] : in[2 + d] * strides[d];
      int64_t total = full - target;
      // Python's floor division, as ONNX's reference: a negative total
      // (a larger output_shape) grows the end.
      int64_t half = total >= 0 ? total / 2 : -((1 - total) / 2);
      bool upper = autoPad == "SAME_UPPER";
      begin = upper ? half : total - half;
      end = total - begin;
    }
    out[d] = full - begin - end;
    // Padding of the spread input; negative values crop.
    low[d] = window - 1 - begin;
    high[d] = window - 1 - end + outputPadding[d];
    if (out[d] <= 0)
      return node.emitError() << "has an empty output";
  }
  Type elementType = inType.getElementType();

  // Spread the input by the strides.
  SmallVector<int64_t> spreadShape = {batch, channels,
                                      (in[2] - 1) * strides[0] + 1,
                                      (in[3] - 1) * strides[1] + 1};
  Value spread = input;
  if (strides[0] != 1 || strides[1] != 1) {
    Value zeros = createFilled(b, loc, spreadShape, elementType, 0);
    spread = tensor::InsertSliceOp::create(
        b, loc, input, zeros, getAsIndexOpFoldResult(context, {0, 0, 0, 0}),
        getAsIndexOpFoldResult(context, in),
        getAsIndexOpFoldResult(context, {1, 1, strides[0], strides[1]}));
  }
  // Pad (the positive part) and crop (the negative part).
  Value padded = padConstant(
      b, loc, spread,
      {0, 0, std::max<int64_t>(low[0], 0), std::max<int64_t>(low[1], 0)},
      {0, 0, std::max<int64_t>(high[0], 0), std::max<int64_t>(high[1], 0)}, 0);
  if (low[0] < 0 || low[1] < 0 || high[0] < 0 || high[1] < 0) {
    ArrayRef<int64_t> p = cast<RankedTensorType>(padded.getType()).getShape();
    SmallVector<int64_t> offsets = {0, 0, std::max<int64_t>(-low[0], 0),
                                    std::max<int64_t>(-low[1], 0)};
    SmallVector<int64_t> sizes = {
        batch, channels, p[2] - offsets[2] - std::max<int64_t>(-high[0], 0),
        p[3] - offsets[3] - std::max<int64_t>(-high[1], 0)};
    padded = tensor::ExtractSliceOp::create(
        b, loc, padded, getAsIndexOpFoldResult(context, offsets),
        getAsIndexOpFoldResult(context, sizes),
        getAsIndexOpFoldResult(context, {1, 1, 1, 1}));
  }

  // W'[g, f, c, i, j] = W[g * C/g + c, f, kh - 1 - i, kw - 1 - j].
  int64_t cg = channels / group, fg = w[1], kh = w[2], kw = w[3];
  SmallVector<int64_t> flippedShape = {group, fg, cg, kh, kw};
  AffineExpr g = getAffineDimExpr(0, context), f = getAffineDimExpr(1, context),
             c = getAffineDimExpr(2, context), i = getAffineDimExpr(3, context),
             j = getAffineDimExpr(4, context);
  AffineMap read =
      AffineMap::get(5, 0, {g * cg + c, f, kh - 1 - i, kw - 1 - j}, context);
  Value flippedInit = createEmpty(b, loc, flippedShape, elementType);
  Value flipped =
      linalg::GenericOp::create(
          b, loc, flippedInit.getType(), weight, flippedInit,
          SmallVector<AffineMap>{read,
                                 AffineMap::getMultiDimIdentityMap(5, context)},
          SmallVector<utils::IteratorType>(5, utils::IteratorType::parallel),
          [](OpBuilder &nb, Location nloc, ValueRange args) {
            linalg::YieldOp::create(nb, nloc, args[0]);
          })
          .getResult(0);
  auto ones = getI64VectorAttr(b, {1, 1});
  auto dilationAttr = getI64VectorAttr(b, dilations);
  ArrayRef<int64_t> p = cast<RankedTensorType>(padded.getType()).getShape();
  Value result;
  if (group == 1) {
    Value w4 = reshapeTo(b, loc, flipped, {filters, channels, kh, kw});
    Value init =
        createFilled(b, loc, {batch, filters, out[0], out[1]}, elementType, 0);
    result = linalg::Conv2DNchwFchwOp::create(b, loc, TypeRange{init.getType()},
                                              ValueRange{padded, w4}, init,
                                              ones, dilationAttr)
                 .getResult(0);
  } else {
    Value in5 = reshapeTo(b, loc, padded, {batch, group, cg, p[2], p[3]});
    Value init = createFilled(b, loc, {batch, group, fg, out[0], out[1]},
                              elementType, 0);
    result = linalg::Conv2DNgchwGfchwOp::create(
                 b, loc, TypeRange{init.getType()}, ValueRange{in5, flipped},
                 init, ones, dilationAttr)
                 .getResult(0);
    result = reshapeTo(b, loc, result, {batch, filters, out[0], out[1]});
  }
  if (node.hasInput(2))
    result = buildChannelBroadcast(
        b, loc, result, node.getInput(2), 1,
        [](OpBuilder &nb, Location nloc, ValueRange args) {
          return createAddScalar(nb, nloc, args[0], args[1]);
        });
  if (oneD)
    result = reshapeTo(b, loc, result, {batch, filters, out[1]});
  node.setOutput(0, result);
  return success();
}

//===----------------------------------------------------------------------===//
// BatchNormalization
//===----------------------------------------------------------------------===//

LogicalResult convertBatchNorm(NodeImporter &node) {
  if (node.getAttrInt("training_mode", 0) || node.getNumOutputs() > 1)
    return node.emitError() << "training mode is not supported";
  RankedTensorType type = node.getInputType(0);
  if (type.getRank() < 2)
    return node.emitError() << "expects an input of rank >= 2";
  Type elementType = type.getElementType();
  double epsilon = node.getAttrFloat("epsilon", 1e-5f);
  MLIRContext *context = node.b.getContext();
  int64_t rank = type.getRank();
  AffineMap identity = AffineMap::getMultiDimIdentityMap(rank, context);
  AffineMap channel = AffineMap::get(rank, 0, getAffineDimExpr(1, context));
  SmallVector<Value> inputs = {node.getInput(0)};
  for (unsigned i = 1; i < 5; ++i)
    inputs.push_back(node.getInput(i));
  Value init = createEmpty(node.b, node.loc, type.getShape(), elementType);
  Value result =
      linalg::GenericOp::create(
          node.b, node.loc, type, inputs, init,
          SmallVector<AffineMap>{identity, channel, channel, channel, channel,
                                 identity},
          SmallVector<utils::IteratorType>(rank, utils::IteratorType::parallel),
          [&](OpBuilder &b, Location loc, ValueRange args) {
            // (x - mean) / sqrt(var + eps) * scale + bias
            Value eps = createScalar(b, loc, elementType, epsilon);
            Value centered = arith::SubFOp::create(b, loc, args[0], args[3]);
            Value var = arith::AddFOp::create(b, loc, args[4], eps);
            Value invStd = math::RsqrtOp::create(b, loc, var);
            Value normed = arith::MulFOp::create(b, loc, centered, invStd);
            Value scaled = arith::MulFOp::create(b, loc, normed, args[1]);
            Value shifted = arith::AddFOp::create(b, loc, scaled, args[2]);
            linalg::YieldOp::create(b, loc, shifted);
          })
          .getResult(0);
  node.setOutput(0, result);
  return success();
}

} // namespace

//===----------------------------------------------------------------------===//
// BatchNormalization folding
//===----------------------------------------------------------------------===//

static const onnx::TensorProto *
findFloatInitializer(const llvm::StringMap<const onnx::TensorProto *> &inits,
                     const std::string &name) {
  auto it = inits.find(name);
  if (it == inits.end() || it->second->data_type() != onnx::TensorProto::FLOAT)
    return nullptr;
  return it->second;
}

void mlir::effc::onnx_import::foldBatchNormIntoConv(onnx::GraphProto &graph,
                                                    Location loc) {
  llvm::StringMap<const onnx::TensorProto *> inits;
  for (const onnx::TensorProto &init : graph.initializer())
    inits[init.name()] = &init;
  llvm::StringMap<int> uses;
  for (const onnx::NodeProto &node : graph.node())
    for (const std::string &input : node.input())
      ++uses[input];
  for (const onnx::ValueInfoProto &output : graph.output())
    ++uses[output.name()];
  llvm::StringMap<int> producers;
  for (auto [i, node] : llvm::enumerate(graph.node()))
    for (const std::string &output : node.output())
      producers[output] = i;

  std::vector<int> dead;
  std::vector<onnx::TensorProto> added;
  for (auto [bnIndex, bn] : llvm::enumerate(*graph.mutable_node())) {
    if (bn.op_type() != "BatchNormalization" || !bn.domain().empty() ||
        bn.input_size() != 5 || bn.output_size() != 1)
      continue;
    bool training = false;
    double epsilon = 1e-5;
    for (const onnx::AttributeProto &attr : bn.attribute()) {
      if (attr.name() == "training_mode")
        training = attr.i() != 0;
      if (attr.name() == "epsilon")
        epsilon = attr.f();
    }
    auto producer = producers.find(bn.input(0));
    if (training || producer == producers.end() || uses[bn.input(0)] != 1)
      continue;
    onnx::NodeProto &conv = *graph.mutable_node(producer->second);
    if (conv.op_type() != "Conv" || !conv.domain().empty() ||
        conv.input_size() < 2)
      continue;
    const onnx::TensorProto *w = findFloatInitializer(inits, conv.input(1));
    const onnx::TensorProto *bias =
        conv.input_size() > 2 ? findFloatInitializer(inits, conv.input(2))
                              : nullptr;
    SmallVector<const onnx::TensorProto *> params;
    for (int i = 1; i < 5; ++i)
      params.push_back(findFloatInitializer(inits, bn.input(i)));
    if (!w || w->dims_size() < 1 || (conv.input_size() > 2 && !bias) ||
        llvm::is_contained(params, nullptr))
      continue;
    FailureOr<SmallVector<double>> wv = getTensorDoubles(*w, loc);
    SmallVector<SmallVector<double>> pv;
    for (const onnx::TensorProto *p : params) {
      FailureOr<SmallVector<double>> v = getTensorDoubles(*p, loc);
      if (failed(v))
        return;
      pv.push_back(*v);
    }
    int64_t filters = w->dims(0);
    if (failed(wv) || llvm::any_of(pv, [&](const SmallVector<double> &v) {
          return static_cast<int64_t>(v.size()) != filters;
        }))
      continue;
    SmallVector<double> bv(filters, 0);
    if (bias) {
      FailureOr<SmallVector<double>> v = getTensorDoubles(*bias, loc);
      if (failed(v) || static_cast<int64_t>(v->size()) != filters)
        continue;
      bv = *v;
    }
    // W' = W * s, b' = (b - mean) * s + beta, s = scale / sqrt(var + eps).
    onnx::TensorProto newW, newB;
    newW.set_name(bn.output(0) + "_folded_weight");
    newW.set_data_type(onnx::TensorProto::FLOAT);
    newW.mutable_dims()->CopyFrom(w->dims());
    newB.set_name(bn.output(0) + "_folded_bias");
    newB.set_data_type(onnx::TensorProto::FLOAT);
    newB.add_dims(filters);
    int64_t perFilter = wv->size() / filters;
    std::vector<float> wf(wv->size()), bf(filters);
    for (int64_t f = 0; f < filters; ++f) {
      double s = pv[0][f] / std::sqrt(pv[3][f] + epsilon);
      for (int64_t i = 0; i < perFilter; ++i)
        wf[f * perFilter + i] = (*wv)[f * perFilter + i] * s;
      bf[f] = (bv[f] - pv[2][f]) * s + pv[1][f];
    }
    newW.set_raw_data(std::string(reinterpret_cast<char *>(wf.data()),
                                  wf.size() * sizeof(float)));
    newB.set_raw_data(std::string(reinterpret_cast<char *>(bf.data()),
                                  bf.size() * sizeof(float)));
    conv.set_input(1, newW.name());
    if (conv.input_size() > 2)
      conv.set_input(2, newB.name());
    else
      conv.add_input(newB.name());
    conv.set_output(0, bn.output(0));
    added.push_back(std::move(newW));
    added.push_back(std::move(newB));
    dead.push_back(bnIndex);
  }
  for (onnx::TensorProto &t : added)
    *graph.add_initializer() = std::move(t);
  for (auto it = dead.rbegin(); it != dead.rend(); ++it)
    graph.mutable_node()->DeleteSubrange(*it, 1);
}

void mlir::effc::onnx_import::addLinearConverters(ConverterMap &map) {
  map["MatMul"] = convertMatMul;
  map["Gemm"] = convertGemm;
  map["Conv"] = convertConv;
  map["ConvTranspose"] = convertConvTranspose;
  map["BatchNormalization"] = convertBatchNorm;
}

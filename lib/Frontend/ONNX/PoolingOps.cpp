//===- PoolingOps.cpp - ONNX pooling and Resize -----------------*- C++ -*-===//
//
// MaxPool / AveragePool / GlobalAveragePool / GlobalMaxPool ->
// tensor.pad + linalg.pooling_nchw_max / pooling_nchw_sum (1-D pools run as
// 2-D ones with H = 1); the average divides by a per-position count computed
// at import time. Resize -> a generic that reads the input through per-axis
// index (and, for linear and cubic, weight) tables computed at import time.
//
//===----------------------------------------------------------------------===//

#include "OnnxImporter.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

#include <cmath>

using namespace mlir;
using namespace mlir::effc::onnx_import;

namespace {

enum class PoolKind { Max, Average };

/// Pools a 4-D NCHW `input` with the given geometry; for averages,
/// `countIncludePad` counts the explicit padding in the divisor.
Value buildPool(OpBuilder &b, Location loc, Value input, PoolKind kind,
                ArrayRef<int64_t> kernel, const ConvGeometry &g,
                bool countIncludePad) {
  auto type = cast<RankedTensorType>(input.getType());
  Type elementType = type.getElementType();
  ArrayRef<int64_t> in = type.getShape();
  double padValue = kind == PoolKind::Max ? getLowest(elementType) : 0;
  Value padded = padConstant(
      b, loc, input, {0, 0, g.padLow[0], g.padLow[1]},
      {0, 0, g.padHigh[0] + g.extraHigh[0], g.padHigh[1] + g.extraHigh[1]},
      padValue);
  SmallVector<int64_t> outShape = {in[0], in[1], g.outShape[0], g.outShape[1]};
  Value init = createFilled(b, loc, outShape, elementType, padValue);
  Value window = createEmpty(b, loc, kernel, elementType);
  auto strides = getI64VectorAttr(b, g.strides);
  auto dilations = getI64VectorAttr(b, g.dilations);
  if (kind == PoolKind::Max)
    return linalg::PoolingNchwMaxOp::create(b, loc, TypeRange{init.getType()},
                                            ValueRange{padded, window}, init,
                                            strides, dilations)
        .getResult(0);
  Value sum = linalg::PoolingNchwSumOp::create(
                  b, loc, TypeRange{init.getType()}, ValueRange{padded, window},
                  init, strides, dilations)
                  .getResult(0);

  // The number of elements each window averages, per output position.
  SmallVector<double> counts;
  for (int64_t oh = 0; oh < g.outShape[0]; ++oh)
    for (int64_t ow = 0; ow < g.outShape[1]; ++ow) {
      int64_t count = 1;
      int64_t pos[2] = {oh, ow};
      for (int d = 0; d < 2; ++d) {
        int64_t lo = countIncludePad ? -g.padLow[d] : 0;
        int64_t hi = countIncludePad ? in[2 + d] + g.padHigh[d] : in[2 + d];
        int64_t n = 0;
        for (int64_t k = 0; k < kernel[d]; ++k) {
          int64_t x = pos[d] * g.strides[d] + k * g.dilations[d] - g.padLow[d];
          n += x >= lo && x < hi;
        }
        count *= n;
      }
      counts.push_back(count);
    }
  bool uniform = llvm::all_equal(counts);
  if (uniform)
    return buildElementwise(
        b, loc, sum, outShape, elementType,
        [&](OpBuilder &nb, Location nloc, ValueRange args) -> Value {
          Value n = createScalar(nb, nloc, elementType, counts[0]);
          return arith::DivFOp::create(nb, nloc, args[0], n);
        });
  auto countType =
      RankedTensorType::get({g.outShape[0], g.outShape[1]}, b.getF32Type());
  SmallVector<float> countsF(counts.begin(), counts.end());
  Value countTensor = arith::ConstantOp::create(
      b, loc, DenseElementsAttr::get(countType, ArrayRef<float>(countsF)));
  return buildElementwise(
      b, loc, {sum, countTensor}, outShape, elementType,
      [&](OpBuilder &nb, Location nloc, ValueRange args) -> Value {
        Value n = convertScalar(nb, nloc, args[1], elementType, false);
        return arith::DivFOp::create(nb, nloc, args[0], n);
      });
}

template <PoolKind Kind, bool Global>
LogicalResult convertPool(NodeImporter &node) {
  RankedTensorType type = node.getInputType(0);
  int64_t rank = type.getRank();
  if (rank != 3 && rank != 4)
    return node.emitError()
           << "supports 1-D and 2-D pooling, not " << rank - 2 << "-D";
  if (!isa<FloatType>(type.getElementType()))
    return node.emitError() << "supports float inputs only";
  if (node.getNumOutputs() > 1 && !node.getNode().output(1).empty())
    return node.emitError() << "the Indices output is not supported";
  if (node.getAttrInt("storage_order", 0))
    return node.emitError() << "storage_order = 1 is not supported";
  OpBuilder &b = node.b;
  Location loc = node.loc;
  Value input = node.getInput(0);
  ArrayRef<int64_t> spatial = type.getShape().drop_front(2);
  SmallVector<int64_t> kernel =
      Global ? SmallVector<int64_t>(spatial) : node.getAttrInts("kernel_shape");
  if (kernel.size() != spatial.size())
    return node.emitError() << "kernel_shape does not match the input rank";
  ConvGeometry g;
  if (Global) {
    for (int64_t k : kernel) {
      g.strides.push_back(1);
      g.dilations.push_back(1);
      g.padLow.push_back(0);
      g.padHigh.push_back(0);
      g.extraHigh.push_back(0);
      g.outShape.push_back(1);
      (void)k;
    }
  } else {
    FailureOr<ConvGeometry> geometry = getConvGeometry(node, spatial, kernel);
    if (failed(geometry))
      return failure();
    g = *geometry;
  }
  bool oneD = rank == 3;
  if (oneD) {
    input = reshapeTo(
        b, loc, input,
        {type.getDimSize(0), type.getDimSize(1), 1, type.getDimSize(2)});
    kernel.insert(kernel.begin(), 1);
    for (SmallVector<int64_t> *v :
         {&g.dilations, &g.padLow, &g.padHigh, &g.extraHigh})
      v->insert(v->begin(), 0);
    g.dilations[0] = 1;
    g.strides.insert(g.strides.begin(), 1);
    g.outShape.insert(g.outShape.begin(), 1);
  }
  Value result = buildPool(b, loc, input, Kind, kernel, g,
                           node.getAttrInt("count_include_pad", 0));
  if (oneD)
    result = reshapeTo(b, loc, result,
                       {type.getDimSize(0), type.getDimSize(1), g.outShape[1]});
  node.setOutput(0, result);
  return success();
}

//===----------------------------------------------------------------------===//
// Resize
//===----------------------------------------------------------------------===//

/// The input index that output index `x` of an axis reads.
FailureOr<int64_t> nearestSource(NodeImporter &node, int64_t x, int64_t in,
                                 int64_t out, double scale) {
  std::string transform =
      node.getAttrString("coordinate_transformation_mode", "half_pixel");
  std::string mode = node.getAttrString("nearest_mode", "round_prefer_floor");
  double original;
  if (transform == "half_pixel")
    original = (x + 0.5) / scale - 0.5;
  else if (transform == "pytorch_half_pixel")
    original = out > 1 ? (x + 0.5) / scale - 0.5 : 0;
  else if (transform == "asymmetric")
    original = x / scale;
  else if (transform == "tf_half_pixel_for_nearest")
    original = (x + 0.5) / scale;
  else if (transform == "align_corners")
    original = out == 1 ? 0 : x * double(in - 1) / double(out - 1);
  else
    return node.emitError() << "coordinate_transformation_mode '" << transform
                            << "' is not supported";
  double index;
  double fraction = original - std::floor(original);
  if (mode == "round_prefer_floor")
    index = fraction == 0.5 ? std::floor(original) : std::round(original);
  else if (mode == "round_prefer_ceil")
    index = fraction == 0.5 ? std::ceil(original) : std::round(original);
  else if (mode == "floor")
    index = std::floor(original);
  else if (mode == "ceil")
    index = std::ceil(original);
  else
    return node.emitError() << "nearest_mode '" << mode << "' is not supported";
  return std::clamp<int64_t>(static_cast<int64_t>(index), 0, in - 1);
}

/// The taps of one output position of one axis for linear or cubic
/// interpolation: input indices (clamped to the edge) and weights, computed
/// as ONNX's reference does.
struct Taps {
  SmallVector<int64_t> indices;
  SmallVector<double> weights;
};

FailureOr<Taps> interpolationTaps(NodeImporter &node, int64_t x, int64_t in,
                                  double scale, bool cubic) {
  std::string transform =
      node.getAttrString("coordinate_transformation_mode", "half_pixel");
  double outWidth = scale * in;
  double original;
  if (transform == "half_pixel")
    original = (x + 0.5) / scale - 0.5;
  else if (transform == "pytorch_half_pixel")
    original = outWidth != 1 ? (x + 0.5) / scale - 0.5 : -0.5;
  else if (transform == "asymmetric")
    original = x / scale;
  else if (transform == "align_corners")
    original = outWidth == 1 ? 0 : x * double(in - 1) / (outWidth - 1);
  else
    return node.emitError() << "coordinate_transformation_mode '" << transform
                            << "' is not supported for mode '"
                            << (cubic ? "cubic" : "linear") << "'";
  double floor = std::floor(original);
  double ratio = original == floor ? 1 : original - floor;
  SmallVector<double> coeffs;
  if (cubic) {
    double a = node.getAttrFloat("cubic_coeff_a", -0.75f);
    double r1 = ratio + 1, s = 1 - ratio, s1 = s + 1;
    coeffs = {((a * r1 - 5 * a) * r1 + 8 * a) * r1 - 4 * a,
              ((a + 2) * ratio - (a + 3)) * ratio * ratio + 1,
              ((a + 2) * s - (a + 3)) * s * s + 1,
              ((a * s1 - 5 * a) * s1 + 8 * a) * s1 - 4 * a};
  } else {
    coeffs = {1 - ratio, ratio};
  }
  // The n indices nearest to `original` (ties to the lower), in order; the
  // input is edge-padded by ceil(n / 2) on both sides.
  int64_t n = coeffs.size(), pad = (n + 1) / 2, padded = in + 2 * pad;
  double xp = original + pad;
  SmallVector<int64_t> candidates;
  for (int64_t i = static_cast<int64_t>(std::floor(xp)) - n;
       i <= static_cast<int64_t>(std::floor(xp)) + n; ++i)
    if (i >= 0 && i < padded)
      candidates.push_back(i);
  llvm::stable_sort(candidates, [&](int64_t l, int64_t r) {
    double dl = std::fabs(xp - l), dr = std::fabs(xp - r);
    return dl < dr || (dl == dr && l < r);
  });
  if (static_cast<int64_t>(candidates.size()) < n)
    return node.emitError() << "has an axis too small to interpolate";
  candidates.resize(n);
  llvm::sort(candidates);
  Taps taps;
  bool excludeOutside = node.getAttrInt("exclude_outside", 0);
  double sum = 0;
  for (auto [i, c] : llvm::enumerate(candidates)) {
    int64_t index = c - pad;
    double weight = coeffs[i];
    if (excludeOutside && (index < 0 || index >= in))
      weight = 0;
    sum += weight;
    taps.indices.push_back(std::clamp<int64_t>(index, 0, in - 1));
    taps.weights.push_back(weight);
  }
  if (excludeOutside && sum != 0)
    for (double &w : taps.weights)
      w /= sum;
  return taps;
}

/// Linear / cubic Resize: every output element is the weighted sum of the
/// input over the taps of each axis (one tap where the axis is not resized),
/// read from index and weight tables computed at import time.
FailureOr<Value> buildInterpolatingResize(NodeImporter &node,
                                          ArrayRef<int64_t> sizes,
                                          ArrayRef<double> scales, bool cubic) {
  RankedTensorType type = node.getInputType(0);
  Type elementType = type.getElementType();
  if (!isa<FloatType>(elementType))
    return node.emitError() << "interpolates float tensors only";
  OpBuilder &b = node.b;
  Location loc = node.loc;
  int64_t rank = type.getRank();
  SmallVector<Value> indexTables, weightTables;
  SmallVector<int64_t> numTaps;
  int64_t combinations = 1;
  for (int64_t d = 0; d < rank; ++d) {
    int64_t in = type.getDimSize(d);
    SmallVector<Taps> axis;
    bool identity = sizes[d] == in;
    for (int64_t x = 0; x < sizes[d]; ++x) {
      FailureOr<Taps> taps = interpolationTaps(node, x, in, scales[d], cubic);
      if (failed(taps))
        return failure();
      // An axis that is not resized reads each element with weight 1.
      for (auto [index, weight] : llvm::zip(taps->indices, taps->weights))
        if (weight != 0 && (index != x || weight != 1))
          identity = false;
      axis.push_back(*taps);
    }
    int64_t t = identity ? 1 : axis.front().indices.size();
    SmallVector<int64_t> indices;
    SmallVector<float> weights;
    for (auto [x, taps] : llvm::enumerate(axis))
      for (int64_t k = 0; k < t; ++k) {
        indices.push_back(identity ? x : taps.indices[k]);
        weights.push_back(identity ? 1 : taps.weights[k]);
      }
    auto indexType = RankedTensorType::get({sizes[d], t}, b.getI64Type());
    auto weightType = RankedTensorType::get({sizes[d], t}, b.getF32Type());
    indexTables.push_back(arith::ConstantOp::create(
        b, loc, DenseElementsAttr::get(indexType, ArrayRef<int64_t>(indices))));
    weightTables.push_back(arith::ConstantOp::create(
        b, loc, DenseElementsAttr::get(weightType, ArrayRef<float>(weights))));
    numTaps.push_back(t);
    combinations *= t;
  }
  if (combinations > 256)
    return node.emitError() << "interpolates along too many axes at once";
  Value input = node.getInput(0);
  return buildElementwise(
      b, loc, ValueRange{}, sizes, elementType,
      [&](OpBuilder &nb, Location nloc, ValueRange) -> Value {
        // The taps of this output position, per axis.
        SmallVector<SmallVector<Value>> tapIndex(rank), tapWeight(rank);
        for (int64_t d = 0; d < rank; ++d) {
          Value x = linalg::IndexOp::create(nb, nloc, d);
          for (int64_t k = 0; k < numTaps[d]; ++k) {
            Value kk = arith::ConstantIndexOp::create(nb, nloc, k);
            Value index = tensor::ExtractOp::create(nb, nloc, indexTables[d],
                                                    ValueRange{x, kk});
            tapIndex[d].push_back(
                arith::IndexCastOp::create(nb, nloc, nb.getIndexType(), index));
            Value weight = tensor::ExtractOp::create(nb, nloc, weightTables[d],
                                                     ValueRange{x, kk});
            tapWeight[d].push_back(
                convertScalar(nb, nloc, weight, elementType, false));
          }
        }
        Value sum = createScalar(nb, nloc, elementType, 0);
        for (int64_t c = 0; c < combinations; ++c) {
          SmallVector<Value> indices;
          Value weight;
          for (int64_t d = 0, rest = c; d < rank; ++d) {
            int64_t k = rest % numTaps[d];
            rest /= numTaps[d];
            indices.push_back(tapIndex[d][k]);
            if (numTaps[d] > 1)
              weight = weight ? arith::MulFOp::create(nb, nloc, weight,
                                                      tapWeight[d][k])
                                    .getResult()
                              : tapWeight[d][k];
          }
          Value v = tensor::ExtractOp::create(nb, nloc, input, indices);
          if (weight)
            v = arith::MulFOp::create(nb, nloc, v, weight);
          sum = arith::AddFOp::create(nb, nloc, sum, v);
        }
        return sum;
      });
}

LogicalResult convertResize(NodeImporter &node) {
  std::string mode = node.getAttrString("mode", "nearest");
  if (mode != "nearest" && mode != "linear" && mode != "cubic")
    return node.emitError() << "has an unknown mode '" << mode << "'";
  RankedTensorType type = node.getInputType(0);
  int64_t rank = type.getRank();
  ArrayRef<int64_t> in = type.getShape();
  // Opset 10 has (X, scales); later opsets (X, roi, scales, sizes).
  unsigned scalesInput = node.opset < 11 ? 1 : 2;
  SmallVector<double> scales;
  SmallVector<int64_t> sizes;
  if (node.hasInput(scalesInput + 1)) {
    FailureOr<SmallVector<int64_t>> s = node.getConstantInts(scalesInput + 1);
    if (failed(s))
      return failure();
    sizes = *s;
  }
  if (sizes.empty()) {
    FailureOr<SmallVector<double>> s = node.getConstantDoubles(scalesInput);
    if (failed(s))
      return failure();
    scales = *s;
    if (static_cast<int64_t>(scales.size()) != rank)
      return node.emitError()
             << "has " << scales.size() << " scales for rank " << rank;
    for (int64_t i = 0; i < rank; ++i)
      sizes.push_back(static_cast<int64_t>(std::floor(in[i] * scales[i])));
  } else {
    if (static_cast<int64_t>(sizes.size()) != rank)
      return node.emitError()
             << "has " << sizes.size() << " sizes for rank " << rank;
    for (int64_t i = 0; i < rank; ++i)
      scales.push_back(double(sizes[i]) / double(in[i]));
  }

  if (mode != "nearest") {
    FailureOr<Value> result =
        buildInterpolatingResize(node, sizes, scales, mode == "cubic");
    if (failed(result))
      return failure();
    node.setOutput(0, *result);
    return success();
  }

  OpBuilder &b = node.b;
  Location loc = node.loc;
  MLIRContext *context = b.getContext();
  SmallVector<Value> tables;
  SmallVector<AffineMap> maps;
  for (int64_t d = 0; d < rank; ++d) {
    SmallVector<int64_t> table;
    for (int64_t x = 0; x < sizes[d]; ++x) {
      FailureOr<int64_t> src =
          nearestSource(node, x, in[d], sizes[d], scales[d]);
      if (failed(src))
        return failure();
      table.push_back(*src);
    }
    auto tableType = RankedTensorType::get({sizes[d]}, b.getI64Type());
    tables.push_back(arith::ConstantOp::create(
        b, loc, DenseElementsAttr::get(tableType, ArrayRef<int64_t>(table))));
    maps.push_back(AffineMap::get(rank, 0, getAffineDimExpr(d, context)));
  }
  maps.push_back(AffineMap::getMultiDimIdentityMap(rank, context));
  Value input = node.getInput(0);
  Value init = createEmpty(b, loc, sizes, type.getElementType());
  Value result =
      linalg::GenericOp::create(
          b, loc, init.getType(), tables, init, maps,
          SmallVector<utils::IteratorType>(rank, utils::IteratorType::parallel),
          [&](OpBuilder &nb, Location nloc, ValueRange args) {
            SmallVector<Value> indices;
            for (Value index : args.drop_back())
              indices.push_back(arith::IndexCastOp::create(
                  nb, nloc, nb.getIndexType(), index));
            Value v = tensor::ExtractOp::create(nb, nloc, input, indices);
            linalg::YieldOp::create(nb, nloc, v);
          })
          .getResult(0);
  node.setOutput(0, result, node.isInputUnsigned(0));
  return success();
}

} // namespace

void mlir::effc::onnx_import::addPoolingConverters(ConverterMap &map) {
  map["MaxPool"] = convertPool<PoolKind::Max, false>;
  map["AveragePool"] = convertPool<PoolKind::Average, false>;
  map["GlobalMaxPool"] = convertPool<PoolKind::Max, true>;
  map["GlobalAveragePool"] = convertPool<PoolKind::Average, true>;
  map["Resize"] = convertResize;
}

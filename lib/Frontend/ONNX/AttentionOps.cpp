//===- AttentionOps.cpp - ONNX Attention (opset 23) -------------*- C++ -*-===//
//
// Attention is decomposed the way torch-mlir writes scaled_dot_product
// attention, the pattern --effc-raise recognizes: K transposed by
// linalg.transpose, batch_matmul of Q and K^T over B*H, the scale, mask and
// causal mask (linalg.index + arith.cmpi + arith.select) as generics, the
// keepdim softmax, and a batch_matmul with V. Grouped-query attention
// repeats the K/V heads as torch's repeat_kv does (a broadcast into
// [B, kvH, rep, T, D] and a collapse). 3-D inputs [B, S, H*D] are split
// into heads and merged back.
//
//===----------------------------------------------------------------------===//

#include "OnnxImporter.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"

#include <cmath>
#include <limits>

using namespace mlir;
using namespace mlir::effc::onnx_import;

namespace {

/// [B, S, H*D] -> [B, H, S, D]; 4-D inputs pass through.
FailureOr<Value> toHeads(NodeImporter &node, Value v, int64_t heads,
                         StringRef what) {
  auto type = cast<RankedTensorType>(v.getType());
  if (type.getRank() == 4)
    return v;
  if (type.getRank() != 3 || heads <= 0 || type.getDimSize(2) % heads)
    return node.emitError() << what << " " << type
                            << " is neither 4-D nor 3-D with a hidden size "
                               "that splits into "
                            << heads << " heads";
  int64_t b = type.getDimSize(0), s = type.getDimSize(1),
          d = type.getDimSize(2) / heads;
  Value split = reshapeTo(node.b, node.loc, v, {b, s, heads, d});
  return transpose(node.b, node.loc, split, {0, 2, 1, 3});
}

/// [B, kvH, T, D] -> [B, kvH * rep, T, D], each kv head repeated rep times.
Value repeatHeads(OpBuilder &b, Location loc, Value v, int64_t rep) {
  if (rep == 1)
    return v;
  auto type = cast<RankedTensorType>(v.getType());
  ArrayRef<int64_t> s = type.getShape();
  MLIRContext *context = b.getContext();
  SmallVector<int64_t> wide = {s[0], s[1], rep, s[2], s[3]};
  Value init = createEmpty(b, loc, wide, type.getElementType());
  AffineMap read = AffineMap::get(
      5, 0,
      {getAffineDimExpr(0, context), getAffineDimExpr(1, context),
       getAffineDimExpr(3, context), getAffineDimExpr(4, context)},
      context);
  Value expanded =
      linalg::GenericOp::create(
          b, loc, init.getType(), v, init,
          SmallVector<AffineMap>{read,
                                 AffineMap::getMultiDimIdentityMap(5, context)},
          SmallVector<utils::IteratorType>(5, utils::IteratorType::parallel),
          [](OpBuilder &nb, Location nloc, ValueRange args) {
            linalg::YieldOp::create(nb, nloc, args[0]);
          })
          .getResult(0);
  return reshapeTo(b, loc, expanded, {s[0], s[1] * rep, s[2], s[3]});
}

/// [B, H, M, K] x [B, H, K, N] as one batch_matmul over B*H.
Value headMatmul(OpBuilder &b, Location loc, Value lhs, Value rhs) {
  ArrayRef<int64_t> l = cast<RankedTensorType>(lhs.getType()).getShape();
  ArrayRef<int64_t> r = cast<RankedTensorType>(rhs.getType()).getShape();
  Type elementType = cast<RankedTensorType>(lhs.getType()).getElementType();
  Value l3 = reshapeTo(b, loc, lhs, {l[0] * l[1], l[2], l[3]});
  Value r3 = reshapeTo(b, loc, rhs, {r[0] * r[1], r[2], r[3]});
  Value product = buildMatmul(b, loc, l3, r3, elementType);
  return reshapeTo(b, loc, product, {l[0], l[1], l[2], r[3]});
}

LogicalResult convertAttention(NodeImporter &node) {
  for (unsigned i = 4; i < 6; ++i)
    if (node.hasInput(i))
      return node.emitError() << "past_key / past_value are not supported";
  for (unsigned i = 1; i < node.getNumOutputs(); ++i)
    if (!node.getNode().output(i).empty())
      return node.emitError() << "output #" << i
                              << " (present key/value, qk_matmul_output) is "
                                 "not supported";
  if (node.getAttrInt("qk_matmul_output_mode", 0) != 0)
    return node.emitError() << "qk_matmul_output_mode must be 0";
  OpBuilder &b = node.b;
  Location loc = node.loc;
  RankedTensorType qType = node.getInputType(0);
  Type elementType = qType.getElementType();
  if (!isa<FloatType>(elementType))
    return node.emitError() << "expects float inputs";
  bool threeD = qType.getRank() == 3;
  FailureOr<Value> q =
      toHeads(node, node.getInput(0), node.getAttrInt("q_num_heads", 0), "Q");
  FailureOr<Value> k =
      toHeads(node, node.getInput(1), node.getAttrInt("kv_num_heads", 0), "K");
  FailureOr<Value> v =
      toHeads(node, node.getInput(2), node.getAttrInt("kv_num_heads", 0), "V");
  if (failed(q) || failed(k) || failed(v))
    return failure();
  ArrayRef<int64_t> qs = cast<RankedTensorType>(q->getType()).getShape();
  ArrayRef<int64_t> ks = cast<RankedTensorType>(k->getType()).getShape();
  ArrayRef<int64_t> vs = cast<RankedTensorType>(v->getType()).getShape();
  int64_t batch = qs[0], heads = qs[1], seq = qs[2], headSize = qs[3];
  int64_t kvHeads = ks[1], total = ks[2];
  if (ks[0] != batch || vs[0] != batch || ks[3] != headSize ||
      vs[1] != kvHeads || vs[2] != total || kvHeads == 0 || heads % kvHeads)
    return node.emitError() << "Q " << q->getType() << ", K " << k->getType()
                            << " and V " << v->getType() << " do not fit";
  Value keys = repeatHeads(b, loc, *k, heads / kvHeads);
  Value values = repeatHeads(b, loc, *v, heads / kvHeads);

  // scores = Q K^T * scale
  Value keysT = transpose(b, loc, keys, {0, 1, 3, 2});
  Value scores = headMatmul(b, loc, *q, keysT);
  SmallVector<int64_t> scoreShape = {batch, heads, seq, total};
  double scale = node.hasAttr("scale")
                     ? node.getAttrFloat("scale", 1)
                     : 1.0 / std::sqrt(static_cast<double>(headSize));
  scores = buildElementwise(
      b, loc, scores, scoreShape, elementType,
      [&](OpBuilder &nb, Location nloc, ValueRange args) -> Value {
        return arith::MulFOp::create(
            nb, nloc, args[0], createScalar(nb, nloc, elementType, scale));
      });
  double negInf = -std::numeric_limits<double>::infinity();
  if (node.hasInput(3)) {
    // A bool mask keeps the true positions; a float mask is added.
    Value mask = node.getInput(3);
    bool boolMask = node.getInputType(3).getElementType().isInteger(1);
    if (!boolMask && node.getInputType(3).getElementType() != elementType)
      return node.emitError() << "attn_mask must be bool or of Q's type";
    FailureOr<Value> masked = buildBroadcastElementwise(
        node, {scores, mask}, elementType,
        [&](OpBuilder &nb, Location nloc, ValueRange args) -> Value {
          if (boolMask)
            return arith::SelectOp::create(
                nb, nloc, args[1], args[0],
                createScalar(nb, nloc, elementType, negInf));
          return arith::AddFOp::create(nb, nloc, args[0], args[1]);
        });
    if (failed(masked))
      return failure();
    if (cast<RankedTensorType>(masked->getType()).getShape() !=
        ArrayRef<int64_t>(scoreShape))
      return node.emitError() << "attn_mask does not broadcast to the scores";
    scores = *masked;
  }
  if (node.getAttrInt("is_causal", 0)) {
    // Query i sees keys j <= i.
    scores = buildElementwise(
        b, loc, scores, scoreShape, elementType,
        [&](OpBuilder &nb, Location nloc, ValueRange args) -> Value {
          Value i = linalg::IndexOp::create(nb, nloc, 2);
          Value j = linalg::IndexOp::create(nb, nloc, 3);
          Value visible =
              arith::CmpIOp::create(nb, nloc, arith::CmpIPredicate::sle, j, i);
          return arith::SelectOp::create(
              nb, nloc, visible, args[0],
              createScalar(nb, nloc, elementType, negInf));
        });
  }
  double softcap = node.getAttrFloat("softcap", 0);
  if (softcap > 0)
    scores = buildElementwise(
        b, loc, scores, scoreShape, elementType,
        [&](OpBuilder &nb, Location nloc, ValueRange args) -> Value {
          Value cap = createScalar(nb, nloc, elementType, softcap);
          Value t = math::TanhOp::create(
              nb, nloc, arith::DivFOp::create(nb, nloc, args[0], cap));
          return arith::MulFOp::create(nb, nloc, t, cap);
        });
  Value probs = buildSoftmax(b, loc, scores, 3, /*log=*/false);
  Value result = headMatmul(b, loc, probs, values);
  if (threeD) {
    Value merged = transpose(b, loc, result, {0, 2, 1, 3});
    result = reshapeTo(b, loc, merged, {batch, seq, heads * vs[3]});
  }
  node.setOutput(0, result);
  return success();
}

} // namespace

void mlir::effc::onnx_import::addAttentionConverters(ConverterMap &map) {
  map["Attention"] = convertAttention;
}

//===- PruneStructured.cpp - channel and head pruning -----------*- C++ -*-===//
//
// The structured methods of --effc-prune: they remove whole output channels
// (method=channel) or attention heads (method=head) and shrink every shape
// they reach (the op's weight, bias and result, the elementwise ops after
// it, its consumers' input channels; the Q/K/V projections, the head
// split and merge, the output projection), instead of zeroing entries.
//
//===----------------------------------------------------------------------===//

#include "PruneImpl.h"

#include "effc/Support/WeightData.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Matchers.h"
#include "llvm/ADT/SetVector.h"

#include <cmath>

using namespace mlir;
using namespace mlir::effc;

//===----------------------------------------------------------------------===//
// Channel pruning
//===----------------------------------------------------------------------===//

/// The op's constant weight as raw bytes, or empty.
static std::vector<char> currentWeight(WeightedOpInterface op,
                                       RankedTensorType &type) {
  Attribute cst;
  if (!matchPattern(op.getWeight(), m_Constant(&cst)))
    return {};
  type = cast<RankedTensorType>(op.getWeight().getType());
  return getRawBytes(cst, type.getNumElements(),
                     getPruneElementBytes(type.getElementType()));
}

/// Replaces `operand` of `op` by a constant of `type` from `raw`.
static void setConstant(Operation *op, OpOperand &operand,
                        RankedTensorType type, ArrayRef<char> raw) {
  OpBuilder b(op);
  Operation *old = operand.get().getDefiningOp();
  auto cst =
      arith::ConstantOp::create(b, old ? old->getLoc() : op->getLoc(),
                                DenseElementsAttr::getFromRawBuffer(type, raw));
  operand.set(cst.getResult());
  if (old && old->use_empty())
    old->erase();
}

/// Keeps the `keep` entries of dim `dim` of a raw row-major tensor.
static std::vector<char> sliceDim(ArrayRef<char> raw, ArrayRef<int64_t> shape,
                                  int64_t dim, ArrayRef<int64_t> keep,
                                  unsigned bytes) {
  int64_t outer = 1, inner = bytes;
  for (int64_t i = 0; i < dim; ++i)
    outer *= shape[i];
  for (int64_t i = dim + 1; i < (int64_t)shape.size(); ++i)
    inner *= shape[i];
  std::vector<char> out;
  out.reserve(outer * keep.size() * inner);
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t k : keep) {
      const char *p = raw.data() + (o * shape[dim] + k) * inner;
      out.insert(out.end(), p, p + inner);
    }
  return out;
}

static RankedTensorType withDim(RankedTensorType t, int64_t dim, int64_t size) {
  SmallVector<int64_t> shape(t.getShape());
  shape[dim] = size;
  return RankedTensorType::get(shape, t.getElementType());
}

/// Finds every use of `v` (whose last dim holds the pruned channels):
/// consumers that read it as their input channels, and elementwise ops in
/// between, whose results carry the channels on. Fails, naming the op,
/// where the channels cannot follow.
static LogicalResult followChannels(Operation *producer, Value v,
                                    SetVector<Operation *> &elementwise,
                                    SetVector<Operation *> &consumers) {
  for (OpOperand &use : v.getUses()) {
    Operation *user = use.getOwner();
    if (auto linear = dyn_cast<LinearOp>(user);
        linear && &use == &linear.getInputMutable()) {
      if (linear.getWeight().getType().getRank() != 2 ||
          !matchPattern(linear.getWeight(), m_Constant()))
        return user->emitOpError()
               << "prune: cannot shrink the input channels of this op "
                  "(its weight must be a constant [N, K]) after removing "
                  "output channels of "
               << producer->getName();
      consumers.insert(user);
      continue;
    }
    if (auto conv = dyn_cast<Conv2DOp>(user);
        conv && &use == &conv.getInputMutable()) {
      if (conv.getGroups() != 1 ||
          !matchPattern(conv.getWeight(), m_Constant()))
        return user->emitOpError()
               << "prune: cannot shrink the input channels of a grouped "
                  "convolution or one with a non-constant weight";
      consumers.insert(user);
      continue;
    }
    bool elementwiseOp =
        user->getNumResults() == 1 && user->hasTrait<OpTrait::Elementwise>() &&
        llvm::all_of(
            user->getOperands(),
            [&](Value o) { return o == v || !isa<ShapedType>(o.getType()); }) &&
        user->getResult(0).getType() == v.getType();
    if (elementwiseOp) {
      if (elementwise.insert(user))
        if (failed(followChannels(producer, user->getResult(0), elementwise,
                                  consumers)))
          return failure();
      continue;
    }
    return user->emitOpError()
           << "prune: channel pruning cannot propagate the removed output "
              "channels of '"
           << getOpNameOrLocation(producer) << "' through this op";
  }
  return success();
}

/// method=channel: removes the round(sparsity * N) output channels with
/// the smallest L1 / L2 row norm (ties keep the lower index) and shrinks
/// the op's weight, bias and result, the elementwise ops after it, and
/// its consumers' input channels. Ops are pruned in program order, each
/// ranked on its weight as left by the previous ones.
LogicalResult mlir::effc::pruneChannels(PruneTarget &t,
                                        const PruneConfig &config) {
  Operation *op = t.op;
  auto weighted = cast<WeightedOpInterface>(op);
  RankedTensorType wTy;
  std::vector<char> raw = currentWeight(weighted, wTy);
  if (raw.empty())
    return op->emitOpError("prune: the weight's data is not available");
  if (isa<LinearOp>(op) && wTy.getRank() != 2)
    return op->emitOpError("prune: channel pruning needs an [N, K] weight");
  if (auto conv = dyn_cast<Conv2DOp>(op); conv && conv.getGroups() != 1)
    return op->emitOpError("prune: channel pruning of a grouped "
                           "convolution is not supported");
  Type elt = wTy.getElementType();
  unsigned bytes = getPruneElementBytes(elt);
  int64_t rows = wTy.getDimSize(0);
  int64_t cols = wTy.getNumElements() / rows;
  std::vector<double> values = toDouble(raw, *getFloatFormat(elt));
  bool l1 = config.l1;
  std::vector<double> scores(rows, 0.0);
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t c = 0; c < cols; ++c) {
      double v = values[r * cols + c];
      scores[r] += l1 ? std::fabs(v) : v * v;
    }
    scores[r] = rankable(l1 ? scores[r] : std::sqrt(scores[r]));
  }
  int64_t count = int64_t(std::nearbyint(config.fraction * double(rows)));
  if (count >= rows)
    return op->emitOpError()
           << "prune: channel pruning with sparsity "
           << formatNumber("%g", config.fraction) << " would remove all "
           << rows << " output channels";
  std::vector<int64_t> dropped = selectWeakest(scores, count);
  std::vector<bool> isDropped(rows, false);
  for (int64_t d : dropped)
    isDropped[d] = true;
  SmallVector<int64_t> keep;
  for (int64_t r = 0; r < rows; ++r)
    if (!isDropped[r])
      keep.push_back(r);
  int64_t kept = keep.size();

  SetVector<Operation *> elementwise, consumers;
  Value result = op->getResult(0);
  if (failed(followChannels(op, result, elementwise, consumers)))
    return failure();

  MLIRContext *ctx = op->getContext();
  if (count > 0) {
    setConstant(op, *weighted.getWeightOperand(), withDim(wTy, 0, kept),
                sliceDim(raw, wTy.getShape(), 0, keep, bytes));
    if (OpOperand *biasOperand = weighted.getBiasOperand()) {
      Value bias = biasOperand->get();
      RankedTensorType bTy;
      Attribute cst;
      if (!matchPattern(bias, m_Constant(&cst)))
        return op->emitOpError("prune: channel pruning needs a constant "
                               "bias");
      bTy = cast<RankedTensorType>(bias.getType());
      std::vector<char> b =
          getRawBytes(cst, bTy.getNumElements(),
                      getPruneElementBytes(bTy.getElementType()));
      if (b.empty())
        return op->emitOpError("prune: the bias data is not available");
      setConstant(op, *biasOperand, withDim(bTy, 0, kept),
                  sliceDim(b, bTy.getShape(), 0, keep,
                           getPruneElementBytes(bTy.getElementType())));
    }
    auto resTy = cast<RankedTensorType>(result.getType());
    RankedTensorType newTy = withDim(resTy, resTy.getRank() - 1, kept);
    result.setType(newTy);
    for (Operation *e : elementwise)
      e->getResult(0).setType(newTy);
    for (Operation *c : consumers) {
      auto consumer = cast<WeightedOpInterface>(c);
      RankedTensorType cTy;
      std::vector<char> cRaw = currentWeight(consumer, cTy);
      if (cRaw.empty())
        return c->emitOpError("prune: the weight's data is not available");
      int64_t lastDim = cTy.getRank() - 1;
      setConstant(c, *consumer.getWeightOperand(), withDim(cTy, lastDim, kept),
                  sliceDim(cRaw, cTy.getShape(), lastDim, keep,
                           getPruneElementBytes(cTy.getElementType())));
    }
  }
  auto plan = SparsityPlanAttr::get(
      ctx, PruneMethod::channel,
      FloatAttr::get(Float64Type::get(ctx), double(count) / double(rows)), 0, 0,
      0, 0);
  op->setDiscardableAttr(EffcDialect::kSparsityPlanAttrName, plan);
  return success();
}

//===----------------------------------------------------------------------===//
// Head pruning
//===----------------------------------------------------------------------===//

namespace {
/// One projection feeding an attention operand: linear [.., H * D] ->
/// expand_shape [.., H, D] -> transpose [.., H, S, D].
struct HeadInput {
  LinearOp linear;
  tensor::ExpandShapeOp expand;
  linalg::TransposeOp transpose;
};
} // namespace

/// The single user of `v`, or null.
static Operation *singleUser(Value v) {
  return v.hasOneUse() ? *v.getUsers().begin() : nullptr;
}

/// Follows attention operand `v` back to its projection; `headDim` is
/// the head dim of the operand. Fails naming the op that breaks it.
static LogicalResult traceHeadInput(AttentionOp att, Value v, int64_t headDim,
                                    HeadInput &in) {
  auto fail = [&](Operation *at) {
    return (at ? at : att.getOperation())->emitOpError()
           << "prune: head pruning needs each attention operand to be "
              "linear -> tensor.expand_shape (last dim into [H, D]) -> "
              "linalg.transpose, each with one use";
  };
  in.transpose = v.getDefiningOp<linalg::TransposeOp>();
  if (!in.transpose || !v.hasOneUse())
    return fail(v.getDefiningOp());
  in.expand = in.transpose.getInput().getDefiningOp<tensor::ExpandShapeOp>();
  if (!in.expand || !in.expand.getResult().hasOneUse())
    return fail(in.transpose);
  in.linear = in.expand.getSrc().getDefiningOp<LinearOp>();
  if (!in.linear || !in.linear.getResult().hasOneUse() ||
      cast<RankedTensorType>(in.linear.getWeight().getType()).getRank() != 2 ||
      !matchPattern(in.linear.getWeight(), m_Constant()))
    return fail(in.expand);
  auto reassoc = in.expand.getReassociationIndices();
  int64_t rank = in.expand.getResultType().getRank();
  ArrayRef<int64_t> perm = in.transpose.getPermutation();
  if (reassoc.back().size() != 2 || perm[headDim] != rank - 2 ||
      perm[rank - 1] != rank - 1)
    return fail(in.expand);
  return success();
}

/// Rebuilds the expand_shape / transpose pair after a head count change.
static Value rebuildSplit(OpBuilder &b, tensor::ExpandShapeOp expand,
                          linalg::TransposeOp transpose, Value src,
                          int64_t heads) {
  RankedTensorType eTy = expand.getResultType();
  auto newE = withDim(eTy, eTy.getRank() - 2, heads);
  b.setInsertionPoint(expand);
  Value e = tensor::ExpandShapeOp::create(b, expand.getLoc(), newE, src,
                                          expand.getReassociationIndices());
  ArrayRef<int64_t> perm = transpose.getPermutation();
  SmallVector<int64_t> shape;
  for (int64_t d : perm)
    shape.push_back(newE.getDimSize(d));
  auto tTy = RankedTensorType::get(shape, newE.getElementType());
  b.setInsertionPoint(transpose);
  Value init = tensor::EmptyOp::create(b, transpose.getLoc(), tTy.getShape(),
                                       tTy.getElementType());
  return linalg::TransposeOp::create(b, transpose.getLoc(), e, init,
                                     b.getDenseI64ArrayAttr(perm))
      .getResult()[0];
}

/// method=head: removes the round(sparsity * H) attention heads whose
/// Q, K, V projection rows and output projection columns have the
/// smallest joint L2 (criterion=l1: L1) norm, with those rows / columns.
LogicalResult mlir::effc::pruneHeads(AttentionOp att,
                                     const PruneConfig &config) {
  auto qTy = att.getQuery().getType();
  int64_t rank = qTy.getRank();
  if (rank < 3)
    return att.emitOpError("prune: head pruning needs [.., H, S, D] "
                           "attention operands");
  int64_t hd = rank - 3;
  int64_t heads = qTy.getDimSize(hd);
  if (att.getKey().getType().getDimSize(hd) != heads)
    return att.emitOpError("prune: head pruning of grouped-query "
                           "attention (fewer K/V heads) is not supported");
  if (Value mask = att.getMaskValues())
    if (auto mTy = cast<RankedTensorType>(mask.getType());
        mTy.getRank() == rank && mTy.getDimSize(hd) != 1)
      return att.emitOpError("prune: head pruning with a per-head mask "
                             "is not supported");
  HeadInput ins[3];
  Value operands[3] = {att.getQuery(), att.getKey(), att.getValue()};
  for (int i = 0; i < 3; ++i)
    if (failed(traceHeadInput(att, operands[i], hd, ins[i])))
      return failure();
  // Output: transpose [.., S, H, Dv] -> collapse_shape [.., H * Dv] ->
  // the output projection's input.
  auto outT =
      dyn_cast_or_null<linalg::TransposeOp>(singleUser(att.getResult()));
  auto collapse = outT ? dyn_cast_or_null<tensor::CollapseShapeOp>(
                             singleUser(outT.getResult()[0]))
                       : tensor::CollapseShapeOp();
  auto outLinear =
      collapse ? dyn_cast_or_null<LinearOp>(singleUser(collapse.getResult()))
               : LinearOp();
  if (!outT || !collapse || !outLinear ||
      outLinear.getInput() != collapse.getResult() ||
      outT.getPermutation()[rank - 2] != hd ||
      outT.getPermutation()[rank - 1] != rank - 1 ||
      collapse.getReassociationIndices().back().size() != 2 ||
      !matchPattern(outLinear.getWeight(), m_Constant()))
    return att.emitOpError()
           << "prune: head pruning needs the attention output to go "
              "linalg.transpose -> tensor.collapse_shape ([H, Dv] into "
              "one dim) -> effc.linear, each with one use";

  // Scores: head h owns rows [h*D, (h+1)*D) of Wq, Wk, Wv and columns
  // [h*Dv, (h+1)*Dv) of Wo.
  bool l1 = config.l1;
  std::vector<double> scores(heads, 0.0);
  auto add = [&](double v) { return l1 ? std::fabs(v) : v * v; };
  for (HeadInput &in : ins) {
    std::vector<double> w = constantValues(in.linear.getWeight());
    auto wTy = cast<RankedTensorType>(in.linear.getWeight().getType());
    int64_t rows = wTy.getDimSize(0), cols = wTy.getDimSize(1);
    if ((int64_t)w.size() != rows * cols || rows % heads)
      return in.linear.emitOpError("prune: head pruning needs a constant "
                                   "f32/f16/bf16 weight of H * D rows");
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t c = 0; c < cols; ++c)
        scores[r / (rows / heads)] += add(w[r * cols + c]);
  }
  std::vector<double> wo = constantValues(outLinear.getWeight());
  auto woTy = cast<RankedTensorType>(outLinear.getWeight().getType());
  int64_t oRows = woTy.getDimSize(0), oCols = woTy.getDimSize(1);
  if ((int64_t)wo.size() != oRows * oCols || oCols % heads)
    return outLinear.emitOpError("prune: head pruning needs a constant "
                                 "output projection of H * Dv columns");
  for (int64_t r = 0; r < oRows; ++r)
    for (int64_t c = 0; c < oCols; ++c)
      scores[c / (oCols / heads)] += add(wo[r * oCols + c]);
  for (double &v : scores)
    v = rankable(l1 ? v : std::sqrt(v));

  int64_t count = int64_t(std::nearbyint(config.fraction * double(heads)));
  if (count >= heads)
    return att.emitOpError() << "prune: head pruning with sparsity "
                             << formatNumber("%g", config.fraction)
                             << " would remove all " << heads << " heads";
  MLIRContext *ctx = att.getContext();
  auto recordPlan = [&] {
    att->setDiscardableAttr(
        EffcDialect::kSparsityPlanAttrName,
        SparsityPlanAttr::get(
            ctx, PruneMethod::head,
            FloatAttr::get(Float64Type::get(ctx), double(count) / heads), 0, 0,
            0, 0));
  };
  if (count == 0) {
    recordPlan();
    return success();
  }
  std::vector<bool> dropped(heads, false);
  for (int64_t h : selectWeakest(scores, count))
    dropped[h] = true;
  int64_t kept = heads - count;
  // Indices of the kept heads' slices of a dim of `per * heads`.
  auto keptIndices = [&](int64_t per) {
    SmallVector<int64_t> idx;
    for (int64_t h = 0; h < heads; ++h)
      if (!dropped[h])
        for (int64_t j = 0; j < per; ++j)
          idx.push_back(h * per + j);
    return idx;
  };

  OpBuilder b(att);
  Value newOperands[3];
  for (int i = 0; i < 3; ++i) {
    HeadInput &in = ins[i];
    Operation *lin = in.linear;
    RankedTensorType wTy;
    std::vector<char> raw = currentWeight(in.linear, wTy);
    int64_t per = wTy.getDimSize(0) / heads;
    SmallVector<int64_t> rows = keptIndices(per);
    unsigned bytes = getPruneElementBytes(wTy.getElementType());
    setConstant(lin, in.linear.getWeightMutable(), withDim(wTy, 0, rows.size()),
                sliceDim(raw, wTy.getShape(), 0, rows, bytes));
    if (Value bias = in.linear.getBias()) {
      Attribute cst;
      if (!matchPattern(bias, m_Constant(&cst)))
        return lin->emitOpError("prune: head pruning needs a constant "
                                "bias");
      auto bTy = cast<RankedTensorType>(bias.getType());
      unsigned bb = getPruneElementBytes(bTy.getElementType());
      std::vector<char> braw = getRawBytes(cst, bTy.getNumElements(), bb);
      setConstant(lin, in.linear.getBiasMutable()[0],
                  withDim(bTy, 0, rows.size()),
                  sliceDim(braw, bTy.getShape(), 0, rows, bb));
    }
    auto outTy = in.linear.getType();
    in.linear.getResult().setType(
        withDim(outTy, outTy.getRank() - 1, rows.size()));
    newOperands[i] =
        rebuildSplit(b, in.expand, in.transpose, in.linear.getResult(), kept);
  }
  // The attention op on the kept heads.
  att.getQueryMutable().set(newOperands[0]);
  att.getKeyMutable().set(newOperands[1]);
  att.getValueMutable().set(newOperands[2]);
  auto attTy = att.getType();
  att.getResult().setType(withDim(attTy, hd, kept));
  for (int i = 0; i < 3; ++i) {
    ins[i].transpose.erase();
    ins[i].expand.erase();
  }
  // Output transpose and collapse, then Wo's columns.
  b.setInsertionPoint(outT);
  ArrayRef<int64_t> perm = outT.getPermutation();
  SmallVector<int64_t> tShape;
  for (int64_t d : perm)
    tShape.push_back(cast<RankedTensorType>(att.getType()).getDimSize(d));
  Value init =
      tensor::EmptyOp::create(b, outT.getLoc(), tShape, attTy.getElementType());
  Value t = linalg::TransposeOp::create(b, outT.getLoc(), att.getResult(), init,
                                        b.getDenseI64ArrayAttr(perm))
                .getResult()[0];
  auto cTy = collapse.getResultType();
  int64_t perOut = oCols / heads;
  Value c = tensor::CollapseShapeOp::create(
      b, collapse.getLoc(), withDim(cTy, cTy.getRank() - 1, kept * perOut), t,
      collapse.getReassociationIndices());
  outLinear.getInputMutable().set(c);
  collapse.erase();
  outT.erase();
  RankedTensorType oTy;
  std::vector<char> oraw = currentWeight(outLinear, oTy);
  setConstant(outLinear, outLinear.getWeightMutable(),
              withDim(oTy, 1, kept * perOut),
              sliceDim(oraw, oTy.getShape(), 1, keptIndices(perOut),
                       getPruneElementBytes(oTy.getElementType())));
  recordPlan();
  return success();
}

//===- Prune.cpp - zero the weakest constant weights ------------*- C++ -*-===//
//
// Prunes the constant weights of effc.linear and effc.conv2d in place: the
// weight is viewed as [N, K] with the reduction K contiguous (the last dim of
// a linear, KH * KW * C/g of an OHWI convolution), scored on its raw bytes,
// and written back as a dense constant with zeros. Every ranking is a strict
// total order (score, then the lower index wins), so the result does not
// depend on the sort and matches an independent implementation bit for bit.
//
//===----------------------------------------------------------------------===//

#include "effc/Dialect/EffcOps.h"
#include "effc/Transforms/Passes.h"
#include "effc/Transforms/Sparsify.h"
#include "effc/Transforms/WeightData.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Matchers.h"
#include "llvm/ADT/SetVector.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <numeric>
#include <string>

namespace mlir {
namespace effc {
#define GEN_PASS_DEF_PRUNEPASS
#include "effc/Transforms/Passes.h.inc"
} // namespace effc
} // namespace mlir

using namespace mlir;
using namespace mlir::effc;

//===----------------------------------------------------------------------===//
// Raw weight buffers
//===----------------------------------------------------------------------===//

/// Bytes per element of the float types pruned (f32, f16, bf16), 0 for
/// others.
static unsigned getElementBytes(Type type) {
  auto format = getFloatFormat(type);
  return format && format->bytes <= 4 ? format->bytes : 0;
}

/// A score to rank by; NaN ranks as the strongest so it is never hidden.
static double rankable(double score) {
  return std::isnan(score) ? HUGE_VAL : score;
}

/// The `count` weakest of `scores` by (score ascending, index descending),
/// i.e. what remains after keeping the strongest with ties to the lower
/// index.
static std::vector<int64_t> selectWeakest(ArrayRef<double> scores,
                                          int64_t count) {
  int64_t total = scores.size();
  count = std::clamp<int64_t>(count, 0, total);
  std::vector<int64_t> order(total);
  std::iota(order.begin(), order.end(), 0);
  auto stronger = [&](int64_t a, int64_t b) {
    return scores[a] > scores[b] || (scores[a] == scores[b] && a < b);
  };
  int64_t keep = total - count;
  if (count > 0 && keep > 0)
    std::nth_element(order.begin(), order.begin() + keep, order.end(),
                     stronger);
  return std::vector<int64_t>(order.begin() + keep, order.end());
}

/// printf-style formatting of one number, for diagnostics.

//===----------------------------------------------------------------------===//
// Pass
//===----------------------------------------------------------------------===//

namespace {

/// One weight to prune, viewed as [rows, cols] with the reduction in cols.
struct Target {
  Operation *op;
  Attribute cst;
  RankedTensorType type;
  int64_t rows, cols;
  /// Rows of one matrix: a block may not straddle the batch of a [B, N, K]
  /// linear weight.
  int64_t matrixRows;
  std::vector<char> raw;
  std::vector<double> values;
};

struct PrunePass : effc::impl::PrunePassBase<PrunePass> {
  using Base::Base;

  // The options as plain values: options stream into diagnostics as
  // characters.
  PruneMethod pruneMethod = PruneMethod::magnitude;
  double fraction = 0;
  int64_t groupKeep = 0, groupSize = 0, blockRows = 0, blockCols = 0;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    if (failed(parseOptions(module)))
      return signalPassFailure();

    SmallVector<Target> targets;
    bool failedAny = false;
    module.walk([&](Operation *op) {
      if (isa<LinearOp, Conv2DOp>(op))
        failedAny |= failed(collect(op, targets));
    });
    if (failedAny)
      return signalPassFailure();
    dropExcluded(targets);
    for (Target &t : targets)
      failedAny |= failed(checkShape(t));
    if (failedAny)
      return signalPassFailure();
    if (pruneMethod == PruneMethod::channel) {
      for (Target &t : targets)
        if (failed(pruneChannels(t)))
          return signalPassFailure();
      return;
    }

    for (Target &t : targets) {
      t.raw = getRawBytes(t.cst, t.rows * t.cols,
                          getElementBytes(t.type.getElementType()));
      if (t.raw.empty()) {
        t.op->emitOpError("prune: the weight's data is not available");
        return signalPassFailure();
      }
      t.values = toDouble(t.raw, *getFloatFormat(t.type.getElementType()));
    }

    switch (pruneMethod) {
    case PruneMethod::nm:
      for (Target &t : targets)
        pruneNM(t);
      break;
    case PruneMethod::magnitude:
    case PruneMethod::block:
      pruneRanked(targets);
      break;
    default:
      llvm_unreachable("methods are checked in parseOptions");
    }
    for (Target &t : targets)
      writeBack(t);
    if (failed(compressPruned(targets)))
      return signalPassFailure();
  }

  /// Stores the pruned linear weights compressed (see `compress`).
  LogicalResult compressPruned(ArrayRef<Target> targets) {
    if (compress == "never")
      return success();
    SparsifyOptions opts;
    opts.force = compress == "always";
    for (const Target &t : targets) {
      if (!isa<LinearOp>(t.op)) {
        t.op->setDiscardableAttr(
            EffcDialect::kSparseDecisionAttrName,
            StringAttr::get(t.op->getContext(),
                            "dense: no compressed convolution op"));
        continue;
      }
      if (failed(sparsifyLinear(t.op, opts)))
        return failure();
    }
    return success();
  }

  LogicalResult parseOptions(ModuleOp module) {
    if (method == "magnitude") {
      pruneMethod = PruneMethod::magnitude;
    } else if (method == "nm") {
      pruneMethod = PruneMethod::nm;
    } else if (method == "block") {
      pruneMethod = PruneMethod::block;
    } else if (method == "channel") {
      pruneMethod = PruneMethod::channel;
    } else {
      return module.emitError() << "effc-prune: unknown method '" << method
                                << "' (expected magnitude, nm, block or "
                                   "channel)";
    }
    fraction = sparsity;
    if (!(fraction >= 0.0 && fraction < 1.0))
      return module.emitError() << "effc-prune: 'sparsity' must be in [0, 1), "
                                   "got "
                                << formatNumber("%g", fraction);
    if (criterion != "l1" && criterion != "l2")
      return module.emitError() << "effc-prune: unknown criterion '"
                                << criterion << "' (expected l1 or l2)";
    if (compress != "auto" && compress != "always" && compress != "never")
      return module.emitError() << "effc-prune: unknown compress '"
                                << compress
                                << "' (expected auto, always or never)";
    if (scope != "tensor" && scope != "global")
      return module.emitError() << "effc-prune: unknown scope '" << scope
                                << "' (expected tensor or global)";
    if (pruneMethod == PruneMethod::nm) {
      groupKeep = n;
      groupSize = m;
      if (groupKeep <= 0 || groupKeep >= groupSize)
        return module.emitError()
               << "effc-prune: nm needs 0 < n < m, got n = " << groupKeep
               << ", m = " << groupSize;
    }
    if (pruneMethod == PruneMethod::block) {
      auto [r, c] = StringRef(block).split('x');
      if (r.getAsInteger(10, blockRows) || c.getAsInteger(10, blockCols) ||
          blockRows <= 0 || blockCols <= 0)
        return module.emitError() << "effc-prune: 'block' must be RxC with "
                                     "positive R and C, got '"
                                  << block << "'";
    }
    return success();
  }

  /// Adds `op` to `targets` if its weight is a constant; fails on a weight
  /// that cannot be pruned.
  LogicalResult collect(Operation *op, SmallVectorImpl<Target> &targets) {
    Value weight = op->getOperand(1);
    Attribute cst;
    if (!matchPattern(weight, m_Constant(&cst))) {
      op->emitRemark("prune: not pruned: the weight is not a constant");
      return success();
    }
    auto type = dyn_cast<RankedTensorType>(weight.getType());
    if (!type || !type.hasStaticShape() || type.getRank() < 2)
      return op->emitOpError("prune: the weight must have a static shape of "
                             "rank >= 2");
    if (!getElementBytes(type.getElementType()))
      return op->emitOpError()
             << "prune: unsupported weight element type "
             << type.getElementType() << " (expected f32, f16 or bf16)";
    Target t{op, cst, type, 0, 0, 0, {}, {}};
    int64_t numel = type.getNumElements();
    if (isa<LinearOp>(op)) {
      t.cols = type.getShape().back();
      t.matrixRows = type.getDimSize(type.getRank() - 2);
    } else {
      // OHWI: the reduction KH * KW * C/g is contiguous per output channel.
      t.matrixRows = type.getDimSize(0);
      t.cols = t.matrixRows ? numel / t.matrixRows : 0;
    }
    t.rows = t.cols ? numel / t.cols : 0;
    targets.push_back(std::move(t));
    return success();
  }

  /// The op's name for `exclude`: a `name` / `effc.name` string attribute,
  /// else its location.
  static std::string getOpName(Operation *op) {
    for (StringRef attr : {"name", "effc.name"})
      if (auto name = op->getAttrOfType<StringAttr>(attr))
        return name.str();
    std::string loc;
    llvm::raw_string_ostream os(loc);
    op->getLoc().print(os);
    return loc;
  }

  void dropExcluded(SmallVectorImpl<Target> &targets) {
    if ((exclude.empty() && !excludeFirstLast) || targets.empty())
      return;
    SmallVector<bool> drop(targets.size(), false);
    if (excludeFirstLast)
      drop.front() = drop.back() = true;
    for (const std::string &pattern : exclude) {
      StringRef p = StringRef(pattern).trim();
      if (p == "first") {
        drop.front() = true;
      } else if (p == "last") {
        drop.back() = true;
      } else if (!p.empty()) {
        for (auto [i, t] : llvm::enumerate(targets))
          if (StringRef(getOpName(t.op)).contains(p))
            drop[i] = true;
      }
    }
    SmallVector<Target> kept;
    for (auto [i, t] : llvm::enumerate(targets))
      if (!drop[i])
        kept.push_back(std::move(t));
    targets = std::move(kept);
  }

  LogicalResult checkShape(const Target &t) {
    if (pruneMethod == PruneMethod::nm && t.cols % groupSize != 0)
      return t.op->emitOpError() << "prune: the reduction size K = " << t.cols
                                 << " is not a multiple of m = " << groupSize;
    if (pruneMethod == PruneMethod::block &&
        (t.matrixRows % blockRows != 0 || t.cols % blockCols != 0))
      return t.op->emitOpError()
             << "prune: block " << blockRows << "x" << blockCols
             << " does not divide the [" << t.matrixRows << ", " << t.cols
             << "] weight";
    return success();
  }

  /// Zeroes element `i` of the raw buffer (+0.0 in every float format).
  static void zero(Target &t, int64_t i) {
    unsigned bytes = getElementBytes(t.type.getElementType());
    std::memset(&t.raw[i * bytes], 0, bytes);
  }

  /// N:M: keeps the n largest |w| of every m consecutive weights along K.
  void pruneNM(Target &t) {
    SmallVector<int64_t> order(groupSize);
    SmallVector<double> mag(groupSize);
    int64_t numel = t.rows * t.cols;
    for (int64_t g = 0; g < numel; g += groupSize) {
      for (int64_t j = 0; j < groupSize; ++j)
        mag[j] = rankable(std::fabs(double(t.values[g + j])));
      std::iota(order.begin(), order.end(), 0);
      std::sort(order.begin(), order.end(), [&](int64_t a, int64_t b) {
        return mag[a] > mag[b] || (mag[a] == mag[b] && a < b);
      });
      for (int64_t j = groupKeep; j < groupSize; ++j)
        zero(t, g + order[j]);
    }
  }

  /// The units ranked by magnitude / block pruning: elements by |w|, or
  /// blocks (row-major over the [N, K] view) by their norm.
  std::vector<double> scoreUnits(const Target &t) {
    if (pruneMethod == PruneMethod::magnitude) {
      std::vector<double> scores(t.values.size());
      for (size_t i = 0; i < scores.size(); ++i)
        scores[i] = rankable(std::fabs(double(t.values[i])));
      return scores;
    }
    int64_t br = t.rows / blockRows, bc = t.cols / blockCols;
    std::vector<double> scores(br * bc, 0.0);
    bool l1 = criterion == "l1";
    for (int64_t r = 0; r < t.rows; ++r)
      for (int64_t c = 0; c < t.cols; ++c) {
        double v = t.values[r * t.cols + c];
        scores[(r / blockRows) * bc + c / blockCols] +=
            l1 ? std::fabs(v) : v * v;
      }
    for (double &s : scores)
      s = rankable(l1 ? s : std::sqrt(s));
    return scores;
  }

  void zeroUnit(Target &t, int64_t unit) {
    if (pruneMethod == PruneMethod::magnitude)
      return zero(t, unit);
    int64_t bc = t.cols / blockCols;
    int64_t r0 = (unit / bc) * blockRows, c0 = (unit % bc) * blockCols;
    for (int64_t r = r0; r < r0 + blockRows; ++r)
      for (int64_t c = c0; c < c0 + blockCols; ++c)
        zero(t, r * t.cols + c);
  }

  /// Magnitude / block: zeroes the round(sparsity * units) weakest units of
  /// each weight, or of all weights together with scope=global (ranked by
  /// score, then op order, then index).
  void pruneRanked(MutableArrayRef<Target> targets) {
    auto countFor = [&](size_t units) {
      return int64_t(std::nearbyint(fraction * double(units)));
    };
    if (scope == "tensor") {
      for (Target &t : targets) {
        std::vector<double> scores = scoreUnits(t);
        for (int64_t unit : selectWeakest(scores, countFor(scores.size())))
          zeroUnit(t, unit);
      }
      return;
    }
    std::vector<double> all;
    SmallVector<int64_t> offsets;
    for (Target &t : targets) {
      offsets.push_back(all.size());
      std::vector<double> scores = scoreUnits(t);
      all.insert(all.end(), scores.begin(), scores.end());
    }
    offsets.push_back(all.size());
    for (int64_t unit : selectWeakest(all, countFor(all.size()))) {
      size_t i = std::upper_bound(offsets.begin(), offsets.end(), unit) -
                 offsets.begin() - 1;
      zeroUnit(targets[i], unit - offsets[i]);
    }
  }

  //===--------------------------------------------------------------===//
  // Channel pruning
  //===--------------------------------------------------------------===//

  /// The op's constant weight (operand 1) as raw bytes, or empty.
  static std::vector<char> currentWeight(Operation *op,
                                         RankedTensorType &type) {
    Attribute cst;
    if (!matchPattern(op->getOperand(1), m_Constant(&cst)))
      return {};
    type = cast<RankedTensorType>(op->getOperand(1).getType());
    return getRawBytes(cst, type.getNumElements(),
                       getElementBytes(type.getElementType()));
  }

  /// Replaces operand `index` of `op` by a constant of `type` from `raw`.
  static void setConstant(Operation *op, unsigned index,
                          RankedTensorType type, ArrayRef<char> raw) {
    OpBuilder b(op);
    Operation *old = op->getOperand(index).getDefiningOp();
    auto cst = arith::ConstantOp::create(
        b, old ? old->getLoc() : op->getLoc(),
        DenseElementsAttr::getFromRawBuffer(type, raw));
    op->setOperand(index, cst.getResult());
    if (old && old->use_empty())
      old->erase();
  }

  /// Keeps the `keep` entries of dim `dim` of a raw row-major tensor.
  static std::vector<char> sliceDim(ArrayRef<char> raw,
                                    ArrayRef<int64_t> shape, int64_t dim,
                                    ArrayRef<int64_t> keep, unsigned bytes) {
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

  static RankedTensorType withDim(RankedTensorType t, int64_t dim,
                                  int64_t size) {
    SmallVector<int64_t> shape(t.getShape());
    shape[dim] = size;
    return RankedTensorType::get(shape, t.getElementType());
  }

  /// Finds every use of `v` (whose last dim holds the pruned channels):
  /// consumers that read it as their input channels, and elementwise ops in
  /// between, whose results carry the channels on. Fails, naming the op,
  /// where the channels cannot follow.
  LogicalResult followChannels(Operation *producer, Value v,
                               SetVector<Operation *> &elementwise,
                               SetVector<Operation *> &consumers) {
    for (OpOperand &use : v.getUses()) {
      Operation *user = use.getOwner();
      if (isa<LinearOp>(user) && use.getOperandNumber() == 0) {
        auto wTy = cast<RankedTensorType>(user->getOperand(1).getType());
        if (wTy.getRank() != 2 || !matchPattern(user->getOperand(1),
                                                m_Constant()))
          return user->emitOpError()
                 << "prune: cannot shrink the input channels of this op "
                    "(its weight must be a constant [N, K]) after removing "
                    "output channels of "
                 << producer->getName();
        consumers.insert(user);
        continue;
      }
      if (auto conv = dyn_cast<Conv2DOp>(user);
          conv && use.getOperandNumber() == 0) {
        if (conv.getGroups() != 1 ||
            !matchPattern(conv.getWeight(), m_Constant()))
          return user->emitOpError()
                 << "prune: cannot shrink the input channels of a grouped "
                    "convolution or one with a non-constant weight";
        consumers.insert(user);
        continue;
      }
      bool elementwiseOp =
          user->getNumResults() == 1 &&
          user->hasTrait<OpTrait::Elementwise>() &&
          llvm::all_of(user->getOperands(), [&](Value o) {
            return o == v || !isa<ShapedType>(o.getType());
          }) &&
          user->getResult(0).getType() == v.getType();
      if (elementwiseOp) {
        if (elementwise.insert(user))
          if (failed(followChannels(producer, user->getResult(0),
                                    elementwise, consumers)))
            return failure();
        continue;
      }
      return user->emitOpError()
             << "prune: channel pruning cannot propagate the removed output "
                "channels of '"
             << getOpName(producer) << "' through this op";
    }
    return success();
  }

  /// method=channel: removes the round(sparsity * N) output channels with
  /// the smallest L1 / L2 row norm (ties keep the lower index) and shrinks
  /// the op's weight, bias and result, the elementwise ops after it, and
  /// its consumers' input channels. Ops are pruned in program order, each
  /// ranked on its weight as left by the previous ones.
  LogicalResult pruneChannels(Target &t) {
    Operation *op = t.op;
    RankedTensorType wTy;
    std::vector<char> raw = currentWeight(op, wTy);
    if (raw.empty())
      return op->emitOpError("prune: the weight's data is not available");
    if (isa<LinearOp>(op) && wTy.getRank() != 2)
      return op->emitOpError("prune: channel pruning needs an [N, K] weight");
    if (auto conv = dyn_cast<Conv2DOp>(op); conv && conv.getGroups() != 1)
      return op->emitOpError("prune: channel pruning of a grouped "
                             "convolution is not supported");
    Type elt = wTy.getElementType();
    unsigned bytes = getElementBytes(elt);
    int64_t rows = wTy.getDimSize(0);
    int64_t cols = wTy.getNumElements() / rows;
    std::vector<double> values = toDouble(raw, *getFloatFormat(elt));
    bool l1 = criterion == "l1";
    std::vector<double> scores(rows, 0.0);
    for (int64_t r = 0; r < rows; ++r) {
      for (int64_t c = 0; c < cols; ++c) {
        double v = values[r * cols + c];
        scores[r] += l1 ? std::fabs(v) : v * v;
      }
      scores[r] = rankable(l1 ? scores[r] : std::sqrt(scores[r]));
    }
    int64_t count = int64_t(std::nearbyint(fraction * double(rows)));
    if (count >= rows)
      return op->emitOpError()
             << "prune: channel pruning with sparsity "
             << formatNumber("%g", fraction) << " would remove all " << rows
             << " output channels";
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
      setConstant(op, 1, withDim(wTy, 0, kept),
                  sliceDim(raw, wTy.getShape(), 0, keep, bytes));
      if (op->getNumOperands() > 2) {
        Value bias = op->getOperand(2);
        RankedTensorType bTy;
        Attribute cst;
        if (!matchPattern(bias, m_Constant(&cst)))
          return op->emitOpError("prune: channel pruning needs a constant "
                                 "bias");
        bTy = cast<RankedTensorType>(bias.getType());
        std::vector<char> b = getRawBytes(
            cst, bTy.getNumElements(), getElementBytes(bTy.getElementType()));
        if (b.empty())
          return op->emitOpError("prune: the bias data is not available");
        setConstant(op, 2, withDim(bTy, 0, kept),
                    sliceDim(b, bTy.getShape(), 0, keep,
                             getElementBytes(bTy.getElementType())));
      }
      auto resTy = cast<RankedTensorType>(result.getType());
      RankedTensorType newTy = withDim(resTy, resTy.getRank() - 1, kept);
      result.setType(newTy);
      for (Operation *e : elementwise)
        e->getResult(0).setType(newTy);
      for (Operation *c : consumers) {
        RankedTensorType cTy;
        std::vector<char> cRaw = currentWeight(c, cTy);
        if (cRaw.empty())
          return c->emitOpError("prune: the weight's data is not available");
        int64_t lastDim = cTy.getRank() - 1;
        setConstant(c, 1, withDim(cTy, lastDim, kept),
                    sliceDim(cRaw, cTy.getShape(), lastDim, keep,
                             getElementBytes(cTy.getElementType())));
      }
    }
    auto plan = SparsityPlanAttr::get(
        ctx, PruneMethod::channel,
        FloatAttr::get(Float64Type::get(ctx), double(count) / double(rows)),
        0, 0, 0, 0);
    op->setDiscardableAttr(EffcDialect::kSparsityPlanAttrName, plan);
    return success();
  }

  /// Replaces the weight by the pruned constant and records the plan.
  void writeBack(Target &t) {
    unsigned bytes = getElementBytes(t.type.getElementType());
    int64_t numel = t.rows * t.cols, zeros = 0;
    for (int64_t i = 0; i < numel; ++i) {
      const char *p = &t.raw[i * bytes];
      // Zero in magnitude: every bit but the sign (the top bit) clear.
      bool isZero = true;
      for (unsigned b = 0; b < bytes; ++b)
        isZero &= (p[b] & (b + 1 == bytes ? 0x7f : 0xff)) == 0;
      zeros += isZero;
    }
    OpBuilder builder(t.op);
    Value weight = t.op->getOperand(1);
    Operation *oldCst = weight.getDefiningOp();
    auto cst = arith::ConstantOp::create(
        builder, oldCst ? oldCst->getLoc() : t.op->getLoc(),
        DenseElementsAttr::getFromRawBuffer(t.type, t.raw));
    t.op->setOperand(1, cst.getResult());
    if (oldCst && oldCst->use_empty())
      oldCst->erase();

    MLIRContext *ctx = t.op->getContext();
    bool nm = pruneMethod == PruneMethod::nm;
    bool blk = pruneMethod == PruneMethod::block;
    auto plan = SparsityPlanAttr::get(
        ctx, pruneMethod,
        FloatAttr::get(Float64Type::get(ctx),
                       numel ? double(zeros) / double(numel) : 0.0),
        nm ? groupKeep : 0, nm ? groupSize : 0, blk ? blockRows : 0,
        blk ? blockCols : 0);
    t.op->setDiscardableAttr(EffcDialect::kSparsityPlanAttrName, plan);
  }
};

} // namespace

//===- ParallelThreshold.cpp - small OpenMP regions serially ----*- C++ -*-===//
//
// Forking and joining OpenMP threads costs microseconds, more than a tiny
// model's whole GEMM. This pass gives every `omp.parallel` an `if` operand
// `work >= threshold`, so that libomp runs a small region serially on the
// calling thread (`__kmpc_fork_call_if` with a false condition: no fork, no
// barrier with other threads).
//
// Why on `omp.parallel` after scf-to-openmp rather than on `scf.parallel`
// before it: the `if` clause is OpenMP's own answer to this, it needs no
// second (serial) copy of the loop body, and a runtime condition is one
// `arith.cmpi`. The price, a serialized region's runtime calls (~0.1 us),
// is what OMP_NUM_THREADS=1 pays as well.
//
// The estimate: trip count of the `omp.loop_nest` times the cost of its
// body, where an `scf.for` costs its trip count times its body, `scf.if` /
// `scf.index_switch` their most expensive branch, and any other op the
// number of elements it works on (vector ops count lanes, scalars 1,
// loads and stores twice that, constants and terminators 0). Loop bounds
// computed inside the region (the tile edges `min(ub - iv, T)`, a thread's
// chunk `iv * n / p`) are re-computed in front of the region with every loop
// induction variable replaced by its lower bound, i.e. the trip counts of the
// first iteration. Static sizes fold the whole condition to a constant: a
// region that is large enough is left as it was, a small one gets `if(false)`.
// A region whose cost cannot be computed there (a `while` loop, a call, a bound
// loaded from memory) is left parallel.
//
//===----------------------------------------------------------------------===//

#include "effc/Conversion/CPU/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/OpenMP/OpenMPDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Interfaces/CallInterfaces.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "llvm/Support/MathExtras.h"

namespace mlir {
namespace effc {
#define GEN_PASS_DEF_PARALLELTHRESHOLDPASS
#include "effc/Conversion/CPU/Passes.h.inc"
} // namespace effc
} // namespace mlir

using namespace mlir;
using namespace mlir::effc;

namespace {

/// Records the ops a builder creates, so that those left unused (constants
/// and bounds of a condition that folded away) can be erased.
struct CreatedOps : OpBuilder::Listener {
  SmallVector<Operation *> ops;
  void notifyOperationInserted(Operation *op, OpBuilder::InsertPoint) override {
    ops.push_back(op);
  }
};

/// Builds, in front of one `omp.parallel`, the estimated work of its body
/// as an index value (an IntegerAttr while everything is static).
class WorkEstimate {
public:
  WorkEstimate(omp::ParallelOp par, OpBuilder &b)
      : par(par), b(b), loc(par.getLoc()) {}

  std::optional<OpFoldResult> regionCost(Region &r) {
    OpFoldResult sum = b.getIndexAttr(0);
    for (Block &block : r)
      for (Operation &op : block) {
        std::optional<OpFoldResult> c = opCost(&op);
        if (!c)
          return std::nullopt;
        sum = add(sum, *c);
      }
    return sum;
  }

  Value toValue(OpFoldResult v) {
    if (auto a = dyn_cast<Attribute>(v))
      return arith::ConstantIndexOp::create(b, loc,
                                            cast<IntegerAttr>(a).getInt());
    return cast<Value>(v);
  }

private:
  /// A region whose bounds need more cloned ops than this counts as
  /// unknown: the condition is computed on every entry and must stay cheap.
  static constexpr int kMaxHoisted = 256;

  std::optional<OpFoldResult> opCost(Operation *op) {
    if (op->hasTrait<OpTrait::IsTerminator>() ||
        op->hasTrait<OpTrait::ConstantLike>())
      return OpFoldResult(b.getIndexAttr(0));
    if (isa<CallOpInterface, scf::WhileOp>(op))
      return std::nullopt;
    if (auto forOp = dyn_cast<scf::ForOp>(op)) {
      auto trips = tripCount(forOp.getLowerBound(), forOp.getUpperBound(),
                             forOp.getStep());
      auto body = regionCost(forOp.getRegion());
      if (!trips || !body)
        return std::nullopt;
      return mul(*trips, *body);
    }
    if (auto nest = dyn_cast<omp::LoopNestOp>(op)) {
      auto body = regionCost(nest.getRegion());
      if (!body)
        return std::nullopt;
      OpFoldResult total = *body;
      for (auto [lb, ub, step] :
           llvm::zip(nest.getLoopLowerBounds(), nest.getLoopUpperBounds(),
                     nest.getLoopSteps())) {
        // omp.loop_nest's upper bound is exclusive unless loop_inclusive.
        Value upper = ub;
        if (nest.getLoopInclusive()) {
          auto h = hoist(ub);
          if (!h)
            return std::nullopt;
          upper = index(*h);
          upper = b.createOrFold<arith::AddIOp>(
              loc, upper, arith::ConstantIndexOp::create(b, loc, 1));
        }
        auto trips = tripCount(lb, upper, step);
        if (!trips)
          return std::nullopt;
        total = mul(total, *trips);
      }
      return total;
    }
    if (isa<scf::IfOp, scf::IndexSwitchOp>(op)) {
      OpFoldResult most = b.getIndexAttr(0);
      for (Region &r : op->getRegions()) {
        auto c = regionCost(r);
        if (!c)
          return std::nullopt;
        most = max(most, *c);
      }
      return most;
    }
    if (op->getNumRegions() > 0) {
      OpFoldResult sum = b.getIndexAttr(0);
      for (Region &r : op->getRegions()) {
        auto c = regionCost(r);
        if (!c)
          return std::nullopt;
        sum = add(sum, *c);
      }
      return sum;
    }
    int64_t lanes = 1;
    auto count = [&](Type t) {
      if (auto v = dyn_cast<VectorType>(t))
        lanes = std::max(lanes, v.getNumElements());
    };
    for (Type t : op->getResultTypes())
      count(t);
    for (Type t : op->getOperandTypes())
      count(t);
    // A lane loaded or stored costs about two arithmetic lanes: with this
    // weight GEMM tiles and bandwidth-bound elementwise rows both run at
    // ~80 units/ns on one core (bench/results/threads.md).
    if (hasEffect<MemoryEffects::Read>(op) ||
        hasEffect<MemoryEffects::Write>(op))
      lanes *= 2;
    return OpFoldResult(b.getIndexAttr(lanes));
  }

  /// ceil(max(ub - lb, 0) / step), or nothing when a bound cannot be
  /// computed in front of the region or the step is not positive.
  std::optional<OpFoldResult> tripCount(Value lb, Value ub, Value step) {
    auto l = hoist(lb), u = hoist(ub), s = hoist(step);
    if (!l || !u || !s)
      return std::nullopt;
    std::optional<int64_t> cl = getConstantIntValue(*l),
                           cu = getConstantIntValue(*u),
                           cs = getConstantIntValue(*s);
    if (cs && *cs <= 0)
      return std::nullopt;
    if (cl && cu && cs)
      return OpFoldResult(b.getIndexAttr(llvm::divideCeil(
          std::max<int64_t>(*cu - *cl, 0), static_cast<uint64_t>(*cs))));
    Value zero = arith::ConstantIndexOp::create(b, loc, 0);
    Value diff = b.createOrFold<arith::SubIOp>(loc, index(*u), index(*l));
    diff = b.createOrFold<arith::MaxSIOp>(loc, diff, zero);
    if (cs && *cs == 1)
      return OpFoldResult(diff);
    return OpFoldResult(
        b.createOrFold<arith::CeilDivSIOp>(loc, diff, index(*s)));
  }

  /// `v` as a value available in front of the region: itself when defined
  /// outside, else a clone of the pure integer ops computing it, with loop
  /// induction variables replaced by their lower bounds.
  std::optional<Value> hoist(Value v) {
    if (!par.getRegion().isAncestor(v.getParentRegion()))
      return v;
    if (Value m = mapping.lookupOrNull(v))
      return m;
    std::optional<Value> result;
    if (auto arg = dyn_cast<BlockArgument>(v)) {
      Operation *owner = arg.getOwner()->getParentOp();
      if (auto forOp = dyn_cast<scf::ForOp>(owner)) {
        if (v == forOp.getInductionVar())
          result = hoist(forOp.getLowerBound());
      } else if (auto nest = dyn_cast<omp::LoopNestOp>(owner)) {
        result = hoist(nest.getLoopLowerBounds()[arg.getArgNumber()]);
      }
    } else {
      Operation *def = v.getDefiningOp();
      if (def->getNumRegions() == 0 && def->getNumResults() == 1 &&
          isPure(def) && ++hoisted <= kMaxHoisted) {
        IRMapping operands;
        for (Value o : def->getOperands()) {
          auto h = hoist(o);
          if (!h)
            return std::nullopt;
          operands.map(o, *h);
        }
        Operation *clone = b.clone(*def, operands);
        SmallVector<Value, 1> folded;
        // A clone that folds is left unused, erased with the others.
        if (succeeded(b.tryFold(clone, folded)) && !folded.empty()) {
          result = folded.front();
        } else {
          result = clone->getResult(0);
        }
      }
    }
    if (result)
      mapping.map(v, *result);
    return result;
  }

  /// An integer bound as an index value.
  Value index(Value v) {
    if (v.getType().isIndex())
      return v;
    return b.createOrFold<arith::IndexCastOp>(loc, b.getIndexType(), v);
  }

  OpFoldResult mul(OpFoldResult x, OpFoldResult y) {
    auto cx = getConstantIntValue(x), cy = getConstantIntValue(y);
    if (cx && cy)
      return b.getIndexAttr(static_cast<int64_t>(std::min<uint64_t>(
          llvm::SaturatingMultiply<uint64_t>(*cx, *cy), INT64_MAX)));
    if ((cx && *cx == 0) || (cy && *cy == 0))
      return b.getIndexAttr(0);
    if (cx && *cx == 1)
      return y;
    if (cy && *cy == 1)
      return x;
    Value vx = toValue(x), vy = toValue(y);
    return b.createOrFold<arith::MulIOp>(loc, vx, vy);
  }

  OpFoldResult add(OpFoldResult x, OpFoldResult y) {
    auto cx = getConstantIntValue(x), cy = getConstantIntValue(y);
    if (cx && cy)
      return b.getIndexAttr(static_cast<int64_t>(std::min<uint64_t>(
          llvm::SaturatingAdd<uint64_t>(*cx, *cy), INT64_MAX)));
    if (cx && *cx == 0)
      return y;
    if (cy && *cy == 0)
      return x;
    Value vx = toValue(x), vy = toValue(y);
    return b.createOrFold<arith::AddIOp>(loc, vx, vy);
  }

  OpFoldResult max(OpFoldResult x, OpFoldResult y) {
    auto cx = getConstantIntValue(x), cy = getConstantIntValue(y);
    if (cx && cy)
      return b.getIndexAttr(std::max(*cx, *cy));
    if (cx && *cx == 0)
      return y;
    if (cy && *cy == 0)
      return x;
    Value vx = toValue(x), vy = toValue(y);
    return b.createOrFold<arith::MaxSIOp>(loc, vx, vy);
  }

  omp::ParallelOp par;
  OpBuilder &b;
  Location loc;
  IRMapping mapping;
  int hoisted = 0;
};

struct ParallelThresholdPass
    : effc::impl::ParallelThresholdPassBase<ParallelThresholdPass> {
  using Base::Base;

  void runOnOperation() override {
    if (threshold <= 0)
      return;
    SmallVector<omp::ParallelOp> regions;
    getOperation()->walk<WalkOrder::PreOrder>([&](omp::ParallelOp par) {
      if (!par.getIfExpr())
        regions.push_back(par);
    });
    for (omp::ParallelOp par : regions)
      addCondition(par);
  }

  void addCondition(omp::ParallelOp par) {
    CreatedOps created;
    OpBuilder b(par);
    b.setListener(&created);
    WorkEstimate estimate(par, b);
    std::optional<OpFoldResult> work = estimate.regionCost(par.getRegion());
    Value cond;
    if (work) {
      if (std::optional<int64_t> c = getConstantIntValue(*work)) {
        if (*c < threshold)
          cond = arith::ConstantIntOp::create(b, par.getLoc(), 0, 1);
      } else {
        Value limit =
            arith::ConstantIndexOp::create(b, par.getLoc(), threshold);
        cond = arith::CmpIOp::create(b, par.getLoc(), arith::CmpIPredicate::sge,
                                     estimate.toValue(*work), limit);
      }
    }
    if (cond)
      par.getIfExprMutable().assign(cond);
    // What the estimate built and the condition does not use.
    for (Operation *op : llvm::reverse(created.ops))
      if (op->use_empty())
        op->erase();
  }
};

} // namespace

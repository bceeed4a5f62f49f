//===- HlsOptimize.cpp - HLS directive choice under budgets -----*- C++ -*-===//
//
// Reads the layers that --effc-lower-hls produced, describes each to the
// analytical model of HlsQoR.h, and searches the reduction unroll factors
// (with the array partitioning they need) greedily: the slowest layer gets
// twice the parallelism while the DSP and BRAM budgets hold. The choice and
// the estimate are written back as attributes.
//
//===----------------------------------------------------------------------===//

#include "effc/Conversion/HLS/HlsQoR.h"
#include "effc/Conversion/HLS/Passes.h"
#include "effc/Dialect/EffcDialect.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/SymbolTable.h"

namespace mlir {
namespace effc {
#define GEN_PASS_DEF_HLSOPTIMIZEPASS
#include "effc/Conversion/HLS/Passes.h.inc"
} // namespace effc
} // namespace mlir

using namespace mlir;
using namespace mlir::effc;

namespace {

/// An array the kernel reads: a ROM, a local buffer or a parameter.
struct ArrayInfo {
  Value value;
  SmallVector<int64_t> shape;
  unsigned bits = 32;
  bool onChip = true; // parameters and AXI weights live outside
};

/// A read inside a reduction: the dimension indexed by the reduction's
/// induction variable, or at a data-dependent index (random).
struct ReadInfo {
  unsigned array;
  unsigned dim;
  bool random;
};

struct LayerInfo {
  affine::AffineForOp outer, red, row, innermost;
  hls::LayerShape shape;
  SmallVector<ReadInfo> reads;
  int64_t unroll = 1;
  bool frozen = false;
};

int64_t tripCount(affine::AffineForOp loop) {
  // A loop to a runtime size is estimated at its bound (max-dims).
  if (auto max =
          loop->getAttrOfType<IntegerAttr>(EffcDialect::kHlsTripcountAttrName))
    return max.getInt();
  if (!loop.hasConstantBounds())
    return 1;
  return std::max<int64_t>(0, (loop.getConstantUpperBound() -
                               loop.getConstantLowerBound() +
                               loop.getStepAsInt() - 1) /
                                  loop.getStepAsInt());
}

int64_t ceilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

class FuncOptimizer {
public:
  FuncOptimizer(func::FuncOp f, ModuleOp module, int64_t dspBudget,
                int64_t bramBudget, int64_t targetIi)
      : f(f), module(module), dspBudget(dspBudget), bramBudget(bramBudget),
        targetIi(targetIi) {
    if (auto fx =
            f->getAttrOfType<DenseI64ArrayAttr>(EffcDialect::kHlsFixedAttrName))
      fixedBits = fx[0];
  }

  void run();

private:
  unsigned elemBits(Type t) const {
    if (isa<FloatType>(t) && fixedBits)
      return fixedBits;
    if (t.isIntOrFloat())
      return t.getIntOrFloatBitWidth();
    return 32;
  }
  unsigned operandBits(Value v) const {
    if (auto e = v.getDefiningOp<arith::ExtSIOp>())
      return operandBits(e.getIn());
    if (auto e = v.getDefiningOp<arith::ExtUIOp>())
      return operandBits(e.getIn());
    if (auto c = v.getDefiningOp<arith::ConstantIntOp>()) {
      int64_t x = std::abs(c.value());
      unsigned bits = 1;
      while (bits < 64 && (int64_t(1) << (bits - 1)) <= x)
        ++bits;
      return bits;
    }
    return elemBits(v.getType());
  }
  hls::MulShape mulShape(Operation *op) const {
    hls::MulShape m;
    if (isa<arith::MulFOp>(op) && !fixedBits) {
      m.isFloat = true;
      return m;
    }
    m.lhsBits = operandBits(op->getOperand(0));
    m.rhsBits = operandBits(op->getOperand(1));
    return m;
  }
  unsigned arrayIndex(Value memref);
  void analyze(affine::AffineForOp outer);
  /// Partition factors of every array for the current unroll factors.
  SmallVector<SmallVector<int64_t>> partitions() const;
  struct Totals {
    int64_t latency = 0, interval = 0, dsp = 0, bram = 0, lut = 0, ff = 0;
  };
  Totals totals() const;
  void apply();

  func::FuncOp f;
  ModuleOp module;
  int64_t dspBudget, bramBudget, targetIi;
  unsigned fixedBits = 0;
  SmallVector<ArrayInfo> arrays;
  SmallVector<LayerInfo> layers;
};

unsigned FuncOptimizer::arrayIndex(Value memref) {
  for (auto [i, a] : llvm::enumerate(arrays))
    if (a.value == memref)
      return i;
  ArrayInfo a;
  a.value = memref;
  auto type = cast<MemRefType>(memref.getType());
  a.shape.assign(type.getShape().begin(), type.getShape().end());
  a.bits = elemBits(type.getElementType());
  if (isa<BlockArgument>(memref)) {
    a.onChip = false;
  } else if (auto gg = memref.getDefiningOp<memref::GetGlobalOp>()) {
    auto global = SymbolTable::lookupNearestSymbolFrom<memref::GlobalOp>(
        gg, gg.getNameAttr());
    a.onChip = !(global && global->hasAttr(EffcDialect::kHlsInterfaceAttrName));
  }
  arrays.push_back(a);
  return arrays.size() - 1;
}

void FuncOptimizer::analyze(affine::AffineForOp outer) {
  LayerInfo l;
  l.outer = outer;
  outer.walk([&](affine::AffineForOp loop) {
    if (!l.red && loop.getNumIterOperands() > 0)
      l.red = loop;
    if (!l.innermost && loop.getBody()->getOps<affine::AffineForOp>().empty())
      l.innermost = loop;
  });
  affine::AffineForOp anchor = l.red ? l.red : l.innermost;
  if (!anchor)
    return;
  // Loops around the anchor (the anchor itself for an elementwise nest).
  int64_t outerTrips = 1;
  Operation *p = l.red ? anchor->getParentOp() : anchor.getOperation();
  for (; p; p = p->getParentOp()) {
    if (auto loop = dyn_cast<affine::AffineForOp>(p)) {
      outerTrips *= tripCount(loop);
      if (!l.row)
        l.row = loop;
    }
    if (p == outer.getOperation())
      break;
  }
  l.shape.outerTrips = outerTrips;
  l.shape.rowTrip = l.row ? tripCount(l.row) : 1;
  if (l.red) {
    l.shape.redTrip = tripCount(l.red);
    // A reduction to a runtime size (attention's keys) is not unrolled: its
    // trip count is only bounded.
    if (l.red->hasAttr(EffcDialect::kHlsTripcountAttrName))
      l.frozen = true;
    Type accTy = l.red.getResult(0).getType();
    l.shape.accBits = isa<FloatType>(accTy) && fixedBits ? 2 * fixedBits + 10
                                                         : elemBits(accTy);
    Value iv = l.red.getInductionVar();
    l.red.getBody()->walk([&](Operation *op) {
      // Index arithmetic (convolution addressing) is by constants: shifts
      // and adds, not multipliers.
      if (isa<arith::MulIOp, arith::MulFOp>(op) &&
          !op->getResult(0).getType().isIndex())
        l.shape.redMuls.push_back(mulShape(op));
      if (auto ld = dyn_cast<affine::AffineLoadOp>(op)) {
        AffineMap map = ld.getAffineMap();
        auto operands = ld.getMapOperands();
        for (auto [pos, v] : llvm::enumerate(operands)) {
          if (v != iv)
            continue;
          for (auto [d, e] : llvm::enumerate(map.getResults()))
            if (e.isFunctionOfDim(pos))
              l.reads.push_back(
                  {arrayIndex(ld.getMemRef()), unsigned(d), false});
        }
      }
      if (auto ld = dyn_cast<memref::LoadOp>(op)) {
        for (auto [d, idx] : llvm::enumerate(ld.getIndices()))
          if (idx.getDefiningOp()) { // not an induction variable
            l.reads.push_back({arrayIndex(ld.getMemRef()), unsigned(d), true});
            l.shape.randomReads = true;
          }
      }
    });
  }
  outer.walk([&](Operation *op) {
    if (!isa<arith::MulIOp, arith::MulFOp>(op) ||
        op->getResult(0).getType().isIndex())
      return;
    if (l.red && l.red->isProperAncestor(op))
      return;
    l.shape.epilogueMuls.push_back(mulShape(op));
  });
  layers.push_back(std::move(l));
}

SmallVector<SmallVector<int64_t>> FuncOptimizer::partitions() const {
  SmallVector<SmallVector<int64_t>> parts;
  for (const ArrayInfo &a : arrays)
    parts.push_back(SmallVector<int64_t>(a.shape.size(), 1));
  for (const LayerInfo &l : layers) {
    if (l.unroll <= 1)
      continue;
    for (const ReadInfo &r : l.reads) {
      int64_t size = arrays[r.array].shape[r.dim];
      int64_t factor = r.random ? size : std::min(size, ceilDiv(l.unroll, 2));
      parts[r.array][r.dim] = std::max(parts[r.array][r.dim], factor);
    }
  }
  return parts;
}

FuncOptimizer::Totals FuncOptimizer::totals() const {
  Totals t;
  SmallVector<SmallVector<int64_t>> parts = partitions();
  for (auto [i, a] : llvm::enumerate(arrays)) {
    if (!a.onChip)
      continue;
    int64_t elems = 1, banks = 1;
    for (auto [d, s] : llvm::enumerate(a.shape)) {
      elems *= s;
      banks *= parts[i][d];
    }
    hls::ArrayCost c = hls::arrayCost(elems, a.bits, banks);
    t.bram += c.bram;
    t.lut += c.lut;
    t.ff += c.ff;
  }
  for (const LayerInfo &l : layers) {
    hls::LayerShape shape = l.shape;
    if (l.unroll > 1 && shape.randomReads)
      shape.randomReadsComplete = true; // partitioned completely above
    hls::LayerEstimate e = hls::estimateLayer(shape, l.unroll, targetIi);
    t.latency += e.latency;
    t.interval = std::max(t.interval, e.latency);
    t.dsp += e.dsp;
    t.lut += e.lut;
  }
  if (!f->hasAttr(EffcDialect::kHlsDataflowAttrName))
    t.interval = t.latency;
  return t;
}

void FuncOptimizer::run() {
  // Arrays that live in the kernel are known up front, so that their cost
  // counts even when no reduction reads them.
  f.walk([&](Operation *op) {
    if (isa<memref::GetGlobalOp, memref::AllocOp>(op))
      arrayIndex(op->getResult(0));
  });
  for (Operation &op : f.getBody().front())
    if (auto loop = dyn_cast<affine::AffineForOp>(op))
      if (loop->hasAttr(EffcDialect::kHlsLayerAttrName))
        analyze(loop);
  // Greedy: double the unroll factor of the slowest layer that can take it.
  auto fits = [&](const Totals &t) {
    return t.dsp <= dspBudget && t.bram <= bramBudget;
  };
  Totals base = totals();
  bool overBudget = !fits(base);
  while (!overBudget) {
    LayerInfo *slowest = nullptr;
    int64_t worst = -1;
    for (LayerInfo &l : layers) {
      if (l.frozen || !l.red || l.unroll >= l.shape.redTrip)
        continue;
      hls::LayerShape shape = l.shape;
      int64_t lat = hls::estimateLayer(shape, l.unroll, targetIi).latency;
      if (lat > worst) {
        worst = lat;
        slowest = &l;
      }
    }
    if (!slowest)
      break;
    int64_t old = slowest->unroll, next = old * 2;
    while (next < slowest->shape.redTrip && slowest->shape.redTrip % next)
      ++next;
    slowest->unroll = std::min(next, slowest->shape.redTrip);
    if (!fits(totals())) {
      slowest->unroll = old;
      slowest->frozen = true;
    }
  }
  apply();
}

void FuncOptimizer::apply() {
  Builder b(f.getContext());
  SmallVector<SmallVector<int64_t>> parts = partitions();
  for (LayerInfo &l : layers) {
    hls::LayerShape shape = l.shape;
    if (l.unroll > 1 && shape.randomReads)
      shape.randomReadsComplete = true;
    hls::LayerEstimate e = hls::estimateLayer(shape, l.unroll, targetIi);
    if (l.red) {
      l.red->removeAttr(EffcDialect::kHlsUnrollAttrName);
      if (l.unroll >= l.shape.redTrip && l.shape.redTrip > 1 && l.row) {
        l.red->removeAttr(EffcDialect::kHlsPipelineIiAttrName);
        l.red->setAttr(EffcDialect::kHlsUnrollAttrName, b.getI64IntegerAttr(0));
        l.row->setAttr(EffcDialect::kHlsPipelineIiAttrName,
                       b.getI64IntegerAttr(targetIi));
      } else {
        l.red->setAttr(EffcDialect::kHlsPipelineIiAttrName,
                       b.getI64IntegerAttr(targetIi));
        if (l.unroll > 1)
          l.red->setAttr(EffcDialect::kHlsUnrollAttrName,
                         b.getI64IntegerAttr(l.unroll));
      }
    } else if (l.innermost) {
      l.innermost->setAttr(EffcDialect::kHlsPipelineIiAttrName,
                           b.getI64IntegerAttr(targetIi));
    }
    l.outer->setAttr(
        EffcDialect::kHlsEstimateAttrName,
        b.getDictionaryAttr({
            b.getNamedAttr("latency", b.getI64IntegerAttr(e.latency)),
            b.getNamedAttr("ii", b.getI64IntegerAttr(e.ii)),
            b.getNamedAttr("dsp", b.getI64IntegerAttr(e.dsp)),
            b.getNamedAttr("lut", b.getI64IntegerAttr(e.lut)),
            b.getNamedAttr("unroll", b.getI64IntegerAttr(l.unroll)),
        }));
  }
  for (auto [i, a] : llvm::enumerate(arrays)) {
    if (llvm::all_of(parts[i], [](int64_t p) { return p == 1; }))
      continue;
    auto attr = b.getDenseI64ArrayAttr(parts[i]);
    if (auto arg = dyn_cast<BlockArgument>(a.value)) {
      f.setArgAttr(arg.getArgNumber(), EffcDialect::kHlsPartitionAttrName,
                   attr);
    } else if (auto gg = a.value.getDefiningOp<memref::GetGlobalOp>()) {
      if (auto global = SymbolTable::lookupNearestSymbolFrom<memref::GlobalOp>(
              gg, gg.getNameAttr()))
        global->setAttr(EffcDialect::kHlsPartitionAttrName, attr);
    } else if (Operation *def = a.value.getDefiningOp()) {
      def->setAttr(EffcDialect::kHlsPartitionAttrName, attr);
    }
  }
  Totals t = totals();
  f->setAttr(EffcDialect::kHlsEstimateAttrName,
             b.getDictionaryAttr({
                 b.getNamedAttr("latency", b.getI64IntegerAttr(t.latency)),
                 b.getNamedAttr("interval", b.getI64IntegerAttr(t.interval)),
                 b.getNamedAttr("dsp", b.getI64IntegerAttr(t.dsp)),
                 b.getNamedAttr("bram", b.getI64IntegerAttr(t.bram)),
                 b.getNamedAttr("lut", b.getI64IntegerAttr(t.lut)),
                 b.getNamedAttr("ff", b.getI64IntegerAttr(t.ff)),
                 b.getNamedAttr("dsp_budget", b.getI64IntegerAttr(dspBudget)),
                 b.getNamedAttr("bram_budget", b.getI64IntegerAttr(bramBudget)),
                 b.getNamedAttr("target_ii", b.getI64IntegerAttr(targetIi)),
             }));
  if (t.dsp > dspBudget || t.bram > bramBudget)
    f.emitWarning("effc-hls-optimize: even without unrolling the design "
                  "needs ")
        << t.dsp << " DSPs and " << t.bram << " BRAM18 (budget " << dspBudget
        << " / " << bramBudget << ")";
}

struct HlsOptimizePass : effc::impl::HlsOptimizePassBase<HlsOptimizePass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    if (targetIi < 1 || dspBudget < 0 || bramBudget < 0) {
      module.emitError("effc-hls-optimize: target-ii must be >= 1 and the "
                       "budgets >= 0");
      return signalPassFailure();
    }
    for (func::FuncOp f : module.getOps<func::FuncOp>())
      if (f->hasAttr(EffcDialect::kHlsTopAttrName) && !f.isExternal())
        FuncOptimizer(f, module, dspBudget, bramBudget, targetIi).run();
  }
};

} // namespace

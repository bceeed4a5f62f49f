//===- PartitionWsloops.cpp - static OpenMP schedules inline ----*- C++ -*-===//
//
// A plain `omp.wsloop` as a loop over the calling thread's share of the
// iteration space, without the runtime's `__kmpc_for_static_init` (see the
// pass description: Debian's libomp formats a debug trace string in every
// such call).
//
//===----------------------------------------------------------------------===//

#include "effc/Conversion/CPU/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/ControlFlow/IR/ControlFlowOps.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/OpenMP/OpenMPDialect.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir {
namespace effc {
#define GEN_PASS_DEF_PARTITIONWSLOOPSPASS
#include "effc/Conversion/CPU/Passes.h.inc"
} // namespace effc
} // namespace mlir

using namespace mlir;
using namespace mlir::effc;

namespace {

/// Whether `loop` is a wsloop this pass may take: no clause at all (what
/// --convert-scf-to-openmp writes for a loop without reductions), directly
/// in an omp.parallel, over an exclusive index loop nest.
omp::LoopNestOp getPlainLoopNest(omp::WsloopOp loop) {
  if (loop->getNumOperands() != 0 || loop.getScheduleKind() ||
      loop.getOrderedAttr() || loop.getOrder() || loop.getNowait() ||
      !isa_and_nonnull<omp::ParallelOp>(loop->getParentOp()))
    return {};
  auto nest = dyn_cast<omp::LoopNestOp>(loop.getWrappedLoop());
  if (!nest || nest.getLoopInclusive() ||
      !llvm::all_of(nest.getIVs(),
                    [](BlockArgument iv) { return iv.getType().isIndex(); }))
    return {};
  return nest;
}

/// `func.func private @name() -> i32` in `module`.
func::FuncOp getOrDeclare(ModuleOp module, StringRef name) {
  if (auto f = module.lookupSymbol<func::FuncOp>(name))
    return f;
  OpBuilder b = OpBuilder::atBlockBegin(module.getBody());
  auto f = func::FuncOp::create(b, module.getLoc(), name,
                                b.getFunctionType({}, {b.getI32Type()}));
  f.setPrivate();
  return f;
}

/// Rewrites `loop` (after scf-to-cf and the memref lowering, so the body
/// is a CFG: the parallel body's alloca scope is already inlined as a
/// stack save / restore per iteration) as a CFG loop over this thread's
/// share of the collapsed iteration space.
void partition(RewriterBase &rewriter, omp::WsloopOp loop, omp::LoopNestOp nest,
               func::FuncOp threadNum, func::FuncOp numThreads) {
  Location loc = loop.getLoc();
  Type indexTy = rewriter.getIndexType();
  rewriter.setInsertionPoint(loop);
  auto idx = [&](int64_t v) -> Value {
    return arith::ConstantIndexOp::create(rewriter, loc, v);
  };
  auto asIndex = [&](func::FuncOp f) -> Value {
    Value v = func::CallOp::create(rewriter, loc, f).getResult(0);
    return arith::IndexCastOp::create(rewriter, loc, indexTy, v);
  };
  Value zero = idx(0), one = idx(1);
  // Trip counts max(0, ceil((ub - lb) / step)) and their product.
  SmallVector<Value> trips;
  Value total = one;
  for (auto [lb, ub, step] :
       llvm::zip(nest.getLoopLowerBounds(), nest.getLoopUpperBounds(),
                 nest.getLoopSteps())) {
    Value span = arith::SubIOp::create(rewriter, loc, ub, lb);
    span = arith::MaxSIOp::create(rewriter, loc, span, zero);
    Value trip = arith::CeilDivUIOp::create(rewriter, loc, span, step);
    trips.push_back(trip);
    total = arith::MulIOp::create(rewriter, loc, total, trip);
  }
  // libomp's static schedule: q = total / nt each, one more for the first
  // r = total % nt threads.
  Value tid = asIndex(threadNum), nt = asIndex(numThreads);
  Value q = arith::DivUIOp::create(rewriter, loc, total, nt);
  Value r = arith::RemUIOp::create(rewriter, loc, total, nt);
  Value lo = arith::AddIOp::create(
      rewriter, loc, arith::MulIOp::create(rewriter, loc, tid, q),
      arith::MinUIOp::create(rewriter, loc, tid, r));
  Value extra = arith::SelectOp::create(
      rewriter, loc,
      arith::CmpIOp::create(rewriter, loc, arith::CmpIPredicate::ult, tid, r),
      one, zero);
  Value hi = arith::AddIOp::create(
      rewriter, loc, lo, arith::AddIOp::create(rewriter, loc, q, extra));

  // pre: ... ; br header(lo)
  // header(l): cond_br l < hi, ivs, post
  // ivs: the linear index back to one index per loop; br body(ivs...)
  // body blocks: omp.yield -> br header(l + 1)
  // post: [omp.barrier]; the rest of the region
  Block *pre = loop->getBlock();
  Block *post = rewriter.splitBlock(pre, std::next(loop->getIterator()));
  bool last = isa<omp::TerminatorOp>(post->front());
  Region *region = pre->getParent();
  Block *header =
      rewriter.createBlock(region, Region::iterator(post), {indexTy}, {loc});
  Block *ivBlock = rewriter.createBlock(region, Region::iterator(post));
  Value l = header->getArgument(0);
  Block *entry = &nest.getRegion().front();
  SmallVector<Block *> bodyBlocks = llvm::to_vector(
      llvm::map_range(nest.getRegion(), [](Block &b) { return &b; }));
  rewriter.inlineRegionBefore(nest.getRegion(), *region,
                              Region::iterator(post));

  rewriter.setInsertionPointToEnd(pre);
  cf::BranchOp::create(rewriter, loc, header, ValueRange{lo});
  rewriter.setInsertionPointToEnd(header);
  cf::CondBranchOp::create(
      rewriter, loc,
      arith::CmpIOp::create(rewriter, loc, arith::CmpIPredicate::ult, l, hi),
      ivBlock, ValueRange{}, post, ValueRange{});
  rewriter.setInsertionPointToEnd(ivBlock);
  SmallVector<Value> ivs(trips.size());
  Value rest = l;
  for (int64_t d = trips.size() - 1; d >= 0; --d) {
    Value i =
        d == 0
            ? rest
            : arith::RemUIOp::create(rewriter, loc, rest, trips[d]).getResult();
    if (d > 0)
      rest = arith::DivUIOp::create(rewriter, loc, rest, trips[d]);
    ivs[d] = arith::AddIOp::create(
        rewriter, loc, nest.getLoopLowerBounds()[d],
        arith::MulIOp::create(rewriter, loc, i, nest.getLoopSteps()[d]));
  }
  cf::BranchOp::create(rewriter, loc, entry, ivs);
  for (Block *b : bodyBlocks) {
    auto yield = dyn_cast<omp::YieldOp>(b->getTerminator());
    if (!yield)
      continue;
    rewriter.setInsertionPoint(yield);
    Value next = arith::AddIOp::create(rewriter, loc, l, one);
    rewriter.replaceOpWithNewOp<cf::BranchOp>(yield, header, ValueRange{next});
  }
  // The wsloop's implicit barrier, unless the region ends right after it.
  if (!last) {
    rewriter.setInsertionPointToStart(post);
    omp::BarrierOp::create(rewriter, loc);
  }
  rewriter.eraseOp(loop);
}

struct PartitionWsloopsPass
    : effc::impl::PartitionWsloopsPassBase<PartitionWsloopsPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<std::pair<omp::WsloopOp, omp::LoopNestOp>> loops;
    module.walk([&](omp::WsloopOp loop) {
      if (omp::LoopNestOp nest = getPlainLoopNest(loop))
        loops.emplace_back(loop, nest);
    });
    if (loops.empty())
      return;
    func::FuncOp threadNum = getOrDeclare(module, "omp_get_thread_num");
    func::FuncOp numThreads = getOrDeclare(module, "omp_get_num_threads");
    IRRewriter rewriter(&getContext());
    for (auto [loop, nest] : loops)
      partition(rewriter, loop, nest, threadNum, numThreads);
  }
};

} // namespace

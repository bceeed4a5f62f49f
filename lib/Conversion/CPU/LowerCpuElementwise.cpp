//===- LowerCpuElementwise.cpp - fused, threaded, vector generics -*- C++
//-*-===//
//
// The ops a frontend writes between GEMMs (normalizations, activations,
// residual adds, masks, casts) as fused, threaded, vectorized code on
// tensors, before bufferization. The scheme is the row-wise one of IREE's
// CPU elementwise / reduction strategy: one `scf.forall` iteration per row
// of the iteration space (every parallel loop but the innermost), the
// innermost loop and the reductions whole in a vector.
//
//===----------------------------------------------------------------------===//

#include "effc/Conversion/CPU/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Dialect/Vector/Transforms/LoweringPatterns.h"
#include "mlir/Dialect/Vector/Transforms/VectorRewritePatterns.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir {
namespace effc {
#define GEN_PASS_DEF_LOWERCPUELEMENTWISEPASS
#include "effc/Conversion/CPU/Passes.h.inc"
} // namespace effc
} // namespace mlir

using namespace mlir;
using namespace mlir::effc;

namespace {

/// Ops directly in a function body: generics inside loops belong to a
/// kernel that already chose its own schedule.
bool isTopLevel(Operation *op) {
  return isa_and_nonnull<func::FuncOp>(op->getParentOp());
}

/// Fuses an elementwise producer into its only consumer when the consumer
/// reads each produced element once. Through a broadcast (a row statistic
/// read by every element of the row) fusion would recompute the producer
/// per element, so those stay separate.
bool fuseWithoutRecompute(OpOperand *use) {
  Operation *producer = use->get().getDefiningOp();
  auto consumer = dyn_cast<linalg::GenericOp>(use->getOwner());
  if (!producer || !consumer || !isTopLevel(producer) ||
      !isTopLevel(consumer) || !producer->hasOneUse())
    return false;
  return consumer.getMatchingIndexingMap(use).isPermutation();
}

/// True when every operand reads or writes the innermost loop contiguously
/// (as its last dimension) or not at all (a broadcast along the row). A
/// row strided in memory would only become per-lane loads and stores.
bool hasContiguousRows(linalg::GenericOp op) {
  // An i1 (or i4) in memory is a byte (or a packed nibble) but a lane of a
  // vector<Nxi1> store is a bit: those rows stay scalar.
  for (Value operand : op->getOperands())
    if (Type t = getElementTypeOrSelf(operand.getType());
        !t.isIntOrFloat() || t.getIntOrFloatBitWidth() % 8)
      return false;
  unsigned inner = op.getNumLoops() - 1;
  for (AffineMap map : op.getIndexingMapsArray()) {
    for (auto [i, expr] : llvm::enumerate(map.getResults())) {
      if (!expr.isFunctionOfDim(inner))
        continue;
      auto dim = dyn_cast<AffineDimExpr>(expr);
      if (!dim || i + 1 != map.getNumResults())
        return false;
    }
  }
  return true;
}

/// Tiles `op` into rows (a thread-parallel `scf.forall` when it is big
/// enough, `scf.for` when only the vector size asks for it) and vectorizes
/// the row. Returns failure when the op is left as it was.
LogicalResult lowerGeneric(RewriterBase &rewriter, linalg::GenericOp op,
                           int64_t minParallelElements,
                           int64_t maxVectorElements) {
  // A generic inside a kernel's loops (flash attention's online softmax)
  // already runs on the kernel's threads: rows and vectors only.
  bool mayThread = isTopLevel(op);
  if (!op.hasPureTensorSemantics())
    return failure();
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  if (ranges.empty())
    return failure();
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  unsigned numLoops = ranges.size();
  SmallVector<int64_t> tileSizes(numLoops, 0);
  // Rows may be runtime sizes (a dynamic batch or sequence): they are
  // tiled by 1, so each row is static; the row itself must be.
  int64_t rows = 1, rowElements = 1;
  bool dynamicRows = false;
  for (unsigned d = 0; d < numLoops; ++d) {
    if (d + 1 < numLoops && linalg::isParallelIterator(iterators[d])) {
      tileSizes[d] = 1;
      if (ShapedType::isDynamic(ranges[d]))
        dynamicRows = true;
      else
        rows *= ranges[d];
    } else {
      if (ShapedType::isDynamic(ranges[d]))
        return failure();
      rowElements *= ranges[d];
    }
  }
  int64_t elements = rows * rowElements;
  if (elements == 0)
    return failure();

  // A tile of several short rows (a reduction over an outer dimension of
  // a narrow tensor) would unroll into scalar code: vectors want the row.
  int64_t innerSize = ranges.back();
  bool vectorizable = rowElements <= maxVectorElements &&
                      hasContiguousRows(op) &&
                      (rowElements == innerSize || innerSize >= 8);

  Operation *target = op;
  // Runtime rows are threaded: the parallel region's own work threshold
  // decides at run time whether a few rows stay on one thread.
  bool threaded = mayThread && (dynamicRows ||
                                (rows > 1 && elements >= minParallelElements));
  if (!threaded && !vectorizable)
    return failure();
  if (rows > 1 || dynamicRows) {
    scf::SCFTilingOptions options;
    options.setLoopType(threaded ? scf::SCFTilingOptions::LoopType::ForallOp
                                 : scf::SCFTilingOptions::LoopType::ForOp);
    options.setTileSizes(getAsIndexOpFoldResult(op.getContext(), tileSizes));
    rewriter.setInsertionPoint(op);
    FailureOr<scf::SCFTilingResult> tiled = scf::tileUsingSCF(
        rewriter, cast<TilingInterface>(op.getOperation()), options);
    if (failed(tiled))
      return failure();
    rewriter.replaceOp(op, tiled->replacements);
    target = tiled->tiledOps.front();
  }
  // An op the vectorizer cannot take (an unusual body) still gains the
  // threads: it becomes scalar loops inside the forall.
  if (!vectorizable ||
      failed(linalg::vectorizeOpPrecondition(target, {}, {},
                                             /*vectorizeNDExtract=*/false)))
    return success();
  rewriter.setInsertionPoint(target);
  FailureOr<linalg::VectorizationResult> vectorized =
      linalg::vectorize(rewriter, target, {}, {}, /*vectorizeNDExtract=*/false);
  if (succeeded(vectorized))
    rewriter.replaceOp(target, vectorized->replacements);
  return success();
}

/// Lowers the vectorizer's multi-dimensional reductions: to one
/// `vector.reduction` per row when the innermost dimension is reduced, to
/// elementwise vector arithmetic across rows otherwise (a reduction over an
/// outer dimension of a row-major tile).
LogicalResult lowerMultiReductions(Operation *root) {
  SmallVector<Operation *> inner, outer;
  root->walk([&](vector::MultiDimReductionOp op) {
    ArrayRef<bool> mask = op.getReductionMask();
    (mask.empty() || mask.back() ? inner : outer).push_back(op);
  });
  GreedyRewriteConfig config;
  config.setStrictness(GreedyRewriteStrictness::ExistingAndNewOps);
  MLIRContext *ctx = root->getContext();
  for (auto [ops, strategy] :
       {std::make_pair(&inner,
                       vector::VectorMultiReductionLowering::InnerReduction),
        std::make_pair(&outer,
                       vector::VectorMultiReductionLowering::InnerParallel)}) {
    if (ops->empty())
      continue;
    RewritePatternSet patterns(ctx);
    vector::populateVectorMultiReductionLoweringPatterns(patterns, strategy);
    if (failed(applyOpPatternsGreedily(*ops, std::move(patterns), config)))
      return failure();
  }
  return success();
}

struct LowerCpuElementwisePass
    : effc::impl::LowerCpuElementwisePassBase<LowerCpuElementwisePass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    MLIRContext *ctx = &getContext();

    // Unit dimensions (keepdim reductions, NCHW tensors after global
    // pooling) leave the generics first: the rows below are then the real
    // innermost dimension.
    RewritePatternSet unitDims(ctx);
    linalg::ControlDropUnitDims dropUnitDims;
    dropUnitDims.controlFn = [](Operation *op) -> SmallVector<unsigned> {
      auto generic = dyn_cast<linalg::GenericOp>(op);
      if (!generic || !isTopLevel(generic))
        return {};
      return llvm::to_vector(llvm::seq<unsigned>(0, generic.getNumLoops()));
    };
    linalg::populateFoldUnitExtentDimsPatterns(unitDims, dropUnitDims);
    linalg::populateFoldUnitExtentDimsCanonicalizationPatterns(unitDims,
                                                               dropUnitDims);
    if (failed(applyPatternsGreedily(module, std::move(unitDims))))
      return signalPassFailure();

    // Padding (before a convolution) as a fill and a slice insertion: the
    // fill gets threads and vectors below, the insertion is a row copy.
    RewritePatternSet pads(ctx);
    linalg::populateDecomposePadPatterns(pads);
    if (failed(applyPatternsGreedily(module, std::move(pads))))
      return signalPassFailure();

    // Data movement and elementwise named ops (an NCHW input's transpose,
    // broadcasts, copies) as generics: they fuse and get threads below.
    IRRewriter rewriter(ctx);
    SmallVector<linalg::LinalgOp> named;
    module.walk([&](linalg::LinalgOp op) {
      if (isTopLevel(op) && op.hasPureTensorSemantics() &&
          isa<linalg::TransposeOp, linalg::BroadcastOp, linalg::CopyOp,
              linalg::MapOp, linalg::ElementwiseOp>(op.getOperation()))
        named.push_back(op);
    });
    for (linalg::LinalgOp op : named) {
      rewriter.setInsertionPoint(op);
      (void)linalg::generalizeNamedOp(rewriter, op);
    }

    RewritePatternSet fusion(ctx);
    // x ** 3 (GELU's tanh form) and x ** 2.0 (RMSNorm, once its splat
    // exponent is folded into the body) as multiplications: vector powers
    // otherwise become one libm call per lane, and fpowi has no vector
    // lowering at all. (Upstream's general powf expansion, exp(y log x),
    // is NaN for a negative base, so other powers stay libm calls.)
    populateMathAlgebraicSimplificationPatterns(fusion);
    math::populateExpansionPatterns(fusion, {"fpowi"});
    linalg::populateElementwiseOpsFusionPatterns(fusion, fuseWithoutRecompute);
    linalg::GenericOp::getCanonicalizationPatterns(fusion, ctx);
    tensor::EmptyOp::getCanonicalizationPatterns(fusion, ctx);
    if (failed(applyPatternsGreedily(module, std::move(fusion))))
      return signalPassFailure();

    // A zero fill that CSE shared between several GEMMs' destinations
    // would be copied once per GEMM by bufferization: one fill per user,
    // right before it (where the GEMM kernel finds and drops a zero fill
    // of its destination instead of running it).
    SmallVector<linalg::FillOp> shared;
    module.walk([&](linalg::FillOp fill) {
      if (isTopLevel(fill) && fill.hasPureTensorSemantics())
        shared.push_back(fill);
    });
    for (linalg::FillOp fill : shared) {
      for (OpOperand &use : llvm::make_early_inc_range(fill->getUses())) {
        Operation *user = use.getOwner();
        if (user->getBlock() != fill->getBlock() ||
            (fill->hasOneUse() && fill->getNextNode() == user))
          continue;
        rewriter.setInsertionPoint(user);
        use.set(rewriter.clone(*fill)->getResult(0));
      }
      if (fill->use_empty())
        rewriter.eraseOp(fill);
    }

    // Fills that are not a GEMM's zero destination as generics: threads
    // and vectors below instead of a scalar loop over the whole buffer.
    SmallVector<linalg::FillOp> fills;
    module.walk([&](linalg::FillOp fill) {
      if (isTopLevel(fill) && fill.hasPureTensorSemantics() &&
          llvm::none_of(fill->getUsers(), [](Operation *user) {
            auto linalgOp = dyn_cast<linalg::LinalgOp>(user);
            return linalgOp && linalg::isaContractionOpInterface(linalgOp);
          }))
        fills.push_back(fill);
    });
    for (linalg::FillOp fill : fills) {
      rewriter.setInsertionPoint(fill);
      (void)linalg::generalizeNamedOp(rewriter, fill);
    }

    SmallVector<linalg::GenericOp> generics;
    module.walk([&](linalg::GenericOp op) { generics.push_back(op); });
    for (linalg::GenericOp op : generics)
      (void)lowerGeneric(rewriter, op, minParallelElements, maxVectorElements);

    // Rows as 1-D vectors: unit dimensions dropped, transposed reads made
    // explicit, reductions lowered.
    RewritePatternSet vectors(ctx);
    vector::populateCastAwayVectorLeadingOneDimPatterns(vectors);
    vector::populateVectorTransferDropUnitDimsPatterns(vectors);
    vector::TransferReadOp::getCanonicalizationPatterns(vectors, ctx);
    vector::TransferWriteOp::getCanonicalizationPatterns(vectors, ctx);
    RewritePatternSet transfers(ctx);
    vector::populateVectorTransferPermutationMapLoweringPatterns(transfers);
    if (failed(applyPatternsGreedily(module, std::move(vectors))) ||
        failed(applyPatternsGreedily(module, std::move(transfers))) ||
        failed(lowerMultiReductions(module)))
      return signalPassFailure();
  }
};

} // namespace

//===- LowerCpu.cpp - effc and linalg to LLVM for CPUs ---------*- C++ -*-===//
//
// The CPU code generator's driver: effc ops through their reference forms,
// CPU-specific preparation on tensors, bufferization, the matmul kernel
// generator, and the LLVM lowering with OpenMP threads.
//
//===----------------------------------------------------------------------===//

#include "effc/Conversion/CPU/CpuTarget.h"
#include "effc/Conversion/CPU/LowerCpuQuant.h"
#include "effc/Conversion/CPU/Passes.h"
#include "effc/Conversion/Reference/Passes.h"
#include "effc/Dialect/EffcOps.h"
#include "effc/Support/LinalgBuilders.h"
#include "effc/Support/WeightData.h"

#include "mlir/Dialect/AMX/AMXDialect.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "mlir/Transforms/Passes.h"

namespace mlir {
namespace effc {
#define GEN_PASS_DEF_LOWERCPUPASS
#include "effc/Conversion/CPU/Passes.h.inc"
} // namespace effc
} // namespace mlir

using namespace mlir;
using namespace mlir::effc;

namespace {

/// True when `op` is a matmul whose right operand is read as [N, K].
bool isTransposedBMatmul(linalg::MatmulOp op) {
  if (!op.hasUserDefinedMaps())
    return false;
  MLIRContext *ctx = op.getContext();
  AffineExpr m, n, k;
  bindDims(ctx, m, n, k);
  SmallVector<AffineMap> want = {AffineMap::get(3, 0, {m, k}, ctx),
                                 AffineMap::get(3, 0, {n, k}, ctx),
                                 AffineMap::get(3, 0, {m, n}, ctx)};
  return op.getIndexingMapsArray() == want;
}

/// True when `op` is a batch matmul whose right operand is read as
/// [B, N, K].
bool isTransposedBBatchMatmul(linalg::BatchMatmulOp op) {
  if (!op.hasUserDefinedMaps())
    return false;
  MLIRContext *ctx = op.getContext();
  AffineExpr b, m, n, k;
  bindDims(ctx, b, m, n, k);
  SmallVector<AffineMap> want = {AffineMap::get(4, 0, {b, m, k}, ctx),
                                 AffineMap::get(4, 0, {b, n, k}, ctx),
                                 AffineMap::get(4, 0, {b, m, n}, ctx)};
  return op.getIndexingMapsArray() == want;
}

/// B transposed: at compile time for constants, else linalg.transpose.
Value transposedB(PatternRewriter &rewriter, Location loc, Value b) {
  DenseElementsAttr cst;
  if (matchPattern(b, m_Constant(&cst))) {
    int64_t r = cst.getType().getRank();
    SmallVector<int64_t> perm = llvm::to_vector(llvm::seq<int64_t>(0, r));
    std::swap(perm[r - 1], perm[r - 2]);
    DenseElementsAttr t = permuteConstant(cst, perm);
    return arith::ConstantOp::create(rewriter, loc, t.getType(), t);
  }
  return buildTransposeLast2(rewriter, loc, b);
}

bool isByteSizedStatic(Value v) {
  auto t = cast<RankedTensorType>(v.getType());
  return t.hasStaticShape() && t.getElementTypeBitWidth() % 8 == 0;
}

/// The kernel generator reads B as [K, N] rows. A transposed-B matmul gets
/// its B transposed: at compile time when B is a constant (model weights),
/// else with a linalg.transpose at run time.
struct NormalizeTransposedB : OpRewritePattern<linalg::MatmulOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(linalg::MatmulOp op,
                                PatternRewriter &rewriter) const override {
    if (!op.hasPureTensorSemantics() || !isTransposedBMatmul(op))
      return failure();
    Value b = op.getInputs()[1];
    if (!isByteSizedStatic(b))
      return failure();
    Value bT = transposedB(rewriter, op.getLoc(), b);
    rewriter.replaceOpWithNewOp<linalg::MatmulOp>(
        op, op.getResultTypes(), ValueRange{op.getInputs()[0], bT},
        op.getOutputs());
    return success();
  }
};

struct NormalizeTransposedBatchB : OpRewritePattern<linalg::BatchMatmulOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(linalg::BatchMatmulOp op,
                                PatternRewriter &rewriter) const override {
    if (!op.hasPureTensorSemantics() || !isTransposedBBatchMatmul(op))
      return failure();
    Value b = op.getInputs()[1];
    if (!isByteSizedStatic(b))
      return failure();
    Value bT = transposedB(rewriter, op.getLoc(), b);
    rewriter.replaceOpWithNewOp<linalg::BatchMatmulOp>(
        op, op.getResultTypes(), ValueRange{op.getInputs()[0], bT},
        op.getOutputs());
    return success();
  }
};

/// A dense (groups = 1) convolution as im2col + GEMM: the patches
/// [N*OH*OW, KH*KW*C] times the OHWI weight read as [F, KH*KW*C] (a free
/// reshape), so convolutions run on the matmul kernels.
struct ConvToIm2ColLinear : OpRewritePattern<Conv2DOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(Conv2DOp op,
                                PatternRewriter &rewriter) const override {
    auto inTy = op.getInput().getType();
    auto wTy = op.getWeight().getType();
    auto outTy = op.getType();
    if (op.getGroups() != 1 || !inTy.hasStaticShape() ||
        !wTy.hasStaticShape() || !outTy.hasStaticShape())
      return failure();
    auto w2Ty = RankedTensorType::get(
        {wTy.getDimSize(0), wTy.getNumElements() / wTy.getDimSize(0)},
        wTy.getElementType());
    Value w2 = tensor::CollapseShapeOp::create(
        rewriter, op.getLoc(), w2Ty, op.getWeight(),
        ArrayRef<ReassociationIndices>{{0}, {1, 2, 3}});
    rewriter.replaceOp(op, buildConvAsLinear(rewriter, op, w2));
    return success();
  }
};

struct LowerCpuPass : effc::impl::LowerCpuPassBase<LowerCpuPass> {
  using Base::Base;

  /// Everything after the tensor-level preparation.
  void buildBackend(OpPassManager &pm, const CpuTarget &target) const {
    addCpuBufferization(pm);
    LowerCpuMatmulPassOptions mm;
    mm.vectorWidth = target.f32Lanes;
    pm.addPass(createLowerCpuMatmulPass(mm));
    // After the GEMM kernels, which drop the zero fills of their outputs.
    pm.addPass(createLowerCpuCopiesPass());
    pm.addPass(createCanonicalizerPass());
    pm.addNestedPass<func::FuncOp>(createConvertLinalgToLoopsPass());
    addCpuLLVMLowering(pm);
  }

  void getDependentDialects(DialectRegistry &registry) const override {
    Base::getDependentDialects(registry);
    OpPassManager pm("builtin.module");
    pm.addPass(createLowerReferencePass());
    pm.addPass(createLowerCpuElementwisePass());
    buildBackend(pm, CpuTarget());
    pm.getDependentDialects(registry);
    // The int8 kernels emit AMX tile ops on CPUs that have AMX.
    registry.insert<amx::AMXDialect>();
  }

  void runOnOperation() override {
    ModuleOp module = getOperation();
    FailureOr<CpuTarget> target = CpuTarget::get(cpu, targetFeatures);
    if (failed(target)) {
      module.emitError() << "unknown CPU '" << cpu << "' or target features '"
                         << targetFeatures << "'";
      return signalPassFailure();
    }
    // Weights written as dense_resource blobs (torch-mlir, ONNX) are
    // prepacked at compile time like literals, not re-laid-out per call.
    materializeResourceConstants(module);
    {
      RewritePatternSet convPatterns(&getContext());
      convPatterns.add<ConvToIm2ColLinear>(&getContext());
      populateLowerCpuAttentionPatterns(convPatterns);
      populateLowerCpuDepthwisePatterns(convPatterns, target->f32Lanes);
      populateLowerCpuQuantPatterns(convPatterns, *target);
      populateLowerCpuSparsePatterns(convPatterns);
      // No folding before quant.qcast / quant.dcast are lowered: upstream
      // folds dcast(qcast(x)) to x, dropping a QDQ model's rounding.
      GreedyRewriteConfig config;
      config.enableFolding(false);
      if (failed(
              applyPatternsGreedily(module, std::move(convPatterns), config)))
        return signalPassFailure();
    }
    OpPassManager front("builtin.module");
    front.addPass(createLowerReferencePass());
    // Elementwise ops on whole tensors (a math.tanh between two layers)
    // become linalg.generic first: the polynomial approximations below
    // rewrite scalar and vector math only, and on a tensor op they left
    // invalid IR that convert-elementwise-to-linalg then looped on.
    front.addNestedPass<func::FuncOp>(createConvertElementwiseToLinalgPass());
    front.addPass(createCanonicalizerPass());
    front.addPass(createCSEPass());
    if (failed(runPipeline(front, module)))
      return signalPassFailure();

    RewritePatternSet patterns(&getContext());
    // exp/tanh/erf/... as inlined polynomials (a few ulp from libm) instead
    // of scalar libm calls, so softmax and activations vectorize.
    populateMathPolynomialApproximationPatterns(patterns);
    // A transpose of a transpose (an argument weight raised to [N, K] and
    // read back as [K, N]) cancels out.
    linalg::TransposeOp::getCanonicalizationPatterns(patterns, &getContext());
    patterns.add<NormalizeTransposedB, NormalizeTransposedBatchB>(
        &getContext());
    if (failed(applyPatternsGreedily(module, std::move(patterns))))
      return signalPassFailure();

    OpPassManager back("builtin.module");
    // Fused, threaded, vectorized generics, once the transposes above have
    // cancelled (the pass turns the remaining ones into generics).
    back.addPass(createLowerCpuElementwisePass());
    buildBackend(back, *target);
    if (failed(runPipeline(back, module)) ||
        failed(finalizeCpuQuantKernels(module)))
      return signalPassFailure();

    // Record the target so that the JIT, AOT objects and llc compile for
    // the CPU the code was generated for.
    MLIRContext *ctx = &getContext();
    module->setAttr(LLVM::LLVMDialect::getTargetTripleAttrName(),
                    StringAttr::get(ctx, target->triple));
    auto features = LLVM::TargetFeaturesAttr::get(ctx, target->features);
    module.walk([&](LLVM::LLVMFuncOp f) {
      if (f.isExternal())
        return;
      f.setTargetCpu(target->cpu);
      f.setTargetFeaturesAttr(features);
    });
  }
};

} // namespace

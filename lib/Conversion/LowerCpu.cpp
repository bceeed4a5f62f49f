//===- LowerCpu.cpp - effc + linalg to the llvm dialect for CPUs -*- C++ -*-===//
//
// The CPU code generator's driver: effc ops through their reference forms,
// CPU-specific preparation on tensors, bufferization, the matmul kernel
// generator, and the LLVM lowering with OpenMP threads.
//
//===----------------------------------------------------------------------===//

#include "effc/Conversion/CpuTarget.h"
#include "effc/Conversion/LinalgBuilders.h"
#include "effc/Conversion/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir {
namespace effc {
#define GEN_PASS_DEF_LOWERCPUPASS
#include "effc/Conversion/Passes.h.inc"
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

/// Transposes the raw data of a 2-D constant without going through APFloat.
DenseElementsAttr transposeConstant(DenseElementsAttr attr) {
  auto type = cast<RankedTensorType>(attr.getType());
  auto outTy = RankedTensorType::get(
      {type.getDimSize(1), type.getDimSize(0)}, type.getElementType());
  if (attr.isSplat())
    return attr.reshape(outTy);
  unsigned bytes = type.getElementTypeBitWidth() / 8;
  ArrayRef<char> raw = attr.getRawData();
  int64_t rows = type.getDimSize(0), cols = type.getDimSize(1);
  std::vector<char> out(raw.size());
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c)
      std::memcpy(&out[(c * rows + r) * bytes], &raw[(r * cols + c) * bytes],
                  bytes);
  return DenseElementsAttr::getFromRawBuffer(outTy, out);
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
    auto bTy = cast<RankedTensorType>(b.getType());
    if (!bTy.hasStaticShape() || bTy.getElementTypeBitWidth() % 8 != 0)
      return failure();
    Location loc = op.getLoc();
    Value bT;
    DenseElementsAttr cst;
    if (matchPattern(b, m_Constant(&cst))) {
      DenseElementsAttr t = transposeConstant(cst);
      bT = arith::ConstantOp::create(rewriter, loc, t.getType(), t);
    } else {
      bT = buildTransposeLast2(rewriter, loc, b);
    }
    rewriter.replaceOpWithNewOp<linalg::MatmulOp>(
        op, op.getResultTypes(), ValueRange{op.getInputs()[0], bT},
        op.getOutputs());
    return success();
  }
};

void addUpstream(OpPassManager &pm, StringRef pipeline) {
  effc::parseBuiltinPipeline(pm, pipeline);
}

struct LowerCpuPass : effc::impl::LowerCpuPassBase<LowerCpuPass> {
  using Base::Base;

  /// Everything after the tensor-level preparation.
  void buildBackend(OpPassManager &pm, const CpuTarget &target) const {
    addCpuBufferization(pm);
    LowerCpuMatmulPassOptions mm;
    mm.vectorWidth = target.f32Lanes;
    pm.addPass(createLowerCpuMatmulPass(mm));
    addUpstream(pm, "canonicalize,func.func(convert-linalg-to-loops)");
    addCpuLLVMLowering(pm);
  }

  void getDependentDialects(DialectRegistry &registry) const override {
    Base::getDependentDialects(registry);
    OpPassManager pm("builtin.module");
    pm.addPass(createLowerReferencePass());
    buildBackend(pm, CpuTarget());
    pm.getDependentDialects(registry);
  }

  void runOnOperation() override {
    ModuleOp module = getOperation();
    FailureOr<CpuTarget> target = CpuTarget::get(cpu, targetFeatures);
    if (failed(target)) {
      module.emitError() << "unknown CPU '" << cpu << "' or target features '"
                         << targetFeatures << "'";
      return signalPassFailure();
    }
    OpPassManager front("builtin.module");
    front.addPass(createLowerReferencePass());
    addUpstream(front, "canonicalize,cse");
    if (failed(runPipeline(front, module)))
      return signalPassFailure();

    RewritePatternSet patterns(&getContext());
    patterns.add<NormalizeTransposedB>(&getContext());
    if (failed(applyPatternsGreedily(module, std::move(patterns))))
      return signalPassFailure();

    OpPassManager back("builtin.module");
    buildBackend(back, *target);
    if (failed(runPipeline(back, module)))
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

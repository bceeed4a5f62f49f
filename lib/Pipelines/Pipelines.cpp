//===- Pipelines.cpp - effc pass pipelines ----------------------*- C++ -*-===//

#include "effc/Pipelines/Pipelines.h"

#include "effc/Config.h"
#include "effc/Conversion/CPU/CpuTarget.h"
#include "effc/Conversion/CPU/Passes.h"
#include "effc/Conversion/Reference/Passes.h"
#include "effc/Transforms/Passes.h"

#include "mlir/Conversion/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;
using namespace mlir::effc;

/// TOSA ops (if any) to linalg on tensors; harmless without TOSA.
static void addTosaLowering(OpPassManager &pm) { addTosaToLinalgLowering(pm); }

void mlir::effc::buildReferencePipeline(OpPassManager &pm) {
  pm.addPass(createLowerQuantCastsPass());
  addTosaLowering(pm);
  pm.addPass(createLowerReferencePass());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  addCpuBufferization(pm);
  pm.addNestedPass<func::FuncOp>(createConvertLinalgToLoopsPass());
  addCpuLLVMLowering(pm);
}

void mlir::effc::buildCpuPipeline(OpPassManager &pm,
                                  const CpuPipelineOptions &options) {
  if (options.reference) {
    buildReferencePipeline(pm);
    return;
  }
  pm.addPass(createLowerQuantCastsPass());
  addTosaLowering(pm);
  LowerCpuPassOptions lowerOptions;
  lowerOptions.cpu = options.cpu;
  lowerOptions.targetFeatures = options.targetFeatures;
  pm.addPass(createLowerCpuPass(lowerOptions));
}

void mlir::effc::buildCompressPipeline(OpPassManager &pm,
                                       const CompressPipelineOptions &options) {
  bool quantize = options.weights != PrecisionOption::f32;
  std::optional<PruneMethod> method = getPruneMethod(options.method);
  if (method) {
    PrunePassOptions prune;
    prune.method = *method;
    prune.sparsity = options.sparsity;
    prune.n = options.n;
    prune.m = options.m;
    prune.block = options.block;
    prune.compress = options.compress;
    // Weights quantized next keep their zeros in the dense layout here;
    // --effc-sparsify compresses the i8 ones after --effc-quantize.
    if (quantize)
      prune.compress = PruneCompress::never;
    pm.addPass(createPrunePass(prune));
  }
  if (quantize) {
    AssignPrecisionPassOptions assign;
    assign.weights = options.weights;
    assign.activations = options.activations;
    assign.granularity = options.granularity;
    assign.groupSize = options.groupSize;
    assign.budgetBits = options.budgetBits;
    assign.calibration = options.calibration;
    assign.calibrationMethod = options.calibrationMethod;
    pm.addPass(createAssignPrecisionPass(assign));
    pm.addPass(createQuantizePass());
    // Sparse int8: effc.quantized_linear with an i32 or float result and
    // zero-rich i8 weights becomes a quantized effc.sparse_linear.
    if (method && options.compress != PruneCompress::never) {
      SparsifyPassOptions sparsify;
      sparsify.force = options.compress == PruneCompress::always;
      pm.addPass(createSparsifyPass(sparsify));
    }
  }
}

void mlir::effc::registerPipelines() {
  registerPipelineWithOptions<CompressPipelineOptions>(
      "effc-compress",
      "Prune and quantize: --effc-prune (method=none: skipped), then "
      "--effc-assign-precision, --effc-quantize and --effc-sparsify (sparse "
      "int8; weights=f32: all three skipped)",
      buildCompressPipeline);
  registerPipelineWithOptions<CpuPipelineOptions>(
      "effc-cpu-pipeline",
      "Lower effc and upstream ops on tensors to the llvm dialect for the "
      "CPU: effc-lower-cpu, bufferization, OpenMP threads, LLVM lowering",
      buildCpuPipeline);
  PassPipelineRegistration<>(
      "effc-reference-pipeline",
      "Lower through --effc-lower-reference and plain loops to the llvm "
      "dialect (the numerical reference)",
      buildReferencePipeline);
#if EFFC_ENABLE_GPU
  registerGpuPipeline();
#endif
  registerHlsPipeline();
}

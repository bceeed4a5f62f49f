//===- GpuPipeline.cpp - --effc-gpu-pipeline --------------------*- C++ -*-===//
//
// effc and upstream ops on tensors -> tensor-core kernels (PTX or cubin,
// embedded in `gpu.binary`) plus host code in the `llvm` dialect that
// drives them through the `mgpu*` runtime functions.
//
//===----------------------------------------------------------------------===//

#include "effc/Conversion/CPU/CpuTarget.h"
#include "effc/Conversion/CPU/Passes.h"
#include "effc/Conversion/GPU/Passes.h"
#include "effc/Conversion/Reference/Passes.h"
#include "effc/Pipelines/Pipelines.h"
#include "effc/Transforms/Passes.h"

#include "mlir/Conversion/Passes.h"
#include "mlir/Conversion/VectorToSCF/VectorToSCF.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/GPU/Transforms/Passes.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;
using namespace mlir::effc;

void mlir::effc::addGpuDeviceLowering(OpPassManager &pm) {
  // 2-D vector transfers in kernels need full unrolling before they reach
  // the llvm dialect; NVVM ops that print as inline PTX (wgmma.mma_async,
  // mbarrier.try_wait.parity) become llvm.inline_asm in convert-nvvm-to-llvm.
  OpPassManager &kernels = pm.nest<gpu::GPUModuleOp>();
  // fp8 rounding in kernels (the activation quantization) as integer code,
  // which the NVPTX backend takes on every chip.
  kernels.addPass(createExpandFp8Pass());
  kernels.addPass(createConvertVectorToSCFPass(
      VectorTransferToSCFOptions().enableFullUnroll()));
  kernels.addPass(createSCFToControlFlowPass());
  kernels.addPass(createConvertNVGPUToNVVMPass());
  kernels.addPass(createConvertGpuOpsToNVVMOps());
  kernels.addPass(createConvertNVVMToLLVMPass());
  kernels.addPass(memref::createExpandStridedMetadataPass());
  kernels.addPass(createLowerAffinePass());
  kernels.addPass(createConvertVectorToLLVMPass());
  kernels.addPass(createConvertIndexToLLVMPass());
  kernels.addPass(createReconcileUnrealizedCastsPass());
  kernels.addPass(createCanonicalizerPass());
  kernels.addPass(createCSEPass());
}

void mlir::effc::buildGpuPipeline(OpPassManager &pm,
                                  const GpuPipelineOptions &options) {
  pm.addPass(createRaisePass());
  LowerGpuPassOptions lowerOptions;
  lowerOptions.chip = options.chip;
  lowerOptions.remarks = options.remarks;
  lowerOptions.f32Math = options.f32Math;
  pm.addPass(createLowerGpuPass(lowerOptions));
  // What has no kernel runs on the host (effc-lower-gpu remarks on it).
  pm.addPass(createLowerQuantCastsPass());
  pm.addPass(createLowerReferencePass());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  addCpuBufferization(pm);
  // The host remainder's linalg ops (reference lowerings of the ops without
  // a kernel) as loops: gpu-to-llvm cannot convert structured ops.
  pm.addNestedPass<func::FuncOp>(createConvertLinalgToLoopsPass());
  // The host's loops become branches before gpu-to-llvm, whose control-flow
  // patterns split a loop body holding a cf.assert (torch-mlir's index
  // checks on a gather) into blocks an scf.for cannot hold.
  pm.addNestedPass<func::FuncOp>(createSCFToControlFlowPass());
  pm.addPass(createLowerGpuLaunchPass());
  addGpuDeviceLowering(pm);
  // Host: device allocations, copies and launches become mgpu* calls.
  pm.addPass(createGpuToLLVMConversionPass());
  addCpuLLVMLowering(pm);
  GpuModuleToBinaryPassOptions toBinary;
  // gpu-module-to-binary spells its format as a string.
  toBinary.compilationTarget =
      options.format == GpuBinaryFormat::isa ? "isa" : "bin";
  pm.addPass(createGpuModuleToBinaryPass(toBinary));
}

void mlir::effc::registerGpuPipeline() {
  registerPipelineWithOptions<GpuPipelineOptions>(
      "effc-gpu-pipeline",
      "Lower effc and upstream ops on tensors for NVIDIA GPUs: effc-raise, "
      "effc-lower-gpu (tensor-core kernels), the host remainder through the "
      "reference lowering, kernels to PTX/cubin, host code to the llvm "
      "dialect calling the mgpu* CUDA runtime",
      buildGpuPipeline);
}

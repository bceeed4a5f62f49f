//===- CpuTarget.cpp - what effc knows about the target CPU -----*- C++ -*-===//

#include "effc/Conversion/CPU/CpuTarget.h"
#include "effc/Conversion/CPU/Passes.h"

#include "mlir/Conversion/Passes.h"
#include "mlir/Conversion/VectorToSCF/VectorToSCF.h"
#include "mlir/Dialect/Bufferization/Pipelines/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Dialect/SCF/Transforms/Passes.h"
#include "mlir/Transforms/Passes.h"

#include "llvm/ADT/StringMap.h"
#include "llvm/MC/MCSubtargetInfo.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/TargetParser/Triple.h"

#include <memory>

using namespace mlir;
using namespace mlir::effc;

FailureOr<CpuTarget> CpuTarget::get(StringRef cpu, StringRef features) {
  llvm::InitializeNativeTarget();
  CpuTarget t;
  t.triple = llvm::sys::getDefaultTargetTriple();
  SmallVector<std::string> feats;
  if (cpu.empty() || cpu == "host") {
    t.cpu = llvm::sys::getHostCPUName().str();
    for (auto &f : llvm::sys::getHostCPUFeatures())
      feats.push_back((f.second ? "+" : "-") + f.first().str());
  } else {
    t.cpu = cpu.str();
  }
  if (!features.empty())
    for (StringRef f : llvm::split(features, ','))
      if (!f.trim().empty())
        feats.push_back(f.trim().str());
  t.features = llvm::join(feats, ",");

  std::string error;
  const llvm::Target *target =
      llvm::TargetRegistry::lookupTarget(llvm::Triple(t.triple), error);
  if (!target)
    return failure();
  // Check the name on a generic subtarget first: creating one for an unknown
  // CPU prints "not a recognized processor" warnings to stderr.
  std::unique_ptr<llvm::MCSubtargetInfo> generic(
      target->createMCSubtargetInfo(llvm::Triple(t.triple), "", ""));
  if (!generic || !generic->isCPUStringValid(t.cpu))
    return failure();
  std::unique_ptr<llvm::MCSubtargetInfo> sti(
      target->createMCSubtargetInfo(llvm::Triple(t.triple), t.cpu, t.features));
  if (!sti)
    return failure();
  auto has = [&](StringRef f) { return sti->checkFeatures(("+" + f).str()); };
  t.avx512 = has("avx512f");
  t.avx2 = has("avx2");
  t.fma = has("fma");
  t.vnni = has("avx512vnni") || has("avxvnni");
  t.amxInt8 = has("amx-int8");
  t.amxBf16 = has("amx-bf16");
  t.f32Lanes = t.avx512 ? 16 : (t.avx2 || has("avx")) ? 8 : 4;
  return t;
}

void mlir::effc::addCpuBufferization(OpPassManager &pm) {
  pm.addNestedPass<func::FuncOp>(createConvertElementwiseToLinalgPass());
  pm.addPass(bufferization::createEmptyTensorEliminationPass());
  bufferization::OneShotBufferizePassOptions bufferize;
  bufferize.bufferizeFunctionBoundaries = true;
  bufferize.allowReturnAllocsFromLoops = true;
  bufferize.functionBoundaryTypeConversion =
      bufferization::LayoutMapOption::IdentityLayoutMap;
  pm.addPass(bufferization::createOneShotBufferizePass(bufferize));
  pm.addPass(createCanonicalizerPass());
  bufferization::PromoteBuffersToStackPassOptions promote;
  promote.maxAllocSizeInBytes = 4096;
  pm.addNestedPass<func::FuncOp>(
      bufferization::createPromoteBuffersToStackPass(promote));
  bufferization::buildBufferDeallocationPipeline(
      pm, bufferization::BufferDeallocationPipelineOptions());
  pm.addPass(createConvertBufferizationToMemRefPass());
  pm.addPass(createCanonicalizerPass());
}

void mlir::effc::addCpuLLVMLowering(OpPassManager &pm) {
  pm.addPass(createEmitCInterfacePass());
  // fp8 extf/truncf have no LLVM lowering: integer code instead.
  pm.addPass(createExpandFp8Pass());
  // scf-to-openmp wraps each parallel body in a single-block
  // memref.alloca_scope, so memref lowering (which inlines that scope) must
  // run before scf-to-cf splits the body into blocks.
  pm.addNestedPass<func::FuncOp>(createForallToParallelLoopPass());
  pm.addPass(createLowerAffinePass());
  pm.addPass(createConvertSCFToOpenMPPass());
  // Forking threads costs more than a tiny region's work.
  pm.addPass(createParallelThresholdPass());
  pm.addPass(createConvertVectorToSCFPass());
  // MLIR 22's expand-strided-metadata crashes on dynamic expands it
  // cannot take (dynamic batch and sequence).
  pm.addPass(createLowerDynamicExpandShapePass());
  pm.addPass(memref::createExpandStridedMetadataPass());
  pm.addPass(createLowerAffinePass());
  pm.addPass(createFinalizeMemRefToLLVMConversionPass());
  pm.addPass(createSCFToControlFlowPass());
  // After the memref lowering inlined each parallel body's alloca scope
  // (a CFG loop can then hold the body's blocks).
  pm.addPass(createPartitionWsloopsPass());
  ConvertVectorToLLVMPassOptions vectorToLLVM;
  vectorToLLVM.x86Vector = true;
  vectorToLLVM.amx = true;
  // Row sums (layernorm, softmax, pooling) as a tree of vector adds rather
  // than one lane after the other: faster and no less accurate.
  vectorToLLVM.reassociateFPReductions = true;
  // Math first: libm calls for vector math (acosh on a vectorized row)
  // unroll into vector.extract / from_elements, which vector-to-llvm lowers.
  pm.addPass(createConvertMathToLLVMPass());
  pm.addPass(createConvertMathToLibmPass());
  pm.addPass(createConvertVectorToLLVMPass(vectorToLLVM));
  pm.addPass(createFinalizeMemRefToLLVMConversionPass());
  pm.addPass(createArithToLLVMConversionPass());
  pm.addPass(createConvertIndexToLLVMPass());
  pm.addPass(createConvertControlFlowToLLVMPass());
  pm.addPass(createConvertOpenMPToLLVMPass());
  pm.addPass(createConvertFuncToLLVMPass());
  pm.addPass(createUBToLLVMConversionPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
}

//===- CpuTarget.cpp - what effc knows about the target CPU -----*- C++ -*-===//

#include "effc/Conversion/CPU/CpuTarget.h"
#include "effc/Conversion/CPU/Passes.h"

#include "mlir/InitAllPasses.h"
#include "mlir/Pass/PassRegistry.h"

#include "llvm/ADT/StringMap.h"
#include "llvm/MC/MCSubtargetInfo.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/TargetParser/Triple.h"
#include <mutex>

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

void mlir::effc::parseBuiltinPipeline(OpPassManager &pm, StringRef pipeline) {
  static std::once_flag registered;
  std::call_once(registered, [] { registerAllPasses(); });
  if (failed(parsePassPipeline(pipeline, pm, llvm::errs())))
    llvm::report_fatal_error("effc: invalid built-in pipeline");
}

static void addUpstream(OpPassManager &pm, StringRef pipeline) {
  parseBuiltinPipeline(pm, pipeline);
}

void mlir::effc::addCpuBufferization(OpPassManager &pm) {
  addUpstream(
      pm, "func.func(convert-elementwise-to-linalg),"
          "eliminate-empty-tensors,"
          "one-shot-bufferize{bufferize-function-boundaries=1 "
          "allow-return-allocs-from-loops=1 "
          "function-boundary-type-conversion=identity-layout-map},"
          "canonicalize,"
          "func.func(promote-buffers-to-stack{max-alloc-size-in-bytes=4096}),"
          "buffer-deallocation-pipeline,convert-bufferization-to-memref,"
          "canonicalize");
}

void mlir::effc::addCpuLLVMLowering(OpPassManager &pm) {
  pm.addPass(createEmitCInterfacePass());
  // fp8 extf/truncf have no LLVM lowering: integer code instead.
  pm.addPass(createExpandFp8Pass());
  // scf-to-openmp wraps each parallel body in a single-block
  // memref.alloca_scope, so memref lowering (which inlines that scope) must
  // run before scf-to-cf splits the body into blocks.
  addUpstream(pm, "func.func(scf-forall-to-parallel),"
                  "lower-affine,convert-scf-to-openmp,"
                  "convert-vector-to-scf,expand-strided-metadata,lower-affine,"
                  "finalize-memref-to-llvm,convert-scf-to-cf,"
                  "convert-vector-to-llvm{enable-x86vector=1 enable-amx=1},"
                  "convert-math-to-llvm,convert-math-to-libm,"
                  "finalize-memref-to-llvm,convert-arith-to-llvm,"
                  "convert-index-to-llvm,convert-cf-to-llvm,"
                  "convert-openmp-to-llvm,convert-func-to-llvm,"
                  "convert-ub-to-llvm,reconcile-unrealized-casts,"
                  "canonicalize,cse");
}

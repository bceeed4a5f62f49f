//===- PTX.cpp - effc kernels to PTX and cubin ------------------*- C++ -*-===//
//
// --effc-to-ptx prints the PTX of every kernel module (produced by MLIR's
// gpu-module-to-binary in `isa` format); --effc-to-cubin writes the cubin
// that ptxas makes of it (found in the CUDA toolkit, /usr/local/cuda/bin
// or PATH).
//
//===----------------------------------------------------------------------===//

#include "effc/Target/PTX.h"
#include "effc/Target/LLVMIR.h"

#include "effc/Conversion/CPU/CpuTarget.h"
#include "effc/Conversion/GPU/Passes.h"
#include "effc/Dialect/EffcDialect.h"
#include "effc/InitAll.h"
#include "effc/Pipelines/Pipelines.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/GPU/Transforms/Passes.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Tools/mlir-translate/Translation.h"
#include "llvm/Support/CommandLine.h"

using namespace mlir;
using namespace mlir::effc;

static llvm::cl::opt<std::string>
    ptxChip("effc-gpu-chip",
            llvm::cl::desc("GPU for --effc-to-ptx / --effc-to-cubin when the "
                           "input has no kernels yet (sm_80 ... sm_121, sm_90a "
                           "for the wgmma/TMA GEMM)"),
            llvm::cl::init("sm_90"));

LogicalResult mlir::effc::compileGpuModules(ModuleOp module, StringRef chip,
                                            StringRef format) {
  PassManager pm(module.getContext());
  if (module.getOps<gpu::GPUModuleOp>().empty() &&
      module.getOps<gpu::BinaryOp>().empty()) {
    LowerGpuPassOptions options;
    options.chip = chip.str();
    pm.addPass(createLowerGpuPass(options));
  }
  addGpuDeviceLowering(pm);
  GpuModuleToBinaryPassOptions toBinary;
  toBinary.compilationTarget = format.str();
  pm.addPass(createGpuModuleToBinaryPass(toBinary));
  if (failed(pm.run(module)))
    return failure();
  if (module.getOps<gpu::BinaryOp>().empty())
    return module.emitError("no GPU kernels: the module has no op that "
                            "--effc-lower-gpu maps onto the GPU");
  return success();
}

/// Writes the objects of every gpu.binary, PTX as text with a header line
/// per kernel module.
static LogicalResult emitObjects(ModuleOp module, raw_ostream &os,
                                 bool assembly) {
  for (auto binary : module.getOps<gpu::BinaryOp>()) {
    for (Attribute attr : binary.getObjects()) {
      auto object = cast<gpu::ObjectAttr>(attr);
      bool isAssembly = object.getFormat() == gpu::CompilationTarget::Assembly;
      if (isAssembly != assembly)
        return binary.emitError()
               << "gpu.binary @" << binary.getName() << " holds "
               << (isAssembly ? "PTX" : "a compiled binary")
               << "; recompile the kernels with format="
               << (assembly ? "isa" : "bin");
      if (assembly)
        os << "// effc kernels: gpu.binary @" << binary.getName() << "\n";
      os << object.getObject().getValue();
    }
  }
  return success();
}

/// Compiles the kernels to `format` unless the module already holds only
/// gpu.binary ops.
static LogicalResult ensureCompiled(ModuleOp module, StringRef format) {
  bool compiled = !module.getOps<gpu::BinaryOp>().empty() &&
                  module.getOps<gpu::GPUModuleOp>().empty();
  if (compiled)
    return success();
  return compileGpuModules(module, ptxChip, format);
}

void mlir::effc::registerPTXTranslations() {
  TranslateFromMLIRRegistration toPTX(
      "effc-to-ptx",
      "Compile the GPU kernels (lowering effc ops with --effc-lower-gpu "
      "first when there are none) and print their PTX",
      [](ModuleOp module, raw_ostream &os) -> LogicalResult {
        if (failed(ensureCompiled(module, "isa")))
          return failure();
        return emitObjects(module, os, /*assembly=*/true);
      },
      registerAllDialects);
  TranslateFromMLIRRegistration toCubin(
      "effc-to-cubin",
      "Compile the GPU kernels to a cubin with ptxas (one kernel module)",
      [](ModuleOp module, raw_ostream &os) -> LogicalResult {
        if (failed(ensureCompiled(module, "bin")))
          return failure();
        if (llvm::range_size(module.getOps<gpu::BinaryOp>()) != 1)
          return module.emitError("--effc-to-cubin writes one kernel module; "
                                  "this module has ")
                 << llvm::range_size(module.getOps<gpu::BinaryOp>());
        return emitObjects(module, os, /*assembly=*/false);
      },
      registerAllDialects);
}

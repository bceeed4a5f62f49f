//===- LLVMIR.cpp - effc to LLVM IR and native objects ----------*- C++ -*-===//

#include "effc/Target/LLVMIR.h"

#include "effc/Dialect/EffcDialect.h"
#include "effc/InitAll.h"
#include "effc/Pipelines/Pipelines.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/OpenMP/OpenMPDialect.h"
#include "mlir/ExecutionEngine/OptUtils.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Target/LLVMIR/Export.h"
#include "mlir/Tools/mlir-translate/Translation.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/TargetParser/Host.h"

using namespace mlir;
using namespace mlir::effc;

/// True when the module is already lowered: only ops of the dialects that
/// translate to LLVM IR directly remain (llvm, and omp for the parallel
/// loops --effc-cpu-pipeline emits). Lowering such a module again would
/// replace the CPU it was lowered for by the host's.
static bool isLowered(ModuleOp module) {
  bool only = true;
  module.walk([&](Operation *op) {
    if (op != module.getOperation() &&
        !isa<LLVM::LLVMDialect, omp::OpenMPDialect>(op->getDialect()))
      only = false;
  });
  return only;
}

/// The CPU and features effc-lower-cpu recorded on the module's functions
/// (the first defined function carrying them), empty when none did.
static std::pair<std::string, std::string>
recordedTarget(const llvm::Module &module) {
  for (const llvm::Function &f : module) {
    if (f.isDeclaration() || !f.hasFnAttribute("target-cpu"))
      continue;
    std::string features;
    if (f.hasFnAttribute("target-features"))
      features = f.getFnAttribute("target-features").getValueAsString().str();
    return {f.getFnAttribute("target-cpu").getValueAsString().str(), features};
  }
  return {};
}

/// Gives every defined function without a `target-cpu` / `target-features`
/// the recorded ones: the functions OpenMP outlines the parallel loops into
/// carry none, and would otherwise be compiled for a generic CPU (and fail
/// to select the VNNI / AMX intrinsics they hold).
static void propagateTargetAttrs(llvm::Module &module) {
  auto [cpu, features] = recordedTarget(module);
  for (llvm::Function &f : module) {
    if (f.isDeclaration())
      continue;
    if (!cpu.empty() && !f.hasFnAttribute("target-cpu"))
      f.addFnAttr("target-cpu", cpu);
    if (!features.empty() && !f.hasFnAttribute("target-features"))
      f.addFnAttr("target-features", features);
  }
}

static std::unique_ptr<llvm::TargetMachine>
createTargetMachine(llvm::Module &module, std::string &error) {
  llvm::InitializeNativeTarget();
  llvm::InitializeNativeTargetAsmPrinter();
  llvm::Triple triple(module.getTargetTriple());
  if (triple.str().empty())
    triple = llvm::Triple(llvm::sys::getDefaultTargetTriple());
  const llvm::Target *target =
      llvm::TargetRegistry::lookupTarget(triple, error);
  if (!target)
    return nullptr;
  // The CPU and features are per function (set by effc-lower-cpu); the
  // recorded ones become the machine's defaults.
  auto [cpu, features] = recordedTarget(module);
  if (cpu.empty())
    cpu = "generic";
  llvm::TargetOptions options;
  std::unique_ptr<llvm::TargetMachine> tm(target->createTargetMachine(
      triple, cpu, features, options, llvm::Reloc::PIC_, std::nullopt,
      llvm::CodeGenOptLevel::Aggressive));
  if (!tm)
    error = "cannot create a target machine for " + triple.str();
  return tm;
}

std::unique_ptr<llvm::Module>
mlir::effc::translateToLLVMIR(ModuleOp module, llvm::LLVMContext &context) {
  if (!isLowered(module)) {
    PassManager pm(module.getContext());
    buildCpuPipeline(pm, CpuPipelineOptions());
    if (failed(pm.run(module)))
      return nullptr;
  }
  std::unique_ptr<llvm::Module> llvmModule =
      translateModuleToLLVMIR(module, context);
  if (!llvmModule)
    return nullptr;
  propagateTargetAttrs(*llvmModule);
  std::string error;
  if (auto tm = createTargetMachine(*llvmModule, error)) {
    llvmModule->setTargetTriple(tm->getTargetTriple());
    llvmModule->setDataLayout(tm->createDataLayout());
  }
  return llvmModule;
}

LogicalResult mlir::effc::emitObjectFile(llvm::Module &module,
                                         llvm::raw_pwrite_stream &os,
                                         Location loc) {
  std::string error;
  std::unique_ptr<llvm::TargetMachine> tm = createTargetMachine(module, error);
  if (!tm)
    return emitError(loc) << error;
  module.setDataLayout(tm->createDataLayout());
  auto optimize = makeOptimizingTransformer(3, 0, tm.get());
  if (llvm::Error err = optimize(&module))
    return emitError(loc) << "LLVM optimization failed: "
                          << llvm::toString(std::move(err));
  llvm::legacy::PassManager codegen;
  if (tm->addPassesToEmitFile(codegen, os, nullptr,
                              llvm::CodeGenFileType::ObjectFile))
    return emitError(loc) << "the target cannot emit object files";
  codegen.run(module);
  return success();
}

void mlir::effc::registerLLVMIRTranslations() {
  TranslateFromMLIRRegistration toLLVMIR(
      "effc-to-llvmir",
      "Lower (with --effc-cpu-pipeline unless already lowered) and translate "
      "to LLVM IR",
      [](ModuleOp module, raw_ostream &os) -> LogicalResult {
        llvm::LLVMContext context;
        auto llvmModule = translateToLLVMIR(module, context);
        if (!llvmModule)
          return failure();
        llvmModule->print(os, nullptr);
        return success();
      },
      registerAllDialects);
  TranslateFromMLIRRegistration toObject(
      "effc-to-object",
      "Lower, translate and compile to a native object file (for the CPU "
      "recorded by --effc-cpu-pipeline=\"cpu=...\", else the host)",
      [](ModuleOp module, raw_ostream &os) -> LogicalResult {
        llvm::LLVMContext context;
        auto llvmModule = translateToLLVMIR(module, context);
        if (!llvmModule)
          return failure();
        SmallString<0> buffer;
        llvm::raw_svector_ostream bos(buffer);
        if (failed(emitObjectFile(*llvmModule, bos, module.getLoc())))
          return failure();
        os << buffer;
        return success();
      },
      registerAllDialects);
}

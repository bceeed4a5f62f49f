//===- LLVMIR.h - effc to LLVM IR and native objects ------------*- C++ -*-===//

#ifndef EFFC_TARGET_LLVMIR_H
#define EFFC_TARGET_LLVMIR_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/DialectRegistry.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/raw_ostream.h"

#include <memory>

namespace mlir {
namespace effc {

/// Translates `module` to LLVM IR. A module that is not yet in the llvm
/// dialect (effc or upstream ops on tensors) is first lowered in place with
/// `--effc-cpu-pipeline` for the host CPU. The result carries the target
/// triple, data layout and per-function target CPU and features.
std::unique_ptr<llvm::Module> translateToLLVMIR(ModuleOp module,
                                                llvm::LLVMContext &context);

/// Compiles LLVM IR to a native relocatable object for the triple, CPU and
/// features the module records (optimized at -O3).
LogicalResult emitObjectFile(llvm::Module &module, llvm::raw_pwrite_stream &os,
                             Location loc);

/// Registers `--effc-to-llvmir` and `--effc-to-object`.
void registerLLVMIRTranslations();

} // namespace effc
} // namespace mlir

#endif // EFFC_TARGET_LLVMIR_H

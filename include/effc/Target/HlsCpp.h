//===- HlsCpp.h - HLS C++ and C-simulation testbench emission ---*- C++ -*-===//

#ifndef EFFC_TARGET_HLSCPP_H
#define EFFC_TARGET_HLSCPP_H

#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/raw_ostream.h"

namespace mlir {
namespace effc {

/// Writes Vitis-HLS-style C++ for every `effc.hls.top` function of a module
/// lowered by `--effc-lower-hls` (and optionally `--effc-hls-optimize`).
LogicalResult emitHlsCpp(ModuleOp module, llvm::raw_ostream &os);

/// Writes a C-simulation `main()` for the module's single top function: it
/// reads each input from a `.npy` path on the command line (argument
/// order), calls the top function and writes each result to the `.npy`
/// path given after the inputs.
LogicalResult emitHlsTestbench(ModuleOp module, llvm::raw_ostream &os);

/// Registers `--emit-hls-cpp` and `--emit-hls-testbench`.
void registerHlsCppTranslations();

} // namespace effc
} // namespace mlir

#endif // EFFC_TARGET_HLSCPP_H

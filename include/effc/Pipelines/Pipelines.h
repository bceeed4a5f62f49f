//===- Pipelines.h - effc pass pipelines ------------------------*- C++ -*-===//

#ifndef EFFC_PIPELINES_PIPELINES_H
#define EFFC_PIPELINES_PIPELINES_H

#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassOptions.h"

#include <string>

namespace mlir {
namespace effc {

/// Options of `--effc-cpu-pipeline`.
struct CpuPipelineOptions : public PassPipelineOptions<CpuPipelineOptions> {
  PassOptions::Option<std::string> cpu{
      *this, "cpu", llvm::cl::desc("CPU to tune for (as -mcpu); 'host'"),
      llvm::cl::init("host")};
  PassOptions::Option<std::string> targetFeatures{
      *this, "target-features",
      llvm::cl::desc("LLVM target features; empty: from the CPU"),
      llvm::cl::init("")};
  PassOptions::Option<bool> reference{
      *this, "reference",
      llvm::cl::desc("Use the plain reference lowering (no tiling, no "
                     "vectorization, no threads)"),
      llvm::cl::init(false)};
};

/// effc + upstream ops on tensors -> `llvm` dialect, optimized for the CPU.
/// Public functions get `llvm.emit_c_interface` so a JIT or a C caller can
/// call them as `_mlir_ciface_<name>(memref descriptors...)`.
void buildCpuPipeline(OpPassManager &pm, const CpuPipelineOptions &options);

/// The reference path: `--effc-lower-reference`, then a plain bufferize and
/// lower to the `llvm` dialect. Its numbers define correctness.
void buildReferencePipeline(OpPassManager &pm);

/// Registers `--effc-cpu-pipeline` (and the later target pipelines).
void registerPipelines();

} // namespace effc
} // namespace mlir

#endif // EFFC_PIPELINES_PIPELINES_H

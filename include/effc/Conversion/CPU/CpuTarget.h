//===- CpuTarget.h - what effc knows about the target CPU -------*- C++ -*-===//

#ifndef EFFC_CONVERSION_CPU_CPUTARGET_H
#define EFFC_CONVERSION_CPU_CPUTARGET_H

#include "mlir/Pass/PassManager.h"
#include "mlir/Support/LLVM.h"

#include <string>

namespace mlir {
namespace effc {

/// The CPU that code is generated for: its LLVM name, its feature string
/// and the properties the code generator keys on.
struct CpuTarget {
  std::string triple;
  std::string cpu;
  /// Comma-separated LLVM features ("+avx512f,+fma,...").
  std::string features;
  bool avx512 = false, avx2 = false, fma = false, vnni = false, amxInt8 = false,
       amxBf16 = false;
  /// f32 lanes of the widest vector register the code uses.
  int64_t f32Lanes = 4;

  /// `cpu` is an -mcpu name or "host" (detect the running CPU); explicit
  /// `features` override the CPU's defaults. Fails for an unknown CPU.
  static FailureOr<CpuTarget> get(StringRef cpu, StringRef features);
};

/// One-shot bufferization of the whole module with identity layouts at
/// function boundaries, then ownership-based deallocation.
void addCpuBufferization(OpPassManager &pm);

/// Bufferized loops, vectors and OpenMP to the llvm dialect, with C
/// wrappers for public functions.
void addCpuLLVMLowering(OpPassManager &pm);

} // namespace effc
} // namespace mlir

#endif // EFFC_CONVERSION_CPU_CPUTARGET_H

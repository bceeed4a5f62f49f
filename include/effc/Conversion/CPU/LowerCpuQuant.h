//===- LowerCpuQuant.h - quantized kernels for CPUs -------------*- C++ -*-===//

#ifndef EFFC_CONVERSION_CPU_LOWERCPUQUANT_H
#define EFFC_CONVERSION_CPU_LOWERCPUQUANT_H

#include "effc/Conversion/CPU/CpuTarget.h"

namespace mlir {
class RewritePatternSet;
namespace effc {

/// effc.quantized_linear (int8 activations: VNNI or plain i32 vectors;
/// float activations with i8/i4 weights: dequantized in registers) and
/// effc.quantized_conv2d (im2col + the int8 GEMM) as vectorized, threaded
/// loops on tensors, for --effc-lower-cpu. Ops the kernels do not cover
/// (non-constant weights, grouped scales with int8 activations, ...) are
/// left to the reference lowering. `threads` parallel chunks (0: host's).
void populateLowerCpuQuantPatterns(RewritePatternSet &patterns,
                                   const CpuTarget &target,
                                   int64_t threads = 0);

/// Replaces the pure stand-ins the int8 kernels use for AVX-512 VNNI dots
/// (`llvm.intr.fshl` marked `effc_vnni_dot`, kept pure so that bufferization
/// and deallocation accept them) by the vpdpbusd intrinsic. Must run after
/// the LLVM lowering of any module the patterns above were applied to.
LogicalResult finalizeCpuQuantKernels(Operation *root);

} // namespace effc
} // namespace mlir

#endif // EFFC_CONVERSION_CPU_LOWERCPUQUANT_H

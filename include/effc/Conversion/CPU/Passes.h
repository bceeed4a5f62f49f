//===- Passes.h - effc CPU lowering passes ----------------------*- C++ -*-===//
//
// The passes of one target, with only the dialects they produce.
//
//===----------------------------------------------------------------------===//

#ifndef EFFC_CONVERSION_CPU_PASSES_H
#define EFFC_CONVERSION_CPU_PASSES_H

#include "effc/Dialect/EffcDialect.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/ControlFlow/IR/ControlFlow.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/OpenMP/OpenMPDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Pass/Pass.h"

namespace mlir {
class RewritePatternSet;

namespace effc {

#define GEN_PASS_DECL
#include "effc/Conversion/CPU/Passes.h.inc"

/// effc.attention as a tiled flash-attention loop nest (online softmax, no
/// Sq x Skv buffer) on tensors; used by `--effc-lower-cpu`.
void populateLowerCpuAttentionPatterns(RewritePatternSet &patterns);

/// Depthwise f32 effc.conv2d (groups = channels, multiplier 1) as a
/// threaded, register-blocked vector kernel on tensors with `f32Lanes`
/// channels per vector (LowerCpuDepthwise.cpp), for --effc-lower-cpu.
void populateLowerCpuDepthwisePatterns(RewritePatternSet &patterns,
                                       int64_t f32Lanes);

/// effc.sparse_linear with f32 values as vectorized, threaded CSR / BSR /
/// N:M kernels on tensors (LowerCpuSparse.cpp), for --effc-lower-cpu.
void populateLowerCpuSparsePatterns(RewritePatternSet &patterns);

#define GEN_PASS_REGISTRATION
#include "effc/Conversion/CPU/Passes.h.inc"

} // namespace effc
} // namespace mlir

#endif // EFFC_CONVERSION_CPU_PASSES_H

//===- Passes.h - effc lowering passes --------------------------*- C++ -*-===//

#ifndef EFFC_CONVERSION_PASSES_H
#define EFFC_CONVERSION_PASSES_H

#include "effc/Dialect/EffcDialect.h"
#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/OpenMP/OpenMPDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Transform/IR/TransformDialect.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Pass/Pass.h"

namespace mlir {
class RewritePatternSet;
class TypeConverter;
namespace effc {

#define GEN_PASS_DECL
#include "effc/Conversion/Passes.h.inc"

/// Patterns of `--effc-lower-reference`: every effc op to linalg/arith/math.
void populateLowerReferencePatterns(RewritePatternSet &patterns);
/// The quantization-op part of the reference lowering.
void populateLowerReferenceQuantPatterns(RewritePatternSet &patterns);

/// Lowers quant.qcast / quant.dcast under `root` (see
/// --effc-lower-quant-casts).
LogicalResult lowerQuantCasts(Operation *root);
/// effc.attention as a tiled flash-attention loop nest (online softmax, no
/// Sq x Skv buffer) on tensors; used by `--effc-lower-cpu`.
void populateLowerCpuAttentionPatterns(RewritePatternSet &patterns);
/// The sparse-op part of the reference lowering.
void populateLowerReferenceSparsePatterns(RewritePatternSet &patterns);

/// effc.sparse_linear with f32 values as vectorized, threaded CSR / BSR /
/// N:M kernels on tensors (LowerCpuSparse.cpp), for --effc-lower-cpu.
void populateLowerCpuSparsePatterns(RewritePatternSet &patterns);

#define GEN_PASS_REGISTRATION
#include "effc/Conversion/Passes.h.inc"

} // namespace effc
} // namespace mlir

#endif // EFFC_CONVERSION_PASSES_H

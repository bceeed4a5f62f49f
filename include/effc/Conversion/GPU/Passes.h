//===- Passes.h - effc GPU lowering passes ----------------------*- C++ -*-===//
//
// The passes of one target, with only the dialects they produce.
//
//===----------------------------------------------------------------------===//

#ifndef EFFC_CONVERSION_GPU_PASSES_H
#define EFFC_CONVERSION_GPU_PASSES_H

#include "effc/Dialect/EffcDialect.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Pass/Pass.h"

namespace mlir {
class RewritePatternSet;

namespace effc {

#define GEN_PASS_DECL
#include "effc/Conversion/GPU/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "effc/Conversion/GPU/Passes.h.inc"

} // namespace effc
} // namespace mlir

#endif // EFFC_CONVERSION_GPU_PASSES_H

//===- Passes.h - effc FPGA (HLS) lowering passes ---------------*- C++ -*-===//
//
// The passes of one target, with only the dialects they produce.
//
//===----------------------------------------------------------------------===//

#ifndef EFFC_CONVERSION_HLS_PASSES_H
#define EFFC_CONVERSION_HLS_PASSES_H

#include "effc/Dialect/EffcDialect.h"
#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Pass/Pass.h"

namespace mlir {
class RewritePatternSet;

namespace effc {

#define GEN_PASS_DECL
#include "effc/Conversion/HLS/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "effc/Conversion/HLS/Passes.h.inc"

} // namespace effc
} // namespace mlir

#endif // EFFC_CONVERSION_HLS_PASSES_H

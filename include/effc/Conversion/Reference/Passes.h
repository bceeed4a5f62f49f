//===- Passes.h - effc reference lowering passes ----------------*- C++ -*-===//
//
// The passes of one target, with only the dialects they produce.
//
//===----------------------------------------------------------------------===//

#ifndef EFFC_CONVERSION_REFERENCE_PASSES_H
#define EFFC_CONVERSION_REFERENCE_PASSES_H

#include "effc/Dialect/EffcDialect.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Quant/IR/Quant.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Pass/Pass.h"

namespace mlir {
class RewritePatternSet;

namespace effc {

#define GEN_PASS_DECL
#include "effc/Conversion/Reference/Passes.h.inc"

/// Patterns of `--effc-lower-reference`: every effc op to linalg/arith/math.
void populateLowerReferencePatterns(RewritePatternSet &patterns);

/// The quantization-op part of the reference lowering.
void populateLowerReferenceQuantPatterns(RewritePatternSet &patterns);

/// The sparse-op part of the reference lowering.
void populateLowerReferenceSparsePatterns(RewritePatternSet &patterns);

/// Lowers quant.qcast / quant.dcast under `root` (see
/// --effc-lower-quant-casts).
LogicalResult lowerQuantCasts(Operation *root);

#define GEN_PASS_REGISTRATION
#include "effc/Conversion/Reference/Passes.h.inc"

} // namespace effc
} // namespace mlir

#endif // EFFC_CONVERSION_REFERENCE_PASSES_H

//===- Passes.h - effc transformation passes --------------------*- C++ -*-===//

#ifndef EFFC_TRANSFORMS_PASSES_H
#define EFFC_TRANSFORMS_PASSES_H

#include "effc/Dialect/EffcDialect.h"
#include "effc/Transforms/PassOptions.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Quant/IR/Quant.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Pass/Pass.h"

namespace mlir {
class RewritePatternSet;
namespace effc {

#define GEN_PASS_DECL
#include "effc/Transforms/Passes.h.inc"

/// Patterns of `--effc-raise`: upstream compute ops to effc ops.
void populateRaisePatterns(RewritePatternSet &patterns);

/// TOSA to linalg on tensors (elementwise and named ops, tensor and arith
/// for the data movement and constants), without TOSA's profile
/// validation: what `--effc-raise` does with the TOSA it does not raise and
/// what the target pipelines do with any TOSA left.
void addTosaToLinalgLowering(OpPassManager &pm);

/// Patterns of `--effc-rewrite-attention` without a variant: attention
/// written as contractions + softmax to effc.attention, the absorption of
/// multi-head-latent K/V projections and grouped-query heads recovered.
void populateRewriteAttentionPatterns(RewritePatternSet &patterns);

/// The multi-head-latent part: K/V up-projections of a latent cache absorbed
/// into the query and output sides of effc.attention.
void populateAbsorbLatentProjectionsPatterns(RewritePatternSet &patterns);

/// effc.attention whose K and V are repeat_kv copies of fewer heads reads
/// the KV heads directly (grouped-query attention).
void populateRecoverGqaPatterns(RewritePatternSet &patterns);

/// effc.attention whose explicit mask repeats along some of its non-key dims
/// (a padding mask materialized over the query rows) reads the mask
/// computed with size 1 along them. `--effc-rewrite-attention` applies it
/// after fusion, so that every attention sharing a mask is rewritten at
/// once.
void populateNarrowAttentionMaskPatterns(RewritePatternSet &patterns);

#define GEN_PASS_REGISTRATION
#include "effc/Transforms/Passes.h.inc"

} // namespace effc
} // namespace mlir

#endif // EFFC_TRANSFORMS_PASSES_H

//===- TosaLowering.cpp - TOSA to linalg on tensors -------------*- C++ -*-===//

#include "effc/Transforms/Passes.h"

#include "mlir/Conversion/Passes.h"
#include "mlir/Conversion/TosaToLinalg/TosaToLinalg.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Pass/PassManager.h"

using namespace mlir;

/// addTosaToLinalgPasses leaves `tosa.const` (weights, zero points) and the
/// data-movement ops (reshape, slice, concat, pad) alone; without the arith
/// and tensor conversions they reach bufferization unconverted. TOSA's
/// profile validation does not run: torch-mlir computes layer-norm
/// statistics in f64, which no TOSA profile has but which lowers as it is
/// (the ops' own verifiers still run).
void mlir::effc::addTosaToLinalgLowering(OpPassManager &pm) {
  // tosa.scatter (torch-mlir's index_put), cond_if and while_loop become
  // loops first: the linalg conversion has no pattern for them.
  pm.addNestedPass<func::FuncOp>(createTosaToSCFPass());
  TosaToLinalgOptions tosaOptions;
  tosa::addTosaToLinalgPasses(pm, tosaOptions, TosaToLinalgNamedOptions(),
                              /*validationOptions=*/std::nullopt);
  pm.addNestedPass<func::FuncOp>(createTosaToTensorPass());
  pm.addNestedPass<func::FuncOp>(createTosaToArithPass());
}

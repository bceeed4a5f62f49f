//===- HlsPipeline.cpp - the FPGA (HLS) pipeline ----------------*- C++ -*-===//

#include "effc/Conversion/HLS/Passes.h"
#include "effc/Pipelines/Pipelines.h"

#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;
using namespace mlir::effc;

void mlir::effc::buildHlsPipeline(OpPassManager &pm,
                                  const HlsPipelineOptions &options) {
  LowerHlsPassOptions lower;
  lower.targetIi = options.targetIi;
  lower.fixedWidth = options.fixedWidth;
  lower.fixedInt = options.fixedInt;
  lower.axiBytes = options.axiBytes;
  lower.topName = options.topName;
  lower.maxDims.assign(options.maxDims.begin(), options.maxDims.end());
  pm.addPass(createLowerHlsPass(lower));
  // Loop-invariant constants stay where the lowering put them: the emitted
  // C++ reads best that way, and HLS hoists them itself.
  HlsOptimizePassOptions optimize;
  optimize.dspBudget = options.dspBudget;
  optimize.bramBudget = options.bramBudget;
  optimize.targetIi = options.targetIi;
  pm.addPass(createHlsOptimizePass(optimize));
}

void mlir::effc::registerHlsPipeline() {
  registerPipelineWithOptions<HlsPipelineOptions>(
      "effc-hls-pipeline",
      "Lower effc ops to affine loops with HLS directives chosen under DSP "
      "and BRAM budgets (--effc-lower-hls, --effc-hls-optimize), ready for "
      "effc-translate --emit-hls-cpp",
      buildHlsPipeline);
}

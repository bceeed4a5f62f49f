//===- InitAll.cpp - register effc passes and translations
//-----------------===//

#include "effc/InitAll.h"

#include "effc/Config.h"
#include "effc/Conversion/CPU/Passes.h"
#include "effc/Conversion/HLS/Passes.h"
#include "effc/Conversion/Reference/Passes.h"
#include "effc/Pipelines/Pipelines.h"
#include "effc/Target/HlsCpp.h"
#include "effc/Target/LLVMIR.h"
#include "effc/Transforms/Passes.h"
#if EFFC_ENABLE_GPU
#include "effc/Conversion/GPU/Passes.h"
#include "effc/Target/PTX.h"
#endif

#include "mlir/InitAllPasses.h"

void mlir::effc::registerAllPasses() {
  mlir::registerAllPasses();
  registerEffcTransformsPasses();
  registerEffcReferencePasses();
  registerEffcCPUPasses();
#if EFFC_ENABLE_GPU
  registerEffcGPUPasses();
#endif
  registerEffcHLSPasses();
  registerPipelines();
}

void mlir::effc::registerAllTranslations() {
  registerLLVMIRTranslations();
  registerHlsCppTranslations();
#if EFFC_ENABLE_GPU
  registerPTXTranslations();
#endif
}

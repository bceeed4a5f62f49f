//===- effc-opt.cpp - effc optimizer driver ---------------------*- C++ -*-===//
//
// mlir-opt with every upstream dialect, extension, pass and LLVM translation
// interface, plus the effc dialect, passes and pipelines.
//
//===----------------------------------------------------------------------===//

#include "effc/Conversion/Passes.h"
#include "effc/Dialect/EffcDialect.h"
#include "effc/Pipelines/Pipelines.h"
#include "effc/Transforms/Passes.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"

int main(int argc, char **argv) {
  mlir::registerAllPasses();
  mlir::effc::registerEffcTransformsPasses();
  mlir::effc::registerEffcConversionPasses();
  mlir::effc::registerPipelines();
  mlir::DialectRegistry registry;
  mlir::registerAllDialects(registry);
  mlir::registerAllExtensions(registry);
  mlir::registerAllToLLVMIRTranslations(registry);
  registry.insert<mlir::effc::EffcDialect>();
  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, "effc optimizer driver\n", registry));
}

//===- effc-opt.cpp - effc optimizer driver ---------------------*- C++ -*-===//
//
// mlir-opt with every upstream dialect, extension, pass and LLVM translation
// interface, plus the effc dialect, passes and pipelines.
//
//===----------------------------------------------------------------------===//

#include "effc/InitAll.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"

int main(int argc, char **argv) {
  mlir::effc::registerAllPasses();
  mlir::DialectRegistry registry;
  mlir::effc::registerAllDialects(registry);
  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, "effc optimizer driver\n", registry));
}

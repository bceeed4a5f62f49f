//===- effc-translate.cpp - effc translation driver -------------*- C++ -*-===//
//
// mlir-translate with every upstream translation plus effc's own:
// --effc-to-llvmir, --effc-to-object, --effc-to-ptx, --emit-hls-cpp and
// --emit-hls-testbench.
//
//===----------------------------------------------------------------------===//

#include "effc/InitAll.h"

#include "mlir/InitAllTranslations.h"
#include "mlir/Tools/mlir-translate/MlirTranslateMain.h"

int main(int argc, char **argv) {
  mlir::registerAllTranslations();
  mlir::effc::registerAllTranslations();
  return mlir::failed(
      mlir::mlirTranslateMain(argc, argv, "effc translation driver\n"));
}

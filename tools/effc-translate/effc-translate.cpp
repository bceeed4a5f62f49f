//===- effc-translate.cpp - effc translation driver -------------*- C++ -*-===//
//
// mlir-translate with every upstream translation plus effc's own:
// --effc-to-llvmir, --effc-to-object (and the GPU/HLS emitters as they land).
//
//===----------------------------------------------------------------------===//

#include "effc/Target/HlsCpp.h"
#include "effc/Target/LLVMIR.h"
#include "effc/Target/PTX.h"

#include "mlir/InitAllTranslations.h"
#include "mlir/Tools/mlir-translate/MlirTranslateMain.h"

int main(int argc, char **argv) {
  mlir::registerAllTranslations();
  mlir::effc::registerLLVMIRTranslations();
  mlir::effc::registerHlsCppTranslations();
  mlir::effc::registerPTXTranslations();
  return mlir::failed(
      mlir::mlirTranslateMain(argc, argv, "effc translation driver\n"));
}

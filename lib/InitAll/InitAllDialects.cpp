//===- InitAllDialects.cpp - register the dialects effc accepts -----------===//
//
// Separate from InitAll.cpp so that the translations (lib/Target), which sit
// below the pass registrations, can register the same dialects.
//
//===----------------------------------------------------------------------===//

#include "effc/InitAll.h"

#include "effc/Dialect/EffcDialect.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"

void mlir::effc::registerAllDialects(DialectRegistry &registry) {
  mlir::registerAllDialects(registry);
  mlir::registerAllExtensions(registry);
  mlir::registerAllToLLVMIRTranslations(registry);
  registry.insert<EffcDialect>();
}

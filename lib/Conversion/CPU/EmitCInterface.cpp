//===- EmitCInterface.cpp - C wrappers of public functions -----*- C++ -*-===//

#include "effc/Conversion/CPU/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"

namespace mlir {
namespace effc {
#define GEN_PASS_DEF_EMITCINTERFACEPASS
#include "effc/Conversion/CPU/Passes.h.inc"
} // namespace effc
} // namespace mlir

using namespace mlir;

namespace {
struct EmitCInterfacePass
    : effc::impl::EmitCInterfacePassBase<EmitCInterfacePass> {
  void runOnOperation() override {
    UnitAttr unit = UnitAttr::get(&getContext());
    getOperation().walk([&](func::FuncOp f) {
      if (f.isPublic() && !f.isExternal())
        f->setAttr(LLVM::LLVMDialect::getEmitCWrapperAttrName(), unit);
    });
  }
};
} // namespace

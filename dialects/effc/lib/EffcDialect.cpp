//===- EffcDialect.cpp - effc dialect ---------------------------*- C++ -*-===//

#include "effc/Dialect/EffcDialect.h"
#include "effc/Dialect/EffcAttrs.h"
#include "effc/Dialect/EffcOps.h"

using namespace mlir;
using namespace mlir::effc;

#include "effc/Dialect/EffcDialect.cpp.inc"

void EffcDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "effc/Dialect/EffcOps.cpp.inc"
      >();
  registerAttributes();
}

// The plan attributes are discardable so that they can sit on any op,
// upstream ones included; their names still promise a type.
LogicalResult EffcDialect::verifyOperationAttribute(Operation *op,
                                                    NamedAttribute attr) {
  if (attr.getName() == kPrecisionPlanAttrName) {
    if (!isa<PrecisionPlanAttr>(attr.getValue()))
      return op->emitError() << "'" << kPrecisionPlanAttrName
                             << "' must be a #effc.precision_plan";
    return success();
  }
  if (attr.getName() == kSparsityPlanAttrName) {
    if (!isa<SparsityPlanAttr>(attr.getValue()))
      return op->emitError() << "'" << kSparsityPlanAttrName
                             << "' must be a #effc.sparsity_plan";
    return success();
  }
  if (attr.getName() == kSparseDecisionAttrName) {
    if (!isa<StringAttr>(attr.getValue()))
      return op->emitError() << "'" << kSparseDecisionAttrName
                             << "' must be a string";
    return success();
  }
  if (attr.getName() == kNameAttrName) {
    if (!isa<StringAttr>(attr.getValue()))
      return op->emitError() << "'" << kNameAttrName << "' must be a string";
    return success();
  }
  return op->emitError() << "unknown effc attribute '"
                         << attr.getName().getValue() << "'";
}

StringAttr mlir::effc::getOpName(Operation *op) {
  if (auto name = op->getAttrOfType<StringAttr>(EffcDialect::kNameAttrName))
    return name;
  return op->getAttrOfType<StringAttr>("name");
}

std::string mlir::effc::getOpNameOrLocation(Operation *op) {
  if (StringAttr name = getOpName(op))
    return name.str();
  std::string loc;
  llvm::raw_string_ostream os(loc);
  op->getLoc().print(os);
  return loc;
}

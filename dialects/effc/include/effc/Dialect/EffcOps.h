//===- EffcOps.h - effc operations ------------------------------*- C++ -*-===//

#ifndef EFFC_DIALECT_EFFCOPS_H
#define EFFC_DIALECT_EFFCOPS_H

#include "effc/Dialect/EffcAttrs.h"
#include "effc/Dialect/EffcDialect.h"
#include "effc/Dialect/EffcInterfaces.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#define GET_OP_CLASSES
#include "effc/Dialect/EffcOps.h.inc"

#endif // EFFC_DIALECT_EFFCOPS_H

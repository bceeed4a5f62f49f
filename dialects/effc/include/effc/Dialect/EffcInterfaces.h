//===- EffcInterfaces.h - effc op interfaces --------------------*- C++ -*-===//

#ifndef EFFC_DIALECT_EFFCINTERFACES_H
#define EFFC_DIALECT_EFFCINTERFACES_H

#include "effc/Dialect/EffcAttrs.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"

#include <optional>

#include "effc/Dialect/EffcInterfaces.h.inc"

#endif // EFFC_DIALECT_EFFCINTERFACES_H

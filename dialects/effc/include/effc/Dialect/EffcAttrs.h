//===- EffcAttrs.h - effc enums and attributes ------------------*- C++ -*-===//

#ifndef EFFC_DIALECT_EFFCATTRS_H
#define EFFC_DIALECT_EFFCATTRS_H

#include "mlir/IR/Attributes.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectImplementation.h"

#include "effc/Dialect/EffcEnums.h.inc"

#define GET_ATTRDEF_CLASSES
#include "effc/Dialect/EffcAttrs.h.inc"

#endif // EFFC_DIALECT_EFFCATTRS_H

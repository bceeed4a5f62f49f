//===- EffcDialect.h - effc dialect -----------------------------*- C++ -*-===//

#ifndef EFFC_DIALECT_EFFCDIALECT_H
#define EFFC_DIALECT_EFFCDIALECT_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Quant/IR/Quant.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Dialect.h"

#include "effc/Dialect/EffcDialect.h.inc"

#endif // EFFC_DIALECT_EFFCDIALECT_H

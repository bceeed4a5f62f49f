//===- EffcDialect.h - effc dialect -----------------------------*- C++ -*-===//

#ifndef EFFC_DIALECT_EFFCDIALECT_H
#define EFFC_DIALECT_EFFCDIALECT_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Quant/IR/Quant.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Dialect.h"

#include "effc/Dialect/EffcDialect.h.inc"

#include <string>

namespace mlir {
namespace effc {

/// The layer name an op is known by in `exclude=` options, calibration files
/// and reports: its `effc.name`, else the `name` attribute frontends attach
/// (ONNX node names); null when it has neither. Every pass asks this one
/// function, so all agree on which name wins.
StringAttr getOpName(Operation *op);

/// getOpName, else the op's location printed (a stable name for unnamed ops
/// in diagnostics and reports).
std::string getOpNameOrLocation(Operation *op);

} // namespace effc
} // namespace mlir

#endif // EFFC_DIALECT_EFFCDIALECT_H

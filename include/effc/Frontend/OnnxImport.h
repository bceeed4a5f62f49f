//===- OnnxImport.h - ONNX models to linalg on tensors ----------*- C++ -*-===//
//
// Imports an ONNX model (a serialized `onnx.ModelProto`) into a
// `builtin.module` with one `func.func` in upstream dialects (linalg, tensor,
// arith, math), the same linalg-on-tensors form torch-mlir emits, so that
// `--effc-raise` is the one place that recognizes layers. Initializers become
// `dense_resource` constants. Every op carries the location of its ONNX node.
//
//===----------------------------------------------------------------------===//

#ifndef EFFC_FRONTEND_ONNXIMPORT_H
#define EFFC_FRONTEND_ONNXIMPORT_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringRef.h"

#include <string>

namespace mlir {
namespace effc {

struct OnnxImportOptions {
  /// Name of the generated function.
  std::string entryName = "main";
  /// Static shapes for graph inputs, replacing the shape the model declares
  /// (needed for inputs with dynamic dimensions).
  llvm::StringMap<llvm::SmallVector<int64_t>> inputShapes;
};

/// Parses "name=1x64" into `options.inputShapes`; an error names the flag.
LogicalResult parseOnnxShapeOption(llvm::StringRef text,
                                   OnnxImportOptions &options,
                                   std::string &error);

/// Imports the serialized model in `bytes`; `fileName` names locations and
/// diagnostics. Errors are emitted through the context's diagnostic engine
/// and give a null module.
OwningOpRef<ModuleOp> importOnnxModel(MLIRContext *context,
                                      llvm::StringRef bytes,
                                      llvm::StringRef fileName,
                                      const OnnxImportOptions &options = {});

/// Registers the dialects the imported IR uses.
void registerOnnxImportDialects(DialectRegistry &registry);

} // namespace effc
} // namespace mlir

#endif // EFFC_FRONTEND_ONNXIMPORT_H

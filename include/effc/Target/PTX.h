//===- PTX.h - effc kernels to PTX and cubin --------------------*- C++ -*-===//

#ifndef EFFC_TARGET_PTX_H
#define EFFC_TARGET_PTX_H

#include "mlir/IR/BuiltinOps.h"

namespace mlir {
namespace effc {

/// Compiles every `gpu.module` of `module` in place to a `gpu.binary` in
/// `format` ("isa": PTX, "bin": cubin through ptxas). Effc ops are first
/// lowered with `--effc-lower-gpu="chip=<chip>"` when the module has no
/// kernels yet; modules already compiled are left alone.
LogicalResult compileGpuModules(ModuleOp module, StringRef chip,
                                StringRef format);

/// Registers `--effc-to-ptx` and `--effc-to-cubin`.
void registerPTXTranslations();

} // namespace effc
} // namespace mlir

#endif // EFFC_TARGET_PTX_H

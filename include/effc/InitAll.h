//===- InitAll.h - register everything effc provides ------------*- C++ -*-===//
//
// One place that registers effc's dialects, passes, pipelines and
// translations, for every tool and for embedders (the counterpart of
// mlir/InitAll*.h).
//
//===----------------------------------------------------------------------===//

#ifndef EFFC_INITALL_H
#define EFFC_INITALL_H

namespace mlir {
class DialectRegistry;

namespace effc {

/// Every upstream dialect and extension effc's tools accept, the LLVM IR
/// translation interfaces (needed to lower gpu.module and to JIT), and the
/// effc dialect.
void registerAllDialects(DialectRegistry &registry);

/// Every upstream pass and every effc pass and pipeline, for textual
/// pipelines (`effc-opt`, `effc-run --pipeline`).
void registerAllPasses();

/// effc's translations: --effc-to-llvmir, --effc-to-object, --emit-hls-cpp,
/// --emit-hls-testbench and, when the GPU target is built, --effc-to-ptx.
void registerAllTranslations();

} // namespace effc
} // namespace mlir

#endif // EFFC_INITALL_H

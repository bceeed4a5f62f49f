//===- AotLibrary.h - models as C libraries, ahead of time ------*- C++ -*-===//
//
// What effc-compile does, as a library: a module's public functions
// compiled for a CPU into a shared library (.so), a relocatable object (.o)
// or an archive (.a) with the weights embedded, a generated C header and
// one exported C function per entry:
//
//   int effc_<name>_init(int num_threads);
//   int effc_<name>_<entry>(const T *in0, const int64_t *in0_shape, ...,
//                           T *out0, const int64_t *out0_shape, ...);
//   void effc_<name>_teardown(void);
//
// Every other symbol (the model's own functions, `main` among them, and
// its weights) is local. The system C compiler builds the C wrapper; a .so
// links LLVM's OpenMP runtime with an rpath, a .o / .a needs -lomp -lm.
//
//===----------------------------------------------------------------------===//

#ifndef EFFC_RUNTIME_AOTLIBRARY_H
#define EFFC_RUNTIME_AOTLIBRARY_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Support/LLVM.h"

#include <string>
#include <vector>

namespace mlir {
namespace effc {

struct AotOptions {
  /// The symbol prefix effc_<name>_; empty: from the output's file name.
  std::string name;
  /// Entries to export; empty: every public function with a body.
  std::vector<std::string> entries;
  /// A textual pass pipeline run first (e.g. "effc-raise,effc-compress{}").
  std::string pipeline;
  /// The CPU (as -mcpu; "host": this one) and extra LLVM target features.
  std::string cpu = "host";
  std::string targetFeatures;
  /// Where the header goes; empty: nowhere the caller sees.
  std::string headerPath;
  /// Names the model in messages and the header.
  std::string sourceName = "the module";
};

/// Compiles `module` (rewritten in place) into `outputPath`, whose
/// extension picks the kind. Problems are diagnostics on the module.
LogicalResult compileToLibrary(ModuleOp module, StringRef outputPath,
                               const AotOptions &options);

/// The default library name for `outputPath` (libmlp.so -> mlp).
std::string getAotLibraryName(StringRef outputPath);

} // namespace effc
} // namespace mlir

#endif // EFFC_RUNTIME_AOTLIBRARY_H

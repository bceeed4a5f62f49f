/*===- effc-c/Effc.h - effc's C API -----------------------------*- C -*-===*\
|*                                                                            *|
|* The C API of effc, in the style of the MLIR C API (mlir-c/IR.h): it takes  *|
|* and returns MLIR's opaque handles, reports every problem as an MLIR        *|
|* diagnostic on the module's context (attach a handler with                  *|
|* mlirContextAttachDiagnosticHandler) plus a failed MlirLogicalResult or a   *|
|* null handle, and never exits.                                              *|
|*                                                                            *|
|*   MlirDialectRegistry registry = mlirDialectRegistryCreate();              *|
|*   effcRegisterAllDialects(registry);                                       *|
|*   MlirContext ctx = mlirContextCreateWithRegistry(registry, false);        *|
|*   effcRegisterAllPasses();                                                 *|
|*   MlirModule m = mlirModuleCreateParse(ctx, text);                         *|
|*   effcRunPipeline(m, mlirStringRefCreateFromCString("effc-raise,..."));    *|
|*   EffcJit jit = effcJitCreate(m, mlirStringRefCreateFromCString("main"));  *|
|*   effcJitInvoke(jit, inputs, outputs);  effcJitDestroy(jit);               *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/

#ifndef EFFC_C_EFFC_H
#define EFFC_C_EFFC_H

#include "mlir-c/IR.h"
#include "mlir-c/Support.h"

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The effc dialect, every upstream dialect and extension effc's tools
   accept, and the LLVM IR translation interfaces, into `registry`. */
MLIR_CAPI_EXPORTED void effcRegisterAllDialects(MlirDialectRegistry registry);

/* Every upstream and effc pass and pipeline, for textual pipelines. Call
   once per process. */
MLIR_CAPI_EXPORTED void effcRegisterAllPasses(void);

/* Runs a textual pass pipeline on `module`, written as in
   `effc-opt --pass-pipeline` (`builtin.module(...)`) or as a bare list
   (`effc-raise,effc-compress{method=nm weights=i8}`). A pipeline that does
   not parse, or a pass that fails, reports diagnostics and fails. */
MLIR_CAPI_EXPORTED MlirLogicalResult effcRunPipeline(MlirModule module,
                                                     MlirStringRef pipeline);

/* Lowers `module` in place for a CPU (`cpu` as -mcpu, "host" or empty for
   this machine's) and writes a native relocatable object to `path`, its
   public functions callable as `_mlir_ciface_<name>` (effc-compile builds
   libraries with a plain C ABI on top of that). */
MLIR_CAPI_EXPORTED MlirLogicalResult effcCompileToObject(MlirModule module,
                                                         MlirStringRef cpu,
                                                         MlirStringRef path);

/* effc-compile as a call: compiles the module's public functions for `cpu`
   ("host" or empty: this machine's) into `outputPath`, a shared library
   (.so), object (.o) or archive (.a) with one C function per entry,
   effc_<name>_<entry> (`name` empty: from the file name), and writes the C
   header to `headerPath` (empty: none). */
MLIR_CAPI_EXPORTED MlirLogicalResult effcCompileToLibrary(
    MlirModule module, MlirStringRef outputPath, MlirStringRef name,
    MlirStringRef cpu, MlirStringRef headerPath);

/* A function of a module compiled for this CPU by the JIT. */
typedef struct EffcJit {
  void *ptr;
} EffcJit;

static inline bool effcJitIsNull(EffcJit jit) { return !jit.ptr; }

/* Lowers `module` in place for this CPU and compiles `entry`, which must
   take and return statically shaped tensors. Null on failure. */
MLIR_CAPI_EXPORTED EffcJit effcJitCreate(MlirModule module,
                                         MlirStringRef entry);

MLIR_CAPI_EXPORTED void effcJitDestroy(EffcJit jit);

/* The entry's inputs and results: count, rank, dims and the element size
   in bytes (4 for f32). */
MLIR_CAPI_EXPORTED intptr_t effcJitGetNumInputs(EffcJit jit);
MLIR_CAPI_EXPORTED intptr_t effcJitGetNumResults(EffcJit jit);
MLIR_CAPI_EXPORTED intptr_t effcJitGetRank(EffcJit jit, bool result,
                                           intptr_t index);
MLIR_CAPI_EXPORTED int64_t effcJitGetDim(EffcJit jit, bool result,
                                         intptr_t index, intptr_t dim);
MLIR_CAPI_EXPORTED intptr_t effcJitGetElementSize(EffcJit jit, bool result,
                                                  intptr_t index);
/* The element type as NumPy names it: "float32", "float64", "float16",
   "bool", "int8" ... "uint64"; "bfloat16" for bf16 (passed as its 16-bit
   patterns). Empty for an index out of range. */
MLIR_CAPI_EXPORTED MlirStringRef effcJitGetElementType(EffcJit jit, bool result,
                                                       intptr_t index);

/* Calls the entry: `inputs[i]` points at input i's row-major data, and
   result i is written to `outputs[i]` (caller-allocated, its full size).
   Inputs are not modified. Fails (with a diagnostic) if the call does. */
MLIR_CAPI_EXPORTED MlirLogicalResult effcJitInvoke(EffcJit jit,
                                                   const void *const *inputs,
                                                   void *const *outputs);

#ifdef __cplusplus
}
#endif

#endif /* EFFC_C_EFFC_H */

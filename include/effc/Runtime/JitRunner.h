//===- JitRunner.h - call MLIR functions in a JIT ---------------*- C++ -*-===//
//
// The JIT behind `effc-run`, as a library: lowers a module with an effc
// target pipeline (CPU, reference or CUDA), compiles it with the MLIR
// ExecutionEngine and calls `_mlir_ciface_<entry>` on NpyArrays.
//
//   DialectRegistry registry;
//   registerAllDialects(registry);          // effc/InitAll.h
//   MLIRContext context(registry);
//   OwningOpRef<ModuleOp> module = parseSourceFile<ModuleOp>(path, &context);
//   auto runner = JitRunner::create(*module, "main", JitOptions());
//   if (!runner) ...;
//   llvm::Expected<JitResult> result = (*runner)->run(inputs);
//
// The entry takes and returns statically shaped tensors (or identity-layout
// memrefs) of the element types .npy files hold. Its lowering may return the
// results as descriptors the callee allocated, or take them as trailing
// out-parameters the caller allocates (`buffer-results-to-out-params`); the
// runner supports both.
//
// Buffer ownership: the runner owns the buffers it passes in (copies of the
// inputs, refilled before every call because the callee may write into its
// arguments) and the out-parameters. Results the callee allocated are copied
// into the returned NpyArrays and freed by the runner, each allocation once;
// results that alias an argument or a constant global (memref.get_global)
// are copied and never freed.
//
//===----------------------------------------------------------------------===//

#ifndef EFFC_RUNTIME_JITRUNNER_H
#define EFFC_RUNTIME_JITRUNNER_H

#include "effc/Runtime/Cuda.h"
#include "effc/Support/Npy.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Types.h"
#include "mlir/Support/LLVM.h"

#include "llvm/ADT/SmallVector.h"
#include "llvm/Support/Error.h"

#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace mlir {
class DialectRegistry;
class ExecutionEngine;
class OpPassManager;
class PassManager;
namespace func {
class FuncOp;
} // namespace func

namespace effc {

//===----------------------------------------------------------------------===//
// The entry signature
//===----------------------------------------------------------------------===//

/// One statically shaped tensor (or memref) of an entry signature.
struct TensorSpec {
  SmallVector<int64_t> shape;
  Type elementType;
  NpyDType dtype;
  /// The type as written in the function, for messages.
  Type type;

  /// ShapedType::kDynamic in `shape` is a dynamic dim: any size matches.
  bool isDynamic() const;
  /// True when `shape` has this spec's rank and its static sizes.
  bool matches(ArrayRef<int64_t> shape) const;
  int64_t getNumElements() const;
  bool operator==(const TensorSpec &other) const {
    return shape == other.shape && elementType == other.elementType;
  }
};

/// The arrays an entry takes and returns.
struct EntrySignature {
  SmallVector<TensorSpec> inputs;
  SmallVector<TensorSpec> results;

  bool operator==(const EntrySignature &other) const {
    return inputs == other.inputs && results == other.results;
  }
};

/// Ranks the runner passes to and reads from the callee: its descriptors are
/// upstream's `StridedMemRefType<T, N>`, instantiated for each rank.
constexpr unsigned kMaxJitRank = 8;

/// The signature of `func`. An argument or result that the JIT cannot pass
/// (a dynamic dim unless `allowDynamic`, no .npy element type, too large,
/// rank above kMaxJitRank) is reported as a diagnostic on `func`, so that
/// it carries the location of the function, and the result is failure.
/// The JIT runner takes dynamic dims (each run passes its arrays' sizes);
/// effc-compile's ABI and the C API take static shapes.
FailureOr<EntrySignature> getEntrySignature(func::FuncOp func,
                                            bool allowDynamic = false);

/// Seeded random inputs for `signature`, the same on every standard library
/// (no std::*_distribution): floats uniform in [-1, 1), signed integers in
/// [-8, 8], unsigned ones in [0, 15], booleans 0 or 1. Small integers keep
/// integer accumulations exact.
/// A dynamic dim gets `dynamicSize`.
SmallVector<NpyArray> makeRandomInputs(const EntrySignature &signature,
                                       uint64_t seed, int64_t dynamicSize = 1);

//===----------------------------------------------------------------------===//
// Set-up
//===----------------------------------------------------------------------===//

/// Makes `entry` callable from the JIT even if it is private: public, with
/// `llvm.emit_c_interface`. Apply it before passes that drop private
/// functions as well as before the target lowering.
void exposeEntry(ModuleOp module, StringRef entry);

/// What the host CPU lets JIT-compiled code use.
struct HostCpu {
  /// The CPU has AMX tiles (amx-tile).
  bool hasAmx = false;
  /// Linux granted this process the AMX tile state.
  bool amxEnabled = false;
};

/// Detects the host CPU and, where it has AMX, asks Linux for the AMX tile
/// state (arch_prctl(ARCH_REQ_XCOMP_PERM, XFEATURE_XTILEDATA)): Linux grants
/// it only on request and a tile instruction without it raises SIGILL. Runs
/// once per process; JitRunner::create calls it, and lowers without AMX
/// where the permission was refused.
const HostCpu &setUpHostCpu();

//===----------------------------------------------------------------------===//
// The runner
//===----------------------------------------------------------------------===//

/// The target pipeline a runner lowers with.
enum class JitTarget {
  /// `--effc-cpu-pipeline`.
  Cpu,
  /// `buildReferencePipeline`: the plain reference lowering, whose numbers
  /// define correctness.
  Reference,
  /// `--effc-gpu-pipeline`, calling effc's CUDA runtime.
  Cuda,
};

/// "cpu", "reference" or "cuda".
StringRef getJitTargetName(JitTarget target);

struct JitOptions {
  JitTarget target = JitTarget::Cpu;
  /// Cpu: the options of `--effc-cpu-pipeline` (cpu, target-features,
  /// reference).
  std::string cpu = "host";
  std::string targetFeatures;
  bool plainCpuLowering = false;
  /// Cuda: the chip to compile for; empty: the device's own.
  std::string gpuChip;
  /// Cuda: the loaded runtime; loaded from getCudaRuntimePath() when unset.
  std::optional<CudaRuntime> cudaRuntime;
  /// Called on every pass manager the runner builds, e.g. to apply the
  /// `--mlir-*` pass manager flags of a tool.
  std::function<void(PassManager &)> configurePassManager;
  /// Names the module in messages ("lowering <name> for target 'cpu'
  /// failed"), e.g. its file.
  std::string moduleName = "the module";
};

/// Adds the target lowering that JitRunner::create runs: the pipeline of
/// `options.target`; on a CPU whose AMX tile state Linux refused, the CPU
/// pipeline lowers without AMX. Cuda compiles for `options.gpuChip`, else
/// the chip of `options.cudaRuntime`'s device.
void buildJitPipeline(OpPassManager &pm, const JitOptions &options);

/// The outputs of one call and the time of the call itself.
struct JitResult {
  SmallVector<NpyArray> outputs;
  double milliseconds = 0;
};

/// An error that the CUDA runtime reported for the calls of a run (a failed
/// launch, copy or allocation), as opposed to a problem of the module or
/// the arrays: tools may name their device option in front of it.
class JitDeviceError : public llvm::ErrorInfo<JitDeviceError> {
public:
  static char ID;
  explicit JitDeviceError(std::string message) : message(std::move(message)) {}
  void log(llvm::raw_ostream &os) const override;
  std::error_code convertToErrorCode() const override;
  const std::string &getMessage() const { return message; }

private:
  std::string message;
};

/// One entry point compiled in its own ExecutionEngine.
class JitRunner {
public:
  /// Lowers `module` in place for `options.target` and compiles it. The
  /// entry must still be a `func.func` with a body: its signature defines
  /// the arrays run() takes and returns. The module's context needs the
  /// dialects of registerAllDialects (effc/InitAll.h). Problems in the IR are
  /// reported as diagnostics as well.
  static llvm::Expected<std::unique_ptr<JitRunner>>
  create(ModuleOp module, StringRef entry, const JitOptions &options);

  /// Compiles a module already lowered to the `llvm` dialect whose entry
  /// had `signature` before lowering.
  static llvm::Expected<std::unique_ptr<JitRunner>>
  createLowered(ModuleOp module, StringRef entry, EntrySignature signature,
                const JitOptions &options);

  ~JitRunner();

  StringRef getEntry() const { return entry; }
  const EntrySignature &getSignature() const { return signature; }
  /// Whether the lowering passes the results as out-parameters.
  bool hasResultsAsOutParams() const { return resultsAsOutParams; }

  /// Calls the entry on `inputs` (one per argument, of its shape and a
  /// compatible dtype). Fills `outputs` when given, else only runs (for
  /// timing), and `milliseconds` with the time of the call itself.
  llvm::Error run(ArrayRef<NpyArray> inputs, SmallVectorImpl<NpyArray> *outputs,
                  double *milliseconds = nullptr);
  llvm::Expected<JitResult> run(ArrayRef<NpyArray> inputs);

private:
  JitRunner() = default;
  llvm::Error copyResultsOut(ArrayRef<void *> results,
                             SmallVectorImpl<NpyArray> *outputs);

  struct Buffer;
  std::string entry;
  EntrySignature signature;
  std::unique_ptr<ExecutionEngine> engine;
  void (*packed)(void **) = nullptr;
  bool resultsAsOutParams = false;
  std::optional<CudaRuntime> cudaRuntime;
  SmallVector<std::unique_ptr<Buffer>> inputBuffers;
  SmallVector<std::unique_ptr<Buffer>> outputBuffers;
};

} // namespace effc
} // namespace mlir

#endif // EFFC_RUNTIME_JITRUNNER_H

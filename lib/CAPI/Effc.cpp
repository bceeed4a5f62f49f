//===- Effc.cpp - effc's C API ----------------------------------*- C++ -*-===//
//
// include/effc-c/Effc.h over the C++ libraries. Every failure is an MLIR
// diagnostic on the module's context and a failed result or null handle;
// nothing here exits or aborts on bad input.
//
//===----------------------------------------------------------------------===//

#include "effc-c/Effc.h"

#include "effc/InitAll.h"
#include "effc/Pipelines/Pipelines.h"
#include "effc/Runtime/AotLibrary.h"
#include "effc/Runtime/JitRunner.h"
#include "effc/Target/LLVMIR.h"

#include "mlir/CAPI/IR.h"
#include "mlir/CAPI/Support.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"

#include "llvm/Support/Error.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/raw_ostream.h"

#include <cstring>
#include <memory>

using namespace mlir;
using namespace mlir::effc;

namespace {
/// A compiled entry and the arrays it reuses between calls.
struct Jit {
  std::unique_ptr<JitRunner> runner;
  SmallVector<NpyArray> inputs, outputs;
  Location loc;
};

Jit *unwrapJit(EffcJit jit) { return static_cast<Jit *>(jit.ptr); }

const TensorSpec *spec(EffcJit jit, bool result, intptr_t index) {
  Jit *j = unwrapJit(jit);
  if (!j || index < 0)
    return nullptr;
  const EntrySignature &sig = j->runner->getSignature();
  const auto &list = result ? sig.results : sig.inputs;
  return index < (intptr_t)list.size() ? &list[index] : nullptr;
}

void initNative() {
  static bool done = [] {
    llvm::InitializeNativeTarget();
    llvm::InitializeNativeTargetAsmPrinter();
    return true;
  }();
  (void)done;
}
} // namespace

void effcRegisterAllDialects(MlirDialectRegistry registry) {
  effc::registerAllDialects(*unwrap(registry));
}

void effcRegisterAllPasses(void) { effc::registerAllPasses(); }

MlirLogicalResult effcRunPipeline(MlirModule module, MlirStringRef pipeline) {
  ModuleOp m = unwrap(module);
  StringRef text = StringRef(pipeline.data, pipeline.length).trim();
  if (text.starts_with("builtin.module(") && text.ends_with(")"))
    text = text.drop_front(strlen("builtin.module(")).drop_back();
  PassManager pm(m.getContext(), ModuleOp::getOperationName());
  std::string message;
  llvm::raw_string_ostream os(message);
  if (failed(parsePassPipeline(text, pm, os))) {
    emitError(m.getLoc()) << "effc: invalid pipeline \"" << text
                          << "\": " << StringRef(message).trim();
    return mlirLogicalResultFailure();
  }
  return wrap(pm.run(m));
}

MlirLogicalResult effcCompileToObject(MlirModule module, MlirStringRef cpu,
                                      MlirStringRef path) {
  initNative();
  ModuleOp m = unwrap(module);
  CpuPipelineOptions options;
  std::string cpuName(cpu.data, cpu.length);
  options.cpu = cpuName.empty() ? "host" : cpuName;
  PassManager pm(m.getContext(), ModuleOp::getOperationName());
  buildCpuPipeline(pm, options);
  if (failed(pm.run(m)))
    return mlirLogicalResultFailure();
  llvm::LLVMContext context;
  std::unique_ptr<llvm::Module> llvmModule = translateToLLVMIR(m, context);
  if (!llvmModule) {
    emitError(m.getLoc()) << "effc: translation to LLVM IR failed";
    return mlirLogicalResultFailure();
  }
  std::string file(path.data, path.length);
  std::error_code ec;
  llvm::raw_fd_ostream os(file, ec);
  if (ec) {
    emitError(m.getLoc()) << "effc: cannot write " << file << ": "
                          << ec.message();
    return mlirLogicalResultFailure();
  }
  return wrap(emitObjectFile(*llvmModule, os, m.getLoc()));
}

MlirLogicalResult effcCompileToLibrary(MlirModule module,
                                       MlirStringRef outputPath,
                                       MlirStringRef name, MlirStringRef cpu,
                                       MlirStringRef headerPath) {
  initNative();
  AotOptions options;
  options.name = std::string(name.data, name.length);
  std::string cpuName(cpu.data, cpu.length);
  options.cpu = cpuName.empty() ? "host" : cpuName;
  options.headerPath = std::string(headerPath.data, headerPath.length);
  return wrap(compileToLibrary(
      unwrap(module), StringRef(outputPath.data, outputPath.length), options));
}

EffcJit effcJitCreate(MlirModule module, MlirStringRef entry) {
  initNative();
  ModuleOp m = unwrap(module);
  std::string name(entry.data, entry.length);
  // effcJitInvoke passes plain pointers of the signature's shapes: the
  // entry must be statically shaped (checked before compiling).
  if (auto f = m.lookupSymbol<func::FuncOp>(name);
      f && !f.isExternal() && failed(getEntrySignature(f)))
    return EffcJit{nullptr};
  auto runner = JitRunner::create(m, name, JitOptions());
  if (!runner) {
    emitError(m.getLoc()) << "effc: cannot compile @" << name << ": "
                          << llvm::toString(runner.takeError());
    return EffcJit{nullptr};
  }
  auto *jit = new Jit{std::move(*runner), {}, {}, m.getLoc()};
  for (const TensorSpec &t : jit->runner->getSignature().inputs)
    jit->inputs.emplace_back(t.dtype, t.shape);
  return EffcJit{jit};
}

void effcJitDestroy(EffcJit jit) { delete unwrapJit(jit); }

intptr_t effcJitGetNumInputs(EffcJit jit) {
  Jit *j = unwrapJit(jit);
  return j ? j->runner->getSignature().inputs.size() : 0;
}

intptr_t effcJitGetNumResults(EffcJit jit) {
  Jit *j = unwrapJit(jit);
  return j ? j->runner->getSignature().results.size() : 0;
}

intptr_t effcJitGetRank(EffcJit jit, bool result, intptr_t index) {
  const TensorSpec *t = spec(jit, result, index);
  return t ? (intptr_t)t->shape.size() : -1;
}

int64_t effcJitGetDim(EffcJit jit, bool result, intptr_t index, intptr_t dim) {
  const TensorSpec *t = spec(jit, result, index);
  if (!t || dim < 0 || dim >= (intptr_t)t->shape.size())
    return -1;
  return t->shape[dim];
}

intptr_t effcJitGetElementSize(EffcJit jit, bool result, intptr_t index) {
  const TensorSpec *t = spec(jit, result, index);
  return t ? (intptr_t)getNpyDTypeSize(t->dtype) : -1;
}

MlirStringRef effcJitGetElementType(EffcJit jit, bool result, intptr_t index) {
  const TensorSpec *t = spec(jit, result, index);
  if (!t)
    return mlirStringRefCreate("", 0);
  const char *name = "";
  switch (t->dtype) {
  case NpyDType::Bool:
    name = "bool";
    break;
  case NpyDType::I8:
    name = "int8";
    break;
  case NpyDType::U8:
    name = "uint8";
    break;
  case NpyDType::I16:
    name = "int16";
    break;
  case NpyDType::U16:
    name = "uint16";
    break;
  case NpyDType::I32:
    name = "int32";
    break;
  case NpyDType::U32:
    name = "uint32";
    break;
  case NpyDType::I64:
    name = "int64";
    break;
  case NpyDType::U64:
    name = "uint64";
    break;
  case NpyDType::F16:
    name = "float16";
    break;
  case NpyDType::BF16:
    name = "bfloat16";
    break;
  case NpyDType::F32:
    name = "float32";
    break;
  case NpyDType::F64:
    name = "float64";
    break;
  }
  return mlirStringRefCreateFromCString(name);
}

MlirLogicalResult effcJitInvoke(EffcJit jit, const void *const *inputs,
                                void *const *outputs) {
  Jit *j = unwrapJit(jit);
  if (!j)
    return mlirLogicalResultFailure();
  for (auto [i, array] : llvm::enumerate(j->inputs)) {
    if (!inputs || !inputs[i]) {
      emitError(j->loc) << "effc: input " << i << " of @"
                        << j->runner->getEntry() << " is a null pointer";
      return mlirLogicalResultFailure();
    }
    std::memcpy(array.data.data(), inputs[i], array.getNumBytes());
  }
  size_t numResults = j->runner->getSignature().results.size();
  for (size_t i = 0; i < numResults; ++i)
    if (!outputs || !outputs[i]) {
      emitError(j->loc) << "effc: output " << i << " of @"
                        << j->runner->getEntry() << " is a null pointer";
      return mlirLogicalResultFailure();
    }
  j->outputs.clear();
  if (llvm::Error err = j->runner->run(j->inputs, &j->outputs)) {
    emitError(j->loc) << "effc: calling @" << j->runner->getEntry()
                      << " failed: " << llvm::toString(std::move(err));
    return mlirLogicalResultFailure();
  }
  for (auto [i, array] : llvm::enumerate(j->outputs))
    std::memcpy(outputs[i], array.data.data(), array.getNumBytes());
  return mlirLogicalResultSuccess();
}

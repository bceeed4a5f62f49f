//===- effc-compile.cpp - ahead-of-time compilation to a library -*- C++
//-*-===//
//
//   effc-compile MODEL.mlir -o libmodel.so [--header model.h]
//       [--name model] [--entry main,...] [--pipeline "<passes>"]
//       [--cpu NAME] [--target-features +f,...]
//
// Compiles the model's public functions for a CPU (`--effc-cpu-pipeline`,
// the named CPU kept all the way to the object), with the weights embedded,
// into a shared library (.so), a relocatable object (.o) or a static
// archive (.a), chosen by the output's extension. Every symbol of the model
// is internal but one C function per entry, `effc_<name>_<entry>`, so a
// model whose entry is `@main` links into any program. The C ABI:
//
//   int effc_<name>_init(int num_threads);   // threads (0: all); AMX state
//   int effc_<name>_<entry>(const T *in0, const int64_t *in0_shape, ...,
//                           T *out0, const int64_t *out0_shape, ...);
//   void effc_<name>_teardown(void);          // releases the thread pool
//
// Inputs are read only; outputs are caller-allocated and written; a shape
// argument may be NULL, else it must equal the compiled shape (the call
// returns EFFC_<NAME>_ERROR_SHAPE). The generated header documents each
// entry with its shapes and element types. Shared libraries link the
// OpenMP runtime of LLVM 22 (libomp, with an rpath); objects and archives
// need `-lomp -lm` at the final link.
//
//===----------------------------------------------------------------------===//

#include "effc/InitAll.h"
#include "effc/Runtime/AotLibrary.h"

#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Support/FileUtilities.h"

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/TargetSelect.h"

using namespace mlir;
using namespace mlir::effc;
namespace cl = llvm::cl;

static cl::opt<std::string>
    inputFilename(cl::Positional, cl::desc("<input .mlir>"), cl::Required);
static cl::opt<std::string>
    outputFilename("o", cl::desc("Output: lib<name>.so, <name>.o or .a"),
                   cl::value_desc("file"), cl::Required);
static cl::opt<std::string>
    headerFilename("header", cl::desc("Write the C header of the library"),
                   cl::value_desc("file"));
static cl::opt<std::string>
    modelName("name",
              cl::desc("The symbol prefix effc_<name>_ (default: from -o)"));
static cl::list<std::string>
    entries("entry",
            cl::desc("Functions to export (default: every public "
                     "function with a body)"),
            cl::CommaSeparated);
static cl::opt<std::string>
    userPipeline("pipeline", cl::desc("Passes to run first, e.g. "
                                      "\"effc-raise,effc-compress{...}\""));
static cl::opt<std::string>
    cpuName("cpu", cl::desc("CPU to compile for (as -mcpu)"), cl::init("host"));
static cl::opt<std::string>
    targetFeatures("target-features",
                   cl::desc("LLVM target features (+avx512f,...)"));

static int compileMain() {
  DialectRegistry registry;
  effc::registerAllDialects(registry);
  MLIRContext context(registry);
  context.loadAllAvailableDialects();
  std::string errorMessage;
  std::unique_ptr<llvm::MemoryBuffer> file =
      openInputFile(inputFilename, &errorMessage);
  if (!file) {
    llvm::errs() << "effc-compile: error: " << errorMessage << "\n";
    return 1;
  }
  llvm::SourceMgr sourceMgr;
  sourceMgr.AddNewSourceBuffer(std::move(file), llvm::SMLoc());
  SourceMgrDiagnosticHandler diagHandler(sourceMgr, &context);
  OwningOpRef<ModuleOp> module =
      parseSourceFile<ModuleOp>(sourceMgr, ParserConfig(&context));
  if (!module)
    return 1;
  AotOptions options;
  options.name = modelName;
  options.entries.assign(entries.begin(), entries.end());
  options.pipeline = userPipeline;
  options.cpu = cpuName;
  options.targetFeatures = targetFeatures;
  options.headerPath = headerFilename;
  options.sourceName = inputFilename;
  return failed(compileToLibrary(*module, outputFilename, options)) ? 1 : 0;
}

int main(int argc, char **argv) {
  llvm::InitLLVM initLLVM(argc, argv);
  llvm::InitializeNativeTarget();
  llvm::InitializeNativeTargetAsmPrinter();
  effc::registerAllPasses();
  cl::ParseCommandLineOptions(
      argc, argv,
      "effc-compile: compile a model ahead of time into a C library\n");
  return compileMain();
}

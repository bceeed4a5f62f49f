//===- effc-import-onnx.cpp - ONNX models to MLIR ---------------*- C++ -*-===//
//
// effc-import-onnx MODEL.onnx -o MODEL.mlir [--shape name=1x64 ...]
//   [--entry main]
//
// Writes the model as one func.func in upstream linalg on tensors, weights
// as dense_resource blobs (effc/Frontend/OnnxImport.h).
//
//===----------------------------------------------------------------------===//

#include "effc/Frontend/OnnxImport.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Support/FileUtilities.h"

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/ToolOutputFile.h"

using namespace mlir;
namespace cl = llvm::cl;

static cl::OptionCategory importCategory("effc-import-onnx options");

static cl::opt<std::string> inputFilename(cl::Positional,
                                          cl::desc("<model.onnx>"),
                                          cl::Required,
                                          cl::cat(importCategory));

static cl::opt<std::string> outputFilename("o", cl::desc("Output .mlir file"),
                                           cl::value_desc("file"),
                                           cl::init("-"),
                                           cl::cat(importCategory));

static cl::opt<std::string>
    entryName("entry", cl::desc("Name of the generated function"),
              cl::init("main"), cl::cat(importCategory));

static cl::list<std::string>
    inputShapes("shape",
                cl::desc("Static shape of an input, e.g. --shape x=1x64 "
                         "(needed for inputs with dynamic dimensions)"),
                cl::value_desc("name=d0xd1..."), cl::cat(importCategory));

static int fail(const llvm::Twine &message) {
  llvm::errs() << "error: " << message << "\n";
  return 1;
}

int main(int argc, char **argv) {
  llvm::InitLLVM initLLVM(argc, argv);
  registerAsmPrinterCLOptions();
  registerMLIRContextCLOptions();
  cl::HideUnrelatedOptions(importCategory);
  cl::ParseCommandLineOptions(argc, argv,
                              "effc-import-onnx: ONNX model to MLIR (linalg "
                              "on tensors)\n");

  effc::OnnxImportOptions options;
  options.entryName = entryName;
  for (const std::string &shape : inputShapes) {
    std::string error;
    if (failed(effc::parseOnnxShapeOption(shape, options, error)))
      return fail(error);
  }

  std::string errorMessage;
  std::unique_ptr<llvm::MemoryBuffer> file =
      openInputFile(inputFilename, &errorMessage);
  if (!file)
    return fail(errorMessage);

  MLIRContext context;
  // Diagnostics point into the binary model: print "file:line:col: error:"
  // without quoting the (binary) source line.
  ScopedDiagnosticHandler diagHandler(&context, [](Diagnostic &diag) {
    auto print = [](Diagnostic &d) {
      if (auto fileLoc = d.getLocation()->findInstanceOf<FileLineColLoc>())
        llvm::errs() << fileLoc.getFilename().getValue() << ":"
                     << fileLoc.getLine() << ":" << fileLoc.getColumn() << ": ";
      switch (d.getSeverity()) {
      case DiagnosticSeverity::Error:
        llvm::errs() << "error: ";
        break;
      case DiagnosticSeverity::Warning:
        llvm::errs() << "warning: ";
        break;
      case DiagnosticSeverity::Note:
        llvm::errs() << "note: ";
        break;
      case DiagnosticSeverity::Remark:
        llvm::errs() << "remark: ";
        break;
      }
      llvm::errs() << d.str() << "\n";
    };
    print(diag);
    for (Diagnostic &note : diag.getNotes())
      print(note);
    return success();
  });
  OwningOpRef<ModuleOp> module = effc::importOnnxModel(
      &context, file->getBuffer(), inputFilename, options);
  if (!module)
    return 1;

  std::unique_ptr<llvm::ToolOutputFile> output =
      openOutputFile(outputFilename, &errorMessage);
  if (!output)
    return fail(errorMessage);
  OpPrintingFlags flags;
  flags.enableDebugInfo(/*enable=*/true, /*prettyForm=*/false);
  module->print(output->os(), flags);
  output->keep();
  return 0;
}

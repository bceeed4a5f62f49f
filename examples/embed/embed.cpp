//===- embed.cpp - effc's C++ API in a host program
//------------------------===//
//
//   embed MODEL.mlir [PIPELINE]
//
// Registers effc in the host's own MLIR context, parses an upstream-IR
// model, compresses it with a textual pipeline (default: int8 dynamic),
// JIT-compiles @main for this CPU and calls it on a fixed input
// x[i] = sin(i) / 2. Prints the first outputs and their sum.
//
//===----------------------------------------------------------------------===//

#include "effc/InitAll.h"
#include "effc/Runtime/JitRunner.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"

#include "llvm/Support/Error.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>
#include <cstdio>
#include <cstring>

using namespace mlir;

int main(int argc, char **argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: embed MODEL.mlir [PIPELINE]\n");
    return 2;
  }
  std::string pipeline = argc > 2
                             ? argv[2]
                             : "effc-raise,effc-assign-precision{weights=i8 "
                               "activations=i8},effc-quantize";
  llvm::InitializeNativeTarget();
  llvm::InitializeNativeTargetAsmPrinter();

  // effc in the host's registry and context.
  DialectRegistry registry;
  effc::registerAllDialects(registry);
  effc::registerAllPasses();
  MLIRContext context(registry);
  OwningOpRef<ModuleOp> module =
      parseSourceFile<ModuleOp>(argv[1], ParserConfig(&context));
  if (!module)
    return 1;

  PassManager pm(&context);
  std::string message;
  llvm::raw_string_ostream os(message);
  if (failed(parsePassPipeline(pipeline, pm, os))) {
    std::fprintf(stderr, "bad pipeline: %s\n", message.c_str());
    return 1;
  }
  if (failed(pm.run(*module)))
    return 1;

  auto runner = effc::JitRunner::create(*module, "main", effc::JitOptions());
  if (!runner) {
    std::fprintf(stderr, "%s\n", llvm::toString(runner.takeError()).c_str());
    return 1;
  }
  const effc::TensorSpec &in = (*runner)->getSignature().inputs[0];
  effc::NpyArray x(effc::NpyDType::F32, in.shape);
  auto *xs = reinterpret_cast<float *>(x.data.data());
  for (int64_t i = 0; i < x.getNumElements(); ++i)
    xs[i] = float(std::sin(double(i)) / 2);
  llvm::Expected<effc::JitResult> result = (*runner)->run({x});
  if (!result) {
    std::fprintf(stderr, "%s\n", llvm::toString(result.takeError()).c_str());
    return 1;
  }
  const effc::NpyArray &y = result->outputs[0];
  double sum = 0;
  for (int64_t i = 0; i < y.getNumElements(); ++i)
    sum += y.getAsDouble(i);
  std::printf("embed: %s -> %s, y[0..3] = %.6f %.6f %.6f, sum %.6f\n",
              x.getTypeString().c_str(), y.getTypeString().c_str(),
              y.getAsDouble(0), y.getAsDouble(1), y.getAsDouble(2), sum);
  return 0;
}

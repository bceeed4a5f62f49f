//===- effc-run.cpp - compile and run an MLIR function ----------*- C++ -*-===//
//
// effc-run FILE.mlir --entry <func> [--input a.npy ...] [--output o.npy ...]
//   [--pipeline "<pass pipeline>"] [--target cpu|cuda] [--bench <iters>]
//   [--compare-to-reference] [--seed N]
//
// Applies the user's pipeline, then lowers, compiles and calls the entry with
// the JIT runner (effc/Runtime/JitRunner.h) on inputs read from `.npy` files
// (or seeded random ones). With `--compare-to-reference` the unoptimized
// input also goes through the reference lowering in a second runner and the
// outputs are compared; `--calibrate` hands over to effc/Runtime/Calibrate.h.
//
//===----------------------------------------------------------------------===//

#include "effc/InitAll.h"
#include "effc/Pipelines/Pipelines.h"
#include "effc/Runtime/Calibrate.h"
#include "effc/Runtime/Cuda.h"
#include "effc/Runtime/JitRunner.h"
#include "effc/Support/Npy.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Support/FileUtilities.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/TargetSelect.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

using namespace mlir;
using namespace mlir::effc;
namespace cl = llvm::cl;

//===----------------------------------------------------------------------===//
// Command line
//===----------------------------------------------------------------------===//

static cl::OptionCategory runCategory("effc-run options");

static cl::opt<std::string> inputFilename(cl::Positional,
                                          cl::desc("<input .mlir file>"),
                                          cl::Required, cl::cat(runCategory));

static cl::opt<std::string> entryName("entry", cl::Required,
                                      cl::desc("Function to run"),
                                      cl::value_desc("func"),
                                      cl::cat(runCategory));

static cl::list<std::string>
    inputFiles("input", cl::CommaSeparated,
               cl::desc("Argument .npy files, in argument order (repeat the "
                        "flag or separate with commas); none: random inputs"),
               cl::value_desc("file.npy"), cl::cat(runCategory));

static cl::list<std::string>
    outputFiles("output", cl::CommaSeparated,
                cl::desc("Result .npy files, in result order; none: print a "
                         "summary of each result"),
                cl::value_desc("file.npy"), cl::cat(runCategory));

static cl::opt<std::string>
    userPipeline("pipeline",
                 cl::desc("effc-opt pass pipeline applied before the target "
                          "lowering, e.g. \"effc-raise,effc-prune{method=nm "
                          "n=2 m=4}\""),
                 cl::init(""), cl::cat(runCategory));

static cl::opt<std::string> targetName("target",
                                       cl::desc("Target: cpu (default), cuda"),
                                       cl::init("cpu"), cl::cat(runCategory));

static cl::opt<std::string> gpuChip(
    "gpu-chip",
    cl::desc("--target cuda: the chip to compile for (sm_80, sm_90, "
             "sm_90a); default: the device's own (sm_90a on Hopper, which "
             "enables the wgmma/TMA kernels)"),
    cl::init(""), cl::cat(runCategory));

static cl::opt<unsigned>
    benchIters("bench",
               cl::desc("Time this many calls after a warm-up and print the "
                        "median and minimum"),
               cl::value_desc("iters"), cl::init(0), cl::cat(runCategory));

static cl::opt<bool> compareToReference(
    "compare-to-reference",
    cl::desc("Also run the reference lowering of the unoptimized input and "
             "print max abs error and SQNR per output"),
    cl::init(false), cl::cat(runCategory));

static cl::list<std::string> calibrateInputs(
    "calibrate", cl::CommaSeparated,
    cl::desc("Calibrate instead of running: run the float model on these "
             "samples and write the input statistics of every effc.linear / "
             "effc.conv2d. One .npz (np.savez; one array per argument, in "
             "order) or .npy files, one per argument per sample; an array "
             "may stack samples along a new leading dim"),
    cl::value_desc("file.npz|file.npy,..."), cl::cat(runCategory));

static cl::opt<std::string>
    calibrationOut("calibration-out",
                   cl::desc("Statistics JSON written by --calibrate (read by "
                            "--effc-assign-precision=\"calibration=...\")"),
                   cl::value_desc("stats.json"), cl::init(""),
                   cl::cat(runCategory));

static cl::opt<uint64_t> randomSeed("seed",
                                    cl::desc("Seed of the random inputs"),
                                    cl::init(0), cl::cat(runCategory));

static cl::opt<int64_t> dynamicSize(
    "dynamic-size",
    cl::desc("Size of every dynamic dim of the random inputs (without "
             "--input; with --input the arrays' sizes are used)"),
    cl::init(1), cl::cat(runCategory));

//===----------------------------------------------------------------------===//
// Diagnostics
//===----------------------------------------------------------------------===//

static int fail(const llvm::Twine &message) {
  llvm::errs() << "error: " << message << "\n";
  return 1;
}

/// Prints `error`; errors of the calibration samples and of the CUDA device
/// get the flag they come from in front.
static int fail(llvm::Error error) {
  error = llvm::handleErrors(
      std::move(error),
      [](const CalibrationError &e) {
        return llvm::createStringError("--calibrate: " + e.getMessage());
      },
      [](const JitDeviceError &e) {
        return llvm::createStringError("--target cuda: " + e.getMessage());
      });
  return fail(toString(std::move(error)));
}

static std::string typeToString(Type type) {
  std::string result;
  llvm::raw_string_ostream os(result);
  type.print(os);
  return result;
}

//===----------------------------------------------------------------------===//
// Inputs and outputs
//===----------------------------------------------------------------------===//

/// Reads and checks the --input files against the signature.
static LogicalResult readInputs(const EntrySignature &signature,
                                SmallVectorImpl<NpyArray> &inputs) {
  if (inputFiles.empty()) {
    inputs = makeRandomInputs(signature, randomSeed, dynamicSize);
    if (llvm::any_of(signature.inputs,
                     [](const TensorSpec &t) { return t.isDynamic(); }))
      llvm::errs() << "effc-run: note: random inputs take size " << dynamicSize
                   << " for each dynamic dim (--dynamic-size)\n";
    return success();
  }
  if (inputFiles.size() != signature.inputs.size()) {
    fail("@" + entryName + " takes " + llvm::Twine(signature.inputs.size()) +
         " argument(s), but " + llvm::Twine(inputFiles.size()) +
         " --input file(s) were given");
    return failure();
  }
  for (auto [i, path, spec] : llvm::enumerate(inputFiles, signature.inputs)) {
    llvm::Expected<NpyArray> array = readNpy(path);
    if (!array) {
      fail("input #" + llvm::Twine(i) + ": " + toString(array.takeError()));
      return failure();
    }
    if (!isNpyDTypeCompatible(array->dtype, spec.elementType) ||
        !spec.matches(array->shape)) {
      fail("input #" + llvm::Twine(i) + ": '" + path + "' holds a " +
           array->getTypeString() + " array, but argument #" + llvm::Twine(i) +
           " of @" + entryName + " is " + typeToString(spec.type));
      return failure();
    }
    array->dtype = spec.dtype; // <u2 data feeding a bf16 argument.
    inputs.push_back(std::move(*array));
  }
  return success();
}

static void printValue(llvm::raw_ostream &os, const NpyArray &array,
                       int64_t i) {
  double value = array.getAsDouble(i);
  switch (array.dtype) {
  case NpyDType::F16:
  case NpyDType::BF16:
  case NpyDType::F32:
  case NpyDType::F64:
    os << llvm::format("%g", value);
    return;
  case NpyDType::I64: {
    int64_t v;
    std::memcpy(&v, array.data.data() + i * 8, 8);
    os << v;
    return;
  }
  case NpyDType::U64: {
    uint64_t v;
    std::memcpy(&v, array.data.data() + i * 8, 8);
    os << v;
    return;
  }
  default:
    os << static_cast<int64_t>(value);
    return;
  }
}

static void printSummary(llvm::raw_ostream &os, unsigned index,
                         const TensorSpec &spec, const NpyArray &array) {
  constexpr int64_t kShown = 8;
  int64_t n = array.getNumElements();
  os << "effc-run: output " << index << " " << spec.type << " = [";
  for (int64_t i = 0; i < std::min(n, kShown); ++i) {
    if (i)
      os << ", ";
    printValue(os, array, i);
  }
  if (n > kShown)
    os << ", ... (" << n << " elements)";
  os << "]\n";
}

static std::string formatDouble(double value) {
  if (std::isinf(value))
    return value > 0 ? "inf" : "-inf";
  if (std::isnan(value))
    return "nan";
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), "%g", value);
  return buffer;
}

//===----------------------------------------------------------------------===//
// Compilation
//===----------------------------------------------------------------------===//

/// Parses --pipeline into `pm`, written either as plain pass names or
/// anchored as `builtin.module(...)`.
static LogicalResult addUserPipeline(PassManager &pm) {
  std::string message;
  llvm::raw_string_ostream errorStream(message);
  StringRef text = StringRef(userPipeline).trim();
  if (text.starts_with("builtin.module(") && text.ends_with(")"))
    text = text.drop_front(strlen("builtin.module(")).drop_back();
  if (succeeded(parsePassPipeline(text, pm, errorStream)))
    return success();
  fail("invalid --pipeline \"" + userPipeline +
       "\": " + StringRef(message).trim());
  return failure();
}

static int runMain() {
  if (dynamicSize < 1 || dynamicSize > (int64_t(1) << 20))
    return fail("--dynamic-size must be in [1, 2^20], got " +
                llvm::Twine(dynamicSize));
  JitOptions options;
  options.moduleName = inputFilename;
  options.gpuChip = gpuChip;
  // The --mlir-* pass manager flags apply to every pipeline.
  options.configurePassManager = [](PassManager &pm) {
    (void)applyPassManagerCLOptions(pm);
  };
  if (targetName == "cuda") {
    llvm::Expected<CudaRuntime> runtime = loadCudaRuntime(getCudaRuntimePath());
    if (!runtime)
      return fail("--target cuda: " + toString(runtime.takeError()));
    options.target = JitTarget::Cuda;
    options.cudaRuntime = *runtime;
  } else if (targetName != "cpu")
    return fail("unknown --target '" + targetName +
                "' (expected 'cpu' or 'cuda')");

  DialectRegistry registry;
  effc::registerAllDialects(registry);
  MLIRContext context(registry);
  context.loadAllAvailableDialects();

  std::string errorMessage;
  std::unique_ptr<llvm::MemoryBuffer> file =
      openInputFile(inputFilename, &errorMessage);
  if (!file)
    return fail(errorMessage);
  llvm::SourceMgr sourceMgr;
  sourceMgr.AddNewSourceBuffer(std::move(file), llvm::SMLoc());
  SourceMgrDiagnosticHandler diagHandler(sourceMgr, &context);

  OwningOpRef<ModuleOp> module =
      parseSourceFile<ModuleOp>(sourceMgr, ParserConfig(&context));
  if (!module)
    return 1;

  auto entry = module->lookupSymbol<func::FuncOp>(entryName);
  if (!entry || entry.isExternal()) {
    SmallVector<std::string> names;
    for (auto func : module->getOps<func::FuncOp>())
      if (!func.isExternal())
        names.push_back(("@" + func.getSymName()).str());
    return fail(inputFilename + ": no function @" + entryName +
                (entry ? " with a body" : "") + " to run" +
                (names.empty()
                     ? std::string(" (the module defines none)")
                     : " (defined: " + llvm::join(names, ", ") + ")"));
  }
  FailureOr<EntrySignature> signature =
      getEntrySignature(entry, /*allowDynamic=*/true);
  if (failed(signature))
    return 1;

  // Check the inputs and outputs before spending time on compilation.
  if (!outputFiles.empty() && outputFiles.size() != signature->results.size())
    return fail("@" + entryName + " returns " +
                llvm::Twine(signature->results.size()) + " result(s), but " +
                llvm::Twine(outputFiles.size()) +
                " --output file(s) were given");
  // --calibrate reads its own samples.
  SmallVector<NpyArray> inputs;
  if (calibrateInputs.empty() && failed(readInputs(*signature, inputs)))
    return 1;

  OwningOpRef<ModuleOp> referenceModule;
  if (compareToReference)
    referenceModule = module->clone();

  // The user's pipeline; the runner adds the target lowering.
  exposeEntry(*module, entryName);
  if (!userPipeline.empty()) {
    PassManager pm(&context, ModuleOp::getOperationName());
    options.configurePassManager(pm);
    if (failed(addUserPipeline(pm)))
      return 1;
    if (failed(pm.run(*module)))
      return fail("--pipeline failed on " + inputFilename);
    if (auto lowered = module->lookupSymbol<func::FuncOp>(entryName)) {
      FailureOr<EntrySignature> after =
          getEntrySignature(lowered, /*allowDynamic=*/true);
      if (failed(after))
        return 1;
      if (!(*after == *signature))
        return fail("--pipeline changed the signature of @" + entryName +
                    " from " + typeToString(entry.getFunctionType()) + " to " +
                    typeToString(lowered.getFunctionType()));
    }
  }
  if (!calibrateInputs.empty()) {
    if (calibrationOut.empty())
      return fail("--calibrate needs --calibration-out <stats.json>");
    llvm::Expected<CalibrationSummary> summary =
        calibrate(*module, entryName, ArrayRef<std::string>(calibrateInputs),
                  calibrationOut, options);
    if (!summary)
      return fail(summary.takeError());
    llvm::outs() << "effc-run: calibrated " << summary->numOps << " op(s) of @"
                 << entryName << " on " << summary->numSamples
                 << " sample(s) -> " << calibrationOut << "\n";
    llvm::outs().flush();
    return 0;
  }

  llvm::Expected<std::unique_ptr<JitRunner>> compiled =
      JitRunner::create(*module, entryName, options);
  if (!compiled)
    return fail(compiled.takeError());
  SmallVector<NpyArray> results;
  double ms;
  if (llvm::Error err = (*compiled)->run(inputs, &results, &ms))
    return fail(std::move(err));

  if (!outputFiles.empty()) {
    for (auto [path, result] : llvm::zip_equal(outputFiles, results))
      if (llvm::Error err = writeNpy(path, result))
        return fail(std::move(err));
  } else {
    for (auto [i, spec, result] : llvm::enumerate(signature->results, results))
      printSummary(llvm::outs(), i, spec, result);
  }

  if (compareToReference) {
    JitOptions referenceOptions = options;
    referenceOptions.target = JitTarget::Reference;
    referenceOptions.cudaRuntime.reset();
    llvm::Expected<std::unique_ptr<JitRunner>> reference =
        JitRunner::create(*referenceModule, entryName, referenceOptions);
    if (!reference)
      return fail(reference.takeError());
    SmallVector<NpyArray> expected;
    if (llvm::Error err = (*reference)->run(inputs, &expected, &ms))
      return fail(std::move(err));
    for (auto [i, ref, out] : llvm::enumerate(expected, results)) {
      double maxAbsErr = 0, signal = 0, noise = 0;
      for (int64_t k = 0, e = ref.getNumElements(); k < e; ++k) {
        double r = ref.getAsDouble(k), o = out.getAsDouble(k);
        double diff = std::fabs(r - o);
        // NaN anywhere makes the error NaN rather than vanish in max().
        maxAbsErr = std::isnan(diff) || std::isnan(maxAbsErr)
                        ? NAN
                        : std::max(maxAbsErr, diff);
        signal += r * r;
        noise += diff * diff;
      }
      double sqnr = noise == 0 ? INFINITY : 10 * std::log10(signal / noise);
      llvm::outs() << "effc-run: output " << i
                   << " max_abs_err=" << formatDouble(maxAbsErr)
                   << " sqnr_db=" << formatDouble(sqnr) << "\n";
    }
  }

  if (benchIters > 0) {
    // A second warm-up call (the run above was the first) lets the OpenMP
    // thread pool and the caches settle.
    if (llvm::Error err = (*compiled)->run(inputs, nullptr, &ms))
      return fail(std::move(err));
    SmallVector<double> times;
    for (unsigned i = 0; i < benchIters; ++i) {
      if (llvm::Error err = (*compiled)->run(inputs, nullptr, &ms))
        return fail(std::move(err));
      times.push_back(ms);
    }
    llvm::sort(times);
    size_t n = times.size();
    double median =
        n % 2 ? times[n / 2] : (times[n / 2 - 1] + times[n / 2]) / 2;
    llvm::outs() << "effc-run: bench @" << entryName
                 << " median_ms=" << llvm::format("%.6f", median)
                 << " min_ms=" << llvm::format("%.6f", times.front())
                 << " iters=" << benchIters << "\n";
  }
  llvm::outs().flush();
  return 0;
}

/// Keeps freed result buffers (up to 32 MiB each) in the heap instead of
/// returning them to the kernel, so repeated calls reuse memory instead of
/// page-faulting a fresh mmap every time: the steady state of an inference
/// runtime with a buffer arena (ONNX Runtime, TensorRT), which is what
/// `--bench` should measure.
static void keepFreedBuffers() {
#if defined(__GLIBC__)
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  mallopt(M_TRIM_THRESHOLD, 256 << 20);
#endif
}

int main(int argc, char **argv) {
  keepFreedBuffers();
  llvm::InitLLVM initLLVM(argc, argv);
  llvm::InitializeNativeTarget();
  llvm::InitializeNativeTargetAsmPrinter();

  effc::registerAllPasses();
  registerAsmPrinterCLOptions();
  registerMLIRContextCLOptions();
  registerPassManagerCLOptions();

  cl::ParseCommandLineOptions(
      argc, argv,
      "effc-run: compile an MLIR function for a target and run it on .npy "
      "inputs\n");
  return runMain();
}

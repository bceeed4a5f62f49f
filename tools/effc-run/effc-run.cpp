//===- effc-run.cpp - compile and run an MLIR function ----------*- C++ -*-===//
//
// effc-run FILE.mlir --entry <func> [--input a.npy ...] [--output o.npy ...]
//   [--pipeline "<pass pipeline>"] [--target cpu|cuda] [--bench <iters>]
//   [--compare-to-reference] [--seed N]
//
// Applies the user's pipeline, lowers for the target, JIT-compiles the module
// with the MLIR ExecutionEngine and calls `_mlir_ciface_<entry>` on inputs
// read from `.npy` files (or seeded random ones). With
// `--compare-to-reference` the unoptimized input also goes through the
// reference lowering in a second engine and the outputs are compared.
//
//===----------------------------------------------------------------------===//

#include "effc/Config.h"
#include "effc/InitAll.h"
#include "effc/Pipelines/Pipelines.h"
#include "effc/Runtime/Cuda.h"
#include "effc/Support/FloatBits.h"
#include "effc/Support/Npy.h"
#include "effc/Transforms/Calibration.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/ExecutionEngine/ExecutionEngine.h"
#include "mlir/ExecutionEngine/OptUtils.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Support/FileUtilities.h"

#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ExecutionEngine/Orc/JITTargetMachineBuilder.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/MathExtras.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Target/TargetMachine.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#if defined(__linux__)
#include <sys/syscall.h>
#include <unistd.h>
#endif

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

//===----------------------------------------------------------------------===//
// Diagnostics
//===----------------------------------------------------------------------===//

static int fail(const llvm::Twine &message) {
  llvm::errs() << "error: " << message << "\n";
  return 1;
}

static int fail(llvm::Error error) { return fail(toString(std::move(error))); }

//===----------------------------------------------------------------------===//
// The entry signature
//===----------------------------------------------------------------------===//

namespace {
/// One statically shaped tensor (or memref) of the entry signature.
struct TensorSpec {
  SmallVector<int64_t> shape;
  Type elementType;
  NpyDType dtype;
  Type type;

  int64_t getNumElements() const {
    int64_t n = 1;
    for (int64_t d : shape)
      n *= d;
    return n;
  }
  bool operator==(const TensorSpec &other) const {
    return shape == other.shape && elementType == other.elementType;
  }
};

struct Signature {
  SmallVector<TensorSpec> inputs;
  SmallVector<TensorSpec> results;

  bool operator==(const Signature &other) const {
    return inputs == other.inputs && results == other.results;
  }
};
} // namespace

static std::string typeToString(Type type) {
  std::string result;
  llvm::raw_string_ostream os(result);
  type.print(os);
  return result;
}

/// The signature of `func`, or an error diagnostic on it.
static FailureOr<Signature> getSignature(func::FuncOp func) {
  Signature signature;
  auto convert = [&](Type type, StringRef what, unsigned index,
                     SmallVectorImpl<TensorSpec> &specs) -> LogicalResult {
    auto shaped = dyn_cast<ShapedType>(type);
    bool ok = shaped && (isa<RankedTensorType>(type) ||
                         (isa<MemRefType>(type) &&
                          cast<MemRefType>(type).getLayout().isIdentity()));
    if (!ok || !shaped.hasStaticShape())
      return emitError(func.getLoc())
             << what << " #" << index << " of @" << func.getSymName()
             << " has type " << type
             << "; effc-run runs functions on statically "
                "shaped tensors";
    std::optional<NpyDType> dtype = getNpyDTypeFor(shaped.getElementType());
    if (!dtype)
      return emitError(func.getLoc())
             << what << " #" << index << " of @" << func.getSymName()
             << " has element type " << shaped.getElementType()
             << ", which has no .npy equivalent (supported: f32, f16, bf16, "
                "f64, i1, i8, i16, i32, i64 and their unsigned forms)";
    // Far beyond any machine's memory; also keeps the byte counts below
    // from overflowing.
    constexpr int64_t kMaxBytes = int64_t(1) << 46;
    int64_t numElements = 1;
    bool tooLarge = false;
    for (int64_t dim : shaped.getShape())
      tooLarge |= llvm::MulOverflow(numElements, dim, numElements);
    if (tooLarge ||
        numElements > kMaxBytes / static_cast<int64_t>(getNpyDTypeSize(*dtype)))
      return emitError(func.getLoc())
             << what << " #" << index << " of @" << func.getSymName() << " ("
             << type << ") is too large to run";
    specs.push_back({llvm::to_vector(shaped.getShape()),
                     shaped.getElementType(), *dtype, type});
    return success();
  };
  FunctionType type = func.getFunctionType();
  for (auto [i, t] : llvm::enumerate(type.getInputs()))
    if (failed(convert(t, "argument", i, signature.inputs)))
      return failure();
  for (auto [i, t] : llvm::enumerate(type.getResults()))
    if (failed(convert(t, "result", i, signature.results)))
      return failure();
  return signature;
}

//===----------------------------------------------------------------------===//
// Buffers and memref descriptors
//===----------------------------------------------------------------------===//

namespace {
/// A 64-byte aligned heap buffer.
class AlignedBuffer {
public:
  explicit AlignedBuffer(size_t size)
      : ptr(static_cast<char *>(std::aligned_alloc(
            64, llvm::alignTo(std::max<size_t>(size, 1), 64)))),
        size(size) {
    if (!ptr) {
      llvm::errs() << "error: out of memory allocating " << size << " bytes\n";
      std::exit(1);
    }
    std::memset(ptr, 0, size);
  }
  AlignedBuffer(AlignedBuffer &&other) : ptr(other.ptr), size(other.size) {
    other.ptr = nullptr;
  }
  AlignedBuffer(const AlignedBuffer &) = delete;
  AlignedBuffer &operator=(const AlignedBuffer &) = delete;
  ~AlignedBuffer() { std::free(ptr); }

  char *data() const { return ptr; }
  size_t getSize() const { return size; }

private:
  char *ptr;
  size_t size;
};

/// Words of a ranked memref descriptor:
/// {allocated, aligned, offset, sizes[rank], strides[rank]}.
using Descriptor = SmallVector<int64_t, 16>;

Descriptor makeDescriptor(char *data, ArrayRef<int64_t> shape) {
  Descriptor desc;
  desc.push_back(reinterpret_cast<intptr_t>(data));
  desc.push_back(reinterpret_cast<intptr_t>(data));
  desc.push_back(0);
  desc.append(shape.begin(), shape.end());
  SmallVector<int64_t> strides(shape.size(), 1);
  for (int i = static_cast<int>(shape.size()) - 2; i >= 0; --i)
    strides[i] = strides[i + 1] * shape[i + 1];
  desc.append(strides.begin(), strides.end());
  return desc;
}

unsigned getDescriptorWords(unsigned rank) { return 3 + 2 * rank; }

/// Copies the memref described by `words` (rank `spec.shape.size()`) into a
/// dense array, following its offset and strides.
FailureOr<NpyArray> copyOut(const int64_t *words, const TensorSpec &spec,
                            unsigned index, std::string &error) {
  unsigned rank = spec.shape.size();
  const char *aligned = reinterpret_cast<const char *>(words[1]);
  int64_t offset = words[2];
  ArrayRef<int64_t> sizes(words + 3, rank);
  ArrayRef<int64_t> strides(words + 3 + rank, rank);
  if (sizes != ArrayRef<int64_t>(spec.shape)) {
    error = "result #" + std::to_string(index) + " came back with shape [" +
            llvm::join(llvm::map_range(
                           sizes, [](int64_t s) { return std::to_string(s); }),
                       ", ") +
            "], expected " + typeToString(spec.type);
    return failure();
  }
  NpyArray array(spec.dtype, spec.shape);
  int64_t numElements = array.getNumElements();
  if (numElements == 0)
    return array;
  if (!aligned) {
    error = "result #" + std::to_string(index) + " came back as a null buffer";
    return failure();
  }
  unsigned elementSize = array.getElementSize();
  bool contiguous = true;
  int64_t expectedStride = 1;
  for (int i = static_cast<int>(rank) - 1; i >= 0; --i) {
    if (sizes[i] != 1 && strides[i] != expectedStride)
      contiguous = false;
    expectedStride *= sizes[i];
  }
  const char *base = aligned + offset * elementSize;
  if (contiguous) {
    std::memcpy(array.data.data(), base, array.data.size());
    return array;
  }
  SmallVector<int64_t> idx(rank, 0);
  char *out = array.data.data();
  for (int64_t n = 0; n < numElements; ++n) {
    int64_t linear = 0;
    for (unsigned d = 0; d < rank; ++d)
      linear += idx[d] * strides[d];
    std::memcpy(out + n * elementSize, base + linear * elementSize,
                elementSize);
    for (int d = static_cast<int>(rank) - 1; d >= 0; --d) {
      if (++idx[d] < sizes[d])
        break;
      idx[d] = 0;
    }
  }
  return array;
}
} // namespace

//===----------------------------------------------------------------------===//
// A compiled entry point
//===----------------------------------------------------------------------===//

namespace {
/// The lowered entry point in a JIT, with the calling convention the
/// lowering gave it: results returned as descriptors the callee allocated,
/// or passed as trailing out-parameters the caller allocates (after
/// `buffer-results-to-out-params`).
class CompiledEntry {
public:
  static FailureOr<std::unique_ptr<CompiledEntry>>
  create(ModuleOp module, StringRef entry, const Signature &signature,
         StringRef what);

  /// Runs the entry on `inputs`; fills `results` when given, and the time of
  /// the call itself in milliseconds.
  llvm::Error run(ArrayRef<NpyArray> inputs, SmallVectorImpl<NpyArray> *results,
                  double &ms);

private:
  CompiledEntry(const Signature &signature) : signature(signature) {}

  std::unique_ptr<ExecutionEngine> engine;
  void (*packed)(void **) = nullptr;
  Signature signature;
  bool resultsAsOutParams = false;
  // Working copies of the inputs, refilled before every call because the
  // callee may write into its arguments in place.
  SmallVector<AlignedBuffer> inputBuffers;
  SmallVector<AlignedBuffer> outputBuffers;
};
} // namespace

/// The shared libraries the lowered code may call into: the MLIR runner
/// utilities (memrefCopy, ...) and the OpenMP runtime.
/// The CUDA runtime, loaded for --target cuda.
static std::optional<CudaRuntime> cudaRuntime;

static SmallVector<std::string> getSharedLibs() {
  SmallVector<std::string> libs;
  if (cudaRuntime)
    libs.push_back(cudaRuntime->path);
  for (StringRef name :
       {"libmlir_c_runner_utils.so", "libmlir_runner_utils.so", "libomp.so"}) {
    SmallString<128> path(EFFC_LLVM_LIB_DIR);
    llvm::sys::path::append(path, name);
    if (llvm::sys::fs::exists(path))
      libs.push_back(std::string(path));
  }
  return libs;
}

FailureOr<std::unique_ptr<CompiledEntry>>
CompiledEntry::create(ModuleOp module, StringRef entry,
                      const Signature &signature, StringRef what) {
  std::string cifaceName = ("_mlir_ciface_" + entry).str();
  auto ciface = module.lookupSymbol<LLVM::LLVMFuncOp>(cifaceName);
  auto impl = module.lookupSymbol<LLVM::LLVMFuncOp>(entry);
  if (!ciface || !impl) {
    fail(what + " lowering of @" + entry +
         " did not produce an llvm.func with a C interface (@" + cifaceName +
         ")");
    return failure();
  }
  std::unique_ptr<CompiledEntry> compiled(new CompiledEntry(signature));
  unsigned numInputs = signature.inputs.size();
  unsigned numResults = signature.results.size();
  unsigned numArgs = ciface.getFunctionType().getNumParams();
  bool returnsVoid =
      isa<LLVM::LLVMVoidType>(impl.getFunctionType().getReturnType());
  if (numResults == 0 && numArgs == numInputs) {
    compiled->resultsAsOutParams = false;
  } else if (numResults > 0 && !returnsVoid && numArgs == numInputs + 1) {
    compiled->resultsAsOutParams = false;
  } else if (numResults > 0 && returnsVoid &&
             numArgs == numInputs + numResults) {
    compiled->resultsAsOutParams = true;
  } else {
    fail(what + " lowering of @" + entry + " has a C interface with " +
         llvm::Twine(numArgs) + " arguments; expected one per input plus " +
         "the results");
    return failure();
  }

  auto jtmb = llvm::orc::JITTargetMachineBuilder::detectHost();
  if (!jtmb) {
    fail(jtmb.takeError());
    return failure();
  }
  jtmb->setCodeGenOptLevel(llvm::CodeGenOptLevel::Aggressive);
  auto tm = jtmb->createTargetMachine();
  if (!tm) {
    fail(tm.takeError());
    return failure();
  }
  auto transformer = makeOptimizingTransformer(/*optLevel=*/3,
                                               /*sizeLevel=*/0, tm->get());
  SmallVector<std::string> libs = getSharedLibs();
  SmallVector<StringRef> libRefs(libs.begin(), libs.end());
  ExecutionEngineOptions options;
  options.transformer = transformer;
  options.jitCodeGenOptLevel = llvm::CodeGenOptLevel::Aggressive;
  options.sharedLibPaths = libRefs;
  auto engine = ExecutionEngine::create(module, options, std::move(*tm));
  if (!engine) {
    fail("JIT compilation of the " + what +
         " module failed: " + toString(engine.takeError()));
    return failure();
  }
  compiled->engine = std::move(*engine);
  auto packed = compiled->engine->lookupPacked(cifaceName);
  if (!packed) {
    fail("JIT compilation of the " + what +
         " module failed: " + toString(packed.takeError()));
    return failure();
  }
  compiled->packed = *packed;

  for (const TensorSpec &spec : signature.inputs)
    compiled->inputBuffers.emplace_back(spec.getNumElements() *
                                        getNpyDTypeSize(spec.dtype));
  if (compiled->resultsAsOutParams)
    for (const TensorSpec &spec : signature.results)
      compiled->outputBuffers.emplace_back(spec.getNumElements() *
                                           getNpyDTypeSize(spec.dtype));
  return compiled;
}

/// `allocated` pointer that memref.get_global lowers to: not heap memory.
static constexpr intptr_t kGlobalMemrefAllocated = 0xdeadbeef;

llvm::Error CompiledEntry::run(ArrayRef<NpyArray> inputs,
                               SmallVectorImpl<NpyArray> *results, double &ms) {
  SmallVector<Descriptor> descriptors;
  llvm::DenseSet<intptr_t> callerOwned;
  for (auto [buffer, input, spec] :
       llvm::zip_equal(inputBuffers, inputs, signature.inputs)) {
    std::memcpy(buffer.data(), input.data.data(), input.data.size());
    descriptors.push_back(makeDescriptor(buffer.data(), spec.shape));
    callerOwned.insert(reinterpret_cast<intptr_t>(buffer.data()));
  }
  for (auto [buffer, spec] :
       llvm::zip_first(outputBuffers, signature.results)) {
    std::memset(buffer.data(), 0, buffer.getSize());
    descriptors.push_back(makeDescriptor(buffer.data(), spec.shape));
  }

  // The packed interface takes one pointer per argument of the C wrapper; its
  // arguments are themselves pointers to descriptors. Returned results come
  // first, as one pointer to the struct of all result descriptors.
  SmallVector<int64_t> resultWords;
  if (!resultsAsOutParams) {
    size_t words = 0;
    for (const TensorSpec &spec : signature.results)
      words += getDescriptorWords(spec.shape.size());
    resultWords.assign(words, 0);
  }
  SmallVector<void *> descriptorPtrs;
  void *resultPtr = resultWords.data();
  for (Descriptor &desc : descriptors)
    descriptorPtrs.push_back(desc.data());
  SmallVector<void *> args;
  if (!resultWords.empty())
    args.push_back(&resultPtr);
  for (void *&ptr : descriptorPtrs)
    args.push_back(&ptr);

  auto start = std::chrono::steady_clock::now();
  packed(args.data());
  auto stop = std::chrono::steady_clock::now();
  ms = std::chrono::duration<double, std::milli>(stop - start).count();

  std::string error;
  if (results)
    results->clear();
  if (resultsAsOutParams) {
    if (results)
      for (auto [i, buffer, spec] :
           llvm::enumerate(outputBuffers, signature.results)) {
        Descriptor desc = makeDescriptor(buffer.data(), spec.shape);
        FailureOr<NpyArray> array = copyOut(desc.data(), spec, i, error);
        results->push_back(std::move(*array));
      }
    return llvm::Error::success();
  }

  // Copy the returned memrefs out, then free what the callee allocated (each
  // allocation once, never the caller's inputs or a constant global).
  llvm::DenseSet<intptr_t> freed;
  size_t pos = 0;
  bool ok = true;
  for (auto [i, spec] : llvm::enumerate(signature.results)) {
    const int64_t *words = resultWords.data() + pos;
    pos += getDescriptorWords(spec.shape.size());
    if (results && ok) {
      FailureOr<NpyArray> array = copyOut(words, spec, i, error);
      if (failed(array))
        ok = false;
      else
        results->push_back(std::move(*array));
    }
  }
  pos = 0;
  for (const TensorSpec &spec : signature.results) {
    intptr_t allocated = resultWords[pos];
    pos += getDescriptorWords(spec.shape.size());
    if (allocated == 0 || allocated == kGlobalMemrefAllocated ||
        callerOwned.contains(allocated) || !freed.insert(allocated).second)
      continue;
    std::free(reinterpret_cast<void *>(allocated));
  }
  if (!ok)
    return llvm::createStringError(llvm::inconvertibleErrorCode(), error);
  return llvm::Error::success();
}

//===----------------------------------------------------------------------===//
// Inputs and outputs
//===----------------------------------------------------------------------===//

/// Deterministic across standard libraries (unlike std::*_distribution).
static NpyArray makeRandomInput(const TensorSpec &spec, std::mt19937_64 &rng) {
  NpyArray array(spec.dtype, spec.shape);
  int64_t n = array.getNumElements();
  char *data = array.data.data();
  auto uniform = [&]() {
    // A double in [-1, 1).
    return static_cast<double>(rng() >> 11) * 0x1.0p-52 - 1.0;
  };
  auto smallInt = [&](int64_t lo, int64_t hi) {
    return lo +
           static_cast<int64_t>(rng() % static_cast<uint64_t>(hi - lo + 1));
  };
  auto store = [&](int64_t i, auto value) {
    std::memcpy(data + i * sizeof(value), &value, sizeof(value));
  };
  for (int64_t i = 0; i < n; ++i) {
    switch (spec.dtype) {
    case NpyDType::F32:
      store(i, static_cast<float>(uniform()));
      break;
    case NpyDType::F64:
      store(i, uniform());
      break;
    case NpyDType::F16:
      store(i, floatToHalf(static_cast<float>(uniform())));
      break;
    case NpyDType::BF16:
      store(i, floatToBF16(static_cast<float>(uniform())));
      break;
    case NpyDType::Bool:
      store(i, static_cast<uint8_t>(smallInt(0, 1)));
      break;
    case NpyDType::I8:
      store(i, static_cast<int8_t>(smallInt(-8, 8)));
      break;
    case NpyDType::U8:
      store(i, static_cast<uint8_t>(smallInt(0, 15)));
      break;
    case NpyDType::I16:
      store(i, static_cast<int16_t>(smallInt(-8, 8)));
      break;
    case NpyDType::U16:
      store(i, static_cast<uint16_t>(smallInt(0, 15)));
      break;
    case NpyDType::I32:
      store(i, static_cast<int32_t>(smallInt(-8, 8)));
      break;
    case NpyDType::U32:
      store(i, static_cast<uint32_t>(smallInt(0, 15)));
      break;
    case NpyDType::I64:
      store(i, static_cast<int64_t>(smallInt(-8, 8)));
      break;
    case NpyDType::U64:
      store(i, static_cast<uint64_t>(smallInt(0, 15)));
      break;
    }
  }
  return array;
}

/// Reads and checks the --input files against the signature.
static LogicalResult readInputs(const Signature &signature,
                                SmallVectorImpl<NpyArray> &inputs) {
  if (inputFiles.empty()) {
    std::mt19937_64 rng(randomSeed);
    for (const TensorSpec &spec : signature.inputs)
      inputs.push_back(makeRandomInput(spec, rng));
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
        ArrayRef<int64_t>(array->shape) != ArrayRef<int64_t>(spec.shape)) {
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

namespace {
/// A pass manager on builtin.module honouring the --mlir-* pass flags.
struct ModulePassManager : public PassManager {
  explicit ModulePassManager(MLIRContext *context)
      : PassManager(context, ModuleOp::getOperationName()) {
    (void)applyPassManagerCLOptions(*this);
  }
};
} // namespace

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

/// Makes `entry` callable from the JIT even if it is private.
static void exposeEntry(ModuleOp module) {
  if (auto func = module.lookupSymbol<func::FuncOp>(entryName)) {
    func.setPublic();
    func->setAttr(LLVM::LLVMDialect::getEmitCWrapperAttrName(),
                  UnitAttr::get(module.getContext()));
  }
}

//===----------------------------------------------------------------------===//
// Calibration
//===----------------------------------------------------------------------===//

/// The samples of --calibrate: each a list of arguments.
static FailureOr<std::vector<SmallVector<NpyArray>>>
readCalibrationSamples(const Signature &signature) {
  unsigned numArgs = signature.inputs.size();
  SmallVector<NpyArray> arrays;
  SmallVector<std::string> names;
  for (const std::string &path : calibrateInputs) {
    if (StringRef(path).ends_with(".npz")) {
      auto entries = readNpz(path);
      if (!entries) {
        fail("--calibrate: " + toString(entries.takeError()));
        return failure();
      }
      for (auto &[name, array] : *entries) {
        names.push_back(path + ":" + name);
        arrays.push_back(std::move(array));
      }
      continue;
    }
    llvm::Expected<NpyArray> array = readNpy(path);
    if (!array) {
      fail("--calibrate: " + toString(array.takeError()));
      return failure();
    }
    names.push_back(path);
    arrays.push_back(std::move(*array));
  }
  if (numArgs == 0 || arrays.size() % numArgs != 0) {
    fail("--calibrate: @" + entryName + " takes " + llvm::Twine(numArgs) +
         " argument(s); got " + llvm::Twine(arrays.size()) +
         " array(s), which is not a whole number of samples");
    return failure();
  }
  std::vector<SmallVector<NpyArray>> samples;
  for (size_t g = 0; g < arrays.size(); g += numArgs) {
    // Each group holds one array per argument: the argument's shape (one
    // sample) or [S, ...shape] (S samples).
    int64_t count = -1;
    for (unsigned a = 0; a < numArgs; ++a) {
      const NpyArray &array = arrays[g + a];
      const TensorSpec &spec = signature.inputs[a];
      ArrayRef<int64_t> shape(array.shape);
      int64_t s = 0;
      if (shape == ArrayRef<int64_t>(spec.shape))
        s = 1;
      else if (shape.size() == spec.shape.size() + 1 &&
               shape.drop_front() == ArrayRef<int64_t>(spec.shape))
        s = shape.front();
      if (s == 0 || !isNpyDTypeCompatible(array.dtype, spec.elementType)) {
        fail("--calibrate: '" + names[g + a] + "' holds a " +
             array.getTypeString() + " array, but argument #" + llvm::Twine(a) +
             " of @" + entryName + " is " + typeToString(spec.type) +
             " (samples may be stacked along a new leading dim)");
        return failure();
      }
      if (count >= 0 && s != count) {
        fail("--calibrate: the arrays of one sample group hold different "
             "numbers of samples (" +
             llvm::Twine(count) + " and " + llvm::Twine(s) + ")");
        return failure();
      }
      count = s;
    }
    for (int64_t i = 0; i < count; ++i) {
      SmallVector<NpyArray> sample;
      for (unsigned a = 0; a < numArgs; ++a) {
        const NpyArray &array = arrays[g + a];
        const TensorSpec &spec = signature.inputs[a];
        NpyArray one(spec.dtype, spec.shape);
        size_t bytes = one.data.size();
        std::memcpy(one.data.data(), array.data.data() + i * bytes, bytes);
        sample.push_back(std::move(one));
      }
      samples.push_back(std::move(sample));
    }
  }
  return samples;
}

/// --calibrate: returns every observed op's input as an extra result of the
/// entry, runs the samples twice (ranges, then histograms and rows) and
/// writes the statistics.
static int runCalibration(MLIRContext &context, ModuleOp module) {
  if (calibrationOut.empty())
    return fail("--calibrate needs --calibration-out <stats.json>");
  auto func = module.lookupSymbol<func::FuncOp>(entryName);
  FailureOr<Signature> original = getSignature(func);
  if (failed(original))
    return 1;
  FailureOr<std::vector<SmallVector<NpyArray>>> samples =
      readCalibrationSamples(*original);
  if (failed(samples))
    return 1;
  SmallVector<std::string> keys;
  SmallVector<Value> observed;
  forEachQuantizableOp(func, [&](Operation *op, StringRef key) {
    keys.push_back(key.str());
    observed.push_back(op->getOperand(0));
  });
  if (keys.empty())
    return fail("--calibrate: @" + entryName +
                " has no effc.linear or effc.conv2d with a float input to "
                "observe (raise the model first, e.g. --pipeline effc-raise)");
  for (auto [key, value] : llvm::zip(keys, observed)) {
    auto type = dyn_cast<RankedTensorType>(value.getType());
    if (!type || !type.hasStaticShape() || type.getRank() == 0 ||
        !type.getElementType().isF32())
      return fail("--calibrate: the input of '" + key +
                  "' must be a static f32 tensor");
  }
  auto ret = cast<func::ReturnOp>(func.getBody().back().getTerminator());
  unsigned numResults = ret.getNumOperands();
  ret->insertOperands(numResults, observed);
  SmallVector<Type> resultTypes(ret.getOperandTypes());
  func.setFunctionType(FunctionType::get(
      &context, func.getFunctionType().getInputs(), resultTypes));
  FailureOr<Signature> signature = getSignature(func);
  if (failed(signature))
    return 1;
  ModulePassManager cpuPM(&context);
  buildCpuPipeline(cpuPM, CpuPipelineOptions());
  if (failed(cpuPM.run(module)))
    return fail("lowering " + inputFilename + " for calibration failed");
  FailureOr<std::unique_ptr<CompiledEntry>> compiled =
      CompiledEntry::create(module, entryName, *signature, "cpu");
  if (failed(compiled))
    return 1;

  CalibrationStats stats;
  for (const std::string &key : keys)
    stats[key];
  std::vector<float> values;
  auto visit = [&](bool histogram) -> LogicalResult {
    for (const SmallVector<NpyArray> &sample : *samples) {
      SmallVector<NpyArray> results;
      double ms;
      if (llvm::Error err = (*compiled)->run(sample, &results, ms)) {
        fail(std::move(err));
        return failure();
      }
      for (auto [j, key] : llvm::enumerate(keys)) {
        const NpyArray &a = results[numResults + j];
        values.resize(a.getNumElements());
        for (int64_t i = 0, e = a.getNumElements(); i < e; ++i)
          values[i] = float(a.getAsDouble(i));
        ActivationStats &s = stats[key];
        if (histogram)
          s.observeHistogram(values.data(), values.size(), a.shape.back());
        else
          s.observeRange(values.data(), values.size());
      }
    }
    return success();
  };
  if (failed(visit(false)))
    return 1;
  for (auto &it : stats)
    it.second.startHistogram();
  if (failed(visit(true)))
    return 1;
  for (auto &it : stats)
    it.second.finish();
  if (llvm::Error err = writeCalibrationStats(calibrationOut, stats))
    return fail(std::move(err));
  llvm::outs() << "effc-run: calibrated " << keys.size() << " op(s) of @"
               << entryName << " on " << samples->size() << " sample(s) -> "
               << calibrationOut << "\n";
  llvm::outs().flush();
  return 0;
}

static int runMain() {
  if (targetName == "cuda") {
    if (!EFFC_ENABLE_GPU)
      return fail("--target cuda: this effc was built without the GPU target "
                  "(the CUDA toolkit was not found at configure time)");
    llvm::Expected<CudaRuntime> runtime = loadCudaRuntime(getCudaRuntimePath());
    if (!runtime)
      return fail("--target cuda: " + toString(runtime.takeError()));
    cudaRuntime = *runtime;
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
  FailureOr<Signature> signature = getSignature(entry);
  if (failed(signature))
    return 1;

  // Check the inputs and outputs before spending time on compilation.
  if (!outputFiles.empty() && outputFiles.size() != signature->results.size())
    return fail("@" + entryName + " returns " +
                llvm::Twine(signature->results.size()) + " result(s), but " +
                llvm::Twine(outputFiles.size()) +
                " --output file(s) were given");
  SmallVector<NpyArray> inputs;
  if (failed(readInputs(*signature, inputs)))
    return 1;

  OwningOpRef<ModuleOp> referenceModule;
  if (compareToReference)
    referenceModule = module->clone();

  // The user's pipeline, then the target lowering.
  exposeEntry(*module);
  if (!userPipeline.empty()) {
    ModulePassManager pm(&context);
    if (failed(addUserPipeline(pm)))
      return 1;
    if (failed(pm.run(*module)))
      return fail("--pipeline failed on " + inputFilename);
    if (auto lowered = module->lookupSymbol<func::FuncOp>(entryName)) {
      FailureOr<Signature> after = getSignature(lowered);
      if (failed(after))
        return 1;
      if (!(*after == *signature))
        return fail("--pipeline changed the signature of @" + entryName +
                    " from " + typeToString(entry.getFunctionType()) + " to " +
                    typeToString(lowered.getFunctionType()));
    }
    exposeEntry(*module);
  }
  if (!calibrateInputs.empty())
    return runCalibration(context, *module);
  ModulePassManager targetPM(&context);
#if EFFC_ENABLE_GPU
  if (cudaRuntime) {
    GpuPipelineOptions gpuOptions;
    gpuOptions.chip = gpuChip.empty() ? cudaRuntime->chip : gpuChip.getValue();
    buildGpuPipeline(targetPM, gpuOptions);
  } else
#endif
    buildCpuPipeline(targetPM, CpuPipelineOptions());
  if (failed(targetPM.run(*module)))
    return fail("lowering " + inputFilename + " for target '" + targetName +
                "' failed");

  FailureOr<std::unique_ptr<CompiledEntry>> compiled =
      CompiledEntry::create(*module, entryName, *signature, targetName);
  if (failed(compiled))
    return 1;

  SmallVector<NpyArray> results;
  double ms;
  if (llvm::Error err = (*compiled)->run(inputs, &results, ms))
    return fail(std::move(err));
  if (cudaRuntime)
    if (const char *error = cudaRuntime->takeError())
      return fail(Twine("--target cuda: ") + error);

  if (!outputFiles.empty()) {
    for (auto [path, result] : llvm::zip_equal(outputFiles, results))
      if (llvm::Error err = writeNpy(path, result))
        return fail(std::move(err));
  } else {
    for (auto [i, spec, result] : llvm::enumerate(signature->results, results))
      printSummary(llvm::outs(), i, spec, result);
  }

  if (compareToReference) {
    exposeEntry(*referenceModule);
    ModulePassManager referencePM(&context);
    buildReferencePipeline(referencePM);
    if (failed(referencePM.run(*referenceModule)))
      return fail("the reference lowering of " + inputFilename + " failed");
    FailureOr<std::unique_ptr<CompiledEntry>> reference = CompiledEntry::create(
        *referenceModule, entryName, *signature, "reference");
    if (failed(reference))
      return 1;
    SmallVector<NpyArray> expected;
    if (llvm::Error err = (*reference)->run(inputs, &expected, ms))
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
    if (llvm::Error err = (*compiled)->run(inputs, nullptr, ms))
      return fail(std::move(err));
    SmallVector<double> times;
    for (unsigned i = 0; i < benchIters; ++i) {
      if (llvm::Error err = (*compiled)->run(inputs, nullptr, ms))
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

/// Linux gives a process AMX tile state only on request; the int8 kernels
/// use AMX tiles on CPUs that have them. Harmless where unsupported.
static void requestAmxTiles() {
#if defined(__linux__) && defined(__x86_64__)
  constexpr long kArchReqXcompPerm = 0x1023, kXfeatureXtiledata = 18;
  (void)syscall(SYS_arch_prctl, kArchReqXcompPerm, kXfeatureXtiledata);
#endif
}

int main(int argc, char **argv) {
  keepFreedBuffers();
  requestAmxTiles();
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

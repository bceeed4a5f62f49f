//===- JitRunner.cpp - call MLIR functions in a JIT -------------*- C++ -*-===//
//
// Descriptors are upstream's StridedMemRefType<char, N> (the element size
// does not matter to a descriptor: offsets and strides count elements),
// instantiated for every rank up to kMaxJitRank and picked at run time.
//
//===----------------------------------------------------------------------===//

#include "effc/Runtime/JitRunner.h"

#include "effc/Config.h"
#include "effc/Dialect/EffcDialect.h"
#include "effc/Pipelines/Pipelines.h"
#include "effc/Support/FloatBits.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/ExecutionEngine/CRunnerUtils.h"
#include "mlir/ExecutionEngine/ExecutionEngine.h"
#include "mlir/ExecutionEngine/OptUtils.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/Pass/PassManager.h"

#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ExecutionEngine/Orc/JITTargetMachineBuilder.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MathExtras.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/TargetParser/Host.h"

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <random>
#include <type_traits>
#if defined(__linux__)
#include <sys/syscall.h>
#include <unistd.h>
#endif

using namespace mlir;
using namespace mlir::effc;

static llvm::Error makeError(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

static std::string typeToString(Type type) {
  std::string result;
  llvm::raw_string_ostream os(result);
  type.print(os);
  return result;
}

//===----------------------------------------------------------------------===//
// The entry signature
//===----------------------------------------------------------------------===//

bool TensorSpec::isDynamic() const {
  return llvm::any_of(shape, ShapedType::isDynamic);
}

bool TensorSpec::matches(ArrayRef<int64_t> other) const {
  if (other.size() != shape.size())
    return false;
  for (auto [want, have] : llvm::zip_equal(shape, other))
    if (!ShapedType::isDynamic(want) && want != have)
      return false;
  return true;
}

int64_t TensorSpec::getNumElements() const {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

FailureOr<EntrySignature> mlir::effc::getEntrySignature(func::FuncOp func,
                                                        bool allowDynamic) {
  EntrySignature signature;
  auto convert = [&](Type type, StringRef what, unsigned index,
                     SmallVectorImpl<TensorSpec> &specs) -> LogicalResult {
    auto shaped = dyn_cast<ShapedType>(type);
    bool ok = shaped && (isa<RankedTensorType>(type) ||
                         (isa<MemRefType>(type) &&
                          cast<MemRefType>(type).getLayout().isIdentity()));
    if (!ok || (!allowDynamic && !shaped.hasStaticShape()))
      return emitError(func.getLoc())
             << what << " #" << index << " of @" << func.getSymName()
             << " has type " << type
             << (ok ? "; dynamic dims are taken by effc-run, not yet by "
                      "calibration, effc-compile's ABI or the C API"
                    : "; entry points take ranked tensors");
    if (shaped.getRank() > kMaxJitRank)
      return emitError(func.getLoc())
             << what << " #" << index << " of @" << func.getSymName()
             << " has rank " << shaped.getRank() << "; entry points take ranks "
             << "up to " << kMaxJitRank;
    std::optional<NpyDType> dtype = getNpyDTypeFor(shaped.getElementType());
    if (!dtype)
      return emitError(func.getLoc())
             << what << " #" << index << " of @" << func.getSymName()
             << " has element type " << shaped.getElementType()
             << ", which has no .npy equivalent (supported: f32, f16, bf16, "
                "f64, i1, i8, i16, i32, i64 and their unsigned forms)";
    // Far beyond any machine's memory; also keeps the byte counts from
    // overflowing.
    constexpr int64_t kMaxBytes = int64_t(1) << 46;
    int64_t numElements = 1;
    bool tooLarge = false;
    for (int64_t dim : shaped.getShape())
      if (!ShapedType::isDynamic(dim))
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
// Random inputs
//===----------------------------------------------------------------------===//

static NpyArray makeRandomArray(const TensorSpec &spec, std::mt19937_64 &rng) {
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

SmallVector<NpyArray>
mlir::effc::makeRandomInputs(const EntrySignature &signature, uint64_t seed,
                             int64_t dynamicSize) {
  std::mt19937_64 rng(seed);
  SmallVector<NpyArray> inputs;
  for (TensorSpec spec : signature.inputs) {
    for (int64_t &d : spec.shape)
      if (ShapedType::isDynamic(d))
        d = dynamicSize;
    inputs.push_back(makeRandomArray(spec, rng));
  }
  return inputs;
}

//===----------------------------------------------------------------------===//
// Set-up
//===----------------------------------------------------------------------===//

void mlir::effc::exposeEntry(ModuleOp module, StringRef entry) {
  if (auto func = module.lookupSymbol<func::FuncOp>(entry)) {
    func.setPublic();
    func->setAttr(LLVM::LLVMDialect::getEmitCWrapperAttrName(),
                  UnitAttr::get(module.getContext()));
  }
}

const HostCpu &mlir::effc::setUpHostCpu() {
  static const HostCpu host = [] {
    HostCpu cpu;
    llvm::StringMap<bool> features = llvm::sys::getHostCPUFeatures();
    cpu.hasAmx = features.lookup("amx-tile");
#if defined(__linux__) && defined(__x86_64__)
    constexpr long kArchReqXcompPerm = 0x1023, kXfeatureXtiledata = 18;
    if (cpu.hasAmx)
      cpu.amxEnabled =
          syscall(SYS_arch_prctl, kArchReqXcompPerm, kXfeatureXtiledata) == 0;
#endif
    return cpu;
  }();
  return host;
}

StringRef mlir::effc::getJitTargetName(JitTarget target) {
  switch (target) {
  case JitTarget::Cpu:
    return "cpu";
  case JitTarget::Reference:
    return "reference";
  case JitTarget::Cuda:
    return "cuda";
  }
  llvm_unreachable("unknown JitTarget");
}

char JitDeviceError::ID = 0;

void JitDeviceError::log(llvm::raw_ostream &os) const { os << message; }

std::error_code JitDeviceError::convertToErrorCode() const {
  return llvm::inconvertibleErrorCode();
}

//===----------------------------------------------------------------------===//
// Descriptors
//===----------------------------------------------------------------------===//

/// Calls `fn(std::integral_constant<int, N>())` for `rank` == N, so that a
/// rank known at run time selects a StridedMemRefType<char, N>.
template <int N = 0, typename Fn> static auto withRank(unsigned rank, Fn &&fn) {
  if constexpr (N == kMaxJitRank) {
    assert(rank == N && "rank above kMaxJitRank");
    return fn(std::integral_constant<int, N>());
  } else {
    if (rank == N)
      return fn(std::integral_constant<int, N>());
    return withRank<N + 1>(rank, std::forward<Fn>(fn));
  }
}

/// Describes a dense row-major buffer.
static std::shared_ptr<void> makeDescriptor(char *data,
                                            ArrayRef<int64_t> shape) {
  return withRank(shape.size(), [&](auto rank) -> std::shared_ptr<void> {
    constexpr int kRank = decltype(rank)::value;
    auto desc = std::make_shared<StridedMemRefType<char, kRank>>();
    desc->basePtr = desc->data = data;
    desc->offset = 0;
    if constexpr (kRank > 0) {
      int64_t stride = 1;
      for (int d = kRank - 1; d >= 0; --d) {
        desc->sizes[d] = shape[d];
        desc->strides[d] = stride;
        stride *= shape[d];
      }
    }
    return desc;
  });
}

static size_t getDescriptorSize(unsigned rank) {
  return withRank(rank, [](auto r) {
    return sizeof(StridedMemRefType<char, decltype(r)::value>);
  });
}

/// A view of the descriptor of rank `rank` at `desc`.
static DynamicMemRefType<char> viewDescriptor(const void *desc, unsigned rank) {
  return withRank(rank, [&](auto r) {
    using Desc = StridedMemRefType<char, decltype(r)::value>;
    return DynamicMemRefType<char>(*static_cast<const Desc *>(desc));
  });
}

/// Copies the memref `view` into a dense array, following its offset and
/// strides.
static llvm::Expected<NpyArray> copyOut(const DynamicMemRefType<char> &view,
                                        const TensorSpec &spec,
                                        unsigned index) {
  unsigned rank = spec.shape.size();
  ArrayRef<int64_t> sizes(view.sizes, rank);
  ArrayRef<int64_t> strides(view.strides, rank);
  if (!spec.matches(sizes))
    return makeError(
        "result #" + llvm::Twine(index) + " came back with shape [" +
        llvm::join(
            llvm::map_range(sizes, [](int64_t s) { return std::to_string(s); }),
            ", ") +
        "], expected " + typeToString(spec.type));
  // Dynamic dims take the sizes the callee returned.
  NpyArray array(spec.dtype, SmallVector<int64_t>(sizes));
  int64_t numElements = array.getNumElements();
  if (numElements == 0)
    return array;
  if (!view.data)
    return makeError("result #" + llvm::Twine(index) +
                     " came back as a null buffer");
  unsigned elementSize = array.getElementSize();
  bool contiguous = true;
  int64_t expectedStride = 1;
  for (int i = static_cast<int>(rank) - 1; i >= 0; --i) {
    if (sizes[i] != 1 && strides[i] != expectedStride)
      contiguous = false;
    expectedStride *= sizes[i];
  }
  const char *base = view.data + view.offset * elementSize;
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

//===----------------------------------------------------------------------===//
// The runner
//===----------------------------------------------------------------------===//

/// A zero-filled, 64-byte aligned buffer the runner owns, with a descriptor
/// of the spec's shape over it.
struct JitRunner::Buffer {
  static llvm::Expected<std::unique_ptr<Buffer>>
  allocate(const TensorSpec &spec) {
    auto buffer = std::make_unique<Buffer>();
    buffer->size = spec.getNumElements() * getNpyDTypeSize(spec.dtype);
    buffer->data.reset(static_cast<char *>(std::aligned_alloc(
        64, llvm::alignTo(std::max<size_t>(buffer->size, 1), 64))));
    if (!buffer->data)
      return makeError("out of memory allocating " + llvm::Twine(buffer->size) +
                       " bytes");
    std::memset(buffer->data.get(), 0, buffer->size);
    buffer->descriptor = makeDescriptor(buffer->data.get(), spec.shape);
    return buffer;
  }

  struct Free {
    void operator()(char *ptr) const { std::free(ptr); }
  };
  std::unique_ptr<char, Free> data;
  size_t size = 0;
  std::shared_ptr<void> descriptor;
};

JitRunner::~JitRunner() = default;

/// The shared libraries the lowered code may call into: the CUDA runtime
/// (--target cuda), the MLIR runner utilities (memrefCopy, ...) and the
/// OpenMP runtime of the CPU kernels.
static SmallVector<std::string>
getSharedLibs(const std::optional<CudaRuntime> &cuda) {
  SmallVector<std::string> libs;
  if (cuda)
    libs.push_back(cuda->path);
  for (StringRef name :
       {"libmlir_c_runner_utils.so", "libmlir_runner_utils.so", "libomp.so"}) {
    SmallString<128> path(EFFC_LLVM_LIB_DIR);
    llvm::sys::path::append(path, name);
    if (llvm::sys::fs::exists(path))
      libs.push_back(std::string(path));
  }
  return libs;
}

void mlir::effc::buildJitPipeline(OpPassManager &pm,
                                  const JitOptions &options) {
  switch (options.target) {
  case JitTarget::Cpu: {
    CpuPipelineOptions cpuOptions;
    cpuOptions.cpu = options.cpu;
    std::string features = options.targetFeatures;
    const HostCpu &host = setUpHostCpu();
    if (host.hasAmx && !host.amxEnabled)
      features += std::string(features.empty() ? "" : ",") +
                  "-amx-tile,-amx-int8,-amx-bf16";
    cpuOptions.targetFeatures = features;
    cpuOptions.reference = options.plainCpuLowering;
    buildCpuPipeline(pm, cpuOptions);
    return;
  }
  case JitTarget::Reference:
    buildReferencePipeline(pm);
    return;
  case JitTarget::Cuda: {
#if EFFC_ENABLE_GPU
    GpuPipelineOptions gpuOptions;
    if (!options.gpuChip.empty())
      gpuOptions.chip = options.gpuChip;
    else if (options.cudaRuntime)
      gpuOptions.chip = options.cudaRuntime->chip;
    buildGpuPipeline(pm, gpuOptions);
#endif
    return;
  }
  }
}

llvm::Expected<std::unique_ptr<JitRunner>>
JitRunner::create(ModuleOp module, StringRef entry, const JitOptions &options) {
  auto func = module.lookupSymbol<func::FuncOp>(entry);
  if (!func || func.isExternal())
    return makeError(options.moduleName + ": no function @" + entry +
                     (func ? " with a body" : "") + " to run");
  FailureOr<EntrySignature> signature =
      getEntrySignature(func, /*allowDynamic=*/true);
  if (failed(signature))
    return makeError("@" + entry +
                     " takes or returns values the JIT cannot pass");

  if (options.target == JitTarget::Cuda && !EFFC_ENABLE_GPU)
    return makeError("this effc was built without the GPU target (the CUDA "
                     "toolkit was not found at configure time)");
  JitOptions resolved = options;
  if (resolved.target == JitTarget::Cuda && !resolved.cudaRuntime) {
    llvm::Expected<CudaRuntime> runtime = loadCudaRuntime(getCudaRuntimePath());
    if (!runtime)
      return runtime.takeError();
    resolved.cudaRuntime = std::move(*runtime);
  }

  exposeEntry(module, entry);
  PassManager pm(module.getContext(), ModuleOp::getOperationName());
  if (options.configurePassManager)
    options.configurePassManager(pm);
  buildJitPipeline(pm, resolved);
  if (failed(pm.run(module))) {
    if (resolved.target == JitTarget::Reference)
      return makeError("the reference lowering of " + options.moduleName +
                       " failed");
    return makeError("lowering " + options.moduleName + " for target '" +
                     getJitTargetName(resolved.target) + "' failed");
  }
  return createLowered(module, entry, std::move(*signature), resolved);
}

llvm::Expected<std::unique_ptr<JitRunner>>
JitRunner::createLowered(ModuleOp module, StringRef entry,
                         EntrySignature signature, const JitOptions &options) {
  setUpHostCpu();
  llvm::InitializeNativeTarget();
  llvm::InitializeNativeTargetAsmPrinter();
  StringRef what = getJitTargetName(options.target);
  std::string cifaceName = ("_mlir_ciface_" + entry).str();
  auto ciface = module.lookupSymbol<LLVM::LLVMFuncOp>(cifaceName);
  auto impl = module.lookupSymbol<LLVM::LLVMFuncOp>(entry);
  if (!ciface || !impl)
    return makeError(what + " lowering of @" + entry +
                     " did not produce an llvm.func with a C interface (@" +
                     cifaceName + ")");

  std::unique_ptr<JitRunner> runner(new JitRunner());
  runner->entry = entry.str();
  runner->signature = std::move(signature);
  runner->cudaRuntime = options.cudaRuntime;
  const EntrySignature &sig = runner->signature;
  unsigned numInputs = sig.inputs.size();
  unsigned numResults = sig.results.size();
  unsigned numArgs = ciface.getFunctionType().getNumParams();
  bool returnsVoid =
      isa<LLVM::LLVMVoidType>(impl.getFunctionType().getReturnType());
  // Returned results come first in the C interface, as one pointer to the
  // struct of all result descriptors.
  if (numResults == 0 && numArgs == numInputs)
    runner->resultsAsOutParams = false;
  else if (numResults > 0 && !returnsVoid && numArgs == numInputs + 1)
    runner->resultsAsOutParams = false;
  else if (numResults > 0 && returnsVoid && numArgs == numInputs + numResults)
    runner->resultsAsOutParams = true;
  else
    return makeError(what + " lowering of @" + entry +
                     " has a C interface with " + llvm::Twine(numArgs) +
                     " arguments; expected one per input plus the results");

  auto jtmb = llvm::orc::JITTargetMachineBuilder::detectHost();
  if (!jtmb)
    return jtmb.takeError();
  jtmb->setCodeGenOptLevel(llvm::CodeGenOptLevel::Aggressive);
  auto tm = jtmb->createTargetMachine();
  if (!tm)
    return tm.takeError();
  SmallVector<std::string> libs = getSharedLibs(options.cudaRuntime);
  SmallVector<StringRef> libRefs(libs.begin(), libs.end());
  ExecutionEngineOptions engineOptions;
  engineOptions.transformer = makeOptimizingTransformer(
      /*optLevel=*/3, /*sizeLevel=*/0, tm->get());
  engineOptions.jitCodeGenOptLevel = llvm::CodeGenOptLevel::Aggressive;
  engineOptions.sharedLibPaths = libRefs;
  auto engine = ExecutionEngine::create(module, engineOptions, std::move(*tm));
  if (!engine)
    return makeError("JIT compilation of the " + what +
                     " module failed: " + toString(engine.takeError()));
  runner->engine = std::move(*engine);
  auto packed = runner->engine->lookupPacked(cifaceName);
  if (!packed)
    return makeError("JIT compilation of the " + what +
                     " module failed: " + toString(packed.takeError()));
  runner->packed = *packed;

  for (const TensorSpec &spec : sig.inputs) {
    // A dynamic input gets a buffer of each run's size.
    if (spec.isDynamic()) {
      runner->inputBuffers.push_back(nullptr);
      continue;
    }
    auto buffer = Buffer::allocate(spec);
    if (!buffer)
      return buffer.takeError();
    runner->inputBuffers.push_back(std::move(*buffer));
  }
  if (runner->resultsAsOutParams)
    for (const TensorSpec &spec : sig.results) {
      if (spec.isDynamic())
        return makeError(what + " lowering of @" + entry +
                         " passes a result with dynamic dims as an "
                         "out-parameter, whose size the caller cannot know");
      auto buffer = Buffer::allocate(spec);
      if (!buffer)
        return buffer.takeError();
      runner->outputBuffers.push_back(std::move(*buffer));
    }
  return std::move(runner);
}

/// The `allocated` pointer that memref.get_global lowers to: a constant
/// global, not heap memory.
static constexpr intptr_t kGlobalMemrefAllocated = 0xdeadbeef;

llvm::Error JitRunner::run(ArrayRef<NpyArray> inputs,
                           SmallVectorImpl<NpyArray> *outputs,
                           double *milliseconds) {
  if (inputs.size() != signature.inputs.size())
    return makeError("@" + entry + " takes " +
                     llvm::Twine(signature.inputs.size()) +
                     " argument(s), but " + llvm::Twine(inputs.size()) +
                     " array(s) were given");
  // Buffers of this run's sizes for the dynamic inputs.
  SmallVector<std::unique_ptr<Buffer>> runBuffers;
  SmallVector<Buffer *> buffers;
  for (auto [i, input, spec] : llvm::enumerate(inputs, signature.inputs)) {
    if (!spec.matches(input.shape) ||
        !(input.dtype == spec.dtype ||
          isNpyDTypeCompatible(input.dtype, spec.elementType)))
      return makeError("input #" + llvm::Twine(i) + " is a " +
                       input.getTypeString() + " array, but argument #" +
                       llvm::Twine(i) + " of @" + entry + " is " +
                       typeToString(spec.type));
    Buffer *buffer = inputBuffers[i].get();
    if (!buffer) {
      TensorSpec sized = spec;
      sized.shape.assign(input.shape.begin(), input.shape.end());
      auto fresh = Buffer::allocate(sized);
      if (!fresh)
        return fresh.takeError();
      runBuffers.push_back(std::move(*fresh));
      buffer = runBuffers.back().get();
    }
    if (input.getNumBytes() != buffer->size)
      return makeError("input #" + llvm::Twine(i) + " has " +
                       llvm::Twine(input.getNumBytes()) + " bytes, expected " +
                       llvm::Twine(buffer->size));
    buffers.push_back(buffer);
  }

  llvm::DenseSet<const void *> runnerOwned;
  SmallVector<void *> descriptors;
  for (auto [buffer, input] : llvm::zip_equal(buffers, inputs)) {
    std::memcpy(buffer->data.get(), input.data.data(), buffer->size);
    descriptors.push_back(buffer->descriptor.get());
    runnerOwned.insert(buffer->data.get());
  }
  for (const std::unique_ptr<Buffer> &buffer : outputBuffers) {
    std::memset(buffer->data.get(), 0, buffer->size);
    descriptors.push_back(buffer->descriptor.get());
    runnerOwned.insert(buffer->data.get());
  }

  // The struct of the returned result descriptors, each laid out as a
  // StridedMemRefType<char, rank>; all are multiples of 8 bytes, so the
  // struct has no padding.
  SmallVector<size_t> resultOffsets;
  size_t resultBytes = 0;
  if (!resultsAsOutParams)
    for (const TensorSpec &spec : signature.results) {
      resultOffsets.push_back(resultBytes);
      resultBytes += getDescriptorSize(spec.shape.size());
    }
  std::vector<int64_t> resultStruct(resultBytes / sizeof(int64_t), 0);
  void *resultPtr = resultStruct.data();

  // The packed interface takes one pointer per argument of the C wrapper;
  // those arguments are themselves pointers to descriptors.
  SmallVector<void *> args;
  if (!resultStruct.empty())
    args.push_back(&resultPtr);
  for (void *&desc : descriptors)
    args.push_back(&desc);

  auto start = std::chrono::steady_clock::now();
  packed(args.data());
  auto stop = std::chrono::steady_clock::now();
  if (milliseconds)
    *milliseconds =
        std::chrono::duration<double, std::milli>(stop - start).count();

  SmallVector<const void *> results;
  if (resultsAsOutParams)
    for (const std::unique_ptr<Buffer> &buffer : outputBuffers)
      results.push_back(buffer->descriptor.get());
  else
    for (size_t offset : resultOffsets)
      results.push_back(reinterpret_cast<const char *>(resultStruct.data()) +
                        offset);

  // Copy the results out, then free what the callee allocated: each
  // allocation once, never the runner's buffers or a constant global.
  llvm::Error error = llvm::Error::success();
  if (outputs)
    outputs->clear();
  for (auto [i, desc, spec] : llvm::enumerate(results, signature.results)) {
    if (!outputs || error)
      break;
    llvm::Expected<NpyArray> array =
        copyOut(viewDescriptor(desc, spec.shape.size()), spec, i);
    if (!array)
      error = array.takeError();
    else
      outputs->push_back(std::move(*array));
  }
  if (!resultsAsOutParams) {
    llvm::DenseSet<const void *> freed;
    for (auto [desc, spec] : llvm::zip_equal(results, signature.results)) {
      void *allocated = viewDescriptor(desc, spec.shape.size()).basePtr;
      if (!allocated ||
          reinterpret_cast<intptr_t>(allocated) == kGlobalMemrefAllocated ||
          runnerOwned.contains(allocated) || !freed.insert(allocated).second)
        continue;
      std::free(allocated);
    }
  }
  if (error)
    return error;
  if (cudaRuntime)
    if (const char *message = cudaRuntime->takeError())
      return llvm::make_error<JitDeviceError>(message);
  return llvm::Error::success();
}

llvm::Expected<JitResult> JitRunner::run(ArrayRef<NpyArray> inputs) {
  JitResult result;
  if (llvm::Error error = run(inputs, &result.outputs, &result.milliseconds))
    return std::move(error);
  return result;
}

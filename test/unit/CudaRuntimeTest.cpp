//===- CudaRuntimeTest.cpp - the CUDA runtime up to the device --*- C++ -*-===//
//
// Runs the host side of effc's CUDA runtime on machines without a GPU: the
// loader's errors, and, with the driver stub standing in for libcuda.so.1,
// every mgpu* entry point up to the driver call, which must fail cleanly
// (null handles, a recorded error) instead of crashing.
//
//===----------------------------------------------------------------------===//

#include "effc/Runtime/Cuda.h"
#include "effc/Runtime/CudaTensorMap.h"

#include "llvm/Support/DynamicLibrary.h"
#include "gtest/gtest.h"

#include <cstdint>
#include <dlfcn.h>

using namespace mlir::effc;

namespace {

TEST(CudaRuntime, MissingLibraryIsAnError) {
  llvm::Expected<CudaRuntime> rt = loadCudaRuntime("/nonexistent/libx.so");
  ASSERT_FALSE(static_cast<bool>(rt));
  std::string message = llvm::toString(rt.takeError());
  EXPECT_NE(message.find("does not exist"), std::string::npos) << message;
}

TEST(CudaRuntime, EmptyPathMeansNoToolkit) {
  llvm::Expected<CudaRuntime> rt = loadCudaRuntime("");
  ASSERT_FALSE(static_cast<bool>(rt));
  EXPECT_NE(llvm::toString(rt.takeError()).find("CUDA toolkit"),
            std::string::npos);
}

#if defined(EFFC_CUDA_RUNTIME_PATH) && defined(EFFC_CUDA_STUB)
/// Makes the runtime loadable: the real driver when installed, else the
/// toolkit's stub (whose SONAME is libcuda.so.1 too).
bool haveDriverOrStub(bool &isStub) {
  isStub = false;
  if (dlopen("libcuda.so.1", RTLD_NOW | RTLD_GLOBAL))
    return true;
  isStub = dlopen(EFFC_CUDA_STUB, RTLD_NOW | RTLD_GLOBAL) != nullptr;
  return isStub;
}

TEST(CudaRuntime, HostSideUpToTheDevice) {
  bool isStub;
  ASSERT_TRUE(haveDriverOrStub(isStub));
  llvm::Expected<CudaRuntime> rt = loadCudaRuntime(EFFC_CUDA_RUNTIME_PATH);
  if (!isStub) {
    // A real driver: the loader either finds a device or says why not.
    if (!rt) {
      EXPECT_NE(llvm::toString(rt.takeError()).find("no usable CUDA device"),
                std::string::npos);
    }
    return;
  }
  // The stub's cuInit fails: the probe reports it, nothing crashes.
  ASSERT_FALSE(static_cast<bool>(rt));
  std::string message = llvm::toString(rt.takeError());
  EXPECT_NE(message.find("no usable CUDA device"), std::string::npos)
      << message;

  std::string error;
  auto lib = llvm::sys::DynamicLibrary::getPermanentLibrary(
      EFFC_CUDA_RUNTIME_PATH, &error);
  ASSERT_TRUE(lib.isValid()) << error;
  auto sym = [&](const char *name) {
    void *p = lib.getAddressOfSymbol(name);
    EXPECT_NE(p, nullptr) << name;
    return p;
  };
  // Every function gpu-to-llvm host code calls is exported.
  for (const char *name :
       {"mgpuModuleLoad", "mgpuModuleLoadJIT", "mgpuModuleUnload",
        "mgpuModuleGetFunction", "mgpuLaunchKernel", "mgpuStreamCreate",
        "mgpuStreamDestroy", "mgpuStreamSynchronize", "mgpuStreamWaitEvent",
        "mgpuEventCreate", "mgpuEventDestroy", "mgpuEventSynchronize",
        "mgpuEventRecord", "mgpuMemAlloc", "mgpuMemFree", "mgpuMemcpy",
        "mgpuMemset32", "mgpuMemset16", "mgpuSetDefaultDevice",
        "effcCudaTensorMap2D", "effcCudaTensorMapArgs2D",
        "effcCudaDeviceChip"})
    sym(name);
  auto takeError = reinterpret_cast<const char *(*)()>(sym("effcCudaTakeError"));
  while (takeError()) {
  }
  auto streamCreate = reinterpret_cast<void *(*)()>(sym("mgpuStreamCreate"));
  auto memAlloc =
      reinterpret_cast<void *(*)(uint64_t, void *, bool)>(sym("mgpuMemAlloc"));
  auto moduleLoadJIT =
      reinterpret_cast<void *(*)(void *, int)>(sym("mgpuModuleLoadJIT"));
  auto getFunction = reinterpret_cast<void *(*)(void *, const char *)>(
      sym("mgpuModuleGetFunction"));
  auto launch = reinterpret_cast<void (*)(void *, intptr_t, intptr_t, intptr_t,
                                          intptr_t, intptr_t, intptr_t, int32_t,
                                          void *, void **, void **, size_t)>(
      sym("mgpuLaunchKernel"));
  EXPECT_EQ(streamCreate(), nullptr);
  const char *first = takeError();
  ASSERT_NE(first, nullptr);
  EXPECT_NE(std::string(first).find("cuStreamCreate failed"), std::string::npos)
      << first;
  EXPECT_EQ(takeError(), nullptr) << "errors are taken once";
  EXPECT_EQ(memAlloc(1024, nullptr, false), nullptr);
  char ptx[] = ".version 8.0\n.target sm_90\n.address_size 64\n";
  EXPECT_EQ(moduleLoadJIT(ptx, 2), nullptr);
  EXPECT_EQ(getFunction(nullptr, "k"), nullptr);
  launch(nullptr, 1, 1, 1, 32, 1, 1, 0, nullptr, nullptr, nullptr, 0);
  EXPECT_NE(takeError(), nullptr);
  // A valid tensor map request reaches the driver and fails there.
  auto tensorMap = reinterpret_cast<decltype(&effcCudaTensorMap2D)>(
      sym("effcCudaTensorMap2D"));
  alignas(16) static char buffer[16];
  EXPECT_EQ(tensorMap(buffer, 6, 256, 512, 1024, 128, 64, 128), nullptr);
  const char *mapError = takeError();
  ASSERT_NE(mapError, nullptr);
  EXPECT_NE(std::string(mapError).find("cuTensorMapEncodeTiled"),
            std::string::npos)
      << mapError;
  // An invalid one is refused before the driver, saying why.
  EXPECT_EQ(tensorMap(buffer, 6, 256, 500, 1000, 128, 64, 128), nullptr);
  mapError = takeError();
  ASSERT_NE(mapError, nullptr);
  EXPECT_NE(std::string(mapError).find("row stride (1000 bytes)"),
            std::string::npos)
      << mapError;
}

/// The arguments effc's sm_90a launch stubs hand to cuTensorMapEncodeTiled,
/// computed and checked without a device.
TEST(CudaRuntime, TensorMapEncodeArguments) {
  bool isStub;
  ASSERT_TRUE(haveDriverOrStub(isStub));
  std::string error;
  auto lib = llvm::sys::DynamicLibrary::getPermanentLibrary(
      EFFC_CUDA_RUNTIME_PATH, &error);
  ASSERT_TRUE(lib.isValid()) << error;
  auto argsOf = reinterpret_cast<decltype(&effcCudaTensorMapArgs2D)>(
      lib.getAddressOfSymbol("effcCudaTensorMapArgs2D"));
  ASSERT_NE(argsOf, nullptr);
  alignas(256) static char buffer[256];
  EffcTensorMapArgs args;
  char why[256];

  // The f16 P operand of a 300 x 520 GEMM tile: 128 rows x 64 elements
  // (128 bytes, the 128B swizzle span), innermost dimension first.
  ASSERT_EQ(argsOf(buffer, 6, 300, 520, 1040, 128, 64, 128, &args, why,
                   sizeof(why)),
            0)
      << why;
  EXPECT_EQ(args.dataType, 6);
  EXPECT_EQ(args.rank, 2u);
  EXPECT_EQ(args.globalDim[0], 520u);
  EXPECT_EQ(args.globalDim[1], 300u);
  EXPECT_EQ(args.globalStride, 1040u);
  EXPECT_EQ(args.boxDim[0], 64u);
  EXPECT_EQ(args.boxDim[1], 128u);
  EXPECT_EQ(args.elementStrides[0], 1u);
  EXPECT_EQ(args.elementStrides[1], 1u);
  EXPECT_EQ(args.swizzle, 3) << "CU_TENSOR_MAP_SWIZZLE_128B";
  // int8 moves as bytes: 128 elements per 128-byte box row.
  ASSERT_EQ(argsOf(buffer, 0, 256, 4096, 4096, 128, 128, 128, &args, why,
                   sizeof(why)),
            0)
      << why;
  EXPECT_EQ(args.boxDim[0], 128u);
  EXPECT_EQ(args.globalStride, 4096u);

  struct Bad {
    const void *base;
    int32_t type;
    int64_t rows, cols, stride;
    int32_t boxRows, boxCols, swizzle;
    const char *reason;
  };
  for (const Bad &bad : {
           Bad{buffer + 8, 6, 128, 64, 128, 128, 64, 128, "16-byte aligned"},
           Bad{buffer, 6, 128, 60, 120, 128, 64, 128, "multiple of 16"},
           Bad{buffer, 6, 128, 64, 64, 128, 64, 128, "holds a row"},
           Bad{buffer, 6, 128, 128, 256, 128, 128, 128, "swizzle span"},
           Bad{buffer, 6, 512, 64, 128, 512, 64, 128, "[1, 256]"},
           Bad{buffer, 6, 128, 64, 128, 128, 4, 0, "multiple of 16 bytes"},
           Bad{buffer, 6, 128, 64, 128, 128, 64, 96, "0, 32, 64 or 128"},
           Bad{buffer, 13, 128, 64, 128, 128, 64, 128, "data type 13"},
           Bad{buffer, 6, 0, 64, 128, 128, 64, 128, "[1, 2^32]"},
       }) {
    EXPECT_EQ(argsOf(bad.base, bad.type, bad.rows, bad.cols, bad.stride,
                     bad.boxRows, bad.boxCols, bad.swizzle, &args, why,
                     sizeof(why)),
              1)
        << bad.reason;
    EXPECT_NE(std::string(why).find(bad.reason), std::string::npos)
        << why << " (expected: " << bad.reason << ")";
  }
}
#endif

} // namespace

//===- CudaRuntimeTest.cpp - the CUDA runtime up to the device --*- C++ -*-===//
//
// Runs the host side of effc's CUDA runtime on machines without a GPU: the
// loader's errors, and, with the driver stub standing in for libcuda.so.1,
// every mgpu* entry point up to the driver call, which must fail cleanly
// (null handles, a recorded error) instead of crashing.
//
//===----------------------------------------------------------------------===//

#include "effc/Runtime/Cuda.h"

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
        "mgpuMemset32", "mgpuMemset16", "mgpuSetDefaultDevice"})
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
}
#endif

} // namespace

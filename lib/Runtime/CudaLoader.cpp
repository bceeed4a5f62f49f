//===- CudaLoader.cpp - load the CUDA runtime at run time -------*- C++ -*-===//

#include "effc/Runtime/Cuda.h"

#include "llvm/Support/DynamicLibrary.h"
#include "llvm/Support/FileSystem.h"

using namespace mlir;
using namespace mlir::effc;

std::string mlir::effc::getCudaRuntimePath() {
#ifdef EFFC_CUDA_RUNTIME_PATH
  return EFFC_CUDA_RUNTIME_PATH;
#else
  return "";
#endif
}

llvm::Expected<CudaRuntime> mlir::effc::loadCudaRuntime(const std::string &path) {
  auto error = [](const llvm::Twine &message) {
    return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
  };
  if (path.empty())
    return error("this build of effc has no CUDA runtime (the CUDA toolkit "
                 "was not found at configure time)");
  if (!llvm::sys::fs::exists(path))
    return error("the CUDA runtime '" + path + "' does not exist");
  std::string message;
  auto lib = llvm::sys::DynamicLibrary::getPermanentLibrary(path.c_str(),
                                                             &message);
  if (!lib.isValid())
    return error("cannot load the CUDA runtime: " + message +
                 " (is an NVIDIA driver installed? it provides libcuda.so.1)");
  CudaRuntime rt;
  rt.path = path;
  rt.probe = reinterpret_cast<int (*)(char *, size_t)>(
      lib.getAddressOfSymbol("effcCudaProbe"));
  rt.takeError = reinterpret_cast<const char *(*)()>(
      lib.getAddressOfSymbol("effcCudaTakeError"));
  if (!rt.probe || !rt.takeError)
    return error("'" + path + "' is not effc's CUDA runtime");
  char buffer[512] = {0};
  if (int code = rt.probe(buffer, sizeof(buffer)))
    return error("no usable CUDA device: " + llvm::Twine(buffer) +
                 " (CUDA error " + llvm::Twine(code) + ")");
  auto deviceChip = reinterpret_cast<int (*)(char *, size_t)>(
      lib.getAddressOfSymbol("effcCudaDeviceChip"));
  char chip[32] = {0};
  if (!deviceChip || deviceChip(chip, sizeof(chip)))
    return error("cannot query the compute capability of CUDA device 0");
  rt.chip = chip;
  return rt;
}

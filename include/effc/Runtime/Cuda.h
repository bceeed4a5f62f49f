//===- Cuda.h - the CUDA runtime of effc-run --target cuda ------*- C++ -*-===//
//
// effc's CUDA runtime is a shared library (libeffc_cuda_runtime.so, built
// when the CUDA toolkit is found) that implements, over the CUDA driver
// API, the `mgpu*` functions that `gpu-to-llvm` host code calls (module
// load, memory, copies, launches, streams). Tools load it at run time, so
// they start and run CPU code on machines without an NVIDIA driver.
//
//===----------------------------------------------------------------------===//

#ifndef EFFC_RUNTIME_CUDA_H
#define EFFC_RUNTIME_CUDA_H

#include "llvm/Support/Error.h"

#include <string>

extern "C" {
/// Initializes the driver and the primary context of device 0. Returns 0
/// when a device is usable, else writes why into `message` (at most
/// `size` bytes, NUL-terminated) and returns the CUDA error code.
int effcCudaProbe(char *message, size_t size);
/// Writes the chip of device 0 for --effc-lower-gpu ("sm_80", "sm_90a"
/// on compute capability 9.0, ...) into `chip`; 0 on success.
int effcCudaDeviceChip(char *chip, size_t size);
/// The first error an mgpu* call met since the last call (then cleared),
/// or null.
const char *effcCudaTakeError();
}

namespace mlir {
namespace effc {

/// The loaded runtime library.
struct CudaRuntime {
  std::string path;
  int (*probe)(char *, size_t) = nullptr;
  const char *(*takeError)() = nullptr;
  /// The chip of device 0, as --effc-lower-gpu names it.
  std::string chip;
};

/// Where the build put the runtime library; empty when effc was built
/// without the CUDA toolkit.
std::string getCudaRuntimePath();

/// Loads the runtime (and with it the driver, libcuda.so.1) and checks for
/// a device. Errors say what is missing: the runtime, the driver, or a
/// device.
llvm::Expected<CudaRuntime> loadCudaRuntime(const std::string &path);

} // namespace effc
} // namespace mlir

#endif // EFFC_RUNTIME_CUDA_H

//===- CudaRuntime.cpp - mgpu* functions over the CUDA driver ---*- C++ -*-===//
//
// The functions `gpu-to-llvm` host code calls, implemented over the CUDA
// driver API (libmlir_cuda_runtime.so is not shipped with Debian's MLIR).
// All work uses the primary context of device 0. Errors do not abort: the
// first one is kept for effcCudaTakeError() and printed to stderr, and the
// failing call returns a null handle.
//
//===----------------------------------------------------------------------===//

#include "effc/Runtime/CudaTensorMap.h"

#include <cuda.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <map>
#include <mutex>
#include <string>
#include <tuple>

#define EFFC_EXPORT extern "C" __attribute__((visibility("default")))

namespace {

std::mutex errorMutex;
std::string firstError;

void recordError(const char *what, CUresult result) {
  const char *name = nullptr;
  if (cuGetErrorName(result, &name) != CUDA_SUCCESS || !name)
    name = "unknown CUDA error";
  std::string message = std::string(what) + " failed: " + name + " (" +
                        std::to_string(static_cast<int>(result)) + ")";
  std::fprintf(stderr, "effc cuda runtime: %s\n", message.c_str());
  std::lock_guard<std::mutex> lock(errorMutex);
  if (firstError.empty())
    firstError = message;
}

/// Checks a driver call; false (and the error recorded) on failure.
bool check(const char *what, CUresult result) {
  if (result == CUDA_SUCCESS)
    return true;
  recordError(what, result);
  return false;
}

/// Makes the primary context of device 0 current; its result is cached.
CUresult ensureContext() {
  static CUresult status = [] {
    CUresult r = cuInit(0);
    if (r != CUDA_SUCCESS)
      return r;
    CUdevice device;
    if ((r = cuDeviceGet(&device, 0)) != CUDA_SUCCESS)
      return r;
    static CUcontext context;
    if ((r = cuDevicePrimaryCtxRetain(&context, device)) != CUDA_SUCCESS)
      return r;
    return cuCtxSetCurrent(context);
  }();
  if (status == CUDA_SUCCESS) {
    // Threads other than the first need the context current too.
    CUcontext current = nullptr;
    if (cuCtxGetCurrent(&current) == CUDA_SUCCESS && !current) {
      CUdevice device;
      CUcontext context;
      if (cuDeviceGet(&device, 0) == CUDA_SUCCESS &&
          cuDevicePrimaryCtxRetain(&context, device) == CUDA_SUCCESS)
        cuCtxSetCurrent(context);
    }
  }
  return status;
}

bool ready(const char *what) { return check(what, ensureContext()); }

} // namespace

EFFC_EXPORT int effcCudaProbe(char *message, size_t size) {
  CUresult r = ensureContext();
  if (r == CUDA_SUCCESS)
    return 0;
  const char *name = nullptr, *text = nullptr;
  if (r == CUDA_ERROR_STUB_LIBRARY) {
    // The stub cannot describe its own errors.
    name = "CUDA_ERROR_STUB_LIBRARY";
    text = "the toolkit's driver stub was loaded instead of a real driver";
  } else if (r == CUDA_ERROR_NO_DEVICE) {
    name = "CUDA_ERROR_NO_DEVICE";
    text = "no CUDA-capable device is detected";
  } else {
    cuGetErrorName(r, &name);
    cuGetErrorString(r, &text);
  }
  std::snprintf(message, size, "%s: %s", name ? name : "CUDA error",
                text ? text : "no description");
  return static_cast<int>(r);
}

EFFC_EXPORT int effcCudaDeviceChip(char *chip, size_t size) {
  if (!ready("cuDeviceGetAttribute"))
    return 1;
  CUdevice device;
  int major = 0, minor = 0;
  if (!check("cuDeviceGet", cuDeviceGet(&device, 0)) ||
      !check("cuDeviceGetAttribute",
             cuDeviceGetAttribute(
                 &major, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR,
                 device)) ||
      !check("cuDeviceGetAttribute",
             cuDeviceGetAttribute(
                 &minor, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR,
                 device)))
    return 1;
  // Hopper's wgmma and TMA are architecture-specific (sm_90a) features:
  // code for this very device may use them.
  std::snprintf(chip, size, "sm_%d%d%s", major, minor,
                major == 9 && minor == 0 ? "a" : "");
  return 0;
}

EFFC_EXPORT const char *effcCudaTakeError() {
  static thread_local std::string taken;
  std::lock_guard<std::mutex> lock(errorMutex);
  if (firstError.empty())
    return nullptr;
  taken = firstError;
  firstError.clear();
  return taken.c_str();
}

//===----------------------------------------------------------------------===//
// Modules and launches
//===----------------------------------------------------------------------===//

EFFC_EXPORT void *mgpuModuleLoad(void *data, size_t /*size*/) {
  CUmodule module = nullptr;
  if (!ready("cuModuleLoadData") ||
      !check("cuModuleLoadData", cuModuleLoadData(&module, data)))
    return nullptr;
  return module;
}

EFFC_EXPORT void *mgpuModuleLoadJIT(void *data, int optLevel) {
  CUmodule module = nullptr;
  if (!ready("cuModuleLoadDataEx"))
    return nullptr;
  char log[8192] = {0};
  CUjit_option options[] = {CU_JIT_ERROR_LOG_BUFFER,
                            CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES,
                            CU_JIT_OPTIMIZATION_LEVEL};
  void *values[] = {log, reinterpret_cast<void *>(sizeof(log)),
                    reinterpret_cast<void *>(static_cast<intptr_t>(optLevel))};
  CUresult r = cuModuleLoadDataEx(&module, data, 3, options, values);
  if (r != CUDA_SUCCESS) {
    if (log[0])
      std::fprintf(stderr, "effc cuda runtime: PTX JIT log:\n%s\n", log);
    recordError("cuModuleLoadDataEx (PTX JIT)", r);
    return nullptr;
  }
  return module;
}

EFFC_EXPORT void mgpuModuleUnload(void *module) {
  if (module)
    check("cuModuleUnload", cuModuleUnload(static_cast<CUmodule>(module)));
}

EFFC_EXPORT void *mgpuModuleGetFunction(void *module, const char *name) {
  CUfunction function = nullptr;
  if (!module) {
    recordError("cuModuleGetFunction (no module)", CUDA_ERROR_INVALID_HANDLE);
    return nullptr;
  }
  check("cuModuleGetFunction",
        cuModuleGetFunction(&function, static_cast<CUmodule>(module), name));
  return function;
}

EFFC_EXPORT void mgpuLaunchKernel(void *function, intptr_t gridX,
                                  intptr_t gridY, intptr_t gridZ,
                                  intptr_t blockX, intptr_t blockY,
                                  intptr_t blockZ, int32_t smem, void *stream,
                                  void **params, void **extra,
                                  size_t /*paramsCount*/) {
  if (!function) {
    recordError("cuLaunchKernel (no function)", CUDA_ERROR_INVALID_HANDLE);
    return;
  }
  if (smem > 48 * 1024)
    check("cuFuncSetAttribute",
          cuFuncSetAttribute(static_cast<CUfunction>(function),
                             CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES,
                             smem));
  check("cuLaunchKernel",
        cuLaunchKernel(static_cast<CUfunction>(function), gridX, gridY, gridZ,
                       blockX, blockY, blockZ, smem,
                       static_cast<CUstream>(stream), params, extra));
}

//===----------------------------------------------------------------------===//
// Streams and events
//===----------------------------------------------------------------------===//

EFFC_EXPORT void *mgpuStreamCreate() {
  CUstream stream = nullptr;
  if (ready("cuStreamCreate"))
    check("cuStreamCreate", cuStreamCreate(&stream, CU_STREAM_NON_BLOCKING));
  return stream;
}

EFFC_EXPORT void mgpuStreamDestroy(void *stream) {
  if (stream)
    check("cuStreamDestroy", cuStreamDestroy(static_cast<CUstream>(stream)));
}

EFFC_EXPORT void mgpuStreamSynchronize(void *stream) {
  if (stream)
    check("cuStreamSynchronize",
          cuStreamSynchronize(static_cast<CUstream>(stream)));
}

EFFC_EXPORT void mgpuStreamWaitEvent(void *stream, void *event) {
  check("cuStreamWaitEvent",
        cuStreamWaitEvent(static_cast<CUstream>(stream),
                          static_cast<CUevent>(event), 0));
}

EFFC_EXPORT void *mgpuEventCreate() {
  CUevent event = nullptr;
  if (ready("cuEventCreate"))
    check("cuEventCreate", cuEventCreate(&event, CU_EVENT_DISABLE_TIMING));
  return event;
}

EFFC_EXPORT void mgpuEventDestroy(void *event) {
  if (event)
    check("cuEventDestroy", cuEventDestroy(static_cast<CUevent>(event)));
}

EFFC_EXPORT void mgpuEventSynchronize(void *event) {
  check("cuEventSynchronize", cuEventSynchronize(static_cast<CUevent>(event)));
}

EFFC_EXPORT void mgpuEventRecord(void *event, void *stream) {
  check("cuEventRecord", cuEventRecord(static_cast<CUevent>(event),
                                       static_cast<CUstream>(stream)));
}

//===----------------------------------------------------------------------===//
// Memory
//===----------------------------------------------------------------------===//

EFFC_EXPORT void *mgpuMemAlloc(uint64_t sizeBytes, void * /*stream*/,
                               bool isHostShared) {
  if (!ready("cuMemAlloc") || sizeBytes == 0)
    return nullptr;
  CUdeviceptr ptr = 0;
  bool ok = isHostShared
                ? check("cuMemAllocManaged",
                        cuMemAllocManaged(&ptr, sizeBytes, CU_MEM_ATTACH_GLOBAL))
                : check("cuMemAlloc", cuMemAlloc(&ptr, sizeBytes));
  return ok ? reinterpret_cast<void *>(ptr) : nullptr;
}

EFFC_EXPORT void mgpuMemFree(void *ptr, void *stream) {
  if (!ptr)
    return;
  // Pending work on the stream may still use the buffer.
  if (stream)
    mgpuStreamSynchronize(stream);
  check("cuMemFree", cuMemFree(reinterpret_cast<CUdeviceptr>(ptr)));
}

EFFC_EXPORT void mgpuMemcpy(void *dst, void *src, size_t sizeBytes,
                            void *stream) {
  if (!sizeBytes)
    return;
  if (!dst || !src) {
    recordError("cuMemcpyAsync (null buffer)", CUDA_ERROR_INVALID_VALUE);
    return;
  }
  check("cuMemcpyAsync", cuMemcpyAsync(reinterpret_cast<CUdeviceptr>(dst),
                                       reinterpret_cast<CUdeviceptr>(src),
                                       sizeBytes,
                                       static_cast<CUstream>(stream)));
}

EFFC_EXPORT void mgpuMemset32(void *dst, unsigned int value, size_t count,
                              void *stream) {
  check("cuMemsetD32Async",
        cuMemsetD32Async(reinterpret_cast<CUdeviceptr>(dst), value, count,
                         static_cast<CUstream>(stream)));
}

EFFC_EXPORT void mgpuMemset16(void *dst, unsigned short value, size_t count,
                              void *stream) {
  check("cuMemsetD16Async",
        cuMemsetD16Async(reinterpret_cast<CUdeviceptr>(dst), value, count,
                         static_cast<CUstream>(stream)));
}

EFFC_EXPORT void mgpuSetDefaultDevice(int32_t /*device*/) {}

//===----------------------------------------------------------------------===//
// TMA tensor maps
//===----------------------------------------------------------------------===//

EFFC_EXPORT int effcCudaTensorMapArgs2D(const void *base, int32_t dataType,
                                        int64_t rows, int64_t cols,
                                        int64_t rowStrideBytes,
                                        int32_t boxRows, int32_t boxCols,
                                        int32_t swizzleBytes,
                                        EffcTensorMapArgs *args, char *message,
                                        size_t size) {
  auto fail = [&](const std::string &why) {
    if (message && size)
      std::snprintf(message, size, "%s", why.c_str());
    return 1;
  };
  // Element sizes of CUtensorMapDataType 0 (UINT8) to 12 (TFLOAT32_FTZ).
  static const int64_t elementBytes[] = {1, 2, 4, 4, 8, 8, 2, 4, 8, 2, 4, 4, 4};
  if (dataType < 0 || dataType > 12)
    return fail("unknown tensor map data type " + std::to_string(dataType));
  int64_t elt = elementBytes[dataType];
  if (reinterpret_cast<uintptr_t>(base) % 16)
    return fail("the tensor's base address is not 16-byte aligned");
  if (rows < 1 || cols < 1 || rows > (int64_t(1) << 32) ||
      cols > (int64_t(1) << 32))
    return fail("tensor dimensions must be in [1, 2^32], got " +
                std::to_string(rows) + " x " + std::to_string(cols));
  if (rowStrideBytes % 16 || rowStrideBytes >= (int64_t(1) << 40) ||
      rowStrideBytes < cols * elt)
    return fail("the row stride (" + std::to_string(rowStrideBytes) +
                " bytes) must be a multiple of 16 below 2^40 that holds a row "
                "of " + std::to_string(cols * elt) + " bytes");
  if (boxRows < 1 || boxRows > 256 || boxCols < 1 || boxCols > 256)
    return fail("box dimensions must be in [1, 256], got " +
                std::to_string(boxRows) + " x " + std::to_string(boxCols));
  int64_t boxRowBytes = boxCols * elt;
  if (boxRowBytes % 16)
    return fail("a box row (" + std::to_string(boxRowBytes) +
                " bytes) must be a multiple of 16 bytes");
  int32_t swizzle;
  switch (swizzleBytes) {
  case 0:
    swizzle = CU_TENSOR_MAP_SWIZZLE_NONE;
    break;
  case 32:
    swizzle = CU_TENSOR_MAP_SWIZZLE_32B;
    break;
  case 64:
    swizzle = CU_TENSOR_MAP_SWIZZLE_64B;
    break;
  case 128:
    swizzle = CU_TENSOR_MAP_SWIZZLE_128B;
    break;
  default:
    return fail("swizzle must be 0, 32, 64 or 128 bytes, got " +
                std::to_string(swizzleBytes));
  }
  if (swizzleBytes && boxRowBytes > swizzleBytes)
    return fail("a box row (" + std::to_string(boxRowBytes) +
                " bytes) must fit the " + std::to_string(swizzleBytes) +
                "-byte swizzle span");
  *args = EffcTensorMapArgs{};
  args->dataType = dataType;
  args->rank = 2;
  args->globalDim[0] = static_cast<uint64_t>(cols);
  args->globalDim[1] = static_cast<uint64_t>(rows);
  args->globalStride = static_cast<uint64_t>(rowStrideBytes);
  args->boxDim[0] = static_cast<uint32_t>(boxCols);
  args->boxDim[1] = static_cast<uint32_t>(boxRows);
  args->elementStrides[0] = args->elementStrides[1] = 1;
  args->swizzle = swizzle;
  return 0;
}

namespace {
using TensorMapKey = std::tuple<const void *, int32_t, int64_t, int64_t,
                                int64_t, int32_t, int32_t, int32_t>;
std::mutex tensorMapMutex;
std::map<TensorMapKey, CUdeviceptr> tensorMaps;
/// Encoded maps kept on the device before the cache starts over (128 bytes
/// each).
constexpr size_t kMaxTensorMaps = 4096;
} // namespace

EFFC_EXPORT void *effcCudaTensorMap2D(const void *base, int32_t dataType,
                                      int64_t rows, int64_t cols,
                                      int64_t rowStrideBytes, int32_t boxRows,
                                      int32_t boxCols, int32_t swizzleBytes) {
  EffcTensorMapArgs args;
  char why[256];
  if (effcCudaTensorMapArgs2D(base, dataType, rows, cols, rowStrideBytes,
                              boxRows, boxCols, swizzleBytes, &args, why,
                              sizeof(why))) {
    recordError((std::string("cuTensorMapEncodeTiled (") + why + ")").c_str(),
                CUDA_ERROR_INVALID_VALUE);
    return nullptr;
  }
  if (!ready("cuTensorMapEncodeTiled"))
    return nullptr;
  TensorMapKey key{base,    dataType, rows,    cols, rowStrideBytes,
                   boxRows, boxCols,  swizzleBytes};
  std::lock_guard<std::mutex> lock(tensorMapMutex);
  auto it = tensorMaps.find(key);
  if (it != tensorMaps.end())
    return reinterpret_cast<void *>(it->second);
  CUtensorMap map;
  cuuint64_t dims[2] = {args.globalDim[0], args.globalDim[1]};
  cuuint64_t strides[1] = {args.globalStride};
  cuuint32_t box[2] = {args.boxDim[0], args.boxDim[1]};
  cuuint32_t elementStrides[2] = {args.elementStrides[0],
                                  args.elementStrides[1]};
  if (!check("cuTensorMapEncodeTiled",
             cuTensorMapEncodeTiled(
                 &map, static_cast<CUtensorMapDataType>(args.dataType),
                 args.rank, const_cast<void *>(base), dims, strides, box,
                 elementStrides, CU_TENSOR_MAP_INTERLEAVE_NONE,
                 static_cast<CUtensorMapSwizzle>(args.swizzle),
                 CU_TENSOR_MAP_L2_PROMOTION_L2_128B,
                 CU_TENSOR_MAP_FLOAT_OOB_FILL_NONE)))
    return nullptr;
  if (tensorMaps.size() >= kMaxTensorMaps) {
    // Kernels still in flight may read the old maps.
    check("cuCtxSynchronize", cuCtxSynchronize());
    for (auto &entry : tensorMaps)
      check("cuMemFree", cuMemFree(entry.second));
    tensorMaps.clear();
  }
  CUdeviceptr device = 0;
  if (!check("cuMemAlloc", cuMemAlloc(&device, sizeof(map))))
    return nullptr;
  if (!check("cuMemcpyHtoD", cuMemcpyHtoD(device, &map, sizeof(map)))) {
    cuMemFree(device);
    return nullptr;
  }
  tensorMaps[key] = device;
  return reinterpret_cast<void *>(device);
}

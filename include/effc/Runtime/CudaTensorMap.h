//===- CudaTensorMap.h - TMA tensor maps of effc's CUDA runtime -*- C++ -*-===//
//
// The launch stubs of sm_90a GEMM kernels call effcCudaTensorMap2D to
// encode the TMA tensor map of each operand (a row-major 2-D device
// buffer) and get its device address. effcCudaTensorMapArgs2D checks the
// request and computes the arguments of cuTensorMapEncodeTiled without
// touching the driver, so it is testable on any machine. Plain C types
// only: the runtime library has no LLVM dependency.
//
//===----------------------------------------------------------------------===//

#ifndef EFFC_RUNTIME_CUDATENSORMAP_H
#define EFFC_RUNTIME_CUDATENSORMAP_H

#include <cstddef>
#include <cstdint>

extern "C" {

/// The arguments of cuTensorMapEncodeTiled for a 2-D tiled map, in the
/// driver's order: dimension 0 is the innermost (contiguous) one.
struct EffcTensorMapArgs {
  int32_t dataType;       // CUtensorMapDataType
  uint32_t rank;          // 2
  uint64_t globalDim[2];  // {cols, rows}
  uint64_t globalStride;  // bytes between rows (dimension 1)
  uint32_t boxDim[2];     // {box cols, box rows}
  uint32_t elementStrides[2];
  int32_t swizzle;        // CUtensorMapSwizzle
};

/// Fills `args` for a map over `rows` x `cols` elements of `dataType`
/// (CUtensorMapDataType: 0 u8, 6 f16, 9 bf16, ...) at `base`, rows
/// `rowStrideBytes` apart, moved in boxes of `boxRows` x `boxCols`,
/// swizzled over `swizzleBytes` (0, 32, 64 or 128). Returns 0, or writes
/// why the request breaks a TMA rule into `message` (NUL-terminated, at
/// most `size` bytes) and returns 1.
int effcCudaTensorMapArgs2D(const void *base, int32_t dataType, int64_t rows,
                            int64_t cols, int64_t rowStrideBytes,
                            int32_t boxRows, int32_t boxCols,
                            int32_t swizzleBytes, EffcTensorMapArgs *args,
                            char *message, size_t size);

/// Encodes the map (cuTensorMapEncodeTiled, zero fill out of bounds) and
/// returns the device address of a copy of it, or null with the error
/// recorded (effcCudaTakeError). Maps are cached by their arguments, so a
/// stub called again on the same buffers encodes nothing.
void *effcCudaTensorMap2D(const void *base, int32_t dataType, int64_t rows,
                          int64_t cols, int64_t rowStrideBytes,
                          int32_t boxRows, int32_t boxCols,
                          int32_t swizzleBytes);
}

#endif // EFFC_RUNTIME_CUDATENSORMAP_H

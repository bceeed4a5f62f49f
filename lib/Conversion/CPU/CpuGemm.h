//===- CpuGemm.h - f32 GEMM emitter shared by the CPU kernels -*- C++ -*-===//
//
// The BLIS-style f32 GEMM behind every f32 linalg.matmul on the CPU
// (LowerCpuMatmul.cpp), also used by the weight-only quantized linear for
// compute-bound row counts: its B operand may be int8 / int4 codes with
// f32 scales, widened to f32 as the B panels are packed (once per panel,
// reused by every row of A), so the quantized layer runs at the f32
// GEMM's speed while reading 4x / 8x fewer weight bytes.
//
//===----------------------------------------------------------------------===//

#ifndef EFFC_LIB_CONVERSION_CPU_CPUGEMM_H
#define EFFC_LIB_CONVERSION_CPU_CPUGEMM_H

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"

namespace mlir {
namespace effc {

struct GemmPlan {
  int64_t m, n, k; // m may be ShapedType::kDynamic: read from A at run time
  /// Packing costs one pass over A and B; it pays once B is reused by
  /// this many rows of A (a runtime M decides at run time).
  int64_t packMinRows() const { return 4 * mr; }
  int64_t vl;      // f32 lanes per vector
  int64_t nr;      // columns per panel (a multiple of vl)
  int64_t mr;      // rows per register tile
  int64_t kc;      // K block
  int64_t mc;      // M block (a multiple of mr)
  int64_t threads; // parallel chunks of panels
  bool pack;       // pack B panels into a contiguous buffer (for a runtime
                   // M: decide at run time from packMinRows; off: never)
  bool zeroInit;   // C starts as zeros: the first K block skips loading it
  // Frees its packing buffers; off before bufferization, where the
  // deallocation pass frees them (and rejects existing deallocs).
  bool freeScratch = true;
};

/// The kernel shape for an M x N x K f32 GEMM with `vl` f32 lanes.
GemmPlan planF32Gemm(int64_t m, int64_t n, int64_t k, int64_t vl,
                     int64_t threads);

/// A quantized B operand, widened while its panels are packed:
/// B[k, n] = code(k, n) * scales[k / groupSize, n]. `codes` is an i8 memref
/// [K, NP] (bits = 8) or [K / 2, NP] (bits = 4: byte k / 2 holds row k in
/// its low nibble when k is even, in its high nibble when odd), `scales`
/// an f32 memref [K / groupSize, NP]; NP, a multiple of the panel width,
/// is zero-padded beyond N.
struct QuantizedB {
  Value codes, scales;
  int64_t bits = 8, groupSize = 0;
};

/// Emits C[M, N] (+)= A[M, K] x B[K, N] on memrefs at `b`'s insertion point;
/// with `quantB`, `bMat` is unused and the plan must pack.
void emitF32Gemm(OpBuilder &b, Location loc, const GemmPlan &plan, Value a,
                 Value bMat, Value c, const QuantizedB *quantB = nullptr);

} // namespace effc
} // namespace mlir

#endif // EFFC_LIB_CONVERSION_CPU_CPUGEMM_H

//===- LowerGpu.h - kernel builders of --effc-lower-gpu ---------*- C++ -*-===//
//
// Private to lib/Conversion: the tensor-core kernel templates that
// --effc-lower-gpu instantiates per op, parameterized by shape, element
// type, sparsity and epilogue.
//
//===----------------------------------------------------------------------===//

#ifndef EFFC_LIB_CONVERSION_GPU_LOWERGPU_H
#define EFFC_LIB_CONVERSION_GPU_LOWERGPU_H

#include "effc/Dialect/EffcAttrs.h"
#include "effc/Support/QuantBuilders.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/ImplicitLocOpBuilder.h"
#include "llvm/ADT/APFloat.h"

#include <array>
#include <optional>

namespace mlir {
namespace effc {

/// Index arithmetic shorthands for kernel bodies.
struct IndexMath {
  ImplicitLocOpBuilder &b;
  Value c(int64_t v) { return arith::ConstantIndexOp::create(b, v); }
  Value add(Value x, Value y) { return arith::AddIOp::create(b, x, y); }
  Value add(Value x, int64_t y) { return y ? add(x, c(y)) : x; }
  Value mul(Value x, int64_t y) { return arith::MulIOp::create(b, x, c(y)); }
  Value div(Value x, int64_t y) { return arith::DivUIOp::create(b, x, c(y)); }
  Value rem(Value x, int64_t y) { return arith::RemUIOp::create(b, x, c(y)); }
  Value min(Value x, int64_t y) { return arith::MinUIOp::create(b, x, c(y)); }
  Value min(Value x, Value y) { return arith::MinUIOp::create(b, x, y); }
  Value sub(Value x, int64_t y) { return arith::SubIOp::create(b, x, c(y)); }
  Value lt(Value x, int64_t y) { return lt(x, c(y)); }
  Value lt(Value x, Value y) {
    return arith::CmpIOp::create(b, arith::CmpIPredicate::ult, x, y);
  }
  Value both(Value x, Value y) { return arith::AndIOp::create(b, x, y); }
};

/// Attributes of the launch stubs `--effc-lower-gpu` declares and
/// `--effc-lower-gpu-launch` defines: the kernel, grid and block sizes.
constexpr llvm::StringLiteral kLaunchKernelAttr = "effc_gpu_kernel";
constexpr llvm::StringLiteral kLaunchGridAttr = "effc_gpu_grid";
constexpr llvm::StringLiteral kLaunchBlockAttr = "effc_gpu_block";
/// Grid extents read at launch, for kernels over runtime sizes: a flat
/// list of quadruples [axis, argument, dim, tile], each giving grid
/// `axis` = ceil(dim `dim` of stub argument `argument` / `tile`); the
/// static grid holds ShapedType::kDynamic there.
constexpr llvm::StringLiteral kLaunchDynamicGridAttr = "effc_gpu_dynamic_grid";
/// How many trailing stub arguments are outputs, copied back after the
/// launch (absent: one).
constexpr llvm::StringLiteral kLaunchOutputsAttr = "effc_gpu_outputs";
/// Dynamic shared memory of the launch, in bytes (absent: none).
constexpr llvm::StringLiteral kLaunchSharedAttr = "effc_gpu_shared_bytes";
/// Argument attribute of a kernel's `!llvm.ptr` TMA tensor-map arguments:
/// `{source = i, box = [rows, cols], swizzle = 128}`. The launch stub
/// encodes the map (effcCudaTensorMap2D) over the device copy of its
/// argument `source`, a 2-D row-major memref whose element type gives the
/// map's data type, and passes the map's device address in that argument's
/// place.
constexpr llvm::StringLiteral kTensorMapArgAttr = "effc.tensor_map";

/// Thread-block tile of every GEMM kernel: 64 x 64 outputs, four warps of
/// 32 x 32.
constexpr int64_t kGemmTile = 64;
constexpr int64_t kGemmThreads = 128;

/// The tensor-core instruction family a GEMM kernel issues. The f32 kinds
/// read f32 operands: TF32 on `mma.sync` m16n8k8 (operands rounded to
/// tf32, f32 accumulation), F32 with exact f32 FFMAs on the same tiles
/// and fragment layout (no tensor cores, the numerics of a CUDA-core
/// SGEMM).
enum class MmaKind { F16, BF16, I8, F8E4M3, TF32, F32 };

/// What happens to the accumulators before they are stored.
enum class GemmEpilogue {
  /// Float accumulators (+ bias) -> activation -> output float type.
  Float,
  /// i32 (+ folded bias) -> fixed-point requantization to i8.
  Requant,
  /// i32 (+ folded bias) -> f32 * scale[channel] -> activation -> float.
  Dequant,
  /// i32 (+ folded bias), relu optional.
  Int32,
};

/// One GEMM `out[r][c] = sum_k P[r][k] * Q[c][k]` (both operands K-major),
/// stored transposed (`out[c][r]`) when `transposeOut`. With `sparse`, P is
/// 2:4 along K, passed compressed as values [R, K/2] plus metadata
/// [R, K/16] x i16 (the nibble of each group of four holds the two kept
/// positions, low index in bits 0-1). The channel of bias and scales is the
/// Q row (c), or the P row when `transposeOut`.
///
/// Kernel arguments, in order: P, [metadata], Q, [xs [R, K/bk], ws
/// [C/bn, K/bk] when blockScaled], [bias [channels]], [multiplier, shift
/// (i32) for Requant | scale (f32) for Dequant], out.
struct GemmSpec {
  MmaKind kind = MmaKind::F16;
  bool sparse = false;
  /// Rows of P and rows of Q; either (the activation side: rows, or cols
  /// when `transposeOut`) may be ShapedType::kDynamic, a runtime size read
  /// from the operand at launch (batch x sequence of a dynamic model).
  int64_t rows = 0, cols = 0, depth = 0;
  bool transposeOut = false;
  GemmEpilogue epilogue = GemmEpilogue::Float;
  /// Float epilogue: element type of the bias operand, null without one.
  /// Integer epilogues always take an i32 bias.
  Type biasType;
  Activation activation = Activation::none;
  std::optional<llvm::APFloat> clampMin, clampMax;
  Type outType;
  /// Requant: output zero point and the clamp range in the integer domain
  /// (activation already folded in).
  RequantRange range{0, -128, 127};
  /// fp8 block scales (DeepSeek-V3): scale block along C and along K.
  bool blockScaled = false;
  int64_t scaleBlockC = 0, scaleBlockK = 0;
  /// An elementwise linalg.generic fused after the epilogue (the bias and
  /// activation that --effc-quantize writes after a block-scaled linear,
  /// a residual-free GELU...): its body is cloned into the kernel with its
  /// first block argument bound to the epilogue's value and, when
  /// `fusedChannelType` is set, its second to the per-channel operand (an
  /// extra kernel argument after the other epilogue arguments). The kernel
  /// then stores the generic's element type.
  Operation *fused = nullptr;
  Type fusedChannelType;
};

/// The element type a GEMM kernel stores: the fused generic's, else
/// `outType`.
Type getStoredType(const GemmSpec &spec);

/// A grid extent computed at launch: ceil(dim `dim` of kernel argument
/// `arg` / `tile`).
struct DynamicGridDim {
  int64_t axis, arg, dim, tile;
};

/// `gpu.launch_func` configuration of a built kernel.
struct KernelLaunch {
  gpu::GPUFuncOp func;
  /// ShapedType::kDynamic where `dynamicGrid` gives the extent.
  std::array<int64_t, 3> grid, block;
  int64_t sharedBytes = 0;
  SmallVector<DynamicGridDim> dynamicGrid;

  /// Grid `axis` tiles `n` (a static size, or ShapedType::kDynamic for dim
  /// `dim` of kernel argument `arg`, read at launch) by `tile`.
  void setGridDim(int64_t axis, int64_t n, int64_t tile, int64_t arg,
                  int64_t dim) {
    if (ShapedType::isDynamic(n)) {
      grid[axis] = ShapedType::kDynamic;
      dynamicGrid.push_back({axis, arg, dim, tile});
    } else {
      grid[axis] = (n + tile - 1) / tile;
    }
  }
};

/// Appends the types of the epilogue kernel arguments of `spec` (bias,
/// then multiplier and shift, or scale, then the fused per-channel
/// operand), each a memref of `channels`.
void appendEpilogueArgTypes(Builder &b, const GemmSpec &spec, int64_t channels,
                            SmallVectorImpl<Type> &types);

/// Bytes of one MMA operand element of `kind` (2 for f16/bf16, else 1).
int64_t getMmaElementBytes(MmaKind kind);

/// The element type of an MMA operand of `kind`.
Type getMmaElementType(MLIRContext *ctx, MmaKind kind);

/// The epilogue of one accumulator element: bias, scales, activation,
/// conversion, then the fused generic, as `spec` says. `args` are the
/// epilogue kernel arguments (bias, then multiplier/shift or scale, then
/// the fused channel operand); `channel` indexes them.
Value buildGemmEpilogue(ImplicitLocOpBuilder &b, const GemmSpec &spec,
                        Value acc, Value channel, ValueRange args);

/// Applies `spec`'s fused generic (if any) to the epilogue value `v` of
/// output channel `channel`; `args` as for buildGemmEpilogue.
Value applyFusedEpilogue(ImplicitLocOpBuilder &b, const GemmSpec &spec, Value v,
                         Value channel, ValueRange args);

/// Gives the kernel's shared-memory buffers 16-byte alignment.
void alignWorkgroupBuffers(gpu::GPUFuncOp func);

/// Why `spec` has no kernel (unsupported shape or type); empty when it
/// has one.
std::string checkGemmSpec(const GemmSpec &spec);

/// Builds the GEMM kernel for `spec` at the end of `module`.
KernelLaunch buildGemmKernel(OpBuilder &builder, Location loc,
                             gpu::GPUModuleOp module, StringRef name,
                             const GemmSpec &spec);

/// Why `spec` does not run on the sm_90a warpgroup kernel (wgmma fed by
/// TMA); empty when it does. The kernel takes dense f16 / bf16 / int8
/// operands, or fp8 (e4m3) ones with 128-wide K scale blocks, K-major,
/// with at least one 128 x 128 output tile, a K row stride that TMA can
/// address (16-byte multiple), and the output untransposed.
std::string checkWgmmaSpec(const GemmSpec &spec);

/// Builds the sm_90a GEMM kernel for `spec`: 128 x 128 output tiles, two
/// consumer warpgroups of 64 rows each, K tiles of 128 bytes brought into
/// 128B-swizzled shared memory by TMA through a 4-stage mbarrier ring,
/// `wgmma.mma_async` m64n128 on shared-memory descriptors (fp8: promoted
/// per K tile with the block scales), and the epilogue of buildGemmKernel.
/// Same arguments as buildGemmKernel, except that P and Q are TMA tensor
/// maps (kTensorMapArgAttr).
KernelLaunch buildWgmmaGemmKernel(OpBuilder &builder, Location loc,
                                  gpu::GPUModuleOp module, StringRef name,
                                  const GemmSpec &spec);

/// Flash attention over [BH, S, D] operands: `heads` query heads per batch
/// entry share key/value heads `heads / kvHeads` at a time.
struct AttentionSpec {
  Type elementType;
  int64_t batch = 1, heads = 1, kvHeads = 1;
  int64_t queries = 0, keys = 0, headDim = 0, valueDim = 0;
  double scale = 1.0;
  bool causal = false;
  /// An additive mask of shape [maskBatch, maskHeads, maskRows, keys], each
  /// of the first three 1 (broadcast) or batch / heads / queries.
  bool mask = false;
  int64_t maskBatch = 1, maskHeads = 1, maskRows = 1;
};

std::string checkAttentionSpec(const AttentionSpec &spec);

/// Builds the flash-attention kernel; arguments Q [B*H, Sq, D],
/// K [B*Hkv, Skv, D], V [B*Hkv, Skv, Dv], with a mask the mask
/// [maskBatch * maskHeads, maskRows, Skv], and O [B*H, Sq, Dv].
KernelLaunch buildAttentionKernel(OpBuilder &builder, Location loc,
                                  gpu::GPUModuleOp module, StringRef name,
                                  const AttentionSpec &spec);

/// Per-row dynamic quantization of an [M, K] activation (M may be
/// dynamic) in 1 x blockK blocks: scale = max|x| / qmax (1 for an all-zero
/// block), q = saturate(round_half_even(x / scale)).
struct QuantizeSpec {
  Type inputType, storage;
  int64_t rows = 0, depth = 0, blockK = 0;
};

std::string checkDynamicQuantizeSpec(const QuantizeSpec &spec);

/// Builds the quantization kernel; arguments X [M, K], Q [M, K] (storage),
/// scale [M, ceil(K / blockK)] (f32).
KernelLaunch buildDynamicQuantizeKernel(OpBuilder &builder, Location loc,
                                        gpu::GPUModuleOp module, StringRef name,
                                        const QuantizeSpec &spec);

} // namespace effc
} // namespace mlir

#endif // EFFC_LIB_CONVERSION_GPU_LOWERGPU_H

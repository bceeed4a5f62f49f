//===- Passes.td - effc GPU lowering passes ----------------*- tablegen -*-===//

#ifndef EFFC_CONVERSION_GPU_PASSES_TD
#define EFFC_CONVERSION_GPU_PASSES_TD

include "mlir/Pass/PassBase.td"

//===----------------------------------------------------------------------===//
// GPU lowering
//===----------------------------------------------------------------------===//

def LowerGpuPass : Pass<"effc-lower-gpu", "ModuleOp"> {
  let summary = "Lower effc GEMMs and attention to NVIDIA tensor-core kernels";
  let description = [{
    Replaces the effc ops that map onto tensor cores by `gpu.launch_func`
    of kernels built here, collected in `gpu.module @effc_kernels` with an
    `#nvvm.target` for `chip`. Each kernel tiles its output over thread
    blocks (64 x 64, four warps of 32 x 32), stages operand tiles in shared
    memory with `cp.async` (double-buffered, rows padded by 16 bytes so the
    fragment loads are free of bank conflicts) and issues warp-level MMAs:

    - `effc.linear` on f16 / bf16: `mma.sync` m16n8k16 (`nvgpu.mma.sync`
      for f16; inline PTX for bf16, which nvgpu's lowering rejects), f32
      accumulation, bias and activation fused in the epilogue;
    - `effc.linear` on f32, by `f32-math`: `ffma` (the default) computes
      each accumulator with exact f32 FFMAs on the same tiles and
      epilogue; `tf32` uses `mma.sync` m16n8k8 `.tf32` with the operands
      rounded to tf32 (`cvt.rna`) and f32 accumulation, as cuBLAS does
      when TF32 is allowed;
    - `effc.quantized_linear` (per-tensor i8 input, per-tensor or
      per-channel i8 constant weight): `nvgpu.mma.sync` m16n8k32 on i8 with
      i32 accumulation; the input zero point is folded into the bias at
      compile time and the requantization (fixed-point multiplier, rounding
      shift, zero point, relu/clamp) or dequantization fused in the
      epilogue, bit-exact with `--effc-lower-reference`;
    - 2:4 sparse weights (`effc.sparse_linear` with `format = nm, n = 2,
      m = 4` and f16 values, or an `effc.linear` whose constant f16 weight
      is 2:4 along K, e.g. after `--effc-prune="method=nm n=2 m=4"`):
      compressed at compile time into values plus the 2-bit
      metadata `mma.sp` reads, computed as `Y^T = W X^T` with
      `nvgpu.mma.sp.sync` m16n8k32;
    - `effc.attention` on f16 / bf16 (no mask, causal, or an explicit
      additive mask, read at index 0 along its broadcast dims; GQA): a
      flash-attention kernel, one block per (head, 64 queries), online
      softmax over 64-key tiles with `mma.sync` for both products.
    - `effc.block_scaled_linear` on f8E4M3FN (sm_89 and later): `mma.sync`
      m16n8k32 e4m3 with the per-128 block scales applied to each K block's
      partial sums (DeepSeek-V3 promotion).

    With `chip=sm_90a` (Hopper only; the architecture-specific features of
    `nvcc -arch=sm_90a`), dense f16 / bf16 `effc.linear` and int8
    `effc.quantized_linear` with at least one 128 x 128 output tile run on
    a warpgroup kernel instead: 128 x 128 tiles over two consumer
    warpgroups, K tiles of 128 bytes brought into 128B-swizzled shared
    memory by TMA (`cp.async.bulk.tensor`, four stages completing on
    `mbarrier`s) and multiplied by `wgmma.mma_async` m64n128 on
    shared-memory descriptors, with the same fused epilogues. Its kernel
    takes each operand as a TMA tensor map (`!llvm.ptr` marked
    `effc.tensor_map`), which the launch stub encodes with
    `effcCudaTensorMap2D` over the operand's device buffer. `chip=sm_90`
    keeps portable `mma.sync` PTX that every sm_90+ GPU runs.

    Each op becomes a call to a launch stub on memrefs (operands, output),
    which `--effc-lower-gpu-launch` defines after bufferization (device
    buffers, copies, `gpu.launch_func`). Ops (or shapes) with no kernel stay
    as they are and run on the host after `--effc-lower-reference`; with
    `remarks` (the default) each of them gets a remark that names the op and
    says why it has no kernel, so nothing falls to the host silently.

    Before:
    ```mlir
    %y = effc.linear %x, %w : tensor<128x256xf16>, tensor<512x256xf16>
        -> tensor<128x512xf16>
    ```
    After:
    ```mlir
    gpu.module @effc_kernels [#nvvm.target<chip = "sm_90", ...>] {
      gpu.func @linear_0(...) kernel { ... nvgpu.mma.sync ... }
    }
    func.call @effc_launch_linear_0(%xm, %wm, %ym) : (...) -> ()
    ```
  }];
  let options = [
    Option<"chip", "chip", "std::string", /*default=*/"\"sm_90\"",
           "Target GPU: sm_80, sm_86, sm_87, sm_89, sm_90, sm_90a (adds the "
           "wgmma/TMA GEMM), sm_100, sm_101, sm_103, sm_120, sm_121; fp8 "
           "needs sm_89 or later">,
    Option<"f32Math", "f32-math", "std::string", /*default=*/"\"ffma\"",
           "f32 effc.linear: ffma (exact f32 FFMAs on the GEMM tiles, the "
           "numerics of an f32 SGEMM) or tf32 (mma.sync m16n8k8 on operands "
           "rounded to tf32, f32 accumulation: faster, ~1e-3 relative "
           "error)">,
    Option<"remarks", "remarks", "bool", /*default=*/"true",
           "Emit a remark for every effc or linalg op that gets no GPU kernel "
           "and runs on the host through the reference lowering">,
  ];
  let dependentDialects = [
    "::mlir::gpu::GPUDialect", "::mlir::nvgpu::NVGPUDialect",
    "::mlir::NVVM::NVVMDialect", "::mlir::LLVM::LLVMDialect",
    "::mlir::scf::SCFDialect", "::mlir::vector::VectorDialect",
    "::mlir::memref::MemRefDialect", "::mlir::arith::ArithDialect",
    "::mlir::math::MathDialect", "::mlir::tensor::TensorDialect",
    "::mlir::bufferization::BufferizationDialect",
    "::mlir::func::FuncDialect"
  ];
}

def LowerGpuLaunchPass : Pass<"effc-lower-gpu-launch", "ModuleOp"> {
  let summary = "Define the GPU launch stubs of --effc-lower-gpu on memrefs";
  let description = [{
    `--effc-lower-gpu` replaces each op by a call to a body-less stub
    `@effc_launch_<kernel>(operands..., output)` on memrefs, so that
    bufferization and buffer deallocation (which reject the GPU host ops)
    see a plain call. After bufferization this pass gives each stub its
    body: device allocations, copies in, `gpu.launch_func`, the copy out,
    frees, as one async chain ending in a `gpu.wait`.

    Before:
    ```mlir
    func.func private @effc_launch_linear_0(memref<64x64xf16>,
        memref<64x64xf16>, memref<64x64xf16>)
        attributes {effc_gpu_kernel = @effc_kernels::@linear_0,
                    effc_gpu_grid = array<i64: 1, 1, 1>,
                    effc_gpu_block = array<i64: 128, 1, 1>}
    ```
    After: the same function with a body of `gpu.alloc async`,
    `gpu.memcpy async`, `gpu.launch_func async`, `gpu.dealloc async` and
    `gpu.wait`.
  }];
  let dependentDialects = ["::mlir::gpu::GPUDialect",
                           "::mlir::arith::ArithDialect",
                           "::mlir::memref::MemRefDialect"];
}

#endif // EFFC_CONVERSION_GPU_PASSES_TD

//===- Passes.td - effc lowering passes --------------------*- tablegen -*-===//

#ifndef EFFC_CONVERSION_PASSES_TD
#define EFFC_CONVERSION_PASSES_TD

include "mlir/Pass/PassBase.td"

//===----------------------------------------------------------------------===//
// Reference lowering
//===----------------------------------------------------------------------===//

def LowerReferencePass : Pass<"effc-lower-reference", "ModuleOp"> {
  let summary = "Lower every effc op to plain linalg/arith/math on tensors";
  let description = [{
    The semantic definition of the effc dialect: each effc op becomes the
    straightforward `linalg` computation it stands for (named ops and
    generics on tensors, `arith` and `math` in the bodies), with no
    tiling, packing or target-specific choice. Every optimized lowering is
    tested against this one on random inputs (`effc-run
    --compare-to-reference`).

    Before:
    ```mlir
    %y = effc.linear %x, %w {activation = #effc.activation<relu>}
        : tensor<8x64xf32>, tensor<32x64xf32> -> tensor<8x32xf32>
    ```
    After:
    ```mlir
    %y0 = linalg.matmul indexing_maps = [...] ins(%x, %w ...) outs(%zero ...)
    %y = linalg.generic {...} ins(%y0 ...) { arith.maximumf ... }
    ```
  }];
  let dependentDialects = [
    "::mlir::linalg::LinalgDialect", "::mlir::tensor::TensorDialect",
    "::mlir::arith::ArithDialect", "::mlir::math::MathDialect",
    "::mlir::quant::QuantDialect", "::mlir::scf::SCFDialect"
  ];
}

def LowerQuantCastsPass : Pass<"effc-lower-quant-casts", "ModuleOp"> {
  let summary = "Compute quant.qcast / quant.dcast with round half to even";
  let description = [{
    Lowers `quant.qcast` (`saturate(round_half_even(x / s) + z)`) and
    `quant.dcast` (`(q - z) * s`) of per-tensor and per-axis types to
    `linalg.generic` on the storage integers (`quant.scast` at the
    boundary), exactly as `--effc-lower-reference` does. The CPU and
    reference pipelines run it first: upstream canonicalization folds
    `quant.dcast(quant.qcast(x))` to `x`, which would silently drop the
    activation rounding of a QDQ model (ONNX QuantizeLinear rounds half
    to even). Run `--effc-raise --effc-quantize` before it to execute such
    a model on integer kernels instead.
  }];
  let dependentDialects = [
    "::mlir::linalg::LinalgDialect", "::mlir::tensor::TensorDialect",
    "::mlir::arith::ArithDialect", "::mlir::math::MathDialect",
    "::mlir::quant::QuantDialect"
  ];
}

//===----------------------------------------------------------------------===//
// CPU lowering
//===----------------------------------------------------------------------===//

def LowerCpuPass : Pass<"effc-lower-cpu", "ModuleOp"> {
  let summary = "Lower effc and upstream ops on tensors to the llvm dialect for the CPU";
  let description = [{
    The CPU code generator. It turns dense convolutions into im2col + GEMM
    (`effc.linear` on the patches), lowers effc ops through their reference
    forms, prepares the linalg ops for the CPU on tensors (matmuls get their
    right operand in [K, N] layout: constant weights are transposed at
    compile time; softmax is decomposed), bufferizes the module, turns every
    f32 matmul into packed, register-tiled, vectorized and threaded loops
    (`--effc-lower-cpu-matmul`), and lowers everything to the `llvm`
    dialect with OpenMP threads. The vector width comes from `cpu` /
    `target-features` (default: the host): AVX-512 when available, else
    AVX2, else SSE.

    Before:
    ```mlir
    %y = effc.linear %x, %w : tensor<64x256xf32>, tensor<128x256xf32>
        -> tensor<64x128xf32>
    ```
    After: `llvm.func @f(...)` with `omp.parallel` regions and
    `llvm.intr.fma` on `vector<16xf32>`.
  }];
  let options = [
    Option<"cpu", "cpu", "std::string", /*default=*/"\"host\"",
           "CPU name (as -mcpu) to tune for; 'host' detects it">,
    Option<"targetFeatures", "target-features", "std::string",
           /*default=*/"\"\"",
           "LLVM target features (+avx512f,...); empty: from the CPU">,
  ];
  let dependentDialects = [
    "::mlir::linalg::LinalgDialect", "::mlir::tensor::TensorDialect",
    "::mlir::arith::ArithDialect", "::mlir::math::MathDialect",
    "::mlir::scf::SCFDialect", "::mlir::vector::VectorDialect",
    "::mlir::memref::MemRefDialect",
    "::mlir::bufferization::BufferizationDialect",
    "::mlir::LLVM::LLVMDialect", "::mlir::omp::OpenMPDialect"
  ];
}

def ExpandFp8Pass : Pass<"effc-expand-fp8"> {
  let summary = "Expand f8E4M3FN extf/truncf into integer bit manipulation";
  let description = [{
    `arith-to-llvm` cannot lower `arith.extf` / `arith.truncf` on
    `f8E4M3FN` (LLVM has no fp8 type). This pass rewrites them, on scalars
    and vectors, into i8/i32 integer operations with exactly the semantics
    of APFloat (and so of constant folding): round to nearest even,
    subnormals kept, NaN for NaN, infinity and magnitudes that round past
    448 (E4M3FN has no infinity; effc's quantizers clamp to +-448 first,
    which is the OCP saturating conversion). Other widths convert through
    f32. Run before `convert-arith-to-llvm`; the CPU and reference
    pipelines do.

    Before:
    ```mlir
    %y = arith.extf %x : f8E4M3FN to f32
    ```
    After: `arith.bitcast %x : f8E4M3FN to i8`, integer shifts, masks and
    selects, `arith.bitcast ... : i32 to f32`.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect"];
}

def LowerCpuMatmulPass : Pass<"effc-lower-cpu-matmul", "ModuleOp"> {
  let summary = "Bufferized f32 matmuls to packed, vectorized, threaded loops";
  let description = [{
    Replaces every `linalg.matmul` on memrefs with f32 operands in the
    default `[M, K] x [K, N]` layout by a BLIS-style loop nest: the N
    dimension is split into panels of `2 x vector-width` columns that are
    packed into a contiguous buffer (skipped when M is small and the GEMM is
    bandwidth-bound), the panels are distributed over threads with
    `scf.parallel`, K and M are blocked for the caches, and the innermost
    `MR x NR` register tile keeps its accumulators in vector registers and
    issues one `vector.fma` per accumulator and k. Edges use masked vector
    loads and stores. Other linalg ops are left alone.

    Before:
    ```mlir
    linalg.matmul ins(%a, %b : memref<256x256xf32>, memref<256x256xf32>)
                  outs(%c : memref<256x256xf32>)
    ```
    After: `scf.parallel` over panels, `scf.for` over blocks, and a
    register tile of `vector.fma` on `vector<16xf32>`.
  }];
  let options = [
    Option<"vectorWidth", "vector-width", "int64_t", /*default=*/"16",
           "f32 lanes per vector register (16: AVX-512, 8: AVX2, 4: SSE)">,
    Option<"numThreads", "threads", "int64_t", /*default=*/"0",
           "Panels are split into this many parallel chunks (0: the host's "
           "hardware threads)">,
  ];
  let dependentDialects = [
    "::mlir::scf::SCFDialect", "::mlir::vector::VectorDialect",
    "::mlir::memref::MemRefDialect", "::mlir::arith::ArithDialect"
  ];
}

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
    - `effc.attention` on f16 / bf16 (no mask or causal, GQA): a
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
    as they are and run on the host after `--effc-lower-reference`.

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
                           "::mlir::arith::ArithDialect"];
}

//===----------------------------------------------------------------------===//
// Calling convention
//===----------------------------------------------------------------------===//

def EmitCInterfacePass : Pass<"effc-emit-c-interface", "ModuleOp"> {
  let summary = "Give every public function a C-callable wrapper";
  let description = [{
    Marks every public `func.func` with `llvm.emit_c_interface`, so that
    `--convert-func-to-llvm` also emits `_mlir_ciface_<name>`, which takes
    memref descriptors by pointer. `effc-run`, AOT objects and the embedding
    API call functions through it.

    Before: `func.func @f(%a: tensor<4xf32>) -> tensor<4xf32>`
    After: `func.func @f(%a: tensor<4xf32>) -> tensor<4xf32> attributes
    {llvm.emit_c_interface}`
  }];
}

//===----------------------------------------------------------------------===//
// FPGA (HLS) lowering
//===----------------------------------------------------------------------===//

def LowerHlsPass : Pass<"effc-lower-hls", "ModuleOp"> {
  let summary = "Lower effc ops to affine loops on static memrefs with HLS directives";
  let description = [{
    The first half of the FPGA path (the second is `effc-translate
    --emit-hls-cpp`). Every function on static tensors becomes a function on
    memrefs whose parameters are its arguments followed by one output array
    per result, with one affine loop nest per layer. Constant weights become
    `memref.global` ROMs. Quantized values keep their storage types and
    exact widths: `x - z_x`, the products and the accumulator get the
    narrowest integer types that hold them (e.g. `i9`, `i17`, `i22`; at most
    `i32`, the reference's wrap-around width), and requantization is the
    reference's int64 multiply / round-half-up shift, so the emitted C++ is
    bit-exact with the CPU. A weight whose zero fraction is at least
    `sparse-min-zero-fraction` is stored per output row as its non-zeros and
    their column indices (padded to the longest row, with a per-row count
    guarding the padding), so zeros are never multiplied. Float models run
    in fixed point: `f32` values become `ap_fixed<fixed-width, fixed-int>`
    (default `ap_fixed<16, 6>` as hls4ml, round to nearest even, saturating)
    with exact wide accumulators; the float boundary of a quantized model
    (`quant.qcast`, `quant.dcast`, dequantized results) stays `float`.

    Supported: `effc.linear` and `effc.conv2d` (NHWC, OHWI weights as a
    [F, KH * KW * C / groups] ROM, strides, dilations, groups; padded
    positions are skipped by a guard), `effc.quantized_linear` and
    `effc.quantized_conv2d` (per-tensor and per-channel i8 or i4 weights,
    also packed through `effc.unpack_int4`; i8 requantized, i32 and f32
    results; none / relu / clamp), `effc.attention` (float functions only:
    per query row one streaming pass over the keys with an online softmax
    — running max and sum, a Dv-wide accumulator, no Sq x Skv buffer;
    masks none / causal / window, grouped-query heads), `quant.qcast`,
    `quant.dcast`, `quant.scast`. Other ops (grouped weight scales, explicit
    attention masks, block-sparse layouts, fp8) are an error on the op.

    Directive attributes (read by `--effc-hls-optimize` and
    `--emit-hls-cpp`) have their own `effc_hls.` prefix, so that the effc
    dialect's verifier of `effc.*` attributes does not apply to them:
    - `effc_hls.top` (unit, func): the top function; `effc_hls.num_inputs`
      (i64, func): how many parameters are inputs (the rest are results);
      `effc_hls.fixed = array<i64: W, I>` (func): the fixed-point format of
      f32 values; `effc_hls.dataflow` (unit, func): layers run as a
      dataflow pipeline (`#pragma HLS DATAFLOW`).
    - `effc_hls.layer` (string, outermost loop of a layer): its name.
    - `effc_hls.pipeline_ii` (i64, loop): `#pragma HLS PIPELINE II=`.
    - `effc_hls.unroll` (i64, loop): `#pragma HLS UNROLL factor=`; 0 unrolls
      completely.
    - `effc_hls.partition = array<i64: f0, f1, ...>` (memref.global,
      memref.alloc, or a function argument attribute): a cyclic partition
      factor per dimension (1: none; the dimension's size: complete).
    - `effc_hls.interface = "m_axi"` (memref.global): a weight too large for
      on-chip ROM (over `axi-bytes`), passed as an AXI master port after the
      results.
    - estimates written by `--effc-hls-optimize`: see there.

    Before:
    ```mlir
    %y = effc.linear %x, %w : tensor<8x64xf32>, tensor<32x64xf32>
        -> tensor<8x32xf32>
    ```
    After:
    ```mlir
    func.func @f(%x: memref<8x64xf32>, %y: memref<8x32xf32>)
        attributes {effc_hls.top, effc_hls.num_inputs = 1 : i64, ...} {
      %w = memref.get_global @f_linear_0_w : memref<32x64xf32>
      affine.for %m = 0 to 8 {
        affine.for %n = 0 to 32 {
          %acc = affine.for %k = 0 to 64 iter_args(%a = %zero) -> (f32) {
            ...
          } {effc_hls.pipeline_ii = 1 : i64}
          affine.store %acc, %y[%m, %n] : memref<8x32xf32>
        }
      } {effc_hls.layer = "linear_0"}
    }
    ```
  }];
  let options = [
    Option<"targetIi", "target-ii", "int64_t", /*default=*/"1",
           "Initiation interval requested of every pipelined loop">,
    Option<"axiBytes", "axi-bytes", "int64_t", /*default=*/"262144",
           "Weights larger than this many bytes become AXI master ports "
           "instead of on-chip ROMs (0: always ROM)">,
    Option<"fixedWidth", "fixed-width", "int64_t", /*default=*/"16",
           "Total bits W of ap_fixed<W, I> for f32 values of float models">,
    Option<"fixedInt", "fixed-int", "int64_t", /*default=*/"6",
           "Integer bits I (sign included) of ap_fixed<W, I>">,
    Option<"sparseMinZeroFraction", "sparse-min-zero-fraction", "double",
           /*default=*/"0.25",
           "Weights with at least this fraction of zeros are stored as "
           "per-row non-zeros (zeros never multiplied)">,
    Option<"dataflow", "dataflow", "bool", /*default=*/"true",
           "Mark functions of several layers for DATAFLOW">,
  ];
  let dependentDialects = [
    "::mlir::affine::AffineDialect", "::mlir::memref::MemRefDialect",
    "::mlir::arith::ArithDialect", "::mlir::math::MathDialect",
    "::mlir::scf::SCFDialect", "::mlir::func::FuncDialect"
  ];
}

def HlsOptimizePass : Pass<"effc-hls-optimize", "ModuleOp"> {
  let summary = "Choose HLS unroll and partition factors under resource budgets and estimate QoR";
  let description = [{
    Runs after `--effc-lower-hls`. For every layer (a loop nest marked
    `effc_hls.layer`) an analytical model in the spirit of ScaleHLS's
    estimator gives the latency in cycles, the achieved II and the DSP,
    BRAM18 and LUT use for a reduction unroll factor U: U parallel
    multipliers (DSPs per multiplier from the operand widths, 27x18 per
    DSP48; products of at most 4x4 bits on LUTs), arrays read along the
    reduction partitioned cyclically by ceil(U / 2) (two BRAM ports per
    bank; arrays read at data-dependent columns completely), so that the
    memory II is met; with U equal to the trip count the reduction is
    unrolled completely and the row loop is pipelined instead. Starting
    from U = 1, the slowest layer's U is doubled while the totals stay
    within `dsp-budget` and `bram-budget`.

    Writes the directives (`effc_hls.unroll`, `effc_hls.pipeline_ii`,
    `effc_hls.partition`) and the estimate: on each layer's loop
    `effc_hls.estimate = {latency, ii, dsp, bram, lut, unroll}`, and on the
    function `effc_hls.estimate = {latency, interval, dsp, bram, lut,
    dsp_budget, bram_budget, target_ii}` (`interval`: cycles between
    inputs, the slowest layer's latency under DATAFLOW). `--effc-report`
    prints these. The model does not see loop-carried recurrences longer
    than one cycle (the running max and sum of attention), so it is
    optimistic there.
  }];
  let options = [
    Option<"dspBudget", "dsp-budget", "int64_t", /*default=*/"220",
           "DSP48 slices available">,
    Option<"bramBudget", "bram-budget", "int64_t", /*default=*/"280",
           "BRAM18 blocks available">,
    Option<"targetIi", "target-ii", "int64_t", /*default=*/"1",
           "Initiation interval requested of every pipelined loop">,
  ];
  let dependentDialects = ["::mlir::affine::AffineDialect"];
}

#endif // EFFC_CONVERSION_PASSES_TD

//===- Passes.td - effc CPU lowering passes ----------------*- tablegen -*-===//

#ifndef EFFC_CONVERSION_CPU_PASSES_TD
#define EFFC_CONVERSION_CPU_PASSES_TD

include "mlir/Pass/PassBase.td"

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

def LowerDynamicExpandShapePass : Pass<"effc-lower-dynamic-expand-shape"> {
  let summary = "memref.expand_shape splitting a runtime size into several "
                "runtime sizes as a reinterpret_cast";
  let description = [{
    `expand-strided-metadata` in MLIR 22 crashes on a `memref.expand_shape`
    that splits one dynamic dim into several dynamic dims, as the [M, N]
    result of a linear layer reshaped back to [B, S, N] is with dynamic batch
    and sequence (docs/upstream-bugs.md has the reproducer). On a contiguous
    (identity layout) source such an expand is only new sizes and strides,
    so this pass writes it as that `memref.reinterpret_cast` (strides the
    suffix products of the output sizes). Other expands are left alone. The
    CPU and GPU pipelines run it before `expand-strided-metadata`.

    Before:
    ```mlir
    %e = memref.expand_shape %m [[0, 1], [2]] output_shape [%b, %s, 96]
        : memref<?x96xf32> into memref<?x?x96xf32>
    ```
    After:
    ```mlir
    %st = arith.muli %s, %c96 : index
    %e = memref.reinterpret_cast %m to offset: [0], sizes: [%b, %s, 96],
        strides: [%st, 96, 1] : memref<?x96xf32> to memref<?x?x96xf32>
    ```
  }];
  let dependentDialects = ["mlir::arith::ArithDialect",
                           "mlir::memref::MemRefDialect"];
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

def LowerCpuElementwisePass
    : Pass<"effc-lower-cpu-elementwise", "ModuleOp"> {
  let summary = "Fuse, thread and vectorize the linalg.generic ops on tensors";
  let description = [{
    What a frontend writes around its GEMMs (layernorm, RMSNorm, GELU,
    SiLU, residual adds, masks, casts: hundreds of `linalg.generic` ops in a
    transformer) otherwise becomes scalar loops on one thread. This pass
    works on tensors, on every `linalg.generic` whose rows (its innermost
    loop and reductions) have static sizes; the outer parallel loops may be
    runtime sizes (a dynamic batch and sequence) and are then threaded over
    their runtime counts (inside a kernel's loops, such as flash
    attention's online softmax, only steps 2's rows and 3 apply: the kernel
    owns the threads):

    0. unit dimensions are dropped; `tensor.pad` becomes a fill and a
       slice insertion; fills that are not a GEMM's destination,
       transposes, broadcasts, copies and maps become generics; a zero
       fill CSE shared between GEMMs is cloned right before each of them
       (the GEMM kernel drops it);
    1. elementwise producers are fused into their only consumer when the
       consumer reads each produced element once (a permutation map), so
       a chain is one pass over memory and nothing is recomputed; powers
       with constant exponents become multiplications;
    2. each generic is tiled into rows: every parallel loop but the
       innermost becomes a dimension of an `scf.forall` (threads) when the
       op has at least `min-parallel-elements` iterations, and the innermost
       loop and every reduction stay whole in the tile;
    3. the tile is vectorized (`vector.transfer_read`, arithmetic on
       vectors, `vector.multi_reduction` lowered to `vector.reduction` when
       it reduces the innermost loop and to elementwise vector arithmetic
       otherwise).

    A generic whose tile would exceed `max-vector-elements` or that the
    vectorizer cannot take stays as it was (scalar loops later).

    Before:
    ```mlir
    %s = linalg.generic {iterator_types = ["parallel", "reduction"]}
        ins(%x : tensor<512x384xf32>) outs(%acc : tensor<512xf32>) {...}
    ```
    After: `scf.forall (%i) in (512)` around `vector.transfer_read` of
    `vector<1x384xf32>` and `vector.reduction <add>`.
  }];
  let options = [
    Option<"minParallelElements", "min-parallel-elements", "int64_t",
           /*default=*/"16384",
           "Iteration count from which a generic is split over threads">,
    Option<"maxVectorElements", "max-vector-elements", "int64_t",
           /*default=*/"4096",
           "Largest tile (iterations) vectorized as one vector computation">,
  ];
  let dependentDialects = [
    "::mlir::linalg::LinalgDialect", "::mlir::tensor::TensorDialect",
    "::mlir::scf::SCFDialect", "::mlir::vector::VectorDialect",
    "::mlir::arith::ArithDialect"
  ];
}

def LowerCpuCopiesPass : Pass<"effc-lower-cpu-copies", "ModuleOp"> {
  let summary = "Strided memref.copy and buffer fills as threaded vector rows";
  let description = [{
    Bufferization writes padding (a convolution's `tensor.pad`) and slice
    insertion as `memref.copy` into a strided subview, which the memref
    lowering turns into a call of the runtime's generic element-by-element
    `memrefCopy`. This pass rewrites every function-level copy with a
    static innermost dimension contiguous on both sides, unless both sides
    are contiguous as a whole (those stay a `memcpy`), into loops over the
    outer dimensions (`scf.parallel` when the copy has at least
    `min-parallel-elements` elements or runtime outer sizes) that move one
    innermost row per iteration as a vector. Copies with runtime outer
    sizes inside a kernel's loops (the last, partial tile of a dynamic
    sequence) become serial row loops. A `linalg.fill` of a buffer (a kernel's own
    zeroed scratch, after bufferization) becomes vector row stores the same
    way.

    Before:
    ```mlir
    memref.copy %a, %sub : memref<2x48x48x32xf32>
        to memref<2x48x48x32xf32, strided<[80000, 1600, 32, 1], offset: 1632>>
    ```
    After: `scf.parallel (%n, %h, %w)` around `vector.transfer_read` /
    `vector.transfer_write` of `vector<32xf32>`.
  }];
  let options = [
    Option<"minParallelElements", "min-parallel-elements", "int64_t",
           /*default=*/"16384",
           "Elements from which a copy is split over threads">,
  ];
  let dependentDialects = [
    "::mlir::scf::SCFDialect", "::mlir::vector::VectorDialect",
    "::mlir::memref::MemRefDialect", "::mlir::arith::ArithDialect"
  ];
}

def ParallelThresholdPass : Pass<"effc-parallel-threshold"> {
  let summary = "Run OpenMP regions with little work serially (omp.parallel if)";
  let description = [{
    Forking and joining OpenMP threads costs a few microseconds, more than
    the whole GEMM of a tiny model (with two threads, a 1 x 8 GPT block ran
    3x slower than with one). This pass gives every `omp.parallel` without
    an `if` the condition `work >= threshold`, so that libomp runs a small
    region on the calling thread.

    `work` estimates the element operations of the region: the trip count
    of its `omp.loop_nest` times the cost of the body, in which an `scf.for`
    costs its trip count times its body, `scf.if` / `scf.index_switch` their
    most expensive branch, a vector op its number of lanes and a scalar op
    1, loads and stores counting twice (with that weight GEMM tiles and
    bandwidth-bound elementwise rows both run at ~80 units per ns). Bounds computed inside the region (tile edges, a thread's chunk) are
    recomputed in front of it with the induction variables at their lower
    bounds. With static sizes the condition folds: a large region is left
    unchanged, a small one gets `if(false)`; with runtime sizes it is an
    `arith.cmpi` on the sizes. A region whose work cannot be estimated there
    (a `while` loop, a call, a bound loaded from memory) stays parallel.
    The CPU pipeline runs it right after `convert-scf-to-openmp`.

    The default threshold is where two threads start to win on an AMD EPYC
    (AVX-512) with libomp: about 260,000 units (~3 us serial; one fork/join
    costs ~1.5-3 us), bench/results/threads.md. `threshold=0` leaves every region parallel.

    Before:
    ```mlir
    omp.parallel {
      omp.wsloop {
        omp.loop_nest (%i) : index = (%c0) to (%n) step (%c1) {
          %v = vector.load %buf[%i, %c0] : memref<?x16xf32>, vector<16xf32>
          ...
    ```
    After:
    ```mlir
    %w = arith.muli %n, %c64 : index
    %big = arith.cmpi sge, %w, %c262144 : index
    omp.parallel if(%big) {
    ```
  }];
  let options = [
    Option<"threshold", "threshold", "int64_t", /*default=*/"262144",
           "Estimated lane operations from which a region forks threads "
           "(0: always)">,
  ];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::omp::OpenMPDialect"];
}

def PartitionWsloopsPass : Pass<"effc-partition-wsloops", "ModuleOp"> {
  let summary = "Split OpenMP worksharing loops among the threads inline";
  let description = [{
    `--convert-scf-to-openmp` makes every threaded loop an `omp.wsloop`,
    which the OpenMP lowering turns into a call of the runtime's
    `__kmpc_for_static_init` per thread and region. The libomp that Debian
    ships is built with KMP_DEBUG, whose static-init formats a trace
    string (three `vsnprintf` calls) on every call whether tracing is on or
    not: about 1 us per parallel region, a fifth of a small model's time.
    This pass computes the same static schedule inline instead: in each
    `omp.parallel`, a plain `omp.wsloop` (no reductions, schedule, order,
    nowait or other clauses) over `omp.loop_nest` becomes a loop of blocks
    (the pass runs after `--convert-scf-to-cf`, once the memref lowering
    has inlined each parallel body's alloca scope) over the calling
    thread's share of the collapsed iteration space
    (`omp_get_thread_num` / `omp_get_num_threads`; `total / threads`
    iterations each, one more for the first `total % threads` threads, as
    libomp's static schedule), followed by an `omp.barrier` unless the loop
    ends the region (whose end joins the threads anyway).

    Before:
    ```mlir
    omp.parallel {
      omp.wsloop {
        omp.loop_nest (%i) : index = (%c0) to (%n) step (%c1) { ...; omp.yield }
      }
      omp.terminator
    }
    ```
    After:
    ```mlir
    omp.parallel {
      %t = func.call @omp_get_thread_num() : () -> i32
      %nt = func.call @omp_get_num_threads() : () -> i32
      ... // [lo, hi) of this thread
      cf.br ^header(%lo : index)
    ^header(%l: index):
      cf.cond_br %in_range, ^ivs, ^done
      ...  // the loop body's blocks, each omp.yield a cf.br ^header(%l + 1)
    ^done:
      omp.terminator
    }
    ```
  }];
  let dependentDialects = [
    "::mlir::cf::ControlFlowDialect", "::mlir::arith::ArithDialect",
    "::mlir::func::FuncDialect", "::mlir::omp::OpenMPDialect"
  ];
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

#endif // EFFC_CONVERSION_CPU_PASSES_TD

//===- Passes.td - effc FPGA (HLS) lowering passes ---------*- tablegen -*-===//

#ifndef EFFC_CONVERSION_HLS_PASSES_TD
#define EFFC_CONVERSION_HLS_PASSES_TD

include "mlir/Pass/PassBase.td"

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
    masks none / causal / window / explicit, the explicit mask read per
    key with its broadcast dims at index 0; grouped-query heads),
    `quant.qcast`, `quant.dcast`, `quant.scast`; weight-only
    `effc.quantized_linear` (float input: integer weight ROMs dequantized
    on the fly as `f32(q) * scale[n][k / G]`, per-tensor, per-channel or
    grouped scales); `effc.dynamic_quantize` and `effc.block_scaled_linear`
    (int8: per-row absmax, scale and rounding in hardware, exact integer
    block sums rescaled in f32 in the reference's order); float
    `effc.sparse_linear` (CSR, BSR, N:M decoded to per-row non-zeros);
    `linalg.generic` (one pipelined loop nest, operands read through their
    indexing maps, constant operands as ROMs; reductions such as
    layernorm's row sums accumulate into their output, initialized from
    its `linalg.fill` or its value; `f64` values, as torch's layernorm
    variance, are `double`); `linalg.fill`, `linalg.transpose` and
    `tensor.extract_slice` (copies);
    `tensor.expand_shape` / `tensor.collapse_shape` (a copy in the new
    shape); `arith.extf` of an f16 / bf16 weight plan (read as the weight).
    Other ops (block-sparse attention layouts, fp8 blocks, quantized
    `effc.sparse_linear`) are an error on the op that says why.

    Dynamic shapes (`max-dims`): a function whose arguments have dynamic
    dimensions (a batch, a sequence) needs one upper bound per dynamic
    dimension, in argument order (`max-dims=16,64` for `tensor<?x?x32xf32>`
    with at most 16 rows of at most 64 tokens); without it, or with the
    wrong number of values or a value below 1, the pass fails with an
    error. Every array is sized at the bounds, and the lowered function
    takes each runtime size as a trailing `index` parameter (`int dimK` in
    C++; `effc.hls.max_dims` lists the bounds). Loops over a dynamic
    dimension run to its runtime size and carry `effc.hls.tripcount`
    (`#pragma HLS loop_tripcount max=`); the sizes of intermediate values
    and results are affine functions of the runtime sizes, derived from the
    arguments (`effc.hls.shapes` records each array parameter's). A runtime
    size above its bound is outside the caller's contract: the function
    clamps it to the bound (never writing past an array), so the elements
    beyond the bound are not computed. torch-mlir's shape glue (`tensor.dim`,
    scalar `arith` on sizes, `cf.assert` on them) is not lowered: sizes are
    derived from the arguments instead. Dynamic dims are supported on the
    leading dims of `effc.linear`, `effc.dynamic_quantize`,
    `effc.block_scaled_linear`, `effc.attention` (dynamic Sq / Skv,
    causal and window masks over the runtime lengths), `linalg.generic`
    (elementwise and reductions), `linalg.fill`, `linalg.transpose`,
    `tensor.extract_slice` (static offsets, unit strides) and reshapes whose
    dynamic dim leads its reassociation group.

    The top function's C++ name is legal whatever the MLIR function is
    called: `top-name` renames it (a C identifier that is not a C++
    keyword, `main` or a name of the testbench), otherwise a name that C++
    reserves gets `_top` appended (`@main` -> `main_top`), so the
    testbench's own `main` never collides.

    Directive attributes (read by `--effc-hls-optimize` and
    `--emit-hls-cpp`) are effc dialect attributes under `effc.hls.`, each
    verified by the dialect (its value and the op it sits on):
    - `effc.hls.top` (unit, func): the top function; `effc.hls.num_inputs`
      (i64, func): how many parameters are inputs (the rest are results);
      `effc.hls.fixed = array<i64: W, I>` (func): the fixed-point format of
      f32 values; `effc.hls.dataflow` (unit, func): layers run as a
      dataflow pipeline (`#pragma HLS DATAFLOW`).
    - `effc.hls.max_dims = array<i64: ...>` (func): the bound of each
      runtime-size parameter (the trailing `index` parameters);
      `effc.hls.shapes` (func): one `affine_map<()[dims...] -> (...)>` per
      array parameter, its runtime shape.
    - `effc.hls.layer` (string, outermost loop of a layer): its name.
    - `effc.hls.tripcount` (i64, loop with a runtime bound): its largest
      trip count (`#pragma HLS loop_tripcount max=`).
    - `effc.hls.pipeline_ii` (i64, loop): `#pragma HLS PIPELINE II=`.
    - `effc.hls.unroll` (i64, loop): `#pragma HLS UNROLL factor=`; 0 unrolls
      completely.
    - `effc.hls.partition = array<i64: f0, f1, ...>` (memref.global,
      memref.alloc, or a function argument attribute): a cyclic partition
      factor per dimension (1: none; the dimension's size: complete).
    - `effc.hls.interface = "m_axi"` (memref.global): a weight too large for
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
        attributes {effc.hls.top, effc.hls.num_inputs = 1 : i64, ...} {
      %w = memref.get_global @f_linear_0_w : memref<32x64xf32>
      affine.for %m = 0 to 8 {
        affine.for %n = 0 to 32 {
          %acc = affine.for %k = 0 to 64 iter_args(%a = %zero) -> (f32) {
            ...
          } {effc.hls.pipeline_ii = 1 : i64}
          affine.store %acc, %y[%m, %n] : memref<8x32xf32>
        }
      } {effc.hls.layer = "linear_0"}
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
    Option<"topName", "top-name", "std::string", /*default=*/"\"\"",
           "C++ name of the top function (the module must then have one "
           "function); empty: the MLIR name, with `_top` appended when it "
           "is not a legal C++ function name (`@main` -> `main_top`)">,
    ListOption<"maxDims", "max-dims", "int64_t",
           "Upper bound of each dynamic dimension of the functions' "
           "arguments, in argument order (required when there are any): "
           "buffers are sized at the bounds and each runtime size becomes "
           "an `int dimK` parameter">,
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
    `effc.hls.layer`) an analytical model in the spirit of ScaleHLS's
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

    Writes the directives (`effc.hls.unroll`, `effc.hls.pipeline_ii`,
    `effc.hls.partition`) and the estimate: on each layer's loop
    `effc.hls.estimate = {latency, ii, dsp, bram, lut, unroll}`, and on the
    function `effc.hls.estimate = {latency, interval, dsp, bram, lut,
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

#endif // EFFC_CONVERSION_HLS_PASSES_TD

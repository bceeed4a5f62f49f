//===- Passes.td - effc transformation passes --------------*- tablegen -*-===//

#ifndef EFFC_TRANSFORMS_PASSES_TD
#define EFFC_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

//===----------------------------------------------------------------------===//
// Raising
//===----------------------------------------------------------------------===//

def RaisePass : Pass<"effc-raise", "ModuleOp"> {
  let summary = "Raise upstream linalg/tosa compute ops to effc ops";
  let description = [{
    Recognizes the compute ops that effc compresses and rewrites them into
    effc ops, in the forms torch-mlir (linalg-on-tensors and TOSA) and the
    ONNX importer write them; everything else is left as it is:

    - `linalg.matmul` / `linalg.batch_matmul` (also with a transposed
      operand, written with `linalg.transpose` or with indexing maps) whose
      right operand is a constant or a function argument -> `effc.linear`
      with an `[N, K]` weight. A batch of one (TOSA's `[1, K, N]` weights)
      gives a plain `[N, K]` weight.
    - Convolutions -> `effc.conv2d` (NHWC input, OHWI weight):
      `linalg.conv_2d_nhwc_hwcf`, `conv_2d_nhwc_fhwc`,
      `depthwise_conv_2d_nhwc_hwc`, and PyTorch's NCHW forms
      `conv_2d_nchw_fchw`, `depthwise_conv_2d_nchw_chw` and the grouped
      `conv_2d_ngchw_gfchw`; `tosa.matmul`, `tosa.conv2d`,
      `tosa.depthwise_conv2d`. A zero `tensor.pad` becomes the conv's
      padding, a bias broadcast into the init its bias.
    - Layout, handled once: an NCHW conv reads and writes through
      transposes, which sink through elementwise generics (those then
      compute in NHWC), fold into reductions and pads, and cancel, so a CNN
      keeps NHWC from its first conv to its classifier.
    - Epilogues: a bias add (as its own generic, in-place on the matmul's
      result, or with the activation in one generic), per-channel affine
      ops on constants (batch norm: subtract, multiply, add) folded into
      the weight and bias, and an activation (relu, relu6 / clamp, gelu,
      gelu-tanh, silu, sigmoid, tanh), recognized numerically however many
      elementwise generics spell it.
    - Constants: `dense_resource` weights become dense literals; transposes,
      reshapes, slices and elementwise generics of constants fold.
    - TOSA that is not raised (bias adds, clamps, batch norm, reshapes) is
      lowered to linalg and folded as above; TOSA's f64 constants (torch-mlir
      computes layer-norm statistics in f64) lower as they are.

    With `remarks=1`, every contraction or convolution left unraised gets a
    remark saying why (an operand neither constant nor an argument, as in
    attention, which `--effc-rewrite-attention` fuses; integer or dynamic
    tensors; an accumulator that is not zero), and each function one remark
    counting the linalg and TOSA ops left.

    Before:
    ```mlir
    %0 = linalg.matmul ins(%x, %w : tensor<8x64xf32>, tensor<64x32xf32>)
                       outs(%zero : tensor<8x32xf32>) -> tensor<8x32xf32>
    ```
    After:
    ```mlir
    %wt = arith.constant dense<...> : tensor<32x64xf32>   // transposed
    %0 = effc.linear %x, %wt : tensor<8x64xf32>, tensor<32x64xf32>
        -> tensor<8x32xf32>
    ```
  }];
  let dependentDialects = [
    "::mlir::effc::EffcDialect", "::mlir::linalg::LinalgDialect",
    "::mlir::tensor::TensorDialect", "::mlir::arith::ArithDialect",
    "::mlir::math::MathDialect"
  ];
  let options = [
    Option<"remarks", "remarks", "bool", /*default=*/"false",
           "Say which ops were left unraised and why">
  ];
}

//===----------------------------------------------------------------------===//
// Attention
//===----------------------------------------------------------------------===//

def SpecializePass : Pass<"effc-specialize", "ModuleOp"> {
  let summary = "Static versions of dynamic functions for listed batch and "
                "sequence sizes, behind a dispatcher";
  let description = [{
    As TensorRT's optimization profiles: each public function with dynamic
    argument dims gets one private copy per listed size, with static
    argument types, named `@<name>_b<B>` / `@<name>_s<S>` /
    `@<name>_b<B>_s<S>`, and the shapes are propagated through its body
    (tensor.dim folding, static `tensor.empty`, tensor.cast folding into
    linalg ops: upstream canonicalization), so every later pass and kernel
    sees a static model. `batch=` sizes dim 0 and `seq=` dim 1 of every
    argument whose dim is dynamic (the cross product when both are given;
    an omitted list leaves that dim dynamic). The original function keeps
    its name and signature and becomes a dispatcher: it compares the
    arguments' runtime dims with each version's and calls the first that
    matches through `tensor.cast`, else `@<name>_dynamic`, the general
    version. Run it first (before `--effc-raise`), on the model as the
    frontend wrote it; copies keep their source function's name for
    calibration keys (`main/linear#0`), so statistics gathered on the
    dynamic model apply to every version. A copy whose body stays partly
    dynamic gets a remark. Functions without dynamic dims are left alone.

    Before (`--effc-specialize="batch=1,8"`):
    ```mlir
    func.func @main(%x: tensor<?x64xf32>) -> tensor<?x32xf32>
    ```
    After:
    ```mlir
    func.func @main(%x: tensor<?x64xf32>) -> tensor<?x32xf32>  // dispatcher
    func.func private @main_b1(%x: tensor<1x64xf32>) -> tensor<1x32xf32>
    func.func private @main_b8(%x: tensor<8x64xf32>) -> tensor<8x32xf32>
    func.func private @main_dynamic(%x: tensor<?x64xf32>) -> tensor<?x32xf32>
    ```
  }];
  let options = [
    ListOption<"batch", "batch", "int64_t",
               "Sizes of dim 0 (batch) to compile static versions for">,
    ListOption<"seq", "seq", "int64_t",
               "Sizes of dim 1 (sequence) to compile static versions for">,
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::scf::SCFDialect",
    "::mlir::tensor::TensorDialect", "::mlir::func::FuncDialect"
  ];
}

def RewriteAttentionPass : Pass<"effc-rewrite-attention", "ModuleOp"> {
  let summary = "Fuse attention written as matmuls + softmax into effc.attention";
  let description = [{
    Finds scaled dot-product attention in the forms frontends emit and
    replaces it with one `effc.attention`, which the backends lower without
    materializing the S x S scores. Anything that does not match is left
    alone. Recognized, on static float tensors of rank 2 ([S, D]), 3
    ([H, S, D]; a `batch_matmul` over [B*H, S, D] stays 3-D with B*H heads)
    and 4 ([B, H, S, D]):

    - Q x K^T and P x V as `linalg.matmul` / `linalg.batch_matmul` (default
      or transposed indexing maps) or as a mul-add `linalg.generic`
      contraction (e.g. dims (b, h, i, j, d)) into a zero-filled init; K^T
      (or Q, V in another layout) may come through `linalg.transpose` or a
      transposing generic.
    - Constant scales: `x * c` or `x / c` in an elementwise generic, or
      `linalg.mul` / `linalg.div` by a splat constant or a `linalg.fill`, on
      the scores, on Q or on K before the matmul; all are multiplied into
      `scale` (always set explicitly, as f32; 1.0 when there is none).
    - An optional additive mask `[Sq, Skv]` or of the scores' rank (every
      dim but Skv may broadcast with size 1, e.g. a `[B, 1, 1, Skv]`
      padding mask): a constant that is 0 where key `j <= i + Skv - Sq` and
      -inf or <= -1e4 elsewhere becomes `mask = causal`; a splat zero is
      dropped; any other value becomes `mask = explicit` with the mask
      operand. The scale and mask may share one generic (`x * c + m`).
      An explicit mask that elementwise linalg ops build by broadcasting
      along some of its non-key dims (Hugging Face's padding mask,
      `[B, 1, Sq, Skv]` from the `[B, Skv]` attention_mask) is re-built
      with size 1 along those dims, and the attention reads the smaller
      mask.
    - Softmax over the last dim: `linalg.softmax`, or decomposed as a max
      reduction (generic or `linalg.reduce`; optional), subtract and exp
      (fused or separate), a sum reduction and a divide or a multiply by
      the reciprocal; per-row values read through a map that drops the last
      dim, a keep-dim `(.., 0)` map of an `expand_shape`, or a
      `linalg.broadcast`.
    Every intermediate (scores, scaled/masked scores, softmax pieces, the
    probabilities) must have no other use.

    Multi-head latent attention (DeepSeek-V2/V3 weight absorption): an
    `effc.attention` whose K and V are `effc.linear` projections of one
    latent C `[..., Skv, Dc]` by constant rank-2 weights W_UK `[D, Dc]` and
    W_UV `[Dv, Dc]` (no bias, no activation, no other use; the same weights
    for every head) becomes `q' = q W_UK` (an `effc.linear` by W_UK^T),
    attention over K = V = C with the original scale (1/sqrt(D) unless
    set), and `effc.linear(attn, W_UV)`. C may have one head shared by all
    query heads (MQA/GQA) or one per head.

    `variant` sets the masking of every `effc.attention` in the module
    after fusion: `flash` keeps the recognized semantics, `causal` and
    `window` impose a causal or sliding-window mask (`window=W > 0`). An
    attention with an explicit mask conflicts with `causal`/`window` and is
    an error on that op (the mask may encode padding a variant would drop).

    Before:
    ```mlir
    %s = linalg.batch_matmul ins(%q, %kt : ...) outs(%zero : ...)
    %scaled = linalg.generic ... { arith.mulf %a, %c0_125 }
    %p = linalg.softmax dimension(2) ins(%scaled : ...) outs(...)
    %o = linalg.batch_matmul ins(%p, %v : ...) outs(%zero2 : ...)
    ```
    After:
    ```mlir
    %o = effc.attention %q, %k, %v {mask = #effc.mask<none>, scale = 1.250000e-01 : f32}
        : tensor<8x128x64xf32>, tensor<8x128x64xf32>, tensor<8x128x64xf32>
        -> tensor<8x128x64xf32>
    ```
  }];
  let options = [
    Option<"variant", "variant", "::mlir::effc::AttentionVariant",
           /*default=*/"::mlir::effc::AttentionVariant::flash",
           "flash | causal | window",
           [{::llvm::cl::values(
               clEnumValN(::mlir::effc::AttentionVariant::flash, "flash",
                          "fuse only"),
               clEnumValN(::mlir::effc::AttentionVariant::causal, "causal",
                          "impose a causal mask"),
               clEnumValN(::mlir::effc::AttentionVariant::window, "window",
                          "impose a sliding window of `window` keys"))}]>,
    Option<"window", "window", "int64_t", /*default=*/"0",
           "Window size for variant=window">,
  ];
  let dependentDialects = [
    "::mlir::effc::EffcDialect", "::mlir::linalg::LinalgDialect",
    "::mlir::tensor::TensorDialect", "::mlir::arith::ArithDialect"
  ];
}

def LowRankPass : Pass<"effc-low-rank", "ModuleOp"> {
  let summary = "Factor constant linear weights by truncated SVD";
  let description = [{
    Replaces `effc.linear` with a constant `[N, K]` weight W by two linears
    with weights V `[R, K]` and U `[N, R]` (W ~ U V from a truncated SVD)
    when that reduces FLOPs and bytes (R * (N + K) < N * K). `rank=R` fixes
    the rank; `energy=e` picks the smallest rank keeping a fraction e of the
    squared singular values. Each rewrite reports the relative Frobenius
    error as a remark; a layer no rank (or not the fixed rank, as on a
    layer narrower than it) would shrink is left alone with a remark.
  }];
  let options = [
    Option<"rank", "rank", "int64_t", /*default=*/"0",
           "Fixed rank (0: choose from energy)">,
    Option<"energy", "energy", "double", /*default=*/"0.99",
           "Fraction of the squared singular values to keep">,
  ];
  let dependentDialects = [
    "::mlir::effc::EffcDialect", "::mlir::arith::ArithDialect"
  ];
}

//===----------------------------------------------------------------------===//
// Reporting
//===----------------------------------------------------------------------===//

def ReportPass : Pass<"effc-report", "ModuleOp"> {
  let summary = "Write per-op precision, sparsity and weight bytes as JSON";
  let description = [{
    Analysis only: the IR is left unchanged. For every compute op with
    weights (`effc.linear`, `effc.conv2d`, `effc.quantized_linear`,
    `effc.quantized_conv2d`, `effc.block_scaled_linear`,
    `effc.sparse_linear`, `effc.attention` with 0 weight bytes, and
    `linalg.matmul` / `linalg.batch_matmul` / `linalg.conv_*` whose second
    input is a constant) it writes a JSON entry with the op's name (a
    `name` / `effc.name` string attribute, else its location), kind,
    weight shape and element type, precision (`effc.precision_plan`, else
    derived from the types), sparsity (exact zeros of a constant weight,
    or the stored fraction of `effc.sparse_linear`, plus the
    `effc.sparsity_plan` fields), the weight bytes as stored (quantization
    scales included), the dense f32 bytes and the parameter count; then
    the model's totals and its compression ratio (dense f32 bytes over
    stored bytes). Weights are read from their raw buffers.

    Example: `effc-opt model.mlir --effc-report="file=report.json"` writes
    ```json
    {"ops": [
       {"name": "fc1", "kind": "effc.linear", "weight_bytes": 8192,
        "dense_f32_bytes": 8192, "params": 2048, ...}
     ],
     "totals": {"ops": 1, "params": 2048, "weight_bytes": 8192,
                "dense_f32_bytes": 8192, "compression_ratio": 1.0,
                "zero_fraction": 0.0}}
    ```
  }];
  let options = [
    Option<"file", "file", "std::string", /*default=*/"\"-\"",
           "Output JSON file ('-' or empty: stdout)">,
    Option<"remarks", "remarks", "bool", /*default=*/"false",
           "Also emit one remark per reported op">,
  ];
}

//===----------------------------------------------------------------------===//
// Compression
//===----------------------------------------------------------------------===//

def PrunePass : Pass<"effc-prune", "ModuleOp"> {
  let summary = "Zero the weakest constant weights of effc.linear / effc.conv2d";
  let description = [{
    Prunes the constant float weights (f32, f16, bf16, f64) of `effc.linear`
    (`[N, K]`, or `[B, N, K]`, reduction K = the last dim) and
    `effc.conv2d` (`[F, KH, KW, C/g]`, reduction `KH * KW * C/g`, contiguous
    per output channel) by the semantics in DESIGN.md; ties always keep
    the lower index:

    - `method=magnitude`: zeroes the `round(sparsity * numel)` smallest |w|
      (round half to even) of each weight; with `scope=global`, of all
      pruned weights together, ranked by (|w|, op order, flat index).
    - `method=nm`: keeps the `n` largest |w| of every group of `m`
      consecutive weights along the reduction; an op whose K is no multiple
      of m (a CNN's first conv, K = 3x3x3) is left dense with a remark.
    - `method=block block=RxC`: ranks the `R x C` blocks of the weight seen
      as `[N, K]` by their L2 (`criterion=l1`: L1) norm and zeroes the
      `round(sparsity * blocks)` weakest. Where R does not divide N or C
      does not divide K, the last blocks are partial and rank by their norm
      scaled to a whole block's size.
    - `method=channel`: removes the `round(sparsity * N)` output channels
      (rows of a linear's `[N, K]` weight, filters of a convolution) with
      the smallest L2 (`criterion=l1`: L1) norm, ops in program order, each
      ranked on its weight as the previous ones left it. The op's weight,
      bias and result shrink, and so do the elementwise ops after it
      (`Elementwise` ops whose other operands are scalars) and the input
      channels of the linear / convolution (groups = 1) consuming it;
      anything else in the way (a function result, a reshape) is an error
      naming that op, as is removing every channel. The weights stay
      dense (smaller).
    - `method=head`: for each `effc.attention` whose Q, K and V come from
      `effc.linear -> tensor.expand_shape (last dim into [H, D]) ->
      linalg.transpose` and whose output goes `linalg.transpose ->
      tensor.collapse_shape -> effc.linear`, removes the
      `round(sparsity * H)` heads with the smallest joint L2 (L1) norm of
      their Q/K/V projection rows and output projection columns, with
      those rows (and bias entries) and columns; the reshapes, transposes
      and the attention shrink to the kept heads. Other forms, grouped-
      query attention and removing every head are errors.

    `exclude` skips ops as `--effc-assign-precision` does: a pattern with
    a `#` is an op key (`main/linear#1`: the function, the op kind and its
    index among that kind, or the op's `effc.name` / `name`; the keys of
    the calibration statistics) and matches it exactly; any other pattern
    matches a substring of the key, name or location; `first` / `last` (or
    `exclude-first-last=true`) skip the first / last prunable op. Weights
    that are not constants are left alone with a remark. The op records
    the decision and the achieved fraction of zeros as
    `effc.sparsity_plan`. Then, with `compress=auto` (the default), each
    pruned 2-D f32 `effc.linear` weight goes through the rewrite of
    `--effc-sparsify`: it becomes `effc.sparse_linear` (CSR, BSR or N:M)
    when the target's cost model says the sparse kernel is faster, and
    otherwise stays a dense constant with zeros, the reason recorded in
    `effc.sparse_decision`; `compress=always` stores every pruned linear
    compressed, `compress=never` keeps all of them dense. An option out of
    range is an error; an op whose shape the method cannot take (2:4 on
    K % 4 != 0) stays dense with a remark.

    `calibration=<stats.json>` (magnitude, nm, block), the statistics
    `effc-run --calibrate` writes: each pruned op (linear or ungrouped
    convolution, anywhere in the model) is compensated with the Gram matrix
    of the inputs the calibration run observed at it (its input rows, or a
    convolution's im2col patches), recorded beside the JSON, by the OBS
    update below; an op without one (a grouped convolution) stays
    uncompensated with a remark.

    With `method=nm` and calibration, the masks are SparseGPT's (Frantar &
    Alistarh, 2023) rather than magnitude's: the columns of each weight
    are swept in order, each group of m loses, per row, the weights of
    smallest saliency `w^2 / [U]_cc^2` (U the upper Cholesky factor of
    H^-1) as the sweep has updated them, and each pruned weight's error is
    spread over the columns not yet visited. `damp` (default 0.01) is the
    damping added to H, relative to its mean diagonal; a few calibration
    rows against a wide K (a rank-deficient H) want more (0.1).

    `calibration=<x.npy>` (magnitude, nm, block): after the masks are
    chosen, the kept weights of each pruned `effc.linear` are updated from
    the activations that reach it (OBS / SparseGPT-style second-order
    compensation, solved exactly per output row): with `X` the layer's
    inputs and `H = X^T X + damp mean(diag) I`, row `w` gets
    `w_S += H_SS^-1 H_SP w_P` on its kept set S, pruned set P, which
    minimizes `|X (w' - w)|` with the mask fixed. The inputs come from
    evaluating, in C++ on the constant weights, the chain of `effc.linear`
    ops (bias, relu / clamp / none) that starts at the function's first
    argument, each layer with the previous layers already compensated; a
    pruned op outside such a chain is an error. Cost O(N K^3) per layer
    (meant for layers up to a few thousand inputs).

    Before (`--effc-prune="method=nm n=2 m=4"`):
    ```mlir
    %w = arith.constant dense<[[1.0, -4.0, 3.0, 2.0]]> : tensor<1x4xf32>
    %y = effc.linear %x, %w : tensor<8x4xf32>, tensor<1x4xf32> -> tensor<8x1xf32>
    ```
    After:
    ```mlir
    %w = arith.constant dense<[[0.0, -4.0, 3.0, 0.0]]> : tensor<1x4xf32>
    %y = effc.linear %x, %w {effc.sparsity_plan = #effc.sparsity_plan<
        method = nm, sparsity = 5.000000e-01 : f64, n = 2, m = 4>}
        : tensor<8x4xf32>, tensor<1x4xf32> -> tensor<8x1xf32>
    ```
  }];
  let options = [
    Option<"method", "method", "::mlir::effc::PruneMethod",
           /*default=*/"::mlir::effc::PruneMethod::magnitude",
           "magnitude | nm | block | channel | head",
           [{::llvm::cl::values(
               clEnumValN(::mlir::effc::PruneMethod::magnitude, "magnitude",
                          "the smallest |w| of each weight"),
               clEnumValN(::mlir::effc::PruneMethod::nm, "nm",
                          "N of every M along K kept"),
               clEnumValN(::mlir::effc::PruneMethod::block, "block",
                          "the weakest RxC blocks"),
               clEnumValN(::mlir::effc::PruneMethod::channel, "channel",
                          "whole output channels removed"),
               clEnumValN(::mlir::effc::PruneMethod::head, "head",
                          "whole attention heads removed"))}]>,
    Option<"sparsity", "sparsity", "double", /*default=*/"0.5",
           "Fraction of weights (magnitude) or blocks (block) to zero, in [0, 1)">,
    Option<"n", "n", "int64_t", /*default=*/"2",
           "Weights kept per group (nm)">,
    Option<"m", "m", "int64_t", /*default=*/"4",
           "Group size along the reduction (nm)">,
    Option<"block", "block", "std::string", /*default=*/"\"4x4\"",
           "Block shape RxC over [N, K] (block)">,
    Option<"criterion", "criterion", "::mlir::effc::PruneCriterion",
           /*default=*/"::mlir::effc::PruneCriterion::l2",
           "Block norm: l1 | l2",
           [{::llvm::cl::values(
               clEnumValN(::mlir::effc::PruneCriterion::l1, "l1", "sum of |w|"),
               clEnumValN(::mlir::effc::PruneCriterion::l2, "l2",
                          "Euclidean norm"))}]>,
    Option<"scope", "scope", "::mlir::effc::PruneScope",
           /*default=*/"::mlir::effc::PruneScope::tensor",
           "tensor | global: rank within each weight or across all of them",
           [{::llvm::cl::values(
               clEnumValN(::mlir::effc::PruneScope::tensor, "tensor",
                          "within each weight"),
               clEnumValN(::mlir::effc::PruneScope::global, "global",
                          "across all weights"))}]>,
    ListOption<"exclude", "exclude", "std::string",
               "Ops to skip: an op key ('main/linear#1', exact), a "
               "substring of a key, name or location, 'first' / 'last'">,
    Option<"excludeFirstLast", "exclude-first-last", "bool",
           /*default=*/"false",
           "Skip the first and the last prunable op (same as "
           "exclude=first,last)">,
    Option<"calibration", "calibration", "std::string", /*default=*/"\"\"",
           "Statistics JSON written by effc-run --calibrate (OBS "
           "compensation of every pruned op from the recorded Hessians), or "
           "a .npy of inputs [..., K] for the function's first argument "
           "(OBS along the effc.linear chain that starts there)">,
    Option<"damp", "damp", "double", /*default=*/"0.01",
           "Damping of the compensation's Hessian, relative to its mean "
           "diagonal (SparseGPT's percdamp)">,
    Option<"compress", "compress", "::mlir::effc::PruneCompress",
           /*default=*/"::mlir::effc::PruneCompress::automatic",
           "auto | always | never: store pruned effc.linear weights as "
           "effc.sparse_linear when the cost model says it pays (auto), "
           "whenever a layout fits (always), or keep them dense (never)",
           "::mlir::effc::pruneCompressValues()">,
  ];
  let dependentDialects = [
    "::mlir::effc::EffcDialect", "::mlir::arith::ArithDialect",
    "::mlir::tensor::TensorDialect", "::mlir::linalg::LinalgDialect"
  ];
}

def AssignPrecisionPass : Pass<"effc-assign-precision", "ModuleOp"> {
  let summary = "Choose each op's weight and activation precision";
  let description = [{
    Writes an `effc.precision_plan` on every `effc.linear` / `effc.conv2d`
    with a constant float weight (ops `exclude` selects, with the meaning
    it has in `--effc-prune`, are skipped). The plan holds the precisions, the
    scale granularity (`tensor`, `channel`, `group` of `group-size` along
    K, or `block`: `group-size` x `group-size` weight blocks with 1 x
    `group-size` activation tiles, DeepSeek-V3's fp8 scheme), the
    calibrated input range and the measured SQNR.

    Activations: `i8` with `calibration=stats.json` (written by `effc-run
    --calibrate`) is static, with the range chosen by
    `calibration-method`: `minmax`, `percentile` (of |x|, default 99.99),
    `mse` (the clip minimizing the expected squared error) or `entropy`
    (TensorRT's KL-divergence clip). Without calibration data, int8
    activations are quantized dynamically (symmetric, one scale per row,
    or per 1 x G tile with group scales) at run time: that is the default,
    and `dynamic=1` asks for it with calibration data too (used then for
    smoothing and the sensitivities).
    `f32` (the default), `bf16` and `f16` activations give weight-only
    quantization; `f8e4m3` needs fp8 weights (dynamic 1 x bk tiles).
    `auto` pairs integer weights with int8 activations and fp8 with fp8.

    Sensitivity is the SQNR of the op's output on the calibration rows
    (the effc-run statistics keep up to 32 input rows per op), or of its
    weights without calibration data. `weights=auto budget-bits=B` picks
    each op's weights from {bf16, f8e4m3, i8, i4} (each with the given
    granularity and with groups of `group-size`) to minimize the summed
    relative output noise (10^(-SQNR/10)) while the stored bits per
    weight, scales included, average at most B: greedy on the knapsack,
    each step taking the cheapest added noise per saved bit.

    `smooth=alpha` (SmoothQuant, with `calibration=`) first migrates the
    activations' outlier channels into the weights of the linears whose
    activations are quantized: the linears reading one activation x get
    factors `s_j = max|x_j|^alpha / max|W[:, j]|^(1 - alpha)` (the weight
    maximum over all of them), x is multiplied by `1 / s` (one
    elementwise `linalg.generic`) and each weight column by `s`. 0.5 is
    the paper's choice for most models. A smoothed op's static range is
    the min / max of its smoothed per-channel ranges.

    Before (`weights=i8 granularity=channel`):
    ```mlir
    %y = effc.linear %x, %w : tensor<8x64xf32>, tensor<32x64xf32> -> tensor<8x32xf32>
    ```
    After:
    ```mlir
    %y = effc.linear %x, %w {effc.precision_plan = #effc.precision_plan<
        weights = i8, activations = f32, granularity = channel,
        sqnr = 4.2e+01 : f64>} : ...
    ```
    Errors: an unknown precision, granularity or method, a group size
    that does not divide K, `auto` without a budget, a budget below the
    cheapest plan, an unreadable calibration file, `smooth` outside
    [0, 1], without calibration or without quantized activations.
  }];
  let options = [
    Option<"weights", "weights", "::mlir::effc::PrecisionOption",
           /*default=*/"::mlir::effc::PrecisionOption::i8",
           "f32 | bf16 | f16 | f8e4m3 | i8 | i4 | auto",
           "::mlir::effc::precisionOptionValues()">,
    Option<"activations", "activations", "::mlir::effc::PrecisionOption",
           /*default=*/"::mlir::effc::PrecisionOption::f32",
           "f32 | bf16 | f16 | f8e4m3 | i8 | auto",
           "::mlir::effc::precisionOptionValues()">,
    Option<"granularity", "granularity", "::mlir::effc::Granularity",
           /*default=*/"::mlir::effc::Granularity::channel",
           "tensor | channel | group | block",
           "::mlir::effc::granularityValues()">,
    Option<"groupSize", "group-size", "int64_t", /*default=*/"128",
           "Weights along K sharing a scale (group), or the block edge (block)">,
    Option<"budgetBits", "budget-bits", "double", /*default=*/"0",
           "Average stored bits per weight for weights=auto (0 = off)">,
    Option<"calibration", "calibration", "std::string", /*default=*/"\"\"",
           "Statistics JSON written by effc-run --calibrate">,
    Option<"calibrationMethod", "calibration-method",
           "::mlir::effc::RangeMethod",
           /*default=*/"::mlir::effc::RangeMethod::percentile",
           "minmax | percentile | mse | entropy",
           "::mlir::effc::rangeMethodValues()">,
    Option<"percentile", "percentile", "double", /*default=*/"99.99",
           "Percentile of |x| kept by calibration-method=percentile">,
    ListOption<"exclude", "exclude", "std::string",
               "Ops to leave in float: an op key ('main/linear#1', exact), a "
               "substring of a key, name or location, 'first' / 'last'">,
    Option<"smooth", "smooth", "double", /*default=*/"0",
           "SmoothQuant migration strength alpha in (0, 1] for linears "
           "with quantized activations (0 = off; needs calibration)">,
    Option<"dynamic", "dynamic", "bool", /*default=*/"false",
           "Quantize int8 activations at run time even with calibration "
           "(which then serves smoothing and sensitivities)">,
  ];
  let dependentDialects = ["::mlir::effc::EffcDialect",
                           "::mlir::arith::ArithDialect",
                           "::mlir::linalg::LinalgDialect"];
}

def QuantizePass : Pass<"effc-quantize", "ModuleOp"> {
  let summary = "Materialize precision plans as quantized weights and ops";
  let description = [{
    Rewrites every op carrying an `effc.precision_plan`:

    - integer weights, float activations: `effc.quantized_linear` with a
      float input (weight-only); conv: `effc.dequantize` + `effc.conv2d`;
    - integer weights, static int8 activations (a calibrated range):
      `quant.qcast` of the input to `!quant.uniform<i8:f32, s:z>` and
      `effc.quantized_linear` / `effc.quantized_conv2d` with an int32
      bias; a result consumed only by the next quantized op is
      requantized to that op's input type with a fixed-point multiplier
      and shift, so no float tensor lies between them;
    - integer weights, dynamic int8 activations: `effc.dynamic_quantize`
      (1 x bk tiles) + `effc.block_scaled_linear`;
    - fp8: `effc.dynamic_quantize` to f8E4M3FN + `effc.block_scaled_linear`
      (fp8 activations), else `effc.dequantize` of fp8 weights;
    - bf16 / f16 weights: a half-precision constant widened by
      `arith.extf`.

    Integer weights are stored as real bytes: `i8` constants with
    `!quant.uniform` per-tensor / per-axis / sub-channel scales via
    `quant.scast`; int4 packed two to a byte and read through
    `effc.unpack_int4`. `quant.qcast(quant.dcast(x))` pairs of the same
    type are removed. With `bias-correction` and the calibration file the
    mean shift of each op's output that weight quantization causes
    (`mean(x) . (W - Wq)^T`) is folded into the bias.

    Ops already in quantized form (an upstream `quant` model) are left
    as they are: their scales are kept.
  }];
  let options = [
    Option<"biasCorrection", "bias-correction", "bool", /*default=*/"false",
           "Fold the mean output shift of weight quantization into the bias">,
    Option<"calibration", "calibration", "std::string", /*default=*/"\"\"",
           "Statistics JSON (for bias-correction)">,
  ];
  let dependentDialects = [
    "::mlir::effc::EffcDialect", "::mlir::arith::ArithDialect",
    "::mlir::quant::QuantDialect", "::mlir::tensor::TensorDialect",
    "::mlir::linalg::LinalgDialect"
  ];
}

def SparsifyPass : Pass<"effc-sparsify", "ModuleOp"> {
  let summary = "Store zero-rich constant weights of effc.linear compressed";
  let description = [{
    Finds the zeros already in the constant f32 weights of `effc.linear`
    (pruned by `--effc-prune` or by another tool), enumerates the layouts
    they fit (CSR; BSR for the block shapes 2x2, 4x1, 4x4, 8x1, 8x4, 8x8,
    16x1, 16x16 that divide the weight; N:M for m = 4 and 8 when no group
    holds m non-zeros) and asks the target's cost model
    (`estimateSparseNs` / `estimateDenseNs` in Sparsify.h; the CPU rates
    are calibrated from bench/results/sparse.json) which is fastest. When
    it beats the dense kernel, the op becomes `effc.sparse_linear` with that
    layout; otherwise it stays dense, zeros kept, so the numbers are the
    same either way. Both cases record the decision as the string
    `effc.sparse_decision` (format, sparsity, compressed bytes and the
    estimates, or why the weight stayed dense), which `--effc-report`
    shows. `force` compresses whenever a layout fits; `format` restricts
    the choice to one format (an error when the weight does not fit it and
    `force` is set).

    Runtime rows (a dynamic batch or sequence, `tensor<?x?xK>` inputs) are
    compressed too: each layout, and the dense kernel, is priced by the
    geometric mean of its estimates over 1 to 512 rows per static row, and
    the decision says so. The CPU sparse kernels count the rows at run time.

    Sparse int8: `effc.quantized_linear` with int8 activations, a constant
    i8 weight behind `quant.scast` (per-tensor or per-output-channel
    scales) and no requantization (an i32 or float result; bias,
    activation and float result kept as the op defines them) becomes a
    quantized `effc.sparse_linear` the same way, priced with the int8
    rates. Per-channel scales fit N:M values only (`quant.scast` checks the
    values' dim 0 against the channel count), so those weights consider N:M
    alone. Requantized (i8-result) layers stay dense and say so.
    `--effc-compress` runs this pass after `--effc-quantize`.

    Before:
    ```mlir
    %w = arith.constant dense<[[0.0, -4.0, 3.0, 0.0]]> : tensor<1x4xf32>
    %y = effc.linear %x, %w : tensor<64x4xf32>, tensor<1x4xf32> -> tensor<64x1xf32>
    ```
    After (`--effc-sparsify="format=nm force=true"`):
    ```mlir
    %v = arith.constant dense<[[-4.0, 3.0]]> : tensor<1x2xf32>
    %i = arith.constant dense<[[1, 2]]> : tensor<1x2xi8>
    %y = effc.sparse_linear %x, %v, %i {effc.sparse_decision = "nm 2:4: ...",
        encoding = #effc.sparse_encoding<format = nm, n = 2, m = 4>,
        weight_shape = array<i64: 1, 4>}
        : tensor<64x4xf32>, tensor<1x2xf32>, tensor<1x2xi8> -> tensor<64x1xf32>
    ```
  }];
  let options = [
    Option<"target", "target", "::mlir::effc::SparseTarget",
           /*default=*/"::mlir::effc::SparseTarget::cpu",
           "Cost model: cpu | gpu (gpu: no sparse kernels yet, stays dense)",
           [{::llvm::cl::values(
               clEnumValN(::mlir::effc::SparseTarget::cpu, "cpu",
                          "the CPU kernels"),
               clEnumValN(::mlir::effc::SparseTarget::gpu, "gpu",
                          "the GPU kernels"))}]>,
    Option<"format", "format", "::mlir::effc::SparseFormatOption",
           /*default=*/"::mlir::effc::SparseFormatOption::automatic",
           "auto | csr | bsr | nm: the formats considered",
           [{::llvm::cl::values(
               clEnumValN(::mlir::effc::SparseFormatOption::automatic, "auto",
                          "all of them"),
               clEnumValN(::mlir::effc::SparseFormatOption::csr, "csr",
                          "compressed sparse rows"),
               clEnumValN(::mlir::effc::SparseFormatOption::bsr, "bsr",
                          "block sparse rows"),
               clEnumValN(::mlir::effc::SparseFormatOption::nm, "nm",
                          "N:M groups along K"))}]>,
    Option<"force", "force", "bool", /*default=*/"false",
           "Compress whenever a layout fits, ignoring the cost model">,
  ];
  let dependentDialects = [
    "::mlir::effc::EffcDialect", "::mlir::arith::ArithDialect",
    "::mlir::quant::QuantDialect"
  ];
}

#endif // EFFC_TRANSFORMS_PASSES_TD

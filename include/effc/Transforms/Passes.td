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
    effc ops; everything else is left as it is:

    - `linalg.matmul` / `linalg.batch_matmul` (also with a transposed
      operand, written with `linalg.transpose` or with indexing maps) whose
      right operand is a constant or a function argument -> `effc.linear`
      with an `[N, K]` weight. A following bias-add and an activation
      generic (relu, gelu, silu, clamp) fold into the op.
    - `linalg.conv_2d_nhwc_hwcf`, `linalg.depthwise_conv_2d_nhwc_hwc` ->
      `effc.conv2d` (OHWI weight), with the bias/activation folding above.
    - `tosa.matmul`, `tosa.conv2d`, `tosa.depthwise_conv2d` likewise.

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
    "::mlir::tensor::TensorDialect", "::mlir::arith::ArithDialect"
  ];
}

//===----------------------------------------------------------------------===//
// Attention
//===----------------------------------------------------------------------===//

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
    - An optional additive mask `[Sq, Skv]` or of the scores' rank (leading
      dims broadcast with size 1): a constant that is 0 where key
      `j <= i + Skv - Sq` and -inf or <= -1e4 elsewhere becomes
      `mask = causal`; a splat zero is dropped; any other value becomes
      `mask = explicit` with the mask operand. The scale and mask may share
      one generic (`x * c + m`).
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
    Option<"variant", "variant", "std::string", /*default=*/"\"flash\"",
           "flash | causal | window">,
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
    error as a remark.
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
      consecutive weights along the reduction; K must be a multiple of m.
    - `method=block block=RxC`: ranks the `R x C` blocks of the weight seen
      as `[N, K]` by their L2 (`criterion=l1`: L1) norm and zeroes the
      `round(sparsity * blocks)` weakest; R must divide N and C divide K.

    `exclude` skips ops whose `name` / `effc.name` string attribute (else
    location) contains one of the listed substrings; `first` / `last` skip
    the first / last prunable op. Weights that are not constants are left
    alone with a remark. The pruned weight stays dense (a new constant) and
    the op records the decision and the achieved fraction of zeros as
    `effc.sparsity_plan`. An option out of range or a shape that does not
    divide is an error.

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
    Option<"method", "method", "std::string", /*default=*/"\"magnitude\"",
           "magnitude | nm | block">,
    Option<"sparsity", "sparsity", "double", /*default=*/"0.5",
           "Fraction of weights (magnitude) or blocks (block) to zero, in [0, 1)">,
    Option<"n", "n", "int64_t", /*default=*/"2",
           "Weights kept per group (nm)">,
    Option<"m", "m", "int64_t", /*default=*/"4",
           "Group size along the reduction (nm)">,
    Option<"block", "block", "std::string", /*default=*/"\"4x4\"",
           "Block shape RxC over [N, K] (block)">,
    Option<"criterion", "criterion", "std::string", /*default=*/"\"l2\"",
           "Block norm: l1 | l2">,
    Option<"scope", "scope", "std::string", /*default=*/"\"tensor\"",
           "tensor | global: rank within each weight or across all of them">,
    ListOption<"exclude", "exclude", "std::string",
               "Op-name substrings to skip; 'first' / 'last': the first / "
               "last prunable op">,
  ];
  let dependentDialects = [
    "::mlir::effc::EffcDialect", "::mlir::arith::ArithDialect"
  ];
}

#endif // EFFC_TRANSFORMS_PASSES_TD

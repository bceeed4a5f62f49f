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
    Finds scaled dot-product attention in the forms frontends emit (Q x K^T
    through `linalg.transpose`, transposed indexing maps or `batch_matmul`
    over [B*H, S, D]; a constant scale multiplied or divided before or after
    the matmul; an optional additive mask; softmax as `linalg.softmax` or
    decomposed; the matmul with V; 2-D, 3-D and 4-D) and replaces it with
    one `effc.attention`, which the backends lower without materializing the
    S x S scores. Anything that does not match is left alone. `variant`
    chooses the masking of the result: `flash` keeps the recognized
    semantics, `causal` and `window` impose a causal or sliding-window mask
    (`window=W`). When K and V are both projections of one latent with
    constant weights (multi-head latent attention), the projections are
    absorbed into the query and output sides.
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

#endif // EFFC_TRANSFORMS_PASSES_TD

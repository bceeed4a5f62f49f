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

#endif // EFFC_TRANSFORMS_PASSES_TD

//===- Passes.td - effc reference lowering passes ----------*- tablegen -*-===//

#ifndef EFFC_CONVERSION_REFERENCE_PASSES_TD
#define EFFC_CONVERSION_REFERENCE_PASSES_TD

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

#endif // EFFC_CONVERSION_REFERENCE_PASSES_TD

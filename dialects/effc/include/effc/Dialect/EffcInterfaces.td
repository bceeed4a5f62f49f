//===- EffcInterfaces.td - effc op interfaces --------------*- tablegen -*-===//
//
// Interfaces that let passes and lowerings handle a family of effc ops by
// what their operands mean instead of by operand position.
//
//===----------------------------------------------------------------------===//

#ifndef EFFC_DIALECT_EFFCINTERFACES_TD
#define EFFC_DIALECT_EFFCINTERFACES_TD

include "mlir/IR/OpBase.td"

def Effc_WeightedOpInterface : OpInterface<"WeightedOpInterface"> {
  let cppNamespace = "::mlir::effc";
  let description = [{
    An op that multiplies an activation input by a weight along a reduction
    dimension and produces one value per output channel: `effc.linear`,
    `effc.conv2d`, their quantized forms, `effc.block_scaled_linear` and
    `effc.sparse_linear`. Compression passes (pruning, precision assignment,
    quantization, sparsification, reports) and the lowerings read the input,
    weight, bias and fused activation through this interface instead of
    operand positions and attribute names.

    The weight is output-channel major: `[N, K]` (batched `[B, N, K]`) for
    the linear ops and OHWI `[F, KH, KW, C / groups]` for the convolutions,
    so output channel `n` reads the `getReductionSize()` contiguous weights
    of row `n`. `effc.sparse_linear` has no dense weight operand; its dense
    shape is `weight_shape`. The methods assume a verified op (the op
    verifiers guarantee the weight ranks they index).

    ```c++
    if (auto weighted = dyn_cast<WeightedOpInterface>(op))
      if (Value bias = weighted.getBias())
        ...;
    ```
  }];

  let methods = [
    InterfaceMethod<
      /*desc=*/[{
        Returns the activation input: `[..., K]` for the linear ops, NHWC for
        the convolutions.
      }],
      /*retTy=*/"::mlir::Value",
      /*methodName=*/"getInput",
      /*args=*/(ins),
      /*methodBody=*/[{ return $_op.getInput(); }]
    >,
    InterfaceMethod<
      /*desc=*/[{
        Returns the operand that holds the dense weight, for passes that
        replace the weight, or null when the op stores its weight compressed
        (`effc.sparse_linear`).
      }],
      /*retTy=*/"::mlir::OpOperand *",
      /*methodName=*/"getWeightOperand",
      /*args=*/(ins),
      /*methodBody=*/[{}],
      /*defaultImplementation=*/[{ return &$_op.getWeightMutable(); }]
    >,
    InterfaceMethod<
      /*desc=*/[{
        Returns the dense weight (float, `!quant` quantized, or fp8 / i8 for
        the block-scaled op), or null when the op stores its weight
        compressed (`effc.sparse_linear`).
      }],
      /*retTy=*/"::mlir::Value",
      /*methodName=*/"getWeight",
      /*args=*/(ins),
      /*methodBody=*/[{
        if (::mlir::OpOperand *weight = $_op.getWeightOperand())
          return weight->get();
        return {};
      }]
    >,
    InterfaceMethod<
      /*desc=*/[{
        Returns the shape of the dense weight: `[N, K]`, `[B, N, K]` or
        `[F, KH, KW, C / groups]` (for `effc.sparse_linear`, its
        `weight_shape`).
      }],
      /*retTy=*/"::llvm::ArrayRef<int64_t>",
      /*methodName=*/"getWeightShape",
      /*args=*/(ins),
      /*methodBody=*/[{}],
      /*defaultImplementation=*/[{
        return ::llvm::cast<::mlir::ShapedType>($_op.getWeight().getType())
            .getShape();
      }]
    >,
    InterfaceMethod<
      /*desc=*/[{
        Returns the operand that holds the bias, for passes that replace it,
        or null when the op has no bias (absent, or no bias operand at all).
      }],
      /*retTy=*/"::mlir::OpOperand *",
      /*methodName=*/"getBiasOperand",
      /*args=*/(ins),
      /*methodBody=*/[{}],
      /*defaultImplementation=*/[{
        ::mlir::MutableOperandRange bias = $_op.getBiasMutable();
        return bias.empty() ? nullptr : &bias[0];
      }]
    >,
    InterfaceMethod<
      /*desc=*/[{
        Returns the bias `[N]` added per output channel, or null when the op
        has none.
      }],
      /*retTy=*/"::mlir::Value",
      /*methodName=*/"getBias",
      /*args=*/(ins),
      /*methodBody=*/[{
        if (::mlir::OpOperand *bias = $_op.getBiasOperand())
          return bias->get();
        return {};
      }]
    >,
    InterfaceMethod<
      /*desc=*/"Returns the fused activation (`none` when the op has none).",
      /*retTy=*/"::mlir::effc::Activation",
      /*methodName=*/"getActivation",
      /*args=*/(ins),
      /*methodBody=*/[{}],
      /*defaultImplementation=*/[{ return ::mlir::effc::Activation::none; }]
    >,
    InterfaceMethod<
      /*desc=*/[{
        Returns the lower bound of activation `clamp`, absent otherwise.
      }],
      /*retTy=*/"::std::optional<::llvm::APFloat>",
      /*methodName=*/"getClampMin",
      /*args=*/(ins),
      /*methodBody=*/[{}],
      /*defaultImplementation=*/[{ return ::std::nullopt; }]
    >,
    InterfaceMethod<
      /*desc=*/[{
        Returns the upper bound of activation `clamp`, absent otherwise.
      }],
      /*retTy=*/"::std::optional<::llvm::APFloat>",
      /*methodName=*/"getClampMax",
      /*args=*/(ins),
      /*methodBody=*/[{}],
      /*defaultImplementation=*/[{ return ::std::nullopt; }]
    >,
    InterfaceMethod<
      /*desc=*/[{
        Returns the `clamp_min` attribute (an f32), for building an op with
        the same activation; null when absent.
      }],
      /*retTy=*/"::mlir::FloatAttr",
      /*methodName=*/"getClampMinAttr",
      /*args=*/(ins),
      /*methodBody=*/[{}],
      /*defaultImplementation=*/[{ return {}; }]
    >,
    InterfaceMethod<
      /*desc=*/[{
        Returns the `clamp_max` attribute (an f32), for building an op with
        the same activation; null when absent.
      }],
      /*retTy=*/"::mlir::FloatAttr",
      /*methodName=*/"getClampMaxAttr",
      /*args=*/(ins),
      /*methodBody=*/[{}],
      /*defaultImplementation=*/[{ return {}; }]
    >,
    InterfaceMethod<
      /*desc=*/[{
        Returns how many products each output element sums: K for the
        linear ops, `KH * KW * C / groups` for the convolutions (the
        contiguous row of an output channel's weights). Dynamic
        (`ShapedType::kDynamic`) when a dim it depends on is.
      }],
      /*retTy=*/"int64_t",
      /*methodName=*/"getReductionSize",
      /*args=*/(ins),
      /*methodBody=*/[{}],
      /*defaultImplementation=*/[{ return $_op.getWeightShape().back(); }]
    >,
    InterfaceMethod<
      /*desc=*/[{
        Returns the number of output channels: N of an `[N, K]` or
        `[B, N, K]` weight, F of a convolution's. Dynamic when that dim is.
      }],
      /*retTy=*/"int64_t",
      /*methodName=*/"getOutputChannels",
      /*args=*/(ins),
      /*methodBody=*/[{}],
      /*defaultImplementation=*/[{
        ::llvm::ArrayRef<int64_t> shape = $_op.getWeightShape();
        return shape[shape.size() - 2];
      }]
    >,
  ];
}

#endif // EFFC_DIALECT_EFFCINTERFACES_TD

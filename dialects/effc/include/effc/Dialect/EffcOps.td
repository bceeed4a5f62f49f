//===- EffcOps.td - effc operations ------------------------*- tablegen -*-===//

#ifndef EFFC_DIALECT_EFFCOPS_TD
#define EFFC_DIALECT_EFFCOPS_TD

include "effc/Dialect/EffcBase.td"
include "effc/Dialect/EffcAttrs.td"
include "effc/Dialect/EffcInterfaces.td"
include "mlir/Interfaces/SideEffectInterfaces.td"
include "mlir/IR/OpBase.td"

//===----------------------------------------------------------------------===//
// Operand type constraints
//===----------------------------------------------------------------------===//

// Element types by what a tensor holds; the op verifiers add the rules that
// relate operands to each other (shapes, a bias that follows the input).
def Effc_QuantizedType : Type<
    CPred<"::llvm::isa<::mlir::quant::QuantizedType>($_self)">,
    "quantized (!quant)", "::mlir::quant::QuantizedType">;

def Effc_FloatTensor : RankedTensorOf<[AnyFloat]>;
def Effc_F32Tensor : RankedTensorOf<[F32]>;
def Effc_I32Tensor : RankedTensorOf<[I32]>;
def Effc_IntegerTensor : RankedTensorOf<[AnyInteger]>;
def Effc_QuantizedTensor : RankedTensorOf<[Effc_QuantizedType]>;
def Effc_FloatOrQuantizedTensor
    : RankedTensorOf<[AnyFloat, Effc_QuantizedType]>;
// Quantized storage with scales held as data: integers or fp8.
def Effc_QuantStorageTensor
    : RankedTensorOf<[AnyInteger, F8E4M3FN, F8E5M2]>;
// A bias in the accumulator's scale (i32) or, weight-only, in float.
def Effc_I32OrFloatTensor : RankedTensorOf<[I32, AnyFloat]>;
// Raw accumulators, dequantized floats or a requantized !quant.uniform.
def Effc_QuantizedResultTensor
    : RankedTensorOf<[I32, AnyFloat, Effc_QuantizedType]>;
def Effc_BlockScaledTensor : RankedTensorOf<[F8E4M3FN, I8]>;
// Sparse values: float, !quant i8, or signless i8 with `channel_scales`.
def Effc_SparseValuesTensor
    : RankedTensorOf<[AnyFloat, I8, Effc_QuantizedType]>;
// CSR / BSR column indices (i32), N:M positions (i8) or packed words (i16).
def Effc_SparseIndicesTensor : RankedTensorOf<[I8, I16, I32]>;

// The ops that multiply an input by a weight. Ops whose weight is not a
// plain `$weight` operand or not `[..., K]` implement more methods.
defvar Effc_WeightedOp = DeclareOpInterfaceMethods<Effc_WeightedOpInterface>;
defvar Effc_WeightedConvOp = DeclareOpInterfaceMethods<
    Effc_WeightedOpInterface, ["getReductionSize", "getOutputChannels"]>;

//===----------------------------------------------------------------------===//
// Float compute ops
//===----------------------------------------------------------------------===//

def Effc_LinearOp : Effc_Op<"linear",
    [Pure, SameOperandsAndResultElementType, Effc_WeightedOp]> {
  let summary = "Matrix product with a weight, optional bias and activation";
  let description = [{
    `output[..., n] = act(sum_k input[..., k] * weight[n, k] + bias[n])`.

    The weight is output-channel major, `[N, K]` (as in `torch.nn.Linear`
    and ONNX `Gemm` with `transB`), so per-channel scales run along dim 0
    and N:M groups along the contiguous K. A rank-3 weight `[B, N, K]`
    gives a batched product with a rank-3 input `[B, M, K]`. The input may
    have any rank >= 1 with a rank-2 weight. Element types are one float
    type throughout. `clamp_min`/`clamp_max` are given exactly when the
    activation is `clamp`.

    Example:
    ```mlir
    %y = effc.linear %x, %w bias %b {activation = #effc.activation<relu>}
        : tensor<8x64xf32>, tensor<32x64xf32>, tensor<32xf32> -> tensor<8x32xf32>
    ```
  }];
  let arguments = (ins
    Effc_FloatTensor:$input,
    Effc_FloatTensor:$weight,
    Optional<Effc_FloatTensor>:$bias,
    DefaultValuedAttr<Effc_ActivationAttr, "::mlir::effc::Activation::none">:$activation,
    OptionalAttr<F32Attr>:$clamp_min,
    OptionalAttr<F32Attr>:$clamp_max
  );
  let results = (outs Effc_FloatTensor:$output);
  let assemblyFormat = [{
    $input `,` $weight (`bias` $bias^)? attr-dict `:` type($input) `,`
    type($weight) (`,` type($bias)^)? `->` type($output)
  }];
  let hasVerifier = 1;
  let hasCanonicalizer = 1;
}

def Effc_Conv2DOp : Effc_Op<"conv2d",
    [Pure, SameOperandsAndResultElementType, Effc_WeightedConvOp]> {
  let summary = "Grouped 2-D convolution, NHWC input, OHWI weight";
  let description = [{
    A 2-D convolution with input `[N, H, W, C]`, weight
    `[F, KH, KW, C / groups]` (output-channel major, as TOSA), optional bias
    `[F]` and a fused activation. `groups == C` with `F == C * multiplier`
    is a depthwise convolution. `padding` is `[top, bottom, left, right]`.
    The output is `[N, OH, OW, F]` with
    `OH = (H + top + bottom - dilation_h * (KH - 1) - 1) / stride_h + 1`.

    Example:
    ```mlir
    %y = effc.conv2d %x, %w bias %b {strides = array<i64: 1, 1>,
        dilations = array<i64: 1, 1>, padding = array<i64: 1, 1, 1, 1>,
        groups = 1 : i64, activation = #effc.activation<relu>}
        : tensor<1x16x16x8xf32>, tensor<16x3x3x8xf32>, tensor<16xf32>
        -> tensor<1x16x16x16xf32>
    ```
  }];
  let arguments = (ins
    Effc_FloatTensor:$input,
    Effc_FloatTensor:$weight,
    Optional<Effc_FloatTensor>:$bias,
    DefaultValuedAttr<DenseI64ArrayAttr, "{1, 1}">:$strides,
    DefaultValuedAttr<DenseI64ArrayAttr, "{1, 1}">:$dilations,
    DefaultValuedAttr<DenseI64ArrayAttr, "{0, 0, 0, 0}">:$padding,
    DefaultValuedAttr<I64Attr, "1">:$groups,
    DefaultValuedAttr<Effc_ActivationAttr, "::mlir::effc::Activation::none">:$activation,
    OptionalAttr<F32Attr>:$clamp_min,
    OptionalAttr<F32Attr>:$clamp_max
  );
  let results = (outs Effc_FloatTensor:$output);
  let assemblyFormat = [{
    $input `,` $weight (`bias` $bias^)? attr-dict `:` type($input) `,`
    type($weight) (`,` type($bias)^)? `->` type($output)
  }];
  let hasVerifier = 1;
  let hasCanonicalizer = 1;
}

def Effc_AttentionOp : Effc_Op<"attention",
    [Pure, SameOperandsAndResultElementType]> {
  let summary = "Scaled dot-product attention with masking and GQA";
  let description = [{
    `output = softmax(scale * Q K^T + mask) V` over the last two dims.
    Q is `[..., Hq, Sq, D]`, K is `[..., Hkv, Skv, D]`, V is
    `[..., Hkv, Skv, Dv]` and the output `[..., Hq, Sq, Dv]`; all have the
    same rank (2, 3 or 4) and equal leading (batch) dims. With rank >= 3,
    `Hq` must be a multiple of `Hkv`: query head `h` reads key/value head
    `h / (Hq / Hkv)` (grouped-query attention; `Hkv == 1` is multi-query).
    `scale` defaults to `1 / sqrt(D)`.

    `mask` selects masking (see `#effc.mask`): `window` needs a positive
    `window`; `explicit` needs the `mask` operand, an additive float mask
    that broadcasts to the scores `[..., Hq, Sq, Skv]`: it has rank 2 (one
    `[Sq, Skv]` mask for every batch and head) or the scores' full rank, its
    last dim is `Skv`, and every other dim is 1 (broadcast) or equal to the
    scores' dim. A padding mask is thus `[B, 1, 1, Skv]`: one row of key
    biases per sequence, shared by all heads and query rows.

    Block-sparse attention (BigBird / Longformer layouts): `block_size =
    [bq, bk]` tiles the scores into `bq x bk` blocks and `block_layout`, a
    row-major `[Sq / bq, Skv / bk]` boolean array, says which blocks are
    computed; keys in inactive blocks are masked out, on top of `mask`.
    Backends skip inactive blocks entirely. A query row that sees no key at
    all (possible only with such layouts) produces zeros.

    Examples:
    ```mlir
    %o = effc.attention %q, %k, %v {mask = #effc.mask<causal>}
        : tensor<1x8x128x64xf32>, tensor<1x2x128x64xf32>, tensor<1x2x128x64xf32>
        -> tensor<1x8x128x64xf32>
    %p = effc.attention %q, %k, %v mask(%pad : tensor<16x1x1x32xf32>)
        {mask = #effc.mask<explicit>}
        : tensor<16x12x32x32xf32>, tensor<16x12x32x32xf32>,
          tensor<16x12x32x32xf32> -> tensor<16x12x32x32xf32>
    ```
  }];
  let arguments = (ins
    Effc_FloatTensor:$query,
    Effc_FloatTensor:$key,
    Effc_FloatTensor:$value,
    Optional<Effc_FloatTensor>:$mask_values,
    OptionalAttr<F32Attr>:$scale,
    DefaultValuedAttr<Effc_MaskKindAttr, "::mlir::effc::MaskKind::none">:$mask,
    OptionalAttr<I64Attr>:$window,
    OptionalAttr<DenseI64ArrayAttr>:$block_size,
    OptionalAttr<DenseBoolArrayAttr>:$block_layout
  );
  let results = (outs Effc_FloatTensor:$output);
  let builders = [
    // Dense attention (no block layout).
    OpBuilder<(ins "::mlir::Type":$output, "::mlir::Value":$query,
                   "::mlir::Value":$key, "::mlir::Value":$value,
                   "::mlir::Value":$mask_values, "::mlir::FloatAttr":$scale,
                   "::mlir::effc::MaskKindAttr":$mask,
                   "::mlir::IntegerAttr":$window), [{
      build($_builder, $_state, output, query, key, value, mask_values,
            scale, mask, window, ::mlir::DenseI64ArrayAttr(),
            ::mlir::DenseBoolArrayAttr());
    }]>
  ];
  let assemblyFormat = [{
    $query `,` $key `,` $value (`mask` `(` $mask_values^ `:` type($mask_values) `)`)?
    attr-dict `:` type($query) `,` type($key) `,` type($value) `->` type($output)
  }];
  let hasVerifier = 1;
  let hasCanonicalizer = 1;
  let extraClassDeclaration = [{
    /// The softmax scale: the attribute, or 1/sqrt(D) when absent.
    double getScaleOrDefault();
  }];
}

//===----------------------------------------------------------------------===//
// Quantization ops
//===----------------------------------------------------------------------===//

def Effc_QuantizeOp : Effc_Op<"quantize", [Pure]> {
  let summary = "Quantize with scales given as a tensor";
  let description = [{
    `output = saturate(round_half_even(input / scale) + zero_point)` where
    each element reads the scale (and zero point) of its block: the scale
    tensor has the input's rank and `scale_shape[i] == ceil(input_shape[i] /
    block[i])`: a block at the end of a dim that `block[i]` does not divide
    is partial, as in DeepSeek-V3's kernels. This covers per-tensor, per-channel, per-group and
    DeepSeek-V3 style block scales whose values are data (computed at run
    time or stored as a constant). Quantization with compile-time scales
    uses the upstream `quant.qcast` and `!quant.uniform` types instead.
    The result is an integer or fp8 tensor; fp8 results have no zero point.

    Example:
    ```mlir
    %q = effc.quantize %x, %s {block = array<i64: 1, 128>}
        : tensor<4x256xf32>, tensor<4x2xf32> -> tensor<4x256xi8>
    ```
  }];
  let arguments = (ins
    Effc_FloatTensor:$input,
    Effc_FloatTensor:$scale,
    Optional<Effc_IntegerTensor>:$zero_point,
    DenseI64ArrayAttr:$block
  );
  let results = (outs Effc_QuantStorageTensor:$output);
  let assemblyFormat = [{
    $input `,` $scale (`zero_point` $zero_point^)? attr-dict `:` type($input)
    `,` type($scale) (`,` type($zero_point)^)? `->` type($output)
  }];
  let hasVerifier = 1;
  let hasFolder = 1;
}

def Effc_DequantizeOp : Effc_Op<"dequantize", [Pure]> {
  let summary = "Dequantize with scales given as a tensor";
  let description = [{
    The inverse of `effc.quantize`: `output = (input - zero_point) * scale`
    with the same block convention. `effc.quantize` of an
    `effc.dequantize` with the same scale, zero point and block folds to
    the original integers.

    Example:
    ```mlir
    %x = effc.dequantize %q, %s {block = array<i64: 1, 128>}
        : tensor<4x256xi8>, tensor<4x2xf32> -> tensor<4x256xf32>
    ```
  }];
  let arguments = (ins
    Effc_QuantStorageTensor:$input,
    Effc_FloatTensor:$scale,
    Optional<Effc_IntegerTensor>:$zero_point,
    DenseI64ArrayAttr:$block
  );
  let results = (outs Effc_FloatTensor:$output);
  let assemblyFormat = [{
    $input `,` $scale (`zero_point` $zero_point^)? attr-dict `:` type($input)
    `,` type($scale) (`,` type($zero_point)^)? `->` type($output)
  }];
  let hasVerifier = 1;
}

def Effc_DynamicQuantizeOp : Effc_Op<"dynamic_quantize", [Pure]> {
  let summary = "Quantize with symmetric scales computed at run time";
  let description = [{
    Computes one symmetric scale per block, `max|x| / qmax` (`qmax` is
    `2^(b-1) - 1` for a b-bit integer, 448 for f8E4M3FN; an all-zero block
    gets scale 1), and quantizes with it. Blocks are as in
    `effc.quantize`: `block = [1, K]` is per-row dynamic int8, and
    `block = [1, 128]` the 1x128 activation tiles of DeepSeek-V3.

    Example:
    ```mlir
    %q, %s = effc.dynamic_quantize %x {block = array<i64: 1, 128>}
        : tensor<4x256xf32> -> tensor<4x256xf8E4M3FN>, tensor<4x2xf32>
    ```
  }];
  let arguments = (ins Effc_FloatTensor:$input, DenseI64ArrayAttr:$block);
  let results = (outs Effc_QuantStorageTensor:$output,
                      Effc_FloatTensor:$scale);
  let assemblyFormat = [{
    $input attr-dict `:` type($input) `->` type($output) `,` type($scale)
  }];
  let hasVerifier = 1;
}

def Effc_UnpackInt4Op : Effc_Op<"unpack_int4", [Pure]> {
  let summary = "Unpacks int4 values stored two to a byte";
  let description = [{
    Reads bytes `[..., K / 2] x i8` and produces `[..., K] x i4`: element
    `2j` is the low nibble of byte `j` and element `2j + 1` the high
    nibble, each sign-extended. This is how `--effc-quantize` stores int4
    weights, so a constant occupies K / 2 bytes per row; the CPU kernels
    read the packed bytes directly and unpack them in registers.

    Example:
    ```mlir
    %w4 = effc.unpack_int4 %packed : tensor<32x32xi8> -> tensor<32x64xi4>
    ```
  }];
  let arguments = (ins RankedTensorOf<[I8]>:$input);
  let results = (outs RankedTensorOf<[I<4>]>:$output);
  let assemblyFormat = [{
    $input attr-dict `:` type($input) `->` type($output)
  }];
  let hasVerifier = 1;
}

def Effc_QuantizedLinearOp
    : Effc_Op<"quantized_linear", [Pure, Effc_WeightedOp]> {
  let summary = "Integer linear with int32 accumulation and requantization";
  let description = [{
    The quantized form of `effc.linear`. The input is
    `[..., K] x !quant.uniform<i8:f32, s_x:z_x>` (per tensor), the weight
    `[N, K]` with symmetric `!quant.uniform` scales per tensor, per output
    channel (per-axis on dim 0) or per group along K (sub-channel, block
    sizes `{0:1, 1:G}`), stored as i8 or i4. The optional bias is
    `[N] x i32` in the scale `s_x * s_w`. Products accumulate in int32.

    With a float input (f32, bf16 or f16) the op is weight-only
    quantized: `output = input x dequantize(weight)^T + bias`, with a float
    bias of the input's type and a result of the input's type; the kernels
    dequantize the weight in registers.

    With a quantized input, the result is one of:
    - `i32`: the raw accumulators (per-tensor or per-channel weights only);
    - `f32`/`bf16`/`f16`: dequantized, `acc * s_x * s_w[n]`;
    - `!quant.uniform<i8:f32, s_y:z_y>`: requantized by fixed-point
      `multiplier`/`shift` (one pair, or one per output channel):
      `y = saturate(z_y + rounding_shift(acc * multiplier, 31 + shift))`,
      where `multiplier * 2^-(31 + shift) ~= s_x * s_w[n] / s_y`.
    The activation may be `none`, `relu` or `clamp` for integer results.

    Example:
    ```mlir
    %y = effc.quantized_linear %x, %w bias %b {multiplier = array<i32: 1518500250>,
        shift = array<i32: 7>}
        : tensor<8x64x!quant.uniform<i8:f32, 0.05:-3>>,
          tensor<32x64x!quant.uniform<i8<-127:127>:f32, 0.01>>, tensor<32xi32>
        -> tensor<8x32x!quant.uniform<i8:f32, 0.1:5>>
    ```
  }];
  let arguments = (ins
    Effc_FloatOrQuantizedTensor:$input,
    Effc_QuantizedTensor:$weight,
    Optional<Effc_I32OrFloatTensor>:$bias,
    OptionalAttr<DenseI32ArrayAttr>:$multiplier,
    OptionalAttr<DenseI32ArrayAttr>:$shift,
    DefaultValuedAttr<Effc_ActivationAttr, "::mlir::effc::Activation::none">:$activation,
    OptionalAttr<F32Attr>:$clamp_min,
    OptionalAttr<F32Attr>:$clamp_max
  );
  let results = (outs Effc_QuantizedResultTensor:$output);
  let assemblyFormat = [{
    $input `,` $weight (`bias` $bias^)? attr-dict `:` type($input) `,`
    type($weight) (`,` type($bias)^)? `->` type($output)
  }];
  let hasVerifier = 1;
}

def Effc_QuantizedConv2DOp
    : Effc_Op<"quantized_conv2d", [Pure, Effc_WeightedConvOp]> {
  let summary = "Integer grouped 2-D convolution with requantization";
  let description = [{
    The quantized form of `effc.conv2d` (same layouts and attributes), with
    the quantized operand and result conventions of `effc.quantized_linear`:
    the weight `[F, KH, KW, C / groups]` is quantized per tensor or per
    output channel (axis 0); the padding value is the input zero point.

    Example:
    ```mlir
    %y = effc.quantized_conv2d %x, %w {padding = array<i64: 1, 1, 1, 1>}
        : tensor<1x8x8x4x!quant.uniform<i8:f32, 0.05>>,
          tensor<8x3x3x4x!quant.uniform<i8<-127:127>:f32, 0.02>>
        -> tensor<1x8x8x8xi32>
    ```
  }];
  let arguments = (ins
    Effc_QuantizedTensor:$input,
    Effc_QuantizedTensor:$weight,
    Optional<Effc_I32Tensor>:$bias,
    DefaultValuedAttr<DenseI64ArrayAttr, "{1, 1}">:$strides,
    DefaultValuedAttr<DenseI64ArrayAttr, "{1, 1}">:$dilations,
    DefaultValuedAttr<DenseI64ArrayAttr, "{0, 0, 0, 0}">:$padding,
    DefaultValuedAttr<I64Attr, "1">:$groups,
    OptionalAttr<DenseI32ArrayAttr>:$multiplier,
    OptionalAttr<DenseI32ArrayAttr>:$shift,
    DefaultValuedAttr<Effc_ActivationAttr, "::mlir::effc::Activation::none">:$activation,
    OptionalAttr<F32Attr>:$clamp_min,
    OptionalAttr<F32Attr>:$clamp_max
  );
  let results = (outs Effc_QuantizedResultTensor:$output);
  let assemblyFormat = [{
    $input `,` $weight (`bias` $bias^)? attr-dict `:` type($input) `,`
    type($weight) (`,` type($bias)^)? `->` type($output)
  }];
  let hasVerifier = 1;
}

def Effc_BlockScaledLinearOp : Effc_Op<"block_scaled_linear", [Pure,
    AllElementTypesMatch<["input", "weight"]>,
    DeclareOpInterfaceMethods<Effc_WeightedOpInterface, ["getBiasOperand"]>]> {
  let summary = "Linear on block-scaled fp8/int8 operands (DeepSeek-V3 style)";
  let description = [{
    `output[m, n] = sum_k xq[m, k] * xs[m, k / bk] * wq[n, k] *
    ws[n / bn, k / bk]`, accumulated per K block (in f32 for f8E4M3FN, exactly in
    i32 for i8) and scaled per block, as DeepSeek-V3's fp8 GEMM does: the input has 1 x `bk` tiles and
    the weight `bn x bk` blocks (`block = [bn, bk]`, 128x128 there). Scales
    are `[..., ceil(K / bk)]` and `[ceil(N / bn), ceil(K / bk)]`: blocks at
    the end of N or K may be partial (a 1024 x 1000 weight has 8 x 8 blocks,
    the last column of blocks 104 wide). The quantized operands are
    f8E4M3FN or i8; scales are f32. The input may have leading batch dims.

    Example:
    ```mlir
    %y = effc.block_scaled_linear %xq, %xs, %wq, %ws {block = array<i64: 128, 128>}
        : tensor<4x256xf8E4M3FN>, tensor<4x2xf32>, tensor<256x256xf8E4M3FN>,
          tensor<2x2xf32> -> tensor<4x256xbf16>
    ```
  }];
  let arguments = (ins
    Effc_BlockScaledTensor:$input,
    Effc_F32Tensor:$input_scale,
    Effc_BlockScaledTensor:$weight,
    Effc_F32Tensor:$weight_scale,
    DenseI64ArrayAttr:$block
  );
  let results = (outs Effc_FloatTensor:$output);
  let assemblyFormat = [{
    $input `,` $input_scale `,` $weight `,` $weight_scale attr-dict `:`
    type($input) `,` type($input_scale) `,` type($weight) `,`
    type($weight_scale) `->` type($output)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Sparse ops
//===----------------------------------------------------------------------===//

def Effc_SparseLinearOp : Effc_Op<"sparse_linear", [Pure,
    AttrSizedOperandSegments,
    DeclareOpInterfaceMethods<Effc_WeightedOpInterface, ["getWeightOperand"]>]> {
  let summary = "Linear whose weight is stored compressed (CSR, BSR or N:M)";
  let description = [{
    The same computation as `effc.linear` with the dense `[N, K]` weight
    (`weight_shape`) stored compressed as described by `encoding` (see
    `#effc.sparse_encoding`): `values`, `indices` and, for CSR and BSR,
    `offsets`. Values are float (the input's type) or i8 quantized per
    tensor or per output channel with `!quant.uniform` (then the input is
    quantized too and the result follows `effc.quantized_linear` without
    requantization: i32 or float). A per-axis `!quant.uniform` needs a
    values dim of the channel count, which only N:M values have; CSR and
    BSR values quantized per output channel are therefore signless `i8`
    with the symmetric scales in `channel_scales` (one per row of the
    dense weight, zero point 0).

    Example:
    ```mlir
    %y = effc.sparse_linear %x, %vals, %idx {encoding =
        #effc.sparse_encoding<format = nm, n = 2, m = 4>,
        weight_shape = array<i64: 32, 64>}
        : tensor<8x64xf32>, tensor<32x32xf32>, tensor<32x32xi8> -> tensor<8x32xf32>
    ```
  }];
  let arguments = (ins
    Effc_FloatOrQuantizedTensor:$input,
    Effc_SparseValuesTensor:$values,
    Effc_SparseIndicesTensor:$indices,
    Optional<Effc_I32Tensor>:$offsets,
    Optional<Effc_I32OrFloatTensor>:$bias,
    Effc_SparseEncodingAttr:$encoding,
    DenseI64ArrayAttr:$weight_shape,
    DefaultValuedAttr<Effc_ActivationAttr, "::mlir::effc::Activation::none">:$activation,
    OptionalAttr<F32Attr>:$clamp_min,
    OptionalAttr<F32Attr>:$clamp_max,
    OptionalAttr<DenseF32ArrayAttr>:$channel_scales
  );
  let results = (outs Effc_I32OrFloatTensor:$output);
  let assemblyFormat = [{
    $input `,` $values `,` $indices (`offsets` $offsets^)? (`bias` $bias^)?
    attr-dict `:` type($input) `,` type($values) `,` type($indices)
    `` custom<OffsetsAndBiasTypes>(type($offsets), type($bias)) `->` type($output)
  }];
  let hasVerifier = 1;
}

#endif // EFFC_DIALECT_EFFCOPS_TD

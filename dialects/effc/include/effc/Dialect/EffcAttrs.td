//===- EffcAttrs.td - effc enums and attributes ------------*- tablegen -*-===//

#ifndef EFFC_DIALECT_EFFCATTRS_TD
#define EFFC_DIALECT_EFFCATTRS_TD

include "effc/Dialect/EffcBase.td"
include "mlir/IR/BuiltinAttributeInterfaces.td"

//===----------------------------------------------------------------------===//
// Enums
//===----------------------------------------------------------------------===//

def Effc_Activation : I32EnumAttr<"Activation",
    "activation fused into a compute op", [
      I32EnumAttrCase<"none", 0>,
      I32EnumAttrCase<"relu", 1>,
      I32EnumAttrCase<"gelu", 2>,
      I32EnumAttrCase<"gelu_tanh", 3>,
      I32EnumAttrCase<"silu", 4>,
      I32EnumAttrCase<"sigmoid", 5>,
      I32EnumAttrCase<"tanh", 6>,
      I32EnumAttrCase<"clamp", 7>
    ]> {
  let cppNamespace = "::mlir::effc";
  let genSpecializedAttr = 0;
}
def Effc_ActivationAttr : EnumAttr<Effc_Dialect, Effc_Activation, "activation"> {
  let summary = "Activation fused into a compute op";
  let description = [{
    The elementwise function applied to the result of `effc.linear`,
    `effc.conv2d` and their quantized and sparse forms, after the bias:
    `none`, `relu`, `gelu` (erf form), `gelu_tanh` (tanh approximation),
    `silu`, `sigmoid`, `tanh` or `clamp` (with `clamp_min`/`clamp_max`).

    Example: `#effc.activation<gelu>`
  }];
  let assemblyFormat = "`<` $value `>`";
}

def Effc_MaskKind : I32EnumAttr<"MaskKind", "attention mask kind", [
      I32EnumAttrCase<"none", 0>,
      I32EnumAttrCase<"causal", 1>,
      I32EnumAttrCase<"window", 2>,
      I32EnumAttrCase<"additive", 3, "explicit">
    ]> {
  let cppNamespace = "::mlir::effc";
  let genSpecializedAttr = 0;
}
def Effc_MaskKindAttr : EnumAttr<Effc_Dialect, Effc_MaskKind, "mask"> {
  let summary = "How an attention op masks scores";
  let description = [{
    `none`: every query sees every key. `causal`: query `i` sees key `j` iff
    `j <= i + (Skv - Sq)` (aligned to the end, so decoding with a KV cache
    works). `window`: causal and also `j > i + (Skv - Sq) - window`.
    `explicit`: an additive mask operand is added to the scaled scores.

    Example: `#effc.mask<causal>`
  }];
  let assemblyFormat = "`<` $value `>`";
}

def Effc_SparseFormat : I32EnumAttr<"SparseFormat",
    "compressed sparse weight format", [
      I32EnumAttrCase<"csr", 0>,
      I32EnumAttrCase<"bsr", 1>,
      I32EnumAttrCase<"nm", 2>
    ]> {
  let cppNamespace = "::mlir::effc";
}

def Effc_Precision : I32EnumAttr<"Precision", "numeric precision", [
      I32EnumAttrCase<"f32", 0>,
      I32EnumAttrCase<"bf16", 1>,
      I32EnumAttrCase<"f16", 2>,
      I32EnumAttrCase<"f8e4m3", 3>,
      I32EnumAttrCase<"i8", 4>,
      I32EnumAttrCase<"i4", 5>
    ]> {
  let cppNamespace = "::mlir::effc";
}

def Effc_Granularity : I32EnumAttr<"Granularity",
    "granularity of quantization scales", [
      I32EnumAttrCase<"tensor", 0>,
      I32EnumAttrCase<"channel", 1>,
      I32EnumAttrCase<"group", 2>,
      I32EnumAttrCase<"block", 3>
    ]> {
  let cppNamespace = "::mlir::effc";
}

def Effc_PruneMethod : I32EnumAttr<"PruneMethod", "pruning method", [
      I32EnumAttrCase<"magnitude", 0>,
      I32EnumAttrCase<"nm", 1>,
      I32EnumAttrCase<"block", 2>,
      I32EnumAttrCase<"channel", 3>,
      I32EnumAttrCase<"head", 4>
    ]> {
  let cppNamespace = "::mlir::effc";
}

//===----------------------------------------------------------------------===//
// Attributes
//===----------------------------------------------------------------------===//

def Effc_SparseEncodingAttr : Effc_Attr<"SparseEncoding", "sparse_encoding"> {
  let summary = "Layout of a compressed sparse weight";
  let description = [{
    Describes how `effc.sparse_linear` reads its compressed weight. The dense
    weight is `[N, K]` (output channels by reduction).

    - `csr`: `values[nnz]`, `indices[nnz]` (column in K, i32),
      `offsets[N + 1]` (row starts, i32).
    - `bsr`: blocks of `block_rows x block_cols`: `values[nnzb, R, C]`,
      `indices[nnzb]` (block column), `offsets[N / R + 1]`.
    - `nm`: in every group of `m` consecutive weights along K at most `n`
      are kept: `values[N, K * n / m]` and, no offsets, the in-group
      position of each kept value (ascending within a group) as either
      - `indices[N, K * n / m]` x i8, one position per value (any `m`), or
      - `indices[N, ceil(K * n / m / 8)]` x i16, packed 2-bit positions
        (`m <= 4`): the `j`-th kept value of a row is bits
        `[2 (j % 8), 2 (j % 8) + 2)` of word `j / 8`. For 2:4 each group of
        four is one nibble, low position in bits 0-1: the metadata that
        sparse tensor cores (`mma.sp`) read, 2 bits per stored value.
        `--effc-prune` and `--effc-sparsify` store this form when `m <= 4`.

    Examples:
    ```mlir
    #effc.sparse_encoding<format = csr>
    #effc.sparse_encoding<format = bsr, block_rows = 4, block_cols = 8>
    #effc.sparse_encoding<format = nm, n = 2, m = 4>
    ```
  }];
  let parameters = (ins
    EnumParameter<Effc_SparseFormat>:$format,
    DefaultValuedParameter<"int64_t", "0">:$n,
    DefaultValuedParameter<"int64_t", "0">:$m,
    DefaultValuedParameter<"int64_t", "0">:$block_rows,
    DefaultValuedParameter<"int64_t", "0">:$block_cols
  );
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
}

def Effc_PrecisionPlanAttr : Effc_Attr<"PrecisionPlan", "precision_plan"> {
  let summary = "Precision chosen for an op's weights and activations";
  let description = [{
    Written by `--effc-assign-precision` (as the discardable attribute
    `effc.precision_plan`) and read by `--effc-quantize`. `group_size` is
    the number of consecutive weights along K that share a scale; it is
    set exactly when the granularity is `group` or `block` (for `block` it
    is the square block edge, 128 in DeepSeek-V3).

    `input_min` / `input_max` are the calibrated range of the op's input
    activation (absent: quantized dynamically at run time), and `sqnr` the
    measured signal-to-quantization-noise ratio in dB of the op's output on
    calibration data (or of its weights when there is none): the estimate
    `--effc-report` shows.

    Example:
    ```mlir
    #effc.precision_plan<weights = i4, activations = bf16,
                         granularity = group, group_size = 128>
    #effc.precision_plan<weights = i8, activations = i8, granularity = channel,
                         input_min = -2.5 : f64, input_max = 3.0 : f64,
                         sqnr = 41.2 : f64>
    ```
  }];
  let parameters = (ins
    EnumParameter<Effc_Precision>:$weights,
    EnumParameter<Effc_Precision>:$activations,
    EnumParameter<Effc_Granularity>:$granularity,
    DefaultValuedParameter<"int64_t", "0">:$group_size,
    OptionalParameter<"::mlir::FloatAttr">:$input_min,
    OptionalParameter<"::mlir::FloatAttr">:$input_max,
    OptionalParameter<"::mlir::FloatAttr">:$sqnr
  );
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
}

def Effc_SparsityPlanAttr : Effc_Attr<"SparsityPlan", "sparsity_plan"> {
  let summary = "Pruning decision recorded on an op";
  let description = [{
    Written by `--effc-prune` (as the discardable attribute
    `effc.sparsity_plan`): the method, the target fraction of zero weights,
    and the method's shape parameters (`n`/`m` for `nm`, `block_rows` /
    `block_cols` for `block`).

    Example:
    ```mlir
    #effc.sparsity_plan<method = nm, sparsity = 5.000000e-01 : f64, n = 2, m = 4>
    ```
  }];
  let parameters = (ins
    EnumParameter<Effc_PruneMethod>:$method,
    "::mlir::FloatAttr":$sparsity,
    DefaultValuedParameter<"int64_t", "0">:$n,
    DefaultValuedParameter<"int64_t", "0">:$m,
    DefaultValuedParameter<"int64_t", "0">:$block_rows,
    DefaultValuedParameter<"int64_t", "0">:$block_cols
  );
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
}

#endif // EFFC_DIALECT_EFFCATTRS_TD

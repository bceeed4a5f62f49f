//===- EffcBase.td - effc dialect definition ---------------*- tablegen -*-===//
//
// The effc dialect: high-level inference ops that effc's compression passes
// (pruning, precision assignment, quantization, attention rewriting) work on,
// and the quantized and sparse ops those passes produce.
//
//===----------------------------------------------------------------------===//

#ifndef EFFC_DIALECT_EFFCBASE_TD
#define EFFC_DIALECT_EFFCBASE_TD

include "mlir/IR/OpBase.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/EnumAttr.td"

def Effc_Dialect : Dialect {
  let name = "effc";
  let cppNamespace = "::mlir::effc";
  let summary = "High-level ops for compressed neural-network inference";
  let description = [{
    The `effc` dialect holds the ops that effc's compression and code
    generation work on: float compute ops (`effc.linear`, `effc.conv2d`,
    `effc.attention`), quantized ops (`effc.quantize`, `effc.dequantize`,
    `effc.dynamic_quantize`, `effc.quantized_linear`,
    `effc.quantized_conv2d`, `effc.block_scaled_linear`) and sparse ops that
    consume compressed weights (`effc.sparse_linear`). Static quantization
    parameters use the upstream `quant` dialect's types
    (`!quant.uniform<...>`, per-axis and sub-channel); effc only adds ops
    for what upstream cannot express, such as scales computed at run time.

    Every op has a reference lowering to `linalg`/`arith`/`math` on tensors
    (`--effc-lower-reference`), which defines its semantics.

    Two discardable attributes record compression decisions on any op:
    `effc.precision_plan` (a `#effc.precision_plan<...>`) and
    `effc.sparsity_plan` (a `#effc.sparsity_plan<...>`); `effc.name` (a
    string) names an op for pass options such as `exclude=` and for reports.

    The FPGA path records its HLS directives as discardable `effc.hls.*`
    attributes, written by `--effc-lower-hls` and `--effc-hls-optimize` and
    read by `--emit-hls-cpp`. The dialect checks each one's value and the op
    it sits on:
    - on `func.func`: `effc.hls.top` (unit), `effc.hls.num_inputs` (i64, at
      most the number of arguments), `effc.hls.fixed` (`array<i64: W, I>`,
      `0 < I < W`), `effc.hls.dataflow` (unit), `effc.hls.max_dims`
      (`array<i64: ...>`, each >= 1, one per trailing `index` parameter),
      `effc.hls.shapes` (one `affine_map<()[...] -> (...)>` per array
      parameter: its runtime shape in the runtime sizes);
    - on `affine.for`: `effc.hls.layer` (non-empty string),
      `effc.hls.pipeline_ii` (i64 >= 1), `effc.hls.tripcount` (i64 >= 1, the
      largest trip count of a loop with a runtime bound), `effc.hls.unroll` (i64 >= 0, 0
      unrolls completely);
    - on `func.func` or `affine.for`: `effc.hls.estimate` (a dictionary of
      integers);
    - on `memref.global`, `memref.alloc`, `memref.alloca` or a `func.func`
      memref argument: `effc.hls.partition` (`array<i64: ...>`, one cyclic
      factor >= 1 per dimension);
    - on `memref.global`: `effc.hls.interface = "m_axi"`.

    ```mlir
    func.func @f(%x: memref<8x64xf32> {effc.hls.partition = array<i64: 1, 4>},
                 %y: memref<8x32xf32>)
        attributes {effc.hls.top, effc.hls.num_inputs = 1 : i64} {
      affine.for %m = 0 to 8 {
        ...
      } {effc.hls.layer = "linear_0", effc.hls.pipeline_ii = 1 : i64}
      return
    }
    ```
  }];
  let dependentDialects = [
    "::mlir::quant::QuantDialect",
    "::mlir::tensor::TensorDialect",
    "::mlir::arith::ArithDialect"
  ];
  let useDefaultAttributePrinterParser = 1;
  let hasOperationAttrVerify = 1;
  let hasRegionArgAttrVerify = 1;
  let hasConstantMaterializer = 0;
  let extraClassDeclaration = [{
    void registerAttributes();

    /// Name of the discardable attribute holding a precision plan.
    static constexpr ::llvm::StringLiteral kPrecisionPlanAttrName =
        "effc.precision_plan";
    /// Name of the discardable attribute holding a sparsity plan.
    static constexpr ::llvm::StringLiteral kSparsityPlanAttrName =
        "effc.sparsity_plan";
    /// Name of the discardable attribute naming an op (a layer name from the
    /// frontend) for `exclude=` options and reports.
    static constexpr ::llvm::StringLiteral kNameAttrName = "effc.name";
    /// Name of the discardable string attribute in which `--effc-sparsify`
    /// records why a pruned weight stayed dense (or which format won).
    static constexpr ::llvm::StringLiteral kSparseDecisionAttrName =
        "effc.sparse_decision";

    // HLS directives (see the dialect description for where each goes).
    /// Unit, func.func: the function `--emit-hls-cpp` emits.
    static constexpr ::llvm::StringLiteral kHlsTopAttrName = "effc.hls.top";
    /// i64, func.func: how many parameters are inputs (the rest results).
    static constexpr ::llvm::StringLiteral kHlsNumInputsAttrName =
        "effc.hls.num_inputs";
    /// array<i64: W, I>, func.func: the ap_fixed format of f32 values.
    static constexpr ::llvm::StringLiteral kHlsFixedAttrName =
        "effc.hls.fixed";
    /// Unit, func.func: the layers run as a DATAFLOW pipeline.
    static constexpr ::llvm::StringLiteral kHlsDataflowAttrName =
        "effc.hls.dataflow";
    /// Dictionary of integers, func.func or a layer's affine.for: the QoR
    /// estimate of `--effc-hls-optimize`.
    static constexpr ::llvm::StringLiteral kHlsEstimateAttrName =
        "effc.hls.estimate";
    /// String, func.func: the function an --effc-specialize version was
    /// copied from (its calibration keys use that name).
    static constexpr ::llvm::StringLiteral kSpecializedFromAttrName =
        "effc.specialized_from";
    /// array<i64>, func.func: the bound of each runtime-size parameter (the
    /// function's trailing `index` parameters, one per dynamic dim).
    static constexpr ::llvm::StringLiteral kHlsMaxDimsAttrName =
        "effc.hls.max_dims";
    /// Array of affine maps `()[sizes...] -> (dims...)`, func.func: the
    /// runtime shape of each array parameter.
    static constexpr ::llvm::StringLiteral kHlsShapesAttrName =
        "effc.hls.shapes";
    /// i64 >= 1, affine.for with a runtime bound: its largest trip count
    /// (`#pragma HLS loop_tripcount max=`).
    static constexpr ::llvm::StringLiteral kHlsTripcountAttrName =
        "effc.hls.tripcount";
    /// String, affine.for: the outermost loop of a layer, and its name.
    static constexpr ::llvm::StringLiteral kHlsLayerAttrName =
        "effc.hls.layer";
    /// i64 >= 1, affine.for: `#pragma HLS PIPELINE II=`.
    static constexpr ::llvm::StringLiteral kHlsPipelineIiAttrName =
        "effc.hls.pipeline_ii";
    /// i64 >= 0, affine.for: `#pragma HLS UNROLL`; 0 unrolls completely.
    static constexpr ::llvm::StringLiteral kHlsUnrollAttrName =
        "effc.hls.unroll";
    /// array<i64>, an array (global, alloc, function argument): a cyclic
    /// partition factor per dimension (1: none, the size: complete).
    static constexpr ::llvm::StringLiteral kHlsPartitionAttrName =
        "effc.hls.partition";
    /// String, memref.global: a weight passed as an AXI master port.
    static constexpr ::llvm::StringLiteral kHlsInterfaceAttrName =
        "effc.hls.interface";
    /// The only `effc.hls.interface` value.
    static constexpr ::llvm::StringLiteral kHlsMAxiInterface = "m_axi";
  }];
}

class Effc_Op<string mnemonic, list<Trait> traits = []>
    : Op<Effc_Dialect, mnemonic, traits>;

class Effc_Attr<string name, string attrMnemonic, list<Trait> traits = []>
    : AttrDef<Effc_Dialect, name, traits> {
  let mnemonic = attrMnemonic;
}

#endif // EFFC_DIALECT_EFFCBASE_TD

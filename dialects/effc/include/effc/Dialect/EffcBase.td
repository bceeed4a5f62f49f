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
  }];
  let dependentDialects = [
    "::mlir::quant::QuantDialect",
    "::mlir::tensor::TensorDialect",
    "::mlir::arith::ArithDialect"
  ];
  let useDefaultAttributePrinterParser = 1;
  let hasOperationAttrVerify = 1;
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
  }];
}

class Effc_Op<string mnemonic, list<Trait> traits = []>
    : Op<Effc_Dialect, mnemonic, traits>;

class Effc_Attr<string name, string attrMnemonic, list<Trait> traits = []>
    : AttrDef<Effc_Dialect, name, traits> {
  let mnemonic = attrMnemonic;
}

#endif // EFFC_DIALECT_EFFCBASE_TD

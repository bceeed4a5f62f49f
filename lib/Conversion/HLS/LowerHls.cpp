//===- LowerHls.cpp - effc ops to affine loops for HLS ----------*- C++ -*-===//
//
// The FPGA code generator's first half: every function on tensors becomes a
// function on static memrefs (arguments, then one output memref per
// result) whose body is one affine loop nest per layer, with HLS directives
// as `effc.hls.*` attributes (see Passes.td). Constant weights become
// `memref.global` ROMs; weights with many zeros are stored compressed per
// output row (values and column indices) so that zeros are never
// multiplied. Quantized layers keep their exact integer widths: the inputs
// minus their zero point, the products and the accumulator get the
// narrowest signless integer types that hold them, and the requantization
// is the reference's (int64 fixed-point multiply, round half up, shift,
// zero point, clamp), so the emitted C++ is bit-exact with the CPU.
//
//===----------------------------------------------------------------------===//

#include "LowerHls.h"
#include "effc/Target/HlsCpp.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

#include "llvm/ADT/STLExtras.h"

namespace mlir {
namespace effc {
#define GEN_PASS_DEF_LOWERHLSPASS
#include "effc/Conversion/HLS/Passes.h.inc"
} // namespace effc
} // namespace mlir

using namespace mlir;
using namespace mlir::effc;
using namespace mlir::effc::hls;

//===----------------------------------------------------------------------===//
// Buffers and elementwise loops
//===----------------------------------------------------------------------===//

Value FuncLowering::bufferFor(Value result, MemRefType type) {
  if (Value out = resultBuffer.lookup(result))
    return out;
  return memref::AllocOp::create(b, result.getLoc(), type);
}

void FuncLowering::elementwise(Location loc, StringRef name, MemRefType type,
                               function_ref<void(ValueRange)> fn) {
  OpBuilder::InsertionGuard g(b);
  SmallVector<Value> ivs;
  affine::AffineForOp innermost;
  for (int64_t d = 0; d < type.getRank(); ++d) {
    auto loop = affine::AffineForOp::create(b, loc, 0, type.getDimSize(d));
    if (d == 0)
      loop->setAttr(EffcDialect::kHlsLayerAttrName, b.getStringAttr(name));
    b.setInsertionPointToStart(loop.getBody());
    ivs.push_back(loop.getInductionVar());
    innermost = loop;
  }
  if (innermost)
    innermost->setAttr(EffcDialect::kHlsPipelineIiAttrName,
                       b.getI64IntegerAttr(opts.targetIi));
  fn(ivs);
}

void FuncLowering::copy(Location loc, Value from, Value to) {
  elementwise(loc, "copy", cast<MemRefType>(to.getType()), [&](ValueRange iv) {
    Value v = affine::AffineLoadOp::create(b, loc, from, iv);
    affine::AffineStoreOp::create(b, loc, v, to, iv);
  });
}

//===----------------------------------------------------------------------===//
// The top function
//===----------------------------------------------------------------------===//

LogicalResult FuncLowering::run() {
  MLIRContext *ctx = src.getContext();
  if (src.isExternal())
    return success();
  if (!llvm::hasSingleElement(src.getBody()))
    return src.emitError("effc-lower-hls: functions must have one block");
  // The signature: inputs, then one output array per result.
  SmallVector<Type> argTypes;
  for (Type t : src.getFunctionType().getInputs()) {
    auto tt = dyn_cast<RankedTensorType>(t);
    if (!tt || !tt.hasStaticShape())
      return src.emitError("effc-lower-hls: arguments must be static tensors");
    argTypes.push_back(memTypeOf(tt));
  }
  for (Type t : src.getFunctionType().getResults()) {
    auto tt = dyn_cast<RankedTensorType>(t);
    if (!tt || !tt.hasStaticShape())
      return src.emitError("effc-lower-hls: results must be static tensors");
    argTypes.push_back(memTypeOf(tt));
  }
  // Float compute runs in ap_fixed; a quantized model's float boundary
  // (qcast inputs, dequantized outputs) in float, bit-exact with the CPU.
  bool floatCompute = false, quantized = false;
  src.walk([&](Operation *op) {
    if (isa<LinearOp, Conv2DOp>(op))
      floatCompute = true;
    if (auto sp = dyn_cast<SparseLinearOp>(op)) {
      if (isa<quant::QuantizedType>(sp.getInput().getType().getElementType()))
        quantized = true;
      else
        floatCompute = true;
    }
    if (isa<QuantizedLinearOp, QuantizedConv2DOp, quant::QuantizeCastOp,
            quant::DequantizeCastOp, DynamicQuantizeOp, BlockScaledLinearOp>(
            op))
      quantized = true;
  });
  if (floatCompute && quantized)
    return src.emitError("effc-lower-hls: a function mixes float layers and "
                         "quantized ones; the HLS path maps float either to "
                         "ap_fixed (float models) or to float (the boundary "
                         "of quantized models), not both");
  fixedMode = floatCompute;

  OpBuilder mb(src);
  // Named by top-name: the new function takes it once the old one is gone,
  // so ROM names are made from it already.
  StringRef name = opts.topName.empty() ? src.getSymName() : opts.topName;
  dst = func::FuncOp::create(mb, src.getLoc(), src.getSymName(),
                             FunctionType::get(ctx, argTypes, {}));
  topSymbol = name.str();
  dst.setVisibility(src.getVisibility());
  Block *entry = dst.addEntryBlock();
  b.setInsertionPointToStart(entry);
  Block &body = src.getBody().front();
  for (auto [i, a] : llvm::enumerate(body.getArguments()))
    mem[a] = entry->getArgument(i);
  auto ret = cast<func::ReturnOp>(body.getTerminator());
  unsigned numIn = body.getNumArguments();
  for (auto [i, v] : llvm::enumerate(ret.getOperands())) {
    Value root = v;
    while (auto sc = root.getDefiningOp<quant::StorageCastOp>())
      root = sc.getInput();
    if (isa<OpResult>(root) && !resultBuffer.count(root))
      resultBuffer[root] = entry->getArgument(numIn + i);
  }

  for (Operation &op : body.without_terminator()) {
    LogicalResult r = success();
    if (isa<arith::ConstantOp, UnpackInt4Op, tensor::EmptyOp>(op)) {
      continue; // read by the layers that use it as a weight
    } else if (isa<arith::ExtFOp, arith::TruncFOp>(op) &&
               succeeded(readConstant(op.getResult(0)))) {
      continue; // a weight plan's widened constant, read as a weight
    } else if (isa<arith::ExtFOp, arith::TruncFOp>(op)) {
      r = lowerFloatCast(&op);
    } else if (auto dq = dyn_cast<DynamicQuantizeOp>(op)) {
      r = lowerDynamicQuantize(dq);
    } else if (auto bs = dyn_cast<BlockScaledLinearOp>(op)) {
      r = lowerBlockScaledLinear(bs);
    } else if (isa<tensor::ExpandShapeOp, tensor::CollapseShapeOp>(op)) {
      r = lowerReshape(&op);
    } else if (auto gen = dyn_cast<linalg::GenericOp>(op)) {
      r = lowerGeneric(gen);
    } else if (auto sc = dyn_cast<quant::StorageCastOp>(op)) {
      if (Value m = memOf(sc.getInput()))
        mem[sc.getResult()] = m;
      continue;
    } else if (auto lin = dyn_cast<LinearOp>(op)) {
      r = lowerLinear(lin);
    } else if (auto conv = dyn_cast<Conv2DOp>(op)) {
      r = lowerLinear(conv);
    } else if (auto sp = dyn_cast<SparseLinearOp>(op)) {
      if (isa<quant::QuantizedType>(sp.getInput().getType().getElementType()))
        r = sp.emitError("effc-lower-hls: quantized effc.sparse_linear is not "
                         "supported on the HLS path yet; an int8 weight's "
                         "zeros are skipped when it stays an "
                         "effc.quantized_linear (sparse-min-zero-fraction)");
      else
        r = lowerLinear(sp);
    } else if (auto ql = dyn_cast<QuantizedLinearOp>(op)) {
      r = lowerQuantizedLinear(ql);
    } else if (auto qconv = dyn_cast<QuantizedConv2DOp>(op)) {
      r = lowerQuantizedLinear(qconv);
    } else if (auto att = dyn_cast<AttentionOp>(op)) {
      r = lowerAttention(att);
    } else if (auto qc = dyn_cast<quant::QuantizeCastOp>(op)) {
      r = lowerQuantizeCast(qc);
    } else if (auto dc = dyn_cast<quant::DequantizeCastOp>(op)) {
      r = lowerDequantizeCast(dc);
    } else {
      r = op.emitError("effc-lower-hls: ")
          << op.getName() << " is not supported on the HLS path yet";
    }
    if (failed(r))
      return failure();
    ++layerCount;
  }
  // Results not computed in place (an input returned as is, a value
  // returned twice) are copied.
  for (auto [i, v] : llvm::enumerate(ret.getOperands())) {
    Value m = memOf(v);
    if (!m)
      return ret.emitError("effc-lower-hls: a returned value is a constant; "
                           "only computed values can be returned");
    Value outArg = entry->getArgument(numIn + i);
    if (m != outArg)
      copy(ret.getLoc(), m, outArg);
  }
  func::ReturnOp::create(b, ret.getLoc());

  dst->setAttr(EffcDialect::kHlsTopAttrName, b.getUnitAttr());
  dst->setAttr(EffcDialect::kHlsNumInputsAttrName, b.getI64IntegerAttr(numIn));
  if (fixedMode)
    dst->setAttr(EffcDialect::kHlsFixedAttrName,
                 b.getDenseI64ArrayAttr({opts.fixedWidth, opts.fixedInt}));
  int64_t layers = 0;
  for (Operation &op : *entry)
    if (op.hasAttr(EffcDialect::kHlsLayerAttrName))
      ++layers;
  if (layers > 1 && opts.dataflow)
    dst->setAttr(EffcDialect::kHlsDataflowAttrName, b.getUnitAttr());
  return success();
}

//===----------------------------------------------------------------------===//
// Pass
//===----------------------------------------------------------------------===//

namespace {

struct LowerHlsPass : effc::impl::LowerHlsPassBase<LowerHlsPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    if (targetIi < 1) {
      module.emitError("effc-lower-hls: target-ii must be >= 1");
      return signalPassFailure();
    }
    if (fixedInt < 1 || fixedWidth <= fixedInt || fixedWidth > 31) {
      module.emitError("effc-lower-hls: the fixed-point format needs "
                       "0 < fixed-int < fixed-width <= 31");
      return signalPassFailure();
    }
    if (sparseMinZeroFraction < 0.0 || sparseMinZeroFraction > 1.0) {
      module.emitError(
          "effc-lower-hls: sparse-min-zero-fraction must be in [0, 1]");
      return signalPassFailure();
    }
    SymbolTable symbols(module);
    SmallVector<func::FuncOp> funcs(module.getOps<func::FuncOp>());
    if (!topName.empty()) {
      // The named top function: one function to lower, a C identifier
      // that C++ and the testbench leave free.
      SmallVector<func::FuncOp> defined;
      for (func::FuncOp f : funcs)
        if (!f.isExternal())
          defined.push_back(f);
      if (defined.size() != 1) {
        module.emitError("effc-lower-hls: top-name names the top function, "
                         "but the module has ")
            << defined.size() << " functions with a body (expected one)";
        return signalPassFailure();
      }
      bool identifier = (llvm::isAlpha(topName[0]) || topName[0] == '_') &&
                        llvm::all_of(topName, [](char c) {
                          return llvm::isAlnum(c) || c == '_';
                        });
      if (!identifier || isReservedHlsCppName(topName)) {
        module.emitError("effc-lower-hls: top-name '")
            << topName
            << "' is not a legal C++ top function name (a C identifier that "
               "is not a C++ keyword, main, a name reserved to the "
               "implementation or one the emitted code defines)";
        return signalPassFailure();
      }
      if (topName != defined.front().getSymName() && symbols.lookup(topName)) {
        module.emitError("effc-lower-hls: top-name '")
            << topName << "' is already a symbol of the module";
        return signalPassFailure();
      }
    }
    LowerHlsPassOptions opts;
    opts.targetIi = targetIi;
    opts.axiBytes = axiBytes;
    opts.fixedWidth = fixedWidth;
    opts.fixedInt = fixedInt;
    opts.sparseMinZeroFraction = sparseMinZeroFraction;
    opts.dataflow = dataflow;
    opts.topName = topName;
    SmallVector<func::FuncOp> lowered;
    for (func::FuncOp f : funcs) {
      if (f.isExternal())
        continue;
      FuncLowering lowering(f, opts, symbols);
      if (failed(lowering.run()))
        return signalPassFailure();
      lowered.push_back(lowering.lowered());
    }
    // The tensor functions are replaced by their memref forms (created
    // before them); top-name renames the one function once the old one is
    // gone.
    for (func::FuncOp f : funcs)
      if (!f.isExternal())
        f.erase();
    if (!topName.empty())
      lowered.front().setSymName(topName);
  }
};

} // namespace

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
#include "mlir/Dialect/ControlFlow/IR/ControlFlowOps.h"
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
  Sizes shape;
  for (int64_t d : type.getShape())
    shape.push_back(b.getAffineConstantExpr(d));
  elementwise(loc, name, shape, fn);
}

void FuncLowering::elementwise(Location loc, StringRef name,
                               ArrayRef<AffineExpr> shape,
                               function_ref<void(ValueRange)> fn) {
  OpBuilder::InsertionGuard g(b);
  SmallVector<Value> ivs;
  affine::AffineForOp innermost;
  for (auto [d, size] : llvm::enumerate(shape)) {
    auto loop = loopTo(loc, size);
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

void FuncLowering::copy(Location loc, Value from, Value to,
                        ArrayRef<AffineExpr> shape) {
  elementwise(loc, "copy", shape, [&](ValueRange iv) {
    Value v = affine::AffineLoadOp::create(b, loc, from, iv);
    affine::AffineStoreOp::create(b, loc, v, to, iv);
  });
}

Value FuncLowering::materialize(Value v) {
  if (Value m = memOf(v))
    return m;
  auto fill = v.getDefiningOp<linalg::FillOp>();
  if (!fill)
    return {};
  FailureOr<Sizes> shape = sizesOf(v);
  FailureOr<MemRefType> type = bufferTypeOf(v);
  if (failed(shape) || failed(type))
    return {};
  Value out = bufferFor(v, *type);
  Value x = fill.getInputs()[0];
  Location loc = fill.getLoc();
  elementwise(loc, layerName(fill), *shape, [&](ValueRange iv) {
    Value c = x;
    if (auto k = x.getDefiningOp<arith::ConstantOp>())
      c = b.clone(*k)->getResult(0);
    affine::AffineStoreOp::create(b, loc, c, out, iv);
  });
  mem[v] = out;
  return out;
}

//===----------------------------------------------------------------------===//
// Runtime sizes
//===----------------------------------------------------------------------===//

FailureOr<AffineExpr> FuncLowering::exprOf(Value v) {
  MLIRContext *ctx = b.getContext();
  Operation *def = v.getDefiningOp();
  auto fail = [&]() -> FailureOr<AffineExpr> {
    if (def)
      return def->emitError("effc-lower-hls: this size is not an affine "
                            "function of the runtime sizes of the arguments");
    return emitError(v.getLoc(), "effc-lower-hls: a size comes from a "
                                 "block argument, not from the arguments' "
                                 "shapes");
  };
  if (!def)
    return fail();
  IntegerAttr c;
  if (matchPattern(v, m_Constant(&c)))
    return getAffineConstantExpr(c.getInt(), ctx);
  if (auto dim = dyn_cast<tensor::DimOp>(def)) {
    std::optional<int64_t> index = dim.getConstantIndex();
    if (!index)
      return fail();
    FailureOr<Sizes> s = sizesOf(dim.getSource());
    if (failed(s) || *index < 0 || *index >= int64_t(s->size()))
      return failure();
    return (*s)[*index];
  }
  if (isa<arith::IndexCastOp, arith::ExtSIOp, arith::TruncIOp>(def))
    return exprOf(def->getOperand(0));
  if (isa<arith::AddIOp, arith::SubIOp, arith::MulIOp, arith::DivSIOp,
          arith::FloorDivSIOp>(def)) {
    FailureOr<AffineExpr> l = exprOf(def->getOperand(0));
    FailureOr<AffineExpr> r = exprOf(def->getOperand(1));
    if (failed(l) || failed(r))
      return failure();
    if (isa<arith::AddIOp>(def))
      return *l + *r;
    if (isa<arith::SubIOp>(def))
      return *l - *r;
    if (isa<arith::MulIOp>(def) &&
        (isa<AffineConstantExpr>(*l) || isa<AffineConstantExpr>(*r)))
      return *l * *r;
    if (auto k = dyn_cast<AffineConstantExpr>(*r);
        k && k.getValue() > 0 && !isa<arith::MulIOp>(def))
      return l->floorDiv(k.getValue());
  }
  return fail();
}

FailureOr<Sizes> FuncLowering::sizesOf(Value v) {
  auto type = cast<RankedTensorType>(v.getType());
  MLIRContext *ctx = b.getContext();
  if (type.hasStaticShape()) {
    Sizes s;
    for (int64_t d : type.getShape())
      s.push_back(getAffineConstantExpr(d, ctx));
    return s;
  }
  if (auto it = sizes.find(v); it != sizes.end())
    return it->second;
  Operation *def = v.getDefiningOp();
  if (!def)
    return emitError(v.getLoc(), "effc-lower-hls: no runtime sizes for this "
                                 "value");
  auto fail = [&]() -> FailureOr<Sizes> {
    return def->emitError("effc-lower-hls: cannot derive the runtime sizes "
                          "of this result from the arguments'");
  };
  unsigned resultNo = cast<OpResult>(v).getResultNumber();
  Sizes s;
  auto fromOperand = [&](Value operand) -> LogicalResult {
    FailureOr<Sizes> in = sizesOf(operand);
    if (failed(in))
      return failure();
    s = *in;
    return success();
  };
  if (auto empty = dyn_cast<tensor::EmptyOp>(def)) {
    for (int64_t d = 0; d < type.getRank(); ++d) {
      if (!type.isDynamicDim(d)) {
        s.push_back(getAffineConstantExpr(type.getDimSize(d), ctx));
        continue;
      }
      FailureOr<AffineExpr> e = exprOf(empty.getDynamicSize(d));
      if (failed(e))
        return failure();
      s.push_back(*e);
    }
  } else if (auto dps = dyn_cast<DestinationStyleOpInterface>(def);
             dps && resultNo < dps.getNumDpsInits()) {
    if (failed(fromOperand(dps.getDpsInitOperand(resultNo)->get())))
      return failure();
  } else if (auto slice = dyn_cast<tensor::ExtractSliceOp>(def)) {
    for (OpFoldResult size : slice.getMixedSizes()) {
      if (auto attr = dyn_cast<Attribute>(size)) {
        s.push_back(
            getAffineConstantExpr(cast<IntegerAttr>(attr).getInt(), ctx));
        continue;
      }
      FailureOr<AffineExpr> e = exprOf(cast<Value>(size));
      if (failed(e))
        return failure();
      s.push_back(*e);
    }
  } else if (isa<tensor::ExpandShapeOp, tensor::CollapseShapeOp>(def)) {
    FailureOr<Sizes> in = sizesOf(def->getOperand(0));
    if (failed(in))
      return failure();
    SmallVector<ReassociationIndices> groups;
    if (auto e = dyn_cast<tensor::ExpandShapeOp>(def))
      groups = e.getReassociationIndices();
    else
      groups = cast<tensor::CollapseShapeOp>(def).getReassociationIndices();
    if (auto expand = dyn_cast<tensor::ExpandShapeOp>(def)) {
      // Each output group splits one input dim; its one dynamic dim (if
      // any) is the input's size over the group's static sizes.
      s.assign(type.getRank(), AffineExpr());
      for (auto [i, group] : llvm::enumerate(groups)) {
        int64_t staticProduct = 1;
        int64_t dynamic = -1;
        for (int64_t k : group) {
          if (type.isDynamicDim(k)) {
            if (dynamic >= 0)
              return fail();
            dynamic = k;
          } else {
            staticProduct *= type.getDimSize(k);
            s[k] = getAffineConstantExpr(type.getDimSize(k), ctx);
          }
        }
        if (dynamic >= 0)
          s[dynamic] = (*in)[i].floorDiv(staticProduct);
      }
    } else {
      for (const ReassociationIndices &group : groups) {
        AffineExpr e = getAffineConstantExpr(1, ctx);
        for (int64_t k : group) {
          AffineExpr d = (*in)[k];
          if (!isa<AffineConstantExpr>(e) && !isa<AffineConstantExpr>(d))
            return fail();
          e = e * d;
        }
        s.push_back(e);
      }
    }
  } else if (auto att = dyn_cast<AttentionOp>(def)) {
    if (failed(fromOperand(att.getQuery())))
      return failure();
    s.back() = getAffineConstantExpr(type.getShape().back(), ctx);
  } else if (auto dq = dyn_cast<DynamicQuantizeOp>(def)) {
    if (failed(fromOperand(dq.getInput())))
      return failure();
    if (resultNo == 1)
      for (auto [d, blk] : llvm::enumerate(dq.getBlock()))
        if (d < s.size())
          s[d] = s[d].floorDiv(blk);
  } else if (isa<BlockScaledLinearOp, LinearOp, QuantizedLinearOp>(def)) {
    if (failed(fromOperand(def->getOperand(0))))
      return failure();
    s.back() = getAffineConstantExpr(type.getShape().back(), ctx);
  } else if (isa<arith::ExtFOp, arith::TruncFOp, quant::QuantizeCastOp,
                 quant::DequantizeCastOp, quant::StorageCastOp>(def)) {
    if (failed(fromOperand(def->getOperand(0))))
      return failure();
  } else {
    return fail();
  }
  if (int64_t(s.size()) != type.getRank())
    return fail();
  // Static dims from the type.
  for (int64_t d = 0; d < type.getRank(); ++d)
    if (!type.isDynamicDim(d))
      s[d] = getAffineConstantExpr(type.getDimSize(d), ctx);
  for (AffineExpr &e : s)
    e = simplifyAffineExpr(e, 0, dimArgs.size());
  sizes[v] = s;
  return s;
}

int64_t FuncLowering::maxOf(AffineExpr e) const {
  SmallVector<AffineExpr> bounds;
  for (int64_t m : maxDims)
    bounds.push_back(getAffineConstantExpr(m, e.getContext()));
  if (auto c = dyn_cast<AffineConstantExpr>(e.replaceSymbols(bounds)))
    return c.getValue();
  return 1;
}

FailureOr<MemRefType> FuncLowering::bufferTypeOf(Value tensor) {
  auto type = cast<RankedTensorType>(tensor.getType());
  if (type.hasStaticShape())
    return memTypeOf(type);
  FailureOr<Sizes> s = sizesOf(tensor);
  if (failed(s))
    return failure();
  SmallVector<int64_t> shape;
  for (AffineExpr e : *s)
    shape.push_back(std::max<int64_t>(1, maxOf(e)));
  return MemRefType::get(shape, storageOf(type.getElementType()));
}

affine::AffineForOp FuncLowering::loopTo(Location loc, AffineExpr ub,
                                         ValueRange iterArgs) {
  if (auto c = dyn_cast<AffineConstantExpr>(ub))
    return affine::AffineForOp::create(b, loc, 0, c.getValue(), 1, iterArgs);
  AffineMap ubMap = AffineMap::get(0, dimArgs.size(), ub);
  SmallVector<Value> operands(dimArgs);
  if (auto sym = dyn_cast<AffineSymbolExpr>(ub)) {
    // One runtime size: `affine.for %i = 0 to %dim`.
    ubMap = AffineMap::get(0, 1, getAffineSymbolExpr(0, b.getContext()));
    operands = {dimArgs[sym.getPosition()]};
  }
  auto loop = affine::AffineForOp::create(b, loc, ValueRange{},
                                          b.getConstantAffineMap(0), operands,
                                          ubMap, 1, iterArgs);
  loop->setAttr(EffcDialect::kHlsTripcountAttrName,
                b.getI64IntegerAttr(std::max<int64_t>(1, maxOf(ub))));
  return loop;
}

Value FuncLowering::sizeValue(Location loc, AffineExpr e) {
  if (auto c = dyn_cast<AffineConstantExpr>(e))
    return cst(loc, b.getIndexType(), c.getValue());
  return affine::AffineApplyOp::create(
      b, loc, AffineMap::get(0, dimArgs.size(), e), dimArgs);
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
  // The runtime sizes: symbol k is the k-th dynamic dim of the arguments.
  SmallVector<Sizes> argSizes;
  int64_t numDynamic = 0;
  std::string firstDynamic;
  for (auto [i, t] : llvm::enumerate(src.getFunctionType().getInputs())) {
    auto tt = dyn_cast<RankedTensorType>(t);
    if (!tt)
      return src.emitError("effc-lower-hls: arguments must be ranked tensors");
    Sizes s;
    for (int64_t d = 0; d < tt.getRank(); ++d) {
      if (!tt.isDynamicDim(d)) {
        s.push_back(getAffineConstantExpr(tt.getDimSize(d), ctx));
        continue;
      }
      if (numDynamic == 0) {
        llvm::raw_string_ostream os(firstDynamic);
        os << "argument #" << i << " dim " << d << " of " << tt;
      }
      s.push_back(getAffineSymbolExpr(numDynamic++, ctx));
    }
    argSizes.push_back(s);
  }
  if (numDynamic > 0 && opts.maxDims.empty())
    return src.emitError("effc-lower-hls: @")
           << src.getSymName() << " has " << numDynamic
           << " dynamic argument dimension(s) (the first: " << firstDynamic
           << "), but HLS arrays are static: pass an upper bound for each, "
              "in argument order, as max-dims=<N>[,<N>...] (e.g. "
              "--effc-hls-pipeline=\"max-dims=...\")";
  if (numDynamic > 0 && int64_t(opts.maxDims.size()) != numDynamic)
    return src.emitError("effc-lower-hls: max-dims has ")
           << opts.maxDims.size() << " value(s), but @" << src.getSymName()
           << " has " << numDynamic
           << " dynamic argument dimension(s) (one bound per dynamic "
              "dimension, in argument order)";
  if (numDynamic > 0)
    maxDims.assign(opts.maxDims.begin(), opts.maxDims.end());
  // The signature: inputs (at their bounds), then one output array per
  // result (for runtime sizes added once the results' sizes are known),
  // then the runtime sizes.
  SmallVector<Type> argTypes;
  for (auto [t, s] : llvm::zip(src.getFunctionType().getInputs(), argSizes)) {
    auto tt = cast<RankedTensorType>(t);
    SmallVector<int64_t> shape;
    for (AffineExpr e : s)
      shape.push_back(
          cast<AffineConstantExpr>(
              e.replaceSymbols(llvm::map_to_vector(
                  maxDims,
                  [&](int64_t m) { return getAffineConstantExpr(m, ctx); })))
              .getValue());
    argTypes.push_back(MemRefType::get(shape, storageOf(tt.getElementType())));
  }
  for (Type t : src.getFunctionType().getResults()) {
    auto tt = dyn_cast<RankedTensorType>(t);
    if (!tt || (!tt.hasStaticShape() && numDynamic == 0))
      return src.emitError("effc-lower-hls: results must be static tensors");
    if (numDynamic == 0)
      argTypes.push_back(memTypeOf(tt));
  }
  for (int64_t k = 0; k < numDynamic; ++k)
    argTypes.push_back(IndexType::get(ctx));
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
  for (auto [i, a] : llvm::enumerate(body.getArguments())) {
    mem[a] = entry->getArgument(i);
    sizes[a] = argSizes[i];
  }
  auto ret = cast<func::ReturnOp>(body.getTerminator());
  unsigned numIn = body.getNumArguments();
  // A runtime size above its bound is outside the caller's contract; it is
  // clamped so that no loop runs past an array.
  for (int64_t k = 0; k < numDynamic; ++k) {
    Value arg = entry->getArgument(entry->getNumArguments() - numDynamic + k);
    dimArgs.push_back(arith::MinSIOp::create(
        b, src.getLoc(), arg, cst(src.getLoc(), b.getIndexType(), maxDims[k])));
  }
  for (auto [i, v] : llvm::enumerate(ret.getOperands())) {
    if (numDynamic > 0)
      break; // the output arrays come once their shapes are known
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
    } else if (isa<tensor::DimOp, cf::AssertOp>(op) ||
               (isa<arith::ArithDialect>(op.getDialect()) &&
                llvm::none_of(op.getResultTypes(),
                              [](Type t) { return isa<ShapedType>(t); }))) {
      // Shape glue (torch-mlir's sizes and their checks): sizes are
      // derived from the arguments' instead, and the caller guarantees
      // consistent ones.
      continue;
    } else if (isa<linalg::FillOp>(op)) {
      continue; // materialized where it is read
    } else if (auto tr = dyn_cast<linalg::TransposeOp>(op)) {
      r = lowerTranspose(tr);
    } else if (isa<tensor::ExtractSliceOp>(op)) {
      r = lowerExtractSlice(&op);
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
  SmallVector<AffineMap> shapes;
  for (BlockArgument a : body.getArguments())
    shapes.push_back(AffineMap::get(0, numDynamic, sizes[a], ctx));
  for (auto [i, v] : llvm::enumerate(ret.getOperands())) {
    FailureOr<Sizes> shape = sizesOf(v);
    if (failed(shape))
      return failure();
    Value m = materialize(v);
    if (!m)
      return ret.emitError("effc-lower-hls: a returned value is a constant; "
                           "only computed values can be returned");
    shapes.push_back(AffineMap::get(0, numDynamic, *shape, ctx));
    if (numDynamic == 0) {
      Value outArg = entry->getArgument(numIn + i);
      if (m != outArg)
        copy(ret.getLoc(), m, outArg);
      continue;
    }
    // The output array takes the place of the result's own buffer when
    // that is a fresh array, and is a copy of it otherwise.
    if (failed(dst.insertArgument(numIn + i, m.getType(), {}, ret.getLoc())))
      return failure();
    Value outArg = entry->getArgument(numIn + i);
    auto alloc = m.getDefiningOp<memref::AllocOp>();
    if (alloc && alloc->getBlock() == entry) {
      alloc.replaceAllUsesWith(outArg);
      for (auto &[t, mm] : mem)
        if (mm == m)
          mm = outArg;
      alloc.erase();
    } else {
      copy(ret.getLoc(), m, outArg, *shape);
    }
  }
  func::ReturnOp::create(b, ret.getLoc());
  if (numDynamic > 0) {
    dst->setAttr(EffcDialect::kHlsMaxDimsAttrName,
                 b.getDenseI64ArrayAttr(maxDims));
    dst->setAttr(EffcDialect::kHlsShapesAttrName,
                 b.getArrayAttr(
                     llvm::map_to_vector(shapes, [](AffineMap m) -> Attribute {
                       return AffineMapAttr::get(m);
                     })));
  }

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
    if (llvm::any_of(maxDims, [](int64_t d) { return d < 1; })) {
      module.emitError("effc-lower-hls: max-dims values must be >= 1 (an "
                       "upper bound per dynamic dimension)");
      return signalPassFailure();
    }
    SymbolTable symbols(module);
    SmallVector<func::FuncOp> funcs(module.getOps<func::FuncOp>());
    if (!maxDims.empty() && llvm::none_of(funcs, [](func::FuncOp f) {
          return llvm::any_of(f.getArgumentTypes(), [](Type t) {
            auto st = dyn_cast<ShapedType>(t);
            return st && st.hasRank() && !st.hasStaticShape();
          });
        })) {
      module.emitError("effc-lower-hls: max-dims has ")
          << maxDims.size()
          << " value(s), but no function has dynamic argument dimensions";
      return signalPassFailure();
    }
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
    opts.maxDims.assign(maxDims.begin(), maxDims.end());
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

//===- HlsCppOps.cpp - HLS C++ statements -----------------------*- C++ -*-===//
//
// The statements of a kernel body: arith and math expressions, affine and
// memref loads and stores, ROMs and local arrays with their partitions,
// affine.for loops with their PIPELINE / UNROLL pragmas, scf.if.
//
//===----------------------------------------------------------------------===//

#include "HlsCppEmitter.h"

#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/IR/SymbolTable.h"

#include <functional>

using namespace mlir;
using namespace mlir::effc;
using namespace mlir::effc::hlscpp;

//===----------------------------------------------------------------------===//
// Expressions
//===----------------------------------------------------------------------===//

LogicalResult Emitter::emitConstant(arith::ConstantOp op) {
  Attribute v = op.getValue();
  if (auto i = dyn_cast<IntegerAttr>(v)) {
    if (isa<IndexType>(op.getType()))
      os << "const int " << fresh(op) << " = " << i.getInt() << ";\n";
    else
      os << "const " << decl(op) << " = " << intLiteral(i.getValue()) << ";\n";
    return success();
  }
  if (auto fa = dyn_cast<FloatAttr>(v)) {
    os << "const " << decl(op) << " = "
       << floatLiteral(fa.getValueAsDouble(), fa.getType().isF64() && !fixed())
       << ";\n";
    return success();
  }
  return op.emitError("emit-hls-cpp: only scalar constants are supported "
                      "inside kernels");
}

LogicalResult Emitter::emitArith(Operation *op) {
  auto bin = [&](StringRef sym) {
    os << decl(op->getResult(0)) << " = " << name(op->getOperand(0)) << " "
       << sym << " " << name(op->getOperand(1)) << ";\n";
    return success();
  };
  auto pick = [&](StringRef cmp) {
    std::string a = name(op->getOperand(0)), b = name(op->getOperand(1));
    std::string t = valueType(op->getResult(0));
    os << decl(op->getResult(0)) << " = " << a << " " << cmp << " " << b
       << " ? " << t << "(" << a << ") : " << t << "(" << b << ");\n";
    return success();
  };
  auto convert = [&](StringRef expr) {
    os << decl(op->getResult(0)) << " = " << expr << ";\n";
    return success();
  };
  if (isa<arith::AddIOp, arith::AddFOp>(op))
    return bin("+");
  if (isa<arith::SubIOp, arith::SubFOp>(op))
    return bin("-");
  if (isa<arith::MulIOp, arith::MulFOp>(op))
    return bin("*");
  if (isa<arith::DivFOp, arith::DivSIOp>(op))
    return bin("/");
  if (isa<arith::RemSIOp>(op))
    return bin("%");
  if (isa<arith::AndIOp>(op))
    return bin(op->getResult(0).getType().isInteger(1) ? "&&" : "&");
  if (isa<arith::ShLIOp>(op))
    return bin("<<");
  if (isa<arith::ShRSIOp>(op))
    return bin(">>");
  if (isa<arith::MaxSIOp, arith::MaximumFOp, arith::MaxNumFOp>(op))
    return pick(">");
  if (isa<arith::MinSIOp, arith::MinimumFOp, arith::MinNumFOp>(op))
    return pick("<");
  if (auto n = dyn_cast<arith::NegFOp>(op))
    return convert("-" + name(n.getOperand()));
  if (auto a = dyn_cast<math::AbsFOp>(op)) {
    std::string x = name(a.getOperand());
    std::string t = valueType(a.getResult());
    if (!fixed())
      return convert("std::fabs(" + x + ")");
    return convert(x + " < 0 ? " + t + "(-" + x + ") : " + t + "(" + x + ")");
  }
  // A float widened (f16 / bf16 values are exact in a float and in the
  // function's fixed format stand for themselves), or narrowed in a
  // fixed-point function, where every float has the one format.
  if (auto e = dyn_cast<arith::ExtFOp>(op))
    return convert(name(e.getIn()));
  if (auto t = dyn_cast<arith::TruncFOp>(op)) {
    // f64 -> f32 rounds to nearest even, as a C++ conversion does.
    if (!fixed() && t.getType().isF32())
      return convert("(float)" + name(t.getIn()));
    if (!fixed())
      return op->emitError("emit-hls-cpp: arith.truncf in a float function "
                           "needs half-precision rounding, which is not "
                           "emitted");
    return convert(name(t.getIn()));
  }
  if (isa<arith::ExtSIOp, arith::TruncIOp, arith::IndexCastOp>(op))
    return convert(name(op->getOperand(0)));
  if (auto e = dyn_cast<arith::ExtUIOp>(op))
    return convert("ap_uint<" +
                   std::to_string(e.getIn().getType().getIntOrFloatBitWidth()) +
                   ">(" + name(e.getIn()) + ")");
  if (auto c = dyn_cast<arith::SIToFPOp>(op))
    return convert(fixed() ? name(c.getIn())
                           : "(float)(long long)" + name(c.getIn()));
  if (auto c = dyn_cast<arith::FPToSIOp>(op))
    return convert(fixed() ? name(c.getIn()) + ".to_int()"
                           : "(long long)" + name(c.getIn()));
  if (auto sel = dyn_cast<arith::SelectOp>(op))
    return convert(name(sel.getCondition()) + " ? " + name(sel.getTrueValue()) +
                   " : " + name(sel.getFalseValue()));
  if (isa<math::ErfOp, math::SqrtOp, math::RsqrtOp, math::TanhOp>(op)) {
    if (fixed())
      return op->emitError("emit-hls-cpp: ")
             << op->getName() << " in a fixed-point function is not supported";
    std::string x = name(op->getOperand(0));
    if (isa<math::RsqrtOp>(op))
      return convert((op->getResult(0).getType().isF64()
                          ? "1.0 / std::sqrt("
                          : "1.0f / std::sqrt(") +
                     x + ")");
    StringRef fn = isa<math::ErfOp>(op)    ? "std::erf("
                   : isa<math::SqrtOp>(op) ? "std::sqrt("
                                           : "std::tanh(";
    return convert(fn.str() + x + ")");
  }
  if (auto e = dyn_cast<math::ExpOp>(op)) {
    if (fixed())
      return op->emitError("emit-hls-cpp: math.exp in a fixed-point "
                           "function is not supported");
    return convert("std::exp(" + name(e.getOperand()) + ")");
  }
  if (auto cmp = dyn_cast<arith::CmpFOp>(op)) {
    StringRef sym;
    switch (cmp.getPredicate()) {
    case arith::CmpFPredicate::OGT:
      sym = ">";
      break;
    case arith::CmpFPredicate::OGE:
      sym = ">=";
      break;
    case arith::CmpFPredicate::OLT:
      sym = "<";
      break;
    case arith::CmpFPredicate::OLE:
      sym = "<=";
      break;
    case arith::CmpFPredicate::OEQ:
      sym = "==";
      break;
    default:
      return op->emitError("emit-hls-cpp: unsupported float comparison");
    }
    return bin(sym);
  }
  if (auto r = dyn_cast<math::RoundEvenOp>(op)) {
    if (fixed())
      return op->emitError("emit-hls-cpp: math.roundeven in a fixed-point "
                           "function is not supported");
    // nearbyint rounds in the default mode: to nearest, ties to even.
    return convert("std::nearbyint(" + name(r.getOperand()) + ")");
  }
  if (auto cmp = dyn_cast<arith::CmpIOp>(op)) {
    StringRef sym;
    switch (cmp.getPredicate()) {
    case arith::CmpIPredicate::slt:
      sym = "<";
      break;
    case arith::CmpIPredicate::sle:
      sym = "<=";
      break;
    case arith::CmpIPredicate::sgt:
      sym = ">";
      break;
    case arith::CmpIPredicate::sge:
      sym = ">=";
      break;
    case arith::CmpIPredicate::eq:
      sym = "==";
      break;
    case arith::CmpIPredicate::ne:
      sym = "!=";
      break;
    default:
      return op->emitError("emit-hls-cpp: unsigned comparisons are not "
                           "supported");
    }
    return bin(sym);
  }
  return op->emitError("emit-hls-cpp: ")
         << op->getName() << " is not supported by the HLS C++ emitter";
}

//===----------------------------------------------------------------------===//
// Memory and loops
//===----------------------------------------------------------------------===//

std::string mlir::effc::hlscpp::affineCpp(
    AffineExpr e, llvm::function_ref<std::string(AffineExpr)> leaf) {
  if (auto c = dyn_cast<AffineConstantExpr>(e))
    return std::to_string(c.getValue());
  auto bin = dyn_cast<AffineBinaryOpExpr>(e);
  if (!bin)
    return leaf(e);
  std::string l = affineCpp(bin.getLHS(), leaf),
              r = affineCpp(bin.getRHS(), leaf);
  switch (e.getKind()) {
  case AffineExprKind::Add:
    return "(" + l + " + " + r + ")";
  case AffineExprKind::Mul:
    return "(" + l + " * " + r + ")";
  case AffineExprKind::Mod:
    return "(" + l + " % " + r + ")";
  case AffineExprKind::FloorDiv:
    return "(" + l + " / " + r + ")"; // indices are non-negative
  case AffineExprKind::CeilDiv:
    return "((" + l + " + " + r + " - 1) / " + r + ")";
  default:
    return "0";
  }
}

std::string Emitter::affineIndex(AffineMap map, ValueRange operands) {
  std::string s;
  auto leaf = [&](AffineExpr e) {
    if (auto d = dyn_cast<AffineDimExpr>(e))
      return name(operands[d.getPosition()]);
    return name(
        operands[map.getNumDims() + cast<AffineSymbolExpr>(e).getPosition()]);
  };
  auto expr = [&](AffineExpr e) { return affineCpp(e, leaf); };
  for (AffineExpr e : map.getResults())
    s += "[" + expr(e) + "]";
  return s;
}

void Emitter::emitPartition(StringRef var, DenseI64ArrayAttr factors,
                            MemRefType type) {
  if (!factors)
    return;
  for (auto [d, factor] : llvm::enumerate(factors.asArrayRef())) {
    if (factor <= 1)
      continue;
    if (factor >= type.getDimSize(d))
      os << "#pragma HLS ARRAY_PARTITION variable=" << var
         << " type=complete dim=" << d + 1 << "\n";
    else
      os << "#pragma HLS ARRAY_PARTITION variable=" << var
         << " type=cyclic factor=" << factor << " dim=" << d + 1 << "\n";
  }
}

void mlir::effc::hlscpp::writeInitializer(raw_ostream &os,
                                          DenseElementsAttr attr,
                                          bool isFloat) {
  auto type = attr.getType();
  ArrayRef<int64_t> shape = type.getShape();
  SmallVector<std::string> flat;
  if (isFloat) {
    for (float v : attr.getValues<float>())
      flat.push_back(floatLiteral(v));
  } else {
    for (const APInt &v : attr.getValues<APInt>())
      flat.push_back(intLiteral(v));
  }
  int64_t pos = 0;
  std::function<void(unsigned)> rec = [&](unsigned dim) {
    os << "{";
    for (int64_t i = 0; i < shape[dim]; ++i) {
      if (i)
        os << ", ";
      if (dim + 1 == shape.size())
        os << flat[pos++];
      else
        rec(dim + 1);
    }
    os << "}";
  };
  if (shape.empty())
    os << flat[0];
  else
    rec(0);
}

LogicalResult Emitter::emitRom(memref::GlobalOp global, StringRef var) {
  auto init = dyn_cast_or_null<DenseElementsAttr>(global.getInitialValueAttr());
  if (!init)
    return global.emitError("emit-hls-cpp: ROMs need a dense initial value");
  MemRefType t = global.getType();
  os << "static const " << arrayElemType(t.getElementType()) << " " << var
     << dims(t) << " = ";
  writeInitializer(os, init, isa<FloatType>(t.getElementType()));
  os << ";\n";
  emitPartition(var,
                global->getAttrOfType<DenseI64ArrayAttr>(
                    EffcDialect::kHlsPartitionAttrName),
                t);
  return success();
}

LogicalResult Emitter::emitFor(affine::AffineForOp op) {
  // A runtime bound (a runtime size) needs its largest trip count.
  auto tripcount =
      op->getAttrOfType<IntegerAttr>(EffcDialect::kHlsTripcountAttrName);
  if (!op.hasConstantLowerBound() ||
      (!op.hasConstantUpperBound() &&
       (!tripcount || op.getUpperBoundMap().getNumResults() != 1)))
    return op.emitError("emit-hls-cpp: loops need constant bounds, or an "
                        "upper bound with effc.hls.tripcount");
  // Loop-carried values live in variables declared before the loop.
  SmallVector<std::string> carried;
  for (auto [init, res, arg] :
       llvm::zip(op.getInits(), op.getResults(), op.getRegionIterArgs())) {
    std::string n = "v" + std::to_string(counter++);
    os << scalarType(res.getType()) << " " << n << " = " << name(init) << ";\n";
    names[res] = n;
    names[arg] = n;
    carried.push_back(n);
  }
  std::string iv = fresh(op.getInductionVar());
  if (auto layer =
          op->getAttrOfType<StringAttr>(EffcDialect::kHlsLayerAttrName))
    os << sanitize(layer.getValue()) << ":\n";
  std::string ub;
  if (op.hasConstantUpperBound()) {
    ub = std::to_string(op.getConstantUpperBound());
  } else {
    ub = affineIndex(op.getUpperBoundMap(), op.getUpperBoundOperands());
    ub = ub.substr(1, ub.size() - 2);
  }
  os << "for (int " << iv << " = " << op.getConstantLowerBound() << "; " << iv
     << " < " << ub << "; " << iv << " += " << op.getStepAsInt() << ") {\n";
  os.indent();
  if (!op.hasConstantUpperBound())
    os << "#pragma HLS loop_tripcount max=" << tripcount.getInt() << "\n";
  if (auto ii =
          op->getAttrOfType<IntegerAttr>(EffcDialect::kHlsPipelineIiAttrName))
    os << "#pragma HLS PIPELINE II=" << ii.getInt() << "\n";
  if (auto u =
          op->getAttrOfType<IntegerAttr>(EffcDialect::kHlsUnrollAttrName)) {
    if (u.getInt() == 0)
      os << "#pragma HLS UNROLL\n";
    else if (u.getInt() > 1)
      os << "#pragma HLS UNROLL factor=" << u.getInt() << "\n";
  }
  yieldTargets.push_back(carried);
  LogicalResult r = emitBlock(*op.getBody());
  yieldTargets.pop_back();
  os.unindent();
  os << "}\n";
  return r;
}

LogicalResult Emitter::emitIf(scf::IfOp op) {
  SmallVector<std::string> results;
  for (Value r : op.getResults()) {
    std::string n = fresh(r);
    os << scalarType(r.getType()) << " " << n << ";\n";
    results.push_back(n);
  }
  os << "if (" << name(op.getCondition()) << ") {\n";
  os.indent();
  yieldTargets.push_back(results);
  if (failed(emitBlock(op.getThenRegion().front())))
    return failure();
  os.unindent();
  os << "}";
  if (!op.getElseRegion().empty()) {
    os << " else {\n";
    os.indent();
    if (failed(emitBlock(op.getElseRegion().front())))
      return failure();
    os.unindent();
    os << "}";
  }
  os << "\n";
  yieldTargets.pop_back();
  return success();
}

LogicalResult Emitter::emitOp(Operation *op) {
  if (auto c = dyn_cast<arith::ConstantOp>(op))
    return emitConstant(c);
  if (auto ap = dyn_cast<affine::AffineApplyOp>(op)) {
    // "[expr]" of the one-result map, without its brackets.
    std::string idx = affineIndex(ap.getAffineMap(), ap.getMapOperands());
    os << "int " << fresh(ap) << " = " << idx.substr(1, idx.size() - 2)
       << ";\n";
    return success();
  }
  if (auto ld = dyn_cast<affine::AffineLoadOp>(op)) {
    os << decl(ld) << " = " << name(ld.getMemRef())
       << affineIndex(ld.getAffineMap(), ld.getMapOperands()) << ";\n";
    return success();
  }
  if (auto st = dyn_cast<affine::AffineStoreOp>(op)) {
    os << name(st.getMemRef())
       << affineIndex(st.getAffineMap(), st.getMapOperands()) << " = "
       << name(st.getValueToStore()) << ";\n";
    return success();
  }
  if (auto ld = dyn_cast<memref::LoadOp>(op)) {
    os << decl(ld) << " = " << name(ld.getMemRef());
    for (Value i : ld.getIndices())
      os << "[" << name(i) << "]";
    os << ";\n";
    return success();
  }
  if (auto st = dyn_cast<memref::StoreOp>(op)) {
    os << name(st.getMemRef());
    for (Value i : st.getIndices())
      os << "[" << name(i) << "]";
    os << " = " << name(st.getValueToStore()) << ";\n";
    return success();
  }
  if (auto gg = dyn_cast<memref::GetGlobalOp>(op)) {
    auto global = SymbolTable::lookupNearestSymbolFrom<memref::GlobalOp>(
        gg, gg.getNameAttr());
    if (!global || !global.getConstant())
      return op->emitError("emit-hls-cpp: only constant globals (ROMs) are "
                           "supported");
    std::string var = sanitize(global.getSymName());
    names[gg.getResult()] = var;
    if (global->hasAttr(EffcDialect::kHlsInterfaceAttrName))
      return success(); // a parameter
    return emitRom(global, var);
  }
  if (auto alloc = dyn_cast<memref::AllocOp>(op)) {
    MemRefType t = alloc.getType();
    if (!t.hasStaticShape())
      return op->emitError("emit-hls-cpp: arrays need static shapes");
    std::string n = fresh(alloc);
    os << arrayElemType(t.getElementType()) << " " << n << dims(t) << ";\n";
    emitPartition(n,
                  alloc->getAttrOfType<DenseI64ArrayAttr>(
                      EffcDialect::kHlsPartitionAttrName),
                  t);
    return success();
  }
  if (isa<memref::DeallocOp>(op))
    return success();
  if (auto loop = dyn_cast<affine::AffineForOp>(op))
    return emitFor(loop);
  if (auto ifOp = dyn_cast<scf::IfOp>(op))
    return emitIf(ifOp);
  if (isa<affine::AffineYieldOp, scf::YieldOp>(op)) {
    ArrayRef<std::string> targets = yieldTargets.back();
    for (auto [t, v] : llvm::zip(targets, op->getOperands()))
      os << t << " = " << name(v) << ";\n";
    return success();
  }
  if (isa<func::ReturnOp>(op))
    return success();
  if (op->getDialect() &&
      isa<arith::ArithDialect, math::MathDialect>(op->getDialect()))
    return emitArith(op);
  return op->emitError("emit-hls-cpp: ")
         << op->getName() << " is not supported by the HLS C++ emitter";
}

LogicalResult Emitter::emitBlock(Block &block) {
  for (Operation &op : block)
    if (failed(emitOp(&op)))
      return failure();
  return success();
}

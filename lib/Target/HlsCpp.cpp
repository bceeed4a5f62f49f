//===- HlsCpp.cpp - HLS C++ and testbench emission --------------*- C++ -*-===//
//
// Emits the affine/memref/arith form that --effc-lower-hls produces as
// Vitis-HLS-style C++ (after ScaleHLS's EmitHLSCpp): one function per
// `effc.hls.top` function, its array parameters the function's arguments
// then its results (then AXI weight ports), INTERFACE / PIPELINE / UNROLL /
// ARRAY_PARTITION / DATAFLOW pragmas from the `effc.hls.*` attributes,
// weights as `static const` ROM arrays, integers as `ap_int<N>` of their
// exact width, f32 as `float` or, in float models, `ap_fixed`. The
// testbench is a C-simulation main() with a small .npy reader and writer.
//
// The emitter is split by what it writes: types and names; expressions
// (arith, math); memory and loops (affine, memref, scf); the top function;
// the testbench.
//
//===----------------------------------------------------------------------===//

#include "effc/Target/HlsCpp.h"

#include "effc/Dialect/EffcDialect.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Support/IndentedOstream.h"
#include "mlir/Tools/mlir-translate/Translation.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FormatVariadic.h"

#include <cstdio>
#include <string>

using namespace mlir;
using namespace mlir::effc;

namespace {

//===----------------------------------------------------------------------===//
// Types and names
//===----------------------------------------------------------------------===//

/// Per-function emission state.
class Emitter {
public:
  Emitter(func::FuncOp f, raw_indented_ostream &os) : f(f), os(os) {
    if (auto fx = f->getAttrOfType<DenseI64ArrayAttr>(
            EffcDialect::kHlsFixedAttrName)) {
      fixedWidth = fx[0];
      fixedInt = fx[1];
    }
  }

  LogicalResult emitTop();
  /// The C++ parameter list of the top function.
  std::string signature();
  /// Element type of an array (memref) of `t`.
  std::string arrayElemType(Type t) const {
    if (isa<FloatType>(t))
      return fixed() ? "data_t" : "float";
    return scalarType(t);
  }
  /// The typedefs of the fixed-point formats (empty for integer models).
  void emitTypedefs();
  /// The name of each parameter: in0.., out0.., then AXI weights.
  SmallVector<std::string> paramNames;
  SmallVector<memref::GlobalOp> axiGlobals;
  bool fixed() const { return fixedWidth > 0; }
  std::string dims(MemRefType t) const {
    std::string s;
    for (int64_t d : t.getShape())
      s += "[" + std::to_string(d) + "]";
    return s;
  }
  void collectParams();

private:
  std::string scalarType(Type t) const {
    if (auto it = dyn_cast<IntegerType>(t)) {
      if (it.getWidth() == 1)
        return "bool";
      return (it.isUnsigned() ? "ap_uint<" : "ap_int<") +
             std::to_string(it.getWidth()) + ">";
    }
    if (isa<IndexType>(t))
      return "int";
    if (t.isF32())
      return fixed() ? "acc_t" : "float";
    return "<unsupported>";
  }
  /// The C++ type of an SSA value: fixed-point loads and constants keep the
  /// data format, computed values the accumulator format.
  std::string valueType(Value v) const {
    if (fixed() && v.getType().isF32() && v.getDefiningOp() &&
        isa<affine::AffineLoadOp, memref::LoadOp, arith::ConstantOp>(
            v.getDefiningOp()))
      return "data_t";
    return scalarType(v.getType());
  }
  std::string fresh(Value v) {
    std::string n = "v" + std::to_string(counter++);
    names[v] = n;
    return n;
  }
  std::string name(Value v) { return names.lookup(v); }
  std::string decl(Value v) { return valueType(v) + " " + fresh(v); }

  // Expressions.
  LogicalResult emitConstant(arith::ConstantOp op);
  LogicalResult emitArith(Operation *op);
  // Memory and loops.
  std::string affineIndex(AffineMap map, ValueRange operands);
  LogicalResult emitBlock(Block &block);
  LogicalResult emitOp(Operation *op);
  LogicalResult emitFor(affine::AffineForOp op);
  LogicalResult emitIf(scf::IfOp op);
  void emitPartition(StringRef var, DenseI64ArrayAttr factors, MemRefType type);
  LogicalResult emitRom(memref::GlobalOp global, StringRef var);

  func::FuncOp f;
  raw_indented_ostream &os;
  int64_t fixedWidth = 0, fixedInt = 0;
  DenseMap<Value, std::string> names;
  int counter = 0;
  /// Where the values of the current loop's iter_args / if results go.
  SmallVector<SmallVector<std::string>> yieldTargets;
};

std::string sanitize(StringRef s) {
  std::string out;
  for (char c : s)
    out += llvm::isAlnum(c) ? c : '_';
  if (out.empty() || llvm::isDigit(out[0]))
    out = "_" + out;
  return out;
}

std::string floatLiteral(double v) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.9g", v);
  std::string s = buf;
  if (s.find_first_of(".eEn") == std::string::npos)
    s += ".0";
  if (s == "inf" || s == "-inf" || s == "nan")
    return s == "nan" ? "NAN" : (s[0] == '-' ? "-INFINITY" : "INFINITY");
  return s + "f";
}

std::string intLiteral(const APInt &v) {
  int64_t x =
      v.getBitWidth() == 1 ? (int64_t)v.getZExtValue() : v.getSExtValue();
  if (x == INT64_MIN)
    return "(-9223372036854775807LL - 1)";
  return std::to_string(x) + (x > INT32_MAX || x < INT32_MIN ? "LL" : "");
}

void Emitter::emitTypedefs() {
  if (!fixed())
    return;
  // Products of two data_t values are exact in 2W bits; acc_t keeps all of
  // their fraction bits and 10 guard bits (sums of up to 1024 products).
  int64_t f = fixedWidth - fixedInt;
  int64_t accInt = 2 * fixedInt + 10, accWidth = accInt + 2 * f;
  os << "typedef ap_fixed<" << fixedWidth << ", " << fixedInt
     << ", AP_RND_CONV, AP_SAT> data_t;\n";
  os << "typedef ap_fixed<" << accWidth << ", " << accInt << "> acc_t;\n\n";
}

void Emitter::collectParams() {
  auto numIn =
      f->getAttrOfType<IntegerAttr>(EffcDialect::kHlsNumInputsAttrName);
  int64_t nIn = numIn ? numIn.getInt() : f.getNumArguments();
  for (unsigned i = 0; i < f.getNumArguments(); ++i) {
    std::string n = int64_t(i) < nIn ? "in" + std::to_string(i)
                                     : "out" + std::to_string(i - nIn);
    paramNames.push_back(n);
    names[f.getArgument(i)] = n;
  }
  // AXI weights: globals marked m_axi that the function reads.
  f.walk([&](memref::GetGlobalOp gg) {
    auto global = SymbolTable::lookupNearestSymbolFrom<memref::GlobalOp>(
        gg, gg.getNameAttr());
    if (global && global->hasAttr(EffcDialect::kHlsInterfaceAttrName) &&
        !llvm::is_contained(axiGlobals, global))
      axiGlobals.push_back(global);
  });
}

std::string Emitter::signature() {
  std::string s;
  for (unsigned i = 0; i < f.getNumArguments(); ++i) {
    auto t = cast<MemRefType>(f.getArgument(i).getType());
    if (i)
      s += ", ";
    s += arrayElemType(t.getElementType()) + " " + paramNames[i] + dims(t);
  }
  for (memref::GlobalOp g : axiGlobals) {
    if (!s.empty())
      s += ", ";
    s += "const " + arrayElemType(g.getType().getElementType()) + " " +
         sanitize(g.getSymName()) + dims(g.getType());
  }
  return s;
}

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
    os << "const " << decl(op) << " = " << floatLiteral(fa.getValueAsDouble())
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
  if (isa<arith::MaxSIOp, arith::MaximumFOp>(op))
    return pick(">");
  if (isa<arith::MinSIOp, arith::MinimumFOp>(op))
    return pick("<");
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

std::string Emitter::affineIndex(AffineMap map, ValueRange operands) {
  std::string s;
  std::function<std::string(AffineExpr)> expr = [&](AffineExpr e) {
    if (auto d = dyn_cast<AffineDimExpr>(e))
      return name(operands[d.getPosition()]);
    if (auto sy = dyn_cast<AffineSymbolExpr>(e))
      return name(operands[map.getNumDims() + sy.getPosition()]);
    if (auto c = dyn_cast<AffineConstantExpr>(e))
      return std::to_string(c.getValue());
    auto bin = cast<AffineBinaryOpExpr>(e);
    std::string l = expr(bin.getLHS()), r = expr(bin.getRHS());
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
      return std::string("0");
    }
  };
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

/// Writes the elements of a constant as a nested C initializer.
static void writeInitializer(raw_ostream &os, DenseElementsAttr attr,
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
  if (!op.hasConstantBounds())
    return op.emitError("emit-hls-cpp: loops need constant bounds");
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
  os << "for (int " << iv << " = " << op.getConstantLowerBound() << "; " << iv
     << " < " << op.getConstantUpperBound() << "; " << iv
     << " += " << op.getStepAsInt() << ") {\n";
  os.indent();
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

//===----------------------------------------------------------------------===//
// The top function
//===----------------------------------------------------------------------===//

LogicalResult Emitter::emitTop() {
  if (!llvm::hasSingleElement(f.getBody()))
    return f.emitError("emit-hls-cpp: the function must have one block");
  for (Type t : f.getArgumentTypes()) {
    auto mt = dyn_cast<MemRefType>(t);
    if (!mt || !mt.hasStaticShape())
      return f.emitError("emit-hls-cpp: parameters must be static memrefs; "
                         "run --effc-lower-hls first");
  }
  os << "void " << sanitize(f.getSymName()) << "(" << signature() << ") {\n";
  os.indent();
  for (unsigned i = 0; i < f.getNumArguments(); ++i)
    os << "#pragma HLS INTERFACE mode=ap_memory port=" << paramNames[i] << "\n";
  for (memref::GlobalOp g : axiGlobals)
    os << "#pragma HLS INTERFACE mode=m_axi port=" << sanitize(g.getSymName())
       << " offset=slave bundle=gmem_" << sanitize(g.getSymName()) << "\n";
  os << "#pragma HLS INTERFACE mode=s_axilite port=return\n";
  for (unsigned i = 0; i < f.getNumArguments(); ++i)
    emitPartition(paramNames[i],
                  f.getArgAttrOfType<DenseI64ArrayAttr>(
                      i, EffcDialect::kHlsPartitionAttrName),
                  cast<MemRefType>(f.getArgument(i).getType()));
  if (f->hasAttr(EffcDialect::kHlsDataflowAttrName))
    os << "#pragma HLS DATAFLOW\n";
  if (auto est =
          f->getAttrOfType<DictionaryAttr>(EffcDialect::kHlsEstimateAttrName)) {
    os << "// effc QoR estimate:";
    for (NamedAttribute a : est)
      if (auto i = dyn_cast<IntegerAttr>(a.getValue()))
        os << " " << a.getName().getValue() << "=" << i.getInt();
    os << "\n";
  }
  LogicalResult r = emitBlock(f.getBody().front());
  os.unindent();
  os << "}\n";
  return r;
}

SmallVector<func::FuncOp> topFunctions(ModuleOp module) {
  SmallVector<func::FuncOp> tops;
  for (func::FuncOp f : module.getOps<func::FuncOp>())
    if (f->hasAttr(EffcDialect::kHlsTopAttrName) && !f.isExternal())
      tops.push_back(f);
  return tops;
}

//===----------------------------------------------------------------------===//
// Testbench
//===----------------------------------------------------------------------===//

/// The .npy descriptor of an array element type.
std::string npyDescr(Type t) {
  if (t.isF32())
    return "<f4";
  if (auto it = dyn_cast<IntegerType>(t)) {
    unsigned w = it.getWidth();
    char kind = it.isUnsigned() ? 'u' : 'i';
    if (w == 1)
      return "|b1";
    if (w <= 8)
      return std::string("|") + kind + "1";
    if (w <= 16)
      return std::string("<") + kind + "2";
    if (w <= 32)
      return std::string("<") + kind + "4";
    return std::string("<") + kind + "8";
  }
  return "";
}

const char *kNpyHelpers = R"cpp(
// Minimal .npy (version 1-3, C order, little-endian) reader and writer.
struct NpyArray {
  std::string descr;
  std::vector<long> shape;
  std::vector<char> data;
};

static bool readNpy(const char *path, NpyArray &a) {
  FILE *f = std::fopen(path, "rb");
  if (!f)
    return false;
  char magic[8];
  if (std::fread(magic, 1, 8, f) != 8 || std::memcmp(magic, "\x93NUMPY", 6)) {
    std::fclose(f);
    return false;
  }
  unsigned long len = 0;
  unsigned char b[4] = {0, 0, 0, 0};
  size_t lenBytes = magic[6] == 1 ? 2 : 4;
  if (std::fread(b, 1, lenBytes, f) != lenBytes) {
    std::fclose(f);
    return false;
  }
  len = b[0] | (b[1] << 8) | (lenBytes == 4 ? (b[2] << 16) | (b[3] << 24) : 0);
  std::string header(len, ' ');
  if (std::fread(&header[0], 1, len, f) != len) {
    std::fclose(f);
    return false;
  }
  size_t d = header.find("'descr'");
  size_t q1 = header.find('\'', header.find(':', d) + 1);
  size_t q2 = header.find('\'', q1 + 1);
  a.descr = header.substr(q1 + 1, q2 - q1 - 1);
  if (header.find("'fortran_order': True") != std::string::npos) {
    std::fclose(f);
    return false;
  }
  size_t s = header.find('(', header.find("'shape'"));
  size_t e = header.find(')', s);
  std::string dims = header.substr(s + 1, e - s - 1);
  long n = 1;
  for (size_t p = 0; p < dims.size();) {
    while (p < dims.size() && (dims[p] == ' ' || dims[p] == ','))
      ++p;
    if (p >= dims.size())
      break;
    long v = std::strtol(dims.c_str() + p, nullptr, 10);
    a.shape.push_back(v);
    n *= v;
    while (p < dims.size() && dims[p] != ',')
      ++p;
  }
  size_t elem = std::strtoul(a.descr.c_str() + 2, nullptr, 10);
  a.data.resize(n * elem);
  bool ok = std::fread(a.data.data(), 1, a.data.size(), f) == a.data.size();
  std::fclose(f);
  return ok;
}

/// Element i of an .npy array as a double (exact for every integer type up
/// to 32 bits and for f32).
static double npyElement(const NpyArray &a, long i) {
  char kind = a.descr[1];
  size_t size = std::strtoul(a.descr.c_str() + 2, nullptr, 10);
  const char *p = a.data.data() + i * size;
  if (kind == 'f' && size == 4) { float v; std::memcpy(&v, p, 4); return v; }
  if (kind == 'f' && size == 8) { double v; std::memcpy(&v, p, 8); return v; }
  if (kind == 'b') return *p != 0;
  long long v = 0;
  if (kind == 'i') {
    if (size == 1) { int8_t x; std::memcpy(&x, p, 1); v = x; }
    if (size == 2) { int16_t x; std::memcpy(&x, p, 2); v = x; }
    if (size == 4) { int32_t x; std::memcpy(&x, p, 4); v = x; }
    if (size == 8) { int64_t x; std::memcpy(&x, p, 8); v = x; }
  } else {
    if (size == 1) { uint8_t x; std::memcpy(&x, p, 1); v = x; }
    if (size == 2) { uint16_t x; std::memcpy(&x, p, 2); v = x; }
    if (size == 4) { uint32_t x; std::memcpy(&x, p, 4); v = x; }
  }
  return double(v);
}

static bool writeNpy(const char *path, const std::string &descr,
                     const std::vector<long> &shape, const void *data,
                     size_t bytes) {
  std::string dict = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': (";
  for (size_t i = 0; i < shape.size(); ++i)
    dict += std::to_string(shape[i]) + (shape.size() == 1 || i + 1 < shape.size() ? ", " : "");
  dict += "), }";
  size_t total = 10 + dict.size() + 1;
  dict += std::string((64 - total % 64) % 64, ' ') + "\n";
  FILE *f = std::fopen(path, "wb");
  if (!f)
    return false;
  unsigned short len = (unsigned short)dict.size();
  std::fwrite("\x93NUMPY\x01\x00", 1, 8, f);
  unsigned char lb[2] = {(unsigned char)(len & 255), (unsigned char)(len >> 8)};
  std::fwrite(lb, 1, 2, f);
  std::fwrite(dict.data(), 1, dict.size(), f);
  bool ok = std::fwrite(data, 1, bytes, f) == bytes;
  return std::fclose(f) == 0 && ok;
}
)cpp";

/// The C type that an output element is written as.
std::string npyCType(Type t) {
  if (t.isF32())
    return "float";
  auto it = cast<IntegerType>(t);
  unsigned w = it.getWidth();
  std::string base = it.isUnsigned() ? "uint" : "int";
  if (w == 1)
    return "bool";
  return base +
         std::to_string(w <= 8    ? 8
                        : w <= 16 ? 16
                        : w <= 32 ? 32
                                  : 64) +
         "_t";
}

LogicalResult emitTestbench(func::FuncOp f, raw_indented_ostream &os) {
  Emitter e(f, os);
  e.collectParams();
  auto numIn =
      f->getAttrOfType<IntegerAttr>(EffcDialect::kHlsNumInputsAttrName);
  int64_t nIn = numIn ? numIn.getInt() : 0;
  int64_t nArgs = f.getNumArguments();
  std::string top = sanitize(f.getSymName());
  os << "// C-simulation testbench for " << top
     << ", written by effc-translate --emit-hls-testbench.\n"
     << "// Usage: " << top << "_tb";
  for (int64_t i = 0; i < nArgs; ++i)
    os << " " << e.paramNames[i] << ".npy";
  os << "\n#include <cmath>\n#include <cstdint>\n#include <cstdio>\n"
        "#include <cstdlib>\n#include <cstring>\n#include <string>\n"
        "#include <vector>\n\n#include \"ap_fixed.h\"\n#include "
        "\"ap_int.h\"\n\n";
  e.emitTypedefs();
  os << "void " << top << "(" << e.signature() << ");\n";
  os << kNpyHelpers << "\n";
  // AXI weights: the host side holds them.
  for (memref::GlobalOp g : e.axiGlobals) {
    auto init = dyn_cast_or_null<DenseElementsAttr>(g.getInitialValueAttr());
    if (!init)
      return g.emitError("emit-hls-testbench: AXI weights need a dense value");
    MemRefType t = g.getType();
    os << "static const " << e.arrayElemType(t.getElementType()) << " "
       << sanitize(g.getSymName()) << e.dims(t) << " = ";
    writeInitializer(os, init, isa<FloatType>(t.getElementType()));
    os << ";\n";
  }
  os << "\nint main(int argc, char **argv) {\n";
  os.indent();
  os << "if (argc != " << nArgs + 1 << ") {\n";
  os << "  std::fprintf(stderr, \"usage: %s";
  for (int64_t i = 0; i < nArgs; ++i)
    os << " " << e.paramNames[i] << ".npy";
  os << "\\n\", argv[0]);\n  return 2;\n}\n";
  for (int64_t i = 0; i < nArgs; ++i) {
    auto t = cast<MemRefType>(f.getArgument(i).getType());
    std::string n = e.paramNames[i];
    std::string elem = e.arrayElemType(t.getElementType());
    os << "static " << elem << " " << n << e.dims(t) << ";\n";
    if (i >= nIn)
      continue;
    os << "{\n";
    os.indent();
    os << "NpyArray a;\n";
    os << "if (!readNpy(argv[" << i + 1 << "], a)) {\n"
       << "  std::fprintf(stderr, \"cannot read %s\\n\", argv[" << i + 1
       << "]);\n  return 1;\n}\n";
    os << "const std::vector<long> want = {";
    llvm::interleaveComma(t.getShape(), os);
    os << "};\n";
    os << "if (a.shape != want) {\n"
       << "  std::fprintf(stderr, \"%s: unexpected shape\\n\", argv[" << i + 1
       << "]);\n  return 1;\n}\n";
    os << elem << " *p = reinterpret_cast<" << elem << " *>(" << n << ");\n";
    os << "for (long j = 0; j < " << t.getNumElements() << "; ++j)\n";
    if (isa<FloatType>(t.getElementType()))
      os << "  p[j] = " << elem << "(float(npyElement(a, j)));\n";
    else
      os << "  p[j] = " << elem << "((long long)npyElement(a, j));\n";
    os.unindent();
    os << "}\n";
  }
  os << top << "(";
  SmallVector<std::string> callArgs(e.paramNames.begin(), e.paramNames.end());
  for (memref::GlobalOp g : e.axiGlobals)
    callArgs.push_back(sanitize(g.getSymName()));
  llvm::interleaveComma(callArgs, os);
  os << ");\n";
  for (int64_t i = nIn; i < nArgs; ++i) {
    auto t = cast<MemRefType>(f.getArgument(i).getType());
    Type et = t.getElementType();
    std::string descr = npyDescr(et);
    if (descr.empty())
      return f.emitError("emit-hls-testbench: unsupported result element ")
             << et;
    std::string n = e.paramNames[i], ct = npyCType(et);
    std::string elem = e.arrayElemType(et);
    os << "{\n";
    os.indent();
    os << "std::vector<" << ct << "> buf(" << t.getNumElements() << ");\n";
    os << "const " << elem << " *p = reinterpret_cast<const " << elem << " *>("
       << n << ");\n";
    os << "for (long j = 0; j < " << t.getNumElements() << "; ++j)\n";
    if (isa<FloatType>(et))
      os << "  buf[j] = " << (e.fixed() ? "p[j].to_float()" : "p[j]") << ";\n";
    else
      os << "  buf[j] = (" << ct << ")(long long)p[j];\n";
    os << "if (!writeNpy(argv[" << i + 1 << "], \"" << descr << "\", {";
    llvm::interleaveComma(t.getShape(), os);
    os << "}, buf.data(), buf.size() * sizeof(" << ct << "))) {\n"
       << "  std::fprintf(stderr, \"cannot write %s\\n\", argv[" << i + 1
       << "]);\n  return 1;\n}\n";
    os.unindent();
    os << "}\n";
  }
  os << "return 0;\n";
  os.unindent();
  os << "}\n";
  return success();
}

void registerDialects(DialectRegistry &registry) {
  registry.insert<EffcDialect, affine::AffineDialect, arith::ArithDialect,
                  func::FuncDialect, math::MathDialect, memref::MemRefDialect,
                  scf::SCFDialect>();
}

} // namespace

LogicalResult mlir::effc::emitHlsCpp(ModuleOp module, raw_ostream &out) {
  SmallVector<func::FuncOp> tops = topFunctions(module);
  if (tops.empty())
    return module.emitError("emit-hls-cpp: no ")
           << EffcDialect::kHlsTopAttrName
           << " function; run --effc-lower-hls (or --effc-hls-pipeline) first";
  raw_indented_ostream os(out);
  os << "// Written by effc-translate --emit-hls-cpp. Compile for C "
        "simulation with\n// g++ -std=c++17 -I <effc>/include/effc/hls, or "
        "synthesize with Vitis HLS.\n"
        "#include <cmath>\n\n#include \"ap_fixed.h\"\n"
        "#include \"ap_int.h\"\n\n";
  bool typedefsDone = false;
  for (func::FuncOp f : tops) {
    Emitter e(f, os);
    e.collectParams();
    if (!typedefsDone && e.fixed()) {
      e.emitTypedefs();
      typedefsDone = true;
    }
    if (failed(e.emitTop()))
      return failure();
    os << "\n";
  }
  return success();
}

LogicalResult mlir::effc::emitHlsTestbench(ModuleOp module, raw_ostream &out) {
  SmallVector<func::FuncOp> tops = topFunctions(module);
  if (tops.size() != 1)
    return module.emitError("emit-hls-testbench: expected exactly one ")
           << EffcDialect::kHlsTopAttrName << " function, found "
           << tops.size();
  raw_indented_ostream os(out);
  return emitTestbench(tops.front(), os);
}

void mlir::effc::registerHlsCppTranslations() {
  TranslateFromMLIRRegistration cpp(
      "emit-hls-cpp",
      "Emit Vitis-HLS-style C++ from the output of --effc-lower-hls",
      [](ModuleOp module, raw_ostream &os) { return emitHlsCpp(module, os); },
      registerDialects);
  TranslateFromMLIRRegistration tb(
      "emit-hls-testbench",
      "Emit a C-simulation main() reading inputs from and writing results "
      "to .npy files",
      [](ModuleOp module, raw_ostream &os) {
        return emitHlsTestbench(module, os);
      },
      registerDialects);
}

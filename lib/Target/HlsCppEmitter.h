//===- HlsCppEmitter.h - HLS C++ emitter internals --------------*- C++ -*-===//
//
// Shared by the files of the HLS C++ emitter: HlsCpp.cpp (types, names,
// the top function, the translations), HlsCppOps.cpp (arith / math / affine
// / memref / scf statements) and HlsCppTestbench.cpp (the .npy C-simulation
// testbench). Not installed.
//
//===----------------------------------------------------------------------===//

#ifndef EFFC_LIB_TARGET_HLSCPPEMITTER_H
#define EFFC_LIB_TARGET_HLSCPPEMITTER_H

#include "effc/Dialect/EffcDialect.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/Support/IndentedOstream.h"

#include <string>

namespace mlir {
namespace effc {
namespace hlscpp {

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
      return fixed() ? "data_t" : t.isF64() ? "double" : "float";
    return scalarType(t);
  }
  /// The typedefs of the fixed-point formats (empty for integer models).
  void emitTypedefs();
  /// The name of each parameter: in0.., out0.., dim0.. (runtime sizes),
  /// then AXI weights.
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
    if (isa<FloatType>(t))
      return fixed() ? "acc_t" : t.isF64() ? "double" : "float";
    return "<unsupported>";
  }
  /// The C++ type of an SSA value: fixed-point loads and constants keep the
  /// data format, computed values the accumulator format.
  std::string valueType(Value v) const {
    if (fixed() && isa<FloatType>(v.getType()) && v.getDefiningOp() &&
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

/// `s` as a C identifier: other characters become '_', a leading digit
/// gets a '_' in front.
std::string sanitize(StringRef s);
/// A C float literal that reads back as the same f32 (as the same f64, with
/// no suffix, when `isDouble`).
std::string floatLiteral(double v, bool isDouble = false);
/// A C integer literal of `v`'s signed value.
std::string intLiteral(const APInt &v);

/// `e` as a C++ integer expression (floordiv as `/`: the values are
/// non-negative); `leaf` spells its dims and symbols.
std::string affineCpp(AffineExpr e,
                      llvm::function_ref<std::string(AffineExpr)> leaf);
/// Writes the elements of a constant as a nested C initializer.
void writeInitializer(raw_ostream &os, DenseElementsAttr attr, bool isFloat);

/// The C-simulation main() of top function `f` (HlsCppTestbench.cpp).
LogicalResult emitTestbench(func::FuncOp f, raw_indented_ostream &os);

} // namespace hlscpp
} // namespace effc
} // namespace mlir

#endif // EFFC_LIB_TARGET_HLSCPPEMITTER_H

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
// The emitter is split by what it writes: types, names and the top function
// (here), statements (HlsCppOps.cpp), the testbench (HlsCppTestbench.cpp).
//
//===----------------------------------------------------------------------===//

#include "effc/Target/HlsCpp.h"

#include "HlsCppEmitter.h"

#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Tools/mlir-translate/Translation.h"

#include "llvm/ADT/StringExtras.h"

#include <cstdio>
#include <string>

using namespace mlir;
using namespace mlir::effc;
using namespace mlir::effc::hlscpp;

//===----------------------------------------------------------------------===//
// Types and names
//===----------------------------------------------------------------------===//

std::string mlir::effc::hlscpp::sanitize(StringRef s) {
  std::string out;
  for (char c : s)
    out += llvm::isAlnum(c) ? c : '_';
  if (out.empty() || llvm::isDigit(out[0]))
    out = "_" + out;
  return out;
}

std::string mlir::effc::hlscpp::floatLiteral(double v, bool isDouble) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), isDouble ? "%.17g" : "%.9g", v);
  std::string s = buf;
  if (s.find_first_of(".eEn") == std::string::npos)
    s += ".0";
  if (s == "inf" || s == "-inf" || s == "nan")
    return s == "nan" ? "NAN" : (s[0] == '-' ? "-INFINITY" : "INFINITY");
  return isDouble ? s : s + "f";
}

std::string mlir::effc::hlscpp::intLiteral(const APInt &v) {
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
  int64_t numDims = 0;
  for (unsigned i = 0; i < f.getNumArguments(); ++i) {
    std::string n = isa<IndexType>(f.getArgument(i).getType())
                        ? "dim" + std::to_string(numDims++)
                    : int64_t(i) < nIn ? "in" + std::to_string(i)
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
    if (i)
      s += ", ";
    if (isa<IndexType>(f.getArgument(i).getType())) {
      s += "int " + paramNames[i];
      continue;
    }
    auto t = cast<MemRefType>(f.getArgument(i).getType());
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
// The top function
//===----------------------------------------------------------------------===//

LogicalResult Emitter::emitTop() {
  if (!llvm::hasSingleElement(f.getBody()))
    return f.emitError("emit-hls-cpp: the function must have one block");
  for (Type t : f.getArgumentTypes()) {
    auto mt = dyn_cast<MemRefType>(t);
    if (!isa<IndexType>(t) && (!mt || !mt.hasStaticShape()))
      return f.emitError("emit-hls-cpp: parameters must be static memrefs "
                         "or runtime sizes (index); run --effc-lower-hls "
                         "first");
  }
  if (auto maxDims = f->getAttrOfType<DenseI64ArrayAttr>(
          EffcDialect::kHlsMaxDimsAttrName)) {
    // The runtime sizes: what they bound, and the caller's contract.
    os << "// Runtime sizes:";
    for (auto [k, m] : llvm::enumerate(maxDims.asArrayRef()))
      os << (k ? ", " : " ") << "dim" << k << " <= " << m;
    os << " (max-dims).\n// Arrays are sized at these bounds; the "
          "dynamic dims of every input and\n// result are given by the "
          "sizes (effc.hls.shapes):";
    if (auto shapes =
            f->getAttrOfType<ArrayAttr>(EffcDialect::kHlsShapesAttrName)) {
      for (auto [i, a] : llvm::enumerate(shapes)) {
        AffineMap m = cast<AffineMapAttr>(a).getValue();
        os << "\n//   " << paramNames[i] << ": [";
        for (auto [d, e] : llvm::enumerate(m.getResults())) {
          std::string str;
          llvm::raw_string_ostream es(str);
          e.print(es);
          for (int64_t k = m.getNumSymbols() - 1; k >= 0; --k) {
            std::string sym = "s" + std::to_string(k);
            for (size_t p = str.find(sym); p != std::string::npos;
                 p = str.find(sym, p + 1))
              str.replace(p, sym.size(), "dim" + std::to_string(k));
          }
          os << (d ? ", " : "") << str;
        }
        os << "]";
      }
    }
    os << "\n// A size above its bound breaks the caller's contract: it is "
          "clamped to the\n// bound, and the elements beyond it are not "
          "computed.\n";
  }
  os << "void " << hlsCppTopName(f.getSymName()) << "(" << signature()
     << ") {\n";
  os.indent();
  for (unsigned i = 0; i < f.getNumArguments(); ++i)
    os << "#pragma HLS INTERFACE mode="
       << (isa<IndexType>(f.getArgument(i).getType()) ? "s_axilite"
                                                      : "ap_memory")
       << " port=" << paramNames[i] << "\n";
  for (memref::GlobalOp g : axiGlobals)
    os << "#pragma HLS INTERFACE mode=m_axi port=" << sanitize(g.getSymName())
       << " offset=slave bundle=gmem_" << sanitize(g.getSymName()) << "\n";
  os << "#pragma HLS INTERFACE mode=s_axilite port=return\n";
  for (unsigned i = 0; i < f.getNumArguments(); ++i)
    if (isa<MemRefType>(f.getArgument(i).getType()))
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

static SmallVector<func::FuncOp> topFunctions(ModuleOp module) {
  SmallVector<func::FuncOp> tops;
  for (func::FuncOp f : module.getOps<func::FuncOp>())
    if (f->hasAttr(EffcDialect::kHlsTopAttrName) && !f.isExternal())
      tops.push_back(f);
  return tops;
}

//===----------------------------------------------------------------------===//
// Translations
//===----------------------------------------------------------------------===//

static void registerDialects(DialectRegistry &registry) {
  registry.insert<EffcDialect, affine::AffineDialect, arith::ArithDialect,
                  func::FuncDialect, math::MathDialect, memref::MemRefDialect,
                  scf::SCFDialect>();
}

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
  llvm::StringMap<func::FuncOp> cppNames;
  for (func::FuncOp f : tops) {
    auto [it, inserted] =
        cppNames.try_emplace(hlsCppTopName(f.getSymName()), f);
    if (!inserted)
      return f.emitError("emit-hls-cpp: the top functions @")
             << it->second.getSymName() << " and @" << f.getSymName()
             << " have the same C++ name '" << it->first()
             << "'; rename one (--effc-lower-hls=\"top-name=...\")";
  }
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

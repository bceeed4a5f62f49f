//===- HlsCppTestbench.cpp - HLS C-simulation testbench ---------*- C++ -*-===//
//
// --emit-hls-testbench: a main() that reads each input of the top function
// from a .npy file, calls it and writes each result as .npy, with a small
// .npy reader and writer of its own so that it needs nothing but the
// ap_types headers.
//
//===----------------------------------------------------------------------===//

#include "HlsCppEmitter.h"
#include "effc/Target/HlsCpp.h"

#include <string>

using namespace mlir;
using namespace mlir::effc;
using namespace mlir::effc::hlscpp;

/// The .npy descriptor of an array element type.
static std::string npyDescr(Type t) {
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

static const char *kNpyHelpers = R"cpp(
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

/// The offset in an array of shape `bounds` of element j (row-major) of an
/// array of shape `shape` (its leading corner).
static long boundedOffset(long j, const std::vector<long> &shape,
                          const std::vector<long> &bounds) {
  long off = 0, stride = 1;
  for (size_t d = shape.size(); d-- > 0;) {
    off += (j % shape[d]) * stride;
    j /= shape[d];
    stride *= bounds[d];
  }
  return off;
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
static std::string npyCType(Type t) {
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

/// A C++ expression of a runtime shape entry (symbols are dim0, dim1...).
static std::string sizeExpr(AffineExpr e) {
  return affineCpp(e, [](AffineExpr leaf) -> std::string {
    if (auto sym = dyn_cast<AffineSymbolExpr>(leaf))
      return "long(dim" + std::to_string(sym.getPosition()) + ")";
    return "0";
  });
}

LogicalResult mlir::effc::hlscpp::emitTestbench(func::FuncOp f,
                                                raw_indented_ostream &os) {
  Emitter e(f, os);
  e.collectParams();
  auto numIn =
      f->getAttrOfType<IntegerAttr>(EffcDialect::kHlsNumInputsAttrName);
  int64_t nIn = numIn ? numIn.getInt() : 0;
  int64_t nArgs = f.getNumArguments();
  std::string top = hlsCppTopName(f.getSymName());
  os << "// C-simulation testbench for " << top
     << ", written by effc-translate --emit-hls-testbench.\n"
     << "// Usage: " << top << "_tb";
  for (int64_t i = 0; i < nArgs; ++i)
    if (!isa<IndexType>(f.getArgument(i).getType()))
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
  auto maxDims =
      f->getAttrOfType<DenseI64ArrayAttr>(EffcDialect::kHlsMaxDimsAttrName);
  auto shapes = f->getAttrOfType<ArrayAttr>(EffcDialect::kHlsShapesAttrName);
  int64_t numDims = maxDims ? maxDims.size() : 0;
  int64_t nArrays = nArgs - numDims;
  if (numDims && (!shapes || int64_t(shapes.size()) != nArrays))
    return f.emitError("emit-hls-testbench: a function with runtime sizes "
                       "needs effc.hls.shapes for each array");
  // Runtime shapes: the dims of an array as C++ expressions of the sizes.
  auto runtimeShape = [&](int64_t i) {
    std::string s;
    auto t = cast<MemRefType>(f.getArgument(i).getType());
    for (int64_t d = 0; d < t.getRank(); ++d) {
      s += d ? ", " : "";
      s +=
          numDims
              ? sizeExpr(cast<AffineMapAttr>(shapes[i]).getValue().getResult(d))
              : std::to_string(t.getDimSize(d));
    }
    return s;
  };
  os << "\nint main(int argc, char **argv) {\n";
  os.indent();
  os << "if (argc != " << nArrays + 1 << ") {\n";
  os << "  std::fprintf(stderr, \"usage: %s";
  for (int64_t i = 0; i < nArrays; ++i)
    os << " " << e.paramNames[i] << ".npy";
  os << "\\n\", argv[0]);\n  return 2;\n}\n";
  // Runtime sizes: read from the inputs' shapes (0 until then).
  for (int64_t k = 0; k < numDims; ++k)
    os << "int dim" << k << " = -1;\n";
  for (int64_t i = 0; i < nArrays; ++i) {
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
    if (numDims) {
      // Each dynamic dim sets (or must agree with) its runtime size.
      AffineMap m = cast<AffineMapAttr>(shapes[i]).getValue();
      os << "if (a.shape.size() != " << t.getRank() << ") {\n"
         << "  std::fprintf(stderr, \"%s: unexpected rank\\n\", argv[" << i + 1
         << "]);\n  return 1;\n}\n";
      for (int64_t d = 0; d < t.getRank(); ++d) {
        AffineExpr ex = m.getResult(d);
        if (auto sym = dyn_cast<AffineSymbolExpr>(ex)) {
          std::string dn = "dim" + std::to_string(sym.getPosition());
          int64_t bound = maxDims[sym.getPosition()];
          os << "if (" << dn << " < 0)\n  " << dn << " = int(a.shape[" << d
             << "]);\n";
          os << "if (a.shape[" << d << "] != " << dn << " || " << dn << " > "
             << bound << ") {\n"
             << "  std::fprintf(stderr, \"%s: dim " << d << " is %ld, " << dn
             << " must be <= " << bound
             << " (max-dims) and consistent\\n\", argv[" << i + 1
             << "], a.shape[" << d << "]);\n  return 1;\n}\n";
        }
      }
    }
    os << "const std::vector<long> want = {" << runtimeShape(i) << "};\n";
    os << "if (a.shape != want) {\n"
       << "  std::fprintf(stderr, \"%s: unexpected shape\\n\", argv[" << i + 1
       << "]);\n  return 1;\n}\n";
    os << elem << " *p = reinterpret_cast<" << elem << " *>(" << n << ");\n";
    std::string at = "p[j]";
    if (numDims) {
      // The runtime-shaped array fills the leading corner of the bounds.
      os << "const std::vector<long> bounds = {";
      llvm::interleaveComma(t.getShape(), os);
      os << "};\n";
      os << "long count = 1;\nfor (long d : want)\n  count *= d;\n";
      os << "for (long j = 0; j < count; ++j)\n";
      at = "p[boundedOffset(j, want, bounds)]";
    } else {
      os << "for (long j = 0; j < " << t.getNumElements() << "; ++j)\n";
    }
    if (isa<FloatType>(t.getElementType()))
      os << "  " << at << " = " << elem << "(float(npyElement(a, j)));\n";
    else
      os << "  " << at << " = " << elem << "((long long)npyElement(a, j));\n";
    os.unindent();
    os << "}\n";
  }
  os << top << "(";
  SmallVector<std::string> callArgs(e.paramNames.begin(), e.paramNames.end());
  for (memref::GlobalOp g : e.axiGlobals)
    callArgs.push_back(sanitize(g.getSymName()));
  llvm::interleaveComma(callArgs, os);
  os << ");\n";
  for (int64_t i = nIn; i < nArrays; ++i) {
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
    std::string at = "p[j]", shape = "{" + runtimeShape(i) + "}";
    if (numDims) {
      os << "const std::vector<long> shape = " << shape << ";\n";
      os << "const std::vector<long> bounds = {";
      llvm::interleaveComma(t.getShape(), os);
      os << "};\n";
      os << "long count = 1;\nfor (long d : shape)\n  count *= d;\n";
      os << "std::vector<" << ct << "> buf(count);\n";
      at = "p[boundedOffset(j, shape, bounds)]";
      shape = "shape";
    } else {
      os << "std::vector<" << ct << "> buf(" << t.getNumElements() << ");\n";
    }
    os << "const " << elem << " *p = reinterpret_cast<const " << elem << " *>("
       << n << ");\n";
    os << "for (long j = 0; j < "
       << (numDims ? std::string("count") : std::to_string(t.getNumElements()))
       << "; ++j)\n";
    if (isa<FloatType>(et))
      os << "  buf[j] = " << (e.fixed() ? at + ".to_float()" : at) << ";\n";
    else
      os << "  buf[j] = (" << ct << ")(long long)" << at << ";\n";
    os << "if (!writeNpy(argv[" << i + 1 << "], \"" << descr << "\", " << shape
       << ", buf.data(), buf.size() * sizeof(" << ct << "))) {\n"
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

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

#include "effc/Conversion/HLS/Passes.h"
#include "effc/Dialect/EffcOps.h"
#include "effc/Support/QuantBuilders.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Quant/IR/Quant.h"
#include "mlir/Dialect/Quant/IR/QuantTypes.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/SymbolTable.h"

#include "llvm/ADT/STLExtras.h"

#include <cmath>
#include <cstring>
#include <limits>
#include <memory>
#include <tuple>

namespace mlir {
namespace effc {
#define GEN_PASS_DEF_LOWERHLSPASS
#include "effc/Conversion/HLS/Passes.h.inc"
} // namespace effc
} // namespace mlir

using namespace mlir;
using namespace mlir::effc;

namespace {

//===----------------------------------------------------------------------===//
// Constant weights
//===----------------------------------------------------------------------===//

/// A constant tensor's values, widened (integers exactly to int64, floats
/// to double).
struct ConstData {
  SmallVector<int64_t> shape;
  Type elem; // storage element type (quantized types by their storage)
  std::vector<int64_t> ints;
  std::vector<double> floats;
  bool isFloat() const { return isa<FloatType>(elem); }
  int64_t size() const { return isFloat() ? floats.size() : ints.size(); }
  double at(int64_t i) const { return isFloat() ? floats[i] : ints[i]; }
};

/// The raw bytes of a dense_resource blob, if present.
std::optional<ArrayRef<char>> resourceBytes(Attribute attr) {
  auto res = dyn_cast<DenseResourceElementsAttr>(attr);
  if (!res)
    return std::nullopt;
  AsmResourceBlob *blob = res.getRawHandle().getBlob();
  if (!blob)
    return std::nullopt;
  return blob->getData();
}

FailureOr<ConstData> readConstant(Value v);

/// An int4 weight stored two to a byte (effc.unpack_int4 of a constant):
/// element 2j is the low nibble of byte j, 2j + 1 the high one, each
/// sign-extended.
FailureOr<ConstData> readUnpackedInt4(UnpackInt4Op op) {
  FailureOr<ConstData> packed = readConstant(op.getInput());
  if (failed(packed) || packed->isFloat())
    return failure();
  auto type = cast<RankedTensorType>(op.getOutput().getType());
  ConstData d;
  d.shape.assign(type.getShape().begin(), type.getShape().end());
  d.elem = type.getElementType();
  for (int64_t byte : packed->ints) {
    int64_t lo = byte & 15, hi = (byte >> 4) & 15;
    d.ints.push_back(lo >= 8 ? lo - 16 : lo);
    d.ints.push_back(hi >= 8 ? hi - 16 : hi);
  }
  if (int64_t(d.ints.size()) != type.getNumElements())
    return failure();
  return d;
}

/// Reads the constant behind `v` (through quant.scast and
/// effc.unpack_int4), or fails.
FailureOr<ConstData> readConstant(Value v) {
  while (auto sc = v.getDefiningOp<quant::StorageCastOp>())
    v = sc.getInput();
  if (auto unpack = v.getDefiningOp<UnpackInt4Op>())
    return readUnpackedInt4(unpack);
  Attribute attr;
  if (!matchPattern(v, m_Constant(&attr)))
    return failure();
  auto type = cast<RankedTensorType>(v.getType());
  ConstData d;
  d.shape.assign(type.getShape().begin(), type.getShape().end());
  d.elem = type.getElementType();
  int64_t n = type.getNumElements();
  if (auto dense = dyn_cast<DenseElementsAttr>(attr)) {
    if (d.elem.isF32()) {
      for (float f : dense.getValues<float>())
        d.floats.push_back(f);
    } else if (auto it = dyn_cast<IntegerType>(d.elem)) {
      for (const APInt &a : dense.getValues<APInt>())
        d.ints.push_back(it.isUnsigned() ? (int64_t)a.getZExtValue()
                                         : a.getSExtValue());
    } else {
      return failure();
    }
    return d;
  }
  std::optional<ArrayRef<char>> raw = resourceBytes(attr);
  if (!raw)
    return failure();
  if (d.elem.isF32() && raw->size() == size_t(n) * 4) {
    d.floats.resize(n);
    for (int64_t i = 0; i < n; ++i) {
      float f;
      std::memcpy(&f, raw->data() + 4 * i, 4);
      d.floats[i] = f;
    }
    return d;
  }
  if (d.elem.isInteger(8) && raw->size() == size_t(n)) {
    for (int64_t i = 0; i < n; ++i)
      d.ints.push_back((int8_t)(*raw)[i]);
    return d;
  }
  if (d.elem.isInteger(32) && raw->size() == size_t(n) * 4) {
    d.ints.resize(n);
    for (int64_t i = 0; i < n; ++i) {
      int32_t x;
      std::memcpy(&x, raw->data() + 4 * i, 4);
      d.ints[i] = x;
    }
    return d;
  }
  return failure();
}

/// Bits of the signed integer type that holds every value in [-m, m].
unsigned bitsFor(int64_t maxAbs) {
  unsigned bits = 1;
  while (bits < 63 && (int64_t(1) << (bits - 1)) <= maxAbs)
    ++bits;
  return bits;
}

Type storageOf(Type elem) {
  if (auto q = dyn_cast<quant::QuantizedType>(elem))
    return q.getStorageType();
  return elem;
}

//===----------------------------------------------------------------------===//
// One function
//===----------------------------------------------------------------------===//

/// How one matmul-like layer reads its weight.
struct WeightLayout {
  bool sparse = false;
  Value dense;        // [N, K] ROM
  Value values, cols; // [N, R] ROMs of the non-zeros of each row
  Value counts;       // [N] non-zeros per row; null when every row has R
  int64_t rowLen = 0; // K (dense) or R
};

class FuncLowering {
public:
  FuncLowering(func::FuncOp src, const LowerHlsPassOptions &opts,
               SymbolTable &symbols)
      : src(src), opts(opts), symbols(symbols), b(src.getContext()) {}

  LogicalResult run();

private:
  // Helpers.
  Value cst(Location loc, Type t, int64_t v) {
    if (isa<IndexType>(t))
      return arith::ConstantIndexOp::create(b, loc, v);
    return arith::ConstantOp::create(b, loc, t, b.getIntegerAttr(t, v));
  }
  Value fcst(Location loc, double v) {
    return arith::ConstantOp::create(b, loc, b.getF32Type(),
                                     b.getF32FloatAttr(v));
  }
  Value ext(Location loc, Value v, unsigned bits) {
    auto it = cast<IntegerType>(v.getType());
    Type t = b.getIntegerType(bits);
    if (it.getWidth() == bits)
      return v;
    if (it.getWidth() < bits)
      return arith::ExtSIOp::create(b, loc, t, v);
    return arith::TruncIOp::create(b, loc, t, v);
  }
  std::string layerName(Operation *op) {
    for (StringRef n : {"effc.name", "name"})
      if (auto s = op->getAttrOfType<StringAttr>(n))
        return s.str();
    return (op->getName().stripDialect() + "_" + Twine(layerCount)).str();
  }
  /// A ROM holding `attr`, read in the function through memref.get_global.
  Value rom(Location loc, StringRef base, DenseElementsAttr attr);
  Value romInts(Location loc, StringRef base, ArrayRef<int64_t> shape,
                Type elem, ArrayRef<int64_t> values);
  Value romFloats(Location loc, StringRef base, ArrayRef<int64_t> shape,
                  ArrayRef<float> values);
  /// The output buffer of `result`: its function result, or a new array.
  Value bufferFor(Value result, MemRefType type);
  Value memOf(Value tensor) { return mem.lookup(tensor); }
  MemRefType memTypeOf(Type tensorType) {
    auto t = cast<RankedTensorType>(tensorType);
    return MemRefType::get(t.getShape(), storageOf(t.getElementType()));
  }
  FailureOr<WeightLayout> weightLayout(Operation *op, const ConstData &w,
                                       StringRef name);

  /// Builds `out[m, n] = finish(acc(m, n), n)` with `acc` the reduction of
  /// mul(prepX(x[m, k]), prepW(w[n, k])) over the non-zeros of row n,
  /// starting from init(n).
  struct Body {
    Type accType;
    std::function<Value(Value n)> init;
    std::function<Value(Value x, Value w)> mulAdd; // returns the product
    std::function<Value(Value acc, Value p)> add;
    std::function<Value(Value acc, Value n)> finish;
  };
  /// How a layer reads its input: the value at output position `ivs` and
  /// reduction column `col` (an index), and when that position is valid
  /// (null: always; padding of a convolution otherwise).
  struct InputAccess {
    std::function<Value(ValueRange ivs, Value col, bool colIsIv)> load;
    std::function<Value(ValueRange ivs, Value col)> valid;
  };
  /// The loop nest of a matmul-like layer: loops over `outer` (the last one
  /// indexes the weight row and the per-channel constants) around the
  /// reduction over the row's (non-zero) weights.
  void buildReduction(Location loc, StringRef name, ArrayRef<int64_t> outer,
                      const InputAccess &x, const WeightLayout &w, Value out,
                      const Body &body);
  void buildMatmul(Location loc, StringRef name, Value x, int64_t m, int64_t n,
                   const WeightLayout &w, Value out, const Body &body);
  /// The input access of a 2-D NHWC convolution.
  InputAccess convAccess(Location loc, Value x, Operation *op,
                         ArrayRef<int64_t> wShape);

  /// effc.linear and effc.conv2d.
  template <typename OpT> LogicalResult lowerLinear(OpT op);
  /// effc.quantized_linear and effc.quantized_conv2d.
  template <typename OpT> LogicalResult lowerQuantizedLinear(OpT op);
  /// Checks the ranks of a linear (2, 2) or convolution (4, 4) and reads
  /// its weight as a [rows, K] matrix.
  FailureOr<ConstData> readLayerWeight(Operation *op, bool isConv);
  /// Emits the layer's loop nest into `out`.
  void buildLayer(Operation *op, bool isConv, StringRef name,
                  const WeightLayout &w, Value out, const Body &body);
  LogicalResult lowerAttention(AttentionOp op);
  LogicalResult lowerQuantizeCast(quant::QuantizeCastOp op);
  LogicalResult lowerDequantizeCast(quant::DequantizeCastOp op);
  void copy(Location loc, Value from, Value to);
  /// An elementwise loop nest over `type`'s shape.
  void elementwise(Location loc, StringRef name, MemRefType type,
                   function_ref<void(ValueRange ivs)> fn);

  func::FuncOp src;
  const LowerHlsPassOptions &opts;
  SymbolTable &symbols;
  OpBuilder b;
  func::FuncOp dst;
  DenseMap<Value, Value> mem;          // tensor -> memref
  DenseMap<Value, Value> resultBuffer; // tensor -> output argument
  int layerCount = 0;
  bool fixedMode = false;
};

Value FuncLowering::rom(Location loc, StringRef base, DenseElementsAttr attr) {
  auto type = MemRefType::get(attr.getType().getShape(),
                              attr.getType().getElementType());
  OpBuilder mb(src);
  std::string name = (src.getSymName() + "_" + base).str();
  auto global = memref::GlobalOp::create(
      mb, loc, mb.getStringAttr(name), mb.getStringAttr("private"),
      TypeAttr::get(type), attr, mb.getUnitAttr(), IntegerAttr());
  symbols.insert(global); // uniques the name
  int64_t bytes =
      (type.getNumElements() * int64_t(type.getElementTypeBitWidth()) + 7) / 8;
  if (opts.axiBytes > 0 && bytes > opts.axiBytes)
    global->setAttr(EffcDialect::kHlsInterfaceAttrName,
                    mb.getStringAttr(EffcDialect::kHlsMAxiInterface));
  return memref::GetGlobalOp::create(b, loc, type, global.getSymName());
}

Value FuncLowering::romInts(Location loc, StringRef base,
                            ArrayRef<int64_t> shape, Type elem,
                            ArrayRef<int64_t> values) {
  auto type = RankedTensorType::get(shape, elem);
  unsigned w = elem.getIntOrFloatBitWidth();
  SmallVector<APInt> data;
  data.reserve(values.size());
  for (int64_t v : values)
    data.push_back(APInt(w, v, /*isSigned=*/true, /*implicitTrunc=*/true));
  return rom(loc, base, DenseElementsAttr::get(type, data));
}

Value FuncLowering::romFloats(Location loc, StringRef base,
                              ArrayRef<int64_t> shape, ArrayRef<float> values) {
  auto type = RankedTensorType::get(shape, b.getF32Type());
  return rom(loc, base, DenseElementsAttr::get(type, values));
}

Value FuncLowering::bufferFor(Value result, MemRefType type) {
  if (Value out = resultBuffer.lookup(result))
    return out;
  return memref::AllocOp::create(b, result.getLoc(), type);
}

FailureOr<WeightLayout>
FuncLowering::weightLayout(Operation *op, const ConstData &w, StringRef name) {
  Location loc = op->getLoc();
  WeightLayout l;
  int64_t n = w.shape[0], k = w.shape[1];
  int64_t zeros = 0;
  std::vector<int64_t> perRow(n, 0);
  for (int64_t r = 0; r < n; ++r)
    for (int64_t c = 0; c < k; ++c)
      if (w.at(r * k + c) != 0)
        ++perRow[r];
      else
        ++zeros;
  double zeroFraction = double(zeros) / double(n * k);
  bool sparse = zeros > 0 && zeroFraction >= opts.sparseMinZeroFraction;
  if (!sparse) {
    l.rowLen = k;
    if (w.isFloat()) {
      std::vector<float> f(w.floats.begin(), w.floats.end());
      l.dense = romFloats(loc, (name + "_w").str(), w.shape, f);
    } else {
      l.dense = romInts(loc, (name + "_w").str(), w.shape, w.elem, w.ints);
    }
    return l;
  }
  // Compressed rows (ELL): the non-zeros of row r and their columns, padded
  // to the longest row; padding is skipped by a per-row count.
  l.sparse = true;
  int64_t r = std::max<int64_t>(1, *llvm::max_element(perRow));
  l.rowLen = r;
  std::vector<int64_t> cols(n * r, 0), ivals(n * r, 0);
  std::vector<float> fvals(n * r, 0.f);
  for (int64_t row = 0; row < n; ++row) {
    int64_t j = 0;
    for (int64_t c = 0; c < k; ++c) {
      double v = w.at(row * k + c);
      if (v == 0)
        continue;
      cols[row * r + j] = c;
      if (w.isFloat())
        fvals[row * r + j] = float(v);
      else
        ivals[row * r + j] = w.ints[row * k + c];
      ++j;
    }
  }
  Type colType = b.getIntegerType(bitsFor(k - 1));
  l.cols = romInts(loc, (name + "_cols").str(), {n, r}, colType, cols);
  l.values = w.isFloat()
                 ? romFloats(loc, (name + "_vals").str(), {n, r}, fvals)
                 : romInts(loc, (name + "_vals").str(), {n, r}, w.elem, ivals);
  if (llvm::any_of(perRow, [&](int64_t c) { return c != perRow[0]; }))
    l.counts = romInts(loc, (name + "_nnz").str(), {n},
                       b.getIntegerType(bitsFor(r)), perRow);
  return l;
}

void FuncLowering::buildReduction(Location loc, StringRef name,
                                  ArrayRef<int64_t> outer, const InputAccess &x,
                                  const WeightLayout &w, Value out,
                                  const Body &body) {
  OpBuilder::InsertionGuard g(b);
  SmallVector<Value> ivs;
  for (auto [i, trip] : llvm::enumerate(outer)) {
    auto loop = affine::AffineForOp::create(b, loc, 0, trip);
    if (i == 0)
      loop->setAttr(EffcDialect::kHlsLayerAttrName, b.getStringAttr(name));
    b.setInsertionPointToStart(loop.getBody());
    ivs.push_back(loop.getInductionVar());
  }
  Value row = ivs.back();
  Value init = body.init(row);
  auto red = affine::AffineForOp::create(b, loc, 0, w.rowLen, 1, init);
  red->setAttr(EffcDialect::kHlsPipelineIiAttrName,
               b.getI64IntegerAttr(opts.targetIi));
  {
    OpBuilder::InsertionGuard g2(b);
    b.setInsertionPointToStart(red.getBody());
    Value k = red.getInductionVar();
    Value acc = red.getRegionIterArgs()[0];
    Value col = k;
    if (w.sparse) {
      Value c =
          affine::AffineLoadOp::create(b, loc, w.cols, ValueRange{row, k});
      col = arith::IndexCastOp::create(b, loc, b.getIndexType(), c);
    }
    // Steps that must not run: the padding of a short compressed row, an
    // input position in a convolution's zero padding.
    Value cond;
    if (w.sparse && w.counts) {
      Value cnt =
          affine::AffineLoadOp::create(b, loc, w.counts, ValueRange{row});
      Value kc = arith::IndexCastOp::create(b, loc, cnt.getType(), k);
      cond = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, kc, cnt);
    }
    if (x.valid)
      if (Value v = x.valid(ivs, col))
        cond = cond ? arith::AndIOp::create(b, loc, cond, v).getResult() : v;
    auto step = [&]() -> Value {
      Value xv = x.load(ivs, col, !w.sparse);
      Value wv = affine::AffineLoadOp::create(
          b, loc, w.sparse ? w.values : w.dense, ValueRange{row, k});
      return body.add(acc, body.mulAdd(xv, wv));
    };
    Value next;
    if (cond) {
      auto ifOp = scf::IfOp::create(b, loc, TypeRange{body.accType}, cond,
                                    /*withElseRegion=*/true);
      {
        OpBuilder::InsertionGuard g3(b);
        b.setInsertionPointToStart(&ifOp.getThenRegion().front());
        scf::YieldOp::create(b, loc, step());
        b.setInsertionPointToStart(&ifOp.getElseRegion().front());
        scf::YieldOp::create(b, loc, acc);
      }
      next = ifOp.getResult(0);
    } else {
      next = step();
    }
    affine::AffineYieldOp::create(b, loc, next);
  }
  Value y = body.finish(red.getResult(0), row);
  affine::AffineStoreOp::create(b, loc, y, out, ivs);
}

void FuncLowering::buildMatmul(Location loc, StringRef name, Value x, int64_t m,
                               int64_t n, const WeightLayout &w, Value out,
                               const Body &body) {
  InputAccess access;
  access.load = [&, x](ValueRange ivs, Value col, bool colIsIv) -> Value {
    if (colIsIv)
      return affine::AffineLoadOp::create(b, loc, x, ValueRange{ivs[0], col});
    return memref::LoadOp::create(b, loc, x, ValueRange{ivs[0], col});
  };
  buildReduction(loc, name, {m, n}, access, w, out, body);
}

FuncLowering::InputAccess FuncLowering::convAccess(Location loc, Value x,
                                                   Operation *op,
                                                   ArrayRef<int64_t> wShape) {
  auto xTy = cast<MemRefType>(x.getType());
  int64_t h = xTy.getDimSize(1), wd = xTy.getDimSize(2);
  int64_t c = xTy.getDimSize(3);
  auto strides = op->getAttrOfType<DenseI64ArrayAttr>("strides");
  auto dil = op->getAttrOfType<DenseI64ArrayAttr>("dilations");
  auto pad = op->getAttrOfType<DenseI64ArrayAttr>("padding");
  int64_t groups = op->getAttrOfType<IntegerAttr>("groups").getInt();
  int64_t sh = strides ? strides[0] : 1, sw = strides ? strides[1] : 1;
  int64_t dh = dil ? dil[0] : 1, dw = dil ? dil[1] : 1;
  int64_t pt = pad ? pad[0] : 0, pl = pad ? pad[2] : 0;
  bool padded =
      pad && llvm::any_of(pad.asArrayRef(), [](int64_t p) { return p != 0; });
  int64_t f = wShape[0], kw = wShape[2], cg = wShape[3];
  int64_t fg = f / groups;
  (void)c;
  // The input position of output (n, oh, ow, f) and column
  // r = (kh * KW + kw) * Cg + ci: index arithmetic that HLS turns into
  // shifts and adds.
  // Computed once per column (the guard and the load share them).
  auto cache =
      std::make_shared<DenseMap<Value, std::tuple<Value, Value, Value>>>();
  auto coords = [=](ValueRange ivs, Value col) {
    if (auto it = cache->find(col); it != cache->end())
      return it->second;
    auto idx = [&](int64_t v) { return cst(loc, b.getIndexType(), v); };
    auto mul = [&](Value a, int64_t v) -> Value {
      return v == 1 ? a : arith::MulIOp::create(b, loc, a, idx(v)).getResult();
    };
    Value khkw = arith::DivSIOp::create(b, loc, col, idx(cg));
    Value ci = arith::RemSIOp::create(b, loc, col, idx(cg));
    Value khv = arith::DivSIOp::create(b, loc, khkw, idx(kw));
    Value kwv = arith::RemSIOp::create(b, loc, khkw, idx(kw));
    // (Operands built one statement at a time: the IR order must not
    // depend on the compiler's argument evaluation order.)
    Value oy = mul(ivs[1], sh), ky = mul(khv, dh);
    Value ih = arith::AddIOp::create(b, loc, oy, ky);
    Value ox = mul(ivs[2], sw), kx = mul(kwv, dw);
    Value iw = arith::AddIOp::create(b, loc, ox, kx);
    if (pt)
      ih = arith::SubIOp::create(b, loc, ih, idx(pt));
    if (pl)
      iw = arith::SubIOp::create(b, loc, iw, idx(pl));
    Value ch = ci;
    if (groups > 1) {
      Value grp = arith::DivSIOp::create(b, loc, ivs[3], idx(fg));
      ch = arith::AddIOp::create(b, loc, mul(grp, cg), ci);
    }
    (*cache)[col] = std::make_tuple(ih, iw, ch);
    return std::make_tuple(ih, iw, ch);
  };
  InputAccess access;
  access.load = [=](ValueRange ivs, Value col, bool) -> Value {
    auto [ih, iw, ch] = coords(ivs, col);
    return memref::LoadOp::create(b, loc, x, ValueRange{ivs[0], ih, iw, ch});
  };
  if (padded)
    access.valid = [=](ValueRange ivs, Value col) -> Value {
      auto [ih, iw, ch] = coords(ivs, col);
      auto idx = [&](int64_t v) { return cst(loc, b.getIndexType(), v); };
      auto cmp = [&](arith::CmpIPredicate p, Value a, int64_t v) -> Value {
        return arith::CmpIOp::create(b, loc, p, a, idx(v));
      };
      Value yLo = cmp(arith::CmpIPredicate::sge, ih, 0);
      Value yHi = cmp(arith::CmpIPredicate::slt, ih, h);
      Value xLo = cmp(arith::CmpIPredicate::sge, iw, 0);
      Value xHi = cmp(arith::CmpIPredicate::slt, iw, wd);
      Value ok = arith::AndIOp::create(b, loc, yLo, yHi);
      ok = arith::AndIOp::create(b, loc, ok, xLo);
      return arith::AndIOp::create(b, loc, ok, xHi);
    };
  return access;
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

/// Applies a float activation (none, relu, clamp).
static Value floatActivation(OpBuilder &b, Location loc, Value v,
                             Activation act, std::optional<APFloat> lo,
                             std::optional<APFloat> hi) {
  auto c = [&](double x) {
    return arith::ConstantOp::create(b, loc, b.getF32Type(),
                                     b.getF32FloatAttr(x))
        .getResult();
  };
  if (act == Activation::relu)
    return arith::MaximumFOp::create(b, loc, v, c(0.0));
  if (act == Activation::clamp) {
    v = arith::MaximumFOp::create(b, loc, v, c(lo->convertToDouble()));
    return arith::MinimumFOp::create(b, loc, v, c(hi->convertToDouble()));
  }
  return v;
}

static bool supportedActivation(Activation act) {
  return act == Activation::none || act == Activation::relu ||
         act == Activation::clamp;
}

FailureOr<ConstData> FuncLowering::readLayerWeight(Operation *op, bool isConv) {
  auto inTy = cast<RankedTensorType>(op->getOperand(0).getType());
  auto wTy = cast<RankedTensorType>(op->getOperand(1).getType());
  int64_t rank = isConv ? 4 : 2;
  if (inTy.getRank() != rank || wTy.getRank() != rank)
    return op->emitError("effc-lower-hls: ")
           << op->getName() << " needs a rank-" << rank
           << " input and weight on the HLS path";
  FailureOr<ConstData> w = readConstant(op->getOperand(1));
  if (failed(w))
    return op->emitError("effc-lower-hls: the weight must be a constant");
  // A convolution's OHWI weight is a [F, KH * KW * C / groups] matrix in
  // the same order.
  int64_t rows = w->shape[0];
  w->shape = {rows, w->size() / rows};
  return w;
}

void FuncLowering::buildLayer(Operation *op, bool isConv, StringRef name,
                              const WeightLayout &w, Value out,
                              const Body &body) {
  Location loc = op->getLoc();
  Value x = memOf(op->getOperand(0));
  auto outTy = cast<RankedTensorType>(op->getResult(0).getType());
  if (!isConv) {
    buildMatmul(loc, name, x, outTy.getDimSize(0), outTy.getDimSize(1), w, out,
                body);
    return;
  }
  auto wTy = cast<RankedTensorType>(op->getOperand(1).getType());
  buildReduction(loc, name, outTy.getShape(),
                 convAccess(loc, x, op, wTy.getShape()), w, out, body);
}

template <typename OpT> LogicalResult FuncLowering::lowerLinear(OpT op) {
  constexpr bool isConv = std::is_same<OpT, Conv2DOp>::value;
  auto inTy = op.getInput().getType();
  if (!inTy.getElementType().isF32())
    return op.emitError("effc-lower-hls: float layers must be f32 (mapped to "
                        "ap_fixed)");
  if (!supportedActivation(op.getActivation()))
    return op.emitError("effc-lower-hls: activation ")
           << stringifyActivation(op.getActivation())
           << " is not supported on the HLS path (none, relu, clamp)";
  FailureOr<ConstData> w = readLayerWeight(op, isConv);
  if (failed(w))
    return failure();
  Location loc = op.getLoc();
  std::string name = layerName(op);
  FailureOr<WeightLayout> layout = weightLayout(op, *w, name);
  if (failed(layout))
    return failure();
  Value bias;
  if (op.getBias()) {
    FailureOr<ConstData> bd = readConstant(op.getBias());
    if (failed(bd))
      return op.emitError("effc-lower-hls: the bias must be a constant");
    std::vector<float> f(bd->floats.begin(), bd->floats.end());
    bias = romFloats(loc, name + "_b", bd->shape, f);
  }
  Value out = bufferFor(op.getResult(), memTypeOf(op.getType()));
  Body body;
  body.accType = b.getF32Type();
  body.init = [&](Value n) -> Value {
    if (!bias)
      return fcst(loc, 0.0);
    return affine::AffineLoadOp::create(b, loc, bias, ValueRange{n});
  };
  body.mulAdd = [&](Value x, Value wv) -> Value {
    return arith::MulFOp::create(b, loc, x, wv);
  };
  body.add = [&](Value acc, Value p) -> Value {
    return arith::AddFOp::create(b, loc, acc, p);
  };
  body.finish = [&](Value acc, Value) -> Value {
    return floatActivation(b, loc, acc, op.getActivation(), op.getClampMin(),
                           op.getClampMax());
  };
  buildLayer(op, isConv, name, *layout, out, body);
  mem[op.getResult()] = out;
  return success();
}

template <typename OpT>
LogicalResult FuncLowering::lowerQuantizedLinear(OpT op) {
  constexpr bool isConv = std::is_same<OpT, QuantizedConv2DOp>::value;
  auto inTy = op.getInput().getType();
  auto wTy = op.getWeight().getType();
  auto outTy = op.getType();
  auto xq = dyn_cast<quant::UniformQuantizedType>(inTy.getElementType());
  if (!xq)
    return op.emitError("effc-lower-hls: weight-only quantized layers (float "
                        "input) are not supported on the HLS path yet");
  auto wElem = wTy.getElementType();
  SmallVector<double> wScales;
  int64_t n = wTy.getDimSize(0), k = wTy.getNumElements() / n;
  if (auto u = dyn_cast<quant::UniformQuantizedType>(wElem))
    wScales.assign(n, u.getScale());
  else if (auto pa = dyn_cast<quant::UniformQuantizedPerAxisType>(wElem))
    wScales.assign(pa.getScales().begin(), pa.getScales().end());
  else
    return op.emitError("effc-lower-hls: grouped (sub-channel) weight scales "
                        "are not supported on the HLS path yet");
  if (!supportedActivation(op.getActivation()))
    return op.emitError("effc-lower-hls: activation ")
           << stringifyActivation(op.getActivation())
           << " is not supported on the HLS path (none, relu, clamp)";
  FailureOr<ConstData> w = readLayerWeight(op, isConv);
  if (failed(w))
    return failure();
  if (w->isFloat())
    return op.emitError("effc-lower-hls: the weight must be an integer "
                        "constant (quant.scast of arith.constant)");
  Location loc = op.getLoc();
  std::string name = layerName(op);
  FailureOr<WeightLayout> layout = weightLayout(op, *w, name);
  if (failed(layout))
    return failure();

  // Exact widths: x - z_x, the product, and an accumulator that holds the
  // largest possible |sum| of this weight (32 bits at most: the reference
  // accumulates in i32, wrapping, and so does the narrower one then).
  int64_t zx = xq.getZeroPoint();
  int64_t xMaxAbs = std::max(std::abs(xq.getStorageTypeMin() - zx),
                             std::abs(xq.getStorageTypeMax() - zx));
  unsigned xBits = bitsFor(xMaxAbs);
  int64_t wMaxAbs = 0, rowMax = 0;
  for (int64_t r = 0; r < n; ++r) {
    int64_t rowSum = 0;
    for (int64_t c = 0; c < k; ++c) {
      wMaxAbs = std::max(wMaxAbs, std::abs(w->ints[r * k + c]));
      rowSum += std::abs(w->ints[r * k + c]);
    }
    rowMax = std::max(rowMax, rowSum);
  }
  unsigned wBits = cast<IntegerType>(w->elem).getWidth();
  unsigned pBits = bitsFor(xMaxAbs * std::max<int64_t>(wMaxAbs, 1));
  int64_t biasMax = 0;
  Value bias;
  if (op.getBias()) {
    FailureOr<ConstData> bd = readConstant(op.getBias());
    if (failed(bd) || bd->isFloat())
      return op.emitError("effc-lower-hls: the bias must be an i32 constant");
    for (int64_t v : bd->ints)
      biasMax = std::max(biasMax, std::abs(v));
    bias = romInts(loc, name + "_b", bd->shape, b.getI32Type(), bd->ints);
  }
  double bound = double(xMaxAbs) * double(rowMax) + double(biasMax);
  unsigned accBits = bound < 2147483647.0 ? bitsFor(int64_t(bound)) : 32;
  accBits = std::max(accBits, pBits);
  Type accTy = b.getIntegerType(accBits);
  Type pTy = b.getIntegerType(pBits);
  (void)wBits;

  Type outElem = outTy.getElementType();
  Activation act = op.getActivation();
  Body body;
  body.accType = accTy;
  body.init = [&](Value nIv) -> Value {
    if (!bias)
      return cst(loc, accTy, 0);
    Value bv = affine::AffineLoadOp::create(b, loc, bias, ValueRange{nIv});
    return ext(loc, bv, accBits);
  };
  body.mulAdd = [&](Value xv, Value wv) -> Value {
    Value xz = ext(loc, xv, xBits);
    if (zx != 0)
      xz = arith::SubIOp::create(b, loc, xz,
                                 cst(loc, b.getIntegerType(xBits), zx));
    Value xp = ext(loc, xz, pBits);
    Value wp = ext(loc, wv, pBits);
    return arith::MulIOp::create(b, loc, xp, wp);
  };
  body.add = [&](Value acc, Value p) -> Value {
    return arith::AddIOp::create(b, loc, acc, ext(loc, p, accBits));
  };
  (void)pTy;

  Value out = bufferFor(op.getResult(), memTypeOf(outTy));
  if (auto yq = dyn_cast<quant::UniformQuantizedType>(outElem)) {
    if (!op.getMultiplier() || !op.getShift())
      return op.emitError("effc-lower-hls: a requantized result needs "
                          "multiplier and shift");
    ArrayRef<int32_t> mult = *op.getMultiplier(), shift = *op.getShift();
    bool uniform = mult.size() == 1 && shift.size() == 1;
    Value multRom, shiftRom;
    if (!uniform) {
      std::vector<int64_t> mv, sv;
      for (int64_t i = 0; i < n; ++i) {
        mv.push_back(mult.size() == 1 ? mult[0] : mult[i]);
        sv.push_back(kRequantShiftBase +
                     (shift.size() == 1 ? shift[0] : shift[i]));
      }
      multRom = romInts(loc, name + "_mult", {n}, b.getI32Type(), mv);
      shiftRom = romInts(loc, name + "_shift", {n}, b.getI8Type(), sv);
    }
    RequantRange range =
        getRequantRange(yq, act, op.getClampMin(), op.getClampMax());
    Type i64 = b.getI64Type();
    Type st = yq.getStorageType();
    body.finish = [&, uniform, multRom, shiftRom, range](Value acc,
                                                         Value nIv) -> Value {
      Value m64, s64;
      if (uniform) {
        m64 = cst(loc, i64, mult[0]);
        s64 = cst(loc, i64, kRequantShiftBase + shift[0]);
      } else {
        m64 = affine::AffineLoadOp::create(b, loc, multRom, ValueRange{nIv});
        s64 = affine::AffineLoadOp::create(b, loc, shiftRom, ValueRange{nIv});
      }
      return buildRequantize(b, loc, acc, m64, s64, range, st);
    };
  } else if (outElem.isInteger(32)) {
    body.finish = [&](Value acc, Value) -> Value {
      Value v = ext(loc, acc, 32);
      if (act == Activation::relu)
        v = arith::MaxSIOp::create(b, loc, v, cst(loc, b.getI32Type(), 0));
      return v;
    };
  } else if (outElem.isF32()) {
    if (act == Activation::clamp)
      return op.emitError("effc-lower-hls: clamp on a float result is not "
                          "supported on the HLS path");
    // The reference computes acc * (f32(s_w[n]) * f32(s_x)) in f32; the
    // inner product is formed here, in f32, exactly as it would be there.
    std::vector<float> sc;
    for (double s : wScales)
      sc.push_back(float(s) * float(xq.getScale()));
    bool same = llvm::all_equal(sc);
    Value scRom = same ? Value() : romFloats(loc, name + "_scale", {n}, sc);
    float sc0 = sc[0];
    body.finish = [&, scRom, sc0](Value acc, Value nIv) -> Value {
      Value v = arith::SIToFPOp::create(b, loc, b.getF32Type(), acc);
      Value s =
          scRom ? affine::AffineLoadOp::create(b, loc, scRom, ValueRange{nIv})
                      .getResult()
                : fcst(loc, sc0);
      v = arith::MulFOp::create(b, loc, v, s);
      return floatActivation(b, loc, v, act, std::nullopt, std::nullopt);
    };
  } else {
    return op.emitError("effc-lower-hls: unsupported result type ") << outTy;
  }
  buildLayer(op, isConv, name, *layout, out, body);
  mem[op.getResult()] = out;
  return success();
}

LogicalResult FuncLowering::lowerAttention(AttentionOp op) {
  auto qTy = op.getQuery().getType(), kTy = op.getKey().getType();
  auto vTy = op.getValue().getType();
  if (!qTy.getElementType().isF32())
    return op.emitError("effc-lower-hls: attention must be f32");
  if (fixedMode)
    return op.emitError("effc-lower-hls: attention next to fixed-point "
                        "layers is not supported yet (its exp runs in "
                        "float)");
  MaskKind kind = op.getMask();
  if (kind == MaskKind::additive || op.getBlockSize())
    return op.emitError("effc-lower-hls: explicit masks and block-sparse "
                        "layouts are not supported on the HLS path yet");
  Location loc = op.getLoc();
  int64_t rank = qTy.getRank();
  int64_t sq = qTy.getDimSize(rank - 2), d = qTy.getDimSize(rank - 1);
  int64_t skv = kTy.getDimSize(rank - 2), dv = vTy.getDimSize(rank - 1);
  int64_t group =
      rank >= 3 ? qTy.getDimSize(rank - 3) / kTy.getDimSize(rank - 3) : 1;
  int64_t offset = skv - sq, window = op.getWindow().value_or(0);
  float scale = float(op.getScaleOrDefault());
  Value q = memOf(op.getQuery()), k = memOf(op.getKey());
  Value v = memOf(op.getValue());
  Value out = bufferFor(op.getResult(), memTypeOf(op.getType()));
  MLIRContext *ctx = b.getContext();
  Type f32 = b.getF32Type();

  // Loops over the leading dims and the query rows: (lead..., i).
  OpBuilder::InsertionGuard g(b);
  SmallVector<Value> ivs;
  for (int64_t dim = 0; dim < rank - 1; ++dim) {
    auto loop = affine::AffineForOp::create(b, loc, 0, qTy.getDimSize(dim));
    if (dim == 0)
      loop->setAttr(EffcDialect::kHlsLayerAttrName,
                    b.getStringAttr(layerName(op)));
    b.setInsertionPointToStart(loop.getBody());
    ivs.push_back(loop.getInductionVar());
  }
  Value i = ivs.back();
  ValueRange lead = ValueRange(ivs).drop_back();
  // K and V rows of query head h are those of head h / group.
  auto kvMap = [&](unsigned numDims) {
    SmallVector<AffineExpr> r;
    for (int64_t dim = 0; dim < rank; ++dim) {
      AffineExpr e = getAffineDimExpr(dim, ctx);
      if (dim == rank - 3 && group > 1)
        e = e.floorDiv(group);
      r.push_back(e);
    }
    return AffineMap::get(numDims, 0, r, ctx);
  };
  auto withIvs = [&](ValueRange prefix, Value a, Value c) {
    SmallVector<Value> all(prefix.begin(), prefix.end());
    all.push_back(a);
    all.push_back(c);
    return all;
  };
  // The running output row, completely partitioned (Dv registers).
  auto accTy = MemRefType::get({dv}, f32);
  Value acc = memref::AllocOp::create(b, loc, accTy);
  acc.getDefiningOp()->setAttr(EffcDialect::kHlsPartitionAttrName,
                               b.getDenseI64ArrayAttr({dv}));
  auto rowLoop = [&](function_ref<void(Value e)> fn) {
    auto loop = affine::AffineForOp::create(b, loc, 0, dv);
    loop->setAttr(EffcDialect::kHlsUnrollAttrName, b.getI64IntegerAttr(0));
    OpBuilder::InsertionGuard g2(b);
    b.setInsertionPointToStart(loop.getBody());
    fn(loop.getInductionVar());
  };
  rowLoop([&](Value e) {
    affine::AffineStoreOp::create(b, loc, fcst(loc, 0.0), acc, e);
  });
  Value ninf = fcst(loc, -std::numeric_limits<double>::infinity());
  auto keys = affine::AffineForOp::create(b, loc, 0, skv, 1,
                                          ValueRange{ninf, fcst(loc, 0.0)});
  {
    OpBuilder::InsertionGuard g2(b);
    b.setInsertionPointToStart(keys.getBody());
    Value j = keys.getInductionVar();
    Value m = keys.getRegionIterArgs()[0], l = keys.getRegionIterArgs()[1];
    // One online-softmax step: s = scale * q.k, m' = max(m, s),
    // l' = l * exp(m - m') + exp(s - m'), acc' = acc * exp(m - m') +
    // exp(s - m') * v.
    auto step = [&]() -> SmallVector<Value> {
      auto dot = affine::AffineForOp::create(b, loc, 0, d, 1,
                                             ValueRange{fcst(loc, 0.0)});
      dot->setAttr(EffcDialect::kHlsPipelineIiAttrName,
                   b.getI64IntegerAttr(opts.targetIi));
      {
        OpBuilder::InsertionGuard g3(b);
        b.setInsertionPointToStart(dot.getBody());
        Value dd = dot.getInductionVar();
        Value qv =
            affine::AffineLoadOp::create(b, loc, q, withIvs(lead, i, dd));
        Value kv = affine::AffineLoadOp::create(b, loc, k, kvMap(rank),
                                                withIvs(lead, j, dd));
        Value p = arith::MulFOp::create(b, loc, qv, kv);
        affine::AffineYieldOp::create(
            b, loc,
            arith::AddFOp::create(b, loc, dot.getRegionIterArgs()[0], p)
                .getResult());
      }
      Value sc =
          arith::MulFOp::create(b, loc, dot.getResult(0), fcst(loc, scale));
      Value mn = arith::MaximumFOp::create(b, loc, m, sc);
      Value corr =
          math::ExpOp::create(b, loc, arith::SubFOp::create(b, loc, m, mn));
      Value pr =
          math::ExpOp::create(b, loc, arith::SubFOp::create(b, loc, sc, mn));
      Value ln = arith::AddFOp::create(
          b, loc, arith::MulFOp::create(b, loc, l, corr), pr);
      rowLoop([&](Value e) {
        Value a = affine::AffineLoadOp::create(b, loc, acc, e);
        Value vv = affine::AffineLoadOp::create(b, loc, v, kvMap(rank),
                                                withIvs(lead, j, e));
        Value kept = arith::MulFOp::create(b, loc, a, corr);
        Value added = arith::MulFOp::create(b, loc, pr, vv);
        Value upd = arith::AddFOp::create(b, loc, kept, added);
        affine::AffineStoreOp::create(b, loc, upd, acc, e);
      });
      return {mn, ln};
    };
    SmallVector<Value> next;
    if (kind == MaskKind::causal || kind == MaskKind::window) {
      // Key j is visible from query i iff j <= i + offset (and, for a
      // window, j > i + offset - window): masked keys are skipped.
      Type idx = b.getIndexType();
      Value last = arith::AddIOp::create(b, loc, i, cst(loc, idx, offset));
      Value vis =
          arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sle, j, last);
      if (kind == MaskKind::window) {
        Value first =
            arith::SubIOp::create(b, loc, last, cst(loc, idx, window));
        vis = arith::AndIOp::create(
            b, loc, vis,
            arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sgt, j, first));
      }
      auto ifOp = scf::IfOp::create(b, loc, TypeRange{f32, f32}, vis,
                                    /*withElseRegion=*/true);
      {
        OpBuilder::InsertionGuard g3(b);
        b.setInsertionPointToStart(&ifOp.getThenRegion().front());
        scf::YieldOp::create(b, loc, step());
        b.setInsertionPointToStart(&ifOp.getElseRegion().front());
        scf::YieldOp::create(b, loc, ValueRange{m, l});
      }
      next.assign(ifOp.getResults().begin(), ifOp.getResults().end());
    } else {
      next = step();
    }
    affine::AffineYieldOp::create(b, loc, next);
  }
  // out = acc / l; a row that sees no key is 0.
  Value l = keys.getResult(1);
  Value any = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT, l,
                                    fcst(loc, 0.0));
  rowLoop([&](Value e) {
    Value a = affine::AffineLoadOp::create(b, loc, acc, e);
    Value o = arith::SelectOp::create(
        b, loc, any, arith::DivFOp::create(b, loc, a, l), fcst(loc, 0.0));
    affine::AffineStoreOp::create(b, loc, o, out, withIvs(lead, i, e));
  });
  mem[op.getResult()] = out;
  return success();
}

LogicalResult FuncLowering::lowerQuantizeCast(quant::QuantizeCastOp op) {
  auto outTy = cast<RankedTensorType>(op.getType());
  auto qt = dyn_cast<quant::UniformQuantizedType>(outTy.getElementType());
  if (!qt ||
      !cast<RankedTensorType>(op.getInput().getType()).getElementType().isF32())
    return op.emitError("effc-lower-hls: quant.qcast must be f32 to a "
                        "per-tensor !quant.uniform");
  Location loc = op.getLoc();
  MemRefType mt = memTypeOf(outTy);
  Value out = bufferFor(op.getResult(), mt);
  Value in = memOf(op.getInput());
  Type st = qt.getStorageType();
  elementwise(loc, layerName(op), mt, [&](ValueRange iv) {
    // saturate(round_half_even(x / s) + z), in f32 as the reference.
    Value x = affine::AffineLoadOp::create(b, loc, in, iv);
    Value q = arith::DivFOp::create(b, loc, x, fcst(loc, qt.getScale()));
    q = math::RoundEvenOp::create(b, loc, q);
    q = arith::AddFOp::create(b, loc, q, fcst(loc, qt.getZeroPoint()));
    q = arith::MaximumFOp::create(b, loc, q, fcst(loc, qt.getStorageTypeMin()));
    q = arith::MinimumFOp::create(b, loc, q, fcst(loc, qt.getStorageTypeMax()));
    Value y = arith::FPToSIOp::create(b, loc, st, q);
    affine::AffineStoreOp::create(b, loc, y, out, iv);
  });
  mem[op.getResult()] = out;
  return success();
}

LogicalResult FuncLowering::lowerDequantizeCast(quant::DequantizeCastOp op) {
  auto inTy = cast<RankedTensorType>(op.getInput().getType());
  auto qt = dyn_cast<quant::UniformQuantizedType>(inTy.getElementType());
  auto outTy = cast<RankedTensorType>(op.getType());
  if (!qt || !outTy.getElementType().isF32())
    return op.emitError("effc-lower-hls: quant.dcast must be a per-tensor "
                        "!quant.uniform to f32");
  Location loc = op.getLoc();
  MemRefType mt = memTypeOf(outTy);
  Value out = bufferFor(op.getResult(), mt);
  Value in = memOf(op.getInput());
  elementwise(loc, layerName(op), mt, [&](ValueRange iv) {
    // (q - z) * s in f32.
    Value q = affine::AffineLoadOp::create(b, loc, in, iv);
    Value f = arith::SIToFPOp::create(b, loc, b.getF32Type(), q);
    f = arith::SubFOp::create(b, loc, f, fcst(loc, qt.getZeroPoint()));
    f = arith::MulFOp::create(b, loc, f, fcst(loc, qt.getScale()));
    affine::AffineStoreOp::create(b, loc, f, out, iv);
  });
  mem[op.getResult()] = out;
  return success();
}

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
    if (isa<QuantizedLinearOp, QuantizedConv2DOp, quant::QuantizeCastOp,
            quant::DequantizeCastOp>(op))
      quantized = true;
  });
  if (floatCompute && quantized)
    return src.emitError("effc-lower-hls: a function mixes float layers and "
                         "quantized ones; the HLS path maps float either to "
                         "ap_fixed (float models) or to float (the boundary "
                         "of quantized models), not both");
  fixedMode = floatCompute;

  OpBuilder mb(src);
  dst = func::FuncOp::create(mb, src.getLoc(), src.getSymName(),
                             FunctionType::get(ctx, argTypes, {}));
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
    if (isa<arith::ConstantOp, UnpackInt4Op>(op)) {
      continue; // read by the layers that use it as a weight
    } else if (auto sc = dyn_cast<quant::StorageCastOp>(op)) {
      if (Value m = memOf(sc.getInput()))
        mem[sc.getResult()] = m;
      continue;
    } else if (auto lin = dyn_cast<LinearOp>(op)) {
      r = lowerLinear(lin);
    } else if (auto conv = dyn_cast<Conv2DOp>(op)) {
      r = lowerLinear(conv);
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
    LowerHlsPassOptions opts;
    opts.targetIi = targetIi;
    opts.axiBytes = axiBytes;
    opts.fixedWidth = fixedWidth;
    opts.fixedInt = fixedInt;
    opts.sparseMinZeroFraction = sparseMinZeroFraction;
    opts.dataflow = dataflow;
    for (func::FuncOp f : funcs) {
      if (f.isExternal())
        continue;
      FuncLowering lowering(f, opts, symbols);
      if (failed(lowering.run()))
        return signalPassFailure();
    }
    // The tensor functions are replaced by their memref forms; the new
    // function was created right before the old one, which goes now.
    for (func::FuncOp f : funcs) {
      if (f.isExternal())
        continue;
      f.erase();
    }
  }
};

} // namespace

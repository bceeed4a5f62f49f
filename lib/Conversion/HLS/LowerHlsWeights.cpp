//===- LowerHlsWeights.cpp - effc-lower-hls weight storage ------*- C++ -*-===//
//
// Constant weights as the HLS path stores them: read from dense or
// dense_resource constants (int4 unpacked), written as `memref.global` ROMs
// or, above `axi-bytes`, as AXI master ports, and, when enough of a weight
// is zero, as per-row non-zeros with their columns so that zeros are never
// multiplied.
//
//===----------------------------------------------------------------------===//

#include "LowerHls.h"
#include "effc/Support/WeightData.h"

#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/Matchers.h"

#include "llvm/ADT/STLExtras.h"

#include <cstring>

using namespace mlir;
using namespace mlir::effc;
using namespace mlir::effc::hls;

//===----------------------------------------------------------------------===//
// Reading constants
//===----------------------------------------------------------------------===//

/// The raw bytes of a dense_resource blob, if present.
static std::optional<ArrayRef<char>> resourceBytes(Attribute attr) {
  auto res = dyn_cast<DenseResourceElementsAttr>(attr);
  if (!res)
    return std::nullopt;
  AsmResourceBlob *blob = res.getRawHandle().getBlob();
  if (!blob)
    return std::nullopt;
  return blob->getData();
}

/// An int4 weight stored two to a byte (effc.unpack_int4 of a constant):
/// element 2j is the low nibble of byte j, 2j + 1 the high one, each
/// sign-extended.
static FailureOr<ConstData> readUnpackedInt4(UnpackInt4Op op) {
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

FailureOr<ConstData> mlir::effc::hls::readConstant(Value v) {
  while (auto sc = v.getDefiningOp<quant::StorageCastOp>())
    v = sc.getInput();
  if (auto unpack = v.getDefiningOp<UnpackInt4Op>())
    return readUnpackedInt4(unpack);
  // A precision plan's f16 / bf16 weight widened to f32: exact in double.
  if (auto e = v.getDefiningOp<arith::ExtFOp>()) {
    auto type = dyn_cast<RankedTensorType>(e.getType());
    std::optional<std::vector<double>> vals = getConstantFloatValues(e.getIn());
    if (!type || !type.getElementType().isF32() || !vals)
      return failure();
    ConstData d;
    d.shape.assign(type.getShape().begin(), type.getShape().end());
    d.elem = type.getElementType();
    d.floats = std::move(*vals);
    return d;
  }
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

unsigned mlir::effc::hls::bitsFor(int64_t maxAbs) {
  unsigned bits = 1;
  while (bits < 63 && (int64_t(1) << (bits - 1)) <= maxAbs)
    ++bits;
  return bits;
}

//===----------------------------------------------------------------------===//
// ROMs and weight layouts
//===----------------------------------------------------------------------===//

Value FuncLowering::rom(Location loc, StringRef base, DenseElementsAttr attr) {
  auto type = MemRefType::get(attr.getType().getShape(),
                              attr.getType().getElementType());
  OpBuilder mb(src);
  std::string name = topSymbol + "_" + base.str();
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

FailureOr<WeightLayout> FuncLowering::weightLayout(Operation *op,
                                                   const ConstData &w,
                                                   StringRef name,
                                                   bool compressed) {
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
  bool sparse =
      zeros > 0 && (compressed || zeroFraction >= opts.sparseMinZeroFraction);
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

FailureOr<ConstData> FuncLowering::readLayerWeight(WeightedOpInterface op,
                                                   bool isConv) {
  auto inTy = cast<RankedTensorType>(op.getInput().getType());
  auto wTy = cast<RankedTensorType>(op.getWeight().getType());
  int64_t rank = isConv ? 4 : 2;
  if (inTy.getRank() != rank || wTy.getRank() != rank)
    return op->emitError("effc-lower-hls: ")
           << op->getName() << " needs a rank-" << rank
           << " input and weight on the HLS path";
  FailureOr<ConstData> w = readConstant(op.getWeight());
  if (failed(w))
    return op->emitError("effc-lower-hls: the weight must be a constant");
  // A convolution's OHWI weight is a [F, KH * KW * C / groups] matrix in
  // the same order.
  int64_t rows = w->shape[0];
  w->shape = {rows, w->size() / rows};
  return w;
}

FailureOr<ConstData> FuncLowering::decodeSparseWeight(SparseLinearOp op) {
  ArrayRef<int64_t> shape = op.getWeightShape();
  if (shape.size() != 2)
    return op.emitError("effc-lower-hls: weight_shape must be [N, K]");
  int64_t n = shape[0], k = shape[1];
  FailureOr<ConstData> vals = readConstant(op.getValues());
  FailureOr<ConstData> idx = readConstant(op.getIndices());
  if (failed(vals) || failed(idx) || !vals->isFloat() || idx->isFloat())
    return op.emitError("effc-lower-hls: the values and indices of an "
                        "effc.sparse_linear must be constants");
  FailureOr<ConstData> offs = failure();
  if (op.getOffsets()) {
    offs = readConstant(op.getOffsets());
    if (failed(offs) || offs->isFloat())
      return op.emitError("effc-lower-hls: the offsets of an "
                          "effc.sparse_linear must be a constant");
  }
  ConstData w;
  w.shape = {n, k};
  w.elem = b.getF32Type();
  w.floats.assign(n * k, 0.0);
  auto bad = [&]() {
    return op.emitError("effc-lower-hls: the compressed weight does not "
                        "fit its encoding and weight_shape");
  };
  auto set = [&](int64_t r, int64_t c, double v) {
    if (r < 0 || r >= n || c < 0 || c >= k)
      return false;
    w.floats[r * k + c] = v;
    return true;
  };
  SparseEncodingAttr enc = op.getEncoding();
  switch (enc.getFormat()) {
  case SparseFormat::csr: {
    if (failed(offs) || offs->size() != n + 1)
      return bad();
    for (int64_t r = 0; r < n; ++r)
      for (int64_t e = offs->ints[r]; e < offs->ints[r + 1]; ++e)
        if (e < 0 || e >= vals->size() || e >= idx->size() ||
            !set(r, idx->ints[e], vals->floats[e]))
          return bad();
    break;
  }
  case SparseFormat::bsr: {
    int64_t br = enc.getBlockRows(), bc = enc.getBlockCols();
    if (failed(offs) || br <= 0 || bc <= 0 || n % br ||
        offs->size() != n / br + 1)
      return bad();
    for (int64_t brow = 0; brow < n / br; ++brow)
      for (int64_t e = offs->ints[brow]; e < offs->ints[brow + 1]; ++e) {
        if (e < 0 || e >= idx->size() || (e + 1) * br * bc > vals->size())
          return bad();
        for (int64_t i = 0; i < br; ++i)
          for (int64_t j = 0; j < bc; ++j)
            if (!set(brow * br + i, idx->ints[e] * bc + j,
                     vals->floats[(e * br + i) * bc + j]))
              return bad();
      }
    break;
  }
  case SparseFormat::nm: {
    int64_t keep = enc.getN(), m = enc.getM();
    if (keep <= 0 || m <= 0 || vals->shape.size() != 2 || vals->shape[0] != n ||
        idx->shape.size() != 2)
      return bad();
    int64_t per = vals->shape[1];
    bool packed = cast<IntegerType>(idx->elem).getWidth() == 16;
    for (int64_t r = 0; r < n; ++r)
      for (int64_t j = 0; j < per; ++j) {
        int64_t pos;
        if (packed) {
          if (j / 8 >= idx->shape[1])
            return bad();
          int64_t word = idx->ints[r * idx->shape[1] + j / 8] & 0xffff;
          pos = (word >> (2 * (j % 8))) & 3;
        } else {
          if (j >= idx->shape[1])
            return bad();
          pos = idx->ints[r * idx->shape[1] + j];
        }
        if (pos < 0 || pos >= m ||
            !set(r, (j / keep) * m + pos, vals->floats[r * per + j]))
          return bad();
      }
    break;
  }
  }
  return w;
}

//===- LowerHls.h - effc-lower-hls internals --------------------*- C++ -*-===//
//
// Shared by the files of --effc-lower-hls: the driver (LowerHls.cpp: the
// pass, buffers, the top function), weight storage (LowerHlsWeights.cpp:
// constants, ROMs, AXI ports, per-row non-zeros), matmul-like layers
// (LowerHlsLayers.cpp: linear, conv and their quantized forms, quant casts)
// and attention (LowerHlsAttention.cpp). Not installed.
//
//===----------------------------------------------------------------------===//

#ifndef EFFC_LIB_CONVERSION_HLS_LOWERHLS_H
#define EFFC_LIB_CONVERSION_HLS_LOWERHLS_H

#include "effc/Conversion/HLS/Passes.h"
#include "effc/Dialect/EffcOps.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Quant/IR/Quant.h"
#include "mlir/Dialect/Quant/IR/QuantTypes.h"
#include "mlir/IR/AffineExpr.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/SymbolTable.h"

#include <functional>
#include <string>
#include <vector>

namespace mlir {
namespace effc {
namespace hls {

//===----------------------------------------------------------------------===//
// Constant weights (LowerHlsWeights.cpp)
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

/// Reads the constant behind `v` (through quant.scast and
/// effc.unpack_int4), or fails.
FailureOr<ConstData> readConstant(Value v);

/// Bits of the signed integer type that holds every value in [-m, m].
unsigned bitsFor(int64_t maxAbs);

/// The storage type of a quantized element type; others as they are.
inline Type storageOf(Type elem) {
  if (auto q = dyn_cast<quant::QuantizedType>(elem))
    return q.getStorageType();
  return elem;
}

/// How one matmul-like layer reads its weight.
struct WeightLayout {
  bool sparse = false;
  Value dense;        // [N, K] ROM
  Value values, cols; // [N, R] ROMs of the non-zeros of each row
  Value counts;       // [N] non-zeros per row; null when every row has R
  int64_t rowLen = 0; // K (dense) or R
};

//===----------------------------------------------------------------------===//
// One function
//===----------------------------------------------------------------------===//

/// The sizes of a tensor: affine expressions of the function's runtime
/// sizes (symbol k is the k-th dynamic dim of the arguments), constants for
/// static dims.
using Sizes = SmallVector<AffineExpr>;

/// Lowers one function on tensors to a function on memrefs (created before
/// it; the pass erases the original). Its methods are spread over the files
/// named at the top, by what they build.
class FuncLowering {
public:
  FuncLowering(func::FuncOp src, const LowerHlsPassOptions &opts,
               SymbolTable &symbols)
      : src(src), opts(opts), symbols(symbols), b(src.getContext()) {}

  LogicalResult run();
  /// The function on memrefs that run() built.
  func::FuncOp lowered() const { return dst; }

private:
  // Small builders.
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
    if (StringAttr name = getOpName(op))
      return name.str();
    return (op->getName().stripDialect() + "_" + Twine(layerCount)).str();
  }
  Value memOf(Value tensor) { return mem.lookup(tensor); }
  MemRefType memTypeOf(Type tensorType) {
    auto t = cast<RankedTensorType>(tensorType);
    return MemRefType::get(t.getShape(), storageOf(t.getElementType()));
  }

  // Runtime sizes (LowerHls.cpp).
  /// The sizes of a tensor: static dims from its type, dynamic ones derived
  /// from the arguments' through the ops that produce it (and the
  /// tensor.dim / arith glue of tensor.empty); fails with an error on `v`'s
  /// producer when a size is not an affine function of the runtime sizes.
  FailureOr<Sizes> sizesOf(Value v);
  /// The affine expression of an index / integer scalar (tensor.dim,
  /// index_cast, constants, muli / addi / subi / divsi by constants).
  FailureOr<AffineExpr> exprOf(Value scalar);
  /// The largest value of `e` (the runtime sizes at their bounds).
  int64_t maxOf(AffineExpr e) const;
  /// The array of a computed tensor: its element storage type, each dim at
  /// its bound (fails as sizesOf).
  FailureOr<MemRefType> bufferTypeOf(Value tensor);
  /// A loop 0..ub (a constant or a runtime size, then with its largest trip
  /// count in `effc.hls.tripcount`).
  affine::AffineForOp loopTo(Location loc, AffineExpr ub,
                             ValueRange iterArgs = {});
  /// Loops over the leading (row) dims of `sizes` (all but the last),
  /// the outermost marked as layer `layer`; leaves the builder in the
  /// innermost and returns the induction variables.
  SmallVector<Value> leadingLoops(Location loc, const Sizes &sizes,
                                  StringRef layer);
  /// `e` as an index value.
  Value sizeValue(Location loc, AffineExpr e);
  /// Whether the function has runtime sizes.
  bool isDynamic() const { return !dimArgs.empty(); }

  // Buffers and elementwise loops (LowerHls.cpp).
  /// The output buffer of `result`: its function result, or a new array.
  Value bufferFor(Value result, MemRefType type);
  void copy(Location loc, Value from, Value to);
  /// Copies `from` into `to`, both of sizes `shape`.
  void copy(Location loc, Value from, Value to, ArrayRef<AffineExpr> shape);
  /// An elementwise loop nest over `type`'s shape.
  void elementwise(Location loc, StringRef name, MemRefType type,
                   function_ref<void(ValueRange ivs)> fn);
  /// An elementwise loop nest over `shape` (runtime sizes allowed).
  void elementwise(Location loc, StringRef name, ArrayRef<AffineExpr> shape,
                   function_ref<void(ValueRange ivs)> fn);

  // Weights (LowerHlsWeights.cpp).
  /// A ROM holding `attr`, read in the function through memref.get_global.
  Value rom(Location loc, StringRef base, DenseElementsAttr attr);
  Value romInts(Location loc, StringRef base, ArrayRef<int64_t> shape,
                Type elem, ArrayRef<int64_t> values);
  Value romFloats(Location loc, StringRef base, ArrayRef<int64_t> shape,
                  ArrayRef<float> values);
  /// How a layer stores `w`: dense, or its non-zeros per row when enough
  /// of it is zero or it comes compressed (`compressed`).
  FailureOr<WeightLayout> weightLayout(Operation *op, const ConstData &w,
                                       StringRef name, bool compressed = false);
  /// The dense [N, K] weight of an effc.sparse_linear, decoded from its
  /// CSR, BSR or N:M storage.
  FailureOr<ConstData> decodeSparseWeight(SparseLinearOp op);
  /// Checks the ranks of a linear (2, 2) or convolution (4, 4) and reads
  /// its weight as a [rows, K] matrix.
  FailureOr<ConstData> readLayerWeight(WeightedOpInterface op, bool isConv);

  // Matmul-like layers and quant casts (LowerHlsLayers.cpp).
  /// Builds `out[m, n] = finish(acc(m, n), n)` with `acc` the reduction of
  /// mul(prepX(x[m, k]), prepW(w[n, k])) over the non-zeros of row n,
  /// starting from init(n).
  struct Body {
    Type accType;
    std::function<Value(Value n)> init;
    std::function<Value(Value x, Value w)> mulAdd; // returns the product
    std::function<Value(Value acc, Value p)> add;
    std::function<Value(Value acc, Value n)> finish;
    /// Optional: turns the loaded weight into the multiplied value, given
    /// its row and (index) column (a weight-only layer's dequantization).
    std::function<Value(Value w, Value row, Value col)> prepW;
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
  void buildReduction(Location loc, StringRef name, ArrayRef<AffineExpr> outer,
                      const InputAccess &x, const WeightLayout &w, Value out,
                      const Body &body);
  void buildMatmul(Location loc, StringRef name, Value x, AffineExpr m,
                   int64_t n, const WeightLayout &w, Value out,
                   const Body &body);
  /// The input access of a 2-D NHWC convolution (effc.conv2d or
  /// effc.quantized_conv2d).
  InputAccess convAccess(Location loc, Value x, Operation *op,
                         ArrayRef<int64_t> wShape);
  /// Emits the layer's loop nest into `out`.
  void buildLayer(WeightedOpInterface op, bool isConv, StringRef name,
                  const WeightLayout &w, Value out, const Body &body);
  /// effc.linear, effc.conv2d and float effc.sparse_linear.
  template <typename OpT> LogicalResult lowerLinear(OpT op);
  /// effc.quantized_linear and effc.quantized_conv2d.
  template <typename OpT> LogicalResult lowerQuantizedLinear(OpT op);
  /// effc.quantized_linear with a float input: the integer weight
  /// dequantized on the fly (per-tensor, per-channel or grouped scales).
  LogicalResult lowerWeightOnlyLinear(QuantizedLinearOp op);
  LogicalResult lowerQuantizeCast(quant::QuantizeCastOp op);
  LogicalResult lowerDequantizeCast(quant::DequantizeCastOp op);

  // Elementwise layers and float casts (LowerHlsElementwise.cpp).
  LogicalResult lowerGeneric(linalg::GenericOp op);
  /// arith.extf / arith.truncf of a computed tensor.
  LogicalResult lowerFloatCast(Operation *op);
  /// tensor.expand_shape / tensor.collapse_shape: a copy in the new shape.
  LogicalResult lowerReshape(Operation *op);
  /// linalg.transpose and tensor.extract_slice: copies.
  LogicalResult lowerTranspose(linalg::TransposeOp op);
  LogicalResult lowerExtractSlice(Operation *op);
  /// The buffer of `v`, materializing a linalg.fill (lowered where it is
  /// read, so that fills feeding reductions or reshapes of tensor.empty
  /// cost nothing).
  Value materialize(Value v);

  // Dynamic int8 (LowerHlsDynamic.cpp).
  LogicalResult lowerDynamicQuantize(DynamicQuantizeOp op);
  LogicalResult lowerBlockScaledLinear(BlockScaledLinearOp op);

  // Attention (LowerHlsAttention.cpp).
  LogicalResult lowerAttention(AttentionOp op);

  func::FuncOp src;
  const LowerHlsPassOptions &opts;
  SymbolTable &symbols;
  OpBuilder b;
  func::FuncOp dst;
  std::string topSymbol;               // dst's final name (top-name or src's)
  DenseMap<Value, Value> mem;          // tensor -> memref
  DenseMap<Value, Value> resultBuffer; // tensor -> output argument
  int layerCount = 0;
  bool fixedMode = false;
  /// The runtime sizes (clamped to their bounds) and their bounds.
  SmallVector<Value> dimArgs;
  SmallVector<int64_t> maxDims;
  DenseMap<Value, Sizes> sizes;
};

} // namespace hls
} // namespace effc
} // namespace mlir

#endif // EFFC_LIB_CONVERSION_HLS_LOWERHLS_H

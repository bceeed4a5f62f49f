//===- Sparsify.cpp - store zero-rich weights compressed --------*- C++ -*-===//
//
// Finds the zeros in the constant weights of effc.linear (pruned by
// --effc-prune or elsewhere), enumerates the compressed layouts they fit
// (CSR, BSR, N:M), asks the target's cost model which is fastest, and
// rewrites the op into effc.sparse_linear when that beats the dense kernel.
// A weight that stays dense keeps its zeros (so the numbers do not change)
// and records why in `effc.sparse_decision`.
//
//===----------------------------------------------------------------------===//

#include "effc/Transforms/Sparsify.h"

#include "effc/Dialect/EffcOps.h"
#include "effc/Support/LinalgBuilders.h"
#include "effc/Support/WeightData.h"
#include "effc/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Quant/IR/Quant.h"
#include "mlir/Dialect/Quant/IR/QuantTypes.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Matchers.h"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace mlir {
namespace effc {
#define GEN_PASS_DEF_SPARSIFYPASS
#include "effc/Transforms/Passes.h.inc"
} // namespace effc
} // namespace mlir

using namespace mlir;
using namespace mlir::effc;

//===----------------------------------------------------------------------===//
// Cost model
//===----------------------------------------------------------------------===//

// CPU rates, in multiply-adds per ns on one core, of effc's own kernels
// (LowerCpuMatmul.cpp dense, LowerCpuSparse.cpp sparse), fitted to the
// 1-thread rows of bench/results/sparse.json (bench/sparse/bench.py run of
// 2026-12-03, 128x1024x1024 and 16x1024x1024 at 50/70/90/95% and 2:4, Xeon
// with AVX-512 and AMX). Only ratios matter: the model compares kernels on
// one machine.
//   dense  60.6 MAC/ns at M = 128, 28.3 at M = 16  -> 72 * M / (M + 25)
//   CSR    35 MAC/ns per stored value x 16-lane row at 8 vectors per
//          entry (70-95%), 17.5 at 1 vector        -> 41 * v / (v + 1.33)
//   N:M    2:4: 54.5 at 8 vectors, 21 at 1         -> 56 * v / (v + 1.33)
//   BSR    4x4 blocks: 46 MAC/ns at 5 vectors; each x load feeds the R
//          rows of a block                         -> 73 * R / (R + 1) * ...
//   fixed  ~0.2 ms at 128x1024x1024: 16K (row, K block, column tile)
//          visits ~8 ns each, and two transposes of M * (K + N) floats.
namespace cpu_rates {
constexpr double kDenseMacsPerNs = 72.0, kDenseHalfRows = 25.0;
constexpr double kCsrMacsPerNs = 41.0, kNmMacsPerNs = 56.0,
                 kBsrMacsPerNs = 73.0;
constexpr double kVectorHalf = 1.33;
constexpr double kVisitNs = 8.0;
constexpr double kTransposeNsPerElt = 0.25;
// int8 (values i8, input i8): the dense kernel is effc.quantized_linear's
// int8 GEMM (LowerCpuQuant.cpp, AMX on the bench machine: 324 MAC/ns at
// M = 128, 363 at M = 16 in that run -> 380 * M / (M + 2)); the sparse
// kernels run the f32 loops on f32 lanes whenever the integer sums are
// provably exact there (the common case: 0.96-1.0x the f32 time at 2:4 and
// 90% for M = 128), i32 lanes otherwise (about half that). With these,
// sparse int8 loses to AMX int8 at every measured sparsity (0.88x at 95%)
// and stays dense. The rates are the AMX machine's: on a CPU with VNNI only
// the dense int8 rate is lower and these constants understate sparsity.
constexpr double kDenseInt8MacsPerNs = 380.0, kDenseInt8HalfRows = 2.0;
constexpr double kSparseInt8Factor = 0.95;
} // namespace cpu_rates

double mlir::effc::estimateDenseNs(SparseTarget target,
                                   const SparseProblem &p) {
  (void)target;
  using namespace cpu_rates;
  double macs = double(p.rows) * double(p.n) * double(p.k);
  double rate = p.valueBytes == 1 ? kDenseInt8MacsPerNs * double(p.rows) /
                                        (double(p.rows) + kDenseInt8HalfRows)
                                  : kDenseMacsPerNs * double(p.rows) /
                                        (double(p.rows) + kDenseHalfRows);
  return macs / rate;
}

std::optional<double> mlir::effc::estimateSparseNs(SparseTarget target,
                                                   const SparseProblem &p,
                                                   const SparseLayout &layout) {
  // GPU: the 2:4 mma.sp kernel of --effc-lower-gpu runs constant f16
  // weights straight from effc.linear (it compresses them itself), and no
  // GPU timings have been measured to fit rates to, so nothing is ranked
  // here and layers stay dense unless forced.
  if (target == SparseTarget::gpu)
    return std::nullopt;
  // The CPU sparse kernels take f32 or i8 (quantized) values.
  if (p.valueBytes != 4 && p.valueBytes != 1)
    return std::nullopt;
  using namespace cpu_rates;
  // Mirrors LowerCpuSparse.cpp: 16-lane vectors over the input rows, up to
  // `vecs` per stored entry, K blocks of 32 KiB of the transposed input.
  int64_t r = layout.blockRows;
  int64_t vecs = std::clamp<int64_t>(27 / (r + 1), 1, 8);
  vecs = std::min<int64_t>(vecs, llvm::divideCeil(p.rows, 16));
  double lanes = double(llvm::divideCeil(p.rows, 16) * 16);
  double tiles = double(llvm::divideCeil(p.rows, 16 * vecs));
  double kBlocks = double(llvm::divideCeil(p.k, 32768 / (vecs * 64)));
  double rate = layout.format == SparseFormat::csr  ? kCsrMacsPerNs
                : layout.format == SparseFormat::nm ? kNmMacsPerNs
                                                    : kBsrMacsPerNs;
  rate *= double(vecs) / (double(vecs) + kVectorHalf);
  // Each loaded x vector of a BSR block feeds its R rows.
  if (layout.format == SparseFormat::bsr)
    rate *= double(r) / double(r + 1);
  if (p.valueBytes == 1)
    rate *= kSparseInt8Factor;
  double units = double(p.n) / double(r);
  return lanes * double(layout.storedValues) / rate +
         units * tiles * kBlocks * kVisitNs +
         double(p.rows) * double(p.n + p.k) * kTransposeNsPerElt;
}

//===----------------------------------------------------------------------===//
// Layouts
//===----------------------------------------------------------------------===//

SmallVector<SparseLayout>
mlir::effc::findSparseLayouts(ArrayRef<uint8_t> nonzero, int64_t n, int64_t k,
                              unsigned valueBytes) {
  SmallVector<SparseLayout> layouts;
  int64_t nnz = llvm::count(nonzero, 1);
  {
    SparseLayout csr;
    csr.format = SparseFormat::csr;
    csr.storedValues = nnz;
    csr.bytes = nnz * (valueBytes + 4) + (n + 1) * 4;
    layouts.push_back(csr);
  }
  static const std::pair<int64_t, int64_t> kBlocks[] = {
      {2, 2}, {4, 1}, {4, 4}, {8, 1}, {8, 4}, {8, 8}, {16, 1}, {16, 16}};
  for (auto [r, c] : kBlocks) {
    if (n % r != 0 || k % c != 0)
      continue;
    int64_t blocks = 0;
    for (int64_t br = 0; br < n; br += r)
      for (int64_t bc = 0; bc < k; bc += c) {
        bool any = false;
        for (int64_t i = br; i < br + r && !any; ++i)
          for (int64_t j = bc; j < bc + c && !any; ++j)
            any = nonzero[i * k + j];
        blocks += any;
      }
    SparseLayout bsr;
    bsr.format = SparseFormat::bsr;
    bsr.blockRows = r;
    bsr.blockCols = c;
    bsr.storedValues = blocks * r * c;
    bsr.bytes = blocks * (r * c * valueBytes + 4) + (n / r + 1) * 4;
    layouts.push_back(bsr);
  }
  for (int64_t m : {4, 8}) {
    if (k % m != 0)
      continue;
    int64_t most = 0;
    for (int64_t g = 0; g < n * k; g += m)
      most =
          std::max<int64_t>(most, std::count(&nonzero[g], &nonzero[g] + m, 1));
    if (most >= m)
      continue;
    SparseLayout nm;
    nm.format = SparseFormat::nm;
    nm.n = std::max<int64_t>(most, 1);
    nm.m = m;
    // A longer group only when it stores strictly less (2:4 over 4:8).
    if (llvm::any_of(layouts, [&](const SparseLayout &l) {
          return l.format == SparseFormat::nm && l.n * m <= nm.n * l.m;
        }))
      continue;
    nm.storedValues = n * k / m * nm.n;
    // Packed 2-bit positions for m <= 4, otherwise one i8 per stored value.
    nm.bytes = nm.storedValues * valueBytes +
               (m <= 4 ? n * getPackedNMWords(nm.storedValues / n) * 2
                       : nm.storedValues);
    layouts.push_back(nm);
  }
  return layouts;
}

static std::string describe(const SparseLayout &l) {
  switch (l.format) {
  case SparseFormat::csr:
    return "csr";
  case SparseFormat::bsr:
    return "bsr " + std::to_string(l.blockRows) + "x" +
           std::to_string(l.blockCols);
  case SparseFormat::nm:
    return "nm " + std::to_string(l.n) + ":" + std::to_string(l.m);
  }
  llvm_unreachable("unknown sparse format");
}

//===----------------------------------------------------------------------===//
// Compression
//===----------------------------------------------------------------------===//

namespace {

/// A dense row-major [n, k] f32 weight in its compressed pieces.
struct Compressed {
  std::vector<float> values;
  std::vector<int32_t> indices, offsets;
  std::vector<int8_t> positions; // nm
};

Compressed compress(ArrayRef<float> w, ArrayRef<uint8_t> nz, int64_t n,
                    int64_t k, const SparseLayout &l) {
  Compressed c;
  switch (l.format) {
  case SparseFormat::csr:
    c.offsets.push_back(0);
    for (int64_t i = 0; i < n; ++i) {
      for (int64_t j = 0; j < k; ++j)
        if (nz[i * k + j]) {
          c.values.push_back(w[i * k + j]);
          c.indices.push_back(j);
        }
      c.offsets.push_back(c.indices.size());
    }
    break;
  case SparseFormat::bsr: {
    int64_t r = l.blockRows, cc = l.blockCols;
    c.offsets.push_back(0);
    for (int64_t br = 0; br < n; br += r) {
      for (int64_t bc = 0; bc < k; bc += cc) {
        bool any = false;
        for (int64_t i = br; i < br + r && !any; ++i)
          for (int64_t j = bc; j < bc + cc && !any; ++j)
            any = nz[i * k + j];
        if (!any)
          continue;
        for (int64_t i = br; i < br + r; ++i)
          for (int64_t j = bc; j < bc + cc; ++j)
            c.values.push_back(nz[i * k + j] ? w[i * k + j] : 0.0f);
        c.indices.push_back(bc / cc);
      }
      c.offsets.push_back(c.indices.size());
    }
    break;
  }
  case SparseFormat::nm: {
    // Every group stores exactly n slots, ascending positions; a group
    // with fewer non-zeros is padded with its first zero positions.
    for (int64_t g = 0; g < n * k; g += l.m) {
      SmallVector<int64_t> pos;
      for (int64_t j = 0; j < l.m; ++j)
        if (nz[g + j])
          pos.push_back(j);
      for (int64_t j = 0; j < l.m && (int64_t)pos.size() < l.n; ++j)
        if (!nz[g + j])
          pos.push_back(j);
      llvm::sort(pos);
      for (int64_t j : pos) {
        c.values.push_back(nz[g + j] ? w[g + j] : 0.0f);
        c.positions.push_back(j);
      }
    }
    break;
  }
  }
  return c;
}

template <typename T>
DenseElementsAttr rawAttr(RankedTensorType type, const std::vector<T> &data) {
  ArrayRef<char> raw(reinterpret_cast<const char *>(data.data()),
                     data.size() * sizeof(T));
  return DenseElementsAttr::getFromRawBuffer(type, raw);
}

} // namespace

int64_t mlir::effc::getCompressedBytes(Operation *op) {
  auto sl = dyn_cast<SparseLinearOp>(op);
  if (!sl)
    return 0;
  int64_t bytes = 0;
  for (Value v : {sl.getValues(), sl.getIndices(), sl.getOffsets()}) {
    if (!v)
      continue;
    auto t = cast<RankedTensorType>(v.getType());
    if (!t.hasStaticShape())
      return 0;
    unsigned bits = t.getElementTypeBitWidth();
    if (auto q = dyn_cast<quant::QuantizedType>(t.getElementType()))
      bits = q.getStorageTypeIntegralWidth();
    bytes += t.getNumElements() * llvm::divideCeil(bits, 8);
  }
  return bytes;
}

FailureOr<Operation *>
mlir::effc::sparsifyLinear(Operation *op, const SparsifyOptions &options) {
  MLIRContext *ctx = op->getContext();
  auto record = [&](const std::string &why) -> Operation * {
    op->setDiscardableAttr(EffcDialect::kSparseDecisionAttrName,
                           StringAttr::get(ctx, why));
    return nullptr;
  };
  // effc.quantized_linear: int8 activations, a constant i8 weight behind a
  // quant.scast, per-tensor or per-channel scales, no requantization
  // (effc.sparse_linear produces i32 or float, never i8). Its i8 values are
  // compressed like f32 ones and cast back to the weight's quantization.
  auto qlinear = dyn_cast<QuantizedLinearOp>(op);
  quant::QuantizedType wq;
  Value weight, input, bias;
  RankedTensorType inTy, outTy;
  if (qlinear) {
    inTy = qlinear.getInput().getType();
    outTy = qlinear.getType();
    weight = qlinear.getWeight();
    input = qlinear.getInput();
    bias = qlinear.getBias();
    auto xq = dyn_cast<quant::UniformQuantizedType>(inTy.getElementType());
    auto scast = weight.getDefiningOp<quant::StorageCastOp>();
    wq = dyn_cast<quant::QuantizedType>(
        qlinear.getWeight().getType().getElementType());
    if (!xq || !xq.getStorageType().isSignlessInteger(8) || !scast || !wq)
      return nullptr;
    auto pa = dyn_cast<quant::UniformQuantizedPerAxisType>(wq);
    if (!wq.getStorageType().isSignlessInteger(8) ||
        !(isa<quant::UniformQuantizedType>(wq) ||
          (pa && pa.getQuantizedDimension() == 0)))
      return record("dense: no int8 sparse kernel for this weight "
                    "quantization (i8 per tensor or per output channel)");
    if (qlinear.getMultiplier() || qlinear.getShift() ||
        !(outTy.getElementType().isInteger(32) ||
          isa<FloatType>(outTy.getElementType())))
      return record("dense: requantized result (effc.sparse_linear produces "
                    "i32 or float)");
    if (outTy.getElementType().isInteger(32) &&
        qlinear.getActivation() == Activation::clamp)
      return record("dense: clamp on an i32 result");
    weight = scast.getInput();
  } else if (auto linear = dyn_cast<LinearOp>(op)) {
    inTy = linear.getInput().getType();
    outTy = linear.getType();
    weight = linear.getWeight();
    input = linear.getInput();
    bias = linear.getBias();
  } else {
    return nullptr;
  }
  // Per-channel scales ride on the values' dim 0, which quant.scast checks
  // against the channel count: only N:M values ([N, K n / m]) can hold
  // them; CSR and BSR values are then plain i8 with `channel_scales`.
  auto perAxis = dyn_cast_if_present<quant::UniformQuantizedPerAxisType>(wq);
  Attribute cst;
  if (!matchPattern(weight, m_Constant(&cst)))
    return nullptr;
  auto wTy = cast<RankedTensorType>(weight.getType());
  // Runtime rows (a dynamic batch or sequence) are fine: the kernels count
  // them at run time. K must be static like the weight.
  if (!wTy.hasStaticShape() || inTy.getRank() < 1 ||
      ShapedType::isDynamic(inTy.getShape().back()))
    return record("dense: dynamic weight shape or K");
  if (wTy.getRank() != 2)
    return record("dense: batched weight (effc.sparse_linear takes [N, K])");
  unsigned valueBytes = qlinear ? 1 : 4;
  if (!(qlinear ? wTy.getElementType().isSignlessInteger(8)
                : wTy.getElementType().isF32()))
    return record("dense: no sparse kernel for " + [&] {
      std::string s;
      llvm::raw_string_ostream os(s);
      os << wTy.getElementType();
      return s;
    }() + " weights");
  int64_t n = wTy.getDimSize(0), k = wTy.getDimSize(1);
  std::vector<char> raw = getRawBytes(cst, n * k, valueBytes);
  if (raw.empty())
    return record("dense: weight data not available");
  std::vector<float> w(n * k);
  if (qlinear)
    for (int64_t i = 0; i < n * k; ++i)
      w[i] = (float)(int8_t)raw[i]; // exact; compressed, then back to i8
  else
    std::memcpy(w.data(), raw.data(), raw.size());
  std::vector<uint8_t> nz(n * k);
  int64_t nnz = 0;
  for (int64_t i = 0; i < n * k; ++i) {
    uint32_t bits;
    std::memcpy(&bits, &w[i], 4);
    nz[i] = (bits & 0x7fffffffu) != 0;
    nnz += nz[i];
  }
  if (nnz == n * k)
    return nullptr;

  SparseProblem problem;
  problem.n = n;
  problem.k = k;
  problem.valueBytes = valueBytes;
  // With runtime rows, a layout is ranked by the geometric mean of its
  // estimates over 1 to 512 rows per static row (one token to a long
  // prompt), the same for the dense kernel: no one size decides.
  int64_t rows = getRowCount(inTy);
  bool dynamicRows = ShapedType::isDynamic(rows);
  SmallVector<int64_t> sampleRows = {rows};
  if (dynamicRows) {
    int64_t staticRows = 1;
    for (int64_t d : inTy.getShape().drop_back())
      if (!ShapedType::isDynamic(d))
        staticRows *= d;
    sampleRows = {staticRows, 8 * staticRows, 64 * staticRows,
                  512 * staticRows};
  }
  auto estimate =
      [&](function_ref<std::optional<double>(const SparseProblem &)> fn)
      -> std::optional<double> {
    double logSum = 0;
    for (int64_t r : sampleRows) {
      problem.rows = r;
      std::optional<double> ns = fn(problem);
      if (!ns)
        return std::nullopt;
      logSum += std::log(*ns);
    }
    return std::exp(logSum / double(sampleRows.size()));
  };
  double dense = *estimate([&](const SparseProblem &p) {
    return std::optional<double>(estimateDenseNs(options.target, p));
  });

  std::optional<SparseLayout> best;
  double bestNs = 0;
  for (const SparseLayout &l : findSparseLayouts(nz, n, k, valueBytes)) {
    if (options.format && *options.format != l.format)
      continue;
    std::optional<double> ns = estimate([&](const SparseProblem &p) {
      return estimateSparseNs(options.target, p, l);
    });
    if (!ns && !options.force)
      continue;
    // Without an estimate (forced on a target without that kernel), the
    // smallest layout wins.
    double score = ns ? *ns : double(l.bytes);
    if (!best || score < bestNs || (score == bestNs && l.bytes < best->bytes)) {
      best = l;
      bestNs = score;
    }
  }
  double zeros = 1.0 - double(nnz) / double(n * k);
  std::string stats = "sparsity " + formatNumber("%.3f", zeros);
  if (!best) {
    if (options.format && options.force)
      return op->emitOpError() << "sparsify: the weight does not fit format '"
                               << stringifySparseFormat(*options.format) << "'",
             failure();
    return record("dense: " + stats +
                  ", no sparse kernel on the target for "
                  "this layout");
  }
  std::string timing =
      formatNumber("%.3g", bestNs / 1e3) + " us vs dense " +
      formatNumber("%.3g", dense / 1e3) + " us" +
      (dynamicRows
           ? " (geometric mean over " + std::to_string(sampleRows[0]) + " to " +
                 std::to_string(sampleRows.back()) + " runtime rows)"
           : "");
  if (!options.force && bestNs >= dense)
    return record("dense: " + stats + ", best sparse layout (" +
                  describe(*best) + ") estimated " + timing);

  // Build the compressed operands.
  Compressed c = compress(w, nz, n, k, *best);
  OpBuilder b(op);
  Location loc = op->getLoc();
  Type f32 = b.getF32Type(), i32 = b.getI32Type(), i8 = b.getI8Type();
  auto constant = [&](DenseElementsAttr attr) -> Value {
    return arith::ConstantOp::create(b, loc, attr);
  };
  // i8 values (exact integers in c.values) behind a quant.scast, or plain
  // i8 with channel_scales when per-axis scales cannot name their dim.
  DenseF32ArrayAttr channelScales;
  if (perAxis && best->format != SparseFormat::nm) {
    SmallVector<float> scales(perAxis.getScales().begin(),
                              perAxis.getScales().end());
    channelScales = b.getDenseF32ArrayAttr(scales);
  }
  auto valuesOf = [&](ArrayRef<int64_t> shape) -> Value {
    if (!qlinear)
      return constant(rawAttr(RankedTensorType::get(shape, f32), c.values));
    std::vector<int8_t> q(c.values.begin(), c.values.end());
    Value st = constant(rawAttr(RankedTensorType::get(shape, i8), q));
    if (channelScales)
      return st;
    return quant::StorageCastOp::create(b, loc,
                                        RankedTensorType::get(shape, wq), st);
  };
  Value values, indices, offsets;
  SparseEncodingAttr enc;
  switch (best->format) {
  case SparseFormat::csr: {
    int64_t cnt = c.values.size();
    values = valuesOf({cnt});
    indices = constant(rawAttr(RankedTensorType::get({cnt}, i32), c.indices));
    offsets = constant(rawAttr(RankedTensorType::get({n + 1}, i32), c.offsets));
    enc = SparseEncodingAttr::get(ctx, SparseFormat::csr, 0, 0, 0, 0);
    break;
  }
  case SparseFormat::bsr: {
    int64_t r = best->blockRows, cc = best->blockCols;
    int64_t blocks = c.indices.size();
    values = valuesOf({blocks, r, cc});
    indices =
        constant(rawAttr(RankedTensorType::get({blocks}, i32), c.indices));
    offsets =
        constant(rawAttr(RankedTensorType::get({n / r + 1}, i32), c.offsets));
    enc = SparseEncodingAttr::get(ctx, SparseFormat::bsr, 0, 0, r, cc);
    break;
  }
  case SparseFormat::nm: {
    int64_t per = k / best->m * best->n;
    values = valuesOf({n, per});
    if (best->m <= 4)
      indices = constant(rawAttr(
          RankedTensorType::get({n, getPackedNMWords(per)}, b.getI16Type()),
          packNMPositions(c.positions, n, per)));
    else
      indices =
          constant(rawAttr(RankedTensorType::get({n, per}, i8), c.positions));
    enc =
        SparseEncodingAttr::get(ctx, SparseFormat::nm, best->n, best->m, 0, 0);
    break;
  }
  }
  auto weighted = cast<WeightedOpInterface>(op);
  auto sparse = SparseLinearOp::create(
      b, loc, outTy, input, values, indices, offsets, bias, enc,
      b.getDenseI64ArrayAttr({n, k}),
      ActivationAttr::get(ctx, weighted.getActivation()),
      weighted.getClampMinAttr(), weighted.getClampMaxAttr(), channelScales);
  // Keep the discardable attributes (name, plans) and say what was chosen.
  for (NamedAttribute attr : op->getDiscardableAttrs())
    sparse->setDiscardableAttr(attr.getName(), attr.getValue());
  sparse->setDiscardableAttr(
      EffcDialect::kSparseDecisionAttrName,
      StringAttr::get(ctx, describe(*best) + ": " + stats + ", " +
                               std::to_string(best->bytes) +
                               " bytes, estimated " + timing +
                               (options.force ? " (forced)" : "")));
  Operation *oldWeight = weighted.getWeight().getDefiningOp();
  op->replaceAllUsesWith(sparse);
  op->erase();
  // The weight constant (and for int8 its quant.scast) when now unused.
  for (Operation *w = oldWeight; w && w->use_empty();) {
    auto scast = dyn_cast<quant::StorageCastOp>(w);
    Operation *src = scast ? scast.getInput().getDefiningOp() : nullptr;
    w->erase();
    w = src;
  }
  return sparse.getOperation();
}

//===----------------------------------------------------------------------===//
// Pass
//===----------------------------------------------------------------------===//

namespace {

struct SparsifyPass : effc::impl::SparsifyPassBase<SparsifyPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    SparsifyOptions opts;
    opts.target = target;
    opts.format = getSparseFormat(format);
    opts.force = force;
    SmallVector<Operation *> linears;
    module.walk([&](Operation *op) {
      if (isa<LinearOp, QuantizedLinearOp>(op))
        linears.push_back(op);
      // Not silently: the block-scaled ops (dynamic int8, fp8) have no
      // sparse form yet.
      if (isa<BlockScaledLinearOp>(op))
        op->setDiscardableAttr(
            EffcDialect::kSparseDecisionAttrName,
            StringAttr::get(op->getContext(),
                            "dense: block-scaled linears (dynamic int8, fp8) "
                            "have no sparse kernel; static int8 "
                            "(calibration=) has one"));
    });
    for (Operation *op : linears)
      if (failed(sparsifyLinear(op, opts)))
        return signalPassFailure();
  }
};

} // namespace

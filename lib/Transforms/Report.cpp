//===- Report.cpp - per-op compression report as JSON -----------*- C++ -*-===//
//
// Writes, for every compute op with weights, its kind, precision, sparsity
// and weight bytes, and the model's totals before (dense f32) and after (as
// stored). The IR is not changed. Zeros are counted on the weights' raw
// buffers (dense, splat or dense_resource blobs), never element by element
// through APFloat, so a large model is reported in about a memory scan.
//
//===----------------------------------------------------------------------===//

#include "effc/Dialect/EffcOps.h"
#include "effc/Support/WeightData.h"
#include "effc/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Quant/IR/Quant.h"
#include "mlir/Dialect/Quant/IR/QuantTypes.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/SymbolTable.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdio>
#include <cstring>
#include <optional>
#include <string>

namespace mlir {
namespace effc {
#define GEN_PASS_DEF_REPORTPASS
#include "effc/Transforms/Passes.h.inc"
} // namespace effc
} // namespace mlir

using namespace mlir;
using namespace mlir::effc;

namespace {

//===----------------------------------------------------------------------===//
// Types and raw weight data
//===----------------------------------------------------------------------===//

std::string printType(Type type) {
  std::string s;
  llvm::raw_string_ostream os(s);
  type.print(os);
  return s;
}

/// Bits per stored element: a quantized type counts its storage type.
unsigned storedBits(Type elem) {
  if (auto q = dyn_cast<quant::QuantizedType>(elem))
    return q.getStorageTypeIntegralWidth();
  if (elem.isIntOrFloat())
    return elem.getIntOrFloatBitWidth();
  return 32;
}

/// Bytes of a tensor as stored (sub-byte elements packed: i4 is half a
/// byte), or nullopt for a dynamic shape.
std::optional<int64_t> tensorBytes(ShapedType type) {
  if (!type.hasStaticShape())
    return std::nullopt;
  return (type.getNumElements() * int64_t(storedBits(type.getElementType())) +
          7) /
         8;
}

/// Scales stored alongside a quantized element type (4 bytes each).
int64_t numScales(Type elem) {
  if (auto axis = dyn_cast<quant::UniformQuantizedPerAxisType>(elem))
    return axis.getScales().size();
  if (auto sub = dyn_cast<quant::UniformQuantizedSubChannelType>(elem))
    return sub.getScales().getNumElements();
  if (isa<quant::UniformQuantizedType>(elem))
    return 1;
  return 0;
}

/// The short precision name of an element type: f32, bf16, f16, f8e4m3,
/// i8, i4, ... (a quantized type by its storage).
std::string precisionName(Type elem) {
  if (auto q = dyn_cast<quant::QuantizedType>(elem))
    elem = q.getStorageType();
  if (isa<Float8E4M3FNType>(elem))
    return "f8e4m3";
  if (isa<Float8E5M2Type>(elem))
    return "f8e5m2";
  if (auto i = dyn_cast<IntegerType>(elem))
    return (i.isUnsigned() ? "u" : "i") + std::to_string(i.getWidth());
  return printType(elem);
}

/// The constant behind a weight value, looking through a storage cast of
/// integers to a quantized type.
Attribute getConstantWeight(Value weight) {
  if (auto cast = weight.getDefiningOp<quant::StorageCastOp>())
    weight = cast.getInput();
  Attribute cst;
  if (matchPattern(weight, m_Constant(&cst)))
    return cst;
  return {};
}

/// Number of exact zeros (+0 and -0 for floats) in a constant weight of
/// `numel` elements, from its raw bytes; nullopt when the data is not
/// available (an elided blob) or the element type is not byte-addressable.
std::optional<int64_t> countZeros(Attribute attr, Type elem, int64_t numel) {
  if (!elem.isIntOrFloat() || elem.getIntOrFloatBitWidth() < 4 ||
      elem.getIntOrFloatBitWidth() > 64)
    return std::nullopt;
  unsigned bits = elem.getIntOrFloatBitWidth();
  size_t bytes = llvm::divideCeil(bits, 8);
  ArrayRef<char> raw;
  bool splat = false;
  if (auto dense = dyn_cast<DenseElementsAttr>(attr)) {
    raw = dense.getRawData();
    splat = dense.isSplat();
  } else if (auto resource = dyn_cast<DenseResourceElementsAttr>(attr)) {
    AsmResourceBlob *blob = resource.getRawHandle().getBlob();
    if (!blob)
      return std::nullopt;
    raw = blob->getData();
  } else {
    return std::nullopt;
  }
  if (raw.size() == bytes && numel != 1)
    splat = true;
  else if (!splat && raw.size() != size_t(numel) * bytes)
    return std::nullopt;
  // Floats: every bit but the sign is zero. Integers: every bit.
  bool isFloat = isa<FloatType>(elem);
  unsigned valueBits = bits;
  auto isZero = [&](const char *p) {
    uint64_t v = 0;
    std::memcpy(&v, p, bytes); // little-endian host
    if (valueBits < 64)
      v &= (uint64_t(1) << valueBits) - 1;
    if (isFloat)
      v &= ~(uint64_t(1) << (valueBits - 1));
    return v == 0;
  };
  if (splat)
    return isZero(raw.data()) ? numel : 0;
  int64_t zeros = 0;
  for (int64_t i = 0; i < numel; ++i)
    zeros += isZero(raw.data() + i * bytes);
  return zeros;
}

//===----------------------------------------------------------------------===//
// One op's entry
//===----------------------------------------------------------------------===//

struct Entry {
  std::string name, kind;
  SmallVector<int64_t> shape;
  std::optional<std::string> dtype;
  llvm::json::Object precision;
  std::optional<int64_t> zeros; // exact zeros of the dense weight
  int64_t weightBytes = 0, params = 0;
};

/// Precision derived from the types of a weight and an activation.
llvm::json::Object typePrecision(Type weightElem, Type actElem) {
  llvm::json::Object p;
  p["weights"] = weightElem ? llvm::json::Value(precisionName(weightElem))
                            : llvm::json::Value(nullptr);
  p["activations"] = precisionName(actElem);
  std::string granularity = "none";
  int64_t groupSize = 0;
  if (isa_and_nonnull<quant::UniformQuantizedType>(weightElem)) {
    granularity = "tensor";
  } else if (isa_and_nonnull<quant::UniformQuantizedPerAxisType>(weightElem)) {
    granularity = "channel";
  } else if (auto sub = dyn_cast_or_null<quant::UniformQuantizedSubChannelType>(
                 weightElem)) {
    ArrayRef<int64_t> blocks = sub.getBlockSizes();
    int64_t nonUnit = llvm::count_if(blocks, [](int64_t b) { return b > 1; });
    granularity = nonUnit > 1 ? "block" : "group";
    groupSize = blocks.empty() ? 0 : blocks.back();
  }
  p["granularity"] = granularity;
  p["group_size"] = groupSize;
  p["source"] = "types";
  return p;
}

/// Fills the weight fields of a dense (possibly quantized) weight operand.
void denseWeight(Entry &e, Value weight) {
  auto type = cast<ShapedType>(weight.getType());
  e.shape.assign(type.getShape().begin(), type.getShape().end());
  // Look through what --effc-quantize puts between the stored constant and
  // the op: widening of bf16 / f16 / i4 and dequantization (whose scale
  // tensor counts too).
  int64_t extraBytes = 0;
  while (Operation *def = weight.getDefiningOp()) {
    if (auto deq = dyn_cast<DequantizeOp>(def)) {
      if (std::optional<int64_t> b = tensorBytes(deq.getScale().getType()))
        extraBytes += *b;
      weight = deq.getInput();
    } else if (isa<arith::ExtFOp, arith::ExtSIOp>(def)) {
      weight = def->getOperand(0);
    } else {
      break;
    }
  }
  type = cast<ShapedType>(weight.getType());
  Type elem = type.getElementType();
  e.dtype = printType(elem);
  if (!type.hasStaticShape())
    return;
  e.params = type.getNumElements();
  e.weightBytes = *tensorBytes(type) + 4 * numScales(elem) + extraBytes;
  if (Attribute cst = getConstantWeight(weight)) {
    Type rawElem = elem;
    if (auto q = dyn_cast<quant::QuantizedType>(elem))
      rawElem = q.getStorageType();
    e.zeros = countZeros(cst, rawElem, e.params);
  }
}

/// The report entry of `op`, or nullopt when it is not a compute op with
/// weights.
std::optional<Entry> describe(Operation *op) {
  Entry e;
  e.kind = op->getName().getStringRef().str();
  Type weightElem, actElem;
  if (auto sp = dyn_cast<SparseLinearOp>(op)) {
    actElem = getElementTypeOrSelf(sp.getInput());
    ArrayRef<int64_t> ws = sp.getWeightShape();
    e.shape.assign(ws.begin(), ws.end());
    weightElem = getElementTypeOrSelf(sp.getValues());
    e.dtype = printType(weightElem);
    e.params = 1;
    for (int64_t d : ws)
      e.params *= d;
    auto valuesTy = sp.getValues().getType();
    for (Value part : {sp.getValues(), sp.getIndices(), sp.getOffsets()})
      if (part)
        if (std::optional<int64_t> b =
                tensorBytes(cast<ShapedType>(part.getType())))
          e.weightBytes += *b;
    e.weightBytes += 4 * numScales(weightElem);
    if (valuesTy.hasStaticShape()) {
      // Unstored weights plus the zeros stored as padding (N:M groups with
      // fewer non-zeros, zeros inside kept BSR blocks).
      int64_t stored = valuesTy.getNumElements();
      Type storage = weightElem;
      if (auto q = dyn_cast<quant::QuantizedType>(weightElem))
        storage = q.getStorageType();
      std::optional<int64_t> padded;
      if (Attribute cst = getConstantWeight(sp.getValues()))
        padded = countZeros(cst, storage, stored);
      e.zeros = e.params - stored + padded.value_or(0);
    }
  } else if (auto weighted = dyn_cast<WeightedOpInterface>(op)) {
    actElem = getElementTypeOrSelf(weighted.getInput());
    Value w = weighted.getWeight();
    denseWeight(e, w);
    weightElem = getElementTypeOrSelf(w);
    // One f32 scale per weight block.
    if (auto bs = dyn_cast<BlockScaledLinearOp>(op)) {
      auto scaleTy = bs.getWeightScale().getType();
      if (scaleTy.hasStaticShape())
        e.weightBytes += 4 * scaleTy.getNumElements();
    }
  } else if (auto attention = dyn_cast<AttentionOp>(op)) {
    actElem = getElementTypeOrSelf(attention.getQuery());
    e.zeros = 0;
  } else if (auto linalgOp = dyn_cast<linalg::LinalgOp>(op)) {
    StringRef kind = e.kind;
    bool isConv = kind.starts_with("linalg.conv") ||
                  kind.starts_with("linalg.depthwise_conv");
    if (!isa<linalg::MatmulOp, linalg::BatchMatmulOp>(op) && !isConv)
      return std::nullopt;
    if (linalgOp.getNumDpsInputs() < 2)
      return std::nullopt;
    actElem = getElementTypeOrSelf(linalgOp.getDpsInputOperand(0)->get());
    Value w = linalgOp.getDpsInputOperand(1)->get();
    if (!isa<ShapedType>(w.getType()) || !getConstantWeight(w))
      return std::nullopt;
    denseWeight(e, w);
    weightElem = getElementTypeOrSelf(w);
  } else {
    return std::nullopt;
  }
  e.name = getOpNameOrLocation(op);
  if (auto plan = op->getAttrOfType<PrecisionPlanAttr>(
          EffcDialect::kPrecisionPlanAttrName)) {
    e.precision["weights"] = stringifyPrecision(plan.getWeights()).str();
    e.precision["activations"] =
        stringifyPrecision(plan.getActivations()).str();
    e.precision["granularity"] =
        stringifyGranularity(plan.getGranularity()).str();
    e.precision["group_size"] = plan.getGroupSize();
    e.precision["source"] = "plan";
    if (FloatAttr sqnr = plan.getSqnr())
      e.precision["estimated_sqnr_db"] = sqnr.getValueAsDouble();
    if (plan.getInputMin()) {
      e.precision["input_min"] = plan.getInputMin().getValueAsDouble();
      e.precision["input_max"] = plan.getInputMax().getValueAsDouble();
    }
  } else {
    e.precision = typePrecision(weightElem, actElem);
  }
  return e;
}

//===----------------------------------------------------------------------===//
// HLS estimate (left by --effc-hls-optimize)
//===----------------------------------------------------------------------===//

/// The integer fields of an `effc.hls.estimate` dictionary.
llvm::json::Object hlsFields(DictionaryAttr dict) {
  llvm::json::Object o;
  for (NamedAttribute a : dict)
    if (auto i = dyn_cast<IntegerAttr>(a.getValue()))
      o[a.getName().getValue()] = i.getInt();
  return o;
}

/// Per HLS top function: the QoR estimate and each layer's.
llvm::json::Array hlsEstimates(ModuleOp module) {
  llvm::json::Array out;
  module.walk([&](Operation *fn) {
    auto est =
        fn->getAttrOfType<DictionaryAttr>(EffcDialect::kHlsEstimateAttrName);
    if (!est || !fn->hasAttr(EffcDialect::kHlsTopAttrName))
      return;
    llvm::json::Object entry = hlsFields(est);
    if (auto name =
            fn->getAttrOfType<StringAttr>(SymbolTable::getSymbolAttrName()))
      entry["function"] = name.getValue();
    llvm::json::Array layers;
    fn->walk([&](Operation *op) {
      auto layer =
          op->getAttrOfType<StringAttr>(EffcDialect::kHlsLayerAttrName);
      auto lest =
          op->getAttrOfType<DictionaryAttr>(EffcDialect::kHlsEstimateAttrName);
      if (!layer || !lest)
        return;
      llvm::json::Object l = hlsFields(lest);
      l["name"] = layer.getValue();
      layers.push_back(std::move(l));
    });
    entry["layers"] = std::move(layers);
    out.push_back(std::move(entry));
  });
  return out;
}

//===----------------------------------------------------------------------===//
// Pass
//===----------------------------------------------------------------------===//

struct ReportPass : effc::impl::ReportPassBase<ReportPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    llvm::json::Array ops;
    int64_t totalParams = 0, totalBytes = 0, totalDense = 0;
    int64_t knownZeros = 0, knownParams = 0;
    module.walk([&](Operation *op) {
      if (op->getNumOperands() == 0)
        return;
      std::optional<Entry> e = describe(op);
      if (!e)
        return;
      int64_t dense = e->params * 4;
      std::optional<double> sparsity;
      if (e->zeros && e->params > 0)
        sparsity = double(*e->zeros) / double(e->params);
      else if (e->zeros)
        sparsity = 0.0;
      llvm::json::Object entry;
      entry["name"] = e->name;
      entry["kind"] = e->kind;
      entry["weight_shape"] = llvm::json::Array(e->shape);
      entry["weight_dtype"] =
          e->dtype ? llvm::json::Value(*e->dtype) : llvm::json::Value(nullptr);
      entry["precision"] = std::move(e->precision);
      entry["sparsity"] =
          sparsity ? llvm::json::Value(*sparsity) : llvm::json::Value(nullptr);
      if (auto plan = op->getAttrOfType<SparsityPlanAttr>(
              EffcDialect::kSparsityPlanAttrName)) {
        llvm::json::Object p;
        p["method"] = stringifyPruneMethod(plan.getMethod()).str();
        p["sparsity"] = plan.getSparsity().getValueAsDouble();
        p["n"] = plan.getN();
        p["m"] = plan.getM();
        p["block_rows"] = plan.getBlockRows();
        p["block_cols"] = plan.getBlockCols();
        entry["sparsity_plan"] = std::move(p);
      }
      if (auto sp = dyn_cast<SparseLinearOp>(op)) {
        SparseEncodingAttr enc = sp.getEncoding();
        llvm::json::Object f;
        f["format"] = stringifySparseFormat(enc.getFormat()).str();
        if (enc.getFormat() == SparseFormat::nm) {
          f["n"] = enc.getN();
          f["m"] = enc.getM();
        } else if (enc.getFormat() == SparseFormat::bsr) {
          f["block_rows"] = enc.getBlockRows();
          f["block_cols"] = enc.getBlockCols();
        }
        entry["storage"] = std::move(f);
        entry["compressed_bytes"] = e->weightBytes;
      }
      // Why --effc-sparsify chose this layout, or kept the weight dense.
      if (auto why = op->getAttrOfType<StringAttr>(
              EffcDialect::kSparseDecisionAttrName))
        entry["sparse_decision"] = why.getValue().str();
      entry["weight_bytes"] = e->weightBytes;
      entry["dense_f32_bytes"] = dense;
      entry["params"] = e->params;
      ops.push_back(std::move(entry));

      totalParams += e->params;
      totalBytes += e->weightBytes;
      totalDense += dense;
      if (e->zeros) {
        knownZeros += *e->zeros;
        knownParams += e->params;
      }
      if (remarks) {
        InFlightDiagnostic remark = op->emitRemark();
        remark << "effc-report: " << e->kind << ": " << e->weightBytes
               << " weight bytes (" << dense << " as dense f32), sparsity "
               << (sparsity ? formatNumber("%.4f", *sparsity)
                            : std::string("unknown"));
        if (auto plan = op->getAttrOfType<PrecisionPlanAttr>(
                EffcDialect::kPrecisionPlanAttrName)) {
          remark << ", weights " << stringifyPrecision(plan.getWeights())
                 << " activations " << stringifyPrecision(plan.getActivations())
                 << " per " << stringifyGranularity(plan.getGranularity());
          if (FloatAttr sqnr = plan.getSqnr())
            remark << ", estimated SQNR "
                   << formatNumber("%.2f", sqnr.getValueAsDouble()) << " dB";
        }
      }
    });

    llvm::json::Object totals;
    totals["ops"] = int64_t(ops.size());
    totals["params"] = totalParams;
    totals["weight_bytes"] = totalBytes;
    totals["dense_f32_bytes"] = totalDense;
    totals["bits_per_weight"] =
        totalParams > 0 ? llvm::json::Value(8.0 * totalBytes / totalParams)
                        : llvm::json::Value(nullptr);
    totals["compression_ratio"] =
        totalBytes > 0 ? llvm::json::Value(double(totalDense) / totalBytes)
                       : llvm::json::Value(nullptr);
    totals["zero_fraction"] =
        knownParams > 0 ? double(knownZeros) / double(knownParams) : 0.0;
    llvm::json::Object root;
    root["ops"] = std::move(ops);
    root["totals"] = std::move(totals);
    if (llvm::json::Array hls = hlsEstimates(module); !hls.empty())
      root["hls"] = std::move(hls);
    llvm::json::Value json(std::move(root));

    markAllAnalysesPreserved();
    if (file.empty() || file == "-") {
      llvm::outs() << llvm::formatv("{0:2}", json) << "\n";
      llvm::outs().flush();
      return;
    }
    std::error_code ec;
    llvm::raw_fd_ostream os(file, ec, llvm::sys::fs::OF_Text);
    if (!ec) {
      os << llvm::formatv("{0:2}", json) << "\n";
      os.close();
      if (os.has_error()) {
        ec = os.error();
        os.clear_error();
      }
    }
    if (ec) {
      // On the module's location, without the op: the note that would
      // print the whole model adds nothing here.
      mlir::emitError(module.getLoc())
          << "effc-report: cannot write '" << file << "': " << ec.message();
      return signalPassFailure();
    }
  }
};

} // namespace

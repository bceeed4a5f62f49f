//===- Calibration.cpp - activation statistics for quantization -*- C++ -*-===//

#include "effc/Transforms/Calibration.h"

#include "Lapack.h"
#include "effc/Dialect/EffcOps.h"
#include "effc/Support/Npy.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

using namespace mlir;
using namespace mlir::effc;

bool mlir::effc::isQuantizableOp(Operation *op) {
  // Their inputs are float (ODS), so their activations can be observed.
  return isa<LinearOp, Conv2DOp>(op);
}

void mlir::effc::forEachQuantizableOp(
    func::FuncOp func, llvm::function_ref<void(Operation *, StringRef)> fn) {
  llvm::StringMap<int64_t> counters;
  // Static versions made by --effc-specialize share their source's keys,
  // so statistics gathered on the dynamic model apply to each.
  StringRef funcName = func.getSymName();
  if (auto from = func->getAttrOfType<StringAttr>(
          EffcDialect::kSpecializedFromAttrName))
    funcName = from.getValue();
  func.walk([&](Operation *op) {
    if (!isQuantizableOp(op))
      return;
    StringRef kind = op->getName().stripDialect();
    int64_t index = counters[kind]++;
    std::string key;
    if (StringAttr name = getOpName(op))
      key = name.str();
    else
      key = llvm::formatv("{0}/{1}#{2}", funcName, kind, index).str();
    fn(op, key);
  });
}

void mlir::effc::forEachQuantizableOp(
    ModuleOp module, llvm::function_ref<void(Operation *, StringRef)> fn) {
  for (auto func : module.getOps<func::FuncOp>())
    forEachQuantizableOp(func, fn);
}

bool mlir::effc::matchesExcludePattern(StringRef pattern, Operation *op,
                                       StringRef key) {
  pattern = pattern.trim();
  if (pattern.empty() || pattern == "first" || pattern == "last")
    return false;
  if (pattern.contains('#'))
    return key == pattern;
  return key.contains(pattern) ||
         StringRef(getOpNameOrLocation(op)).contains(pattern);
}

//===----------------------------------------------------------------------===//
// Observation
//===----------------------------------------------------------------------===//

void ActivationStats::observeRange(const float *data, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    double v = data[i];
    if (std::isnan(v))
      continue;
    if (count == 0) {
      min = max = v;
    } else {
      min = std::min(min, v);
      max = std::max(max, v);
    }
    ++count;
  }
}

void ActivationStats::startHistogram() {
  histMax = std::max(std::fabs(min), std::fabs(max));
  hist.assign(kBins, 0.0);
  rows.clear();
  mean.clear();
  channelMin.clear();
  channelMax.clear();
}

void ActivationStats::observeHistogram(const float *data, int64_t n,
                                       int64_t rowLen) {
  rowLength = rowLen;
  if (mean.empty()) {
    mean.assign(rowLen, 0.0);
    channelMin.assign(rowLen, std::numeric_limits<double>::infinity());
    channelMax.assign(rowLen, -std::numeric_limits<double>::infinity());
  }
  double width = histMax > 0 ? histMax / kBins : 1.0;
  for (int64_t i = 0; i < n; ++i) {
    double v = data[i];
    if (std::isnan(v))
      continue;
    int64_t bin = std::min<int64_t>(kBins - 1, int64_t(std::fabs(v) / width));
    hist[bin] += 1;
    int64_t c = i % rowLen;
    mean[c] += v;
    channelMin[c] = std::min(channelMin[c], v);
    channelMax[c] = std::max(channelMax[c], v);
  }
  // Keep rows spread over the samples: the first rows of each call until
  // the budget is spent.
  int64_t have = numRows();
  int64_t take =
      std::min<int64_t>(n / rowLen, std::max<int64_t>(0, kMaxRows - have));
  take = std::min<int64_t>(take, std::max<int64_t>(1, kMaxRows / 4));
  for (int64_t r = 0; r < take; ++r)
    rows.insert(rows.end(), data + r * rowLen, data + (r + 1) * rowLen);
}

void ActivationStats::observeGram(const float *data, int64_t numRows,
                                  int64_t k) {
  if (gram.empty()) {
    gram.assign(k * k, 0.0);
    gramK = k;
  }
  if (gramK != k)
    return;
  // gram += X^T X with BLAS: x (row-major [numRows, k]) is the column-major
  // X^T, as in obsHessian.
  std::vector<double> x(data, data + numRows * k);
  blasGemm(false, true, k, k, numRows, 1.0, x.data(), k, x.data(), k, 1.0,
           gram.data(), k);
  gramRows += numRows;
}

void ActivationStats::finish() {
  if (count > 0 && rowLength > 0) {
    double rowsSeen = double(count) / double(rowLength);
    for (double &m : mean)
      m /= rowsSeen;
  }
}

//===----------------------------------------------------------------------===//
// JSON
//===----------------------------------------------------------------------===//

static llvm::Error makeError(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message.str());
}

llvm::Error mlir::effc::writeCalibrationStats(StringRef path,
                                              const CalibrationStats &stats) {
  llvm::json::Object ops;
  // Sorted keys: stable files.
  std::vector<std::string> keys;
  for (const auto &it : stats)
    keys.push_back(it.getKey().str());
  llvm::sort(keys);
  for (const std::string &key : keys) {
    const ActivationStats &s = stats.find(key)->second;
    llvm::json::Object o;
    o["min"] = s.min;
    o["max"] = s.max;
    o["count"] = s.count;
    o["hist_max"] = s.histMax;
    o["hist"] = llvm::json::Array(s.hist);
    o["row_length"] = s.rowLength;
    llvm::json::Array rows;
    for (int64_t r = 0; r < s.numRows(); ++r)
      rows.push_back(llvm::json::Array(llvm::ArrayRef<double>(
          s.rows.data() + r * s.rowLength, s.rowLength)));
    o["rows"] = std::move(rows);
    o["mean"] = llvm::json::Array(s.mean);
    if (!s.channelMin.empty()) {
      o["channel_min"] = llvm::json::Array(s.channelMin);
      o["channel_max"] = llvm::json::Array(s.channelMax);
    }
    if (!s.gram.empty()) {
      // Beside the JSON: `<stats>.gram/<i>.npy`, named relative to it.
      std::string dir = (path + ".gram").str();
      if (std::error_code ec = llvm::sys::fs::create_directories(dir))
        return makeError("cannot create '" + dir + "': " + ec.message());
      std::string name = std::to_string(ops.size()) + ".npy";
      NpyArray g(NpyDType::F64, {s.gramK, s.gramK});
      std::memcpy(g.data.data(), s.gram.data(), s.gram.size() * sizeof(double));
      if (llvm::Error e = writeNpy(dir + "/" + name, g))
        return e;
      o["gram"] = (llvm::sys::path::filename(path) + ".gram/" + name).str();
      o["gram_rows"] = s.gramRows;
    }
    ops[key] = std::move(o);
  }
  llvm::json::Object root;
  root["version"] = 1;
  root["bins"] = ActivationStats::kBins;
  root["ops"] = std::move(ops);
  std::error_code ec;
  llvm::raw_fd_ostream os(path, ec, llvm::sys::fs::OF_Text);
  if (ec)
    return makeError("cannot write '" + path + "': " + ec.message());
  os << llvm::formatv("{0}", llvm::json::Value(std::move(root))) << "\n";
  os.close();
  if (os.has_error()) {
    ec = os.error();
    os.clear_error();
    return makeError("cannot write '" + path + "': " + ec.message());
  }
  return llvm::Error::success();
}

static bool readDoubles(const llvm::json::Array *a, std::vector<double> &out) {
  if (!a)
    return false;
  for (const llvm::json::Value &v : *a) {
    std::optional<double> d = v.getAsNumber();
    if (!d)
      return false;
    out.push_back(*d);
  }
  return true;
}

llvm::Expected<CalibrationStats>
mlir::effc::readCalibrationStats(StringRef path) {
  auto buffer = llvm::MemoryBuffer::getFile(path);
  if (!buffer)
    return makeError("cannot read calibration file '" + path +
                     "': " + buffer.getError().message());
  auto json = llvm::json::parse((*buffer)->getBuffer());
  if (!json)
    return makeError("calibration file '" + path +
                     "' is not valid JSON: " + toString(json.takeError()));
  auto bad = [&](const llvm::Twine &what) {
    return makeError("calibration file '" + path + "': " + what);
  };
  const llvm::json::Object *root = json->getAsObject();
  if (!root || root->getInteger("version") != 1)
    return bad("expected an object with \"version\": 1");
  if (root->getInteger("bins") != ActivationStats::kBins)
    return bad("expected \"bins\": " + llvm::Twine(ActivationStats::kBins));
  const llvm::json::Object *ops = root->getObject("ops");
  if (!ops)
    return bad("missing \"ops\"");
  CalibrationStats stats;
  for (const auto &[key, value] : *ops) {
    const llvm::json::Object *o = value.getAsObject();
    ActivationStats s;
    std::optional<double> mn = o ? o->getNumber("min") : std::nullopt;
    std::optional<double> mx = o ? o->getNumber("max") : std::nullopt;
    std::optional<double> hm = o ? o->getNumber("hist_max") : std::nullopt;
    std::optional<int64_t> cnt = o ? o->getInteger("count") : std::nullopt;
    std::optional<int64_t> rl = o ? o->getInteger("row_length") : std::nullopt;
    if (!mn || !mx || !hm || !cnt || !rl || *mn > *mx || *rl < 0)
      return bad("op '" + key.str() +
                 "' needs numbers min <= max, hist_max, count, row_length");
    s.min = *mn;
    s.max = *mx;
    s.histMax = *hm;
    s.count = *cnt;
    s.rowLength = *rl;
    if (!readDoubles(o->getArray("hist"), s.hist) ||
        s.hist.size() != size_t(ActivationStats::kBins))
      return bad("op '" + key.str() + "' needs a \"hist\" of " +
                 llvm::Twine(ActivationStats::kBins) + " counts");
    if (const llvm::json::Array *rows = o->getArray("rows")) {
      for (const llvm::json::Value &row : *rows) {
        std::vector<double> r;
        if (!readDoubles(row.getAsArray(), r) ||
            int64_t(r.size()) != s.rowLength)
          return bad("op '" + key.str() + "': every row must have " +
                     llvm::Twine(s.rowLength) + " numbers");
        s.rows.insert(s.rows.end(), r.begin(), r.end());
      }
    }
    if (o->getArray("mean") && (!readDoubles(o->getArray("mean"), s.mean) ||
                                int64_t(s.mean.size()) != s.rowLength))
      return bad("op '" + key.str() + "': \"mean\" must have " +
                 llvm::Twine(s.rowLength) + " numbers");
    for (auto [name, vec] : {std::make_pair("channel_min", &s.channelMin),
                             std::make_pair("channel_max", &s.channelMax)})
      if (o->getArray(name) && (!readDoubles(o->getArray(name), *vec) ||
                                int64_t(vec->size()) != s.rowLength))
        return bad("op '" + key.str() + "': \"" + name + "\" must have " +
                   llvm::Twine(s.rowLength) + " numbers");
    if (std::optional<StringRef> gram = o->getString("gram")) {
      SmallString<256> full(llvm::sys::path::parent_path(path));
      llvm::sys::path::append(full, *gram);
      s.gramPath = full.str().str();
      s.gramRows = o->getInteger("gram_rows").value_or(0);
    }
    stats[key] = std::move(s);
  }
  return stats;
}

llvm::Expected<std::vector<double>>
mlir::effc::readGram(const ActivationStats &stats) {
  if (stats.gramPath.empty())
    return makeError("no Gram matrix was recorded for this op");
  llvm::Expected<NpyArray> g = readNpy(stats.gramPath);
  if (!g)
    return g.takeError();
  if (g->shape.size() != 2 || g->shape[0] != g->shape[1])
    return makeError("'" + stats.gramPath + "' is not a square matrix");
  std::vector<double> out(g->getNumElements());
  for (int64_t i = 0, e = out.size(); i < e; ++i)
    out[i] = g->getAsDouble(i);
  return out;
}

//===----------------------------------------------------------------------===//
// Range selection
//===----------------------------------------------------------------------===//

/// The |x| clip at which `fraction` of the observed values lie below.
static double percentileClip(const ActivationStats &s, double fraction) {
  double total = 0;
  for (double c : s.hist)
    total += c;
  double width = s.histMax / ActivationStats::kBins, cum = 0;
  for (int i = 0; i < ActivationStats::kBins; ++i) {
    cum += s.hist[i];
    if (cum >= fraction * total)
      return (i + 1) * width;
  }
  return s.histMax;
}

/// The clip minimizing the expected squared error of an 8-bit quantizer
/// over the |x| histogram: clipping error above the clip, uniform rounding
/// noise (step^2 / 12) below it.
static double mseClip(const ActivationStats &s) {
  const int bins = ActivationStats::kBins;
  double width = s.histMax / bins;
  double best = s.histMax, bestErr = std::numeric_limits<double>::infinity();
  for (int t = 16; t <= bins; t += 8) {
    double clip = t * width;
    double step = 2 * clip / 255.0;
    double err = 0;
    for (int i = 0; i < bins; ++i) {
      if (s.hist[i] == 0)
        continue;
      double v = (i + 0.5) * width;
      err +=
          s.hist[i] * (v > clip ? (v - clip) * (v - clip) : step * step / 12.0);
    }
    if (err < bestErr) {
      bestErr = err;
      best = clip;
    }
  }
  return best;
}

/// TensorRT's entropy calibration: the clip whose 128-level quantized
/// distribution has the smallest KL divergence from the clipped one.
static double entropyClip(const ActivationStats &s) {
  const int bins = ActivationStats::kBins, levels = 128;
  double width = s.histMax / bins;
  std::vector<double> suffix(bins + 1, 0.0);
  for (int i = bins - 1; i >= 0; --i)
    suffix[i] = suffix[i + 1] + s.hist[i];
  double bestKl = std::numeric_limits<double>::infinity();
  int bestI = bins;
  std::vector<double> p, q;
  for (int i = levels; i <= bins; ++i) {
    p.assign(s.hist.begin(), s.hist.begin() + i);
    p[i - 1] += suffix[i]; // outliers fold into the last bin
    q.assign(i, 0.0);
    double chunk = double(i) / levels;
    for (int j = 0; j < levels; ++j) {
      int start = int(j * chunk),
          end = j + 1 == levels ? i : int((j + 1) * chunk);
      double total = 0;
      int nonzero = 0;
      for (int b = start; b < end; ++b) {
        total += s.hist[b];
        nonzero += s.hist[b] != 0;
      }
      for (int b = start; b < end; ++b)
        q[b] = s.hist[b] != 0 ? total / nonzero : 0.0;
    }
    double ps = 0, qs = 0;
    for (int b = 0; b < i; ++b) {
      ps += p[b];
      qs += q[b];
    }
    if (ps == 0 || qs == 0)
      continue;
    double kl = 0;
    for (int b = 0; b < i; ++b) {
      if (p[b] == 0)
        continue;
      double pb = p[b] / ps, qb = q[b] / qs;
      kl += pb * std::log(pb / (qb > 0 ? qb : 1e-12));
    }
    if (kl < bestKl) {
      bestKl = kl;
      bestI = i;
    }
  }
  return (bestI + 0.5) * width;
}

std::pair<double, double> mlir::effc::chooseRange(const ActivationStats &s,
                                                  RangeMethod method,
                                                  double percentile) {
  if (method == RangeMethod::minmax || s.histMax <= 0 || s.hist.empty())
    return {s.min, s.max};
  double clip = method == RangeMethod::percentile
                    ? percentileClip(s, percentile / 100.0)
                : method == RangeMethod::mse ? mseClip(s)
                                             : entropyClip(s);
  return {std::max(s.min, -clip), std::min(s.max, clip)};
}

//===- Calibrate.cpp - activation statistics from samples -------*- C++ -*-===//

#include "effc/Runtime/Calibrate.h"

#include "effc/Dialect/EffcOps.h"
#include "effc/Transforms/Calibration.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/Pass/PassManager.h"

#include <cstring>

using namespace mlir;
using namespace mlir::effc;

char CalibrationError::ID = 0;

void CalibrationError::log(llvm::raw_ostream &os) const { os << message; }

std::error_code CalibrationError::convertToErrorCode() const {
  return llvm::inconvertibleErrorCode();
}

static llvm::Error calibrationError(const llvm::Twine &message) {
  return llvm::make_error<CalibrationError>(message.str());
}

static std::string typeToString(Type type) {
  std::string result;
  llvm::raw_string_ostream os(result);
  type.print(os);
  return result;
}

llvm::Expected<std::vector<CalibrationSample>>
mlir::effc::readCalibrationSamples(ArrayRef<std::string> paths,
                                   const EntrySignature &signature,
                                   StringRef entry) {
  unsigned numArgs = signature.inputs.size();
  SmallVector<NpyArray> arrays;
  SmallVector<std::string> names;
  for (const std::string &path : paths) {
    if (StringRef(path).ends_with(".npz")) {
      auto entries = readNpz(path);
      if (!entries)
        return calibrationError(toString(entries.takeError()));
      for (auto &[name, array] : *entries) {
        names.push_back(path + ":" + name);
        arrays.push_back(std::move(array));
      }
      continue;
    }
    llvm::Expected<NpyArray> array = readNpy(path);
    if (!array)
      return calibrationError(toString(array.takeError()));
    names.push_back(path);
    arrays.push_back(std::move(*array));
  }
  if (numArgs == 0 || arrays.size() % numArgs != 0)
    return calibrationError("@" + entry + " takes " + llvm::Twine(numArgs) +
                            " argument(s); got " + llvm::Twine(arrays.size()) +
                            " array(s), which is not a whole number of "
                            "samples");
  std::vector<CalibrationSample> samples;
  for (size_t g = 0; g < arrays.size(); g += numArgs) {
    int64_t count = -1;
    for (unsigned a = 0; a < numArgs; ++a) {
      const NpyArray &array = arrays[g + a];
      const TensorSpec &spec = signature.inputs[a];
      ArrayRef<int64_t> shape(array.shape);
      // A dynamic dim of the signature matches any size (each sample of a
      // dynamic model may have its own batch and sequence length).
      auto matches = [&](ArrayRef<int64_t> got) {
        if (got.size() != spec.shape.size())
          return false;
        for (auto [g, want] : llvm::zip(got, spec.shape))
          if (!ShapedType::isDynamic(want) && g != want)
            return false;
        return true;
      };
      int64_t s = 0;
      if (matches(shape))
        s = 1;
      else if (shape.size() == spec.shape.size() + 1 &&
               matches(shape.drop_front()))
        s = shape.front();
      if (s == 0 || !isNpyDTypeCompatible(array.dtype, spec.elementType))
        return calibrationError(
            "'" + names[g + a] + "' holds a " + array.getTypeString() +
            " array, but argument #" + llvm::Twine(a) + " of @" + entry +
            " is " + typeToString(spec.type) +
            " (samples may be stacked along a new leading dim)");
      if (count >= 0 && s != count)
        return calibrationError(
            "the arrays of one sample group hold different numbers of "
            "samples (" +
            llvm::Twine(count) + " and " + llvm::Twine(s) + ")");
      count = s;
    }
    for (int64_t i = 0; i < count; ++i) {
      CalibrationSample sample;
      for (unsigned a = 0; a < numArgs; ++a) {
        const TensorSpec &spec = signature.inputs[a];
        ArrayRef<int64_t> shape(arrays[g + a].shape);
        if (shape.size() > spec.shape.size())
          shape = shape.drop_front();
        NpyArray one(spec.dtype, SmallVector<int64_t>(shape));
        size_t bytes = one.data.size();
        std::memcpy(one.data.data(), arrays[g + a].data.data() + i * bytes,
                    bytes);
        sample.push_back(std::move(one));
      }
      samples.push_back(std::move(sample));
    }
  }
  return samples;
}

namespace {
/// What the im2col of a convolution's input needs.
struct ConvGeometry {
  int64_t kh = 1, kw = 1, groups = 1, oh = 0, ow = 0;
  int64_t strides[2] = {1, 1}, dilations[2] = {1, 1}, padding[4] = {0, 0, 0, 0};
};
} // namespace

/// The [N * OH * OW, KH * KW * C] patches of an NHWC input, in the order of
/// an OHWI weight's row (kh, kw, c); padding reads zeros.
static void im2col(const ConvGeometry &g, ArrayRef<int64_t> shape,
                   const std::vector<float> &x, std::vector<float> &out) {
  int64_t n = shape[0], h = shape[1], w = shape[2], c = shape[3];
  int64_t k = g.kh * g.kw * c;
  out.assign(n * g.oh * g.ow * k, 0.0f);
  float *p = out.data();
  for (int64_t b = 0; b < n; ++b)
    for (int64_t oy = 0; oy < g.oh; ++oy)
      for (int64_t ox = 0; ox < g.ow; ++ox, p += k)
        for (int64_t ky = 0; ky < g.kh; ++ky) {
          int64_t iy = oy * g.strides[0] + ky * g.dilations[0] - g.padding[0];
          if (iy < 0 || iy >= h)
            continue;
          for (int64_t kx = 0; kx < g.kw; ++kx) {
            int64_t ix = ox * g.strides[1] + kx * g.dilations[1] - g.padding[2];
            if (ix < 0 || ix >= w)
              continue;
            std::memcpy(p + (ky * g.kw + kx) * c,
                        &x[((b * h + iy) * w + ix) * c], c * sizeof(float));
          }
        }
}

/// The entry with a body, or an error.
static llvm::Expected<func::FuncOp> lookupEntry(ModuleOp module,
                                                StringRef entry) {
  auto func = module.lookupSymbol<func::FuncOp>(entry);
  if (!func || func.isExternal())
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "no function @" + entry +
                                       " with a body to calibrate");
  return func;
}

static llvm::Error unsupportedSignature(StringRef entry) {
  return llvm::createStringError(
      llvm::inconvertibleErrorCode(),
      "@" + entry + " takes or returns values the JIT cannot pass");
}

llvm::Expected<CalibrationSummary>
mlir::effc::calibrate(ModuleOp module, StringRef entry,
                      ArrayRef<CalibrationSample> samples, StringRef statsPath,
                      const JitOptions &options) {
  llvm::Expected<func::FuncOp> func = lookupEntry(module, entry);
  if (!func)
    return func.takeError();
  SmallVector<std::string> keys;
  SmallVector<Value> observed;
  SmallVector<std::optional<ConvGeometry>> convs;
  forEachQuantizableOp(*func, [&](Operation *op, StringRef key) {
    keys.push_back(key.str());
    observed.push_back(cast<WeightedOpInterface>(op).getInput());
    convs.push_back(std::nullopt);
    if (auto conv = dyn_cast<Conv2DOp>(op)) {
      auto wTy = cast<RankedTensorType>(conv.getWeight().getType());
      ConvGeometry g;
      g.kh = wTy.getDimSize(1);
      g.kw = wTy.getDimSize(2);
      g.groups = conv.getGroups();
      llvm::copy(conv.getStrides(), g.strides);
      llvm::copy(conv.getDilations(), g.dilations);
      llvm::copy(conv.getPadding(), g.padding);
      auto outTy = cast<RankedTensorType>(conv.getType());
      g.oh = outTy.getDimSize(1);
      g.ow = outTy.getDimSize(2);
      convs.back() = g;
    }
  });
  if (keys.empty())
    return calibrationError(
        "@" + entry +
        " has no effc.linear or effc.conv2d with a float input to observe "
        "(raise the model first, e.g. --pipeline effc-raise)");
  for (auto [key, value] : llvm::zip(keys, observed)) {
    auto type = dyn_cast<RankedTensorType>(value.getType());
    // Dynamic leading dims (batch, sequence) are fine: every statistic is
    // per value or per row of the last dim.
    if (!type || type.getRank() == 0 || type.isDynamicDim(type.getRank() - 1) ||
        !type.getElementType().isF32())
      return calibrationError("the input of '" + key +
                              "' must be an f32 tensor with a static last "
                              "dim");
  }

  // Return the observed values after the entry's own results.
  auto ret = cast<func::ReturnOp>(func->getBody().back().getTerminator());
  unsigned numResults = ret.getNumOperands();
  ret->insertOperands(numResults, observed);
  SmallVector<Type> resultTypes(ret.getOperandTypes());
  func->setFunctionType(FunctionType::get(
      module.getContext(), func->getFunctionType().getInputs(), resultTypes));
  FailureOr<EntrySignature> signature =
      getEntrySignature(*func, /*allowDynamic=*/true);
  if (failed(signature))
    return unsupportedSignature(entry);

  JitOptions cpuOptions = options;
  cpuOptions.target = JitTarget::Cpu;
  exposeEntry(module, entry);
  PassManager pm(module.getContext(), ModuleOp::getOperationName());
  if (options.configurePassManager)
    options.configurePassManager(pm);
  buildJitPipeline(pm, cpuOptions);
  if (failed(pm.run(module)))
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "lowering " + options.moduleName +
                                       " for calibration failed");
  llvm::Expected<std::unique_ptr<JitRunner>> runner =
      JitRunner::createLowered(module, entry, *signature, cpuOptions);
  if (!runner)
    return runner.takeError();

  CalibrationStats stats;
  for (const std::string &key : keys)
    stats[key];
  std::vector<float> values, patches;
  auto visit = [&](bool histogram) -> llvm::Error {
    SmallVector<NpyArray> results;
    for (const CalibrationSample &sample : samples) {
      if (llvm::Error error = (*runner)->run(sample, &results))
        return error;
      for (auto [j, key] : llvm::enumerate(keys)) {
        const NpyArray &a = results[numResults + j];
        values.resize(a.getNumElements());
        for (int64_t i = 0, e = a.getNumElements(); i < e; ++i)
          values[i] = float(a.getAsDouble(i));
        ActivationStats &s = stats[key];
        if (!histogram) {
          s.observeRange(values.data(), values.size());
          continue;
        }
        s.observeHistogram(values.data(), values.size(), a.shape.back());
        // The Hessian of the op's reduction rows, for OBS compensation.
        if (!convs[j]) {
          s.observeGram(values.data(), values.size() / a.shape.back(),
                        a.shape.back());
        } else if (convs[j]->groups == 1 && a.shape.size() == 4) {
          im2col(*convs[j], a.shape, values, patches);
          int64_t k = convs[j]->kh * convs[j]->kw * a.shape[3];
          s.observeGram(patches.data(), patches.size() / k, k);
        }
      }
    }
    return llvm::Error::success();
  };
  if (llvm::Error error = visit(/*histogram=*/false))
    return std::move(error);
  for (auto &it : stats)
    it.second.startHistogram();
  if (llvm::Error error = visit(/*histogram=*/true))
    return std::move(error);
  for (auto &it : stats)
    it.second.finish();
  if (llvm::Error error = writeCalibrationStats(statsPath, stats))
    return std::move(error);
  return CalibrationSummary{keys.size(), samples.size()};
}

llvm::Expected<CalibrationSummary>
mlir::effc::calibrate(ModuleOp module, StringRef entry,
                      ArrayRef<std::string> samplePaths, StringRef statsPath,
                      const JitOptions &options) {
  llvm::Expected<func::FuncOp> func = lookupEntry(module, entry);
  if (!func)
    return func.takeError();
  FailureOr<EntrySignature> signature =
      getEntrySignature(*func, /*allowDynamic=*/true);
  if (failed(signature))
    return unsupportedSignature(entry);
  llvm::Expected<std::vector<CalibrationSample>> samples =
      readCalibrationSamples(samplePaths, *signature, entry);
  if (!samples)
    return samples.takeError();
  return calibrate(module, entry, *samples, statsPath, options);
}

//===- PassOptions.h - typed values of effc pass options --------*- C++ -*-===//
//
// Enums for the pass and pipeline options whose values no dialect enum
// spells (an `auto` or `none` next to the ODS cases, or a choice that is
// not an attribute), and the `cl::values` lists that a pass and the
// pipeline repeating its option share, so that both accept the same words.
//
//===----------------------------------------------------------------------===//

#ifndef EFFC_TRANSFORMS_PASSOPTIONS_H
#define EFFC_TRANSFORMS_PASSOPTIONS_H

#include "effc/Dialect/EffcAttrs.h"
#include "effc/Transforms/Calibration.h"
#include "effc/Transforms/Sparsify.h"

#include "llvm/Support/CommandLine.h"

#include <cstdint>
#include <optional>

namespace mlir {
namespace effc {

/// `weights=` / `activations=`: a Precision, or `auto` (chosen per op under
/// `budget-bits`). The fixed cases carry Precision's values.
enum class PrecisionOption : uint32_t {
  f32 = static_cast<uint32_t>(Precision::f32),
  bf16 = static_cast<uint32_t>(Precision::bf16),
  f16 = static_cast<uint32_t>(Precision::f16),
  f8e4m3 = static_cast<uint32_t>(Precision::f8e4m3),
  i8 = static_cast<uint32_t>(Precision::i8),
  i4 = static_cast<uint32_t>(Precision::i4),
  automatic = ~0u,
};

/// The precision `p` fixes; nullopt for `auto`.
inline std::optional<Precision> getPrecision(PrecisionOption p) {
  if (p == PrecisionOption::automatic)
    return std::nullopt;
  return static_cast<Precision>(p);
}

/// `method=` of --effc-compress: a PruneMethod, or `none` (no pruning).
enum class PruneMethodOption : uint32_t {
  magnitude = static_cast<uint32_t>(PruneMethod::magnitude),
  nm = static_cast<uint32_t>(PruneMethod::nm),
  block = static_cast<uint32_t>(PruneMethod::block),
  channel = static_cast<uint32_t>(PruneMethod::channel),
  head = static_cast<uint32_t>(PruneMethod::head),
  none = ~0u,
};

/// The pruning `m` asks for; nullopt for `none`.
inline std::optional<PruneMethod> getPruneMethod(PruneMethodOption m) {
  if (m == PruneMethodOption::none)
    return std::nullopt;
  return static_cast<PruneMethod>(m);
}

/// `compress=` of --effc-prune and --effc-compress.
enum class PruneCompress { automatic, always, never };

/// `criterion=` of --effc-prune: the norm that scores blocks, channels and
/// heads.
enum class PruneCriterion { l1, l2 };

/// `scope=` of --effc-prune: where magnitude / block units are ranked.
enum class PruneScope { tensor, global };

/// `format=` of --effc-sparsify: one SparseFormat, or `auto` (all).
enum class SparseFormatOption : uint32_t {
  csr = static_cast<uint32_t>(SparseFormat::csr),
  bsr = static_cast<uint32_t>(SparseFormat::bsr),
  nm = static_cast<uint32_t>(SparseFormat::nm),
  automatic = ~0u,
};

/// The format `f` restricts to; nullopt for `auto`.
inline std::optional<SparseFormat> getSparseFormat(SparseFormatOption f) {
  if (f == SparseFormatOption::automatic)
    return std::nullopt;
  return static_cast<SparseFormat>(f);
}

/// `variant=` of --effc-rewrite-attention.
enum class AttentionVariant { flash, causal, window };

//===----------------------------------------------------------------------===//
// Values shared by a pass and a pipeline
//===----------------------------------------------------------------------===//

inline llvm::cl::ValuesClass precisionOptionValues() {
  return llvm::cl::values(
      clEnumValN(PrecisionOption::f32, "f32", "32-bit float"),
      clEnumValN(PrecisionOption::bf16, "bf16", "bfloat16"),
      clEnumValN(PrecisionOption::f16, "f16", "IEEE half"),
      clEnumValN(PrecisionOption::f8e4m3, "f8e4m3", "fp8 e4m3"),
      clEnumValN(PrecisionOption::i8, "i8", "8-bit integer"),
      clEnumValN(PrecisionOption::i4, "i4", "4-bit integer"),
      clEnumValN(PrecisionOption::automatic, "auto",
                 "chosen per op under budget-bits"));
}

inline llvm::cl::ValuesClass granularityValues() {
  return llvm::cl::values(
      clEnumValN(Granularity::tensor, "tensor", "one scale per tensor"),
      clEnumValN(Granularity::channel, "channel",
                 "one scale per output channel"),
      clEnumValN(Granularity::group, "group",
                 "one scale per group-size weights along K"),
      clEnumValN(Granularity::block, "block",
                 "one scale per group-size x group-size block"));
}

inline llvm::cl::ValuesClass rangeMethodValues() {
  return llvm::cl::values(
      clEnumValN(RangeMethod::minmax, "minmax", "observed min and max"),
      clEnumValN(RangeMethod::percentile, "percentile",
                 "the percentile of |x|"),
      clEnumValN(RangeMethod::mse, "mse", "least quantization error"),
      clEnumValN(RangeMethod::entropy, "entropy", "least KL divergence"));
}

inline llvm::cl::ValuesClass pruneCompressValues() {
  return llvm::cl::values(
      clEnumValN(PruneCompress::automatic, "auto",
                 "when the cost model says it pays"),
      clEnumValN(PruneCompress::always, "always", "whenever a layout fits"),
      clEnumValN(PruneCompress::never, "never", "keep the weights dense"));
}

} // namespace effc
} // namespace mlir

#endif // EFFC_TRANSFORMS_PASSOPTIONS_H

//===- WeightData.h - raw constant weight buffers ---------------*- C++ -*-===//
//
// Reading and writing constant weights as raw bytes (dense and
// dense_resource, splats expanded), and converting f64/f32/f16/bf16 bit
// patterns to and from double without APFloat. Shared by the passes that
// rewrite weights (prune, low-rank).
//
//===----------------------------------------------------------------------===//

#ifndef EFFC_SUPPORT_WEIGHTDATA_H
#define EFFC_SUPPORT_WEIGHTDATA_H

#include "effc/Support/FloatBits.h"

#include "mlir/IR/Attributes.h"
#include "mlir/IR/Types.h"
#include "mlir/IR/Value.h"
#include "mlir/Support/LLVM.h"

#include <cstdint>

#include <optional>
#include <string>
#include <vector>

namespace mlir {
namespace effc {

/// The weight's raw bytes (dense or dense_resource), splats expanded; empty
/// when the data is not available.
std::vector<char> getRawBytes(Attribute attr, int64_t numElements,
                              unsigned bytes);

/// Rewrites every statically shaped dense_resource constant of byte-sized
/// integers or floats under `root` as a dense constant (elided blobs stay),
/// so weights fold and are prepared at compile time as literals are:
/// torch-mlir and the ONNX importer write weights as resources.
void materializeResourceConstants(Operation *root);

/// The values of a statically shaped constant f64 / f32 / f16 / bf16
/// weight, widened to double in row-major order; nullopt when `weight` is
/// not such a constant or its data is not available.
std::optional<std::vector<double>> getConstantFloatValues(Value weight);

/// The raw values widened to double (exact for every supported format).
std::vector<double> toDouble(ArrayRef<char> raw, const FloatFormat &f);

/// Doubles narrowed to the format's raw bytes (round to nearest even).
std::vector<char> fromDouble(ArrayRef<double> values, const FloatFormat &f);

/// printf-style formatting of one number, for diagnostics and reports.
std::string formatNumber(const char *spec, double value);

} // namespace effc
} // namespace mlir

#endif // EFFC_SUPPORT_WEIGHTDATA_H

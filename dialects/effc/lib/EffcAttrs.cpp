//===- EffcAttrs.cpp - effc enums and attributes ----------------*- C++ -*-===//

#include "effc/Dialect/EffcAttrs.h"
#include "effc/Dialect/EffcDialect.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace mlir::effc;

#include "effc/Dialect/EffcEnums.cpp.inc"

#define GET_ATTRDEF_CLASSES
#include "effc/Dialect/EffcAttrs.cpp.inc"

void EffcDialect::registerAttributes() {
  addAttributes<
#define GET_ATTRDEF_LIST
#include "effc/Dialect/EffcAttrs.cpp.inc"
      >();
}

LogicalResult
SparseEncodingAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                           SparseFormat format, int64_t n, int64_t m,
                           int64_t blockRows, int64_t blockCols) {
  bool hasNM = n != 0 || m != 0;
  bool hasBlock = blockRows != 0 || blockCols != 0;
  switch (format) {
  case SparseFormat::csr:
    if (hasNM || hasBlock)
      return emitError() << "csr takes no n, m or block sizes";
    return success();
  case SparseFormat::bsr:
    if (hasNM)
      return emitError() << "bsr takes no n or m";
    if (blockRows <= 0 || blockCols <= 0)
      return emitError() << "bsr needs positive block_rows and block_cols";
    return success();
  case SparseFormat::nm:
    if (hasBlock)
      return emitError() << "nm takes no block sizes";
    if (n <= 0 || m <= 0 || n >= m)
      return emitError() << "nm needs 0 < n < m, got n = " << n
                         << ", m = " << m;
    return success();
  }
  llvm_unreachable("unknown sparse format");
}

LogicalResult
PrecisionPlanAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                          Precision weights, Precision activations,
                          Granularity granularity, int64_t groupSize,
                          FloatAttr inputMin, FloatAttr inputMax,
                          FloatAttr sqnr) {
  if (bool(inputMin) != bool(inputMax))
    return emitError() << "input_min and input_max go together";
  if (inputMin && inputMin.getValueAsDouble() > inputMax.getValueAsDouble())
    return emitError() << "input_min must not exceed input_max";
  bool grouped =
      granularity == Granularity::group || granularity == Granularity::block;
  if (grouped && groupSize <= 0)
    return emitError() << "granularity '" << stringifyGranularity(granularity)
                       << "' needs a positive group_size";
  if (!grouped && groupSize != 0)
    return emitError() << "group_size is only meaningful with granularity "
                          "'group' or 'block'";
  return success();
}

LogicalResult
SparsityPlanAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                         PruneMethod method, FloatAttr sparsity, int64_t n,
                         int64_t m, int64_t blockRows, int64_t blockCols) {
  if (!sparsity)
    return emitError() << "sparsity must be a float";
  double s = sparsity.getValueAsDouble();
  if (!(s >= 0.0 && s <= 1.0))
    return emitError() << "sparsity must be in [0, 1], got " << s;
  if (method == PruneMethod::nm) {
    if (n <= 0 || m <= 0 || n >= m)
      return emitError() << "nm needs 0 < n < m, got n = " << n
                         << ", m = " << m;
  } else if (n != 0 || m != 0) {
    return emitError() << "n and m are only meaningful with method 'nm'";
  }
  if (method == PruneMethod::block) {
    if (blockRows <= 0 || blockCols <= 0)
      return emitError() << "block needs positive block_rows and block_cols";
  } else if (blockRows != 0 || blockCols != 0) {
    return emitError() << "block sizes are only meaningful with method 'block'";
  }
  return success();
}

//===----------------------------------------------------------------------===//
// Packed N:M positions
//===----------------------------------------------------------------------===//

std::vector<int16_t> mlir::effc::packNMPositions(ArrayRef<int8_t> positions,
                                                 int64_t rows,
                                                 int64_t perRow) {
  int64_t words = getPackedNMWords(perRow);
  std::vector<uint16_t> out(rows * words, 0);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t j = 0; j < perRow; ++j)
      out[r * words + j / 8] |=
          static_cast<uint16_t>((positions[r * perRow + j] & 3) << (2 * (j % 8)));
  return std::vector<int16_t>(out.begin(), out.end());
}

std::vector<int8_t> mlir::effc::unpackNMPositions(ArrayRef<int16_t> words,
                                                  int64_t rows,
                                                  int64_t perRow) {
  int64_t perWord = getPackedNMWords(perRow);
  std::vector<int8_t> out(rows * perRow);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t j = 0; j < perRow; ++j)
      out[r * perRow + j] = static_cast<int8_t>(
          (static_cast<uint16_t>(words[r * perWord + j / 8]) >> (2 * (j % 8))) &
          3);
  return out;
}

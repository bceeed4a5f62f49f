//===- EffcAttrs.h - effc enums and attributes ------------------*- C++ -*-===//

#ifndef EFFC_DIALECT_EFFCATTRS_H
#define EFFC_DIALECT_EFFCATTRS_H

#include "mlir/IR/Attributes.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectImplementation.h"

#include "effc/Dialect/EffcEnums.h.inc"

#define GET_ATTRDEF_CLASSES
#include "effc/Dialect/EffcAttrs.h.inc"

#include <cstdint>
#include <vector>

namespace mlir {
namespace effc {

/// The packed 2-bit N:M positions of #effc.sparse_encoding (m <= 4): stored
/// value j of a row is bits [2 (j % 8), 2 (j % 8) + 2) of i16 word j / 8 of
/// that row. For 2:4 this is the metadata sparse tensor cores read.
/// Words per row for `perRow` stored values.
inline int64_t getPackedNMWords(int64_t perRow) { return (perRow + 7) / 8; }
/// Positions [rows, perRow] (each < 4) -> words [rows, getPackedNMWords].
std::vector<int16_t> packNMPositions(llvm::ArrayRef<int8_t> positions,
                                     int64_t rows, int64_t perRow);
/// Words [rows, getPackedNMWords] -> positions [rows, perRow].
std::vector<int8_t> unpackNMPositions(llvm::ArrayRef<int16_t> words,
                                      int64_t rows, int64_t perRow);

} // namespace effc
} // namespace mlir

#endif // EFFC_DIALECT_EFFCATTRS_H

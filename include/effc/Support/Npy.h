//===- Npy.h - NumPy .npy files for effc tools ------------------*- C++ -*-===//
//
// Reading and writing NumPy `.npy` arrays (format versions 1.0, 2.0 and 3.0,
// little-endian, C order), and the mapping between `.npy` dtypes and MLIR
// element types that `effc-run` uses for its inputs and outputs.
//
// NumPy has no bfloat16. An MLIR `bf16` tensor is written as raw 16-bit words
// with the descr `<u2`; when a `bf16` tensor is expected, `<u2` and the `<V2`
// that `ml_dtypes.bfloat16` arrays are saved with are both read as bf16 bits.
//
//===----------------------------------------------------------------------===//

#ifndef EFFC_SUPPORT_NPY_H
#define EFFC_SUPPORT_NPY_H

#include "mlir/IR/Types.h"
#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace mlir {
namespace effc {

/// Element types of the arrays effc reads and writes.
enum class NpyDType {
  Bool, // |b1
  I8,   // |i1
  U8,   // |u1
  I16,  // <i2
  U16,  // <u2 (also: bf16 bits, see the file comment)
  I32,  // <i4
  U32,  // <u4
  I64,  // <i8
  U64,  // <u8
  F16,  // <f2
  BF16, // <V2 on reading; written as <u2
  F32,  // <f4
  F64,  // <f8
};

/// Size of one element in bytes.
unsigned getNpyDTypeSize(NpyDType dtype);

/// Short name: "bool", "i8", ..., "bf16", "f32".
llvm::StringRef getNpyDTypeName(NpyDType dtype);

/// The descr written to a header: "|b1", "<f4", ... (bf16 -> "<u2").
llvm::StringRef getNpyDescr(NpyDType dtype);

/// The dtype that holds elements of the MLIR type `type` (f32, f16, bf16,
/// f64, i1, i8/si8, ui8, i16, ui16, i32, ui32, i64, ui64), or none.
std::optional<NpyDType> getNpyDTypeFor(Type type);

/// Whether an array of `dtype` read from a file can feed an MLIR tensor of
/// element type `type`; accepts `<u2` / `<V2` data for `bf16`.
bool isNpyDTypeCompatible(NpyDType dtype, Type type);

/// A dense C-order array with little-endian elements.
struct NpyArray {
  NpyDType dtype = NpyDType::F32;
  llvm::SmallVector<int64_t> shape;
  std::vector<char> data;

  NpyArray() = default;
  /// A zero-filled array.
  NpyArray(NpyDType dtype, llvm::ArrayRef<int64_t> shape);

  int64_t getNumElements() const;
  unsigned getElementSize() const { return getNpyDTypeSize(dtype); }
  size_t getNumBytes() const { return data.size(); }

  /// Element `i` (in C order) converted to double.
  double getAsDouble(int64_t i) const;
  /// "2x3xf32"; rank 0 gives "f32".
  std::string getTypeString() const;
};

/// Parses the contents of a `.npy` file; `name` only appears in errors.
llvm::Expected<NpyArray> parseNpy(llvm::StringRef contents,
                                  llvm::StringRef name);

/// Reads a `.npy` file.
llvm::Expected<NpyArray> readNpy(llvm::StringRef path);

/// Reads the arrays of an uncompressed `.npz` archive (`np.savez`), in
/// archive order, each with its name (without `.npy`).
llvm::Expected<std::vector<std::pair<std::string, NpyArray>>>
readNpz(llvm::StringRef path);

/// Serializes `array` as a `.npy` file (format 1.0, or 2.0 when the header
/// does not fit in 64 KiB).
std::string serializeNpy(const NpyArray &array);

/// Writes `array` to `path`.
llvm::Error writeNpy(llvm::StringRef path, const NpyArray &array);

} // namespace effc
} // namespace mlir

#endif // EFFC_SUPPORT_NPY_H

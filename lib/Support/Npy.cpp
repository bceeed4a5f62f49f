//===- Npy.cpp - NumPy .npy files for effc tools ----------------*- C++ -*-===//
//
// The format is numpy.lib.format's: a 6-byte magic "\x93NUMPY", a major and
// minor version byte, a little-endian header length (2 bytes in 1.0, 4 bytes
// in 2.0 and 3.0), then a Python dict literal with exactly the keys 'descr',
// 'fortran_order' and 'shape', padded with spaces and a newline, then the raw
// data.
//
//===----------------------------------------------------------------------===//

#include "effc/Support/Npy.h"
#include "effc/Support/FloatBits.h"

#include "mlir/IR/BuiltinTypes.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/Endian.h"
#include "llvm/Support/FileOutputBuffer.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/MathExtras.h"
#include "llvm/Support/MemoryBuffer.h"

#include <cmath>
#include <cstring>

using namespace mlir;
using namespace mlir::effc;
using llvm::StringRef;

static constexpr char kMagic[] = "\x93NUMPY";
static constexpr size_t kMagicSize = 6;

//===----------------------------------------------------------------------===//
// dtypes
//===----------------------------------------------------------------------===//

unsigned mlir::effc::getNpyDTypeSize(NpyDType dtype) {
  switch (dtype) {
  case NpyDType::Bool:
  case NpyDType::I8:
  case NpyDType::U8:
    return 1;
  case NpyDType::I16:
  case NpyDType::U16:
  case NpyDType::F16:
  case NpyDType::BF16:
    return 2;
  case NpyDType::I32:
  case NpyDType::U32:
  case NpyDType::F32:
    return 4;
  case NpyDType::I64:
  case NpyDType::U64:
  case NpyDType::F64:
    return 8;
  }
  llvm_unreachable("unknown NpyDType");
}

StringRef mlir::effc::getNpyDTypeName(NpyDType dtype) {
  switch (dtype) {
  case NpyDType::Bool:
    return "bool";
  case NpyDType::I8:
    return "i8";
  case NpyDType::U8:
    return "u8";
  case NpyDType::I16:
    return "i16";
  case NpyDType::U16:
    return "u16";
  case NpyDType::I32:
    return "i32";
  case NpyDType::U32:
    return "u32";
  case NpyDType::I64:
    return "i64";
  case NpyDType::U64:
    return "u64";
  case NpyDType::F16:
    return "f16";
  case NpyDType::BF16:
    return "bf16";
  case NpyDType::F32:
    return "f32";
  case NpyDType::F64:
    return "f64";
  }
  llvm_unreachable("unknown NpyDType");
}

StringRef mlir::effc::getNpyDescr(NpyDType dtype) {
  switch (dtype) {
  case NpyDType::Bool:
    return "|b1";
  case NpyDType::I8:
    return "|i1";
  case NpyDType::U8:
    return "|u1";
  case NpyDType::I16:
    return "<i2";
  case NpyDType::U16:
  case NpyDType::BF16:
    return "<u2";
  case NpyDType::I32:
    return "<i4";
  case NpyDType::U32:
    return "<u4";
  case NpyDType::I64:
    return "<i8";
  case NpyDType::U64:
    return "<u8";
  case NpyDType::F16:
    return "<f2";
  case NpyDType::F32:
    return "<f4";
  case NpyDType::F64:
    return "<f8";
  }
  llvm_unreachable("unknown NpyDType");
}

std::optional<NpyDType> mlir::effc::getNpyDTypeFor(Type type) {
  if (type.isF32())
    return NpyDType::F32;
  if (type.isF16())
    return NpyDType::F16;
  if (type.isBF16())
    return NpyDType::BF16;
  if (type.isF64())
    return NpyDType::F64;
  auto intType = dyn_cast<IntegerType>(type);
  if (!intType)
    return std::nullopt;
  bool isUnsigned = intType.isUnsigned();
  switch (intType.getWidth()) {
  case 1:
    if (intType.isSignless())
      return NpyDType::Bool;
    return std::nullopt;
  case 8:
    return isUnsigned ? NpyDType::U8 : NpyDType::I8;
  case 16:
    return isUnsigned ? NpyDType::U16 : NpyDType::I16;
  case 32:
    return isUnsigned ? NpyDType::U32 : NpyDType::I32;
  case 64:
    return isUnsigned ? NpyDType::U64 : NpyDType::I64;
  default:
    return std::nullopt;
  }
}

bool mlir::effc::isNpyDTypeCompatible(NpyDType dtype, Type type) {
  std::optional<NpyDType> expected = getNpyDTypeFor(type);
  if (!expected)
    return false;
  if (*expected == NpyDType::BF16)
    return dtype == NpyDType::BF16 || dtype == NpyDType::U16;
  return dtype == *expected;
}

//===----------------------------------------------------------------------===//
// NpyArray
//===----------------------------------------------------------------------===//

static std::optional<int64_t> getNumElements(llvm::ArrayRef<int64_t> shape) {
  int64_t numElements = 1;
  for (int64_t dim : shape) {
    if (dim < 0 || llvm::MulOverflow(numElements, dim, numElements))
      return std::nullopt;
  }
  return numElements;
}

NpyArray::NpyArray(NpyDType dtype, llvm::ArrayRef<int64_t> shape)
    : dtype(dtype), shape(shape.begin(), shape.end()) {
  data.assign(static_cast<size_t>(getNumElements()) * getElementSize(), 0);
}

int64_t NpyArray::getNumElements() const {
  return ::getNumElements(shape).value_or(0);
}

template <typename T> static T load(const char *data, int64_t i) {
  T value;
  std::memcpy(&value, data + i * sizeof(T), sizeof(T));
  return value;
}

double NpyArray::getAsDouble(int64_t i) const {
  const char *p = data.data();
  switch (dtype) {
  case NpyDType::Bool:
    return load<uint8_t>(p, i) != 0;
  case NpyDType::I8:
    return load<int8_t>(p, i);
  case NpyDType::U8:
    return load<uint8_t>(p, i);
  case NpyDType::I16:
    return load<int16_t>(p, i);
  case NpyDType::U16:
    return load<uint16_t>(p, i);
  case NpyDType::I32:
    return load<int32_t>(p, i);
  case NpyDType::U32:
    return load<uint32_t>(p, i);
  case NpyDType::I64:
    return static_cast<double>(load<int64_t>(p, i));
  case NpyDType::U64:
    return static_cast<double>(load<uint64_t>(p, i));
  case NpyDType::F16:
    return halfToFloat(load<uint16_t>(p, i));
  case NpyDType::BF16:
    return bf16ToFloat(load<uint16_t>(p, i));
  case NpyDType::F32:
    return load<float>(p, i);
  case NpyDType::F64:
    return load<double>(p, i);
  }
  llvm_unreachable("unknown NpyDType");
}

std::string NpyArray::getTypeString() const {
  std::string result;
  for (int64_t dim : shape)
    result += std::to_string(dim) + "x";
  return result + getNpyDTypeName(dtype).str();
}

//===----------------------------------------------------------------------===//
// Header parsing
//===----------------------------------------------------------------------===//

namespace {
/// A recursive-descent reader of the header's Python dict literal. Only the
/// forms NumPy writes are accepted: string keys, a string descr, a bool, and
/// a tuple of non-negative integers.
class HeaderParser {
public:
  HeaderParser(StringRef text, StringRef name) : text(text), name(name) {}

  llvm::Error parse(NpyDType &dtype, llvm::SmallVectorImpl<int64_t> &shape);

private:
  llvm::Error error(const llvm::Twine &message) {
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   name +
                                       ": malformed .npy header: " + message +
                                       " (header: " + text.rtrim() + ")");
  }
  void skipSpace() { pos = text.find_first_not_of(" \t\r\n", pos); }
  bool atEnd() { return pos >= text.size(); }
  bool consume(char c) {
    skipSpace();
    if (atEnd() || text[pos] != c)
      return false;
    ++pos;
    return true;
  }
  llvm::Error parseString(std::string &result);
  llvm::Error parseBool(bool &result);
  llvm::Error parseShape(llvm::SmallVectorImpl<int64_t> &shape);
  llvm::Error parseDescr(StringRef descr, NpyDType &dtype);

  StringRef text;
  StringRef name;
  size_t pos = 0;
};
} // namespace

llvm::Error HeaderParser::parseString(std::string &result) {
  skipSpace();
  if (atEnd() || (text[pos] != '\'' && text[pos] != '"'))
    return error("expected a string at offset " + llvm::Twine(pos));
  char quote = text[pos++];
  result.clear();
  while (!atEnd() && text[pos] != quote) {
    if (text[pos] == '\\' && pos + 1 < text.size())
      ++pos;
    result += text[pos++];
  }
  if (atEnd())
    return error("unterminated string");
  ++pos;
  return llvm::Error::success();
}

llvm::Error HeaderParser::parseBool(bool &result) {
  skipSpace();
  StringRef rest = text.drop_front(std::min(pos, text.size()));
  if (rest.starts_with("True")) {
    result = true;
    pos += 4;
  } else if (rest.starts_with("False")) {
    result = false;
    pos += 5;
  } else {
    return error("'fortran_order' must be True or False");
  }
  return llvm::Error::success();
}

llvm::Error HeaderParser::parseShape(llvm::SmallVectorImpl<int64_t> &shape) {
  shape.clear();
  if (!consume('('))
    return error("'shape' must be a tuple");
  while (true) {
    if (consume(')'))
      return llvm::Error::success();
    skipSpace();
    size_t start = pos;
    while (!atEnd() && llvm::isDigit(text[pos]))
      ++pos;
    if (start == pos)
      return error("'shape' must hold non-negative integers");
    int64_t dim;
    if (text.slice(start, pos).getAsInteger(10, dim))
      return error("dimension '" + text.slice(start, pos) + "' is too large");
    shape.push_back(dim);
    // Python 2 wrote long integers with an 'L' suffix.
    if (!atEnd() && (text[pos] == 'L' || text[pos] == 'l'))
      ++pos;
    if (consume(','))
      continue;
    if (consume(')'))
      return llvm::Error::success();
    return error("expected ',' or ')' in 'shape'");
  }
}

llvm::Error HeaderParser::parseDescr(StringRef descr, NpyDType &dtype) {
  auto unsupported = [&](const llvm::Twine &why) {
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   name + ": unsupported dtype '" + descr +
                                       "': " + why);
  };
  if (descr.size() < 3)
    return unsupported("expected a byte order, a kind and a size, as '<f4'");
  char order = descr[0];
  char kind = descr[1];
  unsigned size;
  if (descr.drop_front(2).getAsInteger(10, size))
    return unsupported("expected a byte order, a kind and a size, as '<f4'");
  if (order != '<' && order != '>' && order != '|' && order != '=')
    return unsupported("unknown byte order '" + llvm::Twine(order) + "'");
  if (order == '=' && !llvm::sys::IsLittleEndianHost)
    order = '>';
  if (order == '>' && size > 1)
    return unsupported("big-endian data is not supported");
  if (order == '|' && size > 1 && kind != 'V')
    return unsupported("byte order '|' on a multi-byte number");

  struct Entry {
    char kind;
    unsigned size;
    NpyDType dtype;
  };
  static constexpr Entry kTable[] = {
      {'b', 1, NpyDType::Bool}, {'i', 1, NpyDType::I8},
      {'u', 1, NpyDType::U8},   {'i', 2, NpyDType::I16},
      {'u', 2, NpyDType::U16},  {'i', 4, NpyDType::I32},
      {'u', 4, NpyDType::U32},  {'i', 8, NpyDType::I64},
      {'u', 8, NpyDType::U64},  {'f', 2, NpyDType::F16},
      {'f', 4, NpyDType::F32},  {'f', 8, NpyDType::F64},
      {'V', 2, NpyDType::BF16},
  };
  for (const Entry &entry : kTable) {
    if (entry.kind == kind && entry.size == size) {
      dtype = entry.dtype;
      return llvm::Error::success();
    }
  }
  return unsupported("effc reads bool, i8/u8, i16/u16, i32/u32, i64/u64, "
                     "f16, f32, f64, and bf16 as '<u2' or '<V2'");
}

llvm::Error HeaderParser::parse(NpyDType &dtype,
                                llvm::SmallVectorImpl<int64_t> &shape) {
  if (!consume('{'))
    return error("expected a dict");
  bool seenDescr = false, seenOrder = false, seenShape = false;
  std::string descr;
  while (!consume('}')) {
    std::string key;
    if (llvm::Error err = parseString(key))
      return err;
    if (!consume(':'))
      return error("expected ':' after '" + key + "'");
    if (key == "descr") {
      skipSpace();
      if (!atEnd() && text[pos] == '[')
        return llvm::createStringError(
            llvm::inconvertibleErrorCode(),
            name + ": structured dtypes are not supported");
      if (llvm::Error err = parseString(descr))
        return err;
      seenDescr = true;
    } else if (key == "fortran_order") {
      bool fortranOrder = false;
      if (llvm::Error err = parseBool(fortranOrder))
        return err;
      if (fortranOrder)
        return llvm::createStringError(
            llvm::inconvertibleErrorCode(),
            name + ": Fortran-order arrays are not supported; save a "
                   "C-contiguous array (numpy.ascontiguousarray)");
      seenOrder = true;
    } else if (key == "shape") {
      if (llvm::Error err = parseShape(shape))
        return err;
      seenShape = true;
    } else {
      return error("unexpected key '" + key + "'");
    }
    if (consume(','))
      continue;
    if (consume('}'))
      break;
    return error("expected ',' or '}'");
  }
  skipSpace();
  if (!atEnd())
    return error("unexpected text after the dict");
  if (!seenDescr || !seenOrder || !seenShape)
    return error(llvm::Twine("missing key '") +
                 (!seenDescr   ? "descr"
                  : !seenOrder ? "fortran_order"
                               : "shape") +
                 "'");
  return parseDescr(descr, dtype);
}

//===----------------------------------------------------------------------===//
// Reading and writing
//===----------------------------------------------------------------------===//

llvm::Expected<NpyArray> mlir::effc::parseNpy(StringRef contents,
                                              StringRef name) {
  auto fail = [&](const llvm::Twine &message) {
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   name + ": " + message);
  };
  if (contents.size() < kMagicSize ||
      contents.take_front(kMagicSize) != StringRef(kMagic, kMagicSize))
    return fail("not a .npy file (bad magic string)");
  if (contents.size() < kMagicSize + 2)
    return fail("truncated .npy file (no version)");
  unsigned major = static_cast<uint8_t>(contents[kMagicSize]);
  unsigned minor = static_cast<uint8_t>(contents[kMagicSize + 1]);
  if ((major != 1 && major != 2 && major != 3) || minor != 0)
    return fail("unsupported .npy format version " + llvm::Twine(major) + "." +
                llvm::Twine(minor) + " (effc reads 1.0, 2.0 and 3.0)");
  size_t lengthSize = major == 1 ? 2 : 4;
  size_t prefix = kMagicSize + 2 + lengthSize;
  if (contents.size() < prefix)
    return fail("truncated .npy file (no header length)");
  const char *lengthPtr = contents.data() + kMagicSize + 2;
  uint64_t headerLength = major == 1
                              ? llvm::support::endian::read16le(lengthPtr)
                              : llvm::support::endian::read32le(lengthPtr);
  if (contents.size() - prefix < headerLength)
    return fail("truncated .npy file: the header claims " +
                llvm::Twine(headerLength) + " bytes, the file has " +
                llvm::Twine(contents.size() - prefix) + " after the prefix");
  StringRef header = contents.substr(prefix, headerLength);
  if (major < 3 &&
      llvm::any_of(
          header, [](char c) { return static_cast<unsigned char>(c) >= 0x80; }))
    return fail("non-ASCII .npy header in format " + llvm::Twine(major) + ".0");

  NpyArray array;
  if (llvm::Error err =
          HeaderParser(header, name).parse(array.dtype, array.shape))
    return std::move(err);

  std::optional<int64_t> numElements = ::getNumElements(array.shape);
  int64_t numBytes;
  if (!numElements ||
      llvm::MulOverflow(*numElements,
                        static_cast<int64_t>(array.getElementSize()), numBytes))
    return fail("the shape is too large");
  StringRef data = contents.drop_front(prefix + headerLength);
  if (data.size() < static_cast<uint64_t>(numBytes))
    return fail("truncated .npy file: a " + array.getTypeString() +
                " array needs " + llvm::Twine(numBytes) +
                " bytes of data, the file has " + llvm::Twine(data.size()));
  if (data.size() > static_cast<uint64_t>(numBytes))
    return fail(llvm::Twine(data.size() - numBytes) +
                " unexpected bytes after the data of a " +
                array.getTypeString() + " array");
  array.data.assign(data.begin(), data.end());
  return array;
}

llvm::Expected<NpyArray> mlir::effc::readNpy(StringRef path) {
  llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> buffer =
      llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                  /*RequiresNullTerminator=*/false);
  if (std::error_code ec = buffer.getError())
    return llvm::createStringError(ec, "cannot read '" + path +
                                           "': " + ec.message());
  return parseNpy((*buffer)->getBuffer(), path);
}

llvm::Expected<std::vector<std::pair<std::string, NpyArray>>>
mlir::effc::readNpz(StringRef path) {
  llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> buffer =
      llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                  /*RequiresNullTerminator=*/false);
  if (std::error_code ec = buffer.getError())
    return llvm::createStringError(ec, "cannot read '" + path +
                                           "': " + ec.message());
  StringRef zip = (*buffer)->getBuffer();
  auto bad = [&](const llvm::Twine &what) {
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "'" + path + "': " + what);
  };
  auto u16 = [&](size_t at) {
    return uint32_t(uint8_t(zip[at])) | uint32_t(uint8_t(zip[at + 1])) << 8;
  };
  auto u32 = [&](size_t at) { return u16(at) | u16(at + 2) << 16; };
  auto u64 = [&](size_t at) {
    return uint64_t(u32(at)) | uint64_t(u32(at + 4)) << 32;
  };
  std::vector<std::pair<std::string, NpyArray>> arrays;
  size_t pos = 0;
  // Local file entries follow each other until the central directory.
  while (pos + 30 <= zip.size() && u32(pos) == 0x04034b50) {
    uint32_t flags = u16(pos + 6), method = u16(pos + 8);
    uint64_t size = u32(pos + 18);
    uint32_t nameLen = u16(pos + 26), extraLen = u16(pos + 28);
    if (pos + 30 + nameLen + extraLen > zip.size())
      return bad("truncated zip entry");
    std::string name = zip.substr(pos + 30, nameLen).str();
    size_t extra = pos + 30 + nameLen;
    if (size == 0xffffffffu) { // zip64: the sizes are in the extra field
      for (size_t e = extra; e + 4 <= extra + extraLen;) {
        uint32_t id = u16(e), len = u16(e + 2);
        if (id == 1 && len >= 16)
          size = u64(e + 4 + 8 * (u32(pos + 22) == 0xffffffffu ? 1 : 0));
        e += 4 + len;
      }
    }
    if (method != 0)
      return bad("entry '" + name +
                 "' is compressed; write the file with np.savez, not "
                 "np.savez_compressed");
    if (flags & 8)
      return bad("entry '" + name +
                 "' has a trailing data descriptor "
                 "(streamed zip), which is not supported");
    size_t data = extra + extraLen;
    if (data + size > zip.size())
      return bad("truncated data of entry '" + name + "'");
    llvm::Expected<NpyArray> array =
        parseNpy(zip.substr(data, size), (path + ":" + name).str());
    if (!array)
      return array.takeError();
    StringRef stem = name;
    stem.consume_back(".npy");
    arrays.push_back({stem.str(), std::move(*array)});
    pos = data + size;
  }
  if (arrays.empty())
    return bad("not an .npz archive with .npy entries");
  return arrays;
}

std::string mlir::effc::serializeNpy(const NpyArray &array) {
  std::string dict = "{'descr': '" + getNpyDescr(array.dtype).str() +
                     "', 'fortran_order': False, 'shape': (";
  for (int64_t dim : array.shape)
    dict += std::to_string(dim) + ", ";
  if (array.shape.size() > 1)
    dict.resize(dict.size() - 2);
  else if (array.shape.size() == 1)
    dict.resize(dict.size() - 1);
  dict += "), }";

  // NumPy pads the header with spaces and a newline so that the data starts
  // at a multiple of 64 bytes.
  unsigned major = 1;
  size_t prefix = kMagicSize + 2 + 2;
  size_t headerLength = llvm::alignTo(prefix + dict.size() + 1, 64) - prefix;
  if (headerLength > 65535) {
    major = 2;
    prefix = kMagicSize + 2 + 4;
    headerLength = llvm::alignTo(prefix + dict.size() + 1, 64) - prefix;
  }
  dict.append(headerLength - dict.size() - 1, ' ');
  dict += '\n';

  std::string result(kMagic, kMagicSize);
  result += static_cast<char>(major);
  result += '\0';
  char length[4];
  if (major == 1) {
    llvm::support::endian::write16le(length, headerLength);
    result.append(length, 2);
  } else {
    llvm::support::endian::write32le(length, headerLength);
    result.append(length, 4);
  }
  result += dict;
  result.append(array.data.begin(), array.data.end());
  return result;
}

llvm::Error mlir::effc::writeNpy(StringRef path, const NpyArray &array) {
  std::string bytes = serializeNpy(array);
  llvm::Expected<std::unique_ptr<llvm::FileOutputBuffer>> buffer =
      llvm::FileOutputBuffer::create(path, bytes.size());
  if (!buffer)
    return llvm::createStringError(
        llvm::inconvertibleErrorCode(),
        "cannot write '" + path + "': " + llvm::toString(buffer.takeError()));
  std::memcpy((*buffer)->getBufferStart(), bytes.data(), bytes.size());
  if (llvm::Error err = (*buffer)->commit())
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "cannot write '" + path +
                                       "': " + llvm::toString(std::move(err)));
  return llvm::Error::success();
}

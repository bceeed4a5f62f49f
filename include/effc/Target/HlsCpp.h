//===- HlsCpp.h - HLS C++ and C-simulation testbench emission ---*- C++ -*-===//

#ifndef EFFC_TARGET_HLSCPP_H
#define EFFC_TARGET_HLSCPP_H

#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/StringSwitch.h"
#include "llvm/Support/raw_ostream.h"

#include <cctype>
#include <string>

namespace mlir {
namespace effc {

/// Writes Vitis-HLS-style C++ for every `effc.hls.top` function of a module
/// lowered by `--effc-lower-hls` (and optionally `--effc-hls-optimize`).
LogicalResult emitHlsCpp(ModuleOp module, llvm::raw_ostream &os);

/// Writes a C-simulation `main()` for the module's single top function: it
/// reads each input from a `.npy` path on the command line (argument
/// order), calls the top function and writes each result to the `.npy`
/// path given after the inputs.
LogicalResult emitHlsTestbench(ModuleOp module, llvm::raw_ostream &os);

/// Whether `name` cannot be the C++ top function: a C++ keyword or
/// alternative token, `main`, a name the emitted code or its testbench
/// defines, or an identifier the implementation reserves (a double
/// underscore, or an underscore and a capital letter at the start).
inline bool isReservedHlsCppName(llvm::StringRef name) {
  if (name.contains("__") ||
      (name.size() > 1 && name[0] == '_' && name[1] >= 'A' && name[1] <= 'Z'))
    return true;
  return llvm::StringSwitch<bool>(name)
      .Cases(
          {"main",      "alignas",   "alignof",   "and",       "and_eq",
           "asm",       "auto",      "bitand",    "bitor",     "bool",
           "break",     "case",      "catch",     "char",      "char8_t",
           "char16_t",  "char32_t",  "class",     "compl",     "concept",
           "const",     "consteval", "constexpr", "constinit", "const_cast",
           "continue",  "co_await",  "co_return", "co_yield",  "decltype",
           "default",   "delete",    "do",        "double",    "dynamic_cast",
           "else",      "enum",      "explicit",  "export",    "extern",
           "false",     "float",     "for",       "friend",    "goto",
           "if",        "inline",    "int",       "long",      "mutable",
           "namespace", "new",       "noexcept",  "not",       "not_eq"},
          true)
      .Cases({"nullptr",       "operator",    "or",
              "or_eq",         "private",     "protected",
              "public",        "register",    "reinterpret_cast",
              "requires",      "return",      "short",
              "signed",        "sizeof",      "static",
              "static_assert", "static_cast", "struct",
              "switch",        "template",    "this",
              "thread_local",  "throw",       "true",
              "try",           "typedef",     "typeid",
              "typename",      "union",       "unsigned",
              "using",         "virtual",     "void",
              "volatile",      "wchar_t",     "while",
              "xor",           "xor_eq"},
             true)
      // Names of the emitted code, its headers and the testbench.
      .Cases({"data_t", "acc_t", "ap_int", "ap_uint", "ap_fixed", "ap_ufixed",
              "std", "NpyArray", "readNpy", "writeNpy", "npyElement", "half",
              "bfloat16", "fp8e4m3"},
             true)
      .Default(false);
}

/// The C++ name of a top function called `symbol` in MLIR: `symbol` with
/// characters C does not allow replaced by `_` (a `_` before a leading
/// digit), and `_top` appended when that name is reserved (`main` ->
/// `main_top`).
inline std::string hlsCppTopName(llvm::StringRef symbol) {
  std::string out;
  for (char c : symbol)
    out += (std::isalnum(static_cast<unsigned char>(c)) || c == '_') ? c : '_';
  if (out.empty() || std::isdigit(static_cast<unsigned char>(out[0])))
    out = "_" + out;
  while (out.find("__") != std::string::npos)
    out.replace(out.find("__"), 2, "_");
  if (out.size() > 1 && out[0] == '_' && std::isupper(out[1]))
    out = "t" + out;
  if (isReservedHlsCppName(out))
    out += "_top";
  return out;
}

/// Registers `--emit-hls-cpp` and `--emit-hls-testbench`.
void registerHlsCppTranslations();

} // namespace effc
} // namespace mlir

#endif // EFFC_TARGET_HLSCPP_H

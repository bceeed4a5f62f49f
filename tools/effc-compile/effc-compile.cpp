//===- effc-compile.cpp - ahead-of-time compilation to a library -*- C++
//-*-===//
//
//   effc-compile MODEL.mlir -o libmodel.so [--header model.h]
//       [--name model] [--entry main,...] [--pipeline "<passes>"]
//       [--cpu NAME] [--target-features +f,...]
//
// Compiles the model's public functions for a CPU (`--effc-cpu-pipeline`,
// the named CPU kept all the way to the object), with the weights embedded,
// into a shared library (.so), a relocatable object (.o) or a static
// archive (.a), chosen by the output's extension. Every symbol of the model
// is internal but one C function per entry, `effc_<name>_<entry>`, so a
// model whose entry is `@main` links into any program. The C ABI:
//
//   int effc_<name>_init(int num_threads);   // threads (0: all); AMX state
//   int effc_<name>_<entry>(const T *in0, const int64_t *in0_shape, ...,
//                           T *out0, const int64_t *out0_shape, ...);
//   void effc_<name>_teardown(void);          // releases the thread pool
//
// Inputs are read only; outputs are caller-allocated and written; a shape
// argument may be NULL, else it must equal the compiled shape (the call
// returns EFFC_<NAME>_ERROR_SHAPE). The generated header documents each
// entry with its shapes and element types. Shared libraries link the
// OpenMP runtime of LLVM 22 (libomp, with an rpath); objects and archives
// need `-lomp -lm` at the final link.
//
//===----------------------------------------------------------------------===//

#include "effc/Conversion/CPU/CpuTarget.h"
#include "effc/InitAll.h"
#include "effc/Pipelines/Pipelines.h"
#include "effc/Runtime/JitRunner.h"
#include "effc/Target/LLVMIR.h"

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Support/FileUtilities.h"

#include "llvm/ADT/ScopeExit.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/ToolOutputFile.h"

#include <string>

using namespace mlir;
using namespace mlir::effc;
namespace cl = llvm::cl;

static cl::opt<std::string>
    inputFilename(cl::Positional, cl::desc("<input .mlir>"), cl::Required);
static cl::opt<std::string>
    outputFilename("o", cl::desc("Output: lib<name>.so, <name>.o or .a"),
                   cl::value_desc("file"), cl::Required);
static cl::opt<std::string>
    headerFilename("header", cl::desc("Write the C header of the library"),
                   cl::value_desc("file"));
static cl::opt<std::string>
    modelName("name",
              cl::desc("The symbol prefix effc_<name>_ (default: from -o)"));
static cl::list<std::string>
    entries("entry",
            cl::desc("Functions to export (default: every public "
                     "function with a body)"),
            cl::CommaSeparated);
static cl::opt<std::string>
    userPipeline("pipeline", cl::desc("Passes to run first, e.g. "
                                      "\"effc-raise,effc-compress{...}\""));
static cl::opt<std::string>
    cpuName("cpu", cl::desc("CPU to compile for (as -mcpu)"), cl::init("host"));
static cl::opt<std::string>
    targetFeatures("target-features",
                   cl::desc("LLVM target features (+avx512f,...)"));

static int fail(const llvm::Twine &message) {
  llvm::errs() << "effc-compile: error: " << message << "\n";
  return 1;
}

/// The name the library's symbols use: [A-Za-z0-9_], not starting with a
/// digit.
static std::string sanitize(StringRef name) {
  std::string out;
  for (char c : name)
    out.push_back(llvm::isAlnum(c) ? c : '_');
  if (out.empty() || llvm::isDigit(out[0]))
    out.insert(out.begin(), '_');
  return out;
}

/// The default name: the output's stem without a `lib` prefix.
static std::string defaultName(StringRef output) {
  StringRef stem = llvm::sys::path::stem(output);
  stem.consume_front("lib");
  return sanitize(stem);
}

/// The C type of an element type the entry passes, or empty.
static std::string cType(Type t) {
  if (t.isF32())
    return "float";
  if (t.isF64())
    return "double";
  if (t.isF16() || t.isBF16())
    return "uint16_t";
  if (t.isInteger(1))
    return "bool";
  if (t.isInteger(8))
    return t.isUnsignedInteger() ? "uint8_t" : "int8_t";
  if (t.isInteger(16))
    return t.isUnsignedInteger() ? "uint16_t" : "int16_t";
  if (t.isInteger(32))
    return t.isUnsignedInteger() ? "uint32_t" : "int32_t";
  if (t.isInteger(64))
    return t.isUnsignedInteger() ? "uint64_t" : "int64_t";
  return "";
}

static std::string typeName(Type t) {
  std::string s;
  llvm::raw_string_ostream os(s);
  t.print(os);
  return s;
}

static std::string shapeList(ArrayRef<int64_t> shape) {
  return "{" +
         llvm::join(llvm::map_range(
                        shape, [](int64_t d) { return std::to_string(d); }),
                    ", ") +
         "}";
}

struct Entry {
  std::string name;
  EntrySignature signature;
};

/// Parses --pipeline into `pm`: plain pass names or `builtin.module(...)`.
static LogicalResult addUserPipeline(OpPassManager &pm) {
  std::string message;
  llvm::raw_string_ostream errorStream(message);
  StringRef text = StringRef(userPipeline).trim();
  if (text.starts_with("builtin.module(") && text.ends_with(")"))
    text = text.drop_front(strlen("builtin.module(")).drop_back();
  if (succeeded(parsePassPipeline(text, pm, errorStream)))
    return success();
  fail("invalid --pipeline \"" + userPipeline +
       "\": " + StringRef(message).trim());
  return failure();
}

//===----------------------------------------------------------------------===//
// The C wrapper and header
//===----------------------------------------------------------------------===//

/// `Name` upper-cased for macros.
static std::string upper(StringRef s) { return s.upper(); }

static std::string paramName(const Entry &e, bool input, size_t i) {
  (void)e;
  return (input ? "in" : "out") + std::to_string(i);
}

/// The prototype of an entry's C function.
static std::string prototype(StringRef prefix, const Entry &e) {
  std::string s = "int " + prefix.str() + "_" + sanitize(e.name) + "(";
  SmallVector<std::string> params;
  for (auto [i, t] : llvm::enumerate(e.signature.inputs))
    params.push_back("const " + cType(t.elementType) + " *" +
                     paramName(e, true, i) + ", const int64_t *" +
                     paramName(e, true, i) + "_shape");
  for (auto [i, t] : llvm::enumerate(e.signature.results))
    params.push_back(cType(t.elementType) + " *" + paramName(e, false, i) +
                     ", const int64_t *" + paramName(e, false, i) + "_shape");
  if (params.empty())
    params.push_back("void");
  return s + llvm::join(params, ", ") + ")";
}

static std::string makeHeader(StringRef prefix, StringRef macro,
                              ArrayRef<Entry> list, const CpuTarget &target) {
  std::string h;
  llvm::raw_string_ostream os(h);
  std::string guard = macro.str() + "_H";
  os << "/* Generated by effc-compile from " << inputFilename
     << ": do not edit.\n   Compiled for " << target.cpu
     << (target.amxInt8 || target.amxBf16 ? " (AMX)" : "")
     << ". Link with -l<lib> (shared) or the object plus -lomp -lm. */\n"
     << "#ifndef " << guard << "\n#define " << guard << "\n\n"
     << "#include <stdbool.h>\n#include <stdint.h>\n\n"
     << "#ifdef __cplusplus\nextern \"C\" {\n#endif\n\n"
     << "#define " << macro << "_OK 0\n"
     << "/* A shape argument differs from the compiled shape. */\n"
     << "#define " << macro << "_ERROR_SHAPE 1\n"
     << "/* The CPU or the OS does not provide what the code was compiled "
        "for\n   (AMX tile state refused by Linux). */\n"
     << "#define " << macro << "_ERROR_CPU 2\n\n"
     << "/* Call once before the entry points: num_threads > 0 sets the "
        "OpenMP\n   threads the kernels use (0 keeps the default: all "
        "cores); on AMX code\n   it requests the tile state from Linux. "
        "Returns "
     << macro << "_OK or an error. */\n"
     << "int " << prefix << "_init(int num_threads);\n\n"
     << "/* Releases the kernels' thread pool. */\n"
     << "void " << prefix << "_teardown(void);\n\n";
  for (const Entry &e : list) {
    os << "/* @" << e.name << ": inputs are read only, outputs written "
       << "(caller-allocated,\n   row-major). A *_shape may be NULL, else "
       << "it must hold the shape below.\n";
    for (auto [i, t] : llvm::enumerate(e.signature.inputs))
      os << "     " << paramName(e, true, i) << ":  " << typeName(t.elementType)
         << " " << shapeList(t.shape) << "\n";
    for (auto [i, t] : llvm::enumerate(e.signature.results))
      os << "     " << paramName(e, false, i) << ": " << typeName(t.elementType)
         << " " << shapeList(t.shape) << "\n";
    os << "   Returns " << macro << "_OK or " << macro << "_ERROR_SHAPE. */\n"
       << prototype(prefix, e) << ";\n";
    std::string em = macro.str() + "_" + upper(sanitize(e.name));
    for (auto [i, t] : llvm::enumerate(e.signature.inputs))
      os << "#define " << em << "_IN" << i << "_SHAPE " << shapeList(t.shape)
         << "\n";
    for (auto [i, t] : llvm::enumerate(e.signature.results))
      os << "#define " << em << "_OUT" << i << "_SHAPE " << shapeList(t.shape)
         << "\n";
    os << "\n";
  }
  os << "#ifdef __cplusplus\n}\n#endif\n\n#endif /* " << guard << " */\n";
  return h;
}

static std::string makeWrapper(StringRef prefix, StringRef macro,
                               StringRef header, ArrayRef<Entry> list,
                               const CpuTarget &target) {
  std::string c;
  llvm::raw_string_ostream os(c);
  os << "/* Generated by effc-compile: the C ABI over the model's "
        "_mlir_ciface_ functions. */\n"
     << "#define _GNU_SOURCE /* syscall */\n"
     << "#include <stdlib.h>\n#include <string.h>\n#include <unistd.h>\n"
     << "#include <sys/syscall.h>\n\n"
     << "#include \"" << header << "\"\n\n"
     << "extern void omp_set_num_threads(int);\n"
     << "extern int omp_pause_resource_all(int);\n\n";
  // One descriptor type per rank (upstream's StridedMemRefType layout).
  llvm::SmallDenseSet<size_t> ranks;
  for (const Entry &e : list) {
    for (const TensorSpec &t : e.signature.inputs)
      ranks.insert(t.shape.size());
    for (const TensorSpec &t : e.signature.results)
      ranks.insert(t.shape.size());
  }
  SmallVector<size_t> sorted(ranks.begin(), ranks.end());
  llvm::sort(sorted);
  for (size_t r : sorted) {
    os << "typedef struct { void *allocated, *aligned; int64_t offset";
    if (r)
      os << "; int64_t sizes[" << r << "], strides[" << r << "]";
    os << "; } effc_desc" << r << ";\n";
  }
  os << "\n/* Results the model returns from a constant global carry this "
        "allocated\n   pointer (memref.get_global) and are never freed. */\n"
     << "#define EFFC_GLOBAL_MARK ((void *)0xdeadbeef)\n\n"
     << "static int shape_ok(const int64_t *given, const int64_t *want, int "
        "rank) {\n"
     << "  if (!given) return 1;\n"
     << "  for (int i = 0; i < rank; ++i) if (given[i] != want[i]) return "
        "0;\n"
     << "  return 1;\n}\n\n";
  bool amx = target.amxInt8 || target.amxBf16;
  os << "int " << prefix << "_init(int num_threads) {\n"
     << "  if (num_threads > 0) omp_set_num_threads(num_threads);\n";
  if (amx)
    os << "#if defined(__linux__) && defined(__x86_64__)\n"
       << "  /* ARCH_REQ_XCOMP_PERM, XFEATURE_XTILEDATA: without it a tile "
          "instruction\n     raises SIGILL. */\n"
       << "  if (syscall(SYS_arch_prctl, 0x1023, 18) != 0) return " << macro
       << "_ERROR_CPU;\n#endif\n";
  os << "  return " << macro << "_OK;\n}\n\n"
     << "void " << prefix << "_teardown(void) { omp_pause_resource_all(1); "
     << "}\n\n";

  for (const Entry &e : list) {
    std::string impl = prefix.str() + "_" + sanitize(e.name) + "_impl";
    size_t nres = e.signature.results.size();
    // _mlir_ciface_: (results..., args...) where several results come as
    // one struct of descriptors.
    std::string resTy;
    if (nres == 1)
      resTy = "effc_desc" + std::to_string(e.signature.results[0].shape.size());
    else if (nres > 1) {
      resTy = impl + "_results";
      os << "typedef struct {";
      for (auto [i, t] : llvm::enumerate(e.signature.results))
        os << " effc_desc" << t.shape.size() << " r" << i << ";";
      os << " } " << resTy << ";\n";
    }
    SmallVector<std::string> implParams;
    if (nres)
      implParams.push_back(resTy + " *");
    for (const TensorSpec &t : e.signature.inputs)
      implParams.push_back("effc_desc" + std::to_string(t.shape.size()) + " *");
    if (implParams.empty())
      implParams.push_back("void");
    os << "extern void " << impl << "(" << llvm::join(implParams, ", ")
       << ");\n\n"
       << prototype(prefix, e) << " {\n";
    for (auto [i, t] : llvm::enumerate(e.signature.inputs)) {
      std::string p = paramName(e, true, i);
      size_t r = t.shape.size();
      os << "  static const int64_t " << p << "_want[" << std::max<size_t>(r, 1)
         << "] = "
         << shapeList(t.shape.empty() ? ArrayRef<int64_t>{0} : t.shape) << ";\n"
         << "  if (!shape_ok(" << p << "_shape, " << p << "_want, " << r
         << ")) return " << macro << "_ERROR_SHAPE;\n"
         << "  effc_desc" << r << " " << p << "_d = {(void *)" << p
         << ", (void *)" << p << ", 0";
      if (r) {
        os << ", " << shapeList(t.shape) << ", {";
        int64_t stride = 1;
        SmallVector<int64_t> strides(r);
        for (int64_t d = r - 1; d >= 0; --d) {
          strides[d] = stride;
          stride *= t.shape[d];
        }
        os << llvm::join(
                  llvm::map_range(strides,
                                  [](int64_t s) { return std::to_string(s); }),
                  ", ")
           << "}";
      }
      os << "};\n";
    }
    for (auto [i, t] : llvm::enumerate(e.signature.results)) {
      std::string p = paramName(e, false, i);
      size_t r = t.shape.size();
      os << "  static const int64_t " << p << "_want[" << std::max<size_t>(r, 1)
         << "] = "
         << shapeList(t.shape.empty() ? ArrayRef<int64_t>{0} : t.shape) << ";\n"
         << "  if (!shape_ok(" << p << "_shape, " << p << "_want, " << r
         << ")) return " << macro << "_ERROR_SHAPE;\n";
    }
    if (nres)
      os << "  " << resTy << " res;\n";
    SmallVector<std::string> args;
    if (nres)
      args.push_back("&res");
    for (size_t i = 0; i < e.signature.inputs.size(); ++i)
      args.push_back("&" + paramName(e, true, i) + "_d");
    os << "  " << impl << "(" << llvm::join(args, ", ") << ");\n";
    // Copy each result out; free what the model allocated, once, unless it
    // is an input or a constant global.
    for (auto [i, t] : llvm::enumerate(e.signature.results)) {
      std::string d = nres == 1 ? "res" : "res.r" + std::to_string(i);
      std::string p = paramName(e, false, i);
      os << "  memcpy(" << p << ", (char *)" << d << ".aligned + " << d
         << ".offset * sizeof(*" << p << "), " << t.getNumElements()
         << " * sizeof(*" << p << "));\n";
    }
    for (auto [i, t] : llvm::enumerate(e.signature.results)) {
      std::string d = nres == 1 ? "res" : "res.r" + std::to_string(i);
      os << "  if (" << d << ".allocated != EFFC_GLOBAL_MARK";
      for (size_t j = 0; j < e.signature.inputs.size(); ++j)
        os << " && " << d << ".allocated != (void *)" << paramName(e, true, j);
      for (size_t j = 0; j < i; ++j)
        os << " && " << d << ".allocated != res.r" << j << ".allocated";
      os << ") free(" << d << ".allocated);\n";
    }
    os << "  return " << macro << "_OK;\n}\n\n";
  }
  return c;
}

//===----------------------------------------------------------------------===//
// Driver
//===----------------------------------------------------------------------===//

/// Runs `argv` (argv[0] a program path), reporting its failure.
static LogicalResult runTool(ArrayRef<std::string> argv) {
  SmallVector<StringRef> refs(argv.begin(), argv.end());
  std::string error;
  int rc =
      llvm::sys::ExecuteAndWait(refs[0], refs, std::nullopt, {}, 0, 0, &error);
  if (rc == 0)
    return success();
  fail(llvm::join(refs, " ") + " failed" + (error.empty() ? "" : ": " + error));
  return failure();
}

static std::string findTool(ArrayRef<StringRef> names) {
  for (StringRef n : names)
    if (auto p = llvm::sys::findProgramByName(n))
      return *p;
  return "";
}

static int compileMain() {
  StringRef ext = llvm::sys::path::extension(outputFilename);
  if (ext != ".so" && ext != ".o" && ext != ".a")
    return fail("-o " + outputFilename +
                ": the output must end in .so (shared library), .o "
                "(object) or .a (archive)");
  std::string name =
      modelName.empty() ? defaultName(outputFilename) : sanitize(modelName);
  std::string prefix = "effc_" + name;
  std::string macro = upper(prefix);
  FailureOr<CpuTarget> target = CpuTarget::get(cpuName, targetFeatures);
  if (failed(target))
    return fail("unknown --cpu '" + cpuName + "' or --target-features '" +
                targetFeatures + "'");

  DialectRegistry registry;
  effc::registerAllDialects(registry);
  MLIRContext context(registry);
  context.loadAllAvailableDialects();
  std::string errorMessage;
  std::unique_ptr<llvm::MemoryBuffer> file =
      openInputFile(inputFilename, &errorMessage);
  if (!file)
    return fail(errorMessage);
  llvm::SourceMgr sourceMgr;
  sourceMgr.AddNewSourceBuffer(std::move(file), llvm::SMLoc());
  SourceMgrDiagnosticHandler diagHandler(sourceMgr, &context);
  OwningOpRef<ModuleOp> module =
      parseSourceFile<ModuleOp>(sourceMgr, ParserConfig(&context));
  if (!module)
    return 1;

  // The entries and their signatures, before anything rewrites them.
  SmallVector<Entry> list;
  if (entries.empty()) {
    for (auto f : module->getOps<func::FuncOp>())
      if (f.isPublic() && !f.isExternal())
        entries.push_back(f.getSymName().str());
    if (entries.empty())
      return fail(inputFilename + ": no public function with a body to "
                                  "export");
  }
  llvm::StringSet<> symbols;
  for (const std::string &n : entries) {
    auto f = module->lookupSymbol<func::FuncOp>(n);
    if (!f || f.isExternal())
      return fail(inputFilename + ": no function @" + n + " with a body");
    FailureOr<EntrySignature> sig = getEntrySignature(f);
    if (failed(sig))
      return 1;
    for (auto *specs : {&sig->inputs, &sig->results})
      for (const TensorSpec &t : *specs)
        if (cType(t.elementType).empty())
          return fail("@" + n + ": element type " + typeName(t.elementType) +
                      " has no C type in the library's ABI");
    if (!symbols.insert(sanitize(n)).second)
      return fail("@" + n + " and another entry map to the same C name");
    list.push_back({n, *sig});
    // Inputs are read only for the caller: bufferization copies before
    // writing into one.
    for (unsigned i = 0; i < f.getNumArguments(); ++i)
      f.setArgAttr(i, bufferization::BufferizationDialect::kWritableAttrName,
                   BoolAttr::get(&context, false));
    exposeEntry(*module, n);
  }

  PassManager pm(&context, ModuleOp::getOperationName());
  if (!userPipeline.empty() && failed(addUserPipeline(pm)))
    return 1;
  CpuPipelineOptions cpuOptions;
  cpuOptions.cpu = cpuName;
  cpuOptions.targetFeatures = targetFeatures;
  buildCpuPipeline(pm, cpuOptions);
  if (failed(pm.run(*module)))
    return fail("compiling " + inputFilename + " for " + target->cpu +
                " failed");

  llvm::LLVMContext llvmContext;
  std::unique_ptr<llvm::Module> llvmModule =
      translateToLLVMIR(*module, llvmContext);
  if (!llvmModule)
    return fail("translating " + inputFilename + " to LLVM IR failed");
  // One exported symbol per entry; everything else (the model's own
  // functions, `main` among them, and its weights) stays internal.
  llvm::StringMap<std::string> exported;
  for (const Entry &e : list)
    exported["_mlir_ciface_" + e.name] =
        prefix + "_" + sanitize(e.name) + "_impl";
  for (llvm::Function &f : *llvmModule) {
    if (f.isDeclaration())
      continue;
    auto it = exported.find(f.getName());
    if (it == exported.end()) {
      f.setLinkage(llvm::GlobalValue::InternalLinkage);
      continue;
    }
    f.setName(it->second);
    f.setVisibility(llvm::GlobalValue::HiddenVisibility);
  }
  for (llvm::GlobalVariable &g : llvmModule->globals())
    if (!g.isDeclaration())
      g.setLinkage(llvm::GlobalValue::InternalLinkage);

  // Scratch files next to nothing the user owns.
  SmallString<128> dir;
  if (std::error_code ec =
          llvm::sys::fs::createUniqueDirectory("effc-compile", dir))
    return fail("cannot create a temporary directory: " + ec.message());
  auto cleanup = llvm::make_scope_exit(
      [&] { (void)llvm::sys::fs::remove_directories(dir); });
  auto path = [&](StringRef leaf) {
    SmallString<128> p(dir);
    llvm::sys::path::append(p, leaf);
    return std::string(p);
  };
  std::string modelObj = path("model.o");
  {
    std::error_code ec;
    llvm::raw_fd_ostream os(modelObj, ec);
    if (ec)
      return fail(modelObj + ": " + ec.message());
    if (failed(
            emitObjectFile(*llvmModule, os,
                           FileLineColLoc::get(&context, inputFilename, 0, 0))))
      return 1;
  }

  std::string headerPath =
      headerFilename.empty() ? path(name + ".h") : std::string(headerFilename);
  std::string headerText = makeHeader(prefix, macro, list, *target);
  std::string wrapperText = makeWrapper(
      prefix, macro, llvm::sys::path::filename(headerPath), list, *target);
  for (auto [p, text] : {std::pair{headerPath, &headerText},
                         std::pair{path("wrapper.c"), &wrapperText}}) {
    std::error_code ec;
    llvm::raw_fd_ostream os(p, ec);
    if (ec)
      return fail(p + ": " + ec.message());
    os << *text;
  }
  std::string cc = findTool({"cc", "gcc", "clang"});
  if (cc.empty())
    return fail("no C compiler (cc, gcc or clang) on PATH to build the "
                "library's C wrapper");
  std::string wrapperObj = path("wrapper.o");
  SmallString<128> headerDir(headerPath);
  llvm::sys::path::remove_filename(headerDir);
  if (headerDir.empty())
    headerDir = ".";
  if (failed(runTool({cc, "-std=c11", "-O2", "-fPIC", "-c", "-I",
                      std::string(headerDir), path("wrapper.c"), "-o",
                      wrapperObj})))
    return 1;
  (void)llvm::sys::fs::remove(outputFilename);
  if (ext == ".so") {
    std::string libDir = EFFC_LLVM_LIB_DIR;
    if (failed(
            runTool({cc, "-shared", "-o", outputFilename, modelObj, wrapperObj,
                     "-L" + libDir, "-Wl,-rpath," + libDir, "-lomp", "-lm"})))
      return 1;
  } else if (ext == ".o") {
    std::string ld = findTool({"ld", "ld.lld"});
    if (ld.empty())
      return fail("no linker (ld) on PATH to combine the objects");
    if (failed(runTool({ld, "-r", "-o", outputFilename, modelObj, wrapperObj})))
      return 1;
  } else {
    std::string ar = findTool({"ar", "llvm-ar-22", "llvm-ar"});
    if (ar.empty())
      return fail("no archiver (ar) on PATH");
    if (failed(runTool({ar, "rcs", outputFilename, modelObj, wrapperObj})))
      return 1;
  }
  return 0;
}

int main(int argc, char **argv) {
  llvm::InitLLVM initLLVM(argc, argv);
  llvm::InitializeNativeTarget();
  llvm::InitializeNativeTargetAsmPrinter();
  effc::registerAllPasses();
  cl::ParseCommandLineOptions(
      argc, argv,
      "effc-compile: compile a model ahead of time into a C library\n");
  return compileMain();
}

"""effc from Python: compile MLIR models for this CPU and call them on NumPy
arrays, or compress them and read the report.

    import effc
    fn = effc.compile(mlir_text, pipeline="effc-raise,effc-compress{...}")
    y = fn(x)                      # NumPy arrays in, NumPy array(s) out
    result = effc.compress(mlir_text, "effc-raise,effc-prune{method=nm}")
    result["mlir"], result["report"]   # compressed module, --effc-report

The bindings are ctypes over effc's C API (include/effc-c/Effc.h) in
libeffc_c.so, next to this file. Errors raise effc.EffcError with the MLIR
diagnostics as its message.
"""

import ctypes
import json
import os
import re
import tempfile

import numpy as np

__all__ = ["EffcError", "Function", "compile", "compile_library",
           "compress"]


class EffcError(RuntimeError):
    """A model, a pipeline or a call effc rejected; the message holds the
    diagnostics."""


class _StringRef(ctypes.Structure):
    _fields_ = [("data", ctypes.c_char_p), ("length", ctypes.c_size_t)]


class _Handle(ctypes.Structure):
    _fields_ = [("ptr", ctypes.c_void_p)]


_LogicalResult = ctypes.c_int8  # MlirLogicalResult: {int8_t value}
_DiagnosticHandler = ctypes.CFUNCTYPE(_LogicalResult, _Handle, ctypes.c_void_p)
_StringCallback = ctypes.CFUNCTYPE(None, _StringRef, ctypes.c_void_p)


def _load():
    lib = ctypes.CDLL(os.path.join(os.path.dirname(__file__), "libeffc_c.so"))

    def fn(name, res, *args):
        f = getattr(lib, name)
        f.restype, f.argtypes = res, list(args)

    H, S = _Handle, _StringRef
    fn("mlirDialectRegistryCreate", H)
    fn("mlirDialectRegistryDestroy", None, H)
    fn("mlirContextCreateWithRegistry", H, H, ctypes.c_bool)
    fn("mlirContextDestroy", None, H)
    fn("mlirContextAttachDiagnosticHandler", ctypes.c_uint64, H,
       _DiagnosticHandler, ctypes.c_void_p, ctypes.c_void_p)
    fn("mlirDiagnosticPrint", None, H, _StringCallback, ctypes.c_void_p)
    fn("mlirDiagnosticGetSeverity", ctypes.c_int, H)
    fn("mlirDiagnosticGetLocation", H, H)
    fn("mlirLocationPrint", None, H, _StringCallback, ctypes.c_void_p)
    fn("mlirModuleCreateParse", H, H, S)
    fn("mlirModuleDestroy", None, H)
    fn("mlirModuleGetOperation", H, H)
    fn("mlirOperationPrint", None, H, _StringCallback, ctypes.c_void_p)
    fn("effcRegisterAllDialects", None, H)
    fn("effcRegisterAllPasses", None)
    fn("effcRunPipeline", _LogicalResult, H, S)
    fn("effcCompileToLibrary", _LogicalResult, H, S, S, S, S)
    fn("effcJitCreate", H, H, S)
    fn("effcJitDestroy", None, H)
    fn("effcJitGetNumInputs", ctypes.c_ssize_t, H)
    fn("effcJitGetNumResults", ctypes.c_ssize_t, H)
    fn("effcJitGetRank", ctypes.c_ssize_t, H, ctypes.c_bool, ctypes.c_ssize_t)
    fn("effcJitGetDim", ctypes.c_int64, H, ctypes.c_bool, ctypes.c_ssize_t,
       ctypes.c_ssize_t)
    fn("effcJitGetElementSize", ctypes.c_ssize_t, H, ctypes.c_bool,
       ctypes.c_ssize_t)
    fn("effcJitGetElementType", S, H, ctypes.c_bool, ctypes.c_ssize_t)
    fn("effcJitInvoke", _LogicalResult, H, ctypes.POINTER(ctypes.c_void_p),
       ctypes.POINTER(ctypes.c_void_p))
    lib.effcRegisterAllPasses()
    return lib


_lib = _load()


def _ref(text):
    data = text.encode() if isinstance(text, str) else text
    return _StringRef(data, len(data)), data


class _Context:
    """An MLIR context with effc's dialects whose diagnostics are
    collected."""

    def __init__(self):
        registry = _lib.mlirDialectRegistryCreate()
        _lib.effcRegisterAllDialects(registry)
        self.ctx = _lib.mlirContextCreateWithRegistry(registry, False)
        _lib.mlirDialectRegistryDestroy(registry)
        self.messages = []

        def on_diagnostic(diag, _):
            # "loc: error: message", as the tools print diagnostics.
            def text(print_fn, handle):
                parts = []
                print_fn(handle, _StringCallback(
                    lambda s, _: parts.append(ctypes.string_at(
                        s.data, s.length).decode(errors="replace"))), None)
                return "".join(parts)

            severity = ("error", "warning", "note", "remark")[
                _lib.mlirDiagnosticGetSeverity(diag) & 3]
            loc = text(_lib.mlirLocationPrint,
                       _lib.mlirDiagnosticGetLocation(diag))
            m = re.fullmatch(r'loc\("(.*)":(\d+):(\d+)\)', loc)
            if m:  # the MLIR text is "<input>"
                loc = f"{'<input>' if m[1] == '-' else m[1]}:{m[2]}:{m[3]}"
            self.messages.append(
                f"{loc}: {severity}: {text(_lib.mlirDiagnosticPrint, diag)}")
            return 1  # handled

        self._handler = _DiagnosticHandler(on_diagnostic)
        _lib.mlirContextAttachDiagnosticHandler(self.ctx, self._handler,
                                                None, None)

    def fail(self, what):
        detail = "\n".join(self.messages) or "no diagnostic"
        self.messages = []
        raise EffcError(f"{what}:\n{detail}")

    def parse(self, text):
        ref, keep = _ref(text)
        module = _lib.mlirModuleCreateParse(self.ctx, ref)
        del keep
        if not module.ptr:
            self.fail("the MLIR text does not parse")
        return module

    def run(self, module, pipeline):
        ref, keep = _ref(pipeline)
        ok = _lib.effcRunPipeline(module, ref)
        del keep
        if not ok:
            self.fail(f"pipeline \"{pipeline}\" failed")

    def __del__(self):
        if getattr(self, "ctx", None) is not None and self.ctx.ptr:
            _lib.mlirContextDestroy(self.ctx)


class Function:
    """A compiled entry point: call it with NumPy arrays of its input
    shapes (converted to its element types); returns one array, or a tuple
    for several results. `input_shapes` / `input_types` and
    `result_shapes` / `result_types` describe the signature."""

    def __init__(self, ctx, module, jit, entry):
        self._ctx, self._module, self._jit = ctx, module, jit
        self.entry = entry
        self.input_shapes = [self._shape(False, i)
                             for i in range(_lib.effcJitGetNumInputs(jit))]
        self.result_shapes = [self._shape(True, i)
                              for i in range(_lib.effcJitGetNumResults(jit))]
        self.input_types = self._parse_types(False)
        self.result_types = self._parse_types(True)

    def _shape(self, result, i):
        rank = _lib.effcJitGetRank(self._jit, result, i)
        return tuple(_lib.effcJitGetDim(self._jit, result, i, d)
                     for d in range(rank))

    def _parse_types(self, result):
        n = _lib.effcJitGetNumResults(self._jit) if result else \
            _lib.effcJitGetNumInputs(self._jit)
        types = []
        for i in range(n):
            s = _lib.effcJitGetElementType(self._jit, result, i)
            name = ctypes.string_at(s.data, s.length).decode()
            # NumPy has no bfloat16: its 16-bit patterns travel as uint16.
            types.append(np.dtype("uint16" if name == "bfloat16" else name))
        return types

    def __call__(self, *inputs):
        if len(inputs) != len(self.input_shapes):
            raise EffcError(f"@{self.entry} takes {len(self.input_shapes)} "
                            f"input(s), got {len(inputs)}")
        arrays = []
        for i, (x, shape, dt) in enumerate(
                zip(inputs, self.input_shapes, self.input_types)):
            a = np.ascontiguousarray(np.asarray(x, dtype=dt))
            if a.shape != shape:
                raise EffcError(f"input {i} of @{self.entry} has shape "
                                f"{a.shape}, expected {shape}")
            arrays.append(a)
        outputs = [np.empty(s, dtype=t)
                   for s, t in zip(self.result_shapes, self.result_types)]
        ins = (ctypes.c_void_p * max(1, len(arrays)))(
            *[a.ctypes.data for a in arrays])
        outs = (ctypes.c_void_p * max(1, len(outputs)))(
            *[o.ctypes.data for o in outputs])
        if not _lib.effcJitInvoke(self._jit, ins, outs):
            self._ctx.fail(f"calling @{self.entry} failed")
        return outputs[0] if len(outputs) == 1 else tuple(outputs)

    def __del__(self):
        if getattr(self, "_jit", None) is not None and self._jit.ptr:
            _lib.effcJitDestroy(self._jit)
            _lib.mlirModuleDestroy(self._module)


def compile(mlir_text, pipeline="effc-raise", target="cpu", entry="main"):
    """Compiles `entry` of an MLIR module (text) for this CPU after running
    `pipeline` (textual, as effc-opt --pass-pipeline takes it; "" for none)
    and returns it as a callable Function."""
    if target != "cpu":
        raise EffcError(f"target '{target}': the Python bindings compile for "
                        "the CPU (use effc-run --target cuda for the GPU)")
    ctx = _Context()
    module = ctx.parse(mlir_text)
    if pipeline:
        ctx.run(module, pipeline)
    ref, keep = _ref(entry)
    jit = _lib.effcJitCreate(module, ref)
    del keep
    if not jit.ptr:
        ctx.fail(f"compiling @{entry} failed")
    return Function(ctx, module, jit, entry)


def compile_library(mlir_text, output, pipeline="effc-raise", cpu="host",
                    header="", name=""):
    """effc-compile from Python: the module's public functions, after
    `pipeline`, compiled for `cpu` into `output` (.so, .o or .a) with one C
    function per entry, effc_<name>_<entry>, and its C header at `header`."""
    ctx = _Context()
    module = ctx.parse(mlir_text)
    if pipeline:
        ctx.run(module, pipeline)
    refs = [_ref(v) for v in (output, name, cpu, header)]
    ok = _lib.effcCompileToLibrary(module, *[r for r, _ in refs])
    _lib.mlirModuleDestroy(module)
    if not ok:
        ctx.fail(f"compiling {output} failed")


def compress(mlir_text, pipeline):
    """Runs a compression pipeline (e.g. "effc-raise,effc-compress{method=nm
    weights=i8}") and returns {"mlir": the compressed module's text,
    "report": --effc-report's JSON as a dict (per-op precision, sparsity,
    weight bytes, totals)}."""
    ctx = _Context()
    module = ctx.parse(mlir_text)
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "report.json")
        ctx.run(module, f"{pipeline},effc-report{{file={path}}}")
        with open(path) as f:
            report = json.load(f)
    parts = []
    _lib.mlirOperationPrint(
        _lib.mlirModuleGetOperation(module),
        _StringCallback(lambda s, _: parts.append(
            ctypes.string_at(s.data, s.length).decode())), None)
    _lib.mlirModuleDestroy(module)
    return {"mlir": "".join(parts), "report": report}

# -*- Python -*-
# lit configuration for effc's regression suite (check-effc).

import os
import shutil
import subprocess

import lit.formats
from lit.llvm import llvm_config
from lit.llvm.subst import ToolSubst

config.name = "EFFC"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir", ".test"]
config.excludes = ["CMakeLists.txt", "README.md", "lit.cfg.py", "lit.site.cfg.py",
                   "Inputs", "generators"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.effc_obj_root, "test")

config.substitutions.append(("%PATH%", config.environment["PATH"]))
config.substitutions.append(("%effc_src_root", config.effc_src_root))
config.substitutions.append(("%effc_obj_root", config.effc_obj_root))
config.substitutions.append(("%llvm_lib_dir", config.llvm_lib_dir))
config.substitutions.append(("%python", config.python_executable))

llvm_config.with_system_environment(["HOME", "INCLUDE", "LIB", "TMP", "TEMP"])
# `not`, `count`, `split-file` and the other LLVM test tools live here; lit
# only substitutes tools at the start of a command.
llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)
llvm_config.use_default_substitutions()

tool_dirs = [config.effc_tools_dir, config.llvm_tools_dir]
tools = [
    "effc-opt",
    "effc-import-onnx",
    ToolSubst("effc-translate", unresolved="ignore"),
    ToolSubst("effc-run", unresolved="ignore"),
    ToolSubst("effc-compile", unresolved="ignore"),
    ToolSubst("effc-unittests", unresolved="ignore"),
    ToolSubst("effc-quant-kernel-tests", unresolved="ignore"),
]
llvm_config.add_tool_substitutions(tools, tool_dirs)

# Features found at configure/test time: tests that need hardware or optional
# peers declare them with REQUIRES.
def _has_python_module(name, python=None):
    try:
        subprocess.run([python or config.python_executable, "-c", "import " + name],
                       check=True, capture_output=True, timeout=120)
        return True
    except Exception:
        return False

# The PyTorch frontend (examples/pytorch/effc_torch.py) needs torch and
# torch-mlir, which Debian's python3 lacks: the first interpreter that imports
# torch_mlir, of $EFFC_TORCH_PYTHON, lit's own, `make eval`'s venv and the
# python3 on PATH, runs those tests as %torch_python (feature torch-mlir).
def _torch_python():
    candidates = [os.environ.get("EFFC_TORCH_PYTHON"), config.python_executable,
                  os.path.join(config.effc_obj_root, "eval-venv", "bin", "python"),
                  shutil.which("python3")]
    for py in candidates:
        if py and os.path.exists(py) and _has_python_module("torch_mlir", py):
            return py
    return None

# The ONNX tests build models with the `onnx` Python package (Debian's 1.12
# needs numpy's removed aliases restored first, as the test scripts do).
_ONNX_PROBE = ("import numpy as np\n"
               "for n, t in [('float', float), ('int', int), ('bool', bool),"
               " ('object', object), ('complex', complex), ('str', str)]:\n"
               "    np.__dict__.setdefault(n, t)\n"
               "import onnx, onnx.helper, onnx.numpy_helper")
try:
    subprocess.run([config.python_executable, "-c", _ONNX_PROBE], check=True,
                   capture_output=True)
    config.available_features.add("onnx")
except Exception:
    pass
config.substitutions.append(("%effc_tools_dir", config.effc_tools_dir))

if config.effc_enable_gpu:
    config.available_features.add("effc-gpu")
if _has_python_module("numpy"):
    config.available_features.add("numpy")
_torch_py = _torch_python()
if _torch_py:
    config.available_features.add("torch-mlir")
    config.substitutions.append(("%torch_python", _torch_py))
_ptxas = shutil.which("ptxas") or (
    "/usr/local/cuda/bin/ptxas"
    if os.path.exists("/usr/local/cuda/bin/ptxas") else None)
if _ptxas:
    config.available_features.add("ptxas")
    config.substitutions.append(("%ptxas", _ptxas))
# A host C++ compiler, for the executed HLS C-simulation tests, and a C
# compiler for the programs that link effc-compile's libraries.
if shutil.which("g++"):
    config.available_features.add("gxx")
if shutil.which("cc"):
    config.available_features.add("cc")
# The Xilinx ap_types headers from the hls4ml wheel (scripts/bootstrap.sh
# installs them under .deps/): the HLS C++ must give the same bits with
# them as with effc's own include/effc/hls.
_ap_types = os.path.join(config.effc_src_root, ".deps", "hls4ml", "hls4ml",
                         "templates", "vivado", "ap_types")
if os.path.exists(os.path.join(_ap_types, "ap_fixed.h")):
    config.available_features.add("ap-types")
    config.substitutions.append(("%ap_types_include", _ap_types))
if os.path.exists("/dev/nvidia0"):
    config.available_features.add("cuda-device")
try:
    with open("/proc/cpuinfo") as f:
        flags = f.read()
    for feat in ["avx512f", "avx512_vnni", "amx_int8", "amx_bf16", "avx2"]:
        if feat in flags:
            config.available_features.add(feat)
except OSError:
    pass

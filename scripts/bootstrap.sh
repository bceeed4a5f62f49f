#!/usr/bin/env bash
# Installs every Debian and Python dependency effc uses. Idempotent: it runs
# `apt-get update` (and installs) only when a package is missing.
set -euo pipefail

DEBIAN_PACKAGES=(
  # LLVM / MLIR 22 toolchain (headers, libMLIR.so, libLLVM.so, lit, FileCheck)
  libmlir-22-dev mlir-22-tools llvm-22-dev llvm-22-tools clang-22 lld-22
  # OpenMP runtime for multi-threaded CPU code
  libomp-22-dev
  # build (ccache: rebuilds after a checkout mostly hit the cache)
  cmake ninja-build g++ make ccache
  # style: CI checks the changed C++ files with clang-format
  clang-format-22
  # unit tests
  libgtest-dev
  # executed tests: independent numpy references
  python3 python3-numpy
  # `make eval` creates its Python venv (scripts/eval-requirements.txt)
  python3-venv
  # the ONNX importer (C++ on libonnx + protobuf) and its tests (python3-onnx
  # builds the test models and generates the ONNX backend node tests)
  libonnx-dev libprotobuf-dev protobuf-compiler python3-onnx
  # BLAS / LAPACK for the SVD and the OBS solve (also a benchmark peer)
  libopenblas-dev
  # benchmark peers
  libdnnl-dev
  # formatting (STYLE.md)
  clang-format-22
)

missing=()
for p in "${DEBIAN_PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -gt 0 ]; then
  echo "bootstrap: installing ${missing[*]}"
  SUDO=""
  if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "bootstrap: all Debian packages present"
fi

# Python used by the tests: numpy must import in the interpreter lit runs.
PY=${PYTHON:-/usr/bin/python3}
if ! "$PY" -c "import numpy" 2>/dev/null; then
  echo "bootstrap: installing numpy for $PY"
  "$PY" -m pip install --quiet numpy
fi

# The Xilinx ap_types headers (Apache-2.0), which Vitis HLS compiles the
# emitted C++ against: the hls4ml wheel ships them. Installed without its
# dependencies into .deps/ (not the system Python); the HLS tests that
# compile against them (lit feature ap-types) are skipped when absent.
ROOT=$(cd "$(dirname "$0")/.." && pwd)
AP_TYPES="$ROOT/.deps/hls4ml/hls4ml/templates/vivado/ap_types"
if [ ! -f "$AP_TYPES/ap_fixed.h" ]; then
  echo "bootstrap: installing the ap_types headers (pip install --no-deps hls4ml) into .deps/hls4ml"
  if ! "$PY" -m pip install --quiet --no-deps --target "$ROOT/.deps/hls4ml" hls4ml; then
    echo "bootstrap: warning: hls4ml could not be installed; the tests against the Xilinx ap_types headers will be skipped" >&2
  fi
fi

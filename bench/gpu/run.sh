#!/usr/bin/env bash
# The GPU check of effc (issue 7). On a machine with an NVIDIA GPU and the
# CUDA toolkit: builds effc, runs the device tests (lit feature
# cuda-device), then times effc's kernels against cuBLAS (f16, bf16, int8
# GEMM; fp8 through cuBLASLt), 2:4 sparse against dense, and flash attention
# against a naive three-kernel attention. Writes bench/results/gpu.md.
# Budget: about 8 minutes on one GPU (the build dominates).
#
#   bench/gpu/run.sh [BUILD_DIR]     (default: build)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${1:-$ROOT/build}
CUDA=${CUDA_HOME:-/usr/local/cuda}
OUT=$ROOT/bench/results/gpu.md
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
PY=/usr/bin/python3

nvidia-smi --query-gpu=name,driver_version --format=csv,noheader \
  || { echo "error: no NVIDIA GPU (nvidia-smi failed)"; exit 1; }

# 1. Build (configures a fresh build dir when there is none).
[ -f "$BUILD/build.ninja" ] || cmake -G Ninja -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release
ninja -C "$BUILD" effc-opt effc-translate effc-run effc-unittests effc_cuda_runtime

# 2. Device tests and the runtime unit test.
/usr/lib/llvm-22/bin/lit -v "$BUILD/test/integration/gpu" "$BUILD/test/unit"

# 3. Benchmarks. The harness loads each effc kernel (cubin from
#    effc-translate --effc-to-cubin) with the driver API and times it with
#    CUDA events, device-resident operands, next to cuBLAS / cuBLASLt.
"$CUDA/bin/nvcc" -O2 -std=c++17 -arch=sm_90a -o "$TMP/gpubench" "$ROOT/bench/gpu/gpubench.cu" \
  -L"$CUDA/lib64/stubs" -lcuda -lcublas -lcublasLt
export PATH="$BUILD/bin:$PATH"
{
  echo "# effc GPU kernels vs cuBLAS ($(nvidia-smi --query-gpu=name --format=csv,noheader))"
  echo
  echo "Median of 50 timed launches after 5 warm-ups, CUDA events, operands on the device."
  echo "Made by bench/gpu/run.sh on $(date -u +%Y-%m-%d)."
  echo
  echo "| case | shape | effc ms | peer | peer ms | effc TFLOP/s | peer TFLOP/s |"
  echo "|---|---|---|---|---|---|---|"
} > "$OUT"
# CASE-wgmma: the same GEMM compiled for sm_90a (wgmma fed by TMA); the
# plain cases are the portable sm_90 mma.sync kernels.
for spec in "f16 4096 4096 4096" "f16-wgmma 4096 4096 4096" \
            "bf16 4096 4096 4096" "bf16-wgmma 4096 4096 4096" \
            "i8 4096 4096 4096" "i8-wgmma 4096 4096 4096" \
            "fp8 4096 4096 4096" "fp8-wgmma 4096 4096 4096" \
            "sparse 4096 4096 4096" "attention 16 4096 128"; do
  set -- $spec
  chip=sm_90
  case "$1" in *-wgmma) chip=sm_90a ;; esac
  $PY "$ROOT/bench/gpu/make_case.py" "${1%-wgmma}" "$2" "$3" "$4" "$TMP/$1.mlir"
  effc-translate --effc-to-cubin --effc-gpu-chip=$chip "$TMP/$1.mlir" -o "$TMP/$1.cubin"
  "$TMP/gpubench" "$1" "$2" "$3" "$4" "$TMP/$1.cubin" >> "$OUT"
done
cat "$OUT"

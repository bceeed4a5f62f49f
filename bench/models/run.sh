#!/usr/bin/env bash
# effc benchmarks, models part: end-to-end latency of the real-model suite
# (scripts/models/), effc fp32 / int8 dynamic (linalg and TOSA forms) against
# PyTorch eager and ONNX Runtime fp32 / int8 dynamic, 1 and 2 threads.
#
# usage: bash bench/models/run.sh [BUILD_DIR]   (bench/run.sh calls it with
# BENCH=models or BENCH=all). Writes bench/results/models_speed.{md,json,png};
# knobs and details in bench/models/bench.py and bench/README.md.
#
# It needs what `make eval` needs: a Python with torch, torch-mlir,
# transformers, onnxruntime and matplotlib, and the models exported into
# MODELS_DIR (default BUILD_DIR/models). EVAL_PYTHON names an interpreter that
# has the packages (as in `make eval EVAL_PYTHON=python3`); otherwise it is
# make eval's venv, BUILD_DIR/eval-venv. Both come from the Makefile's own
# rules, `make $MODELS_DIR/.exported`: under `make bench` always (make then
# installs or re-exports what is missing or stale, as for `make eval`); run
# directly, only when the venv or MODELS_DIR/.exported is missing (an
# existing export is used as it is).
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
BUILD="${1:-build}"
export MODELS_DIR="${MODELS_DIR:-$BUILD/models}"

die() { echo "bench/models/run.sh: $*" >&2; exit 1; }
[ -e "$BUILD/bin/effc-run" ] || die "$BUILD/bin/effc-run not found; build first (make build)"

make_args=(--no-print-directory BUILD="$BUILD" MODELS_DIR="$MODELS_DIR")
if [ -n "${EVAL_PYTHON:-}" ]; then
  PY="$EVAL_PYTHON"
  make_args+=(EVAL_PYTHON="$EVAL_PYTHON")
  need_make=0
else
  PY="$BUILD/eval-venv/bin/python"
  need_make=$([ -f "$BUILD/eval-venv/.installed" ] && echo 0 || echo 1)
fi
[ -f "$MODELS_DIR/.exported" ] || need_make=1
[ -n "${MAKELEVEL:-}" ] && need_make=1 # under make bench: make decides
if [ "$need_make" = 1 ]; then
  echo "bench/models/run.sh: make ${make_args[*]} $MODELS_DIR/.exported (make eval's venv and export)"
  make "${make_args[@]}" "$MODELS_DIR/.exported" ||
    die "make $MODELS_DIR/.exported failed (the eval venv or the model export)"
fi
"$PY" -c 'import numpy, torch, onnxruntime' 2>/dev/null ||
  die "$PY lacks numpy / torch / onnxruntime (pip install -r scripts/eval-requirements.txt, or unset EVAL_PYTHON)"

export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
exec "$PY" bench/models/bench.py "$BUILD"

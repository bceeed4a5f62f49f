#!/usr/bin/env bash
# effc benchmarks, sparse part: pruned f32 linear layers, dense GEMM vs the
# compressed sparse kernels (CSR, BSR, N:M), same run, alternating.
#
# usage: bash bench/sparse/run.sh [BUILD_DIR]   (bench/run.sh calls it with
# BENCH=sparse). Writes bench/results/sparse.md and sparse.json; knobs and
# details in bench/sparse/bench.py.
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
BUILD="${1:-build}"
PYTHON=/usr/bin/python3

die() { echo "bench/sparse/run.sh: $*" >&2; exit 1; }
[ -e "$BUILD/bin/effc-run" ] || die "$BUILD/bin/effc-run not found; build first (make build)"
[ -e "$BUILD/bin/effc-opt" ] || die "$BUILD/bin/effc-opt not found; build first (make build)"
"$PYTHON" -c 'import numpy' 2>/dev/null || die "$PYTHON has no numpy (python3-numpy)"

exec "$PYTHON" bench/sparse/bench.py "$BUILD"

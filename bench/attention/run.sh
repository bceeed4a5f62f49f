#!/usr/bin/env bash
# effc benchmarks, attention part: f32 scaled dot-product attention written
# in decomposed upstream linalg, run naive (materialized S x S scores) and
# flash (--effc-rewrite-attention, or a direct effc.attention file when the
# pass does not fuse the IR), on this CPU.
#
# usage: bash bench/attention/run.sh [BUILD_DIR]   (bench/run.sh calls it)
#
# Writes bench/results/attention.md and bench/results/attention.json; scratch
# (generated MLIR, raw log) goes to bench/scratch/attention/. Knobs
# (environment): SEQS ("512 1024 2048 4096 8192"), THREADS ("2"), ROUNDS (2),
# TARGET_S (0.4), CMD_TIMEOUT (300), NAIVE_MAX_GB (8). See bench/README.md.
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
BUILD="${1:-build}"
PYTHON=/usr/bin/python3

die() { echo "bench/attention/run.sh: $*" >&2; exit 1; }
[ -e "$BUILD/bin/effc-run" ] || die "$BUILD/bin/effc-run not found; build first (make build)"
[ -e "$BUILD/bin/effc-opt" ] || die "$BUILD/bin/effc-opt not found; build first (make build)"
[ -x "$PYTHON" ] || die "$PYTHON not found"
"$PYTHON" -c 'import numpy' 2>/dev/null || die "$PYTHON has no numpy (python3-numpy)"

exec "$PYTHON" bench/attention/bench.py "$BUILD"

#!/usr/bin/env bash
# Dynamic vs static shapes (issue 20): one layer compiled with a runtime row
# count against the same layer compiled for that count (f32 GEMM, dynamic
# int8, 90% CSR and 2:4 sparse; M = 1..2048 at N = K = 1024), and the
# torch-mlir GPT block fully dynamic against --effc-specialize and the static
# export, alternating rounds (bench/dynamic/bench.py).
#
# usage: bash bench/dynamic/run.sh [BUILD_DIR]   (BENCH=dynamic bash bench/run.sh)
# Knobs: ROUNDS (default 3), THREADS (default 1).
# Writes bench/results/dynamic.md and bench/results/dynamic.json; scratch in
# bench/scratch/dynamic.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
BUILD="${1:-build}"
ROUNDS="${ROUNDS:-3}"
THREADS="${THREADS:-1}"
SCRATCH=bench/scratch/dynamic
[ -x "$BUILD/bin/effc-run" ] || { echo "bench/dynamic/run.sh: $BUILD/bin/effc-run not found; build first" >&2; exit 1; }
mkdir -p "$SCRATCH" bench/results
CMD="python3 bench/dynamic/bench.py $BUILD/bin/effc-run $SCRATCH --rounds $ROUNDS --threads $THREADS"
TABLE=$($CMD)
cp "$SCRATCH/dynamic.json" bench/results/dynamic.json
{
  echo "# Dynamic vs static shapes"
  echo
  echo "Made by \`$CMD\` (\`BENCH=dynamic bash bench/run.sh\`) on $(date -u +%Y-%m-%d)."
  echo "Each dynamic run is one function compiled with a runtime M; each static run"
  echo "the same op compiled for that M. Issue 20 asks for a ratio within 1.10."
  echo
  echo "$TABLE"
} > bench/results/dynamic.md
cat bench/results/dynamic.md

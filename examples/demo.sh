#!/usr/bin/env bash
# effc's main job on a bundled example: an MLP written in upstream linalg (as
# torch-mlir emits it) is raised to effc ops, compiled for this CPU, run, and
# checked against effc's reference lowering of the original IR, then
# compressed to int8 and run again.
set -euo pipefail
BUILD=${1:-build}
BIN="$BUILD/bin"
MODEL=examples/mlp/mlp.mlir

echo "== effc demo: $MODEL on $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo
echo "-- 1. upstream IR raised to effc ops (effc-opt --effc-raise):"
"$BIN/effc-opt" --effc-raise "$MODEL" | grep -o 'effc\.[a-z_]* [^:]*' | sed 's/^/   /'
echo
echo "-- 2. compiled for the CPU, run on seeded random input, checked against the"
echo "      reference lowering of the unoptimized IR, and timed:"
"$BIN/effc-run" "$MODEL" --entry forward --pipeline "effc-raise" \
  --compare-to-reference --bench 200
echo
echo "-- 3. the same model as a native object (effc-translate --effc-to-object):"
tmp=$(mktemp -d)
"$BIN/effc-opt" --effc-raise "$MODEL" | "$BIN/effc-translate" --effc-to-object -o "$tmp/mlp.o"
ls -l "$tmp/mlp.o" | awk '{print "   " $5 " bytes: " $9}'
nm "$tmp/mlp.o" | grep ' T ' | sed 's/^/   /'
rm -rf "$tmp"
echo
echo "-- 4. compressed to int8 (per-channel weights, dynamic int8 activations:"
echo "      --effc-compress), run on the int8 kernels, checked against the float"
echo "      reference, and timed; then the report's totals:"
"$BIN/effc-run" "$MODEL" --entry forward \
  --pipeline "effc-raise,effc-compress{weights=i8 activations=i8 granularity=channel}" \
  --compare-to-reference --bench 200
tmp=$(mktemp -d)
"$BIN/effc-opt" --effc-raise --effc-compress="weights=i8 activations=i8" \
  --effc-report="file=$tmp/report.json" "$MODEL" -o /dev/null
grep -A8 '"totals"' "$tmp/report.json" | grep -E 'bits_per_weight|compression_ratio|weight_bytes' | sed 's/^ */   /'
rm -rf "$tmp"

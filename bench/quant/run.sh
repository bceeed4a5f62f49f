#!/usr/bin/env bash
# Quantized-kernel benchmarks (issue 4): effc's int8 GEMM (VNNI) vs oneDNN's
# u8 x s8 -> s32 matmul (Debian libdnnl-dev) and vs effc's own f32 GEMM, at
# 1024^3 and the decode shape 1x4096x4096, on 1 and 2 threads; effc's
# weight-only int4 / int8 GEMV throughput in GB/s of weight bytes against
# the memory bandwidth measured in the same run (bench/quant/stream.c);
# effc.block_scaled_linear (int8 block [1, 128] and fp8 block [128, 128],
# f32 result) at the same GEMM shapes on 1 thread, against effc's int8 and
# f32 GEMMs of those rows.
#
# usage: bash bench/quant/run.sh [BUILD_DIR]   (BENCH=quant bash bench/run.sh)
# Knobs: ROUNDS (default 3), THREADS ("1 2"), CMD_TIMEOUT (s, default 300).
# Writes bench/results/quant.md and bench/results/quant.json; scratch (models,
# drivers, raw log) in bench/scratch/quant.
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
BUILD="${1:-build}"
EFFC_RUN="$BUILD/bin/effc-run"
PYTHON=/usr/bin/python3
SCRATCH=bench/scratch/quant
RESULTS=bench/results
ROUNDS="${ROUNDS:-3}"
THREADS="${THREADS:-1 2}"
CMD_TIMEOUT="${CMD_TIMEOUT:-300}"
die() { echo "bench/quant/run.sh: $*" >&2; exit 1; }
[ -x "$EFFC_RUN" ] || die "$EFFC_RUN not found; build first"
[ -f /usr/include/oneapi/dnnl/dnnl.hpp ] || [ -f /usr/include/dnnl.hpp ] ||
  die "oneDNN headers not found: install libdnnl-dev"
mkdir -p "$SCRATCH" "$RESULTS"
RAW="$SCRATCH/raw.tsv"
LOG="$SCRATCH/log.txt"
: >"$RAW"
: >"$LOG"
rm -f "$SCRATCH/onednn_isa.tsv.new" "$SCRATCH/stream.tsv.new"
DATE=$(date -u +%Y-%m-%dT%H:%M:%SZ)
START_EPOCH=$(date +%s)
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)

GEN_CMD="$PYTHON bench/quant/generate.py $SCRATCH"
$GEN_CMD >>"$LOG" || die "generate.py failed"
BUILD_DNNL_CMD="${CXX:-g++} -O2 -o $SCRATCH/onednn_matmul bench/quant/onednn_matmul.cpp -ldnnl"
$BUILD_DNNL_CMD || die "building the oneDNN driver failed: $BUILD_DNNL_CMD"
BUILD_STREAM_CMD="${CC:-cc} -O3 -march=native -fopenmp -o $SCRATCH/stream bench/quant/stream.c"
$BUILD_STREAM_CMD || die "building the bandwidth probe failed: $BUILD_STREAM_CMD"

# measure KIND SHAPE THREADS ROUND CMD: appends
# kind shape threads round status median_ms min_ms command
measure() {
  local kind=$1 shape=$2 t=$3 round=$4 cmd=$5 out rc med mn
  out=$(timeout "$CMD_TIMEOUT" bash -c "$cmd" 2>&1)
  rc=$?
  { echo "\$ $cmd"; echo "$out"; echo "[rc=$rc]"; } >>"$LOG"
  med=$(sed -n 's/.*median_ms=\([0-9.]*\).*/\1/p' <<<"$out" | head -n1)
  mn=$(sed -n 's/.*min_ms=\([0-9.]*\).*/\1/p' <<<"$out" | head -n1)
  if [ $rc -ne 0 ] || [ -z "$med" ]; then
    printf '%s\t%s\t%s\t%s\tFAIL rc=%s\t\t\t%s\n' "$kind" "$shape" "$t" "$round" "$rc" "$cmd" >>"$RAW"
    echo "  $kind $shape threads=$t round $round: FAILED (rc=$rc)" >&2
  else
    printf '%s\t%s\t%s\t%s\tok\t%s\t%s\t%s\n' "$kind" "$shape" "$t" "$round" "$med" "$mn" "$cmd" >>"$RAW"
    echo "  $kind $shape threads=$t round $round: median $med ms"
  fi
}

iters() { # shape -> timed calls (about 0.3 s at the expected speed)
  case $1 in 1024x1024x1024) echo 40 ;; *) echo 200 ;; esac
}

fp8_iters() { # the fp8 block-scaled runs (slower: see report.py)
  case $1 in 1024x1024x1024) echo 10 ;; *) echo 50 ;; esac
}

echo "bench/quant: $ROUNDS alternating rounds; load average at start: $LOAD_START"
for t in $THREADS; do
  for shape in 1024x1024x1024 1x4096x4096; do
    IFS=x read -r M N K <<<"$shape"
    n=$(iters "$shape")
    for ((r = 1; r <= ROUNDS; r++)); do
      measure effc_int8 "$shape" "$t" "$r" "OMP_NUM_THREADS=$t $EFFC_RUN $SCRATCH/int8_$shape.mlir --entry gemm --bench $n"
      measure onednn_int8 "$shape" "$t" "$r" "OMP_NUM_THREADS=$t $SCRATCH/onednn_matmul $M $N $K $n"
      measure effc_f32 "$shape" "$t" "$r" "OMP_NUM_THREADS=$t $EFFC_RUN $SCRATCH/f32_$shape.mlir --entry gemm --bench $n"
    done
    # Which kernel oneDNN picked (not timed).
    OMP_NUM_THREADS=$t ONEDNN_VERBOSE=1 "$SCRATCH/onednn_matmul" "$M" "$N" "$K" 1 2>&1 |
      grep -m1 'exec,cpu,matmul' | cut -d, -f5 | sed "s/^/$shape\t$t\t/" >>"$SCRATCH/onednn_isa.tsv.new"
  done
  if [ "$t" = 1 ]; then
    for shape in 1024x1024x1024 1x4096x4096; do
      n=$(iters "$shape")
      for ((r = 1; r <= ROUNDS; r++)); do
        measure effc_bs_int8 "$shape" "$t" "$r" "OMP_NUM_THREADS=$t $EFFC_RUN $SCRATCH/bs8_$shape.mlir --entry gemm --bench $n"
        measure effc_bs_fp8 "$shape" "$t" "$r" "OMP_NUM_THREADS=$t $EFFC_RUN $SCRATCH/bsfp8_$shape.mlir --entry gemm --bench $(fp8_iters "$shape")"
      done
    done
  fi
  for shape in 1x4096x4096 1x4096x11008; do
    for ((r = 1; r <= ROUNDS; r++)); do
      measure effc_w4 "$shape" "$t" "$r" "OMP_NUM_THREADS=$t $EFFC_RUN $SCRATCH/w4_$shape.mlir --entry gemm --bench 200"
      measure effc_w8 "$shape" "$t" "$r" "OMP_NUM_THREADS=$t $EFFC_RUN $SCRATCH/w8_$shape.mlir --entry gemm --bench 200"
    done
  done
  for mb in 16 1024; do
    cmd="OMP_NUM_THREADS=$t $SCRATCH/stream $mb 10"
    out=$(bash -c "$cmd" 2>&1)
    { echo "\$ $cmd"; echo "$out"; } >>"$LOG"
    echo "$t	$mb	$(sed -n 's/.*read_gbps=\([0-9.]*\) copy_gbps=\([0-9.]*\).*/\1\t\2/p' <<<"$out")	$cmd" >>"$SCRATCH/stream.tsv.new"
    echo "  stream ${mb} MiB threads=$t: $out"
  done
done
mv "$SCRATCH/onednn_isa.tsv.new" "$SCRATCH/onednn_isa.tsv"
mv "$SCRATCH/stream.tsv.new" "$SCRATCH/stream.tsv"
LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg)
ELAPSED=$(($(date +%s) - START_EPOCH))
export DATE LOAD_START LOAD_END ELAPSED ROUNDS RAW RESULTS SCRATCH GEN_CMD BUILD_DNNL_CMD BUILD_STREAM_CMD \
  CPU_MODEL="$(grep -m1 '^model name' /proc/cpuinfo | sed 's/^model name[[:space:]]*:[[:space:]]*//')" NPROC="$(nproc)" \
  CPU_FLAGS="$(grep -m1 '^flags' /proc/cpuinfo | grep -o -w -E 'avx512_vnni|amx_int8' | sort -u | tr '\n' ' ')"
"$PYTHON" bench/quant/report.py || die "writing the results failed"
echo "bench/quant: wrote $RESULTS/quant.md and $RESULTS/quant.json (${ELAPSED}s)"
! grep -q $'\tFAIL' "$RAW"

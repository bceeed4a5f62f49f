#!/usr/bin/env bash
# effc benchmarks on this CPU: f32 GEMM, effc vs. OpenBLAS (cblas_sgemm),
# f32 attention, naive vs. flash (bench/attention/run.sh), sparse and
# quantized kernels (bench/sparse/, bench/quant/) and end-to-end model latency
# against PyTorch and ONNX Runtime (bench/models/run.sh).
#
# usage: [BENCH=gemm|attention|sparse|quant|models|all] bash bench/run.sh [BUILD_DIR]
#        (make bench calls it with $(BUILD); BENCH defaults to all)
#
# The GEMM part is below; the other parts are bench/<part>/run.sh (their
# knobs and outputs are described there and in bench/README.md). With
# BENCH=all all run, GEMM first, and the exit status is non-zero if any
# part failed.
#
# GEMM part:
# Writes bench/results/gemm.md and bench/results/gemm.json (CPU model, date,
# the exact commands and every number). Scratch files (generated MLIR, the
# OpenBLAS driver binary, raw logs) go to bench/scratch/, which git ignores.
#
# Each (shape, threads) pair is measured in ROUNDS alternating rounds (effc,
# OpenBLAS, effc, OpenBLAS, ...) because the machine is shared and noisy; the
# reported time is the median over the rounds of each run's median time.
#
# Knobs (environment): ROUNDS (default 3), TARGET_S (seconds of timed calls per
# measurement, default 0.4), SHAPES ("MxNxK ...", default the full set),
# THREADS ("1 2"), CMD_TIMEOUT (seconds per command, default 300).
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
BUILD="${1:-build}"
EFFC_RUN="$BUILD/bin/effc-run"
PYTHON=/usr/bin/python3
SCRATCH=bench/scratch
RESULTS=bench/results
ROUNDS="${ROUNDS:-3}"
TARGET_S="${TARGET_S:-0.4}"
THREADS="${THREADS:-1 2}"
CMD_TIMEOUT="${CMD_TIMEOUT:-300}"
SHAPES="${SHAPES:-256x256x256 512x512x512 1024x1024x1024 2048x2048x2048 1x4096x4096 8x4096x4096 1x1024x1024 8x1024x1024}"
CC="${CC:-cc}"
# OpenBLAS 0.3.21 does not know Emerald Rapids and falls back to SSE3
# kernels there; its SkylakeX kernels need AVX-512 (SIGILL on Zen 2), so they
# are forced only on a CPU with avx512f. Elsewhere OpenBLAS picks its own.
if grep -qw avx512f /proc/cpuinfo; then
  BLAS_ENV="OPENBLAS_CORETYPE=SkylakeX"
else
  BLAS_ENV="env"
fi

die() { echo "bench/run.sh: $*" >&2; exit 1; }

BENCH="${BENCH:-all}"
case "$BENCH" in
  gemm) ;;
  attention) exec bash bench/attention/run.sh "$BUILD" ;;
  sparse) exec bash bench/sparse/run.sh "$BUILD" ;;
  quant) exec bash bench/quant/run.sh "$BUILD" ;;
  models) exec bash bench/models/run.sh "$BUILD" ;;
  dynamic) exec bash bench/dynamic/run.sh "$BUILD" ;;
  all)
    BENCH=gemm bash bench/run.sh "$BUILD"
    gemm_status=$?
    BENCH=attention bash bench/run.sh "$BUILD"
    attention_status=$?
    BENCH=sparse bash bench/run.sh "$BUILD"
    sparse_status=$?
    BENCH=quant bash bench/run.sh "$BUILD"
    quant_status=$?
    BENCH=models bash bench/run.sh "$BUILD"
    models_status=$?
    BENCH=dynamic bash bench/run.sh "$BUILD"
    dynamic_status=$?
    [ $dynamic_status -eq 0 ] || echo "bench/run.sh: the dynamic part failed (exit $dynamic_status)" >&2
    [ $quant_status -eq 0 ] || echo "bench/run.sh: the quant part failed (exit $quant_status)" >&2
    [ $models_status -eq 0 ] || echo "bench/run.sh: the models part failed (exit $models_status)" >&2
    [ $gemm_status -eq 0 ] || echo "bench/run.sh: the GEMM part failed (exit $gemm_status)" >&2
    [ $attention_status -eq 0 ] || echo "bench/run.sh: the attention part failed (exit $attention_status)" >&2
    [ $sparse_status -eq 0 ] || echo "bench/run.sh: the sparse part failed (exit $sparse_status)" >&2
    [ $gemm_status -eq 0 ] && [ $attention_status -eq 0 ] && [ $sparse_status -eq 0 ] &&
      [ $quant_status -eq 0 ] && [ $models_status -eq 0 ] && [ $dynamic_status -eq 0 ]
    exit $?
    ;;
  *) die "BENCH must be gemm, attention, sparse, quant, models, dynamic or all (got '$BENCH')" ;;
esac
[ -x "$EFFC_RUN" ] || die "$EFFC_RUN not found; build first (make build)"
[ -x "$PYTHON" ] || die "$PYTHON not found"
"$PYTHON" -c 'import numpy' 2>/dev/null || die "$PYTHON has no numpy (python3-numpy)"
[ -f /usr/include/x86_64-linux-gnu/cblas.h ] || [ -f /usr/include/cblas.h ] ||
  die "cblas.h not found: install libopenblas-dev (scripts/bootstrap.sh does)"

mkdir -p "$SCRATCH" "$RESULTS"
RAW="$SCRATCH/gemm_raw.tsv"
LOG="$SCRATCH/gemm_log.txt"
: >"$RAW"
: >"$LOG"

START_EPOCH=$(date +%s)
DATE=$(date -u +%Y-%m-%dT%H:%M:%SZ)
CPU_MODEL=$(grep -m1 '^model name' /proc/cpuinfo | sed 's/^model name[[:space:]]*:[[:space:]]*//')
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)

# 1. Inputs and the peer.
GEN_CMD="$PYTHON bench/gemm/generate.py $SCRATCH $SHAPES"
$GEN_CMD >>"$LOG" || die "generate.py failed"
BLAS_BIN="$SCRATCH/openblas_gemm"
BUILD_BLAS_CMD="$CC -O2 -o $BLAS_BIN bench/gemm/openblas_gemm.c -lopenblas"
$BUILD_BLAS_CMD || die "building the OpenBLAS driver failed: $BUILD_BLAS_CMD"

# Iterations so that the timed calls take about TARGET_S even if the code ran
# at an optimistic 150 GFLOP/s per thread and 12 GB/s: slower code only makes
# a measurement longer. At least 5, at most 3000.
iters_for() { # M N K T
  "$PYTHON" - "$@" "$TARGET_S" <<'PY'
import math, sys
m, n, k, t = (int(x) for x in sys.argv[1:5]); target = float(sys.argv[5])
est = max(2.0 * m * n * k / (150e9 * t), 4.0 * (m * k + k * n + m * n) / 12e9)
print(min(3000, max(5, math.ceil(target / est))))
PY
}

# Runs one command (a string, logged verbatim), appends a raw row:
# tool shape threads round iters status median_ms min_ms command
measure() { # tool shape threads round iters cmd
  local tool=$1 shape=$2 t=$3 round=$4 iters=$5 cmd=$6 out rc med mn
  out=$(timeout "$CMD_TIMEOUT" bash -c "$cmd" 2>&1)
  rc=$?
  { echo "\$ $cmd"; echo "$out"; echo "[rc=$rc]"; } >>"$LOG"
  if [ "$tool" = effc ]; then
    med=$(sed -n 's/.*effc-run: bench @gemm median_ms=\([0-9.]*\).*/\1/p' <<<"$out")
    mn=$(sed -n 's/.*effc-run: bench @gemm .*min_ms=\([0-9.]*\).*/\1/p' <<<"$out")
  else
    med=$(sed -n 's/^openblas: sgemm .*median_ms=\([0-9.]*\).*/\1/p' <<<"$out")
    mn=$(sed -n 's/^openblas: sgemm .*min_ms=\([0-9.]*\).*/\1/p' <<<"$out")
    core=$(sed -n 's/^openblas: sgemm .*core=\([^ ]*\).*/\1/p' <<<"$out")
    [ -n "$core" ] && echo "$core" >"$SCRATCH/openblas_core.txt"
  fi
  if [ $rc -ne 0 ] || [ -z "$med" ]; then
    local why
    why=$(grep -v '^effc-run: output' <<<"$out" | tail -n 3 | tr '\t\n' '  ' | cut -c1-300)
    [ $rc -eq 124 ] && why="timed out after ${CMD_TIMEOUT}s; $why"
    printf '%s\t%s\t%s\t%s\t%s\tFAIL rc=%s: %s\t\t\t%s\n' \
      "$tool" "$shape" "$t" "$round" "$iters" "$rc" "$why" "$cmd" >>"$RAW"
    echo "  $tool $shape threads=$t round $round: FAILED (rc=$rc) $why" >&2
  else
    printf '%s\t%s\t%s\t%s\t%s\tok\t%s\t%s\t%s\n' \
      "$tool" "$shape" "$t" "$round" "$iters" "$med" "$mn" "$cmd" >>"$RAW"
    echo "  $tool $shape threads=$t round $round: median ${med} ms (min ${mn}, $iters iters)"
  fi
}

echo "bench/run.sh: f32 GEMM, effc vs OpenBLAS ($BLAS_ENV), $ROUNDS alternating rounds"
echo "bench/run.sh: CPU: $CPU_MODEL; load average at start: $LOAD_START"
for shape in $SHAPES; do
  IFS=x read -r M N K <<<"$shape"
  for t in $THREADS; do
    iters=$(iters_for "$M" "$N" "$K" "$t")
    effc_cmd="OMP_NUM_THREADS=$t $EFFC_RUN $SCRATCH/gemm_${shape}.mlir --entry gemm --bench $iters"
    blas_cmd="$BLAS_ENV $BLAS_BIN $M $N $K $t $iters"
    for ((r = 1; r <= ROUNDS; r++)); do
      measure effc "$shape" "$t" "$r" "$iters" "$effc_cmd"
      measure openblas "$shape" "$t" "$r" "$iters" "$blas_cmd"
    done
  done
done

LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg)
ELAPSED=$(($(date +%s) - START_EPOCH))
BLAS_CORE=$(cat "$SCRATCH/openblas_core.txt" 2>/dev/null || echo unknown)
BLAS_CONFIG=$(sed -n 's/^openblas: config //p' "$LOG" | head -n 1)

# 2. Tables.
export DATE CPU_MODEL LOAD_START LOAD_END ELAPSED ROUNDS TARGET_S BUILD BLAS_ENV \
  BLAS_CORE BLAS_CONFIG GEN_CMD BUILD_BLAS_CMD RAW RESULTS NPROC="$(nproc)" \
  KERNEL="$(uname -sr)" CPU_FLAGS="$(grep -m1 '^flags' /proc/cpuinfo | grep -o -w -E 'avx512f|avx512_bf16|avx512_fp16|avx512_vnni|amx_bf16|amx_int8|amx_tile|avx2|fma' | sort -u | tr '\n' ' ')"
"$PYTHON" - <<'PY'
import json, os, statistics

E = os.environ
PEAK_PER_CORE = 174.0  # GFLOP/s: 2 AVX-512 FMA units x 16 lanes x 2 flops x 2.7 GHz
rows = []
for line in open(E["RAW"]):
    tool, shape, t, rnd, iters, status, med, mn, cmd = line.rstrip("\n").split("\t")
    rows.append(dict(tool=tool, shape=shape, threads=int(t), round=int(rnd),
                     iters=int(iters), status=status,
                     median_ms=float(med) if med else None,
                     min_ms=float(mn) if mn else None, command=cmd))

keys = []
for r in rows:
    k = (r["shape"], r["threads"])
    if k not in keys:
        keys.append(k)

def summarize(tool, shape, t):
    runs = [r for r in rows if r["tool"] == tool and r["shape"] == shape and r["threads"] == t]
    ok = [r for r in runs if r["status"] == "ok"]
    fails = [r["status"] for r in runs if r["status"] != "ok"]
    m, n, k = (int(x) for x in shape.split("x"))
    flops = 2.0 * m * n * k
    res = dict(command=runs[0]["command"] if runs else None, iters=runs[0]["iters"] if runs else None,
               round_median_ms=[r["median_ms"] for r in ok], round_min_ms=[r["min_ms"] for r in ok],
               failures=fails, median_ms=None, min_ms=None, gflops=None, peak_fraction=None)
    if ok:
        med = statistics.median(res["round_median_ms"])
        res.update(median_ms=med, min_ms=min(res["round_min_ms"]),
                   gflops=flops / (med * 1e-3) / 1e9)
        res["peak_fraction"] = res["gflops"] / (PEAK_PER_CORE * t)
    return res

results = []
for shape, t in keys:
    m, n, k = (int(x) for x in shape.split("x"))
    e, b = summarize("effc", shape, t), summarize("openblas", shape, t)
    ratio = e["gflops"] / b["gflops"] if e["gflops"] and b["gflops"] else None
    results.append(dict(shape=shape, M=m, N=n, K=k, threads=t, flops=2 * m * n * k,
                        peak_gflops=PEAK_PER_CORE * t, effc=e, openblas=b,
                        ratio_effc_over_openblas=ratio))

head = next((r for r in results if r["shape"] == "1024x1024x1024" and r["threads"] == 2), None)
head_ratio = head["ratio_effc_over_openblas"] if head else None
head_verdict = ("not measured" if head is None else
                "FAILED to run" if head_ratio is None else
                "meets" if head_ratio >= 0.5 else "misses")
any_fail = any(r["effc"]["failures"] or r["openblas"]["failures"] for r in results)

meta = dict(
    benchmark="f32 GEMM C = A x B (linalg.fill 0 + linalg.matmul on tensors)",
    date_utc=E["DATE"], cpu_model=E["CPU_MODEL"], cpu_flags=E["CPU_FLAGS"].split(),
    logical_cpus=int(E["NPROC"]), kernel=E["KERNEL"],
    load_average_start=E["LOAD_START"], load_average_end=E["LOAD_END"],
    elapsed_s=int(E["ELAPSED"]), rounds=int(E["ROUNDS"]), target_s_per_measurement=float(E["TARGET_S"]),
    peak_assumption=f"FP32 FMA peak {PEAK_PER_CORE:.0f} GFLOP/s per core (2 x 512-bit FMA at 2.7 GHz) x threads",
    openblas=dict(environment=E["BLAS_ENV"], core=E["BLAS_CORE"], config=E["BLAS_CONFIG"]),
    commands=dict(generate=E["GEN_CMD"], build_openblas_driver=E["BUILD_BLAS_CMD"],
                  effc="OMP_NUM_THREADS=<T> " + E["BUILD"] + "/bin/effc-run bench/scratch/gemm_<M>x<N>x<K>.mlir --entry gemm --bench <iters>",
                  openblas=E["BLAS_ENV"] + " bench/scratch/openblas_gemm <M> <N> <K> <T> <iters>"),
    headline=dict(requirement="f32 GEMM 1024^3 on 2 threads: effc/OpenBLAS throughput >= 0.5x",
                  ratio=head_ratio, verdict=head_verdict),
    any_failure=any_fail)
tmp = os.path.join(E["RESULTS"], "gemm.json.tmp")
with open(tmp, "w") as f:
    json.dump(dict(meta=meta, results=results, raw_runs=rows), f, indent=2)
os.replace(tmp, os.path.join(E["RESULTS"], "gemm.json"))

def fmt(x, spec):
    return "—" if x is None else format(x, spec)

def cell_ms(s):
    if s["median_ms"] is None:
        return "FAILED"
    return fmt(s["median_ms"], ".3f") + (" (!)" if s["failures"] else "")

L = []
L.append("# f32 GEMM: effc vs OpenBLAS\n")
L.append("Generated by `bench/run.sh` (`make bench`). C = A x B, row-major f32, "
         "`linalg.fill` 0 + `linalg.matmul` on tensors for effc, `cblas_sgemm` for OpenBLAS.\n")
L.append(f"- Date (UTC): {E['DATE']}")
L.append(f"- CPU: {E['CPU_MODEL']} ({E['NPROC']} logical CPUs; flags: {E['CPU_FLAGS'].strip()}); kernel {E['KERNEL']}")
L.append(f"- OpenBLAS: Debian {E['BLAS_CONFIG'] or '?'} (pthread variant), run with `{E['BLAS_ENV']}` "
         f"-> kernels `{E['BLAS_CORE']}` (without it 0.3.21 falls back to SSE3 `Prescott` kernels on this CPU)")
L.append(f"- Peak assumption: FP32 FMA peak = {PEAK_PER_CORE:.0f} GFLOP/s per core (2 x 512-bit FMA x 2.7 GHz) "
         "x threads; \"% peak\" = GFLOP/s / that")
L.append(f"- Method: per (shape, threads), {E['ROUNDS']} alternating rounds (effc, OpenBLAS, effc, ...); each run "
         "times `iters` calls after warm-up and reports their median; the table shows the median over rounds "
         f"(iters chosen for ~{E['TARGET_S']} s of timed calls per run). GFLOP/s = 2·M·N·K / median time.")
L.append(f"- Machine load average (1/5/15 min): {E['LOAD_START']} at start, {E['LOAD_END']} at end; "
         f"whole run {E['ELAPSED']} s. The machine is shared: expect noise of up to ~2x between runs.")
load1 = float(E["LOAD_START"].split()[0]), float(E["LOAD_END"].split()[0])
if max(load1) > 0.5 * int(E["NPROC"]):
    L.append(f"- **Warning: the machine was busy with other work during this run** (1-minute load "
             f"{load1[0]:.1f} at start, {load1[1]:.1f} at end, on {E['NPROC']} CPUs): absolute times are "
             "inflated and noisy; the alternating effc/OpenBLAS ratios are the more trustworthy numbers, and "
             "2-thread runs suffer most (a thread waiting for a busy CPU stalls the whole GEMM).")
L.append("")
hr = fmt(head_ratio, ".2f")
L.append(f"**Headline requirement: f32 GEMM 1024^3 on 2 threads, effc/OpenBLAS throughput >= 0.5x. "
         + (f"Measured: {hr}x — {head_verdict} the target.**\n" if head_ratio is not None
            else f"Measured: {head_verdict}.**\n"))
L.append("| M x N x K | threads | effc ms | effc GFLOP/s | effc % peak | OpenBLAS ms | OpenBLAS GFLOP/s | OpenBLAS % peak | effc/OpenBLAS |")
L.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
for r in results:
    e, b = r["effc"], r["openblas"]
    L.append(f"| {r['M']} x {r['N']} x {r['K']} | {r['threads']} | {cell_ms(e)} | {fmt(e['gflops'], '.1f')} | "
             f"{fmt(e['peak_fraction'] and 100 * e['peak_fraction'], '.0f')}% | {cell_ms(b)} | {fmt(b['gflops'], '.1f')} | "
             f"{fmt(b['peak_fraction'] and 100 * b['peak_fraction'], '.0f')}% | {fmt(r['ratio_effc_over_openblas'], '.2f')}x |")
L.append("")
if any_fail:
    L.append("## Failures\n")
    L.append("(!) marks a cell where some rounds failed; FAILED, where all did.\n")
    for r in results:
        for tool in ("effc", "openblas"):
            for f in r[tool]["failures"]:
                L.append(f"- {tool} {r['shape']} threads={r['threads']}: {f}")
    L.append("")
L.append("## Per-round medians (ms)\n")
L.append("| M x N x K | threads | iters | effc rounds | OpenBLAS rounds |")
L.append("|---|---:|---:|---|---|")
for r in results:
    e, b = r["effc"], r["openblas"]
    L.append(f"| {r['shape']} | {r['threads']} | {e['iters']} | {', '.join(f'{x:.3f}' for x in e['round_median_ms']) or '—'} | "
             f"{', '.join(f'{x:.3f}' for x in b['round_median_ms']) or '—'} |")
L.append("")
L.append("## Commands\n")
L.append("```sh")
L.append(E["GEN_CMD"])
L.append(E["BUILD_BLAS_CMD"])
for r in results:
    L.append(r["effc"]["command"])
    L.append(r["openblas"]["command"])
L.append("```\n")
L.append("Notes: effc's time is one call of the JIT-compiled `@gemm` (`effc-run --bench`; it includes allocating "
         "the result and packing A and B); OpenBLAS's is one `cblas_sgemm` call into a preallocated C. "
         "Inputs are random (effc-run's seeded random inputs; the driver's xorshift). "
         "Raw output of every command: `bench/scratch/gemm_log.txt`; all numbers: `bench/results/gemm.json`.")
tmp = os.path.join(E["RESULTS"], "gemm.md.tmp")
with open(tmp, "w") as f:
    f.write("\n".join(L) + "\n")
os.replace(tmp, os.path.join(E["RESULTS"], "gemm.md"))
print("\n".join(L[L.index(next(l for l in L if l.startswith("**Headline"))):]).split("\n## Per-round")[0])
PY
status=$?
[ $status -eq 0 ] || die "writing the results failed"
echo "bench/run.sh: wrote $RESULTS/gemm.md and $RESULTS/gemm.json (${ELAPSED}s)"
if grep -q $'\tFAIL' "$RAW"; then
  echo "bench/run.sh: some runs FAILED (see $RESULTS/gemm.md and $LOG)" >&2
  exit 1
fi

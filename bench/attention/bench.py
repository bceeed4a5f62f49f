#!/usr/bin/python3
"""effc attention benchmark: the decomposed upstream form with and without
--effc-rewrite-attention (materialized S x S scores vs. effc's flash loop).

usage: bench.py BUILD_DIR      (bench/attention/run.sh calls it; see bench/README.md)

Writes bench/results/attention.md and bench/results/attention.json; scratch
files (generated MLIR, raw log) go to bench/scratch/attention/.

Knobs (environment): SEQS ("512 1024 2048 4096 8192"), THREADS ("2"),
ROUNDS (2), TARGET_S (0.4), CMD_TIMEOUT (300), NAIVE_MAX_GB (8).
"""
import json
import math
import os
import re
import shlex
import signal
import statistics
import subprocess
import sys
import tempfile
import time

PYTHON = "/usr/bin/python3"
SCRATCH = "bench/scratch/attention"
RESULTS = "bench/results"
B, H, D = 1, 4, 64
PEAK_PER_CORE = 174.0  # GFLOP/s: 2 AVX-512 FMA units x 16 lanes x 2 flops x 2.7 GHz
# Rough rate for choosing iters (GFLOP/s over the FLOPs a path executes): a
# little optimistic, so slow runs only take longer than TARGET_S.
EST_GFLOPS = 40.0
# S x S f32 buffers the naive path is assumed to hold at once (scores,
# scaled/masked scores, softmax output) when deciding whether to skip it.
NAIVE_COPIES = 3

E = os.environ
SEQS = [int(s) for s in E.get("SEQS", "512 1024 2048 4096 8192").split()]
THREADS = [int(t) for t in E.get("THREADS", "2").split()]
ROUNDS = int(E.get("ROUNDS", "2"))
TARGET_S = float(E.get("TARGET_S", "0.4"))
CMD_TIMEOUT = float(E.get("CMD_TIMEOUT", "300"))
NAIVE_MAX_GB = float(E.get("NAIVE_MAX_GB", "8"))

log_file = None


def log(text):
    log_file.write(text + "\n")
    log_file.flush()


def say(text):
    print(text, flush=True)


def run(cmd, env_prefix=""):
    """Runs cmd (a list) with env_prefix ("VAR=x ...") and a timeout.
    Returns (rc, output, peak_rss_kib, shown_command); rc 124 on timeout."""
    env = dict(os.environ)
    for kv in shlex.split(env_prefix):
        k, v = kv.split("=", 1)
        env[k] = v
    shown = (env_prefix + " " if env_prefix else "") + " ".join(shlex.quote(c) for c in cmd)
    with tempfile.TemporaryFile() as out:
        try:
            proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env)
        except OSError as err:  # e.g. the tool is being relinked
            log(f"$ {shown}\n{err}\n[rc=127]")
            return 127, str(err), 0, shown
        deadline = time.monotonic() + CMD_TIMEOUT
        timed_out = False
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() > deadline and not timed_out:
                timed_out = True
                proc.send_signal(signal.SIGKILL)
            time.sleep(0.02)
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        text = out.read().decode(errors="replace")
    rc = 124 if timed_out else proc.returncode
    log(f"$ {shown}\n{text.rstrip()}\n[rc={rc} peak_rss_kib={usage.ru_maxrss}]")
    return rc, text, usage.ru_maxrss, shown


def snapshot_tools(build):
    """Copies BUILD/bin/effc-run and effc-opt to SCRATCH/bin and runs those,
    so that a rebuild during the benchmark (a shared dev machine) neither
    breaks runs nor mixes two builds' numbers. Waits up to 3 minutes for a
    tool that is being relinked (missing, empty or not executable)."""
    import shutil
    dest = os.path.join(SCRATCH, "bin")
    os.makedirs(dest, exist_ok=True)
    copies, info = [], {}
    for name in ("effc-run", "effc-opt"):
        src = os.path.join(build, "bin", name)
        deadline = time.monotonic() + 180
        while True:
            ready = (os.access(src, os.X_OK) and os.path.getsize(src) > 0
                     and time.time() - os.path.getmtime(src) > 2)
            if ready:
                dst = os.path.join(dest, name)
                shutil.copy2(src, dst)
                ok = subprocess.run([dst, "--version"], stdout=subprocess.DEVNULL,
                                    stderr=subprocess.DEVNULL).returncode == 0
                if ok:
                    break
            if time.monotonic() > deadline:
                sys.exit(f"bench/attention: {src} not found or not runnable; build first (make build)")
            time.sleep(3)
        mtime = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(os.path.getmtime(dst)))
        info[name] = dict(source=src, copy=dst, source_mtime=mtime)
        log(f"copied {src} (built {mtime}) to {dst}")
        copies.append(dst)
    return copies[0], copies[1], info


def flops(s, causal):
    full = 4.0 * B * H * s * s * D
    return full / 2 if causal else full


def iters_for(s, executed_flops, t):
    est = executed_flops / (EST_GFLOPS * 1e9 * t / 2)  # EST_GFLOPS is for 2 threads
    return min(200, max(2, math.ceil(TARGET_S / est)))


def mem_available_bytes():
    for line in open("/proc/meminfo"):
        if line.startswith("MemAvailable:"):
            return int(line.split()[1]) * 1024
    return None


def last_lines(text, n=3):
    lines = [l for l in text.splitlines() if not l.startswith("effc-run: output")]
    return " ".join(lines[-n:])[:300]


def main():
    global log_file
    build = sys.argv[1] if len(sys.argv) > 1 else "build"
    os.makedirs(SCRATCH, exist_ok=True)
    os.makedirs(RESULTS, exist_ok=True)
    log_file = open(os.path.join(SCRATCH, "attention_log.txt"), "w")
    effc_run, effc_opt, tool_info = snapshot_tools(build)

    start = time.time()
    date = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    cpu_model = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo")
                      if l.startswith("model name")), "unknown")
    load_start = " ".join(open("/proc/loadavg").read().split()[:3])
    say(f"bench/attention: f32 attention B={B} H={H} D={D}, S in {SEQS}, threads {THREADS}, "
        f"{ROUNDS} alternating rounds (naive, flash, ...)")
    say(f"bench/attention: CPU: {cpu_model}; load average at start: {load_start}")

    # 1. Inputs.
    gen_cmd = [PYTHON, "bench/attention/generate.py", SCRATCH] + [str(s) for s in SEQS]
    rc, text, _, gen_shown = run(gen_cmd)
    if rc != 0:
        sys.exit(f"bench/attention: generate.py failed:\n{text}")

    def path(kind, causal, s):
        return os.path.join(SCRATCH, f"attn_{kind}{'_causal' if causal else ''}_S{s}.mlir")

    # 2. Does --effc-rewrite-attention fuse the decomposed IR?
    rewrite = {}
    for causal in (False, True):
        for s in SEQS:
            cmd = [effc_opt, path("decomposed", causal, s), "--effc-rewrite-attention"]
            rc, text, _, shown = run(cmd)
            ops = [l for l in text.splitlines() if "effc.attention" in l]
            masks = sorted({m for l in ops for m in re.findall(r"#effc\.mask<(\w+)>", l)})
            rewrite[(causal, s)] = dict(command=shown + " | grep -c effc.attention", rc=rc,
                                        count=len(ops) if rc == 0 else 0,
                                        masks=masks or (["none"] if ops else []),
                                        error=None if rc == 0 else last_lines(text))
    for causal in (False, True):
        counts = {s: rewrite[(causal, s)]["count"] for s in SEQS}
        say(f"bench/attention: effc-opt --effc-rewrite-attention on the decomposed "
            f"{'causal' if causal else 'non-causal'} IR: effc.attention count per S {counts}")

    # The flash path of each (causal, S): the decomposed IR through the pass
    # when it fuses it (one effc.attention with the right mask), else the
    # direct effc.attention file.
    def flash_source(causal, s):
        r = rewrite[(causal, s)]
        want = "causal" if causal else "none"
        if r["count"] == 1 and r["masks"] == [want]:
            return "rewrite"
        return "direct"

    configs = []  # (s, causal, t)
    for s in SEQS:
        for causal in (False, True):
            for t in THREADS:
                configs.append((s, causal, t))

    def commands(s, causal, t):
        env = f"OMP_NUM_THREADS={t}"
        naive_iters = iters_for(s, flops(s, False), t)  # computes every score
        flash_iters = iters_for(s, flops(s, causal), t)
        naive = [effc_run, path("decomposed", causal, s), "--entry", "attention",
                 "--bench", str(naive_iters)]
        if flash_source(causal, s) == "rewrite":
            flash = [effc_run, path("decomposed", causal, s), "--entry", "attention",
                     "--bench", str(flash_iters), "--pipeline", "effc-rewrite-attention"]
        else:
            flash = [effc_run, path("direct", causal, s), "--entry", "attention",
                     "--bench", str(flash_iters)]
        return env, (naive, naive_iters), (flash, flash_iters)

    # 3. Correctness spot check at the smallest S: each path against the
    # reference lowering of its (unoptimized) input.
    checks = []
    s0 = min(SEQS)
    for causal in (False, True):
        env, (naive, _), (flash, _) = commands(s0, causal, max(THREADS))
        for name, cmd in (("naive", naive), ("flash", flash)):
            cmd = [c for c in cmd]
            i = cmd.index("--bench")
            del cmd[i:i + 2]
            cmd.append("--compare-to-reference")
            rc, text, _, shown = run(cmd, env)
            m = re.search(r"max_abs_err=(\S+) sqnr_db=(\S+)", text)
            checks.append(dict(S=s0, causal=causal, path=name, command=shown, rc=rc,
                               max_abs_err=m.group(1) if m else None,
                               sqnr_db=m.group(2) if m else None,
                               error=None if (rc == 0 and m) else last_lines(text)))
            say(f"  check S={s0} {'causal' if causal else 'non-causal'} {name}: "
                + (f"max_abs_err={m.group(1)} sqnr_db={m.group(2)}" if m else f"FAILED rc={rc}"))

    # 4. Timed runs, naive and flash alternating.
    mem_avail = mem_available_bytes()
    raw = {}
    skipped = {}
    for s, causal, t in configs:
        env, (naive, ni), (flash, fi) = commands(s, causal, t)
        need = NAIVE_COPIES * B * H * s * s * 4
        limit = NAIVE_MAX_GB * 1e9
        if mem_avail:
            limit = min(limit, 0.8 * mem_avail)
        if need > limit:
            skipped[(s, causal, t)] = (f"skipped: ~{need / 1e9:.1f} GB of S x S scores "
                                       f"({NAIVE_COPIES} copies of B*H*S*S f32) > {limit / 1e9:.1f} GB")
        for r in range(1, ROUNDS + 1):
            for name, cmd, iters in (("naive", naive, ni), ("flash", flash, fi)):
                key = (s, causal, t, name)
                entry = raw.setdefault(key, dict(iters=iters, rounds=[], command=None))
                if name == "naive" and (s, causal, t) in skipped:
                    entry["command"] = f"{env} " + " ".join(shlex.quote(c) for c in cmd)
                    continue
                rc, text, rss, shown = run(cmd, env)
                entry["command"] = shown
                m = re.search(r"effc-run: bench @attention median_ms=([0-9.]+) min_ms=([0-9.]+)", text)
                tag = f"  {name} S={s} {'causal' if causal else 'non-causal'} threads={t} round {r}"
                if rc == 0 and m:
                    entry["rounds"].append(dict(status="ok", median_ms=float(m.group(1)),
                                                min_ms=float(m.group(2)), peak_rss_kib=rss))
                    say(f"{tag}: median {m.group(1)} ms (min {m.group(2)}, {iters} iters), "
                        f"peak RSS {rss / 1024:.0f} MiB")
                else:
                    why = last_lines(text)
                    if rc == 124:
                        why = f"timed out after {CMD_TIMEOUT:.0f}s; {why}"
                    entry["rounds"].append(dict(status=f"FAIL rc={rc}: {why}", median_ms=None,
                                                min_ms=None, peak_rss_kib=rss))
                    say(f"{tag}: FAILED (rc={rc}) {why}")

    load_end = " ".join(open("/proc/loadavg").read().split()[:3])
    elapsed = int(time.time() - start)

    # 5. Summaries.
    def summarize(s, causal, t, name):
        e = raw[(s, causal, t, name)]
        ok = [r for r in e["rounds"] if r["status"] == "ok"]
        res = dict(command=e["command"], iters=e["iters"],
                   round_median_ms=[r["median_ms"] for r in ok],
                   round_min_ms=[r["min_ms"] for r in ok],
                   round_peak_rss_kib=[r["peak_rss_kib"] for r in e["rounds"]],
                   failures=[r["status"] for r in e["rounds"] if r["status"] != "ok"],
                   skipped=skipped.get((s, causal, t)) if name == "naive" else None,
                   median_ms=None, min_ms=None, gflops=None, peak_fraction=None,
                   peak_rss_mib=None)
        if ok:
            med = statistics.median(res["round_median_ms"])
            res.update(median_ms=med, min_ms=min(res["round_min_ms"]),
                       gflops=flops(s, causal) / (med * 1e-3) / 1e9,
                       peak_rss_mib=max(r["peak_rss_kib"] for r in ok) / 1024.0)
            res["peak_fraction"] = res["gflops"] / (PEAK_PER_CORE * t)
        return res

    results = []
    for s, causal, t in configs:
        n, f = summarize(s, causal, t, "naive"), summarize(s, causal, t, "flash")
        src = flash_source(causal, s)
        results.append(dict(
            S=s, B=B, H=H, D=D, causal=causal, threads=t, flops=flops(s, causal),
            score_matrix_mib=B * H * s * s * 4 / 2**20,
            naive=n, flash=f,
            flash_ir=("decomposed + --pipeline effc-rewrite-attention" if src == "rewrite"
                      else "direct effc.attention (fallback: the pass did not rewrite the decomposed IR)"),
            flash_speedup=(n["median_ms"] / f["median_ms"]
                           if n["median_ms"] and f["median_ms"] else None)))

    nproc = os.cpu_count()
    kernel = " ".join(os.uname()[i] for i in (0, 2))
    data = dict(
        benchmark="f32 attention, decomposed linalg (naive) vs effc-rewrite-attention / effc.attention (flash)",
        date=date, cpu_model=cpu_model, nproc=nproc, kernel=kernel, build=build, tools=tool_info,
        load_average_start=load_start, load_average_end=load_end, elapsed_s=elapsed,
        rounds=ROUNDS, target_s=TARGET_S, threads=THREADS, seqs=SEQS,
        shape=dict(B=B, H=H, D=D),
        peak_gflops_per_core=PEAK_PER_CORE,
        peak_assumption="FP32 FMA peak = 174 GFLOP/s per core (2 x 512-bit FMA x 16 lanes x 2 flops x 2.7 GHz) x threads",
        flop_count="4*B*H*S*S*D for non-causal, half that for causal (for both paths, though naive computes every score)",
        naive_skip_rule=f"skip naive when {NAIVE_COPIES} x B*H*S*S*4 bytes > min({NAIVE_MAX_GB} GB, 0.8 x MemAvailable)",
        generate_command=gen_shown, rewrite_check=[
            dict(S=s, causal=c, **rewrite[(c, s)]) for c in (False, True) for s in SEQS],
        correctness_checks=checks, results=results)
    with open(os.path.join(RESULTS, "attention.json.tmp"), "w") as fjson:
        json.dump(data, fjson, indent=2)
        fjson.write("\n")
    os.replace(os.path.join(RESULTS, "attention.json.tmp"), os.path.join(RESULTS, "attention.json"))

    def fmt(x, spec, none="—"):
        return none if x is None else format(x, spec)

    def cell_ms(r):
        if r["skipped"]:
            return "skipped"
        if r["median_ms"] is None:
            return "FAILED"
        return f"{r['median_ms']:.3f}" + (" (!)" if r["failures"] else "")

    rewrote_nc = all(flash_source(False, s) == "rewrite" for s in SEQS)
    rewrote_c = all(flash_source(True, s) == "rewrite" for s in SEQS)
    any_fail = any(r[p]["failures"] for r in results for p in ("naive", "flash"))
    L = []
    L.append("# f32 attention: naive (materialized scores) vs flash\n")
    L.append("Generated by `bench/run.sh` (`BENCH=attention`, part of `make bench`). "
             f"softmax(Q K^T / sqrt(D) [+ causal mask]) V with B={B}, H={H}, D={D} over [B*H, S, D] = "
             f"[{B * H}, S, {D}], f32, for S in {{{', '.join(map(str, SEQS))}}}, non-causal and causal.\n")
    L.append(f"- Date (UTC): {date}")
    L.append(f"- CPU: {cpu_model} ({nproc} logical CPUs); kernel {kernel}")
    L.append("- Tools: " + ", ".join(f"`{v['copy']}` = copy of `{v['source']}` (built {v['source_mtime']})"
                                     for v in tool_info.values())
             + ", copied at the start so that a rebuild during the run cannot mix builds.")
    L.append("- **naive**: `bench/attention/generate.py`'s decomposed upstream IR (linalg.transpose + "
             "linalg.batch_matmul for Q x K^T, a linalg.generic mulf by 1/sqrt(D), causal: a linalg.generic "
             "selecting -inf from linalg.index i, j, linalg.softmax dimension(2), linalg.batch_matmul with V) "
             "through `effc-run` with no `--pipeline`: the CPU pipeline materializes the B*H x S x S scores and "
             "runs its GEMM kernels.")
    L.append("- **flash**: effc's CPU lowering of `effc.attention` (a flash loop nest with online softmax; "
             "causal skips the masked key blocks). Source IR: the decomposed file with "
             "`--pipeline effc-rewrite-attention` where the pass fuses it into one `effc.attention`, "
             "otherwise the same attention written directly as `effc.attention` (the \"flash IR\" column).")
    nc_state = "fuses" if rewrote_nc else "does **not** fuse"
    c_state = "fuses" if rewrote_c else "does **not** fuse"
    L.append(f"- Rewrite check (`effc-opt FILE --effc-rewrite-attention | grep -c effc.attention`): the pass "
             f"{nc_state} the non-causal decomposed IR and {c_state} the causal one (index/select mask)"
             + ("" if rewrote_nc and rewrote_c else
                "; where it does not, the flash numbers come from the direct `effc.attention` file "
                "(`{mask = #effc.mask<causal>}` for causal), i.e. they measure effc's flash lowering, "
                "not the pass") + ".")
    L.append(f"- Peak assumption: FP32 FMA peak = {PEAK_PER_CORE:.0f} GFLOP/s per core (2 x 512-bit FMA x 16 "
             "lanes x 2 flops x 2.7 GHz) x threads (x 2 = 348 GFLOP/s on 2 threads); \"% peak\" = GFLOP/s / that.")
    L.append("- FLOPs: 4·B·H·S²·D non-causal, half of that causal (for both paths; the naive path still "
             "computes every score, so its causal GFLOP/s are effective, not executed).")
    L.append(f"- Method: per (S, mask, threads), {ROUNDS} alternating rounds (naive, flash, naive, ...); each "
             f"run times `iters` calls after two warm-up calls (`effc-run --bench`) and reports their median; "
             f"the table shows the median over rounds (iters aimed at ~{TARGET_S} s of timed calls, at least 2).")
    L.append("- Peak RSS: `ru_maxrss` of each effc-run process (`os.wait4`), the max over rounds. It includes "
             "the JIT compiler itself (~150 MiB for these small modules) and the random inputs; one B*H x S x S "
             "f32 score tensor is the \"scores MiB\" column.")
    L.append(f"- Naive runs are skipped when {NAIVE_COPIES} S x S score copies (B*H*S*S*4 bytes each) would "
             f"exceed min({NAIVE_MAX_GB:g} GB, 0.8 x MemAvailable = "
             f"{(0.8 * mem_avail / 1e9) if mem_avail else float('nan'):.1f} GB): "
             + (", ".join(f"S={k[0]} {'causal' if k[1] else 'non-causal'}" for k in skipped) + " skipped."
                if skipped else "none was skipped at these sizes."))
    L.append(f"- Machine load average (1/5/15 min): {load_start} at start, {load_end} at end; attention part "
             f"{elapsed} s. The machine is shared: expect noise of up to ~2x between runs.")
    l1 = float(load_start.split()[0]), float(load_end.split()[0])
    if max(l1) > 0.5 * nproc:
        L.append(f"- **Warning: the machine was busy with other work during this run** (1-minute load "
                 f"{l1[0]:.1f} at start, {l1[1]:.1f} at end, on {nproc} CPUs): absolute times are inflated "
                 "and noisy; the alternating naive/flash ratios are the more trustworthy numbers.")
    L.append("")
    L.append("| S | mask | threads | scores MiB | naive ms | naive GFLOP/s | naive % peak | naive peak RSS MiB | "
             "flash ms | flash GFLOP/s | flash % peak | flash peak RSS MiB | flash speedup | flash IR |")
    L.append("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    for r in results:
        n, f = r["naive"], r["flash"]
        L.append(
            f"| {r['S']} | {'causal' if r['causal'] else 'none'} | {r['threads']} | {r['score_matrix_mib']:.0f} | "
            f"{cell_ms(n)} | {fmt(n['gflops'], '.1f')} | {fmt(n['peak_fraction'] and 100 * n['peak_fraction'], '.1f')}% | "
            f"{fmt(n['peak_rss_mib'], '.0f')} | {cell_ms(f)} | {fmt(f['gflops'], '.1f')} | "
            f"{fmt(f['peak_fraction'] and 100 * f['peak_fraction'], '.1f')}% | {fmt(f['peak_rss_mib'], '.0f')} | "
            f"{fmt(r['flash_speedup'], '.2f')}x | {'rewrite' if r['flash_ir'].startswith('decomposed') else 'direct'} |")
    L.append("")
    L.append("\"flash speedup\" = naive ms / flash ms. \"flash IR\": `rewrite` = decomposed IR + "
             "`--pipeline effc-rewrite-attention`; `direct` = the `effc.attention` file (fallback).\n")
    L.append("## Correctness spot check\n")
    L.append(f"At S={s0}, each path's output against the reference lowering of its own input "
             "(`effc-run --compare-to-reference`; both get the same seeded random Q, K, V):\n")
    L.append("| S | mask | path | max_abs_err | SQNR dB |")
    L.append("|---:|---|---|---:|---:|")
    for c in checks:
        L.append(f"| {c['S']} | {'causal' if c['causal'] else 'none'} | {c['path']} | "
                 f"{c['max_abs_err'] or 'FAILED'} | {c['sqnr_db'] or '—'} |")
    L.append("")
    if any_fail:
        L.append("## Failures\n")
        L.append("(!) marks a cell where some rounds failed; FAILED, where all did.\n")
        for r in results:
            for p in ("naive", "flash"):
                for fl in r[p]["failures"]:
                    L.append(f"- {p} S={r['S']} {'causal' if r['causal'] else 'none'} "
                             f"threads={r['threads']}: {fl}")
        L.append("")
    L.append("## Per-round medians (ms)\n")
    L.append("| S | mask | threads | naive iters | naive rounds | flash iters | flash rounds |")
    L.append("|---:|---|---:|---:|---|---:|---|")
    for r in results:
        n, f = r["naive"], r["flash"]
        L.append(f"| {r['S']} | {'causal' if r['causal'] else 'none'} | {r['threads']} | {n['iters']} | "
                 f"{', '.join(f'{x:.3f}' for x in n['round_median_ms']) or '—'} | {f['iters']} | "
                 f"{', '.join(f'{x:.3f}' for x in f['round_median_ms']) or '—'} |")
    L.append("")
    L.append("## Commands\n")
    L.append("```sh")
    L.append(gen_shown)
    for c in (False, True):
        for s in SEQS:
            L.append(rewrite[(c, s)]["command"])
    for c in checks:
        L.append(c["command"])
    for r in results:
        L.append(r["naive"]["command"] + ("   # skipped" if r["naive"]["skipped"] else ""))
        L.append(r["flash"]["command"])
    L.append("```\n")
    L.append("Notes: a call's time is one call of the JIT-compiled `@attention` (it includes allocating the "
             "output and, on the naive path, the S x S intermediates). Inputs are effc-run's seeded random "
             "inputs. Raw output of every command: `bench/scratch/attention/attention_log.txt`; all numbers: "
             "`bench/results/attention.json`.")
    tmp = os.path.join(RESULTS, "attention.md.tmp")
    with open(tmp, "w") as fmd:
        fmd.write("\n".join(L) + "\n")
    os.replace(tmp, os.path.join(RESULTS, "attention.md"))
    table_start = next(i for i, l in enumerate(L) if l.startswith("| S | mask | threads | scores"))
    say("\n".join(L[table_start:table_start + 2 + len(results)]))
    say(f"bench/attention: wrote {RESULTS}/attention.md and {RESULTS}/attention.json ({elapsed}s)")
    if any_fail or any(c["error"] for c in checks):
        print("bench/attention: some runs FAILED (see bench/results/attention.md and "
              f"{SCRATCH}/attention_log.txt)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

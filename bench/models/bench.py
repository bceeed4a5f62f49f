#!/usr/bin/env python3
"""effc benchmarks, models part: end-to-end latency of the real-model suite
(scripts/models/, the models `make eval` exports) against PyTorch eager and
ONNX Runtime, fp32 and int8 dynamic, on this CPU.

usage: bench.py BUILD_DIR   (bench/models/run.sh calls it with make eval's
                             Python; see bench/README.md)

Per model, per thread count T, in ROUNDS rounds, each round running every
engine once in turn (alternating, because the machine is shared and noisy):
  effc fp32       OMP_NUM_THREADS=T effc-run MODEL/FORM.mlir --entry main
                  --pipeline effc-raise,effc-rewrite-attention
                  --input MODEL/input0.npy[,...] --bench ITERS
                  for FORM in linalg, tosa (one effc-run per round: it
                  compiles first, --bench times only the calls)
  effc int8 dyn   the same with the pipeline
                  effc-raise,effc-rewrite-attention,effc-assign-precision{
                  weights=i8 activations=i8 granularity=channel},effc-quantize
  torch fp32      the module scripts/models/models.py builds (what export.py
                  exports), eager, torch.set_num_threads(T),
                  torch.inference_mode(), on the same input*.npy
  ORT fp32        MODEL/model.onnx, intra_op_num_threads=T,
                  inter_op_num_threads=1
  ORT int8 dyn    eval.py's quantize_dynamic (per-channel int8 weights,
                  MatMul/Gemm/Conv only), same session options
torch and ORT run in this process: two warm-up calls, then ITERS timed calls
(median and minimum), like effc-run --bench, but stopping after PEER_MAX_S
(2 s) of timed calls once there are 5. The reported time is the median
over rounds of each run's median.

Writes bench/results/models_speed.{md,json,png}; scratch (the effc-run copy,
the quantized ONNX files, the raw log) goes to bench/scratch/models/.
Knobs (environment): MODELS (default all seven), THREADS ("1 2"), ROUNDS (3),
MODELS_DIR (BUILD/models), ITERS (overrides the per-model counts below),
CMD_TIMEOUT (300 s per effc-run). Exit status 1 when anything failed; every
failure is in the results.
"""

import datetime
import importlib
import json
import os
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "scripts", "models"))
import models  # noqa: E402  (scripts/models/models.py: the model builders)

models_eval = importlib.import_module("eval")  # scripts/models/eval.py

SCRATCH = os.path.join("bench", "scratch", "models")
RESULTS = os.path.join("bench", "results")

E = os.environ
DEFAULT_MODELS = ["digits_mlp", "digits_cnn", "gpt_block", "mobilenet_v2",
                  "minilm", "llama", "deepseek_mla"]
MODELS = E.get("MODELS", "").replace(",", " ").split() or DEFAULT_MODELS
THREADS = [int(t) for t in E.get("THREADS", "1 2").split()]
ROUNDS = int(E.get("ROUNDS", "3"))
CMD_TIMEOUT = float(E.get("CMD_TIMEOUT", "300"))
ITERS_OVERRIDE = int(E["ITERS"]) if E.get("ITERS") else None

# Timed calls per measurement, the same for every engine and thread count of
# a model: about 0.1-0.5 s of calls at effc's 2-thread fp32 speed (digits
# MLP ~0.05 ms, digits CNN ~1.5, GPT block ~1.3, MobileNetV2 ~3.3, Llama
# ~2.7, DeepSeek MLA ~2, MiniLM ~65), which keeps the whole part at about
# 6-9 minutes on 2 cores; effc-run's compile (0.1-5 s a call) dominates.
ITERS = {"digits_mlp": 1000, "digits_cnn": 200, "gpt_block": 200,
         "mobilenet_v2": 100, "minilm": 8, "llama": 100, "deepseek_mla": 100}
# A peer far slower than effc (ORT's int8 dynamic convolutions run ~30x its
# fp32 ones on the digits CNN) stops timing after PEER_MAX_S seconds of
# calls, once it has PEER_MIN_CALLS; the row records the calls it made.
PEER_MAX_S = 2.0
PEER_MIN_CALLS = 5

FP32_PIPELINE = "effc-raise,effc-rewrite-attention"
INT8_PIPELINE = (FP32_PIPELINE + ",effc-assign-precision{weights=i8 activations=i8 "
                 "granularity=channel},effc-quantize")
FORMS = ["linalg", "tosa"]
# (key, engine, form, precision, label); the order is the order of a round.
ENGINES = [("effc_fp32_linalg", "effc", "linalg", "fp32", "effc fp32 (linalg)"),
           ("effc_int8_linalg", "effc", "linalg", "int8_dyn", "effc int8 dyn (linalg)"),
           ("effc_fp32_tosa", "effc", "tosa", "fp32", "effc fp32 (tosa)"),
           ("effc_int8_tosa", "effc", "tosa", "int8_dyn", "effc int8 dyn (tosa)"),
           ("torch_fp32", "torch", None, "fp32", "PyTorch fp32"),
           ("ort_fp32", "ort", None, "fp32", "ORT fp32"),
           ("ort_int8", "ort", None, "int8_dyn", "ORT int8 dyn")]
LABEL = {k: label for k, _, _, _, label in ENGINES}
BENCH_RE = re.compile(r"effc-run: bench @main median_ms=([0-9.]+) min_ms=([0-9.]+)")

log_file = None


def log(text):
    log_file.write(text.rstrip("\n") + "\n")
    log_file.flush()


def say(text):
    print(text, flush=True)


def one_line(text, n=300):
    return " ".join(str(text).split())[:n]


def snapshot_effc_run(build):
    """Copies BUILD/bin/effc-run to SCRATCH/bin and runs the copy, so that a
    rebuild during the benchmark (a shared dev machine) neither breaks runs
    nor mixes two builds' numbers (as bench/attention does)."""
    src = os.path.join(build, "bin", "effc-run")
    dst = os.path.join(SCRATCH, "bin", "effc-run")
    os.makedirs(os.path.dirname(dst), exist_ok=True)
    deadline = time.monotonic() + 180
    while True:  # waits up to 3 minutes for a tool that is being relinked
        if os.access(src, os.X_OK) and os.path.getsize(src) > 0 and \
                time.time() - os.path.getmtime(src) > 2:
            shutil.copy2(src, dst)
            if subprocess.run([dst, "--version"], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL).returncode == 0:
                break
        if time.monotonic() > deadline:
            sys.exit(f"bench/models: {src} not found or not runnable; build first (make build)")
        time.sleep(3)
    mtime = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(os.path.getmtime(dst)))
    log(f"copied {src} (built {mtime}) to {dst}")
    return dst, dict(source=src, copy=dst, source_mtime=mtime)


def cpu_flags():
    flags = set()
    for line in open("/proc/cpuinfo"):
        if line.startswith("flags"):
            flags = set(line.split(":", 1)[1].split())
            break
    isa = [f for f in ("avx2", "fma", "avx512f", "avx512_vnni", "avx_vnni",
                       "avx512_bf16", "avx512_fp16") if f in flags]
    isa += sorted(f for f in flags if f.startswith("amx"))
    return isa


def time_calls(fn, iters):
    """Two warm-up calls, then `iters` timed calls, or fewer (at least
    PEER_MIN_CALLS) once they took PEER_MAX_S: (median ms, min ms, calls)."""
    fn()
    fn()
    times = []
    t_end = time.perf_counter() + PEER_MAX_S
    for _ in range(iters):
        t0 = time.perf_counter()
        fn()
        t1 = time.perf_counter()
        times.append((t1 - t0) * 1e3)
        if t1 > t_end and len(times) >= PEER_MIN_CALLS:
            break
    return statistics.median(times), min(times), len(times)


class Peers:
    """PyTorch and ONNX Runtime for one model, in this process. Setup
    (building the module, quantizing, creating sessions) is done before or
    outside the timed calls; a setup failure fails that engine's every
    measurement with the same message."""

    def __init__(self, name, d, meta, inputs):
        self.name, self.d, self.meta, self.inputs = name, d, meta, inputs
        self.errors, self.sessions, self.paths = {}, {}, {}
        self.module = None
        self.setup_s = {}

    def setup(self):
        import torch
        t0 = time.time()
        try:
            torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))
            m = models.MODELS[self.name]()  # as export.py builds it
            self.module = m.module.eval()
            self.tensors = tuple(torch.from_numpy(a) for a in self.inputs)
        except Exception as e:  # noqa: BLE001 - recorded
            self.errors["torch_fp32"] = f"building the model: {type(e).__name__}: {one_line(e)}"
        self.setup_s["torch"] = round(time.time() - t0, 1)

        src = os.path.join(self.d, "model.onnx")
        if not os.path.exists(src):
            err = "export: " + self.meta.get("export_errors", {}).get("onnx", "no model.onnx")
            self.errors["ort_fp32"] = self.errors["ort_int8"] = err
            return
        self.paths["ort_fp32"] = src
        work = os.path.join(SCRATCH, "ort", self.name)
        os.makedirs(work, exist_ok=True)
        t0 = time.time()
        try:
            out = os.path.join(work, "int8_dyn.onnx")
            if os.path.exists(out):
                os.remove(out)
            pre = models_eval.ort_preprocess(src, os.path.join(work, "pre.onnx"), log_file)
            models_eval.ort_quantize_dynamic(pre, out)
            self.paths["ort_int8"] = out
        except Exception as e:  # noqa: BLE001 - recorded
            self.errors["ort_int8"] = f"quantize_dynamic: {type(e).__name__}: {one_line(e)}"
        self.setup_s["ort_quantize"] = round(time.time() - t0, 1)

    def measure(self, key, t, iters):
        """(median ms, min ms, timed calls) or raises."""
        if key in self.errors:
            raise RuntimeError(self.errors[key])
        if key == "torch_fp32":
            import torch
            torch.set_num_threads(t)
            with torch.inference_mode():
                return time_calls(lambda: self.module(*self.tensors), iters)
        if (key, t) not in self.sessions:
            try:
                s = models_eval.ort_session(self.paths[key], threads=t, inter_op_threads=1)
            except Exception as e:  # noqa: BLE001 - recorded
                raise RuntimeError(f"InferenceSession: {type(e).__name__}: {one_line(e)}")
            self.sessions[(key, t)] = (s, models_eval.ort_feed(s, self.meta, self.inputs))
        s, feed = self.sessions[(key, t)]
        return time_calls(lambda: s.run(None, feed), iters)

    def close(self):
        self.sessions.clear()
        self.module = self.tensors = None


def effc_command(effc_run, d, form, precision, n_inputs, iters):
    inputs = ",".join(os.path.join(d, f"input{i}.npy") for i in range(n_inputs))
    pipeline = FP32_PIPELINE if precision == "fp32" else INT8_PIPELINE
    return [effc_run, os.path.join(d, f"{form}.mlir"), "--entry", "main",
            "--pipeline", pipeline, "--input", inputs, "--bench", str(iters)]


def run_effc(cmd, t):
    """(ok, median, min, wall s, error)."""
    env = dict(os.environ, OMP_NUM_THREADS=str(t))
    shown = f"OMP_NUM_THREADS={t} " + " ".join(shlex.quote(c) for c in cmd)
    t0 = time.time()
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=CMD_TIMEOUT)
    except subprocess.TimeoutExpired:
        log(f"$ {shown}\n[timeout after {CMD_TIMEOUT:.0f} s]")
        return False, None, None, time.time() - t0, f"timed out after {CMD_TIMEOUT:.0f} s"
    except OSError as e:
        log(f"$ {shown}\n{e}\n[rc=127]")
        return False, None, None, time.time() - t0, str(e)
    wall = time.time() - t0
    out = r.stdout + r.stderr
    log(f"$ {shown}\n{out.rstrip()}\n[rc={r.returncode} wall_s={wall:.2f}]")
    m = BENCH_RE.search(r.stdout)
    if r.returncode != 0 or not m:
        err = models_eval.first_error(r.stderr + "\n" + r.stdout, r.returncode)
        if r.returncode == 0:
            err = "no 'effc-run: bench' line in the output"
        return False, None, None, wall, f"rc={r.returncode}: {err}"
    return True, float(m.group(1)), float(m.group(2)), wall, None


def main():
    global log_file
    build = sys.argv[1] if len(sys.argv) > 1 else "build"
    models_dir = E.get("MODELS_DIR") or os.path.join(build, "models")
    os.makedirs(SCRATCH, exist_ok=True)
    os.makedirs(RESULTS, exist_ok=True)
    log_file = open(os.path.join(SCRATCH, "models_log.txt"), "w")
    effc_run, tool_info = snapshot_effc_run(build)

    start = time.time()
    date = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    cpu = models_eval.cpu_name()
    isa = cpu_flags()
    load_start = " ".join(open("/proc/loadavg").read().split()[:3])
    say(f"bench/models: {len(MODELS)} models x threads {THREADS}, {ROUNDS} alternating "
        f"rounds (effc linalg/tosa fp32/int8, PyTorch, ORT fp32/int8) from {models_dir}")
    say(f"bench/models: CPU: {cpu} ({' '.join(isa)}); load average at start: {load_start}")

    raw = []  # one row per measurement attempt
    metas, setup = {}, {}
    for name in MODELS:
        d = os.path.join(models_dir, name)
        iters = ITERS_OVERRIDE or ITERS.get(name, 20)
        meta, peers, missing = {}, None, None
        try:
            with open(os.path.join(d, "meta.json")) as f:
                meta = json.load(f)
            inputs = [np.load(os.path.join(d, f"input{i}.npy"))
                      for i in range(len(meta["input_names"]))]
        except Exception as e:  # noqa: BLE001 - every engine of the model fails
            missing = f"{d}: {type(e).__name__}: {one_line(e)} (not exported? run make eval's export)"
        metas[name] = dict(note=meta.get("note", ""), params=meta.get("params"),
                           inputs=[f"{n} {'x'.join(map(str, s))} {t}" for n, s, t in zip(
                               meta.get("input_names", []), meta.get("input_shapes", []),
                               meta.get("input_dtypes", []))],
                           iters=iters)
        say(f"{name}: {metas[name]['note'] or missing} ({iters} timed calls per run)")
        if missing is None:
            peers = Peers(name, d, meta, inputs)
            peers.setup()
            setup[name] = peers.setup_s
            for k, err in peers.errors.items():
                say(f"  {name} {LABEL[k]}: setup FAILED: {err}")
        for r in range(1, ROUNDS + 1):
            for t in THREADS:
                for key, engine, form, precision, label in ENGINES:
                    row = dict(model=name, key=key, engine=engine, form=form,
                               precision=precision, threads=t, round=r, iters=iters,
                               command=None, ok=False, median_ms=None, min_ms=None,
                               calls=None, wall_s=None, error=None)
                    if missing is not None:
                        row["error"] = missing
                    elif engine == "effc":
                        cmd = effc_command(effc_run, d, form, precision,
                                           len(meta["input_names"]), iters)
                        row["command"] = f"OMP_NUM_THREADS={t} " + " ".join(shlex.quote(c) for c in cmd)
                        export_err = meta.get("export_errors", {}).get(form)
                        if export_err or not os.path.exists(cmd[1]):
                            row["error"] = "export: " + (export_err or f"no {form}.mlir")
                        else:
                            ok, med, mn, wall, err = run_effc(cmd, t)
                            row.update(ok=ok, median_ms=med, min_ms=mn,
                                       calls=iters if ok else None,
                                       wall_s=round(wall, 2), error=err)
                    else:
                        t0 = time.time()
                        try:
                            med, mn, calls = peers.measure(key, t, iters)
                            row.update(ok=True, median_ms=med, min_ms=mn, calls=calls)
                        except Exception as e:  # noqa: BLE001 - recorded
                            row["error"] = f"{type(e).__name__}: {one_line(e)}" \
                                if not isinstance(e, RuntimeError) else one_line(e)
                        row["wall_s"] = round(time.time() - t0, 2)
                        log(f"# {name} {label} threads={t} round {r}: "
                            + (f"median_ms={row['median_ms']:.6f} min_ms={row['min_ms']:.6f}"
                               if row["ok"] else f"FAIL {row['error']}"))
                        # ORT's and PyTorch's worker threads spin a little
                        # after a call; let them settle before the next run.
                        time.sleep(0.05)
                    raw.append(row)
                    tag = f"  {name} {label} threads={t} round {r}"
                    calls = row["calls"] or iters
                    say(f"{tag}: median {row['median_ms']:.3f} ms (min {row['min_ms']:.3f}"
                        + (f", {calls} calls: time cap" if calls < iters else "") + ")"
                        if row["ok"] else f"{tag}: FAILED {row['error']}")
        if peers is not None:
            peers.close()

    load_end = " ".join(open("/proc/loadavg").read().split()[:3])
    elapsed = int(time.time() - start)

    # Summaries: per (model, threads, engine), the median over rounds.
    def summarize(name, t, key):
        runs = [r for r in raw if r["model"] == name and r["threads"] == t and r["key"] == key]
        ok = [r for r in runs if r["ok"]]
        return dict(round_median_ms=[r["median_ms"] for r in ok],
                    round_calls=[r["calls"] for r in ok],
                    round_min_ms=[r["min_ms"] for r in ok],
                    failures=[f"round {r['round']}: {r['error']}" for r in runs if not r["ok"]],
                    median_ms=statistics.median([r["median_ms"] for r in ok]) if ok else None,
                    min_ms=min(r["min_ms"] for r in ok) if ok else None,
                    command=next((r["command"] for r in runs if r["command"]), None))

    def ratio(a, b):
        return a / b if a is not None and b else None

    results = []
    for name in MODELS:
        for t in THREADS:
            eng = {key: summarize(name, t, key) for key, *_ in ENGINES}
            res = dict(model=name, threads=t, iters=metas[name]["iters"], engines=eng, forms={})
            for form in FORMS:
                f32 = eng[f"effc_fp32_{form}"]["median_ms"]
                i8 = eng[f"effc_int8_{form}"]["median_ms"]
                res["forms"][form] = dict(
                    effc_over_ort_fp32=ratio(f32, eng["ort_fp32"]["median_ms"]),
                    effc_over_ort_int8=ratio(i8, eng["ort_int8"]["median_ms"]),
                    effc_int8_over_fp32=ratio(i8, f32),
                    effc_over_torch_fp32=ratio(f32, eng["torch_fp32"]["median_ms"]))
            results.append(res)
    failures = [r for r in raw if not r["ok"]]

    invocation = " ".join(
        [f"{k}={shlex.quote(E[k])}" for k in ("MODELS", "THREADS", "ROUNDS", "MODELS_DIR", "ITERS")
         if E.get(k)] + [f"BENCH={E.get('BENCH', 'models')}", "bash", "bench/run.sh", build])
    py = sys.executable
    commands = dict(
        run=invocation,
        effc_fp32=f"OMP_NUM_THREADS=<T> {effc_run} <MODELS_DIR>/<model>/<form>.mlir --entry main "
                  f"--pipeline {FP32_PIPELINE} --input <MODELS_DIR>/<model>/input0.npy[,input1.npy] "
                  "--bench <iters>",
        effc_int8_dyn=f"OMP_NUM_THREADS=<T> {effc_run} <MODELS_DIR>/<model>/<form>.mlir --entry main "
                      f"--pipeline '{INT8_PIPELINE}' --input ... --bench <iters>",
        torch_fp32=f"{py}: m = models.MODELS[<model>]().module (scripts/models/models.py, as export.py); "
                   "torch.set_num_threads(<T>); with torch.inference_mode(): m(*inputs) "
                   f"x (2 warm-up + <iters> timed, capped at {PEER_MAX_S:g} s)",
        ort_fp32=f"{py}: onnxruntime.InferenceSession(<MODELS_DIR>/<model>/model.onnx, "
                 "intra_op_num_threads=<T>, inter_op_num_threads=1, CPUExecutionProvider).run "
                 f"x (2 warm-up + <iters> timed, capped at {PEER_MAX_S:g} s)",
        ort_int8_dyn=f"{py}: quant_pre_process(model.onnx, skip_symbolic_shape=True); "
                     "quantize_dynamic(op_types_to_quantize=['MatMul', 'Gemm', 'Conv'], "
                     "weight_type=QInt8, per_channel=True) (scripts/models/eval.py "
                     "ort_preprocess / ort_quantize_dynamic) -> bench/scratch/models/ort/<model>/"
                     "int8_dyn.onnx; then as ORT fp32")
    meta = dict(benchmark="end-to-end model latency: effc vs PyTorch eager vs ONNX Runtime",
                date_utc=date, cpu_model=cpu, isa_flags=isa, logical_cpus=os.cpu_count(),
                kernel=" ".join(os.uname()[i] for i in (0, 2)),
                load_average_start=load_start, load_average_end=load_end, elapsed_s=elapsed,
                rounds=ROUNDS, threads=THREADS, models_dir=os.path.abspath(models_dir),
                versions=models_eval.versions(), effc_run=tool_info, commands=commands,
                setup_s=setup, any_failure=bool(failures))

    png_error = None
    try:
        write_png(os.path.join(RESULTS, "models_speed.png"), results)
    except Exception as e:  # noqa: BLE001 - recorded
        png_error = f"{type(e).__name__}: {one_line(e)}"
        if os.path.exists(os.path.join(RESULTS, "models_speed.png")):
            os.remove(os.path.join(RESULTS, "models_speed.png"))  # not a stale one
        say(f"bench/models: writing models_speed.png FAILED: {png_error}")
    meta["png_error"] = png_error
    write_json(os.path.join(RESULTS, "models_speed.json"),
               dict(meta=meta, models=metas, results=results, raw_runs=raw))
    write_md(os.path.join(RESULTS, "models_speed.md"), meta, metas, results, raw, failures)
    say(f"bench/models: wrote {RESULTS}/models_speed.md, .json"
        + ("" if png_error else ", .png") + f" ({elapsed} s)")
    if failures or png_error:
        say(f"bench/models: {len(failures)} run(s) FAILED (see {RESULTS}/models_speed.md and "
            f"{SCRATCH}/models_log.txt)" + ("; the plot failed" if png_error else ""))
        sys.exit(1)


def write_json(path, obj):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(obj, f, indent=1)
    os.replace(tmp, path)


def fmt(x, spec):
    return "—" if x is None else format(x, spec)


def ms_cell(s):
    if s["median_ms"] is None:
        return "FAIL"
    v = s["median_ms"]
    spec = ".4f" if v < 0.1 else ".3f" if v < 10 else ".2f" if v < 100 else ".1f"
    return format(v, spec) + (" (!)" if s["failures"] else "")


def write_md(path, meta, metas, results, raw, failures):
    L = ["# End-to-end model latency: effc vs PyTorch vs ONNX Runtime", ""]
    L.append("Generated by `bench/models/bench.py` (`BENCH=models bash bench/run.sh`, part of "
             "`make bench`). Models: `scripts/models/models.py`, as exported by "
             "`scripts/models/export.py` (`make eval`).")
    L.append("")
    L.append(f"- Date (UTC): {meta['date_utc']}")
    L.append(f"- CPU: {meta['cpu_model']} ({meta['logical_cpus']} logical CPUs); ISA flags: "
             f"{', '.join(meta['isa_flags']) or 'none of avx2/avx512f/avx512_vnni/amx'}"
             f"{'' if any(f.startswith('amx') for f in meta['isa_flags']) else ' (no AMX)'}; "
             f"kernel {meta['kernel']}")
    L.append(f"- Versions: {meta['versions']}; effc-run: `{meta['effc_run']['copy']}` = copy of "
             f"`{meta['effc_run']['source']}` (built {meta['effc_run']['source_mtime']})")
    L.append(f"- Models: `{meta['models_dir']}`")
    L.append(f"- Command: `{meta['commands']['run']}` ({meta['elapsed_s']} s)")
    L.append(f"- Method: per model and thread count, {meta['rounds']} round(s); each round runs "
             "every engine once, in the order of the table's columns. effc-run compiles, "
             "calls twice untimed, then times `iters` calls (`--bench`; compile time excluded, "
             "one effc-run per round); PyTorch and ONNX Runtime (set up once per model, outside "
             "the timing) make two untimed calls, then `iters` timed ones (or fewer, at least "
             f"{PEER_MIN_CALLS}, once they took {PEER_MAX_S:g} s; the per-round table notes it). "
             "Each cell is the "
             "median over rounds of the run's median per-call latency, in ms.")
    L.append(f"- Machine load average (1/5/15 min): {meta['load_average_start']} at start, "
             f"{meta['load_average_end']} at end. The machine may be shared: trust the ratios "
             "of the alternating runs over absolute times.")
    l1 = max(float(meta["load_average_start"].split()[0]), float(meta["load_average_end"].split()[0]))
    if l1 > 0.5 * (meta["logical_cpus"] or 1):
        L.append(f"- **Warning: the machine was busy during this run** (1-minute load up to {l1:.1f} "
                 f"on {meta['logical_cpus']} CPUs): absolute times are inflated, 2-thread rows most.")
    L.append("")
    L.append("Ratios are latency over latency: **below 1 means effc is faster** (effc/ORT) "
             "or int8 is faster than fp32 (int8/fp32). `(!)`: some rounds failed (median of the "
             "others); `FAIL`: all did (see Failures).")
    L.append("")
    L.append("| model | form | threads | effc fp32 | effc int8 dyn | torch fp32 | ORT fp32 | "
             "ORT int8 dyn | effc/ORT fp32 | effc/ORT int8 | effc int8/fp32 |")
    L.append("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for res in results:
        e = res["engines"]
        for form in FORMS:
            q = res["forms"][form]
            L.append(f"| {res['model']} | {form} | {res['threads']} | "
                     f"{ms_cell(e[f'effc_fp32_{form}'])} | {ms_cell(e[f'effc_int8_{form}'])} | "
                     f"{ms_cell(e['torch_fp32'])} | {ms_cell(e['ort_fp32'])} | "
                     f"{ms_cell(e['ort_int8'])} | {fmt(q['effc_over_ort_fp32'], '.2f')} | "
                     f"{fmt(q['effc_over_ort_int8'], '.2f')} | {fmt(q['effc_int8_over_fp32'], '.2f')} |")
    L.append("")
    if meta.get("png_error"):
        L.append(f"Plot `models_speed.png` not written: {meta['png_error']}")
        L.append("")
    if failures:
        L.append("## Failures")
        L.append("")
        for r in failures:
            L.append(f"- {r['model']} {LABEL[r['key']]} threads={r['threads']} round {r['round']}: "
                     f"`{(r['error'] or '').replace('`', chr(39))}`")
        L.append("")
    L.append("## Models")
    L.append("")
    L.append("| model | description | parameters | inputs | iters |")
    L.append("|---|---|---:|---|---:|")
    for name, m in metas.items():
        L.append(f"| {name} | {m['note']} | {fmt(m['params'], ',')} | {'; '.join(m['inputs'])} | "
                 f"{m['iters']} |")
    L.append("")
    L.append("## Per-round medians (ms)")
    L.append("")
    L.append("| model | threads | engine | rounds |")
    L.append("|---|---:|---|---|")
    for res in results:
        for key, *_ in ENGINES:
            s = res["engines"][key]
            L.append(f"| {res['model']} | {res['threads']} | {LABEL[key]} | "
                     f"{', '.join(f'{x:.4g}' for x in s['round_median_ms']) or '—'}"
                     f"{' (' + str(len(s['failures'])) + ' failed)' if s['failures'] else ''}"
                     f"{' (timed calls: ' + ', '.join(map(str, s['round_calls'])) + ')' if any(c < res['iters'] for c in s['round_calls']) else ''} |")
    L.append("")
    L.append("## Commands")
    L.append("")
    c = meta["commands"]
    L.append(f"- run: `{c['run']}`")
    L.append(f"- effc fp32: `{c['effc_fp32']}`, `<form>` linalg or tosa")
    L.append(f"- effc int8 dyn: `{c['effc_int8_dyn']}`")
    L.append(f"- PyTorch fp32: {c['torch_fp32']}")
    L.append(f"- ORT fp32: {c['ort_fp32']}")
    L.append(f"- ORT int8 dyn: {c['ort_int8_dyn']}")
    L.append("")
    L.append("Every effc-run command:")
    L.append("")
    L.append("```sh")
    seen = []
    for r in raw:
        if r["engine"] == "effc" and r["command"] and r["command"] not in seen:
            seen.append(r["command"])
    L += seen
    L.append("```")
    L.append("")
    L.append("Raw output of every command: `bench/scratch/models/models_log.txt`; every number "
             "(each round, effc-run's wall time including compilation, setup times): "
             "`bench/results/models_speed.json`.")
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write("\n".join(L) + "\n")
    os.replace(tmp, path)


def write_png(path, results):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    threads = sorted({r["threads"] for r in results})
    names = list(dict.fromkeys(r["model"] for r in results))
    colors = {"effc_fp32_linalg": "#1f4e9c", "effc_fp32_tosa": "#5b8fd6",
              "effc_int8_linalg": "#1b7f3b", "effc_int8_tosa": "#6cc48a",
              "torch_fp32": "#e08a1e", "ort_fp32": "#b22222", "ort_int8": "#f08080"}
    order = ["effc_fp32_linalg", "effc_fp32_tosa", "effc_int8_linalg", "effc_int8_tosa",
             "torch_fp32", "ort_fp32", "ort_int8"]
    fig, axes = plt.subplots(len(threads), 1, figsize=(max(7, 1.6 * len(names) + 2),
                                                      3.8 * len(threads)), squeeze=False)
    width = 0.8 / len(order)
    for ax, t in zip(axes[:, 0], threads):
        vals = [v for r in results if r["threads"] == t for v in
                (r["engines"][k]["median_ms"] for k in order) if v]
        floor = min(vals) / 2 if vals else 0.01
        for j, key in enumerate(order):
            for i, name in enumerate(names):
                r = next(x for x in results if x["model"] == name and x["threads"] == t)
                v = r["engines"][key]["median_ms"]
                x = i - 0.4 + (j + 0.5) * width
                if v:
                    ax.bar(x, v, width, color=colors[key])
                else:
                    ax.text(x, floor * 1.1, "x", ha="center", va="bottom", color=colors[key],
                            fontsize=8, fontweight="bold")
        ax.set_yscale("log")
        ax.set_xticks(range(len(names)))
        ax.set_xticklabels(names)
        ax.set_ylabel("latency (ms, log)")
        ax.set_title(f"{t} thread{'s' if t > 1 else ''}")
        ax.grid(axis="y", which="both", alpha=0.3)
        if vals:
            ax.set_ylim(bottom=floor)
    from matplotlib.patches import Patch
    handles = [Patch(color=colors[k], label=LABEL[k]) for k in order]
    top = 1 - 0.75 / fig.get_figheight()  # room for the title and the legend
    fig.suptitle("end-to-end latency per model (median over rounds; x = failed)",
                 y=1 - 0.08 / fig.get_figheight(), va="top", fontsize=10)
    fig.legend(handles=handles, loc="upper center", ncol=4, fontsize=8, frameon=False,
               bbox_to_anchor=(0.5, 1 - 0.3 / fig.get_figheight()))
    fig.tight_layout(rect=(0, 0, 1, top))
    fig.savefig(path, dpi=110)
    plt.close(fig)


if __name__ == "__main__":
    main()

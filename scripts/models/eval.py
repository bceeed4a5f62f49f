#!/usr/bin/env python3
"""`make eval`: accuracy and size of the real-model suite, effc against ONNX
Runtime's own quantizer on the same models and the same calibration rows.

Reads what export.py wrote under MODELS_DIR/<model>/, runs every recipe with
effc-run (the pass pipelines below, --effc-report for the stored weight bytes,
--calibrate for the static int8 statistics), the ONNX Runtime rows
(fp32, quantize_dynamic, quantize_static), and writes
bench/results/models.{md,json,png}. A recipe that fails for effc is recorded
with the first line of its error, never dropped.

usage: eval.py --models-dir build/models --bin build/bin [--models a,b]
               [--forms linalg,tosa] [--recipes fp32,int8_dyn,...]
               [--tosa-recipes ...] [--timeout 900] [--results bench/results]
"""

import argparse
import datetime
import json
import logging
import os
import platform
import re
import shlex
import subprocess
import sys
import tempfile
import time
import warnings

import numpy as np

# ONNX Runtime's quantizer warns on every constant it skips; its log goes to
# eval.log's neighbourhood, not the console.
warnings.filterwarnings("ignore")
logging.getLogger().setLevel(logging.ERROR)

# ===----------------------------------------------------------------------=== #
# effc recipes: (id, label, pipeline template, needs)
#   {stats}: effc-run --calibrate's statistics JSON (float model, same rows);
#            it also carries each op's input Gram matrix, which the OBS
#            (SparseGPT) compensation of --effc-prune solves with; the
#            suite calibrates on 16 sentences / samples, so the Hessians of
#            wide layers (K = 1536 from 512 rows) are rank deficient and
#            take 10% damping (damp=0.1) instead of SparseGPT's default 1%
# ===----------------------------------------------------------------------=== #

I8_DYN = ("effc-assign-precision{weights=i8 activations=i8 granularity=channel},"
          "effc-quantize")
RECIPES = [
    ("fp32", "effc fp32", "effc-raise"),
    ("int8_dyn", "effc int8 dynamic", "effc-raise," + I8_DYN),
    ("int8_dyn_sq", "effc int8 dynamic + SmoothQuant",
     "effc-raise,effc-assign-precision{weights=i8 activations=i8 "
     "granularity=channel calibration={stats} smooth=0.5 dynamic=1},"
     "effc-quantize"),
    ("int8_static", "effc int8 static + SmoothQuant",
     "effc-raise,effc-assign-precision{weights=i8 activations=i8 "
     "granularity=channel calibration={stats} smooth=0.5},effc-quantize"),
    # Static int8: the sparse int8 kernels take int8 activations with static
    # scales (the block-scaled dynamic form has no sparse kernel yet).
    ("int8_24", "effc int8 + 2:4 (comp.)",
     "effc-raise,effc-prune{method=nm n=2 m=4 calibration={stats} "
     "damp=0.1 compress=never},effc-assign-precision{weights=i8 "
     "activations=i8 granularity=channel calibration={stats} smooth=0.5},"
     "effc-quantize,effc-sparsify{force=1}"),
    ("int4_g128", "effc int4 g128 weight-only",
     "effc-raise,effc-assign-precision{weights=i4 activations=f32 "
     "granularity=group group-size=128},effc-quantize"),
    ("fp8_block", "effc fp8 block-scaled",
     "effc-raise,effc-assign-precision{weights=f8e4m3 activations=f8e4m3 "
     "granularity=block group-size=128},effc-quantize"),
    ("mag50", "effc 50% magnitude (comp.)",
     "effc-raise,effc-prune{method=magnitude sparsity=0.5 "
     "calibration={stats} damp=0.1 compress=always}"),
    ("mag90", "effc 90% magnitude (comp.)",
     "effc-raise,effc-prune{method=magnitude sparsity=0.9 "
     "calibration={stats} damp=0.1 compress=always}"),
]
RECIPE_IDS = [r[0] for r in RECIPES]
ORDER = ["digits_mlp", "digits_cnn", "minilm", "gpt_block", "mobilenet_v2",
         "llama", "deepseek_mla"]


def first_error(stderr, rc):
    lines = [l.strip() for l in stderr.splitlines() if l.strip()]
    for l in lines:
        if "error:" in l:
            return l[l.index("error:"):][:300]
    if rc < 0:
        return f"killed by signal {-rc}" + (f": {lines[-1][:200]}" if lines else "")
    return (lines[0][:300] if lines else f"exit status {rc}")


def run(cmd, timeout, log):
    """Runs `cmd`; returns (ok, seconds, error line)."""
    t = time.time()
    log.write("$ " + " ".join(shlex.quote(c) for c in cmd) + "\n")
    log.flush()
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        log.write(f"timeout after {timeout} s\n")
        return False, time.time() - t, f"timeout after {timeout} s"
    dt = time.time() - t
    log.write(r.stdout[-4000:] + r.stderr[-4000:] + f"[rc {r.returncode}, {dt:.1f} s]\n")
    log.flush()
    if r.returncode != 0:
        return False, dt, first_error(r.stderr + "\n" + r.stdout, r.returncode)
    return True, dt, ""


# ===----------------------------------------------------------------------=== #
# Metrics
# ===----------------------------------------------------------------------=== #


def sqnr_db(ref, out):
    ref = ref.astype(np.float64)
    noise = np.sum((ref - out.astype(np.float64)) ** 2)
    sig = np.sum(ref ** 2)
    if noise == 0:
        return float("inf")
    return float(10 * np.log10(sig / noise))


def accuracy(meta, ref, out, labels):
    """{'acc': headline number, 'acc_name': ..., extras}"""
    if out.shape != ref.shape or not np.all(np.isfinite(out)):
        bad = "non-finite values" if out.shape == ref.shape else \
            f"output shape {list(out.shape)} != {list(ref.shape)}"
        return {"acc": None, "acc_name": meta["metric"], "error": bad}
    if meta["metric"] == "top1":
        return {"acc": float(np.mean(out.argmax(-1) == labels)),
                "acc_name": "top-1",
                "agree": float(np.mean(out.argmax(-1) == ref.argmax(-1))),
                "sqnr_db": sqnr_db(ref, out)}
    if meta["metric"] == "cosine":
        a = ref.reshape(ref.shape[0], -1).astype(np.float64)
        b = out.reshape(out.shape[0], -1).astype(np.float64)
        cos = np.sum(a * b, 1) / (np.linalg.norm(a, axis=1) *
                                  np.linalg.norm(b, axis=1) + 1e-30)
        return {"acc": float(np.mean(cos)), "acc_name": "cosine",
                "cos_min": float(np.min(cos)), "sqnr_db": sqnr_db(ref, out)}
    return {"acc": sqnr_db(ref, out), "acc_name": "SQNR dB",
            "agree": float(np.mean(out.argmax(-1) == ref.argmax(-1)))}


# ===----------------------------------------------------------------------=== #
# effc
# ===----------------------------------------------------------------------=== #


CENSUS = re.compile(r"= (effc\.\w+|linalg\.(?:matmul|batch_matmul|conv_\w+|"
                    r"depthwise_\w+|softmax|generic)|tosa\.(?:matmul|conv2d|"
                    r"depthwise_conv2d|fully_connected))\b")


CENSUS_PIPELINES = [["--effc-raise"], ["--effc-raise", "--effc-rewrite-attention"]]


def raise_census(a, mlir, log, passes):
    """What `passes` (--effc-raise, then also --effc-rewrite-attention) make
    of a model: the effc ops, and the upstream compute ops left (matmuls,
    convolutions, generics), counted."""
    try:
        r = subprocess.run([os.path.join(a.bin, "effc-opt")] + passes + [
                            "--mlir-elide-resource-strings-if-larger=16",
                            "--mlir-elide-elementsattrs-if-larger=16", mlir],
                           capture_output=True, text=True, timeout=a.timeout)
    except subprocess.TimeoutExpired:
        return {"error": f"timeout after {a.timeout} s"}
    if r.returncode != 0:
        return {"error": first_error(r.stderr, r.returncode)}
    counts = {}
    for op in CENSUS.findall(r.stdout):
        counts[op] = counts.get(op, 0) + 1
    return {"ops": dict(sorted(counts.items(), key=lambda kv: (
        not kv[0].startswith("effc."), -kv[1], kv[0])))}


def effc_rows(a, name, d, meta, ref, labels, form, recipes, log, torch_bytes):
    rows = []
    mlir = os.path.join(d, f"{form}.mlir")
    export_error = meta.get("export_errors", {}).get(form)
    if export_error or not os.path.exists(mlir):
        err = "export: " + (export_error or f"no {form}.mlir")
        for rid, label, _ in RECIPES:
            if rid in recipes:
                rows.append({"model": name, "tool": "effc", "form": form,
                             "recipe": rid, "label": label, "ok": False,
                             "error": err})
                show(rows[-1])
        return rows
    meta.setdefault("raise", {})[form] = [
        dict(passes=" ".join(p), **raise_census(a, mlir, log, p))
        for p in CENSUS_PIPELINES]
    inputs = ",".join(os.path.join(d, f"input{i}.npy")
                      for i in range(len(meta["input_names"])))
    work = os.path.join(a.work, name, form)
    os.makedirs(work, exist_ok=True)
    stats = os.path.join(work, "stats.json")
    stats_err = None
    if any("{stats}" in t for r, _, t in RECIPES if r in recipes):
        ok, dt, err = run([os.path.join(a.bin, "effc-run"), mlir, "--entry", "main",
                           "--pipeline", "effc-raise", "--calibrate",
                           os.path.join(d, "calib.npz"), "--calibration-out", stats],
                          a.timeout, log)
        stats_err = None if ok else "effc-run --calibrate: " + err
    for rid, label, template in RECIPES:
        if rid not in recipes:
            continue
        # Quantization recipes need the statistics; the pruning ones run
        # without compensation instead (below).
        if "{stats}" in template and "effc-prune{" not in template and stats_err:
            row = {"model": name, "tool": "effc", "form": form, "recipe": rid,
                   "label": label, "ok": False, "error": stats_err}
            rows.append(row)
            show(row)
            continue
        [row] = effc_recipe(a, name, meta, ref, labels, form, work, mlir, inputs,
                            stats, d, rid, label, template, log, torch_bytes)
        rows.append(row)
        show(row)
        # The compensated recipe failed on its calibration: the row stays,
        # and the same pruning without compensation is recorded beside it.
        if not row["ok"] and "calibration={stats}" in template and "calibration" in row["error"]:
            nocomp = template.replace(" calibration={stats}", "")
            [extra] = effc_recipe(a, name, meta, ref, labels, form, work, mlir,
                                  inputs, stats, d, rid + "_nocomp",
                                  label.replace("(comp.)", "(no comp.)"), nocomp,
                                  log, torch_bytes)
            rows.append(extra)
            show(extra)
    return rows


def effc_recipe(a, name, meta, ref, labels, form, work, mlir, inputs, stats, d,
                rid, label, template, log, torch_bytes):
    """Runs one recipe; returns [row]."""
    row = {"model": name, "tool": "effc", "form": form, "recipe": rid,
           "label": label}
    report = os.path.join(work, f"{rid}.report.json")
    out = os.path.join(work, f"{rid}.out.npy")
    for p in (report, out):
        if os.path.exists(p):
            os.remove(p)
    pipeline = template.replace("{stats}", stats).replace(
        "{calib0}", os.path.join(d, "calib_arg0.npy"))
    pipeline += ",effc-report{file=" + report + "}"
    row["pipeline"] = pipeline.replace(a.work + "/", "").replace(a.models_dir + "/", "")
    ok, dt, err = run([os.path.join(a.bin, "effc-run"), mlir, "--entry", "main",
                       "--pipeline", pipeline, "--input", inputs,
                       "--output", out], a.timeout, log)
    row["seconds"] = round(dt, 1)
    if not ok:
        row.update(ok=False, error=err)
    else:
        row.update(ok=True, **accuracy(meta, ref, np.load(out), labels))
        if row.get("error"):
            row["ok"] = False
        with open(report) as f:
            tot = json.load(f)["totals"]
        row["weight_bytes"] = tot["weight_bytes"]
        row["dense_f32_bytes"] = tot["dense_f32_bytes"]
        row["reported_params"] = tot["params"]
        # Constants effc does not report (embeddings, norms, biases,
        # layers left un-raised) stay f32: the model's bytes are the
        # reported weights plus the rest of PyTorch's parameters.
        row["model_bytes"] = tot["weight_bytes"] + max(
            0, torch_bytes - tot["dense_f32_bytes"])
    return [row]


def show(row):
    if row["ok"]:
        print(f"  {row['model']} {row['form']} {row['recipe']}: {row['acc_name']} "
              f"{row['acc']:.4f} bytes {row['model_bytes']} ({row['seconds']:.0f} s)",
              flush=True)
    else:
        print(f"  {row['model']} {row['form']} {row['recipe']}: FAIL {row['error']}",
              flush=True)


# ===----------------------------------------------------------------------=== #
# ONNX Runtime
# ===----------------------------------------------------------------------=== #


def onnx_bytes(path):
    import onnx
    from onnx import numpy_helper

    m = onnx.load(path)
    total = 0
    for init in m.graph.initializer:
        total += numpy_helper.to_array(init).nbytes
    # Constants held by Constant nodes count too.
    for node in m.graph.node:
        if node.op_type == "Constant":
            for at in node.attribute:
                if at.name == "value":
                    total += numpy_helper.to_array(at.t).nbytes
    return total


# Like for like: the layers effc quantizes (linear / conv weights), not ORT's
# other quantizable ops (Gather embeddings, LayerNorm, Add, ...).
ORT_QUANT_OPS = ["MatMul", "Gemm", "Conv"]


def ort_session(path, threads=2, inter_op_threads=None):
    """A CPU InferenceSession with `threads` intra-op threads."""
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    if inter_op_threads is not None:
        so.inter_op_num_threads = inter_op_threads
    return ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])


def ort_feed(session, meta, inputs):
    """The inputs by name (the ONNX export drops unused arguments)."""
    names = [i.name for i in session.get_inputs()]
    return {n: x for n, x in zip(meta["input_names"], inputs) if n in names}


def ort_run(path, meta, inputs):
    s = ort_session(path)
    return s.run(None, ort_feed(s, meta, inputs))[0]


def ort_preprocess(src, pre, log):
    """quant_pre_process (shape inference + graph optimization) into `pre`;
    returns the path to quantize (`src` itself when pre-processing fails)."""
    from onnxruntime.quantization.shape_inference import quant_pre_process

    try:
        quant_pre_process(src, pre, skip_symbolic_shape=True)
    except Exception as e:  # noqa: BLE001 - pre-processing is optional
        log.write(f"quant_pre_process failed ({e}); quantizing the export\n")
        return src
    return pre


def ort_quantize_dynamic(pre, out):
    """ORT int8 dynamic: per-channel int8 weights, int8 activations
    quantized at run time, on ORT_QUANT_OPS only."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    quantize_dynamic(pre, out, op_types_to_quantize=ORT_QUANT_OPS,
                     weight_type=QuantType.QInt8, per_channel=True)


def ort_rows(a, name, d, meta, ref, labels, log):
    from onnxruntime.quantization import (CalibrationDataReader, QuantFormat,
                                          QuantType, quantize_static)

    inputs = [np.load(os.path.join(d, f"input{i}.npy"))
              for i in range(len(meta["input_names"]))]
    cal = np.load(os.path.join(d, "calib.npz"))
    cal = [cal[f"arr_{i}"] for i in range(len(meta["input_names"]))]
    src = os.path.join(d, "model.onnx")
    work = os.path.join(a.work, name, "ort")
    os.makedirs(work, exist_ok=True)
    if not os.path.exists(src):
        err = "export: " + meta.get("export_errors", {}).get("onnx", "no model.onnx")
        return [{"model": name, "tool": "ort", "form": "onnx", "recipe": rid,
                 "label": label, "ok": False, "error": err}
                for rid, label in [("fp32", "ORT fp32"),
                                   ("int8_dyn", "ORT int8 dynamic"),
                                   ("int8_static", "ORT int8 static (QDQ)")]]

    class Reader(CalibrationDataReader):
        def __init__(self, names):
            self.it = iter([{n: c[i] for n, c in zip(names, cal)}
                            for i in range(cal[0].shape[0])])

        def get_next(self):
            return next(self.it, None)

    pre = ort_preprocess(src, os.path.join(work, "pre.onnx"), log)
    ops = ORT_QUANT_OPS

    def dyn(out):
        ort_quantize_dynamic(pre, out)

    def static(out):
        import onnxruntime as ort
        names = [i.name for i in ort.InferenceSession(
            pre, providers=["CPUExecutionProvider"]).get_inputs()]
        quantize_static(pre, out, Reader(names), quant_format=QuantFormat.QDQ,
                        op_types_to_quantize=ops, per_channel=True, activation_type=QuantType.QInt8,
                        weight_type=QuantType.QInt8)

    rows = []
    for rid, label, make in [("fp32", "ORT fp32", None),
                             ("int8_dyn", "ORT int8 dynamic", dyn),
                             ("int8_static", "ORT int8 static (QDQ)", static)]:
        row = {"model": name, "tool": "ort", "form": "onnx", "recipe": rid,
               "label": label}
        path = src if make is None else os.path.join(work, f"{rid}.onnx")
        t = time.time()
        try:
            if make is not None:
                make(path)
            out = ort_run(path, meta, inputs)
            row.update(ok=True, **accuracy(meta, ref, out, labels))
            if row.get("error"):
                row["ok"] = False
            row["model_bytes"] = onnx_bytes(path)
        except Exception as e:  # noqa: BLE001 - recorded in the table
            msg = (str(e).strip().splitlines() or [type(e).__name__])[0]
            row.update(ok=False, error=f"{type(e).__name__}: {msg[:300]}")
        row["seconds"] = round(time.time() - t, 1)
        rows.append(row)
        if row["ok"]:
            print(f"  {name} ort {rid}: {row['acc_name']} {row['acc']:.4f} "
                  f"bytes {row['model_bytes']}", flush=True)
        else:
            print(f"  {name} ort {rid}: FAIL {row['error']}", flush=True)
    return rows


# ===----------------------------------------------------------------------=== #
# Report
# ===----------------------------------------------------------------------=== #


def cpu_name():
    try:
        with open("/proc/cpuinfo") as f:
            for l in f:
                if l.startswith("model name"):
                    return l.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def versions():
    """effc's commit and the Python packages' versions, for reruns."""
    out = []
    try:
        sha = subprocess.run(["git", "rev-parse", "--short", "HEAD"],
                             capture_output=True, text=True, timeout=10,
                             cwd=os.path.dirname(os.path.abspath(__file__)))
        if sha.returncode == 0:
            out.append(f"effc {sha.stdout.strip()}")
    except (OSError, subprocess.TimeoutExpired):
        pass
    from importlib import metadata
    for pkg in ("torch", "torch-mlir", "transformers", "onnx", "onnxruntime"):
        try:
            out.append(f"{pkg} {metadata.version(pkg)}")
        except metadata.PackageNotFoundError:
            pass
    return ", ".join(out)


def fmt_acc(r):
    if not r.get("ok"):
        return "FAIL"
    v = r["acc"]
    if r["acc_name"] == "top-1":
        return f"{100 * v:.2f}%"
    if r["acc_name"] == "cosine":
        return f"{v:.4f}"
    return "inf" if v == float("inf") else f"{v:.1f} dB"


def fmt_extra(r):
    if not r.get("ok"):
        return ""
    if r["acc_name"] == "SQNR dB" or r["acc_name"] == "top-1":
        return f"{100 * r['agree']:.1f}%"
    return f"min {r['cos_min']:.4f}"


def fmt_bytes(b):
    if b is None:
        return ""
    if b >= 1 << 20:
        return f"{b / (1 << 20):.2f} MiB"
    return f"{b / 1024:.1f} KiB"


def summary(rows, metas):
    """The headline matrix: one line per model and form, one column per
    recipe (accuracy, then model bytes), ONNX Runtime's beside."""
    def cell(r, key):
        if r is None:
            return ""
        if not r.get("ok"):
            return "fail"
        return fmt_acc(r) if key == "acc" else fmt_bytes(r.get("model_bytes"))

    find = lambda m, tool, form, rid: next(
        (r for r in rows if r["model"] == m and r["tool"] == tool
         and r["form"] == form and r["recipe"] == rid), None)
    labels = [l.replace("effc ", "") for _, l, _ in RECIPES]
    ort = [("fp32", "ORT fp32"), ("int8_dyn", "ORT int8 dyn"),
           ("int8_static", "ORT int8 static")]
    L = []
    for key, title in (("acc", "accuracy"), ("bytes", "model bytes")):
        L.append(f"## Summary: {title}")
        L.append("")
        if key == "acc":
            L.append("`fail` is an effc error (the model's table below gives "
                     "the first line); where a compensated pruning recipe "
                     "fails on its calibration, the value in parentheses is "
                     "the same pruning without compensation.")
            L.append("")
        head = "| model | form | metric | " if key == "acc" else "| model | form | "
        L.append(head + " | ".join(labels) + " | " + " | ".join(l for _, l in ort) + " |")
        L.append("|---|---|" + ("---|" if key == "acc" else "")
                 + "---|" * (len(labels) + len(ort)))
        for m, meta in metas.items():
            forms = [f for f in ("linalg", "tosa")
                     if any(r["model"] == m and r["form"] == f for r in rows)]
            for i, form in enumerate(forms):
                cells = []
                for rid, _, _ in RECIPES:
                    r = find(m, "effc", form, rid)
                    c = cell(r, key)
                    nc = find(m, "effc", form, rid + "_nocomp")
                    if c == "fail" and nc is not None and nc.get("ok"):
                        c += f" ({cell(nc, key)})"
                    cells.append(c)
                for rid, _ in ort:
                    cells.append(cell(find(m, "ort", "onnx", rid), key) if i == 0 else "")
                metric = {"top1": "top-1", "cosine": "cosine",
                          "sqnr": "SQNR"}[meta["metric"]]
                L.append(f"| {m} | {form} | " + (f"{metric} | " if key == "acc" else "")
                         + " | ".join(cells) + " |")
        L.append("")
    return L


def write_md(path, rows, metas, command, elapsed):
    L = []
    L.append("# Real models: effc against ONNX Runtime's quantizer")
    L.append("")
    L.append(f"- date: {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC")
    L.append(f"- CPU: {cpu_name()} ({os.cpu_count()} CPUs)")
    L.append(f"- command: `{command}` ({elapsed / 60:.1f} min)")
    L.append(f"- versions: {versions()}")
    L.append("- generated by scripts/models/eval.py from the models that "
             "scripts/models/export.py exports; raw numbers in models.json")
    L.append("")
    L.append("Accuracy is measured against PyTorch's fp32 output on the same "
             "inputs: digits top-1 on the scikit-learn test split (agreement: "
             "argmax equal to fp32 PyTorch's); MiniLM the mean cosine of the "
             "mean-pooled sentence embeddings (min over sentences beside it); "
             "decoders and MobileNetV2 the SQNR of the output in dB and the "
             "top-1 agreement of the argmax over the last dim. Model bytes: "
             "effc's `--effc-report` weight bytes (scales included) plus the "
             "model's other parameters in f32 (embeddings, norms, biases, "
             "layers effc did not raise); ORT: the bytes of every initializer "
             "of the (quantized) ONNX file. ORT's quantizer runs per-channel "
             "int8 weights (`quantize_dynamic`; `quantize_static` in QDQ "
             "format with int8 activations, MinMax calibration on the same "
             "rows as effc's `effc-run --calibrate`), restricted to the ops effc "
             "quantizes (MatMul, Gemm, Conv).")
    L.append("")
    L += summary(rows, metas)
    for name, meta in metas.items():
        L.append(f"## {name}")
        L.append("")
        L.append(f"{meta['note']}; {meta['params']:,} parameters; inputs "
                 + ", ".join(f"{n} {'x'.join(map(str, s))} {t}" for n, s, t in
                             zip(meta["input_names"], meta["input_shapes"],
                                 meta["input_dtypes"]))
                 + f"; {meta['calib_samples']} calibration sample(s)."
                 + (f" PyTorch fp32 top-1: {100 * meta['torch_top1']:.2f}%."
                    if "torch_top1" in meta else ""))
        L.append("")
        for form, census in meta.get("raise", {}).items():
            for c in census:
                if "error" in c:
                    L.append(f"- `effc-opt {c['passes']}` on the {form} form: "
                             f"{c['error']}")
                else:
                    L.append(f"- after `{c['passes']}`, {form} form: " + ", ".join(
                        f"{n} `{op}`" for op, n in c["ops"].items()))
        L.append("")
        extra = {"top1": "agree w/ fp32", "cosine": "cosine min",
                 "sqnr": "top-1 agree"}[meta["metric"]]
        L.append(f"| tool | form | recipe | accuracy | {extra} | model bytes | "
                 "effc weight bytes | s | error |")
        L.append("|---|---|---|---|---|---|---|---|---|")
        for r in rows:
            if r["model"] != name:
                continue
            L.append("| {} | {} | {} | {} | {} | {} | {} | {} | {} |".format(
                r["tool"], r["form"], r["label"], fmt_acc(r), fmt_extra(r),
                fmt_bytes(r.get("model_bytes")), fmt_bytes(r.get("weight_bytes")),
                r.get("seconds", ""),
                ("`" + r["error"].replace("|", "\\|").replace("`", "'") + "`")
                if not r.get("ok") and r.get("error") else ""))
        L.append("")
    L.append("## effc pipelines")
    L.append("")
    L.append("Each recipe is `effc-run <form>.mlir --entry main --pipeline "
             "\"<pipeline>,effc-report{file=...}\" --input ... --output ...`; "
             "`stats.json` comes from `effc-run <form>.mlir --entry main "
             "--pipeline effc-raise --calibrate calib.npz --calibration-out "
             "stats.json`, `calib_arg0.npy` is the same calibration rows of the "
             "first argument.")
    L.append("")
    L.append("| recipe | pipeline |")
    L.append("|---|---|")
    for rid, label, tmpl in RECIPES:
        L.append(f"| {label} | `{tmpl.replace('{stats}', 'stats.json').replace('{calib0}', 'calib_arg0.npy')}` |")
    L.append("")
    with open(path, "w") as f:
        f.write("\n".join(L))


SQNR_CAP = 70


def write_png(path, rows, metas):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(metas)
    cols = min(4, len(names))
    nrows = (len(names) + cols - 1) // cols
    fig, axes = plt.subplots(nrows, cols, figsize=(4.6 * cols, 3.8 * nrows),
                             squeeze=False)
    markers = {"linalg": "o", "tosa": "s", "onnx": "^"}
    for ax, name in zip(axes.flat, names):
        ax.set_title(name)
        for r in rows:
            if r["model"] != name or not r.get("ok") or r.get("acc") is None \
                    or r.get("model_bytes") is None:
                continue
            y = r["acc"]
            if y == float("inf"):
                continue
            if r["acc_name"] == "top-1":
                y = 100 * y
            if r["acc_name"] == "SQNR dB":
                y = min(y, SQNR_CAP)  # fp32 rows: 90-140 dB would flatten the rest
            color = "tab:blue" if r["tool"] == "effc" else "tab:red"
            ax.scatter(r["model_bytes"] / 1024, y, c=color,
                       marker=markers.get(r["form"], "o"), s=28, alpha=0.8)
            ax.annotate(("ort:" if r["tool"] == "ort" else "") + r["recipe"]
                        + ("/tosa" if r["form"] == "tosa" else ""),
                        (r["model_bytes"] / 1024, y), fontsize=6,
                        xytext=(3, 2), textcoords="offset points")
        if metas[name]["metric"] == "sqnr":
            ax.axhline(SQNR_CAP, color="gray", lw=0.5, ls=":")
            ax.text(0.01, SQNR_CAP, f" >= {SQNR_CAP} dB shown at {SQNR_CAP}",
                    transform=ax.get_yaxis_transform(), fontsize=6,
                    va="bottom", color="gray")
        ax.set_xscale("log")
        ax.set_xlabel("model bytes (KiB)")
        ax.set_ylabel({"top1": "top-1 %", "cosine": "cosine vs fp32",
                       "sqnr": "SQNR dB vs fp32"}[metas[name]["metric"]])
        ax.grid(alpha=0.3)
    for ax in list(axes.flat)[len(names):]:
        ax.axis("off")
    from matplotlib.lines import Line2D
    fig.legend(handles=[
        Line2D([], [], color="tab:blue", marker="o", ls="", label="effc (linalg)"),
        Line2D([], [], color="tab:blue", marker="s", ls="", label="effc (tosa)"),
        Line2D([], [], color="tab:red", marker="^", ls="", label="ONNX Runtime")],
        loc="lower right", fontsize=8)
    fig.suptitle("accuracy vs model bytes: effc and ONNX Runtime")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--models-dir", default="build/models")
    p.add_argument("--bin", default="build/bin")
    p.add_argument("--work", default="build/models/eval")
    p.add_argument("--models", default="")
    p.add_argument("--forms", default="linalg,tosa")
    p.add_argument("--recipes", default=",".join(RECIPE_IDS))
    p.add_argument("--tosa-recipes", default=",".join(RECIPE_IDS),
                   help="the recipes run on the TOSA form (default: all)")
    p.add_argument("--no-ort", action="store_true")
    p.add_argument("--timeout", type=int, default=900)
    p.add_argument("--results", default="bench/results")
    p.add_argument("--command", default="make eval")
    a = p.parse_args()
    a.models_dir = os.path.abspath(a.models_dir)
    a.work = os.path.abspath(a.work)
    a.bin = os.path.abspath(a.bin)
    os.makedirs(a.work, exist_ok=True)
    os.makedirs(a.results, exist_ok=True)
    names = [n for n in a.models.split(",") if n] or sorted(
        (n for n in os.listdir(a.models_dir)
         if os.path.exists(os.path.join(a.models_dir, n, "meta.json"))),
        key=lambda n: (ORDER.index(n) if n in ORDER else len(ORDER), n))
    t0 = time.time()
    rows, metas = [], {}
    log = open(os.path.join(a.work, "eval.log"), "w")
    for name in names:
        d = os.path.join(a.models_dir, name)
        with open(os.path.join(d, "meta.json")) as f:
            meta = json.load(f)
        metas[name] = meta
        ref = np.load(os.path.join(d, "reference0.npy"))
        labels = np.load(os.path.join(d, "labels.npy")) if os.path.exists(
            os.path.join(d, "labels.npy")) else None
        torch_bytes = meta.get("param_bytes", 4 * meta["params"])
        print(f"{name}:", flush=True)
        for form in a.forms.split(","):
            rec = a.recipes.split(",") if form == "linalg" else [
                r for r in a.tosa_recipes.split(",") if r in a.recipes.split(",")]
            rows += effc_rows(a, name, d, meta, ref, labels, form, rec, log,
                              torch_bytes)
        if not a.no_ort:
            rows += ort_rows(a, name, d, meta, ref, labels, log)
        # Partial results survive an interrupted run.
        with open(os.path.join(a.results, "models.json"), "w") as f:
            json.dump({"rows": rows, "models": metas}, f, indent=1)
    elapsed = time.time() - t0
    with open(os.path.join(a.results, "models.json"), "w") as f:
        json.dump({"rows": rows, "models": metas, "command": a.command,
                   "cpu": cpu_name(), "seconds": round(elapsed)}, f, indent=1)
    write_md(os.path.join(a.results, "models.md"), rows, metas, a.command, elapsed)
    write_png(os.path.join(a.results, "models.png"), rows, metas)
    print(f"wrote {a.results}/models.md, models.png, models.json "
          f"({elapsed / 60:.1f} min)")


if __name__ == "__main__":
    main()

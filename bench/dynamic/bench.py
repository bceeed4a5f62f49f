#!/usr/bin/env python3
"""Dynamic vs static shapes (issue 20): the same layer compiled once with a
runtime row count M (`tensor<?xK>`, as a server's batch x sequence reaches
it) against the layer compiled for exactly that M, on the same machine, in
alternating rounds; the ratio dynamic / static must stay within 1.10.

Each dynamic measurement runs one compiled function `@dyn` (called with
`no_inline` from a static entry, so effc-run feeds it the size) and each
static one the same op with static types. Kinds: f32 GEMM (linalg.matmul
with the weight as an argument), dynamic int8 (effc.block_scaled_linear
with per-row activation scales and a constant int8 weight), and the sparse
kernels: a constant f32 weight 90% zeros compressed to CSR and one pruned
2:4 compressed to N:M (`effc-sparsify{force=1 format=...}`).

Whole models (`--models`): the torch-mlir GPT block exported with a
dynamic batch and sequence, run fully dynamic and with `--effc-specialize`
listing the shape, at 1 x 8 (also against the static export of that
shape) and 4 x 128, f32 and dynamic int8.

  bench.py EFFC_RUN OUT_DIR [--rounds R] [--threads T] [--models]
           [--kinds f32,int8,csr90,nm24,models]

Writes OUT_DIR/dynamic.json and prints Markdown tables.
"""
import argparse
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import time

import numpy as np

N, K = 1024, 1024
ROWS = (1, 8, 100, 512, 2048)


def static_entry(m, args, result_tail):
    """`@main` with M = m rows: casts the row-count arguments (`True` in
    `args`, a list of (name, type after the rows or whole type, rows?)) to
    `?` and calls `@dyn` with no_inline, so that one dynamic function runs."""
    def ty(tail, rows, dyn):
        return f"tensor<{('?' if dyn else m)}x{tail}>" if rows else f"tensor<{tail}>"
    params = ", ".join(f"%{n}: {ty(t, r, False)}" for n, t, r in args)
    lines = [f"  func.func @main({params}) -> {ty(result_tail, True, False)} {{"]
    for n, t, r in args:
        if r:
            lines.append(f"    %d{n} = tensor.cast %{n} : {ty(t, r, False)} to {ty(t, r, True)}")
    call_args = ", ".join(f"%d{n}" if r else f"%{n}" for n, t, r in args)
    call_tys = ", ".join(ty(t, r, True) for n, t, r in args)
    lines += [f"    %y = func.call @dyn({call_args}) {{no_inline}} : ({call_tys}) -> {ty(result_tail, True, True)}",
              f"    %s = tensor.cast %y : {ty(result_tail, True, True)} to {ty(result_tail, True, False)}",
              f"    return %s : {ty(result_tail, True, False)}", "  }"]
    return lines


def layer_module(m, dynamic, args, body):
    """A module whose function takes `args` (static_entry's list) and
    returns `%y` [M, N] f32, computed by the lines `body(t)` (t: the row
    count as written in types, `?` when dynamic)."""
    t = "?" if dynamic else str(m)
    fn = "dyn" if dynamic else "main"
    params = ", ".join(f"%{n}: tensor<{t}x{tail}>" if rows else
                       f"%{n}: tensor<{tail}>" for n, tail, rows in args)
    lines = [f"  func.func {'private ' if dynamic else ''}@{fn}({params}) -> tensor<{t}x{N}xf32> {{",
             *body(t), f"    return %y : tensor<{t}x{N}xf32>", "  }"]
    if dynamic:
        lines += static_entry(m, args, f"{N}xf32")
    return "module {\n" + "\n".join(lines) + "\n}\n"


def f32_module(m, dynamic):
    return layer_module(m, dynamic, [("x", f"{K}xf32", True),
                                     ("w", f"{K}x{N}xf32", False)], lambda t: [
        "    %c0 = arith.constant 0 : index",
        f"    %m = tensor.dim %x, %c0 : tensor<{t}x{K}xf32>",
        f"    %e = tensor.empty({'%m' if dynamic else ''}) : tensor<{t}x{N}xf32>",
        "    %z = arith.constant 0.0 : f32",
        f"    %f = linalg.fill ins(%z : f32) outs(%e : tensor<{t}x{N}xf32>) -> tensor<{t}x{N}xf32>",
        f"    %y = linalg.matmul ins(%x, %w : tensor<{t}x{K}xf32>, tensor<{K}x{N}xf32>) outs(%f : tensor<{t}x{N}xf32>) -> tensor<{t}x{N}xf32>"])


def int8_module(m, dynamic, wbytes, wscale):
    return layer_module(m, dynamic, [("x", f"{K}xi8", True),
                                     ("xs", "1xf32", True)], lambda t: [
        f"    %w = arith.constant dense<\"0x{wbytes}\"> : tensor<{N}x{K}xi8>",
        f"    %ws = arith.constant dense<{wscale}> : tensor<{N}x1xf32>",
        f"    %y = effc.block_scaled_linear %x, %xs, %w, %ws {{block = array<i64: 1, {K}>}} : tensor<{t}x{K}xi8>, tensor<{t}x1xf32>, tensor<{N}x{K}xi8>, tensor<{N}x1xf32> -> tensor<{t}x{N}xf32>"])


def sparse_module(m, dynamic, whex):
    """effc.linear with the constant f32 weight `whex` [N, K], compressed by
    the pipeline SPARSE_PIPELINES gives for the kind."""
    return layer_module(m, dynamic, [("x", f"{K}xf32", True)], lambda t: [
        f"    %w = arith.constant dense<\"0x{whex}\"> : tensor<{N}x{K}xf32>",
        f"    %y = effc.linear %x, %w : tensor<{t}x{K}xf32>, tensor<{N}x{K}xf32> -> tensor<{t}x{N}xf32>"])


SPARSE_PIPELINES = {"csr90": "effc-sparsify{force=1 format=csr}",
                    "nm24": "effc-sparsify{force=1 format=nm}"}


def sparse_weight(kind, rng):
    w = rng.standard_normal((N, K)).astype(np.float32)
    if kind == "csr90":
        w[rng.random((N, K)) < 0.9] = 0
    else:  # keep the 2 largest of every 4
        g = w.reshape(N, K // 4, 4)
        order = np.argsort(-np.abs(g), axis=2, kind="stable")
        np.put_along_axis(g, order[:, :, 2:], 0.0, axis=2)
    return w.tobytes().hex().upper()


def run(effc_run, path, iters, threads, extra=()):
    env = dict(os.environ, OMP_NUM_THREADS=str(threads))
    cmd = [effc_run, path, "--entry", "main", "--bench", str(iters),
           *extra]
    out = subprocess.run(cmd, capture_output=True, text=True, env=env,
                         timeout=600)
    if out.returncode:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{out.stderr[-2000:]}")
    med = re.search(r"median_ms=([0-9.]+)", out.stdout + out.stderr)
    if not med:
        raise RuntimeError(f"no timing in: {out.stdout[-500:]}")
    return float(med.group(1)), " ".join(cmd)


FRONTEND = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..",
                        "..", "test", "models", "frontend")


MODEL_SHAPES = ((1, 8), (4, 128))


def bench_models(effc_run, out, rounds, threads):
    """Fully dynamic vs specialized (and the static export, which exists
    at 1 x 8 only), same input, at each of MODEL_SHAPES."""
    tail = "effc-raise,effc-rewrite-attention"
    precisions = {"f32": "", "int8 dynamic":
                  ",effc-assign-precision{weights=i8 activations=i8},"
                  "effc-quantize"}
    rows = []
    for b, s in MODEL_SHAPES:
        x = os.path.join(out, f"gpt_x_{b}x{s}.npy")
        np.save(x, np.random.default_rng(1).standard_normal((b, s, 32))
                .astype(np.float32))
        variants = {
            "dynamic": ("gpt_block_dyn.linalg.mlir", ""),
            "specialized": ("gpt_block_dyn.linalg.mlir",
                            f"effc-specialize{{batch={b} seq={s}}},"),
        }
        if (b, s) == (1, 8):
            variants["static export"] = ("gpt_block.linalg.mlir", "")
        iters = max(200, 20000 // (b * s))
        for prec, qtail in precisions.items():
            times = {v: [] for v in variants}
            cmds = {}
            for _ in range(rounds):
                for v, (model, head) in variants.items():
                    ms, cmd = run(effc_run, os.path.join(FRONTEND, model),
                                  iters, threads,
                                  ["--pipeline", head + tail + qtail,
                                   "--input", x])
                    times[v].append(ms)
                    cmds[v] = cmd
            med = {v: statistics.median(t) for v, t in times.items()}
            rows.append({"shape": f"{b}x{s}", "precision": prec, "ms": med,
                         "cmds": cmds})
            print(f"{b}x{s} {prec}: " + ", ".join(
                f"{v} {m:.4f} ms" for v, m in med.items()), file=sys.stderr)
    return rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("effc_run")
    ap.add_argument("out")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--models", action="store_true",
                    help="only the whole-model comparison")
    ap.add_argument("--kinds", default="f32,int8,csr90,nm24,models",
                    help="comma-separated kinds to time (models: the "
                    "whole-model comparison)")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    rng = np.random.default_rng(0)
    wbytes = rng.integers(-127, 128, (N, K)).astype(np.int8).tobytes().hex()
    kinds = [] if args.models else args.kinds.split(",")
    sparse_w = {k: sparse_weight(k, rng) for k in kinds
                if k in SPARSE_PIPELINES}
    rows = []
    for kind in kinds:
        if kind == "models":
            continue
        extra = (["--pipeline", SPARSE_PIPELINES[kind]]
                 if kind in SPARSE_PIPELINES else [])
        for m in ROWS:
            paths = {}
            for dyn in (False, True):
                text = (f32_module(m, dyn) if kind == "f32"
                        else int8_module(m, dyn, wbytes, 0.01)
                        if kind == "int8"
                        else sparse_module(m, dyn, sparse_w[kind]))
                p = os.path.join(args.out, f"{kind}_m{m}_{'dyn' if dyn else 'static'}.mlir")
                with open(p, "w") as f:
                    f.write(text)
                paths[dyn] = p
            flops = 2.0 * m * N * K
            iters = max(5, min(200, int(2e9 / flops)))
            times = {False: [], True: []}
            cmds = {}
            for _ in range(args.rounds):
                for dyn in (False, True):
                    ms, cmd = run(args.effc_run, paths[dyn], iters,
                                  args.threads, extra)
                    times[dyn].append(ms)
                    cmds[dyn] = cmd
            s, d = statistics.median(times[False]), statistics.median(times[True])
            rows.append({"kind": kind, "M": m, "N": N, "K": K,
                         "threads": args.threads, "static_ms": s,
                         "dynamic_ms": d, "ratio": d / s,
                         "static_cmd": cmds[False], "dynamic_cmd": cmds[True]})
            print(f"{kind} M={m}: static {s:.4f} ms dynamic {d:.4f} ms "
                  f"ratio {d / s:.3f}", file=sys.stderr)
    cpu = ""
    try:
        cpu = next(l.split(":", 1)[1].strip()
                   for l in open("/proc/cpuinfo") if l.startswith("model name"))
    except (OSError, StopIteration):
        cpu = platform.processor()
    models = (bench_models(args.effc_run, args.out, args.rounds, args.threads)
              if args.models or "models" in kinds else [])
    res = {"date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
           "cpu": cpu, "rounds": args.rounds, "rows": rows, "models": models}
    with open(os.path.join(args.out, "dynamic.json"), "w") as f:
        json.dump(res, f, indent=1)
    print(f"CPU: {cpu}; {args.threads} thread(s); median of {args.rounds} "
          f"alternating rounds, each effc-run's median over its iterations.\n")
    if rows:
        print("| kind | M x N x K | static ms | dynamic ms | dynamic / static |")
        print("|---|---|---|---|---|")
        for r in rows:
            print(f"| {r['kind']} | {r['M']}x{N}x{K} | {r['static_ms']:.4f} | "
                  f"{r['dynamic_ms']:.4f} | {r['ratio']:.3f} |")
        print()
    if not models:
        return
    print("Whole model: torch-mlir GPT block (d=32, 2 heads, causal); the "
          "static export exists at 1 x 8 only.\n")
    print("| batch x seq | precision | dynamic ms | specialized ms | "
          "static export ms | dynamic / specialized |")
    print("|---|---|---|---|---|---|")
    for r in models:
        m = r["ms"]
        st = m.get("static export")
        print(f"| {r['shape']} | {r['precision']} | {m['dynamic']:.4f} | "
              f"{m['specialized']:.4f} | "
              f"{'' if st is None else f'{st:.4f}'} | "
              f"{m['dynamic'] / m['specialized']:.3f} |")

if __name__ == "__main__":
    main()

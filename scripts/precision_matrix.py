#!/usr/bin/env python3
"""The precision x target matrix: every compression recipe on every target.

  precision_matrix.py --build BUILD --out DIR [--readme README.md --check |
                      --update] [--jobs N]

Writes an upstream-IR MLP the way frontends write it (linalg.matmul, one
fused bias + ReLU linalg.generic, a bias generic, entry @main: 16 x 64 ->
128 -> 32), compresses it with each recipe below (effc-opt), and takes the
result to each target:

  CPU     effc-run executes it; the output must match the reference
          lowering (--compare-to-reference, >= 100 dB) and, for recipes that
          do not prune, NumPy's float64 model within the precision's floor.
  GPU     --effc-gpu-pipeline for sm_80, sm_90 and sm_90a, effc-translate
          --effc-to-ptx, ptxas for that chip. "works" needs a kernel in the
          PTX and no op left on the host; a remark naming host ops makes the
          cell "host: ...".
  HLS     --effc-hls-pipeline, --emit-hls-cpp / --emit-hls-testbench, g++
          against effc's include/effc/hls headers and, when installed, the
          Xilinx ap_types headers (EFFC_AP_TYPES or hls4ml's copy), then the
          C simulation: integer recipes must equal effc-run's CPU output bit
          for bit, float ones (ap_fixed) stay within 20 dB of it, and both
          headers must give the same bits.

A cell is "works", or the first line of the error a user would see. The
table goes to DIR/matrix.md; --check exits 1 when the README's copy
(between the precision-matrix markers) differs, --update rewrites it.
"""

import argparse
import concurrent.futures as cf
import glob
import os
import re
import shutil
import subprocess
import sys

import numpy as np

CHIPS = ["sm_80", "sm_90", "sm_90a"]
BEGIN = "<!-- precision-matrix:begin (scripts/precision_matrix.py --update) -->"
END = "<!-- precision-matrix:end -->"

# name, effc-opt arguments after --effc-raise, NumPy SQNR floor (None: the
# recipe prunes, so only the reference lowering is compared), integer (HLS
# output must be bit-exact).
RECIPES = [
    ("f32", [], 100, False),
    ("f16", ["--effc-assign-precision=weights=f16 activations=f16",
             "--effc-quantize"], 40, False),
    ("bf16", ["--effc-assign-precision=weights=bf16 activations=bf16",
              "--effc-quantize"], 25, False),
    ("int8 static (calibrated)",
     ["--effc-assign-precision=weights=i8 activations=i8 "
      "calibration={stats}", "--effc-quantize"], 25, True),
    ("int8 dynamic", ["--effc-assign-precision=weights=i8 activations=i8",
                      "--effc-quantize"], 25, False),
    ("int8 weight-only", ["--effc-assign-precision=weights=i8",
                          "--effc-quantize"], 30, False),
    ("int4 weight-only g32",
     ["--effc-assign-precision=weights=i4 granularity=group group-size=32",
      "--effc-quantize"], 12, False),
    ("fp8 block-scaled (128x128)",
     ["--effc-assign-precision=weights=f8e4m3 activations=f8e4m3 "
      "granularity=block group-size=128", "--effc-quantize"], 18, False),
    ("2:4 f16", ["--effc-compress=method=nm weights=f16 activations=f16"],
     None, False),
    ("2:4 int8 (calibrated)",
     ["--effc-compress=method=nm weights=i8 activations=i8 "
      "calibration={stats}"], None, True),
    ("90% CSR f32", ["--effc-prune=sparsity=0.9"], None, False),
]


def literal(a):
    if a.ndim == 1:
        return "[" + ", ".join("%.6e" % v for v in a) + "]"
    return "[" + ", ".join(literal(r) for r in a) + "]"


def write_model(out):
    rng = np.random.default_rng(16)
    m, k, n1, n2 = 16, 64, 128, 32
    w1 = (rng.standard_normal((k, n1)) / np.sqrt(k)).astype(np.float32)
    b1 = (0.1 * rng.standard_normal(n1)).astype(np.float32)
    w2 = (rng.standard_normal((n1, n2)) / np.sqrt(n1)).astype(np.float32)
    b2 = (0.1 * rng.standard_normal(n2)).astype(np.float32)
    t = lambda *s: "tensor<" + "x".join(map(str, s)) + "xf32>"
    text = f"""// The MLP of scripts/precision_matrix.py, as frontends write it.
#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d1)>
func.func @main(%x: {t(m, k)}) -> {t(m, n2)} {{
  %w1 = arith.constant dense<{literal(w1)}> : {t(k, n1)}
  %b1 = arith.constant dense<{literal(b1)}> : {t(n1)}
  %w2 = arith.constant dense<{literal(w2)}> : {t(n1, n2)}
  %b2 = arith.constant dense<{literal(b2)}> : {t(n2)}
  %zero = arith.constant 0.0 : f32
  %e1 = tensor.empty() : {t(m, n1)}
  %f1 = linalg.fill ins(%zero : f32) outs(%e1 : {t(m, n1)}) -> {t(m, n1)}
  %mm1 = linalg.matmul ins(%x, %w1 : {t(m, k)}, {t(k, n1)}) outs(%f1 : {t(m, n1)}) -> {t(m, n1)}
  %h = linalg.generic {{indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]}} ins(%mm1, %b1 : {t(m, n1)}, {t(n1)}) outs(%e1 : {t(m, n1)}) {{
  ^bb0(%a: f32, %b: f32, %o: f32):
    %s = arith.addf %a, %b : f32
    %r = arith.maximumf %s, %zero : f32
    linalg.yield %r : f32
  }} -> {t(m, n1)}
  %e2 = tensor.empty() : {t(m, n2)}
  %f2 = linalg.fill ins(%zero : f32) outs(%e2 : {t(m, n2)}) -> {t(m, n2)}
  %mm2 = linalg.matmul ins(%h, %w2 : {t(m, n1)}, {t(n1, n2)}) outs(%f2 : {t(m, n2)}) -> {t(m, n2)}
  %y = linalg.generic {{indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]}} ins(%mm2, %b2 : {t(m, n2)}, {t(n2)}) outs(%e2 : {t(m, n2)}) {{
  ^bb0(%a: f32, %b: f32, %o: f32):
    %s = arith.addf %a, %b : f32
    linalg.yield %s : f32
  }} -> {t(m, n2)}
  return %y : {t(m, n2)}
}}
"""
    with open(os.path.join(out, "mlp.mlir"), "w") as f:
        f.write(text)

    def forward(x):
        x = x.astype(np.float64)
        h = np.maximum(x @ w1 + b1, 0)
        return h @ w2 + b2

    sample = lambda *s: (rng.standard_normal(s) + 0.2).astype(np.float32)
    x = sample(m, k)
    np.save(os.path.join(out, "x.npy"), x)
    np.save(os.path.join(out, "expected.npy"), forward(x).astype(np.float32))
    np.savez(os.path.join(out, "calib.npz"), x=sample(8, m, k))


# ASCII diagnostics from g++ (no locale quotes) in the table.
ENV = dict(os.environ, LC_ALL="C")


def run(cmd, cwd=None, stdin=None):
    p = subprocess.run(cmd, cwd=cwd, input=stdin, capture_output=True,
                       timeout=600, env=ENV)
    return p.returncode, p.stdout.decode(errors="replace"), \
        p.stderr.decode(errors="replace")


def first_error(text):
    """The first `error:` line a user sees, without its file:line prefix."""
    for line in text.splitlines():
        m = re.search(r"error: (.*)", line)
        if m:
            msg = m.group(1).strip()
            return "error: " + (msg if len(msg) <= 90 else msg[:87] + "...")
    lines = [l for l in text.splitlines() if l.strip()]
    return "failed: " + (lines[-1][:80] if lines else "no output")


def host_ops(err):
    """The ops --effc-gpu-pipeline's remarks say stay on the host."""
    return sorted(set(re.findall(
        r"remark: [^\n]*'((?:effc|linalg|tosa)\.\w+)' runs on the host",
        err)))


def sqnr(ref, out):
    ref = ref.astype(np.float64)
    out = out.astype(np.float64)
    noise = ((ref - out) ** 2).sum()
    return float("inf") if noise == 0 else \
        10 * np.log10((ref ** 2).sum() / noise)


def ap_types_dir():
    # Where scripts/bootstrap.sh installs the hls4ml wheel's copy.
    src = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    local = os.path.join(src, ".deps", "hls4ml", "hls4ml", "templates",
                         "vivado", "ap_types")
    if os.path.isfile(os.path.join(local, "ap_int.h")):
        return local
    env = os.environ.get("EFFC_AP_TYPES")
    if env:
        return env if os.path.isfile(os.path.join(env, "ap_int.h")) else None
    try:
        import hls4ml  # noqa: F401
        base = os.path.dirname(hls4ml.__file__)
    except Exception:
        return None
    for d in glob.glob(os.path.join(base, "templates", "*", "ap_types")):
        if os.path.isfile(os.path.join(d, "ap_int.h")):
            return d
    return None


class Matrix:
    def __init__(self, build, out, src):
        self.bin = os.path.join(build, "bin")
        self.out = out
        self.src = src
        self.ptxas = shutil.which("ptxas") or (
            "/usr/local/cuda/bin/ptxas"
            if os.path.exists("/usr/local/cuda/bin/ptxas") else None)
        self.gxx = shutil.which("g++")
        self.ap_types = ap_types_dir()
        self.has_gpu = self.gpu_built()

    def tool(self, name):
        return os.path.join(self.bin, name)

    def gpu_built(self):
        rc, out, _ = run([self.tool("effc-opt"), "--help"])
        return "effc-gpu-pipeline" in out

    def prepare(self):
        write_model(self.out)
        rc, _, err = run([self.tool("effc-run"),
                          os.path.join(self.out, "mlp.mlir"), "--entry",
                          "main", "--pipeline", "effc-raise", "--calibrate",
                          os.path.join(self.out, "calib.npz"),
                          "--calibration-out",
                          os.path.join(self.out, "stats.json")])
        if rc:
            sys.exit("calibration failed: " + err)

    def compress(self, idx, args):
        d = os.path.join(self.out, f"r{idx}")
        os.makedirs(d, exist_ok=True)
        stats = os.path.join(self.out, "stats.json")
        cmd = [self.tool("effc-opt"), os.path.join(self.out, "mlp.mlir"),
               "--effc-raise"] + [a.format(stats=stats) for a in args] + \
            ["-o", os.path.join(d, "q.mlir")]
        rc, _, err = run(cmd)
        return d, (None if rc == 0 else first_error(err))

    def cpu(self, d, floor):
        q = os.path.join(d, "q.mlir")
        rc, out, err = run([self.tool("effc-run"), q, "--entry", "main",
                            "--input", os.path.join(self.out, "x.npy"),
                            "--output", os.path.join(d, "cpu.npy")])
        if rc:
            return first_error(err)
        rc, out, err = run([self.tool("effc-run"), q, "--entry", "main",
                            "--input", os.path.join(self.out, "x.npy"),
                            "--compare-to-reference"])
        if rc:
            return first_error(err)
        m = re.search(r"sqnr_db=(\S+)", out)
        ref_db = float(m.group(1)) if m else 0.0
        if ref_db < 100:
            return f"wrong: {ref_db:.1f} dB against the reference lowering"
        if floor is not None:
            db = sqnr(np.load(os.path.join(self.out, "expected.npy")),
                      np.load(os.path.join(d, "cpu.npy")))
            if db < floor:
                return f"wrong: {db:.1f} dB against NumPy (floor {floor})"
        return "works"

    def gpu(self, d, chip):
        if not self.has_gpu:
            return "not built (no CUDA toolkit)"
        if not self.ptxas:
            return "no ptxas"
        q = os.path.join(d, "q.mlir")
        rc, low, err = run([self.tool("effc-opt"), q,
                            f"--effc-gpu-pipeline=chip={chip} remarks=1"])
        if rc:
            # Builds whose pipeline has no `remarks` option.
            if "remarks" in err and "no such option" in err:
                rc, low, err = run([self.tool("effc-opt"), q,
                                    f"--effc-gpu-pipeline=chip={chip}"])
            if rc:
                return first_error(err)
        rc, ptx, err2 = run([self.tool("effc-translate"), "--effc-to-ptx"],
                            stdin=low.encode())
        if rc:
            host = host_ops(err)
            if host and "no GPU kernels" in err2:
                return "host (with a remark): " + ", ".join(host)
            return first_error(err2)
        if ".entry" not in ptx:
            return "no GPU kernel: every op stays on the host"
        ptx_path = os.path.join(d, f"{chip}.ptx")
        with open(ptx_path, "w") as f:
            f.write(ptx)
        rc, _, err3 = run([self.ptxas, f"-arch={chip}", ptx_path, "-o",
                           os.path.join(d, f"{chip}.cubin")])
        if rc:
            return "ptxas: " + first_error(err3)
        host = host_ops(err)
        if host:
            return "host: " + ", ".join(host)
        return "works"

    def hls(self, d, integer):
        if not self.gxx:
            return "no g++"
        q = os.path.join(d, "q.mlir")
        h = os.path.join(d, "q.hls.mlir")
        rc, _, err = run([self.tool("effc-opt"), q, "--effc-hls-pipeline",
                          "-o", h])
        if rc:
            return first_error(err)
        for flag, name in (("--emit-hls-cpp", "kernel.cpp"),
                           ("--emit-hls-testbench", "tb.cpp")):
            rc, _, err = run([self.tool("effc-translate"), flag, h, "-o",
                              os.path.join(d, name)])
            if rc:
                return first_error(err)
        headers = [("effc", os.path.join(self.src, "include", "effc", "hls"))]
        if self.ap_types:
            headers.append(("xilinx", self.ap_types))
        results = {}
        for tag, inc in headers:
            exe = os.path.join(d, f"csim_{tag}")
            rc, _, err = run([self.gxx, "-std=c++17", "-O1", "-I", inc,
                              os.path.join(d, "kernel.cpp"),
                              os.path.join(d, "tb.cpp"), "-o", exe])
            if rc:
                return f"g++ ({tag} headers): " + first_error(err)
            res = os.path.join(d, f"hls_{tag}.npy")
            rc, _, err = run([exe, os.path.join(self.out, "x.npy"), res])
            if rc:
                return f"C simulation ({tag} headers) failed"
            results[tag] = np.load(res)
        if "xilinx" in results and \
                results["xilinx"].tobytes() != results["effc"].tobytes():
            return "the ap_types and effc headers give different bits"
        if not os.path.exists(os.path.join(d, "cpu.npy")):
            return "works (no CPU result to compare)"
        cpu = np.load(os.path.join(d, "cpu.npy"))
        hls = results["effc"]
        if integer:
            if hls.tobytes() != cpu.astype(hls.dtype).tobytes():
                return "wrong: not bit-exact with the CPU"
            return "works (bit-exact)"
        db = sqnr(cpu, hls)
        if db < 20:
            return f"wrong: {db:.1f} dB against the CPU"
        return "works"

    def row(self, idx, recipe):
        name, args, floor, integer = recipe
        d, err = self.compress(idx, args)
        if err:
            return [name] + [err] * (2 + len(CHIPS))
        cells = [name, self.cpu(d, floor)]
        cells += [self.gpu(d, chip) for chip in CHIPS]
        cells.append(self.hls(d, integer))
        return cells


def table(rows):
    head = ["precision (recipe)", "CPU (effc-run)"] + \
        [f"GPU {c} (ptxas)" for c in CHIPS] + ["HLS (g++ C-sim)"]
    esc = lambda s: s.replace("|", "\\|")
    lines = ["| " + " | ".join(head) + " |",
             "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(esc(c) for c in r) + " |" for r in rows]
    return "\n".join(lines) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--readme")
    ap.add_argument("--check", action="store_true")
    ap.add_argument("--update", action="store_true")
    ap.add_argument("--jobs", type=int, default=2)
    a = ap.parse_args()
    src = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    os.makedirs(a.out, exist_ok=True)
    mx = Matrix(os.path.abspath(a.build), os.path.abspath(a.out), src)
    mx.prepare()
    with cf.ThreadPoolExecutor(a.jobs) as pool:
        rows = list(pool.map(lambda ir: mx.row(*ir), enumerate(RECIPES)))
    text = table(rows)
    with open(os.path.join(a.out, "matrix.md"), "w") as f:
        f.write(text)
    sys.stdout.write(text)
    if not a.readme:
        return
    readme = open(a.readme).read()
    if BEGIN not in readme or END not in readme:
        sys.exit(f"{a.readme}: no precision-matrix markers")
    head, rest = readme.split(BEGIN, 1)
    current, tail = rest.split(END, 1)
    if a.update:
        with open(a.readme, "w") as f:
            f.write(head + BEGIN + "\n" + text + END + tail)
        print(f"updated {a.readme}")
    elif a.check:
        if current.strip() != text.strip():
            print(f"MISMATCH: {a.readme}'s matrix differs from this run; "
                  "rerun scripts/precision_matrix.py --update (make matrix)"
                  " if the change is intended")
            sys.exit(1)
        print(f"MATCH: {a.readme}'s matrix is this run's")


if __name__ == "__main__":
    main()

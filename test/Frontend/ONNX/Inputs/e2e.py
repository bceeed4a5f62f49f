#!/usr/bin/env python3
"""End to end: an ONNX model -> effc-import-onnx -> effc-run, against numpy.

    e2e.py MODEL BIN_DIR WORK_DIR [--pipeline P]

MODEL is one of make_model.py's models (mlp, cnn, attention_block, gelu,
attention_gqa, attention_3d). The
reference is an independent numpy implementation of the ONNX ops (onnx 1.12
has no reference evaluator). Prints the max abs error and exits 1 when it
exceeds the tolerance.
"""

import math
import os
import subprocess
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_model  # noqa: E402  (also restores numpy's aliases for onnx)
from onnx import numpy_helper, save  # noqa: E402


def conv2d(x, w, b=None, pads=(0, 0, 0, 0), group=1):
    x = np.pad(x, ((0, 0), (0, 0), (pads[0], pads[2]), (pads[1], pads[3])))
    n, c, h, wd = x.shape
    f, cg, kh, kw = w.shape
    oh, ow = h - kh + 1, wd - kw + 1
    out = np.zeros((n, f, oh, ow), np.float64)
    fg = f // group
    for g in range(group):
        xs = x[:, g * cg:(g + 1) * cg]
        for o in range(g * fg, (g + 1) * fg):
            for i in range(kh):
                for j in range(kw):
                    out[:, o] += np.einsum(
                        "nchw,c->nhw", xs[:, :, i:i + oh, j:j + ow],
                        w[o, :, i, j])
    if b is not None:
        out += b.reshape(1, -1, 1, 1)
    return out


def softmax(s):
    e = np.exp(s - s.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def attention(q, k, v, scale=None, mask=None, causal=False, softcap=0.0):
    """q [B, H, S, D], k / v [B, kvH, T, D]."""
    rep = q.shape[1] // k.shape[1]
    k, v = np.repeat(k, rep, axis=1), np.repeat(v, rep, axis=1)
    scale = 1 / math.sqrt(q.shape[-1]) if scale is None else scale
    s = q @ k.transpose(0, 1, 3, 2) * scale
    if mask is not None:
        s = s + mask
    if causal:
        s = np.where(np.tril(np.ones(s.shape[-2:], bool)), s, -np.inf)
    if softcap:
        s = softcap * np.tanh(s / softcap)
    return softmax(s) @ v


def heads(x, h):
    b, s, hd = x.shape
    return x.reshape(b, s, h, hd // h).transpose(0, 2, 1, 3)


def reference(name, model, inputs):
    p = {t.name: numpy_helper.to_array(t).astype(np.float64)
         for t in model.graph.initializer}
    inputs = [i.astype(np.float64) for i in inputs]
    x = inputs[0]
    if name == "attention_gqa":
        return attention(*inputs, causal=True)
    if name == "attention_3d":
        q, k, v = (heads(t, 2) for t in inputs)
        y = attention(q, k, v, scale=0.3, mask=p["mask"], softcap=4.0)
        return y.transpose(0, 2, 1, 3).reshape(2, 5, 12)
    if name == "mlp":
        h = np.maximum(x @ p["w1"] + p["b1"], 0)
        return h @ p["w2"].T + p["b2"]
    if name == "cnn":
        c = conv2d(x, p["c1w"], p["c1b"], pads=(1, 1, 1, 1))
        s = (p["bn_scale"] / np.sqrt(p["bn_var"] + 1e-5)).reshape(1, -1, 1, 1)
        c = (c - p["bn_mean"].reshape(1, -1, 1, 1)) * s + \
            p["bn_bias"].reshape(1, -1, 1, 1)
        r = np.maximum(c, 0)
        d = conv2d(r, p["dww"], pads=(1, 1, 1, 1), group=8)
        g = conv2d(d, p["gw"], group=2)
        n, f, h, w = g.shape
        pooled = g.reshape(n, f, h // 2, 2, w // 2, 2).max(axis=(3, 5))
        gap = pooled.mean(axis=(2, 3))
        return gap @ p["fcw"].T + p["fcb"]
    if name == "attention_block":
        mean = x.mean(-1, keepdims=True)
        var = ((x - mean) ** 2).mean(-1, keepdims=True)
        n = (x - mean) / np.sqrt(var + 1e-5) * p["g"] + p["b"]
        e = np.exp(n - n.max(-1, keepdims=True))
        return e / e.sum(-1, keepdims=True)
    if name == "gelu":
        erf = np.vectorize(math.erf)
        exact = 0.5 * x * (1 + erf(x / math.sqrt(2)))
        approx = 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) *
                                        (x + 0.044715 * x ** 3)))
        return np.concatenate([exact, approx], axis=0)
    raise SystemExit(f"unknown model {name}")


def main():
    name, bin_dir, work = sys.argv[1:4]
    pipeline = sys.argv[5] if len(sys.argv) > 5 else ""
    os.makedirs(work, exist_ok=True)
    model = make_model.MODELS[name]()
    onnx_path = os.path.join(work, name + ".onnx")
    save(model, onnx_path)
    mlir_path = os.path.join(work, name + ".mlir")
    subprocess.run([os.path.join(bin_dir, "effc-import-onnx"), onnx_path,
                    "-o", mlir_path], check=True)
    rng = np.random.default_rng(1)
    inputs = []
    cmd = [os.path.join(bin_dir, "effc-run"), mlir_path, "--entry", "main"]
    for i, graph_input in enumerate(model.graph.input):
        shape = [d.dim_value for d in graph_input.type.tensor_type.shape.dim]
        x = rng.standard_normal(shape).astype(np.float32)
        in_path = os.path.join(work, f"{name}.in{i}.npy")
        np.save(in_path, x)
        inputs.append(x)
        cmd += ["--input", in_path]
    out_path = os.path.join(work, name + ".out.npy")
    cmd += ["--output", out_path]
    if pipeline:
        cmd += ["--pipeline", pipeline]
    subprocess.run(cmd, check=True)
    got = np.load(out_path)
    want = reference(name, model, inputs)
    err = float(np.max(np.abs(got - want)))
    print(f"{name}: shape {got.shape} max_abs_err {err:.3g}")
    return 0 if got.shape == want.shape and err < 1e-4 else 1


if __name__ == "__main__":
    sys.exit(main())

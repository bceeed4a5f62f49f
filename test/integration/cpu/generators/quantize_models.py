#!/usr/bin/env python3
"""Models and data for the quantization tests, computed with NumPy alone.

  quantize_models.py CASE DIR

CASE is `mlp` (a 3-layer MLP, 256 -> 512 -> 256 -> 10, ReLU and GELU, as
torch-mlir emits it; entry @forward), `outlier` (the same MLP whose input
has four outlier channels 40x the others, as LayerNorm outputs of
transformers have; SmoothQuant's case), `odd` (the MLP with widths no
block size divides, 200 -> 72 -> 130 -> 10: partial edge blocks) or `conv` (gen.py's depthwise-separable
conv block; entry @dw_s1).
Writes into DIR: model.mlir, x.npy (the evaluation input),
forward.expected.npy (the float result, computed in float64), and
calib.npz (np.savez: 8 calibration samples of the input, stacked along a
new leading dim, drawn from the same distribution as x but not x itself).
"""

import math
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gen  # noqa: E402


def case_mlp(rng, outlier=4.0, dims=(256, 512, 256, 10)):
    batch = 16
    acts = ["relu", "gelu", None]
    m = gen.Model(f"A 3-layer MLP ({' -> '.join(map(str, dims))}, batch "
                  f"{batch}) as torch-mlir emits it, for the quantization "
                  "tests.")
    m.map("id2", "affine_map<(d0, d1) -> (d0, d1)>")
    m.map("row", "affine_map<(d0, d1) -> (d1)>")
    m.emit(f"  func.func @forward(%x: {gen.tensor((batch, dims[0]))}) -> "
           f"{gen.tensor((batch, dims[-1]))} {{")
    m.emit("    %zero = arith.constant 0.0 : f32")
    cur = "%x"
    layers = []
    for i, (k, n) in enumerate(zip(dims[:-1], dims[1:])):
        w = gen.randn(rng, (n, k), math.sqrt(2.0 / k))
        b = gen.randn(rng, (n,), 0.1)
        layers.append((w, b, acts[i]))
        cur = gen.torch_linear(m, i, cur, w, b, batch)
        if acts[i] == "relu":
            gen.relu_generic(m, f"%act{i}", cur, (batch, n))
            cur = f"%act{i}"
        elif acts[i] == "gelu":
            gen.gelu_generic(m, f"%act{i}", cur, (batch, n))
            cur = f"%act{i}"
    m.emit(f"    return {cur} : {gen.tensor((batch, dims[-1]))}")
    m.emit("  }")

    def forward(x):
        y = gen.f64(x)
        for w, b, act in layers:
            y = y @ gen.f64(w).T + gen.f64(b)
            if act == "relu":
                y = gen.relu(y)
            elif act == "gelu":
                y = gen.gelu(y)
        return y

    # Inputs: a non-zero mean and a few heavy-tailed features, as real
    # activations have.
    def sample(shape):
        x = gen.randn(rng, shape) + 0.3
        x[..., :4] *= outlier
        return gen.f32(x)

    return m.text(), sample, forward, (batch, dims[0])


def case_conv(rng):
    text, inputs, expected = gen.case_dwconv(rng)
    x = inputs["x"]
    # The conv block's reference is computed by gen.py for its own input;
    # the forward for other inputs is not exposed, so calibration samples
    # are drawn from the same distribution and the evaluation input is
    # gen.py's.
    return text, x, expected["dw_s1"]


def main():
    case, out = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(
        {"mlp": 41, "outlier": 41, "odd": 43, "conv": 42}[case])
    if case in ("mlp", "outlier", "odd"):
        text, sample, forward, shape = case_mlp(
            rng, 40.0 if case == "outlier" else 4.0,
            (200, 72, 130, 10) if case == "odd" else (256, 512, 256, 10))
        x = sample(shape)
        calib = sample((8,) + shape)
        expected = forward(x)
    else:
        text, x, expected = case_conv(rng)
        calib = gen.f32(rng.standard_normal((8,) + x.shape))
    with open(os.path.join(out, "model.mlir"), "w") as f:
        f.write(text)
    np.save(os.path.join(out, "x.npy"), x)
    np.save(os.path.join(out, "forward.expected.npy"), gen.f32(expected))
    np.savez(os.path.join(out, "calib.npz"), x=calib)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Writes effc.attention models whose explicit additive masks broadcast to
the scores (a [B, 1, 1, Skv] padding mask, a per-head [1, Hq, 1, Skv] mask
with grouped-query heads, a rank-2 [1, Skv] mask), their inputs and NumPy's
expected outputs into DIR. Sq != Skv and neither is a multiple of the CPU
flash tiles. Usage: attention_masks.py DIR"""

import os
import sys

import numpy as np

B, HQ, HKV, SQ, SKV, D = 3, 4, 2, 40, 72, 32
FLT_MIN = np.finfo(np.float32).min


def attention(q, k, v, mask):
    g = q.shape[-3] // k.shape[-3]
    k = np.repeat(k, g, axis=-3)  # query head h reads kv head h // g
    v = np.repeat(v, g, axis=-3)
    s = q @ np.swapaxes(k, -1, -2) / np.sqrt(q.shape[-1]) + mask
    e = np.exp(s - s.max(axis=-1, keepdims=True))
    return (e / e.sum(axis=-1, keepdims=True)) @ v


def tensor(shape):
    return "tensor<" + "x".join(str(d) for d in shape) + "xf32>"


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(5)
    q = rng.standard_normal((B, HQ, SQ, D)).astype(np.float32)
    k = rng.standard_normal((B, HKV, SKV, D)).astype(np.float32)
    v = rng.standard_normal((B, HKV, SKV, D)).astype(np.float32)
    # Padding as BERT builds it: sequence b keeps its first lengths[b] keys,
    # the others get finfo(f32).min.
    lengths = np.array([SKV, 50, 9])
    pad = np.where(np.arange(SKV)[None, :] < lengths[:, None], 0.0, FLT_MIN)
    masks = {
        "padding": pad.reshape(B, 1, 1, SKV),
        # Per-head biases, -inf on a few keys of each head.
        "head": np.where(rng.random((1, HQ, 1, SKV)) < 0.2, -np.inf,
                         rng.standard_normal((1, HQ, 1, SKV))),
        "row": rng.standard_normal((1, SKV)),
    }
    for name, arr in (("q", q), ("k", k), ("v", v)):
        np.save(os.path.join(out, f"{name}.npy"), arr)
    qt, kt = tensor(q.shape), tensor(k.shape)
    lines = []
    for entry, mask in masks.items():
        mask = mask.astype(np.float32)
        np.save(os.path.join(out, f"{entry}.mask.npy"), mask)
        mt = tensor(mask.shape)
        lines += [
            f"func.func @{entry}(%q: {qt}, %k: {kt}, %v: {kt}, %m: {mt}) -> {qt} {{",
            f"  %o = effc.attention %q, %k, %v mask(%m : {mt}) "
            f"{{mask = #effc.mask<explicit>}} : {qt}, {kt}, {kt} -> {qt}",
            f"  return %o : {qt}",
            "}",
        ]
        with np.errstate(over="ignore"):
            expected = attention(q.astype(np.float64), k.astype(np.float64),
                                 v.astype(np.float64), mask.astype(np.float64))
        np.save(os.path.join(out, f"{entry}.expected.npy"),
                expected.astype(np.float32))
    with open(os.path.join(out, "model.mlir"), "w") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()

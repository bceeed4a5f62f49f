#!/usr/bin/env python3
"""Writes effc.attention models for the sliding-window and grouped-query
variants (with Sq != Skv, so the end-aligned masks are exercised), their
inputs and NumPy's expected outputs into DIR. Usage: attention_variants.py DIR"""

import os
import sys

import numpy as np

HQ, HKV, SQ, SKV, D, W = 4, 2, 96, 160, 32, 40


def attention(q, k, v, visible):
    g = q.shape[0] // k.shape[0]
    k = np.repeat(k, g, axis=0)  # query head h reads kv head h // g
    v = np.repeat(v, g, axis=0)
    s = q @ np.swapaxes(k, -1, -2) / np.sqrt(q.shape[-1])
    s = np.where(visible, s, -np.inf)
    e = np.exp(s - s.max(axis=-1, keepdims=True))
    return (e / e.sum(axis=-1, keepdims=True)) @ v


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(11)
    q = rng.standard_normal((HQ, SQ, D)).astype(np.float32)
    k = rng.standard_normal((HKV, SKV, D)).astype(np.float32)
    v = rng.standard_normal((HKV, SKV, D)).astype(np.float32)
    for name, arr in (("q", q), ("k", k), ("v", v)):
        np.save(os.path.join(out, f"{name}.npy"), arr)
    i = np.arange(SQ)[:, None]
    j = np.arange(SKV)[None, :]
    last = i + (SKV - SQ)  # masks align the last query with the last key
    cases = {
        "window": ("{mask = #effc.mask<window>, window = %d : i64}" % W,
                   (j <= last) & (j > last - W)),
        "gqa_causal": ("{mask = #effc.mask<causal>}", j <= last),
        "gqa_full": ("", np.ones((SQ, SKV), dtype=bool)),
    }
    qt, kt = f"tensor<{HQ}x{SQ}x{D}xf32>", f"tensor<{HKV}x{SKV}x{D}xf32>"
    lines = []
    for entry, (attrs, visible) in cases.items():
        lines += [
            f"func.func @{entry}(%q: {qt}, %k: {kt}, %v: {kt}) -> {qt} {{",
            f"  %o = effc.attention %q, %k, %v {attrs} : {qt}, {kt}, {kt} -> {qt}",
            f"  return %o : {qt}",
            "}",
        ]
        expected = attention(q.astype(np.float64), k.astype(np.float64),
                             v.astype(np.float64), visible)
        np.save(os.path.join(out, f"{entry}.expected.npy"),
                expected.astype(np.float32))
    with open(os.path.join(out, "model.mlir"), "w") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()

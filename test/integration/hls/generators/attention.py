#!/usr/bin/env python3
"""Writes effc.attention models (grouped-query, rank 4) for the HLS
streaming online-softmax test, their inputs, and NumPy's float64 outputs
into DIR: causal.mlir and window.mlir (@attn), q.npy, k.npy, v.npy,
causal.expected.npy, window.expected.npy. Usage: attention.py DIR"""

import os
import sys

import numpy as np

B, HQ, HKV, SQ, SKV, D = 1, 4, 2, 6, 8, 16
WINDOW = 3


def reference(q, k, v, window=None):
    g = HQ // HKV
    k = np.repeat(k.astype(np.float64), g, axis=1)
    v = np.repeat(v.astype(np.float64), g, axis=1)
    s = q.astype(np.float64) @ k.transpose(0, 1, 3, 2) / np.sqrt(D)
    i = np.arange(SQ)[:, None] + (SKV - SQ)
    j = np.arange(SKV)[None, :]
    visible = j <= i
    if window:
        visible &= j > i - window
    s = np.where(visible, s, -np.inf)
    p = np.exp(s - s.max(-1, keepdims=True))
    return (p / p.sum(-1, keepdims=True)) @ v


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(12)
    q = rng.standard_normal((B, HQ, SQ, D)).astype(np.float32)
    k = rng.standard_normal((B, HKV, SKV, D)).astype(np.float32)
    v = rng.standard_normal((B, HKV, SKV, D)).astype(np.float32)
    for n, a in (("q", q), ("k", k), ("v", v)):
        np.save(os.path.join(out, n + ".npy"), a)
    np.save(os.path.join(out, "causal.expected.npy"),
            reference(q, k, v).astype(np.float32))
    np.save(os.path.join(out, "window.expected.npy"),
            reference(q, k, v, WINDOW).astype(np.float32))
    qt = f"tensor<{B}x{HQ}x{SQ}x{D}xf32>"
    kt = f"tensor<{B}x{HKV}x{SKV}x{D}xf32>"
    for name, attrs in (("causal", "{mask = #effc.mask<causal>}"),
                        ("window", "{mask = #effc.mask<window>, "
                                   f"window = {WINDOW} : i64}}")):
        text = f"""func.func @attn(%q: {qt}, %k: {kt}, %v: {kt}) -> {qt} {{
  %o = effc.attention %q, %k, %v {attrs} : {qt}, {kt}, {kt} -> {qt}
  return %o : {qt}
}}
"""
        with open(os.path.join(out, name + ".mlir"), "w") as fh:
            fh.write(text)


if __name__ == "__main__":
    main()

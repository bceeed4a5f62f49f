#!/usr/bin/env python3
"""Writes effc.attention models (grouped-query, rank 4) for the HLS
streaming online-softmax test, their inputs, and NumPy's float64 outputs
into DIR: causal.mlir and window.mlir (@attn), q.npy, k.npy, v.npy,
causal.expected.npy, window.expected.npy; and padding.mlir (@attn with a
[B, 1, 1, Skv] padding mask, B = 2), pq.npy, pk.npy, pv.npy, mask.npy,
padding.expected.npy. Usage: attention.py DIR"""

import os
import sys

import numpy as np

B, HQ, HKV, SQ, SKV, D = 1, 4, 2, 6, 8, 16
WINDOW = 3


def reference(q, k, v, window=None, mask=None):
    g = HQ // HKV
    k = np.repeat(k.astype(np.float64), g, axis=1)
    v = np.repeat(v.astype(np.float64), g, axis=1)
    s = q.astype(np.float64) @ k.transpose(0, 1, 3, 2) / np.sqrt(D)
    if mask is not None:
        s = s + mask.astype(np.float64)
    else:
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

    # Padding: sequence 0 masks its first key with -inf (the running max
    # starts at -inf), sequence 1 keeps 5 keys (finfo(f32).min after).
    b = 2
    q = rng.standard_normal((b, HQ, SQ, D)).astype(np.float32)
    k = rng.standard_normal((b, HKV, SKV, D)).astype(np.float32)
    v = rng.standard_normal((b, HKV, SKV, D)).astype(np.float32)
    mask = np.zeros((b, 1, 1, SKV), np.float32)
    mask[0, ..., 0] = -np.inf
    mask[1, ..., 5:] = np.finfo(np.float32).min
    for n, a in (("pq", q), ("pk", k), ("pv", v), ("mask", mask)):
        np.save(os.path.join(out, n + ".npy"), a)
    np.save(os.path.join(out, "padding.expected.npy"),
            reference(q, k, v, mask=mask).astype(np.float32))
    qt = f"tensor<{b}x{HQ}x{SQ}x{D}xf32>"
    kt = f"tensor<{b}x{HKV}x{SKV}x{D}xf32>"
    mt = f"tensor<{b}x1x1x{SKV}xf32>"
    text = f"""func.func @attn(%q: {qt}, %k: {kt}, %v: {kt}, %m: {mt}) -> {qt} {{
  %o = effc.attention %q, %k, %v mask(%m : {mt}) {{mask = #effc.mask<explicit>}} : {qt}, {kt}, {kt} -> {qt}
  return %o : {qt}
}}
"""
    with open(os.path.join(out, "padding.mlir"), "w") as fh:
        fh.write(text)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Writes a block-sparse attention model (effc.attention with block_size and
block_layout, with and without a causal mask), its inputs and NumPy's
expected outputs into DIR. Usage: block_sparse.py DIR"""

import os
import sys

import numpy as np

H, S, D, B = 2, 256, 32, 32  # heads, sequence, head dim, block edge


def attention(q, k, v, layout, causal):
    scores = q @ np.swapaxes(k, -1, -2) / np.sqrt(D)
    i = np.arange(S)[:, None]
    j = np.arange(S)[None, :]
    visible = layout[i // B, j // B]
    if causal:
        visible = visible & (j <= i)
    scores = np.where(visible, scores, -np.inf)
    m = scores.max(axis=-1, keepdims=True)
    e = np.exp(scores - m)
    return (e / e.sum(axis=-1, keepdims=True)) @ v


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(7)
    nb = S // B
    # BigBird-like: the diagonal, one global column and random blocks.
    layout = (rng.random((nb, nb)) < 0.25) | np.eye(nb, dtype=bool)
    layout[:, 0] = True
    q, k, v = (rng.standard_normal((H, S, D)).astype(np.float32) for _ in range(3))
    for name, arr in (("q", q), ("k", k), ("v", v)):
        np.save(os.path.join(out, f"{name}.npy"), arr)
    flat = ", ".join("true" if x else "false" for x in layout.flatten())
    ty = f"tensor<{H}x{S}x{D}xf32>"
    lines = []
    for entry, causal in (("sparse", False), ("sparse_causal", True)):
        mask = "mask = #effc.mask<causal>, " if causal else ""
        lines += [
            f"func.func @{entry}(%q: {ty}, %k: {ty}, %v: {ty}) -> {ty} {{",
            f"  %o = effc.attention %q, %k, %v {{{mask}block_size = array<i64: {B}, {B}>, "
            f"block_layout = array<i1: {flat}>}} : {ty}, {ty}, {ty} -> {ty}",
            f"  return %o : {ty}",
            "}",
        ]
        expected = attention(q.astype(np.float64), k.astype(np.float64),
                             v.astype(np.float64), layout, causal)
        np.save(os.path.join(out, f"{entry}.expected.npy"),
                expected.astype(np.float32))
    with open(os.path.join(out, "model.mlir"), "w") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Writes effc.sparse_linear models (N:M 2:4, CSR and 2x4 BSR compressed
weights, built by NumPy from random pruned dense weights), an input, and
NumPy's expected outputs (x @ W_dense^T + b) into DIR. Usage: sparse_ref.py DIR"""

import os
import sys

import numpy as np

M, N, K = 5, 8, 16


def fl(a):
    return "[" + ", ".join(fl(r) if isinstance(r, np.ndarray) else repr(float(r)) for r in a) + "]"


def il(a):
    return "[" + ", ".join(il(r) if isinstance(r, np.ndarray) else str(int(r)) for r in a) + "]"


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(3)
    x = rng.standard_normal((M, K)).astype(np.float32)
    b = rng.standard_normal(N).astype(np.float32)
    np.save(os.path.join(out, "x.npy"), x)
    xt, yt = f"tensor<{M}x{K}xf32>", f"tensor<{M}x{N}xf32>"
    funcs = []

    # 2:4 along K: keep positions sorted ascending inside each group.
    pos = np.sort(np.stack([rng.choice(4, 2, replace=False)
                            for _ in range(N * K // 4)]), axis=1)
    vals = rng.standard_normal((N * K // 4, 2)).astype(np.float32)
    dense = np.zeros((N, K), np.float32)
    for gi in range(N * K // 4):
        n, g = divmod(gi, K // 4)
        dense[n, 4 * g + pos[gi]] = vals[gi]
    v2, i2 = vals.reshape(N, K // 2), pos.reshape(N, K // 2)
    funcs.append(f"""func.func @nm(%x: {xt}) -> {yt} {{
  %v = arith.constant dense<{fl(v2)}> : tensor<{N}x{K // 2}xf32>
  %i = arith.constant dense<{il(i2)}> : tensor<{N}x{K // 2}xi8>
  %b = arith.constant dense<{fl(b)}> : tensor<{N}xf32>
  %y = effc.sparse_linear %x, %v, %i bias %b {{encoding = #effc.sparse_encoding<format = nm, n = 2, m = 4>, weight_shape = array<i64: {N}, {K}>}} : {xt}, tensor<{N}x{K // 2}xf32>, tensor<{N}x{K // 2}xi8>, bias tensor<{N}xf32> -> {yt}
  return %y : {yt}
}}""")
    np.save(os.path.join(out, "nm.expected.npy"), x @ dense.T + b)

    # CSR of a 70%-sparse weight.
    dense = rng.standard_normal((N, K)).astype(np.float32) * (rng.random((N, K)) < 0.3)
    rows, cols = np.nonzero(dense)
    offs = np.concatenate([[0], np.cumsum(np.bincount(rows, minlength=N))])
    nnz = len(cols)
    funcs.append(f"""func.func @csr(%x: {xt}) -> {yt} {{
  %v = arith.constant dense<{fl(dense[rows, cols])}> : tensor<{nnz}xf32>
  %i = arith.constant dense<{il(cols)}> : tensor<{nnz}xi32>
  %o = arith.constant dense<{il(offs)}> : tensor<{N + 1}xi32>
  %y = effc.sparse_linear %x, %v, %i offsets %o {{encoding = #effc.sparse_encoding<format = csr>, weight_shape = array<i64: {N}, {K}>}} : {xt}, tensor<{nnz}xf32>, tensor<{nnz}xi32>, offsets tensor<{N + 1}xi32> -> {yt}
  return %y : {yt}
}}""")
    np.save(os.path.join(out, "csr.expected.npy"), x @ dense.T)

    # BSR with 2x4 blocks, about half of them kept.
    R, C = 2, 4
    keep = rng.random((N // R, K // C)) < 0.5
    dense = np.zeros((N, K), np.float32)
    blocks, bcols, boffs = [], [], [0]
    for br in range(N // R):
        for bc in range(K // C):
            if keep[br, bc]:
                blk = rng.standard_normal((R, C)).astype(np.float32)
                dense[br * R:(br + 1) * R, bc * C:(bc + 1) * C] = blk
                blocks.append(blk)
                bcols.append(bc)
        boffs.append(len(bcols))
    nb = len(bcols)
    funcs.append(f"""func.func @bsr(%x: {xt}) -> {yt} {{
  %v = arith.constant dense<{fl(np.array(blocks))}> : tensor<{nb}x{R}x{C}xf32>
  %i = arith.constant dense<{il(np.array(bcols))}> : tensor<{nb}xi32>
  %o = arith.constant dense<{il(np.array(boffs))}> : tensor<{N // R + 1}xi32>
  %y = effc.sparse_linear %x, %v, %i offsets %o {{encoding = #effc.sparse_encoding<format = bsr, block_rows = {R}, block_cols = {C}>, weight_shape = array<i64: {N}, {K}>}} : {xt}, tensor<{nb}x{R}x{C}xf32>, tensor<{nb}xi32>, offsets tensor<{N // R + 1}xi32> -> {yt}
  return %y : {yt}
}}""")
    np.save(os.path.join(out, "bsr.expected.npy"), x @ dense.T)

    with open(os.path.join(out, "model.mlir"), "w") as f:
        f.write("\n".join(funcs) + "\n")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Writes effc.sparse_linear models that exercise the CPU sparse kernels
(LowerCpuSparse.cpp) on the shapes their code paths split on, with NumPy's
expected outputs, into DIR. Usage: sparse_kernels.py DIR

  csr_tail   CSR, M = 37 (two full 16-lane vectors and a masked tail),
             empty rows, bias + relu
  csr_wide   CSR, M = 150 (two full 64-row tiles and a 22-row tail),
             3-D input [3, 50, K]
  bsr        BSR 4x4, M = 64, bias
  bsr8x1     BSR 8x1, M = 20
  nm24       N:M 2:4, M = 80, relu
  nm24_packed  the same weight with packed 2-bit positions (i16 words)
  nm14_packed  N:M 1:4, packed, 12 values a row (a partly used word)
  nm48       N:M 4:8, M = 7 (less than one vector)

The compressed operands are built here from random pruned dense weights,
independently of effc; the expected output is x @ W_dense^T (+ b).
"""

import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gen  # noqa: E402


def ttype(shape, elt="f32"):
    return "tensor<" + "x".join(str(d) for d in shape) + "x" + elt + ">"


def const(name, a, elt):
    a = np.ascontiguousarray(a)
    if elt == "f32":
        return f"  {name} = arith.constant {gen.hexconst(gen.f32(a))}"
    raw = a.astype({"i32": "<i4", "i16": "<i2", "i8": "i1"}[elt]).tobytes().hex().upper()
    return (f"  {name} = arith.constant dense<\"0x{raw}\"> : "
            f"{ttype(a.shape, elt)}")


def linear(name, xshape, n, k, pieces, enc, bias, act):
    yshape = xshape[:-1] + (n,)
    lines = [f"func.func @{name}(%x: {ttype(xshape)}) -> {ttype(yshape)} {{"]
    ops, types = [], []
    for nm, (a, elt) in zip(["%v", "%i", "%o"], pieces):
        lines.append(const(nm, a, elt))
        ops.append(nm)
        types.append(ttype(a.shape, elt))
    operand = f"%x, {ops[0]}, {ops[1]}"
    tys = f"{ttype(xshape)}, {types[0]}, {types[1]}"
    if len(ops) == 3:
        operand += f" offsets {ops[2]}"
        tys += f", offsets {types[2]}"
    if bias is not None:
        lines.append(const("%b", bias, "f32"))
        operand += " bias %b"
        tys += f", bias {ttype(bias.shape)}"
    attrs = f"encoding = {enc}, weight_shape = array<i64: {n}, {k}>"
    if act:
        attrs = f"activation = #effc.activation<{act}>, " + attrs
    lines.append(f"  %y = effc.sparse_linear {operand} {{{attrs}}} : {tys} "
                 f"-> {ttype(yshape)}")
    lines.append(f"  return %y : {ttype(yshape)}")
    lines.append("}")
    return "\n".join(lines)


def csr(dense):
    rows, cols = np.nonzero(dense)
    offs = np.concatenate([[0], np.cumsum(np.bincount(rows,
                                                      minlength=len(dense)))])
    return [(dense[rows, cols], "f32"), (cols, "i32"), (offs, "i32")]


def bsr(dense, r, c):
    n, k = dense.shape
    vals, cols, offs = [], [], [0]
    for br in range(n // r):
        for bc in range(k // c):
            blk = dense[br * r:(br + 1) * r, bc * c:(bc + 1) * c]
            if blk.any():
                vals.append(blk)
                cols.append(bc)
        offs.append(len(cols))
    return [(np.array(vals, np.float32).reshape(-1, r, c), "f32"),
            (np.array(cols), "i32"), (np.array(offs), "i32")]


def nm(dense, n_keep, m):
    n, k = dense.shape
    g = dense.reshape(n, k // m, m)
    pos = np.zeros((n, k // m, n_keep), np.int64)
    for i in range(n):
        for j in range(k // m):
            nz = list(np.nonzero(g[i, j])[0])
            pad = [p for p in range(m) if p not in nz]
            pos[i, j] = sorted((nz + pad)[:n_keep])
    vals = np.take_along_axis(g, pos, axis=2)
    return [(vals.reshape(n, -1), "f32"), (pos.reshape(n, -1), "i8")]


def pack2(pieces):
    """N:M pieces with the i8 positions [N, P] packed as #effc.sparse_encoding
    defines for m <= 4: value j of a row in bits 2 (j % 8) of i16 word j / 8
    (written independently of effc, from the definition)."""
    vals, (pos, _) = pieces[0], pieces[1]
    n, per = pos.shape
    words = np.zeros((n, (per + 7) // 8), np.int64)
    for j in range(per):
        words[:, j // 8] |= (pos[:, j].astype(np.int64) & 3) << (2 * (j % 8))
    return [vals, (words.astype(np.uint16).view(np.int16), "i16")]


def main(argv):
    out = argv[1]
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(55)
    funcs, expected, inputs = [], {}, {}

    def case(name, xshape, dense, pieces, enc, bias=None, act=None):
        x = rng.standard_normal(xshape).astype(np.float32)
        n, k = dense.shape
        funcs.append(linear(name, xshape, n, k, pieces, enc, bias, act))
        y = gen.f64(x) @ gen.f64(dense).T
        if bias is not None:
            y = y + gen.f64(bias)
        if act == "relu":
            y = np.maximum(y, 0)
        inputs[name] = x
        expected[name] = y

    def sparse(n, k, density):
        return (rng.standard_normal((n, k)) *
                (rng.random((n, k)) < density)).astype(np.float32)

    w = sparse(24, 40, 0.2)
    w[3] = 0
    w[17] = 0
    case("csr_tail", (37, 40), w, csr(w), "#effc.sparse_encoding<format = csr>",
         rng.standard_normal(24).astype(np.float32), "relu")
    w = sparse(33, 64, 0.1)
    case("csr_wide", (3, 50, 64), w, csr(w),
         "#effc.sparse_encoding<format = csr>")
    keep = rng.random((32 // 4, 48 // 4)) < 0.3
    w = (rng.standard_normal((32, 48)) *
         np.kron(keep, np.ones((4, 4)))).astype(np.float32)
    case("bsr", (64, 48), w, bsr(w, 4, 4),
         "#effc.sparse_encoding<format = bsr, block_rows = 4, block_cols = 4>",
         rng.standard_normal(32).astype(np.float32))
    keep = rng.random((16 // 8, 24)) < 0.4
    w = (rng.standard_normal((16, 24)) *
         np.kron(keep, np.ones((8, 1)))).astype(np.float32)
    case("bsr8x1", (20, 24), w, bsr(w, 8, 1),
         "#effc.sparse_encoding<format = bsr, block_rows = 8, block_cols = 1>")
    w = rng.standard_normal((20, 32)).astype(np.float32)
    g = w.reshape(20, 8, 4)
    order = np.argsort(-np.abs(g), axis=2, kind="stable")
    np.put_along_axis(g, order[:, :, 2:], 0.0, axis=2)
    g[0, 0, :] = 0  # an all-zero group: padded positions
    case("nm24", (80, 32), w, nm(w, 2, 4),
         "#effc.sparse_encoding<format = nm, n = 2, m = 4>", None, "relu")
    case("nm24_packed", (80, 32), w, pack2(nm(w, 2, 4)),
         "#effc.sparse_encoding<format = nm, n = 2, m = 4>", None, "relu")
    w = rng.standard_normal((9, 48)).astype(np.float32)
    g = w.reshape(9, 12, 4)
    order = np.argsort(-np.abs(g), axis=2, kind="stable")
    np.put_along_axis(g, order[:, :, 1:], 0.0, axis=2)
    # 1:4 with 12 values a row: a partly used second word.
    case("nm14_packed", (21, 48), w, pack2(nm(w, 1, 4)),
         "#effc.sparse_encoding<format = nm, n = 1, m = 4>")
    w = sparse(12, 32, 0.35)
    g = w.reshape(12, 4, 8)
    order = np.argsort(-np.abs(g), axis=2, kind="stable")
    np.put_along_axis(g, order[:, :, 4:], 0.0, axis=2)
    case("nm48", (7, 32), w, nm(w, 4, 8),
         "#effc.sparse_encoding<format = nm, n = 4, m = 8>")

    with open(os.path.join(out, "model.mlir"), "w") as f:
        f.write("// Generated by sparse_kernels.py; do not edit.\n")
        f.write("\n\n".join(funcs) + "\n")
    for name in inputs:
        np.save(os.path.join(out, name + ".x.npy"), inputs[name])
        np.save(os.path.join(out, name + ".expected.npy"),
                gen.f32(expected[name]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

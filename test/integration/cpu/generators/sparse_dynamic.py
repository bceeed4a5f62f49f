#!/usr/bin/env python3
"""Writes effc.sparse_linear models whose input rows are runtime sizes
(`?` leading dims: a dynamic batch and sequence) for the CPU sparse
kernels (LowerCpuSparse.cpp), each with inputs at three shapes and NumPy's
expected outputs, into DIR. Usage: sparse_dynamic.py DIR

  csr       f32 CSR, [?, 40], empty rows, bias + relu
  csr3d     f32 CSR, [?, ?, 64]
  bsr       f32 BSR 4x4, [?, 48], bias
  nm24      f32 N:M 2:4, packed positions, [?, 32], relu
  q_csr     int8 CSR, [?, 40], i32 bias + relu, i32 result
  q_nm24    int8 N:M 2:4, per-channel scales, [?, ?, 320], f32 result

Row counts 1 (one token: 1-lane vectors), 3 and 8 (4- and 8-lane), 13
(one masked 16-lane vector), 37 (two 16-lane vectors and a masked tail),
150 and 255 (full tiles of vectors, then a partial tile of 1 to all of a
tile's vectors: 255 = 128 + 127 fills all 8 of a CSR tile's) cover the
kernel's runtime split; the 3-D inputs add a runtime batch. The compressed
operands and expected outputs are built as in sparse_kernels.py and
sparse_quant_kernels.py, independently of effc.

  sparse_dynamic.py --check DIR   compares DIR/NAME.outI.npy with
  NAME.expectedI.npy for every run in runs.txt: integers exactly, floats to
  1e-5 of max(1, max |expected|); prints PASS / FAIL NAME.I shape=...
"""

import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gen  # noqa: E402
import sparse_kernels as fk  # noqa: E402
import sparse_quant_kernels as qk  # noqa: E402

SHAPES_2D = [(1,), (13,), (37,), (150,), (255,)]
SHAPES_3D = [(1, 3), (3, 50), (2, 4)]


def check(out):
    ok = True
    for run in open(os.path.join(out, "runs.txt")).read().split():
        name, i = run.split(".")
        got = np.load(os.path.join(out, f"{name}.out{i}.npy"))
        want = np.load(os.path.join(out, f"{name}.expected{i}.npy"))
        if got.shape != want.shape or got.dtype != want.dtype:
            good = False
        elif want.dtype.kind == "i":
            good = np.array_equal(got, want)
        else:
            err = np.abs(got.astype(np.float64) - want).max()
            good = bool(err <= 1e-5 * max(1.0, np.abs(want).max()))
        print(("PASS " if good else "FAIL ") + run + f" shape={got.shape}")
        ok = ok and good
    return 0 if ok else 1


def main(argv):
    if argv[1] == "--check":
        return check(argv[2])
    out = argv[1]
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(57)
    funcs, runs = [], []

    def save(name, i, x, y):
        np.save(os.path.join(out, f"{name}.x{i}.npy"), x)
        np.save(os.path.join(out, f"{name}.expected{i}.npy"), y)
        runs.append(f"{name}.{i}")

    def f32_case(name, lead, dense, pieces, enc, bias=None, act=None):
        n, k = dense.shape
        funcs.append(fk.linear(name, ("?",) * len(lead[0]) + (k,), n, k,
                               pieces, enc, bias, act))
        for i, rows in enumerate(lead):
            x = rng.standard_normal(rows + (k,)).astype(np.float32)
            y = gen.f64(x) @ gen.f64(dense).T
            if bias is not None:
                y = y + gen.f64(bias)
            if act == "relu":
                y = np.maximum(y, 0)
            save(name, i, x, gen.f32(y))

    def q_case(name, lead, dense, pieces, enc, scales, bias=None, act=None,
               res="i32"):
        n, k = dense.shape
        funcs.append(qk.linear(name, ("?",) * len(lead[0]) + (k,), n, k,
                               pieces, enc, scales, bias, act, res))
        for i, rows in enumerate(lead):
            x = rng.integers(-128, 128, rows + (k,)).astype(np.int8)
            save(name, i, x, qk.reference(x, dense, scales, bias, act, res))

    def sparse(n, k, density):
        return (rng.standard_normal((n, k)) *
                (rng.random((n, k)) < density)).astype(np.float32)

    w = sparse(24, 40, 0.2)
    w[3] = 0
    f32_case("csr", SHAPES_2D, w, fk.csr(w),
             "#effc.sparse_encoding<format = csr>",
             rng.standard_normal(24).astype(np.float32), "relu")
    w = sparse(33, 64, 0.1)
    f32_case("csr3d", SHAPES_3D, w, fk.csr(w),
             "#effc.sparse_encoding<format = csr>")
    keep = rng.random((32 // 4, 48 // 4)) < 0.3
    w = (rng.standard_normal((32, 48)) *
         np.kron(keep, np.ones((4, 4)))).astype(np.float32)
    f32_case("bsr", SHAPES_2D, w, fk.bsr(w, 4, 4),
             "#effc.sparse_encoding<format = bsr, block_rows = 4, "
             "block_cols = 4>", rng.standard_normal(32).astype(np.float32))
    w = rng.standard_normal((20, 32)).astype(np.float32)
    g = w.reshape(20, 8, 4)
    order = np.argsort(-np.abs(g), axis=2, kind="stable")
    np.put_along_axis(g, order[:, :, 2:], 0.0, axis=2)
    f32_case("nm24", SHAPES_2D, w, fk.pack2(fk.nm(w, 2, 4)),
             "#effc.sparse_encoding<format = nm, n = 2, m = 4>", None, "relu")

    w = (rng.integers(-127, 128, (24, 40)) *
         (rng.random((24, 40)) < 0.2)).astype(np.int8)
    w[5] = 0
    q_case("q_csr", SHAPES_2D, w, fk.csr(w),
           "#effc.sparse_encoding<format = csr>", [0.0125],
           rng.integers(-50000, 50000, 24).astype(np.int32), "relu")
    w = rng.integers(-127, 128, (20, 320)).astype(np.int8)
    g = w.reshape(20, 80, 4)
    order = np.argsort(-np.abs(g.astype(np.int32)), axis=2, kind="stable")
    np.put_along_axis(g, order[:, :, 2:], 0, axis=2)
    q_case("q_nm24", SHAPES_3D, w, fk.nm(w, 2, 4),
           "#effc.sparse_encoding<format = nm, n = 2, m = 4>",
           list(rng.uniform(0.001, 0.02, 20).astype(np.float32)), None, None,
           "f32")

    with open(os.path.join(out, "model.mlir"), "w") as f:
        f.write("// Generated by sparse_dynamic.py; do not edit.\n")
        f.write("\n\n".join(funcs) + "\n")
    with open(os.path.join(out, "runs.txt"), "w") as f:
        f.write("\n".join(runs) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

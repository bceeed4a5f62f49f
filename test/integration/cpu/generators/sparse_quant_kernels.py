#!/usr/bin/env python3
"""Writes quantized effc.sparse_linear models (i8 values, i8 per-tensor
input with a zero point) that exercise the CPU int8 sparse kernels
(LowerCpuSparse.cpp), with NumPy's exact expected outputs, into DIR.
Usage: sparse_quant_kernels.py DIR

  csr_i32   CSR, per-tensor value scale, M = 37 (masked tail), empty rows,
            i32 bias + relu, i32 result
  csr_kblk  CSR, K = 320 (several K blocks), M = 64, i32 result
  csr_f32   CSR, 3-D input [3, 50, 64], i32 bias, f32 result + relu
  bsr       BSR 4x4, M = 64, i32 bias, i32 result
  bsr_f32   BSR 8x1, M = 20, f32 result
  nm24      N:M 2:4, per-channel scales, M = 80, K = 320, relu, i32 result
  nm24_packed  nm24's weight with packed 2-bit positions (i16 words)
  csr_chan  CSR, plain i8 values with channel_scales, i32 bias, relu, f32
  bsr_chan  BSR 4x4, plain i8 values with channel_scales, i32 result
  csr_big   CSR whose i32 sums pass 2^24 (exact only in i32 lanes)
  nm48_f32  N:M 4:8, per-channel scales, M = 7, i32 bias, f32 result

Each function takes the i8 storage of the input and casts it with
quant.scast. Per-channel scales are a per-axis quant.scast for N:M (the
values' dim 0 is the output channel) and `channel_scales` for CSR / BSR. The
compressed operands are built here from random pruned i8 weights,
independently of effc. Expected: acc = (x - z_x) @ W^T + b in exact
integers; a float result is f32(acc) * f32(f32(s_w[n]) * f32(s_x)), then
relu, the rounding effc.quantized_linear defines.
"""

import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sparse_kernels import bsr, csr, nm, pack2, ttype  # noqa: E402

SX, ZX = 0.0235, -3


def const(name, a, elt):
    raw = np.ascontiguousarray(a).astype(
        {"i32": "<i4", "i16": "<i2", "i8": "i1"}[elt]).tobytes().hex().upper()
    return (f"  {name} = arith.constant dense<\"0x{raw}\"> : "
            f"{ttype(a.shape, elt)}")


def linear(name, xshape, n, k, pieces, enc, scales, bias, act, out,
           channel_attr=False):
    """`channel_attr`: plain i8 values with `channel_scales` (CSR / BSR
    values have no channel dim for a per-axis !quant.uniform)."""
    yshape = xshape[:-1] + (n,)
    xq = f"!quant.uniform<i8:f32, {SX}:{ZX}>"
    if len(scales) == 1:
        wq = f"!quant.uniform<i8<-127:127>:f32, {scales[0]!r}>"
    else:
        wq = ("!quant.uniform<i8<-127:127>:f32:0, {" +
              ", ".join(repr(float(s)) for s in scales) + "}>")
    lines = [f"func.func @{name}(%x: {ttype(xshape, 'i8')}) -> "
             f"{ttype(yshape, out)} {{",
             f"  %xq = quant.scast %x : {ttype(xshape, 'i8')} to "
             f"{ttype(xshape, xq)}"]
    vals, vt = pieces[0]
    lines.append(const("%vs", vals.astype(np.int8), "i8"))
    if channel_attr:
        operand = "%xq, %vs, %i"
        vty = ttype(vals.shape, "i8")
    else:
        lines.append(f"  %v = quant.scast %vs : {ttype(vals.shape, 'i8')} to "
                     f"{ttype(vals.shape, wq)}")
        operand = "%xq, %v, %i"
        vty = ttype(vals.shape, wq)
    tys = f"{ttype(xshape, xq)}, {vty}, " \
          f"{ttype(pieces[1][0].shape, pieces[1][1])}"
    lines.append(const("%i", *pieces[1]))
    if len(pieces) == 3:
        lines.append(const("%o", *pieces[2]))
        operand += " offsets %o"
        tys += f", offsets {ttype(pieces[2][0].shape, 'i32')}"
    if bias is not None:
        lines.append(const("%b", bias, "i32"))
        operand += " bias %b"
        tys += f", bias {ttype(bias.shape, 'i32')}"
    attrs = f"encoding = {enc}, weight_shape = array<i64: {n}, {k}>"
    if channel_attr:
        attrs += (", channel_scales = array<f32: " +
                  ", ".join(repr(float(v)) for v in scales) + ">")
    if act:
        attrs = f"activation = #effc.activation<{act}>, " + attrs
    lines.append(f"  %y = effc.sparse_linear {operand} {{{attrs}}} : {tys} "
                 f"-> {ttype(yshape, out)}")
    lines.append(f"  return %y : {ttype(yshape, out)}")
    lines.append("}")
    return "\n".join(lines)


def reference(x, dense, scales, bias, act, res):
    """The exact result of a quantized sparse_linear on i8 storage `x`
    (see the module docstring)."""
    acc = (x.astype(np.int64) - ZX) @ dense.astype(np.int64).T
    if bias is not None:
        acc = acc + bias
    acc = acc.astype(np.int32)
    if res == "i32":
        return np.maximum(acc, 0) if act == "relu" else acc
    s = np.float32(scales).astype(np.float32) * np.float32(SX)
    y = acc.astype(np.float32) * s.astype(np.float32)
    return np.maximum(y, np.float32(0)) if act == "relu" else y


def main(argv):
    out = argv[1]
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(56)
    funcs, expected, inputs = [], {}, {}

    def case(name, xshape, dense, pieces, enc, scales, bias=None, act=None,
             res="i32", channel_attr=False, x=None):
        if x is None:
            x = rng.integers(-128, 128, xshape).astype(np.int8)
        n, k = dense.shape
        funcs.append(linear(name, xshape, n, k, pieces, enc, scales, bias,
                            act, res, channel_attr))
        inputs[name] = x
        expected[name] = reference(x, dense, scales, bias, act, res)

    def sparse(n, k, density):
        return (rng.integers(-127, 128, (n, k)) *
                (rng.random((n, k)) < density)).astype(np.int8)

    def bias(n):
        return rng.integers(-50000, 50000, n).astype(np.int32)

    def chan(n):
        return list(rng.uniform(0.001, 0.02, n).astype(np.float32))

    w = sparse(24, 40, 0.2)
    w[3] = 0
    w[17] = 0
    case("csr_i32", (37, 40), w, csr(w), "#effc.sparse_encoding<format = csr>",
         [0.0125], bias(24), "relu")
    w = sparse(24, 320, 0.15)
    case("csr_kblk", (64, 320), w, csr(w),
         "#effc.sparse_encoding<format = csr>", [0.01])
    w = sparse(33, 64, 0.1)
    case("csr_f32", (3, 50, 64), w, csr(w),
         "#effc.sparse_encoding<format = csr>", [0.0075], bias(33), "relu",
         "f32")
    keep = rng.random((32 // 4, 48 // 4)) < 0.3
    w = (rng.integers(-127, 128, (32, 48)) *
         np.kron(keep, np.ones((4, 4), np.int64))).astype(np.int8)
    case("bsr", (64, 48), w, bsr(w, 4, 4),
         "#effc.sparse_encoding<format = bsr, block_rows = 4, block_cols = 4>",
         [0.02], bias(32))
    keep = rng.random((16 // 8, 24)) < 0.4
    w = (rng.integers(-127, 128, (16, 24)) *
         np.kron(keep, np.ones((8, 1), np.int64))).astype(np.int8)
    case("bsr_f32", (20, 24), w, bsr(w, 8, 1),
         "#effc.sparse_encoding<format = bsr, block_rows = 8, block_cols = 1>",
         [0.003], None, None, "f32")
    w = rng.integers(-127, 128, (20, 320)).astype(np.int8)
    g = w.reshape(20, 80, 4)
    order = np.argsort(-np.abs(g.astype(np.int32)), axis=2, kind="stable")
    np.put_along_axis(g, order[:, :, 2:], 0, axis=2)
    g[0, 0, :] = 0  # an all-zero group: padded positions
    case("nm24", (80, 320), w, nm(w, 2, 4),
         "#effc.sparse_encoding<format = nm, n = 2, m = 4>", chan(20), None,
         "relu")
    case("nm24_packed", (80, 320), w, pack2(nm(w, 2, 4)),
         "#effc.sparse_encoding<format = nm, n = 2, m = 4>", chan(20), None,
         "relu")
    w = sparse(16, 96, 0.3)
    case("csr_chan", (40, 96), w, csr(w),
         "#effc.sparse_encoding<format = csr>", chan(16), bias(16), "relu",
         "f32", channel_attr=True)
    keep = rng.random((16 // 4, 48 // 4)) < 0.4
    w = (rng.integers(-127, 128, (16, 48)) *
         np.kron(keep, np.ones((4, 4), np.int64))).astype(np.int8)
    case("bsr_chan", (24, 48), w, bsr(w, 4, 4),
         "#effc.sparse_encoding<format = bsr, block_rows = 4, block_cols = 4>",
         chan(16), None, None, "i32", channel_attr=True)
    # Sums past 2^24 (1800+ values of 100..127 times x - z_x = 130 a row):
    # f32 lanes would round, so the kernel must take the i32 lanes.
    w = (rng.integers(100, 128, (8, 2048)) *
         (rng.random((8, 2048)) < 0.9)).astype(np.int8)
    case("csr_big", (16, 2048), w, csr(w),
         "#effc.sparse_encoding<format = csr>", [0.001],
         x=np.full((16, 2048), 127, np.int8))
    w = sparse(12, 32, 0.35)
    g = w.reshape(12, 4, 8)
    order = np.argsort(-np.abs(g.astype(np.int32)), axis=2, kind="stable")
    np.put_along_axis(g, order[:, :, 4:], 0, axis=2)
    case("nm48_f32", (7, 32), w, nm(w, 4, 8),
         "#effc.sparse_encoding<format = nm, n = 4, m = 8>", chan(12),
         bias(12), None, "f32")

    with open(os.path.join(out, "model.mlir"), "w") as f:
        f.write("// Generated by sparse_quant_kernels.py; do not edit.\n")
        f.write("\n\n".join(funcs) + "\n")
    for name in inputs:
        np.save(os.path.join(out, name + ".x.npy"), inputs[name])
        np.save(os.path.join(out, name + ".expected.npy"), expected[name])
    with open(os.path.join(out, "names.txt"), "w") as f:
        f.write(" ".join(inputs) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

#!/usr/bin/env python3
"""Writes int8-quantized MLPs in effc's quantized IR form (see
effc.quantized_linear: per-channel i8 weights, i32 bias, fixed-point
multiplier/shift requantization) and an int8 input into DIR:

  mlp.mlir        i8 -> quantized_linear(relu, requant i8)
                     -> quantized_linear(requant i8) -> i8
  mlp_deq.mlir    the same first layer, then a dequantized f32 last layer
  mlp_nm.mlir     the first model with 2:4-pruned weights (in every group
                  of 4 along K the 2 smallest |w| are zero, ties keeping the
                  lower index)
  x.npy           int8 input [M, K]
  *.expected.npy  NumPy's bit-exact outputs of the three models

Usage: quant_mlp.py DIR"""

import os
import sys

import numpy as np

M, K, H, N = 8, 64, 32, 10
SX, ZX = 0.05, -3
SH, ZH = 0.08, -20
SY, ZY = 0.2, 4


def prune_nm(w, n=2, m=4):
    """Zeroes all but the n largest |w| in each group of m along K (ties:
    the lower index is kept)."""
    out = w.copy()
    rows, k = w.shape
    for r in range(rows):
        for g in range(0, k, m):
            grp = np.abs(w[r, g:g + m].astype(np.int64))
            order = sorted(range(m), key=lambda i: (-grp[i], i))
            for i in order[n:]:
                out[r, g + i] = 0
    return out


def requant_params(rng, rows):
    mult = rng.integers(1 << 29, 1 << 30, rows).astype(np.int64)
    shift = rng.integers(5, 9, rows).astype(np.int64)
    return mult, shift


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(8)
    x = rng.integers(-128, 128, (M, K)).astype(np.int8)
    np.save(os.path.join(out, "x.npy"), x)
    w1 = rng.integers(-127, 128, (H, K)).astype(np.int8)
    w2 = rng.integers(-127, 128, (N, H)).astype(np.int8)
    s1 = rng.uniform(0.001, 0.01, H)
    s2 = rng.uniform(0.001, 0.01, N)
    b1 = rng.integers(-3000, 3000, H).astype(np.int32)
    b2 = rng.integers(-3000, 3000, N).astype(np.int32)
    m1, sh1 = requant_params(rng, H)
    m2, sh2 = requant_params(rng, N)

    f = lambda a: ", ".join(repr(float(v)) for v in a)
    i = lambda a: ", ".join(str(int(v)) for v in a)
    mat = lambda w: "dense<[" + ", ".join("[" + i(r) + "]" for r in w) + "]>"
    xt = f"!quant.uniform<i8:f32, {SX}:{ZX}>"
    ht = f"!quant.uniform<i8:f32, {SH}:{ZH}>"
    yt = f"!quant.uniform<i8:f32, {SY}:{ZY}>"
    w1t = f"!quant.uniform<i8<-127:127>:f32:0, {{{f(s1)}}}>"
    w2t = f"!quant.uniform<i8<-127:127>:f32:0, {{{f(s2)}}}>"

    def model(w1v, w2v, deq):
        last_ty = f"tensor<{M}x{N}xf32>" if deq else f"tensor<{M}x{N}x{yt}>"
        last_attrs = ("" if deq else
                      f" {{multiplier = array<i32: {i(m2)}>, "
                      f"shift = array<i32: {i(sh2)}>}}")
        ret_ty = f"tensor<{M}x{N}xf32>" if deq else f"tensor<{M}x{N}xi8>"
        tail = (f"  return %y : {ret_ty}" if deq else
                f"  %ys = quant.scast %y : {last_ty} to {ret_ty}\n"
                f"  return %ys : {ret_ty}")
        return f"""func.func @mlp(%x: tensor<{M}x{K}xi8>) -> {ret_ty} {{
  %xq = quant.scast %x : tensor<{M}x{K}xi8> to tensor<{M}x{K}x{xt}>
  %w1c = arith.constant {mat(w1v)} : tensor<{H}x{K}xi8>
  %w1 = quant.scast %w1c : tensor<{H}x{K}xi8> to tensor<{H}x{K}x{w1t}>
  %b1 = arith.constant dense<[{i(b1)}]> : tensor<{H}xi32>
  %h = effc.quantized_linear %xq, %w1 bias %b1 {{activation = #effc.activation<relu>, multiplier = array<i32: {i(m1)}>, shift = array<i32: {i(sh1)}>, effc.name = "fc1"}} : tensor<{M}x{K}x{xt}>, tensor<{H}x{K}x{w1t}>, tensor<{H}xi32> -> tensor<{M}x{H}x{ht}>
  %w2c = arith.constant {mat(w2v)} : tensor<{N}x{H}xi8>
  %w2 = quant.scast %w2c : tensor<{N}x{H}xi8> to tensor<{N}x{H}x{w2t}>
  %b2 = arith.constant dense<[{i(b2)}]> : tensor<{N}xi32>
  %y = effc.quantized_linear %h, %w2 bias %b2{last_attrs[:-1] + ', effc.name = "fc2"}' if last_attrs else ' {effc.name = "fc2"}'} : tensor<{M}x{H}x{ht}>, tensor<{N}x{H}x{w2t}>, tensor<{N}xi32> -> {last_ty}
{tail}
}}
"""

    def layer(xq, zx, w, b, mult, shift, zy, relu):
        acc = (xq.astype(np.int64) - zx) @ w.astype(np.int64).T + b
        s = 31 + shift
        y = zy + ((acc * mult + (np.int64(1) << (s - 1))) >> s)
        y = np.clip(y, max(-128, zy) if relu else -128, 127)
        return acc, y.astype(np.int8)

    for name, (w1v, w2v) in (("mlp", (w1, w2)),
                             ("mlp_nm", (prune_nm(w1), prune_nm(w2)))):
        _, h = layer(x, ZX, w1v, b1, m1, sh1, ZH, True)
        acc2, y = layer(h, ZH, w2v, b2, m2, sh2, ZY, False)
        np.save(os.path.join(out, name + ".expected.npy"), y)
        if name == "mlp":
            scale = np.float32(s2.astype(np.float32)) * np.float32(SH)
            yf = acc2.astype(np.float32) * scale.astype(np.float32)
            np.save(os.path.join(out, "mlp_deq.expected.npy"),
                    yf.astype(np.float32))

    for name, text in (("mlp", model(w1, w2, False)),
                       ("mlp_deq", model(w1, w2, True)),
                       ("mlp_nm", model(prune_nm(w1), prune_nm(w2), False))):
        with open(os.path.join(out, name + ".mlir"), "w") as fh:
            fh.write(text)


if __name__ == "__main__":
    main()

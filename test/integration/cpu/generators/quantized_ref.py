#!/usr/bin/env python3
"""Writes a model exercising effc's quantized ops (effc.quantize, and
effc.quantized_linear with per-channel weights and a requantized i8 result,
and with grouped weights and a float result), its inputs, and NumPy's
bit-exact expected outputs into DIR. Usage: quantized_ref.py DIR"""

import os
import sys

import numpy as np

M, K, N, G = 6, 64, 8, 16
SX, ZX = 0.05, -3
SY, ZY = 0.4, 5


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(5)
    x = rng.uniform(-6, 6, (M, K)).astype(np.float32)
    w = rng.integers(-127, 128, (N, K)).astype(np.int8)
    ws = rng.uniform(0.001, 0.01, N)
    wg = rng.uniform(0.001, 0.01, (N, K // G))
    mult = rng.integers(1 << 29, 1 << 30, N).astype(np.int64)
    shift = rng.integers(4, 9, N).astype(np.int64)
    bias = rng.integers(-2000, 2000, N).astype(np.int32)
    np.save(os.path.join(out, "x.npy"), x)

    # effc.quantize (per tensor here): saturate(round_half_even(x / s) + z).
    xs = np.float32(SX)
    xq = np.clip(np.rint(x / xs) + ZX, -128, 127).astype(np.int64)
    np.save(os.path.join(out, "quant.expected.npy"), xq.astype(np.int8))
    # Per-channel weights, requantized output.
    acc = (xq - ZX) @ w.astype(np.int64).T + bias
    s = 31 + shift
    y = ZY + ((acc * mult + (np.int64(1) << (s - 1))) >> s)
    y = np.clip(y, -128, 127).astype(np.int8)
    np.save(os.path.join(out, "requant.expected.npy"), y)
    # Grouped weights, float output: sx * sum_g wg[n, g] * partial[m, n, g].
    part = np.einsum("mgj,ngj->mng", (xq - ZX).reshape(M, K // G, G),
                     w.astype(np.int64).reshape(N, K // G, G))
    yf = (part.astype(np.float64) * wg[None]).sum(-1) * SX
    np.save(os.path.join(out, "grouped.expected.npy"), yf.astype(np.float32))

    f = lambda a: ", ".join(repr(float(v)) for v in a)
    i = lambda a: ", ".join(str(int(v)) for v in a)
    wt = f"tensor<{N}x{K}xi8>"
    pc = f"!quant.uniform<i8<-127:127>:f32:0, {{{f(ws)}}}>"
    gq = ("!quant.uniform<i8<-127:127>:f32:{0:1, 1:%d}, {%s}>"
          % (G, ", ".join("{" + f(r) + "}" for r in wg)))
    xt = f"!quant.uniform<i8:f32, {SX}:{ZX}>"
    wconst = "dense<[" + ", ".join("[" + i(r) + "]" for r in w) + "]>"
    model = f"""
func.func @quant(%x: tensor<{M}x{K}xf32>) -> tensor<{M}x{K}xi8> {{
  %s = arith.constant dense<{SX}> : tensor<1x1xf32>
  %z = arith.constant dense<{ZX}> : tensor<1x1xi8>
  %q = effc.quantize %x, %s zero_point %z {{block = array<i64: {M}, {K}>}} : tensor<{M}x{K}xf32>, tensor<1x1xf32>, tensor<1x1xi8> -> tensor<{M}x{K}xi8>
  return %q : tensor<{M}x{K}xi8>
}}
func.func @requant(%x: tensor<{M}x{K}xf32>) -> tensor<{M}x{N}xi8> {{
  %q = call @quant(%x) : (tensor<{M}x{K}xf32>) -> tensor<{M}x{K}xi8>
  %xq = quant.scast %q : tensor<{M}x{K}xi8> to tensor<{M}x{K}x{xt}>
  %w = arith.constant {wconst} : {wt}
  %wq = quant.scast %w : {wt} to tensor<{N}x{K}x{pc}>
  %b = arith.constant dense<[{i(bias)}]> : tensor<{N}xi32>
  %y = effc.quantized_linear %xq, %wq bias %b {{multiplier = array<i32: {i(mult)}>, shift = array<i32: {i(shift - 0)}>}} : tensor<{M}x{K}x{xt}>, tensor<{N}x{K}x{pc}>, tensor<{N}xi32> -> tensor<{M}x{N}x!quant.uniform<i8:f32, {SY}:{ZY}>>
  %ys = quant.scast %y : tensor<{M}x{N}x!quant.uniform<i8:f32, {SY}:{ZY}>> to tensor<{M}x{N}xi8>
  return %ys : tensor<{M}x{N}xi8>
}}
func.func @grouped(%x: tensor<{M}x{K}xf32>) -> tensor<{M}x{N}xf32> {{
  %q = call @quant(%x) : (tensor<{M}x{K}xf32>) -> tensor<{M}x{K}xi8>
  %xq = quant.scast %q : tensor<{M}x{K}xi8> to tensor<{M}x{K}x{xt}>
  %w = arith.constant {wconst} : {wt}
  %wq = quant.scast %w : {wt} to tensor<{N}x{K}x{gq}>
  %y = effc.quantized_linear %xq, %wq : tensor<{M}x{K}x{xt}>, tensor<{N}x{K}x{gq}> -> tensor<{M}x{N}xf32>
  return %y : tensor<{M}x{N}xf32>
}}
"""
    with open(os.path.join(out, "model.mlir"), "w") as fh:
        fh.write(model)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Writes an int8-quantized grouped, strided, padded convolution in effc's
quantized IR form (effc.quantized_conv2d, per-channel i8 weights, i32 bias,
fixed-point requantization to i8 with relu), an int8 input and NumPy's
bit-exact output into DIR: conv.mlir, x.npy, conv.expected.npy.
Usage: quant_conv.py DIR"""

import os
import sys

import numpy as np

N, H, W, C = 1, 7, 7, 4
F, KH, KW, G = 8, 3, 3, 2
STRIDE, DIL, PAD = 2, 1, 1
SX, ZX = 0.05, -5
SY, ZY = 0.1, 3


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(9)
    cg, fg = C // G, F // G
    x = rng.integers(-128, 128, (N, H, W, C)).astype(np.int8)
    w = rng.integers(-127, 128, (F, KH, KW, cg)).astype(np.int8)
    b = rng.integers(-2000, 2000, F).astype(np.int32)
    ws = rng.uniform(0.001, 0.01, F)
    mult = rng.integers(1 << 29, 1 << 30, F).astype(np.int64)
    shift = rng.integers(3, 7, F).astype(np.int64)
    np.save(os.path.join(out, "x.npy"), x)

    oh = (H + 2 * PAD - DIL * (KH - 1) - 1) // STRIDE + 1
    ow = (W + 2 * PAD - DIL * (KW - 1) - 1) // STRIDE + 1
    # The padding value is the zero point: padded positions add nothing.
    xp = np.full((N, H + 2 * PAD, W + 2 * PAD, C), ZX, np.int64)
    xp[:, PAD:PAD + H, PAD:PAD + W, :] = x
    acc = np.zeros((N, oh, ow, F), np.int64)
    for f in range(F):
        g = f // fg
        for i in range(oh):
            for j in range(ow):
                patch = xp[:, i * STRIDE:i * STRIDE + DIL * (KH - 1) + 1:DIL,
                           j * STRIDE:j * STRIDE + DIL * (KW - 1) + 1:DIL,
                           g * cg:(g + 1) * cg]
                acc[:, i, j, f] = ((patch - ZX) * w[f]).reshape(N, -1).sum(1)
    acc += b
    s = 31 + shift
    y = ZY + ((acc * mult + (np.int64(1) << (s - 1))) >> s)
    y = np.clip(y, max(-128, ZY), 127).astype(np.int8)
    np.save(os.path.join(out, "conv.expected.npy"), y)

    f_ = lambda a: ", ".join(repr(float(v)) for v in a)
    i_ = lambda a: ", ".join(str(int(v)) for v in a)
    xt = f"!quant.uniform<i8:f32, {SX}:{ZX}>"
    yt = f"!quant.uniform<i8:f32, {SY}:{ZY}>"
    wt = f"!quant.uniform<i8<-127:127>:f32:0, {{{f_(ws)}}}>"
    wconst = "dense<" + str(w.tolist()) + ">"
    ws_ = f"{F}x{KH}x{KW}x{cg}"
    text = f"""func.func @conv(%x: tensor<{N}x{H}x{W}x{C}xi8>) -> tensor<{N}x{oh}x{ow}x{F}xi8> {{
  %xq = quant.scast %x : tensor<{N}x{H}x{W}x{C}xi8> to tensor<{N}x{H}x{W}x{C}x{xt}>
  %wc = arith.constant {wconst} : tensor<{ws_}xi8>
  %w = quant.scast %wc : tensor<{ws_}xi8> to tensor<{ws_}x{wt}>
  %b = arith.constant dense<[{i_(b)}]> : tensor<{F}xi32>
  %y = effc.quantized_conv2d %xq, %w bias %b {{strides = array<i64: {STRIDE}, {STRIDE}>, dilations = array<i64: {DIL}, {DIL}>, padding = array<i64: {PAD}, {PAD}, {PAD}, {PAD}>, groups = {G} : i64, activation = #effc.activation<relu>, multiplier = array<i32: {i_(mult)}>, shift = array<i32: {i_(shift)}>, effc.name = "conv"}} : tensor<{N}x{H}x{W}x{C}x{xt}>, tensor<{ws_}x{wt}>, tensor<{F}xi32> -> tensor<{N}x{oh}x{ow}x{F}x{yt}>
  %ys = quant.scast %y : tensor<{N}x{oh}x{ow}x{F}x{yt}> to tensor<{N}x{oh}x{ow}x{F}xi8>
  return %ys : tensor<{N}x{oh}x{ow}x{F}xi8>
}}
"""
    with open(os.path.join(out, "conv.mlir"), "w") as fh:
        fh.write(text)


if __name__ == "__main__":
    main()

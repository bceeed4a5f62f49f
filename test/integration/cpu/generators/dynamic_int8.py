#!/usr/bin/env python3
"""Writes the dynamic-M int8 kernel test: block-scaled (per-row activation
scales, per-channel weight scales: dynamic int8) and statically quantized
int8 linears whose activations have a runtime row count, each in one
function `@bs` / `@q8` called with no_inline from static entries for
several row counts, and the same ops with static types (`@bs_m<M>`,
`@q8_m<M>`) that the dynamic ones must reproduce bit for bit.

  dynamic_int8.py OUT_DIR [KIND ...]   (KIND: bs, q8; default both)
"""
import os
import sys

import numpy as np

K, N = 64, 40
ROWS = (1, 3, 9, 17, 50)


def literal(a, fmt):
    if a.ndim == 1:
        return "dense<[" + ",".join(fmt(v) for v in a) + "]>"
    return "dense<[" + ",".join(
        "[" + ",".join(fmt(v) for v in row) + "]" for row in a) + "]>"


def main():
    out = sys.argv[1]
    kinds = set(sys.argv[2:] or ("bs", "q8"))
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(8)
    w = rng.integers(-127, 128, (N, K)).astype(np.int8)
    ws = (rng.random((N, 1)) * 0.02 + 0.001).astype(np.float32)
    wl = literal(w, str)
    wsl = literal(ws, lambda v: f"{v:.8e}")
    qx = "!quant.uniform<i8:f32, 0.05:3>"
    qw = "!quant.uniform<i8<-127:127>:f32, 0.01>"
    lines = ["module {"]

    def bs(name, m):
        t = "?" if m is None else str(m)
        return [f"  func.func {'private ' if m is None else ''}@{name}(%x: tensor<{t}x{K}xi8>, %xs: tensor<{t}x1xf32>) -> tensor<{t}x{N}xf32> {{",
                f"    %w = arith.constant {wl} : tensor<{N}x{K}xi8>",
                f"    %ws = arith.constant {wsl} : tensor<{N}x1xf32>",
                f"    %y = effc.block_scaled_linear %x, %xs, %w, %ws {{block = array<i64: 1, {K}>}} : tensor<{t}x{K}xi8>, tensor<{t}x1xf32>, tensor<{N}x{K}xi8>, tensor<{N}x1xf32> -> tensor<{t}x{N}xf32>",
                f"    return %y : tensor<{t}x{N}xf32>", "  }"]

    def q8(name, m):
        t = "?" if m is None else str(m)
        return [f"  func.func {'private ' if m is None else ''}@{name}(%x: tensor<{t}x{K}xf32>) -> tensor<{t}x{N}xf32> {{",
                f"    %q = quant.qcast %x : tensor<{t}x{K}xf32> to tensor<{t}x{K}x{qx}>",
                f"    %wi = arith.constant {wl} : tensor<{N}x{K}xi8>",
                f"    %w = quant.scast %wi : tensor<{N}x{K}xi8> to tensor<{N}x{K}x{qw}>",
                f"    %y = effc.quantized_linear %q, %w {{activation = #effc.activation<relu>}} : tensor<{t}x{K}x{qx}>, tensor<{N}x{K}x{qw}> -> tensor<{t}x{N}xf32>",
                f"    return %y : tensor<{t}x{N}xf32>", "  }"]

    def pick(**parts):
        return [l for k, v in parts.items() if k in kinds for l in v]

    lines += pick(bs=bs("bs", None), q8=q8("q8", None))
    for m in ROWS:
        x = rng.integers(-128, 128, (m, K)).astype(np.int8)
        xs = (rng.random((m, 1)) * 0.05 + 0.001).astype(np.float32)
        xf = (rng.standard_normal((m, K)) * 2).astype(np.float32)
        np.save(os.path.join(out, f"x{m}.npy"), x)
        np.save(os.path.join(out, f"xs{m}.npy"), xs)
        np.save(os.path.join(out, f"xf{m}.npy"), xf)
        lines += pick(bs=bs(f"bs_m{m}", m), q8=q8(f"q8_m{m}", m))
        lines += pick(bs=[f"  func.func @dbs_m{m}(%x: tensor<{m}x{K}xi8>, %xs: tensor<{m}x1xf32>) -> tensor<{m}x{N}xf32> {{",
                  f"    %dx = tensor.cast %x : tensor<{m}x{K}xi8> to tensor<?x{K}xi8>",
                  f"    %ds = tensor.cast %xs : tensor<{m}x1xf32> to tensor<?x1xf32>",
                  f"    %y = func.call @bs(%dx, %ds) {{no_inline}} : (tensor<?x{K}xi8>, tensor<?x1xf32>) -> tensor<?x{N}xf32>",
                  f"    %s = tensor.cast %y : tensor<?x{N}xf32> to tensor<{m}x{N}xf32>",
                  f"    return %s : tensor<{m}x{N}xf32>", "  }"],
                      q8=[f"  func.func @dq8_m{m}(%x: tensor<{m}x{K}xf32>) -> tensor<{m}x{N}xf32> {{",
                  f"    %dx = tensor.cast %x : tensor<{m}x{K}xf32> to tensor<?x{K}xf32>",
                  f"    %y = func.call @q8(%dx) {{no_inline}} : (tensor<?x{K}xf32>) -> tensor<?x{N}xf32>",
                  f"    %s = tensor.cast %y : tensor<?x{N}xf32> to tensor<{m}x{N}xf32>",
                  f"    return %s : tensor<{m}x{N}xf32>", "  }"])
    lines.append("}")
    with open(os.path.join(out, "model.mlir"), "w") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()

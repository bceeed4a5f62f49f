#!/usr/bin/env python3
"""Writes the dynamic-M int8 kernel test: a block-scaled linear (per-row
activation scales, per-channel weight scales: dynamic int8) whose
activations have a runtime row count, in one function `@bs` called with
no_inline from static entries `@dbs_m<M>`, and the same op with static
types (`@bs_m<M>`) that the dynamic one must reproduce bit for bit.

  dynamic_int8.py OUT_DIR
"""
import os
import sys

import numpy as np

K, N = 64, 40
ROWS = (1, 3, 9, 17, 50)


def literal(a, fmt):
    return "dense<[" + ",".join(
        "[" + ",".join(fmt(v) for v in row) + "]" for row in a) + "]>"


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(8)
    w = rng.integers(-127, 128, (N, K)).astype(np.int8)
    ws = (rng.random((N, 1)) * 0.02 + 0.001).astype(np.float32)
    wl = literal(w, str)
    wsl = literal(ws, lambda v: f"{v:.8e}")

    def bs(name, m):
        """The op on M = m rows, or on `?` rows (private @bs) for m = None."""
        t = "?" if m is None else str(m)
        return [f"  func.func {'private ' if m is None else ''}@{name}(%x: tensor<{t}x{K}xi8>, %xs: tensor<{t}x1xf32>) -> tensor<{t}x{N}xf32> {{",
                f"    %w = arith.constant {wl} : tensor<{N}x{K}xi8>",
                f"    %ws = arith.constant {wsl} : tensor<{N}x1xf32>",
                f"    %y = effc.block_scaled_linear %x, %xs, %w, %ws {{block = array<i64: 1, {K}>}} : tensor<{t}x{K}xi8>, tensor<{t}x1xf32>, tensor<{N}x{K}xi8>, tensor<{N}x1xf32> -> tensor<{t}x{N}xf32>",
                f"    return %y : tensor<{t}x{N}xf32>", "  }"]

    lines = ["module {"] + bs("bs", None)
    for m in ROWS:
        np.save(os.path.join(out, f"x{m}.npy"),
                rng.integers(-128, 128, (m, K)).astype(np.int8))
        np.save(os.path.join(out, f"xs{m}.npy"),
                (rng.random((m, 1)) * 0.05 + 0.001).astype(np.float32))
        lines += bs(f"bs_m{m}", m)
        lines += [f"  func.func @dbs_m{m}(%x: tensor<{m}x{K}xi8>, %xs: tensor<{m}x1xf32>) -> tensor<{m}x{N}xf32> {{",
                  f"    %dx = tensor.cast %x : tensor<{m}x{K}xi8> to tensor<?x{K}xi8>",
                  f"    %ds = tensor.cast %xs : tensor<{m}x1xf32> to tensor<?x1xf32>",
                  f"    %y = func.call @bs(%dx, %ds) {{no_inline}} : (tensor<?x{K}xi8>, tensor<?x1xf32>) -> tensor<?x{N}xf32>",
                  f"    %s = tensor.cast %y : tensor<?x{N}xf32> to tensor<{m}x{N}xf32>",
                  f"    return %s : tensor<{m}x{N}xf32>", "  }"]
    lines.append("}")
    with open(os.path.join(out, "model.mlir"), "w") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Writes the dynamic-M GEMM test: one function `@gemm` whose activation
has a runtime row count (tensor<?xKxf32>, as a dynamic batch x sequence
reaches a linear layer), called by static entries `@m<M>` for row counts
that cover every register-tile remainder, the unpacked (few rows) and the
packed (many rows) kernels; plus the NumPy products they must give.

  dynamic_gemm.py OUT_DIR
"""
import os
import sys

import numpy as np

K, N = 96, 72
ROWS = (1, 5, 7, 13, 24, 40, 67)


def literal(a):
    return "dense<[" + ",".join(
        "[" + ",".join(f"{v:.8e}" for v in row) + "]" for row in a) + "]>"


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(20)
    w = rng.standard_normal((K, N)).astype(np.float32)
    lines = ["module {",
             f"  func.func private @gemm(%x: tensor<?x{K}xf32>) -> tensor<?x{N}xf32> {{",
             f"    %w = arith.constant {literal(w)} : tensor<{K}x{N}xf32>",
             "    %c0 = arith.constant 0 : index",
             f"    %m = tensor.dim %x, %c0 : tensor<?x{K}xf32>",
             f"    %e = tensor.empty(%m) : tensor<?x{N}xf32>",
             "    %z = arith.constant 0.0 : f32",
             f"    %f = linalg.fill ins(%z : f32) outs(%e : tensor<?x{N}xf32>) -> tensor<?x{N}xf32>",
             f"    %y = linalg.matmul ins(%x, %w : tensor<?x{K}xf32>, tensor<{K}x{N}xf32>) outs(%f : tensor<?x{N}xf32>) -> tensor<?x{N}xf32>",
             f"    return %y : tensor<?x{N}xf32>",
             "  }"]
    for m in ROWS:
        x = rng.standard_normal((m, K)).astype(np.float32)
        np.save(os.path.join(out, f"x{m}.npy"), x)
        np.save(os.path.join(out, f"m{m}.expected.npy"),
                (x.astype(np.float64) @ w).astype(np.float32))
        # no_inline keeps @gemm the one dynamic function every entry runs.
        lines += [f"  func.func @m{m}(%x: tensor<{m}x{K}xf32>) -> tensor<{m}x{N}xf32> {{",
                  f"    %d = tensor.cast %x : tensor<{m}x{K}xf32> to tensor<?x{K}xf32>",
                  f"    %y = func.call @gemm(%d) {{no_inline}} : (tensor<?x{K}xf32>) -> tensor<?x{N}xf32>",
                  f"    %s = tensor.cast %y : tensor<?x{N}xf32> to tensor<{m}x{N}xf32>",
                  f"    return %s : tensor<{m}x{N}xf32>",
                  "  }"]
    lines.append("}")
    with open(os.path.join(out, "model.mlir"), "w") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Writes the effc module of one GPU benchmark case.

  make_case.py CASE A B C OUT.mlir

GEMM cases (A, B, C = M, N, K): f16, bf16 (effc.linear), i8
(effc.quantized_linear with i32 results, a splat constant weight), fp8
(effc.block_scaled_linear, 1x128 / 128x128 scales), sparse (effc.sparse_linear
2:4 with f16 values and constant indices as a dense_resource blob).
attention (A, B, C = heads, sequence, head dim): f16 effc.attention.
Operand values do not matter for timing; gpubench fills the device buffers.
"""
import sys

case, a, b, c, out = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
m, n, k = a, b, c
text = ""
if case in ("f16", "bf16"):
    t = case
    text = f"""func.func @main(%x: tensor<{m}x{k}x{t}>, %w: tensor<{n}x{k}x{t}>) -> tensor<{m}x{n}x{t}> {{
  %y = effc.linear %x, %w : tensor<{m}x{k}x{t}>, tensor<{n}x{k}x{t}> -> tensor<{m}x{n}x{t}>
  return %y : tensor<{m}x{n}x{t}>
}}
"""
elif case == "i8":
    qx = "!quant.uniform<i8:f32, 0.05>"
    qw = "!quant.uniform<i8<-127:127>:f32, 0.01>"
    text = f"""func.func @main(%x: tensor<{m}x{k}xi8>) -> tensor<{m}x{n}xi32> {{
  %xq = quant.scast %x : tensor<{m}x{k}xi8> to tensor<{m}x{k}x{qx}>
  %wc = arith.constant dense<1> : tensor<{n}x{k}xi8>
  %w = quant.scast %wc : tensor<{n}x{k}xi8> to tensor<{n}x{k}x{qw}>
  %y = effc.quantized_linear %xq, %w : tensor<{m}x{k}x{qx}>, tensor<{n}x{k}x{qw}> -> tensor<{m}x{n}xi32>
  return %y : tensor<{m}x{n}xi32>
}}
"""
elif case == "fp8":
    f8 = "f8E4M3FN"
    text = f"""func.func @main(%x: tensor<{m}x{k}x{f8}>, %xs: tensor<{m}x{k//128}xf32>, %w: tensor<{n}x{k}x{f8}>, %ws: tensor<{n//128}x{k//128}xf32>) -> tensor<{m}x{n}xbf16> {{
  %y = effc.block_scaled_linear %x, %xs, %w, %ws {{block = array<i64: 128, 128>}}
      : tensor<{m}x{k}x{f8}>, tensor<{m}x{k//128}xf32>, tensor<{n}x{k}x{f8}>, tensor<{n//128}x{k//128}xf32> -> tensor<{m}x{n}xbf16>
  return %y : tensor<{m}x{n}xbf16>
}}
"""
elif case == "sparse":
    blob = "0x01000000" + "0001" * (n * k // 4)
    text = f"""func.func @main(%x: tensor<{m}x{k}xf16>, %v: tensor<{n}x{k//2}xf16>) -> tensor<{m}x{n}xf16> {{
  %i = arith.constant dense_resource<idx> : tensor<{n}x{k//2}xi8>
  %y = effc.sparse_linear %x, %v, %i {{encoding = #effc.sparse_encoding<format = nm, n = 2, m = 4>,
      weight_shape = array<i64: {n}, {k}>}} : tensor<{m}x{k}xf16>, tensor<{n}x{k//2}xf16>, tensor<{n}x{k//2}xi8> -> tensor<{m}x{n}xf16>
  return %y : tensor<{m}x{n}xf16>
}}
{{-#
  dialect_resources: {{ builtin: {{ idx: "{blob}" }} }}
#-}}
"""
elif case == "attention":
    h, s, d = a, b, c
    ty = f"tensor<1x{h}x{s}x{d}xf16>"
    text = f"""func.func @main(%q: {ty}, %k: {ty}, %v: {ty}) -> {ty} {{
  %o = effc.attention %q, %k, %v : {ty}, {ty}, {ty} -> {ty}
  return %o : {ty}
}}
"""
else:
    sys.exit(f"unknown case {case}")
open(out, "w").write(text)

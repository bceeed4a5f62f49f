#!/usr/bin/env python3
"""Writes a GPU test case (model, inputs, expected output) and checks it.

  gpu_ref.py gen CASE DIR     writes DIR/model.mlir, DIR/in*.npy, DIR/expected.npy
  gpu_ref.py check DIR OUT    prints PASS/FAIL comparing OUT.npy to expected

Cases: gemm_f16 (bias + relu), gemm_f32 (exact FFMA kernel, ragged), sparse_f16 (2:4 constant weight),
attention_f16 (causal, GQA), attention_mask_f16 (a [B, 1, 1, Skv] padding
mask, GQA), int8 (requantized, bit-exact); and, sized for
the sm_90a wgmma/TMA kernel (at least one 128 x 128 tile, ragged edges),
wgmma_f16 (bias + relu), wgmma_bf16, wgmma_int8 (bit-exact) and
wgmma_fp8 (DeepSeek-V3 block scales: 1x128 input, 128x128 weight);
w8a8_rows77 / w8a8_rows3 (W8A8: per-token int8 scales computed on the
device, per-channel int8 weights, a runtime row count: the model takes
tensor<?xKxf32>, the same model at two batch sizes); attention_dyn_BxS
(causal GQA flash attention over a runtime batch and sequence). The
expected values are computed here in NumPy, independently of effc.
"""
import os
import sys

import numpy as np

rng = np.random.default_rng(7)


def to_bf16_bits(a):
    """float32 -> bfloat16 bits (round to nearest even), as uint16."""
    u = np.ascontiguousarray(a, np.float32).view(np.uint32).astype(np.uint64)
    u = (u + 0x7FFF + ((u >> 16) & 1)) >> 16
    return u.astype(np.uint16)


def from_bf16_bits(b):
    return (b.astype(np.uint32) << 16).view(np.float32)


def mlir_dense(a, elt):
    def fmt(v):
        return repr(float(v)) if elt.startswith(("f", "bf")) else str(int(v))
    if a.ndim == 1:
        body = ", ".join(fmt(v) for v in a)
    else:
        body = ", ".join("[" + ", ".join(fmt(v) for v in r) + "]" for r in a)
    shape = "x".join(str(d) for d in a.shape)
    return f"dense<[{body}]> : tensor<{shape}x{elt}>"


def gen(case, d):
    os.makedirs(d, exist_ok=True)
    tol = 2e-2
    if case in ("gemm_f16", "sparse_f16", "wgmma_f16"):
        m, n, k = (320, 264, 520) if case == "wgmma_f16" else (96, 80, 128)
        x = rng.standard_normal((m, k)).astype(np.float16)
        w = rng.standard_normal((n, k)).astype(np.float16)
        if case == "sparse_f16":
            g = w.reshape(n, k // 4, 4)
            drop = np.argsort(np.abs(g), axis=-1)[..., :2]
            np.put_along_axis(g, drop, 0, axis=-1)
            w = g.reshape(n, k)
        b = rng.standard_normal(n).astype(np.float16)
        y = np.maximum(x.astype(np.float32) @ w.astype(np.float32).T + b, 0)
        body = f"""
  %w = arith.constant {mlir_dense(w, 'f16')}
  %bf = arith.constant {mlir_dense(b, 'f16')}
  %y = effc.linear %x, %w bias %bf {{activation = #effc.activation<relu>}}
      : tensor<{m}x{k}xf16>, tensor<{n}x{k}xf16>, tensor<{n}xf16> -> tensor<{m}x{n}xf16>"""
        sig = f"%x: tensor<{m}x{k}xf16>) -> tensor<{m}x{n}xf16>"
        inputs, expected = [x], y.astype(np.float16)
    elif case == "gemm_f32":
        # Ragged M, N and K (a multiple of 4, not of the 16-wide K tile).
        m, n, k = 100, 72, 132
        x = rng.standard_normal((m, k)).astype(np.float32)
        w = rng.standard_normal((n, k)).astype(np.float32)
        b = rng.standard_normal(n).astype(np.float32)
        y = np.maximum(x.astype(np.float64) @ w.astype(np.float64).T + b, 0)
        body = f"""
  %w = arith.constant {mlir_dense(w, 'f32')}
  %bf = arith.constant {mlir_dense(b, 'f32')}
  %y = effc.linear %x, %w bias %bf {{activation = #effc.activation<relu>}}
      : tensor<{m}x{k}xf32>, tensor<{n}x{k}xf32>, tensor<{n}xf32> -> tensor<{m}x{n}xf32>"""
        sig = f"%x: tensor<{m}x{k}xf32>) -> tensor<{m}x{n}xf32>"
        # Exact f32 FFMAs: f32 rounding only.
        inputs, expected, tol = [x], y.astype(np.float32), 1e-5
    elif case == "wgmma_bf16":
        m, n, k = 256, 384, 256
        xb = to_bf16_bits(rng.standard_normal((m, k)))
        wb = to_bf16_bits(rng.standard_normal((n, k)))
        y = from_bf16_bits(xb) @ from_bf16_bits(wb).T
        w_text = mlir_dense(from_bf16_bits(wb), "bf16")
        body = f"""
  %w = arith.constant {w_text}
  %y = effc.linear %x, %w : tensor<{m}x{k}xbf16>, tensor<{n}x{k}xbf16> -> tensor<{m}x{n}xbf16>"""
        sig = f"%x: tensor<{m}x{k}xbf16>) -> tensor<{m}x{n}xbf16>"
        inputs, expected = [xb], to_bf16_bits(y)
        with open(os.path.join(d, "dtype"), "w") as f:
            f.write("bf16")
    elif case == "wgmma_fp8":
        m, n, k, blk = 256, 256, 512, 128
        kb = k // blk
        # Values e4m3 holds exactly, so the constants need no rounding.
        vals = np.array([0, 0.5, -0.5, 1, -1, 1.5, -1.5, 2, -2], np.float32)
        x = rng.choice(vals, (m, k))
        w = rng.choice(vals, (n, k))
        xs = rng.uniform(0.5, 2, (m, kb)).astype(np.float32)
        ws = rng.uniform(0.5, 2, (n // blk, kb)).astype(np.float32)
        y = np.zeros((m, n), np.float64)
        for b in range(kb):
            part = x[:, b * blk:(b + 1) * blk] @ w[:, b * blk:(b + 1) * blk].T
            y += part * xs[:, b:b + 1] * np.repeat(ws[:, b], blk)[None, :]
        f8 = "f8E4M3FN"
        body = f"""
  %xq = arith.constant {mlir_dense(x, f8)}
  %wq = arith.constant {mlir_dense(w, f8)}
  %ws = arith.constant {mlir_dense(ws, 'f32')}
  %y = effc.block_scaled_linear %xq, %x, %wq, %ws {{block = array<i64: {blk}, {blk}>}}
      : tensor<{m}x{k}x{f8}>, tensor<{m}x{kb}xf32>, tensor<{n}x{k}x{f8}>, tensor<{n // blk}x{kb}xf32> -> tensor<{m}x{n}xbf16>"""
        sig = f"%x: tensor<{m}x{kb}xf32>) -> tensor<{m}x{n}xbf16>"
        inputs, expected = [xs], to_bf16_bits(y.astype(np.float32))
        with open(os.path.join(d, "dtype"), "w") as f:
            f.write("bf16")
    elif case == "attention_f16" or case.startswith("attention_dyn_"):
        # Causal GQA. attention_dyn_BxS: one model over a runtime batch and
        # sequence (tensor<?x4x?x64xf16>), run at the size the case names.
        dyn = case.startswith("attention_dyn_")
        b, s = ((int(v) for v in case[len("attention_dyn_"):].split("x"))
                if dyn else (1, 100))
        h, hkv, dh = 4, 2, 64
        q = rng.standard_normal((b, h, s, dh)).astype(np.float16)
        kk = rng.standard_normal((b, hkv, s, dh)).astype(np.float16)
        v = rng.standard_normal((b, hkv, s, dh)).astype(np.float16)
        kr = np.repeat(kk, h // hkv, axis=1).astype(np.float32)
        vr = np.repeat(v, h // hkv, axis=1).astype(np.float32)
        sc = q.astype(np.float32) @ kr.transpose(0, 1, 3, 2) / np.sqrt(dh)
        sc = np.where(np.tril(np.ones((s, s), bool)), sc, -np.inf)
        p = np.exp(sc - sc.max(-1, keepdims=True))
        expected = ((p / p.sum(-1, keepdims=True)) @ vr).astype(np.float16)
        bs = ("?", "?") if dyn else (b, s)
        t = lambda hh: f"tensor<{bs[0]}x{hh}x{bs[1]}x{dh}xf16>"
        body = f"""
  %y = effc.attention %x, %k, %v {{mask = #effc.mask<causal>}}
      : {t(h)}, {t(hkv)}, {t(hkv)} -> {t(h)}"""
        sig = f"%x: {t(h)}, %k: {t(hkv)}, %v: {t(hkv)}) -> {t(h)}"
        inputs = [q, kk, v]
    elif case == "attention_mask_f16":
        # A [B, 1, 1, Skv] padding mask: sequence b keeps its first
        # lengths[b] keys, the others get finfo(f16).min.
        b, h, hkv, s, dh = 2, 4, 2, 100, 64
        q = rng.standard_normal((b, h, s, dh)).astype(np.float16)
        kk = rng.standard_normal((b, hkv, s, dh)).astype(np.float16)
        v = rng.standard_normal((b, hkv, s, dh)).astype(np.float16)
        lengths = np.array([s, 37])
        m = np.where(np.arange(s)[None, :] < lengths[:, None], 0,
                     np.finfo(np.float16).min).astype(np.float16)
        m = m.reshape(b, 1, 1, s)
        kr = np.repeat(kk, h // hkv, axis=1).astype(np.float32)
        vr = np.repeat(v, h // hkv, axis=1).astype(np.float32)
        sc = q.astype(np.float32) @ kr.transpose(0, 1, 3, 2) / np.sqrt(dh)
        sc = sc + m.astype(np.float32)
        p = np.exp(sc - sc.max(-1, keepdims=True))
        expected = ((p / p.sum(-1, keepdims=True)) @ vr).astype(np.float16)
        t = lambda hh: f"tensor<{b}x{hh}x{s}x{dh}xf16>"
        mt = f"tensor<{b}x1x1x{s}xf16>"
        body = f"""
  %y = effc.attention %x, %k, %v mask(%m : {mt}) {{mask = #effc.mask<explicit>}}
      : {t(h)}, {t(hkv)}, {t(hkv)} -> {t(h)}"""
        sig = f"%x: {t(h)}, %k: {t(hkv)}, %v: {t(hkv)}, %m: {mt}) -> {t(h)}"
        inputs = [q, kk, v, m]
    elif case in ("int8", "wgmma_int8"):
        m, n, k = (256, 200, 384) if case == "wgmma_int8" else (64, 48, 128)
        zx, zy, mult, shift = -3, 5, 1518500250, 7
        x = rng.integers(-128, 128, (m, k)).astype(np.int8)
        w = rng.integers(-127, 128, (n, k)).astype(np.int8)
        b = rng.integers(-500, 500, n).astype(np.int32)
        acc = (x.astype(np.int64) - zx) @ w.astype(np.int64).T + b
        t = 31 + shift
        yq = ((acc * mult + (1 << (t - 1))) >> t) + zy
        expected = np.clip(yq, zy, 127).astype(np.int8)  # relu: max(y, zy)
        qin = f"tensor<{m}x{k}x!quant.uniform<i8:f32, 0.05:{zx}>>"
        qout = f"tensor<{m}x{n}x!quant.uniform<i8:f32, 0.1:{zy}>>"
        body = f"""
  %xq = quant.scast %x : tensor<{m}x{k}xi8> to {qin}
  %wc = arith.constant {mlir_dense(w, 'i8')}
  %w = quant.scast %wc : tensor<{n}x{k}xi8> to tensor<{n}x{k}x!quant.uniform<i8<-127:127>:f32, 0.01>>
  %bf = arith.constant {mlir_dense(b, 'i32')}
  %yq = effc.quantized_linear %xq, %w bias %bf {{activation = #effc.activation<relu>,
      multiplier = array<i32: {mult}>, shift = array<i32: {shift}>}}
      : {qin}, tensor<{n}x{k}x!quant.uniform<i8<-127:127>:f32, 0.01>>, tensor<{n}xi32> -> {qout}
  %y = quant.scast %yq : {qout} to tensor<{m}x{n}xi8>"""
        sig = f"%x: tensor<{m}x{k}xi8>) -> tensor<{m}x{n}xi8>"
        inputs, tol = [x], 0
    elif case.startswith("w8a8_rows"):
        # Same weights for every row count (their own generator).
        m, n, k = int(case[len("w8a8_rows"):]), 80, 96
        wrng = np.random.default_rng(11)
        w = wrng.integers(-127, 128, (n, k)).astype(np.int8)
        ws = wrng.uniform(0.001, 0.01, (n, 1)).astype(np.float32)
        x = rng.standard_normal((m, k)).astype(np.float32)
        # The reference lowering's arithmetic, in f32.
        amax = np.abs(x).max(axis=1, keepdims=True)
        xs = np.where(amax == 0, np.float32(1), amax / np.float32(127))
        xs = xs.astype(np.float32)
        q = np.clip(np.rint(x / xs), -128, 127).astype(np.int64)
        acc = (q @ w.astype(np.int64).T).astype(np.float32)
        expected = (acc * (xs * ws.T)).astype(np.float32)
        body = f"""
  %w = arith.constant {mlir_dense(w, 'i8')}
  %ws = arith.constant {mlir_dense(ws, 'f32')}
  %q, %s = effc.dynamic_quantize %x {{block = array<i64: 1, {k}>}}
      : tensor<?x{k}xf32> -> tensor<?x{k}xi8>, tensor<?x1xf32>
  %y = effc.block_scaled_linear %q, %s, %w, %ws {{block = array<i64: 1, {k}>}}
      : tensor<?x{k}xi8>, tensor<?x1xf32>, tensor<{n}x{k}xi8>, tensor<{n}x1xf32> -> tensor<?x{n}xf32>"""
        sig = f"%x: tensor<?x{k}xf32>) -> tensor<?x{n}xf32>"
        inputs, tol = [x], 1e-5
    else:
        sys.exit(f"unknown case {case}")
    with open(os.path.join(d, "model.mlir"), "w") as f:
        f.write(f"func.func @main({sig} {{{body}\n  return %y : "
                f"{sig.split('-> ')[1]}\n}}\n")
    for i, a in enumerate(inputs):
        np.save(os.path.join(d, f"in{i}.npy"), a)
    np.save(os.path.join(d, "expected.npy"), expected)
    with open(os.path.join(d, "tol"), "w") as f:
        f.write(str(tol))


def check(d, out):
    exp = np.load(os.path.join(d, "expected.npy"))
    got = np.load(out)
    if os.path.exists(os.path.join(d, "dtype")):  # bf16 bits
        exp, got = from_bf16_bits(exp), from_bf16_bits(got)
    tol = float(open(os.path.join(d, "tol")).read())
    if got.shape != exp.shape:
        print(f"FAIL shape {got.shape} != {exp.shape}")
        return 1
    err = np.abs(got.astype(np.float64) - exp.astype(np.float64)).max()
    scale = max(1.0, np.abs(exp.astype(np.float64)).max())
    ok = err / scale <= tol
    print(f"{'PASS' if ok else 'FAIL'} max_abs_err={err:g}")
    return 0 if ok else 1


if __name__ == "__main__":
    if sys.argv[1] == "gen":
        gen(sys.argv[2], sys.argv[3])
    else:
        sys.exit(check(sys.argv[2], sys.argv[3]))

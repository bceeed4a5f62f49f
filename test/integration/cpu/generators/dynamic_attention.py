#!/usr/bin/env python3
"""Writes the dynamic-length flash-attention test: per variant one model
`<variant>.mlir` whose `@attn` takes runtime batch / sequence lengths
(tensor<Bx2x?x16xf32>, ...), called by static entries `@s<Sq>_<Skv>` that
cast their inputs to the dynamic types; plus the NumPy results they must
give. Variants: full (dynamic batch too), causal (Sq == Skv and decode-like
Sq < Skv), window, GQA (4 query heads over 2 key/value heads, causal) and
an explicit additive mask with dynamic [Sq, Skv] dims.

  dynamic_attention.py OUT_DIR
"""
import os
import sys

import numpy as np

D = 16
LENGTHS = (1, 7, 64, 65, 130)
WINDOW = 8

# name -> (batch, Hq, Hkv, mask kind, (Sq, Skv) pairs, dynamic batch)
VARIANTS = {
    "full": (2, 2, 2, "none", [(n, n) for n in LENGTHS] + [(7, 130)], True),
    "causal": (1, 2, 2, "causal",
               [(n, n) for n in LENGTHS] + [(1, 65), (7, 130), (64, 130)],
               False),
    "window": (1, 2, 2, "window",
               [(n, n) for n in LENGTHS] + [(1, 130), (7, 65)], False),
    "gqa": (1, 4, 2, "causal", [(n, n) for n in LENGTHS] + [(1, 130)], False),
    "mask": (1, 2, 2, "explicit",
             [(n, n) for n in LENGTHS] + [(64, 65), (65, 130)], False),
}


def reference(q, k, v, kind, mask):
    b, hq, sq, _ = q.shape
    hkv, skv = k.shape[1], k.shape[2]
    g = hq // hkv
    k = np.repeat(k.astype(np.float64), g, axis=1)
    v = np.repeat(v.astype(np.float64), g, axis=1)
    s = q.astype(np.float64) @ k.transpose(0, 1, 3, 2) / np.sqrt(D)
    i = np.arange(sq)[:, None] + (skv - sq)
    j = np.arange(skv)[None, :]
    if kind in ("causal", "window"):
        vis = j <= i
        if kind == "window":
            vis &= j > i - WINDOW
        s = np.where(vis, s, -np.inf)
    if kind == "explicit":
        s = s + mask.astype(np.float64)
    m = s.max(axis=-1, keepdims=True)
    p = np.exp(s - m)
    return ((p / p.sum(axis=-1, keepdims=True)) @ v).astype(np.float32)


def ty(b, h, s, d):
    return f"tensor<{b}x{h}x{s}x{d}xf32>"


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(20)
    for name, (b, hq, hkv, kind, pairs, dyn_b) in VARIANTS.items():
        db = "?" if dyn_b else b
        qd, kd = ty(db, hq, "?", D), ty(db, hkv, "?", D)
        mdt = "tensor<1x1x?x?xf32>"
        attrs = {"none": "{}", "causal": "{mask = #effc.mask<causal>}",
                 "window": f"{{mask = #effc.mask<window>, window = {WINDOW} : i64}}",
                 "explicit": "{mask = #effc.mask<explicit>}"}[kind]
        mask_arg = f", %m: {mdt}" if kind == "explicit" else ""
        mask_use = f" mask(%m : {mdt})" if kind == "explicit" else ""
        lines = ["module {",
                 f"  func.func private @attn(%q: {qd}, %k: {kd}, %v: {kd}{mask_arg}) -> {qd} {{",
                 f"    %o = effc.attention %q, %k, %v{mask_use} {attrs} : {qd}, {kd}, {kd} -> {qd}",
                 f"    return %o : {qd}",
                 "  }"]
        for sq, skv in pairs:
            qs, ks = ty(b, hq, sq, D), ty(b, hkv, skv, D)
            q = rng.standard_normal((b, hq, sq, D)).astype(np.float32)
            k = rng.standard_normal((b, hkv, skv, D)).astype(np.float32)
            v = rng.standard_normal((b, hkv, skv, D)).astype(np.float32)
            mask = None
            tag = f"{name}_{sq}_{skv}"
            np.save(os.path.join(out, f"{tag}.q.npy"), q)
            np.save(os.path.join(out, f"{tag}.k.npy"), k)
            np.save(os.path.join(out, f"{tag}.v.npy"), v)
            args = [f"%q: {qs}", f"%k: {ks}", f"%v: {ks}"]
            if kind == "explicit":
                # Additive: some keys hidden (-1e9), the rest biased.
                mask = rng.standard_normal((1, 1, sq, skv)).astype(np.float32)
                mask[rng.random((1, 1, sq, skv)) < 0.2] = -1e9
                mask[..., 0] = 0.0  # every row sees a key
                np.save(os.path.join(out, f"{tag}.m.npy"), mask)
                args.append(f"%m: tensor<1x1x{sq}x{skv}xf32>")
            np.save(os.path.join(out, f"{tag}.expected.npy"),
                    reference(q, k, v, kind, mask))
            body = [f"    %dq = tensor.cast %q : {qs} to {qd}",
                    f"    %dk = tensor.cast %k : {ks} to {kd}",
                    f"    %dv = tensor.cast %v : {ks} to {kd}"]
            call = "%dq, %dk, %dv"
            types = f"{qd}, {kd}, {kd}"
            if kind == "explicit":
                body.append(f"    %dm = tensor.cast %m : tensor<1x1x{sq}x{skv}xf32> to {mdt}")
                call += ", %dm"
                types += f", {mdt}"
            # no_inline keeps @attn the one dynamic function every entry runs.
            lines += [f"  func.func @s{sq}_{skv}({', '.join(args)}) -> {qs} {{"] + body + [
                f"    %o = func.call @attn({call}) {{no_inline}} : ({types}) -> {qd}",
                f"    %s = tensor.cast %o : {qd} to {qs}",
                f"    return %s : {qs}",
                "  }"]
        lines.append("}")
        with open(os.path.join(out, f"{name}.mlir"), "w") as f:
            f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()

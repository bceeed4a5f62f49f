#!/usr/bin/env python3
"""Compares the fixed-point HLS output of float_mlp.py's model with the
CPU's float output within a bound derived from the fixed-point format
ap_fixed<W, I> (round to nearest, 2^-(W-I) resolution u):

  every stored value (input, weight, bias, layer output) is off by at most
  u / 2 from its float value and products accumulate exactly, so a layer
  adds (|W| + u/2) @ e_in + |x| @ u/2 + u/2 (bias) + u/2 (output) to the
  error e_in of its input (ReLU does not increase it);

plus 1e-5 relative to |x| @ |W| for the CPU's own f32 rounding. The HLS
output must also equal, bit for bit, a NumPy emulation of the fixed-point
arithmetic (integers in units of u: round half to even and saturate on
every store, exact sums of products). Prints 'PASS NAME ...' or exits
non-zero.

Usage: compare_fixed.py NAME HLS.npy CPU.npy X.npy WEIGHTS.npz W I [nm]
('nm': the weights are 2:4-pruned as --effc-prune does first)."""

import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "..", "cpu", "generators"))
from prune_ref import prune_nm  # noqa: E402


def to_fixed(v, frac, width):
    """Round half to even to `frac` fraction bits and saturate to `width`
    bits: the raw integers of ap_fixed<width, width - frac, AP_RND_CONV,
    AP_SAT>."""
    r = np.rint(np.asarray(v, np.float64) * 2.0 ** frac).astype(np.int64)
    return np.clip(r, -(1 << (width - 1)), (1 << (width - 1)) - 1)


def requantize(acc, shift, width):
    """acc / 2^shift rounded half to even, saturated to `width` bits."""
    q = acc >> shift
    rem = acc - (q << shift)
    half = np.int64(1) << (shift - 1)
    q = q + ((rem > half) | ((rem == half) & ((q & 1) == 1)))
    return np.clip(q, -(1 << (width - 1)), (1 << (width - 1)) - 1)


def emulate(x, layers, width, frac):
    """The HLS kernel's arithmetic on integers."""
    h = to_fixed(x, frac, width)
    for w, b in layers:
        acc = h @ to_fixed(w, frac, width).T + (to_fixed(b, frac, width)
                                                << frac)
        h = requantize(np.maximum(acc, 0), frac, width)
    return (h.astype(np.float64) * 2.0 ** -frac).astype(np.float32)


def main(argv):
    name, hls, cpu, xpath, wpath = argv[1:6]
    width, integer = int(argv[6]), int(argv[7])
    pruned = len(argv) > 8 and argv[8] == "nm"
    u = 2.0 ** -(width - integer)
    weights = np.load(wpath)
    h = np.load(xpath).astype(np.float64)
    err = np.full(h.shape, u / 2)
    slack = np.zeros(h.shape)
    i, layers = 0, []
    while f"w{i}" in weights:
        w = weights[f"w{i}"].astype(np.float64)
        if pruned:
            w = prune_nm(weights[f"w{i}"], 2, 4).astype(np.float64)
        layers.append((w, weights[f"b{i}"]))
        b = weights[f"b{i}"].astype(np.float64)
        aw = np.abs(w)
        err = err @ (aw + u / 2).T + np.abs(h) @ np.full(w.shape, u / 2).T \
            + u
        slack = slack @ aw.T + 1e-5 * (np.abs(h) @ aw.T)
        h = np.maximum(h @ w.T + b, 0.0)
        i += 1
    bound = err + slack
    got, want = np.load(hls), np.load(cpu)
    if got.shape != want.shape:
        sys.exit(f"FAIL {name}: shapes {got.shape} vs {want.shape}")
    diff = np.abs(got.astype(np.float64) - want.astype(np.float64))
    worst = np.unravel_index(np.argmax(diff - bound), diff.shape)
    if np.any(diff > bound):
        sys.exit(f"FAIL {name}: |hls - cpu| = {diff[worst]:.6g} > bound "
                 f"{bound[worst]:.6g} at {worst}")
    emulated = emulate(np.load(xpath), layers, width, width - integer)
    if emulated.tobytes() != got.astype(np.float32).tobytes():
        bad = np.argwhere(emulated != got)[0]
        sys.exit(f"FAIL {name}: hls {got[tuple(bad)]} != fixed-point "
                 f"emulation {emulated[tuple(bad)]} at {tuple(bad)}")
    print(f"PASS {name}: bit-exact with the fixed-point emulation, "
          f"within the bound of the CPU (max |diff| {diff.max():.3g}, "
          f"mean bound {bound.mean():.3g})")


if __name__ == "__main__":
    main(sys.argv)

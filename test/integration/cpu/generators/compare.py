#!/usr/bin/env python3
"""Compares effc's outputs with the expected ones written by gen.py.

  compare.py [--tol T] OUT.npy EXPECTED.npy [OUT.npy EXPECTED.npy ...]

For each pair it prints one line

  PASS <out name> shape=(...) max_abs_err=... rel_err=...
  FAIL <out name> <why>

where rel_err = max|out - expected| / max(1, max|expected|) must be <= T
(default 1e-4), shapes must match, the output must be float32 and free of
NaN/Inf. Exits 1 when any pair fails. The out name is the file's base name
without .npy, so a test can CHECK for `PASS <entry>`.
"""

import os
import sys

import numpy as np


def compare(out_path, exp_path, tol):
    name = os.path.basename(out_path)
    if name.endswith(".npy"):
        name = name[:-4]
    try:
        out = np.load(out_path)
    except Exception as e:  # a missing or malformed file is a failure
        return False, f"FAIL {name} cannot read {out_path}: {e}"
    exp = np.load(exp_path)
    if out.shape != exp.shape:
        return False, (f"FAIL {name} shape {out.shape} != expected "
                       f"{exp.shape}")
    if out.dtype != exp.dtype:
        return False, (f"FAIL {name} dtype {out.dtype} != expected "
                       f"{exp.dtype}")
    if not np.isfinite(out).all():
        bad = np.argwhere(~np.isfinite(out))[0]
        return False, (f"FAIL {name} non-finite value {out[tuple(bad)]} at "
                       f"{tuple(int(i) for i in bad)}")
    diff = np.abs(out.astype(np.float64) - exp.astype(np.float64))
    max_abs = float(diff.max()) if diff.size else 0.0
    denom = max(1.0, float(np.abs(exp).max()) if exp.size else 0.0)
    rel = max_abs / denom
    stats = f"shape={out.shape} max_abs_err={max_abs:.3g} rel_err={rel:.3g}"
    if not rel <= tol:
        worst = tuple(int(i) for i in np.unravel_index(diff.argmax(),
                                                       diff.shape))
        return False, (f"FAIL {name} {stats} > {tol:g}; worst at {worst}: "
                       f"got {out[worst]!r}, expected {exp[worst]!r}")
    return True, f"PASS {name} {stats}"


def main(argv):
    args = argv[1:]
    tol = 1e-4
    if len(args) >= 2 and args[0] == "--tol":
        tol = float(args[1])
        args = args[2:]
    if not args or len(args) % 2:
        sys.stderr.write(__doc__)
        return 2
    ok = True
    for out_path, exp_path in zip(args[::2], args[1::2]):
        good, line = compare(out_path, exp_path, tol)
        print(line)
        ok &= good
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))

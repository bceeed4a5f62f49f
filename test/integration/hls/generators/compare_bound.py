#!/usr/bin/env python3
"""Checks that an HLS C-simulation output is within an absolute error bound
of effc-run's CPU output (float models computed in fixed point).
Usage: compare_bound.py NAME HLS.npy CPU.npy BOUND
Prints 'WITHIN NAME max_abs_err=E' or exits non-zero with the error."""

import sys

import numpy as np


def main(argv):
    name, hls_path, cpu_path, bound = argv[1], argv[2], argv[3], float(argv[4])
    hls, cpu = np.load(hls_path), np.load(cpu_path)
    if hls.shape != cpu.shape:
        sys.exit(f"FAIL {name}: shapes {hls.shape} and {cpu.shape}")
    for what, a in (("HLS", hls), ("CPU", cpu)):
        if not np.all(np.isfinite(a)):
            sys.exit(f"FAIL {name}: the {what} output has non-finite values")
    err = float(np.max(np.abs(hls.astype(np.float64) - cpu.astype(np.float64))))
    if err > bound:
        sys.exit(f"FAIL {name}: max abs error {err:.6g} > {bound}")
    print(f"WITHIN {name} max_abs_err<={bound}")


if __name__ == "__main__":
    main(sys.argv)

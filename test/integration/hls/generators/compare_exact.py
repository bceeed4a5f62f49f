#!/usr/bin/env python3
"""Checks that .npy files hold the same array bit for bit (same dtype,
shape and bytes). Usage: compare_exact.py NAME A.npy B.npy [C.npy ...]
Prints 'EXACT NAME dtype shape' or exits non-zero naming the first
difference."""

import sys

import numpy as np


def main(argv):
    name, paths = argv[1], argv[2:]
    arrays = [np.load(p) for p in paths]
    first = arrays[0]
    for p, a in zip(paths[1:], arrays[1:]):
        if a.dtype != first.dtype or a.shape != first.shape:
            sys.exit(f"FAIL {name}: {paths[0]} is {first.dtype}{first.shape}, "
                     f"{p} is {a.dtype}{a.shape}")
        if first.tobytes() != a.tobytes():
            diff = np.argwhere(first != a)
            idx = tuple(diff[0]) if len(diff) else "bits"
            sys.exit(f"FAIL {name}: {paths[0]} and {p} differ at {idx} "
                     f"({np.count_nonzero(first != a)} elements)")
    print(f"EXACT {name} {first.dtype} {first.shape}")


if __name__ == "__main__":
    main(sys.argv)

#!/usr/bin/env python3
"""Writes a seeded standard-normal f32 array as .npy.
Usage: random_input.py OUT.npy SEED D0 [D1 ...]"""

import sys

import numpy as np

out, seed, shape = sys.argv[1], int(sys.argv[2]), [int(d) for d in sys.argv[3:]]
np.save(out, np.random.default_rng(seed).standard_normal(shape).astype(np.float32))

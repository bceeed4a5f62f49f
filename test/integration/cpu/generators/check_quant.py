#!/usr/bin/env python3
"""Checks a quantized model's output against the float reference.

  check_quant.py OUT.npy EXPECTED.npy REPORT.json [--min-sqnr DB]
                 [--max-bytes-ratio R] [--max-bits B]

Prints one line, `PASS ...` or `FAIL ...` (exit 1): the SQNR of OUT against
EXPECTED in dB (10 log10(sum ref^2 / sum (ref - out)^2)), and from the
--effc-report JSON the stored weight bytes over the dense f32 bytes and the
stored bits per weight.
"""

import json
import sys

import numpy as np


def main():
    out, ref, report = sys.argv[1:4]
    opts = dict(zip(sys.argv[4::2], sys.argv[5::2]))
    y = np.load(out).astype(np.float64)
    r = np.load(ref).astype(np.float64)
    if y.shape != r.shape:
        print(f"FAIL shape {y.shape} != {r.shape}")
        sys.exit(1)
    noise = ((r - y) ** 2).sum()
    sqnr = float("inf") if noise == 0 else 10 * np.log10((r ** 2).sum() / noise)
    totals = json.load(open(report))["totals"]
    ratio = totals["weight_bytes"] / totals["dense_f32_bytes"]
    bits = totals["bits_per_weight"]
    ok = np.isfinite(y).all()
    msg = [f"sqnr_db={sqnr:.2f}", f"bytes_ratio={ratio:.3f}", f"bits={bits:.3f}"]
    if "--min-sqnr" in opts:
        ok &= sqnr >= float(opts["--min-sqnr"])
        msg.append(f"(min {opts['--min-sqnr']} dB)")
    if "--max-bytes-ratio" in opts:
        ok &= ratio <= float(opts["--max-bytes-ratio"])
        msg.append(f"(max ratio {opts['--max-bytes-ratio']})")
    if "--max-bits" in opts:
        ok &= bits <= float(opts["--max-bits"])
        msg.append(f"(max bits {opts['--max-bits']})")
    print(("PASS " if ok else "FAIL ") + " ".join(msg))
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()

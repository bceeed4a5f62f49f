"""Top-1 accuracy of effc-run's logits on the digits test split, checked
against PyTorch's recorded accuracy or against another run's.

usage: top1.py LOGITS.npy LABELS.npy NAME [--torch META.json]
               [--fp32 FP32_LOGITS.npy --max-drop POINTS]

Prints `NAME: top-1 XX.XX% (C/N)` and then one `OK ...` or `FAIL ...` line
per check: `--torch` the correct count equals PyTorch's (the meta JSON's
`torch_correct`, written by scripts/models/export.py), `--fp32` the
accuracy is at most POINTS percentage points below the fp32 run's.
"""

import argparse
import json
import sys

import numpy as np

p = argparse.ArgumentParser()
p.add_argument("logits")
p.add_argument("labels")
p.add_argument("name")
p.add_argument("--torch")
p.add_argument("--fp32")
p.add_argument("--max-drop", type=float, default=0.3)
a = p.parse_args()

labels = np.load(a.labels)
logits = np.load(a.logits)
assert logits.shape == (labels.shape[0], 10), logits.shape
correct = int(np.sum(np.argmax(logits, -1) == labels))
acc = 100.0 * correct / labels.shape[0]
print(f"{a.name}: top-1 {acc:.2f}% ({correct}/{labels.shape[0]})")
ok = True
if a.torch:
    with open(a.torch) as f:
        want = json.load(f)["torch_correct"]
    good = correct == want
    ok &= good
    print(f"{'OK' if good else 'FAIL'} matches PyTorch: {correct} == {want}")
if a.fp32:
    ref = int(np.sum(np.argmax(np.load(a.fp32), -1) == labels))
    drop = 100.0 * (ref - correct) / labels.shape[0]
    good = drop <= a.max_drop + 1e-9
    ok &= good
    print(f"{'OK' if good else 'FAIL'} within {a.max_drop} points of fp32: "
          f"drop {drop:.2f}")
sys.exit(0 if ok else 1)

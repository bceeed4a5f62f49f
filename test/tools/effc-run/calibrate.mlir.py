"""Checks effc-run --calibrate statistics against NumPy (see calibrate.mlir)."""
import json
import os
import sys

import numpy as np

x = np.load(sys.argv[1])["x"].astype(np.float64)  # [5, 2, 8]
a = json.load(open(sys.argv[2]))
b = json.load(open(sys.argv[3]))
assert a["version"] == 1 and a["bins"] == 2048
fc0 = x
fc1 = np.maximum(x @ np.full((4, 8), 0.25).T, 0)
for name, act in (("fc0", fc0), ("fc1", fc1)):
    s = a["ops"][name]
    assert np.isclose(s["min"], act.min(), rtol=1e-6), (name, s["min"])
    assert np.isclose(s["max"], act.max(), rtol=1e-6), (name, s["max"])
    assert s["count"] == act.size and s["row_length"] == act.shape[-1]
    hmax = max(abs(act.min()), abs(act.max()))
    assert np.isclose(s["hist_max"], hmax, rtol=1e-6)
    h = np.zeros(2048)
    bins = np.minimum((np.abs(act.astype(np.float32)).astype(np.float64) / (hmax / 2048)).astype(int), 2047)
    np.add.at(h, bins.ravel(), 1)
    assert np.array_equal(np.array(s["hist"]), h), name
    rows = np.array(s["rows"])
    assert rows.shape[1] == act.shape[-1] and 1 <= rows.shape[0] <= 32
    flat = act.reshape(-1, act.shape[-1])
    assert all(any(np.allclose(r, f, rtol=1e-6) for f in flat) for r in rows)
    assert np.allclose(s["mean"], flat.mean(axis=0), rtol=1e-5, atol=1e-6)
    # The Gram matrix of the input rows, beside the JSON (OBS's Hessian).
    gram = np.load(os.path.join(os.path.dirname(sys.argv[2]), s["gram"]))
    assert s["gram_rows"] == flat.shape[0]
    assert np.allclose(gram, flat.T @ flat, rtol=1e-5, atol=1e-6), name
    print(f"OK {name} min/max hist rows mean gram")
strip = lambda ops: {k: {f: v for f, v in o.items() if f != "gram"} for k, o in ops.items()}
assert strip(a["ops"]) == strip(b["ops"])
print("OK npy == npz")

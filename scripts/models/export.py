#!/usr/bin/env python3
"""Exports the real-model suite (scripts/models/models.py) for `make eval`.

For each model, into OUT/<name>/:
  linalg.mlir, tosa.mlir   torch-mlir's two forms (func @main)
  model.onnx               torch.onnx.export(dynamo=False, opset_version=17)
  input<i>.npy             the evaluation batch, in argument order
  calib.npz                calibration rows (np.savez, one array per argument,
                           samples stacked along a new leading dim)
  calib_arg0.npy           the first argument's calibration rows
  reference0.npy           PyTorch's fp32 output on the evaluation batch
  labels.npy               digits only: the test labels
  meta.json                metric, argument names, shapes, torch's accuracy

usage: export.py --out build/models [--models a,b] [--forms linalg,tosa,onnx]

With --test-data (test/models/Inputs/, which `make test` runs without
torch), only the MLIR forms and the data are written:
OUT/<name>.{linalg,tosa}.mlir, OUT/<name>.json (meta, with PyTorch's
accuracy) and OUT/digits_{x,labels,calib}.npy (the test split, its labels and
the calibration rows [1, 360, 64]). Regenerate them with
  python3 scripts/models/export.py --test-data --models digits_mlp,digits_cnn \
      --forms linalg,tosa --out test/models/Inputs
"""

import argparse
import json
import os
import sys
import time
import warnings

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "..", "examples", "pytorch"))

import models  # noqa: E402
from effc_torch import export_mlir, save_npys, torch_outputs  # noqa: E402

# The legacy ONNX exporter's deprecation and tracer warnings (a causal mask
# and shapes traced as constants is what a static-shape export wants).
warnings.filterwarnings("ignore")


def export_onnx(m, path):
    inputs = tuple(torch.from_numpy(a) for a in m.inputs)
    with torch.no_grad():
        torch.onnx.export(m.module, inputs, path, dynamo=False,
                          opset_version=17, input_names=m.input_names,
                          output_names=["output"])


def top1(logits, labels):
    return float(np.mean(np.argmax(logits, axis=-1) == labels))


def export_model(m, out, forms, test_data=False):
    inputs = tuple(torch.from_numpy(a) for a in m.inputs)
    ref = torch_outputs(m.module, inputs)
    meta = {"name": m.name, "metric": m.metric, "note": m.note,
            "input_names": m.input_names,
            "input_shapes": [list(a.shape) for a in m.inputs],
            "input_dtypes": [str(a.dtype) for a in m.inputs],
            "calib_samples": int(m.calib[0].shape[0]),
            "params": int(sum(p.numel() for p in m.module.parameters())),
            "param_bytes": int(sum(
                t.numel() * t.element_size() for t in
                {id(t): t for t in m.module.state_dict().values()}.values()))}
    if m.labels is not None:
        meta["torch_top1"] = top1(ref[0], m.labels)
        meta["torch_correct"] = int(np.sum(np.argmax(ref[0], -1) == m.labels))
    if test_data:
        for form in forms:
            export_mlir(m.module, inputs, os.path.join(out, f"{m.name}.{form}.mlir"),
                        form=form)
        with open(os.path.join(out, f"{m.name}.json"), "w") as f:
            json.dump(meta, f, indent=1)
        return meta

    d = os.path.join(out, m.name)
    os.makedirs(d, exist_ok=True)
    save_npys(m.inputs, os.path.join(d, "input"))
    save_npys(ref, os.path.join(d, "reference"))
    np.savez(os.path.join(d, "calib.npz"), *m.calib)
    np.save(os.path.join(d, "calib_arg0.npy"), m.calib[0])
    if m.labels is not None:
        np.save(os.path.join(d, "labels.npy"), m.labels)
    # A form that fails to export is recorded (eval.py lists it in the
    # table), not fatal: the other forms and models still run.
    meta["export_errors"] = {}
    for form in forms:
        t = time.time()
        path = os.path.join(d, "model.onnx" if form == "onnx" else f"{form}.mlir")
        if os.path.exists(path):
            os.remove(path)
        try:
            if form == "onnx":
                export_onnx(m, path)
            else:
                export_mlir(m.module, inputs, path, form=form)
        except Exception as e:  # noqa: BLE001 - recorded
            msg = (str(e).strip().splitlines() or [""])[0]
            meta["export_errors"][form] = f"{type(e).__name__}: {msg[:300]}"
            print(f"  {m.name}: {form} export FAILED: {meta['export_errors'][form]}",
                  flush=True)
            continue
        print(f"  {m.name}: {form} in {time.time() - t:.1f} s", flush=True)
    with open(os.path.join(d, "meta.json"), "w") as f:
        json.dump(meta, f, indent=1)
    return meta


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--out", required=True)
    p.add_argument("--models", default=",".join(models.MODELS))
    p.add_argument("--forms", default="linalg,tosa,onnx")
    p.add_argument("--test-data", action="store_true")
    a = p.parse_args()
    os.makedirs(a.out, exist_ok=True)
    torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))
    for name in a.models.split(","):
        t = time.time()
        try:
            m = models.MODELS[name]()
        except Exception as e:  # noqa: BLE001 - the other models still export
            print(f"{name}: building the model FAILED: {type(e).__name__}: {e}",
                  flush=True)
            continue
        meta = export_model(m, a.out, [f for f in a.forms.split(",") if f],
                            test_data=a.test_data)
        if a.test_data and m.labels is not None and name == "digits_mlp":
            np.save(os.path.join(a.out, "digits_x.npy"), m.inputs[0])
            np.save(os.path.join(a.out, "digits_labels.npy"), m.labels)
            np.save(os.path.join(a.out, "digits_calib.npy"), m.calib[0])
        extra = f", torch top-1 {meta['torch_top1']:.4f}" if "torch_top1" in meta else ""
        print(f"{name}: exported in {time.time() - t:.1f} s{extra}", flush=True)


if __name__ == "__main__":
    main()

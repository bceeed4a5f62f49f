#!/usr/bin/env python3
"""effc-import-torch: PyTorch -> MLIR for effc, through torch-mlir.

A PyTorch module and example inputs go through
`torch_mlir.fx.export_and_import(..., output_type=..., func_name="main")`
(torch.export underneath, so shapes are the example inputs' shapes), and the
result is written as a `.mlir` file that `effc-opt` / `effc-run` read as it
is. The example inputs are written as `.npy` files in argument order (and,
with `--reference`, PyTorch's own outputs), ready for
`effc-run FILE --entry main --input in0.npy ... --output out0.npy`.

As a library (what scripts/models/export.py uses):

    from effc_torch import export_mlir, save_npys
    export_mlir(module, (x,), "model.linalg.mlir", form="linalg")
    save_npys([x.numpy()], "x")             # x0.npy

As a script, on a file that defines a function returning
`(module, (example inputs...))`:

    effc_torch.py mymodel.py:build -o out/ --form linalg,tosa --reference
    # out/model.linalg.mlir  out/model.tosa.mlir  out/input0.npy ...
    # out/reference0.npy ...  (PyTorch's outputs on the example inputs)

    effc_torch.py mymodel.py:build -o out/ --check --effc-run build/bin/effc-run
    # also runs each form with effc-run and compares with PyTorch:
    # prints "<form>: output 0: max_abs_err=... (atol ...) OK" per output

Needs torch and torch-mlir (`pip install torch torch-mlir`, see
examples/pytorch/README.md).
"""

import argparse
import importlib.util
import os
import subprocess
import sys

import numpy as np

FORMS = {"linalg": "linalg-on-tensors", "tosa": "tosa"}


def make_buffers_persistent(module):
    """torch-mlir imports buffers from the state dict, so a non-persistent
    buffer (HF BERT's position_ids, every RoPE inv_freq) fails with "Could not
    find state mapping for buffer"; registering them all as persistent fixes
    it without changing what the module computes."""
    for m in module.modules():
        m._non_persistent_buffers_set.clear()


def export_mlir(module, inputs, path, form="linalg", func_name="main"):
    """Exports `module` called on `inputs` (a tuple of tensors) with
    torch-mlir in `form` ('linalg' or 'tosa', the torch-mlir output types
    'linalg-on-tensors' / 'tosa') and writes the MLIR text to `path`."""
    import torch
    from torch_mlir import fx

    if form not in FORMS:
        raise ValueError(f"form must be one of {sorted(FORMS)}, not {form!r}")
    module = module.eval()
    make_buffers_persistent(module)
    with torch.no_grad():
        mlir_module = fx.export_and_import(module, *inputs,
                                           output_type=FORMS[form],
                                           func_name=func_name)
    text = str(mlir_module)
    with open(path, "w") as f:
        f.write(text)
    return path


def save_npys(arrays, prefix):
    """Writes `arrays` as `<prefix>0.npy`, `<prefix>1.npy`, ... and returns the
    paths (effc-run's --input / --output order)."""
    paths = []
    for i, a in enumerate(arrays):
        p = f"{prefix}{i}.npy"
        np.save(p, np.ascontiguousarray(a))
        paths.append(p)
    return paths


def torch_outputs(module, inputs):
    """PyTorch's outputs on `inputs` as a list of numpy arrays."""
    import torch

    with torch.no_grad():
        out = module.eval()(*inputs)
    if isinstance(out, torch.Tensor):
        out = (out,)
    return [o.detach().numpy() for o in out]


def run_effc(effc_run, mlir, inputs, outputs, pipeline="effc-raise",
             entry="main"):
    """Runs `mlir` through effc-run with `pipeline` on the `.npy` inputs;
    writes the outputs to the given `.npy` paths and returns them as arrays.
    Raises RuntimeError with effc-run's first error line on failure."""
    cmd = [effc_run, mlir, "--entry", entry]
    if pipeline:
        cmd += ["--pipeline", pipeline]
    if inputs:
        cmd += ["--input", ",".join(inputs)]
    cmd += ["--output", ",".join(outputs)]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        lines = [l for l in r.stderr.splitlines() if "error" in l] or \
            r.stderr.splitlines() or [f"exit status {r.returncode}"]
        raise RuntimeError(lines[0])
    return [np.load(p) for p in outputs]


def _load_builder(spec):
    path, _, func = spec.partition(":")
    func = func or "build"
    s = importlib.util.spec_from_file_location("effc_torch_user_model", path)
    mod = importlib.util.module_from_spec(s)
    s.loader.exec_module(mod)
    return getattr(mod, func)


def main(argv=None):
    p = argparse.ArgumentParser(
        prog="effc-import-torch",
        description="Export a PyTorch module to MLIR (torch-mlir) and .npy "
                    "inputs for effc-run.")
    p.add_argument("builder", help="FILE.py[:FUNC] where FUNC (default "
                   "'build') returns (module, (example inputs...))")
    p.add_argument("-o", "--out", required=True, help="output directory")
    p.add_argument("--name", default="model", help="file name stem")
    p.add_argument("--form", default="linalg",
                   help="comma-separated: linalg, tosa (default linalg)")
    p.add_argument("--func-name", default="main")
    p.add_argument("--reference", action="store_true",
                   help="also write PyTorch's outputs as reference<i>.npy")
    p.add_argument("--check", action="store_true",
                   help="run each form with effc-run (--pipeline effc-raise) "
                   "and compare with PyTorch; non-zero exit on a mismatch")
    p.add_argument("--effc-run", default="effc-run",
                   help="effc-run binary for --check")
    p.add_argument("--pipeline", default="effc-raise",
                   help="effc-run --pipeline for --check")
    p.add_argument("--atol", type=float, default=1e-4)
    p.add_argument("--rtol", type=float, default=1e-4)
    a = p.parse_args(argv)

    import torch

    module, inputs = _load_builder(a.builder)()
    inputs = tuple(inputs)
    os.makedirs(a.out, exist_ok=True)
    in_paths = save_npys([t.numpy() for t in inputs],
                         os.path.join(a.out, "input"))
    ref = torch_outputs(module, inputs)
    if a.reference or a.check:
        save_npys(ref, os.path.join(a.out, "reference"))
    ok = True
    for form in a.form.split(","):
        mlir = os.path.join(a.out, f"{a.name}.{form}.mlir")
        export_mlir(module, inputs, mlir, form=form, func_name=a.func_name)
        print(f"wrote {mlir}")
        if not a.check:
            continue
        outs = [os.path.join(a.out, f"effc.{form}.out{i}.npy")
                for i in range(len(ref))]
        try:
            got = run_effc(a.effc_run, mlir, in_paths, outs,
                           pipeline=a.pipeline, entry=a.func_name)
        except RuntimeError as e:
            print(f"{form}: effc-run failed: {e}")
            ok = False
            continue
        for i, (g, r) in enumerate(zip(got, ref)):
            err = float(np.max(np.abs(g.astype(np.float64) - r)))
            good = g.shape == r.shape and np.allclose(g, r, atol=a.atol,
                                                      rtol=a.rtol)
            ok &= good
            print(f"{form}: output {i}: shape {list(g.shape)} "
                  f"max_abs_err={err:.3g} (atol {a.atol}, rtol {a.rtol}) "
                  f"{'OK' if good else 'MISMATCH'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

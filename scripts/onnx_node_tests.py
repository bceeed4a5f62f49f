#!/usr/bin/env python3
"""Runs ONNX backend node tests through effc-import-onnx and effc-run.

The tests come from the `onnx` package's own generators (Debian's
python3-onnx ships them without their data): `--data DIR` is generated with
`backend-test-tools generate-data` when it has no `node/` folder yet.

A list file names the tests the importer claims, one a line:

    test_reshape_reduced_dims  const=1   # inputs made initializers

`const=I,J` turns those graph inputs into initializers (with the test's own
data), as onnx-mlir's backend runner does for inputs that define shapes
(Reshape's shape, Slice's starts, ...): effc compiles static shapes.

For each test: the inputs are written as .npy, the model is imported, run by
`effc-run --entry main` (with --pipeline when given) and every output is
compared with the expected one (rtol 1e-3, atol 1e-7, as ONNX's backend
test runner; integers exactly). Prints PASS/FAIL per test and exits 1 on
any failure.

    onnx_node_tests.py --bin build/bin --data build/onnx-node-tests \
        --list test/Frontend/ONNX/node-tests.txt [-j N] [--pipeline effc-raise]
    onnx_node_tests.py ... --all      # try every node test (no exit status)
"""

import argparse
import concurrent.futures
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np

# Debian's onnx 1.12 still uses numpy aliases that numpy 1.24 removed.
for _name, _type in [("float", float), ("int", int), ("bool", bool),
                     ("object", object), ("complex", complex), ("str", str)]:
    if _name not in np.__dict__:
        setattr(np, _name, _type)

import warnings  # noqa: E402

warnings.filterwarnings("ignore")

import onnx  # noqa: E402
from onnx import numpy_helper  # noqa: E402

# effc's functions take signless integers: unsigned data travels as the
# signed type of the same width.
# Inputs that define the result's shape: effc compiles static shapes, so
# when a test feeds one of these as a graph input it becomes an initializer
# holding the test's data (as onnx-mlir's backend runner does).
SHAPE_INPUTS = {
    "Reshape": [1], "Expand": [1], "Slice": [1, 2, 3, 4], "Split": [1],
    "Squeeze": [1], "Unsqueeze": [1], "ReduceSum": [1], "ReduceMean": [1],
    "ReduceMax": [1], "ReduceMin": [1], "ReduceProd": [1],
    "ReduceSumSquare": [1], "ReduceL1": [1], "ReduceL2": [1],
    "Resize": [1, 2, 3], "Pad": [1, 3], "ConstantOfShape": [0],
    "Tile": [1], "Trilu": [1], "Range": [0, 1, 2], "CumSum": [1],
    "ReduceLogSumExp": [1], "ReduceLogSum": [1], "OneHot": [1],
}

SIGNED_VIEW = {np.dtype(np.uint8): np.int8, np.dtype(np.uint16): np.int16,
               np.dtype(np.uint32): np.int32, np.dtype(np.uint64): np.int64}


def generate(data_dir):
    if os.path.isdir(os.path.join(data_dir, "node")):
        return
    from onnx.backend.test.cmd_tools import main as tools_main
    os.makedirs(data_dir, exist_ok=True)
    argv = sys.argv
    sys.argv = ["backend-test-tools", "generate-data", "-o", data_dir]
    try:
        tools_main()
    finally:
        sys.argv = argv


def parse_list(path):
    tests = []
    with open(path) as f:
        for line in f:
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            fields = line.split()
            const = []
            for field in fields[1:]:
                key, _, value = field.partition("=")
                if key != "const":
                    raise SystemExit(f"{path}: unknown option '{field}'")
                const = [int(v) for v in value.split(",")]
            tests.append((fields[0], const))
    return tests


def load_tensor(path):
    tensor = onnx.TensorProto()
    with open(path, "rb") as f:
        tensor.ParseFromString(f.read())
    return numpy_helper.to_array(tensor)


def run_test(args, name, const):
    try:
        return run_test_unchecked(args, name, const)
    except Exception as e:  # a malformed test is a failure, not a crash
        return False, f"{type(e).__name__}: {e}"


def run_test_unchecked(args, name, const):
    test_dir = os.path.join(args.data, "node", name)
    data_dir = os.path.join(test_dir, "test_data_set_0")
    if not os.path.isdir(data_dir):
        return False, "no such node test"
    model = onnx.load(os.path.join(test_dir, "model.onnx"))
    inits = {i.name for i in model.graph.initializer}
    graph_inputs = [i for i in model.graph.input if i.name not in inits]
    inputs = [load_tensor(os.path.join(data_dir, f"input_{i}.pb"))
              for i in range(len(graph_inputs))]
    expected = [load_tensor(os.path.join(data_dir, f"output_{i}.pb"))
                for i in range(len(model.graph.output))]
    # Inputs made constants become initializers; the rest stay arguments.
    names = [i.name for i in graph_inputs]
    const = set(const)
    for node in model.graph.node:
        for index in SHAPE_INPUTS.get(node.op_type, []):
            if index < len(node.input) and node.input[index] in names:
                const.add(names.index(node.input[index]))
    for i in const:
        tensor = numpy_helper.from_array(inputs[i], graph_inputs[i].name)
        model.graph.initializer.append(tensor)
    kept = [i for i in range(len(graph_inputs)) if i not in const]
    for i in sorted(const, reverse=True):
        model.graph.input.remove(graph_inputs[i])

    work = tempfile.mkdtemp(prefix=name + ".", dir=args.work)
    try:
        model_path = os.path.join(work, "model.onnx")
        onnx.save(model, model_path)
        mlir_path = os.path.join(work, "model.mlir")
        proc = subprocess.run(
            [os.path.join(args.bin, "effc-import-onnx"), model_path, "-o",
             mlir_path], capture_output=True, text=True, errors="replace", timeout=120)
        if proc.returncode != 0:
            return False, "import: " + proc.stderr.strip()
        cmd = [os.path.join(args.bin, "effc-run"), mlir_path, "--entry",
               "main"]
        if args.pipeline:
            cmd += ["--pipeline", args.pipeline]
        for i in kept:
            array = np.array(inputs[i], order="C")  # keeps 0-d arrays 0-d
            if array.dtype in SIGNED_VIEW:
                array = array.view(SIGNED_VIEW[array.dtype])
            path = os.path.join(work, f"input_{i}.npy")
            np.save(path, array)
            cmd += ["--input", path]
        outputs = [os.path.join(work, f"output_{i}.npy")
                   for i in range(len(expected))]
        for path in outputs:
            cmd += ["--output", path]
        proc = subprocess.run(cmd, capture_output=True, text=True, errors="replace",
                              timeout=300)
        if proc.returncode != 0:
            return False, "run: " + (proc.stderr.strip() or
                                     f"exit code {proc.returncode}")
        for i, (path, want) in enumerate(zip(outputs, expected)):
            got = np.load(path)
            if want.dtype in SIGNED_VIEW:
                got = got.view(want.dtype)
            if got.shape != want.shape:
                return False, (f"output {i}: shape {got.shape}, expected "
                               f"{want.shape}")
            if want.dtype.kind in "fc":
                try:
                    np.testing.assert_allclose(got, want, rtol=1e-3,
                                               atol=1e-7)
                except AssertionError as e:
                    return False, f"output {i}: " + str(e).strip().replace(
                        "\n", " ")[:300]
            elif not np.array_equal(got.astype(want.dtype), want):
                return False, f"output {i}: differs from the expected values"
        return True, ""
    except subprocess.TimeoutExpired:
        return False, "timed out"
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--bin", required=True,
                        help="folder with effc-import-onnx and effc-run")
    parser.add_argument("--data", required=True,
                        help="node test data (generated when missing)")
    parser.add_argument("--list", help="the tests the importer claims")
    parser.add_argument("--all", action="store_true",
                        help="try every generated node test")
    parser.add_argument("--filter", default="",
                        help="only tests whose name contains this")
    parser.add_argument("--pipeline", default="",
                        help="effc-run --pipeline (e.g. effc-raise)")
    parser.add_argument("-j", "--jobs", type=int,
                        default=max(1, os.cpu_count() or 1))
    parser.add_argument("--work", default=None,
                        help="scratch folder (default: a temporary one)")
    parser.add_argument("--keep", action="store_true",
                        help="keep each test's scratch folder")
    args = parser.parse_args()

    generate(args.data)
    if args.all:
        tests = [(n, []) for n in sorted(
            os.listdir(os.path.join(args.data, "node")))]
    elif args.list:
        tests = parse_list(args.list)
    else:
        parser.error("give --list or --all")
    tests = [t for t in tests if args.filter in t[0]]
    own_work = args.work is None
    if own_work:
        args.work = tempfile.mkdtemp(prefix="onnx-node-tests.")
    os.makedirs(args.work, exist_ok=True)

    failures = 0
    try:
        with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
            futures = [pool.submit(run_test, args, name, const)
                       for name, const in tests]
            for (name, _), future in zip(tests, futures):
                ok, message = future.result()
                if ok:
                    print(f"PASS {name}")
                else:
                    failures += 1
                    print(f"FAIL {name}: {message.splitlines()[0] if message else ''}")
                sys.stdout.flush()
    finally:
        if own_work and not args.keep:
            shutil.rmtree(args.work, ignore_errors=True)
    print(f"onnx node tests: {len(tests) - failures} passed, {failures} "
          f"failed, {len(tests)} total")
    if args.all:
        return 0
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

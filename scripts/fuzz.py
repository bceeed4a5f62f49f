#!/usr/bin/env python3
"""Mutation fuzzing of effc's tools: no input may crash them.

  fuzz.py --bin build/bin [--seed S] [--count N] [--timeout T] SEED.mlir...
          [--pipeline "--effc-raise --effc-rewrite-attention"]...
          [--keep DIR]

Each case takes one seed file, applies one to three random mutations
(delete, duplicate or swap lines; replace a number, an identifier, a type
or a punctuation character; truncate) and runs `effc-opt` on it with each
pipeline. A run passes when the tool exits 0, or 1 with an `error:`
diagnostic; it fails on a signal (a crash), any other exit code, a hang
(--timeout), or an internal error message (an LLVM ERROR, an assertion, a
stack dump). Failing inputs are written to --keep with the command that
failed. Prints one line per failure and a summary; exits 1 when any case
failed. Deterministic for a given --seed.
"""

import argparse
import os
import random
import re
import shlex
import subprocess
import sys
import tempfile

INTERNAL = re.compile(r"LLVM ERROR|Assertion .* failed|PLEASE submit a bug "
                      r"report|Stack dump|UNREACHABLE executed|"
                      r"terminate called")
TYPES = ["f32", "f16", "bf16", "i8", "i32", "i64", "index", "f64", "i1",
         "tensor<?xf32>", "tensor<2x3xf32>", "tensor<0x4xf32>",
         "tensor<1x1x1x1xf32>", "memref<4xf32>"]
NUMBERS = ["0", "-1", "1", "3", "7", "1024", "65536", "2147483648",
           "-9223372036854775808", "0.0", "-0.0", "1.0e+30", "nan", "inf"]
PUNCT = list("()[]{}<>,:=%@#\"")


def mutate(text, rng):
    lines = text.split("\n")
    kind = rng.choice(["delete", "dup", "swap", "number", "ident", "type",
                       "punct", "truncate"])
    i = rng.randrange(len(lines))
    if kind == "delete" and len(lines) > 1:
        del lines[i]
    elif kind == "dup":
        lines.insert(i, lines[rng.randrange(len(lines))])
    elif kind == "swap":
        j = rng.randrange(len(lines))
        lines[i], lines[j] = lines[j], lines[i]
    elif kind == "number":
        nums = list(re.finditer(r"-?\d+(\.\d+)?(e[+-]?\d+)?", lines[i]))
        if nums:
            m = rng.choice(nums)
            lines[i] = (lines[i][:m.start()] + rng.choice(NUMBERS)
                        + lines[i][m.end():])
    elif kind == "ident":
        ids = list(re.finditer(r"%[\w.]+", lines[i]))
        pool = re.findall(r"%[\w.]+", text)
        if ids and pool:
            m = rng.choice(ids)
            lines[i] = lines[i][:m.start()] + rng.choice(pool) + lines[i][m.end():]
    elif kind == "type":
        ts = list(re.finditer(r"\b(f32|f16|bf16|i8|i32|i64|f64|index|i1)\b|"
                              r"tensor<[^<>]*>", lines[i]))
        if ts:
            m = rng.choice(ts)
            lines[i] = lines[i][:m.start()] + rng.choice(TYPES) + lines[i][m.end():]
    elif kind == "punct":
        if lines[i]:
            k = rng.randrange(len(lines[i]))
            lines[i] = lines[i][:k] + rng.choice(PUNCT) + lines[i][k + 1:]
    elif kind == "truncate":
        cut = rng.randrange(len(text) + 1)
        return text[:cut]
    return "\n".join(lines)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("seeds", nargs="+")
    p.add_argument("--bin", default="build/bin")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--count", type=int, default=100)
    p.add_argument("--timeout", type=float, default=60)
    p.add_argument("--pipeline", action="append", default=[])
    p.add_argument("--keep", default="")
    a = p.parse_args()
    pipelines = a.pipeline or ["--effc-raise --effc-rewrite-attention",
                               "--effc-raise --effc-prune=method=nm "
                               "--effc-assign-precision=weights=i8 "
                               "--effc-quantize"]
    rng = random.Random(a.seed)
    texts = [(s, open(s).read()) for s in a.seeds]
    tool = os.path.join(a.bin, "effc-opt")
    failures = 0
    runs = 0
    for case in range(a.count):
        name, text = rng.choice(texts)
        for _ in range(rng.randint(1, 3)):
            text = mutate(text, rng)
        for pipe in pipelines:
            runs += 1
            # A file, as users pass input: a buffer read from stdin lets
            # libMLIR's lexer read past its end after a syntax error.
            with tempfile.NamedTemporaryFile("w", suffix=".mlir",
                                             delete=False) as f:
                f.write(text)
            cmd = [tool, f.name, "-o", os.devnull] + shlex.split(pipe)
            try:
                r = subprocess.run(cmd, capture_output=True, text=True,
                                   timeout=a.timeout)
                err = r.stderr
                bad = None
                if r.returncode < 0:
                    bad = f"signal {-r.returncode}"
                elif r.returncode not in (0, 1):
                    bad = f"exit code {r.returncode}"
                elif r.returncode == 1 and "error:" not in err:
                    bad = "exit 1 without an error: diagnostic"
                elif INTERNAL.search(err):
                    bad = "internal error: " + INTERNAL.search(err).group(0)
            except subprocess.TimeoutExpired:
                bad = f"hang (> {a.timeout:g} s)"
                err = ""
            finally:
                os.unlink(f.name)
            if bad:
                failures += 1
                where = ""
                if a.keep:
                    os.makedirs(a.keep, exist_ok=True)
                    where = os.path.join(a.keep, f"case{case}.mlir")
                    with open(where, "w") as f:
                        f.write(text)
                print(f"FAIL case {case} ({os.path.basename(name)}): {bad}: "
                      f"effc-opt {where or '<input>'} {pipe}", flush=True)
    print(f"fuzz: {runs} runs on {a.count} mutated inputs, {failures} "
          f"failure(s)")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Checks that docs/generated/ is what `make docs` produces now.

Usage: check_docs.py BUILD_DOCS_DIR COMMITTED_DIR

BUILD_DOCS_DIR is the build's docs/ folder (mlir-doc's output: Dialects/*.md
and the pass references); COMMITTED_DIR is docs/generated/. Exits 1 and names
every file that is missing, stale or left over, with the command that fixes
it.
"""
import difflib
import pathlib
import sys


def main(build_dir, committed_dir):
    build = pathlib.Path(build_dir)
    committed = pathlib.Path(committed_dir)
    generated = {p.name: p for p in list(build.glob("*.md")) +
                 list(build.glob("Dialects/*.md"))}
    present = {p.name: p for p in committed.glob("*.md")}
    problems = []
    for name, path in sorted(generated.items()):
        if name not in present:
            problems.append(f"{committed / name}: missing")
            continue
        new = path.read_text().splitlines(keepends=True)
        old = present[name].read_text().splitlines(keepends=True)
        if new != old:
            diff = "".join(list(difflib.unified_diff(
                old, new, str(present[name]), str(path)))[:40])
            problems.append(f"{present[name]}: stale\n{diff}")
    for name in sorted(set(present) - set(generated)):
        problems.append(f"{present[name]}: no longer generated")
    if not generated:
        problems.append(f"{build}: no generated docs (build target mlir-doc)")
    for p in problems:
        print("error: " + p, file=sys.stderr)
    if problems:
        print("docs/generated is out of date: run `make docs`", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1], sys.argv[2]))

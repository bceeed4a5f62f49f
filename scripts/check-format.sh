#!/usr/bin/env bash
# clang-format (LLVM style, the root .clang-format) on the C++ files that
# changed between BASE (default: the parent of HEAD) and HEAD.
#   scripts/check-format.sh [--fix] [BASE]
# Without --fix it prints the files that are not formatted and exits 1.
set -euo pipefail
cd "$(dirname "$0")/.."

fix=0
if [ "${1:-}" = "--fix" ]; then fix=1; shift; fi
base=${1:-HEAD~1}
if ! git rev-parse -q --verify "$base^{commit}" >/dev/null; then
  echo "check-format: no commit '$base'; nothing to compare"
  exit 0
fi
CF=$(command -v clang-format-22 || command -v clang-format || true)
if [ -z "$CF" ]; then
  echo "check-format: clang-format not found (run scripts/bootstrap.sh)" >&2
  exit 1
fi

mapfile -t files < <(git diff --name-only --diff-filter=ACMR "$base" HEAD -- \
  '*.cpp' '*.h' '*.c')
bad=()
for f in "${files[@]}"; do
  [ -f "$f" ] || continue
  if [ $fix = 1 ]; then
    "$CF" -i "$f"
  elif ! "$CF" --dry-run -Werror "$f" >/dev/null 2>&1; then
    bad+=("$f")
  fi
done
if [ ${#bad[@]} -gt 0 ]; then
  printf 'error: %s is not clang-formatted (make format)\n' "${bad[@]}" >&2
  exit 1
fi
echo "check-format: ${#files[@]} changed C++ file(s) formatted"

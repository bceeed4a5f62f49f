#!/usr/bin/env bash
# Thread fork/join on tiny models (issue 17): the same cases run by two
# effc-run binaries (before / after a change such as --effc-parallel-threshold)
# at OMP_NUM_THREADS=1 and 2, in alternating rounds; bench/results/threads.md
# has the table this printed.
#
# usage: bash bench/threads/compare.sh BEFORE/effc-run AFTER/effc-run [ROUNDS]
#
# Prints "case binary t=T r=R median_ms=... min_ms=..." per run. Generated
# inputs go to bench/scratch/threads (git ignores bench/scratch).
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BEFORE="$1"
AFTER="$2"
ROUNDS="${3:-3}"
S="$ROOT/bench/scratch/threads"
M="$ROOT/test/models"
mkdir -p "$S"

# A 1 x 8 input for the dynamic GPT block, and the synthetic kernels.
/usr/bin/python3 - "$M" "$S" <<'PY'
import sys
import numpy as np
m, s = sys.argv[1:]
np.save(f"{s}/gpt_dyn_1x8.npy", np.load(f"{m}/frontend/gpt_block_dyn.input0.npy")[:1])
def gemm(name, mm, k, n):
    t = "?" if mm == "?" else mm
    empty = "%m" if mm == "?" else ""
    open(f"{s}/{name}.mlir", "w").write(f"""func.func @main(%x: tensor<{t}x{k}xf32>, %w: tensor<{k}x{n}xf32>) -> tensor<{t}x{n}xf32> {{
  %c0 = arith.constant 0 : index
  %m = tensor.dim %x, %c0 : tensor<{t}x{k}xf32>
  %e = tensor.empty({empty}) : tensor<{t}x{n}xf32>
  %z = arith.constant 0.0 : f32
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<{t}x{n}xf32>) -> tensor<{t}x{n}xf32>
  %y = linalg.matmul ins(%x, %w : tensor<{t}x{k}xf32>, tensor<{k}x{n}xf32>) outs(%f : tensor<{t}x{n}xf32>) -> tensor<{t}x{n}xf32>
  return %y : tensor<{t}x{n}xf32>
}}
""")
gemm("mm_8x128x128", "8", 128, 128)
gemm("mm_16x128x128", "16", 128, 128)
gemm("gemm_512x1024x1024", "512", 1024, 1024)
gemm("gemm_dyn_x1024x1024", "?", 1024, 1024)
open(f"{s}/bias_relu_360x128.mlir", "w").write("""#m = affine_map<(i, j) -> (i, j)>
#b = affine_map<(i, j) -> (j)>
func.func @main(%a: tensor<360x128xf32>, %bias: tensor<128xf32>) -> tensor<360x128xf32> {
  %e = tensor.empty() : tensor<360x128xf32>
  %y = linalg.generic {indexing_maps = [#m, #b, #m], iterator_types = ["parallel", "parallel"]} ins(%a, %bias : tensor<360x128xf32>, tensor<128xf32>) outs(%e : tensor<360x128xf32>) {
  ^bb0(%x: f32, %w: f32, %o: f32):
    %s = arith.addf %x, %w : f32
    %z = arith.constant 0.0 : f32
    %r = arith.maximumf %s, %z : f32
    linalg.yield %r : f32
  } -> tensor<360x128xf32>
  return %y : tensor<360x128xf32>
}
""")
PY

NAMES=()
CMDS=()
add() { NAMES+=("$1"); CMDS+=("$2"); }
F="$M/frontend"
add gpt_block_1x8 "$F/gpt_block.linalg.mlir --entry main --pipeline effc-raise,effc-rewrite-attention --input $F/gpt_block.input.npy --bench 20000"
add gpt_block_dyn_specialized_1x8 "$F/gpt_block_dyn.linalg.mlir --entry main --pipeline 'effc-specialize{batch=1 seq=8},effc-raise,effc-rewrite-attention' --input $S/gpt_dyn_1x8.npy --bench 20000"
add gpt_block_dyn_1x8 "$F/gpt_block_dyn.linalg.mlir --entry main --pipeline effc-raise,effc-rewrite-attention --input $S/gpt_dyn_1x8.npy --bench 20000"
add mlp_dyn_4 "$F/mlp_dyn.linalg.mlir --entry main --pipeline effc-raise --input $F/mlp_dyn.input0.npy --bench 20000"
add mlp_gelu_4 "$F/mlp_gelu.linalg.mlir --entry main --pipeline effc-raise --input $F/mlp_gelu.input.npy --bench 20000"
add digits_mlp_360 "$M/Inputs/digits_mlp.linalg.mlir --entry main --pipeline effc-raise --input $M/Inputs/digits_x.npy --bench 5000"
add mm_8x128x128 "$S/mm_8x128x128.mlir --entry main --bench 20000"
add mm_16x128x128 "$S/mm_16x128x128.mlir --entry main --bench 20000"
add bias_relu_360x128 "$S/bias_relu_360x128.mlir --entry main --bench 20000"
add gemm_512x1024x1024 "$S/gemm_512x1024x1024.mlir --entry main --bench 30"
add gemm_dyn_512x1024x1024 "$S/gemm_dyn_x1024x1024.mlir --entry main --dynamic-size 512 --bench 30"

for r in $(seq "$ROUNDS"); do
  for i in "${!NAMES[@]}"; do
    for t in 1 2; do
      for which in before after; do
        bin="$BEFORE"
        [ "$which" = after ] && bin="$AFTER"
        out=$(eval "OMP_NUM_THREADS=$t $bin ${CMDS[$i]}" 2>&1 |
          grep -o "median_ms=[0-9.]* min_ms=[0-9.]*")
        echo "${NAMES[$i]} $which t=$t r=$r $out"
      done
    done
  done
done

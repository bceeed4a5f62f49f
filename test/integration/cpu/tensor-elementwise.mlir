// REQUIRES: numpy
// RUN: %python -c "import numpy as np; np.save('%t.npy', np.linspace(-3, 3, 20).reshape(5, 4).astype(np.float32))"
// RUN: effc-run %s --entry f --input %t.npy --compare-to-reference | FileCheck %s

// Tests that elementwise math on whole tensors (a tanh between two layers,
// found by scripts/fuzz.py) lowers on the CPU: it becomes a linalg.generic
// before the polynomial approximations, which used to leave invalid IR on
// the tensor op and hang the pipeline. tanh is within a few ulp of the
// reference lowering.

// CHECK: effc-run: output 0 max_abs_err={{[0-9.e+-]+}} sqnr_db={{inf|[1-9][0-9][0-9]+(\.[0-9]*)?}}{{$}}
func.func @f(%h: tensor<5x4xf32>) -> tensor<5x4xf32> {
  %t = math.tanh %h : tensor<5x4xf32>
  %e = math.exp %t : tensor<5x4xf32>
  return %e : tensor<5x4xf32>
}

// Tests that --bench prints exactly one timing line in the documented format,
// that random inputs are the same for the same --seed, and that
// --compare-to-reference (with and without --pipeline) prints one error line
// per output.

// RUN: effc-run %s --entry add --bench 3 | FileCheck %s
// CHECK: effc-run: output 0 tensor<16x32xf32> = [
// CHECK-NEXT: effc-run: bench @add median_ms={{[0-9]+\.[0-9]+}} min_ms={{[0-9]+\.[0-9]+}} iters=3
// CHECK-NOT: bench

// RUN: effc-run %s --entry add --seed 7 --output %t.seed7a.npy
// RUN: effc-run %s --entry add --seed 7 --output %t.seed7b.npy
// RUN: effc-run %s --entry add --seed 8 --output %t.seed8.npy
// RUN: cmp %t.seed7a.npy %t.seed7b.npy
// RUN: not cmp -s %t.seed7a.npy %t.seed8.npy

// RUN: effc-run %s --entry add --compare-to-reference | FileCheck %s --check-prefix=CMP
// RUN: effc-run %s --entry add --pipeline "canonicalize,func.func(cse)" --compare-to-reference | FileCheck %s --check-prefix=CMP
// RUN: effc-run %s --entry add --pipeline "builtin.module(canonicalize)" --compare-to-reference | FileCheck %s --check-prefix=CMP
// CMP: effc-run: output 0 max_abs_err={{[-+.e0-9]+}} sqnr_db={{inf|[-+.e0-9]+}}

func.func @add(%a: tensor<16x32xf32>, %b: tensor<16x32xf32>) -> tensor<16x32xf32> {
  %init = tensor.empty() : tensor<16x32xf32>
  %r = linalg.add ins(%a, %b : tensor<16x32xf32>, tensor<16x32xf32>)
                  outs(%init : tensor<16x32xf32>) -> tensor<16x32xf32>
  return %r : tensor<16x32xf32>
}

// Tests that the GEMM kernel handles M, N and K that are not multiples of its
// register and cache tiles (M x N x K = 37x53x29, 1x100x7, 129x17x300): plain
// linalg.matmul of two function inputs, with and without
// --pipeline effc-raise, against NumPy.

// REQUIRES: numpy

// RUN: rm -rf %t && %python %S/generators/gen.py gemm-edges %t
// RUN: effc-run %s --entry mm_37x53x29 --input %t/a_mm_37x53x29.npy,%t/b_mm_37x53x29.npy --output %t/mm_37x53x29.npy
// RUN: effc-run %s --entry mm_1x100x7 --input %t/a_mm_1x100x7.npy,%t/b_mm_1x100x7.npy --output %t/mm_1x100x7.npy
// RUN: effc-run %s --entry mm_129x17x300 --input %t/a_mm_129x17x300.npy,%t/b_mm_129x17x300.npy --output %t/mm_129x17x300.npy
// RUN: %python %S/generators/compare.py %t/mm_37x53x29.npy %t/mm_37x53x29.expected.npy %t/mm_1x100x7.npy %t/mm_1x100x7.expected.npy %t/mm_129x17x300.npy %t/mm_129x17x300.expected.npy | FileCheck %s
// RUN: effc-run %s --entry mm_37x53x29 --input %t/a_mm_37x53x29.npy,%t/b_mm_37x53x29.npy --output %t/mm_37x53x29.npy --pipeline effc-raise
// RUN: effc-run %s --entry mm_1x100x7 --input %t/a_mm_1x100x7.npy,%t/b_mm_1x100x7.npy --output %t/mm_1x100x7.npy --pipeline effc-raise
// RUN: effc-run %s --entry mm_129x17x300 --input %t/a_mm_129x17x300.npy,%t/b_mm_129x17x300.npy --output %t/mm_129x17x300.npy --pipeline effc-raise
// RUN: %python %S/generators/compare.py %t/mm_37x53x29.npy %t/mm_37x53x29.expected.npy %t/mm_1x100x7.npy %t/mm_1x100x7.expected.npy %t/mm_129x17x300.npy %t/mm_129x17x300.expected.npy | FileCheck %s

// CHECK: PASS mm_37x53x29 shape=(37, 53)
// CHECK: PASS mm_1x100x7 shape=(1, 100)
// CHECK: PASS mm_129x17x300 shape=(129, 17)

func.func @mm_37x53x29(%a: tensor<37x29xf32>, %b: tensor<29x53xf32>) -> tensor<37x53xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<37x53xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<37x53xf32>) -> tensor<37x53xf32>
  %r = linalg.matmul ins(%a, %b : tensor<37x29xf32>, tensor<29x53xf32>)
                     outs(%init : tensor<37x53xf32>) -> tensor<37x53xf32>
  return %r : tensor<37x53xf32>
}

func.func @mm_1x100x7(%a: tensor<1x7xf32>, %b: tensor<7x100xf32>) -> tensor<1x100xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x100xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<1x100xf32>) -> tensor<1x100xf32>
  %r = linalg.matmul ins(%a, %b : tensor<1x7xf32>, tensor<7x100xf32>)
                     outs(%init : tensor<1x100xf32>) -> tensor<1x100xf32>
  return %r : tensor<1x100xf32>
}

func.func @mm_129x17x300(%a: tensor<129x300xf32>, %b: tensor<300x17xf32>) -> tensor<129x17xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<129x17xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<129x17xf32>) -> tensor<129x17xf32>
  %r = linalg.matmul ins(%a, %b : tensor<129x300xf32>, tensor<300x17xf32>)
                     outs(%init : tensor<129x17xf32>) -> tensor<129x17xf32>
  return %r : tensor<129x17xf32>
}

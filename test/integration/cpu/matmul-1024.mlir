// Tests that a plain 1024x1024x1024 linalg.matmul of two function inputs
// (the BLIS-style GEMM kernel at full size) matches NumPy's float64 product
// within 1e-4 relative error.

// REQUIRES: numpy

// RUN: rm -rf %t && %python %S/generators/gen.py matmul1024 %t
// RUN: effc-run %s --entry matmul --input %t/a.npy,%t/b.npy --output %t/matmul.npy
// RUN: %python %S/generators/compare.py %t/matmul.npy %t/matmul.expected.npy | FileCheck %s

// CHECK: PASS matmul shape=(1024, 1024)

func.func @matmul(%a: tensor<1024x1024xf32>, %b: tensor<1024x1024xf32>) -> tensor<1024x1024xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1024x1024xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<1024x1024xf32>) -> tensor<1024x1024xf32>
  %r = linalg.matmul ins(%a, %b : tensor<1024x1024xf32>, tensor<1024x1024xf32>)
                     outs(%init : tensor<1024x1024xf32>) -> tensor<1024x1024xf32>
  return %r : tensor<1024x1024xf32>
}

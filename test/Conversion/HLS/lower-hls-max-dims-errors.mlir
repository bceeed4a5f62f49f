// RUN: effc-opt %s --effc-lower-hls="max-dims=4,16" -split-input-file -verify-diagnostics
// RUN: not effc-opt %s --effc-hls-pipeline -split-input-file 2>&1 | FileCheck %s --check-prefix=NOMAX
// RUN: not effc-opt %s --effc-lower-hls="max-dims=4" -split-input-file 2>&1 | FileCheck %s --check-prefix=COUNT
// RUN: not effc-opt %s --effc-lower-hls="max-dims=4,16,8" -split-input-file 2>&1 | FileCheck %s --check-prefix=COUNT3
// RUN: not effc-opt %s --effc-lower-hls="max-dims=0,16" -split-input-file 2>&1 | FileCheck %s --check-prefix=VALUE
// RUN: not effc-opt %s --effc-hls-pipeline="max-dims=4,-1" -split-input-file 2>&1 | FileCheck %s --check-prefix=VALUE
// RUN: echo 'func.func @s(%%x: tensor<4xf32>) -> tensor<4xf32> { return %%x : tensor<4xf32> }' | not effc-opt --effc-lower-hls="max-dims=4" 2>&1 | FileCheck %s --check-prefix=STATIC

// NOMAX: lower-hls-max-dims-errors.mlir:{{[0-9]+}}:{{[0-9]+}}: error: effc-lower-hls: @leading has 2 dynamic argument dimension(s) (the first: argument #0 dim 1 of tensor<4x?x?xf32>), but HLS arrays are static: pass an upper bound for each, in argument order, as max-dims=<N>[,<N>...]
// COUNT: lower-hls-max-dims-errors.mlir:{{[0-9]+}}:{{[0-9]+}}: error: effc-lower-hls: max-dims has 1 value(s), but @leading has 2 dynamic argument dimension(s) (one bound per dynamic dimension, in argument order)
// COUNT3: error: effc-lower-hls: max-dims has 3 value(s), but @leading has 2 dynamic argument dimension(s)
// VALUE: error: effc-lower-hls: max-dims values must be >= 1 (an upper bound per dynamic dimension)
// STATIC: error: effc-lower-hls: max-dims has 1 value(s), but no function has dynamic argument dimensions

// Tests that a runtime size must lead its reassociation group (the arrays'
// bounds, not the runtime sizes, are the strides).
func.func @leading(%x: tensor<4x?x?xf32>) -> tensor<4x?xf32> {
  // expected-error @+1 {{effc-lower-hls: a dynamic dim of a tensor.collapse_shape must lead its group}}
  %c = tensor.collapse_shape %x [[0], [1, 2]] : tensor<4x?x?xf32> into tensor<4x?xf32>
  return %c : tensor<4x?xf32>
}

// -----

// Tests that a size that is not an affine function of the runtime sizes
// (the product of two) is an error on the op that makes it.
func.func @product(%x: tensor<?x?x8xf32>) -> tensor<?xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %zero = arith.constant 0.0 : f32
  %d0 = tensor.dim %x, %c0 : tensor<?x?x8xf32>
  %d1 = tensor.dim %x, %c1 : tensor<?x?x8xf32>
  // expected-error @+1 {{effc-lower-hls: this size is not an affine function of the runtime sizes of the arguments}}
  %p = arith.muli %d0, %d1 : index
  %e = tensor.empty(%p) : tensor<?xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<?xf32>) -> tensor<?xf32>
  return %f : tensor<?xf32>
}

// -----

// Tests that a slice at a runtime offset is refused.
func.func @slice(%x: tensor<?x?x8xf32>) -> tensor<?x?x4xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %d0 = tensor.dim %x, %c0 : tensor<?x?x8xf32>
  %d1 = tensor.dim %x, %c1 : tensor<?x?x8xf32>
  %o = arith.subi %d1, %d1 : index
  // expected-error @+1 {{effc-lower-hls: tensor.extract_slice needs static offsets, unit strides and no rank reduction on the HLS path}}
  %s = tensor.extract_slice %x[0, 0, %o] [%d0, %d1, 4] [1, 1, 1] : tensor<?x?x8xf32> to tensor<?x?x4xf32>
  return %s : tensor<?x?x4xf32>
}

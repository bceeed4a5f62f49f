// Tests that the reference lowering of effc.linear with dynamic batch and
// sequence dims computes exactly what the static-shaped op computes on the
// same data: @dyn casts its static input to tensor<?x?x64xf32> before the
// op (so the lowering reads M at runtime) and casts the result back.

// REQUIRES: numpy

// RUN: effc-opt %s --effc-lower-reference | FileCheck %s --check-prefix=IR
// RUN: rm -rf %t && mkdir -p %t
// RUN: effc-run %s --entry dyn --pipeline effc-lower-reference --seed 3 --output %t/dyn.npy
// RUN: effc-run %s --entry static --pipeline effc-lower-reference --seed 3 --output %t/static.npy
// RUN: %python -c "import numpy as np; a = np.load('%t/dyn.npy'); b = np.load('%t/static.npy'); print('MAXERR', float(np.abs(a - b).max()), a.shape)" | FileCheck %s

// IR-LABEL: func.func @dyn
// IR: tensor.collapse_shape %{{.+}} {{\[\[}}0, 1], [2]] : tensor<?x?x64xf32> into tensor<?x64xf32>
// IR: tensor.empty(%{{.+}}) : tensor<?x32xf32>
// IR: tensor.expand_shape {{.*}} into tensor<?x?x32xf32>
// CHECK: MAXERR 0.0 (5, 3, 32)

func.func @dyn(%x: tensor<5x3x64xf32>, %w: tensor<32x64xf32>, %b: tensor<32xf32>) -> tensor<5x3x32xf32> {
  %xd = tensor.cast %x : tensor<5x3x64xf32> to tensor<?x?x64xf32>
  %0 = effc.linear %xd, %w bias %b {activation = #effc.activation<relu>} : tensor<?x?x64xf32>, tensor<32x64xf32>, tensor<32xf32> -> tensor<?x?x32xf32>
  %r = tensor.cast %0 : tensor<?x?x32xf32> to tensor<5x3x32xf32>
  return %r : tensor<5x3x32xf32>
}
func.func @static(%x: tensor<5x3x64xf32>, %w: tensor<32x64xf32>, %b: tensor<32xf32>) -> tensor<5x3x32xf32> {
  %0 = effc.linear %x, %w bias %b {activation = #effc.activation<relu>} : tensor<5x3x64xf32>, tensor<32x64xf32>, tensor<32xf32> -> tensor<5x3x32xf32>
  return %0 : tensor<5x3x32xf32>
}

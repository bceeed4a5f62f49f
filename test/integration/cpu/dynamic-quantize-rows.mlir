// Tests that the reference lowering of effc.dynamic_quantize with per-row
// scales over a dynamic M gives the same int8 values and scales, bit for
// bit, as the static-shaped op on the same data.

// REQUIRES: numpy

// RUN: effc-opt %s --effc-lower-reference | FileCheck %s --check-prefix=IR
// RUN: rm -rf %t && mkdir -p %t
// RUN: effc-run %s --entry dyn --pipeline effc-lower-reference --seed 7 --output %t/dq.npy,%t/ds.npy
// RUN: effc-run %s --entry static --pipeline effc-lower-reference --seed 7 --output %t/sq.npy,%t/ss.npy
// RUN: %python -c "import numpy as np; print('EQUAL', all(np.array_equal(np.load('%t/d' + k + '.npy'), np.load('%t/s' + k + '.npy')) for k in 'qs'))" | FileCheck %s

// IR-LABEL: func.func @dyn
// IR: tensor.expand_shape {{.*}} : tensor<?x64xf32> into tensor<?x1x1x64xf32>
// IR: linalg.fill {{.*}} -> tensor<?x1xf32>
// CHECK: EQUAL True

func.func @dyn(%x: tensor<5x64xf32>) -> (tensor<5x64xi8>, tensor<5x1xf32>) {
  %xd = tensor.cast %x : tensor<5x64xf32> to tensor<?x64xf32>
  %q, %s = effc.dynamic_quantize %xd {block = array<i64: 1, 64>} : tensor<?x64xf32> -> tensor<?x64xi8>, tensor<?x1xf32>
  %r = tensor.cast %q : tensor<?x64xi8> to tensor<5x64xi8>
  %rs = tensor.cast %s : tensor<?x1xf32> to tensor<5x1xf32>
  return %r, %rs : tensor<5x64xi8>, tensor<5x1xf32>
}
func.func @static(%x: tensor<5x64xf32>) -> (tensor<5x64xi8>, tensor<5x1xf32>) {
  %q, %s = effc.dynamic_quantize %x {block = array<i64: 1, 64>} : tensor<5x64xf32> -> tensor<5x64xi8>, tensor<5x1xf32>
  return %q, %s : tensor<5x64xi8>, tensor<5x1xf32>
}

// Tests that the reference lowering of effc.quantize / effc.dequantize with
// a dynamic row count (per-row, per-128-column-group scales) computes exactly
// what the static-shaped ops compute on the same data.

// REQUIRES: numpy

// RUN: effc-opt %s --effc-lower-reference | FileCheck %s --check-prefix=IR
// RUN: rm -rf %t && mkdir -p %t
// RUN: effc-run %s --entry dyn --pipeline effc-lower-reference --seed 5 --output %t/dyn.npy
// RUN: effc-run %s --entry static --pipeline effc-lower-reference --seed 5 --output %t/static.npy
// RUN: %python -c "import numpy as np; a = np.load('%t/dyn.npy'); b = np.load('%t/static.npy'); print('MAXERR', float(np.abs(a - b).max()), a.shape)" | FileCheck %s

// IR-LABEL: func.func @dyn
// IR: linalg.generic {{.*}} ins(%{{.+}}, %{{.+}} : tensor<?x256xf32>, tensor<?x2xf32>) outs(%{{.+}} : tensor<?x256xi8>)
// IR: [[M:%.+]] = tensor.dim %{{.+}}, %{{.+}} : tensor<?x256xi8>
// IR: tensor.empty([[M]]) : tensor<?x256xf32>
// CHECK: MAXERR 0.0 (5, 256)

func.func @dyn(%x: tensor<5x256xf32>, %s: tensor<5x2xf32>) -> tensor<5x256xf32> {
  %xd = tensor.cast %x : tensor<5x256xf32> to tensor<?x256xf32>
  %sd = tensor.cast %s : tensor<5x2xf32> to tensor<?x2xf32>
  %q = effc.quantize %xd, %sd {block = array<i64: 1, 128>} : tensor<?x256xf32>, tensor<?x2xf32> -> tensor<?x256xi8>
  %d = effc.dequantize %q, %sd {block = array<i64: 1, 128>} : tensor<?x256xi8>, tensor<?x2xf32> -> tensor<?x256xf32>
  %r = tensor.cast %d : tensor<?x256xf32> to tensor<5x256xf32>
  return %r : tensor<5x256xf32>
}
func.func @static(%x: tensor<5x256xf32>, %s: tensor<5x2xf32>) -> tensor<5x256xf32> {
  %q = effc.quantize %x, %s {block = array<i64: 1, 128>} : tensor<5x256xf32>, tensor<5x2xf32> -> tensor<5x256xi8>
  %d = effc.dequantize %q, %s {block = array<i64: 1, 128>} : tensor<5x256xi8>, tensor<5x2xf32> -> tensor<5x256xf32>
  return %d : tensor<5x256xf32>
}

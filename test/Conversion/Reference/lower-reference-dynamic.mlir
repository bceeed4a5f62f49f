// RUN: effc-opt %s --effc-lower-reference -split-input-file | FileCheck %s

// Tests that an effc.linear with dynamic leading (batch, sequence) dims
// lowers to a matmul over the rows collapsed into one runtime M, its
// accumulator sized from the input, and the result expanded back with the
// input's runtime sizes.

// CHECK-LABEL: func.func @linear_dynamic
// CHECK-SAME: (%[[X:.+]]: tensor<?x?x64xf32>, %[[W:.+]]: tensor<32x64xf32>, %[[B:.+]]: tensor<32xf32>)
// CHECK: %[[ROWS:.+]] = tensor.collapse_shape %[[X]] {{\[}}[0, 1], [2]] : tensor<?x?x64xf32> into tensor<?x64xf32>
// CHECK: %[[M:.+]] = tensor.dim %[[ROWS]], %{{.+}} : tensor<?x64xf32>
// CHECK: %[[E:.+]] = tensor.empty(%[[M]]) : tensor<?x32xf32>
// CHECK: %[[Z:.+]] = linalg.fill ins(%{{.+}} : f32) outs(%[[E]] : tensor<?x32xf32>)
// CHECK: %[[MM:.+]] = linalg.matmul {{.*}} ins(%[[ROWS]], %[[W]] : tensor<?x64xf32>, tensor<32x64xf32>) outs(%[[Z]] : tensor<?x32xf32>)
// CHECK: %[[BA:.+]] = linalg.generic {{.*}} ins(%[[MM]], %[[B]] : tensor<?x32xf32>, tensor<32xf32>)
// CHECK: arith.addf
// CHECK: arith.maximumf
// CHECK: %[[D0:.+]] = tensor.dim %[[X]], %c0
// CHECK: %[[D1:.+]] = tensor.dim %[[X]], %c1
// CHECK: tensor.expand_shape %[[BA]] {{\[}}[0, 1], [2]] output_shape [%[[D0]], %[[D1]], 32] : tensor<?x32xf32> into tensor<?x?x32xf32>
func.func @linear_dynamic(%x: tensor<?x?x64xf32>, %w: tensor<32x64xf32>, %b: tensor<32xf32>) -> tensor<?x?x32xf32> {
  %0 = effc.linear %x, %w bias %b {activation = #effc.activation<relu>} : tensor<?x?x64xf32>, tensor<32x64xf32>, tensor<32xf32> -> tensor<?x?x32xf32>
  return %0 : tensor<?x?x32xf32>
}

// -----

// Tests that per-row dynamic quantization of a dynamic number of rows
// splits only the static K into blocks; the rows keep their runtime size.

// CHECK-LABEL: func.func @dynamic_quantize_rows
// CHECK-SAME: (%[[X:.+]]: tensor<?x256xf32>)
// CHECK: %[[D:.+]] = tensor.dim %[[X]], %c0
// CHECK: %[[S:.+]] = tensor.expand_shape %[[X]] {{\[}}[0, 1], [2, 3]] output_shape [%[[D]], 1, 2, 128] : tensor<?x256xf32> into tensor<?x1x2x128xf32>
// CHECK: %[[E:.+]] = tensor.empty(%[[D]]) : tensor<?x2xf32>
// CHECK: linalg.generic {{.*}} ins(%[[S]] : tensor<?x1x2x128xf32>) outs(%{{.+}} : tensor<?x2xf32>)
// CHECK: math.absf
// CHECK: arith.divf
// CHECK: -> tensor<?x2xf32>
// CHECK: tensor.empty(%{{.+}}) : tensor<?x256xi8>
func.func @dynamic_quantize_rows(%x: tensor<?x256xf32>) -> (tensor<?x256xi8>, tensor<?x2xf32>) {
  %q, %s = effc.dynamic_quantize %x {block = array<i64: 1, 128>} : tensor<?x256xf32> -> tensor<?x256xi8>, tensor<?x2xf32>
  return %q, %s : tensor<?x256xi8>, tensor<?x2xf32>
}

// RUN: effc-opt %s --effc-lower-reference -split-input-file | FileCheck %s

// Tests that effc.linear with a dynamic M sizes its accumulator from the
// input's runtime M and keeps the bias and activation.

// CHECK-LABEL: func.func @linear_dynamic_m
// CHECK-SAME: ([[X:%.+]]: tensor<?x64xf32>, [[W:%.+]]: tensor<32x64xf32>, [[B:%.+]]: tensor<32xf32>)
// CHECK: [[M:%.+]] = tensor.dim [[X]], %{{.+}} : tensor<?x64xf32>
// CHECK: [[E:%.+]] = tensor.empty([[M]]) : tensor<?x32xf32>
// CHECK: [[F:%.+]] = linalg.fill ins(%{{.+}} : f32) outs([[E]] : tensor<?x32xf32>)
// CHECK: [[MM:%.+]] = linalg.matmul {{.*}} ins([[X]], [[W]] : tensor<?x64xf32>, tensor<32x64xf32>) outs([[F]] : tensor<?x32xf32>)
// CHECK: linalg.generic {{.*}} ins([[MM]], [[B]] : tensor<?x32xf32>, tensor<32xf32>) outs(%{{.+}} : tensor<?x32xf32>)
// CHECK: arith.maximumf
// CHECK-NOT: effc.linear
func.func @linear_dynamic_m(%x: tensor<?x64xf32>, %w: tensor<32x64xf32>, %b: tensor<32xf32>) -> tensor<?x32xf32> {
  %0 = effc.linear %x, %w bias %b {activation = #effc.activation<relu>} : tensor<?x64xf32>, tensor<32x64xf32>, tensor<32xf32> -> tensor<?x32xf32>
  return %0 : tensor<?x32xf32>
}

// -----

// Tests that an N-D effc.linear with dynamic batch and sequence collapses
// them into one dynamic M and expands the result with the input's dims.

// CHECK-LABEL: func.func @linear_dynamic_batch_seq
// CHECK-SAME: ([[X:%.+]]: tensor<?x?x64xf32>, [[W:%.+]]: tensor<32x64xf32>)
// CHECK: [[C:%.+]] = tensor.collapse_shape [[X]] {{\[\[}}0, 1], [2]] : tensor<?x?x64xf32> into tensor<?x64xf32>
// CHECK: [[M:%.+]] = tensor.dim [[C]], %{{.+}} : tensor<?x64xf32>
// CHECK: tensor.empty([[M]]) : tensor<?x32xf32>
// CHECK: [[MM:%.+]] = linalg.matmul {{.*}} ins([[C]], [[W]] : tensor<?x64xf32>, tensor<32x64xf32>)
// CHECK-DAG: [[D0:%.+]] = tensor.dim [[X]], %{{.+}} : tensor<?x?x64xf32>
// CHECK-DAG: [[D1:%.+]] = tensor.dim [[X]], %{{.+}} : tensor<?x?x64xf32>
// CHECK: [[R:%.+]] = tensor.expand_shape [[MM]] {{\[\[}}0, 1], [2]] output_shape [[[D0]], [[D1]], 32] : tensor<?x32xf32> into tensor<?x?x32xf32>
// CHECK: return [[R]]
func.func @linear_dynamic_batch_seq(%x: tensor<?x?x64xf32>, %w: tensor<32x64xf32>) -> tensor<?x?x32xf32> {
  %0 = effc.linear %x, %w : tensor<?x?x64xf32>, tensor<32x64xf32> -> tensor<?x?x32xf32>
  return %0 : tensor<?x?x32xf32>
}

// -----

// Tests that effc.quantize / effc.dequantize over a dynamic M size their
// results from the input's runtime M.

// CHECK-LABEL: func.func @quantize_dynamic_m
// CHECK-SAME: ([[X:%.+]]: tensor<?x256xf32>, [[S:%.+]]: tensor<?x2xf32>)
// CHECK: [[M:%.+]] = tensor.dim [[X]], %{{.+}} : tensor<?x256xf32>
// CHECK: [[E:%.+]] = tensor.empty([[M]]) : tensor<?x256xi8>
// CHECK: [[Q:%.+]] = linalg.generic {{.*}} ins([[X]], [[S]] : tensor<?x256xf32>, tensor<?x2xf32>) outs([[E]] : tensor<?x256xi8>)
// CHECK: [[M2:%.+]] = tensor.dim [[Q]], %{{.+}} : tensor<?x256xi8>
// CHECK: tensor.empty([[M2]]) : tensor<?x256xf32>
// CHECK-NOT: effc.
func.func @quantize_dynamic_m(%x: tensor<?x256xf32>, %s: tensor<?x2xf32>) -> tensor<?x256xf32> {
  %q = effc.quantize %x, %s {block = array<i64: 1, 128>} : tensor<?x256xf32>, tensor<?x2xf32> -> tensor<?x256xi8>
  %d = effc.dequantize %q, %s {block = array<i64: 1, 128>} : tensor<?x256xi8>, tensor<?x2xf32> -> tensor<?x256xf32>
  return %d : tensor<?x256xf32>
}

// -----

// Tests that effc.dynamic_quantize with per-row scales over a dynamic M
// splits the rows with the input's runtime M and sizes the scales by it.

// CHECK-LABEL: func.func @dynamic_quantize_rows
// CHECK-SAME: ([[X:%.+]]: tensor<?x64xf32>)
// CHECK: [[M:%.+]] = tensor.dim [[X]], %{{.+}} : tensor<?x64xf32>
// CHECK: tensor.expand_shape [[X]] {{\[\[}}0, 1], [2, 3]] output_shape {{\[}}[[M]], 1, 1, 64] : tensor<?x64xf32> into tensor<?x1x1x64xf32>
// CHECK: tensor.empty(%{{.+}}) : tensor<?x1xf32>
// CHECK: } -> tensor<?x64xi8>
// CHECK-NOT: effc.
func.func @dynamic_quantize_rows(%x: tensor<?x64xf32>) -> (tensor<?x64xi8>, tensor<?x1xf32>) {
  %q, %s = effc.dynamic_quantize %x {block = array<i64: 1, 64>} : tensor<?x64xf32> -> tensor<?x64xi8>, tensor<?x1xf32>
  return %q, %s : tensor<?x64xi8>, tensor<?x1xf32>
}

// -----

// Tests that a weight-only int4 (groups of 4 along K) effc.quantized_linear
// over a dynamic M dequantizes the static weight and multiplies with the
// dynamic input, sizing the result from the input's runtime M.

// CHECK-LABEL: func.func @weight_only_int4_dynamic_m
// CHECK-SAME: ([[X:%.+]]: tensor<?x8xf32>
// CHECK: [[M:%.+]] = tensor.dim [[X]], %{{.+}} : tensor<?x8xf32>
// CHECK: tensor.empty([[M]]) : tensor<?x4xf32>
// CHECK: linalg.matmul {{.*}} ins([[X]], %{{.+}} : tensor<?x8xf32>, tensor<4x8xf32>) {{.*}} -> tensor<?x4xf32>
// CHECK-NOT: effc.
func.func @weight_only_int4_dynamic_m(%x: tensor<?x8xf32>, %w: tensor<4x8x!quant.uniform<i4<-7:7>:f32:{0:1, 1:4}, {{1.0, 2.0}, {0.5, 2.0}, {1.0, 0.25}, {1.0, 2.0}}>>) -> tensor<?x4xf32> {
  %y = effc.quantized_linear %x, %w : tensor<?x8xf32>, tensor<4x8x!quant.uniform<i4<-7:7>:f32:{0:1, 1:4}, {{1.0, 2.0}, {0.5, 2.0}, {1.0, 0.25}, {1.0, 2.0}}>> -> tensor<?x4xf32>
  return %y : tensor<?x4xf32>
}

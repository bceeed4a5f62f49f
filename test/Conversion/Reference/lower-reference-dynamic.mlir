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

// -----

// Tests that an int8 effc.quantized_linear (i8 activations) over runtime
// rows lowers to exact i32 dot products on the collapsed rows, sized from
// the input, and expands back with the input's runtime sizes.

// CHECK-LABEL: func.func @quantized_linear_dynamic
// CHECK: %[[S:.+]] = quant.scast %{{.+}} : tensor<?x?x4x!quant.uniform<i8:f32, 5.000000e-02:-3>> to tensor<?x?x4xi8>
// CHECK: %[[ROWS:.+]] = tensor.collapse_shape %[[S]] {{\[}}[0, 1], [2]] : tensor<?x?x4xi8> into tensor<?x4xi8>
// CHECK: %[[M:.+]] = tensor.dim %[[ROWS]], %{{.+}} : tensor<?x4xi8>
// CHECK: tensor.empty(%[[M]]) : tensor<?x2x1xi32>
// CHECK: linalg.generic
// CHECK: arith.subi
// CHECK: arith.muli
// CHECK: } -> tensor<?x2x1xi32>
// CHECK: arith.maxsi
// CHECK: tensor.expand_shape %{{.+}} {{\[}}[0, 1], [2]] output_shape [%{{.+}}, %{{.+}}, 2] : tensor<?x2xi32> into tensor<?x?x2xi32>
func.func @quantized_linear_dynamic(%x: tensor<?x?x4x!quant.uniform<i8:f32, 0.05:-3>>) -> tensor<?x?x2xi32> {
  %ws = arith.constant dense<[[1, -2, 3, 4], [5, 6, -7, 8]]> : tensor<2x4xi8>
  %w = quant.scast %ws : tensor<2x4xi8> to tensor<2x4x!quant.uniform<i8<-127:127>:f32, 0.01>>
  %y = effc.quantized_linear %x, %w {activation = #effc.activation<relu>} : tensor<?x?x4x!quant.uniform<i8:f32, 0.05:-3>>, tensor<2x4x!quant.uniform<i8<-127:127>:f32, 0.01>> -> tensor<?x?x2xi32>
  return %y : tensor<?x?x2xi32>
}

// -----

// Tests that an effc.block_scaled_linear (per-row activation scales, as
// dynamic int8 makes) over runtime rows sums its per-block partials into
// an accumulator sized from the input.

// CHECK-LABEL: func.func @block_scaled_dynamic
// CHECK-SAME: (%[[X:.+]]: tensor<?x8xi8>, %[[XS:.+]]: tensor<?x2xf32>)
// CHECK: %[[M:.+]] = tensor.dim %[[X]], %{{.+}} : tensor<?x8xi8>
// CHECK: tensor.expand_shape %[[X]] {{\[}}[0], [1, 2]] output_shape [%{{.+}}, 2, 4] : tensor<?x8xi8> into tensor<?x2x4xi8>
// CHECK: } -> tensor<?x2x2xi32>
// CHECK: tensor.empty(%[[M]]) : tensor<?x2xf32>
// CHECK: linalg.generic {{.*}} ins(%{{.+}}, %[[XS]], %{{.+}} : tensor<?x2x2xi32>, tensor<?x2xf32>, tensor<2x2xf32>)
func.func @block_scaled_dynamic(%x: tensor<?x8xi8>, %xs: tensor<?x2xf32>) -> tensor<?x2xf32> {
  %w = arith.constant dense<1> : tensor<2x8xi8>
  %ws = arith.constant dense<0.5> : tensor<2x2xf32>
  %y = effc.block_scaled_linear %x, %xs, %w, %ws {block = array<i64: 1, 4>} : tensor<?x8xi8>, tensor<?x2xf32>, tensor<2x8xi8>, tensor<2x2xf32> -> tensor<?x2xf32>
  return %y : tensor<?x2xf32>
}

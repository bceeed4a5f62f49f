// Heads split and merged around a linear: [2, 8] -> [2, 2, 4] -> [4, 4],
// then a 4 -> 3 linear with ReLU, then [4, 3] -> [12].
func.func @main(%x: tensor<2x8xf32>) -> tensor<12xf32> {
  %w = arith.constant dense<[[0.5, -0.25, 0.125, 1.0], [-0.5, 0.75, 0.25, -0.125], [0.375, 0.0, -1.0, 0.5]]> : tensor<3x4xf32>
  %h = tensor.expand_shape %x [[0], [1, 2]] output_shape [2, 2, 4] : tensor<2x8xf32> into tensor<2x2x4xf32>
  %r = tensor.collapse_shape %h [[0, 1], [2]] : tensor<2x2x4xf32> into tensor<4x4xf32>
  %y = effc.linear %r, %w {activation = #effc.activation<relu>} : tensor<4x4xf32>, tensor<3x4xf32> -> tensor<4x3xf32>
  %f = tensor.collapse_shape %y [[0, 1]] : tensor<4x3xf32> into tensor<12xf32>
  return %f : tensor<12xf32>
}

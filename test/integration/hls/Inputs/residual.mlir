// A residual block as upstream linalg: linear + bias + ReLU (fused by
// --effc-raise), then elementwise generics that stay generics: the
// residual add of the block's input, a scaling by a constant and a
// per-channel shift read through a broadcast map.
#mm_a = affine_map<(d0, d1, d2) -> (d0, d2)>
#mm_b = affine_map<(d0, d1, d2) -> (d2, d1)>
#mm_c = affine_map<(d0, d1, d2) -> (d0, d1)>
#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d1)>
func.func @main(%x: tensor<8x16xf32>) -> tensor<8x16xf32> {
  %w = arith.constant dense<[[0.25, -0.125, 0.0625, 0.5, -0.25, 0.125, 0.0, 0.375, -0.5, 0.25, 0.125, -0.0625, 0.1875, -0.3125, 0.4375, 0.0625], [-0.1875, 0.3125, 0.25, -0.125, 0.0, 0.4375, -0.25, 0.0625, 0.125, -0.375, 0.1875, 0.25, -0.0625, 0.125, 0.0, -0.25], [0.125, 0.0, -0.3125, 0.1875, 0.25, -0.0625, 0.375, -0.125, 0.0625, 0.1875, -0.25, 0.0, 0.3125, 0.125, -0.1875, 0.25], [0.0625, 0.25, 0.125, 0.0, -0.1875, 0.3125, 0.125, 0.25, -0.375, 0.0, 0.0625, 0.1875, -0.125, 0.25, 0.3125, -0.0625], [-0.25, 0.1875, 0.0, 0.125, 0.3125, -0.125, 0.25, 0.0625, 0.1875, -0.0625, 0.0, 0.375, 0.125, -0.25, 0.0625, 0.1875], [0.3125, -0.0625, 0.1875, 0.25, 0.0, 0.125, -0.3125, 0.0625, 0.25, 0.125, -0.1875, 0.0, 0.4375, 0.0625, -0.125, 0.25], [0.0, 0.125, -0.25, 0.3125, 0.1875, 0.0625, 0.125, -0.1875, 0.0, 0.25, 0.375, -0.125, 0.0625, 0.1875, 0.25, -0.3125], [0.1875, 0.0625, 0.3125, -0.25, 0.125, 0.0, 0.0625, 0.25, -0.125, 0.1875, 0.0, 0.3125, -0.0625, 0.125, 0.25, 0.0], [-0.125, 0.25, 0.0625, 0.1875, -0.3125, 0.25, 0.0, 0.125, 0.3125, -0.0625, 0.1875, 0.0625, 0.0, -0.25, 0.125, 0.375], [0.25, 0.0, 0.1875, -0.0625, 0.125, 0.3125, -0.1875, 0.0, 0.0625, 0.25, -0.125, 0.1875, 0.3125, 0.0, -0.0625, 0.125], [0.0625, -0.3125, 0.125, 0.25, 0.0, -0.125, 0.1875, 0.3125, 0.25, 0.0, 0.0625, -0.1875, 0.125, 0.375, 0.0, 0.0625], [-0.0625, 0.125, 0.375, 0.0, 0.25, 0.0625, -0.125, 0.1875, 0.0, 0.3125, 0.125, 0.0, -0.25, 0.0625, 0.1875, 0.25], [0.375, 0.0625, -0.125, 0.125, 0.0625, 0.0, 0.25, -0.0625, 0.1875, 0.0, 0.3125, 0.125, 0.0625, -0.1875, 0.0, 0.125], [0.0, -0.1875, 0.25, 0.0625, 0.375, 0.125, 0.0, 0.25, -0.0625, 0.125, 0.0, 0.25, 0.1875, 0.0625, -0.3125, 0.0], [0.125, 0.3125, 0.0, -0.125, 0.0625, 0.25, 0.1875, 0.0, 0.125, -0.25, 0.0625, 0.0, 0.25, 0.3125, 0.0625, -0.125], [-0.3125, 0.0, 0.0625, 0.375, -0.0625, 0.1875, 0.0, 0.125, 0.25, 0.0625, -0.0625, 0.3125, 0.0, 0.125, 0.1875, 0.25]]> : tensor<16x16xf32>
  %bias = arith.constant dense<[0.1, -0.2, 0.05, 0.0, 0.3, -0.1, 0.2, 0.15, -0.05, 0.1, 0.0, -0.3, 0.25, 0.05, -0.15, 0.1]> : tensor<16xf32>
  %shift = arith.constant dense<[0.5, -0.5, 0.25, -0.25, 0.125, -0.125, 1.0, -1.0, 0.0, 0.75, -0.75, 0.375, -0.375, 0.0625, -0.0625, 0.0]> : tensor<16xf32>
  %zero = arith.constant 0.0 : f32
  %half = arith.constant 0.5 : f32
  %e = tensor.empty() : tensor<8x16xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<8x16xf32>) -> tensor<8x16xf32>
  %m = linalg.matmul indexing_maps = [#mm_a, #mm_b, #mm_c] ins(%x, %w : tensor<8x16xf32>, tensor<16x16xf32>) outs(%f : tensor<8x16xf32>) -> tensor<8x16xf32>
  %h = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]} ins(%m, %bias : tensor<8x16xf32>, tensor<16xf32>) outs(%e : tensor<8x16xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %s = arith.addf %a, %b : f32
    %r = arith.maximumf %s, %zero : f32
    linalg.yield %r : f32
  } -> tensor<8x16xf32>
  %res = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel"]} ins(%h, %x : tensor<8x16xf32>, tensor<8x16xf32>) outs(%e : tensor<8x16xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %s = arith.addf %a, %b : f32
    linalg.yield %s : f32
  } -> tensor<8x16xf32>
  %y = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]} ins(%res, %shift : tensor<8x16xf32>, tensor<16xf32>) outs(%e : tensor<8x16xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %s = arith.mulf %a, %half : f32
    %t = arith.addf %s, %b : f32
    %n = arith.negf %t : f32
    %c = arith.maximumf %t, %n : f32
    %d = arith.subf %c, %half : f32
    linalg.yield %d : f32
  } -> tensor<8x16xf32>
  return %y : tensor<8x16xf32>
}

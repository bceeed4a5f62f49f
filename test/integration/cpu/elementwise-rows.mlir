// RUN: effc-run %s --entry f --compare-to-reference | FileCheck %s

// Executed numerics of the CPU pipeline's threaded, vectorized generics
// (--effc-lower-cpu-elementwise) against the reference lowering, on random
// inputs: a layernorm (row reductions, broadcast statistics, rsqrt), a
// softmax over the last dim (max and sum), a masked mean over tokens (a
// reduction over an outer dimension, i1 masks kept scalar), the tanh GELU
// (x ** 3 as math.fpowi), a transposing copy (strided rows), acosh (a
// libm call per lane) and x ** 2.0 of negative x (RMSNorm's powf, folded
// to a multiply; exp(2 log x) would be NaN).

// CHECK-COUNT-7: effc-run: output {{[0-6]}} max_abs_err={{[0-9.e+-]+}} sqnr_db={{inf|1[0-9][0-9](\.[0-9]*)?}}{{$}}

#id = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
#row = affine_map<(d0, d1, d2) -> (d0, d1)>
#ch = affine_map<(d0, d1, d2) -> (d2)>
#tok = affine_map<(d0, d1, d2) -> (d0, d1)>
#pool = affine_map<(d0, d1, d2) -> (d0, d2)>
#m2 = affine_map<(d0, d1) -> (d0, d1)>
#t2 = affine_map<(d0, d1) -> (d1, d0)>
func.func @f(%x: tensor<8x32x384xf32>, %g: tensor<384xf32>, %ids: tensor<8x32xi64>,
             %y: tensor<64x48xf32>)
    -> (tensor<8x32x384xf32>, tensor<8x32x384xf32>, tensor<8x384xf32>,
        tensor<8x32x384xf32>, tensor<48x64xf32>, tensor<64x48xf32>,
        tensor<8x32x384xf32>) {
  %zero = arith.constant 0.0 : f32
  %ninf = arith.constant -3.4e38 : f32
  %n = arith.constant 384.0 : f32
  %eps = arith.constant 1.0e-5 : f32
  %e2 = tensor.empty() : tensor<8x32xf32>
  %e3 = tensor.empty() : tensor<8x32x384xf32>
  %z2 = linalg.fill ins(%zero : f32) outs(%e2 : tensor<8x32xf32>) -> tensor<8x32xf32>

  // layernorm
  %sum = linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x : tensor<8x32x384xf32>) outs(%z2 : tensor<8x32xf32>) {
    ^bb0(%a: f32, %acc: f32):
      %s = arith.addf %a, %acc : f32
      linalg.yield %s : f32
  } -> tensor<8x32xf32>
  %cen = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%x, %sum : tensor<8x32x384xf32>, tensor<8x32xf32>) outs(%e3 : tensor<8x32x384xf32>) {
    ^bb0(%a: f32, %s: f32, %o: f32):
      %m = arith.divf %s, %n : f32
      %d = arith.subf %a, %m : f32
      linalg.yield %d : f32
  } -> tensor<8x32x384xf32>
  %var = linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%cen : tensor<8x32x384xf32>) outs(%z2 : tensor<8x32xf32>) {
    ^bb0(%a: f32, %acc: f32):
      %sq = arith.mulf %a, %a : f32
      %s = arith.addf %sq, %acc : f32
      linalg.yield %s : f32
  } -> tensor<8x32xf32>
  %ln = linalg.generic {indexing_maps = [#id, #row, #ch, #id], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%cen, %var, %g : tensor<8x32x384xf32>, tensor<8x32xf32>, tensor<384xf32>) outs(%e3 : tensor<8x32x384xf32>) {
    ^bb0(%a: f32, %v: f32, %gg: f32, %o: f32):
      %vm = arith.divf %v, %n : f32
      %ve = arith.addf %vm, %eps : f32
      %r = math.rsqrt %ve : f32
      %t = arith.mulf %a, %r : f32
      %u = arith.mulf %t, %gg : f32
      linalg.yield %u : f32
  } -> tensor<8x32x384xf32>

  // softmax over the last dim
  %m0 = linalg.fill ins(%ninf : f32) outs(%e2 : tensor<8x32xf32>) -> tensor<8x32xf32>
  %max = linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x : tensor<8x32x384xf32>) outs(%m0 : tensor<8x32xf32>) {
    ^bb0(%a: f32, %acc: f32):
      %s = arith.maximumf %a, %acc : f32
      linalg.yield %s : f32
  } -> tensor<8x32xf32>
  %ex = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%x, %max : tensor<8x32x384xf32>, tensor<8x32xf32>) outs(%e3 : tensor<8x32x384xf32>) {
    ^bb0(%a: f32, %m: f32, %o: f32):
      %d = arith.subf %a, %m : f32
      %e = math.exp %d : f32
      linalg.yield %e : f32
  } -> tensor<8x32x384xf32>
  %den = linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%ex : tensor<8x32x384xf32>) outs(%z2 : tensor<8x32xf32>) {
    ^bb0(%a: f32, %acc: f32):
      %s = arith.addf %a, %acc : f32
      linalg.yield %s : f32
  } -> tensor<8x32xf32>
  %sm = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%ex, %den : tensor<8x32x384xf32>, tensor<8x32xf32>) outs(%e3 : tensor<8x32x384xf32>) {
    ^bb0(%a: f32, %s: f32, %o: f32):
      %d = arith.divf %a, %s : f32
      linalg.yield %d : f32
  } -> tensor<8x32x384xf32>

  // masked sum over tokens: i1 mask, then a reduction over dim 1
  %c3 = arith.constant 3 : i64
  %c0i = arith.constant 0 : i64
  %eb = tensor.empty() : tensor<8x32xi1>
  %mask = linalg.generic {indexing_maps = [#m2, #m2], iterator_types = ["parallel", "parallel"]}
      ins(%ids : tensor<8x32xi64>) outs(%eb : tensor<8x32xi1>) {
    ^bb0(%a: i64, %o: i1):
      %r = arith.remsi %a, %c3 : i64
      %b = arith.cmpi ne, %r, %c0i : i64
      linalg.yield %b : i1
  } -> tensor<8x32xi1>
  %ep = tensor.empty() : tensor<8x384xf32>
  %zp = linalg.fill ins(%zero : f32) outs(%ep : tensor<8x384xf32>) -> tensor<8x384xf32>
  %pooled = linalg.generic {indexing_maps = [#id, #tok, #pool], iterator_types = ["parallel", "reduction", "parallel"]}
      ins(%x, %mask : tensor<8x32x384xf32>, tensor<8x32xi1>) outs(%zp : tensor<8x384xf32>) {
    ^bb0(%a: f32, %b: i1, %acc: f32):
      %v = arith.select %b, %a, %zero : f32
      %s = arith.addf %v, %acc : f32
      linalg.yield %s : f32
  } -> tensor<8x384xf32>

  // tanh GELU with x ** 3
  %c3i = arith.constant 3 : i64
  %half = arith.constant 0.5 : f32
  %one = arith.constant 1.0 : f32
  %k0 = arith.constant 0.7978845608 : f32
  %k1 = arith.constant 0.044715 : f32
  %gelu = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%x : tensor<8x32x384xf32>) outs(%e3 : tensor<8x32x384xf32>) {
    ^bb0(%a: f32, %o: f32):
      %p = math.fpowi %a, %c3i : f32, i64
      %q = arith.mulf %p, %k1 : f32
      %r = arith.addf %a, %q : f32
      %s = arith.mulf %r, %k0 : f32
      %t = math.tanh %s : f32
      %u = arith.addf %t, %one : f32
      %v = arith.mulf %a, %u : f32
      %w = arith.mulf %v, %half : f32
      linalg.yield %w : f32
  } -> tensor<8x32x384xf32>

  // strided rows and a libm call
  %et = tensor.empty() : tensor<48x64xf32>
  %tr = linalg.generic {indexing_maps = [#t2, #m2], iterator_types = ["parallel", "parallel"]}
      ins(%y : tensor<64x48xf32>) outs(%et : tensor<48x64xf32>) {
    ^bb0(%a: f32, %o: f32):
      linalg.yield %a : f32
  } -> tensor<48x64xf32>
  %ea = tensor.empty() : tensor<64x48xf32>
  %ac = linalg.generic {indexing_maps = [#m2, #m2], iterator_types = ["parallel", "parallel"]}
      ins(%y : tensor<64x48xf32>) outs(%ea : tensor<64x48xf32>) {
    ^bb0(%a: f32, %o: f32):
      %s = arith.mulf %a, %a : f32
      %t = arith.addf %s, %one : f32
      %u = math.acosh %t : f32
      linalg.yield %u : f32
  } -> tensor<64x48xf32>
  %two = arith.constant dense<2.0> : tensor<8x32x384xf32>
  %sq = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%x, %two : tensor<8x32x384xf32>, tensor<8x32x384xf32>) outs(%e3 : tensor<8x32x384xf32>) {
    ^bb0(%a: f32, %p: f32, %o: f32):
      %r = math.powf %a, %p : f32
      linalg.yield %r : f32
  } -> tensor<8x32x384xf32>
  return %ln, %sm, %pooled, %gelu, %tr, %ac, %sq
      : tensor<8x32x384xf32>, tensor<8x32x384xf32>, tensor<8x384xf32>,
        tensor<8x32x384xf32>, tensor<48x64xf32>, tensor<64x48xf32>,
        tensor<8x32x384xf32>
}

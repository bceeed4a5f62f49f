// RUN: effc-opt %s --effc-raise -split-input-file | FileCheck %s

// Tests that a matmul with a constant [K, N] weight becomes effc.linear with
// the constant transposed to [N, K] at compile time.

// CHECK-LABEL: func.func @matmul_const_weight
// CHECK-SAME: (%[[X:.+]]: tensor<4x2xf32>)
// CHECK: %[[W:.+]] = arith.constant dense<{{\[}}[1.000000e+00, 4.000000e+00], [2.000000e+00, 5.000000e+00], [3.000000e+00, 6.000000e+00]]> : tensor<3x2xf32>
// CHECK: %[[Y:.+]] = effc.linear %[[X]], %[[W]] : tensor<4x2xf32>, tensor<3x2xf32> -> tensor<4x3xf32>
// CHECK-NOT: linalg.matmul
// CHECK: return %[[Y]]
func.func @matmul_const_weight(%x: tensor<4x2xf32>) -> tensor<4x3xf32> {
  %w = arith.constant dense<[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]> : tensor<2x3xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4x3xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<4x3xf32>) -> tensor<4x3xf32>
  %0 = linalg.matmul ins(%x, %w : tensor<4x2xf32>, tensor<2x3xf32>)
                     outs(%init : tensor<4x3xf32>) -> tensor<4x3xf32>
  return %0 : tensor<4x3xf32>
}

// -----

// Tests that a matmul whose [K, N] weight is a function argument gets a
// linalg.transpose to [N, K] in front of effc.linear.

// CHECK-LABEL: func.func @matmul_arg_weight
// CHECK-SAME: (%[[X:.+]]: tensor<8x64xf32>, %[[W:.+]]: tensor<64x32xf32>)
// CHECK: %[[E:.+]] = tensor.empty() : tensor<32x64xf32>
// CHECK: %[[WT:.+]] = linalg.transpose ins(%[[W]] : tensor<64x32xf32>) outs(%[[E]] : tensor<32x64xf32>) permutation = [1, 0]
// CHECK: %[[Y:.+]] = effc.linear %[[X]], %[[WT]] : tensor<8x64xf32>, tensor<32x64xf32> -> tensor<8x32xf32>
// CHECK-NOT: linalg.matmul
// CHECK: return %[[Y]]
func.func @matmul_arg_weight(%x: tensor<8x64xf32>, %w: tensor<64x32xf32>) -> tensor<8x32xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<8x32xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<8x32xf32>) -> tensor<8x32xf32>
  %0 = linalg.matmul ins(%x, %w : tensor<8x64xf32>, tensor<64x32xf32>)
                     outs(%init : tensor<8x32xf32>) -> tensor<8x32xf32>
  return %0 : tensor<8x32xf32>
}

// -----

// Tests that when B is written as linalg.transpose of an [N, K] argument,
// the transpose is stripped and the argument is the weight.

// CHECK-LABEL: func.func @matmul_transposed_arg
// CHECK-SAME: (%[[X:.+]]: tensor<8x64xf32>, %[[W:.+]]: tensor<32x64xf32>)
// CHECK-NOT: linalg.transpose
// CHECK: %[[Y:.+]] = effc.linear %[[X]], %[[W]] : tensor<8x64xf32>, tensor<32x64xf32> -> tensor<8x32xf32>
// CHECK-NOT: linalg.transpose
// CHECK-NOT: linalg.matmul
// CHECK: return %[[Y]]
func.func @matmul_transposed_arg(%x: tensor<8x64xf32>, %w: tensor<32x64xf32>) -> tensor<8x32xf32> {
  %zero = arith.constant 0.0 : f32
  %et = tensor.empty() : tensor<64x32xf32>
  %wt = linalg.transpose ins(%w : tensor<32x64xf32>) outs(%et : tensor<64x32xf32>) permutation = [1, 0]
  %e = tensor.empty() : tensor<8x32xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<8x32xf32>) -> tensor<8x32xf32>
  %0 = linalg.matmul ins(%x, %wt : tensor<8x64xf32>, tensor<64x32xf32>)
                     outs(%init : tensor<8x32xf32>) -> tensor<8x32xf32>
  return %0 : tensor<8x32xf32>
}

// -----

// Tests that a matmul reading B through transposed-B indexing maps uses B
// directly as the [N, K] weight.

// CHECK-LABEL: func.func @matmul_transposed_b_maps
// CHECK-SAME: (%[[X:.+]]: tensor<8x64xf32>, %[[W:.+]]: tensor<32x64xf32>)
// CHECK-NOT: linalg.transpose
// CHECK: %[[Y:.+]] = effc.linear %[[X]], %[[W]] : tensor<8x64xf32>, tensor<32x64xf32> -> tensor<8x32xf32>
// CHECK-NOT: linalg.matmul
// CHECK: return %[[Y]]
func.func @matmul_transposed_b_maps(%x: tensor<8x64xf32>, %w: tensor<32x64xf32>) -> tensor<8x32xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<8x32xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<8x32xf32>) -> tensor<8x32xf32>
  %0 = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (m, k)>,
                                      affine_map<(m, n, k) -> (n, k)>,
                                      affine_map<(m, n, k) -> (m, n)>]
      ins(%x, %w : tensor<8x64xf32>, tensor<32x64xf32>)
      outs(%init : tensor<8x32xf32>) -> tensor<8x32xf32>
  return %0 : tensor<8x32xf32>
}

// -----

// Tests that a batch_matmul with a constant [B, K, N] weight becomes a
// batched effc.linear with each batch of the constant transposed to [N, K].

// CHECK-LABEL: func.func @batch_matmul_const_weight
// CHECK-SAME: (%[[X:.+]]: tensor<2x4x2xf32>)
// CHECK: %[[W:.+]] = arith.constant dense<{{\[}}{{\[}}[1.000000e+00, 3.000000e+00], [2.000000e+00, 4.000000e+00]], {{\[}}[5.000000e+00, 7.000000e+00], [6.000000e+00, 8.000000e+00]]]> : tensor<2x2x2xf32>
// CHECK: %[[Y:.+]] = effc.linear %[[X]], %[[W]] : tensor<2x4x2xf32>, tensor<2x2x2xf32> -> tensor<2x4x2xf32>
// CHECK-NOT: linalg.batch_matmul
// CHECK: return %[[Y]]
func.func @batch_matmul_const_weight(%x: tensor<2x4x2xf32>) -> tensor<2x4x2xf32> {
  %w = arith.constant dense<[[[1.0, 2.0], [3.0, 4.0]], [[5.0, 6.0], [7.0, 8.0]]]> : tensor<2x2x2xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<2x4x2xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<2x4x2xf32>) -> tensor<2x4x2xf32>
  %0 = linalg.batch_matmul ins(%x, %w : tensor<2x4x2xf32>, tensor<2x2x2xf32>)
                           outs(%init : tensor<2x4x2xf32>) -> tensor<2x4x2xf32>
  return %0 : tensor<2x4x2xf32>
}

// -----

// Tests that a bias-add generic broadcasting a [N] vector along the rows
// folds into the producing effc.linear as its `bias` operand.

#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d1)>

// CHECK-LABEL: func.func @bias_add
// CHECK-SAME: (%[[X:.+]]: tensor<8x64xf32>, %[[W:.+]]: tensor<32x64xf32>, %[[B:.+]]: tensor<32xf32>)
// CHECK: %[[Y:.+]] = effc.linear %[[X]], %[[W]] bias %[[B]] : tensor<8x64xf32>, tensor<32x64xf32>, tensor<32xf32> -> tensor<8x32xf32>
// CHECK-NOT: linalg.generic
// CHECK: return %[[Y]]
func.func @bias_add(%x: tensor<8x64xf32>, %w: tensor<32x64xf32>, %b: tensor<32xf32>) -> tensor<8x32xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<8x32xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<8x32xf32>) -> tensor<8x32xf32>
  %0 = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (m, k)>,
                                      affine_map<(m, n, k) -> (n, k)>,
                                      affine_map<(m, n, k) -> (m, n)>]
      ins(%x, %w : tensor<8x64xf32>, tensor<32x64xf32>)
      outs(%init : tensor<8x32xf32>) -> tensor<8x32xf32>
  %1 = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]}
      ins(%0, %b : tensor<8x32xf32>, tensor<32xf32>) outs(%e : tensor<8x32xf32>) {
  ^bb0(%acc: f32, %bias: f32, %out: f32):
    %s = arith.addf %bias, %acc : f32
    linalg.yield %s : f32
  } -> tensor<8x32xf32>
  return %1 : tensor<8x32xf32>
}

// -----

// Tests that a relu generic (maximumf with 0) after a bias-add folds into
// effc.linear as `activation = relu`, together with the bias.

#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d1)>

// CHECK-LABEL: func.func @bias_relu
// CHECK-SAME: (%[[X:.+]]: tensor<8x64xf32>, %[[W:.+]]: tensor<32x64xf32>, %[[B:.+]]: tensor<32xf32>)
// CHECK: %[[Y:.+]] = effc.linear %[[X]], %[[W]] bias %[[B]] {activation = #effc.activation<relu>}
// CHECK-NOT: linalg.generic
// CHECK: return %[[Y]]
func.func @bias_relu(%x: tensor<8x64xf32>, %w: tensor<32x64xf32>, %b: tensor<32xf32>) -> tensor<8x32xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<8x32xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<8x32xf32>) -> tensor<8x32xf32>
  %0 = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (m, k)>,
                                      affine_map<(m, n, k) -> (n, k)>,
                                      affine_map<(m, n, k) -> (m, n)>]
      ins(%x, %w : tensor<8x64xf32>, tensor<32x64xf32>)
      outs(%init : tensor<8x32xf32>) -> tensor<8x32xf32>
  %1 = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]}
      ins(%0, %b : tensor<8x32xf32>, tensor<32xf32>) outs(%e : tensor<8x32xf32>) {
  ^bb0(%acc: f32, %bias: f32, %out: f32):
    %s = arith.addf %acc, %bias : f32
    linalg.yield %s : f32
  } -> tensor<8x32xf32>
  %2 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%1 : tensor<8x32xf32>) outs(%e : tensor<8x32xf32>) {
  ^bb0(%a: f32, %out: f32):
    %r = arith.maximumf %a, %zero : f32
    linalg.yield %r : f32
  } -> tensor<8x32xf32>
  return %2 : tensor<8x32xf32>
}

// -----

// Tests that a relu written as cmpf + select folds as `activation = relu`.

#id = affine_map<(d0, d1) -> (d0, d1)>

// CHECK-LABEL: func.func @relu_select
// CHECK: %[[Y:.+]] = effc.linear %{{.+}}, %{{.+}} {activation = #effc.activation<relu>}
// CHECK-NOT: linalg.generic
// CHECK: return %[[Y]]
func.func @relu_select(%x: tensor<8x64xf32>, %w: tensor<32x64xf32>) -> tensor<8x32xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<8x32xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<8x32xf32>) -> tensor<8x32xf32>
  %0 = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (m, k)>,
                                      affine_map<(m, n, k) -> (n, k)>,
                                      affine_map<(m, n, k) -> (m, n)>]
      ins(%x, %w : tensor<8x64xf32>, tensor<32x64xf32>)
      outs(%init : tensor<8x32xf32>) -> tensor<8x32xf32>
  %1 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%0 : tensor<8x32xf32>) outs(%e : tensor<8x32xf32>) {
  ^bb0(%a: f32, %out: f32):
    %c = arith.cmpf ogt, %a, %zero : f32
    %r = arith.select %c, %a, %zero : f32
    linalg.yield %r : f32
  } -> tensor<8x32xf32>
  return %1 : tensor<8x32xf32>
}

// -----

// Tests that the erf form of gelu, 0.5 * x * (1 + erf(x / sqrt(2))), folds
// as `activation = gelu`.

#id = affine_map<(d0, d1) -> (d0, d1)>

// CHECK-LABEL: func.func @gelu_erf
// CHECK: %[[Y:.+]] = effc.linear %{{.+}}, %{{.+}} {activation = #effc.activation<gelu>}
// CHECK-NOT: linalg.generic
// CHECK: return %[[Y]]
func.func @gelu_erf(%x: tensor<8x64xf32>, %w: tensor<32x64xf32>) -> tensor<8x32xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<8x32xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<8x32xf32>) -> tensor<8x32xf32>
  %0 = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (m, k)>,
                                      affine_map<(m, n, k) -> (n, k)>,
                                      affine_map<(m, n, k) -> (m, n)>]
      ins(%x, %w : tensor<8x64xf32>, tensor<32x64xf32>)
      outs(%init : tensor<8x32xf32>) -> tensor<8x32xf32>
  %1 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%0 : tensor<8x32xf32>) outs(%e : tensor<8x32xf32>) {
  ^bb0(%a: f32, %out: f32):
    %half = arith.constant 0.5 : f32
    %one = arith.constant 1.0 : f32
    %rsqrt2 = arith.constant 0.707106769 : f32
    %s = arith.mulf %a, %rsqrt2 : f32
    %erf = math.erf %s : f32
    %p = arith.addf %erf, %one : f32
    %h = arith.mulf %a, %half : f32
    %r = arith.mulf %h, %p : f32
    linalg.yield %r : f32
  } -> tensor<8x32xf32>
  return %1 : tensor<8x32xf32>
}

// -----

// Tests that the tanh approximation of gelu,
// 0.5 * x * (1 + tanh(sqrt(2 / pi) * (x + 0.044715 * x^3))), folds as
// `activation = gelu_tanh`.

#id = affine_map<(d0, d1) -> (d0, d1)>

// CHECK-LABEL: func.func @gelu_tanh
// CHECK: %[[Y:.+]] = effc.linear %{{.+}}, %{{.+}} {activation = #effc.activation<gelu_tanh>}
// CHECK-NOT: linalg.generic
// CHECK: return %[[Y]]
func.func @gelu_tanh(%x: tensor<8x64xf32>, %w: tensor<32x64xf32>) -> tensor<8x32xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<8x32xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<8x32xf32>) -> tensor<8x32xf32>
  %0 = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (m, k)>,
                                      affine_map<(m, n, k) -> (n, k)>,
                                      affine_map<(m, n, k) -> (m, n)>]
      ins(%x, %w : tensor<8x64xf32>, tensor<32x64xf32>)
      outs(%init : tensor<8x32xf32>) -> tensor<8x32xf32>
  %1 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%0 : tensor<8x32xf32>) outs(%e : tensor<8x32xf32>) {
  ^bb0(%a: f32, %out: f32):
    %half = arith.constant 0.5 : f32
    %one = arith.constant 1.0 : f32
    %c = arith.constant 0.044715 : f32
    %k = arith.constant 0.797884583 : f32
    %x2 = arith.mulf %a, %a : f32
    %x3 = arith.mulf %x2, %a : f32
    %t = arith.mulf %x3, %c : f32
    %in = arith.addf %a, %t : f32
    %s = arith.mulf %in, %k : f32
    %th = math.tanh %s : f32
    %p = arith.addf %th, %one : f32
    %h = arith.mulf %a, %half : f32
    %r = arith.mulf %h, %p : f32
    linalg.yield %r : f32
  } -> tensor<8x32xf32>
  return %1 : tensor<8x32xf32>
}

// -----

// Tests that silu written as x * sigmoid(x), with the sigmoid spelled
// 1 / (1 + exp(-x)), folds as `activation = silu`.

#id = affine_map<(d0, d1) -> (d0, d1)>

// CHECK-LABEL: func.func @silu_mul_sigmoid
// CHECK: %[[Y:.+]] = effc.linear %{{.+}}, %{{.+}} {activation = #effc.activation<silu>}
// CHECK-NOT: linalg.generic
// CHECK: return %[[Y]]
func.func @silu_mul_sigmoid(%x: tensor<8x64xf32>, %w: tensor<32x64xf32>) -> tensor<8x32xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<8x32xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<8x32xf32>) -> tensor<8x32xf32>
  %0 = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (m, k)>,
                                      affine_map<(m, n, k) -> (n, k)>,
                                      affine_map<(m, n, k) -> (m, n)>]
      ins(%x, %w : tensor<8x64xf32>, tensor<32x64xf32>)
      outs(%init : tensor<8x32xf32>) -> tensor<8x32xf32>
  %1 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%0 : tensor<8x32xf32>) outs(%e : tensor<8x32xf32>) {
  ^bb0(%a: f32, %out: f32):
    %one = arith.constant 1.0 : f32
    %n = arith.negf %a : f32
    %ex = math.exp %n : f32
    %d = arith.addf %ex, %one : f32
    %sig = arith.divf %one, %d : f32
    %r = arith.mulf %a, %sig : f32
    linalg.yield %r : f32
  } -> tensor<8x32xf32>
  return %1 : tensor<8x32xf32>
}

// -----

// Tests that silu written as x / (1 + exp(-x)) folds as `activation = silu`.

#id = affine_map<(d0, d1) -> (d0, d1)>

// CHECK-LABEL: func.func @silu_div
// CHECK: %[[Y:.+]] = effc.linear %{{.+}}, %{{.+}} {activation = #effc.activation<silu>}
// CHECK-NOT: linalg.generic
// CHECK: return %[[Y]]
func.func @silu_div(%x: tensor<8x64xf32>, %w: tensor<32x64xf32>) -> tensor<8x32xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<8x32xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<8x32xf32>) -> tensor<8x32xf32>
  %0 = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (m, k)>,
                                      affine_map<(m, n, k) -> (n, k)>,
                                      affine_map<(m, n, k) -> (m, n)>]
      ins(%x, %w : tensor<8x64xf32>, tensor<32x64xf32>)
      outs(%init : tensor<8x32xf32>) -> tensor<8x32xf32>
  %1 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%0 : tensor<8x32xf32>) outs(%e : tensor<8x32xf32>) {
  ^bb0(%a: f32, %out: f32):
    %one = arith.constant 1.0 : f32
    %n = arith.negf %a : f32
    %ex = math.exp %n : f32
    %d = arith.addf %one, %ex : f32
    %r = arith.divf %a, %d : f32
    linalg.yield %r : f32
  } -> tensor<8x32xf32>
  return %1 : tensor<8x32xf32>
}

// -----

// Tests that clamp(x, 0, 6) (relu6) folds as `activation = clamp` with the
// bounds as clamp_min / clamp_max.

#id = affine_map<(d0, d1) -> (d0, d1)>

// CHECK-LABEL: func.func @clamp_relu6
// CHECK: %[[Y:.+]] = effc.linear %{{.+}}, %{{.+}} {activation = #effc.activation<clamp>, clamp_max = 6.000000e+00 : f32, clamp_min = 0.000000e+00 : f32}
// CHECK-NOT: linalg.generic
// CHECK: return %[[Y]]
func.func @clamp_relu6(%x: tensor<8x64xf32>, %w: tensor<32x64xf32>) -> tensor<8x32xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<8x32xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<8x32xf32>) -> tensor<8x32xf32>
  %0 = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (m, k)>,
                                      affine_map<(m, n, k) -> (n, k)>,
                                      affine_map<(m, n, k) -> (m, n)>]
      ins(%x, %w : tensor<8x64xf32>, tensor<32x64xf32>)
      outs(%init : tensor<8x32xf32>) -> tensor<8x32xf32>
  %1 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%0 : tensor<8x32xf32>) outs(%e : tensor<8x32xf32>) {
  ^bb0(%a: f32, %out: f32):
    %six = arith.constant 6.0 : f32
    %lo = arith.maximumf %a, %zero : f32
    %r = arith.minimumf %lo, %six : f32
    linalg.yield %r : f32
  } -> tensor<8x32xf32>
  return %1 : tensor<8x32xf32>
}

// -----

// Tests that a one-sided min(x, 100) is not mistaken for a clamp: its
// upper bound lies outside the sampled range and it has no lower bound, so
// the generic stays.

#id = affine_map<(d0, d1) -> (d0, d1)>

// CHECK-LABEL: func.func @min_not_clamp
// CHECK: %[[Y:.+]] = effc.linear
// CHECK-NOT: activation
// CHECK: %[[R:.+]] = linalg.generic
// CHECK-SAME: ins(%[[Y]] : tensor<8x32xf32>)
// CHECK: arith.minimumf
// CHECK: return %[[R]]
func.func @min_not_clamp(%x: tensor<8x64xf32>, %w: tensor<32x64xf32>) -> tensor<8x32xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<8x32xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<8x32xf32>) -> tensor<8x32xf32>
  %0 = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (m, k)>,
                                      affine_map<(m, n, k) -> (n, k)>,
                                      affine_map<(m, n, k) -> (m, n)>]
      ins(%x, %w : tensor<8x64xf32>, tensor<32x64xf32>)
      outs(%init : tensor<8x32xf32>) -> tensor<8x32xf32>
  %1 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%0 : tensor<8x32xf32>) outs(%e : tensor<8x32xf32>) {
  ^bb0(%a: f32, %out: f32):
    %big = arith.constant 100.0 : f32
    %r = arith.minimumf %a, %big : f32
    linalg.yield %r : f32
  } -> tensor<8x32xf32>
  return %1 : tensor<8x32xf32>
}

// -----

// Tests that linalg.conv_2d_nhwc_hwcf with a constant [KH, KW, C, F] weight
// becomes effc.conv2d with the weight permuted to [F, KH, KW, C] at compile
// time and the strides kept.

// CHECK-LABEL: func.func @conv_nhwc_hwcf_const
// CHECK-SAME: (%[[X:.+]]: tensor<1x8x8x2xf32>)
// CHECK: %[[W:.+]] = arith.constant dense<{{\[}}{{\[}}{{\[}}[1.000000e+00, 4.000000e+00]]], {{\[}}{{\[}}[2.000000e+00, 5.000000e+00]]], {{\[}}{{\[}}[3.000000e+00, 6.000000e+00]]]]> : tensor<3x1x1x2xf32>
// CHECK: %[[Y:.+]] = effc.conv2d %[[X]], %[[W]] {strides = array<i64: 2, 2>} : tensor<1x8x8x2xf32>, tensor<3x1x1x2xf32> -> tensor<1x4x4x3xf32>
// CHECK-NOT: linalg.conv_2d
// CHECK: return %[[Y]]
func.func @conv_nhwc_hwcf_const(%x: tensor<1x8x8x2xf32>) -> tensor<1x4x4x3xf32> {
  %w = arith.constant dense<[[[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]]]> : tensor<1x1x2x3xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x4x4x3xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<1x4x4x3xf32>) -> tensor<1x4x4x3xf32>
  %0 = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
      ins(%x, %w : tensor<1x8x8x2xf32>, tensor<1x1x2x3xf32>)
      outs(%init : tensor<1x4x4x3xf32>) -> tensor<1x4x4x3xf32>
  return %0 : tensor<1x4x4x3xf32>
}

// -----

// Tests that a zero tensor.pad of H and W in front of
// linalg.conv_2d_nhwc_hwcf is absorbed into the conv's [top, bottom, left,
// right] padding, and that an argument weight gets a linalg.transpose to
// [F, KH, KW, C].

// CHECK-LABEL: func.func @conv_nhwc_hwcf_pad
// CHECK-SAME: (%[[X:.+]]: tensor<1x8x8x3xf32>, %[[W:.+]]: tensor<3x3x3x4xf32>)
// CHECK-NOT: tensor.pad
// CHECK: %[[WT:.+]] = linalg.transpose ins(%[[W]] : tensor<3x3x3x4xf32>) outs(%{{.+}} : tensor<4x3x3x3xf32>) permutation = [3, 0, 1, 2]
// CHECK: %[[Y:.+]] = effc.conv2d %[[X]], %[[WT]] {padding = array<i64: 1, 3, 2, 4>} : tensor<1x8x8x3xf32>, tensor<4x3x3x3xf32> -> tensor<1x10x12x4xf32>
// CHECK-NOT: tensor.pad
// CHECK-NOT: linalg.conv_2d
// CHECK: return %[[Y]]
func.func @conv_nhwc_hwcf_pad(%x: tensor<1x8x8x3xf32>, %w: tensor<3x3x3x4xf32>) -> tensor<1x10x12x4xf32> {
  %zero = arith.constant 0.0 : f32
  %p = tensor.pad %x low[0, 1, 2, 0] high[0, 3, 4, 0] {
  ^bb0(%i: index, %j: index, %k: index, %l: index):
    tensor.yield %zero : f32
  } : tensor<1x8x8x3xf32> to tensor<1x12x14x3xf32>
  %e = tensor.empty() : tensor<1x10x12x4xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<1x10x12x4xf32>) -> tensor<1x10x12x4xf32>
  %0 = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%p, %w : tensor<1x12x14x3xf32>, tensor<3x3x3x4xf32>)
      outs(%init : tensor<1x10x12x4xf32>) -> tensor<1x10x12x4xf32>
  return %0 : tensor<1x10x12x4xf32>
}

// -----

// Tests that a bias-add and relu after a raised convolution fold into
// effc.conv2d, with the bias broadcast along the channel dim.

#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#ch = affine_map<(d0, d1, d2, d3) -> (d3)>

// CHECK-LABEL: func.func @conv_bias_relu
// CHECK-SAME: (%[[X:.+]]: tensor<1x8x8x3xf32>, %[[W:.+]]: tensor<1x1x3x4xf32>, %[[B:.+]]: tensor<4xf32>)
// CHECK: %[[Y:.+]] = effc.conv2d %[[X]], %{{.+}} bias %[[B]] {activation = #effc.activation<relu>}
// CHECK-NOT: linalg.generic
// CHECK: return %[[Y]]
func.func @conv_bias_relu(%x: tensor<1x8x8x3xf32>, %w: tensor<1x1x3x4xf32>, %b: tensor<4xf32>) -> tensor<1x8x8x4xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x8x8x4xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<1x8x8x4xf32>) -> tensor<1x8x8x4xf32>
  %0 = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%x, %w : tensor<1x8x8x3xf32>, tensor<1x1x3x4xf32>)
      outs(%init : tensor<1x8x8x4xf32>) -> tensor<1x8x8x4xf32>
  %1 = linalg.generic {indexing_maps = [#id, #ch, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%0, %b : tensor<1x8x8x4xf32>, tensor<4xf32>) outs(%e : tensor<1x8x8x4xf32>) {
  ^bb0(%acc: f32, %bias: f32, %out: f32):
    %s = arith.addf %acc, %bias : f32
    linalg.yield %s : f32
  } -> tensor<1x8x8x4xf32>
  %2 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%1 : tensor<1x8x8x4xf32>) outs(%e : tensor<1x8x8x4xf32>) {
  ^bb0(%a: f32, %out: f32):
    %r = arith.maximumf %a, %zero : f32
    linalg.yield %r : f32
  } -> tensor<1x8x8x4xf32>
  return %2 : tensor<1x8x8x4xf32>
}

// -----

// Tests that linalg.depthwise_conv_2d_nhwc_hwc becomes effc.conv2d with
// groups = C and its [KH, KW, C] weight rearranged to [C, KH, KW, 1].

// CHECK-LABEL: func.func @depthwise_nhwc_hwc
// CHECK-SAME: (%[[X:.+]]: tensor<1x8x8x3xf32>)
// CHECK: %[[W:.+]] = arith.constant dense<{{\[}}{{\[}}{{\[}}[1.000000e+00], [4.000000e+00]]], {{\[}}{{\[}}[2.000000e+00], [5.000000e+00]]], {{\[}}{{\[}}[3.000000e+00], [6.000000e+00]]]]> : tensor<3x1x2x1xf32>
// CHECK: %[[Y:.+]] = effc.conv2d %[[X]], %[[W]] {groups = 3 : i64} : tensor<1x8x8x3xf32>, tensor<3x1x2x1xf32> -> tensor<1x8x7x3xf32>
// CHECK-NOT: linalg.depthwise_conv_2d
// CHECK: return %[[Y]]
func.func @depthwise_nhwc_hwc(%x: tensor<1x8x8x3xf32>) -> tensor<1x8x7x3xf32> {
  %w = arith.constant dense<[[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]]> : tensor<1x2x3xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x8x7x3xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<1x8x7x3xf32>) -> tensor<1x8x7x3xf32>
  %0 = linalg.depthwise_conv_2d_nhwc_hwc {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%x, %w : tensor<1x8x8x3xf32>, tensor<1x2x3xf32>)
      outs(%init : tensor<1x8x7x3xf32>) -> tensor<1x8x7x3xf32>
  return %0 : tensor<1x8x7x3xf32>
}

// -----

// Tests that tosa.matmul with zero zero-points and a constant [1, K, N]
// right operand (how torch-mlir writes every nn.Linear) becomes an
// effc.linear with a plain [N, K] weight on the rank-3 input, which every
// precision and compression takes.

// CHECK-LABEL: func.func @tosa_matmul
// CHECK-SAME: (%[[A:.+]]: tensor<1x4x2xf32>)
// CHECK: %[[W:.+]] = arith.constant dense<{{\[}}[1.000000e+00, 4.000000e+00], [2.000000e+00, 5.000000e+00], [3.000000e+00, 6.000000e+00]]> : tensor<3x2xf32>
// CHECK: %[[Y:.+]] = effc.linear %[[A]], %[[W]] : tensor<1x4x2xf32>, tensor<3x2xf32> -> tensor<1x4x3xf32>
// CHECK-NOT: tosa.matmul
// CHECK: return %[[Y]]
func.func @tosa_matmul(%a: tensor<1x4x2xf32>) -> tensor<1x4x3xf32> {
  %b = "tosa.const"() <{values = dense<[[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]]> : tensor<1x2x3xf32>}> : () -> tensor<1x2x3xf32>
  %zp = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %0 = tosa.matmul %a, %b, %zp, %zp : (tensor<1x4x2xf32>, tensor<1x2x3xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x4x3xf32>
  return %0 : tensor<1x4x3xf32>
}

// -----

// Tests that tosa.conv2d (weight already [F, KH, KW, C]) becomes
// effc.conv2d with its bias, TOSA's [top, bottom, left, right] pad, strides
// and dilations.

// CHECK-LABEL: func.func @tosa_conv2d
// CHECK-SAME: (%[[X:.+]]: tensor<1x8x8x3xf32>, %[[W:.+]]: tensor<4x3x3x3xf32>, %[[B:.+]]: tensor<4xf32>)
// CHECK: %[[Y:.+]] = effc.conv2d %[[X]], %[[W]] bias %[[B]] {dilations = array<i64: 1, 2>, padding = array<i64: 1, 0, 2, 1>, strides = array<i64: 2, 1>} : tensor<1x8x8x3xf32>, tensor<4x3x3x3xf32>, tensor<4xf32> -> tensor<1x4x7x4xf32>
// CHECK-NOT: tosa.conv2d
// CHECK: return %[[Y]]
func.func @tosa_conv2d(%x: tensor<1x8x8x3xf32>, %w: tensor<4x3x3x3xf32>, %b: tensor<4xf32>) -> tensor<1x4x7x4xf32> {
  %zp = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %0 = tosa.conv2d %x, %w, %b, %zp, %zp {acc_type = f32, dilation = array<i64: 1, 2>, pad = array<i64: 1, 0, 2, 1>, stride = array<i64: 2, 1>}
      : (tensor<1x8x8x3xf32>, tensor<4x3x3x3xf32>, tensor<4xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x4x7x4xf32>
  return %0 : tensor<1x4x7x4xf32>
}

// -----

// Tests that tosa.conv2d with a zero one-element bias becomes effc.conv2d
// without a bias.

// CHECK-LABEL: func.func @tosa_conv2d_zero_bias
// CHECK-SAME: (%[[X:.+]]: tensor<1x8x8x3xf32>, %[[W:.+]]: tensor<4x1x1x3xf32>)
// CHECK: %[[Y:.+]] = effc.conv2d %[[X]], %[[W]] : tensor<1x8x8x3xf32>, tensor<4x1x1x3xf32> -> tensor<1x8x8x4xf32>
// CHECK-NOT: tosa.conv2d
// CHECK: return %[[Y]]
func.func @tosa_conv2d_zero_bias(%x: tensor<1x8x8x3xf32>, %w: tensor<4x1x1x3xf32>) -> tensor<1x8x8x4xf32> {
  %zp = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %0 = tosa.conv2d %x, %w, %zp, %zp, %zp {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>}
      : (tensor<1x8x8x3xf32>, tensor<4x1x1x3xf32>, tensor<1xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x8x8x4xf32>
  return %0 : tensor<1x8x8x4xf32>
}

// -----

// Tests that tosa.depthwise_conv2d with a [KH, KW, C, M] weight becomes
// effc.conv2d with groups = C and a [C * M, KH, KW, 1] weight in which
// output channel c * M + m reads input channel c.

// CHECK-LABEL: func.func @tosa_depthwise_conv2d
// CHECK-SAME: (%[[X:.+]]: tensor<1x8x8x2xf32>, %[[B:.+]]: tensor<4xf32>)
// CHECK: %[[W:.+]] = arith.constant dense<{{\[}}{{\[}}{{\[}}[1.000000e+00], [5.000000e+00]]], {{\[}}{{\[}}[2.000000e+00], [6.000000e+00]]], {{\[}}{{\[}}[3.000000e+00], [7.000000e+00]]], {{\[}}{{\[}}[4.000000e+00], [8.000000e+00]]]]> : tensor<4x1x2x1xf32>
// CHECK: %[[Y:.+]] = effc.conv2d %[[X]], %[[W]] bias %[[B]] {groups = 2 : i64} : tensor<1x8x8x2xf32>, tensor<4x1x2x1xf32>, tensor<4xf32> -> tensor<1x8x7x4xf32>
// CHECK-NOT: tosa.depthwise_conv2d
// CHECK: return %[[Y]]
func.func @tosa_depthwise_conv2d(%x: tensor<1x8x8x2xf32>, %b: tensor<4xf32>) -> tensor<1x8x7x4xf32> {
  %w = "tosa.const"() <{values = dense<[[[[1.0, 2.0], [3.0, 4.0]], [[5.0, 6.0], [7.0, 8.0]]]]> : tensor<1x2x2x2xf32>}> : () -> tensor<1x2x2x2xf32>
  %zp = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %0 = tosa.depthwise_conv2d %x, %w, %b, %zp, %zp {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>}
      : (tensor<1x8x8x2xf32>, tensor<1x2x2x2xf32>, tensor<4xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x8x7x4xf32>
  return %0 : tensor<1x8x7x4xf32>
}

// -----

// Tests that a matmul whose B is computed (neither a constant nor a
// function argument) is not raised.

// CHECK-LABEL: func.func @negative_computed_b
// CHECK-NOT: effc.linear
// CHECK: %[[B:.+]] = linalg.add
// CHECK: %[[Y:.+]] = linalg.matmul ins(%{{.+}}, %[[B]] : tensor<8x64xf32>, tensor<64x32xf32>)
// CHECK-NOT: effc.linear
// CHECK: return %[[Y]]
func.func @negative_computed_b(%x: tensor<8x64xf32>, %w0: tensor<64x32xf32>, %w1: tensor<64x32xf32>) -> tensor<8x32xf32> {
  %eb = tensor.empty() : tensor<64x32xf32>
  %w = linalg.add ins(%w0, %w1 : tensor<64x32xf32>, tensor<64x32xf32>) outs(%eb : tensor<64x32xf32>) -> tensor<64x32xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<8x32xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<8x32xf32>) -> tensor<8x32xf32>
  %0 = linalg.matmul ins(%x, %w : tensor<8x64xf32>, tensor<64x32xf32>)
                     outs(%init : tensor<8x32xf32>) -> tensor<8x32xf32>
  return %0 : tensor<8x32xf32>
}

// -----

// Tests that a matmul accumulating into a non-zero init is not raised
// (effc.linear starts from zero).

// CHECK-LABEL: func.func @negative_nonzero_init
// CHECK-NOT: effc.linear
// CHECK: %[[Y:.+]] = linalg.matmul
// CHECK-NOT: effc.linear
// CHECK: return %[[Y]]
func.func @negative_nonzero_init(%x: tensor<8x64xf32>, %w: tensor<64x32xf32>) -> tensor<8x32xf32> {
  %one = arith.constant 1.0 : f32
  %e = tensor.empty() : tensor<8x32xf32>
  %init = linalg.fill ins(%one : f32) outs(%e : tensor<8x32xf32>) -> tensor<8x32xf32>
  %0 = linalg.matmul ins(%x, %w : tensor<8x64xf32>, tensor<64x32xf32>)
                     outs(%init : tensor<8x32xf32>) -> tensor<8x32xf32>
  return %0 : tensor<8x32xf32>
}

// -----

// Tests that an elementwise generic that is not an activation (x * x + 1)
// stays a generic after the raised matmul instead of being folded.

#id = affine_map<(d0, d1) -> (d0, d1)>

// CHECK-LABEL: func.func @negative_not_activation
// CHECK: %[[Y:.+]] = effc.linear
// CHECK-NOT: activation
// CHECK: %[[R:.+]] = linalg.generic
// CHECK-SAME: ins(%[[Y]] : tensor<8x32xf32>)
// CHECK: arith.mulf
// CHECK: arith.addf
// CHECK: return %[[R]]
func.func @negative_not_activation(%x: tensor<8x64xf32>, %w: tensor<32x64xf32>) -> tensor<8x32xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<8x32xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<8x32xf32>) -> tensor<8x32xf32>
  %0 = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (m, k)>,
                                      affine_map<(m, n, k) -> (n, k)>,
                                      affine_map<(m, n, k) -> (m, n)>]
      ins(%x, %w : tensor<8x64xf32>, tensor<32x64xf32>)
      outs(%init : tensor<8x32xf32>) -> tensor<8x32xf32>
  %1 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%0 : tensor<8x32xf32>) outs(%e : tensor<8x32xf32>) {
  ^bb0(%a: f32, %out: f32):
    %one = arith.constant 1.0 : f32
    %sq = arith.mulf %a, %a : f32
    %r = arith.addf %sq, %one : f32
    linalg.yield %r : f32
  } -> tensor<8x32xf32>
  return %1 : tensor<8x32xf32>
}

// -----

// Tests that an integer matmul (i8 x i8 -> i32) is not raised: effc.linear
// is a float op.

// CHECK-LABEL: func.func @negative_integer_matmul
// CHECK-NOT: effc.linear
// CHECK: %[[Y:.+]] = linalg.matmul ins(%{{.+}}, %{{.+}} : tensor<8x64xi8>, tensor<64x32xi8>) outs(%{{.+}} : tensor<8x32xi32>)
// CHECK-NOT: effc.linear
// CHECK: return %[[Y]]
func.func @negative_integer_matmul(%x: tensor<8x64xi8>, %w: tensor<64x32xi8>) -> tensor<8x32xi32> {
  %zero = arith.constant 0 : i32
  %e = tensor.empty() : tensor<8x32xi32>
  %init = linalg.fill ins(%zero : i32) outs(%e : tensor<8x32xi32>) -> tensor<8x32xi32>
  %0 = linalg.matmul ins(%x, %w : tensor<8x64xi8>, tensor<64x32xi8>)
                     outs(%init : tensor<8x32xi32>) -> tensor<8x32xi32>
  return %0 : tensor<8x32xi32>
}

// -----

// Tests that a truncf of an f64 constant in a generic's body (how
// torch-mlir writes attention scales) folds to the f32 constant, rounded to
// nearest even, so that the attention matcher reads a constant scale.

// CHECK-LABEL: func.func @trunc_scale
// CHECK-NOT: arith.truncf
// CHECK: %[[S:.+]] = arith.constant 0.176776692 : f32
// CHECK: arith.mulf %{{.*}}, %[[S]] : f32
func.func @trunc_scale(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %c = arith.constant 0.17677669529663687 : f64
  %e = tensor.empty() : tensor<4x8xf32>
  %y = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%x : tensor<4x8xf32>) outs(%e : tensor<4x8xf32>) {
  ^bb0(%in: f32, %out: f32):
    %s = arith.truncf %c : f64 to f32
    %m = arith.mulf %in, %s : f32
    linalg.yield %m : f32
  } -> tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}

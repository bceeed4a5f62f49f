// RUN: effc-opt %s --effc-low-rank="rank=2" -split-input-file 2>/dev/null | FileCheck %s
// RUN: effc-opt %s --effc-low-rank="rank=2" -split-input-file -o /dev/null 2>&1 | FileCheck %s --check-prefix=REMARK
// RUN: effc-opt %s --effc-low-rank -split-input-file 2>/dev/null | FileCheck %s --check-prefix=ENERGY
// RUN: effc-opt %s --effc-low-rank="energy=0.99" -split-input-file -o /dev/null 2>&1 | FileCheck %s --check-prefix=ENERGY-REMARK
// RUN: effc-opt %s --effc-low-rank="rank=7" -split-input-file -o /dev/null 2>&1 | FileCheck %s --check-prefix=BAD-RANK
// RUN: not effc-opt %s --effc-low-rank="energy=1.5" -o /dev/null 2>&1 | FileCheck %s --check-prefix=BAD-ENERGY
// RUN: not effc-opt %s --effc-low-rank="rank=-1" -o /dev/null 2>&1 | FileCheck %s --check-prefix=NEG-RANK

// Tests that an [8, 6] weight of rank 2 (the sum of two outer products)
// becomes a [2, 6] and an [8, 2] linear, exactly (error at f32 rounding, no
// truncation error), and that energy=0.99 also picks rank 2 for it.

// CHECK-LABEL: func.func @rank_two
// CHECK-SAME: (%[[X:.+]]: tensor<4x6xf32>)
// CHECK-NOT: tensor<8x6xf32>
// CHECK: %[[V:.+]] = arith.constant dense<{{.+}}> : tensor<2x6xf32>
// CHECK: %[[U:.+]] = arith.constant dense<{{.+}}> : tensor<8x2xf32>
// CHECK: %[[T:.+]] = effc.linear %[[X]], %[[V]] : tensor<4x6xf32>, tensor<2x6xf32> -> tensor<4x2xf32>
// CHECK: %[[Y:.+]] = effc.linear %[[T]], %[[U]] : tensor<4x2xf32>, tensor<8x2xf32> -> tensor<4x8xf32>
// CHECK: return %[[Y]]

// REMARK: remark: low-rank: factored to rank 2 (N = 8, K = 6): relative Frobenius error {{[0-9]\.[0-9]+e-(0[89]|1[0-9])}} (truncation alone {{[0-9]\.[0-9]+e-1[0-9]}}); weight bytes 192 -> 112, FLOPs per input row 96 -> 56 (1.71x fewer)

// ENERGY-LABEL: func.func @rank_two
// ENERGY: effc.linear {{.+}} : tensor<4x6xf32>, tensor<2x6xf32> -> tensor<4x2xf32>
// ENERGY: effc.linear {{.+}} : tensor<4x2xf32>, tensor<8x2xf32> -> tensor<4x8xf32>

// ENERGY-REMARK: remark: low-rank: factored to rank 2 (N = 8, K = 6): relative Frobenius error {{[0-9]\.[0-9]+e-(0[89]|1[0-9])}} (truncation alone {{[0-9]\.[0-9]+e-1[0-9]}}); weight bytes 192 -> 112, FLOPs per input row 96 -> 56 (1.71x fewer); energy 0.99

// BAD-RANK: remark: low-rank: not factored: rank 7 exceeds min(N, K) = 6 of the [8, 6] weight
func.func @rank_two(%x: tensor<4x6xf32>) -> tensor<4x8xf32> {
  %w = arith.constant dense<[[1.0, 1.0, 1.0, 2.0, 1.0, 1.0], [2.0, -1.0, 2.0, -2.0, 2.0, -1.0],
                             [3.0, 1.0, 3.0, 2.0, 3.0, 1.0], [4.0, -1.0, 4.0, -2.0, 4.0, -1.0],
                             [5.0, 1.0, 5.0, 2.0, 5.0, 1.0], [6.0, -1.0, 6.0, -2.0, 6.0, -1.0],
                             [7.0, 1.0, 7.0, 2.0, 7.0, 1.0], [8.0, -1.0, 8.0, -2.0, 8.0, -1.0]]> : tensor<8x6xf32>
  %y = effc.linear %x, %w : tensor<4x6xf32>, tensor<8x6xf32> -> tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}

// -----

// Tests the rank choice on an [8, 8] weight with singular values 10, 4, 2,
// 1, 0.1 (a signed permutation of a diagonal): rank=2 truncates with
// relative error sqrt(5.01 / 121.01) = 0.2035; energy=0.99 needs rank 3
// (120 / 121.01 >= 0.99 > 116 / 121.01), error sqrt(1.01 / 121.01) = 0.0914.

// CHECK-LABEL: func.func @graded_spectrum
// CHECK: effc.linear {{.+}} : tensor<3x8xf32>, tensor<2x8xf32> -> tensor<3x2xf32>
// CHECK: effc.linear {{.+}} : tensor<3x2xf32>, tensor<8x2xf32> -> tensor<3x8xf32>

// REMARK: remark: low-rank: factored to rank 2 (N = 8, K = 8): relative Frobenius error 2.035e-01 (truncation alone 2.035e-01); weight bytes 256 -> 128, FLOPs per input row 128 -> 64 (2.00x fewer)

// ENERGY-LABEL: func.func @graded_spectrum
// ENERGY: effc.linear {{.+}} : tensor<3x8xf32>, tensor<3x8xf32> -> tensor<3x3xf32>
// ENERGY: effc.linear {{.+}} : tensor<3x3xf32>, tensor<8x3xf32> -> tensor<3x8xf32>

// ENERGY-REMARK: remark: low-rank: factored to rank 3 (N = 8, K = 8): relative Frobenius error 9.136e-02 (truncation alone 9.136e-02); weight bytes 256 -> 192, FLOPs per input row 128 -> 96 (1.33x fewer); energy 0.99

// BAD-RANK: remark: low-rank: not factored: rank 7 (N = 8, K = 8) would not shrink it: R * (N + K) = 112 >= N * K = 64
func.func @graded_spectrum(%x: tensor<3x8xf32>) -> tensor<3x8xf32> {
  %w = arith.constant dense<[[0.0, 0.0, 0.0, 10.0, 0.0, 0.0, 0.0, 0.0],
                             [-4.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
                             [0.0, 0.0, 0.0, 0.0, 0.0, 2.0, 0.0, 0.0],
                             [0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
                             [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.1],
                             [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
                             [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
                             [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]]> : tensor<8x8xf32>
  %y = effc.linear %x, %w : tensor<3x8xf32>, tensor<8x8xf32> -> tensor<3x8xf32>
  return %y : tensor<3x8xf32>
}

// -----

// Tests that a full-rank [4, 3] weight is left alone with a remark: no rank
// shrinks it below 2 * (4 + 3) = 14 >= 12 parameters.

// CHECK-LABEL: func.func @full_rank
// CHECK: %[[W:.+]] = arith.constant dense<{{.+}}> : tensor<4x3xf32>
// CHECK: effc.linear %{{.+}}, %[[W]] : tensor<2x3xf32>, tensor<4x3xf32> -> tensor<2x4xf32>

// REMARK: remark: low-rank: not factored: rank 2 (N = 4, K = 3) would not shrink it: R * (N + K) = 14 >= N * K = 12

// ENERGY-LABEL: func.func @full_rank
// ENERGY: effc.linear {{.+}} : tensor<2x3xf32>, tensor<4x3xf32> -> tensor<2x4xf32>

// ENERGY-REMARK: remark: low-rank: not factored: energy 0.99 needs rank 3 (N = 4, K = 3) and R * (N + K) = 21 >= N * K = 12

// BAD-RANK: remark: low-rank: not factored: rank 7 exceeds min(N, K) = 3 of the [4, 3] weight
func.func @full_rank(%x: tensor<2x3xf32>) -> tensor<2x4xf32> {
  %w = arith.constant dense<[[1.0, 0.0, 0.0], [0.0, 2.0, 0.0], [0.0, 0.0, 3.0], [1.0, 1.0, 1.0]]> : tensor<4x3xf32>
  %y = effc.linear %x, %w : tensor<2x3xf32>, tensor<4x3xf32> -> tensor<2x4xf32>
  return %y : tensor<2x4xf32>
}

// -----

// Tests that a linear whose weight is a function argument is left alone.

// CHECK-LABEL: func.func @argument_weight
// CHECK-SAME: (%[[X:.+]]: tensor<4x6xf32>, %[[W:.+]]: tensor<8x6xf32>)
// CHECK: effc.linear %[[X]], %[[W]] : tensor<4x6xf32>, tensor<8x6xf32> -> tensor<4x8xf32>

// REMARK: remark: low-rank: not factored: the weight is not a constant

// ENERGY-LABEL: func.func @argument_weight
// ENERGY: effc.linear {{.+}} : tensor<4x6xf32>, tensor<8x6xf32> -> tensor<4x8xf32>
func.func @argument_weight(%x: tensor<4x6xf32>, %w: tensor<8x6xf32>) -> tensor<4x8xf32> {
  %y = effc.linear %x, %w : tensor<4x6xf32>, tensor<8x6xf32> -> tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}

// -----

// Tests that the bias, the activation with its clamp bounds and the plan
// attributes move to the second linear, the first has none, and a rank-3
// input keeps its leading dims through the [2, 5, 2] bottleneck.

// CHECK-LABEL: func.func @bias_activation
// CHECK-SAME: (%[[X:.+]]: tensor<2x5x6xf32>)
// CHECK: %[[B:.+]] = arith.constant dense<{{.+}}> : tensor<8xf32>
// CHECK: %[[V:.+]] = arith.constant dense<{{.+}}> : tensor<2x6xf32>
// CHECK: %[[U:.+]] = arith.constant dense<{{.+}}> : tensor<8x2xf32>
// CHECK: %[[T:.+]] = effc.linear %[[X]], %[[V]] : tensor<2x5x6xf32>, tensor<2x6xf32> -> tensor<2x5x2xf32>
// CHECK: %[[Y:.+]] = effc.linear %[[T]], %[[U]] bias %[[B]]
// CHECK-SAME: activation = #effc.activation<clamp>
// CHECK-SAME: clamp_max = 6.000000e+00 : f32
// CHECK-SAME: clamp_min = -1.000000e+00 : f32
// CHECK-SAME: effc.precision_plan = #effc.precision_plan<weights = bf16, activations = bf16, granularity = tensor>
// CHECK-SAME: effc.sparsity_plan = #effc.sparsity_plan<method = magnitude, sparsity = 5.000000e-01 : f64>
// CHECK-SAME: : tensor<2x5x2xf32>, tensor<8x2xf32>, tensor<8xf32> -> tensor<2x5x8xf32>
// CHECK: return %[[Y]]

// REMARK: remark: low-rank: factored to rank 2 (N = 8, K = 6)

// ENERGY-LABEL: func.func @bias_activation
// ENERGY: effc.linear {{.+}} : tensor<2x5x6xf32>, tensor<2x6xf32> -> tensor<2x5x2xf32>
// ENERGY: effc.linear {{.+}} bias {{.+}}activation = #effc.activation<clamp>{{.+}} : tensor<2x5x2xf32>, tensor<8x2xf32>, tensor<8xf32> -> tensor<2x5x8xf32>
func.func @bias_activation(%x: tensor<2x5x6xf32>) -> tensor<2x5x8xf32> {
  %w = arith.constant dense<[[1.0, 1.0, 1.0, 2.0, 1.0, 1.0], [2.0, -1.0, 2.0, -2.0, 2.0, -1.0],
                             [3.0, 1.0, 3.0, 2.0, 3.0, 1.0], [4.0, -1.0, 4.0, -2.0, 4.0, -1.0],
                             [5.0, 1.0, 5.0, 2.0, 5.0, 1.0], [6.0, -1.0, 6.0, -2.0, 6.0, -1.0],
                             [7.0, 1.0, 7.0, 2.0, 7.0, 1.0], [8.0, -1.0, 8.0, -2.0, 8.0, -1.0]]> : tensor<8x6xf32>
  %b = arith.constant dense<[0.5, -0.5, 1.0, -1.0, 0.25, -0.25, 2.0, -2.0]> : tensor<8xf32>
  %y = effc.linear %x, %w bias %b {
      activation = #effc.activation<clamp>, clamp_min = -1.0 : f32, clamp_max = 6.0 : f32,
      effc.precision_plan = #effc.precision_plan<weights = bf16, activations = bf16, granularity = tensor>,
      effc.sparsity_plan = #effc.sparsity_plan<method = magnitude, sparsity = 0.5 : f64>}
      : tensor<2x5x6xf32>, tensor<8x6xf32>, tensor<8xf32> -> tensor<2x5x8xf32>
  return %y : tensor<2x5x8xf32>
}

// -----

// Tests that f16 and bf16 weights factor through their raw bits into factors
// of the same element type; the remark's error includes the rounding of the
// factors to that type.

// CHECK-LABEL: func.func @half_types
// CHECK: arith.constant dense<{{.+}}> : tensor<2x6xf16>
// CHECK: arith.constant dense<{{.+}}> : tensor<8x2xf16>
// CHECK: effc.linear {{.+}} : tensor<4x6xf16>, tensor<2x6xf16> -> tensor<4x2xf16>
// CHECK: effc.linear {{.+}} : tensor<4x2xf16>, tensor<8x2xf16> -> tensor<4x8xf16>
// CHECK: arith.constant dense<{{.+}}> : tensor<2x6xbf16>
// CHECK: arith.constant dense<{{.+}}> : tensor<8x2xbf16>
// CHECK: effc.linear {{.+}} : tensor<4x6xbf16>, tensor<2x6xbf16> -> tensor<4x2xbf16>
// CHECK: effc.linear {{.+}} : tensor<4x2xbf16>, tensor<8x2xbf16> -> tensor<4x8xbf16>

// REMARK: remark: low-rank: factored to rank 2 (N = 8, K = 6): relative Frobenius error {{[0-9]\.[0-9]+e-0[45]}} (truncation alone {{[0-9]\.[0-9]+e-1[0-9]}}); weight bytes 96 -> 56
// REMARK: remark: low-rank: factored to rank 2 (N = 8, K = 6): relative Frobenius error {{[0-9]\.[0-9]+e-0[34]}} (truncation alone {{[0-9]\.[0-9]+e-1[0-9]}}); weight bytes 96 -> 56
func.func @half_types(%x: tensor<4x6xf16>, %xb: tensor<4x6xbf16>) -> (tensor<4x8xf16>, tensor<4x8xbf16>) {
  %w = arith.constant dense<[[1.0, 1.0, 1.0, 2.0, 1.0, 1.0], [2.0, -1.0, 2.0, -2.0, 2.0, -1.0],
                             [3.0, 1.0, 3.0, 2.0, 3.0, 1.0], [4.0, -1.0, 4.0, -2.0, 4.0, -1.0],
                             [5.0, 1.0, 5.0, 2.0, 5.0, 1.0], [6.0, -1.0, 6.0, -2.0, 6.0, -1.0],
                             [7.0, 1.0, 7.0, 2.0, 7.0, 1.0], [8.0, -1.0, 8.0, -2.0, 8.0, -1.0]]> : tensor<8x6xf16>
  %y = effc.linear %x, %w : tensor<4x6xf16>, tensor<8x6xf16> -> tensor<4x8xf16>
  %wb = arith.constant dense<[[1.0, 1.0, 1.0, 2.0, 1.0, 1.0], [2.0, -1.0, 2.0, -2.0, 2.0, -1.0],
                              [3.0, 1.0, 3.0, 2.0, 3.0, 1.0], [4.0, -1.0, 4.0, -2.0, 4.0, -1.0],
                              [5.0, 1.0, 5.0, 2.0, 5.0, 1.0], [6.0, -1.0, 6.0, -2.0, 6.0, -1.0],
                              [7.0, 1.0, 7.0, 2.0, 7.0, 1.0], [8.0, -1.0, 8.0, -2.0, 8.0, -1.0]]> : tensor<8x6xbf16>
  %yb = effc.linear %xb, %wb : tensor<4x6xbf16>, tensor<8x6xbf16> -> tensor<4x8xbf16>
  return %y, %yb : tensor<4x8xf16>, tensor<4x8xbf16>
}

// BAD-ENERGY: error: effc-low-rank: 'energy' must be in (0, 1], got 1.5
// NEG-RANK: error: effc-low-rank: 'rank' must be >= 0 (0: choose it from 'energy'), got -1

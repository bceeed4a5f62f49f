// RUN: effc-opt %s --effc-hls-pipeline -split-input-file | effc-translate --emit-hls-cpp -split-input-file | FileCheck %s

// Tests that an f16 / bf16 weight plan (a constant widened by arith.extf)
// is read as the layer's weight: its ROM holds the f16 values, exactly, in
// the function's fixed-point format, and no loop converts it.

// CHECK-LABEL: void f16_weight(data_t in0[2][4], data_t out0[2][2]) {
// CHECK-NOT: for
// CHECK: static const data_t f16_weight_linear_{{[0-9]+}}_w[2][4] = {{[{][{]}}0.333251953f, -0.25f, 1.0f, 0.0f}, {0.125f, 0.5f, -1.0f, 2.0f}};
// CHECK: for (int
func.func @f16_weight(%x: tensor<2x4xf32>) -> tensor<2x2xf32> {
  %w16 = arith.constant dense<[[0.3333, -0.25, 1.0, 0.0], [0.125, 0.5, -1.0, 2.0]]> : tensor<2x4xf16>
  %w = arith.extf %w16 : tensor<2x4xf16> to tensor<2x4xf32>
  %y = effc.linear %x, %w : tensor<2x4xf32>, tensor<2x4xf32> -> tensor<2x2xf32>
  return %y : tensor<2x2xf32>
}

// -----

// CHECK-LABEL: void bf16_weight(data_t in0[2][4], data_t out0[2][2]) {
// CHECK: static const data_t bf16_weight_linear_{{[0-9]+}}_w[2][4] = {{[{][{]}}0.333984375f, -0.25f, 1.0f, 0.0f}, {0.125f, 0.5f, -1.0f, 2.0f}};
func.func @bf16_weight(%x: tensor<2x4xf32>) -> tensor<2x2xf32> {
  %w16 = arith.constant dense<[[0.3333, -0.25, 1.0, 0.0], [0.125, 0.5, -1.0, 2.0]]> : tensor<2x4xbf16>
  %w = arith.extf %w16 : tensor<2x4xbf16> to tensor<2x4xf32>
  %y = effc.linear %x, %w : tensor<2x4xf32>, tensor<2x4xf32> -> tensor<2x2xf32>
  return %y : tensor<2x2xf32>
}

// -----

// Tests that a computed f16 tensor in a fixed-point function is a copy in
// the one fixed format.
// CHECK-LABEL: void casts(data_t in0[2][4], data_t out0[2][2]) {
// CHECK: truncf_
// CHECK: acc_t [[T:v[0-9]+]] = [[L:v[0-9]+]];
// CHECK: extf_
func.func @casts(%x: tensor<2x4xf32>) -> tensor<2x2xf32> {
  %h = arith.truncf %x : tensor<2x4xf32> to tensor<2x4xf16>
  %f = arith.extf %h : tensor<2x4xf16> to tensor<2x4xf32>
  %w = arith.constant dense<[[0.5, -0.25, 1.0, 0.0], [0.125, 0.5, -1.0, 2.0]]> : tensor<2x4xf32>
  %y = effc.linear %f, %w : tensor<2x4xf32>, tensor<2x4xf32> -> tensor<2x2xf32>
  return %y : tensor<2x2xf32>
}

// RUN: effc-opt %s --effc-hls-pipeline -split-input-file | effc-translate --emit-hls-cpp -split-input-file | FileCheck %s
// RUN: effc-opt %s --effc-hls-pipeline -split-input-file | effc-translate --emit-hls-testbench -split-input-file | FileCheck %s --check-prefix=TB
// RUN: effc-opt %s --effc-hls-pipeline="top-name=mlp_kernel" -split-input-file | FileCheck %s --check-prefix=NAMED
// RUN: effc-opt %s --effc-hls-pipeline="top-name=mlp_kernel" -split-input-file | effc-translate --emit-hls-cpp -split-input-file | FileCheck %s --check-prefix=NAMEDCPP

// Tests that the top function gets a legal C++ name whatever the MLIR
// function is called: `@main` becomes `main_top` (the testbench keeps its
// own `int main` and calls `main_top`), a C++ keyword gets `_top` too, a
// name that is not an identifier is sanitized; `top-name` renames the top
// function and the ROMs made from its name.

// CHECK-LABEL: void main_top(data_t in0[2][4], data_t out0[2][2]) {
// CHECK: static const data_t main_fc_w[2][4] =
// TB: void main_top(data_t in0[2][4], data_t out0[2][2]);
// TB: int main(int argc, char **argv) {
// TB: main_top(in0, out0);
// NAMED: memref.global "private" constant @mlp_kernel_fc_w
// NAMED: func.func @mlp_kernel(
// NAMED-NOT: @main
// NAMEDCPP-LABEL: void mlp_kernel(data_t in0[2][4], data_t out0[2][2]) {
// NAMEDCPP: static const data_t mlp_kernel_fc_w[2][4] =
func.func @main(%x: tensor<2x4xf32>) -> tensor<2x2xf32> {
  %w = arith.constant dense<[[0.5, -0.25, 1.0, 0.0], [0.125, 0.5, -1.0, 2.0]]> : tensor<2x4xf32>
  %y = effc.linear %x, %w {effc.name = "fc"} : tensor<2x4xf32>, tensor<2x4xf32> -> tensor<2x2xf32>
  return %y : tensor<2x2xf32>
}

// -----

// CHECK-LABEL: void float_top(data_t in0[2][4], data_t out0[2][2]) {
// TB: void float_top(data_t in0[2][4], data_t out0[2][2]);
// TB: float_top(in0, out0);
// NAMEDCPP-LABEL: void mlp_kernel(data_t in0[2][4], data_t out0[2][2]) {
func.func @float(%x: tensor<2x4xf32>) -> tensor<2x2xf32> {
  %w = arith.constant dense<[[0.5, -0.25, 1.0, 0.0], [0.125, 0.5, -1.0, 2.0]]> : tensor<2x4xf32>
  %y = effc.linear %x, %w : tensor<2x4xf32>, tensor<2x4xf32> -> tensor<2x2xf32>
  return %y : tensor<2x2xf32>
}

// -----

// CHECK-LABEL: void model_v1_forward(data_t in0[2][4], data_t out0[2][2]) {
// TB: model_v1_forward(in0, out0);
func.func @"model.v1::forward"(%x: tensor<2x4xf32>) -> tensor<2x2xf32> {
  %w = arith.constant dense<[[0.5, -0.25, 1.0, 0.0], [0.125, 0.5, -1.0, 2.0]]> : tensor<2x4xf32>
  %y = effc.linear %x, %w : tensor<2x4xf32>, tensor<2x4xf32> -> tensor<2x2xf32>
  return %y : tensor<2x2xf32>
}

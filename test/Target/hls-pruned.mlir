// RUN: effc-opt %s --effc-hls-pipeline -split-input-file | effc-translate --emit-hls-cpp -split-input-file | FileCheck %s

// Tests the C++ of pruned weights: only the non-zeros of each row and
// their column indices are stored, the input is gathered by column, and a
// row shorter than the longest is guarded by its count, so zeros are never
// multiplied (the zero values of the padding are never read).

// CHECK-LABEL: void sparse_rows(ap_int<8> in0[2][4], ap_int<32> out0[2][3]) {
// CHECK: static const ap_int<3> sparse_rows_fc_cols[3][3] = {{[{][{]}}0, 3, 0}, {3, 0, 0}, {0, 1, 2}};
// CHECK: static const ap_int<8> sparse_rows_fc_vals[3][3] = {{[{][{]}}1, 2, 0}, {3, 0, 0}, {4, 5, 6}};
// CHECK: static const ap_int<3> sparse_rows_fc_nnz[3] = {2, 1, 3};
// CHECK: for (int [[N:v[0-9]+]] = 0; [[N]] < 3; [[N]] += 1) {
// CHECK: for (int [[J:v[0-9]+]] = 0; [[J]] < 3; [[J]] += 1) {
// CHECK-NEXT: #pragma HLS UNROLL
// CHECK-NEXT: ap_int<3> [[C:v[0-9]+]] = sparse_rows_fc_cols[[[N]]][[[J]]];
// CHECK-NEXT: int [[CI:v[0-9]+]] = [[C]];
// CHECK-NEXT: ap_int<3> [[CNT:v[0-9]+]] = sparse_rows_fc_nnz[[[N]]];
// CHECK-NEXT: ap_int<3> [[JI:v[0-9]+]] = [[J]];
// CHECK-NEXT: bool [[IN:v[0-9]+]] = [[JI]] < [[CNT]];
// CHECK-NEXT: ap_int<12> [[R:v[0-9]+]];
// CHECK-NEXT: if ([[IN]]) {
// CHECK-NEXT: ap_int<8> {{v[0-9]+}} = in0[{{v[0-9]+}}][[[CI]]];
// CHECK-NEXT: ap_int<8> {{v[0-9]+}} = sparse_rows_fc_vals[[[N]]][[[J]]];
// CHECK: * 
// CHECK: } else {
// CHECK-NEXT: [[R]] = {{v[0-9]+}};
// CHECK-NEXT: }
func.func @sparse_rows(%x: tensor<2x4xi8>) -> tensor<2x3xi32> {
  %xq = quant.scast %x : tensor<2x4xi8> to tensor<2x4x!quant.uniform<i8:f32, 0.5>>
  %wc = arith.constant dense<[[1, 0, 0, 2], [0, 0, 0, 3], [4, 5, 6, 0]]> : tensor<3x4xi8>
  %w = quant.scast %wc : tensor<3x4xi8> to tensor<3x4x!quant.uniform<i8<-127:127>:f32, 0.25>>
  %y = effc.quantized_linear %xq, %w {activation = #effc.activation<relu>, effc.name = "fc"} : tensor<2x4x!quant.uniform<i8:f32, 0.5>>, tensor<3x4x!quant.uniform<i8<-127:127>:f32, 0.25>> -> tensor<2x3xi32>
  return %y : tensor<2x3xi32>
}

// -----

// Tests a 2:4-pruned float weight: every row keeps K / 2 values, so there
// is no count and no guard; values are data_t ROMs.

// CHECK-LABEL: void nm(data_t in0[1][8], data_t out0[1][2]) {
// CHECK: static const ap_int<4> nm_fc_cols[2][4] = {{[{][{]}}0, 3, 5, 6}, {1, 2, 4, 7}};
// CHECK: static const data_t nm_fc_vals[2][4] = {{[{][{]}}1.0f, -2.0f, 0.5f, 0.25f}, {3.0f, -1.0f, 1.5f, 2.0f}};
// CHECK-NOT: nnz
// CHECK-NOT: if (
// CHECK: acc_t {{v[0-9]+}} = {{v[0-9]+}} * {{v[0-9]+}};
func.func @nm(%x: tensor<1x8xf32>) -> tensor<1x2xf32> {
  %w = arith.constant dense<[[1.0, 0.0, 0.0, -2.0, 0.0, 0.5, 0.25, 0.0], [0.0, 3.0, -1.0, 0.0, 1.5, 0.0, 0.0, 2.0]]> : tensor<2x8xf32>
  %y = effc.linear %x, %w {effc.name = "fc"} : tensor<1x8xf32>, tensor<2x8xf32> -> tensor<1x2xf32>
  return %y : tensor<1x2xf32>
}

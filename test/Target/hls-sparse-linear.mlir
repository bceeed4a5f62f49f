// RUN: effc-opt %s --effc-hls-pipeline -split-input-file | effc-translate --emit-hls-cpp -split-input-file | FileCheck %s

// Tests that a float effc.sparse_linear streams only its non-zeros: CSR,
// BSR and N:M (packed 2-bit positions) weights are decoded to their rows'
// non-zeros and column indices (stored zeros dropped), padded to the
// longest row with a per-row count guarding the padding, whatever
// sparse-min-zero-fraction says.

// CHECK-LABEL: void csr(
// CHECK: static const ap_int<3> csr_sparse_linear_0_cols[3][2] = {{[{][{]}}1, 3}, {0, 0}, {0, 2}};
// CHECK: static const data_t csr_sparse_linear_0_vals[3][2] = {{[{][{]}}0.5f, -1.0f}, {2.0f, 0.0f}, {0.25f, 0.75f}};
// CHECK: static const ap_int<3> csr_sparse_linear_0_nnz[3] = {2, 1, 2};
// CHECK: if (
func.func @csr(%x: tensor<2x4xf32>) -> tensor<2x3xf32> {
  %v = arith.constant dense<[0.5, -1.0, 2.0, 0.25, 0.0, 0.75]> : tensor<6xf32>
  %i = arith.constant dense<[1, 3, 0, 0, 1, 2]> : tensor<6xi32>
  %o = arith.constant dense<[0, 2, 3, 6]> : tensor<4xi32>
  %y = effc.sparse_linear %x, %v, %i offsets %o {encoding = #effc.sparse_encoding<format = csr>, weight_shape = array<i64: 3, 4>} : tensor<2x4xf32>, tensor<6xf32>, tensor<6xi32>, offsets tensor<4xi32> -> tensor<2x3xf32>
  return %y : tensor<2x3xf32>
}

// -----

// CHECK-LABEL: void bsr(
// CHECK: static const ap_int<3> bsr_sparse_linear_0_cols[2][2] = {{[{][{]}}2, 3}, {2, 3}};
// CHECK: static const data_t bsr_sparse_linear_0_vals[2][2] = {{[{][{]}}1.0f, 2.0f}, {3.0f, 4.0f}};
func.func @bsr(%x: tensor<2x4xf32>) -> tensor<2x2xf32> {
  %v = arith.constant dense<[[[1.0, 2.0], [3.0, 4.0]]]> : tensor<1x2x2xf32>
  %i = arith.constant dense<[1]> : tensor<1xi32>
  %o = arith.constant dense<[0, 1]> : tensor<2xi32>
  %y = effc.sparse_linear %x, %v, %i offsets %o {encoding = #effc.sparse_encoding<format = bsr, block_rows = 2, block_cols = 2>, weight_shape = array<i64: 2, 4>} : tensor<2x4xf32>, tensor<1x2x2xf32>, tensor<1xi32>, offsets tensor<2xi32> -> tensor<2x2xf32>
  return %y : tensor<2x2xf32>
}

// -----

// Positions 0b1101 = (1, 3) for the first group of row 0 and 0b1000 =
// (0, 2) for its second; row 1 keeps (0, 1) and (2, 3).
// CHECK-LABEL: void nm(
// CHECK: static const ap_int<4> nm_sparse_linear_0_cols[2][4] = {{[{][{]}}1, 3, 4, 6}, {0, 1, 6, 7}};
// CHECK: static const data_t nm_sparse_linear_0_vals[2][4] = {{[{][{]}}1.0f, 2.0f, 3.0f, 4.0f}, {5.0f, 6.0f, 7.0f, 8.0f}};
// CHECK-NOT: _nnz
func.func @nm(%x: tensor<2x8xf32>) -> tensor<2x2xf32> {
  %v = arith.constant dense<[[1.0, 2.0, 3.0, 4.0], [5.0, 6.0, 7.0, 8.0]]> : tensor<2x4xf32>
  %i = arith.constant dense<[[141], [228]]> : tensor<2x1xi16>
  %y = effc.sparse_linear %x, %v, %i {encoding = #effc.sparse_encoding<format = nm, n = 2, m = 4>, weight_shape = array<i64: 2, 8>} : tensor<2x8xf32>, tensor<2x4xf32>, tensor<2x1xi16> -> tensor<2x2xf32>
  return %y : tensor<2x2xf32>
}

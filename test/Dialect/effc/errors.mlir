// Malformed input is a user error: effc-opt exits with status 1 and prints
// an `error:` that names file:line:col; it never crashes (`not` fails on a
// crash, and the second RUN line checks the status is exactly 1).

// RUN: not effc-opt %s -split-input-file 2>&1 | FileCheck %s
// RUN: %python -c "import subprocess as sp, sys; sys.exit(sp.call(sys.argv[1:], stdout=sp.DEVNULL, stderr=sp.DEVNULL) != 1)" effc-opt %s -split-input-file

// Tests that a syntax error (a missing operand) is reported at its position.
// CHECK: {{.*}}errors.mlir:[[@LINE+2]]:23: error: expected SSA operand
func.func @syntax(%x: tensor<8x64xf32>, %w: tensor<32x64xf32>) -> tensor<8x32xf32> {
  %y = effc.linear %x, : tensor<8x64xf32>, tensor<32x64xf32> -> tensor<8x32xf32>
  return %y : tensor<8x32xf32>
}

// -----

// Tests that an op the effc dialect does not define is reported.
// CHECK: {{.*}}errors.mlir:[[@LINE+2]]:8: error: custom op 'effc.matmul' is unknown
func.func @unknown_op(%x: tensor<8x64xf32>, %w: tensor<32x64xf32>) -> tensor<8x32xf32> {
  %y = effc.matmul %x, %w : tensor<8x64xf32>, tensor<32x64xf32> -> tensor<8x32xf32>
  return %y : tensor<8x32xf32>
}

// -----

// Tests that a verifier failure names the op and its location.
// CHECK: {{.*}}errors.mlir:[[@LINE+2]]:8: error: 'effc.linear' op reduction dim of input (48) and weight (64) differ
func.func @verifier(%x: tensor<8x48xf32>, %w: tensor<32x64xf32>) -> tensor<8x32xf32> {
  %y = effc.linear %x, %w : tensor<8x48xf32>, tensor<32x64xf32> -> tensor<8x32xf32>
  return %y : tensor<8x32xf32>
}

// -----

// Tests that an invalid effc attribute is reported where it is written.
// CHECK: {{.*}}errors.mlir:[[@LINE+1]]:60: error: nm needs 0 < n < m, got n = 4, m = 2
func.func @bad_attr() attributes {a = #effc.sparse_encoding<format = nm, n = 4, m = 2>} {
  return
}

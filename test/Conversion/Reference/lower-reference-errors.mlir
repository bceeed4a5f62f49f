// RUN: effc-opt %s --effc-lower-reference -split-input-file --verify-diagnostics

// Tests that an effc.attention with a dynamic sequence length is rejected
// with a diagnostic on the op.

func.func @attention_dynamic_seq(%q: tensor<?x16xf32>, %k: tensor<8x16xf32>, %v: tensor<8x16xf32>) -> tensor<?x16xf32> {
  // expected-error @+1 {{dynamic shapes are not supported by effc lowerings yet}}
  %0 = effc.attention %q, %k, %v : tensor<?x16xf32>, tensor<8x16xf32>, tensor<8x16xf32> -> tensor<?x16xf32>
  return %0 : tensor<?x16xf32>
}

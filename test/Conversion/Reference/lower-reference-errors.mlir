// RUN: effc-opt %s --effc-lower-reference -split-input-file --verify-diagnostics

// Tests that an effc.linear with a dynamic batch dimension is rejected with
// a diagnostic on the op instead of being lowered.

func.func @linear_dynamic_m(%x: tensor<?x64xf32>, %w: tensor<32x64xf32>) -> tensor<?x32xf32> {
  // expected-error @+1 {{dynamic shapes are not supported by effc lowerings yet}}
  %0 = effc.linear %x, %w : tensor<?x64xf32>, tensor<32x64xf32> -> tensor<?x32xf32>
  return %0 : tensor<?x32xf32>
}

// -----

// Tests that an effc.attention with a dynamic sequence length is rejected
// with a diagnostic on the op.

func.func @attention_dynamic_seq(%q: tensor<?x16xf32>, %k: tensor<8x16xf32>, %v: tensor<8x16xf32>) -> tensor<?x16xf32> {
  // expected-error @+1 {{dynamic shapes are not supported by effc lowerings yet}}
  %0 = effc.attention %q, %k, %v : tensor<?x16xf32>, tensor<8x16xf32>, tensor<8x16xf32> -> tensor<?x16xf32>
  return %0 : tensor<?x16xf32>
}

// RUN: effc-opt %s --effc-lower-reference -split-input-file --verify-diagnostics

// Tests that an effc.attention with a dynamic sequence length is rejected
// with a diagnostic on the op.

func.func @attention_dynamic_seq(%q: tensor<?x16xf32>, %k: tensor<8x16xf32>, %v: tensor<8x16xf32>) -> tensor<?x16xf32> {
  // expected-error @+1 {{dynamic shapes are not supported by effc lowerings yet}}
  %0 = effc.attention %q, %k, %v : tensor<?x16xf32>, tensor<8x16xf32>, tensor<8x16xf32> -> tensor<?x16xf32>
  return %0 : tensor<?x16xf32>
}

// -----

// Tests that effc.dynamic_quantize with a block larger than 1 along a
// dynamic dim (a 128-row tile over a runtime M) is still rejected.

func.func @dynamic_quantize_tile_over_dynamic_m(%x: tensor<?x128xf32>) -> (tensor<?x128xf8E4M3FN>, tensor<?x1xf32>) {
  // expected-error @+1 {{dynamic shapes are not supported by effc lowerings yet}}
  %q, %s = effc.dynamic_quantize %x {block = array<i64: 128, 128>} : tensor<?x128xf32> -> tensor<?x128xf8E4M3FN>, tensor<?x1xf32>
  return %q, %s : tensor<?x128xf8E4M3FN>, tensor<?x1xf32>
}

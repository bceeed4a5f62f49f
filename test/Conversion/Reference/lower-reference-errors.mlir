// RUN: effc-opt %s --effc-lower-reference -split-input-file --verify-diagnostics

// Tests that an effc.linear with a batched [B, N, K] weight and a dynamic
// batch is rejected with a diagnostic on the op instead of being lowered
// (2-D weights take dynamic leading dims: lower-reference-dynamic.mlir).

func.func @linear_batched_dynamic(%x: tensor<?x8x64xf32>, %w: tensor<?x32x64xf32>) -> tensor<?x8x32xf32> {
  // expected-error @+1 {{dynamic shapes are not supported by effc lowerings yet}}
  %0 = effc.linear %x, %w : tensor<?x8x64xf32>, tensor<?x32x64xf32> -> tensor<?x8x32xf32>
  return %0 : tensor<?x8x32xf32>
}

// -----

// Tests that an effc.attention with a dynamic sequence length is rejected
// with a diagnostic on the op.

func.func @attention_dynamic_seq(%q: tensor<?x16xf32>, %k: tensor<8x16xf32>, %v: tensor<8x16xf32>) -> tensor<?x16xf32> {
  // expected-error @+1 {{dynamic shapes are not supported by effc lowerings yet}}
  %0 = effc.attention %q, %k, %v : tensor<?x16xf32>, tensor<8x16xf32>, tensor<8x16xf32> -> tensor<?x16xf32>
  return %0 : tensor<?x16xf32>
}

// -----

// Tests that dynamic quantization over a dynamic dim needs blocks of one
// along it (rows, as per-token and 1 x 128 tile scales have).

func.func @dynamic_quantize_block_rows(%x: tensor<?x64xf32>) -> (tensor<?x64xi8>, tensor<?x64xf32>) {
  // expected-error @+1 {{dynamic dim #0 needs a block size of 1 along it, got 2}}
  %q, %s = effc.dynamic_quantize %x {block = array<i64: 2, 1>} : tensor<?x64xf32> -> tensor<?x64xi8>, tensor<?x64xf32>
  return %q, %s : tensor<?x64xi8>, tensor<?x64xf32>
}

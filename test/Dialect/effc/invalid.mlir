// RUN: effc-opt %s -split-input-file --verify-diagnostics

// One case per verifier message of the effc dialect (ops, attributes and
// the discardable plan attributes).

// Tests that clamp bounds are rejected without activation 'clamp'.
func.func @f(%x: tensor<8x64xf32>, %w: tensor<32x64xf32>) {
  // expected-error @+1 {{clamp_min/clamp_max are only allowed with activation 'clamp'}}
  %y = effc.linear %x, %w {activation = #effc.activation<relu>, clamp_min = 0.0 : f32} : tensor<8x64xf32>, tensor<32x64xf32> -> tensor<8x32xf32>
  return
}

// -----

// Tests that activation 'clamp' needs both bounds.
func.func @f(%x: tensor<8x64xf32>, %w: tensor<32x64xf32>) {
  // expected-error @+1 {{activation 'clamp' needs clamp_min and clamp_max}}
  %y = effc.linear %x, %w {activation = #effc.activation<clamp>, clamp_min = 0.0 : f32} : tensor<8x64xf32>, tensor<32x64xf32> -> tensor<8x32xf32>
  return
}

// -----

// Tests that clamp_min must not exceed clamp_max.
func.func @f(%x: tensor<8x64xf32>, %w: tensor<32x64xf32>) {
  // expected-error @+1 {{clamp_min must not exceed clamp_max}}
  %y = effc.linear %x, %w {activation = #effc.activation<clamp>, clamp_min = 6.0 : f32, clamp_max = 0.0 : f32} : tensor<8x64xf32>, tensor<32x64xf32> -> tensor<8x32xf32>
  return
}

// -----

// Tests that effc.linear rejects integer tensors.
func.func @f(%x: tensor<8x64xi8>, %w: tensor<32x64xi8>) {
  // expected-error @+1 {{operand #0 must be ranked tensor of floating-point values, but got 'tensor<8x64xi8>'}}
  %y = effc.linear %x, %w : tensor<8x64xi8>, tensor<32x64xi8> -> tensor<8x32xi8>
  return
}

// -----

// Tests that effc.linear rejects mixed float types.
func.func @f(%x: tensor<8x64xf32>, %w: tensor<32x64xf16>) {
  // expected-error @+1 {{requires the same element type for all operands and results}}
  %y = effc.linear %x, %w : tensor<8x64xf32>, tensor<32x64xf16> -> tensor<8x32xf32>
  return
}

// -----

// Tests that effc.linear needs a rank-2 or rank-3 weight.
func.func @f(%x: tensor<8x64xf32>, %w: tensor<64xf32>) {
  // expected-error @+1 {{weight must be [N, K] or [B, N, K], got [64]}}
  %y = effc.linear %x, %w : tensor<8x64xf32>, tensor<64xf32> -> tensor<8x32xf32>
  return
}

// -----

// Tests that effc.linear needs an input of rank >= 1.
func.func @f(%x: tensor<f32>, %w: tensor<32x64xf32>) {
  // expected-error @+1 {{input must have rank >= 1}}
  %y = effc.linear %x, %w : tensor<f32>, tensor<32x64xf32> -> tensor<32xf32>
  return
}

// -----

// Tests that a batched weight needs a rank-3 input.
func.func @f(%x: tensor<8x64xf32>, %w: tensor<2x32x64xf32>) {
  // expected-error @+1 {{a batched weight [B, N, K] needs a [B, M, K] input, got [8, 64]}}
  %y = effc.linear %x, %w : tensor<8x64xf32>, tensor<2x32x64xf32> -> tensor<8x32xf32>
  return
}

// -----

// Tests that batched input and weight must agree on the batch.
func.func @f(%x: tensor<3x8x64xf32>, %w: tensor<2x32x64xf32>) {
  // expected-error @+1 {{batch of input (3) and weight (2) differ}}
  %y = effc.linear %x, %w : tensor<3x8x64xf32>, tensor<2x32x64xf32> -> tensor<3x8x32xf32>
  return
}

// -----

// Tests that input and weight must agree on K.
func.func @f(%x: tensor<8x48xf32>, %w: tensor<32x64xf32>) {
  // expected-error @+1 {{reduction dim of input (48) and weight (64) differ}}
  %y = effc.linear %x, %w : tensor<8x48xf32>, tensor<32x64xf32> -> tensor<8x32xf32>
  return
}

// -----

// Tests that the result keeps the input's rank.
func.func @f(%x: tensor<2x8x64xf32>, %w: tensor<32x64xf32>) {
  // expected-error @+1 {{result rank 2 differs from input rank 3}}
  %y = effc.linear %x, %w : tensor<2x8x64xf32>, tensor<32x64xf32> -> tensor<16x32xf32>
  return
}

// -----

// Tests that the result keeps the input's leading dims.
func.func @f(%x: tensor<8x64xf32>, %w: tensor<32x64xf32>) {
  // expected-error @+1 {{result shape [4, 32] does not match input shape [8, 64] in dim 0}}
  %y = effc.linear %x, %w : tensor<8x64xf32>, tensor<32x64xf32> -> tensor<4x32xf32>
  return
}

// -----

// Tests that the result's last dim is the weight's N.
func.func @f(%x: tensor<8x64xf32>, %w: tensor<32x64xf32>) {
  // expected-error @+1 {{result dim 16 differs from the weight's output channels 32}}
  %y = effc.linear %x, %w : tensor<8x64xf32>, tensor<32x64xf32> -> tensor<8x16xf32>
  return
}

// -----

// Tests that the bias must be [N].
func.func @f(%x: tensor<8x64xf32>, %w: tensor<32x64xf32>, %b: tensor<16xf32>) {
  // expected-error @+1 {{bias must be [32], got [16]}}
  %y = effc.linear %x, %w bias %b : tensor<8x64xf32>, tensor<32x64xf32>, tensor<16xf32> -> tensor<8x32xf32>
  return
}

// -----

// Tests that effc.conv2d needs rank-4 operands.
func.func @f(%x: tensor<16x16x8xf32>, %w: tensor<16x3x3x8xf32>) {
  // expected-error @+1 {{input, weight and result must have rank 4 (NHWC, [F, KH, KW, C / groups], NHWF)}}
  %y = effc.conv2d %x, %w : tensor<16x16x8xf32>, tensor<16x3x3x8xf32> -> tensor<14x14x16xf32>
  return
}

// -----

// Tests that conv strides are two positive integers.
func.func @f(%x: tensor<1x16x16x8xf32>, %w: tensor<16x3x3x8xf32>) {
  // expected-error @+1 {{strides must be two positive integers}}
  %y = effc.conv2d %x, %w {strides = array<i64: 0, 1>} : tensor<1x16x16x8xf32>, tensor<16x3x3x8xf32> -> tensor<1x14x14x16xf32>
  return
}

// -----

// Tests that conv dilations are two positive integers.
func.func @f(%x: tensor<1x16x16x8xf32>, %w: tensor<16x3x3x8xf32>) {
  // expected-error @+1 {{dilations must be two positive integers}}
  %y = effc.conv2d %x, %w {dilations = array<i64: 1, 1, 1>} : tensor<1x16x16x8xf32>, tensor<16x3x3x8xf32> -> tensor<1x14x14x16xf32>
  return
}

// -----

// Tests that conv padding is four non-negative integers.
func.func @f(%x: tensor<1x16x16x8xf32>, %w: tensor<16x3x3x8xf32>) {
  // expected-error @+1 {{padding must be four non-negative integers [top, bottom, left, right]}}
  %y = effc.conv2d %x, %w {padding = array<i64: 1, -1, 0, 0>} : tensor<1x16x16x8xf32>, tensor<16x3x3x8xf32> -> tensor<1x14x14x16xf32>
  return
}

// -----

// Tests that conv groups must be positive.
func.func @f(%x: tensor<1x16x16x8xf32>, %w: tensor<16x3x3x8xf32>) {
  // expected-error @+1 {{groups must be positive}}
  %y = effc.conv2d %x, %w {groups = 0 : i64} : tensor<1x16x16x8xf32>, tensor<16x3x3x8xf32> -> tensor<1x14x14x16xf32>
  return
}

// -----

// Tests that groups must divide the input channels.
func.func @f(%x: tensor<1x16x16x8xf32>, %w: tensor<15x3x3x2xf32>) {
  // expected-error @+1 {{input channels (8) are not divisible by groups (3)}}
  %y = effc.conv2d %x, %w {groups = 3 : i64} : tensor<1x16x16x8xf32>, tensor<15x3x3x2xf32> -> tensor<1x14x14x15xf32>
  return
}

// -----

// Tests that groups must divide the output channels.
func.func @f(%x: tensor<1x16x16x8xf32>, %w: tensor<6x3x3x2xf32>) {
  // expected-error @+1 {{output channels (6) are not divisible by groups (4)}}
  %y = effc.conv2d %x, %w {groups = 4 : i64} : tensor<1x16x16x8xf32>, tensor<6x3x3x2xf32> -> tensor<1x14x14x6xf32>
  return
}

// -----

// Tests that weight input channels times groups equal the input channels.
func.func @f(%x: tensor<1x16x16x8xf32>, %w: tensor<16x3x3x4xf32>) {
  // expected-error @+1 {{weight input channels (4) times groups (1) must equal the input channels (8)}}
  %y = effc.conv2d %x, %w : tensor<1x16x16x8xf32>, tensor<16x3x3x4xf32> -> tensor<1x14x14x16xf32>
  return
}

// -----

// Tests that the conv result keeps the input batch.
func.func @f(%x: tensor<1x16x16x8xf32>, %w: tensor<16x3x3x8xf32>) {
  // expected-error @+1 {{result batch differs from input batch}}
  %y = effc.conv2d %x, %w : tensor<1x16x16x8xf32>, tensor<16x3x3x8xf32> -> tensor<2x14x14x16xf32>
  return
}

// -----

// Tests that the conv result has the weight's output channels.
func.func @f(%x: tensor<1x16x16x8xf32>, %w: tensor<16x3x3x8xf32>) {
  // expected-error @+1 {{result channels (8) differ from weight output channels (16)}}
  %y = effc.conv2d %x, %w : tensor<1x16x16x8xf32>, tensor<16x3x3x8xf32> -> tensor<1x14x14x8xf32>
  return
}

// -----

// Tests that the kernel window must fit in the padded input.
func.func @f(%x: tensor<1x2x16x8xf32>, %w: tensor<16x3x3x8xf32>) {
  // expected-error @+1 {{kernel window (3) is larger than the padded input (2) in dim 1}}
  %y = effc.conv2d %x, %w : tensor<1x2x16x8xf32>, tensor<16x3x3x8xf32> -> tensor<1x1x14x16xf32>
  return
}

// -----

// Tests that conv result spatial dims follow from stride and padding.
func.func @f(%x: tensor<1x16x16x8xf32>, %w: tensor<16x3x3x8xf32>) {
  // expected-error @+1 {{result spatial dim 2 is 14, expected 7}}
  %y = effc.conv2d %x, %w {strides = array<i64: 1, 2>} : tensor<1x16x16x8xf32>, tensor<16x3x3x8xf32> -> tensor<1x14x14x16xf32>
  return
}

// -----

// Tests that effc.conv2d rejects mixed float types.
func.func @f(%x: tensor<1x16x16x8xf32>, %w: tensor<16x3x3x8xbf16>) {
  // expected-error @+1 {{requires the same element type for all operands and results}}
  %y = effc.conv2d %x, %w : tensor<1x16x16x8xf32>, tensor<16x3x3x8xbf16> -> tensor<1x14x14x16xf32>
  return
}

// -----

// Tests that a conv bias must be [F].
func.func @f(%x: tensor<1x16x16x8xf32>, %w: tensor<16x3x3x8xf32>, %b: tensor<8xf32>) {
  // expected-error @+1 {{bias must be [16], got [8]}}
  %y = effc.conv2d %x, %w bias %b : tensor<1x16x16x8xf32>, tensor<16x3x3x8xf32>, tensor<8xf32> -> tensor<1x14x14x16xf32>
  return
}

// -----

// Tests that effc.attention rejects integer tensors.
func.func @f(%q: tensor<4x128x64xi8>, %k: tensor<4x128x64xi8>, %v: tensor<4x128x64xi8>) {
  // expected-error @+1 {{operand #0 must be ranked tensor of floating-point values, but got 'tensor<4x128x64xi8>'}}
  %o = effc.attention %q, %k, %v : tensor<4x128x64xi8>, tensor<4x128x64xi8>, tensor<4x128x64xi8> -> tensor<4x128x64xi8>
  return
}

// -----

// Tests that attention operands share one element type.
func.func @f(%q: tensor<4x128x64xf32>, %k: tensor<4x128x64xf16>, %v: tensor<4x128x64xf32>) {
  // expected-error @+1 {{requires the same element type for all operands and results}}
  %o = effc.attention %q, %k, %v : tensor<4x128x64xf32>, tensor<4x128x64xf16>, tensor<4x128x64xf32> -> tensor<4x128x64xf32>
  return
}

// -----

// Tests that attention operands have rank 2, 3 or 4.
func.func @f(%q: tensor<128xf32>, %k: tensor<128xf32>, %v: tensor<128xf32>) {
  // expected-error @+1 {{query must have rank 2, 3 or 4, got 1}}
  %o = effc.attention %q, %k, %v : tensor<128xf32>, tensor<128xf32>, tensor<128xf32> -> tensor<128xf32>
  return
}

// -----

// Tests that attention operands share one rank.
func.func @f(%q: tensor<4x128x64xf32>, %k: tensor<128x64xf32>, %v: tensor<4x128x64xf32>) {
  // expected-error @+1 {{query, key, value and result must have the same rank}}
  %o = effc.attention %q, %k, %v : tensor<4x128x64xf32>, tensor<128x64xf32>, tensor<4x128x64xf32> -> tensor<4x128x64xf32>
  return
}

// -----

// Tests that query and key head dims agree.
func.func @f(%q: tensor<4x128x64xf32>, %k: tensor<4x128x32xf32>, %v: tensor<4x128x64xf32>) {
  // expected-error @+1 {{query and key head dims differ (64 vs 32)}}
  %o = effc.attention %q, %k, %v : tensor<4x128x64xf32>, tensor<4x128x32xf32>, tensor<4x128x64xf32> -> tensor<4x128x64xf32>
  return
}

// -----

// Tests that key and value sequence lengths agree.
func.func @f(%q: tensor<4x128x64xf32>, %k: tensor<4x128x64xf32>, %v: tensor<4x64x64xf32>) {
  // expected-error @+1 {{key and value sequence lengths differ (128 vs 64)}}
  %o = effc.attention %q, %k, %v : tensor<4x128x64xf32>, tensor<4x128x64xf32>, tensor<4x64x64xf32> -> tensor<4x128x64xf32>
  return
}

// -----

// Tests that the attention result is [..., Sq, Dv].
func.func @f(%q: tensor<4x128x64xf32>, %k: tensor<4x128x64xf32>, %v: tensor<4x128x32xf32>) {
  // expected-error @+1 {{result shape [4, 128, 64] must be [..., Sq, Dv] = [..., 128, 32]}}
  %o = effc.attention %q, %k, %v : tensor<4x128x64xf32>, tensor<4x128x64xf32>, tensor<4x128x32xf32> -> tensor<4x128x64xf32>
  return
}

// -----

// Tests that rank-4 attention operands share the batch dim.
func.func @f(%q: tensor<2x4x16x64xf32>, %k: tensor<1x4x16x64xf32>, %v: tensor<1x4x16x64xf32>) {
  // expected-error @+1 {{batch dim 0 differs between operands}}
  %o = effc.attention %q, %k, %v : tensor<2x4x16x64xf32>, tensor<1x4x16x64xf32>, tensor<1x4x16x64xf32> -> tensor<2x4x16x64xf32>
  return
}

// -----

// Tests that key and value head counts agree.
func.func @f(%q: tensor<8x16x64xf32>, %k: tensor<2x16x64xf32>, %v: tensor<4x16x64xf32>) {
  // expected-error @+1 {{key and value head counts differ}}
  %o = effc.attention %q, %k, %v : tensor<8x16x64xf32>, tensor<2x16x64xf32>, tensor<4x16x64xf32> -> tensor<8x16x64xf32>
  return
}

// -----

// Tests that the result has the query's head count.
func.func @f(%q: tensor<8x16x64xf32>, %k: tensor<2x16x64xf32>, %v: tensor<2x16x64xf32>) {
  // expected-error @+1 {{result head count differs from query head count}}
  %o = effc.attention %q, %k, %v : tensor<8x16x64xf32>, tensor<2x16x64xf32>, tensor<2x16x64xf32> -> tensor<2x16x64xf32>
  return
}

// -----

// Tests that query heads are a multiple of key/value heads.
func.func @f(%q: tensor<6x16x64xf32>, %k: tensor<4x16x64xf32>, %v: tensor<4x16x64xf32>) {
  // expected-error @+1 {{query heads (6) must be a multiple of key/value heads (4)}}
  %o = effc.attention %q, %k, %v : tensor<6x16x64xf32>, tensor<4x16x64xf32>, tensor<4x16x64xf32> -> tensor<6x16x64xf32>
  return
}

// -----

// Tests that the attention scale is finite and non-zero.
func.func @f(%q: tensor<4x128x64xf32>, %k: tensor<4x128x64xf32>, %v: tensor<4x128x64xf32>) {
  // expected-error @+1 {{scale must be finite and non-zero}}
  %o = effc.attention %q, %k, %v {scale = 0.0 : f32} : tensor<4x128x64xf32>, tensor<4x128x64xf32>, tensor<4x128x64xf32> -> tensor<4x128x64xf32>
  return
}

// -----

// Tests that a dynamic head dim needs an explicit scale.
func.func @f(%q: tensor<4x128x?xf32>, %k: tensor<4x128x?xf32>, %v: tensor<4x128x64xf32>) {
  // expected-error @+1 {{needs a static head dim or an explicit scale}}
  %o = effc.attention %q, %k, %v : tensor<4x128x?xf32>, tensor<4x128x?xf32>, tensor<4x128x64xf32> -> tensor<4x128x64xf32>
  return
}

// -----

// Tests that mask 'window' needs a window size.
func.func @f(%q: tensor<4x128x64xf32>, %k: tensor<4x128x64xf32>, %v: tensor<4x128x64xf32>) {
  // expected-error @+1 {{mask 'window' needs a positive window size}}
  %o = effc.attention %q, %k, %v {mask = #effc.mask<window>} : tensor<4x128x64xf32>, tensor<4x128x64xf32>, tensor<4x128x64xf32> -> tensor<4x128x64xf32>
  return
}

// -----

// Tests that a negative window size is rejected (the attribute is read signed).
func.func @f(%q: tensor<4x128x64xf32>, %k: tensor<4x128x64xf32>, %v: tensor<4x128x64xf32>) {
  // expected-error @+1 {{mask 'window' needs a positive window size}}
  %o = effc.attention %q, %k, %v {mask = #effc.mask<window>, window = -4 : i64} : tensor<4x128x64xf32>, tensor<4x128x64xf32>, tensor<4x128x64xf32> -> tensor<4x128x64xf32>
  return
}

// -----

// Tests that window is only allowed with mask 'window'.
func.func @f(%q: tensor<4x128x64xf32>, %k: tensor<4x128x64xf32>, %v: tensor<4x128x64xf32>) {
  // expected-error @+1 {{window is only allowed with mask 'window'}}
  %o = effc.attention %q, %k, %v {mask = #effc.mask<causal>, window = 16 : i64} : tensor<4x128x64xf32>, tensor<4x128x64xf32>, tensor<4x128x64xf32> -> tensor<4x128x64xf32>
  return
}

// -----

// Tests that mask 'explicit' needs a mask operand.
func.func @f(%q: tensor<4x128x64xf32>, %k: tensor<4x128x64xf32>, %v: tensor<4x128x64xf32>) {
  // expected-error @+1 {{mask 'explicit' needs a mask operand}}
  %o = effc.attention %q, %k, %v {mask = #effc.mask<explicit>} : tensor<4x128x64xf32>, tensor<4x128x64xf32>, tensor<4x128x64xf32> -> tensor<4x128x64xf32>
  return
}

// -----

// Tests that the explicit mask has the scores' element type.
func.func @f(%q: tensor<4x128x64xf32>, %k: tensor<4x128x64xf32>, %v: tensor<4x128x64xf32>, %m: tensor<128x128xf16>) {
  // expected-error @+1 {{requires the same element type for all operands and results}}
  %o = effc.attention %q, %k, %v mask(%m : tensor<128x128xf16>) {mask = #effc.mask<explicit>} : tensor<4x128x64xf32>, tensor<4x128x64xf32>, tensor<4x128x64xf32> -> tensor<4x128x64xf32>
  return
}

// -----

// Tests that the explicit mask has rank 2 or the scores' rank.
func.func @f(%q: tensor<2x4x16x64xf32>, %k: tensor<2x4x16x64xf32>, %v: tensor<2x4x16x64xf32>, %m: tensor<4x16x16xf32>) {
  // expected-error @+1 {{mask must have rank 2 or 4}}
  %o = effc.attention %q, %k, %v mask(%m : tensor<4x16x16xf32>) {mask = #effc.mask<explicit>} : tensor<2x4x16x64xf32>, tensor<2x4x16x64xf32>, tensor<2x4x16x64xf32> -> tensor<2x4x16x64xf32>
  return
}

// -----

// Tests that the explicit mask ends in Skv.
func.func @f(%q: tensor<4x16x64xf32>, %k: tensor<4x32x64xf32>, %v: tensor<4x32x64xf32>, %m: tensor<16x16xf32>) {
  // expected-error @+1 {{mask must end in Skv = 32, got [16, 16]}}
  %o = effc.attention %q, %k, %v mask(%m : tensor<16x16xf32>) {mask = #effc.mask<explicit>} : tensor<4x16x64xf32>, tensor<4x32x64xf32>, tensor<4x32x64xf32> -> tensor<4x16x64xf32>
  return
}

// -----

// Tests that a broadcast mask still ends in Skv, not 1.
func.func @f(%q: tensor<2x4x16x64xf32>, %k: tensor<2x4x32x64xf32>, %v: tensor<2x4x32x64xf32>, %m: tensor<2x1x1x1xf32>) {
  // expected-error @+1 {{mask must end in Skv = 32, got [2, 1, 1, 1]}}
  %o = effc.attention %q, %k, %v mask(%m : tensor<2x1x1x1xf32>) {mask = #effc.mask<explicit>} : tensor<2x4x16x64xf32>, tensor<2x4x32x64xf32>, tensor<2x4x32x64xf32> -> tensor<2x4x16x64xf32>
  return
}

// -----

// Tests that leading explicit mask dims are 1 or the scores' dim.
func.func @f(%q: tensor<2x4x16x64xf32>, %k: tensor<2x4x16x64xf32>, %v: tensor<2x4x16x64xf32>, %m: tensor<2x3x16x16xf32>) {
  // expected-error @+1 {{mask dim 1 must be 1 or 4, got 3}}
  %o = effc.attention %q, %k, %v mask(%m : tensor<2x3x16x16xf32>) {mask = #effc.mask<explicit>} : tensor<2x4x16x64xf32>, tensor<2x4x16x64xf32>, tensor<2x4x16x64xf32> -> tensor<2x4x16x64xf32>
  return
}

// -----

// Tests that the explicit mask's Sq dim is 1 or Sq.
func.func @f(%q: tensor<2x4x16x64xf32>, %k: tensor<2x4x32x64xf32>, %v: tensor<2x4x32x64xf32>, %m: tensor<2x1x8x32xf32>) {
  // expected-error @+1 {{mask dim 2 must be 1 or 16, got 8}}
  %o = effc.attention %q, %k, %v mask(%m : tensor<2x1x8x32xf32>) {mask = #effc.mask<explicit>} : tensor<2x4x16x64xf32>, tensor<2x4x32x64xf32>, tensor<2x4x32x64xf32> -> tensor<2x4x16x64xf32>
  return
}

// -----

// Tests that a rank-2 explicit mask's first dim is 1 or Sq.
func.func @f(%q: tensor<4x16x64xf32>, %k: tensor<4x32x64xf32>, %v: tensor<4x32x64xf32>, %m: tensor<4x32xf32>) {
  // expected-error @+1 {{mask dim 0 must be 1 or 16, got 4}}
  %o = effc.attention %q, %k, %v mask(%m : tensor<4x32xf32>) {mask = #effc.mask<explicit>} : tensor<4x16x64xf32>, tensor<4x32x64xf32>, tensor<4x32x64xf32> -> tensor<4x16x64xf32>
  return
}

// -----

// Tests that a mask operand needs mask 'explicit'.
func.func @f(%q: tensor<4x128x64xf32>, %k: tensor<4x128x64xf32>, %v: tensor<4x128x64xf32>, %m: tensor<128x128xf32>) {
  // expected-error @+1 {{a mask operand needs mask 'explicit'}}
  %o = effc.attention %q, %k, %v mask(%m : tensor<128x128xf32>) {mask = #effc.mask<causal>} : tensor<4x128x64xf32>, tensor<4x128x64xf32>, tensor<4x128x64xf32> -> tensor<4x128x64xf32>
  return
}

// -----

// Tests that effc.quantize reads a float input.
func.func @f(%x: tensor<4x256xi32>, %s: tensor<4x2xf32>) {
  // expected-error @+1 {{operand #0 must be ranked tensor of floating-point values, but got 'tensor<4x256xi32>'}}
  %y = effc.quantize %x, %s {block = array<i64: 1, 128>} : tensor<4x256xi32>, tensor<4x2xf32> -> tensor<4x256xi8>
  return
}

// -----

// Tests that effc.quantize produces integers or fp8.
func.func @f(%x: tensor<4x256xf32>, %s: tensor<4x2xf32>) {
  // expected-error @+1 {{result #0 must be ranked tensor of integer or f8E4M3FN type or f8E5M2 type values, but got 'tensor<4x256xf16>'}}
  %y = effc.quantize %x, %s {block = array<i64: 1, 128>} : tensor<4x256xf32>, tensor<4x2xf32> -> tensor<4x256xf16>
  return
}

// -----

// Tests that effc.quantize keeps the shape.
func.func @f(%x: tensor<4x256xf32>, %s: tensor<4x2xf32>) {
  // expected-error @+1 {{input and result shapes differ}}
  %y = effc.quantize %x, %s {block = array<i64: 1, 128>} : tensor<4x256xf32>, tensor<4x2xf32> -> tensor<4x128xi8>
  return
}

// -----

// Tests that the scale is a float tensor.
func.func @f(%x: tensor<4x256xf32>, %s: tensor<4x2xi32>) {
  // expected-error @+1 {{operand #1 must be ranked tensor of floating-point values, but got 'tensor<4x2xi32>'}}
  %y = effc.quantize %x, %s {block = array<i64: 1, 128>} : tensor<4x256xf32>, tensor<4x2xi32> -> tensor<4x256xi8>
  return
}

// -----

// Tests that block has one entry per dim.
func.func @f(%x: tensor<4x256xf32>, %s: tensor<4x2xf32>) {
  // expected-error @+1 {{block must have one entry per dim (2), got 1}}
  %y = effc.quantize %x, %s {block = array<i64: 128>} : tensor<4x256xf32>, tensor<4x2xf32> -> tensor<4x256xi8>
  return
}

// -----

// Tests that block sizes are positive.
func.func @f(%x: tensor<4x256xf32>, %s: tensor<4x2xf32>) {
  // expected-error @+1 {{block sizes must be positive}}
  %y = effc.quantize %x, %s {block = array<i64: 0, 128>} : tensor<4x256xf32>, tensor<4x2xf32> -> tensor<4x256xi8>
  return
}

// -----

// Tests that the scale has the data's rank.
func.func @f(%x: tensor<4x256xf32>, %s: tensor<8xf32>) {
  // expected-error @+1 {{scale must have the data's rank 2}}
  %y = effc.quantize %x, %s {block = array<i64: 1, 128>} : tensor<4x256xf32>, tensor<8xf32> -> tensor<4x256xi8>
  return
}

// -----

// Tests that a partial last block still has its own scale.
func.func @f(%x: tensor<4x200xf32>, %s: tensor<4x1xf32>) {
  // expected-error @+1 {{scale dim 1 is 1, expected ceil(200 / 128) = 2}}
  %y = effc.quantize %x, %s {block = array<i64: 1, 128>} : tensor<4x200xf32>, tensor<4x1xf32> -> tensor<4x200xi8>
  return
}

// -----

// Tests that scale dims are data dims over block sizes.
func.func @f(%x: tensor<4x256xf32>, %s: tensor<4x4xf32>) {
  // expected-error @+1 {{scale dim 1 is 4, expected ceil(256 / 128) = 2}}
  %y = effc.quantize %x, %s {block = array<i64: 1, 128>} : tensor<4x256xf32>, tensor<4x4xf32> -> tensor<4x256xi8>
  return
}

// -----

// Tests that fp8 quantization takes no zero point.
func.func @f(%x: tensor<4x256xf32>, %s: tensor<4x2xf32>, %z: tensor<4x2xi8>) {
  // expected-error @+1 {{a zero point needs an integer quantized type}}
  %y = effc.quantize %x, %s zero_point %z {block = array<i64: 1, 128>} : tensor<4x256xf32>, tensor<4x2xf32>, tensor<4x2xi8> -> tensor<4x256xf8E4M3FN>
  return
}

// -----

// Tests that the zero point is an integer tensor shaped like the scale.
func.func @f(%x: tensor<4x256xf32>, %s: tensor<4x2xf32>, %z: tensor<4x1xi8>) {
  // expected-error @+1 {{zero point must be an integer tensor shaped like the scale}}
  %y = effc.quantize %x, %s zero_point %z {block = array<i64: 1, 128>} : tensor<4x256xf32>, tensor<4x2xf32>, tensor<4x1xi8> -> tensor<4x256xi8>
  return
}

// -----

// Tests that effc.dequantize reads integers or fp8.
func.func @f(%x: tensor<4x256xf16>, %s: tensor<4x2xf32>) {
  // expected-error @+1 {{operand #0 must be ranked tensor of integer or f8E4M3FN type or f8E5M2 type values, but got 'tensor<4x256xf16>'}}
  %y = effc.dequantize %x, %s {block = array<i64: 1, 128>} : tensor<4x256xf16>, tensor<4x2xf32> -> tensor<4x256xf32>
  return
}

// -----

// Tests that effc.dequantize produces floats.
func.func @f(%x: tensor<4x256xi8>, %s: tensor<4x2xf32>) {
  // expected-error @+1 {{result #0 must be ranked tensor of floating-point values, but got 'tensor<4x256xi32>'}}
  %y = effc.dequantize %x, %s {block = array<i64: 1, 128>} : tensor<4x256xi8>, tensor<4x2xf32> -> tensor<4x256xi32>
  return
}

// -----

// Tests that effc.dequantize keeps the shape.
func.func @f(%x: tensor<4x256xi8>, %s: tensor<4x2xf32>) {
  // expected-error @+1 {{input and result shapes differ}}
  %y = effc.dequantize %x, %s {block = array<i64: 1, 128>} : tensor<4x256xi8>, tensor<4x2xf32> -> tensor<8x256xf32>
  return
}

// -----

// Tests that effc.dequantize checks its block scales.
func.func @f(%x: tensor<4x256xi8>, %s: tensor<4x1xf32>) {
  // expected-error @+1 {{scale dim 1 is 1, expected ceil(256 / 128) = 2}}
  %y = effc.dequantize %x, %s {block = array<i64: 1, 128>} : tensor<4x256xi8>, tensor<4x1xf32> -> tensor<4x256xf32>
  return
}

// -----

// Tests that effc.dynamic_quantize reads a float input.
func.func @f(%x: tensor<4x256xi32>) {
  // expected-error @+1 {{operand #0 must be ranked tensor of floating-point values, but got 'tensor<4x256xi32>'}}
  %q, %s = effc.dynamic_quantize %x {block = array<i64: 1, 128>} : tensor<4x256xi32> -> tensor<4x256xi8>, tensor<4x2xf32>
  return
}

// -----

// Tests that effc.dynamic_quantize produces integers or fp8.
func.func @f(%x: tensor<4x256xf32>) {
  // expected-error @+1 {{result #0 must be ranked tensor of integer or f8E4M3FN type or f8E5M2 type values, but got 'tensor<4x256xbf16>'}}
  %q, %s = effc.dynamic_quantize %x {block = array<i64: 1, 128>} : tensor<4x256xf32> -> tensor<4x256xbf16>, tensor<4x2xf32>
  return
}

// -----

// Tests that effc.dynamic_quantize keeps the shape.
func.func @f(%x: tensor<4x256xf32>) {
  // expected-error @+1 {{input and result shapes differ}}
  %q, %s = effc.dynamic_quantize %x {block = array<i64: 1, 128>} : tensor<4x256xf32> -> tensor<4x128xi8>, tensor<4x2xf32>
  return
}

// -----

// Tests that effc.dynamic_quantize's scale result follows the blocks.
func.func @f(%x: tensor<4x256xf32>) {
  // expected-error @+1 {{scale dim 1 is 1, expected ceil(256 / 128) = 2}}
  %q, %s = effc.dynamic_quantize %x {block = array<i64: 1, 128>} : tensor<4x256xf32> -> tensor<4x256xi8>, tensor<4x1xf32>
  return
}

// -----

// Tests that the quantized input is per-tensor i8 !quant.uniform.
func.func @f(%x: tensor<8x64xi8>, %w: tensor<32x64x!quant.uniform<i8:f32, 0.01>>) {
  // expected-error @+1 {{operand #0 must be ranked tensor of floating-point or quantized (!quant) values, but got 'tensor<8x64xi8>'}}
  %y = effc.quantized_linear %x, %w : tensor<8x64xi8>, tensor<32x64x!quant.uniform<i8:f32, 0.01>> -> tensor<8x32xi32>
  return
}

// -----

// Tests that a weight-only quantized linear (float input) returns the
// input's float type.
func.func @f(%x: tensor<8x64xf32>, %w: tensor<32x64x!quant.uniform<i8:f32, 0.01>>) {
  // expected-error @+1 {{a weight-only quantized linear (float input) must have a result of the input's type 'f32'}}
  %y = effc.quantized_linear %x, %w : tensor<8x64xf32>, tensor<32x64x!quant.uniform<i8:f32, 0.01>> -> tensor<8x32xi32>
  return
}

// -----

// Tests that a weight-only quantized linear has a bias of its float type.
func.func @f(%x: tensor<8x64xf32>, %w: tensor<32x64x!quant.uniform<i8:f32, 0.01>>, %b: tensor<32xi32>) {
  // expected-error @+1 {{bias element type must be 'f32'}}
  %y = effc.quantized_linear %x, %w bias %b : tensor<8x64xf32>, tensor<32x64x!quant.uniform<i8:f32, 0.01>>, tensor<32xi32> -> tensor<8x32xf32>
  return
}

// -----

// Tests that effc.unpack_int4 doubles the last dim of i8 bytes into i4.
func.func @f(%p: tensor<4x8xi8>) {
  // expected-error @+1 {{the last dim must double: 8 bytes hold 16 values, not 8}}
  %w = effc.unpack_int4 %p : tensor<4x8xi8> -> tensor<4x8xi4>
  return
}

// -----

func.func @f(%p: tensor<4x8xi8>) {
  // expected-error @+1 {{result #0 must be ranked tensor of 4-bit signless integer values, but got 'tensor<4x16xi8>'}}
  %w = effc.unpack_int4 %p : tensor<4x8xi8> -> tensor<4x16xi8>
  return
}

// -----

func.func @f(%p: tensor<4x8xi16>) {
  // expected-error @+1 {{operand #0 must be ranked tensor of 8-bit signless integer values, but got 'tensor<4x8xi16>'}}
  %w = effc.unpack_int4 %p : tensor<4x8xi16> -> tensor<4x16xi4>
  return
}

// -----

// Tests that the quantized linear weight is rank 2.
func.func @f(%x: tensor<8x64x!quant.uniform<i8:f32, 0.05>>, %w: tensor<2x32x64x!quant.uniform<i8:f32, 0.01>>) {
  // expected-error @+1 {{weight must be [N, K], got [2, 32, 64]}}
  %y = effc.quantized_linear %x, %w : tensor<8x64x!quant.uniform<i8:f32, 0.05>>, tensor<2x32x64x!quant.uniform<i8:f32, 0.01>> -> tensor<8x32xi32>
  return
}

// -----

// Tests that the quantized weight has a !quant.uniform element type.
func.func @f(%x: tensor<8x64x!quant.uniform<i8:f32, 0.05>>, %w: tensor<32x64xi8>) {
  // expected-error @+1 {{operand #1 must be ranked tensor of quantized (!quant) values, but got 'tensor<32x64xi8>'}}
  %y = effc.quantized_linear %x, %w : tensor<8x64x!quant.uniform<i8:f32, 0.05>>, tensor<32x64xi8> -> tensor<8x32xi32>
  return
}

// -----

// Tests that the quantized weight is stored as signed i8 or i4.
func.func @f(%x: tensor<8x64x!quant.uniform<i8:f32, 0.05>>, %w: tensor<32x64x!quant.uniform<u8:f32, 0.01>>) {
  // expected-error @+1 {{weight storage must be i8 or i4}}
  %y = effc.quantized_linear %x, %w : tensor<8x64x!quant.uniform<i8:f32, 0.05>>, tensor<32x64x!quant.uniform<u8:f32, 0.01>> -> tensor<8x32xi32>
  return
}

// -----

// Tests that a per-tensor quantized weight is symmetric.
func.func @f(%x: tensor<8x64x!quant.uniform<i8:f32, 0.05>>, %w: tensor<32x64x!quant.uniform<i8:f32, 0.01:3>>) {
  // expected-error @+1 {{weight quantization must be symmetric (zero point 0)}}
  %y = effc.quantized_linear %x, %w : tensor<8x64x!quant.uniform<i8:f32, 0.05>>, tensor<32x64x!quant.uniform<i8:f32, 0.01:3>> -> tensor<8x32xi32>
  return
}

// -----

// Tests that per-axis weight scales run along axis 0.
func.func @f(%x: tensor<8x2x!quant.uniform<i8:f32, 0.05>>, %w: tensor<32x2x!quant.uniform<i8:f32:1, {0.1, 0.2}>>) {
  // expected-error @+1 {{per-axis weight scales must be along the output channels (axis 0)}}
  %y = effc.quantized_linear %x, %w : tensor<8x2x!quant.uniform<i8:f32, 0.05>>, tensor<32x2x!quant.uniform<i8:f32:1, {0.1, 0.2}>> -> tensor<8x32xi32>
  return
}

// -----

// Tests that there is one per-axis weight scale per output channel.
func.func @f(%x: tensor<8x64x!quant.uniform<i8:f32, 0.05>>, %w: tensor<3x64x!quant.uniform<i8:f32:0, {0.1, 0.2}>>) {
  // expected-error @+1 {{weight has 2 scales for 3 output channels}}
  %y = effc.quantized_linear %x, %w : tensor<8x64x!quant.uniform<i8:f32, 0.05>>, tensor<3x64x!quant.uniform<i8:f32:0, {0.1, 0.2}>> -> tensor<8x3xi32>
  return
}

// -----

// Tests that a per-axis quantized weight is symmetric.
func.func @f(%x: tensor<8x64x!quant.uniform<i8:f32, 0.05>>, %w: tensor<2x64x!quant.uniform<i8:f32:0, {0.1:1, 0.2}>>) {
  // expected-error @+1 {{weight quantization must be symmetric (zero point 0)}}
  %y = effc.quantized_linear %x, %w : tensor<8x64x!quant.uniform<i8:f32, 0.05>>, tensor<2x64x!quant.uniform<i8:f32:0, {0.1:1, 0.2}>> -> tensor<8x2xi32>
  return
}

// -----

// Tests that grouped weight scales block only dims 0 and K.
func.func @f(%x: tensor<8x64x!quant.uniform<i8:f32, 0.05>>, %w: tensor<2x64x!quant.uniform<i8:f32:{2:1, 1:32}, {{{0.1}, {0.2}}}>>) {
  // expected-error @+1 {{grouped weight scales may only block dims 0 and 1}}
  %y = effc.quantized_linear %x, %w : tensor<8x64x!quant.uniform<i8:f32, 0.05>>, tensor<2x64x!quant.uniform<i8:f32:{2:1, 1:32}, {{{0.1}, {0.2}}}>> -> tensor<8x2xf32>
  return
}

// -----

// Tests that grouped weight scales use block size 1 along the output channels.
func.func @f(%x: tensor<8x64x!quant.uniform<i8:f32, 0.05>>, %w: tensor<2x64x!quant.uniform<i8:f32:{0:2, 1:32}, {{0.1, 0.2}}>>) {
  // expected-error @+1 {{grouped weight scales need block size 1 along the output channels}}
  %y = effc.quantized_linear %x, %w : tensor<8x64x!quant.uniform<i8:f32, 0.05>>, tensor<2x64x!quant.uniform<i8:f32:{0:2, 1:32}, {{0.1, 0.2}}>> -> tensor<8x2xf32>
  return
}

// -----

// Tests that the group size divides K.
func.func @f(%x: tensor<8x64x!quant.uniform<i8:f32, 0.05>>, %w: tensor<2x64x!quant.uniform<i8:f32:{0:1, 1:48}, {{0.1}, {0.2}}>>) {
  // expected-error @+1 {{group size 48 does not divide K = 64}}
  %y = effc.quantized_linear %x, %w : tensor<8x64x!quant.uniform<i8:f32, 0.05>>, tensor<2x64x!quant.uniform<i8:f32:{0:1, 1:48}, {{0.1}, {0.2}}>> -> tensor<8x2xf32>
  return
}

// -----

// Tests that a grouped quantized weight is symmetric.
func.func @f(%x: tensor<8x64x!quant.uniform<i8:f32, 0.05>>, %w: tensor<2x64x!quant.uniform<i8:f32:{0:1, 1:32}, {{0.1:1, 0.2}, {0.3, 0.4}}>>) {
  // expected-error @+1 {{weight quantization must be symmetric (zero point 0)}}
  %y = effc.quantized_linear %x, %w : tensor<8x64x!quant.uniform<i8:f32, 0.05>>, tensor<2x64x!quant.uniform<i8:f32:{0:1, 1:32}, {{0.1:1, 0.2}, {0.3, 0.4}}>> -> tensor<8x2xf32>
  return
}

// -----

// Tests that other quantized weight types are rejected.
func.func @f(%x: tensor<8x64x!quant.uniform<i8:f32, 0.05>>, %w: tensor<32x64x!quant.any<i8:f32>>) {
  // expected-error @+1 {{unsupported weight quantization type '!quant.any<i8:f32>'}}
  %y = effc.quantized_linear %x, %w : tensor<8x64x!quant.uniform<i8:f32, 0.05>>, tensor<32x64x!quant.any<i8:f32>> -> tensor<8x32xi32>
  return
}

// -----

// Tests that the quantized linear checks K.
func.func @f(%x: tensor<8x64x!quant.uniform<i8:f32, 0.05>>, %w: tensor<32x48x!quant.uniform<i8:f32, 0.01>>) {
  // expected-error @+1 {{reduction dim of input (64) and weight (48) differ}}
  %y = effc.quantized_linear %x, %w : tensor<8x64x!quant.uniform<i8:f32, 0.05>>, tensor<32x48x!quant.uniform<i8:f32, 0.01>> -> tensor<8x32xi32>
  return
}

// -----

// Tests that the quantized bias is i32.
func.func @f(%x: tensor<8x64x!quant.uniform<i8:f32, 0.05>>, %w: tensor<32x64x!quant.uniform<i8:f32, 0.01>>, %b: tensor<32xf32>) {
  // expected-error @+1 {{bias element type must be 'i32'}}
  %y = effc.quantized_linear %x, %w bias %b : tensor<8x64x!quant.uniform<i8:f32, 0.05>>, tensor<32x64x!quant.uniform<i8:f32, 0.01>>, tensor<32xf32> -> tensor<8x32xi32>
  return
}

// -----

// Tests that a requantized result is stored as i8.
func.func @f(%x: tensor<8x64x!quant.uniform<i8:f32, 0.05>>, %w: tensor<32x64x!quant.uniform<i8:f32, 0.01>>) {
  // expected-error @+1 {{requantized result must have i8 storage}}
  %y = effc.quantized_linear %x, %w {multiplier = array<i32: 1073741824>, shift = array<i32: 0>} : tensor<8x64x!quant.uniform<i8:f32, 0.05>>, tensor<32x64x!quant.uniform<i8:f32, 0.01>> -> tensor<8x32x!quant.uniform<i16:f32, 0.1>>
  return
}

// -----

// Tests that a requantized result needs multiplier and shift.
func.func @f(%x: tensor<8x64x!quant.uniform<i8:f32, 0.05>>, %w: tensor<32x64x!quant.uniform<i8:f32, 0.01>>) {
  // expected-error @+1 {{a requantized result needs multiplier and shift}}
  %y = effc.quantized_linear %x, %w {multiplier = array<i32: 1073741824>} : tensor<8x64x!quant.uniform<i8:f32, 0.05>>, tensor<32x64x!quant.uniform<i8:f32, 0.01>> -> tensor<8x32x!quant.uniform<i8:f32, 0.1>>
  return
}

// -----

// Tests that multiplier and shift have the same length.
func.func @f(%x: tensor<8x64x!quant.uniform<i8:f32, 0.05>>, %w: tensor<32x64x!quant.uniform<i8:f32, 0.01>>) {
  // expected-error @+1 {{multiplier and shift must have the same length}}
  %y = effc.quantized_linear %x, %w {multiplier = array<i32: 1073741824>, shift = array<i32: 0, 0>} : tensor<8x64x!quant.uniform<i8:f32, 0.05>>, tensor<32x64x!quant.uniform<i8:f32, 0.01>> -> tensor<8x32x!quant.uniform<i8:f32, 0.1>>
  return
}

// -----

// Tests that there is one multiplier or one per output channel.
func.func @f(%x: tensor<8x64x!quant.uniform<i8:f32, 0.05>>, %w: tensor<32x64x!quant.uniform<i8:f32, 0.01>>) {
  // expected-error @+1 {{expected 1 or 32 requantization multipliers, got 2}}
  %y = effc.quantized_linear %x, %w {multiplier = array<i32: 1073741824, 1073741824>, shift = array<i32: 0, 0>} : tensor<8x64x!quant.uniform<i8:f32, 0.05>>, tensor<32x64x!quant.uniform<i8:f32, 0.01>> -> tensor<8x32x!quant.uniform<i8:f32, 0.1>>
  return
}

// -----

// Tests that requantization multipliers are positive.
func.func @f(%x: tensor<8x64x!quant.uniform<i8:f32, 0.05>>, %w: tensor<32x64x!quant.uniform<i8:f32, 0.01>>) {
  // expected-error @+1 {{requantization multipliers must be positive}}
  %y = effc.quantized_linear %x, %w {multiplier = array<i32: 0>, shift = array<i32: 0>} : tensor<8x64x!quant.uniform<i8:f32, 0.05>>, tensor<32x64x!quant.uniform<i8:f32, 0.01>> -> tensor<8x32x!quant.uniform<i8:f32, 0.1>>
  return
}

// -----

// Tests that requantization shifts are in [-31, 31].
func.func @f(%x: tensor<8x64x!quant.uniform<i8:f32, 0.05>>, %w: tensor<32x64x!quant.uniform<i8:f32, 0.01>>) {
  // expected-error @+1 {{requantization shifts must be in [-31, 31]}}
  %y = effc.quantized_linear %x, %w {multiplier = array<i32: 1073741824>, shift = array<i32: 32>} : tensor<8x64x!quant.uniform<i8:f32, 0.05>>, tensor<32x64x!quant.uniform<i8:f32, 0.01>> -> tensor<8x32x!quant.uniform<i8:f32, 0.1>>
  return
}

// -----

// Tests that multiplier and shift need a requantized result.
func.func @f(%x: tensor<8x64x!quant.uniform<i8:f32, 0.05>>, %w: tensor<32x64x!quant.uniform<i8:f32, 0.01>>) {
  // expected-error @+1 {{multiplier and shift need a requantized (!quant.uniform) result}}
  %y = effc.quantized_linear %x, %w {multiplier = array<i32: 1073741824>, shift = array<i32: 0>} : tensor<8x64x!quant.uniform<i8:f32, 0.05>>, tensor<32x64x!quant.uniform<i8:f32, 0.01>> -> tensor<8x32xi32>
  return
}

// -----

// Tests that grouped weight scales cannot produce raw i32 accumulators.
func.func @f(%x: tensor<8x64x!quant.uniform<i8:f32, 0.05>>, %w: tensor<2x64x!quant.uniform<i8:f32:{0:1, 1:32}, {{0.1, 0.2}, {0.3, 0.4}}>>) {
  // expected-error @+1 {{grouped weight scales cannot produce a single int32 accumulator; use a float result}}
  %y = effc.quantized_linear %x, %w : tensor<8x64x!quant.uniform<i8:f32, 0.05>>, tensor<2x64x!quant.uniform<i8:f32:{0:1, 1:32}, {{0.1, 0.2}, {0.3, 0.4}}>> -> tensor<8x2xi32>
  return
}

// -----

// Tests that the quantized result is i32, float or i8 !quant.uniform.
func.func @f(%x: tensor<8x64x!quant.uniform<i8:f32, 0.05>>, %w: tensor<32x64x!quant.uniform<i8:f32, 0.01>>) {
  // expected-error @+1 {{result #0 must be ranked tensor of 32-bit signless integer or floating-point or quantized (!quant) values, but got 'tensor<8x32xi16>'}}
  %y = effc.quantized_linear %x, %w : tensor<8x64x!quant.uniform<i8:f32, 0.05>>, tensor<32x64x!quant.uniform<i8:f32, 0.01>> -> tensor<8x32xi16>
  return
}

// -----

// Tests that integer quantized results allow only none, relu and clamp.
func.func @f(%x: tensor<8x64x!quant.uniform<i8:f32, 0.05>>, %w: tensor<32x64x!quant.uniform<i8:f32, 0.01>>) {
  // expected-error @+1 {{integer results allow only the activations 'none', 'relu' and 'clamp'}}
  %y = effc.quantized_linear %x, %w {activation = #effc.activation<gelu>} : tensor<8x64x!quant.uniform<i8:f32, 0.05>>, tensor<32x64x!quant.uniform<i8:f32, 0.01>> -> tensor<8x32xi32>
  return
}

// -----

// Tests that the quantized linear checks clamp bounds.
func.func @f(%x: tensor<8x64x!quant.uniform<i8:f32, 0.05>>, %w: tensor<32x64x!quant.uniform<i8:f32, 0.01>>) {
  // expected-error @+1 {{activation 'clamp' needs clamp_min and clamp_max}}
  %y = effc.quantized_linear %x, %w {activation = #effc.activation<clamp>} : tensor<8x64x!quant.uniform<i8:f32, 0.05>>, tensor<32x64x!quant.uniform<i8:f32, 0.01>> -> tensor<8x32xf32>
  return
}

// -----

// Tests that the quantized conv input is per-tensor i8 !quant.uniform.
func.func @f(%x: tensor<1x8x8x4x!quant.uniform<i8:f32:3, {0.1, 0.1, 0.1, 0.1}>>, %w: tensor<8x3x3x4x!quant.uniform<i8:f32, 0.02>>) {
  // expected-error @+1 {{input must be per-tensor !quant.uniform with i8 storage}}
  %y = effc.quantized_conv2d %x, %w : tensor<1x8x8x4x!quant.uniform<i8:f32:3, {0.1, 0.1, 0.1, 0.1}>>, tensor<8x3x3x4x!quant.uniform<i8:f32, 0.02>> -> tensor<1x6x6x8xi32>
  return
}

// -----

// Tests that the quantized conv checks its shapes.
func.func @f(%x: tensor<1x8x8x4x!quant.uniform<i8:f32, 0.05>>, %w: tensor<8x3x3x4x!quant.uniform<i8:f32, 0.02>>) {
  // expected-error @+1 {{result spatial dim 1 is 8, expected 6}}
  %y = effc.quantized_conv2d %x, %w : tensor<1x8x8x4x!quant.uniform<i8:f32, 0.05>>, tensor<8x3x3x4x!quant.uniform<i8:f32, 0.02>> -> tensor<1x8x8x8xi32>
  return
}

// -----

// Tests that the quantized conv rejects grouped (sub-channel) weight scales.
func.func @f(%x: tensor<1x8x8x4x!quant.uniform<i8:f32, 0.05>>, %w: tensor<2x3x3x4x!quant.uniform<i8:f32:{0:1, 3:2}, {{{{0.1, 0.2}}}, {{{0.3, 0.4}}}}>>) {
  // expected-error @+1 {{sub-channel (grouped) weight scales are not supported by this op}}
  %y = effc.quantized_conv2d %x, %w : tensor<1x8x8x4x!quant.uniform<i8:f32, 0.05>>, tensor<2x3x3x4x!quant.uniform<i8:f32:{0:1, 3:2}, {{{{0.1, 0.2}}}, {{{0.3, 0.4}}}}>> -> tensor<1x6x6x2xf32>
  return
}

// -----

// Tests that the quantized conv bias is [F] x i32.
func.func @f(%x: tensor<1x8x8x4x!quant.uniform<i8:f32, 0.05>>, %w: tensor<8x3x3x4x!quant.uniform<i8:f32, 0.02>>, %b: tensor<4xi32>) {
  // expected-error @+1 {{bias must be [8], got [4]}}
  %y = effc.quantized_conv2d %x, %w bias %b : tensor<1x8x8x4x!quant.uniform<i8:f32, 0.05>>, tensor<8x3x3x4x!quant.uniform<i8:f32, 0.02>>, tensor<4xi32> -> tensor<1x6x6x8xi32>
  return
}

// -----

// Tests that the quantized conv checks its requantization.
func.func @f(%x: tensor<1x8x8x4x!quant.uniform<i8:f32, 0.05>>, %w: tensor<8x3x3x4x!quant.uniform<i8:f32, 0.02>>) {
  // expected-error @+1 {{expected 1 or 8 requantization multipliers, got 3}}
  %y = effc.quantized_conv2d %x, %w {multiplier = array<i32: 1, 2, 3>, shift = array<i32: 0, 0, 0>} : tensor<1x8x8x4x!quant.uniform<i8:f32, 0.05>>, tensor<8x3x3x4x!quant.uniform<i8:f32, 0.02>> -> tensor<1x6x6x8x!quant.uniform<i8:f32, 0.1>>
  return
}

// -----

// Tests that the quantized conv checks clamp bounds.
func.func @f(%x: tensor<1x8x8x4x!quant.uniform<i8:f32, 0.05>>, %w: tensor<8x3x3x4x!quant.uniform<i8:f32, 0.02>>) {
  // expected-error @+1 {{clamp_min/clamp_max are only allowed with activation 'clamp'}}
  %y = effc.quantized_conv2d %x, %w {activation = #effc.activation<relu>, clamp_max = 6.0 : f32} : tensor<1x8x8x4x!quant.uniform<i8:f32, 0.05>>, tensor<8x3x3x4x!quant.uniform<i8:f32, 0.02>> -> tensor<1x6x6x8xi32>
  return
}

// -----

// Tests that the block-scaled input is f8E4M3FN or i8.
func.func @f(%xq: tensor<4x256xf8E5M2>, %xs: tensor<4x2xf32>, %wq: tensor<256x256xf8E4M3FN>, %ws: tensor<2x2xf32>) {
  // expected-error @+1 {{operand #0 must be ranked tensor of f8E4M3FN type or 8-bit signless integer values, but got 'tensor<4x256xf8E5M2>'}}
  %y = effc.block_scaled_linear %xq, %xs, %wq, %ws {block = array<i64: 128, 128>} : tensor<4x256xf8E5M2>, tensor<4x2xf32>, tensor<256x256xf8E4M3FN>, tensor<2x2xf32> -> tensor<4x256xbf16>
  return
}

// -----

// Tests that the block-scaled weight has the input's element type.
func.func @f(%xq: tensor<4x256xf8E4M3FN>, %xs: tensor<4x2xf32>, %wq: tensor<256x256xi8>, %ws: tensor<2x2xf32>) {
  // expected-error @+1 {{failed to verify that all of {input, weight} have same element type}}
  %y = effc.block_scaled_linear %xq, %xs, %wq, %ws {block = array<i64: 128, 128>} : tensor<4x256xf8E4M3FN>, tensor<4x2xf32>, tensor<256x256xi8>, tensor<2x2xf32> -> tensor<4x256xbf16>
  return
}

// -----

// Tests that block scales are f32.
func.func @f(%xq: tensor<4x256xf8E4M3FN>, %xs: tensor<4x2xbf16>, %wq: tensor<256x256xf8E4M3FN>, %ws: tensor<2x2xf32>) {
  // expected-error @+1 {{operand #1 must be ranked tensor of 32-bit float values, but got 'tensor<4x2xbf16>'}}
  %y = effc.block_scaled_linear %xq, %xs, %wq, %ws {block = array<i64: 128, 128>} : tensor<4x256xf8E4M3FN>, tensor<4x2xbf16>, tensor<256x256xf8E4M3FN>, tensor<2x2xf32> -> tensor<4x256xbf16>
  return
}

// -----

// Tests that the block-scaled result is a float tensor.
func.func @f(%xq: tensor<4x256xf8E4M3FN>, %xs: tensor<4x2xf32>, %wq: tensor<256x256xf8E4M3FN>, %ws: tensor<2x2xf32>) {
  // expected-error @+1 {{result #0 must be ranked tensor of floating-point values, but got 'tensor<4x256xi32>'}}
  %y = effc.block_scaled_linear %xq, %xs, %wq, %ws {block = array<i64: 128, 128>} : tensor<4x256xf8E4M3FN>, tensor<4x2xf32>, tensor<256x256xf8E4M3FN>, tensor<2x2xf32> -> tensor<4x256xi32>
  return
}

// -----

// Tests that block is two positive sizes.
func.func @f(%xq: tensor<4x256xf8E4M3FN>, %xs: tensor<4x2xf32>, %wq: tensor<256x256xf8E4M3FN>, %ws: tensor<2x2xf32>) {
  // expected-error @+1 {{block must be two positive sizes [bn, bk]}}
  %y = effc.block_scaled_linear %xq, %xs, %wq, %ws {block = array<i64: 128>} : tensor<4x256xf8E4M3FN>, tensor<4x2xf32>, tensor<256x256xf8E4M3FN>, tensor<2x2xf32> -> tensor<4x256xbf16>
  return
}

// -----

// Tests that the block-scaled weight is [N, K].
func.func @f(%xq: tensor<4x256xf8E4M3FN>, %xs: tensor<4x2xf32>, %wq: tensor<1x256x256xf8E4M3FN>, %ws: tensor<2x2xf32>) {
  // expected-error @+1 {{weight must be [N, K], got [1, 256, 256]}}
  %y = effc.block_scaled_linear %xq, %xs, %wq, %ws {block = array<i64: 128, 128>} : tensor<4x256xf8E4M3FN>, tensor<4x2xf32>, tensor<1x256x256xf8E4M3FN>, tensor<2x2xf32> -> tensor<4x256xbf16>
  return
}

// -----

// Tests that a partial last K block has its own scale column.
func.func @f(%xq: tensor<4x200xf8E4M3FN>, %xs: tensor<4x2xf32>, %wq: tensor<256x200xf8E4M3FN>, %ws: tensor<2x1xf32>) {
  // expected-error @+1 {{weight scale must be [ceil(N / bn), ceil(K / bk)] = [2, 2], got [2, 1]}}
  %y = effc.block_scaled_linear %xq, %xs, %wq, %ws {block = array<i64: 128, 128>} : tensor<4x200xf8E4M3FN>, tensor<4x2xf32>, tensor<256x200xf8E4M3FN>, tensor<2x1xf32> -> tensor<4x256xbf16>
  return
}

// -----

// Tests that a partial last N block has its own scale row.
func.func @f(%xq: tensor<4x256xf8E4M3FN>, %xs: tensor<4x2xf32>, %wq: tensor<200x256xf8E4M3FN>, %ws: tensor<1x2xf32>) {
  // expected-error @+1 {{weight scale must be [ceil(N / bn), ceil(K / bk)] = [2, 2], got [1, 2]}}
  %y = effc.block_scaled_linear %xq, %xs, %wq, %ws {block = array<i64: 128, 128>} : tensor<4x256xf8E4M3FN>, tensor<4x2xf32>, tensor<200x256xf8E4M3FN>, tensor<1x2xf32> -> tensor<4x200xbf16>
  return
}

// -----

// Tests that the weight scale is [ceil(N / bn), ceil(K / bk)].
func.func @f(%xq: tensor<4x256xf8E4M3FN>, %xs: tensor<4x2xf32>, %wq: tensor<256x256xf8E4M3FN>, %ws: tensor<2x1xf32>) {
  // expected-error @+1 {{weight scale must be [ceil(N / bn), ceil(K / bk)] = [2, 2], got [2, 1]}}
  %y = effc.block_scaled_linear %xq, %xs, %wq, %ws {block = array<i64: 128, 128>} : tensor<4x256xf8E4M3FN>, tensor<4x2xf32>, tensor<256x256xf8E4M3FN>, tensor<2x1xf32> -> tensor<4x256xbf16>
  return
}

// -----

// Tests that the input scale has the input's rank.
func.func @f(%xq: tensor<4x256xf8E4M3FN>, %xs: tensor<2xf32>, %wq: tensor<256x256xf8E4M3FN>, %ws: tensor<2x2xf32>) {
  // expected-error @+1 {{input scale must have the input's rank}}
  %y = effc.block_scaled_linear %xq, %xs, %wq, %ws {block = array<i64: 128, 128>} : tensor<4x256xf8E4M3FN>, tensor<2xf32>, tensor<256x256xf8E4M3FN>, tensor<2x2xf32> -> tensor<4x256xbf16>
  return
}

// -----

// Tests that the input scale keeps the input's leading dims.
func.func @f(%xq: tensor<4x256xf8E4M3FN>, %xs: tensor<3x2xf32>, %wq: tensor<256x256xf8E4M3FN>, %ws: tensor<2x2xf32>) {
  // expected-error @+1 {{input scale must be [..., ceil(K / bk)], got [3, 2]}}
  %y = effc.block_scaled_linear %xq, %xs, %wq, %ws {block = array<i64: 128, 128>} : tensor<4x256xf8E4M3FN>, tensor<3x2xf32>, tensor<256x256xf8E4M3FN>, tensor<2x2xf32> -> tensor<4x256xbf16>
  return
}

// -----

// Tests that the input scale's last dim is ceil(K / bk).
func.func @f(%xq: tensor<4x256xf8E4M3FN>, %xs: tensor<4x1xf32>, %wq: tensor<256x256xf8E4M3FN>, %ws: tensor<2x2xf32>) {
  // expected-error @+1 {{input scale must be [..., ceil(K / bk)], got [4, 1]}}
  %y = effc.block_scaled_linear %xq, %xs, %wq, %ws {block = array<i64: 128, 128>} : tensor<4x256xf8E4M3FN>, tensor<4x1xf32>, tensor<256x256xf8E4M3FN>, tensor<2x2xf32> -> tensor<4x256xbf16>
  return
}

// -----

// Tests that weight_shape is two positive sizes.
func.func @f(%x: tensor<8x64xf32>, %v: tensor<32x32xf32>, %i: tensor<32x32xi8>) {
  // expected-error @+1 {{weight_shape must be two positive sizes [N, K]}}
  %y = effc.sparse_linear %x, %v, %i {encoding = #effc.sparse_encoding<format = nm, n = 2, m = 4>, weight_shape = array<i64: 32, 0>} : tensor<8x64xf32>, tensor<32x32xf32>, tensor<32x32xi8> -> tensor<8x32xf32>
  return
}

// -----

// Tests that the sparse linear checks K against weight_shape.
func.func @f(%x: tensor<8x32xf32>, %v: tensor<32x32xf32>, %i: tensor<32x32xi8>) {
  // expected-error @+1 {{reduction dim of input (32) and weight (64) differ}}
  %y = effc.sparse_linear %x, %v, %i {encoding = #effc.sparse_encoding<format = nm, n = 2, m = 4>, weight_shape = array<i64: 32, 64>} : tensor<8x32xf32>, tensor<32x32xf32>, tensor<32x32xi8> -> tensor<8x32xf32>
  return
}

// -----

// Tests that quantized sparse values need a quantized input.
func.func @f(%x: tensor<8x64xf32>, %v: tensor<32x32x!quant.uniform<i8:f32, 0.1>>, %i: tensor<32x32xi8>) {
  // expected-error @+1 {{input must be per-tensor !quant.uniform with i8 storage, got 'f32'}}
  %y = effc.sparse_linear %x, %v, %i {encoding = #effc.sparse_encoding<format = nm, n = 2, m = 4>, weight_shape = array<i64: 32, 64>} : tensor<8x64xf32>, tensor<32x32x!quant.uniform<i8:f32, 0.1>>, tensor<32x32xi8> -> tensor<8x32xf32>
  return
}

// -----

// Tests that quantized sparse values are i8 per tensor or per channel.
func.func @f(%x: tensor<8x64x!quant.uniform<i8:f32, 0.05>>, %v: tensor<32x32x!quant.uniform<i4:f32, 0.1>>, %i: tensor<32x32xi8>) {
  // expected-error @+1 {{quantized values must be i8 per tensor or per output channel}}
  %y = effc.sparse_linear %x, %v, %i {encoding = #effc.sparse_encoding<format = nm, n = 2, m = 4>, weight_shape = array<i64: 32, 64>} : tensor<8x64x!quant.uniform<i8:f32, 0.05>>, tensor<32x32x!quant.uniform<i4:f32, 0.1>>, tensor<32x32xi8> -> tensor<8x32xi32>
  return
}

// -----

// Tests that per-channel sparse values have one scale per output channel.
func.func @f(%x: tensor<8x64x!quant.uniform<i8:f32, 0.05>>, %v: tensor<32x32x!quant.uniform<i8:f32:0, {0.1, 0.2}>>, %i: tensor<32x32xi8>) {
  // expected-error @+1 {{values have 2 scales for 32 output channels}}
  %y = effc.sparse_linear %x, %v, %i {encoding = #effc.sparse_encoding<format = nm, n = 2, m = 4>, weight_shape = array<i64: 32, 64>} : tensor<8x64x!quant.uniform<i8:f32, 0.05>>, tensor<32x32x!quant.uniform<i8:f32:0, {0.1, 0.2}>>, tensor<32x32xi8> -> tensor<8x32xi32>
  return
}

// -----

// Tests that a quantized sparse linear produces i32 or float.
func.func @f(%x: tensor<8x64x!quant.uniform<i8:f32, 0.05>>, %v: tensor<32x32x!quant.uniform<i8:f32, 0.1>>, %i: tensor<32x32xi8>) {
  // expected-error @+1 {{result #0 must be ranked tensor of 32-bit signless integer or floating-point values, but got 'tensor<8x32xi8>'}}
  %y = effc.sparse_linear %x, %v, %i {encoding = #effc.sparse_encoding<format = nm, n = 2, m = 4>, weight_shape = array<i64: 32, 64>} : tensor<8x64x!quant.uniform<i8:f32, 0.05>>, tensor<32x32x!quant.uniform<i8:f32, 0.1>>, tensor<32x32xi8> -> tensor<8x32xi8>
  return
}

// -----

// Tests that float sparse values, input and result share one type.
func.func @f(%x: tensor<8x64xf32>, %v: tensor<32x32xf16>, %i: tensor<32x32xi8>) {
  // expected-error @+1 {{values, input and result must share one float element type}}
  %y = effc.sparse_linear %x, %v, %i {encoding = #effc.sparse_encoding<format = nm, n = 2, m = 4>, weight_shape = array<i64: 32, 64>} : tensor<8x64xf32>, tensor<32x32xf16>, tensor<32x32xi8> -> tensor<8x32xf32>
  return
}

// -----

// Tests that the sparse linear bias is [N].
func.func @f(%x: tensor<8x64xf32>, %v: tensor<32x32xf32>, %i: tensor<32x32xi8>, %b: tensor<64xf32>) {
  // expected-error @+1 {{bias must be [32], got [64]}}
  %y = effc.sparse_linear %x, %v, %i bias %b {encoding = #effc.sparse_encoding<format = nm, n = 2, m = 4>, weight_shape = array<i64: 32, 64>} : tensor<8x64xf32>, tensor<32x32xf32>, tensor<32x32xi8>, bias tensor<64xf32> -> tensor<8x32xf32>
  return
}

// -----

// Tests that the bsr block tiles the weight.
func.func @f(%x: tensor<8x64xf32>, %v: tensor<10x3x8xf32>, %i: tensor<10xi32>, %o: tensor<11xi32>) {
  // expected-error @+1 {{block 3x8 does not tile the weight 32x64}}
  %y = effc.sparse_linear %x, %v, %i offsets %o {encoding = #effc.sparse_encoding<format = bsr, block_rows = 3, block_cols = 8>, weight_shape = array<i64: 32, 64>} : tensor<8x64xf32>, tensor<10x3x8xf32>, tensor<10xi32>, offsets tensor<11xi32> -> tensor<8x32xf32>
  return
}

// -----

// Tests that csr needs an offsets operand.
func.func @f(%x: tensor<8x64xf32>, %v: tensor<100xf32>, %i: tensor<100xi32>) {
  // expected-error @+1 {{csr and bsr need an offsets operand}}
  %y = effc.sparse_linear %x, %v, %i {encoding = #effc.sparse_encoding<format = csr>, weight_shape = array<i64: 32, 64>} : tensor<8x64xf32>, tensor<100xf32>, tensor<100xi32> -> tensor<8x32xf32>
  return
}

// -----

// Tests that csr offsets are [N + 1] x i32.
func.func @f(%x: tensor<8x64xf32>, %v: tensor<100xf32>, %i: tensor<100xi32>, %o: tensor<32xi32>) {
  // expected-error @+1 {{offsets must be [33] x i32, got [32]}}
  %y = effc.sparse_linear %x, %v, %i offsets %o {encoding = #effc.sparse_encoding<format = csr>, weight_shape = array<i64: 32, 64>} : tensor<8x64xf32>, tensor<100xf32>, tensor<100xi32>, offsets tensor<32xi32> -> tensor<8x32xf32>
  return
}

// -----

// Tests that sparse indices are i8, i16 or i32 (ODS).
func.func @f(%x: tensor<8x64xf32>, %v: tensor<100xf32>, %i: tensor<100xi64>, %o: tensor<33xi32>) {
  // expected-error @+1 {{operand #2 must be ranked tensor of 8-bit signless integer or 16-bit signless integer or 32-bit signless integer values, but got 'tensor<100xi64>'}}
  %y = effc.sparse_linear %x, %v, %i offsets %o {encoding = #effc.sparse_encoding<format = csr>, weight_shape = array<i64: 32, 64>} : tensor<8x64xf32>, tensor<100xf32>, tensor<100xi64>, offsets tensor<33xi32> -> tensor<8x32xf32>
  return
}

// -----

// Tests that csr indices are a rank-1 i32 tensor.
func.func @f(%x: tensor<8x64xf32>, %v: tensor<100xf32>, %i: tensor<100xi16>, %o: tensor<33xi32>) {
  // expected-error @+1 {{indices must be a rank-1 i32 tensor}}
  %y = effc.sparse_linear %x, %v, %i offsets %o {encoding = #effc.sparse_encoding<format = csr>, weight_shape = array<i64: 32, 64>} : tensor<8x64xf32>, tensor<100xf32>, tensor<100xi16>, offsets tensor<33xi32> -> tensor<8x32xf32>
  return
}

// -----

// Tests that csr offsets are i32 (ODS).
func.func @f(%x: tensor<8x64xf32>, %v: tensor<100xf32>, %i: tensor<100xi32>, %o: tensor<33xi64>) {
  // expected-error @+1 {{operand #3 must be ranked tensor of 32-bit signless integer values, but got 'tensor<33xi64>'}}
  %y = effc.sparse_linear %x, %v, %i offsets %o {encoding = #effc.sparse_encoding<format = csr>, weight_shape = array<i64: 32, 64>} : tensor<8x64xf32>, tensor<100xf32>, tensor<100xi32>, offsets tensor<33xi64> -> tensor<8x32xf32>
  return
}

// -----

// Tests that sparse values are float, i8 or !quant (ODS).
func.func @f(%x: tensor<8x64xf32>, %v: tensor<100xi16>, %i: tensor<100xi32>, %o: tensor<33xi32>) {
  // expected-error @+1 {{operand #1 must be ranked tensor of floating-point or 8-bit signless integer or quantized (!quant) values, but got 'tensor<100xi16>'}}
  %y = effc.sparse_linear %x, %v, %i offsets %o {encoding = #effc.sparse_encoding<format = csr>, weight_shape = array<i64: 32, 64>} : tensor<8x64xf32>, tensor<100xi16>, tensor<100xi32>, offsets tensor<33xi32> -> tensor<8x32xf32>
  return
}

// -----

// Tests that the quantized conv input is a !quant tensor (ODS).
func.func @f(%x: tensor<1x8x8x4xf32>, %w: tensor<8x3x3x4x!quant.uniform<i8:f32, 0.02>>) {
  // expected-error @+1 {{operand #0 must be ranked tensor of quantized (!quant) values, but got 'tensor<1x8x8x4xf32>'}}
  %y = effc.quantized_conv2d %x, %w : tensor<1x8x8x4xf32>, tensor<8x3x3x4x!quant.uniform<i8:f32, 0.02>> -> tensor<1x6x6x8xf32>
  return
}

// -----

// Tests that the quantized conv bias is i32 (ODS).
func.func @f(%x: tensor<1x8x8x4x!quant.uniform<i8:f32, 0.05>>, %w: tensor<8x3x3x4x!quant.uniform<i8:f32, 0.02>>, %b: tensor<8xf32>) {
  // expected-error @+1 {{operand #2 must be ranked tensor of 32-bit signless integer values, but got 'tensor<8xf32>'}}
  %y = effc.quantized_conv2d %x, %w bias %b : tensor<1x8x8x4x!quant.uniform<i8:f32, 0.05>>, tensor<8x3x3x4x!quant.uniform<i8:f32, 0.02>>, tensor<8xf32> -> tensor<1x6x6x8xi32>
  return
}

// -----

// Tests that a quantized linear bias is i32 or float (ODS).
func.func @f(%x: tensor<8x64x!quant.uniform<i8:f32, 0.05>>, %w: tensor<32x64x!quant.uniform<i8:f32, 0.01>>, %b: tensor<32xi16>) {
  // expected-error @+1 {{operand #2 must be ranked tensor of 32-bit signless integer or floating-point values, but got 'tensor<32xi16>'}}
  %y = effc.quantized_linear %x, %w bias %b : tensor<8x64x!quant.uniform<i8:f32, 0.05>>, tensor<32x64x!quant.uniform<i8:f32, 0.01>>, tensor<32xi16> -> tensor<8x32xi32>
  return
}

// -----

// Tests that a zero point is an integer tensor (ODS).
func.func @f(%x: tensor<4x256xf32>, %s: tensor<4x2xf32>, %z: tensor<4x2xf32>) {
  // expected-error @+1 {{operand #2 must be ranked tensor of integer values, but got 'tensor<4x2xf32>'}}
  %y = effc.quantize %x, %s zero_point %z {block = array<i64: 1, 128>} : tensor<4x256xf32>, tensor<4x2xf32>, tensor<4x2xf32> -> tensor<4x256xi8>
  return
}

// -----

// Tests that csr values have rank 1.
func.func @f(%x: tensor<8x64xf32>, %v: tensor<100x1xf32>, %i: tensor<100xi32>, %o: tensor<33xi32>) {
  // expected-error @+1 {{values must have rank 1}}
  %y = effc.sparse_linear %x, %v, %i offsets %o {encoding = #effc.sparse_encoding<format = csr>, weight_shape = array<i64: 32, 64>} : tensor<8x64xf32>, tensor<100x1xf32>, tensor<100xi32>, offsets tensor<33xi32> -> tensor<8x32xf32>
  return
}

// -----

// Tests that csr values and indices have the same length.
func.func @f(%x: tensor<8x64xf32>, %v: tensor<100xf32>, %i: tensor<99xi32>, %o: tensor<33xi32>) {
  // expected-error @+1 {{values and indices must have the same length}}
  %y = effc.sparse_linear %x, %v, %i offsets %o {encoding = #effc.sparse_encoding<format = csr>, weight_shape = array<i64: 32, 64>} : tensor<8x64xf32>, tensor<100xf32>, tensor<99xi32>, offsets tensor<33xi32> -> tensor<8x32xf32>
  return
}

// -----

// Tests that bsr values are [nnzb, block_rows, block_cols].
func.func @f(%x: tensor<8x64xf32>, %v: tensor<10x8x4xf32>, %i: tensor<10xi32>, %o: tensor<9xi32>) {
  // expected-error @+1 {{bsr values must be [nnzb, 4, 8]}}
  %y = effc.sparse_linear %x, %v, %i offsets %o {encoding = #effc.sparse_encoding<format = bsr, block_rows = 4, block_cols = 8>, weight_shape = array<i64: 32, 64>} : tensor<8x64xf32>, tensor<10x8x4xf32>, tensor<10xi32>, offsets tensor<9xi32> -> tensor<8x32xf32>
  return
}

// -----

// Tests that m divides K for nm.
func.func @f(%x: tensor<8x60xf32>, %v: tensor<32x30xf32>, %i: tensor<32x30xi8>) {
  // expected-error @+1 {{group size m = 8 does not divide K = 60}}
  %y = effc.sparse_linear %x, %v, %i {encoding = #effc.sparse_encoding<format = nm, n = 1, m = 8>, weight_shape = array<i64: 32, 60>} : tensor<8x60xf32>, tensor<32x30xf32>, tensor<32x30xi8> -> tensor<8x32xf32>
  return
}

// -----

// Tests that nm takes no offsets operand.
func.func @f(%x: tensor<8x64xf32>, %v: tensor<32x32xf32>, %i: tensor<32x32xi8>, %o: tensor<33xi32>) {
  // expected-error @+1 {{nm takes no offsets operand}}
  %y = effc.sparse_linear %x, %v, %i offsets %o {encoding = #effc.sparse_encoding<format = nm, n = 2, m = 4>, weight_shape = array<i64: 32, 64>} : tensor<8x64xf32>, tensor<32x32xf32>, tensor<32x32xi8>, offsets tensor<33xi32> -> tensor<8x32xf32>
  return
}

// -----

// Tests that nm values are [N, K * n / m].
func.func @f(%x: tensor<8x64xf32>, %v: tensor<32x16xf32>, %i: tensor<32x16xi8>) {
  // expected-error @+1 {{nm values must be [32, 32], got [32, 16]}}
  %y = effc.sparse_linear %x, %v, %i {encoding = #effc.sparse_encoding<format = nm, n = 2, m = 4>, weight_shape = array<i64: 32, 64>} : tensor<8x64xf32>, tensor<32x16xf32>, tensor<32x16xi8> -> tensor<8x32xf32>
  return
}

// -----

// Tests that nm indices are i8 shaped like the values, or packed i16.
func.func @f(%x: tensor<8x64xf32>, %v: tensor<32x32xf32>, %i: tensor<32x32xi32>) {
  // expected-error @+1 {{nm indices must be i8 shaped like the values, or i16 packed 2-bit positions}}
  %y = effc.sparse_linear %x, %v, %i {encoding = #effc.sparse_encoding<format = nm, n = 2, m = 4>, weight_shape = array<i64: 32, 64>} : tensor<8x64xf32>, tensor<32x32xf32>, tensor<32x32xi32> -> tensor<8x32xf32>
  return
}

// -----

// Tests that the sparse linear checks clamp bounds.
func.func @f(%x: tensor<8x64xf32>, %v: tensor<32x32xf32>, %i: tensor<32x32xi8>) {
  // expected-error @+1 {{clamp_min must not exceed clamp_max}}
  %y = effc.sparse_linear %x, %v, %i {encoding = #effc.sparse_encoding<format = nm, n = 2, m = 4>, weight_shape = array<i64: 32, 64>, activation = #effc.activation<clamp>, clamp_min = 1.0 : f32, clamp_max = -1.0 : f32} : tensor<8x64xf32>, tensor<32x32xf32>, tensor<32x32xi8> -> tensor<8x32xf32>
  return
}

// -----

// Tests that csr takes no n, m or block sizes.
// expected-error @+1 {{csr takes no n, m or block sizes}}
func.func @f() attributes {a = #effc.sparse_encoding<format = csr, n = 2, m = 4>} {
  return
}

// -----

// Tests that bsr takes no n or m.
// expected-error @+1 {{bsr takes no n or m}}
func.func @f() attributes {a = #effc.sparse_encoding<format = bsr, n = 2, block_rows = 4, block_cols = 4>} {
  return
}

// -----

// Tests that bsr needs positive block sizes.
// expected-error @+1 {{bsr needs positive block_rows and block_cols}}
func.func @f() attributes {a = #effc.sparse_encoding<format = bsr, block_rows = 4>} {
  return
}

// -----

// Tests that nm encodings take no block sizes.
// expected-error @+1 {{nm takes no block sizes}}
func.func @f() attributes {a = #effc.sparse_encoding<format = nm, n = 2, m = 4, block_rows = 4>} {
  return
}

// -----

// Tests that nm encodings need 0 < n < m.
// expected-error @+1 {{nm needs 0 < n < m, got n = 4, m = 4}}
func.func @f() attributes {a = #effc.sparse_encoding<format = nm, n = 4, m = 4>} {
  return
}

// -----

// Tests that a group precision plan needs a group size.
// expected-error @+1 {{granularity 'group' needs a positive group_size}}
func.func @f() attributes {a = #effc.precision_plan<weights = i4, activations = bf16, granularity = group>} {
  return
}

// -----

// Tests that a block precision plan needs a positive group size.
// expected-error @+1 {{granularity 'block' needs a positive group_size}}
func.func @f() attributes {a = #effc.precision_plan<weights = f8e4m3, activations = f8e4m3, granularity = block, group_size = -128>} {
  return
}

// -----

// Tests that group_size is rejected with tensor or channel granularity.
// expected-error @+1 {{group_size is only meaningful with granularity 'group' or 'block'}}
func.func @f() attributes {a = #effc.precision_plan<weights = i8, activations = i8, granularity = channel, group_size = 32>} {
  return
}

// -----

// Tests that sparsity lies in [0, 1].
// expected-error @+1 {{sparsity must be in [0, 1], got 1.500000e+00}}
func.func @f() attributes {a = #effc.sparsity_plan<method = magnitude, sparsity = 1.5>} {
  return
}

// -----

// Tests that nm sparsity plans need 0 < n < m.
// expected-error @+1 {{nm needs 0 < n < m, got n = 0, m = 4}}
func.func @f() attributes {a = #effc.sparsity_plan<method = nm, sparsity = 0.5, n = 0, m = 4>} {
  return
}

// -----

// Tests that n and m are only meaningful with method 'nm'.
// expected-error @+1 {{n and m are only meaningful with method 'nm'}}
func.func @f() attributes {a = #effc.sparsity_plan<method = magnitude, sparsity = 0.5, n = 2, m = 4>} {
  return
}

// -----

// Tests that block sparsity plans need positive block sizes.
// expected-error @+1 {{block needs positive block_rows and block_cols}}
func.func @f() attributes {a = #effc.sparsity_plan<method = block, sparsity = 0.5, block_rows = 4>} {
  return
}

// -----

// Tests that block sizes are only meaningful with method 'block'.
// expected-error @+1 {{block sizes are only meaningful with method 'block'}}
func.func @f() attributes {a = #effc.sparsity_plan<method = channel, sparsity = 0.5, block_rows = 4, block_cols = 4>} {
  return
}

// -----

// Tests that a non-float sparsity is rejected by the parser (the verifier's
// 'sparsity must be a float' is reachable only from C++; see the unit tests).
// expected-error @+2 {{invalid kind of attribute specified}}
// expected-error @+1 {{failed to parse Effc_SparsityPlanAttr parameter 'sparsity'}}
func.func @f() attributes {a = #effc.sparsity_plan<method = nm, sparsity = 1, n = 2, m = 4>} {
  return
}

// -----

// Tests that effc.precision_plan must hold a #effc.precision_plan.
func.func @f(%x: tensor<8xf32>) -> tensor<8xf32> {
  // expected-error @+1 {{'effc.precision_plan' must be a #effc.precision_plan}}
  %y = arith.addf %x, %x {effc.precision_plan = #effc.sparsity_plan<method = magnitude, sparsity = 0.5>} : tensor<8xf32>
  return %y : tensor<8xf32>
}

// -----

// Tests that effc.sparsity_plan must hold a #effc.sparsity_plan.
func.func @f(%x: tensor<8xf32>) -> tensor<8xf32> {
  // expected-error @+1 {{'effc.sparsity_plan' must be a #effc.sparsity_plan}}
  %y = arith.addf %x, %x {effc.sparsity_plan = 0.5 : f32} : tensor<8xf32>
  return %y : tensor<8xf32>
}

// -----

// Tests that unknown effc.* discardable attributes are rejected.
func.func @f(%x: tensor<8xf32>) -> tensor<8xf32> {
  // expected-error @+1 {{unknown effc attribute 'effc.prune_plan'}}
  %y = arith.addf %x, %x {effc.prune_plan = unit} : tensor<8xf32>
  return %y : tensor<8xf32>
}

// -----

// Tests that grouped weight scales cannot be requantized either.
func.func @f(%x: tensor<8x64x!quant.uniform<i8:f32, 0.05>>, %w: tensor<2x64x!quant.uniform<i8:f32:{0:1, 1:32}, {{0.1, 0.2}, {0.3, 0.4}}>>) {
  // expected-error @+1 {{grouped weight scales cannot produce a single int32 accumulator; use a float result}}
  %y = effc.quantized_linear %x, %w {multiplier = array<i32: 1073741824>, shift = array<i32: 0>} : tensor<8x64x!quant.uniform<i8:f32, 0.05>>, tensor<2x64x!quant.uniform<i8:f32:{0:1, 1:32}, {{0.1, 0.2}, {0.3, 0.4}}>> -> tensor<8x2x!quant.uniform<i8:f32, 0.1>>
  return
}

// -----

// Tests that raw i32 accumulators cannot be clamped (they have no real scale).
func.func @f(%x: tensor<8x64x!quant.uniform<i8:f32, 0.05>>, %w: tensor<32x64x!quant.uniform<i8:f32, 0.01>>) {
  // expected-error @+1 {{i32 results allow only the activations 'none' and 'relu'}}
  %y = effc.quantized_linear %x, %w {activation = #effc.activation<clamp>, clamp_min = 0.0 : f32, clamp_max = 6.0 : f32} : tensor<8x64x!quant.uniform<i8:f32, 0.05>>, tensor<32x64x!quant.uniform<i8:f32, 0.01>> -> tensor<8x32xi32>
  return
}

// -----

// Tests that a bias is rejected with grouped weight scales.
func.func @f(%x: tensor<8x64x!quant.uniform<i8:f32, 0.05>>, %w: tensor<2x64x!quant.uniform<i8:f32:{0:1, 1:32}, {{0.1, 0.2}, {0.3, 0.4}}>>, %b: tensor<2xi32>) {
  // expected-error @+1 {{a bias needs per-tensor or per-channel weight scales (its scale is s_x * s_w[n])}}
  %y = effc.quantized_linear %x, %w bias %b : tensor<8x64x!quant.uniform<i8:f32, 0.05>>, tensor<2x64x!quant.uniform<i8:f32:{0:1, 1:32}, {{0.1, 0.2}, {0.3, 0.4}}>>, tensor<2xi32> -> tensor<8x2xf32>
  return
}

// -----

// Tests that per-axis scales of sparse values run along the dense weight's output channels.
func.func @f(%x: tensor<8x8x!quant.uniform<i8:f32, 0.05>>, %v: tensor<4x4x!quant.uniform<i8:f32:1, {0.1, 0.2, 0.3, 0.4}>>, %i: tensor<4x4xi8>) {
  // expected-error @+1 {{per-axis value scales must be along the output channels (axis 0 of the dense weight)}}
  %y = effc.sparse_linear %x, %v, %i {encoding = #effc.sparse_encoding<format = nm, n = 2, m = 4>, weight_shape = array<i64: 4, 8>} : tensor<8x8x!quant.uniform<i8:f32, 0.05>>, tensor<4x4x!quant.uniform<i8:f32:1, {0.1, 0.2, 0.3, 0.4}>>, tensor<4x4xi8> -> tensor<8x4xi32>
  return
}

// -----

// Tests that a block layout needs its block size.
func.func @f(%q: tensor<8x16xf32>) {
  // expected-error @+1 {{block_size and block_layout go together}}
  %o = effc.attention %q, %q, %q {block_layout = array<i1: true, true, true, true>} : tensor<8x16xf32>, tensor<8x16xf32>, tensor<8x16xf32> -> tensor<8x16xf32>
  return
}

// -----

// Tests that block sizes are two positive sizes.
func.func @f(%q: tensor<8x16xf32>) {
  // expected-error @+1 {{block_size must be two positive sizes [bq, bk]}}
  %o = effc.attention %q, %q, %q {block_size = array<i64: 4, 0>, block_layout = array<i1: true>} : tensor<8x16xf32>, tensor<8x16xf32>, tensor<8x16xf32> -> tensor<8x16xf32>
  return
}

// -----

// Tests that the blocks must tile the scores.
func.func @f(%q: tensor<8x16xf32>) {
  // expected-error @+1 {{block_size [3, 4] does not tile the scores [8, 8]}}
  %o = effc.attention %q, %q, %q {block_size = array<i64: 3, 4>, block_layout = array<i1: true>} : tensor<8x16xf32>, tensor<8x16xf32>, tensor<8x16xf32> -> tensor<8x16xf32>
  return
}

// -----

// Tests that the layout has one entry per block.
func.func @f(%q: tensor<8x16xf32>) {
  // expected-error @+1 {{block_layout has 3 entries, expected 2 x 2}}
  %o = effc.attention %q, %q, %q {block_size = array<i64: 4, 4>, block_layout = array<i1: true, true, false>} : tensor<8x16xf32>, tensor<8x16xf32>, tensor<8x16xf32> -> tensor<8x16xf32>
  return
}

// -----

// Tests that a block layout needs static sequence lengths.
func.func @f(%q: tensor<?x16xf32>) {
  // expected-error @+1 {{a block layout needs static sequence lengths}}
  %o = effc.attention %q, %q, %q {block_size = array<i64: 4, 4>, block_layout = array<i1: true>} : tensor<?x16xf32>, tensor<?x16xf32>, tensor<?x16xf32> -> tensor<?x16xf32>
  return
}

// -----

// Tests that effc.name must be a string.
func.func @f(%x: tensor<8x64xf32>, %w: tensor<32x64xf32>) {
  // expected-error @+1 {{'effc.name' must be a string}}
  %y = effc.linear %x, %w {effc.name = 3 : i64} : tensor<8x64xf32>, tensor<32x64xf32> -> tensor<8x32xf32>
  return
}

// -----

// Tests that packed nm indices hold ceil(K * n / m / 8) words a row.
func.func @f(%x: tensor<8x64xf32>, %v: tensor<32x32xf32>, %i: tensor<32x8xi16>) {
  // expected-error @+1 {{packed nm indices must be [32, 4] x i16, got [32, 8]}}
  %y = effc.sparse_linear %x, %v, %i {encoding = #effc.sparse_encoding<format = nm, n = 2, m = 4>, weight_shape = array<i64: 32, 64>} : tensor<8x64xf32>, tensor<32x32xf32>, tensor<32x8xi16> -> tensor<8x32xf32>
  return
}

// -----

// Tests that packed 2-bit positions need groups of at most four.
func.func @f(%x: tensor<8x64xf32>, %v: tensor<32x32xf32>, %i: tensor<32x4xi16>) {
  // expected-error @+1 {{packed 2-bit nm indices need m <= 4, got m = 8}}
  %y = effc.sparse_linear %x, %v, %i {encoding = #effc.sparse_encoding<format = nm, n = 4, m = 8>, weight_shape = array<i64: 32, 64>} : tensor<8x64xf32>, tensor<32x32xf32>, tensor<32x4xi16> -> tensor<8x32xf32>
  return
}

// -----

// Tests that channel_scales has one scale per output channel.
func.func @f(%x: tensor<4x8x!quant.uniform<i8:f32, 0.05:-3>>, %v: tensor<5xi8>, %i: tensor<5xi32>, %o: tensor<3xi32>) {
  // expected-error @+1 {{channel_scales has 3 scales for 2 output channels}}
  %y = effc.sparse_linear %x, %v, %i offsets %o {channel_scales = array<f32: 0.1, 0.2, 0.3>, encoding = #effc.sparse_encoding<format = csr>, weight_shape = array<i64: 2, 8>} : tensor<4x8x!quant.uniform<i8:f32, 0.05:-3>>, tensor<5xi8>, tensor<5xi32>, offsets tensor<3xi32> -> tensor<4x2xi32>
  return
}

// -----

// Tests that channel_scales are positive.
func.func @f(%x: tensor<4x8x!quant.uniform<i8:f32, 0.05:-3>>, %v: tensor<5xi8>, %i: tensor<5xi32>, %o: tensor<3xi32>) {
  // expected-error @+1 {{channel_scales must be positive and finite}}
  %y = effc.sparse_linear %x, %v, %i offsets %o {channel_scales = array<f32: 0.1, 0.0>, encoding = #effc.sparse_encoding<format = csr>, weight_shape = array<i64: 2, 8>} : tensor<4x8x!quant.uniform<i8:f32, 0.05:-3>>, tensor<5xi8>, tensor<5xi32>, offsets tensor<3xi32> -> tensor<4x2xi32>
  return
}

// -----

// Tests that plain i8 values need channel_scales.
func.func @f(%x: tensor<4x8x!quant.uniform<i8:f32, 0.05:-3>>, %v: tensor<5xi8>, %i: tensor<5xi32>, %o: tensor<3xi32>) {
  // expected-error @+1 {{i8 values without channel_scales: use a !quant.uniform element type}}
  %y = effc.sparse_linear %x, %v, %i offsets %o {encoding = #effc.sparse_encoding<format = csr>, weight_shape = array<i64: 2, 8>} : tensor<4x8x!quant.uniform<i8:f32, 0.05:-3>>, tensor<5xi8>, tensor<5xi32>, offsets tensor<3xi32> -> tensor<4x2xi32>
  return
}

// -----

// Tests that channel_scales need i8 values.
func.func @f(%x: tensor<8x64xf32>, %v: tensor<32x32xf32>, %i: tensor<32x4xi16>) {
  // expected-error @+1 {{channel_scales need signless i8 values}}
  %y = effc.sparse_linear %x, %v, %i {channel_scales = array<f32: 1.0>, encoding = #effc.sparse_encoding<format = nm, n = 2, m = 4>, weight_shape = array<i64: 32, 64>} : tensor<8x64xf32>, tensor<32x32xf32>, tensor<32x4xi16> -> tensor<8x32xf32>
  return
}

// -----

// Tests that effc.hls.pipeline_ii belongs on affine.for.
func.func @f() -> f32 {
  // expected-error @+1 {{'effc.hls.pipeline_ii' is only valid on affine.for}}
  %c = arith.constant {effc.hls.pipeline_ii = 1 : i64} 0.0 : f32
  return %c : f32
}

// -----

// Tests that an initiation interval is at least 1.
func.func @f() {
  // expected-error @+1 {{'effc.hls.pipeline_ii' must be an integer >= 1}}
  affine.for %i = 0 to 4 {
  } {effc.hls.pipeline_ii = 0 : i64}
  return
}

// -----

// Tests that an unroll factor is an integer.
func.func @f() {
  // expected-error @+1 {{'effc.hls.unroll' must be an integer >= 0}}
  affine.for %i = 0 to 4 {
  } {effc.hls.unroll = "full"}
  return
}

// -----

// Tests that a layer name is a non-empty string on a loop.
func.func @f() {
  // expected-error @+1 {{'effc.hls.layer' must be a non-empty string}}
  affine.for %i = 0 to 4 {
  } {effc.hls.layer = ""}
  return
}

// -----

// Tests that effc.hls.top belongs on func.func.
func.func @f() {
  // expected-error @+1 {{'effc.hls.top' is only valid on func.func}}
  affine.for %i = 0 to 4 {
  } {effc.hls.top}
  return
}

// -----

// Tests that effc.hls.dataflow is a unit attribute.
// expected-error @+1 {{'effc.hls.dataflow' must be a unit attribute}}
func.func @f() attributes {effc.hls.dataflow = true} {
  return
}

// -----

// Tests that a top function cannot have more inputs than parameters.
// expected-error @+1 {{'effc.hls.num_inputs' must be an integer in [0, number of arguments]}}
func.func @f(%x: memref<4xf32>) attributes {effc.hls.top, effc.hls.num_inputs = 2 : i64} {
  return
}

// -----

// Tests that the fixed-point format is a width and a smaller integer part.
// expected-error @+1 {{'effc.hls.fixed' must be array<i64: W, I> with 0 < I < W}}
func.func @f() attributes {effc.hls.fixed = array<i64: 6, 16>} {
  return
}

// -----

// Tests that a QoR estimate holds integers.
// expected-error @+1 {{'effc.hls.estimate' must be a dictionary of integers}}
func.func @f() attributes {effc.hls.estimate = {latency = "slow"}} {
  return
}

// -----

// Tests that a partition has one factor per dimension of the array.
func.func @f() {
  // expected-error @+1 {{'effc.hls.partition' needs 2 factors (one per dimension), got 1}}
  %a = memref.alloc() {effc.hls.partition = array<i64: 4>} : memref<4x8xf32>
  return
}

// -----

// Tests that partition factors are positive.
// expected-error @+1 {{'effc.hls.partition' factors must be >= 1}}
memref.global "private" constant @w : memref<8xf32> = dense<1.0> {effc.hls.partition = array<i64: 0>}

// -----

// Tests that a partition sits on an array.
func.func @f() -> f32 {
  // expected-error @+1 {{'effc.hls.partition' is only valid on memref.global, memref.alloc, memref.alloca and func.func arguments}}
  %c = arith.constant {effc.hls.partition = array<i64: 2>} 0.0 : f32
  return %c : f32
}

// -----

// Tests that a partitioned argument is checked against its memref type.
// expected-error @+1 {{argument 0: 'effc.hls.partition' needs 1 factors (one per dimension), got 2}}
func.func @f(%x: memref<8xf32> {effc.hls.partition = array<i64: 2, 2>}) {
  return
}

// -----

// Tests that m_axi is the only interface.
// expected-error @+1 {{'effc.hls.interface' must be "m_axi"}}
memref.global "private" constant @w : memref<8xf32> = dense<1.0> {effc.hls.interface = "axis"}

// -----

// Tests that an interface is only given to weights (globals).
func.func @f() {
  // expected-error @+1 {{'effc.hls.interface' is only valid on memref.global}}
  %a = memref.alloc() {effc.hls.interface = "m_axi"} : memref<8xf32>
  return
}

// -----

// Tests that unknown HLS directives are rejected.
func.func @f() {
  // expected-error @+1 {{unknown effc attribute 'effc.hls.pipeline'}}
  affine.for %i = 0 to 4 {
  } {effc.hls.pipeline = 1 : i64}
  return
}

// -----

// Tests that effc.linear rejects a weight with a dynamic N or K.
func.func @linear_dynamic_weight(%x: tensor<?x64xf32>, %w: tensor<?x64xf32>) -> tensor<?x32xf32> {
  // expected-error @+1 {{'effc.linear' op weight dims N and K must be static, got [?, 64]}}
  %0 = effc.linear %x, %w : tensor<?x64xf32>, tensor<?x64xf32> -> tensor<?x32xf32>
  return %0 : tensor<?x32xf32>
}

// -----

// Tests that effc.linear rejects a dynamic output-channel dim on its result.
func.func @linear_dynamic_n(%x: tensor<?x64xf32>, %w: tensor<32x64xf32>) -> tensor<?x?xf32> {
  // expected-error @+1 {{'effc.linear' op result's last dim must be static}}
  %0 = effc.linear %x, %w : tensor<?x64xf32>, tensor<32x64xf32> -> tensor<?x?xf32>
  return %0 : tensor<?x?xf32>
}

// -----

// Tests that effc.linear rejects result leading dims that contradict the input's.
func.func @linear_leading_mismatch(%x: tensor<?x4x64xf32>, %w: tensor<32x64xf32>) -> tensor<?x5x32xf32> {
  // expected-error @+1 {{does not match input shape [?, 4, 64] in dim 1}}
  %0 = effc.linear %x, %w : tensor<?x4x64xf32>, tensor<32x64xf32> -> tensor<?x5x32xf32>
  return %0 : tensor<?x5x32xf32>
}

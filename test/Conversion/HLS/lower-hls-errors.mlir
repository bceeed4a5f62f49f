// RUN: effc-opt %s --effc-lower-hls -split-input-file -verify-diagnostics
// RUN: not effc-opt %s --effc-lower-hls="fixed-width=8 fixed-int=8" -split-input-file 2>&1 | FileCheck %s --check-prefix=FORMAT

// RUN: not effc-opt %s --effc-lower-hls="top-name=main" -split-input-file 2>&1 | FileCheck %s --check-prefix=TOPMAIN
// RUN: not effc-opt %s --effc-lower-hls="top-name=2fast" -split-input-file 2>&1 | FileCheck %s --check-prefix=TOPIDENT
// RUN: not effc-opt %s --effc-lower-hls="top-name=readNpy" -split-input-file 2>&1 | FileCheck %s --check-prefix=TOPTB

// FORMAT: error: effc-lower-hls: the fixed-point format needs 0 < fixed-int < fixed-width <= 31
// Tests that top-name must be a legal, free C++ function name.
// TOPMAIN: error: effc-lower-hls: top-name 'main' is not a legal C++ top function name
// TOPIDENT: error: effc-lower-hls: top-name '2fast' is not a legal C++ top function name
// TOPTB: error: effc-lower-hls: top-name 'readNpy' is not a legal C++ top function name

// Tests that an op the HLS path does not lower yet is an error on it.
func.func @quantize(%x: tensor<4x8xf32>, %s: tensor<1x1xf32>) -> tensor<4x8xi8> {
  // expected-error @+1 {{effc-lower-hls: effc.quantize is not supported on the HLS path yet}}
  %q = effc.quantize %x, %s {block = array<i64: 4, 8>} : tensor<4x8xf32>, tensor<1x1xf32> -> tensor<4x8xi8>
  return %q : tensor<4x8xi8>
}

// -----

// Tests that block-sparse attention is refused.
func.func @block_sparse(%q: tensor<4x8xf32>, %k: tensor<4x8xf32>, %v: tensor<4x8xf32>) -> tensor<4x8xf32> {
  // expected-error @+1 {{effc-lower-hls: block-sparse layouts are not supported on the HLS path yet}}
  %o = effc.attention %q, %k, %v {block_size = array<i64: 2, 2>, block_layout = array<i1: true, false, true, true>} : tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32> -> tensor<4x8xf32>
  return %o : tensor<4x8xf32>
}

// -----

// Tests that an activation without an HLS form is an error.
func.func @gelu(%x: tensor<2x4xf32>) -> tensor<2x2xf32> {
  %w = arith.constant dense<1.0> : tensor<2x4xf32>
  // expected-error @+1 {{effc-lower-hls: activation gelu is not supported on the HLS path (none, relu, clamp)}}
  %y = effc.linear %x, %w {activation = #effc.activation<gelu>} : tensor<2x4xf32>, tensor<2x4xf32> -> tensor<2x2xf32>
  return %y : tensor<2x2xf32>
}

// -----

// Tests that a weight computed at run time cannot become a ROM.
func.func @dynamic_weight(%x: tensor<2x4xf32>, %w: tensor<2x4xf32>) -> tensor<2x2xf32> {
  // expected-error @+1 {{effc-lower-hls: the weight must be a constant}}
  %y = effc.linear %x, %w : tensor<2x4xf32>, tensor<2x4xf32> -> tensor<2x2xf32>
  return %y : tensor<2x2xf32>
}

// -----

// Tests that float layers and quantized ops in one function are refused
// (f32 would have to be both ap_fixed and float).
// expected-error @+1 {{effc-lower-hls: a function mixes float layers and quantized ones}}
func.func @mixed(%x: tensor<2x4xf32>) -> tensor<2x4xi8> {
  %w = arith.constant dense<1.0> : tensor<4x4xf32>
  %y = effc.linear %x, %w : tensor<2x4xf32>, tensor<4x4xf32> -> tensor<2x4xf32>
  %q = quant.qcast %y : tensor<2x4xf32> to tensor<2x4x!quant.uniform<i8:f32, 0.1>>
  %s = quant.scast %q : tensor<2x4x!quant.uniform<i8:f32, 0.1>> to tensor<2x4xi8>
  return %s : tensor<2x4xi8>
}

// -----

// Tests that dynamic shapes need max-dims.
// expected-error @+1 {{effc-lower-hls: @dynamic has 1 dynamic argument dimension(s) (the first: argument #0 dim 0 of tensor<?x4xf32>), but HLS arrays are static: pass an upper bound for each, in argument order, as max-dims=<N>[,<N>...]}}
func.func @dynamic(%x: tensor<?x4xf32>) -> tensor<?x4xf32> {
  return %x : tensor<?x4xf32>
}

// -----

// Tests that a reduction must start from a value (a fill or a computed
// tensor), not from tensor.empty.
func.func @row_sum(%x: tensor<4x8xf32>) -> tensor<4xf32> {
  %e = tensor.empty() : tensor<4xf32>
  // expected-error @+1 {{effc-lower-hls: the linalg.generic reads its output's initial value, which has none here (tensor.empty)}}
  %s = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>], iterator_types = ["parallel", "reduction"]} ins(%x : tensor<4x8xf32>) outs(%e : tensor<4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %t = arith.addf %a, %o : f32
    linalg.yield %t : f32
  } -> tensor<4xf32>
  return %s : tensor<4xf32>
}

// -----

// Tests that a generic reading its uninitialized output is refused.
func.func @reads_empty(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %e = tensor.empty() : tensor<4x8xf32>
  // expected-error @+1 {{effc-lower-hls: the linalg.generic reads its output's initial value, which has none here (tensor.empty)}}
  %s = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%x : tensor<4x8xf32>) outs(%e : tensor<4x8xf32>) {
  ^bb0(%a: f32, %o: f32):
    %t = arith.addf %a, %o : f32
    linalg.yield %t : f32
  } -> tensor<4x8xf32>
  return %s : tensor<4x8xf32>
}

// -----

// Tests that a body op without an HLS C++ form is an error on it.
func.func @atan(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %e = tensor.empty() : tensor<4x8xf32>
  %s = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%x : tensor<4x8xf32>) outs(%e : tensor<4x8xf32>) {
  ^bb0(%a: f32, %o: f32):
    // expected-error @+1 {{effc-lower-hls: math.atan in a linalg.generic is not supported on the HLS path}}
    %t = math.atan %a : f32
    linalg.yield %t : f32
  } -> tensor<4x8xf32>
  return %s : tensor<4x8xf32>
}

// -----

// Tests that rounding a computed float to f16 in a float (not fixed-point)
// function is refused: the C++ has no half type to round with.
func.func @truncf(%x: tensor<4x8xf32>) -> tensor<4x8xf16> {
  // expected-error @+1 {{effc-lower-hls: arith.truncf of a computed tensor ('f32' to 'f16') needs half-precision rounding}}
  %h = arith.truncf %x : tensor<4x8xf32> to tensor<4x8xf16>
  return %h : tensor<4x8xf16>
}

// -----

// Tests that fp8 dynamic blocks are refused with the reason.
func.func @fp8(%x: tensor<2x8xf32>) -> (tensor<2x8xf8E4M3FN>, tensor<2x1xf32>) {
  // expected-error @+1 {{effc-lower-hls: 'f8E4M3FN' blocks are not supported on the HLS path}}
  %q, %s = effc.dynamic_quantize %x {block = array<i64: 1, 8>} : tensor<2x8xf32> -> tensor<2x8xf8E4M3FN>, tensor<2x1xf32>
  return %q, %s : tensor<2x8xf8E4M3FN>, tensor<2x1xf32>
}

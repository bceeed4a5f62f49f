// RUN: effc-opt %s -canonicalize -split-input-file | FileCheck %s

// Tests that quantize(dequantize(q)) with the same scale, zero point and
// block folds to q.
// CHECK-LABEL: func.func @fold_quantize_of_dequantize
// CHECK-SAME: ([[Q:%.+]]: tensor<4x256xi8>, [[S:%.+]]: tensor<4x2xf32>, [[Z:%.+]]: tensor<4x2xi8>)
// CHECK-NOT: effc.quantize
// CHECK-NOT: effc.dequantize
// CHECK: return [[Q]] : tensor<4x256xi8>
func.func @fold_quantize_of_dequantize(%q: tensor<4x256xi8>, %s: tensor<4x2xf32>, %z: tensor<4x2xi8>) -> tensor<4x256xi8> {
  %d = effc.dequantize %q, %s zero_point %z {block = array<i64: 1, 128>}
      : tensor<4x256xi8>, tensor<4x2xf32>, tensor<4x2xi8> -> tensor<4x256xf32>
  %r = effc.quantize %d, %s zero_point %z {block = array<i64: 1, 128>}
      : tensor<4x256xf32>, tensor<4x2xf32>, tensor<4x2xi8> -> tensor<4x256xi8>
  return %r : tensor<4x256xi8>
}

// -----

// Tests that the fold also applies to fp8 round trips without a zero point.
// CHECK-LABEL: func.func @fold_quantize_of_dequantize_fp8
// CHECK-SAME: ([[Q:%.+]]: tensor<256x256xf8E4M3FN>, [[S:%.+]]: tensor<2x2xf32>)
// CHECK-NOT: effc.quantize
// CHECK: return [[Q]] : tensor<256x256xf8E4M3FN>
func.func @fold_quantize_of_dequantize_fp8(%q: tensor<256x256xf8E4M3FN>, %s: tensor<2x2xf32>) -> tensor<256x256xf8E4M3FN> {
  %d = effc.dequantize %q, %s {block = array<i64: 128, 128>}
      : tensor<256x256xf8E4M3FN>, tensor<2x2xf32> -> tensor<256x256xbf16>
  %r = effc.quantize %d, %s {block = array<i64: 128, 128>}
      : tensor<256x256xbf16>, tensor<2x2xf32> -> tensor<256x256xf8E4M3FN>
  return %r : tensor<256x256xf8E4M3FN>
}

// -----

// Tests that quantize(dequantize(q)) with different scales does not fold.
// CHECK-LABEL: func.func @no_fold_different_scales
// CHECK-SAME: ([[Q:%.+]]: tensor<4x256xi8>, [[S1:%.+]]: tensor<4x2xf32>, [[S2:%.+]]: tensor<4x2xf32>)
// CHECK: [[D:%.+]] = effc.dequantize [[Q]], [[S1]]
// CHECK: [[R:%.+]] = effc.quantize [[D]], [[S2]]
// CHECK: return [[R]]
func.func @no_fold_different_scales(%q: tensor<4x256xi8>, %s1: tensor<4x2xf32>, %s2: tensor<4x2xf32>) -> tensor<4x256xi8> {
  %d = effc.dequantize %q, %s1 {block = array<i64: 1, 128>}
      : tensor<4x256xi8>, tensor<4x2xf32> -> tensor<4x256xf32>
  %r = effc.quantize %d, %s2 {block = array<i64: 1, 128>}
      : tensor<4x256xf32>, tensor<4x2xf32> -> tensor<4x256xi8>
  return %r : tensor<4x256xi8>
}

// -----

// Tests that quantize(dequantize(q)) does not fold when only one side has a
// zero point.
// CHECK-LABEL: func.func @no_fold_different_zero_point
// CHECK: effc.dequantize
// CHECK: [[R:%.+]] = effc.quantize
// CHECK: return [[R]]
func.func @no_fold_different_zero_point(%q: tensor<4x256xi8>, %s: tensor<4x2xf32>, %z: tensor<4x2xi8>) -> tensor<4x256xi8> {
  %d = effc.dequantize %q, %s zero_point %z {block = array<i64: 1, 128>}
      : tensor<4x256xi8>, tensor<4x2xf32>, tensor<4x2xi8> -> tensor<4x256xf32>
  %r = effc.quantize %d, %s {block = array<i64: 1, 128>}
      : tensor<4x256xf32>, tensor<4x2xf32> -> tensor<4x256xi8>
  return %r : tensor<4x256xi8>
}

// -----

// Tests that quantize(dequantize(q)) with a different block does not fold
// (possible with a dynamic dim).
// CHECK-LABEL: func.func @no_fold_different_block
// CHECK: effc.dequantize {{.+}}block = array<i64: 1, 4>
// CHECK: [[R:%.+]] = effc.quantize {{.+}}block = array<i64: 2, 4>
// CHECK: return [[R]]
func.func @no_fold_different_block(%q: tensor<?x4xi8>, %s: tensor<?x1xf32>) -> tensor<?x4xi8> {
  %d = effc.dequantize %q, %s {block = array<i64: 1, 4>}
      : tensor<?x4xi8>, tensor<?x1xf32> -> tensor<?x4xf32>
  %r = effc.quantize %d, %s {block = array<i64: 2, 4>}
      : tensor<?x4xf32>, tensor<?x1xf32> -> tensor<?x4xi8>
  return %r : tensor<?x4xi8>
}

// -----

// Tests that quantize(dequantize(q)) into a different storage type does not
// fold.
// CHECK-LABEL: func.func @no_fold_different_storage
// CHECK: effc.dequantize
// CHECK: [[R:%.+]] = effc.quantize {{.+}} -> tensor<4x4xi4>
// CHECK: return [[R]]
func.func @no_fold_different_storage(%q: tensor<4x4xi8>, %s: tensor<1x1xf32>) -> tensor<4x4xi4> {
  %d = effc.dequantize %q, %s {block = array<i64: 4, 4>}
      : tensor<4x4xi8>, tensor<1x1xf32> -> tensor<4x4xf32>
  %r = effc.quantize %d, %s {block = array<i64: 4, 4>}
      : tensor<4x4xf32>, tensor<1x1xf32> -> tensor<4x4xi4>
  return %r : tensor<4x4xi4>
}

// -----

// Tests that a linear clamp to [0, +inf) becomes relu.
// CHECK-LABEL: func.func @linear_clamp_to_relu
// CHECK: effc.linear %{{.+}}, %{{.+}} {activation = #effc.activation<relu>} :
// CHECK-NOT: clamp
func.func @linear_clamp_to_relu(%x: tensor<8x64xf32>, %w: tensor<32x64xf32>) -> tensor<8x32xf32> {
  %y = effc.linear %x, %w {activation = #effc.activation<clamp>,
      clamp_min = 0.0 : f32, clamp_max = 0x7F800000 : f32}
      : tensor<8x64xf32>, tensor<32x64xf32> -> tensor<8x32xf32>
  return %y : tensor<8x32xf32>
}

// -----

// Tests that a bounded clamp (relu6) on a linear is kept.
// CHECK-LABEL: func.func @linear_relu6_kept
// CHECK: effc.linear %{{.+}}, %{{.+}} {activation = #effc.activation<clamp>, clamp_max = 6.000000e+00 : f32, clamp_min = 0.000000e+00 : f32}
func.func @linear_relu6_kept(%x: tensor<8x64xf32>, %w: tensor<32x64xf32>) -> tensor<8x32xf32> {
  %y = effc.linear %x, %w {activation = #effc.activation<clamp>,
      clamp_min = 0.0 : f32, clamp_max = 6.0 : f32}
      : tensor<8x64xf32>, tensor<32x64xf32> -> tensor<8x32xf32>
  return %y : tensor<8x32xf32>
}

// -----

// Tests that a clamp with a non-zero lower bound is kept.
// CHECK-LABEL: func.func @linear_clamp_nonzero_min_kept
// CHECK: activation = #effc.activation<clamp>
// CHECK-SAME: clamp_min = -1.000000e+00 : f32
func.func @linear_clamp_nonzero_min_kept(%x: tensor<8x64xf32>, %w: tensor<32x64xf32>) -> tensor<8x32xf32> {
  %y = effc.linear %x, %w {activation = #effc.activation<clamp>,
      clamp_min = -1.0 : f32, clamp_max = 0x7F800000 : f32}
      : tensor<8x64xf32>, tensor<32x64xf32> -> tensor<8x32xf32>
  return %y : tensor<8x32xf32>
}

// -----

// Tests that a conv2d clamp to [0, +inf) becomes relu, keeping the conv.
// CHECK-LABEL: func.func @conv2d_clamp_to_relu
// CHECK: effc.conv2d %{{.+}}, %{{.+}} {activation = #effc.activation<relu>, padding = array<i64: 1, 1, 1, 1>} :
// CHECK-NOT: clamp
func.func @conv2d_clamp_to_relu(%x: tensor<1x8x8x4xf32>, %w: tensor<8x3x3x4xf32>) -> tensor<1x8x8x8xf32> {
  %y = effc.conv2d %x, %w {padding = array<i64: 1, 1, 1, 1>,
      activation = #effc.activation<clamp>, clamp_min = 0.0 : f32,
      clamp_max = 0x7F800000 : f32}
      : tensor<1x8x8x4xf32>, tensor<8x3x3x4xf32> -> tensor<1x8x8x8xf32>
  return %y : tensor<1x8x8x8xf32>
}

// -----

// Tests that a 1x1, stride-1, unpadded, ungrouped conv2d becomes a linear on
// the collapsed weight, keeping bias, activation and plan attributes.
// CHECK-LABEL: func.func @pointwise_conv_to_linear
// CHECK-SAME: ([[X:%.+]]: tensor<1x8x8x4xf32>, [[W:%.+]]: tensor<16x1x1x4xf32>, [[B:%.+]]: tensor<16xf32>)
// CHECK: [[FLAT:%.+]] = tensor.collapse_shape [[W]] {{\[}}[0], [1, 2, 3]] : tensor<16x1x1x4xf32> into tensor<16x4xf32>
// CHECK: [[Y:%.+]] = effc.linear [[X]], [[FLAT]] bias [[B]]
// CHECK-SAME: activation = #effc.activation<gelu>
// CHECK-SAME: effc.precision_plan = #effc.precision_plan<weights = i8, activations = i8, granularity = channel>
// CHECK-SAME: effc.sparsity_plan = #effc.sparsity_plan<method = nm, sparsity = 5.000000e-01 : f64, n = 2, m = 4>
// CHECK-SAME: : tensor<1x8x8x4xf32>, tensor<16x4xf32>, tensor<16xf32> -> tensor<1x8x8x16xf32>
// CHECK-NOT: effc.conv2d
// CHECK: return [[Y]]
func.func @pointwise_conv_to_linear(%x: tensor<1x8x8x4xf32>, %w: tensor<16x1x1x4xf32>, %b: tensor<16xf32>) -> tensor<1x8x8x16xf32> {
  %y = effc.conv2d %x, %w bias %b {activation = #effc.activation<gelu>,
      effc.precision_plan = #effc.precision_plan<weights = i8, activations = i8, granularity = channel>,
      effc.sparsity_plan = #effc.sparsity_plan<method = nm, sparsity = 0.5, n = 2, m = 4>}
      : tensor<1x8x8x4xf32>, tensor<16x1x1x4xf32>, tensor<16xf32> -> tensor<1x8x8x16xf32>
  return %y : tensor<1x8x8x16xf32>
}

// -----

// Tests that a pointwise conv whose clamp is a relu becomes a linear with
// relu: both patterns compose.
// CHECK-LABEL: func.func @pointwise_conv_clamp_to_linear_relu
// CHECK: tensor.collapse_shape
// CHECK: effc.linear %{{.+}}, %{{.+}} {activation = #effc.activation<relu>} : tensor<2x?x?x4xf32>, tensor<8x4xf32> -> tensor<2x?x?x8xf32>
func.func @pointwise_conv_clamp_to_linear_relu(%x: tensor<2x?x?x4xf32>, %w: tensor<8x1x1x4xf32>) -> tensor<2x?x?x8xf32> {
  %y = effc.conv2d %x, %w {activation = #effc.activation<clamp>,
      clamp_min = 0.0 : f32, clamp_max = 0x7F800000 : f32}
      : tensor<2x?x?x4xf32>, tensor<8x1x1x4xf32> -> tensor<2x?x?x8xf32>
  return %y : tensor<2x?x?x8xf32>
}

// -----

// Tests that a 1x1 conv2d with stride 2 stays a convolution.
// CHECK-LABEL: func.func @pointwise_conv_stride2_kept
// CHECK: effc.conv2d %{{.+}}, %{{.+}} {strides = array<i64: 2, 2>}
// CHECK-NOT: effc.linear
func.func @pointwise_conv_stride2_kept(%x: tensor<1x8x8x4xf32>, %w: tensor<16x1x1x4xf32>) -> tensor<1x4x4x16xf32> {
  %y = effc.conv2d %x, %w {strides = array<i64: 2, 2>}
      : tensor<1x8x8x4xf32>, tensor<16x1x1x4xf32> -> tensor<1x4x4x16xf32>
  return %y : tensor<1x4x4x16xf32>
}

// -----

// Tests that padded, grouped and 3x3 convolutions stay convolutions.
// CHECK-LABEL: func.func @non_pointwise_convs_kept
// CHECK: effc.conv2d {{.+}}padding = array<i64: 1, 1, 1, 1>
// CHECK: effc.conv2d {{.+}}groups = 2 : i64
// CHECK: effc.conv2d {{.+}}tensor<16x3x3x4xf32>
// CHECK-NOT: effc.linear
func.func @non_pointwise_convs_kept(%x: tensor<1x8x8x4xf32>, %w: tensor<16x1x1x4xf32>,
    %wg: tensor<16x1x1x2xf32>, %w3: tensor<16x3x3x4xf32>)
    -> (tensor<1x10x10x16xf32>, tensor<1x8x8x16xf32>, tensor<1x6x6x16xf32>) {
  %0 = effc.conv2d %x, %w {padding = array<i64: 1, 1, 1, 1>}
      : tensor<1x8x8x4xf32>, tensor<16x1x1x4xf32> -> tensor<1x10x10x16xf32>
  %1 = effc.conv2d %x, %wg {groups = 2 : i64}
      : tensor<1x8x8x4xf32>, tensor<16x1x1x2xf32> -> tensor<1x8x8x16xf32>
  %2 = effc.conv2d %x, %w3
      : tensor<1x8x8x4xf32>, tensor<16x3x3x4xf32> -> tensor<1x6x6x16xf32>
  return %0, %1, %2 : tensor<1x10x10x16xf32>, tensor<1x8x8x16xf32>, tensor<1x6x6x16xf32>
}

// -----

// Tests that a window at least as long as the keys becomes a causal mask.
// CHECK-LABEL: func.func @wide_window_to_causal
// CHECK: effc.attention %{{.+}}, %{{.+}}, %{{.+}} {mask = #effc.mask<causal>} :
// CHECK-NOT: window
func.func @wide_window_to_causal(%q: tensor<1x4x16x64xf32>, %k: tensor<1x4x128x64xf32>, %v: tensor<1x4x128x64xf32>) -> tensor<1x4x16x64xf32> {
  %o = effc.attention %q, %k, %v {mask = #effc.mask<window>, window = 128 : i64}
      : tensor<1x4x16x64xf32>, tensor<1x4x128x64xf32>, tensor<1x4x128x64xf32> -> tensor<1x4x16x64xf32>
  return %o : tensor<1x4x16x64xf32>
}

// -----

// Tests that a window shorter than the keys is kept.
// CHECK-LABEL: func.func @narrow_window_kept
// CHECK: effc.attention %{{.+}}, %{{.+}}, %{{.+}} {mask = #effc.mask<window>, window = 127 : i64} :
func.func @narrow_window_kept(%q: tensor<1x4x16x64xf32>, %k: tensor<1x4x128x64xf32>, %v: tensor<1x4x128x64xf32>) -> tensor<1x4x16x64xf32> {
  %o = effc.attention %q, %k, %v {mask = #effc.mask<window>, window = 127 : i64}
      : tensor<1x4x16x64xf32>, tensor<1x4x128x64xf32>, tensor<1x4x128x64xf32> -> tensor<1x4x16x64xf32>
  return %o : tensor<1x4x16x64xf32>
}

// -----

// Tests that a window is kept when the key length is dynamic.
// CHECK-LABEL: func.func @window_dynamic_keys_kept
// CHECK: effc.attention %{{.+}}, %{{.+}}, %{{.+}} {mask = #effc.mask<window>, window = 4096 : i64} :
func.func @window_dynamic_keys_kept(%q: tensor<16x64xf32>, %k: tensor<?x64xf32>, %v: tensor<?x64xf32>) -> tensor<16x64xf32> {
  %o = effc.attention %q, %k, %v {mask = #effc.mask<window>, window = 4096 : i64}
      : tensor<16x64xf32>, tensor<?x64xf32>, tensor<?x64xf32> -> tensor<16x64xf32>
  return %o : tensor<16x64xf32>
}

// -----

// Tests that an explicit mask of constant zeros is dropped.
// CHECK-LABEL: func.func @drop_zero_mask
// CHECK-SAME: ([[Q:%.+]]: tensor<2x16x64xf32>, [[K:%.+]]: tensor<2x32x64xf32>, [[V:%.+]]: tensor<2x32x64xf32>)
// CHECK-NOT: arith.constant
// CHECK: [[O:%.+]] = effc.attention [[Q]], [[K]], [[V]] : tensor<2x16x64xf32>, tensor<2x32x64xf32>, tensor<2x32x64xf32> -> tensor<2x16x64xf32>
// CHECK: return [[O]]
func.func @drop_zero_mask(%q: tensor<2x16x64xf32>, %k: tensor<2x32x64xf32>, %v: tensor<2x32x64xf32>) -> tensor<2x16x64xf32> {
  %m = arith.constant dense<0.0> : tensor<16x32xf32>
  %o = effc.attention %q, %k, %v mask(%m : tensor<16x32xf32>) {mask = #effc.mask<explicit>}
      : tensor<2x16x64xf32>, tensor<2x32x64xf32>, tensor<2x32x64xf32> -> tensor<2x16x64xf32>
  return %o : tensor<2x16x64xf32>
}

// -----

// Tests that an explicit mask of constant non-zeros is kept.
// CHECK-LABEL: func.func @nonzero_mask_kept
// CHECK: [[M:%.+]] = arith.constant dense<-1.000000e+04> : tensor<16x32xf32>
// CHECK: effc.attention %{{.+}}, %{{.+}}, %{{.+}} mask([[M]] : tensor<16x32xf32>) {mask = #effc.mask<explicit>}
func.func @nonzero_mask_kept(%q: tensor<2x16x64xf32>, %k: tensor<2x32x64xf32>, %v: tensor<2x32x64xf32>) -> tensor<2x16x64xf32> {
  %m = arith.constant dense<-1.0e4> : tensor<16x32xf32>
  %o = effc.attention %q, %k, %v mask(%m : tensor<16x32xf32>) {mask = #effc.mask<explicit>}
      : tensor<2x16x64xf32>, tensor<2x32x64xf32>, tensor<2x32x64xf32> -> tensor<2x16x64xf32>
  return %o : tensor<2x16x64xf32>
}

// -----

// Tests that a mask that is not a constant is kept.
// CHECK-LABEL: func.func @runtime_mask_kept
// CHECK-SAME: [[M:%[^:]+]]: tensor<16x32xf32>)
// CHECK: effc.attention %{{.+}}, %{{.+}}, %{{.+}} mask([[M]] : tensor<16x32xf32>) {mask = #effc.mask<explicit>}
func.func @runtime_mask_kept(%q: tensor<2x16x64xf32>, %k: tensor<2x32x64xf32>, %v: tensor<2x32x64xf32>, %m: tensor<16x32xf32>) -> tensor<2x16x64xf32> {
  %o = effc.attention %q, %k, %v mask(%m : tensor<16x32xf32>) {mask = #effc.mask<explicit>}
      : tensor<2x16x64xf32>, tensor<2x32x64xf32>, tensor<2x32x64xf32> -> tensor<2x16x64xf32>
  return %o : tensor<2x16x64xf32>
}

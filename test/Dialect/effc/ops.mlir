// RUN: effc-opt %s -split-input-file | effc-opt | FileCheck %s
// RUN: effc-opt %s -split-input-file --mlir-print-op-generic | effc-opt | FileCheck %s

// Tests that effc.linear round-trips with a bias and a fused activation.
// CHECK-LABEL: func.func @linear_bias_relu
// CHECK-SAME: ([[X:%.+]]: tensor<8x64xf32>, [[W:%.+]]: tensor<32x64xf32>, [[B:%.+]]: tensor<32xf32>)
// CHECK: [[Y:%.+]] = effc.linear [[X]], [[W]] bias [[B]] {activation = #effc.activation<relu>} : tensor<8x64xf32>, tensor<32x64xf32>, tensor<32xf32> -> tensor<8x32xf32>
// CHECK: return [[Y]]
func.func @linear_bias_relu(%x: tensor<8x64xf32>, %w: tensor<32x64xf32>, %b: tensor<32xf32>) -> tensor<8x32xf32> {
  %y = effc.linear %x, %w bias %b {activation = #effc.activation<relu>}
      : tensor<8x64xf32>, tensor<32x64xf32>, tensor<32xf32> -> tensor<8x32xf32>
  return %y : tensor<8x32xf32>
}

// -----

// Tests that effc.linear without bias elides the default activation 'none'.
// CHECK-LABEL: func.func @linear_plain
// CHECK-SAME: ([[X:%.+]]: tensor<?x4x64xbf16>, [[W:%.+]]: tensor<32x64xbf16>)
// CHECK: effc.linear [[X]], [[W]] : tensor<?x4x64xbf16>, tensor<32x64xbf16> -> tensor<?x4x32xbf16>
// CHECK-NOT: activation
func.func @linear_plain(%x: tensor<?x4x64xbf16>, %w: tensor<32x64xbf16>) -> tensor<?x4x32xbf16> {
  %y = effc.linear %x, %w {activation = #effc.activation<none>}
      : tensor<?x4x64xbf16>, tensor<32x64xbf16> -> tensor<?x4x32xbf16>
  return %y : tensor<?x4x32xbf16>
}

// -----

// Tests that a batched effc.linear ([B, M, K] x [B, N, K]) round-trips.
// CHECK-LABEL: func.func @linear_batched
// CHECK: effc.linear %{{.+}}, %{{.+}} : tensor<2x8x64xf16>, tensor<2x32x64xf16> -> tensor<2x8x32xf16>
func.func @linear_batched(%x: tensor<2x8x64xf16>, %w: tensor<2x32x64xf16>) -> tensor<2x8x32xf16> {
  %y = effc.linear %x, %w : tensor<2x8x64xf16>, tensor<2x32x64xf16> -> tensor<2x8x32xf16>
  return %y : tensor<2x8x32xf16>
}

// -----

// Tests that every #effc.activation value and clamp bounds round-trip.
// CHECK-LABEL: func.func @linear_activations
// CHECK: activation = #effc.activation<gelu>
// CHECK: activation = #effc.activation<gelu_tanh>
// CHECK: activation = #effc.activation<silu>
// CHECK: activation = #effc.activation<sigmoid>
// CHECK: activation = #effc.activation<tanh>
// CHECK: {activation = #effc.activation<clamp>, clamp_max = 6.000000e+00 : f32, clamp_min = -1.000000e+00 : f32}
func.func @linear_activations(%x: tensor<8x64xf32>, %w: tensor<32x64xf32>) {
  %0 = effc.linear %x, %w {activation = #effc.activation<gelu>} : tensor<8x64xf32>, tensor<32x64xf32> -> tensor<8x32xf32>
  %1 = effc.linear %x, %w {activation = #effc.activation<gelu_tanh>} : tensor<8x64xf32>, tensor<32x64xf32> -> tensor<8x32xf32>
  %2 = effc.linear %x, %w {activation = #effc.activation<silu>} : tensor<8x64xf32>, tensor<32x64xf32> -> tensor<8x32xf32>
  %3 = effc.linear %x, %w {activation = #effc.activation<sigmoid>} : tensor<8x64xf32>, tensor<32x64xf32> -> tensor<8x32xf32>
  %4 = effc.linear %x, %w {activation = #effc.activation<tanh>} : tensor<8x64xf32>, tensor<32x64xf32> -> tensor<8x32xf32>
  %5 = effc.linear %x, %w {activation = #effc.activation<clamp>, clamp_min = -1.0 : f32, clamp_max = 6.0 : f32} : tensor<8x64xf32>, tensor<32x64xf32> -> tensor<8x32xf32>
  return
}

// -----

// Tests that effc.conv2d round-trips with bias, padding and activation, and
// that default strides/dilations/groups are elided.
// CHECK-LABEL: func.func @conv2d
// CHECK-SAME: ([[X:%.+]]: tensor<1x16x16x8xf32>, [[W:%.+]]: tensor<16x3x3x8xf32>, [[B:%.+]]: tensor<16xf32>)
// CHECK: [[Y:%.+]] = effc.conv2d [[X]], [[W]] bias [[B]] {activation = #effc.activation<relu>, padding = array<i64: 1, 1, 1, 1>} : tensor<1x16x16x8xf32>, tensor<16x3x3x8xf32>, tensor<16xf32> -> tensor<1x16x16x16xf32>
// CHECK: return [[Y]]
func.func @conv2d(%x: tensor<1x16x16x8xf32>, %w: tensor<16x3x3x8xf32>, %b: tensor<16xf32>) -> tensor<1x16x16x16xf32> {
  %y = effc.conv2d %x, %w bias %b {strides = array<i64: 1, 1>,
      dilations = array<i64: 1, 1>, padding = array<i64: 1, 1, 1, 1>,
      groups = 1 : i64, activation = #effc.activation<relu>}
      : tensor<1x16x16x8xf32>, tensor<16x3x3x8xf32>, tensor<16xf32>
      -> tensor<1x16x16x16xf32>
  return %y : tensor<1x16x16x16xf32>
}

// -----

// Tests that a strided, dilated depthwise effc.conv2d keeps all attributes.
// CHECK-LABEL: func.func @conv2d_depthwise
// CHECK: effc.conv2d %{{.+}}, %{{.+}} {dilations = array<i64: 2, 2>, groups = 8 : i64, padding = array<i64: 2, 2, 2, 2>, strides = array<i64: 2, 2>} : tensor<1x16x16x8xf32>, tensor<16x3x3x1xf32> -> tensor<1x8x8x16xf32>
func.func @conv2d_depthwise(%x: tensor<1x16x16x8xf32>, %w: tensor<16x3x3x1xf32>) -> tensor<1x8x8x16xf32> {
  %y = effc.conv2d %x, %w {strides = array<i64: 2, 2>, dilations = array<i64: 2, 2>,
      padding = array<i64: 2, 2, 2, 2>, groups = 8 : i64}
      : tensor<1x16x16x8xf32>, tensor<16x3x3x1xf32> -> tensor<1x8x8x16xf32>
  return %y : tensor<1x8x8x16xf32>
}

// -----

// Tests that a grouped effc.conv2d accepts a dynamic weight channel dim.
// CHECK-LABEL: func.func @conv2d_grouped_dynamic_weight
// CHECK: effc.conv2d %{{.+}}, %{{.+}} {groups = 2 : i64} : tensor<1x16x16x8xf32>, tensor<16x3x3x?xf32> -> tensor<1x14x14x16xf32>
func.func @conv2d_grouped_dynamic_weight(%x: tensor<1x16x16x8xf32>, %w: tensor<16x3x3x?xf32>) -> tensor<1x14x14x16xf32> {
  %y = effc.conv2d %x, %w {groups = 2 : i64}
      : tensor<1x16x16x8xf32>, tensor<16x3x3x?xf32> -> tensor<1x14x14x16xf32>
  return %y : tensor<1x14x14x16xf32>
}

// -----

// Tests that grouped-query causal effc.attention round-trips.
// CHECK-LABEL: func.func @attention_causal_gqa
// CHECK-SAME: ([[Q:%.+]]: tensor<1x8x128x64xf32>, [[K:%.+]]: tensor<1x2x128x64xf32>, [[V:%.+]]: tensor<1x2x128x64xf32>)
// CHECK: [[O:%.+]] = effc.attention [[Q]], [[K]], [[V]] {mask = #effc.mask<causal>} : tensor<1x8x128x64xf32>, tensor<1x2x128x64xf32>, tensor<1x2x128x64xf32> -> tensor<1x8x128x64xf32>
// CHECK: return [[O]]
func.func @attention_causal_gqa(%q: tensor<1x8x128x64xf32>, %k: tensor<1x2x128x64xf32>, %v: tensor<1x2x128x64xf32>) -> tensor<1x8x128x64xf32> {
  %o = effc.attention %q, %k, %v {mask = #effc.mask<causal>}
      : tensor<1x8x128x64xf32>, tensor<1x2x128x64xf32>, tensor<1x2x128x64xf32>
      -> tensor<1x8x128x64xf32>
  return %o : tensor<1x8x128x64xf32>
}

// -----

// Tests that rank-2 effc.attention with an explicit scale and no mask
// round-trips, and that mask 'none' is elided.
// CHECK-LABEL: func.func @attention_scale
// CHECK: effc.attention %{{.+}}, %{{.+}}, %{{.+}} {scale = 1.250000e-01 : f32} : tensor<16x64xf16>, tensor<32x64xf16>, tensor<32x32xf16> -> tensor<16x32xf16>
func.func @attention_scale(%q: tensor<16x64xf16>, %k: tensor<32x64xf16>, %v: tensor<32x32xf16>) -> tensor<16x32xf16> {
  %o = effc.attention %q, %k, %v {scale = 0.125 : f32, mask = #effc.mask<none>}
      : tensor<16x64xf16>, tensor<32x64xf16>, tensor<32x32xf16> -> tensor<16x32xf16>
  return %o : tensor<16x32xf16>
}

// -----

// Tests that sliding-window effc.attention keeps its window size.
// CHECK-LABEL: func.func @attention_window
// CHECK: effc.attention %{{.+}}, %{{.+}}, %{{.+}} {mask = #effc.mask<window>, window = 32 : i64} : tensor<4x128x64xf32>, tensor<4x128x64xf32>, tensor<4x128x64xf32> -> tensor<4x128x64xf32>
func.func @attention_window(%q: tensor<4x128x64xf32>, %k: tensor<4x128x64xf32>, %v: tensor<4x128x64xf32>) -> tensor<4x128x64xf32> {
  %o = effc.attention %q, %k, %v {mask = #effc.mask<window>, window = 32 : i64}
      : tensor<4x128x64xf32>, tensor<4x128x64xf32>, tensor<4x128x64xf32> -> tensor<4x128x64xf32>
  return %o : tensor<4x128x64xf32>
}

// -----

// Tests that effc.attention with an explicit additive mask operand, of rank 2
// and of the scores' full rank, round-trips.
// CHECK-LABEL: func.func @attention_explicit_mask
// CHECK-SAME: ([[Q:%.+]]: tensor<2x8x16x64xf32>, [[K:%.+]]: tensor<2x8x32x64xf32>, [[V:%.+]]: tensor<2x8x32x64xf32>, [[M2:%.+]]: tensor<16x32xf32>, [[M4:%.+]]: tensor<2x1x16x32xf32>)
// CHECK: effc.attention [[Q]], [[K]], [[V]] mask([[M2]] : tensor<16x32xf32>) {mask = #effc.mask<explicit>} : tensor<2x8x16x64xf32>, tensor<2x8x32x64xf32>, tensor<2x8x32x64xf32> -> tensor<2x8x16x64xf32>
// CHECK: effc.attention [[Q]], [[K]], [[V]] mask([[M4]] : tensor<2x1x16x32xf32>) {mask = #effc.mask<explicit>} : tensor<2x8x16x64xf32>, tensor<2x8x32x64xf32>, tensor<2x8x32x64xf32> -> tensor<2x8x16x64xf32>
func.func @attention_explicit_mask(%q: tensor<2x8x16x64xf32>, %k: tensor<2x8x32x64xf32>, %v: tensor<2x8x32x64xf32>, %m2: tensor<16x32xf32>, %m4: tensor<2x1x16x32xf32>) {
  %0 = effc.attention %q, %k, %v mask(%m2 : tensor<16x32xf32>) {mask = #effc.mask<explicit>}
      : tensor<2x8x16x64xf32>, tensor<2x8x32x64xf32>, tensor<2x8x32x64xf32> -> tensor<2x8x16x64xf32>
  %1 = effc.attention %q, %k, %v mask(%m4 : tensor<2x1x16x32xf32>) {mask = #effc.mask<explicit>}
      : tensor<2x8x16x64xf32>, tensor<2x8x32x64xf32>, tensor<2x8x32x64xf32> -> tensor<2x8x16x64xf32>
  return
}

// -----

// Tests that effc.attention with a mask broadcast over query rows (a
// [B, 1, 1, Skv] padding mask, and a rank-2 [1, Skv] one) round-trips.
// CHECK-LABEL: func.func @attention_padding_mask
// CHECK-SAME: ([[Q:%.+]]: tensor<2x8x16x64xf32>, [[K:%.+]]: tensor<2x8x32x64xf32>, [[V:%.+]]: tensor<2x8x32x64xf32>, [[MP:%.+]]: tensor<2x1x1x32xf32>, [[MR:%.+]]: tensor<1x32xf32>)
// CHECK: effc.attention [[Q]], [[K]], [[V]] mask([[MP]] : tensor<2x1x1x32xf32>) {mask = #effc.mask<explicit>} : tensor<2x8x16x64xf32>, tensor<2x8x32x64xf32>, tensor<2x8x32x64xf32> -> tensor<2x8x16x64xf32>
// CHECK: effc.attention [[Q]], [[K]], [[V]] mask([[MR]] : tensor<1x32xf32>) {mask = #effc.mask<explicit>} : tensor<2x8x16x64xf32>, tensor<2x8x32x64xf32>, tensor<2x8x32x64xf32> -> tensor<2x8x16x64xf32>
func.func @attention_padding_mask(%q: tensor<2x8x16x64xf32>, %k: tensor<2x8x32x64xf32>, %v: tensor<2x8x32x64xf32>, %mp: tensor<2x1x1x32xf32>, %mr: tensor<1x32xf32>) {
  %0 = effc.attention %q, %k, %v mask(%mp : tensor<2x1x1x32xf32>) {mask = #effc.mask<explicit>}
      : tensor<2x8x16x64xf32>, tensor<2x8x32x64xf32>, tensor<2x8x32x64xf32> -> tensor<2x8x16x64xf32>
  %1 = effc.attention %q, %k, %v mask(%mr : tensor<1x32xf32>) {mask = #effc.mask<explicit>}
      : tensor<2x8x16x64xf32>, tensor<2x8x32x64xf32>, tensor<2x8x32x64xf32> -> tensor<2x8x16x64xf32>
  return
}

// -----

// Tests that effc.quantize and effc.dequantize round-trip with group scales
// and a zero point.
// CHECK-LABEL: func.func @quantize_dequantize_zero_point
// CHECK-SAME: ([[X:%.+]]: tensor<4x256xf32>, [[S:%.+]]: tensor<4x2xf32>, [[Z:%.+]]: tensor<4x2xi8>)
// CHECK: [[Q:%.+]] = effc.quantize [[X]], [[S]] zero_point [[Z]] {block = array<i64: 1, 128>} : tensor<4x256xf32>, tensor<4x2xf32>, tensor<4x2xi8> -> tensor<4x256xi8>
// CHECK: [[D:%.+]] = effc.dequantize [[Q]], [[S]] zero_point [[Z]] {block = array<i64: 1, 128>} : tensor<4x256xi8>, tensor<4x2xf32>, tensor<4x2xi8> -> tensor<4x256xf32>
// CHECK: return [[D]]
func.func @quantize_dequantize_zero_point(%x: tensor<4x256xf32>, %s: tensor<4x2xf32>, %z: tensor<4x2xi8>) -> tensor<4x256xf32> {
  %q = effc.quantize %x, %s zero_point %z {block = array<i64: 1, 128>}
      : tensor<4x256xf32>, tensor<4x2xf32>, tensor<4x2xi8> -> tensor<4x256xi8>
  %d = effc.dequantize %q, %s zero_point %z {block = array<i64: 1, 128>}
      : tensor<4x256xi8>, tensor<4x2xf32>, tensor<4x2xi8> -> tensor<4x256xf32>
  return %d : tensor<4x256xf32>
}

// -----

// Tests that fp8 effc.quantize / effc.dequantize with 128x128 block scales
// round-trip.
// CHECK-LABEL: func.func @quantize_dequantize_fp8_blocks
// CHECK: effc.quantize %{{.+}}, %{{.+}} {block = array<i64: 128, 128>} : tensor<256x256xbf16>, tensor<2x2xf32> -> tensor<256x256xf8E4M3FN>
// CHECK: effc.dequantize %{{.+}}, %{{.+}} {block = array<i64: 128, 128>} : tensor<256x256xf8E4M3FN>, tensor<2x2xf32> -> tensor<256x256xbf16>
func.func @quantize_dequantize_fp8_blocks(%x: tensor<256x256xbf16>, %s: tensor<2x2xf32>) -> tensor<256x256xbf16> {
  %q = effc.quantize %x, %s {block = array<i64: 128, 128>}
      : tensor<256x256xbf16>, tensor<2x2xf32> -> tensor<256x256xf8E4M3FN>
  %d = effc.dequantize %q, %s {block = array<i64: 128, 128>}
      : tensor<256x256xf8E4M3FN>, tensor<2x2xf32> -> tensor<256x256xbf16>
  return %d : tensor<256x256xbf16>
}

// -----

// Tests that effc.dynamic_quantize round-trips for fp8 1x128 tiles and
// per-row int8 with a dynamic row count.
// CHECK-LABEL: func.func @dynamic_quantize
// CHECK-SAME: ([[X:%.+]]: tensor<4x256xf32>, [[Y:%.+]]: tensor<?x64xf32>)
// CHECK: [[Q:%[^,]+]], [[S:%.+]] = effc.dynamic_quantize [[X]] {block = array<i64: 1, 128>} : tensor<4x256xf32> -> tensor<4x256xf8E4M3FN>, tensor<4x2xf32>
// CHECK: effc.dynamic_quantize [[Y]] {block = array<i64: 1, 64>} : tensor<?x64xf32> -> tensor<?x64xi8>, tensor<?x1xf32>
// CHECK: return [[Q]], [[S]]
func.func @dynamic_quantize(%x: tensor<4x256xf32>, %y: tensor<?x64xf32>) -> (tensor<4x256xf8E4M3FN>, tensor<4x2xf32>) {
  %q, %s = effc.dynamic_quantize %x {block = array<i64: 1, 128>}
      : tensor<4x256xf32> -> tensor<4x256xf8E4M3FN>, tensor<4x2xf32>
  %q2, %s2 = effc.dynamic_quantize %y {block = array<i64: 1, 64>}
      : tensor<?x64xf32> -> tensor<?x64xi8>, tensor<?x1xf32>
  return %q, %s : tensor<4x256xf8E4M3FN>, tensor<4x2xf32>
}

// -----

// Tests that effc.quantized_linear with a per-tensor weight, an i32 bias and
// a requantized result keeps multiplier and shift.
// CHECK-LABEL: func.func @quantized_linear_requant
// CHECK-SAME: ([[X:%.+]]: tensor<8x64x!quant.uniform<i8:f32, 5.000000e-02:-3>>, [[W:%.+]]: tensor<32x64x!quant.uniform<i8<-127:127>:f32, 1.000000e-02>>, [[B:%.+]]: tensor<32xi32>)
// CHECK: effc.quantized_linear [[X]], [[W]] bias [[B]] {activation = #effc.activation<relu>, multiplier = array<i32: 1518500250>, shift = array<i32: 7>} : tensor<8x64x!quant.uniform<i8:f32, 5.000000e-02:-3>>, tensor<32x64x!quant.uniform<i8<-127:127>:f32, 1.000000e-02>>, tensor<32xi32> -> tensor<8x32x!quant.uniform<i8:f32, 1.000000e-01:5>>
func.func @quantized_linear_requant(%x: tensor<8x64x!quant.uniform<i8:f32, 0.05:-3>>,
    %w: tensor<32x64x!quant.uniform<i8<-127:127>:f32, 0.01>>, %b: tensor<32xi32>)
    -> tensor<8x32x!quant.uniform<i8:f32, 0.1:5>> {
  %y = effc.quantized_linear %x, %w bias %b {multiplier = array<i32: 1518500250>,
      shift = array<i32: 7>, activation = #effc.activation<relu>}
      : tensor<8x64x!quant.uniform<i8:f32, 0.05:-3>>,
        tensor<32x64x!quant.uniform<i8<-127:127>:f32, 0.01>>, tensor<32xi32>
      -> tensor<8x32x!quant.uniform<i8:f32, 0.1:5>>
  return %y : tensor<8x32x!quant.uniform<i8:f32, 0.1:5>>
}

// -----

// Tests that effc.quantized_linear with per-axis (per output channel) weight
// scales and raw i32 accumulators round-trips.
// CHECK-LABEL: func.func @quantized_linear_per_axis
// CHECK: effc.quantized_linear %{{.+}}, %{{.+}} : tensor<8x64x!quant.uniform<i8:f32, 5.000000e-02>>, tensor<2x64x!quant.uniform<i8:f32:0, {1.000000e-01,2.000000e-01}>> -> tensor<8x2xi32>
func.func @quantized_linear_per_axis(%x: tensor<8x64x!quant.uniform<i8:f32, 0.05>>,
    %w: tensor<2x64x!quant.uniform<i8:f32:0, {0.1, 0.2}>>) -> tensor<8x2xi32> {
  %y = effc.quantized_linear %x, %w
      : tensor<8x64x!quant.uniform<i8:f32, 0.05>>,
        tensor<2x64x!quant.uniform<i8:f32:0, {0.1, 0.2}>> -> tensor<8x2xi32>
  return %y : tensor<8x2xi32>
}

// -----

// Tests that effc.quantized_linear with sub-channel (grouped) i4 weight
// scales and a dequantized float result round-trips.
// CHECK-LABEL: func.func @quantized_linear_grouped_i4
// CHECK: effc.quantized_linear %{{.+}}, %{{.+}} : tensor<8x64x!quant.uniform<i8:f32, 5.000000e-02>>, tensor<2x64x!quant.uniform<i4:f32:{0:1, 1:32}, {{[{][{]}}1.000000e-01, 2.000000e-01}, {3.000000e-01, 4.000000e-01{{[}][}]}}>> -> tensor<8x2xbf16>
func.func @quantized_linear_grouped_i4(%x: tensor<8x64x!quant.uniform<i8:f32, 0.05>>,
    %w: tensor<2x64x!quant.uniform<i4:f32:{0:1, 1:32}, {{0.1, 0.2}, {0.3, 0.4}}>>) -> tensor<8x2xbf16> {
  %y = effc.quantized_linear %x, %w
      : tensor<8x64x!quant.uniform<i8:f32, 0.05>>,
        tensor<2x64x!quant.uniform<i4:f32:{0:1, 1:32}, {{0.1, 0.2}, {0.3, 0.4}}>> -> tensor<8x2xbf16>
  return %y : tensor<8x2xbf16>
}

// -----

// Tests that effc.quantized_conv2d with a per-tensor weight and an i32
// result round-trips.
// CHECK-LABEL: func.func @quantized_conv2d_i32
// CHECK: effc.quantized_conv2d %{{.+}}, %{{.+}} {padding = array<i64: 1, 1, 1, 1>} : tensor<1x8x8x4x!quant.uniform<i8:f32, 5.000000e-02>>, tensor<8x3x3x4x!quant.uniform<i8<-127:127>:f32, 2.000000e-02>> -> tensor<1x8x8x8xi32>
func.func @quantized_conv2d_i32(%x: tensor<1x8x8x4x!quant.uniform<i8:f32, 0.05>>,
    %w: tensor<8x3x3x4x!quant.uniform<i8<-127:127>:f32, 0.02>>) -> tensor<1x8x8x8xi32> {
  %y = effc.quantized_conv2d %x, %w {padding = array<i64: 1, 1, 1, 1>}
      : tensor<1x8x8x4x!quant.uniform<i8:f32, 0.05>>,
        tensor<8x3x3x4x!quant.uniform<i8<-127:127>:f32, 0.02>>
      -> tensor<1x8x8x8xi32>
  return %y : tensor<1x8x8x8xi32>
}

// -----

// Tests that effc.quantized_conv2d with per-channel weights, a bias, a
// requantized result with one multiplier per channel and a clamp round-trips.
// CHECK-LABEL: func.func @quantized_conv2d_requant
// CHECK-SAME: ([[X:%.+]]: tensor<1x8x8x4x!quant.uniform<i8:f32, 5.000000e-02:2>>, [[W:%.+]]: tensor<2x1x1x2x!quant.uniform<i8:f32:0, {1.000000e-01,2.000000e-01}>>, [[B:%.+]]: tensor<2xi32>)
// CHECK: effc.quantized_conv2d [[X]], [[W]] bias [[B]] {activation = #effc.activation<clamp>, clamp_max = 1.000000e+02 : f32, clamp_min = 0.000000e+00 : f32, groups = 2 : i64, multiplier = array<i32: 1073741824, 1518500250>, shift = array<i32: 0, -1>, strides = array<i64: 2, 2>} : tensor<1x8x8x4x!quant.uniform<i8:f32, 5.000000e-02:2>>, tensor<2x1x1x2x!quant.uniform<i8:f32:0, {1.000000e-01,2.000000e-01}>>, tensor<2xi32> -> tensor<1x4x4x2x!quant.uniform<i8:f32, 2.500000e-01:-1>>
func.func @quantized_conv2d_requant(%x: tensor<1x8x8x4x!quant.uniform<i8:f32, 0.05:2>>,
    %w: tensor<2x1x1x2x!quant.uniform<i8:f32:0, {0.1, 0.2}>>, %b: tensor<2xi32>)
    -> tensor<1x4x4x2x!quant.uniform<i8:f32, 0.25:-1>> {
  %y = effc.quantized_conv2d %x, %w bias %b {strides = array<i64: 2, 2>, groups = 2 : i64,
      multiplier = array<i32: 1073741824, 1518500250>, shift = array<i32: 0, -1>,
      activation = #effc.activation<clamp>, clamp_min = 0.0 : f32, clamp_max = 100.0 : f32}
      : tensor<1x8x8x4x!quant.uniform<i8:f32, 0.05:2>>,
        tensor<2x1x1x2x!quant.uniform<i8:f32:0, {0.1, 0.2}>>, tensor<2xi32>
      -> tensor<1x4x4x2x!quant.uniform<i8:f32, 0.25:-1>>
  return %y : tensor<1x4x4x2x!quant.uniform<i8:f32, 0.25:-1>>
}

// -----

// Tests that fp8 effc.block_scaled_linear with 128x128 weight blocks
// round-trips.
// CHECK-LABEL: func.func @block_scaled_linear_fp8
// CHECK-SAME: ([[XQ:%.+]]: tensor<4x256xf8E4M3FN>, [[XS:%.+]]: tensor<4x2xf32>, [[WQ:%.+]]: tensor<256x256xf8E4M3FN>, [[WS:%.+]]: tensor<2x2xf32>)
// CHECK: [[Y:%.+]] = effc.block_scaled_linear [[XQ]], [[XS]], [[WQ]], [[WS]] {block = array<i64: 128, 128>} : tensor<4x256xf8E4M3FN>, tensor<4x2xf32>, tensor<256x256xf8E4M3FN>, tensor<2x2xf32> -> tensor<4x256xbf16>
// CHECK: return [[Y]]
func.func @block_scaled_linear_fp8(%xq: tensor<4x256xf8E4M3FN>, %xs: tensor<4x2xf32>,
    %wq: tensor<256x256xf8E4M3FN>, %ws: tensor<2x2xf32>) -> tensor<4x256xbf16> {
  %y = effc.block_scaled_linear %xq, %xs, %wq, %ws {block = array<i64: 128, 128>}
      : tensor<4x256xf8E4M3FN>, tensor<4x2xf32>, tensor<256x256xf8E4M3FN>,
        tensor<2x2xf32> -> tensor<4x256xbf16>
  return %y : tensor<4x256xbf16>
}

// -----

// Tests that int8 effc.block_scaled_linear with leading batch dims
// round-trips.
// CHECK-LABEL: func.func @block_scaled_linear_i8_batched
// CHECK: effc.block_scaled_linear %{{.+}}, %{{.+}}, %{{.+}}, %{{.+}} {block = array<i64: 64, 32>} : tensor<2x3x64xi8>, tensor<2x3x2xf32>, tensor<128x64xi8>, tensor<2x2xf32> -> tensor<2x3x128xf32>
func.func @block_scaled_linear_i8_batched(%xq: tensor<2x3x64xi8>, %xs: tensor<2x3x2xf32>,
    %wq: tensor<128x64xi8>, %ws: tensor<2x2xf32>) -> tensor<2x3x128xf32> {
  %y = effc.block_scaled_linear %xq, %xs, %wq, %ws {block = array<i64: 64, 32>}
      : tensor<2x3x64xi8>, tensor<2x3x2xf32>, tensor<128x64xi8>, tensor<2x2xf32>
      -> tensor<2x3x128xf32>
  return %y : tensor<2x3x128xf32>
}

// -----

// Tests that effc.block_scaled_linear accepts dynamic N and K (block counts
// are then dynamic too).
// CHECK-LABEL: func.func @block_scaled_linear_dynamic
// CHECK: effc.block_scaled_linear %{{.+}}, %{{.+}}, %{{.+}}, %{{.+}} {block = array<i64: 128, 128>} : tensor<4x?xf8E4M3FN>, tensor<4x2xf32>, tensor<?x?xf8E4M3FN>, tensor<2x2xf32> -> tensor<4x?xf32>
func.func @block_scaled_linear_dynamic(%xq: tensor<4x?xf8E4M3FN>, %xs: tensor<4x2xf32>,
    %wq: tensor<?x?xf8E4M3FN>, %ws: tensor<2x2xf32>) -> tensor<4x?xf32> {
  %y = effc.block_scaled_linear %xq, %xs, %wq, %ws {block = array<i64: 128, 128>}
      : tensor<4x?xf8E4M3FN>, tensor<4x2xf32>, tensor<?x?xf8E4M3FN>, tensor<2x2xf32>
      -> tensor<4x?xf32>
  return %y : tensor<4x?xf32>
}

// -----

// Tests that effc.sparse_linear in CSR format with offsets and bias
// round-trips.
// CHECK-LABEL: func.func @sparse_linear_csr
// CHECK-SAME: ([[X:%.+]]: tensor<8x64xf32>, [[V:%.+]]: tensor<?xf32>, [[I:%.+]]: tensor<?xi32>, [[O:%.+]]: tensor<33xi32>, [[B:%.+]]: tensor<32xf32>)
// CHECK: effc.sparse_linear [[X]], [[V]], [[I]] offsets [[O]] bias [[B]] {activation = #effc.activation<silu>, encoding = #effc.sparse_encoding<format = csr>, weight_shape = array<i64: 32, 64>} : tensor<8x64xf32>, tensor<?xf32>, tensor<?xi32>, offsets tensor<33xi32>, bias tensor<32xf32> -> tensor<8x32xf32>
func.func @sparse_linear_csr(%x: tensor<8x64xf32>, %v: tensor<?xf32>, %i: tensor<?xi32>,
    %o: tensor<33xi32>, %b: tensor<32xf32>) -> tensor<8x32xf32> {
  %y = effc.sparse_linear %x, %v, %i offsets %o bias %b {
      encoding = #effc.sparse_encoding<format = csr>,
      weight_shape = array<i64: 32, 64>, activation = #effc.activation<silu>}
      : tensor<8x64xf32>, tensor<?xf32>, tensor<?xi32>, offsets tensor<33xi32>,
        bias tensor<32xf32> -> tensor<8x32xf32>
  return %y : tensor<8x32xf32>
}

// -----

// Tests that effc.sparse_linear in BSR format round-trips.
// CHECK-LABEL: func.func @sparse_linear_bsr
// CHECK: effc.sparse_linear %{{.+}}, %{{.+}}, %{{.+}} offsets %{{.+}} {encoding = #effc.sparse_encoding<format = bsr, block_rows = 4, block_cols = 8>, weight_shape = array<i64: 32, 64>} : tensor<8x64xf16>, tensor<10x4x8xf16>, tensor<10xi32>, offsets tensor<9xi32> -> tensor<8x32xf16>
func.func @sparse_linear_bsr(%x: tensor<8x64xf16>, %v: tensor<10x4x8xf16>, %i: tensor<10xi32>,
    %o: tensor<9xi32>) -> tensor<8x32xf16> {
  %y = effc.sparse_linear %x, %v, %i offsets %o {
      encoding = #effc.sparse_encoding<format = bsr, block_rows = 4, block_cols = 8>,
      weight_shape = array<i64: 32, 64>}
      : tensor<8x64xf16>, tensor<10x4x8xf16>, tensor<10xi32>, offsets tensor<9xi32>
      -> tensor<8x32xf16>
  return %y : tensor<8x32xf16>
}

// -----

// Tests that effc.sparse_linear in 2:4 format with a bias round-trips.
// CHECK-LABEL: func.func @sparse_linear_nm
// CHECK-SAME: ([[X:%.+]]: tensor<8x64xf32>, [[V:%.+]]: tensor<32x32xf32>, [[I:%.+]]: tensor<32x32xi8>, [[B:%.+]]: tensor<32xf32>)
// CHECK: effc.sparse_linear [[X]], [[V]], [[I]] bias [[B]] {encoding = #effc.sparse_encoding<format = nm, n = 2, m = 4>, weight_shape = array<i64: 32, 64>} : tensor<8x64xf32>, tensor<32x32xf32>, tensor<32x32xi8>, bias tensor<32xf32> -> tensor<8x32xf32>
func.func @sparse_linear_nm(%x: tensor<8x64xf32>, %v: tensor<32x32xf32>, %i: tensor<32x32xi8>,
    %b: tensor<32xf32>) -> tensor<8x32xf32> {
  %y = effc.sparse_linear %x, %v, %i bias %b {
      encoding = #effc.sparse_encoding<format = nm, n = 2, m = 4>,
      weight_shape = array<i64: 32, 64>}
      : tensor<8x64xf32>, tensor<32x32xf32>, tensor<32x32xi8>, bias tensor<32xf32>
      -> tensor<8x32xf32>
  return %y : tensor<8x32xf32>
}

// -----

// Tests that effc.sparse_linear with packed 2-bit N:M positions (i16 words,
// K * n / m / 8 a row) round-trips.
// CHECK-LABEL: func.func @sparse_linear_nm_packed
// CHECK: effc.sparse_linear %{{.+}}, %{{.+}}, %{{.+}} {encoding = #effc.sparse_encoding<format = nm, n = 2, m = 4>, weight_shape = array<i64: 32, 64>} : tensor<8x64xf16>, tensor<32x32xf16>, tensor<32x4xi16> -> tensor<8x32xf16>
func.func @sparse_linear_nm_packed(%x: tensor<8x64xf16>, %v: tensor<32x32xf16>, %i: tensor<32x4xi16>) -> tensor<8x32xf16> {
  %y = effc.sparse_linear %x, %v, %i {
      encoding = #effc.sparse_encoding<format = nm, n = 2, m = 4>,
      weight_shape = array<i64: 32, 64>}
      : tensor<8x64xf16>, tensor<32x32xf16>, tensor<32x4xi16> -> tensor<8x32xf16>
  return %y : tensor<8x32xf16>
}

// Tests that CSR int8 values with per-output-channel channel_scales
// round-trip.
// CHECK-LABEL: func.func @sparse_linear_csr_channel_scales
// CHECK: effc.sparse_linear %{{.+}}, %{{.+}}, %{{.+}} offsets %{{.+}} {channel_scales = array<f32: 1.000000e-01, 2.000000e-01>, encoding = #effc.sparse_encoding<format = csr>, weight_shape = array<i64: 2, 8>} : tensor<4x8x!quant.uniform<i8:f32, 5.000000e-02:-3>>, tensor<5xi8>, tensor<5xi32>, offsets tensor<3xi32> -> tensor<4x2xi32>
func.func @sparse_linear_csr_channel_scales(%x: tensor<4x8x!quant.uniform<i8:f32, 0.05:-3>>, %v: tensor<5xi8>, %i: tensor<5xi32>, %o: tensor<3xi32>) -> tensor<4x2xi32> {
  %y = effc.sparse_linear %x, %v, %i offsets %o {
      channel_scales = array<f32: 0.1, 0.2>,
      encoding = #effc.sparse_encoding<format = csr>,
      weight_shape = array<i64: 2, 8>}
      : tensor<4x8x!quant.uniform<i8:f32, 0.05:-3>>, tensor<5xi8>, tensor<5xi32>, offsets tensor<3xi32> -> tensor<4x2xi32>
  return %y : tensor<4x2xi32>
}

// Tests that effc.sparse_linear with neither offsets nor bias round-trips.
// CHECK-LABEL: func.func @sparse_linear_nm_plain
// CHECK: effc.sparse_linear %{{.+}}, %{{.+}}, %{{.+}} {encoding = #effc.sparse_encoding<format = nm, n = 1, m = 4>, weight_shape = array<i64: 16, 64>} : tensor<?x64xbf16>, tensor<16x16xbf16>, tensor<16x16xi8> -> tensor<?x16xbf16>
func.func @sparse_linear_nm_plain(%x: tensor<?x64xbf16>, %v: tensor<16x16xbf16>, %i: tensor<16x16xi8>) -> tensor<?x16xbf16> {
  %y = effc.sparse_linear %x, %v, %i {
      encoding = #effc.sparse_encoding<format = nm, n = 1, m = 4>,
      weight_shape = array<i64: 16, 64>}
      : tensor<?x64xbf16>, tensor<16x16xbf16>, tensor<16x16xi8> -> tensor<?x16xbf16>
  return %y : tensor<?x16xbf16>
}

// -----

// Tests that a quantized 2:4 effc.sparse_linear (per-channel i8 values, i32
// bias, i32 result) round-trips.
// CHECK-LABEL: func.func @sparse_linear_nm_quantized
// CHECK: effc.sparse_linear %{{.+}}, %{{.+}}, %{{.+}} bias %{{.+}} {encoding = #effc.sparse_encoding<format = nm, n = 2, m = 4>, weight_shape = array<i64: 2, 8>} : tensor<3x8x!quant.uniform<i8:f32, 5.000000e-02>>, tensor<2x4x!quant.uniform<i8:f32:0, {1.000000e-01,2.000000e-01}>>, tensor<2x4xi8>, bias tensor<2xi32> -> tensor<3x2xi32>
func.func @sparse_linear_nm_quantized(%x: tensor<3x8x!quant.uniform<i8:f32, 0.05>>,
    %v: tensor<2x4x!quant.uniform<i8:f32:0, {0.1, 0.2}>>, %i: tensor<2x4xi8>,
    %b: tensor<2xi32>) -> tensor<3x2xi32> {
  %y = effc.sparse_linear %x, %v, %i bias %b {
      encoding = #effc.sparse_encoding<format = nm, n = 2, m = 4>,
      weight_shape = array<i64: 2, 8>}
      : tensor<3x8x!quant.uniform<i8:f32, 0.05>>,
        tensor<2x4x!quant.uniform<i8:f32:0, {0.1, 0.2}>>, tensor<2x4xi8>,
        bias tensor<2xi32> -> tensor<3x2xi32>
  return %y : tensor<3x2xi32>
}

// -----

// Tests that the discardable effc.precision_plan and effc.sparsity_plan
// attributes round-trip on effc ops and on upstream ops, with every
// granularity and pruning method.
// CHECK-LABEL: func.func @plans
// CHECK: effc.linear
// CHECK-SAME: effc.precision_plan = #effc.precision_plan<weights = i4, activations = bf16, granularity = group, group_size = 128>
// CHECK-SAME: effc.sparsity_plan = #effc.sparsity_plan<method = nm, sparsity = 5.000000e-01 : f64, n = 2, m = 4>
// CHECK: effc.conv2d
// CHECK-SAME: effc.precision_plan = #effc.precision_plan<weights = f8e4m3, activations = f8e4m3, granularity = block, group_size = 128>
// CHECK-SAME: effc.sparsity_plan = #effc.sparsity_plan<method = block, sparsity = 2.500000e-01 : f64, block_rows = 4, block_cols = 4>
// CHECK: arith.addf
// CHECK-SAME: effc.precision_plan = #effc.precision_plan<weights = f32, activations = f16, granularity = tensor>
// CHECK-SAME: effc.sparsity_plan = #effc.sparsity_plan<method = magnitude, sparsity = 0.000000e+00 : f64>
// CHECK: arith.mulf
// CHECK-SAME: effc.precision_plan = #effc.precision_plan<weights = i8, activations = i8, granularity = channel>
// CHECK-SAME: effc.sparsity_plan = #effc.sparsity_plan<method = channel, sparsity = 1.000000e+00 : f64>
// CHECK: arith.subf
// CHECK-SAME: effc.sparsity_plan = #effc.sparsity_plan<method = head, sparsity = 1.250000e-01 : f64>
func.func @plans(%x: tensor<8x64xf32>, %w: tensor<32x64xf32>, %cx: tensor<1x8x8x4xf32>, %cw: tensor<8x1x1x4xf32>) {
  %0 = effc.linear %x, %w {
      effc.precision_plan = #effc.precision_plan<weights = i4, activations = bf16, granularity = group, group_size = 128>,
      effc.sparsity_plan = #effc.sparsity_plan<method = nm, sparsity = 0.5, n = 2, m = 4>}
      : tensor<8x64xf32>, tensor<32x64xf32> -> tensor<8x32xf32>
  %1 = effc.conv2d %cx, %cw {
      effc.precision_plan = #effc.precision_plan<weights = f8e4m3, activations = f8e4m3, granularity = block, group_size = 128>,
      effc.sparsity_plan = #effc.sparsity_plan<method = block, sparsity = 0.25, block_rows = 4, block_cols = 4>}
      : tensor<1x8x8x4xf32>, tensor<8x1x1x4xf32> -> tensor<1x8x8x8xf32>
  %2 = arith.addf %x, %x {
      effc.precision_plan = #effc.precision_plan<weights = f32, activations = f16, granularity = tensor>,
      effc.sparsity_plan = #effc.sparsity_plan<method = magnitude, sparsity = 0.0>} : tensor<8x64xf32>
  %3 = arith.mulf %x, %x {
      effc.precision_plan = #effc.precision_plan<weights = i8, activations = i8, granularity = channel, group_size = 0>,
      effc.sparsity_plan = #effc.sparsity_plan<method = channel, sparsity = 1.0 : f64>} : tensor<8x64xf32>
  %4 = arith.subf %x, %x {effc.sparsity_plan = #effc.sparsity_plan<method = head, sparsity = 0.125>} : tensor<8x64xf32>
  return
}

// -----

// Tests that effc attributes round-trip where they are not op attributes:
// every #effc.sparse_encoding form, #effc.mask and #effc.activation values
// held in a plain dictionary.
// CHECK-LABEL: func.func @standalone_attrs
// CHECK-SAME: attributes {activations = [#effc.activation<none>, #effc.activation<clamp>], encodings = [#effc.sparse_encoding<format = csr>, #effc.sparse_encoding<format = bsr, block_rows = 16, block_cols = 1>, #effc.sparse_encoding<format = nm, n = 1, m = 8>], masks = [#effc.mask<none>, #effc.mask<causal>, #effc.mask<window>, #effc.mask<explicit>]}
func.func @standalone_attrs() attributes {
    encodings = [#effc.sparse_encoding<format = csr>,
                 #effc.sparse_encoding<format = bsr, block_rows = 16, block_cols = 1>,
                 #effc.sparse_encoding<format = nm, n = 1, m = 8>],
    masks = [#effc.mask<none>, #effc.mask<causal>, #effc.mask<window>, #effc.mask<explicit>],
    activations = [#effc.activation<none>, #effc.activation<clamp>]} {
  return
}

// -----

// Tests that block-sparse attention (block_size + block_layout) round-trips.
// CHECK-LABEL: func.func @attention_block_sparse
// CHECK: effc.attention %{{.*}}, %{{.*}}, %{{.*}} {block_layout = array<i1: true, false, true, true>, block_size = array<i64: 4, 4>}
func.func @attention_block_sparse(%q: tensor<8x16xf32>, %k: tensor<8x16xf32>, %v: tensor<8x16xf32>) -> tensor<8x16xf32> {
  %o = effc.attention %q, %k, %v {block_size = array<i64: 4, 4>, block_layout = array<i1: true, false, true, true>} : tensor<8x16xf32>, tensor<8x16xf32>, tensor<8x16xf32> -> tensor<8x16xf32>
  return %o : tensor<8x16xf32>
}

// -----

// Tests that an op named with effc.name round-trips.
// CHECK-LABEL: func.func @named_linear
// CHECK: effc.linear {{.*}} {effc.name = "encoder.fc1"}
func.func @named_linear(%x: tensor<8x64xf32>, %w: tensor<32x64xf32>) -> tensor<8x32xf32> {
  %y = effc.linear %x, %w {effc.name = "encoder.fc1"} : tensor<8x64xf32>, tensor<32x64xf32> -> tensor<8x32xf32>
  return %y : tensor<8x32xf32>
}

// -----

// Tests that packed int4 weights, a weight-only quantized linear and a
// precision plan with a calibrated range and an SQNR estimate round-trip.
// CHECK-LABEL: func.func @int4_weight_only
// CHECK: %[[U:.+]] = effc.unpack_int4 %{{.+}} : tensor<4x4xi8> -> tensor<4x8xi4>
// CHECK: %[[W:.+]] = quant.scast %[[U]]
// CHECK: effc.quantized_linear %{{.+}}, %[[W]] bias %{{.+}} {effc.precision_plan = #effc.precision_plan<weights = i4, activations = f32, granularity = group, group_size = 4, input_min = -1.000000e+00 : f64, input_max = 2.000000e+00 : f64, sqnr = 2.150000e+01 : f64>}
// CHECK-SAME: tensor<4xf32> -> tensor<2x4xf32>
func.func @int4_weight_only(%x: tensor<2x8xf32>, %p: tensor<4x4xi8>, %b: tensor<4xf32>) -> tensor<2x4xf32> {
  %u = effc.unpack_int4 %p : tensor<4x4xi8> -> tensor<4x8xi4>
  %w = quant.scast %u : tensor<4x8xi4> to tensor<4x8x!quant.uniform<i4<-7:7>:f32:{0:1, 1:4}, {{1.0, 2.0}, {1.0, 2.0}, {1.0, 2.0}, {1.0, 2.0}}>>
  %y = effc.quantized_linear %x, %w bias %b {effc.precision_plan = #effc.precision_plan<weights = i4, activations = f32, granularity = group, group_size = 4, input_min = -1.0 : f64, input_max = 2.0 : f64, sqnr = 21.5 : f64>} : tensor<2x8xf32>, tensor<4x8x!quant.uniform<i4<-7:7>:f32:{0:1, 1:4}, {{1.0, 2.0}, {1.0, 2.0}, {1.0, 2.0}, {1.0, 2.0}}>>, tensor<4xf32> -> tensor<2x4xf32>
  return %y : tensor<2x4xf32>
}

// -----

// Tests that the HLS directives round-trip on the ops they belong to.
// CHECK: memref.global "private" constant @hls_w : memref<8x16xf32> = dense<1.000000e+00> {effc.hls.interface = "m_axi", effc.hls.partition = array<i64: 1, 4>}
// CHECK-LABEL: func.func @hls_directives
// CHECK-SAME: (%{{.+}}: memref<8x16xf32> {effc.hls.partition = array<i64: 1, 16>}, %{{.+}}: memref<8xf32>)
// CHECK-SAME: attributes {effc.hls.dataflow, effc.hls.estimate = {interval = 10 : i64, latency = 20 : i64}, effc.hls.fixed = array<i64: 16, 6>, effc.hls.num_inputs = 1 : i64, effc.hls.top}
// CHECK: memref.alloc() {effc.hls.partition = array<i64: 8>} : memref<8xf32>
// CHECK: {effc.hls.pipeline_ii = 1 : i64, effc.hls.unroll = 0 : i64}
// CHECK: {effc.hls.estimate = {latency = 10 : i64}, effc.hls.layer = "linear_0"}
memref.global "private" constant @hls_w : memref<8x16xf32> = dense<1.0> {effc.hls.interface = "m_axi", effc.hls.partition = array<i64: 1, 4>}
func.func @hls_directives(%x: memref<8x16xf32> {effc.hls.partition = array<i64: 1, 16>}, %y: memref<8xf32>) attributes {effc.hls.top, effc.hls.num_inputs = 1 : i64, effc.hls.fixed = array<i64: 16, 6>, effc.hls.dataflow, effc.hls.estimate = {latency = 20 : i64, interval = 10 : i64}} {
  %acc = memref.alloc() {effc.hls.partition = array<i64: 8>} : memref<8xf32>
  affine.for %i = 0 to 8 {
    affine.for %j = 0 to 16 {
      %v = affine.load %x[%i, %j] : memref<8x16xf32>
      affine.store %v, %acc[%i] : memref<8xf32>
    } {effc.hls.pipeline_ii = 1 : i64, effc.hls.unroll = 0 : i64}
  } {effc.hls.layer = "linear_0", effc.hls.estimate = {latency = 10 : i64}}
  return
}

// -----

// Tests that effc.linear round-trips with dynamic batch and sequence dims.
// CHECK-LABEL: func.func @linear_dynamic_leading
// CHECK: effc.linear %{{.+}}, %{{.+}} : tensor<?x?x64xf32>, tensor<32x64xf32> -> tensor<?x?x32xf32>
func.func @linear_dynamic_leading(%x: tensor<?x?x64xf32>, %w: tensor<32x64xf32>) -> tensor<?x?x32xf32> {
  %y = effc.linear %x, %w : tensor<?x?x64xf32>, tensor<32x64xf32> -> tensor<?x?x32xf32>
  return %y : tensor<?x?x32xf32>
}

// RUN: effc-opt %s -split-input-file --effc-quantize | FileCheck %s

// Tests that int8 per-channel weight-only plans store i8 bytes with one
// scale per output channel and keep the float input, bias and activation.
// CHECK-LABEL: func.func @weight_only_i8
// CHECK-SAME: (%[[X:.+]]: tensor<2x4xf32>)
// CHECK-DAG: %[[CODES:.+]] = arith.constant dense<{{\[}}[127, -64, 32, 0], [-127, 127, 0, 64]]> : tensor<2x4xi8>
// CHECK-DAG: %[[BIAS:.+]] = arith.constant dense<[5.000000e-01, -1.000000e+00]> : tensor<2xf32>
// CHECK-DAG: %[[W:.+]] = quant.scast %[[CODES]] : tensor<2x4xi8> to tensor<2x4x!quant.uniform<i8<-127:127>:f32:0, {0.031496{{[0-9]+}},0.0157480{{[0-9]+}}}>>
// CHECK: effc.quantized_linear %[[X]], %[[W]] bias %[[BIAS]] {activation = #effc.activation<relu>
// CHECK-SAME: -> tensor<2x2xf32>
func.func @weight_only_i8(%x: tensor<2x4xf32>) -> tensor<2x2xf32> {
  %w = arith.constant dense<[[4.0, -2.0, 1.0, 0.0], [-2.0, 2.0, 0.0, 1.0]]> : tensor<2x4xf32>
  %b = arith.constant dense<[0.5, -1.0]> : tensor<2xf32>
  %y = effc.linear %x, %w bias %b {activation = #effc.activation<relu>, effc.precision_plan = #effc.precision_plan<weights = i8, activations = f32, granularity = channel>} : tensor<2x4xf32>, tensor<2x4xf32>, tensor<2xf32> -> tensor<2x2xf32>
  return %y : tensor<2x2xf32>
}

// -----

// Tests that int4 weights are packed two to a byte, low nibble first
// (row 0 quantizes to [7, -4, 2, 0 | 7, 7, -7, 1]: bytes 0xC7, 0x02, 0x77,
// 0x19), and read through effc.unpack_int4 with per-group scales.
// CHECK-LABEL: func.func @int4_groups
// CHECK: %[[P:.+]] = arith.constant dense<{{\[}}[-57, 2, 119, 25]]> : tensor<1x4xi8>
// CHECK: %[[U:.+]] = effc.unpack_int4 %[[P]] : tensor<1x4xi8> -> tensor<1x8xi4>
// CHECK: %[[W:.+]] = quant.scast %[[U]] : tensor<1x8xi4> to tensor<1x8x!quant.uniform<i4<-7:7>:f32:{0:1, 1:4}, {{\{\{}}1.000000e+00, 2.000000e+00}}>>
// CHECK: effc.quantized_linear %{{.+}}, %[[W]] {{.*}}: tensor<2x8xf32>
func.func @int4_groups(%x: tensor<2x8xf32>) -> tensor<2x1xf32> {
  %w = arith.constant dense<[[7.0, -4.0, 2.0, 0.0, 14.0, 14.0, -14.0, 2.0]]> : tensor<1x8xf32>
  %y = effc.linear %x, %w {effc.precision_plan = #effc.precision_plan<weights = i4, activations = f32, granularity = group, group_size = 4>} : tensor<2x8xf32>, tensor<1x8xf32> -> tensor<2x1xf32>
  return %y : tensor<2x1xf32>
}

// -----

// Tests that int8 activations without a calibrated range are quantized at
// run time, one scale per row, and multiplied block-scaled (exact int32 per
// block); the bias and the activation follow in float.
// CHECK-LABEL: func.func @dynamic_i8
// CHECK: %[[Q:.+]], %[[S:.+]] = effc.dynamic_quantize %{{.+}} {block = array<i64: 1, 4>} : tensor<2x4xf32> -> tensor<2x4xi8>, tensor<2x1xf32>
// CHECK: %[[Y:.+]] = effc.block_scaled_linear %[[Q]], %[[S]], %{{.+}}, %{{.+}} {block = array<i64: 1, 4>
// CHECK-SAME: : tensor<2x4xi8>, tensor<2x1xf32>, tensor<2x4xi8>, tensor<2x1xf32> -> tensor<2x2xf32>
// CHECK: linalg.generic {{.*}} ins(%[[Y]], %{{.+}} : tensor<2x2xf32>, tensor<2xf32>)
// CHECK: arith.addf
// CHECK: arith.maximumf
func.func @dynamic_i8(%x: tensor<2x4xf32>) -> tensor<2x2xf32> {
  %w = arith.constant dense<[[4.0, -2.0, 1.0, 0.0], [-2.0, 2.0, 0.0, 1.0]]> : tensor<2x4xf32>
  %b = arith.constant dense<[0.5, -1.0]> : tensor<2xf32>
  %y = effc.linear %x, %w bias %b {activation = #effc.activation<relu>, effc.precision_plan = #effc.precision_plan<weights = i8, activations = i8, granularity = channel>} : tensor<2x4xf32>, tensor<2x4xf32>, tensor<2xf32> -> tensor<2x2xf32>
  return %y : tensor<2x2xf32>
}

// -----

// Tests static int8: the calibrated range [-1, 3] gives the input type
// (scale 4/255, zero point -64), the bias becomes int32 in the scale
// s_x * s_w[n], and the first layer's result, consumed only by the second
// layer's input quantization, is requantized to that type with a
// fixed-point multiplier and shift per channel (relu in the integer domain).
// CHECK-LABEL: func.func @static_i8_chain
// CHECK: %[[XQ:.+]] = quant.qcast %{{.+}} : tensor<2x4xf32> to tensor<2x4x!quant.uniform<i8:f32, 0.015686{{[0-9]+}}:-64>>
// CHECK: %[[H:.+]] = effc.quantized_linear %[[XQ]], %{{.+}} bias %{{.+}} {activation = #effc.activation<relu>
// CHECK-SAME: multiplier = array<i32: {{[0-9]+}}, {{[0-9]+}}>
// CHECK-SAME: shift = array<i32: {{-?[0-9]+}}, {{-?[0-9]+}}>
// CHECK-SAME: tensor<2xi32> -> tensor<2x2x!quant.uniform<i8:f32, 0.0313{{[0-9]+}}:-128>>
// CHECK-NOT: quant.qcast
// CHECK: effc.quantized_linear %[[H]], %{{.+}} : {{.*}} -> tensor<2x2xf32>
func.func @static_i8_chain(%x: tensor<2x4xf32>) -> tensor<2x2xf32> {
  %w = arith.constant dense<[[4.0, -2.0, 1.0, 0.0], [-2.0, 2.0, 0.0, 1.0]]> : tensor<2x4xf32>
  %b = arith.constant dense<[0.5, -1.0]> : tensor<2xf32>
  %h = effc.linear %x, %w bias %b {activation = #effc.activation<relu>, effc.precision_plan = #effc.precision_plan<weights = i8, activations = i8, granularity = channel, input_min = -1.0 : f64, input_max = 3.0 : f64>} : tensor<2x4xf32>, tensor<2x4xf32>, tensor<2xf32> -> tensor<2x2xf32>
  %w2 = arith.constant dense<[[1.0, -1.0], [0.5, 0.25]]> : tensor<2x2xf32>
  %y = effc.linear %h, %w2 {effc.precision_plan = #effc.precision_plan<weights = i8, activations = i8, granularity = channel, input_min = 0.0 : f64, input_max = 8.0 : f64>} : tensor<2x2xf32>, tensor<2x2xf32> -> tensor<2x2xf32>
  return %y : tensor<2x2xf32>
}

// -----

// Tests DeepSeek-V3 style fp8: 1 x 4 activation tiles quantized at run time
// to f8E4M3FN, 4x4 weight blocks stored as fp8 bytes with one f32 scale per
// block.
// CHECK-LABEL: func.func @fp8_blocks
// CHECK: %[[Q:.+]], %[[S:.+]] = effc.dynamic_quantize %{{.+}} {block = array<i64: 1, 4>} : tensor<2x8xf32> -> tensor<2x8xf8E4M3FN>, tensor<2x2xf32>
// CHECK: effc.block_scaled_linear %[[Q]], %[[S]], %{{.+}}, %{{.+}} {block = array<i64: 4, 4>
// CHECK-SAME: tensor<4x8xf8E4M3FN>, tensor<1x2xf32> -> tensor<2x4xf32>
func.func @fp8_blocks(%x: tensor<2x8xf32>) -> tensor<2x4xf32> {
  %w = arith.constant dense<0.25> : tensor<4x8xf32>
  %y = effc.linear %x, %w {effc.precision_plan = #effc.precision_plan<weights = f8e4m3, activations = f8e4m3, granularity = block, group_size = 4>} : tensor<2x8xf32>, tensor<4x8xf32> -> tensor<2x4xf32>
  return %y : tensor<2x4xf32>
}

// -----

// Tests weight-only fp8 (dequantized fp8 bytes) and bf16 weights (a bf16
// constant widened at run time).
// CHECK-LABEL: func.func @fp8_and_bf16_weights
// CHECK: %[[W8:.+]] = arith.constant dense<{{.+}}> : tensor<2x4xf8E4M3FN>
// CHECK: %[[D:.+]] = effc.dequantize %[[W8]], %{{.+}} {block = array<i64: 1, 4>} : tensor<2x4xf8E4M3FN>, tensor<2x1xf32> -> tensor<2x4xf32>
// CHECK: effc.linear %{{.+}}, %[[D]]
// CHECK: %[[H:.+]] = arith.constant dense<{{.+}}> : tensor<2x2xbf16>
// CHECK: %[[E:.+]] = arith.extf %[[H]] : tensor<2x2xbf16> to tensor<2x2xf32>
// CHECK: effc.linear %{{.+}}, %[[E]]
func.func @fp8_and_bf16_weights(%x: tensor<2x4xf32>) -> tensor<2x2xf32> {
  %w = arith.constant dense<[[4.0, -2.0, 1.0, 0.0], [-2.0, 2.0, 0.0, 1.0]]> : tensor<2x4xf32>
  %h = effc.linear %x, %w {effc.precision_plan = #effc.precision_plan<weights = f8e4m3, activations = f32, granularity = channel>} : tensor<2x4xf32>, tensor<2x4xf32> -> tensor<2x2xf32>
  %w2 = arith.constant dense<[[1.0, -1.0], [0.5, 0.25]]> : tensor<2x2xf32>
  %y = effc.linear %h, %w2 {effc.precision_plan = #effc.precision_plan<weights = bf16, activations = bf16, granularity = tensor>} : tensor<2x2xf32>, tensor<2x2xf32> -> tensor<2x2xf32>
  return %y : tensor<2x2xf32>
}

// -----

// Tests static int8 convolution: quant.qcast of the input and
// effc.quantized_conv2d with per-channel weights and the conv attributes.
// CHECK-LABEL: func.func @static_conv
// CHECK: %[[XQ:.+]] = quant.qcast
// CHECK: effc.quantized_conv2d %[[XQ]], %{{.+}} {{{.*}}padding = array<i64: 1, 1, 1, 1>
// CHECK-SAME: tensor<2x3x3x2x!quant.uniform<i8<-127:127>:f32:0, {{.+}}>> -> tensor<1x4x4x2xf32>
func.func @static_conv(%x: tensor<1x4x4x2xf32>) -> tensor<1x4x4x2xf32> {
  %w = arith.constant dense<0.5> : tensor<2x3x3x2xf32>
  %y = effc.conv2d %x, %w {padding = array<i64: 1, 1, 1, 1>, effc.precision_plan = #effc.precision_plan<weights = i8, activations = i8, granularity = channel, input_min = -2.0 : f64, input_max = 2.0 : f64>} : tensor<1x4x4x2xf32>, tensor<2x3x3x2xf32> -> tensor<1x4x4x2xf32>
  return %y : tensor<1x4x4x2xf32>
}

// -----

// Tests that a quantize/dequantize round trip of the same type (a QDQ
// model) is removed and already-quantized ops are left as they are.
// CHECK-LABEL: func.func @qdq
// CHECK-SAME: (%[[Q:.+]]: tensor<4x!quant.uniform<i8:f32, 5.000000e-01>>)
// CHECK-NEXT: return %[[Q]]
func.func @qdq(%q: tensor<4x!quant.uniform<i8:f32, 0.5>>) -> tensor<4x!quant.uniform<i8:f32, 0.5>> {
  %f = quant.dcast %q : tensor<4x!quant.uniform<i8:f32, 0.5>> to tensor<4xf32>
  %r = quant.qcast %f : tensor<4xf32> to tensor<4x!quant.uniform<i8:f32, 0.5>>
  return %r : tensor<4x!quant.uniform<i8:f32, 0.5>>
}

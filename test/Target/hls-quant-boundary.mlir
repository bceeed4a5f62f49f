// RUN: effc-opt %s --effc-hls-pipeline -split-input-file | effc-translate --emit-hls-cpp -split-input-file | FileCheck %s

// Tests the float boundary of a quantized model, kept in IEEE float so
// that it is bit-exact with the CPU: quant.qcast rounds x / s half to even
// (nearbyint in the default rounding mode), adds z and saturates;
// quant.dcast computes (q - z) * s. Each is a pipelined loop.

// CHECK-LABEL: void casts(float in0[4], float out0[4], ap_int<8> out1[4]) {
// CHECK: #pragma HLS DATAFLOW
// CHECK: qcast_0:
// CHECK-NEXT: for (int [[I:v[0-9]+]] = 0; [[I]] < 4; [[I]] += 1) {
// CHECK-NEXT: #pragma HLS PIPELINE II=1
// CHECK-NEXT: float [[X:v[0-9]+]] = in0[[[I]]];
// CHECK-NEXT: const float [[S:v[0-9]+]] = 0.100000001f;
// CHECK-NEXT: float [[D:v[0-9]+]] = [[X]] / [[S]];
// CHECK-NEXT: float [[R:v[0-9]+]] = std::nearbyint([[D]]);
// CHECK-NEXT: const float [[Z:v[0-9]+]] = -2.0f;
// CHECK-NEXT: float [[RZ:v[0-9]+]] = [[R]] + [[Z]];
// CHECK: ap_int<8> [[Q:v[0-9]+]] = (long long){{v[0-9]+}};
// CHECK-NEXT: out1[[[I]]] = [[Q]];
// CHECK: dcast_1:
// CHECK: float [[F:v[0-9]+]] = (float)(long long){{v[0-9]+}};
// CHECK: float [[FZ:v[0-9]+]] = [[F]] - {{v[0-9]+}};
// CHECK: float [[Y:v[0-9]+]] = [[FZ]] * {{v[0-9]+}};
// CHECK-NEXT: out0[{{v[0-9]+}}] = [[Y]];
func.func @casts(%x: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xi8>) {
  %q = quant.qcast %x : tensor<4xf32> to tensor<4x!quant.uniform<i8:f32, 0.1:-2>>
  %d = quant.dcast %q : tensor<4x!quant.uniform<i8:f32, 0.1:-2>> to tensor<4xf32>
  %s = quant.scast %q : tensor<4x!quant.uniform<i8:f32, 0.1:-2>> to tensor<4xi8>
  return %d, %s : tensor<4xf32>, tensor<4xi8>
}

// -----

// Tests a dequantized f32 result: the accumulator is converted to float and
// multiplied by f32(s_w[n]) * f32(s_x), formed at compile time in f32 as the
// reference forms it at run time (one scale per output channel: a ROM).

// CHECK-LABEL: void deq(ap_int<8> in0[1][2], float out0[1][2]) {
// CHECK: static const float deq_fc_scale[2] = {0.00200000009f, 0.00400000019f};
// CHECK: float [[F:v[0-9]+]] = (float)(long long){{v[0-9]+}};
// CHECK-NEXT: float [[S:v[0-9]+]] = deq_fc_scale[{{v[0-9]+}}];
// CHECK-NEXT: float [[Y:v[0-9]+]] = [[F]] * [[S]];
func.func @deq(%x: tensor<1x2xi8>) -> tensor<1x2xf32> {
  %xq = quant.scast %x : tensor<1x2xi8> to tensor<1x2x!quant.uniform<i8:f32, 0.2>>
  %wc = arith.constant dense<[[1, 2], [3, 4]]> : tensor<2x2xi8>
  %w = quant.scast %wc : tensor<2x2xi8> to tensor<2x2x!quant.uniform<i8<-127:127>:f32:0, {0.01, 0.02}>>
  %y = effc.quantized_linear %xq, %w {effc.name = "fc"} : tensor<1x2x!quant.uniform<i8:f32, 0.2>>, tensor<2x2x!quant.uniform<i8<-127:127>:f32:0, {0.01, 0.02}>> -> tensor<1x2xf32>
  return %y : tensor<1x2xf32>
}

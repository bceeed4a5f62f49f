// RUN: effc-opt %s --effc-hls-pipeline="dsp-budget=1000" -split-input-file | effc-translate --emit-hls-cpp -split-input-file | FileCheck %s

// Tests the C++ of a requantized int8 layer: the top function's array
// parameters are the argument then the result, with INTERFACE pragmas;
// integers keep their exact widths as ap_int<N>; weights and
// requantization constants are static const ROMs; the fully unrolled
// reduction sits in a row loop pipelined at II 1, over arrays partitioned
// along K; requantization is int64 with round half up.

// CHECK-LABEL: void ql(ap_int<8> in0[2][8], ap_int<8> out0[2][4]) {
// CHECK-NEXT: #pragma HLS INTERFACE mode=ap_memory port=in0
// CHECK-NEXT: #pragma HLS INTERFACE mode=ap_memory port=out0
// CHECK-NEXT: #pragma HLS INTERFACE mode=s_axilite port=return
// CHECK-NEXT: #pragma HLS ARRAY_PARTITION variable=in0 type=cyclic factor=4 dim=2
// CHECK-NEXT: // effc QoR estimate: bram=0 bram_budget=280 dsp=10 dsp_budget=1000
// CHECK: static const ap_int<8> ql_fc_w[4][8] = {{[{][{]}}1, -2, 3, -4, 5, -6, 7, -8}, {8, 7, 6, 5, 4, 3, 2, 1}, {-1, -1, -1, -1, 1, 1, 1, 1}, {127, -127, 0, 3, 0, 0, 9, 9}};
// CHECK-NEXT: #pragma HLS ARRAY_PARTITION variable=ql_fc_w type=cyclic factor=4 dim=2
// CHECK: static const ap_int<32> ql_fc_b[4] = {10, -20, 30, -40};
// CHECK: static const ap_int<32> ql_fc_mult[4] = {1073741824, 1073741824, 1518500250, 1518500250};
// CHECK: static const ap_int<8> ql_fc_shift[4] = {34, 34, 35, 35};
// CHECK: fc:
// CHECK-NEXT: for (int [[M:v[0-9]+]] = 0; [[M]] < 2; [[M]] += 1) {
// CHECK-NEXT: for (int [[N:v[0-9]+]] = 0; [[N]] < 4; [[N]] += 1) {
// CHECK-NEXT: #pragma HLS PIPELINE II=1
// CHECK: ap_int<17> {{v[0-9]+}} = {{v[0-9]+}};
// CHECK-NEXT: ap_int<17> [[ACC:v[0-9]+]] = {{v[0-9]+}};
// CHECK-NEXT: for (int [[K:v[0-9]+]] = 0; [[K]] < 8; [[K]] += 1) {
// CHECK-NEXT: #pragma HLS UNROLL
// CHECK-NEXT: ap_int<8> [[X:v[0-9]+]] = in0[[[M]]][[[K]]];
// CHECK-NEXT: ap_int<8> [[W:v[0-9]+]] = ql_fc_w[[[N]]][[[K]]];
// CHECK-NEXT: ap_int<9> [[X9:v[0-9]+]] = [[X]];
// CHECK-NEXT: const ap_int<9> [[ZX:v[0-9]+]] = -3;
// CHECK-NEXT: ap_int<9> [[XZ:v[0-9]+]] = [[X9]] - [[ZX]];
// CHECK: ap_int<16> [[P:v[0-9]+]] = {{v[0-9]+}} * {{v[0-9]+}};
// CHECK-NEXT: ap_int<17> [[P17:v[0-9]+]] = [[P]];
// CHECK-NEXT: ap_int<17> [[S:v[0-9]+]] = [[ACC]] + [[P17]];
// CHECK-NEXT: [[ACC]] = [[S]];
// CHECK-NEXT: }
// CHECK: ap_int<64> [[A64:v[0-9]+]] = [[ACC]];
// CHECK-NEXT: ap_int<64> [[PROD:v[0-9]+]] = [[A64]] * {{v[0-9]+}};
// CHECK: ap_int<64> [[HALF:v[0-9]+]] = {{v[0-9]+}} << {{v[0-9]+}};
// CHECK-NEXT: ap_int<64> [[RND:v[0-9]+]] = [[PROD]] + [[HALF]];
// CHECK-NEXT: ap_int<64> {{v[0-9]+}} = [[RND]] >> {{v[0-9]+}};
// CHECK: ap_int<8> [[Q:v[0-9]+]] = {{v[0-9]+}};
// CHECK-NEXT: out0[[[M]]][[[N]]] = [[Q]];
func.func @ql(%x: tensor<2x8xi8>) -> tensor<2x4xi8> {
  %xq = quant.scast %x : tensor<2x8xi8> to tensor<2x8x!quant.uniform<i8:f32, 0.05:-3>>
  %wc = arith.constant dense<[[1, -2, 3, -4, 5, -6, 7, -8], [8, 7, 6, 5, 4, 3, 2, 1], [-1, -1, -1, -1, 1, 1, 1, 1], [127, -127, 0, 3, 0, 0, 9, 9]]> : tensor<4x8xi8>
  %w = quant.scast %wc : tensor<4x8xi8> to tensor<4x8x!quant.uniform<i8<-127:127>:f32:0, {0.01, 0.02, 0.03, 0.04}>>
  %b = arith.constant dense<[10, -20, 30, -40]> : tensor<4xi32>
  %y = effc.quantized_linear %xq, %w bias %b {activation = #effc.activation<relu>, multiplier = array<i32: 1073741824, 1073741824, 1518500250, 1518500250>, shift = array<i32: 3, 3, 4, 4>, effc.name = "fc"} : tensor<2x8x!quant.uniform<i8:f32, 0.05:-3>>, tensor<4x8x!quant.uniform<i8<-127:127>:f32:0, {0.01, 0.02, 0.03, 0.04}>>, tensor<4xi32> -> tensor<2x4x!quant.uniform<i8:f32, 0.1:5>>
  %ys = quant.scast %y : tensor<2x4x!quant.uniform<i8:f32, 0.1:5>> to tensor<2x4xi8>
  return %ys : tensor<2x4xi8>
}

// -----

// Tests a float layer in fixed point: f32 arrays are data_t =
// ap_fixed<16, 6, AP_RND_CONV, AP_SAT> (hls4ml's default width),
// computed values acc_t, wide enough for exact sums of products; two
// layers run under DATAFLOW through a local buffer.

// CHECK: typedef ap_fixed<16, 6, AP_RND_CONV, AP_SAT> data_t;
// CHECK-NEXT: typedef ap_fixed<42, 22> acc_t;
// CHECK-LABEL: void fl(data_t in0[2][4], data_t out0[2][2]) {
// CHECK: #pragma HLS DATAFLOW
// CHECK: static const data_t fl_l1_w[3][4] = {{[{][{]}}0.5f, 1.0f, -1.0f, 0.25f}, {2.0f, 0.125f, 0.75f, -0.5f}, {1.5f, -2.0f, 0.5f, 1.0f}};
// CHECK: data_t [[H:v[0-9]+]][2][3];
// CHECK: l1:
// CHECK: acc_t [[ACC:v[0-9]+]] = {{v[0-9]+}};
// CHECK: data_t [[X:v[0-9]+]] = in0[{{v[0-9]+}}][{{v[0-9]+}}];
// CHECK-NEXT: data_t [[W:v[0-9]+]] = fl_l1_w[{{v[0-9]+}}][{{v[0-9]+}}];
// CHECK-NEXT: acc_t [[P:v[0-9]+]] = [[X]] * [[W]];
// CHECK-NEXT: acc_t [[S:v[0-9]+]] = [[ACC]] + [[P]];
// CHECK: const data_t [[ZERO:v[0-9]+]] = 0.0f;
// CHECK-NEXT: acc_t [[R:v[0-9]+]] = [[ACC]] > [[ZERO]] ? acc_t([[ACC]]) : acc_t([[ZERO]]);
// CHECK-NEXT: [[H]][{{v[0-9]+}}][{{v[0-9]+}}] = [[R]];
// CHECK: l2:
// CHECK: = [[H]][{{v[0-9]+}}][{{v[0-9]+}}];
// CHECK: out0[{{v[0-9]+}}][{{v[0-9]+}}] =
func.func @fl(%x: tensor<2x4xf32>) -> tensor<2x2xf32> {
  %w1 = arith.constant dense<[[0.5, 1.0, -1.0, 0.25], [2.0, 0.125, 0.75, -0.5], [1.5, -2.0, 0.5, 1.0]]> : tensor<3x4xf32>
  %h = effc.linear %x, %w1 {activation = #effc.activation<relu>, effc.name = "l1"} : tensor<2x4xf32>, tensor<3x4xf32> -> tensor<2x3xf32>
  %w2 = arith.constant dense<[[0.5, 1.0, -1.0], [2.0, 0.125, 0.75]]> : tensor<2x3xf32>
  %y = effc.linear %h, %w2 {effc.name = "l2"} : tensor<2x3xf32>, tensor<2x3xf32> -> tensor<2x2xf32>
  return %y : tensor<2x2xf32>
}

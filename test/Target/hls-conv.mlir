// RUN: effc-opt %s --effc-hls-pipeline | effc-translate --emit-hls-cpp | FileCheck %s

// Tests the C++ of a grouped, strided, padded float convolution in fixed
// point: the OHWI weight is a [F, KH * KW * C / groups] ROM read at (f, r);
// the input position (oh * 2 + kh - 1, ow * 2 + kw - 1, group * 2 + c) is
// derived from the column r and skipped when it falls in the padding; bias
// and relu as for a linear layer.

// CHECK: typedef ap_fixed<16, 6, AP_RND_CONV, AP_SAT> data_t;
// CHECK-LABEL: void conv(data_t in0[1][5][5][4], data_t out0[1][3][3][6]) {
// CHECK: static const data_t conv_conv2d_0_w[6][18] =
// CHECK: static const data_t conv_conv2d_0_b[6] = {0.5f, 0.5f, 0.5f, 0.5f, 0.5f, 0.5f};
// CHECK: for (int [[OH:v[0-9]+]] = 0; [[OH]] < 3; [[OH]] += 1) {
// CHECK-NEXT: for (int [[OW:v[0-9]+]] = 0; [[OW]] < 3; [[OW]] += 1) {
// CHECK-NEXT: for (int [[F:v[0-9]+]] = 0; [[F]] < 6; [[F]] += 1) {
// CHECK: for (int [[R:v[0-9]+]] = 0; [[R]] < 18; [[R]] += 1) {
// CHECK: int [[KHKW:v[0-9]+]] = [[R]] / {{v[0-9]+}};
// CHECK: int [[C:v[0-9]+]] = [[R]] % {{v[0-9]+}};
// CHECK: int [[KH:v[0-9]+]] = [[KHKW]] / {{v[0-9]+}};
// CHECK: int [[KW:v[0-9]+]] = [[KHKW]] % {{v[0-9]+}};
// CHECK: int [[Y0:v[0-9]+]] = [[OH]] * {{v[0-9]+}};
// CHECK: int [[Y1:v[0-9]+]] = [[Y0]] + [[KH]];
// CHECK: int [[X0:v[0-9]+]] = [[OW]] * {{v[0-9]+}};
// CHECK: int [[X1:v[0-9]+]] = [[X0]] + [[KW]];
// CHECK: int [[Y:v[0-9]+]] = [[Y1]] - {{v[0-9]+}};
// CHECK: int [[X:v[0-9]+]] = [[X1]] - {{v[0-9]+}};
// CHECK: int [[G:v[0-9]+]] = [[F]] / {{v[0-9]+}};
// CHECK: int [[GC:v[0-9]+]] = [[G]] * {{v[0-9]+}};
// CHECK: int [[CH:v[0-9]+]] = [[GC]] + [[C]];
// CHECK: bool [[YLO:v[0-9]+]] = [[Y]] >= {{v[0-9]+}};
// CHECK: bool [[YHI:v[0-9]+]] = [[Y]] < {{v[0-9]+}};
// CHECK: bool [[XLO:v[0-9]+]] = [[X]] >= {{v[0-9]+}};
// CHECK: bool [[XHI:v[0-9]+]] = [[X]] < {{v[0-9]+}};
// CHECK-NEXT: bool [[OK1:v[0-9]+]] = [[YLO]] && [[YHI]];
// CHECK-NEXT: bool [[OK2:v[0-9]+]] = [[OK1]] && [[XLO]];
// CHECK-NEXT: bool [[OK:v[0-9]+]] = [[OK2]] && [[XHI]];
// CHECK: if ([[OK]]) {
// CHECK-NEXT: data_t {{v[0-9]+}} = in0[{{v[0-9]+}}][[[Y]]][[[X]]][[[CH]]];
// CHECK-NEXT: data_t {{v[0-9]+}} = conv_conv2d_0_w[[[F]]][[[R]]];
// CHECK-NEXT: acc_t {{v[0-9]+}} = {{v[0-9]+}} * {{v[0-9]+}};
// CHECK: out0[{{v[0-9]+}}][[[OH]]][[[OW]]][[[F]]] =
func.func @conv(%x: tensor<1x5x5x4xf32>) -> tensor<1x3x3x6xf32> {
  %w = arith.constant dense<0.25> : tensor<6x3x3x2xf32>
  %b = arith.constant dense<0.5> : tensor<6xf32>
  %y = effc.conv2d %x, %w bias %b {strides = array<i64: 2, 2>, dilations = array<i64: 1, 1>, padding = array<i64: 1, 1, 1, 1>, groups = 2 : i64, activation = #effc.activation<relu>} : tensor<1x5x5x4xf32>, tensor<6x3x3x2xf32>, tensor<6xf32> -> tensor<1x3x3x6xf32>
  return %y : tensor<1x3x3x6xf32>
}

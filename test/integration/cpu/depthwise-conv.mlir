// RUN: effc-run %s --entry f --compare-to-reference | FileCheck %s

// Executed numerics of the CPU depthwise kernel against the reference
// lowering (linalg.conv_2d_nhwgc_gfhwc), on random inputs and weights:
// stride 1 and 2, asymmetric padding, dilation 2, a 5x5 filter, output
// widths that leave a remainder after the 4-column blocks, channel counts
// that are not a multiple of the vector width (12: 4 lanes; 3: 1 lane),
// bias with ReLU6, SiLU and none.

// CHECK-COUNT-4: effc-run: output {{[0-3]}} max_abs_err={{[0-9.e+-]+}} sqnr_db={{inf|1[2-9][0-9](\.[0-9]*)?}}{{$}}

func.func @f(%x: tensor<2x13x11x32xf32>, %w3: tensor<32x3x3x1xf32>, %b: tensor<32xf32>,
             %y: tensor<1x9x10x12xf32>, %w5: tensor<12x5x5x1xf32>,
             %z: tensor<1x7x7x3xf32>, %wz: tensor<3x3x3x1xf32>)
    -> (tensor<2x13x11x32xf32>, tensor<2x6x5x32xf32>, tensor<1x5x6x12xf32>, tensor<1x3x3x3xf32>) {
  %a = effc.conv2d %x, %w3 bias %b {activation = #effc.activation<clamp>, clamp_max = 6.0 : f32, clamp_min = 0.0 : f32, groups = 32 : i64, padding = array<i64: 1, 1, 1, 1>} : tensor<2x13x11x32xf32>, tensor<32x3x3x1xf32>, tensor<32xf32> -> tensor<2x13x11x32xf32>
  %s = effc.conv2d %x, %w3 bias %b {activation = #effc.activation<silu>, groups = 32 : i64, padding = array<i64: 0, 1, 0, 1>, strides = array<i64: 2, 2>} : tensor<2x13x11x32xf32>, tensor<32x3x3x1xf32>, tensor<32xf32> -> tensor<2x6x5x32xf32>
  %d = effc.conv2d %y, %w5 {groups = 12 : i64, padding = array<i64: 2, 2, 3, 1>, dilations = array<i64: 2, 2>} : tensor<1x9x10x12xf32>, tensor<12x5x5x1xf32> -> tensor<1x5x6x12xf32>
  %t = effc.conv2d %z, %wz {groups = 3 : i64, strides = array<i64: 2, 2>} : tensor<1x7x7x3xf32>, tensor<3x3x3x1xf32> -> tensor<1x3x3x3xf32>
  return %a, %s, %d, %t : tensor<2x13x11x32xf32>, tensor<2x6x5x32xf32>, tensor<1x5x6x12xf32>, tensor<1x3x3x3xf32>
}

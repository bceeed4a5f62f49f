// RUN: effc-opt %s --effc-lower-cpu="cpu=x86-64-v3" --mlir-print-ir-after=effc-lower-cpu-copies --mlir-elide-elementsattrs-if-larger=4 -o /dev/null 2>&1 | FileCheck %s

// A depthwise convolution (groups = channels) on an AVX2 target: output
// rows in parallel, channels as vector<8xf32> lanes, the 3x3 taps loaded
// once per channel block, 4 output columns per iteration (9 FMAs each),
// ReLU6 on the accumulators; the padding copy is vector rows, not the
// runtime's memrefCopy.

// CHECK-LABEL: func.func @dw
// CHECK:         scf.parallel
// CHECK:           vector.transfer_read {{.*}} vector<16xf32>
// CHECK:           vector.transfer_write {{.*}} vector<16xf32>
// CHECK-NOT:     memref.copy
// CHECK:         scf.forall (%{{.*}}, %{{.*}}) in (2, 16)
// CHECK:           scf.for
// CHECK-COUNT-9:     vector.transfer_read {{.*}} memref<9x16xf32>, vector<8xf32>
// CHECK:             scf.for {{.*}} step %c4
// CHECK-COUNT-36:      vector.fma {{.*}} : vector<8xf32>
// CHECK:               arith.maximumf {{.*}} : vector<8xf32>
// CHECK:               arith.minimumf {{.*}} : vector<8xf32>
func.func @dw(%x: tensor<2x32x32x16xf32>) -> tensor<2x16x16x16xf32> {
  %w = arith.constant dense<0.5> : tensor<16x3x3x1xf32>
  %b = arith.constant dense<0.1> : tensor<16xf32>
  %y = effc.conv2d %x, %w bias %b {activation = #effc.activation<clamp>, clamp_max = 6.0 : f32, clamp_min = 0.0 : f32, groups = 16 : i64, padding = array<i64: 1, 1, 1, 1>, strides = array<i64: 2, 2>} : tensor<2x32x32x16xf32>, tensor<16x3x3x1xf32>, tensor<16xf32> -> tensor<2x16x16x16xf32>
  return %y : tensor<2x16x16x16xf32>
}

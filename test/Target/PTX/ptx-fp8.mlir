// Tests that DeepSeek-V3 style fp8 block-scaled linear (1x128 input tiles,
// 128x128 weight blocks) becomes e4m3 mma.sync on sm_90 with the block
// scales applied per K tile in f32, and that ptxas assembles it.

// REQUIRES: ptxas
// RUN: effc-translate --effc-to-ptx --effc-gpu-chip=sm_90 %s > %t.ptx
// RUN: FileCheck %s < %t.ptx
// RUN: %ptxas -arch=sm_90 %t.ptx -o %t.cubin

// CHECK: .version 8.4
// CHECK: .entry block_scaled_linear_fp8_0(
// CHECK: mma.sync.aligned.m16n8k32.row.col.f32.e4m3.e4m3.f32
// CHECK: fma.rn.f32
func.func @fp8(%xq: tensor<64x512xf8E4M3FN>, %xs: tensor<64x4xf32>, %wq: tensor<256x512xf8E4M3FN>, %ws: tensor<2x4xf32>) -> tensor<64x256xbf16> {
  %y = effc.block_scaled_linear %xq, %xs, %wq, %ws {block = array<i64: 128, 128>}
      : tensor<64x512xf8E4M3FN>, tensor<64x4xf32>, tensor<256x512xf8E4M3FN>, tensor<2x4xf32> -> tensor<64x256xbf16>
  return %y : tensor<64x256xbf16>
}

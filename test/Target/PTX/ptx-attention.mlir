// Tests that f16 attention (causal, grouped-query; and with a [B, 1, 1, Skv]
// padding mask) becomes the flash kernel in PTX: mma.sync for S = Q K^T and
// O += P V, quad shuffles for the online softmax, the mask read as f16 and
// widened, and that ptxas assembles it for sm_90 and sm_80.

// REQUIRES: ptxas
// RUN: effc-opt %s --effc-gpu-pipeline="chip=sm_90" | effc-translate --effc-to-ptx > %t.ptx
// RUN: FileCheck %s < %t.ptx
// RUN: %ptxas -arch=sm_90 %t.ptx -o %t.cubin
// RUN: effc-translate --effc-to-ptx --effc-gpu-chip=sm_80 %s > %t80.ptx
// RUN: %ptxas -arch=sm_80 %t80.ptx -o %t80.cubin

// CHECK: .entry attention_0(
// CHECK: mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32
// CHECK: shfl.sync.bfly.b32
// CHECK: ex2.approx
// CHECK: mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32
func.func @attention(%q: tensor<2x8x256x64xf16>, %k: tensor<2x2x256x64xf16>, %v: tensor<2x2x256x64xf16>) -> tensor<2x8x256x64xf16> {
  %o = effc.attention %q, %k, %v {mask = #effc.mask<causal>}
      : tensor<2x8x256x64xf16>, tensor<2x2x256x64xf16>, tensor<2x2x256x64xf16> -> tensor<2x8x256x64xf16>
  return %o : tensor<2x8x256x64xf16>
}

// CHECK: .entry attention_1(
// CHECK: mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32
// CHECK: ld.global.b16
// CHECK: cvt.f32.f16
// CHECK: shfl.sync.bfly.b32
// CHECK: mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32
func.func @padding_mask(%q: tensor<2x4x100x64xf16>, %k: tensor<2x2x100x64xf16>, %v: tensor<2x2x100x64xf16>, %m: tensor<2x1x1x100xf16>) -> tensor<2x4x100x64xf16> {
  %o = effc.attention %q, %k, %v mask(%m : tensor<2x1x1x100xf16>) {mask = #effc.mask<explicit>}
      : tensor<2x4x100x64xf16>, tensor<2x2x100x64xf16>, tensor<2x2x100x64xf16> -> tensor<2x4x100x64xf16>
  return %o : tensor<2x4x100x64xf16>
}

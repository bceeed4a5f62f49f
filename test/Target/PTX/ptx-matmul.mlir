// Tests that an upstream-IR f16 matmul goes through --effc-gpu-pipeline to
// PTX with tensor-core mma.sync, cp.async staging and shared memory, and
// that ptxas assembles the kernels for sm_90 and (lowered for them) sm_80,
// sm_100 and sm_120.

// REQUIRES: ptxas
// RUN: effc-opt %s --effc-gpu-pipeline="chip=sm_90" | effc-translate --effc-to-ptx > %t.ptx
// RUN: FileCheck %s < %t.ptx
// RUN: %ptxas -arch=sm_90 %t.ptx -o %t.cubin
// RUN: effc-opt %s --effc-raise | effc-translate --effc-to-ptx --effc-gpu-chip=sm_80 > %t80.ptx
// RUN: FileCheck %s --check-prefix=SM80 < %t80.ptx
// RUN: %ptxas -arch=sm_80 %t80.ptx -o %t80.cubin
// Blackwell chips get the PTX ISA that names them (8.6, 8.7).
// RUN: effc-opt %s --effc-raise | effc-translate --effc-to-ptx --effc-gpu-chip=sm_100 > %t100.ptx
// RUN: FileCheck %s --check-prefix=SM100 < %t100.ptx
// RUN: %ptxas -arch=sm_100 %t100.ptx -o %t100.cubin
// RUN: effc-opt %s --effc-raise | effc-translate --effc-to-ptx --effc-gpu-chip=sm_120 > %t120.ptx
// RUN: FileCheck %s --check-prefix=SM120 < %t120.ptx
// RUN: %ptxas -arch=sm_120 %t120.ptx -o %t120.cubin

// CHECK: .target sm_90
// CHECK: .entry linear_0(
// CHECK: .shared .align 16 .b8 __wg_linear_0_0[10240];
// CHECK: cp.async.cg.shared.global [%{{[a-z0-9]+}}], [%rd{{[0-9]+}}], 16, %r{{[0-9]+}};
// CHECK: cp.async.wait_group 1;
// CHECK: mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32
// SM80: .target sm_80
// SM80: mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32
// SM100: .version 8.6
// SM100: .target sm_100
// SM100: mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32
// SM120: .version 8.7
// SM120: .target sm_120
// SM120: mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32
func.func @matmul(%a: tensor<128x256xf16>, %b: tensor<256x192xf16>) -> tensor<128x192xf16> {
  %z = arith.constant 0.0 : f16
  %e = tensor.empty() : tensor<128x192xf16>
  %f = linalg.fill ins(%z : f16) outs(%e : tensor<128x192xf16>) -> tensor<128x192xf16>
  %r = linalg.matmul ins(%a, %b : tensor<128x256xf16>, tensor<256x192xf16>) outs(%f : tensor<128x192xf16>) -> tensor<128x192xf16>
  return %r : tensor<128x192xf16>
}

// Tests that an f32 MLP (upstream linalg: matmul + bias/ReLU generic) runs
// both layers in GPU kernels with no host remark: exact FFMAs by default,
// tf32 mma.sync m16n8k8 with f32-math=tf32, assembled by ptxas for sm_80,
// sm_90 and sm_90a.

// REQUIRES: ptxas
// RUN: effc-opt %S/Inputs/m16-mlp.mlir --effc-gpu-pipeline="chip=sm_90" 2>%t.err | effc-translate --effc-to-ptx > %t.ptx
// RUN: FileCheck %s --check-prefix=FFMA < %t.ptx
// RUN: not grep remark %t.err
// RUN: %ptxas -arch=sm_90 %t.ptx -o %t.cubin
// RUN: effc-opt %S/Inputs/m16-mlp.mlir --effc-gpu-pipeline="chip=sm_80 f32-math=tf32" | effc-translate --effc-to-ptx > %t80.ptx
// RUN: FileCheck %s --check-prefix=TF32 < %t80.ptx
// RUN: %ptxas -arch=sm_80 %t80.ptx -o %t80.cubin
// RUN: effc-opt %S/Inputs/m16-mlp.mlir --effc-gpu-pipeline="chip=sm_90a f32-math=tf32" | effc-translate --effc-to-ptx > %t90a.ptx
// RUN: %ptxas -arch=sm_90a %t90a.ptx -o %t90a.cubin
// RUN: not effc-opt %S/Inputs/m16-mlp.mlir --effc-gpu-pipeline="chip=sm_90 f32-math=fp64" 2>&1 | FileCheck %s --check-prefix=BAD

// FFMA: .entry linear_f32_0(
// FFMA: fma.rn.f32
// FFMA-NOT: mma.sync
// FFMA: .entry linear_f32_1(
// TF32: .entry linear_tf32_0(
// TF32: cvt.rna.tf32.f32
// TF32: mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32
// TF32: .entry linear_tf32_1(
// BAD: error: effc-lower-gpu: unknown f32-math 'fp64' (expected ffma or tf32)

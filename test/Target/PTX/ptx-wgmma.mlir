// Tests the sm_90a GEMM: with chip=sm_90a, f16, bf16, int8 and block-scaled
// fp8 GEMMs of at least one 128 x 128 tile run on warpgroup MMAs (wgmma.mma_async m64n128)
// fed by TMA (cp.async.bulk.tensor into 128B-swizzled shared memory,
// completing on mbarriers), and ptxas assembles them for sm_90a. The host
// side encodes one tensor map per operand and launches with the ring's
// dynamic shared memory. chip=sm_90 (portable PTX) and GEMMs smaller than
// a tile keep the mma.sync kernel.

// REQUIRES: ptxas
// RUN: effc-opt %s --effc-gpu-pipeline="chip=sm_90a" -o %t.mlir
// RUN: FileCheck %s --check-prefix=HOST < %t.mlir
// RUN: effc-translate --effc-to-ptx %t.mlir > %t.ptx
// RUN: FileCheck %s < %t.ptx
// RUN: %ptxas -arch=sm_90a %t.ptx -o %t.cubin
// The translation alone (effc IR in, kernels only) makes the same kernels.
// RUN: effc-translate --effc-to-ptx --effc-gpu-chip=sm_90a %s > %tk.ptx
// RUN: FileCheck %s < %tk.ptx
// RUN: effc-opt %s --effc-gpu-pipeline="chip=sm_90" | effc-translate --effc-to-ptx > %t90.ptx
// RUN: FileCheck %s --check-prefix=SM90 < %t90.ptx
// RUN: %ptxas -arch=sm_90 %t90.ptx -o %t90.cubin

// Each operand's map: f16 (CU_TENSOR_MAP_DATA_TYPE_FLOAT16 = 6) boxes of
// 128 rows x 64 elements, 128-byte swizzle; 4 stages x 32 KiB + barriers +
// 1 KiB of alignment slack.
// HOST-DAG: %[[F16:.*]] = llvm.mlir.constant(6 : i32) : i32
// HOST-DAG: %[[ROWS:.*]] = llvm.mlir.constant(128 : i32) : i32
// HOST-DAG: %[[COLS:.*]] = llvm.mlir.constant(64 : i32) : i32
// HOST-DAG: %[[SMEM:.*]] = llvm.mlir.constant(132128 : i32) : i32
// HOST: %[[MAPX:.*]] = llvm.call @effcCudaTensorMap2D(%{{.*}}, %[[F16]], %{{.*}}, %{{.*}}, %{{.*}}, %[[ROWS]], %[[COLS]], %[[ROWS]])
// HOST: %[[MAPW:.*]] = llvm.call @effcCudaTensorMap2D(%{{.*}}, %[[F16]], %{{.*}}, %{{.*}}, %{{.*}}, %[[ROWS]], %[[COLS]], %[[ROWS]])
// HOST: gpu.launch_func {{.*}}@effc_kernels::@linear_wgmma_0 blocks in {{.*}} threads in {{.*}} dynamic_shared_memory_size %[[SMEM]] args(%[[MAPX]] : !llvm.ptr, %[[MAPW]] : !llvm.ptr,

// CHECK: .target sm_90a
// CHECK-LABEL: .entry linear_wgmma_0(
// CHECK: mbarrier.init.shared.b64
// CHECK: fence.mbarrier_init.release.cluster
// CHECK: mbarrier.arrive.expect_tx.shared.b64
// CHECK: cp.async.bulk.tensor.2d.shared::cluster.global.tile.mbarrier::complete_tx::bytes
// CHECK: cp.async.bulk.tensor.2d.shared::cluster.global.tile.mbarrier::complete_tx::bytes
// CHECK: mbarrier.try_wait.parity.shared.b64
// CHECK: wgmma.fence.sync.aligned
// CHECK-COUNT-4: wgmma.mma_async.sync.aligned.m64n128k16.f32.f16.f16
// CHECK: wgmma.commit_group.sync.aligned
// CHECK: wgmma.wait_group.sync.aligned 0
// The fused epilogue: bias, relu, f16 stores.
// CHECK: max.NaN.f32 {{.*}}, 0f00000000;
// CHECK: st.global.b16
// CHECK-LABEL: .entry linear_wgmma_1(
// CHECK: wgmma.mma_async.sync.aligned.m64n128k16.f32.bf16.bf16
// CHECK-LABEL: .entry quantized_linear_wgmma_2(
// CHECK: wgmma.mma_async.sync.aligned.m64n128k32.s32.s8.s8
// CHECK: cvt.rn.f32.s32
// A 32-row GEMM is less than a tile: mma.sync.
// CHECK-LABEL: .entry linear_3(
// CHECK-NOT: wgmma
// CHECK: mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32
// fp8 with DeepSeek-V3 block scales: each K tile of 128 starts from zero
// (scale-d false) and is promoted into the f32 sums with its scales.
// CHECK-LABEL: .entry block_scaled_linear_fp8_wgmma_4(
// CHECK: wgmma.mma_async.sync.aligned.m64n128k32.f32.e4m3.e4m3
// CHECK: fma.rn.f32

// SM90: .target sm_90
// SM90-NOT: wgmma
// SM90: .entry linear_0(
// SM90: mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32

!qx = !quant.uniform<i8:f32, 0.05:-3>
!qw = !quant.uniform<i8<-127:127>:f32, 0.01>

func.func @f16(%x: tensor<256x512xf16>, %w: tensor<384x512xf16>,
               %b: tensor<384xf16>) -> tensor<256x384xf16> {
  %y = effc.linear %x, %w bias %b {activation = #effc.activation<relu>}
       : tensor<256x512xf16>, tensor<384x512xf16>, tensor<384xf16> -> tensor<256x384xf16>
  return %y : tensor<256x384xf16>
}

func.func @bf16(%x: tensor<200x256xbf16>, %w: tensor<136x256xbf16>) -> tensor<200x136xbf16> {
  %y = effc.linear %x, %w : tensor<200x256xbf16>, tensor<136x256xbf16> -> tensor<200x136xbf16>
  return %y : tensor<200x136xbf16>
}

func.func @int8(%x: tensor<256x512xi8>) -> tensor<256x128xf32> {
  %xq = quant.scast %x : tensor<256x512xi8> to tensor<256x512x!qx>
  %wc = arith.constant dense<3> : tensor<128x512xi8>
  %w = quant.scast %wc : tensor<128x512xi8> to tensor<128x512x!qw>
  %y = effc.quantized_linear %xq, %w {scale = 0.1 : f32}
       : tensor<256x512x!qx>, tensor<128x512x!qw> -> tensor<256x128xf32>
  return %y : tensor<256x128xf32>
}

func.func @small(%x: tensor<32x512xf16>, %w: tensor<384x512xf16>) -> tensor<32x384xf16> {
  %y = effc.linear %x, %w : tensor<32x512xf16>, tensor<384x512xf16> -> tensor<32x384xf16>
  return %y : tensor<32x384xf16>
}

func.func @fp8(%xq: tensor<256x512xf8E4M3FN>, %xs: tensor<256x4xf32>, %wq: tensor<256x512xf8E4M3FN>, %ws: tensor<2x4xf32>) -> tensor<256x256xbf16> {
  %y = effc.block_scaled_linear %xq, %xs, %wq, %ws {block = array<i64: 128, 128>}
      : tensor<256x512xf8E4M3FN>, tensor<256x4xf32>, tensor<256x512xf8E4M3FN>, tensor<2x4xf32> -> tensor<256x256xbf16>
  return %y : tensor<256x256xbf16>
}

// RUN: effc-opt %s --effc-lower-cpu="cpu=skylake-avx512" -split-input-file | FileCheck %s

// Tests that causal attention with runtime batch and sequence lengths
// lowers to the flash loop nest: parallel query tiles, 64x64 score tiles
// (4096 floats) on the vector GEMM, no Sq x Skv buffer.
// CHECK-LABEL: llvm.func @dyn_causal(
// CHECK: omp.parallel
// CHECK-NOT: llvm.func
// CHECK: llvm.getelementptr {{.*}}[4096] : (!llvm.ptr) -> !llvm.ptr, f32
// CHECK-NOT: llvm.func
// CHECK: llvm.intr.fmuladd{{.*}}vector<16xf32>
// CHECK-LABEL: llvm.func @_mlir_ciface_dyn_causal
func.func @dyn_causal(%q: tensor<?x4x?x32xf32>, %k: tensor<?x2x?x32xf32>, %v: tensor<?x2x?x32xf32>) -> tensor<?x4x?x32xf32> {
  %o = effc.attention %q, %k, %v {mask = #effc.mask<causal>} : tensor<?x4x?x32xf32>, tensor<?x2x?x32xf32>, tensor<?x2x?x32xf32> -> tensor<?x4x?x32xf32>
  return %o : tensor<?x4x?x32xf32>
}

// -----

// Tests that decode-style attention (one static query row over a runtime
// number of keys) keeps a one-row query tile and streams 64-key tiles,
// the last one padded (a 64x32 key tile: 2048 floats).
// CHECK-LABEL: llvm.func @dyn_decode(
// CHECK: omp.parallel
// CHECK-NOT: llvm.func
// CHECK: llvm.getelementptr {{.*}}[2048] : (!llvm.ptr) -> !llvm.ptr, f32
// CHECK-LABEL: llvm.func @_mlir_ciface_dyn_decode
func.func @dyn_decode(%q: tensor<1x4x1x32xf32>, %k: tensor<1x4x?x32xf32>, %v: tensor<1x4x?x32xf32>, %m: tensor<1x1x1x?xf32>) -> tensor<1x4x1x32xf32> {
  %o = effc.attention %q, %k, %v mask(%m : tensor<1x1x1x?xf32>) {mask = #effc.mask<explicit>} : tensor<1x4x1x32xf32>, tensor<1x4x?x32xf32>, tensor<1x4x?x32xf32> -> tensor<1x4x1x32xf32>
  return %o : tensor<1x4x1x32xf32>
}

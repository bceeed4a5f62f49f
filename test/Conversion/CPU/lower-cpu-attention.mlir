// RUN: effc-opt %s --effc-lower-cpu="cpu=skylake-avx512" -split-input-file | FileCheck %s
// RUN: effc-opt %s --effc-lower-reference -split-input-file | FileCheck %s --check-prefix=REF

// Tests that long causal attention lowers to a flash loop nest whose
// buffers are all O(S): nothing of size S x S is allocated, while the
// reference lowering does materialize the scores.
// CHECK-LABEL: llvm.func @long_causal
// CHECK-NOT: 67108864
// CHECK: omp.parallel
// CHECK-NOT: 67108864
// CHECK: llvm.intr.fmuladd{{.*}}vector<16xf32>
// CHECK-NOT: 67108864
// CHECK-LABEL: llvm.func @_mlir_ciface_long_causal
// REF-LABEL: func.func @long_causal
// REF: tensor<1x1x1x8192x8192xf32>
func.func @long_causal(%q: tensor<1x1x8192x64xf32>, %k: tensor<1x1x8192x64xf32>, %v: tensor<1x1x8192x64xf32>) -> tensor<1x1x8192x64xf32> {
  %o = effc.attention %q, %k, %v {mask = #effc.mask<causal>} : tensor<1x1x8192x64xf32>, tensor<1x1x8192x64xf32>, tensor<1x1x8192x64xf32> -> tensor<1x1x8192x64xf32>
  return %o : tensor<1x1x8192x64xf32>
}

// -----

// Tests that a [B, 1, 1, Skv] padding mask on long attention is read one
// key tile at a time (as a row shared by the tile's queries): the flash
// loop nest still allocates nothing of size S x S.
// CHECK-LABEL: llvm.func @long_padding_mask
// CHECK-NOT: 67108864
// CHECK: omp.parallel
// CHECK-NOT: 67108864
// CHECK-LABEL: llvm.func @_mlir_ciface_long_padding_mask
// REF-LABEL: func.func @long_padding_mask
// REF: tensor<1x1x1x8192x8192xf32>
func.func @long_padding_mask(%q: tensor<1x1x8192x64xf32>, %k: tensor<1x1x8192x64xf32>, %v: tensor<1x1x8192x64xf32>, %m: tensor<1x1x1x8192xf32>) -> tensor<1x1x8192x64xf32> {
  %o = effc.attention %q, %k, %v mask(%m : tensor<1x1x1x8192xf32>) {mask = #effc.mask<explicit>} : tensor<1x1x8192x64xf32>, tensor<1x1x8192x64xf32>, tensor<1x1x8192x64xf32> -> tensor<1x1x8192x64xf32>
  return %o : tensor<1x1x8192x64xf32>
}

// RUN: effc-opt %s --effc-gpu-pipeline="chip=sm_90" -split-input-file 2>&1 >/dev/null | FileCheck %s
// RUN: effc-opt %s --effc-gpu-pipeline="chip=sm_90" -split-input-file | FileCheck %s --check-prefix=HOST
// RUN: effc-opt %s --effc-gpu-pipeline="chip=sm_90 remarks=false" -split-input-file 2>&1 >/dev/null | FileCheck %s --allow-empty --check-prefix=QUIET

// Tests that ops without a GPU kernel run on the host through the
// reference lowering (their linalg ops as loops, so the host code reaches
// the llvm dialect) and that each gets a remark naming it and the reason;
// remarks=false silences them.
// QUIET-NOT: remark

// CHECK: remark: effc-lower-gpu: 'effc.sparse_linear' runs on the host (reference lowering): no GPU kernel for the csr layout (mma.sp takes 2:4)
// HOST-LABEL: llvm.func @csr
// HOST-NOT: linalg.
// HOST: llvm.return
func.func @csr(%x: tensor<4x8xf32>) -> tensor<4x2xf32> {
  %v = arith.constant dense<[1.0, 2.0, 3.0]> : tensor<3xf32>
  %c = arith.constant dense<[0, 5, 7]> : tensor<3xi32>
  %o = arith.constant dense<[0, 2, 3]> : tensor<3xi32>
  %y = effc.sparse_linear %x, %v, %c offsets %o {encoding = #effc.sparse_encoding<format = csr>, weight_shape = array<i64: 2, 8>}
      : tensor<4x8xf32>, tensor<3xf32>, tensor<3xi32>, offsets tensor<3xi32> -> tensor<4x2xf32>
  return %y : tensor<4x2xf32>
}

// -----

// CHECK: remark: effc-lower-gpu: 'effc.dynamic_quantize' runs on the host (reference lowering): the quantization kernel takes blocks of one row (1 x ... x 1 x bk)
// HOST-LABEL: llvm.func @dyn
func.func @dyn(%x: tensor<2x8xf32>) -> (tensor<2x8xi8>, tensor<1x2xf32>) {
  %q, %s = effc.dynamic_quantize %x {block = array<i64: 2, 4>} : tensor<2x8xf32> -> tensor<2x8xi8>, tensor<1x2xf32>
  return %q, %s : tensor<2x8xi8>, tensor<1x2xf32>
}

// -----

// CHECK: remark: effc-lower-gpu: 'linalg.softmax' runs on the host (reference lowering): only effc ops run in GPU kernels (--effc-raise did not raise it)
// HOST-LABEL: llvm.func @softmax
func.func @softmax(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %e = tensor.empty() : tensor<4x8xf32>
  %y = linalg.softmax dimension(1) ins(%x : tensor<4x8xf32>) outs(%e : tensor<4x8xf32>) -> tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}

// -----

// CHECK: remark: effc-lower-gpu: 'effc.attention' runs on the host (reference lowering): explicit masks need static shapes on the GPU (causal and unmasked attention take runtime lengths)
// HOST-LABEL: llvm.func @attention_mask
func.func @attention_mask(%q: tensor<1x4x?x64xf16>, %k: tensor<1x4x8x64xf16>, %v: tensor<1x4x8x64xf16>, %m: tensor<1x1x1x8xf16>) -> tensor<1x4x?x64xf16> {
  %o = effc.attention %q, %k, %v mask(%m : tensor<1x1x1x8xf16>) {mask = #effc.mask<explicit>} : tensor<1x4x?x64xf16>, tensor<1x4x8x64xf16>, tensor<1x4x8x64xf16> -> tensor<1x4x?x64xf16>
  return %o : tensor<1x4x?x64xf16>
}

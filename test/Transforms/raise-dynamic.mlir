// RUN: effc-opt --effc-raise %S/../models/frontend/mlp_dyn.linalg.mlir | FileCheck %s --check-prefix=MLP
// RUN: effc-opt --effc-raise %S/../models/frontend/gpt_block_dyn.linalg.mlir | FileCheck %s --check-prefix=GPT
// RUN: effc-opt --effc-raise --effc-rewrite-attention %S/../models/frontend/gpt_block_dyn.linalg.mlir | FileCheck %s --check-prefix=ATT-GPT
// RUN: effc-opt --effc-raise --effc-rewrite-attention %S/../models/frontend/encoder_dyn.linalg.mlir | FileCheck %s --check-prefix=ATT-ENC
// RUN: effc-opt --effc-raise %S/../models/frontend/encoder_dyn.linalg.mlir | FileCheck %s --check-prefix=ENC
// RUN: effc-opt --effc-raise --effc-assign-precision="weights=i8 activations=i8" --effc-quantize %S/../models/frontend/mlp_dyn.linalg.mlir | FileCheck %s --check-prefix=I8
// RUN: effc-opt --effc-raise --effc-assign-precision="weights=i4 granularity=group group-size=32" --effc-quantize %S/../models/frontend/mlp_dyn.linalg.mlir | FileCheck %s --check-prefix=I4
// RUN: effc-opt %s --effc-raise | FileCheck %s

// Tests that models with dynamic batch / sequence dims, as torch.export
// writes them (`dynamic_shapes`), raise like static ones: contractions to
// effc ops whose leading dims stay dynamic, with bias and activation
// folded, attention (with a causal mask computed at run time) to
// effc.attention, and that quantization keeps the dims dynamic (per-row
// activation scales over a dynamic M).

// MLP-LABEL: func.func @main(%arg0: tensor<?x32xf32>) -> tensor<?x16xf32>
// MLP: effc.linear %arg0, %{{.*}} bias %{{.*}} {activation = #effc.activation<gelu>} : tensor<?x32xf32>, tensor<64x32xf32>, tensor<64xf32> -> tensor<?x64xf32>
// MLP: effc.linear %{{.*}} bias %{{.*}} : tensor<?x64xf32>, tensor<16x64xf32>, tensor<16xf32> -> tensor<?x16xf32>
// MLP-NOT: linalg.matmul

// Every projection, with bias and GELU folded, on [B, S, K] activations
// (the fixtures keep aten.linear whole: docs/torch-mlir-dynamic-view.md);
// the attention matmuls multiply activations and stay for
// --effc-rewrite-attention.
// GPT: effc.linear {{.*}} bias {{.*}} : tensor<?x?x32xf32>, tensor<96x32xf32>, tensor<96xf32> -> tensor<?x?x96xf32>
// GPT: effc.linear {{.*}} bias {{.*}} : tensor<?x?x32xf32>, tensor<32x32xf32>, tensor<32xf32> -> tensor<?x?x32xf32>
// GPT: effc.linear {{.*}} bias {{.*}} {activation = #effc.activation<gelu>} : tensor<?x?x32xf32>, tensor<128x32xf32>, tensor<128xf32> -> tensor<?x?x128xf32>
// GPT: effc.linear {{.*}} bias {{.*}} : tensor<?x?x128xf32>, tensor<32x128xf32>, tensor<32xf32> -> tensor<?x?x32xf32>
// torch-mlir's dynamic-shape guards are gone: no shape-tensor reshape, no
// broadcast through tensor.extract, no cf.assert.
// GPT-NOT: tensor.reshape
// GPT-NOT: tensor.extract {{.*}}[
// GPT-NOT: cf.assert

// The attention: a causal mask computed at run time from the dynamic S is
// recognized as causal, the fully-masked-row guard dropped.
// ATT-GPT: effc.attention {{.*}} {mask = #effc.mask<causal>, scale = 2.500000e-01 : f32} : tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32> -> tensor<?x2x?x16xf32>
// ATT-GPT-NOT: linalg.batch_matmul
// ATT-GPT-NOT: math.exp
// ATT-ENC: effc.attention {{.*}} {scale = 2.500000e-01 : f32} : tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32> -> tensor<?x2x?x16xf32>
// ATT-ENC-NOT: math.exp

// ENC-COUNT-4: effc.linear {{.*}} -> tensor<?x?x
// ENC-NOT: linalg.matmul

// I8: %[[Q:.*]], %[[S:.*]] = effc.dynamic_quantize %arg0 {block = array<i64: 1, 32>} : tensor<?x32xf32> -> tensor<?x32xi8>, tensor<?x1xf32>
// I8: effc.block_scaled_linear %[[Q]], %[[S]], {{.*}} : tensor<?x32xi8>, tensor<?x1xf32>, tensor<64x32xi8>, tensor<64x1xf32> -> tensor<?x64xf32>
// I8: effc.dynamic_quantize {{.*}} : tensor<?x64xf32> -> tensor<?x64xi8>, tensor<?x1xf32>

// I4: effc.quantized_linear %arg0, {{.*}} : tensor<?x32xf32>, tensor<64x32x!quant.uniform<i4{{.*}}>>, tensor<64xf32> -> tensor<?x64xf32>

// A transposed activation operand with a dynamic M keeps its dynamic dim
// through the transpose the raise inserts.
// CHECK-LABEL: func.func @trans_a
// CHECK: %[[D:.*]] = tensor.dim %arg0, %c1
// CHECK: %[[E:.*]] = tensor.empty(%[[D]]) : tensor<?x8xf32>
// CHECK: %[[T:.*]] = linalg.transpose ins(%arg0 : tensor<8x?xf32>) outs(%[[E]] : tensor<?x8xf32>) permutation = [1, 0]
// CHECK: effc.linear %[[T]], %{{.*}} : tensor<?x8xf32>, tensor<4x8xf32> -> tensor<?x4xf32>
#ta = affine_map<(m, n, k) -> (k, m)>
#b = affine_map<(m, n, k) -> (k, n)>
#c = affine_map<(m, n, k) -> (m, n)>
func.func @trans_a(%a: tensor<8x?xf32>) -> tensor<?x4xf32> {
  %w = arith.constant dense<0.5> : tensor<8x4xf32>
  %c1 = arith.constant 1 : index
  %m = tensor.dim %a, %c1 : tensor<8x?xf32>
  %e = tensor.empty(%m) : tensor<?x4xf32>
  %z = arith.constant 0.0 : f32
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<?x4xf32>) -> tensor<?x4xf32>
  %y = linalg.matmul indexing_maps = [#ta, #b, #c] ins(%a, %w : tensor<8x?xf32>, tensor<8x4xf32>) outs(%f : tensor<?x4xf32>) -> tensor<?x4xf32>
  return %y : tensor<?x4xf32>
}

// RUN: effc-opt --effc-raise %S/../models/frontend/mlp_dyn.linalg.mlir | FileCheck %s --check-prefix=MLP
// RUN: effc-opt --effc-raise %S/../models/frontend/gpt_block_dyn.linalg.mlir | FileCheck %s --check-prefix=GPT
// RUN: effc-opt --effc-raise %S/../models/frontend/gpt_block_dyn.linalg.mlir | FileCheck %s --check-prefix=GPT-BMM
// RUN: effc-opt --effc-raise %S/../models/frontend/encoder_dyn.linalg.mlir | FileCheck %s --check-prefix=ENC
// RUN: effc-opt --effc-raise --effc-assign-precision="weights=i8 activations=i8" --effc-quantize %S/../models/frontend/mlp_dyn.linalg.mlir | FileCheck %s --check-prefix=I8
// RUN: effc-opt --effc-raise --effc-assign-precision="weights=i4 granularity=group group-size=32" --effc-quantize %S/../models/frontend/mlp_dyn.linalg.mlir | FileCheck %s --check-prefix=I4
// RUN: effc-opt %s --effc-raise | FileCheck %s

// Tests that contractions with dynamic batch / sequence dims, as torch.export
// writes them (`dynamic_shapes`), are raised to effc ops whose leading dims
// stay dynamic, with bias and activation folded, and that quantization keeps
// them dynamic (per-row activation scales over a dynamic M).

// MLP-LABEL: func.func @main(%arg0: tensor<?x32xf32>) -> tensor<?x16xf32>
// MLP: effc.linear %arg0, %{{.*}} bias %{{.*}} {activation = #effc.activation<gelu>} : tensor<?x32xf32>, tensor<64x32xf32>, tensor<64xf32> -> tensor<?x64xf32>
// MLP: effc.linear %{{.*}} bias %{{.*}} : tensor<?x64xf32>, tensor<16x64xf32>, tensor<16xf32> -> tensor<?x16xf32>
// MLP-NOT: linalg.matmul

// The qkv, proj (a batch_matmul against the weight broadcast over the
// dynamic batch), fc and out projections; attention's two batch_matmuls
// multiply activations and stay for --effc-rewrite-attention.
// GPT: effc.linear {{.*}} : tensor<?x32xf32>, tensor<96x32xf32>, tensor<96xf32> -> tensor<?x96xf32>
// (Its bias add follows a shape-tensor tensor.reshape and stays a generic.)
// GPT: effc.linear {{.*}} : tensor<?x?x32xf32>, tensor<32x32xf32> -> tensor<?x?x32xf32>
// GPT: effc.linear {{.*}} : tensor<?x32xf32>, tensor<128x32xf32>, tensor<128xf32> -> tensor<?x128xf32>
// GPT: effc.linear {{.*}} : tensor<?x128xf32>, tensor<32x128xf32>, tensor<32xf32> -> tensor<?x32xf32>
// GPT-BMM-COUNT-2: linalg.batch_matmul
// GPT-BMM-NOT: linalg.batch_matmul

// ENC-COUNT-4: effc.linear {{.*}} -> tensor<?x
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

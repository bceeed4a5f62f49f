// What --effc-raise makes of real torch-mlir output (FX importer,
// linalg-on-tensors; test/models/frontend, written by
// scripts/gen-frontend-fixtures.py): NCHW, depthwise and grouped
// convolutions become effc.conv2d; the NCHW<->NHWC transposes cancel between
// them, so only the input's remains; batch norm (its rsqrt(var + eps) on
// constants, then subtract / multiply / multiply / add per channel) folds
// into weights and bias; ReLU6 (max with 0, then min with 6) folds as a
// clamp; the bias torch-mlir puts in a conv's init becomes the conv's bias;
// the pads fold into the conv's padding.

// RUN: effc-opt --effc-raise %S/../models/frontend/tiny_cnn.linalg.mlir | FileCheck %s --check-prefix=CNN
// RUN: effc-opt --effc-raise %S/../models/frontend/mlp_gelu.linalg.mlir | FileCheck %s --check-prefix=MLP

// CNN-LABEL: func.func @main(%arg0: tensor<2x3x16x16xf32>) -> tensor<2x10xf32>
// CNN-NOT: linalg.conv
// CNN-NOT: tensor.pad
// CNN: %[[IN:.*]] = linalg.transpose ins(%arg0 : tensor<2x3x16x16xf32>) outs(%{{.*}} : tensor<2x16x16x3xf32>) permutation = [0, 2, 3, 1]
// CNN: %[[STEM:.*]] = effc.conv2d %[[IN]], %{{.*}} bias %{{.*}} {activation = #effc.activation<clamp>, clamp_max = 6.000000e+00 : f32, clamp_min = 0.000000e+00 : f32, padding = array<i64: 1, 1, 1, 1>, strides = array<i64: 2, 2>} : tensor<2x16x16x3xf32>, tensor<8x3x3x3xf32>, tensor<8xf32> -> tensor<2x8x8x8xf32>
// CNN: %[[DW:.*]] = effc.conv2d %[[STEM]], %{{.*}} bias %{{.*}} {activation = #effc.activation<clamp>, clamp_max = 6.000000e+00 : f32, clamp_min = 0.000000e+00 : f32, groups = 8 : i64, padding = array<i64: 1, 1, 1, 1>} : tensor<2x8x8x8xf32>, tensor<8x3x3x1xf32>, tensor<8xf32> -> tensor<2x8x8x8xf32>
// CNN: %[[PW:.*]] = effc.conv2d %[[DW]], %{{.*}} bias %{{.*}} : tensor<2x8x8x8xf32>, tensor<8x1x1x8xf32>, tensor<8xf32> -> tensor<2x8x8x8xf32>
// CNN: %[[RES:.*]] = linalg.generic {{.*}} ins(%[[STEM]], %[[PW]] : tensor<2x8x8x8xf32>, tensor<2x8x8x8xf32>)
// CNN: arith.addf
// CNN: effc.conv2d %[[RES]], %{{.*}} bias %{{.*}} {activation = #effc.activation<relu>, groups = 2 : i64, padding = array<i64: 1, 1, 1, 1>} : tensor<2x8x8x8xf32>, tensor<16x3x3x4xf32>, tensor<16xf32> -> tensor<2x8x8x16xf32>
// CNN-NOT: linalg.transpose
// CNN: effc.linear %{{.*}}, %{{.*}} bias %{{.*}} : tensor<2x16xf32>, tensor<10x16xf32>, tensor<10xf32> -> tensor<2x10xf32>

// MLP-LABEL: func.func @main
// MLP-NOT: linalg.
// MLP: effc.linear %arg0, %{{.*}} bias %{{.*}} {activation = #effc.activation<gelu>} : tensor<4x32xf32>, tensor<64x32xf32>, tensor<64xf32> -> tensor<4x64xf32>
// MLP: effc.linear %{{.*}}, %{{.*}} bias %{{.*}} : tensor<4x64xf32>, tensor<16x64xf32>, tensor<16xf32> -> tensor<4x16xf32>
// MLP-NOT: linalg.

// The TOSA forms: torch-mlir's [1, M, K] x [1, K, N] matmuls become plain
// [N, K] effc.linear ops; what TOSA leaves around them (bias adds, batch
// norm, ReLU6 as clamp, GELU as five ops) is lowered to linalg and folded.
// A grouped convolution, which TOSA splits by slicing the input and the
// weight, becomes one effc.conv2d per group.

// RUN: effc-opt --effc-raise %S/../models/frontend/mlp_gelu.tosa.mlir | FileCheck %s --check-prefix=TOSA-MLP
// RUN: effc-opt --effc-raise %S/../models/frontend/tiny_cnn.tosa.mlir | FileCheck %s --check-prefix=TOSA-CNN

// TOSA-MLP-LABEL: func.func @main
// TOSA-MLP-NOT: tosa.
// TOSA-MLP-NOT: linalg.generic
// TOSA-MLP: effc.linear %{{.*}}, %{{.*}} bias %{{.*}} {activation = #effc.activation<gelu>} : tensor<{{.*}}x32xf32>, tensor<64x32xf32>, tensor<64xf32>
// TOSA-MLP: effc.linear %{{.*}}, %{{.*}} bias %{{.*}} : tensor<{{.*}}x64xf32>, tensor<16x64xf32>, tensor<16xf32>
// TOSA-MLP-NOT: linalg.generic

// TOSA-CNN-LABEL: func.func @main
// TOSA-CNN-NOT: tosa.
// TOSA-CNN: effc.conv2d %{{.*}}, %{{.*}} bias %{{.*}} {activation = #effc.activation<clamp>, clamp_max = 6.000000e+00 : f32, clamp_min = 0.000000e+00 : f32, padding = array<i64: 1, 0, 1, 0>, strides = array<i64: 2, 2>} : tensor<2x16x16x3xf32>, tensor<8x3x3x3xf32>, tensor<8xf32> -> tensor<2x8x8x8xf32>
// TOSA-CNN: effc.conv2d %{{.*}}, %{{.*}} bias %{{.*}} {activation = #effc.activation<clamp>, clamp_max = 6.000000e+00 : f32, clamp_min = 0.000000e+00 : f32, groups = 8 : i64
// TOSA-CNN: effc.linear %{{.*}}, %{{.*}} bias %{{.*}} : tensor<2x8x8x8xf32>, tensor<8x8xf32>, tensor<8xf32> -> tensor<2x8x8x8xf32>
// TOSA-CNN: effc.conv2d {{.*}} tensor<2x8x8x4xf32>, tensor<8x3x3x4xf32>, tensor<8xf32> -> tensor<2x8x8x8xf32>
// TOSA-CNN: effc.conv2d {{.*}} tensor<2x8x8x4xf32>, tensor<8x3x3x4xf32>, tensor<8xf32> -> tensor<2x8x8x8xf32>
// TOSA-CNN: effc.linear %{{.*}}, %{{.*}} bias %{{.*}} : tensor<2x16xf32>, tensor<10x16xf32>, tensor<10xf32> -> tensor<2x10xf32>

// A GPT-2-style block (scaled_dot_product_attention with is_causal=True):
// torch-mlir's causal mask (built from linalg.index comparisons) folds to a
// constant, the unused argmax of the softmax max-reduction and the guard for
// fully masked rows (which a causal mask cannot have) are dropped, keepdim
// reductions become reductions + expand_shape, the [B*H, S, D]
// batch_matmuls 4-D contractions, and the flattening around each linear
// cancels; --effc-rewrite-attention then fuses one
// causal effc.attention and no batch_matmul is left.

// RUN: effc-opt --effc-raise --effc-rewrite-attention %S/../models/frontend/gpt_block.linalg.mlir | FileCheck %s --check-prefix=GPT

// GPT-LABEL: func.func @main
// GPT-NOT: linalg.batch_matmul
// GPT-NOT: linalg.index
// GPT: effc.linear %{{.*}}, %{{.*}} bias %{{.*}} : tensor<1x8x32xf32>, tensor<96x32xf32>, tensor<96xf32> -> tensor<1x8x96xf32>
// GPT: effc.attention %{{.*}}, %{{.*}}, %{{.*}} {mask = #effc.mask<causal>, scale = 2.500000e-01 : f32} : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
// GPT: effc.linear %{{.*}}, %{{.*}} bias %{{.*}} : tensor<1x8x32xf32>, tensor<32x32xf32>, tensor<32xf32> -> tensor<1x8x32xf32>
// GPT: effc.linear %{{.*}}, %{{.*}} bias %{{.*}} {activation = #effc.activation<gelu>} : tensor<1x8x32xf32>, tensor<128x32xf32>, tensor<128xf32> -> tensor<1x8x128xf32>
// GPT: effc.linear %{{.*}}, %{{.*}} bias %{{.*}} : tensor<1x8x128xf32>, tensor<32x128xf32>, tensor<32xf32> -> tensor<1x8x32xf32>
// GPT-NOT: linalg.batch_matmul

// A Llama layer from `transformers` (GQA with 4 query and 2 KV heads,
// repeat_kv, RoPE, RMSNorm, SiLU-gated MLP): the attention fuses with its
// causal mask (given as finfo.min above the diagonal) and reads the 2 KV
// heads directly, the gate projection takes the SiLU.

// RUN: effc-opt --effc-raise --effc-rewrite-attention %S/../models/frontend/llama.linalg.mlir | FileCheck %s --check-prefix=LLAMA

// LLAMA-LABEL: func.func @main
// LLAMA-NOT: linalg.batch_matmul
// LLAMA: effc.attention %{{.*}}, %{{.*}}, %{{.*}} {mask = #effc.mask<causal>, scale = 2.500000e-01 : f32} : tensor<1x4x16x16xf32>, tensor<1x2x16x16xf32>, tensor<1x2x16x16xf32> -> tensor<1x4x16x16xf32>
// LLAMA: effc.linear {{.*}} {activation = #effc.activation<silu>} : tensor<1x16x64xf32>, tensor<128x64xf32> -> tensor<1x16x128xf32>
// LLAMA-NOT: linalg.batch_matmul

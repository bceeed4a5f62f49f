// RUN: effc-opt %s --effc-raise=remarks=1 -split-input-file -o /dev/null 2>&1 | FileCheck %s

// Tests that remarks=1 says why a contraction stayed and counts, per
// function, the linalg ops left.

#id = affine_map<(d0, d1) -> (d0, d1)>

// CHECK: raise-remarks.mlir:{{[0-9]+}}:8: remark: effc-raise: not raised: the right operand is neither a constant nor a function argument (an activation, as in attention: --effc-rewrite-attention fuses attention)
// CHECK: raise-remarks.mlir:{{[0-9]+}}:1: remark: effc-raise: left 1 linalg.fill, 1 linalg.generic, 1 linalg.matmul
// CHECK: raise-remarks.mlir:{{[0-9]+}}:8: remark: effc-raise: not raised: the weight operand has a dynamic shape
// CHECK: raise-remarks.mlir:{{[0-9]+}}:8: remark: effc-raise: not raised: integer tensors (effc raises float compute; quantized models come as QDQ)
func.func @activation_operand(%a: tensor<4x8xf32>, %b: tensor<8x8xf32>) -> tensor<4x8xf32> {
  %e8 = tensor.empty() : tensor<8x8xf32>
  %x = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]} ins(%b : tensor<8x8xf32>) outs(%e8 : tensor<8x8xf32>) {
  ^bb0(%in: f32, %out: f32):
    %v = math.exp %in : f32
    linalg.yield %v : f32
  } -> tensor<8x8xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4x8xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<4x8xf32>) -> tensor<4x8xf32>
  %y = linalg.matmul ins(%a, %x : tensor<4x8xf32>, tensor<8x8xf32>) outs(%f : tensor<4x8xf32>) -> tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}

// -----

// A dynamic batch is raised (raise-dynamic.mlir); a weight whose N is
// dynamic is not.
func.func @dynamic(%a: tensor<?x8xf32>, %w: tensor<8x?xf32>, %init: tensor<?x?xf32>) -> tensor<?x?xf32> {
  %zero = arith.constant 0.0 : f32
  %f = linalg.fill ins(%zero : f32) outs(%init : tensor<?x?xf32>) -> tensor<?x?xf32>
  %y = linalg.matmul ins(%a, %w : tensor<?x8xf32>, tensor<8x?xf32>) outs(%f : tensor<?x?xf32>) -> tensor<?x?xf32>
  return %y : tensor<?x?xf32>
}

// -----

func.func @integer(%a: tensor<4x8xi8>) -> tensor<4x8xi32> {
  %w = arith.constant dense<1> : tensor<8x8xi8>
  %zero = arith.constant 0 : i32
  %e = tensor.empty() : tensor<4x8xi32>
  %f = linalg.fill ins(%zero : i32) outs(%e : tensor<4x8xi32>) -> tensor<4x8xi32>
  %y = linalg.matmul ins(%a, %w : tensor<4x8xi8>, tensor<8x8xi8>) outs(%f : tensor<4x8xi32>) -> tensor<4x8xi32>
  return %y : tensor<4x8xi32>
}

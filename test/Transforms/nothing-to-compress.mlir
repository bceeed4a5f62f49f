// RUN: effc-opt %s --effc-raise --effc-prune --effc-assign-precision="weights=i8" --effc-quantize -o /dev/null 2>&1 | FileCheck %s

// Tests that compressing a module with nothing the passes take is not a
// silent no-op: a matmul whose weight has a dynamic dimension is not raised,
// and
// --effc-prune and --effc-assign-precision each warn that they found no op.

// CHECK: warning: effc-prune: no effc.linear or effc.conv2d to prune (run --effc-raise first; `--effc-raise remarks=1` says why a contraction stays, e.g. a dynamic shape)
// CHECK: warning: effc-assign-precision: no effc.linear or effc.conv2d to plan (run --effc-raise first; `--effc-raise remarks=1` says why a contraction stays, e.g. a dynamic shape)
func.func @main(%x: tensor<?x64xf32>, %w: tensor<64x?xf32>) -> tensor<?x32xf32> {
  %c0 = arith.constant 0 : index
  %d = tensor.dim %x, %c0 : tensor<?x64xf32>
  %e = tensor.empty(%d) : tensor<?x32xf32>
  %z = arith.constant 0.0 : f32
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<?x32xf32>) -> tensor<?x32xf32>
  %y = linalg.matmul ins(%x, %w : tensor<?x64xf32>, tensor<64x?xf32>) outs(%f : tensor<?x32xf32>) -> tensor<?x32xf32>
  return %y : tensor<?x32xf32>
}

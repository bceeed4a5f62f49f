// Tests a model whose host remainder holds a cf.assert inside a loop body,
// as torch-mlir writes an embedding gather (the index bound checks of
// MiniLM's token lookup): the GPU pipeline lowers the host's loops to
// branches before gpu-to-llvm, so the gather stays on the host with a
// remark, the linear runs in a kernel, and the PTX assembles. Before, the
// pipeline failed with "'scf.for' op expects region #0 to have 0 or 1
// blocks".

// REQUIRES: ptxas
// RUN: effc-opt %s --effc-gpu-pipeline="chip=sm_90" 2>%t.err | effc-translate --effc-to-ptx > %t.ptx
// RUN: FileCheck %s --check-prefix=REMARK < %t.err
// RUN: FileCheck %s < %t.ptx
// RUN: %ptxas -arch=sm_90 %t.ptx -o %t.cubin

// REMARK: remark: effc-lower-gpu: 'linalg.generic' runs on the host
// CHECK: .entry linear_f32

func.func @main(%ids: tensor<4xi64>) -> tensor<4x16xf32> {
  %table = arith.constant dense<0.5> : tensor<10x8xf32>
  %e = tensor.empty() : tensor<4x8xf32>
  %g = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%ids : tensor<4xi64>) outs(%e : tensor<4x8xf32>) {
  ^bb0(%id: i64, %o: f32):
    %i = arith.index_cast %id : i64 to index
    %c10 = arith.constant 10 : index
    %ok = arith.cmpi slt, %i, %c10 : index
    cf.assert %ok, "index must be smaller than dim size"
    %j = linalg.index 1 : index
    %v = tensor.extract %table[%i, %j] : tensor<10x8xf32>
    linalg.yield %v : f32
  } -> tensor<4x8xf32>
  %w = arith.constant dense<0.25> : tensor<8x16xf32>
  %z = arith.constant 0.0 : f32
  %e2 = tensor.empty() : tensor<4x16xf32>
  %f = linalg.fill ins(%z : f32) outs(%e2 : tensor<4x16xf32>) -> tensor<4x16xf32>
  %y = linalg.matmul ins(%g, %w : tensor<4x8xf32>, tensor<8x16xf32>) outs(%f : tensor<4x16xf32>) -> tensor<4x16xf32>
  return %y : tensor<4x16xf32>
}

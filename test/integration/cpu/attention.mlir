// Tests that attention as frontends emit it (Q x K^T through linalg.transpose
// and linalg.batch_matmul over [B*H, S, D] = [4, 64, 32], a scale generic,
// a decomposed softmax, x V) matches NumPy with and without
// --pipeline effc-raise, and that the raised path agrees with the reference
// lowering (--compare-to-reference).

// REQUIRES: numpy

// RUN: rm -rf %t && %python %S/generators/gen.py attention %t
// RUN: effc-run %s --entry attention --input %t/q.npy,%t/k.npy,%t/v.npy --output %t/attention.npy
// RUN: %python %S/generators/compare.py %t/attention.npy %t/attention.expected.npy | FileCheck %s
// RUN: effc-run %s --entry attention --input %t/q.npy,%t/k.npy,%t/v.npy --output %t/attention.npy --pipeline effc-raise --compare-to-reference | FileCheck %s --check-prefix=REF
// RUN: %python %S/generators/compare.py %t/attention.npy %t/attention.expected.npy | FileCheck %s

// CHECK: PASS attention shape=(4, 64, 32)
// REF: effc-run: output 0 max_abs_err={{[0-9.e+-]+}} sqnr_db={{inf|[1-9][0-9][0-9]+(\.[0-9]*)?}}{{$}}

#id = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
#row = affine_map<(d0, d1, d2) -> (d0, d1)>

func.func @attention(%q: tensor<4x64x32xf32>, %k: tensor<4x64x32xf32>,
                     %v: tensor<4x64x32xf32>) -> tensor<4x64x32xf32> {
  %zero = arith.constant 0.0 : f32
  %ninf = arith.constant 0xFF800000 : f32
  %scale = arith.constant 0.176776695 : f32
  // K^T: [4, 32, 64]
  %kte = tensor.empty() : tensor<4x32x64xf32>
  %kt = linalg.transpose ins(%k : tensor<4x64x32xf32>) outs(%kte : tensor<4x32x64xf32>) permutation = [0, 2, 1]
  %se = tensor.empty() : tensor<4x64x64xf32>
  %sinit = linalg.fill ins(%zero : f32) outs(%se : tensor<4x64x64xf32>) -> tensor<4x64x64xf32>
  %s = linalg.batch_matmul ins(%q, %kt : tensor<4x64x32xf32>, tensor<4x32x64xf32>)
                           outs(%sinit : tensor<4x64x64xf32>) -> tensor<4x64x64xf32>
  %scaled = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%s : tensor<4x64x64xf32>) outs(%se : tensor<4x64x64xf32>) {
  ^bb0(%a: f32, %o: f32):
    %m = arith.mulf %a, %scale : f32
    linalg.yield %m : f32
  } -> tensor<4x64x64xf32>
  // Softmax over the key dim, decomposed as torch-mlir emits it.
  %re = tensor.empty() : tensor<4x64xf32>
  %minit = linalg.fill ins(%ninf : f32) outs(%re : tensor<4x64xf32>) -> tensor<4x64xf32>
  %max = linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%scaled : tensor<4x64x64xf32>) outs(%minit : tensor<4x64xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %m = arith.maximumf %a, %acc : f32
    linalg.yield %m : f32
  } -> tensor<4x64xf32>
  %exp = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%scaled, %max : tensor<4x64x64xf32>, tensor<4x64xf32>) outs(%se : tensor<4x64x64xf32>) {
  ^bb0(%a: f32, %m: f32, %o: f32):
    %d = arith.subf %a, %m : f32
    %ex = math.exp %d : f32
    linalg.yield %ex : f32
  } -> tensor<4x64x64xf32>
  %zinit = linalg.fill ins(%zero : f32) outs(%re : tensor<4x64xf32>) -> tensor<4x64xf32>
  %sum = linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%exp : tensor<4x64x64xf32>) outs(%zinit : tensor<4x64xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %t = arith.addf %a, %acc : f32
    linalg.yield %t : f32
  } -> tensor<4x64xf32>
  %p = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%exp, %sum : tensor<4x64x64xf32>, tensor<4x64xf32>) outs(%se : tensor<4x64x64xf32>) {
  ^bb0(%a: f32, %t: f32, %o: f32):
    %d = arith.divf %a, %t : f32
    linalg.yield %d : f32
  } -> tensor<4x64x64xf32>
  %oe = tensor.empty() : tensor<4x64x32xf32>
  %oinit = linalg.fill ins(%zero : f32) outs(%oe : tensor<4x64x32xf32>) -> tensor<4x64x32xf32>
  %out = linalg.batch_matmul ins(%p, %v : tensor<4x64x64xf32>, tensor<4x64x32xf32>)
                             outs(%oinit : tensor<4x64x32xf32>) -> tensor<4x64x32xf32>
  return %out : tensor<4x64x32xf32>
}

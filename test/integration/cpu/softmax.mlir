// Tests that softmax over the last dim of an 8x100 input, written both as
// linalg.softmax and decomposed the way torch-mlir emits aten._softmax
// (reduce-max generic, sub + exp, reduce-sum generic, div), matches NumPy,
// with and without --pipeline effc-raise.

// REQUIRES: numpy

// RUN: rm -rf %t && %python %S/generators/gen.py softmax %t
// RUN: effc-run %s --entry softmax --input %t/x.npy --output %t/softmax.npy
// RUN: effc-run %s --entry softmax_decomposed --input %t/x.npy --output %t/softmax_decomposed.npy
// RUN: %python %S/generators/compare.py %t/softmax.npy %t/softmax.expected.npy %t/softmax_decomposed.npy %t/softmax_decomposed.expected.npy | FileCheck %s
// RUN: effc-run %s --entry softmax --input %t/x.npy --output %t/softmax.npy --pipeline effc-raise
// RUN: effc-run %s --entry softmax_decomposed --input %t/x.npy --output %t/softmax_decomposed.npy --pipeline effc-raise
// RUN: %python %S/generators/compare.py %t/softmax.npy %t/softmax.expected.npy %t/softmax_decomposed.npy %t/softmax_decomposed.expected.npy | FileCheck %s

// CHECK: PASS softmax shape=(8, 100)
// CHECK: PASS softmax_decomposed shape=(8, 100)

#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>

func.func @softmax(%x: tensor<8x100xf32>) -> tensor<8x100xf32> {
  %e = tensor.empty() : tensor<8x100xf32>
  %r = linalg.softmax dimension(1) ins(%x : tensor<8x100xf32>)
                                   outs(%e : tensor<8x100xf32>) -> tensor<8x100xf32>
  return %r : tensor<8x100xf32>
}

func.func @softmax_decomposed(%x: tensor<8x100xf32>) -> tensor<8x100xf32> {
  %ninf = arith.constant 0xFF800000 : f32
  %zero = arith.constant 0.0 : f32
  %re = tensor.empty() : tensor<8xf32>
  %minit = linalg.fill ins(%ninf : f32) outs(%re : tensor<8xf32>) -> tensor<8xf32>
  %max = linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "reduction"]}
      ins(%x : tensor<8x100xf32>) outs(%minit : tensor<8xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %m = arith.maximumf %a, %acc : f32
    linalg.yield %m : f32
  } -> tensor<8xf32>
  %e = tensor.empty() : tensor<8x100xf32>
  %exp = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x, %max : tensor<8x100xf32>, tensor<8xf32>) outs(%e : tensor<8x100xf32>) {
  ^bb0(%a: f32, %m: f32, %o: f32):
    %s = arith.subf %a, %m : f32
    %ex = math.exp %s : f32
    linalg.yield %ex : f32
  } -> tensor<8x100xf32>
  %sinit = linalg.fill ins(%zero : f32) outs(%re : tensor<8xf32>) -> tensor<8xf32>
  %sum = linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "reduction"]}
      ins(%exp : tensor<8x100xf32>) outs(%sinit : tensor<8xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %s = arith.addf %a, %acc : f32
    linalg.yield %s : f32
  } -> tensor<8xf32>
  %div = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]}
      ins(%exp, %sum : tensor<8x100xf32>, tensor<8xf32>) outs(%e : tensor<8x100xf32>) {
  ^bb0(%a: f32, %s: f32, %o: f32):
    %d = arith.divf %a, %s : f32
    linalg.yield %d : f32
  } -> tensor<8x100xf32>
  return %div : tensor<8x100xf32>
}

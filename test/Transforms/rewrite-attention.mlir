// RUN: effc-opt %s --effc-rewrite-attention -split-input-file | FileCheck %s
// RUN: rm -rf %t && split-file %s %t
// RUN: effc-opt %t/variants.mlir --effc-rewrite-attention="variant=causal" -split-input-file | FileCheck %s --check-prefix=CAUSAL
// RUN: effc-opt %t/variants.mlir --effc-rewrite-attention="variant=window window=16" -split-input-file | FileCheck %s --check-prefix=WINDOW
// RUN: effc-opt %t/torch-mlir-padding.mlir --effc-raise --effc-rewrite-attention | FileCheck %s --check-prefix=TORCH

// The variant runs see only the cases after `//--- variants.mlir` near the
// end (split-file): variant=causal/window on a recognized explicit mask is
// an error, tested in rewrite-attention-errors.mlir. The TORCH run sees the
// last case, torch-mlir's form, through --effc-raise first.

#id3 = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
#row3 = affine_map<(d0, d1, d2) -> (d0, d1)>

// Tests that [B*H, S, D] attention as torch-mlir emits it (K^T through
// linalg.transpose, batch_matmul, a scale generic, a decomposed softmax,
// batch_matmul with V) becomes one 3-D effc.attention with that scale.

// CHECK-LABEL: func.func @bmm_transpose_decomposed
// CHECK-SAME: (%[[Q:.+]]: tensor<4x16x8xf32>, %[[K:.+]]: tensor<4x16x8xf32>, %[[V:.+]]: tensor<4x16x8xf32>)
// CHECK: %[[O:.+]] = effc.attention %[[Q]], %[[K]], %[[V]] {scale = 0.353553385 : f32} : tensor<4x16x8xf32>, tensor<4x16x8xf32>, tensor<4x16x8xf32> -> tensor<4x16x8xf32>
// CHECK-NOT: linalg.
// CHECK: return %[[O]]
func.func @bmm_transpose_decomposed(%q: tensor<4x16x8xf32>, %k: tensor<4x16x8xf32>,
                                    %v: tensor<4x16x8xf32>) -> tensor<4x16x8xf32> {
  %zero = arith.constant 0.0 : f32
  %ninf = arith.constant 0xFF800000 : f32
  %scale = arith.constant 0.353553385 : f32
  %kte = tensor.empty() : tensor<4x8x16xf32>
  %kt = linalg.transpose ins(%k : tensor<4x16x8xf32>) outs(%kte : tensor<4x8x16xf32>) permutation = [0, 2, 1]
  %se = tensor.empty() : tensor<4x16x16xf32>
  %sinit = linalg.fill ins(%zero : f32) outs(%se : tensor<4x16x16xf32>) -> tensor<4x16x16xf32>
  %s = linalg.batch_matmul ins(%q, %kt : tensor<4x16x8xf32>, tensor<4x8x16xf32>)
                           outs(%sinit : tensor<4x16x16xf32>) -> tensor<4x16x16xf32>
  %scaled = linalg.generic {indexing_maps = [#id3, #id3], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%s : tensor<4x16x16xf32>) outs(%se : tensor<4x16x16xf32>) {
  ^bb0(%a: f32, %o: f32):
    %m = arith.mulf %a, %scale : f32
    linalg.yield %m : f32
  } -> tensor<4x16x16xf32>
  %re = tensor.empty() : tensor<4x16xf32>
  %minit = linalg.fill ins(%ninf : f32) outs(%re : tensor<4x16xf32>) -> tensor<4x16xf32>
  %max = linalg.generic {indexing_maps = [#id3, #row3], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%scaled : tensor<4x16x16xf32>) outs(%minit : tensor<4x16xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %m = arith.maximumf %a, %acc : f32
    linalg.yield %m : f32
  } -> tensor<4x16xf32>
  %exp = linalg.generic {indexing_maps = [#id3, #row3, #id3], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%scaled, %max : tensor<4x16x16xf32>, tensor<4x16xf32>) outs(%se : tensor<4x16x16xf32>) {
  ^bb0(%a: f32, %m: f32, %o: f32):
    %d = arith.subf %a, %m : f32
    %e = math.exp %d : f32
    linalg.yield %e : f32
  } -> tensor<4x16x16xf32>
  %zinit = linalg.fill ins(%zero : f32) outs(%re : tensor<4x16xf32>) -> tensor<4x16xf32>
  %sum = linalg.generic {indexing_maps = [#id3, #row3], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%exp : tensor<4x16x16xf32>) outs(%zinit : tensor<4x16xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %t = arith.addf %a, %acc : f32
    linalg.yield %t : f32
  } -> tensor<4x16xf32>
  %p = linalg.generic {indexing_maps = [#id3, #row3, #id3], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%exp, %sum : tensor<4x16x16xf32>, tensor<4x16xf32>) outs(%se : tensor<4x16x16xf32>) {
  ^bb0(%a: f32, %t: f32, %o: f32):
    %d = arith.divf %a, %t : f32
    linalg.yield %d : f32
  } -> tensor<4x16x16xf32>
  %oe = tensor.empty() : tensor<4x16x8xf32>
  %oinit = linalg.fill ins(%zero : f32) outs(%oe : tensor<4x16x8xf32>) -> tensor<4x16x8xf32>
  %out = linalg.batch_matmul ins(%p, %v : tensor<4x16x16xf32>, tensor<4x16x8xf32>)
                             outs(%oinit : tensor<4x16x8xf32>) -> tensor<4x16x8xf32>
  return %out : tensor<4x16x8xf32>
}

// -----

// Tests that the 2-D form with K^T read through transposed indexing maps,
// a division by a constant and linalg.softmax becomes a 2-D effc.attention
// with scale 1/8.

// CHECK-LABEL: func.func @matmul_maps_div_softmax
// CHECK-SAME: (%[[Q:.+]]: tensor<16x64xf32>, %[[K:.+]]: tensor<32x64xf32>, %[[V:.+]]: tensor<32x48xf32>)
// CHECK: %[[O:.+]] = effc.attention %[[Q]], %[[K]], %[[V]] {scale = 1.250000e-01 : f32} : tensor<16x64xf32>, tensor<32x64xf32>, tensor<32x48xf32> -> tensor<16x48xf32>
// CHECK-NOT: linalg.
// CHECK: return %[[O]]
func.func @matmul_maps_div_softmax(%q: tensor<16x64xf32>, %k: tensor<32x64xf32>,
                                   %v: tensor<32x48xf32>) -> tensor<16x48xf32> {
  %zero = arith.constant 0.0 : f32
  %eight = arith.constant 8.0 : f32
  %se = tensor.empty() : tensor<16x32xf32>
  %sinit = linalg.fill ins(%zero : f32) outs(%se : tensor<16x32xf32>) -> tensor<16x32xf32>
  %s = linalg.matmul indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d2)>,
                                      affine_map<(d0, d1, d2) -> (d1, d2)>,
                                      affine_map<(d0, d1, d2) -> (d0, d1)>]
      ins(%q, %k : tensor<16x64xf32>, tensor<32x64xf32>)
      outs(%sinit : tensor<16x32xf32>) -> tensor<16x32xf32>
  %scaled = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>],
                            iterator_types = ["parallel", "parallel"]}
      ins(%s : tensor<16x32xf32>) outs(%se : tensor<16x32xf32>) {
  ^bb0(%a: f32, %o: f32):
    %d = arith.divf %a, %eight : f32
    linalg.yield %d : f32
  } -> tensor<16x32xf32>
  %p = linalg.softmax dimension(1) ins(%scaled : tensor<16x32xf32>)
                                    outs(%se : tensor<16x32xf32>) -> tensor<16x32xf32>
  %oe = tensor.empty() : tensor<16x48xf32>
  %oinit = linalg.fill ins(%zero : f32) outs(%oe : tensor<16x48xf32>) -> tensor<16x48xf32>
  %out = linalg.matmul ins(%p, %v : tensor<16x32xf32>, tensor<32x48xf32>)
                       outs(%oinit : tensor<16x48xf32>) -> tensor<16x48xf32>
  return %out : tensor<16x48xf32>
}

// -----

#q4 = affine_map<(b, h, i, j, d) -> (b, h, i, d)>
#kt4 = affine_map<(b, h, i, j, d) -> (b, h, d, j)>
#s4 = affine_map<(b, h, i, j, d) -> (b, h, i, j)>
#id4 = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#row4 = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>
#p4 = affine_map<(b, h, i, e, j) -> (b, h, i, j)>
#v4 = affine_map<(b, h, i, e, j) -> (b, h, j, e)>
#o4 = affine_map<(b, h, i, e, j) -> (b, h, i, e)>

// Tests that the 4-D [B, H, S, D] form with generic contractions (K^T as a
// transposing generic), the scale applied to Q before the matmul, softmax
// as reduce-max, subtract, exp, reduce-sum and a multiply by the
// reciprocal, becomes a 4-D effc.attention.

// CHECK-LABEL: func.func @generic4d_scaled_query
// CHECK-SAME: (%[[Q:.+]]: tensor<2x3x8x16xf32>, %[[K:.+]]: tensor<2x3x8x16xf32>, %[[V:.+]]: tensor<2x3x8x16xf32>)
// CHECK: %[[O:.+]] = effc.attention %[[Q]], %[[K]], %[[V]] {scale = 2.500000e-01 : f32} : tensor<2x3x8x16xf32>, tensor<2x3x8x16xf32>, tensor<2x3x8x16xf32> -> tensor<2x3x8x16xf32>
// CHECK-NOT: linalg.
// CHECK: return %[[O]]
func.func @generic4d_scaled_query(%q: tensor<2x3x8x16xf32>, %k: tensor<2x3x8x16xf32>,
                                  %v: tensor<2x3x8x16xf32>) -> tensor<2x3x8x16xf32> {
  %zero = arith.constant 0.0 : f32
  %one = arith.constant 1.0 : f32
  %ninf = arith.constant -3.40282347E+38 : f32
  %qe = tensor.empty() : tensor<2x3x8x16xf32>
  %qs = linalg.generic {indexing_maps = [#id4, #id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%q : tensor<2x3x8x16xf32>) outs(%qe : tensor<2x3x8x16xf32>) {
  ^bb0(%a: f32, %o: f32):
    %c = arith.constant 2.500000e-01 : f32
    %m = arith.mulf %c, %a : f32
    linalg.yield %m : f32
  } -> tensor<2x3x8x16xf32>
  %kte = tensor.empty() : tensor<2x3x16x8xf32>
  %kt = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d3, d2)>, #id4],
                        iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%k : tensor<2x3x8x16xf32>) outs(%kte : tensor<2x3x16x8xf32>) {
  ^bb0(%a: f32, %o: f32):
    linalg.yield %a : f32
  } -> tensor<2x3x16x8xf32>
  %se = tensor.empty() : tensor<2x3x8x8xf32>
  %sinit = linalg.fill ins(%zero : f32) outs(%se : tensor<2x3x8x8xf32>) -> tensor<2x3x8x8xf32>
  %s = linalg.generic {indexing_maps = [#q4, #kt4, #s4],
                       iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]}
      ins(%qs, %kt : tensor<2x3x8x16xf32>, tensor<2x3x16x8xf32>) outs(%sinit : tensor<2x3x8x8xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %t = arith.addf %acc, %m : f32
    linalg.yield %t : f32
  } -> tensor<2x3x8x8xf32>
  %re = tensor.empty() : tensor<2x3x8xf32>
  %minit = linalg.fill ins(%ninf : f32) outs(%re : tensor<2x3x8xf32>) -> tensor<2x3x8xf32>
  %max = linalg.generic {indexing_maps = [#id4, #row4], iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
      ins(%s : tensor<2x3x8x8xf32>) outs(%minit : tensor<2x3x8xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %m = arith.maxnumf %acc, %a : f32
    linalg.yield %m : f32
  } -> tensor<2x3x8xf32>
  %sub = linalg.generic {indexing_maps = [#id4, #row4, #id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%s, %max : tensor<2x3x8x8xf32>, tensor<2x3x8xf32>) outs(%se : tensor<2x3x8x8xf32>) {
  ^bb0(%a: f32, %m: f32, %o: f32):
    %d = arith.subf %a, %m : f32
    linalg.yield %d : f32
  } -> tensor<2x3x8x8xf32>
  %exp = linalg.generic {indexing_maps = [#id4, #id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%sub : tensor<2x3x8x8xf32>) outs(%se : tensor<2x3x8x8xf32>) {
  ^bb0(%a: f32, %o: f32):
    %e = math.exp %a : f32
    linalg.yield %e : f32
  } -> tensor<2x3x8x8xf32>
  %zinit = linalg.fill ins(%zero : f32) outs(%re : tensor<2x3x8xf32>) -> tensor<2x3x8xf32>
  %sum = linalg.generic {indexing_maps = [#id4, #row4], iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
      ins(%exp : tensor<2x3x8x8xf32>) outs(%zinit : tensor<2x3x8xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %t = arith.addf %a, %acc : f32
    linalg.yield %t : f32
  } -> tensor<2x3x8xf32>
  %p = linalg.generic {indexing_maps = [#id4, #row4, #id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%exp, %sum : tensor<2x3x8x8xf32>, tensor<2x3x8xf32>) outs(%se : tensor<2x3x8x8xf32>) {
  ^bb0(%a: f32, %t: f32, %o: f32):
    %r = arith.divf %one, %t : f32
    %d = arith.mulf %a, %r : f32
    linalg.yield %d : f32
  } -> tensor<2x3x8x8xf32>
  %oe = tensor.empty() : tensor<2x3x8x16xf32>
  %oinit = linalg.fill ins(%zero : f32) outs(%oe : tensor<2x3x8x16xf32>) -> tensor<2x3x8x16xf32>
  %out = linalg.generic {indexing_maps = [#p4, #v4, #o4],
                         iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]}
      ins(%p, %v : tensor<2x3x8x8xf32>, tensor<2x3x8x16xf32>) outs(%oinit : tensor<2x3x8x16xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %t = arith.addf %acc, %m : f32
    linalg.yield %t : f32
  } -> tensor<2x3x8x16xf32>
  return %out : tensor<2x3x8x16xf32>
}

// -----

// Tests that named elementwise ops (linalg.mul by a splat constant, the
// softmax as linalg.reduce / linalg.broadcast / linalg.sub / linalg.exp /
// linalg.div) and batch_matmul with transposed-B maps are recognized.

// CHECK-LABEL: func.func @named_ops
// CHECK-SAME: (%[[Q:.+]]: tensor<2x8x4xf32>, %[[K:.+]]: tensor<2x8x4xf32>, %[[V:.+]]: tensor<2x8x4xf32>)
// CHECK: %[[O:.+]] = effc.attention %[[Q]], %[[K]], %[[V]] {scale = 5.000000e-01 : f32}
// CHECK-NOT: linalg.
// CHECK: return %[[O]]
func.func @named_ops(%q: tensor<2x8x4xf32>, %k: tensor<2x8x4xf32>,
                     %v: tensor<2x8x4xf32>) -> tensor<2x8x4xf32> {
  %zero = arith.constant 0.0 : f32
  %ninf = arith.constant 0xFF800000 : f32
  %half = arith.constant dense<0.5> : tensor<2x8x8xf32>
  %se = tensor.empty() : tensor<2x8x8xf32>
  %sinit = linalg.fill ins(%zero : f32) outs(%se : tensor<2x8x8xf32>) -> tensor<2x8x8xf32>
  %s = linalg.batch_matmul indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d3)>,
                                            affine_map<(d0, d1, d2, d3) -> (d0, d2, d3)>,
                                            affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>]
      ins(%q, %k : tensor<2x8x4xf32>, tensor<2x8x4xf32>)
      outs(%sinit : tensor<2x8x8xf32>) -> tensor<2x8x8xf32>
  %scaled = linalg.mul ins(%s, %half : tensor<2x8x8xf32>, tensor<2x8x8xf32>)
                       outs(%se : tensor<2x8x8xf32>) -> tensor<2x8x8xf32>
  %re = tensor.empty() : tensor<2x8xf32>
  %minit = linalg.fill ins(%ninf : f32) outs(%re : tensor<2x8xf32>) -> tensor<2x8xf32>
  %max = linalg.reduce ins(%scaled : tensor<2x8x8xf32>) outs(%minit : tensor<2x8xf32>) dimensions = [2]
    (%in: f32, %acc: f32) {
      %m = arith.maximumf %in, %acc : f32
      linalg.yield %m : f32
    }
  %maxb = linalg.broadcast ins(%max : tensor<2x8xf32>) outs(%se : tensor<2x8x8xf32>) dimensions = [2]
  %sub = linalg.sub ins(%scaled, %maxb : tensor<2x8x8xf32>, tensor<2x8x8xf32>)
                    outs(%se : tensor<2x8x8xf32>) -> tensor<2x8x8xf32>
  %exp = linalg.exp ins(%sub : tensor<2x8x8xf32>) outs(%se : tensor<2x8x8xf32>) -> tensor<2x8x8xf32>
  %zinit = linalg.fill ins(%zero : f32) outs(%re : tensor<2x8xf32>) -> tensor<2x8xf32>
  %sum = linalg.reduce ins(%exp : tensor<2x8x8xf32>) outs(%zinit : tensor<2x8xf32>) dimensions = [2]
    (%in: f32, %acc: f32) {
      %t = arith.addf %in, %acc : f32
      linalg.yield %t : f32
    }
  %sumb = linalg.broadcast ins(%sum : tensor<2x8xf32>) outs(%se : tensor<2x8x8xf32>) dimensions = [2]
  %p = linalg.div ins(%exp, %sumb : tensor<2x8x8xf32>, tensor<2x8x8xf32>)
                  outs(%se : tensor<2x8x8xf32>) -> tensor<2x8x8xf32>
  %oe = tensor.empty() : tensor<2x8x4xf32>
  %oinit = linalg.fill ins(%zero : f32) outs(%oe : tensor<2x8x4xf32>) -> tensor<2x8x4xf32>
  %out = linalg.batch_matmul ins(%p, %v : tensor<2x8x8xf32>, tensor<2x8x4xf32>)
                             outs(%oinit : tensor<2x8x4xf32>) -> tensor<2x8x4xf32>
  return %out : tensor<2x8x4xf32>
}

// -----

#id2 = affine_map<(d0, d1) -> (d0, d1)>

// Tests that a constant lower-triangular 0 / -inf mask added after the
// scale becomes mask = causal (and no mask operand), here with Q and K^T
// as plain operands and no transpose.

// CHECK-LABEL: func.func @causal_constant_mask
// CHECK-SAME: (%[[Q:.+]]: tensor<4x8xf32>, %[[KT:.+]]: tensor<8x4xf32>, %[[V:.+]]: tensor<4x8xf32>)
// CHECK: %[[E:.+]] = tensor.empty() : tensor<4x8xf32>
// CHECK: %[[K:.+]] = linalg.transpose ins(%[[KT]] : tensor<8x4xf32>) outs(%[[E]] : tensor<4x8xf32>) permutation = [1, 0]
// CHECK: %[[O:.+]] = effc.attention %[[Q]], %[[K]], %[[V]] {mask = #effc.mask<causal>, scale = 0.353553385 : f32} : tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32> -> tensor<4x8xf32>
// CHECK-NOT: linalg.softmax
// CHECK: return %[[O]]
func.func @causal_constant_mask(%q: tensor<4x8xf32>, %kt: tensor<8x4xf32>,
                                %v: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %zero = arith.constant 0.0 : f32
  %scale = arith.constant 0.353553385 : f32
  %mask = arith.constant dense<[[0.0, 0xFF800000, 0xFF800000, 0xFF800000],
                                [0.0, 0.0, 0xFF800000, 0xFF800000],
                                [0.0, 0.0, 0.0, 0xFF800000],
                                [0.0, 0.0, 0.0, 0.0]]> : tensor<4x4xf32>
  %se = tensor.empty() : tensor<4x4xf32>
  %sinit = linalg.fill ins(%zero : f32) outs(%se : tensor<4x4xf32>) -> tensor<4x4xf32>
  %s = linalg.matmul ins(%q, %kt : tensor<4x8xf32>, tensor<8x4xf32>)
                     outs(%sinit : tensor<4x4xf32>) -> tensor<4x4xf32>
  %scaled = linalg.generic {indexing_maps = [#id2, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%s : tensor<4x4xf32>) outs(%se : tensor<4x4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %m = arith.mulf %a, %scale : f32
    linalg.yield %m : f32
  } -> tensor<4x4xf32>
  %masked = linalg.generic {indexing_maps = [#id2, #id2, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%mask, %scaled : tensor<4x4xf32>, tensor<4x4xf32>) outs(%se : tensor<4x4xf32>) {
  ^bb0(%m: f32, %a: f32, %o: f32):
    %t = arith.addf %m, %a : f32
    linalg.yield %t : f32
  } -> tensor<4x4xf32>
  %p = linalg.softmax dimension(1) ins(%masked : tensor<4x4xf32>)
                                    outs(%se : tensor<4x4xf32>) -> tensor<4x4xf32>
  %oe = tensor.empty() : tensor<4x8xf32>
  %oinit = linalg.fill ins(%zero : f32) outs(%oe : tensor<4x8xf32>) -> tensor<4x8xf32>
  %out = linalg.matmul ins(%p, %v : tensor<4x4xf32>, tensor<4x8xf32>)
                       outs(%oinit : tensor<4x8xf32>) -> tensor<4x8xf32>
  return %out : tensor<4x8xf32>
}

// -----

#id3 = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
#mask3 = affine_map<(d0, d1, d2) -> (d1, d2)>

// Tests that a mask that is a function argument, broadcast over heads and
// added in the same generic as the scale (x * c + m), becomes an explicit
// mask operand.

// CHECK-LABEL: func.func @explicit_arg_mask
// CHECK-SAME: (%[[Q:.+]]: tensor<2x4x8xf32>, %[[K:.+]]: tensor<2x6x8xf32>, %[[V:.+]]: tensor<2x6x8xf32>, %[[M:.+]]: tensor<4x6xf32>)
// CHECK: %[[O:.+]] = effc.attention %[[Q]], %[[K]], %[[V]] mask(%[[M]] : tensor<4x6xf32>) {mask = #effc.mask<explicit>, scale = 0.353553385 : f32} : tensor<2x4x8xf32>, tensor<2x6x8xf32>, tensor<2x6x8xf32> -> tensor<2x4x8xf32>
// CHECK: return %[[O]]
func.func @explicit_arg_mask(%q: tensor<2x4x8xf32>, %k: tensor<2x6x8xf32>,
                             %v: tensor<2x6x8xf32>, %mask: tensor<4x6xf32>) -> tensor<2x4x8xf32> {
  %zero = arith.constant 0.0 : f32
  %scale = arith.constant 0.353553385 : f32
  %kte = tensor.empty() : tensor<2x8x6xf32>
  %kt = linalg.transpose ins(%k : tensor<2x6x8xf32>) outs(%kte : tensor<2x8x6xf32>) permutation = [0, 2, 1]
  %se = tensor.empty() : tensor<2x4x6xf32>
  %sinit = linalg.fill ins(%zero : f32) outs(%se : tensor<2x4x6xf32>) -> tensor<2x4x6xf32>
  %s = linalg.batch_matmul ins(%q, %kt : tensor<2x4x8xf32>, tensor<2x8x6xf32>)
                           outs(%sinit : tensor<2x4x6xf32>) -> tensor<2x4x6xf32>
  %masked = linalg.generic {indexing_maps = [#id3, #mask3, #id3], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%s, %mask : tensor<2x4x6xf32>, tensor<4x6xf32>) outs(%se : tensor<2x4x6xf32>) {
  ^bb0(%a: f32, %m: f32, %o: f32):
    %x = arith.mulf %a, %scale : f32
    %t = arith.addf %x, %m : f32
    linalg.yield %t : f32
  } -> tensor<2x4x6xf32>
  %p = linalg.softmax dimension(2) ins(%masked : tensor<2x4x6xf32>)
                                    outs(%se : tensor<2x4x6xf32>) -> tensor<2x4x6xf32>
  %oe = tensor.empty() : tensor<2x4x8xf32>
  %oinit = linalg.fill ins(%zero : f32) outs(%oe : tensor<2x4x8xf32>) -> tensor<2x4x8xf32>
  %out = linalg.batch_matmul ins(%p, %v : tensor<2x4x6xf32>, tensor<2x6x8xf32>)
                             outs(%oinit : tensor<2x4x8xf32>) -> tensor<2x4x8xf32>
  return %out : tensor<2x4x8xf32>
}

// -----

#id3 = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
#mask3 = affine_map<(d0, d1, d2) -> (0, d1, d2)>

// Tests that a constant mask that is not causal (here the causal mask
// aligned to the start while Skv > Sq) becomes an explicit mask operand,
// and that a mask read with a broadcast (size-1) leading dim is accepted.

// CHECK-LABEL: func.func @explicit_constant_mask
// CHECK: %[[M:.+]] = arith.constant dense<{{.*}}> : tensor<1x2x3xf32>
// CHECK: effc.attention %{{.+}}, %{{.+}}, %{{.+}} mask(%[[M]] : tensor<1x2x3xf32>) {mask = #effc.mask<explicit>, scale = 1.000000e+00 : f32}
func.func @explicit_constant_mask(%q: tensor<2x2x4xf32>, %k: tensor<2x3x4xf32>,
                                  %v: tensor<2x3x4xf32>) -> tensor<2x2x4xf32> {
  %zero = arith.constant 0.0 : f32
  %mask = arith.constant dense<[[[0.0, 0xFF800000, 0xFF800000],
                                 [0.0, 0.0, 0xFF800000]]]> : tensor<1x2x3xf32>
  %se = tensor.empty() : tensor<2x2x3xf32>
  %sinit = linalg.fill ins(%zero : f32) outs(%se : tensor<2x2x3xf32>) -> tensor<2x2x3xf32>
  %s = linalg.batch_matmul indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d3)>,
                                            affine_map<(d0, d1, d2, d3) -> (d0, d2, d3)>,
                                            affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>]
      ins(%q, %k : tensor<2x2x4xf32>, tensor<2x3x4xf32>)
      outs(%sinit : tensor<2x2x3xf32>) -> tensor<2x2x3xf32>
  %masked = linalg.generic {indexing_maps = [#id3, #mask3, #id3], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%s, %mask : tensor<2x2x3xf32>, tensor<1x2x3xf32>) outs(%se : tensor<2x2x3xf32>) {
  ^bb0(%a: f32, %m: f32, %o: f32):
    %t = arith.addf %a, %m : f32
    linalg.yield %t : f32
  } -> tensor<2x2x3xf32>
  %p = linalg.softmax dimension(2) ins(%masked : tensor<2x2x3xf32>)
                                    outs(%se : tensor<2x2x3xf32>) -> tensor<2x2x3xf32>
  %oe = tensor.empty() : tensor<2x2x4xf32>
  %oinit = linalg.fill ins(%zero : f32) outs(%oe : tensor<2x2x4xf32>) -> tensor<2x2x4xf32>
  %out = linalg.batch_matmul ins(%p, %v : tensor<2x2x3xf32>, tensor<2x3x4xf32>)
                             outs(%oinit : tensor<2x2x4xf32>) -> tensor<2x2x4xf32>
  return %out : tensor<2x2x4xf32>
}

// -----

#q4 = affine_map<(b, h, i, j, d) -> (b, h, i, d)>
#k4 = affine_map<(b, h, i, j, d) -> (b, h, j, d)>
#s4 = affine_map<(b, h, i, j, d) -> (b, h, i, j)>
#id4 = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#m4 = affine_map<(d0, d1, d2, d3) -> (d0, 0, d2, d3)>

// Tests that a 4-D padding mask [B, 1, Sq, Skv] (a function argument read
// with a broadcast head dim) becomes the explicit mask operand, that a
// constant shift of the scores is dropped (softmax is shift-invariant),
// and that Q x K^T may read K without a transpose.

// CHECK-LABEL: func.func @mask4d_shift
// CHECK-SAME: (%[[Q:.+]]: tensor<2x2x4x8xf32>, %[[K:.+]]: tensor<2x2x6x8xf32>, %[[V:.+]]: tensor<2x2x6x8xf32>, %[[M:.+]]: tensor<2x1x4x6xf32>)
// CHECK: %[[O:.+]] = effc.attention %[[Q]], %[[K]], %[[V]] mask(%[[M]] : tensor<2x1x4x6xf32>) {mask = #effc.mask<explicit>, scale = 1.250000e-01 : f32}
// CHECK: return %[[O]]
func.func @mask4d_shift(%q: tensor<2x2x4x8xf32>, %k: tensor<2x2x6x8xf32>,
                        %v: tensor<2x2x6x8xf32>, %mask: tensor<2x1x4x6xf32>) -> tensor<2x2x4x8xf32> {
  %zero = arith.constant 0.0 : f32
  %se = tensor.empty() : tensor<2x2x4x6xf32>
  %sinit = linalg.fill ins(%zero : f32) outs(%se : tensor<2x2x4x6xf32>) -> tensor<2x2x4x6xf32>
  %s = linalg.generic {indexing_maps = [#q4, #k4, #s4],
                       iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]}
      ins(%q, %k : tensor<2x2x4x8xf32>, tensor<2x2x6x8xf32>) outs(%sinit : tensor<2x2x4x6xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %t = arith.addf %m, %acc : f32
    linalg.yield %t : f32
  } -> tensor<2x2x4x6xf32>
  %masked = linalg.generic {indexing_maps = [#id4, #m4, #id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%s, %mask : tensor<2x2x4x6xf32>, tensor<2x1x4x6xf32>) outs(%se : tensor<2x2x4x6xf32>) {
  ^bb0(%a: f32, %m: f32, %o: f32):
    %c8 = arith.constant 8.0 : f32
    %c3 = arith.constant 3.0 : f32
    %x = arith.divf %a, %c8 : f32
    %y = arith.subf %x, %c3 : f32
    %t = arith.addf %y, %m : f32
    linalg.yield %t : f32
  } -> tensor<2x2x4x6xf32>
  %p = linalg.softmax dimension(3) ins(%masked : tensor<2x2x4x6xf32>)
                                    outs(%se : tensor<2x2x4x6xf32>) -> tensor<2x2x4x6xf32>
  %oe = tensor.empty() : tensor<2x2x4x8xf32>
  %oinit = linalg.fill ins(%zero : f32) outs(%oe : tensor<2x2x4x8xf32>) -> tensor<2x2x4x8xf32>
  %out = linalg.generic {indexing_maps = [affine_map<(b, h, i, e, j) -> (b, h, i, j)>,
                                          affine_map<(b, h, i, e, j) -> (b, h, j, e)>,
                                          affine_map<(b, h, i, e, j) -> (b, h, i, e)>],
                         iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]}
      ins(%p, %v : tensor<2x2x4x6xf32>, tensor<2x2x6x8xf32>) outs(%oinit : tensor<2x2x4x8xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %t = arith.addf %m, %acc : f32
    linalg.yield %t : f32
  } -> tensor<2x2x4x8xf32>
  return %out : tensor<2x2x4x8xf32>
}

// -----

#id3 = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
#row3 = affine_map<(d0, d1, d2) -> (d0, d1)>

// Tests that softmax over the query dim (reductions over dim 1) is not
// attention: nothing changes.

// CHECK-LABEL: func.func @neg_softmax_wrong_dim
// CHECK-NOT: effc.attention
// CHECK: linalg.softmax dimension(1)
// CHECK: linalg.batch_matmul
func.func @neg_softmax_wrong_dim(%q: tensor<2x8x4xf32>, %kt: tensor<2x4x8xf32>,
                                 %v: tensor<2x8x4xf32>) -> tensor<2x8x4xf32> {
  %zero = arith.constant 0.0 : f32
  %se = tensor.empty() : tensor<2x8x8xf32>
  %sinit = linalg.fill ins(%zero : f32) outs(%se : tensor<2x8x8xf32>) -> tensor<2x8x8xf32>
  %s = linalg.batch_matmul ins(%q, %kt : tensor<2x8x4xf32>, tensor<2x4x8xf32>)
                           outs(%sinit : tensor<2x8x8xf32>) -> tensor<2x8x8xf32>
  %p = linalg.softmax dimension(1) ins(%s : tensor<2x8x8xf32>)
                                    outs(%se : tensor<2x8x8xf32>) -> tensor<2x8x8xf32>
  %oe = tensor.empty() : tensor<2x8x4xf32>
  %oinit = linalg.fill ins(%zero : f32) outs(%oe : tensor<2x8x4xf32>) -> tensor<2x8x4xf32>
  %out = linalg.batch_matmul ins(%p, %v : tensor<2x8x8xf32>, tensor<2x8x4xf32>)
                             outs(%oinit : tensor<2x8x4xf32>) -> tensor<2x8x4xf32>
  return %out : tensor<2x8x4xf32>
}

// -----

#id3 = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
#col3 = affine_map<(d0, d1, d2) -> (d0, d2)>

// Tests that a decomposed softmax whose reductions run over the query dim
// (dim 1) is not matched.

// CHECK-LABEL: func.func @neg_decomposed_wrong_dim
// CHECK-NOT: effc.attention
// CHECK: linalg.batch_matmul
func.func @neg_decomposed_wrong_dim(%q: tensor<2x8x4xf32>, %kt: tensor<2x4x8xf32>,
                                    %v: tensor<2x8x4xf32>) -> tensor<2x8x4xf32> {
  %zero = arith.constant 0.0 : f32
  %ninf = arith.constant 0xFF800000 : f32
  %se = tensor.empty() : tensor<2x8x8xf32>
  %sinit = linalg.fill ins(%zero : f32) outs(%se : tensor<2x8x8xf32>) -> tensor<2x8x8xf32>
  %s = linalg.batch_matmul ins(%q, %kt : tensor<2x8x4xf32>, tensor<2x4x8xf32>)
                           outs(%sinit : tensor<2x8x8xf32>) -> tensor<2x8x8xf32>
  %re = tensor.empty() : tensor<2x8xf32>
  %minit = linalg.fill ins(%ninf : f32) outs(%re : tensor<2x8xf32>) -> tensor<2x8xf32>
  %max = linalg.generic {indexing_maps = [#id3, #col3], iterator_types = ["parallel", "reduction", "parallel"]}
      ins(%s : tensor<2x8x8xf32>) outs(%minit : tensor<2x8xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %m = arith.maximumf %a, %acc : f32
    linalg.yield %m : f32
  } -> tensor<2x8xf32>
  %exp = linalg.generic {indexing_maps = [#id3, #col3, #id3], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%s, %max : tensor<2x8x8xf32>, tensor<2x8xf32>) outs(%se : tensor<2x8x8xf32>) {
  ^bb0(%a: f32, %m: f32, %o: f32):
    %d = arith.subf %a, %m : f32
    %e = math.exp %d : f32
    linalg.yield %e : f32
  } -> tensor<2x8x8xf32>
  %zinit = linalg.fill ins(%zero : f32) outs(%re : tensor<2x8xf32>) -> tensor<2x8xf32>
  %sum = linalg.generic {indexing_maps = [#id3, #col3], iterator_types = ["parallel", "reduction", "parallel"]}
      ins(%exp : tensor<2x8x8xf32>) outs(%zinit : tensor<2x8xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %t = arith.addf %a, %acc : f32
    linalg.yield %t : f32
  } -> tensor<2x8xf32>
  %p = linalg.generic {indexing_maps = [#id3, #col3, #id3], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%exp, %sum : tensor<2x8x8xf32>, tensor<2x8xf32>) outs(%se : tensor<2x8x8xf32>) {
  ^bb0(%a: f32, %t: f32, %o: f32):
    %d = arith.divf %a, %t : f32
    linalg.yield %d : f32
  } -> tensor<2x8x8xf32>
  %oe = tensor.empty() : tensor<2x8x4xf32>
  %oinit = linalg.fill ins(%zero : f32) outs(%oe : tensor<2x8x4xf32>) -> tensor<2x8x4xf32>
  %out = linalg.batch_matmul ins(%p, %v : tensor<2x8x8xf32>, tensor<2x8x4xf32>)
                             outs(%oinit : tensor<2x8x4xf32>) -> tensor<2x8x4xf32>
  return %out : tensor<2x8x4xf32>
}

// -----

#id2 = affine_map<(d0, d1) -> (d0, d1)>

// Tests that a scale that is not a compile-time constant (a function
// argument) is not matched.

// CHECK-LABEL: func.func @neg_dynamic_scale
// CHECK-NOT: effc.attention
// CHECK: linalg.softmax
func.func @neg_dynamic_scale(%q: tensor<4x8xf32>, %kt: tensor<8x4xf32>,
                             %v: tensor<4x8xf32>, %scale: f32) -> tensor<4x8xf32> {
  %zero = arith.constant 0.0 : f32
  %se = tensor.empty() : tensor<4x4xf32>
  %sinit = linalg.fill ins(%zero : f32) outs(%se : tensor<4x4xf32>) -> tensor<4x4xf32>
  %s = linalg.matmul ins(%q, %kt : tensor<4x8xf32>, tensor<8x4xf32>)
                     outs(%sinit : tensor<4x4xf32>) -> tensor<4x4xf32>
  %scaled = linalg.generic {indexing_maps = [#id2, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%s : tensor<4x4xf32>) outs(%se : tensor<4x4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %m = arith.mulf %a, %scale : f32
    linalg.yield %m : f32
  } -> tensor<4x4xf32>
  %p = linalg.softmax dimension(1) ins(%scaled : tensor<4x4xf32>)
                                    outs(%se : tensor<4x4xf32>) -> tensor<4x4xf32>
  %oe = tensor.empty() : tensor<4x8xf32>
  %oinit = linalg.fill ins(%zero : f32) outs(%oe : tensor<4x8xf32>) -> tensor<4x8xf32>
  %out = linalg.matmul ins(%p, %v : tensor<4x4xf32>, tensor<4x8xf32>)
                       outs(%oinit : tensor<4x8xf32>) -> tensor<4x8xf32>
  return %out : tensor<4x8xf32>
}

// -----

#id2 = affine_map<(d0, d1) -> (d0, d1)>

// Tests that two chained matmuls with a scale but no softmax are left alone.

// CHECK-LABEL: func.func @neg_no_softmax
// CHECK-NOT: effc.attention
// CHECK: linalg.matmul
// CHECK: linalg.matmul
func.func @neg_no_softmax(%q: tensor<4x8xf32>, %kt: tensor<8x4xf32>,
                          %v: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %zero = arith.constant 0.0 : f32
  %scale = arith.constant 0.353553385 : f32
  %se = tensor.empty() : tensor<4x4xf32>
  %sinit = linalg.fill ins(%zero : f32) outs(%se : tensor<4x4xf32>) -> tensor<4x4xf32>
  %s = linalg.matmul ins(%q, %kt : tensor<4x8xf32>, tensor<8x4xf32>)
                     outs(%sinit : tensor<4x4xf32>) -> tensor<4x4xf32>
  %scaled = linalg.generic {indexing_maps = [#id2, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%s : tensor<4x4xf32>) outs(%se : tensor<4x4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %m = arith.mulf %a, %scale : f32
    linalg.yield %m : f32
  } -> tensor<4x4xf32>
  %oe = tensor.empty() : tensor<4x8xf32>
  %oinit = linalg.fill ins(%zero : f32) outs(%oe : tensor<4x8xf32>) -> tensor<4x8xf32>
  %out = linalg.matmul ins(%scaled, %v : tensor<4x4xf32>, tensor<4x8xf32>)
                       outs(%oinit : tensor<4x8xf32>) -> tensor<4x8xf32>
  return %out : tensor<4x8xf32>
}

// -----

// Tests that a softmax whose probabilities are also returned is not fused
// (the S x S matrix would have to be materialized anyway).

// CHECK-LABEL: func.func @neg_softmax_other_use
// CHECK-NOT: effc.attention
// CHECK: %[[P:.+]] = linalg.softmax
// CHECK: %[[O:.+]] = linalg.matmul
// CHECK: return %[[O]], %[[P]]
func.func @neg_softmax_other_use(%q: tensor<4x8xf32>, %kt: tensor<8x4xf32>,
                                 %v: tensor<4x8xf32>) -> (tensor<4x8xf32>, tensor<4x4xf32>) {
  %zero = arith.constant 0.0 : f32
  %se = tensor.empty() : tensor<4x4xf32>
  %sinit = linalg.fill ins(%zero : f32) outs(%se : tensor<4x4xf32>) -> tensor<4x4xf32>
  %s = linalg.matmul ins(%q, %kt : tensor<4x8xf32>, tensor<8x4xf32>)
                     outs(%sinit : tensor<4x4xf32>) -> tensor<4x4xf32>
  %p = linalg.softmax dimension(1) ins(%s : tensor<4x4xf32>)
                                    outs(%se : tensor<4x4xf32>) -> tensor<4x4xf32>
  %oe = tensor.empty() : tensor<4x8xf32>
  %oinit = linalg.fill ins(%zero : f32) outs(%oe : tensor<4x8xf32>) -> tensor<4x8xf32>
  %out = linalg.matmul ins(%p, %v : tensor<4x4xf32>, tensor<4x8xf32>)
                       outs(%oinit : tensor<4x8xf32>) -> tensor<4x8xf32>
  return %out, %p : tensor<4x8xf32>, tensor<4x4xf32>
}

// -----

// Tests that a matmul accumulating into a non-zero init is not a Q x K^T.

// CHECK-LABEL: func.func @neg_nonzero_init
// CHECK-NOT: effc.attention
// CHECK: linalg.softmax
func.func @neg_nonzero_init(%q: tensor<4x8xf32>, %kt: tensor<8x4xf32>,
                            %v: tensor<4x8xf32>, %bias: tensor<4x4xf32>) -> tensor<4x8xf32> {
  %zero = arith.constant 0.0 : f32
  %se = tensor.empty() : tensor<4x4xf32>
  %s = linalg.matmul ins(%q, %kt : tensor<4x8xf32>, tensor<8x4xf32>)
                     outs(%bias : tensor<4x4xf32>) -> tensor<4x4xf32>
  %p = linalg.softmax dimension(1) ins(%s : tensor<4x4xf32>)
                                    outs(%se : tensor<4x4xf32>) -> tensor<4x4xf32>
  %oe = tensor.empty() : tensor<4x8xf32>
  %oinit = linalg.fill ins(%zero : f32) outs(%oe : tensor<4x8xf32>) -> tensor<4x8xf32>
  %out = linalg.matmul ins(%p, %v : tensor<4x4xf32>, tensor<4x8xf32>)
                       outs(%oinit : tensor<4x8xf32>) -> tensor<4x8xf32>
  return %out : tensor<4x8xf32>
}

// -----

// Tests that multi-head latent attention is absorbed: K = C W_UK^T and
// V = C W_UV^T with constant weights become q' = q W_UK (a linear with the
// transposed W_UK), attention over C itself with the original scale
// 1/sqrt(D) = 0.5, and the output projection by W_UV.

// CHECK-LABEL: func.func @mla_absorb
// CHECK-SAME: (%[[Q:.+]]: tensor<4x3x4xf32>, %[[C:.+]]: tensor<1x5x2xf32>)
// CHECK-DAG: %[[WUV:.+]] = arith.constant dense<{{\[}}[1.000000e+00, 0.000000e+00], [0.000000e+00, 1.000000e+00], [1.000000e+00, 1.000000e+00]]> : tensor<3x2xf32>
// CHECK-DAG: %[[WUKT:.+]] = arith.constant dense<{{\[}}[1.000000e+00, 3.000000e+00, 5.000000e+00, 7.000000e+00], [2.000000e+00, 4.000000e+00, 6.000000e+00, 8.000000e+00]]> : tensor<2x4xf32>
// CHECK: %[[QL:.+]] = effc.linear %[[Q]], %[[WUKT]] : tensor<4x3x4xf32>, tensor<2x4xf32> -> tensor<4x3x2xf32>
// CHECK: %[[A:.+]] = effc.attention %[[QL]], %[[C]], %[[C]] {mask = #effc.mask<causal>, scale = 5.000000e-01 : f32} : tensor<4x3x2xf32>, tensor<1x5x2xf32>, tensor<1x5x2xf32> -> tensor<4x3x2xf32>
// CHECK: %[[O:.+]] = effc.linear %[[A]], %[[WUV]] : tensor<4x3x2xf32>, tensor<3x2xf32> -> tensor<4x3x3xf32>
// CHECK: return %[[O]]
func.func @mla_absorb(%q: tensor<4x3x4xf32>, %c: tensor<1x5x2xf32>) -> tensor<4x3x3xf32> {
  %wuk = arith.constant dense<[[1.0, 2.0], [3.0, 4.0], [5.0, 6.0], [7.0, 8.0]]> : tensor<4x2xf32>
  %wuv = arith.constant dense<[[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]> : tensor<3x2xf32>
  %k = effc.linear %c, %wuk : tensor<1x5x2xf32>, tensor<4x2xf32> -> tensor<1x5x4xf32>
  %v = effc.linear %c, %wuv : tensor<1x5x2xf32>, tensor<3x2xf32> -> tensor<1x5x3xf32>
  %o = effc.attention %q, %k, %v {mask = #effc.mask<causal>}
      : tensor<4x3x4xf32>, tensor<1x5x4xf32>, tensor<1x5x3xf32> -> tensor<4x3x3xf32>
  return %o : tensor<4x3x3xf32>
}

// -----

// Tests that K/V projections with a bias are not absorbed.

// CHECK-LABEL: func.func @neg_mla_bias
// CHECK: %[[K:.+]] = effc.linear
// CHECK: %[[V:.+]] = effc.linear
// CHECK: effc.attention %{{.+}}, %[[K]], %[[V]]
func.func @neg_mla_bias(%q: tensor<3x4xf32>, %c: tensor<5x2xf32>) -> tensor<3x4xf32> {
  %wuk = arith.constant dense<1.0> : tensor<4x2xf32>
  %wuv = arith.constant dense<2.0> : tensor<4x2xf32>
  %b = arith.constant dense<0.5> : tensor<4xf32>
  %k = effc.linear %c, %wuk bias %b : tensor<5x2xf32>, tensor<4x2xf32>, tensor<4xf32> -> tensor<5x4xf32>
  %v = effc.linear %c, %wuv : tensor<5x2xf32>, tensor<4x2xf32> -> tensor<5x4xf32>
  %o = effc.attention %q, %k, %v : tensor<3x4xf32>, tensor<5x4xf32>, tensor<5x4xf32> -> tensor<3x4xf32>
  return %o : tensor<3x4xf32>
}

// -----

#q4 = affine_map<(b, h, i, j, d) -> (b, h, i, d)>
#k4 = affine_map<(b, h, i, j, d) -> (b, h, j, d)>
#s4 = affine_map<(b, h, i, j, d) -> (b, h, i, j)>
#p4 = affine_map<(b, h, i, e, j) -> (b, h, i, j)>
#v4 = affine_map<(b, h, i, e, j) -> (b, h, j, e)>
#o4 = affine_map<(b, h, i, e, j) -> (b, h, i, e)>
#id4 = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#pad4 = affine_map<(d0, d1, d2, d3) -> (d0, 0, 0, d3)>

// Tests that a [B, 1, 1, Skv] padding mask built as (1 - m) * finfo.min and
// added through a map that broadcasts it over heads and query rows becomes
// the explicit mask operand as it is.

// CHECK-LABEL: func.func @padding_mask_broadcast_read
// CHECK-SAME: (%[[Q:.+]]: tensor<2x2x4x8xf32>, %[[K:.+]]: tensor<2x2x6x8xf32>, %[[V:.+]]: tensor<2x2x6x8xf32>, %{{.+}}: tensor<2x1x1x6xf32>)
// CHECK: %[[M:.+]] = linalg.generic
// CHECK: arith.subf
// CHECK: arith.mulf
// CHECK: -> tensor<2x1x1x6xf32>
// CHECK: %[[O:.+]] = effc.attention %[[Q]], %[[K]], %[[V]] mask(%[[M]] : tensor<2x1x1x6xf32>) {mask = #effc.mask<explicit>, scale = 0.353553385 : f32} : tensor<2x2x4x8xf32>, tensor<2x2x6x8xf32>, tensor<2x2x6x8xf32> -> tensor<2x2x4x8xf32>
// CHECK: return %[[O]]
func.func @padding_mask_broadcast_read(%q: tensor<2x2x4x8xf32>, %k: tensor<2x2x6x8xf32>,
                                       %v: tensor<2x2x6x8xf32>, %keep: tensor<2x1x1x6xf32>) -> tensor<2x2x4x8xf32> {
  %zero = arith.constant 0.0 : f32
  %me = tensor.empty() : tensor<2x1x1x6xf32>
  %mask = linalg.generic {indexing_maps = [#id4, #id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%keep : tensor<2x1x1x6xf32>) outs(%me : tensor<2x1x1x6xf32>) {
  ^bb0(%a: f32, %o: f32):
    %one = arith.constant 1.0 : f32
    %min = arith.constant -3.40282347E+38 : f32
    %d = arith.subf %one, %a : f32
    %t = arith.mulf %d, %min : f32
    linalg.yield %t : f32
  } -> tensor<2x1x1x6xf32>
  %se = tensor.empty() : tensor<2x2x4x6xf32>
  %sinit = linalg.fill ins(%zero : f32) outs(%se : tensor<2x2x4x6xf32>) -> tensor<2x2x4x6xf32>
  %s = linalg.generic {indexing_maps = [#q4, #k4, #s4],
                       iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]}
      ins(%q, %k : tensor<2x2x4x8xf32>, tensor<2x2x6x8xf32>) outs(%sinit : tensor<2x2x4x6xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %t = arith.addf %m, %acc : f32
    linalg.yield %t : f32
  } -> tensor<2x2x4x6xf32>
  %masked = linalg.generic {indexing_maps = [#id4, #pad4, #id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%s, %mask : tensor<2x2x4x6xf32>, tensor<2x1x1x6xf32>) outs(%se : tensor<2x2x4x6xf32>) {
  ^bb0(%a: f32, %m: f32, %o: f32):
    %c = arith.constant 0.353553385 : f32
    %x = arith.mulf %a, %c : f32
    %t = arith.addf %x, %m : f32
    linalg.yield %t : f32
  } -> tensor<2x2x4x6xf32>
  %p = linalg.softmax dimension(3) ins(%masked : tensor<2x2x4x6xf32>)
                                    outs(%se : tensor<2x2x4x6xf32>) -> tensor<2x2x4x6xf32>
  %oe = tensor.empty() : tensor<2x2x4x8xf32>
  %oinit = linalg.fill ins(%zero : f32) outs(%oe : tensor<2x2x4x8xf32>) -> tensor<2x2x4x8xf32>
  %out = linalg.generic {indexing_maps = [#p4, #v4, #o4],
                         iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]}
      ins(%p, %v : tensor<2x2x4x6xf32>, tensor<2x2x6x8xf32>) outs(%oinit : tensor<2x2x4x8xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %t = arith.addf %m, %acc : f32
    linalg.yield %t : f32
  } -> tensor<2x2x4x8xf32>
  return %out : tensor<2x2x4x8xf32>
}

// -----

#q4 = affine_map<(b, h, i, j, d) -> (b, h, i, d)>
#k4 = affine_map<(b, h, i, j, d) -> (b, h, j, d)>
#s4 = affine_map<(b, h, i, j, d) -> (b, h, i, j)>
#p4 = affine_map<(b, h, i, e, j) -> (b, h, i, j)>
#v4 = affine_map<(b, h, i, e, j) -> (b, h, j, e)>
#o4 = affine_map<(b, h, i, e, j) -> (b, h, i, e)>
#id4 = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#scalar4 = affine_map<(d0, d1, d2, d3) -> ()>
#rows4 = affine_map<(d0, d1, d2, d3) -> (0, d1, d2, 0)>
#keys4 = affine_map<(d0, d1, d2, d3) -> (d0, d1, 0, d3)>
#heads4 = affine_map<(d0, d1, d2, d3) -> (d0, 0, d2, d3)>

// Tests that a padding mask materialized over the query rows as Hugging
// Face builds it (an all-true [Sq] column and-ed with the [B, 1, 1, Skv]
// keys kept, then a select of 0 / finfo.min) is rebuilt as [B, 1, 1, Skv],
// once for the two attentions that shared the [B, 1, Sq, Skv] mask.

// CHECK-LABEL: func.func @padding_mask_materialized
// CHECK-SAME: (%[[Q:.+]]: tensor<2x2x4x8xf32>, %[[K:.+]]: tensor<2x2x4x8xf32>, %[[V:.+]]: tensor<2x2x4x8xf32>, %[[KEEP:.+]]: tensor<2x1x1x4xi1>)
// CHECK-NOT: tensor<2x1x4x4x
// CHECK: %[[TRUE:.+]] = arith.constant dense<true> : tensor<1x1x1x1xi1>
// CHECK-NOT: tensor<2x1x4x4x
// CHECK: %[[VIS:.+]] = linalg.generic {indexing_maps = [#{{.+}}, #{{.+}}, #{{.+}}], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%[[TRUE]], %[[KEEP]] : tensor<1x1x1x1xi1>, tensor<2x1x1x4xi1>) outs(%{{.+}} : tensor<2x1x1x4xi1>)
// CHECK: arith.andi
// CHECK: %[[M:.+]] = linalg.generic {{.+}} ins(%[[VIS]], %{{.+}}, %{{.+}} : tensor<2x1x1x4xi1>, tensor<f32>, tensor<f32>) outs(%{{.+}} : tensor<2x1x1x4xf32>)
// CHECK: arith.select
// CHECK-NOT: tensor<2x1x4x4x
// CHECK: %[[O1:.+]] = effc.attention %[[Q]], %[[K]], %[[V]] mask(%[[M]] : tensor<2x1x1x4xf32>) {mask = #effc.mask<explicit>, scale = 1.250000e-01 : f32}
// CHECK: %[[O2:.+]] = effc.attention %[[O1]], %[[K]], %[[V]] mask(%[[M]] : tensor<2x1x1x4xf32>) {mask = #effc.mask<explicit>, scale = 1.250000e-01 : f32}
// CHECK: return %[[O2]]
func.func @padding_mask_materialized(%q: tensor<2x2x4x8xf32>, %k: tensor<2x2x4x8xf32>,
                                     %v: tensor<2x2x4x8xf32>, %keep: tensor<2x1x1x4xi1>) -> tensor<2x2x4x8xf32> {
  %zero = arith.constant 0.0 : f32
  %true = arith.constant dense<true> : tensor<1x1x4x1xi1>
  %fzero = arith.constant dense<0.0> : tensor<f32>
  %fmin = arith.constant dense<-3.40282347E+38> : tensor<f32>
  %ve = tensor.empty() : tensor<2x1x4x4xi1>
  %vis = linalg.generic {indexing_maps = [#rows4, #keys4, #id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%true, %keep : tensor<1x1x4x1xi1>, tensor<2x1x1x4xi1>) outs(%ve : tensor<2x1x4x4xi1>) {
  ^bb0(%a: i1, %b: i1, %o: i1):
    %t = arith.andi %a, %b : i1
    linalg.yield %t : i1
  } -> tensor<2x1x4x4xi1>
  %me = tensor.empty() : tensor<2x1x4x4xf32>
  %mask = linalg.generic {indexing_maps = [#id4, #scalar4, #scalar4, #id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%vis, %fzero, %fmin : tensor<2x1x4x4xi1>, tensor<f32>, tensor<f32>) outs(%me : tensor<2x1x4x4xf32>) {
  ^bb0(%c: i1, %a: f32, %b: f32, %o: f32):
    %t = arith.select %c, %a, %b : f32
    linalg.yield %t : f32
  } -> tensor<2x1x4x4xf32>
  %se = tensor.empty() : tensor<2x2x4x4xf32>
  %sinit = linalg.fill ins(%zero : f32) outs(%se : tensor<2x2x4x4xf32>) -> tensor<2x2x4x4xf32>
  %oe = tensor.empty() : tensor<2x2x4x8xf32>
  %oinit = linalg.fill ins(%zero : f32) outs(%oe : tensor<2x2x4x8xf32>) -> tensor<2x2x4x8xf32>
  // Layer 1.
  %s = linalg.generic {indexing_maps = [#q4, #k4, #s4],
                       iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]}
      ins(%q, %k : tensor<2x2x4x8xf32>, tensor<2x2x4x8xf32>) outs(%sinit : tensor<2x2x4x4xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %t = arith.addf %m, %acc : f32
    linalg.yield %t : f32
  } -> tensor<2x2x4x4xf32>
  %masked = linalg.generic {indexing_maps = [#id4, #heads4, #id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%s, %mask : tensor<2x2x4x4xf32>, tensor<2x1x4x4xf32>) outs(%se : tensor<2x2x4x4xf32>) {
  ^bb0(%a: f32, %m: f32, %o: f32):
    %c = arith.constant 0.125 : f32
    %x = arith.mulf %a, %c : f32
    %t = arith.addf %x, %m : f32
    linalg.yield %t : f32
  } -> tensor<2x2x4x4xf32>
  %p = linalg.softmax dimension(3) ins(%masked : tensor<2x2x4x4xf32>)
                                    outs(%se : tensor<2x2x4x4xf32>) -> tensor<2x2x4x4xf32>
  %o1 = linalg.generic {indexing_maps = [#p4, #v4, #o4],
                        iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]}
      ins(%p, %v : tensor<2x2x4x4xf32>, tensor<2x2x4x8xf32>) outs(%oinit : tensor<2x2x4x8xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %t = arith.addf %m, %acc : f32
    linalg.yield %t : f32
  } -> tensor<2x2x4x8xf32>
  // Layer 2, on the same mask.
  %s2 = linalg.generic {indexing_maps = [#q4, #k4, #s4],
                        iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]}
      ins(%o1, %k : tensor<2x2x4x8xf32>, tensor<2x2x4x8xf32>) outs(%sinit : tensor<2x2x4x4xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %t = arith.addf %m, %acc : f32
    linalg.yield %t : f32
  } -> tensor<2x2x4x4xf32>
  %masked2 = linalg.generic {indexing_maps = [#id4, #heads4, #id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%s2, %mask : tensor<2x2x4x4xf32>, tensor<2x1x4x4xf32>) outs(%se : tensor<2x2x4x4xf32>) {
  ^bb0(%a: f32, %m: f32, %o: f32):
    %c = arith.constant 0.125 : f32
    %x = arith.mulf %a, %c : f32
    %t = arith.addf %x, %m : f32
    linalg.yield %t : f32
  } -> tensor<2x2x4x4xf32>
  %p2 = linalg.softmax dimension(3) ins(%masked2 : tensor<2x2x4x4xf32>)
                                     outs(%se : tensor<2x2x4x4xf32>) -> tensor<2x2x4x4xf32>
  %o2 = linalg.generic {indexing_maps = [#p4, #v4, #o4],
                        iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]}
      ins(%p2, %v : tensor<2x2x4x4xf32>, tensor<2x2x4x8xf32>) outs(%oinit : tensor<2x2x4x8xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %t = arith.addf %m, %acc : f32
    linalg.yield %t : f32
  } -> tensor<2x2x4x8xf32>
  return %o2 : tensor<2x2x4x8xf32>
}

// -----

#q4 = affine_map<(b, h, i, j, d) -> (b, h, i, d)>
#k4 = affine_map<(b, h, i, j, d) -> (b, h, j, d)>
#s4 = affine_map<(b, h, i, j, d) -> (b, h, i, j)>
#p4 = affine_map<(b, h, i, e, j) -> (b, h, i, j)>
#v4 = affine_map<(b, h, i, e, j) -> (b, h, j, e)>
#o4 = affine_map<(b, h, i, e, j) -> (b, h, i, e)>
#id4 = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#perhead = affine_map<(d0, d1, d2, d3) -> (d0, 0, d2, d3)>

// Tests that a mask materialized per head from a [B, 1, Sq, Skv] mask that
// varies along the query rows (here a function argument) is rebuilt over
// the heads' broadcast only: [B, 1, Sq, Skv].

// CHECK-LABEL: func.func @mask_materialized_over_heads
// CHECK-SAME: %[[ARG:[^:]+]]: tensor<2x1x4x4xf32>)
// CHECK: %[[M:.+]] = linalg.generic {{.+}} ins(%[[ARG]] : tensor<2x1x4x4xf32>) outs(%{{.+}} : tensor<2x1x4x4xf32>)
// CHECK: effc.attention %{{.+}}, %{{.+}}, %{{.+}} mask(%[[M]] : tensor<2x1x4x4xf32>) {mask = #effc.mask<explicit>, scale = 1.250000e-01 : f32}
func.func @mask_materialized_over_heads(%q: tensor<2x2x4x8xf32>, %k: tensor<2x2x4x8xf32>,
                                        %v: tensor<2x2x4x8xf32>, %bias: tensor<2x1x4x4xf32>) -> tensor<2x2x4x8xf32> {
  %zero = arith.constant 0.0 : f32
  %se = tensor.empty() : tensor<2x2x4x4xf32>
  %mask = linalg.generic {indexing_maps = [#perhead, #id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%bias : tensor<2x1x4x4xf32>) outs(%se : tensor<2x2x4x4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %two = arith.constant 2.0 : f32
    %t = arith.mulf %a, %two : f32
    linalg.yield %t : f32
  } -> tensor<2x2x4x4xf32>
  %sinit = linalg.fill ins(%zero : f32) outs(%se : tensor<2x2x4x4xf32>) -> tensor<2x2x4x4xf32>
  %s = linalg.generic {indexing_maps = [#q4, #k4, #s4],
                       iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]}
      ins(%q, %k : tensor<2x2x4x8xf32>, tensor<2x2x4x8xf32>) outs(%sinit : tensor<2x2x4x4xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %t = arith.addf %m, %acc : f32
    linalg.yield %t : f32
  } -> tensor<2x2x4x4xf32>
  %masked = linalg.generic {indexing_maps = [#id4, #id4, #id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%s, %mask : tensor<2x2x4x4xf32>, tensor<2x2x4x4xf32>) outs(%se : tensor<2x2x4x4xf32>) {
  ^bb0(%a: f32, %m: f32, %o: f32):
    %c = arith.constant 0.125 : f32
    %x = arith.mulf %a, %c : f32
    %t = arith.addf %x, %m : f32
    linalg.yield %t : f32
  } -> tensor<2x2x4x4xf32>
  %p = linalg.softmax dimension(3) ins(%masked : tensor<2x2x4x4xf32>)
                                    outs(%se : tensor<2x2x4x4xf32>) -> tensor<2x2x4x4xf32>
  %oe = tensor.empty() : tensor<2x2x4x8xf32>
  %oinit = linalg.fill ins(%zero : f32) outs(%oe : tensor<2x2x4x8xf32>) -> tensor<2x2x4x8xf32>
  %out = linalg.generic {indexing_maps = [#p4, #v4, #o4],
                         iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]}
      ins(%p, %v : tensor<2x2x4x4xf32>, tensor<2x2x4x8xf32>) outs(%oinit : tensor<2x2x4x8xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %t = arith.addf %m, %acc : f32
    linalg.yield %t : f32
  } -> tensor<2x2x4x8xf32>
  return %out : tensor<2x2x4x8xf32>
}

// -----

#q4 = affine_map<(b, h, i, j, d) -> (b, h, i, d)>
#k4 = affine_map<(b, h, i, j, d) -> (b, h, j, d)>
#s4 = affine_map<(b, h, i, j, d) -> (b, h, i, j)>
#p4 = affine_map<(b, h, i, e, j) -> (b, h, i, j)>
#v4 = affine_map<(b, h, i, e, j) -> (b, h, j, e)>
#o4 = affine_map<(b, h, i, e, j) -> (b, h, i, e)>
#id4 = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#keys4 = affine_map<(d0, d1, d2, d3) -> (d0, d1, 0, d3)>
#heads4 = affine_map<(d0, d1, d2, d3) -> (d0, 0, d2, d3)>

// Tests that a mask which reads the query index (linalg.index 2, here a
// padding mask that also hides keys after the query) keeps its query rows:
// only dims the mask provably does not vary along are narrowed.

// CHECK-LABEL: func.func @mask_reads_query_index
// CHECK: %[[M:.+]] = linalg.generic {{.+}} outs(%{{.+}} : tensor<2x1x4x4xf32>)
// CHECK: linalg.index 2
// CHECK: effc.attention %{{.+}}, %{{.+}}, %{{.+}} mask(%[[M]] : tensor<2x1x4x4xf32>) {mask = #effc.mask<explicit>, scale = 1.250000e-01 : f32}
func.func @mask_reads_query_index(%q: tensor<2x2x4x8xf32>, %k: tensor<2x2x4x8xf32>,
                                  %v: tensor<2x2x4x8xf32>, %keep: tensor<2x1x1x4xf32>) -> tensor<2x2x4x8xf32> {
  %zero = arith.constant 0.0 : f32
  %me = tensor.empty() : tensor<2x1x4x4xf32>
  %mask = linalg.generic {indexing_maps = [#keys4, #id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%keep : tensor<2x1x1x4xf32>) outs(%me : tensor<2x1x4x4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %i = linalg.index 2 : index
    %j = linalg.index 3 : index
    %late = arith.cmpi ugt, %j, %i : index
    %min = arith.constant -3.40282347E+38 : f32
    %t = arith.select %late, %min, %a : f32
    linalg.yield %t : f32
  } -> tensor<2x1x4x4xf32>
  %se = tensor.empty() : tensor<2x2x4x4xf32>
  %sinit = linalg.fill ins(%zero : f32) outs(%se : tensor<2x2x4x4xf32>) -> tensor<2x2x4x4xf32>
  %s = linalg.generic {indexing_maps = [#q4, #k4, #s4],
                       iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]}
      ins(%q, %k : tensor<2x2x4x8xf32>, tensor<2x2x4x8xf32>) outs(%sinit : tensor<2x2x4x4xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %t = arith.addf %m, %acc : f32
    linalg.yield %t : f32
  } -> tensor<2x2x4x4xf32>
  %masked = linalg.generic {indexing_maps = [#id4, #heads4, #id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%s, %mask : tensor<2x2x4x4xf32>, tensor<2x1x4x4xf32>) outs(%se : tensor<2x2x4x4xf32>) {
  ^bb0(%a: f32, %m: f32, %o: f32):
    %c = arith.constant 0.125 : f32
    %x = arith.mulf %a, %c : f32
    %t = arith.addf %x, %m : f32
    linalg.yield %t : f32
  } -> tensor<2x2x4x4xf32>
  %p = linalg.softmax dimension(3) ins(%masked : tensor<2x2x4x4xf32>)
                                    outs(%se : tensor<2x2x4x4xf32>) -> tensor<2x2x4x4xf32>
  %oe = tensor.empty() : tensor<2x2x4x8xf32>
  %oinit = linalg.fill ins(%zero : f32) outs(%oe : tensor<2x2x4x8xf32>) -> tensor<2x2x4x8xf32>
  %out = linalg.generic {indexing_maps = [#p4, #v4, #o4],
                         iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]}
      ins(%p, %v : tensor<2x2x4x4xf32>, tensor<2x2x4x8xf32>) outs(%oinit : tensor<2x2x4x8xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %t = arith.addf %m, %acc : f32
    linalg.yield %t : f32
  } -> tensor<2x2x4x8xf32>
  return %out : tensor<2x2x4x8xf32>
}

// -----

//--- variants.mlir

// Tests that the variants impose their mask on a recognized attention
// without a mask (2-D, linalg.softmax, no scale: scale = 1).

// CHECK-LABEL: func.func @variant_unmasked
// CHECK: effc.attention %{{.+}}, %{{.+}}, %{{.+}} {scale = 1.000000e+00 : f32} : tensor<8x4xf32>
// CAUSAL-LABEL: func.func @variant_unmasked
// CAUSAL: effc.attention %{{.+}}, %{{.+}}, %{{.+}} {mask = #effc.mask<causal>, scale = 1.000000e+00 : f32} : tensor<8x4xf32>
// WINDOW-LABEL: func.func @variant_unmasked
// WINDOW: effc.attention %{{.+}}, %{{.+}}, %{{.+}} {mask = #effc.mask<window>, scale = 1.000000e+00 : f32, window = 16 : i64} : tensor<8x4xf32>
func.func @variant_unmasked(%q: tensor<8x4xf32>, %kt: tensor<4x8xf32>,
                            %v: tensor<8x4xf32>) -> tensor<8x4xf32> {
  %zero = arith.constant 0.0 : f32
  %se = tensor.empty() : tensor<8x8xf32>
  %sinit = linalg.fill ins(%zero : f32) outs(%se : tensor<8x8xf32>) -> tensor<8x8xf32>
  %s = linalg.matmul ins(%q, %kt : tensor<8x4xf32>, tensor<4x8xf32>)
                     outs(%sinit : tensor<8x8xf32>) -> tensor<8x8xf32>
  %p = linalg.softmax dimension(1) ins(%s : tensor<8x8xf32>)
                                    outs(%se : tensor<8x8xf32>) -> tensor<8x8xf32>
  %oe = tensor.empty() : tensor<8x4xf32>
  %oinit = linalg.fill ins(%zero : f32) outs(%oe : tensor<8x4xf32>) -> tensor<8x4xf32>
  %out = linalg.matmul ins(%p, %v : tensor<8x8xf32>, tensor<8x4xf32>)
                       outs(%oinit : tensor<8x4xf32>) -> tensor<8x4xf32>
  return %out : tensor<8x4xf32>
}

// -----

#id2 = affine_map<(d0, d1) -> (d0, d1)>
#row2 = affine_map<(d0, d1) -> (d0)>

// Tests that a recognized causal mask (here -1e9 below the diagonal, a
// keep-dim softmax whose row values come through expand_shape, no max
// subtraction) stays causal with variant=causal and becomes a window with
// variant=window; an effc.attention already in the module gets the
// variant too.

// CHECK-LABEL: func.func @variant_causal
// CHECK: effc.attention %{{.+}}, %{{.+}}, %{{.+}} {mask = #effc.mask<causal>, scale = 1.000000e+00 : f32} : tensor<3x4xf32>
// CHECK: effc.attention %{{.+}}, %{{.+}}, %{{.+}} : tensor<3x4xf32>
// CAUSAL-LABEL: func.func @variant_causal
// CAUSAL: effc.attention %{{.+}}, %{{.+}}, %{{.+}} {mask = #effc.mask<causal>, scale = 1.000000e+00 : f32} : tensor<3x4xf32>
// CAUSAL: effc.attention %{{.+}}, %{{.+}}, %{{.+}} {mask = #effc.mask<causal>} : tensor<3x4xf32>
// WINDOW-LABEL: func.func @variant_causal
// WINDOW: effc.attention %{{.+}}, %{{.+}}, %{{.+}} {mask = #effc.mask<window>, scale = 1.000000e+00 : f32, window = 16 : i64} : tensor<3x4xf32>
// WINDOW: effc.attention %{{.+}}, %{{.+}}, %{{.+}} {mask = #effc.mask<window>, window = 16 : i64} : tensor<3x4xf32>
func.func @variant_causal(%q: tensor<3x4xf32>, %k: tensor<3x4xf32>,
                          %v: tensor<3x4xf32>) -> (tensor<3x4xf32>, tensor<3x4xf32>) {
  %zero = arith.constant 0.0 : f32
  %mask = arith.constant dense<[[0.0, -1.0e9, -1.0e9], [0.0, 0.0, -1.0e9], [0.0, 0.0, 0.0]]> : tensor<3x3xf32>
  %se = tensor.empty() : tensor<3x3xf32>
  %sinit = linalg.fill ins(%zero : f32) outs(%se : tensor<3x3xf32>) -> tensor<3x3xf32>
  %s = linalg.matmul indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d2)>,
                                      affine_map<(d0, d1, d2) -> (d1, d2)>,
                                      affine_map<(d0, d1, d2) -> (d0, d1)>]
      ins(%q, %k : tensor<3x4xf32>, tensor<3x4xf32>)
      outs(%sinit : tensor<3x3xf32>) -> tensor<3x3xf32>
  %masked = linalg.add ins(%s, %mask : tensor<3x3xf32>, tensor<3x3xf32>)
                       outs(%se : tensor<3x3xf32>) -> tensor<3x3xf32>
  %exp = linalg.exp ins(%masked : tensor<3x3xf32>) outs(%se : tensor<3x3xf32>) -> tensor<3x3xf32>
  %re = tensor.empty() : tensor<3xf32>
  %zinit = linalg.fill ins(%zero : f32) outs(%re : tensor<3xf32>) -> tensor<3xf32>
  %sum = linalg.generic {indexing_maps = [#id2, #row2], iterator_types = ["parallel", "reduction"]}
      ins(%exp : tensor<3x3xf32>) outs(%zinit : tensor<3xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %t = arith.addf %acc, %a : f32
    linalg.yield %t : f32
  } -> tensor<3xf32>
  %sumk = tensor.expand_shape %sum [[0, 1]] output_shape [3, 1] : tensor<3xf32> into tensor<3x1xf32>
  %p = linalg.generic {indexing_maps = [#id2, affine_map<(d0, d1) -> (d0, 0)>, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%exp, %sumk : tensor<3x3xf32>, tensor<3x1xf32>) outs(%se : tensor<3x3xf32>) {
  ^bb0(%a: f32, %t: f32, %o: f32):
    %d = arith.divf %a, %t : f32
    linalg.yield %d : f32
  } -> tensor<3x3xf32>
  %oe = tensor.empty() : tensor<3x4xf32>
  %oinit = linalg.fill ins(%zero : f32) outs(%oe : tensor<3x4xf32>) -> tensor<3x4xf32>
  %out = linalg.matmul ins(%p, %v : tensor<3x3xf32>, tensor<3x4xf32>)
                       outs(%oinit : tensor<3x4xf32>) -> tensor<3x4xf32>
  %other = effc.attention %q, %k, %v : tensor<3x4xf32>, tensor<3x4xf32>, tensor<3x4xf32> -> tensor<3x4xf32>
  return %out, %other : tensor<3x4xf32>, tensor<3x4xf32>
}

// -----

//--- torch-mlir-padding.mlir

// Tests that MiniLM's attention as torch-mlir exports it (linalg on
// tensors; hand-reduced to B = 2, H = 2, S = 4, D = 8) fuses after
// --effc-raise with its padding mask read as [B, 1, 1, Skv]: the mask
// torch-mlir materializes as [B, 1, Sq, Skv] from attention_mask is rebuilt
// one row per sequence, and no contraction is left.

// TORCH-LABEL: func.func @minilm_padding_mask
// TORCH-SAME: (%[[Q:.+]]: tensor<2x2x4x8xf32>, %[[KT:.+]]: tensor<2x2x8x4xf32>, %[[V:.+]]: tensor<2x2x4x8xf32>, %[[AM:.+]]: tensor<2x4xi64>)
// TORCH-NOT: tensor<2x1x4x4x
// TORCH-NOT: batch_matmul
// TORCH: %[[M:.+]] = linalg.generic {{.+}} outs(%{{.+}} : tensor<2x1x1x4xf32>)
// TORCH: arith.select
// TORCH: %[[K:.+]] = linalg.transpose ins(%[[KT]] : tensor<2x2x8x4xf32>)
// TORCH: %[[O:.+]] = effc.attention %[[Q]], %[[K]], %[[V]] mask(%[[M]] : tensor<2x1x1x4xf32>) {mask = #effc.mask<explicit>, scale = 0.353553385 : f32} : tensor<2x2x4x8xf32>, tensor<2x2x4x8xf32>, tensor<2x2x4x8xf32> -> tensor<2x2x4x8xf32>
// TORCH-NOT: linalg.generic
// TORCH: return %[[O]]
#id2 = affine_map<(d0, d1) -> (d0, d1)>
#id1 = affine_map<(d0) -> (d0)>
#id4 = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#scalar4 = affine_map<(d0, d1, d2, d3) -> ()>
#batch = affine_map<(d0, d1, d2, d3) -> (d0, 0, 0, 0)>
#key = affine_map<(d0, d1, d2, d3) -> (0, 0, 0, d3)>
#query = affine_map<(d0, d1, d2, d3) -> (0, d1, d2, 0)>
#pad = affine_map<(d0, d1, d2, d3) -> (d0, d1, 0, d3)>
#heads = affine_map<(d0, d1, d2, d3) -> (d0, 0, d2, d3)>
#row = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>
#keep = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, 0)>
func.func @minilm_padding_mask(%q: tensor<2x2x4x8xf32>, %kt: tensor<2x2x8x4xf32>,
                               %v: tensor<2x2x4x8xf32>, %am: tensor<2x4xi64>) -> tensor<2x2x4x8xf32> {
  %c0_i64 = arith.constant 0 : i64
  %c2_i64 = arith.constant 2 : i64
  %c4_i64 = arith.constant 4 : i64
  %zero = arith.constant 0.000000e+00 : f32
  %ninf = arith.constant 0xFF800000 : f32
  %true = arith.constant dense<true> : tensor<i1>
  %fzero = arith.constant dense<0.000000e+00> : tensor<f32>
  %fmin = arith.constant dense<-3.40282347E+38> : tensor<f32>
  %scale = arith.constant 0.35355339059327379 : f64
  // attention_mask != 0, then HF's padding mask [B, 1, Sq, Skv]: an
  // all-true [Sq] column (arange(Sq) >= 0) and-ed with the keys kept by
  // each sequence, as 0 / finfo.min.
  %e0 = tensor.empty() : tensor<2x4xi1>
  %kept = linalg.generic {indexing_maps = [#id2, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%am : tensor<2x4xi64>) outs(%e0 : tensor<2x4xi1>) {
  ^bb0(%in: i64, %out: i1):
    %t = arith.cmpi ne, %in, %c0_i64 : i64
    linalg.yield %t : i1
  } -> tensor<2x4xi1>
  %e1 = tensor.empty() : tensor<2xi64>
  %bidx = linalg.generic {indexing_maps = [#id1], iterator_types = ["parallel"]} outs(%e1 : tensor<2xi64>) {
  ^bb0(%out: i64):
    %i = linalg.index 0 : index
    %t = arith.index_cast %i : index to i64
    linalg.yield %t : i64
  } -> tensor<2xi64>
  %e2 = tensor.empty() : tensor<4xi64>
  %sidx = linalg.generic {indexing_maps = [#id1], iterator_types = ["parallel"]} outs(%e2 : tensor<4xi64>) {
  ^bb0(%out: i64):
    %i = linalg.index 0 : index
    %t = arith.index_cast %i : index to i64
    linalg.yield %t : i64
  } -> tensor<4xi64>
  %bidx4 = tensor.expand_shape %bidx [[0, 1, 2, 3]] output_shape [2, 1, 1, 1] : tensor<2xi64> into tensor<2x1x1x1xi64>
  %qidx4 = tensor.expand_shape %sidx [[0, 1, 2, 3]] output_shape [1, 1, 4, 1] : tensor<4xi64> into tensor<1x1x4x1xi64>
  %kidx4 = tensor.expand_shape %sidx [[0, 1, 2, 3]] output_shape [1, 1, 1, 4] : tensor<4xi64> into tensor<1x1x1x4xi64>
  %e3 = tensor.empty() : tensor<1x1x4x1xi1>
  %qge = linalg.generic {indexing_maps = [#id4, #id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%qidx4 : tensor<1x1x4x1xi64>) outs(%e3 : tensor<1x1x4x1xi1>) {
  ^bb0(%in: i64, %out: i1):
    %t = arith.cmpi sge, %in, %c0_i64 : i64
    linalg.yield %t : i1
  } -> tensor<1x1x4x1xi1>
  %qall = linalg.generic {indexing_maps = [#scalar4, #id4, #id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%true, %qge : tensor<i1>, tensor<1x1x4x1xi1>) outs(%e3 : tensor<1x1x4x1xi1>) {
  ^bb0(%in: i1, %in_1: i1, %out: i1):
    %t = arith.andi %in, %in_1 : i1
    linalg.yield %t : i1
  } -> tensor<1x1x4x1xi1>
  %e4 = tensor.empty() : tensor<2x1x1x4xi1>
  %padk = linalg.generic {indexing_maps = [#batch, #key, #id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%bidx4, %kidx4 : tensor<2x1x1x1xi64>, tensor<1x1x1x4xi64>) outs(%e4 : tensor<2x1x1x4xi1>) {
  ^bb0(%in: i64, %in_1: i64, %out: i1):
    %n0 = arith.cmpi slt, %in, %c0_i64 : i64
    %w0 = arith.addi %in, %c2_i64 : i64
    %b = arith.select %n0, %w0, %in : i64
    %bi = arith.index_cast %b : i64 to index
    %n1 = arith.cmpi slt, %in_1, %c0_i64 : i64
    %w1 = arith.addi %in_1, %c4_i64 : i64
    %j = arith.select %n1, %w1, %in_1 : i64
    %ji = arith.index_cast %j : i64 to index
    %x = tensor.extract %kept[%bi, %ji] : tensor<2x4xi1>
    linalg.yield %x : i1
  } -> tensor<2x1x1x4xi1>
  %e5 = tensor.empty() : tensor<2x1x4x4xi1>
  %vis = linalg.generic {indexing_maps = [#query, #pad, #id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%qall, %padk : tensor<1x1x4x1xi1>, tensor<2x1x1x4xi1>) outs(%e5 : tensor<2x1x4x4xi1>) {
  ^bb0(%in: i1, %in_1: i1, %out: i1):
    %t = arith.andi %in, %in_1 : i1
    linalg.yield %t : i1
  } -> tensor<2x1x4x4xi1>
  %e6 = tensor.empty() : tensor<2x1x4x4xf32>
  %mask = linalg.generic {indexing_maps = [#id4, #scalar4, #scalar4, #id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%vis, %fzero, %fmin : tensor<2x1x4x4xi1>, tensor<f32>, tensor<f32>) outs(%e6 : tensor<2x1x4x4xf32>) {
  ^bb0(%in: i1, %in_1: f32, %in_2: f32, %out: f32):
    %t = arith.select %in, %in_1, %in_2 : f32
    linalg.yield %t : f32
  } -> tensor<2x1x4x4xf32>
  // Q K^T over [B * H, S, D], scaled, plus the mask broadcast over heads.
  %q3 = tensor.collapse_shape %q [[0, 1], [2], [3]] : tensor<2x2x4x8xf32> into tensor<4x4x8xf32>
  %kt3 = tensor.collapse_shape %kt [[0, 1], [2], [3]] : tensor<2x2x8x4xf32> into tensor<4x8x4xf32>
  %se3 = tensor.empty() : tensor<4x4x4xf32>
  %si3 = linalg.fill ins(%zero : f32) outs(%se3 : tensor<4x4x4xf32>) -> tensor<4x4x4xf32>
  %s3 = linalg.batch_matmul ins(%q3, %kt3 : tensor<4x4x8xf32>, tensor<4x8x4xf32>) outs(%si3 : tensor<4x4x4xf32>) -> tensor<4x4x4xf32>
  %s = tensor.expand_shape %s3 [[0, 1], [2], [3]] output_shape [2, 2, 4, 4] : tensor<4x4x4xf32> into tensor<2x2x4x4xf32>
  %se = tensor.empty() : tensor<2x2x4x4xf32>
  %scaled = linalg.generic {indexing_maps = [#id4, #id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%s : tensor<2x2x4x4xf32>) outs(%se : tensor<2x2x4x4xf32>) {
  ^bb0(%in: f32, %out: f32):
    %c = arith.truncf %scale : f64 to f32
    %t = arith.mulf %in, %c : f32
    linalg.yield %t : f32
  } -> tensor<2x2x4x4xf32>
  %masked = linalg.generic {indexing_maps = [#id4, #heads, #id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%scaled, %mask : tensor<2x2x4x4xf32>, tensor<2x1x4x4xf32>) outs(%se : tensor<2x2x4x4xf32>) {
  ^bb0(%in: f32, %in_1: f32, %out: f32):
    %t = arith.addf %in, %in_1 : f32
    linalg.yield %t : f32
  } -> tensor<2x2x4x4xf32>
  // Softmax as torch-mlir decomposes it: max (with its unused argmax),
  // subtract, exp, keep-dim sum, divide.
  %ie = tensor.empty() : tensor<2x2x4xi64>
  %ii = linalg.fill ins(%c0_i64 : i64) outs(%ie : tensor<2x2x4xi64>) -> tensor<2x2x4xi64>
  %me = tensor.empty() : tensor<2x2x4xf32>
  %mi = linalg.fill ins(%ninf : f32) outs(%me : tensor<2x2x4xf32>) -> tensor<2x2x4xf32>
  %max:2 = linalg.generic {indexing_maps = [#id4, #row, #row], iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
      ins(%masked : tensor<2x2x4x4xf32>) outs(%mi, %ii : tensor<2x2x4xf32>, tensor<2x2x4xi64>) {
  ^bb0(%in: f32, %out: f32, %out_1: i64):
    %j = linalg.index 3 : index
    %ji = arith.index_cast %j : index to i64
    %m = arith.maximumf %in, %out : f32
    %gt = arith.cmpf ogt, %in, %out : f32
    %a = arith.select %gt, %ji, %out_1 : i64
    linalg.yield %m, %a : f32, i64
  } -> (tensor<2x2x4xf32>, tensor<2x2x4xi64>)
  %maxk = tensor.expand_shape %max#0 [[0], [1], [2, 3]] output_shape [2, 2, 4, 1] : tensor<2x2x4xf32> into tensor<2x2x4x1xf32>
  %sub = linalg.generic {indexing_maps = [#id4, #keep, #id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%masked, %maxk : tensor<2x2x4x4xf32>, tensor<2x2x4x1xf32>) outs(%se : tensor<2x2x4x4xf32>) {
  ^bb0(%in: f32, %in_1: f32, %out: f32):
    %t = arith.subf %in, %in_1 : f32
    linalg.yield %t : f32
  } -> tensor<2x2x4x4xf32>
  %exp = linalg.generic {indexing_maps = [#id4, #id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%sub : tensor<2x2x4x4xf32>) outs(%se : tensor<2x2x4x4xf32>) {
  ^bb0(%in: f32, %out: f32):
    %t = math.exp %in : f32
    linalg.yield %t : f32
  } -> tensor<2x2x4x4xf32>
  %ke = tensor.empty() : tensor<2x2x4x1xf32>
  %ki = linalg.fill ins(%zero : f32) outs(%ke : tensor<2x2x4x1xf32>) -> tensor<2x2x4x1xf32>
  %sum = linalg.generic {indexing_maps = [#id4, #keep], iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
      ins(%exp : tensor<2x2x4x4xf32>) outs(%ki : tensor<2x2x4x1xf32>) {
  ^bb0(%in: f32, %out: f32):
    %t = arith.addf %in, %out : f32
    linalg.yield %t : f32
  } -> tensor<2x2x4x1xf32>
  %p = linalg.generic {indexing_maps = [#id4, #keep, #id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%exp, %sum : tensor<2x2x4x4xf32>, tensor<2x2x4x1xf32>) outs(%se : tensor<2x2x4x4xf32>) {
  ^bb0(%in: f32, %in_1: f32, %out: f32):
    %t = arith.divf %in, %in_1 : f32
    linalg.yield %t : f32
  } -> tensor<2x2x4x4xf32>
  %p3 = tensor.collapse_shape %p [[0, 1], [2], [3]] : tensor<2x2x4x4xf32> into tensor<4x4x4xf32>
  %v3 = tensor.collapse_shape %v [[0, 1], [2], [3]] : tensor<2x2x4x8xf32> into tensor<4x4x8xf32>
  %oe3 = tensor.empty() : tensor<4x4x8xf32>
  %oi3 = linalg.fill ins(%zero : f32) outs(%oe3 : tensor<4x4x8xf32>) -> tensor<4x4x8xf32>
  %o3 = linalg.batch_matmul ins(%p3, %v3 : tensor<4x4x4xf32>, tensor<4x4x8xf32>) outs(%oi3 : tensor<4x4x8xf32>) -> tensor<4x4x8xf32>
  %o = tensor.expand_shape %o3 [[0, 1], [2], [3]] output_shape [2, 2, 4, 8] : tensor<4x4x8xf32> into tensor<2x2x4x8xf32>
  return %o : tensor<2x2x4x8xf32>
}

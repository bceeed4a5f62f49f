// RUN: effc-opt %s --effc-lower-cpu-elementwise --canonicalize --split-input-file | FileCheck %s

// A layernorm-like row: the row sum is threaded over the 512 rows and
// reduced as one vector per row; the elementwise tail fuses with the
// residual add (read once per element), not with the row statistic (a
// broadcast, which would recompute it per element).

#id = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
#row = affine_map<(d0, d1, d2) -> (d0, d1)>
#ch = affine_map<(d0, d1, d2) -> (d2)>
// CHECK-LABEL: func.func @row_norm
// CHECK:         scf.forall (%{{.*}}, %{{.*}}) in (16, 32)
// CHECK:           vector.transfer_read {{.*}} : tensor<1x1x384xf32>, vector<384xf32>
// CHECK:           vector.reduction <add>, %{{.*}}, %{{.*}} : vector<384xf32> into f32
// CHECK:         scf.forall (%{{.*}}, %{{.*}}) in (16, 32)
// CHECK:           arith.subf {{.*}} : vector<384xf32>
// CHECK:           arith.mulf {{.*}} : vector<384xf32>
// CHECK:           arith.addf {{.*}} : vector<384xf32>
// CHECK:           vector.transfer_write {{.*}} : vector<384xf32>, tensor<1x1x384xf32>
// CHECK-NOT:     linalg.generic
func.func @row_norm(%x: tensor<16x32x384xf32>, %g: tensor<384xf32>) -> tensor<16x32x384xf32> {
  %cst = arith.constant 0.0 : f32
  %e0 = tensor.empty() : tensor<16x32xf32>
  %z = linalg.fill ins(%cst : f32) outs(%e0 : tensor<16x32xf32>) -> tensor<16x32xf32>
  %sum = linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x : tensor<16x32x384xf32>) outs(%z : tensor<16x32xf32>) {
    ^bb0(%a: f32, %acc: f32):
      %s = arith.addf %a, %acc : f32
      linalg.yield %s : f32
  } -> tensor<16x32xf32>
  %e1 = tensor.empty() : tensor<16x32x384xf32>
  %c = linalg.generic {indexing_maps = [#id, #row, #ch, #id], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%x, %sum, %g : tensor<16x32x384xf32>, tensor<16x32xf32>, tensor<384xf32>) outs(%e1 : tensor<16x32x384xf32>) {
    ^bb0(%a: f32, %m: f32, %gg: f32, %o: f32):
      %d = arith.subf %a, %m : f32
      %t = arith.mulf %d, %gg : f32
      linalg.yield %t : f32
  } -> tensor<16x32x384xf32>
  %e2 = tensor.empty() : tensor<16x32x384xf32>
  %r = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%c, %x : tensor<16x32x384xf32>, tensor<16x32x384xf32>) outs(%e2 : tensor<16x32x384xf32>) {
    ^bb0(%a: f32, %b: f32, %o: f32):
      %s = arith.addf %a, %b : f32
      linalg.yield %s : f32
  } -> tensor<16x32x384xf32>
  return %r : tensor<16x32x384xf32>
}

// -----

// Mean pooling over tokens reduces an outer dimension: rows of 384 are
// added elementwise (no per-lane reduction), one sentence per iteration.
// With 4x as many tokens the tile is past max-vector-elements: still
// threaded, not vectorized.

#in = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
#out = affine_map<(d0, d1, d2) -> (d0, d2)>
// CHECK-LABEL: func.func @pool_tokens
// CHECK:         scf.forall (%{{.*}}) in (16)
// CHECK:           vector.transfer_read {{.*}} vector<8x384xf32>
// CHECK-NOT:       vector.reduction
// CHECK-COUNT-8:   arith.addf {{.*}} : vector<384xf32>
// CHECK:         scf.forall (%{{.*}}) in (16)
// CHECK:           linalg.generic
// CHECK-SAME:        tensor<1x32x384xf32>
func.func @pool_tokens(%x: tensor<16x8x384xf32>, %y: tensor<16x32x384xf32>) -> (tensor<16x384xf32>, tensor<16x384xf32>) {
  %cst = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<16x384xf32>
  %z = linalg.fill ins(%cst : f32) outs(%e : tensor<16x384xf32>) -> tensor<16x384xf32>
  %s = linalg.generic {indexing_maps = [#in, #out], iterator_types = ["parallel", "reduction", "parallel"]}
      ins(%x : tensor<16x8x384xf32>) outs(%z : tensor<16x384xf32>) {
    ^bb0(%a: f32, %acc: f32):
      %r = arith.addf %a, %acc : f32
      linalg.yield %r : f32
  } -> tensor<16x384xf32>
  %t = linalg.generic {indexing_maps = [#in, #out], iterator_types = ["parallel", "reduction", "parallel"]}
      ins(%y : tensor<16x32x384xf32>) outs(%z : tensor<16x384xf32>) {
    ^bb0(%a: f32, %acc: f32):
      %r = arith.addf %a, %acc : f32
      linalg.yield %r : f32
  } -> tensor<16x384xf32>
  return %s, %t : tensor<16x384xf32>, tensor<16x384xf32>
}

// -----

// A boolean mask stays scalar (an i1 in memory is a byte, a vector lane a
// bit) but is still split over threads when it is big enough; a small op is
// left alone; unit dimensions are dropped first.

#m2 = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-LABEL: func.func @mask
// CHECK:         scf.forall
// CHECK:           linalg.generic
// CHECK-NOT:       vector.
// CHECK:           arith.cmpi ne
func.func @mask(%ids: tensor<256x128xi64>) -> tensor<256x128xi1> {
  %c0 = arith.constant 0 : i64
  %e = tensor.empty() : tensor<256x128xi1>
  %m = linalg.generic {indexing_maps = [#m2, #m2], iterator_types = ["parallel", "parallel"]}
      ins(%ids : tensor<256x128xi64>) outs(%e : tensor<256x128xi1>) {
    ^bb0(%a: i64, %o: i1):
      %b = arith.cmpi ne, %a, %c0 : i64
      linalg.yield %b : i1
  } -> tensor<256x128xi1>
  return %m : tensor<256x128xi1>
}

// -----

#u = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
// CHECK-LABEL: func.func @unit_dims
// CHECK:         tensor.collapse_shape {{.*}} into tensor<2x1280xf32>
// CHECK:         scf.for
// CHECK:           arith.mulf {{.*}} : vector<1280xf32>
// CHECK:         tensor.expand_shape {{.*}} into tensor<2x1280x1x1xf32>
func.func @unit_dims(%x: tensor<2x1280x1x1xf32>) -> tensor<2x1280x1x1xf32> {
  %e = tensor.empty() : tensor<2x1280x1x1xf32>
  %r = linalg.generic {indexing_maps = [#u, #u], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%x : tensor<2x1280x1x1xf32>) outs(%e : tensor<2x1280x1x1xf32>) {
    ^bb0(%a: f32, %o: f32):
      %m = arith.mulf %a, %a : f32
      linalg.yield %m : f32
  } -> tensor<2x1280x1x1xf32>
  return %r : tensor<2x1280x1x1xf32>
}

// -----

// A transposing copy reads its rows strided: threads, no vectors.

#t_in = affine_map<(d0, d1) -> (d1, d0)>
#t_out = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-LABEL: func.func @transpose
// CHECK:         scf.forall (%{{.*}}) in (256)
// CHECK:           linalg.generic
// CHECK-NOT:     vector.transfer_read
func.func @transpose(%x: tensor<512x256xf32>) -> tensor<256x512xf32> {
  %e = tensor.empty() : tensor<256x512xf32>
  %r = linalg.generic {indexing_maps = [#t_in, #t_out], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<512x256xf32>) outs(%e : tensor<256x512xf32>) {
    ^bb0(%a: f32, %o: f32):
      linalg.yield %a : f32
  } -> tensor<256x512xf32>
  return %r : tensor<256x512xf32>
}

// -----

// Padding becomes a threaded, vectorized fill and a slice insertion; a zero
// fill shared by two GEMMs (CSE) gets one copy right before each, where the
// GEMM kernel finds and drops it.

// CHECK-LABEL: func.func @pad_and_gemm_fills
// CHECK:         scf.forall (%{{.*}}, %{{.*}}, %{{.*}}) in (2, 34, 34)
// CHECK:           vector.transfer_write {{.*}} : vector<64xf32>
// CHECK:         tensor.insert_slice %{{.*}} into %{{.*}}[0, 1, 1, 0] [2, 32, 32, 64]
// CHECK:         %[[F1:.*]] = linalg.fill
// CHECK-NEXT:    linalg.matmul {{.*}} outs(%[[F1]] :
// CHECK:         %[[F2:.*]] = linalg.fill
// CHECK-NEXT:    linalg.matmul {{.*}} outs(%[[F2]] :
func.func @pad_and_gemm_fills(%x: tensor<2x32x32x64xf32>, %a: tensor<64x64xf32>, %b: tensor<64x64xf32>)
    -> (tensor<2x34x34x64xf32>, tensor<64x64xf32>, tensor<64x64xf32>) {
  %zero = arith.constant 0.0 : f32
  %p = tensor.pad %x low[0, 1, 1, 0] high[0, 1, 1, 0] {
  ^bb0(%i: index, %j: index, %k: index, %l: index):
    tensor.yield %zero : f32
  } : tensor<2x32x32x64xf32> to tensor<2x34x34x64xf32>
  %e = tensor.empty() : tensor<64x64xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<64x64xf32>) -> tensor<64x64xf32>
  %m1 = linalg.matmul ins(%a, %b : tensor<64x64xf32>, tensor<64x64xf32>) outs(%z : tensor<64x64xf32>) -> tensor<64x64xf32>
  %m2 = linalg.matmul ins(%m1, %b : tensor<64x64xf32>, tensor<64x64xf32>) outs(%z : tensor<64x64xf32>) -> tensor<64x64xf32>
  return %p, %m1, %m2 : tensor<2x34x34x64xf32>, tensor<64x64xf32>, tensor<64x64xf32>
}

// -----

// Runtime rows (a dynamic batch and sequence): the rows are threaded over
// their runtime counts and each static 64-element row is one vector.

#id = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
#ch = affine_map<(d0, d1, d2) -> (d2)>
// CHECK-LABEL: func.func @dynamic_rows
// CHECK:         scf.forall (%{{.*}}, %{{.*}}) in (%{{.*}}, %{{.*}}) shared_outs
// CHECK:           tensor.extract_slice {{.*}} [1, 1, 64] [1, 1, 1] : tensor<?x?x64xf32> to tensor<1x1x64xf32>
// CHECK:           arith.mulf {{.*}} : vector<64xf32>
// CHECK-NOT:     linalg.generic
func.func @dynamic_rows(%x: tensor<?x?x64xf32>, %g: tensor<64xf32>) -> tensor<?x?x64xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %d0 = tensor.dim %x, %c0 : tensor<?x?x64xf32>
  %d1 = tensor.dim %x, %c1 : tensor<?x?x64xf32>
  %e = tensor.empty(%d0, %d1) : tensor<?x?x64xf32>
  %r = linalg.generic {indexing_maps = [#id, #ch, #id], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%x, %g : tensor<?x?x64xf32>, tensor<64xf32>) outs(%e : tensor<?x?x64xf32>) {
    ^bb0(%a: f32, %gg: f32, %o: f32):
      %t = arith.mulf %a, %gg : f32
      linalg.yield %t : f32
  } -> tensor<?x?x64xf32>
  return %r : tensor<?x?x64xf32>
}

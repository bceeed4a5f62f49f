// RUN: effc-opt %s --effc-lower-hls="max-dims=4,16" -split-input-file | FileCheck %s
// RUN: effc-opt %s --effc-hls-pipeline="max-dims=4,16" -split-input-file | effc-translate --emit-hls-cpp -split-input-file | FileCheck %s --check-prefix=CPP

// Tests that a function with a dynamic batch and sequence takes arrays at
// the bounds of max-dims and the runtime sizes as trailing index
// parameters (clamped to their bounds), that a reduction (a layernorm row
// sum) starts from its linalg.fill and loops to the runtime sizes with
// their largest trip counts, and that the result's shape is recorded.
// CHECK: #[[SHAPE:.+]] = affine_map<()[s0, s1] -> (s0, s1, 8)>
// CHECK-LABEL: func.func @rows
// CHECK-SAME: (%[[X:.+]]: memref<4x16x8xf32>, %[[Y:.+]]: memref<4x16x8xf32>, %[[N0:.+]]: index, %[[N1:.+]]: index)
// CHECK-SAME: effc.hls.max_dims = array<i64: 4, 16>
// CHECK-SAME: effc.hls.num_inputs = 1 : i64
// CHECK-SAME: effc.hls.shapes = [#[[SHAPE]], #[[SHAPE]]]
// CHECK: %[[B0:.+]] = arith.constant 4 : index
// CHECK: %[[D0:.+]] = arith.minsi %[[N0]], %[[B0]] : index
// CHECK: %[[B1:.+]] = arith.constant 16 : index
// CHECK: %[[D1:.+]] = arith.minsi %[[N1]], %[[B1]] : index
// CHECK: %[[SUM:.+]] = memref.alloc() : memref<4x16xf32>
// CHECK: affine.for %[[I:.+]] = 0 to %[[D0]] {
// CHECK-NEXT: affine.for %[[J:.+]] = 0 to %[[D1]] {
// CHECK: affine.store %{{.+}}, %[[SUM]][%[[I]], %[[J]]]
// CHECK: } {effc.hls.pipeline_ii = 1 : i64, effc.hls.tripcount = 16 : i64}
// CHECK-NEXT: } {effc.hls.layer = "generic_0_init", effc.hls.tripcount = 4 : i64}
// CHECK: affine.for %[[I:.+]] = 0 to %[[D0]] {
// CHECK-NEXT: affine.for %[[J:.+]] = 0 to %[[D1]] {
// CHECK-NEXT: affine.for %[[K:.+]] = 0 to 8 {
// CHECK-NEXT: %[[A:.+]] = affine.load %[[X]][%[[I]], %[[J]], %[[K]]]
// CHECK-NEXT: %[[ACC:.+]] = affine.load %[[SUM]][%[[I]], %[[J]]]
// CHECK-NEXT: %[[NEW:.+]] = arith.addf %[[A]], %[[ACC]] : f32
// CHECK-NEXT: affine.store %[[NEW]], %[[SUM]][%[[I]], %[[J]]]
// CHECK: } {effc.hls.layer = "generic_0", effc.hls.tripcount = 4 : i64}
// CHECK: affine.store %{{.+}}, %[[Y]][%{{.+}}, %{{.+}}, %{{.+}}]
// CPP: // Runtime sizes: dim0 <= 4, dim1 <= 16 (max-dims).
// CPP: //   in0: [dim0, dim1, 8]
// CPP: //   out0: [dim0, dim1, 8]
// CPP: void rows(float in0[4][16][8], float out0[4][16][8], int dim0, int dim1) {
// CPP: #pragma HLS INTERFACE mode=s_axilite port=dim0
// CPP: #pragma HLS INTERFACE mode=s_axilite port=dim1
// CPP: int [[D0:v[0-9]+]] = dim0 < {{v[0-9]+}} ? int(dim0) : int({{v[0-9]+}});
// CPP: int [[D1:v[0-9]+]] = dim1 < {{v[0-9]+}} ? int(dim1) : int({{v[0-9]+}});
// CPP: generic_0:
// CPP-NEXT: for (int [[I:v[0-9]+]] = 0; [[I]] < [[D0]]; [[I]] += 1) {
// CPP-NEXT: #pragma HLS loop_tripcount max=4
// CPP-NEXT: for (int [[J:v[0-9]+]] = 0; [[J]] < [[D1]]; [[J]] += 1) {
// CPP-NEXT: #pragma HLS loop_tripcount max=16
// CPP-NEXT: for (int [[K:v[0-9]+]] = 0; [[K]] < 8; [[K]] += 1) {
// CPP-NOT: loop_tripcount
// CPP: }
func.func @rows(%x: tensor<?x?x8xf32>) -> tensor<?x?x8xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %zero = arith.constant 0.0 : f32
  %n = arith.constant 8.0 : f32
  %d0 = tensor.dim %x, %c0 : tensor<?x?x8xf32>
  %d1 = tensor.dim %x, %c1 : tensor<?x?x8xf32>
  %e = tensor.empty(%d0, %d1) : tensor<?x?xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<?x?xf32>) -> tensor<?x?xf32>
  %s = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1)>], iterator_types = ["parallel", "parallel", "reduction"]} ins(%x : tensor<?x?x8xf32>) outs(%f : tensor<?x?xf32>) {
  ^bb0(%a: f32, %o: f32):
    %t = arith.addf %a, %o : f32
    linalg.yield %t : f32
  } -> tensor<?x?xf32>
  %e3 = tensor.empty(%d0, %d1) : tensor<?x?x8xf32>
  %y = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel"]} ins(%x, %s : tensor<?x?x8xf32>, tensor<?x?xf32>) outs(%e3 : tensor<?x?x8xf32>) {
  ^bb0(%a: f32, %m: f32, %o: f32):
    %mean = arith.divf %m, %n : f32
    %t = arith.subf %a, %mean : f32
    linalg.yield %t : f32
  } -> tensor<?x?x8xf32>
  return %y : tensor<?x?x8xf32>
}

// -----

// Tests causal attention over a runtime query length (at most 4) and key
// length (at most 16): the query rows and the keys run to the runtime
// sizes, and key j is visible from row i iff j <= i + Skv - Sq.
// CHECK-DAG: #[[OFFSET:.+]] = affine_map<()[s0, s1] -> (s1 - s0)>
// CHECK-LABEL: func.func @attn
// CHECK-SAME: (%{{.+}}: memref<1x2x4x8xf32>, %{{.+}}: memref<1x2x16x8xf32>, %{{.+}}: memref<1x2x4x8xf32>, %[[N0:.+]]: index, %[[N1:.+]]: index)
// CHECK: %[[SQ:.+]] = arith.minsi %[[N0]]
// CHECK: %[[SKV:.+]] = arith.minsi %[[N1]]
// CHECK: affine.for %[[I:.+]] = 0 to %[[SQ]] {
// CHECK: %[[OFF:.+]] = affine.apply #[[OFFSET]]()[%[[SQ]], %[[SKV]]]
// CHECK: affine.for %[[J:.+]] = 0 to %[[SKV]] iter_args
// CHECK-NEXT: %[[LAST:.+]] = arith.addi %[[I]], %[[OFF]] : index
// CHECK-NEXT: %[[VIS:.+]] = arith.cmpi sle, %[[J]], %[[LAST]] : index
// CHECK-NEXT: scf.if %[[VIS]]
// CHECK: } {effc.hls.tripcount = 16 : i64}
// CHECK: } {effc.hls.tripcount = 4 : i64}
// CPP: void attn(float in0[1][2][4][8], float in1[1][2][16][8], float out0[1][2][4][8], int dim0, int dim1) {
// CPP: int [[OFF:v[0-9]+]] = ({{v[0-9]+}} + ({{v[0-9]+}} * -1));
// CPP: for (int [[J:v[0-9]+]] = 0; [[J]] < {{v[0-9]+}}; [[J]] += 1) {
// CPP-NEXT: #pragma HLS loop_tripcount max=16
// CPP: int [[LAST:v[0-9]+]] = {{v[0-9]+}} + [[OFF]];
// CPP-NEXT: bool {{v[0-9]+}} = [[J]] <= [[LAST]];
func.func @attn(%q: tensor<1x2x?x8xf32>, %kv: tensor<1x2x?x8xf32>) -> tensor<1x2x?x8xf32> {
  %o = effc.attention %q, %kv, %kv {mask = #effc.mask<causal>} : tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32> -> tensor<1x2x?x8xf32>
  return %o : tensor<1x2x?x8xf32>
}

// -----

// Tests the head split that torch-mlir emits around attention: a slice, an
// expand_shape and transposes with dynamic leading dims are copies indexed
// at the bounds, and the result's own array is the last copy's.
// CHECK-LABEL: func.func @heads
// CHECK-SAME: (%[[X:.+]]: memref<4x16x8xf32>, %[[Y:.+]]: memref<4x16x4xf32>, %{{.+}}: index, %{{.+}}: index)
// CHECK: %[[SLICE:.+]] = memref.alloc() : memref<4x16x4xf32>
// CHECK: affine.load %[[X]][%{{.+}}, %{{.+}}, %{{.+}} + 4]
// CHECK: } {effc.hls.layer = "extract_slice_0"
// CHECK: %[[HEADS:.+]] = memref.alloc() : memref<4x16x2x2xf32>
// CHECK: affine.load %[[SLICE]][%{{.+}}, %{{.+}}, %[[H:.+]] * 2 + %[[E:.+]]]
// CHECK: } {effc.hls.layer = "expand_shape_1"
// CHECK: memref.alloc() : memref<4x2x16x2xf32>
// CHECK: } {effc.hls.layer = "transpose_2"
// CHECK: } {effc.hls.layer = "transpose_3"
// CHECK: affine.load %{{.+}}[%{{.+}}, %{{.+}}, %{{.+}} floordiv 2, %{{.+}} mod 2]
// CHECK-NEXT: affine.store %{{.+}}, %[[Y]][%{{.+}}, %{{.+}}, %{{.+}}]
// CHECK: } {effc.hls.layer = "collapse_shape_4"
func.func @heads(%x: tensor<?x?x8xf32>) -> tensor<?x?x4xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %d0 = tensor.dim %x, %c0 : tensor<?x?x8xf32>
  %d1 = tensor.dim %x, %c1 : tensor<?x?x8xf32>
  %s = tensor.extract_slice %x[0, 0, 4] [%d0, %d1, 4] [1, 1, 1] : tensor<?x?x8xf32> to tensor<?x?x4xf32>
  %h = tensor.expand_shape %s [[0], [1], [2, 3]] output_shape [%d0, %d1, 2, 2] : tensor<?x?x4xf32> into tensor<?x?x2x2xf32>
  %e = tensor.empty(%d0, %d1) : tensor<?x2x?x2xf32>
  %t = linalg.transpose ins(%h : tensor<?x?x2x2xf32>) outs(%e : tensor<?x2x?x2xf32>) permutation = [0, 2, 1, 3]
  %e2 = tensor.empty(%d0, %d1) : tensor<?x?x2x2xf32>
  %b = linalg.transpose ins(%t : tensor<?x2x?x2xf32>) outs(%e2 : tensor<?x?x2x2xf32>) permutation = [0, 2, 1, 3]
  %c = tensor.collapse_shape %b [[0], [1], [2, 3]] : tensor<?x?x2x2xf32> into tensor<?x?x4xf32>
  return %c : tensor<?x?x4xf32>
}

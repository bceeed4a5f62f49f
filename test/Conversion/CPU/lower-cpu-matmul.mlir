// RUN: effc-opt %s --effc-lower-cpu-matmul="vector-width=16 threads=2" -split-input-file | FileCheck %s
// RUN: effc-opt %s --effc-lower-cpu-matmul="vector-width=8 threads=2" -split-input-file | FileCheck %s --check-prefix=VW8
// RUN: not effc-opt %s --effc-lower-cpu-matmul="vector-width=5" -split-input-file 2>&1 | FileCheck %s --check-prefix=BADVW

// Tests that a vector width other than 4, 8 or 16 is a user error.
// BADVW: error: vector-width must be 4, 8 or 16

// Tests that a 64x128x96 f32 matmul becomes the packed kernel: B packed
// into [panels, K, 2 x 16] and A into k-major tiles, panels split over two
// threads with scf.parallel, and a register tile of vector.fma on
// vector<16xf32> accumulating into C.

// CHECK-LABEL: func.func @matmul_packed
// CHECK-SAME: (%[[A:.+]]: memref<64x128xf32>, %[[B:.+]]: memref<128x96xf32>, %[[C:.+]]: memref<64x96xf32>)
// CHECK-NOT: linalg.matmul
// CHECK: %[[PB:.+]] = memref.alloc() {alignment = 64 : i64} : memref<3x128x32xf32>
// CHECK-DAG: %[[C0:.+]] = arith.constant 0 : index
// CHECK-DAG: %[[C1:.+]] = arith.constant 1 : index
// CHECK-DAG: %[[C2:.+]] = arith.constant 2 : index
// CHECK: scf.parallel (%{{.+}}) = (%[[C0]]) to (%[[C2]]) step (%[[C1]])
// CHECK: vector.maskedload %[[B]]
// CHECK: vector.store %{{.+}}, %[[PB]]
// CHECK: %[[PA:.+]] = memref.alloc() {alignment = 64 : i64} : memref<{{.+}}x8xf32>
// CHECK: memref.store %{{.+}}, %[[PA]]
// CHECK: vector.maskedload %[[C]]
// CHECK: scf.for {{.+}} iter_args({{.+}}) -> (vector<16xf32>
// CHECK: vector.load %[[PB]]
// CHECK: memref.load %[[PA]]
// CHECK: vector.broadcast %{{.+}} : f32 to vector<16xf32>
// CHECK: vector.fma %{{.+}}, %{{.+}}, %{{.+}} : vector<16xf32>
// CHECK: scf.yield
// CHECK: vector.maskedstore %[[C]]
// CHECK: memref.dealloc %[[PA]]
// CHECK: scf.reduce
// CHECK: memref.dealloc %[[PB]]
// CHECK-NOT: linalg.matmul
// CHECK: return

// VW8-LABEL: func.func @matmul_packed
// VW8: memref.alloc() {alignment = 64 : i64} : memref<6x128x16xf32>
// VW8: vector.fma %{{.+}}, %{{.+}}, %{{.+}} : vector<8xf32>
// VW8-NOT: vector<16xf32>
// VW8: return
func.func @matmul_packed(%a: memref<64x128xf32>, %b: memref<128x96xf32>, %c: memref<64x96xf32>) {
  linalg.matmul ins(%a, %b : memref<64x128xf32>, memref<128x96xf32>)
                outs(%c : memref<64x96xf32>)
  return
}

// -----

// Tests that a matmul with M = 1 (bandwidth-bound) skips packing: no
// buffer is allocated and the register tile reads B directly.

// CHECK-LABEL: func.func @matmul_m1
// CHECK-SAME: (%[[A:.+]]: memref<1x128xf32>, %[[B:.+]]: memref<128x96xf32>, %[[C:.+]]: memref<1x96xf32>)
// CHECK-NOT: memref.alloc
// CHECK: scf.parallel
// CHECK-NOT: memref.alloc
// CHECK: scf.for {{.+}} iter_args({{.+}}) -> (vector<16xf32>
// CHECK: vector.maskedload %[[B]]
// CHECK: memref.load %[[A]]
// CHECK: vector.fma %{{.+}}, %{{.+}}, %{{.+}} : vector<16xf32>
// CHECK: vector.maskedstore %[[C]]
// CHECK-NOT: memref.alloc
// CHECK-NOT: linalg.matmul
// CHECK: return

// VW8-LABEL: func.func @matmul_m1
// VW8-NOT: memref.alloc
// VW8: vector.fma %{{.+}}, %{{.+}}, %{{.+}} : vector<8xf32>
// VW8: return
func.func @matmul_m1(%a: memref<1x128xf32>, %b: memref<128x96xf32>, %c: memref<1x96xf32>) {
  linalg.matmul ins(%a, %b : memref<1x128xf32>, memref<128x96xf32>)
                outs(%c : memref<1x96xf32>)
  return
}

// -----

// Tests that an f16 matmul is left untouched: the kernel is f32 only.

// CHECK-LABEL: func.func @matmul_f16
// CHECK-NOT: scf.parallel
// CHECK-NOT: vector.
// CHECK: linalg.matmul ins(%{{.+}}, %{{.+}} : memref<64x128xf16>, memref<128x96xf16>) outs(%{{.+}} : memref<64x96xf16>)
// CHECK-NOT: scf.parallel
// CHECK: return
func.func @matmul_f16(%a: memref<64x128xf16>, %b: memref<128x96xf16>, %c: memref<64x96xf16>) {
  linalg.matmul ins(%a, %b : memref<64x128xf16>, memref<128x96xf16>)
                outs(%c : memref<64x96xf16>)
  return
}

// -----

// Tests that a matmul with user-defined (transposed-B) indexing maps is
// left untouched: the kernel reads B as [K, N].

// CHECK-LABEL: func.func @matmul_transposed_b
// CHECK-NOT: scf.parallel
// CHECK-NOT: vector.
// CHECK: linalg.matmul indexing_maps = [#{{.+}}, #{{.+}}, #{{.+}}] ins(%{{.+}}, %{{.+}} : memref<64x128xf32>, memref<96x128xf32>)
// CHECK-NOT: scf.parallel
// CHECK: return
func.func @matmul_transposed_b(%a: memref<64x128xf32>, %b: memref<96x128xf32>, %c: memref<64x96xf32>) {
  linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (m, k)>,
                                 affine_map<(m, n, k) -> (n, k)>,
                                 affine_map<(m, n, k) -> (m, n)>]
                ins(%a, %b : memref<64x128xf32>, memref<96x128xf32>)
                outs(%c : memref<64x96xf32>)
  return
}

// RUN: effc-opt %s --effc-lower-cpu-copies | FileCheck %s

// Tests that strided copies with a runtime row count become vector row
// copies instead of the runtime's element-by-element memrefCopy: threaded
// over the runtime rows at the top level, a serial row loop inside a
// kernel's loops; a static copy inside loops is left alone.

// CHECK-LABEL: func.func @dynamic_rows
// CHECK:         %[[N:.+]] = memref.dim %{{.+}}, %{{.+}} : memref<?x16xf32, strided<[32, 1], offset: ?>>
// CHECK:         scf.parallel (%[[I:.+]]) = (%{{.+}}) to (%[[N]])
// CHECK:           vector.transfer_read %{{.+}}[%[[I]], %{{.+}}], %{{.+}} {in_bounds = [true]} : memref<?x16xf32, strided<[32, 1], offset: ?>>, vector<16xf32>
// CHECK:           vector.transfer_write
// CHECK-NOT:     memref.copy
func.func @dynamic_rows(%src: memref<?x16xf32, strided<[32, 1], offset: ?>>, %dst: memref<?x16xf32>) {
  memref.copy %src, %dst : memref<?x16xf32, strided<[32, 1], offset: ?>> to memref<?x16xf32>
  return
}

// CHECK-LABEL: func.func @nested
// CHECK:         scf.for
// CHECK:           %[[N:.+]] = memref.dim
// CHECK:           scf.for %[[I:.+]] = %{{.+}} to %[[N]]
// CHECK:             vector.transfer_read %{{.+}}[%[[I]], %{{.+}}]
// CHECK:             vector.transfer_write
// CHECK-NOT:     scf.parallel
// CHECK:         memref.copy %{{.+}}, %{{.+}} : memref<4x16xf32, strided<[32, 1]>> to memref<4x16xf32>
func.func @nested(%src: memref<?x16xf32, strided<[16, 1], offset: ?>>, %dst: memref<?x16xf32, strided<[16, 1], offset: ?>>, %s: memref<4x16xf32, strided<[32, 1]>>, %d: memref<4x16xf32>, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  scf.for %i = %c0 to %n step %c1 {
    memref.copy %src, %dst : memref<?x16xf32, strided<[16, 1], offset: ?>> to memref<?x16xf32, strided<[16, 1], offset: ?>>
    memref.copy %s, %d : memref<4x16xf32, strided<[32, 1]>> to memref<4x16xf32>
  }
  return
}

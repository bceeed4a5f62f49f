// RUN: effc-opt %s --effc-lower-dynamic-expand-shape -split-input-file | FileCheck %s
// RUN: effc-opt %s --effc-lower-dynamic-expand-shape --expand-strided-metadata -split-input-file | FileCheck %s --check-prefix=ESM

// Tests that an expand splitting one runtime size into two (a linear
// layer's [M, N] result back to [B, S, N]) becomes the reinterpret_cast
// with the identity layout's strides, which expand-strided-metadata then
// takes (on the expand itself it crashes: docs/upstream-bugs.md).

// CHECK-LABEL: func.func @split_dynamic
// CHECK-SAME: (%[[M:.+]]: memref<?x96xf32>, %[[B:.+]]: index, %[[S:.+]]: index)
// CHECK: %[[C96:.+]] = arith.constant 96 : index
// CHECK: %[[ST:.+]] = arith.muli %[[S]], %[[C96]] : index
// CHECK: memref.reinterpret_cast %[[M]] to offset: [0], sizes: [%[[B]], %[[S]], 96], strides: [%[[ST]], 96, 1] : memref<?x96xf32> to memref<?x?x96xf32>
// CHECK-NOT: memref.expand_shape
// ESM-LABEL: func.func @split_dynamic
// ESM: memref.reinterpret_cast
func.func @split_dynamic(%m: memref<?x96xf32>, %b: index, %s: index) -> memref<?x?x96xf32> {
  %e = memref.expand_shape %m [[0, 1], [2]] output_shape [%b, %s, 96] : memref<?x96xf32> into memref<?x?x96xf32>
  return %e : memref<?x?x96xf32>
}

// -----

// Tests that an expand with one runtime size per group (which the upstream
// pass takes) is left alone.

// CHECK-LABEL: func.func @one_dynamic_per_group
// CHECK: memref.expand_shape
// CHECK-NOT: memref.reinterpret_cast
func.func @one_dynamic_per_group(%m: memref<?x32xf32>, %b: index) -> memref<?x2x16xf32> {
  %e = memref.expand_shape %m [[0], [1, 2]] output_shape [%b, 2, 16] : memref<?x32xf32> into memref<?x2x16xf32>
  return %e : memref<?x2x16xf32>
}

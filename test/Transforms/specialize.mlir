// RUN: effc-opt %s -split-input-file --effc-specialize="batch=1,8 seq=16" | FileCheck %s
// RUN: not effc-opt %s -split-input-file --effc-specialize="batch=0" 2>&1 | FileCheck %s --check-prefix=ZERO
// RUN: not effc-opt %s -split-input-file --effc-specialize 2>&1 | FileCheck %s --check-prefix=NONE

// Tests --effc-specialize: one private static version per (batch, seq)
// size whose body canonicalization makes static (tensor.dim, tensor.empty,
// linalg ops, a torch-mlir view as tensor.reshape by a shape that folds),
// the general version as @<name>_dynamic, and a dispatcher in the
// original's place that compares the runtime dims and calls through
// tensor.cast.

// ZERO: error: effc-specialize: sizes must be at least 1, got 0
// NONE: error: effc-specialize: give the sizes to compile: batch=B,... and / or seq=S,...

// CHECK-LABEL: func.func private @main_b1_s16(
// CHECK-SAME:    %{{.+}}: tensor<1x16x32xf32>) -> tensor<1x16x2x16xf32>
// CHECK-SAME:    attributes {effc.specialized_from = "main"}
// CHECK-NOT:     ?x
// CHECK:         linalg.generic {{.*}} outs(%{{.+}} : tensor<1x16x32xf32>)
// CHECK-NOT:     tensor.reshape
// CHECK:         tensor.expand_shape {{.*}} : tensor<1x16x32xf32> into tensor<1x16x2x16xf32>
// CHECK:         return %{{.+}} : tensor<1x16x2x16xf32>
// CHECK-LABEL: func.func private @main_b8_s16(
// CHECK-SAME:    %{{.+}}: tensor<8x16x32xf32>) -> tensor<8x16x2x16xf32>
// CHECK-LABEL: func.func private @main_dynamic(
// CHECK-SAME:    %{{.+}}: tensor<?x?x32xf32>) -> tensor<?x?x2x16xf32>
// CHECK:         tensor.reshape
// CHECK-LABEL: func.func @main(
// CHECK-SAME:    %[[X:.+]]: tensor<?x?x32xf32>) -> tensor<?x?x2x16xf32> {
// CHECK-DAG:     %[[B:.+]] = tensor.dim %[[X]], %c0
// CHECK-DAG:     %[[S:.+]] = tensor.dim %[[X]], %c1
// CHECK:         %[[B1:.+]] = arith.cmpi eq, %[[B]], %c1
// CHECK:         %[[S16:.+]] = arith.cmpi eq, %[[S]], %c16
// CHECK:         %[[M1:.+]] = arith.andi %[[B1]], %[[S16]]
// CHECK:         %[[R:.+]] = scf.if %[[M1]] -> (tensor<?x?x2x16xf32>) {
// CHECK:           %[[C:.+]] = tensor.cast %[[X]] : tensor<?x?x32xf32> to tensor<1x16x32xf32>
// CHECK:           %[[Y:.+]] = func.call @main_b1_s16(%[[C]])
// CHECK:           %[[YC:.+]] = tensor.cast %[[Y]] : tensor<1x16x2x16xf32> to tensor<?x?x2x16xf32>
// CHECK:           scf.yield %[[YC]]
// CHECK:         } else {
// CHECK:           scf.if
// CHECK:             func.call @main_b8_s16(
// CHECK:           } else {
// CHECK:             func.call @main_dynamic(%[[X]])
// CHECK:         return %[[R]]
func.func @main(%x: tensor<?x?x32xf32>) -> tensor<?x?x2x16xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %b = tensor.dim %x, %c0 : tensor<?x?x32xf32>
  %s = tensor.dim %x, %c1 : tensor<?x?x32xf32>
  %e = tensor.empty(%b, %s) : tensor<?x?x32xf32>
  %y = linalg.generic {indexing_maps = [affine_map<(a, b, c) -> (a, b, c)>, affine_map<(a, b, c) -> (a, b, c)>], iterator_types = ["parallel", "parallel", "parallel"]} ins(%x : tensor<?x?x32xf32>) outs(%e : tensor<?x?x32xf32>) {
  ^bb0(%in: f32, %out: f32):
    %t = math.tanh %in : f32
    linalg.yield %t : f32
  } -> tensor<?x?x32xf32>
  %bi = arith.index_cast %b : index to i64
  %si = arith.index_cast %s : index to i64
  %c2 = arith.constant 2 : i64
  %c16 = arith.constant 16 : i64
  %shape = tensor.from_elements %bi, %si, %c2, %c16 : tensor<4xi64>
  %r = tensor.reshape %y(%shape) : (tensor<?x?x32xf32>, tensor<4xi64>) -> tensor<?x?x2x16xf32>
  return %r : tensor<?x?x2x16xf32>
}

// -----

// A function with static arguments is left alone.
// CHECK-LABEL: func.func @static(
// CHECK-NOT:   func.func private @static_
func.func @static(%x: tensor<4x32xf32>) -> tensor<4x32xf32> {
  return %x : tensor<4x32xf32>
}

// RUN: effc-opt %s --effc-emit-c-interface | FileCheck %s

// Tests that public functions with a body get llvm.emit_c_interface while
// private functions and external declarations do not.

// CHECK-LABEL: func.func @public_fn
// CHECK-SAME: attributes {llvm.emit_c_interface}
func.func @public_fn(%a: tensor<4xf32>) -> tensor<4xf32> {
  return %a : tensor<4xf32>
}

// CHECK-LABEL: func.func private @private_fn
// CHECK-NOT: llvm.emit_c_interface
// CHECK: return
func.func private @private_fn(%a: tensor<4xf32>) -> tensor<4xf32> {
  return %a : tensor<4xf32>
}

// CHECK-LABEL: func.func private @external_fn
// CHECK-NOT: llvm.emit_c_interface
// CHECK-SAME: -> tensor<4xf32>{{$}}
func.func private @external_fn(%a: tensor<4xf32>) -> tensor<4xf32>

// CHECK-LABEL: func.func @public_memref_fn
// CHECK-SAME: attributes {llvm.emit_c_interface}
func.func @public_memref_fn(%a: memref<4xf32>) {
  return
}

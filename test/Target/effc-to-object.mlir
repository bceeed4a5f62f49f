// RUN: effc-translate --effc-to-object %s -o %t.o
// RUN: llvm-nm %t.o | FileCheck %s

// Tests that --effc-to-object compiles a tensor-level module to a native
// object that defines the function and its C interface wrapper.

// CHECK-DAG: {{[0-9a-f]+}} T _mlir_ciface_linear{{$}}
// CHECK-DAG: {{[0-9a-f]+}} T linear{{$}}

func.func @linear(%x: tensor<8x64xf32>, %w: tensor<32x64xf32>) -> tensor<8x32xf32> {
  %0 = effc.linear %x, %w : tensor<8x64xf32>, tensor<32x64xf32> -> tensor<8x32xf32>
  return %0 : tensor<8x32xf32>
}

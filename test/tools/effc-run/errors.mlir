// Tests that effc-run rejects bad inputs, entries, flags and pipelines with an
// `error:` diagnostic and exit code 1.

// The .npy inputs come from effc-run itself: @make returns four filled tensors.
// RUN: effc-run %s --entry make --output %t.a.npy,%t.b.npy,%t.shape.npy,%t.dtype.npy

// A good run: every element of A * B is 8 * 0.5.
// RUN: effc-run %s --entry mm --input %t.a.npy --input %t.b.npy | FileCheck %s --check-prefix=GOOD
// GOOD: effc-run: output 0 tensor<4x3xf32> = [4, 4, 4, 4, 4, 4, 4, 4, ... (12 elements)]

// RUN: not effc-run %s --entry mm --input %t.missing.npy,%t.b.npy 2>&1 | FileCheck %s --check-prefix=MISSING
// MISSING: error: input #0: cannot read '{{.*}}missing.npy'

// RUN: not effc-run %s --entry mm --input %t.a.npy 2>&1 | FileCheck %s --check-prefix=COUNT
// COUNT: error: @mm takes 2 argument(s), but 1 --input file(s) were given

// RUN: not effc-run %s --entry mm --input %t.shape.npy,%t.b.npy 2>&1 | FileCheck %s --check-prefix=SHAPE
// SHAPE: error: input #0: '{{.*}}shape.npy' holds a 4x7xf32 array, but argument #0 of @mm is tensor<4x8xf32>

// RUN: not effc-run %s --entry mm --input %t.a.npy,%t.dtype.npy 2>&1 | FileCheck %s --check-prefix=DTYPE
// DTYPE: error: input #1: '{{.*}}dtype.npy' holds a 4x8xi32 array, but argument #1 of @mm is tensor<8x3xf32>

// RUN: not effc-run %s --entry mm --input %s,%t.b.npy 2>&1 | FileCheck %s --check-prefix=NOTNPY
// NOTNPY: error: input #0: {{.*}}errors.mlir: not a .npy file (bad magic string)

// RUN: not effc-run %s --entry nope 2>&1 | FileCheck %s --check-prefix=ENTRY
// ENTRY: error: {{.*}}errors.mlir: no function @nope to run (defined: @make, @scalar, @mm)

// RUN: not effc-run %s --entry scalar 2>&1 | FileCheck %s --check-prefix=SCALAR
// SCALAR: errors.mlir:{{[0-9]+}}:1: error: argument #0 of @scalar has type 'f32'; entry points take ranked tensors

// RUN: not effc-run %s --entry mm --output %t.1.npy,%t.2.npy 2>&1 | FileCheck %s --check-prefix=OUTPUTS
// OUTPUTS: error: @mm returns 1 result(s), but 2 --output file(s) were given

// (--target cuda without a device: test/integration/gpu/no-device.mlir.)

// RUN: not effc-run %s --entry mm --pipeline "no-such-pass" 2>&1 | FileCheck %s --check-prefix=PIPELINE
// PIPELINE: error: invalid --pipeline "no-such-pass": {{.*}}'no-such-pass' does not refer to a registered pass or pass pipeline

// RUN: not effc-run %s.missing --entry mm 2>&1 | FileCheck %s --check-prefix=NOFILE
// NOFILE: error: cannot open input file '{{.*}}errors.mlir.missing'

func.func @make() -> (tensor<4x8xf32>, tensor<8x3xf32>, tensor<4x7xf32>, tensor<4x8xi32>) {
  %one = arith.constant 1.0 : f32
  %half = arith.constant 0.5 : f32
  %two = arith.constant 2.0 : f32
  %three = arith.constant 3 : i32
  %a0 = tensor.empty() : tensor<4x8xf32>
  %a = linalg.fill ins(%one : f32) outs(%a0 : tensor<4x8xf32>) -> tensor<4x8xf32>
  %b0 = tensor.empty() : tensor<8x3xf32>
  %b = linalg.fill ins(%half : f32) outs(%b0 : tensor<8x3xf32>) -> tensor<8x3xf32>
  %c0 = tensor.empty() : tensor<4x7xf32>
  %c = linalg.fill ins(%two : f32) outs(%c0 : tensor<4x7xf32>) -> tensor<4x7xf32>
  %d0 = tensor.empty() : tensor<4x8xi32>
  %d = linalg.fill ins(%three : i32) outs(%d0 : tensor<4x8xi32>) -> tensor<4x8xi32>
  return %a, %b, %c, %d : tensor<4x8xf32>, tensor<8x3xf32>, tensor<4x7xf32>, tensor<4x8xi32>
}

func.func @scalar(%x: f32) -> f32 {
  return %x : f32
}

func.func @mm(%a: tensor<4x8xf32>, %b: tensor<8x3xf32>) -> tensor<4x3xf32> {
  %zero = arith.constant 0.0 : f32
  %init = tensor.empty() : tensor<4x3xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%init : tensor<4x3xf32>) -> tensor<4x3xf32>
  %r = linalg.matmul ins(%a, %b : tensor<4x8xf32>, tensor<8x3xf32>)
                     outs(%acc : tensor<4x3xf32>) -> tensor<4x3xf32>
  return %r : tensor<4x3xf32>
}

// RUN: effc-opt %s --effc-lower-cpu="cpu=skylake-avx512" | FileCheck %s
// RUN: effc-opt %s --effc-lower-cpu="cpu=skylake-avx512" | FileCheck %s --check-prefix=LLVMONLY
// RUN: effc-opt %s --effc-lower-cpu="cpu=haswell" | FileCheck %s --check-prefix=HSW
// RUN: not effc-opt %s --effc-lower-cpu="cpu=notacpu" 2>&1 | FileCheck %s --check-prefix=BADCPU

// Tests that effc.linear is lowered all the way to the llvm dialect for an
// AVX-512 CPU: the target is recorded on the module and the function, the
// matmul runs in an OpenMP parallel region with fused multiply-adds on
// 16-lane vectors, and the public function gets a C-interface wrapper.

// CHECK: module attributes {llvm.target_triple = "{{.+}}"}
// CHECK: llvm.func @linear(
// CHECK-SAME: attributes {llvm.emit_c_interface, target_cpu = "skylake-avx512"
// CHECK: omp.parallel
// CHECK: llvm.intr.fmuladd({{.+}}) : (vector<16xf32>, vector<16xf32>, vector<16xf32>) -> vector<16xf32>
// CHECK: llvm.func @_mlir_ciface_linear(
// CHECK-SAME: target_cpu = "skylake-avx512"
// CHECK: llvm.call @linear(

// Tests that only llvm and omp ops remain: no func, tensor, linalg, scf,
// memref, vector, arith or effc op survives.
// LLVMONLY-NOT: {{(= |  )(func|tensor|linalg|scf|memref|vector|arith|math|affine|cf|bufferization|effc)\.[a-z_]+}}

// Tests that an AVX2 CPU gets 8-lane vectors.
// HSW: llvm.func @linear(
// HSW-SAME: target_cpu = "haswell"
// HSW: llvm.intr.fmuladd({{.+}}) : (vector<8xf32>, vector<8xf32>, vector<8xf32>) -> vector<8xf32>
// HSW-NOT: vector<16xf32>

// Tests that an unknown CPU name is a user error, reported once and
// without LLVM's own warnings.
// BADCPU-NOT: not a recognized processor
// BADCPU: error: unknown CPU 'notacpu'
// BADCPU-NOT: not a recognized processor

func.func @linear(%x: tensor<64x256xf32>, %w: tensor<128x256xf32>) -> tensor<64x128xf32> {
  %0 = effc.linear %x, %w : tensor<64x256xf32>, tensor<128x256xf32> -> tensor<64x128xf32>
  return %0 : tensor<64x128xf32>
}

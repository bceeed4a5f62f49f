// RUN: effc-opt %s --effc-assign-precision="weights=i8 activations=i8" --effc-quantize --effc-cpu-pipeline="cpu=cascadelake" -o %t.lowered.mlir
// RUN: FileCheck %s --check-prefix=OMP < %t.lowered.mlir
// RUN: effc-translate --effc-to-llvmir %t.lowered.mlir | FileCheck %s --check-prefix=IR
// RUN: effc-translate --effc-to-object %t.lowered.mlir -o %t.o
// RUN: llvm-objdump -d %t.o | FileCheck %s --check-prefix=ASM

// Tests that a module lowered for another CPU keeps its target through
// effc-translate: the parallel loops (omp.*) do not make it lower the
// module again with the host's defaults, and the functions OpenMP outlines
// are compiled for the recorded CPU too, so a dynamic-int8 linear lowered
// for Cascade Lake uses VNNI (vpdpbusd) on any host.

// OMP: omp.parallel
// IR-NOT: "target-cpu"="{{[^c]}}
// IR: "target-cpu"="cascadelake"
// IR-NOT: "target-cpu"="{{[^c]}}
// ASM: vpdpbusd

func.func @forward(%x: tensor<64x256xf32>) -> tensor<64x256xf32> {
  %w = arith.constant dense<0.25> : tensor<256x256xf32>
  %y = effc.linear %x, %w : tensor<64x256xf32>, tensor<256x256xf32> -> tensor<64x256xf32>
  return %y : tensor<64x256xf32>
}

// RUN: effc-translate --effc-to-llvmir %s | FileCheck %s
// RUN: effc-opt %s --effc-lower-cpu="cpu=skylake-avx512" | effc-translate --effc-to-llvmir | FileCheck %s --check-prefix=SKX

// Tests that a module still on tensors is lowered with the CPU pipeline
// (host CPU) and translated: the triple is set, the function and its C
// interface wrapper are defined, and both carry the target CPU.

// CHECK: target triple = "{{.+}}"
// CHECK: define {{.+}} @linear(ptr {{.+}}) #[[ATTR:[0-9]+]]
// CHECK: define void @_mlir_ciface_linear(ptr {{.+}}, ptr {{.+}}, ptr {{.+}}) #[[ATTR]]
// CHECK: attributes #[[ATTR]] = { {{.*}}"target-cpu"="{{[^"]+}}"

// Tests that a module already lowered by --effc-lower-cpu is translated as
// it is and keeps the CPU it was lowered for.

// SKX: target triple = "{{.+}}"
// SKX: define {{.+}} @linear(ptr {{.+}}) #[[ATTR:[0-9]+]]
// SKX: define void @_mlir_ciface_linear(ptr {{.+}}, ptr {{.+}}, ptr {{.+}}) #[[ATTR]]
// SKX: attributes #[[ATTR]] = { {{.*}}"target-cpu"="skylake-avx512"

func.func @linear(%x: tensor<8x64xf32>, %w: tensor<32x64xf32>) -> tensor<8x32xf32> {
  %0 = effc.linear %x, %w : tensor<8x64xf32>, tensor<32x64xf32> -> tensor<8x32xf32>
  return %0 : tensor<8x32xf32>
}

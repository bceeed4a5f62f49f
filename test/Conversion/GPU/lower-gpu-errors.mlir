// RUN: effc-opt %s --effc-lower-gpu="chip=sm_70" --verify-diagnostics -split-input-file
// RUN: not effc-opt %s --effc-lower-gpu="chip=sm_80a" 2>&1 | FileCheck %s --check-prefix=SUFFIX
// RUN: not effc-opt %s --effc-lower-gpu="chip=gfx90a" 2>&1 | FileCheck %s --check-prefix=OTHER

// Tests that a GPU without the tensor-core instructions effc uses, an
// architecture-specific variant effc does not know (only sm_90a is) and a
// non-NVIDIA name are errors, not NVPTX warnings or crashes.
// SUFFIX: error: effc-lower-gpu: unsupported chip 'sm_80a'
// OTHER: error: effc-lower-gpu: unsupported chip 'gfx90a'
// expected-error @below {{effc-lower-gpu: unsupported chip 'sm_70' (expected one of sm_80, sm_86, sm_87, sm_89, sm_90, sm_90a, sm_100, sm_101, sm_103, sm_120, sm_121)}}
module {
  func.func @f(%x: tensor<16x16xf16>, %w: tensor<16x16xf16>) -> tensor<16x16xf16> {
    %y = effc.linear %x, %w : tensor<16x16xf16>, tensor<16x16xf16> -> tensor<16x16xf16>
    return %y : tensor<16x16xf16>
  }
}

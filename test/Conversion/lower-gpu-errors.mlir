// RUN: effc-opt %s --effc-lower-gpu="chip=sm_70" --verify-diagnostics -split-input-file

// Tests that a GPU without the tensor-core instructions effc uses is an error.
// expected-error @below {{effc-lower-gpu: unsupported chip 'sm_70' (expected sm_80 or later, e.g. sm_80, sm_90 or sm_90a)}}
module {
  func.func @f(%x: tensor<16x16xf16>, %w: tensor<16x16xf16>) -> tensor<16x16xf16> {
    %y = effc.linear %x, %w : tensor<16x16xf16>, tensor<16x16xf16> -> tensor<16x16xf16>
    return %y : tensor<16x16xf16>
  }
}

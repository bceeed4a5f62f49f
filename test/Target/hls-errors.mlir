// RUN: not effc-translate --emit-hls-cpp %s -split-input-file 2>&1 | FileCheck %s
// RUN: not effc-translate --emit-hls-testbench %s -split-input-file 2>&1 | FileCheck %s --check-prefix=TB

// Tests that a module that was not lowered for HLS is refused.
// CHECK: error: emit-hls-cpp: no effc.hls.top function; run --effc-lower-hls (or --effc-hls-pipeline) first
// TB: error: emit-hls-testbench: expected exactly one effc.hls.top function, found 0
func.func @f(%x: tensor<4xf32>) -> tensor<4xf32> {
  return %x : tensor<4xf32>
}

// -----

// Tests that an op the emitter does not know is an error on that op.
// CHECK: error: emit-hls-cpp: math.atan is not supported by the HLS C++ emitter
func.func @g(%x: memref<4xf32>, %y: memref<4xf32>) attributes {effc.hls.top, effc.hls.num_inputs = 1 : i64} {
  affine.for %i = 0 to 4 {
    %v = affine.load %x[%i] : memref<4xf32>
    %e = math.atan %v : f32
    affine.store %e, %y[%i] : memref<4xf32>
  }
  return
}

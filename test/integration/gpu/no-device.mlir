// Tests that --target cuda without a GPU (or driver) is a clean error.
// UNSUPPORTED: cuda-device
// RUN: not effc-run %s --entry f --target cuda 2>&1 | FileCheck %s
// CHECK: error: --target cuda: {{.*(cannot load the CUDA runtime|no usable CUDA device|no CUDA runtime)}}
func.func @f(%x: tensor<4xf32>) -> tensor<4xf32> {
  return %x : tensor<4xf32>
}

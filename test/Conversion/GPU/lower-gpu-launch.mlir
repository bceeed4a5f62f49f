// RUN: effc-opt %s --effc-lower-gpu-launch -split-input-file --verify-diagnostics | FileCheck %s

// Tests that a launch stub gets one async chain: device buffers for the
// operands and the output, copies of the operands only, the launch with the
// stub's grid and block, the copy out into the output argument, frees and
// a final wait.
// CHECK-LABEL: func.func private @effc_launch_k_0
// CHECK-SAME:    (%[[A:.+]]: memref<16xf32>, %[[O:.+]]: memref<16xf32>)
// CHECK:         %[[T0:.+]] = gpu.wait async
// CHECK:         %[[DA:.+]], %[[T1:.+]] = gpu.alloc async [%[[T0]]] () : memref<16xf32>
// CHECK:         %[[T2:.+]] = gpu.memcpy async [%[[T1]]] %[[DA]], %[[A]]
// CHECK:         %[[DO:.+]], %[[T3:.+]] = gpu.alloc async [%[[T2]]] () : memref<16xf32>
// CHECK-NOT:     gpu.memcpy async [%[[T3]]] %[[DO]], %[[O]]
// CHECK-DAG:     %[[C2:.+]] = arith.constant 2 : index
// CHECK-DAG:     %[[C32:.+]] = arith.constant 32 : index
// CHECK:         %[[T4:.+]] = gpu.launch_func async [%[[T3]]] @kernels::@k_0 blocks in (%[[C2]], %{{.+}}, %{{.+}}) threads in (%[[C32]], %{{.+}}, %{{.+}}) args(%[[DA]] : memref<16xf32>, %[[DO]] : memref<16xf32>)
// CHECK:         %[[T5:.+]] = gpu.memcpy async [%[[T4]]] %[[O]], %[[DO]]
// CHECK:         %[[T6:.+]] = gpu.dealloc async [%[[T5]]] %[[DA]]
// CHECK:         %[[T7:.+]] = gpu.dealloc async [%[[T6]]] %[[DO]]
// CHECK:         gpu.wait [%[[T7]]]
// CHECK:         return
module attributes {gpu.container_module} {
  gpu.module @kernels {
    gpu.func @k_0(%a: memref<16xf32>, %o: memref<16xf32>) kernel {
      gpu.return
    }
  }
  func.func private @effc_launch_k_0(memref<16xf32>, memref<16xf32>)
      attributes {effc_gpu_kernel = @kernels::@k_0,
                  effc_gpu_grid = array<i64: 2, 1, 1>,
                  effc_gpu_block = array<i64: 32, 1, 1>}
}

// -----

// Tests that a stub whose kernel does not exist is an error.
module attributes {gpu.container_module} {
  // expected-error @below {{GPU launch stub without a valid kernel, grid and block}}
  func.func private @effc_launch_missing(memref<16xf32>)
      attributes {effc_gpu_kernel = @kernels::@nope,
                  effc_gpu_grid = array<i64: 1, 1, 1>,
                  effc_gpu_block = array<i64: 32, 1, 1>}
}

// -----

// Tests that a runtime grid extent must name a dim of a stub argument.
module attributes {gpu.container_module} {
  // expected-error @below {{GPU launch stub with a malformed dynamic grid}}
  func.func private @effc_launch_k_0(memref<?xf32>, memref<?xf32>)
      attributes {effc_gpu_kernel = @kernels::@k_0,
                  effc_gpu_grid = array<i64: -9223372036854775808, 1, 1>,
                  effc_gpu_dynamic_grid = array<i64: 0, 5, 0, 32>,
                  effc_gpu_block = array<i64: 32, 1, 1>}
  gpu.module @kernels {
    gpu.func @k_0(%a: memref<?xf32>, %o: memref<?xf32>) kernel {
      gpu.return
    }
  }
}

// -----

// Tests that a runtime grid extent needs a size to compute it from.
module attributes {gpu.container_module} {
  // expected-error @below {{GPU launch stub with a runtime grid extent but no size to compute it from}}
  func.func private @effc_launch_k_0(memref<?xf32>, memref<?xf32>)
      attributes {effc_gpu_kernel = @kernels::@k_0,
                  effc_gpu_grid = array<i64: -9223372036854775808, 1, 1>,
                  effc_gpu_block = array<i64: 32, 1, 1>}
  gpu.module @kernels {
    gpu.func @k_0(%a: memref<?xf32>, %o: memref<?xf32>) kernel {
      gpu.return
    }
  }
}

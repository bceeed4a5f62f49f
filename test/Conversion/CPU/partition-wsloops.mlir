// RUN: effc-opt %s --effc-partition-wsloops -split-input-file | FileCheck %s

// Tests that a plain omp.wsloop becomes a loop of blocks over the calling
// thread's share of the collapsed iteration space (libomp's static
// schedule: total / threads each, one more for the first total % threads),
// with a barrier after a loop that does not end the region and none after
// the last; a wsloop with a clause (a reduction) is left to the runtime.

// CHECK-DAG: func.func private @omp_get_thread_num() -> i32
// CHECK-DAG: func.func private @omp_get_num_threads() -> i32
// CHECK-LABEL: func.func @two_loops
// CHECK:         omp.parallel {
// CHECK:           %[[T0:.+]] = arith.ceildivui %{{.+}}, %{{.+}} : index
// CHECK:           %[[T1:.+]] = arith.ceildivui %{{.+}}, %{{.+}} : index
// CHECK:           %[[TOTAL:.+]] = arith.muli %{{.+}}, %[[T1]] : index
// CHECK:           %[[TID:.+]] = func.call @omp_get_thread_num()
// CHECK:           %[[NT:.+]] = func.call @omp_get_num_threads()
// CHECK:           %[[Q:.+]] = arith.divui %[[TOTAL]], %{{.+}} : index
// CHECK:           %[[R:.+]] = arith.remui %[[TOTAL]], %{{.+}} : index
// CHECK:           cf.br ^[[HEADER:.+]](%{{.+}} : index)
// CHECK:         ^[[HEADER]](%[[L:.+]]: index):
// CHECK:           %[[IN:.+]] = arith.cmpi ult, %[[L]], %{{.+}} : index
// CHECK:           cf.cond_br %[[IN]], ^[[IVS:.+]], ^[[DONE:.+]]
// CHECK:         ^[[IVS]]:
// CHECK:           arith.remui %[[L]], %[[T1]] : index
// CHECK:           arith.divui %[[L]], %[[T1]] : index
// CHECK:           memref.store
// CHECK:           %[[NEXT:.+]] = arith.addi %[[L]], %{{.+}} : index
// CHECK:           cf.br ^[[HEADER]](%[[NEXT]] : index)
// CHECK:         ^[[DONE]]:
// CHECK-NEXT:      omp.barrier
// CHECK:           func.call @omp_get_thread_num()
// CHECK:           memref.store
// CHECK-NOT:       omp.barrier
// CHECK:           omp.terminator
// CHECK-NOT:     omp.wsloop
func.func @two_loops(%n: index, %m: index, %buf: memref<?xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %f = arith.constant 1.0 : f32
  omp.parallel {
    omp.wsloop {
      omp.loop_nest (%i, %j) : index = (%c0, %c0) to (%n, %m) step (%c1, %c2) {
        %k = arith.addi %i, %j : index
        memref.store %f, %buf[%k] : memref<?xf32>
        omp.yield
      }
    }
    omp.wsloop {
      omp.loop_nest (%i) : index = (%c0) to (%n) step (%c1) {
        memref.store %f, %buf[%i] : memref<?xf32>
        omp.yield
      }
    }
    omp.terminator
  }
  return
}

// -----

// CHECK-LABEL: func.func @reduction_kept
// CHECK:         omp.wsloop reduction
omp.declare_reduction @add_f32 : f32 init {
^bb0(%arg: f32):
  %0 = arith.constant 0.0 : f32
  omp.yield (%0 : f32)
} combiner {
^bb1(%a: f32, %b: f32):
  %1 = arith.addf %a, %b : f32
  omp.yield (%1 : f32)
}
func.func @reduction_kept(%n: index, %acc: !llvm.ptr) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %f = arith.constant 1.0 : f32
  omp.parallel {
    omp.wsloop reduction(@add_f32 %acc -> %prv : !llvm.ptr) {
      omp.loop_nest (%i) : index = (%c0) to (%n) step (%c1) {
        %v = llvm.load %prv : !llvm.ptr -> f32
        %s = arith.addf %v, %f : f32
        llvm.store %s, %prv : f32, !llvm.ptr
        omp.yield
      }
    }
    omp.terminator
  }
  return
}

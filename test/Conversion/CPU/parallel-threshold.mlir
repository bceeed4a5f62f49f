// RUN: effc-opt %s --effc-parallel-threshold -split-input-file | FileCheck %s
// RUN: effc-opt %s --effc-parallel-threshold=threshold=64 -split-input-file | FileCheck %s --check-prefix=LOW

// Tests that a static region with little work (2 iterations of a load, an
// add and a store on 16 lanes, memory lanes counting twice: 160) runs serially, and that a lower threshold keeps it parallel.

// CHECK-LABEL: func.func @static_tiny
// CHECK: %[[F:.+]] = arith.constant false
// CHECK: omp.parallel if(%[[F]])
// LOW-LABEL: func.func @static_tiny
// LOW-NOT: arith.constant false
// LOW: omp.parallel {
func.func @static_tiny(%buf: memref<2x16xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  omp.parallel {
    omp.wsloop {
      omp.loop_nest (%i) : index = (%c0) to (%c2) step (%c1) {
        %v = vector.load %buf[%i, %c0] : memref<2x16xf32>, vector<16xf32>
        %w = arith.addf %v, %v : vector<16xf32>
        vector.store %w, %buf[%i, %c0] : memref<2x16xf32>, vector<16xf32>
        omp.yield
      }
    }
    omp.terminator
  }
  return
}

// -----

// Tests that a static region with much work (64 x 1024 iterations of an
// inner loop on 16 lanes) is left as it was, with no condition built.

// CHECK-LABEL: func.func @static_big
// CHECK-NOT: arith.cmpi
// CHECK-NOT: arith.constant false
// CHECK: omp.parallel {
func.func @static_big(%buf: memref<64x16384xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c16 = arith.constant 16 : index
  %c64 = arith.constant 64 : index
  %c16384 = arith.constant 16384 : index
  omp.parallel {
    omp.wsloop {
      omp.loop_nest (%i) : index = (%c0) to (%c64) step (%c1) {
        scf.for %j = %c0 to %c16384 step %c16 {
          %v = vector.load %buf[%i, %j] : memref<64x16384xf32>, vector<16xf32>
          %w = vector.fma %v, %v, %v : vector<16xf32>
          vector.store %w, %buf[%i, %j] : memref<64x16384xf32>, vector<16xf32>
        }
        omp.yield
      }
    }
    omp.terminator
  }
  return
}

// -----

// Tests that a region over a runtime row count forks only when the rows
// times the work of a row (a load and a store of 16 lanes: 64) reach the
// threshold.

// CHECK-LABEL: func.func @dynamic_rows
// CHECK-SAME: (%[[BUF:.+]]: memref<?x16xf32>, %[[N:.+]]: index)
// CHECK-DAG: %[[C64:.+]] = arith.constant 64 : index
// CHECK-DAG: %[[ROWS:.+]] = arith.maxsi %[[N]], %{{.+}} : index
// CHECK: %[[WORK:.+]] = arith.muli %[[ROWS]], %[[C64]] : index
// CHECK: %[[LIMIT:.+]] = arith.constant 262144 : index
// CHECK: %[[BIG:.+]] = arith.cmpi sge, %[[WORK]], %[[LIMIT]] : index
// CHECK: omp.parallel if(%[[BIG]])
func.func @dynamic_rows(%buf: memref<?x16xf32>, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  omp.parallel {
    omp.wsloop {
      omp.loop_nest (%i) : index = (%c0) to (%n) step (%c1) {
        %v = vector.load %buf[%i, %c0] : memref<?x16xf32>, vector<16xf32>
        vector.store %v, %buf[%i, %c0] : memref<?x16xf32>, vector<16xf32>
        omp.yield
      }
    }
    omp.terminator
  }
  return
}

// -----

// Tests that an inner loop whose bounds are computed in the region from the
// thread's index (a chunk of a runtime size) is counted by recomputing the
// bounds in front of the region with the index at its lower bound.

// CHECK-LABEL: func.func @dynamic_chunk
// CHECK-SAME: (%[[BUF:.+]]: memref<?xf32>, %[[N:.+]]: index)
// CHECK: arith.divui %[[N]], %{{.+}} : index
// CHECK: %[[BIG:.+]] = arith.cmpi sge
// CHECK: omp.parallel if(%[[BIG]])
// CHECK: omp.loop_nest (%[[T:.+]]) : index
// CHECK: arith.muli %[[T]], %[[N]]
func.func @dynamic_chunk(%buf: memref<?xf32>, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  omp.parallel {
    omp.wsloop {
      omp.loop_nest (%t) : index = (%c0) to (%c2) step (%c1) {
        %a = arith.muli %t, %n : index
        %lo = arith.divui %a, %c2 : index
        %t1 = arith.addi %t, %c1 : index
        %b = arith.muli %t1, %n : index
        %hi = arith.divui %b, %c2 : index
        scf.for %j = %lo to %hi step %c1 {
          %x = memref.load %buf[%j] : memref<?xf32>
          %y = arith.mulf %x, %x : f32
          memref.store %y, %buf[%j] : memref<?xf32>
        }
        omp.yield
      }
    }
    omp.terminator
  }
  return
}

// -----

// Tests that a region whose work cannot be estimated in front of it (an
// inner bound loaded from memory) stays parallel.

// CHECK-LABEL: func.func @unknown_bound
// CHECK-NOT: arith.cmpi
// CHECK: omp.parallel {
func.func @unknown_bound(%buf: memref<?xf32>, %ends: memref<2xindex>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  omp.parallel {
    omp.wsloop {
      omp.loop_nest (%t) : index = (%c0) to (%c2) step (%c1) {
        %end = memref.load %ends[%t] : memref<2xindex>
        scf.for %j = %c0 to %end step %c1 {
          %x = memref.load %buf[%j] : memref<?xf32>
          memref.store %x, %buf[%j] : memref<?xf32>
        }
        omp.yield
      }
    }
    omp.terminator
  }
  return
}

// -----

// Tests that a region that already has a condition keeps it.

// CHECK-LABEL: func.func @has_if
// CHECK-SAME: (%[[BUF:.+]]: memref<2x16xf32>, %[[C:.+]]: i1)
// CHECK: omp.parallel if(%[[C]])
func.func @has_if(%buf: memref<2x16xf32>, %c: i1) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  omp.parallel if(%c) {
    omp.wsloop {
      omp.loop_nest (%i) : index = (%c0) to (%c2) step (%c1) {
        %v = vector.load %buf[%i, %c0] : memref<2x16xf32>, vector<16xf32>
        vector.store %v, %buf[%i, %c0] : memref<2x16xf32>, vector<16xf32>
        omp.yield
      }
    }
    omp.terminator
  }
  return
}

// RUN: effc-opt %s --effc-compress="method=nm n=2 m=4 weights=i8 granularity=channel" | FileCheck %s
// RUN: effc-opt %s --effc-compress="weights=i4 granularity=group group-size=4" | FileCheck %s --check-prefix=Q4
// RUN: effc-opt %s --effc-compress="method=nm n=2 m=4" | FileCheck %s --check-prefix=PRUNE
// RUN: not effc-opt %s --effc-compress="method=nm weights=i3" 2>&1 | FileCheck %s --check-prefix=BAD

// Tests that a value the pipeline's options do not know is an error.
// BAD: for the --weights option: Cannot find option named 'i3'!
// BAD: error: invalid options of effc-compress: 'method=nm weights=i3'

// Tests that --effc-compress prunes (2:4 along K) and then quantizes the
// pruned weight, whose zeros stay zeros in the int8 codes; that it only
// quantizes without a method, and only prunes with weights=f32.
// CHECK-LABEL: func.func @fc
// CHECK: arith.constant dense<{{\[}}[0, -127, 95, 0, 0, 0, 32, 64]]> : tensor<1x8xi8>
// CHECK: effc.quantized_linear {{.*}}effc.sparsity_plan = #effc.sparsity_plan<method = nm
// Q4-LABEL: func.func @fc
// Q4: effc.unpack_int4
// Q4: effc.quantized_linear
// Q4-NOT: sparsity_plan
// PRUNE-LABEL: func.func @fc
// PRUNE-NOT: quantized_linear
// PRUNE: effc.sparsity_plan = #effc.sparsity_plan<method = nm
func.func @fc(%x: tensor<2x8xf32>) -> tensor<2x1xf32> {
  %w = arith.constant dense<[[1.0, -4.0, 3.0, 0.5, 0.1, 0.2, 1.0, 2.0]]> : tensor<1x8xf32>
  %y = effc.linear %x, %w : tensor<2x8xf32>, tensor<1x8xf32> -> tensor<2x1xf32>
  return %y : tensor<2x1xf32>
}

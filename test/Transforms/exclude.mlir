// RUN: effc-opt %s --effc-assign-precision="weights=i8 exclude=main/linear#1" | FileCheck %s --check-prefix=KEY
// RUN: effc-opt %s --effc-assign-precision="weights=i8 exclude=first,last" | FileCheck %s --check-prefix=ENDS
// RUN: effc-opt %s --effc-prune="method=nm n=2 m=4 compress=never exclude=main/linear#1" | FileCheck %s --check-prefix=PKEY
// RUN: effc-opt %s --effc-prune="method=nm n=2 m=4 compress=never exclude=first,last" | FileCheck %s --check-prefix=PENDS

// Tests that exclude= means the same in --effc-assign-precision and
// --effc-prune: a pattern with '#' is an op key and matches it exactly
// (main/linear#1 leaves main/linear#10 alone), and first / last name the
// first and last op in both.

// KEY: effc.linear %{{[^ ]+}}, %{{[^ ]+}} {effc.precision_plan = 
// KEY: effc.linear %{{[^ ]+}}, %{{[^ ]+}} : tensor
// KEY: effc.linear %{{[^ ]+}}, %{{[^ ]+}} {effc.precision_plan = 
// KEY: effc.linear %{{[^ ]+}}, %{{[^ ]+}} {effc.precision_plan = 
// KEY: effc.linear %{{[^ ]+}}, %{{[^ ]+}} {effc.precision_plan = 
// KEY: effc.linear %{{[^ ]+}}, %{{[^ ]+}} {effc.precision_plan = 
// KEY: effc.linear %{{[^ ]+}}, %{{[^ ]+}} {effc.precision_plan = 
// KEY: effc.linear %{{[^ ]+}}, %{{[^ ]+}} {effc.precision_plan = 
// KEY: effc.linear %{{[^ ]+}}, %{{[^ ]+}} {effc.precision_plan = 
// KEY: effc.linear %{{[^ ]+}}, %{{[^ ]+}} {effc.precision_plan = 
// KEY: effc.linear %{{[^ ]+}}, %{{[^ ]+}} {effc.precision_plan = 
// KEY: effc.linear %{{[^ ]+}}, %{{[^ ]+}} {effc.precision_plan = 
// PKEY: effc.linear %{{[^ ]+}}, %{{[^ ]+}} {effc.sparsity_plan = 
// PKEY: effc.linear %{{[^ ]+}}, %{{[^ ]+}} : tensor
// PKEY: effc.linear %{{[^ ]+}}, %{{[^ ]+}} {effc.sparsity_plan = 
// PKEY: effc.linear %{{[^ ]+}}, %{{[^ ]+}} {effc.sparsity_plan = 
// PKEY: effc.linear %{{[^ ]+}}, %{{[^ ]+}} {effc.sparsity_plan = 
// PKEY: effc.linear %{{[^ ]+}}, %{{[^ ]+}} {effc.sparsity_plan = 
// PKEY: effc.linear %{{[^ ]+}}, %{{[^ ]+}} {effc.sparsity_plan = 
// PKEY: effc.linear %{{[^ ]+}}, %{{[^ ]+}} {effc.sparsity_plan = 
// PKEY: effc.linear %{{[^ ]+}}, %{{[^ ]+}} {effc.sparsity_plan = 
// PKEY: effc.linear %{{[^ ]+}}, %{{[^ ]+}} {effc.sparsity_plan = 
// PKEY: effc.linear %{{[^ ]+}}, %{{[^ ]+}} {effc.sparsity_plan = 
// PKEY: effc.linear %{{[^ ]+}}, %{{[^ ]+}} {effc.sparsity_plan = 
// ENDS: effc.linear %{{[^ ]+}}, %{{[^ ]+}} : tensor
// ENDS: effc.linear %{{[^ ]+}}, %{{[^ ]+}} {effc.precision_plan = 
// ENDS: effc.linear %{{[^ ]+}}, %{{[^ ]+}} {effc.precision_plan = 
// ENDS: effc.linear %{{[^ ]+}}, %{{[^ ]+}} {effc.precision_plan = 
// ENDS: effc.linear %{{[^ ]+}}, %{{[^ ]+}} {effc.precision_plan = 
// ENDS: effc.linear %{{[^ ]+}}, %{{[^ ]+}} {effc.precision_plan = 
// ENDS: effc.linear %{{[^ ]+}}, %{{[^ ]+}} {effc.precision_plan = 
// ENDS: effc.linear %{{[^ ]+}}, %{{[^ ]+}} {effc.precision_plan = 
// ENDS: effc.linear %{{[^ ]+}}, %{{[^ ]+}} {effc.precision_plan = 
// ENDS: effc.linear %{{[^ ]+}}, %{{[^ ]+}} {effc.precision_plan = 
// ENDS: effc.linear %{{[^ ]+}}, %{{[^ ]+}} {effc.precision_plan = 
// ENDS: effc.linear %{{[^ ]+}}, %{{[^ ]+}} : tensor
// PENDS: effc.linear %{{[^ ]+}}, %{{[^ ]+}} : tensor
// PENDS: effc.linear %{{[^ ]+}}, %{{[^ ]+}} {effc.sparsity_plan = 
// PENDS: effc.linear %{{[^ ]+}}, %{{[^ ]+}} {effc.sparsity_plan = 
// PENDS: effc.linear %{{[^ ]+}}, %{{[^ ]+}} {effc.sparsity_plan = 
// PENDS: effc.linear %{{[^ ]+}}, %{{[^ ]+}} {effc.sparsity_plan = 
// PENDS: effc.linear %{{[^ ]+}}, %{{[^ ]+}} {effc.sparsity_plan = 
// PENDS: effc.linear %{{[^ ]+}}, %{{[^ ]+}} {effc.sparsity_plan = 
// PENDS: effc.linear %{{[^ ]+}}, %{{[^ ]+}} {effc.sparsity_plan = 
// PENDS: effc.linear %{{[^ ]+}}, %{{[^ ]+}} {effc.sparsity_plan = 
// PENDS: effc.linear %{{[^ ]+}}, %{{[^ ]+}} {effc.sparsity_plan = 
// PENDS: effc.linear %{{[^ ]+}}, %{{[^ ]+}} {effc.sparsity_plan = 
// PENDS: effc.linear %{{[^ ]+}}, %{{[^ ]+}} : tensor
func.func @main(%x: tensor<1x4xf32>) -> tensor<1x4xf32> {
  %w = arith.constant dense<[[1.0, -2.0, 3.0, -4.0], [0.5, 0.25, -0.75, 1.5], [2.0, 1.0, -1.0, 0.5], [-3.0, 0.5, 1.0, 2.0]]> : tensor<4x4xf32>
  %y0 = effc.linear %x, %w : tensor<1x4xf32>, tensor<4x4xf32> -> tensor<1x4xf32>
  %y1 = effc.linear %y0, %w : tensor<1x4xf32>, tensor<4x4xf32> -> tensor<1x4xf32>
  %y2 = effc.linear %y1, %w : tensor<1x4xf32>, tensor<4x4xf32> -> tensor<1x4xf32>
  %y3 = effc.linear %y2, %w : tensor<1x4xf32>, tensor<4x4xf32> -> tensor<1x4xf32>
  %y4 = effc.linear %y3, %w : tensor<1x4xf32>, tensor<4x4xf32> -> tensor<1x4xf32>
  %y5 = effc.linear %y4, %w : tensor<1x4xf32>, tensor<4x4xf32> -> tensor<1x4xf32>
  %y6 = effc.linear %y5, %w : tensor<1x4xf32>, tensor<4x4xf32> -> tensor<1x4xf32>
  %y7 = effc.linear %y6, %w : tensor<1x4xf32>, tensor<4x4xf32> -> tensor<1x4xf32>
  %y8 = effc.linear %y7, %w : tensor<1x4xf32>, tensor<4x4xf32> -> tensor<1x4xf32>
  %y9 = effc.linear %y8, %w : tensor<1x4xf32>, tensor<4x4xf32> -> tensor<1x4xf32>
  %y10 = effc.linear %y9, %w : tensor<1x4xf32>, tensor<4x4xf32> -> tensor<1x4xf32>
  %y11 = effc.linear %y10, %w : tensor<1x4xf32>, tensor<4x4xf32> -> tensor<1x4xf32>
  return %y11 : tensor<1x4xf32>
}

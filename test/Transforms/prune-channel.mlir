// RUN: effc-opt %s -split-input-file --effc-prune="method=channel sparsity=0.25 exclude=last" | FileCheck %s --check-prefix=L2
// RUN: effc-opt %s -split-input-file --effc-prune="method=channel sparsity=0.25 criterion=l1 exclude=last" | FileCheck %s --check-prefix=L1
// RUN: effc-opt %s -split-input-file --effc-prune="method=channel sparsity=0.25 exclude-first-last=true" | FileCheck %s --check-prefix=FL
// RUN: effc-opt %s -split-input-file --effc-prune="method=channel sparsity=0.5 exclude=last" | FileCheck %s --check-prefix=HALF

// Tests that channel pruning removes the output channels with the weakest
// row norm (the l2 norm drops row 0, norm 1, the l1 norm row 1, norm 1.5; at 0.5
// l2 drops rows 0 and 1), shrinks the op's weight, bias and result, the tanh after
// it, and the input channels (columns) of the consuming linear; the last
// linear, excluded, keeps its output channels. With exclude-first-last
// (both linears excluded) nothing is pruned.

// L2-LABEL: func.func @mlp
// L2-DAG: [[W1:%.+]] = arith.constant dense<{{\[}}[1.500000e+00, 0.000000e+00, 0.000000e+00, 0.000000e+00], [3.000000e+00, 0.000000e+00, 0.000000e+00, 0.000000e+00], [0.000000e+00, 3.000000e+00, 0.000000e+00, 0.000000e+00]]> : tensor<3x4xf32>
// L2-DAG: [[B1:%.+]] = arith.constant dense<[2.000000e+00, 3.000000e+00, 4.000000e+00]> : tensor<3xf32>
// L2: [[H:%.+]] = effc.linear %{{.+}}, [[W1]] bias [[B1]] {activation = #effc.activation<relu>, effc.sparsity_plan = #effc.sparsity_plan<method = channel, sparsity = 2.500000e-01 : f64>} : tensor<5x4xf32>, tensor<3x4xf32>, tensor<3xf32> -> tensor<5x3xf32>
// L2: [[T:%.+]] = math.tanh [[H]] : tensor<5x3xf32>
// L2: [[W2:%.+]] = arith.constant dense<{{\[}}[2.000000e+00, 3.000000e+00, 4.000000e+00], [6.000000e+00, 7.000000e+00, 8.000000e+00]]> : tensor<2x3xf32>
// L2: effc.linear [[T]], [[W2]] : tensor<5x3xf32>, tensor<2x3xf32> -> tensor<5x2xf32>

// L1-LABEL: func.func @mlp
// L1-DAG: [[W1:%.+]] = arith.constant dense<{{\[}}[5.000000e-01, 5.000000e-01, 5.000000e-01, 5.000000e-01], [3.000000e+00, 0.000000e+00, 0.000000e+00, 0.000000e+00], [0.000000e+00, 3.000000e+00, 0.000000e+00, 0.000000e+00]]> : tensor<3x4xf32>
// L1-DAG: [[B1:%.+]] = arith.constant dense<[1.000000e+00, 3.000000e+00, 4.000000e+00]> : tensor<3xf32>
// L1: effc.linear %{{.+}}, [[W1]] bias [[B1]]
// L1: [[W2:%.+]] = arith.constant dense<{{\[}}[1.000000e+00, 3.000000e+00, 4.000000e+00], [5.000000e+00, 7.000000e+00, 8.000000e+00]]> : tensor<2x3xf32>

// FL-LABEL: func.func @mlp
// FL-NOT: sparsity_plan
// FL: effc.linear {{.*}} -> tensor<5x4xf32>
// FL: math.tanh {{.*}} : tensor<5x4xf32>
// FL: effc.linear {{.*}} : tensor<5x4xf32>, tensor<2x4xf32> -> tensor<5x2xf32>

// HALF-LABEL: func.func @mlp
// HALF-DAG: [[W1:%.+]] = arith.constant dense<{{\[}}[3.000000e+00, 0.000000e+00, 0.000000e+00, 0.000000e+00], [0.000000e+00, 3.000000e+00, 0.000000e+00, 0.000000e+00]]> : tensor<2x4xf32>
// HALF: effc.linear %{{.+}}, [[W1]] bias %{{.+}} {{.*}} -> tensor<5x2xf32>
// HALF: [[W2:%.+]] = arith.constant dense<{{\[}}[3.000000e+00, 4.000000e+00], [7.000000e+00, 8.000000e+00]]> : tensor<2x2xf32>
// HALF: effc.linear %{{.+}}, [[W2]] : tensor<5x2xf32>, tensor<2x2xf32> -> tensor<5x2xf32>
func.func @mlp(%x: tensor<5x4xf32>) -> tensor<5x2xf32> {
  %w1 = arith.constant dense<[[0.5, 0.5, 0.5, 0.5], [1.5, 0.0, 0.0, 0.0],
                              [3.0, 0.0, 0.0, 0.0], [0.0, 3.0, 0.0, 0.0]]> : tensor<4x4xf32>
  %b1 = arith.constant dense<[1.0, 2.0, 3.0, 4.0]> : tensor<4xf32>
  %h = effc.linear %x, %w1 bias %b1 {activation = #effc.activation<relu>} : tensor<5x4xf32>, tensor<4x4xf32>, tensor<4xf32> -> tensor<5x4xf32>
  %t = math.tanh %h : tensor<5x4xf32>
  %w2 = arith.constant dense<[[1.0, 2.0, 3.0, 4.0], [5.0, 6.0, 7.0, 8.0]]> : tensor<2x4xf32>
  %y = effc.linear %t, %w2 : tensor<5x4xf32>, tensor<2x4xf32> -> tensor<5x2xf32>
  return %y : tensor<5x2xf32>
}

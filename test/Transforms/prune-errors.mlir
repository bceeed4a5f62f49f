// RUN: effc-opt %s -split-input-file --effc-prune="method=nm n=2 m=4" --verify-diagnostics -o /dev/null
// RUN: not effc-opt %s --effc-prune="method=nm n=4 m=4" -o /dev/null 2>&1 | FileCheck %s --check-prefix=N-GE-M
// RUN: not effc-opt %s --effc-prune="method=nm n=0 m=4" -o /dev/null 2>&1 | FileCheck %s --check-prefix=N-ZERO
// RUN: not effc-opt %s --effc-prune="method=magnitude sparsity=1.5" -o /dev/null 2>&1 | FileCheck %s --check-prefix=SPARSITY
// RUN: not effc-opt %s --effc-prune="method=nm damp=0" -o /dev/null 2>&1 | FileCheck %s --check-prefix=DAMP
// RUN: not effc-opt %s --effc-prune="method=magnitude sparsity=-0.1" -o /dev/null 2>&1 | FileCheck %s --check-prefix=NEG-SPARSITY
// RUN: not effc-opt %s --effc-prune="method=random" -o /dev/null 2>&1 | FileCheck %s --check-prefix=METHOD
// RUN: not effc-opt %s --effc-prune="method=block block=2by2" -o /dev/null 2>&1 | FileCheck %s --check-prefix=BLOCK-SYNTAX
// RUN: not effc-opt %s --effc-prune="criterion=l3" -o /dev/null 2>&1 | FileCheck %s --check-prefix=CRITERION
// RUN: not effc-opt %s --effc-prune="scope=layer" -o /dev/null 2>&1 | FileCheck %s --check-prefix=SCOPE
// RUN: not effc-opt %s -split-input-file --effc-prune="method=channel sparsity=0.5" -o /dev/null 2>&1 | FileCheck %s --check-prefix=CHANNEL-RETURN
// RUN: not effc-opt %s -split-input-file --effc-prune="method=channel sparsity=0.9 exclude=last" -o /dev/null 2>&1 | FileCheck %s --check-prefix=CHANNEL-ALL
// RUN: not effc-opt %s --effc-prune="compress=maybe" -o /dev/null 2>&1 | FileCheck %s --check-prefix=COMPRESS

// COMPRESS: for the --compress option: Cannot find option named 'maybe'!
// COMPRESS: error:

// N-GE-M: error: effc-prune: nm needs 0 < n < m, got n = 4, m = 4
// N-ZERO: error: effc-prune: nm needs 0 < n < m, got n = 0, m = 4
// SPARSITY: error: effc-prune: 'sparsity' must be in [0, 1), got 1.5
// DAMP: error: effc-prune: 'damp' must be in (0, 10], got 0
// NEG-SPARSITY: error: effc-prune: 'sparsity' must be in [0, 1), got -0.1
// METHOD: for the --method option: Cannot find option named 'random'!
// METHOD: error:
// BLOCK-SYNTAX: error: effc-prune: 'block' must be RxC with positive R and C, got '2by2'
// CRITERION: for the --criterion option: Cannot find option named 'l3'!
// CRITERION: error:
// SCOPE: for the --scope option: Cannot find option named 'layer'!
// SCOPE: error:

// Tests that 2:4 on a reduction of 6 skips the op with a remark (and that
// the weight is left as it was): the rest of a model is still pruned.

func.func @k_not_multiple(%x: tensor<2x6xf32>) -> tensor<2x4xf32> {
  %w = arith.constant dense<1.0> : tensor<4x6xf32>
  // expected-remark @+1 {{prune: not pruned: the reduction size K = 6 is not a multiple of m = 4}}
  %y = effc.linear %x, %w : tensor<2x6xf32>, tensor<4x6xf32> -> tensor<2x4xf32>
  return %y : tensor<2x4xf32>
}

// -----

// Tests that a convolution whose flattened reduction (KH * KW * C =
// 3 * 3 * 3 = 27, every CNN's first layer) is no multiple of m is skipped
// with a remark.

func.func @conv_k_not_multiple(%x: tensor<1x5x5x3xf32>) -> tensor<1x3x3x4xf32> {
  %w = arith.constant dense<1.0> : tensor<4x3x3x3xf32>
  // expected-remark @+1 {{prune: not pruned: the reduction size K = 27 is not a multiple of m = 4}}
  %y = effc.conv2d %x, %w : tensor<1x5x5x3xf32>, tensor<4x3x3x3xf32> -> tensor<1x3x3x4xf32>
  return %y : tensor<1x3x3x4xf32>
}

// -----

// Tests that channel pruning names the op its removed channels cannot pass
// through (here the function's result).

func.func @channel_to_return(%x: tensor<2x4xf32>) -> tensor<2x4xf32> {
  %w = arith.constant dense<1.0> : tensor<4x4xf32>
  %y = effc.linear %x, %w : tensor<2x4xf32>, tensor<4x4xf32> -> tensor<2x4xf32>
  // CHANNEL-RETURN: error: 'func.return' op prune: channel pruning cannot propagate the removed output channels of
  return %y : tensor<2x4xf32>
}

// -----

// Tests that channel pruning that would remove every output channel is an
// error (round(0.9 * 4) = 4 of 4).

func.func @channel_all(%x: tensor<2x4xf32>) -> tensor<2x4xf32> {
  %w = arith.constant dense<1.0> : tensor<4x4xf32>
  // CHANNEL-ALL: error: 'effc.linear' op prune: channel pruning with sparsity 0.9 would remove all 4 output channels
  %y = effc.linear %x, %w : tensor<2x4xf32>, tensor<4x4xf32> -> tensor<2x4xf32>
  %w2 = arith.constant dense<1.0> : tensor<4x4xf32>
  %z = effc.linear %y, %w2 : tensor<2x4xf32>, tensor<4x4xf32> -> tensor<2x4xf32>
  return %z : tensor<2x4xf32>
}

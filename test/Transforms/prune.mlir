// RUN: effc-opt %s -split-input-file --effc-prune="method=nm n=2 m=4 compress=never" 2>/dev/null | FileCheck %s --check-prefix=NM
// RUN: effc-opt %s -split-input-file --effc-prune="method=magnitude sparsity=0.5 compress=never" 2>/dev/null | FileCheck %s --check-prefix=MAG
// RUN: effc-opt %s -split-input-file --effc-prune="method=block block=2x2 sparsity=0.5 compress=never" 2>/dev/null | FileCheck %s --check-prefix=BLOCK
// RUN: effc-opt %s -split-input-file --effc-prune="method=block block=2x2 sparsity=0.5 criterion=l1 compress=never" 2>/dev/null | FileCheck %s --check-prefix=BLOCK-L1
// RUN: effc-opt %s -split-input-file --effc-prune="method=magnitude sparsity=0.5 scope=global compress=never" 2>/dev/null | FileCheck %s --check-prefix=GLOBAL
// RUN: effc-opt %s -split-input-file --effc-prune="method=magnitude sparsity=0.5 exclude=first,last compress=never" 2>/dev/null | FileCheck %s --check-prefix=EXCL
// RUN: effc-opt %s -split-input-file --effc-prune="method=magnitude sparsity=0.5 exclude=fc2 compress=never" 2>/dev/null | FileCheck %s --check-prefix=EXCL-NAME
// RUN: effc-opt %s -split-input-file --effc-prune="method=nm n=2 m=4 compress=never" -o /dev/null 2>&1 | FileCheck %s --check-prefix=REMARK
// RUN: effc-opt %s -split-input-file --effc-prune="method=block block=3x2 sparsity=0.25 compress=never" 2>/dev/null | FileCheck %s --check-prefix=BLOCK-EDGE

// Tests that 2:4 keeps the two largest |w| of each group of four along K,
// ties (0.5, 0.5, 0.5, 0.5 and 0, 0, 0, 1) going to the lower index, and
// records the achieved sparsity (9 zeros of 16).

// NM-LABEL: func.func @nm_2x8
// NM: %[[W:.+]] = arith.constant dense<{{\[}}[0.000000e+00, -4.000000e+00, 3.000000e+00, 0.000000e+00, 5.000000e-01, 5.000000e-01, 0.000000e+00, 0.000000e+00], [0.000000e+00, 0.000000e+00, -3.000000e+00, 4.000000e+00, 0.000000e+00, 0.000000e+00, 0.000000e+00, 1.000000e+00]]> : tensor<2x8xf32>
// NM: effc.linear %{{.+}}, %[[W]] {effc.sparsity_plan = #effc.sparsity_plan<method = nm, sparsity = 5.625000e-01 : f64, n = 2, m = 4>}
func.func @nm_2x8(%x: tensor<3x8xf32>) -> tensor<3x2xf32> {
  %w = arith.constant dense<[[1.0, -4.0, 3.0, 2.0, 0.5, 0.5, 0.5, 0.5],
                             [-1.0, 2.0, -3.0, 4.0, 0.0, 0.0, 0.0, 1.0]]> : tensor<2x8xf32>
  %y = effc.linear %x, %w : tensor<3x8xf32>, tensor<2x8xf32> -> tensor<3x2xf32>
  return %y : tensor<3x2xf32>
}

// -----

// Tests that magnitude 0.5 zeroes 8 of 16 weights: 7, 6, 4, 3, 2, 2 are
// kept, then two of the eight weights with |w| = 1 - the two with the
// lowest flat indices (0 and 1).

// MAG-LABEL: func.func @magnitude_ties
// MAG: %[[W:.+]] = arith.constant dense<{{\[}}[1.000000e+00, -1.000000e+00, 2.000000e+00, -2.000000e+00], [3.000000e+00, 0.000000e+00, 0.000000e+00, 4.000000e+00], [0.000000e+00, 0.000000e+00, 0.000000e+00, 6.000000e+00], [0.000000e+00, 7.000000e+00, 0.000000e+00, 0.000000e+00]]> : tensor<4x4xf32>
// MAG: effc.linear %{{.+}}, %[[W]] {effc.sparsity_plan = #effc.sparsity_plan<method = magnitude, sparsity = 5.000000e-01 : f64>}
func.func @magnitude_ties(%x: tensor<2x4xf32>) -> tensor<2x4xf32> {
  %w = arith.constant dense<[[1.0, -1.0, 2.0, -2.0],
                             [3.0, 1.0, -1.0, 4.0],
                             [0.5, 1.0, -1.0, 6.0],
                             [1.0, 7.0, -1.0, 0.25]]> : tensor<4x4xf32>
  %y = effc.linear %x, %w : tensor<2x4xf32>, tensor<4x4xf32> -> tensor<2x4xf32>
  return %y : tensor<2x4xf32>
}

// -----

// Tests block pruning of the four 2x2 blocks: L2 norms 2, 3, 2, sqrt(12)
// zero blocks 0 and 2 (block 0 and 2 tie; the lower index is kept, but
// both are among the weakest two); L1 norms 4, 3, 2, 6 zero blocks 1 and 2.

// BLOCK-LABEL: func.func @block_2x2
// BLOCK: %[[W:.+]] = arith.constant dense<{{\[}}[0.000000e+00, 0.000000e+00, 3.000000e+00, 0.000000e+00], [0.000000e+00, 0.000000e+00, 0.000000e+00, 0.000000e+00], [0.000000e+00, 0.000000e+00, 2.000000e+00, 2.000000e+00], [0.000000e+00, 0.000000e+00, 2.000000e+00, 0.000000e+00]]> : tensor<4x4xf32>
// BLOCK: effc.linear %{{.+}}, %[[W]] {effc.sparsity_plan = #effc.sparsity_plan<method = block, sparsity = 7.500000e-01 : f64, block_rows = 2, block_cols = 2>}

// BLOCK-L1-LABEL: func.func @block_2x2
// BLOCK-L1: %[[W:.+]] = arith.constant dense<{{\[}}[1.000000e+00, 1.000000e+00, 0.000000e+00, 0.000000e+00], [1.000000e+00, 1.000000e+00, 0.000000e+00, 0.000000e+00], [0.000000e+00, 0.000000e+00, 2.000000e+00, 2.000000e+00], [0.000000e+00, 0.000000e+00, 2.000000e+00, 0.000000e+00]]> : tensor<4x4xf32>
// BLOCK-L1: effc.linear %{{.+}}, %[[W]] {effc.sparsity_plan = #effc.sparsity_plan<method = block, sparsity = 5.625000e-01 : f64, block_rows = 2, block_cols = 2>}
func.func @block_2x2(%x: tensor<2x4xf32>) -> tensor<2x4xf32> {
  %w = arith.constant dense<[[1.0, 1.0, 3.0, 0.0],
                             [1.0, 1.0, 0.0, 0.0],
                             [0.0, 0.0, 2.0, 2.0],
                             [0.0, 2.0, 2.0, 0.0]]> : tensor<4x4xf32>
  %y = effc.linear %x, %w : tensor<2x4xf32>, tensor<4x4xf32> -> tensor<2x4xf32>
  return %y : tensor<2x4xf32>
}

// -----

// Tests that with scope=tensor the two blocks that tie at the cut keep the
// lower block index: norms 1, 1, 1, 1 with sparsity 0.5 zero blocks 2 and 3.

// BLOCK-LABEL: func.func @block_ties
// BLOCK: arith.constant dense<{{\[}}[1.000000e+00, 0.000000e+00, 0.000000e+00, -1.000000e+00], [0.000000e+00, 0.000000e+00, 0.000000e+00, 0.000000e+00], [0.000000e+00, 0.000000e+00, 0.000000e+00, 0.000000e+00], [0.000000e+00, 0.000000e+00, 0.000000e+00, 0.000000e+00]]> : tensor<4x4xf32>
func.func @block_ties(%x: tensor<2x4xf32>) -> tensor<2x4xf32> {
  %w = arith.constant dense<[[1.0, 0.0, 0.0, -1.0],
                             [0.0, 0.0, 0.0, 0.0],
                             [0.0, 1.0, 0.0, 0.0],
                             [0.0, 0.0, 1.0, 0.0]]> : tensor<4x4xf32>
  %y = effc.linear %x, %w : tensor<2x4xf32>, tensor<4x4xf32> -> tensor<2x4xf32>
  return %y : tensor<2x4xf32>
}

// -----

// Tests that N:M groups of a convolution run along the flattened reduction
// KH * KW * C of each output channel: with a [2, 2, 2, 2] OHWI weight the
// first group of channel 0 is (kh 0; kw 0, 1; c 0, 1) = 1, -5, 2, 3.

// NM-LABEL: func.func @conv_nm
// NM: %[[W:.+]] = arith.constant dense<{{\[}}{{\[}}{{\[}}[0.000000e+00, -5.000000e+00], [0.000000e+00, 3.000000e+00]], {{\[}}[-1.000000e+00, 0.000000e+00], [4.000000e+00, 0.000000e+00]]], {{\[}}{{\[}}[0.000000e+00, 0.000000e+00], [8.000000e+00, 9.000000e+00]], {{\[}}[0.000000e+00, 0.000000e+00], [0.000000e+00, 0.000000e+00]]]]> : tensor<2x2x2x2xf32>
// NM: effc.conv2d %{{.+}}, %[[W]] {effc.sparsity_plan = #effc.sparsity_plan<method = nm, sparsity = 6.250000e-01 : f64, n = 2, m = 4>}
func.func @conv_nm(%x: tensor<1x3x3x2xf32>) -> tensor<1x2x2x2xf32> {
  %w = arith.constant dense<[[[[1.0, -5.0], [2.0, 3.0]], [[-1.0, 1.0], [4.0, 0.5]]],
                             [[[6.0, 7.0], [8.0, 9.0]], [[0.0, 0.0], [0.0, 0.0]]]]> : tensor<2x2x2x2xf32>
  %y = effc.conv2d %x, %w : tensor<1x3x3x2xf32>, tensor<2x2x2x2xf32> -> tensor<1x2x2x2xf32>
  return %y : tensor<1x2x2x2xf32>
}

// -----

// Tests that bf16 and f16 weights are pruned on their raw bits.

// NM-LABEL: func.func @nm_half
// NM: %[[B:.+]] = arith.constant dense<{{\[}}[0.000000e+00, -4.000000e+00, 3.000000e+00, 0.000000e+00], [5.000000e-01, 0.000000e+00, 0.000000e+00, 1.000000e+00]]> : tensor<2x4xbf16>
// NM: effc.linear %{{.+}}, %[[B]] {effc.sparsity_plan = #effc.sparsity_plan<method = nm, sparsity = 5.000000e-01 : f64, n = 2, m = 4>}
// NM: %[[H:.+]] = arith.constant dense<{{\[}}[0.000000e+00, 2.500000e-01, -1.250000e-01, 0.000000e+00], [6.250000e-02, -6.250000e-02, 0.000000e+00, 0.000000e+00]]> : tensor<2x4xf16>
// NM: effc.linear %{{.+}}, %[[H]] {effc.sparsity_plan = #effc.sparsity_plan<method = nm, sparsity = 5.000000e-01 : f64, n = 2, m = 4>}
func.func @nm_half(%xb: tensor<3x4xbf16>, %xh: tensor<3x4xf16>) -> (tensor<3x2xbf16>, tensor<3x2xf16>) {
  %wb = arith.constant dense<[[1.0, -4.0, 3.0, 2.0], [0.5, 0.25, -0.5, 1.0]]> : tensor<2x4xbf16>
  %yb = effc.linear %xb, %wb : tensor<3x4xbf16>, tensor<2x4xbf16> -> tensor<3x2xbf16>
  %wh = arith.constant dense<[[5.96e-08, 0.25, -0.125, 0.0625], [0.0625, -0.0625, 0.0625, -0.0625]]> : tensor<2x4xf16>
  %yh = effc.linear %xh, %wh : tensor<3x4xf16>, tensor<2x4xf16> -> tensor<3x2xf16>
  return %yb, %yh : tensor<3x2xbf16>, tensor<3x2xf16>
}

// -----

// Tests that scope=global ranks the weights of both ops together: of the
// 16 weights the 8 largest (10, 9, 8, 7, 6, 5, 4, and the first 3 in op
// order) survive, so the first op keeps 6 weights and the second only 2.

// GLOBAL-LABEL: func.func @global
// GLOBAL: %[[W1:.+]] = arith.constant dense<{{\[}}[0.000000e+00, 0.000000e+00, 3.000000e+00, 4.000000e+00], [5.000000e+00, 6.000000e+00, 7.000000e+00, 8.000000e+00]]> : tensor<2x4xf32>
// GLOBAL: effc.linear %{{.+}}, %[[W1]] {effc.sparsity_plan = #effc.sparsity_plan<method = magnitude, sparsity = 2.500000e-01 : f64>}
// GLOBAL: %[[W2:.+]] = arith.constant dense<{{\[}}[0.000000e+00, 0.000000e+00, 9.000000e+00, 0.000000e+00], [0.000000e+00, 0.000000e+00, 0.000000e+00, 1.000000e+01]]> : tensor<2x4xf32>
// GLOBAL: effc.linear %{{.+}}, %[[W2]] {effc.sparsity_plan = #effc.sparsity_plan<method = magnitude, sparsity = 7.500000e-01 : f64>}

// MAG-LABEL: func.func @global
// MAG: arith.constant dense<{{\[}}[0.000000e+00, 0.000000e+00, 0.000000e+00, 0.000000e+00], [5.000000e+00, 6.000000e+00, 7.000000e+00, 8.000000e+00]]> : tensor<2x4xf32>
// MAG: arith.constant dense<{{\[}}[0.000000e+00, 0.000000e+00, 9.000000e+00, 3.000000e+00], [1.000000e+00, 0.000000e+00, 0.000000e+00, 1.000000e+01]]> : tensor<2x4xf32>
func.func @global(%x: tensor<2x4xf32>) -> (tensor<2x2xf32>, tensor<2x2xf32>) {
  %w1 = arith.constant dense<[[1.0, 2.0, 3.0, 4.0], [5.0, 6.0, 7.0, 8.0]]> : tensor<2x4xf32>
  %w2 = arith.constant dense<[[0.5, 0.5, 9.0, 3.0], [1.0, 1.0, 1.0, 10.0]]> : tensor<2x4xf32>
  %y1 = effc.linear %x, %w1 : tensor<2x4xf32>, tensor<2x4xf32> -> tensor<2x2xf32>
  %y2 = effc.linear %x, %w2 : tensor<2x4xf32>, tensor<2x4xf32> -> tensor<2x2xf32>
  return %y1, %y2 : tensor<2x2xf32>, tensor<2x2xf32>
}

// -----

// Tests `exclude`: first,last skip the first and the last prunable op
// (the linear with a non-constant weight is not prunable, so it is neither);
// a substring skips the op whose `name` attribute (or location) contains it.

// EXCL-LABEL: func.func @exclude
// EXCL: effc.linear %{{.+}}, %{{.+}} : tensor<2x4xf32>, tensor<4x4xf32>
// EXCL: %[[W1:.+]] = arith.constant dense<{{\[}}[1.000000e+00, 2.000000e+00, 3.000000e+00, 4.000000e+00], [1.000000e+00, 2.000000e+00, 3.000000e+00, 4.000000e+00]]> : tensor<2x4xf32>
// EXCL-NEXT: effc.linear %{{.+}}, %[[W1]] : tensor<2x4xf32>
// EXCL: %[[W2:.+]] = arith.constant dense<{{\[}}[0.000000e+00, 0.000000e+00, 3.000000e+00, 4.000000e+00], [0.000000e+00, 0.000000e+00, 3.000000e+00, 4.000000e+00]]> : tensor<2x4xf32>
// EXCL-NEXT: effc.linear %{{.+}}, %[[W2]] {effc.sparsity_plan = #effc.sparsity_plan<method = magnitude, sparsity = 5.000000e-01 : f64>, name = "fc2"}
// EXCL: %[[W3:.+]] = arith.constant dense<{{\[}}[1.000000e+00, 2.000000e+00, 3.000000e+00, 4.000000e+00], [1.000000e+00, 2.000000e+00, 3.000000e+00, 4.000000e+00]]> : tensor<2x4xf32>
// EXCL-NEXT: effc.linear %{{.+}}, %[[W3]] : tensor<2x4xf32>
// EXCL: return

// EXCL-NAME-LABEL: func.func @exclude
// EXCL-NAME: effc.linear %{{.+}}, %{{.+}} : tensor<2x4xf32>, tensor<4x4xf32>
// EXCL-NAME: effc.linear {{.+}}effc.sparsity_plan = #effc.sparsity_plan<method = magnitude, sparsity = 5.000000e-01 : f64>
// EXCL-NAME: %[[W2:.+]] = arith.constant dense<{{\[}}[1.000000e+00, 2.000000e+00, 3.000000e+00, 4.000000e+00], [1.000000e+00, 2.000000e+00, 3.000000e+00, 4.000000e+00]]> : tensor<2x4xf32>
// EXCL-NAME-NEXT: effc.linear %{{.+}}, %[[W2]] {name = "fc2"}
// EXCL-NAME: effc.linear {{.+}}effc.sparsity_plan = #effc.sparsity_plan<method = magnitude, sparsity = 5.000000e-01 : f64>
// EXCL-NAME: return
func.func @exclude(%x: tensor<2x4xf32>, %wa: tensor<4x4xf32>) -> (tensor<2x4xf32>, tensor<2x2xf32>, tensor<2x2xf32>, tensor<2x2xf32>) {
  %y0 = effc.linear %x, %wa : tensor<2x4xf32>, tensor<4x4xf32> -> tensor<2x4xf32>
  %w1 = arith.constant dense<[[1.0, 2.0, 3.0, 4.0], [1.0, 2.0, 3.0, 4.0]]> : tensor<2x4xf32>
  %y1 = effc.linear %x, %w1 : tensor<2x4xf32>, tensor<2x4xf32> -> tensor<2x2xf32> loc("fc1")
  %w2 = arith.constant dense<[[1.0, 2.0, 3.0, 4.0], [1.0, 2.0, 3.0, 4.0]]> : tensor<2x4xf32>
  %y2 = effc.linear %x, %w2 {name = "fc2"} : tensor<2x4xf32>, tensor<2x4xf32> -> tensor<2x2xf32>
  %w3 = arith.constant dense<[[1.0, 2.0, 3.0, 4.0], [1.0, 2.0, 3.0, 4.0]]> : tensor<2x4xf32>
  %y3 = effc.linear %x, %w3 : tensor<2x4xf32>, tensor<2x4xf32> -> tensor<2x2xf32> loc("fc3")
  return %y0, %y1, %y2, %y3 : tensor<2x4xf32>, tensor<2x2xf32>, tensor<2x2xf32>, tensor<2x2xf32>
}

// REMARK: remark: prune: not pruned: the weight is not a constant

// -----

// Tests that blocks at the edge of a weight the block shape does not divide
// (3x2 blocks over [4, 8]: the last block row is 1 high) are pruned too,
// ranked by their norm scaled to a whole block: the partial blocks of 1.2
// outrank the whole blocks of 0.8 (raw L2 norms 1.70 against 1.96 would
// have ranked them lower), so 25% sparsity (2 of 8 blocks) zeroes the two
// 0.8 blocks.

// BLOCK-EDGE-LABEL: func.func @block_edge
// BLOCK-EDGE: arith.constant dense<{{\[}}[0.000000e+00, 0.000000e+00, 0.000000e+00, 0.000000e+00, 2.000000e+00, 2.000000e+00, 2.000000e+00, 2.000000e+00], [0.000000e+00, 0.000000e+00, 0.000000e+00, 0.000000e+00, 2.000000e+00, 2.000000e+00, 2.000000e+00, 2.000000e+00], [0.000000e+00, 0.000000e+00, 0.000000e+00, 0.000000e+00, 2.000000e+00, 2.000000e+00, 2.000000e+00, 2.000000e+00], [1.200000e+00, 1.200000e+00, 1.200000e+00, 1.200000e+00, 2.000000e+00, 2.000000e+00, 2.000000e+00, 2.000000e+00]]> : tensor<4x8xf32>
// BLOCK-EDGE: effc.sparsity_plan = #effc.sparsity_plan<method = block, sparsity = 3.750000e-01 : f64, block_rows = 3, block_cols = 2>
func.func @block_edge(%x: tensor<2x8xf32>) -> tensor<2x4xf32> {
  %w = arith.constant dense<[[0.8, 0.8, 0.8, 0.8, 2.0, 2.0, 2.0, 2.0], [0.8, 0.8, 0.8, 0.8, 2.0, 2.0, 2.0, 2.0], [0.8, 0.8, 0.8, 0.8, 2.0, 2.0, 2.0, 2.0], [1.2, 1.2, 1.2, 1.2, 2.0, 2.0, 2.0, 2.0]]> : tensor<4x8xf32>
  %y = effc.linear %x, %w : tensor<2x8xf32>, tensor<4x8xf32> -> tensor<2x4xf32>
  return %y : tensor<2x4xf32>
}

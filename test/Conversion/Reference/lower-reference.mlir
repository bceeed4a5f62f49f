// RUN: effc-opt %s --effc-lower-reference -split-input-file --mlir-print-local-scope | FileCheck %s
// RUN: effc-opt %s --effc-lower-reference -split-input-file | FileCheck %s --check-prefix=NOEFFC

// Tests that no effc op survives the reference lowering.
// NOEFFC-NOT: effc.

// Tests that a 2-D effc.linear becomes a zero-filled linalg.matmul that
// reads the [N, K] weight through transposed-B indexing maps.

// CHECK-LABEL: func.func @linear_2d
// CHECK-SAME: (%[[X:.+]]: tensor<8x64xf32>, %[[W:.+]]: tensor<32x64xf32>)
// CHECK: %[[ZERO:.+]] = arith.constant 0.000000e+00 : f32
// CHECK: %[[INIT:.+]] = linalg.fill ins(%[[ZERO]] : f32) outs(%{{.+}} : tensor<8x32xf32>)
// CHECK: %[[Y:.+]] = linalg.matmul indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d2)>, affine_map<(d0, d1, d2) -> (d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1)>]
// CHECK-SAME: ins(%[[X]], %[[W]] : tensor<8x64xf32>, tensor<32x64xf32>) outs(%[[INIT]] : tensor<8x32xf32>)
// CHECK-NOT: linalg.generic
// CHECK: return %[[Y]]
func.func @linear_2d(%x: tensor<8x64xf32>, %w: tensor<32x64xf32>) -> tensor<8x32xf32> {
  %0 = effc.linear %x, %w : tensor<8x64xf32>, tensor<32x64xf32> -> tensor<8x32xf32>
  return %0 : tensor<8x32xf32>
}

// -----

// Tests that a 3-D input with a 2-D weight is flattened to [M, K], multiplied
// and reshaped back.

// CHECK-LABEL: func.func @linear_3d_input
// CHECK-SAME: (%[[X:.+]]: tensor<2x4x64xf32>, %[[W:.+]]: tensor<32x64xf32>)
// CHECK: %[[X2:.+]] = tensor.collapse_shape %[[X]] {{\[}}[0, 1], [2]] : tensor<2x4x64xf32> into tensor<8x64xf32>
// CHECK: %[[Y2:.+]] = linalg.matmul indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d2)>, affine_map<(d0, d1, d2) -> (d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1)>]
// CHECK-SAME: ins(%[[X2]], %[[W]] : tensor<8x64xf32>, tensor<32x64xf32>)
// CHECK: %[[Y:.+]] = tensor.expand_shape %[[Y2]] {{\[}}[0, 1], [2]] output_shape [2, 4, 32] : tensor<8x32xf32> into tensor<2x4x32xf32>
// CHECK: return %[[Y]]
func.func @linear_3d_input(%x: tensor<2x4x64xf32>, %w: tensor<32x64xf32>) -> tensor<2x4x32xf32> {
  %0 = effc.linear %x, %w : tensor<2x4x64xf32>, tensor<32x64xf32> -> tensor<2x4x32xf32>
  return %0 : tensor<2x4x32xf32>
}

// -----

// Tests that a batched [B, N, K] weight gives a linalg.batch_matmul that
// reads the weight through transposed-B indexing maps.

// CHECK-LABEL: func.func @linear_batched_weight
// CHECK-SAME: (%[[X:.+]]: tensor<2x4x64xf32>, %[[W:.+]]: tensor<2x32x64xf32>)
// CHECK: %[[INIT:.+]] = linalg.fill
// CHECK: %[[Y:.+]] = linalg.batch_matmul indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d2, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>]
// CHECK-SAME: ins(%[[X]], %[[W]] : tensor<2x4x64xf32>, tensor<2x32x64xf32>) outs(%[[INIT]] : tensor<2x4x32xf32>)
// CHECK: return %[[Y]]
func.func @linear_batched_weight(%x: tensor<2x4x64xf32>, %w: tensor<2x32x64xf32>) -> tensor<2x4x32xf32> {
  %0 = effc.linear %x, %w : tensor<2x4x64xf32>, tensor<2x32x64xf32> -> tensor<2x4x32xf32>
  return %0 : tensor<2x4x32xf32>
}

// -----

// Tests that a bias and a relu become one elementwise generic after the
// matmul: the bias broadcast along rows, added, then max with 0.

// CHECK-LABEL: func.func @linear_bias_relu
// CHECK-SAME: (%[[X:.+]]: tensor<8x64xf32>, %[[W:.+]]: tensor<32x64xf32>, %[[B:.+]]: tensor<32xf32>)
// CHECK: %[[ZERO:.+]] = arith.constant 0.000000e+00 : f32
// CHECK: %[[ACC:.+]] = linalg.matmul
// CHECK: %[[Y:.+]] = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]}
// CHECK-SAME: ins(%[[ACC]], %[[B]] : tensor<8x32xf32>, tensor<32xf32>)
// CHECK-NEXT: ^bb0(%[[A:.+]]: f32, %[[BV:.+]]: f32, %{{.+}}: f32):
// CHECK-NEXT: %[[S:.+]] = arith.addf %[[A]], %[[BV]] : f32
// CHECK-NEXT: %[[R:.+]] = arith.maximumf %[[S]], %[[ZERO]] : f32
// CHECK-NEXT: linalg.yield %[[R]] : f32
// CHECK: return %[[Y]]
func.func @linear_bias_relu(%x: tensor<8x64xf32>, %w: tensor<32x64xf32>, %b: tensor<32xf32>) -> tensor<8x32xf32> {
  %0 = effc.linear %x, %w bias %b {activation = #effc.activation<relu>}
      : tensor<8x64xf32>, tensor<32x64xf32>, tensor<32xf32> -> tensor<8x32xf32>
  return %0 : tensor<8x32xf32>
}

// -----

// Tests that an ungrouped, unpadded effc.conv2d becomes
// linalg.conv_2d_nhwc_fhwc on the OHWI weight.

// CHECK-LABEL: func.func @conv2d
// CHECK-SAME: (%[[X:.+]]: tensor<1x8x8x3xf32>, %[[W:.+]]: tensor<4x3x3x3xf32>)
// CHECK-NOT: tensor.pad
// CHECK: %[[INIT:.+]] = linalg.fill
// CHECK: %[[Y:.+]] = linalg.conv_2d_nhwc_fhwc {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
// CHECK-SAME: ins(%[[X]], %[[W]] : tensor<1x8x8x3xf32>, tensor<4x3x3x3xf32>) outs(%[[INIT]] : tensor<1x6x6x4xf32>)
// CHECK: return %[[Y]]
func.func @conv2d(%x: tensor<1x8x8x3xf32>, %w: tensor<4x3x3x3xf32>) -> tensor<1x6x6x4xf32> {
  %0 = effc.conv2d %x, %w : tensor<1x8x8x3xf32>, tensor<4x3x3x3xf32> -> tensor<1x6x6x4xf32>
  return %0 : tensor<1x6x6x4xf32>
}

// -----

// Tests that padding becomes a zero tensor.pad of H and W ([top, bottom,
// left, right] -> low[0, top, left, 0] high[0, bottom, right, 0]), strides
// carry over and the bias is added per output channel.

// CHECK-LABEL: func.func @conv2d_padding_bias
// CHECK-SAME: (%[[X:.+]]: tensor<1x8x8x3xf32>, %[[W:.+]]: tensor<4x3x3x3xf32>, %[[B:.+]]: tensor<4xf32>)
// CHECK: %[[ZERO:.+]] = arith.constant 0.000000e+00 : f32
// CHECK: %[[P:.+]] = tensor.pad %[[X]] low[0, 1, 2, 0] high[0, 0, 1, 0]
// CHECK: tensor.yield %[[ZERO]] : f32
// CHECK: } : tensor<1x8x8x3xf32> to tensor<1x9x11x3xf32>
// CHECK: %[[ACC:.+]] = linalg.conv_2d_nhwc_fhwc {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
// CHECK-SAME: ins(%[[P]], %[[W]] : tensor<1x9x11x3xf32>, tensor<4x3x3x3xf32>)
// CHECK: %[[Y:.+]] = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>, affine_map<(d0, d1, d2, d3) -> (d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>]
// CHECK-SAME: ins(%[[ACC]], %[[B]] : tensor<1x4x5x4xf32>, tensor<4xf32>)
// CHECK: arith.addf
// CHECK: return %[[Y]]
func.func @conv2d_padding_bias(%x: tensor<1x8x8x3xf32>, %w: tensor<4x3x3x3xf32>, %b: tensor<4xf32>) -> tensor<1x4x5x4xf32> {
  %0 = effc.conv2d %x, %w bias %b {padding = array<i64: 1, 0, 2, 1>, strides = array<i64: 2, 2>}
      : tensor<1x8x8x3xf32>, tensor<4x3x3x3xf32>, tensor<4xf32> -> tensor<1x4x5x4xf32>
  return %0 : tensor<1x4x5x4xf32>
}

// -----

// Tests that a grouped convolution splits channels into groups and becomes
// linalg.conv_2d_nhwgc_gfhwc: input [N, H, W, G, C/G], weight
// [G, F/G, KH, KW, C/G], and the [N, OH, OW, G, F/G] result collapsed back.

// CHECK-LABEL: func.func @conv2d_grouped
// CHECK-SAME: (%[[X:.+]]: tensor<1x8x8x4xf32>, %[[W:.+]]: tensor<6x3x3x2xf32>)
// CHECK: %[[GX:.+]] = tensor.expand_shape %[[X]] {{\[}}[0], [1], [2], [3, 4]] output_shape [1, 8, 8, 2, 2] : tensor<1x8x8x4xf32> into tensor<1x8x8x2x2xf32>
// CHECK: %[[GW:.+]] = tensor.expand_shape %[[W]] {{\[}}[0, 1], [2], [3], [4]] output_shape [2, 3, 3, 3, 2] : tensor<6x3x3x2xf32> into tensor<2x3x3x3x2xf32>
// CHECK: %[[ACC:.+]] = linalg.conv_2d_nhwgc_gfhwc
// CHECK-SAME: ins(%[[GX]], %[[GW]] : tensor<1x8x8x2x2xf32>, tensor<2x3x3x3x2xf32>) outs(%{{.+}} : tensor<1x6x6x2x3xf32>)
// CHECK: %[[Y:.+]] = tensor.collapse_shape %[[ACC]] {{\[}}[0], [1], [2], [3, 4]] : tensor<1x6x6x2x3xf32> into tensor<1x6x6x6xf32>
// CHECK: return %[[Y]]
func.func @conv2d_grouped(%x: tensor<1x8x8x4xf32>, %w: tensor<6x3x3x2xf32>) -> tensor<1x6x6x6xf32> {
  %0 = effc.conv2d %x, %w {groups = 2 : i64} : tensor<1x8x8x4xf32>, tensor<6x3x3x2xf32> -> tensor<1x6x6x6xf32>
  return %0 : tensor<1x6x6x6xf32>
}

// -----

// Tests that a depthwise convolution (groups = C) with padding pads first and
// then becomes linalg.conv_2d_nhwgc_gfhwc with one channel per group.

// CHECK-LABEL: func.func @conv2d_depthwise
// CHECK-SAME: (%[[X:.+]]: tensor<1x8x8x4xf32>, %[[W:.+]]: tensor<4x3x3x1xf32>)
// CHECK: %[[P:.+]] = tensor.pad %[[X]] low[0, 1, 1, 0] high[0, 1, 1, 0]
// CHECK: %[[GX:.+]] = tensor.expand_shape %[[P]] {{\[}}[0], [1], [2], [3, 4]] output_shape [1, 10, 10, 4, 1] : tensor<1x10x10x4xf32> into tensor<1x10x10x4x1xf32>
// CHECK: %[[GW:.+]] = tensor.expand_shape %[[W]] {{\[}}[0, 1], [2], [3], [4]] output_shape [4, 1, 3, 3, 1] : tensor<4x3x3x1xf32> into tensor<4x1x3x3x1xf32>
// CHECK: %[[ACC:.+]] = linalg.conv_2d_nhwgc_gfhwc
// CHECK-SAME: ins(%[[GX]], %[[GW]] : tensor<1x10x10x4x1xf32>, tensor<4x1x3x3x1xf32>)
// CHECK: %[[Y:.+]] = tensor.collapse_shape %[[ACC]] {{\[}}[0], [1], [2], [3, 4]] : tensor<1x8x8x4x1xf32> into tensor<1x8x8x4xf32>
// CHECK: return %[[Y]]
func.func @conv2d_depthwise(%x: tensor<1x8x8x4xf32>, %w: tensor<4x3x3x1xf32>) -> tensor<1x8x8x4xf32> {
  %0 = effc.conv2d %x, %w {groups = 4 : i64, padding = array<i64: 1, 1, 1, 1>}
      : tensor<1x8x8x4xf32>, tensor<4x3x3x1xf32> -> tensor<1x8x8x4xf32>
  return %0 : tensor<1x8x8x4xf32>
}

// -----

// Tests the unmasked attention structure: Q K^T contracted over D, scaled
// by the default 1/sqrt(D), a numerically stable softmax over the keys
// (max, exp(s - max), sum, divide) and the product with V.

// CHECK-LABEL: func.func @attention_none
// CHECK-SAME: (%[[Q:.+]]: tensor<4x16xf32>, %[[K:.+]]: tensor<8x16xf32>, %[[V:.+]]: tensor<8x16xf32>)
// CHECK-DAG: %[[NINF:.+]] = arith.constant 0xFF800000 : f32
// CHECK-DAG: %[[SCALE:.+]] = arith.constant 2.500000e-01 : f32
// CHECK-DAG: %[[K4:.+]] = tensor.expand_shape %[[K]]
// CHECK-DAG: %[[V4:.+]] = tensor.expand_shape %[[V]]
// CHECK: %[[Q5:.+]] = tensor.expand_shape %{{.+}} {{\[}}[0], [1, 2], [3], [4]] output_shape [1, 1, 1, 4, 16]
// CHECK: %[[QK:.+]] = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d2, d3, d5)>, affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d4, d5)>, affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d2, d3, d4)>], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "reduction"]}
// CHECK-SAME: ins(%[[Q5]], %[[K4]] :
// CHECK: arith.mulf
// CHECK: arith.addf
// CHECK: %[[S:.+]] = linalg.generic
// CHECK-SAME: ins(%[[QK]] :
// CHECK: arith.mulf %{{.+}}, %[[SCALE]] : f32
// CHECK: %[[MAXINIT:.+]] = linalg.fill ins(%[[NINF]] : f32)
// CHECK: %[[MAX:.+]] = linalg.generic
// CHECK-SAME: iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]
// CHECK-SAME: ins(%[[S]] : tensor<1x1x1x4x8xf32>) outs(%[[MAXINIT]] : tensor<1x1x1x4xf32>)
// CHECK: arith.maximumf
// CHECK: %[[EXP:.+]] = linalg.generic
// CHECK-SAME: ins(%[[S]], %[[MAX]] :
// CHECK: arith.subf
// CHECK: math.exp
// CHECK: %[[SUM:.+]] = linalg.generic
// CHECK-SAME: iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]
// CHECK-SAME: ins(%[[EXP]] : tensor<1x1x1x4x8xf32>)
// CHECK: arith.addf
// CHECK: %[[P:.+]] = linalg.generic
// CHECK-SAME: ins(%[[EXP]], %[[SUM]] :
// CHECK: arith.divf
// CHECK: %[[O:.+]] = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d2, d3, d5)>, affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d5, d4)>, affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d2, d3, d4)>]
// CHECK-SAME: ins(%[[P]], %[[V4]] :
// CHECK: %[[Y:.+]] = tensor.collapse_shape %[[O]] {{.+}} : tensor<1x1x1x4x16xf32> into tensor<4x16xf32>
// CHECK: return %[[Y]]
func.func @attention_none(%q: tensor<4x16xf32>, %k: tensor<8x16xf32>, %v: tensor<8x16xf32>) -> tensor<4x16xf32> {
  %0 = effc.attention %q, %k, %v : tensor<4x16xf32>, tensor<8x16xf32>, tensor<8x16xf32> -> tensor<4x16xf32>
  return %0 : tensor<4x16xf32>
}

// -----

// Tests that a causal mask keeps key j for query i iff
// j <= i + (Skv - Sq) (here Skv - Sq = 4) and sets the rest to -inf.

// CHECK-LABEL: func.func @attention_causal
// CHECK-DAG: %[[NINF:.+]] = arith.constant 0xFF800000 : f32
// CHECK-DAG: %[[OFF:.+]] = arith.constant 4 : index
// CHECK-DAG: %[[SCALE:.+]] = arith.constant 2.500000e-01 : f32
// CHECK: %[[SC:.+]] = arith.mulf %{{.+}}, %[[SCALE]] : f32
// CHECK-NEXT: %[[I:.+]] = linalg.index 3 : index
// CHECK-NEXT: %[[J:.+]] = linalg.index 4 : index
// CHECK-NEXT: %[[LAST:.+]] = arith.addi %[[I]], %[[OFF]] : index
// CHECK-NEXT: %[[VIS:.+]] = arith.cmpi sle, %[[J]], %[[LAST]] : index
// CHECK-NEXT: %[[M:.+]] = arith.select %[[VIS]], %[[SC]], %[[NINF]] : f32
// CHECK-NEXT: linalg.yield %[[M]] : f32
// CHECK: math.exp
// CHECK: return
func.func @attention_causal(%q: tensor<1x2x4x16xf32>, %k: tensor<1x2x8x16xf32>, %v: tensor<1x2x8x16xf32>) -> tensor<1x2x4x16xf32> {
  %0 = effc.attention %q, %k, %v {mask = #effc.mask<causal>}
      : tensor<1x2x4x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x4x16xf32>
  return %0 : tensor<1x2x4x16xf32>
}

// -----

// Tests that a window mask keeps key j for query i iff j <= i and
// j > i - window (Sq == Skv), combining both comparisons.

// CHECK-LABEL: func.func @attention_window
// CHECK-DAG: %[[NINF:.+]] = arith.constant 0xFF800000 : f32
// CHECK-DAG: %[[WIN:.+]] = arith.constant 3 : index
// CHECK-DAG: %[[SCALE:.+]] = arith.constant 2.500000e-01 : f32
// CHECK: %[[SC:.+]] = arith.mulf %{{.+}}, %[[SCALE]] : f32
// CHECK-NEXT: %[[I:.+]] = linalg.index 3 : index
// CHECK-NEXT: %[[J:.+]] = linalg.index 4 : index
// CHECK-NEXT: %[[VIS:.+]] = arith.cmpi sle, %[[J]], %[[I]] : index
// CHECK-NEXT: %[[FIRST:.+]] = arith.subi %[[I]], %[[WIN]] : index
// CHECK-NEXT: %[[IN:.+]] = arith.cmpi sgt, %[[J]], %[[FIRST]] : index
// CHECK-NEXT: %[[BOTH:.+]] = arith.andi %[[VIS]], %[[IN]] : i1
// CHECK-NEXT: %[[M:.+]] = arith.select %[[BOTH]], %[[SC]], %[[NINF]] : f32
// CHECK-NEXT: linalg.yield %[[M]] : f32
// CHECK: return
func.func @attention_window(%q: tensor<2x8x16xf32>, %k: tensor<2x8x16xf32>, %v: tensor<2x8x16xf32>) -> tensor<2x8x16xf32> {
  %0 = effc.attention %q, %k, %v {mask = #effc.mask<window>, window = 3 : i64}
      : tensor<2x8x16xf32>, tensor<2x8x16xf32>, tensor<2x8x16xf32> -> tensor<2x8x16xf32>
  return %0 : tensor<2x8x16xf32>
}

// -----

// Tests that an explicit [Sq, Skv] mask is broadcast over batch and heads
// and added to the scaled scores.

// CHECK-LABEL: func.func @attention_explicit_mask
// CHECK-SAME: %[[MASK:[^:]+]]: tensor<8x8xf32>)
// CHECK-DAG: %[[SCALE:.+]] = arith.constant 2.500000e-01 : f32
// CHECK: %[[S:.+]] = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d3, d4)>, affine_map<(d0, d1, d2, d3, d4) -> (d3, d4)>, affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d3, d4)>]
// CHECK-SAME: ins(%{{.+}}, %[[MASK]] : tensor<1x2x1x8x8xf32>, tensor<8x8xf32>)
// CHECK-NEXT: ^bb0(%[[A:.+]]: f32, %[[MV:.+]]: f32, %{{.+}}: f32):
// CHECK-NEXT: %[[SC:.+]] = arith.mulf %[[A]], %[[SCALE]] : f32
// CHECK-NEXT: %[[R:.+]] = arith.addf %[[SC]], %[[MV]] : f32
// CHECK-NEXT: linalg.yield %[[R]] : f32
// CHECK-NOT: arith.cmpi
// CHECK: return
func.func @attention_explicit_mask(%q: tensor<2x8x16xf32>, %k: tensor<2x8x16xf32>, %v: tensor<2x8x16xf32>, %m: tensor<8x8xf32>) -> tensor<2x8x16xf32> {
  %0 = effc.attention %q, %k, %v mask(%m : tensor<8x8xf32>) {mask = #effc.mask<explicit>}
      : tensor<2x8x16xf32>, tensor<2x8x16xf32>, tensor<2x8x16xf32> -> tensor<2x8x16xf32>
  return %0 : tensor<2x8x16xf32>
}

// -----

// Tests that a [B, 1, 1, Skv] padding mask is read at index 0 along its
// broadcast head and query-row dims.

// CHECK-LABEL: func.func @attention_padding_mask
// CHECK-SAME: %[[MASK:[^:]+]]: tensor<2x1x1x8xf32>)
// CHECK: linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d3, d4)>, affine_map<(d0, d1, d2, d3, d4) -> (d0, 0, 0, d4)>, affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d3, d4)>]
// CHECK-SAME: ins(%{{.+}}, %[[MASK]] : tensor<2x4x1x8x8xf32>, tensor<2x1x1x8xf32>)
// CHECK-NEXT: ^bb0(%[[A:.+]]: f32, %[[MV:.+]]: f32, %{{.+}}: f32):
// CHECK-NEXT: %[[SC:.+]] = arith.mulf %[[A]], %{{.+}} : f32
// CHECK-NEXT: arith.addf %[[SC]], %[[MV]] : f32
func.func @attention_padding_mask(%q: tensor<2x4x8x16xf32>, %k: tensor<2x4x8x16xf32>, %v: tensor<2x4x8x16xf32>, %m: tensor<2x1x1x8xf32>) -> tensor<2x4x8x16xf32> {
  %0 = effc.attention %q, %k, %v mask(%m : tensor<2x1x1x8xf32>) {mask = #effc.mask<explicit>}
      : tensor<2x4x8x16xf32>, tensor<2x4x8x16xf32>, tensor<2x4x8x16xf32> -> tensor<2x4x8x16xf32>
  return %0 : tensor<2x4x8x16xf32>
}

// -----

// Tests that a per-head mask broadcast over batch and query rows is split
// into [1, Hkv, G, 1, Skv] for grouped-query heads and read at index 0 along
// its broadcast dims.

// CHECK-LABEL: func.func @attention_head_mask_gqa
// CHECK-SAME: %[[MASK:[^:]+]]: tensor<1x4x1x8xf32>)
// CHECK: %[[M5:.+]] = tensor.expand_shape %[[MASK]] {{\[}}[0], [1, 2], [3], [4]] output_shape [1, 2, 2, 1, 8] : tensor<1x4x1x8xf32> into tensor<1x2x2x1x8xf32>
// CHECK: linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d3, d4)>, affine_map<(d0, d1, d2, d3, d4) -> (0, d1, d2, 0, d4)>, affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d3, d4)>]
// CHECK-SAME: ins(%{{.+}}, %[[M5]] : tensor<2x2x2x8x8xf32>, tensor<1x2x2x1x8xf32>)
func.func @attention_head_mask_gqa(%q: tensor<2x4x8x16xf32>, %k: tensor<2x2x8x16xf32>, %v: tensor<2x2x8x16xf32>, %m: tensor<1x4x1x8xf32>) -> tensor<2x4x8x16xf32> {
  %0 = effc.attention %q, %k, %v mask(%m : tensor<1x4x1x8xf32>) {mask = #effc.mask<explicit>}
      : tensor<2x4x8x16xf32>, tensor<2x2x8x16xf32>, tensor<2x2x8x16xf32> -> tensor<2x4x8x16xf32>
  return %0 : tensor<2x4x8x16xf32>
}

// -----

// Tests that a rank-2 [1, Skv] mask is read at row 0 by every query.

// CHECK-LABEL: func.func @attention_row_mask
// CHECK-SAME: %[[MASK:[^:]+]]: tensor<1x8xf32>)
// CHECK: linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d3, d4)>, affine_map<(d0, d1, d2, d3, d4) -> (0, d4)>, affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d3, d4)>]
// CHECK-SAME: ins(%{{.+}}, %[[MASK]] : tensor<1x2x1x8x8xf32>, tensor<1x8xf32>)
func.func @attention_row_mask(%q: tensor<2x8x16xf32>, %k: tensor<2x8x16xf32>, %v: tensor<2x8x16xf32>, %m: tensor<1x8xf32>) -> tensor<2x8x16xf32> {
  %0 = effc.attention %q, %k, %v mask(%m : tensor<1x8xf32>) {mask = #effc.mask<explicit>}
      : tensor<2x8x16xf32>, tensor<2x8x16xf32>, tensor<2x8x16xf32> -> tensor<2x8x16xf32>
  return %0 : tensor<2x8x16xf32>
}

// -----

// Tests grouped-query attention with Hq = 4, Hkv = 2: query heads are
// grouped as [B, Hkv, G = 2, Sq, D] and K and V are indexed by the
// key/value head only, so query head h reads key/value head h / 2.

// CHECK-LABEL: func.func @attention_gqa
// CHECK-SAME: (%[[Q:.+]]: tensor<1x4x8x16xf32>, %[[K:.+]]: tensor<1x2x8x16xf32>, %[[V:.+]]: tensor<1x2x8x32xf32>)
// CHECK-DAG: %[[SCALE:.+]] = arith.constant 5.000000e-01 : f32
// CHECK: %[[Q5:.+]] = tensor.expand_shape %[[Q]] {{\[}}[0], [1, 2], [3], [4]] output_shape [1, 2, 2, 8, 16] : tensor<1x4x8x16xf32> into tensor<1x2x2x8x16xf32>
// CHECK: linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d2, d3, d5)>, affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d4, d5)>, affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d2, d3, d4)>]
// CHECK-SAME: ins(%[[Q5]], %[[K]] : tensor<1x2x2x8x16xf32>, tensor<1x2x8x16xf32>) outs(%{{.+}} : tensor<1x2x2x8x8xf32>)
// CHECK: arith.mulf %{{.+}}, %[[SCALE]] : f32
// CHECK: %[[O:.+]] = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d2, d3, d5)>, affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d5, d4)>, affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d2, d3, d4)>]
// CHECK-SAME: ins(%{{.+}}, %[[V]] : tensor<1x2x2x8x8xf32>, tensor<1x2x8x32xf32>) outs(%{{.+}} : tensor<1x2x2x8x32xf32>)
// CHECK: %[[Y:.+]] = tensor.collapse_shape %[[O]] {{\[}}[0], [1, 2], [3], [4]] : tensor<1x2x2x8x32xf32> into tensor<1x4x8x32xf32>
// CHECK: return %[[Y]]
func.func @attention_gqa(%q: tensor<1x4x8x16xf32>, %k: tensor<1x2x8x16xf32>, %v: tensor<1x2x8x32xf32>) -> tensor<1x4x8x32xf32> {
  %0 = effc.attention %q, %k, %v {scale = 0.5 : f32}
      : tensor<1x4x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x32xf32> -> tensor<1x4x8x32xf32>
  return %0 : tensor<1x4x8x32xf32>
}

// -----

// Tests that linalg.softmax is decomposed into its reductions and
// elementwise parts (max, exp, sum, divide) and does not survive.

// CHECK-LABEL: func.func @softmax
// CHECK-SAME: (%[[X:.+]]: tensor<4x8xf32>)
// CHECK-NOT: linalg.softmax
// CHECK: %[[MAX:.+]] = linalg.generic
// CHECK-SAME: iterator_types = ["parallel", "reduction"]
// CHECK-SAME: ins(%[[X]] : tensor<4x8xf32>)
// CHECK: arith.maxnumf
// CHECK: %[[EXP:.+]] = linalg.generic
// CHECK-SAME: ins(%[[X]], %[[MAX]] :
// CHECK: arith.subf
// CHECK: math.exp
// CHECK: %[[SUM:.+]] = linalg.generic
// CHECK-SAME: iterator_types = ["parallel", "reduction"]
// CHECK-SAME: ins(%[[EXP]] : tensor<4x8xf32>)
// CHECK: arith.addf
// CHECK: %[[Y:.+]] = linalg.generic
// CHECK-SAME: ins(%[[EXP]], %[[SUM]] :
// CHECK: arith.divf
// CHECK-NOT: linalg.softmax
// CHECK: return %[[Y]]
func.func @softmax(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %e = tensor.empty() : tensor<4x8xf32>
  %0 = linalg.softmax dimension(1) ins(%x : tensor<4x8xf32>) outs(%e : tensor<4x8xf32>) -> tensor<4x8xf32>
  return %0 : tensor<4x8xf32>
}

// RUN: effc-opt %s --effc-lower-hls -split-input-file | FileCheck %s

// Tests that a requantized int8 layer becomes one loop nest on memrefs:
// the results become an output parameter, weights/bias/multipliers/shifts
// ROMs, x - z_x takes 9 bits, the product 16 and the accumulator the 17
// bits that this weight and bias can reach, and the requantization is the
// reference's (int64 multiply, round half up, shift, zero point, relu
// clamp at z_y).

// CHECK-LABEL: func.func @ql(
// CHECK-SAME: %[[X:.+]]: memref<2x8xi8>, %[[Y:.+]]: memref<2x4xi8>)
// CHECK-SAME: effc.hls.num_inputs = 1 : i64, effc.hls.top
// CHECK-DAG: %[[W:.+]] = memref.get_global @ql_fc_w : memref<4x8xi8>
// CHECK-DAG: %[[B:.+]] = memref.get_global @ql_fc_b : memref<4xi32>
// CHECK-DAG: %[[MULT:.+]] = memref.get_global @ql_fc_mult : memref<4xi32>
// CHECK-DAG: %[[SH:.+]] = memref.get_global @ql_fc_shift : memref<4xi8>
// CHECK: affine.for %[[M:.+]] = 0 to 2 {
// CHECK: affine.for %[[N:.+]] = 0 to 4 {
// CHECK: %[[B0:.+]] = affine.load %[[B]][%[[N]]]
// CHECK: %[[INIT:.+]] = arith.trunci %[[B0]] : i32 to i17
// CHECK: %[[ACC:.+]] = affine.for %[[K:.+]] = 0 to 8 iter_args(%[[A:.+]] = %[[INIT]]) -> (i17) {
// CHECK: %[[XV:.+]] = affine.load %[[X]][%[[M]], %[[K]]]
// CHECK: %[[WV:.+]] = affine.load %[[W]][%[[N]], %[[K]]]
// CHECK: %[[X9:.+]] = arith.extsi %[[XV]] : i8 to i9
// CHECK: %[[XZ:.+]] = arith.subi %[[X9]], %{{.+}} : i9
// CHECK: %[[P:.+]] = arith.muli %{{.+}}, %{{.+}} : i16
// CHECK: %[[P17:.+]] = arith.extsi %[[P]] : i16 to i17
// CHECK: %[[S:.+]] = arith.addi %[[A]], %[[P17]] : i17
// CHECK: affine.yield %[[S]] : i17
// CHECK: } {effc.hls.pipeline_ii = 1 : i64}
// CHECK: affine.load %[[MULT]][%[[N]]]
// CHECK: affine.load %[[SH]][%[[N]]]
// CHECK: %[[A64:.+]] = arith.extsi %[[ACC]] : i17 to i64
// CHECK: arith.muli %[[A64]], %{{.+}} : i64
// CHECK: arith.shli
// CHECK: arith.shrsi
// CHECK: %[[ZY:.+]] = arith.constant 5 : i64
// CHECK: arith.addi %{{.+}}, %[[ZY]] : i64
// CHECK: %[[LO:.+]] = arith.constant 5 : i64
// CHECK: arith.maxsi %{{.+}}, %[[LO]] : i64
// CHECK: arith.minsi
// CHECK: %[[Q:.+]] = arith.trunci %{{.+}} : i64 to i8
// CHECK: affine.store %[[Q]], %[[Y]][%[[M]], %[[N]]]
// CHECK: } {effc.hls.layer = "fc"}
// CHECK: memref.global "private" constant @ql_fc_shift : memref<4xi8> = dense<[34, 34, 35, 35]>
func.func @ql(%x: tensor<2x8xi8>) -> tensor<2x4xi8> {
  %xq = quant.scast %x : tensor<2x8xi8> to tensor<2x8x!quant.uniform<i8:f32, 0.05:-3>>
  %wc = arith.constant dense<[[1, -2, 3, -4, 5, -6, 7, -8], [8, 7, 6, 5, 4, 3, 2, 1], [-1, -1, -1, -1, 1, 1, 1, 1], [127, -127, 0, 3, 0, 0, 9, 9]]> : tensor<4x8xi8>
  %w = quant.scast %wc : tensor<4x8xi8> to tensor<4x8x!quant.uniform<i8<-127:127>:f32:0, {0.01, 0.02, 0.03, 0.04}>>
  %b = arith.constant dense<[10, -20, 30, -40]> : tensor<4xi32>
  %y = effc.quantized_linear %xq, %w bias %b {activation = #effc.activation<relu>, multiplier = array<i32: 1073741824, 1073741824, 1518500250, 1518500250>, shift = array<i32: 3, 3, 4, 4>, effc.name = "fc"} : tensor<2x8x!quant.uniform<i8:f32, 0.05:-3>>, tensor<4x8x!quant.uniform<i8<-127:127>:f32:0, {0.01, 0.02, 0.03, 0.04}>>, tensor<4xi32> -> tensor<2x4x!quant.uniform<i8:f32, 0.1:5>>
  %ys = quant.scast %y : tensor<2x4x!quant.uniform<i8:f32, 0.1:5>> to tensor<2x4xi8>
  return %ys : tensor<2x4xi8>
}

// -----

// Tests that a weight with at least 25% zeros is stored as the non-zeros
// of each row and their columns (3-bit indices for K = 4), that rows with
// fewer non-zeros than the longest skip their padding under a per-row
// count, so no zero is multiplied, and that an i32 result with relu is
// max(acc, 0).

// CHECK-LABEL: func.func @sparse_rows(
// CHECK-SAME: %[[X:.+]]: memref<2x4xi8>, %[[Y:.+]]: memref<2x3xi32>)
// CHECK-DAG: %[[COLS:.+]] = memref.get_global @sparse_rows_quantized_linear_0_cols : memref<3x3xi3>
// CHECK-DAG: %[[VALS:.+]] = memref.get_global @sparse_rows_quantized_linear_0_vals : memref<3x3xi8>
// CHECK-DAG: %[[NNZ:.+]] = memref.get_global @sparse_rows_quantized_linear_0_nnz : memref<3xi3>
// CHECK: affine.for %[[M:.+]] = 0 to 2 {
// CHECK: affine.for %[[N:.+]] = 0 to 3 {
// CHECK: affine.for %[[J:.+]] = 0 to 3 iter_args(%[[A:.+]] = %{{.+}}) -> (i12) {
// CHECK: %[[C:.+]] = affine.load %[[COLS]][%[[N]], %[[J]]]
// CHECK: %[[CI:.+]] = arith.index_cast %[[C]] : i3 to index
// CHECK: %[[CNT:.+]] = affine.load %[[NNZ]][%[[N]]]
// CHECK: %[[JI:.+]] = arith.index_cast %[[J]] : index to i3
// CHECK: %[[IN:.+]] = arith.cmpi slt, %[[JI]], %[[CNT]] : i3
// CHECK: scf.if %[[IN]] -> (i12) {
// CHECK: memref.load %[[X]][%[[M]], %[[CI]]]
// CHECK: affine.load %[[VALS]][%[[N]], %[[J]]]
// CHECK: arith.muli
// CHECK: } else {
// CHECK-NEXT: scf.yield %[[A]] : i12
// CHECK: arith.maxsi
// CHECK: memref.global "private" constant @sparse_rows_quantized_linear_0_cols : memref<3x3xi3> = dense<{{\[}}[0, 3, 0], [3, 0, 0], [0, 1, 2]]>
// CHECK: memref.global "private" constant @sparse_rows_quantized_linear_0_vals : memref<3x3xi8> = dense<{{\[}}[1, 2, 0], [3, 0, 0], [4, 5, 6]]>
// CHECK: memref.global "private" constant @sparse_rows_quantized_linear_0_nnz : memref<3xi3> = dense<[2, 1, 3]>
func.func @sparse_rows(%x: tensor<2x4xi8>) -> tensor<2x3xi32> {
  %xq = quant.scast %x : tensor<2x4xi8> to tensor<2x4x!quant.uniform<i8:f32, 0.5>>
  %wc = arith.constant dense<[[1, 0, 0, 2], [0, 0, 0, 3], [4, 5, 6, 0]]> : tensor<3x4xi8>
  %w = quant.scast %wc : tensor<3x4xi8> to tensor<3x4x!quant.uniform<i8<-127:127>:f32, 0.25>>
  %y = effc.quantized_linear %xq, %w {activation = #effc.activation<relu>} : tensor<2x4x!quant.uniform<i8:f32, 0.5>>, tensor<3x4x!quant.uniform<i8<-127:127>:f32, 0.25>> -> tensor<2x3xi32>
  return %y : tensor<2x3xi32>
}

// -----

// Tests that a float layer with 2:4 zeros (every row the same length: no
// count, no guard) keeps f32 in the IR with the fixed-point format recorded
// on the function, the bias as the accumulator's start, relu after.

// CHECK-LABEL: func.func @float_nm(
// CHECK-SAME: effc.hls.fixed = array<i64: 16, 6>
// CHECK-NOT: _nnz
// CHECK: %[[B:.+]] = memref.get_global @float_nm_linear_0_b : memref<2xf32>
// CHECK: affine.for
// CHECK: affine.for %[[N:.+]] = 0 to 2 {
// CHECK: %[[B0:.+]] = affine.load %[[B]][%[[N]]]
// CHECK: affine.for %{{.+}} = 0 to 2 iter_args(%[[A:.+]] = %[[B0]]) -> (f32) {
// CHECK-NOT: scf.if
// CHECK: %[[P:.+]] = arith.mulf
// CHECK: arith.addf %[[A]], %[[P]] : f32
// CHECK: arith.maximumf
// CHECK: memref.global "private" constant @float_nm_linear_0_cols : memref<2x2xi3> = dense<{{\[}}[0, 2], [1, 3]]>
func.func @float_nm(%x: tensor<2x4xf32>) -> tensor<2x2xf32> {
  %w = arith.constant dense<[[0.5, 0.0, -1.0, 0.0], [0.0, 0.25, 0.0, 2.0]]> : tensor<2x4xf32>
  %b = arith.constant dense<[0.125, -0.5]> : tensor<2xf32>
  %y = effc.linear %x, %w bias %b {activation = #effc.activation<relu>} : tensor<2x4xf32>, tensor<2x4xf32>, tensor<2xf32> -> tensor<2x2xf32>
  return %y : tensor<2x2xf32>
}

// -----

// Tests the float boundary of a quantized model: quant.qcast is
// saturate(round_half_even(x / s) + z) in f32, quant.dcast (q - z) * s,
// each an elementwise pipelined loop; a value both returned (through
// quant.scast) and used is computed once, into its output parameter.

// CHECK-LABEL: func.func @casts(
// CHECK-SAME: %[[X:.+]]: memref<4xf32>, %[[D:.+]]: memref<4xf32>, %[[Q:.+]]: memref<4xi8>)
// CHECK-NOT: effc.hls.fixed
// CHECK: affine.for %[[I:.+]] = 0 to 4 {
// CHECK: %[[XV:.+]] = affine.load %[[X]][%[[I]]]
// CHECK: %[[DIV:.+]] = arith.divf %[[XV]], %{{.+}} : f32
// CHECK: %[[R:.+]] = math.roundeven %[[DIV]] : f32
// CHECK: arith.addf %[[R]]
// CHECK: arith.maximumf
// CHECK: arith.minimumf
// CHECK: %[[QV:.+]] = arith.fptosi %{{.+}} : f32 to i8
// CHECK: affine.store %[[QV]], %[[Q]][%[[I]]]
// CHECK: } {effc.hls.layer = "qcast_0", effc.hls.pipeline_ii = 1 : i64}
// CHECK: affine.for %[[J:.+]] = 0 to 4 {
// CHECK: affine.load %[[Q]][%[[J]]]
// CHECK: arith.sitofp
// CHECK: arith.subf
// CHECK: arith.mulf
// CHECK: affine.store %{{.+}}, %[[D]][%[[J]]]
func.func @casts(%x: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xi8>) {
  %q = quant.qcast %x : tensor<4xf32> to tensor<4x!quant.uniform<i8:f32, 0.1:-2>>
  %d = quant.dcast %q : tensor<4x!quant.uniform<i8:f32, 0.1:-2>> to tensor<4xf32>
  %s = quant.scast %q : tensor<4x!quant.uniform<i8:f32, 0.1:-2>> to tensor<4xi8>
  return %d, %s : tensor<4xf32>, tensor<4xi8>
}

// -----

// Tests that an input returned as is is copied to its output parameter.

// CHECK-LABEL: func.func @passthrough(
// CHECK-SAME: %[[X:.+]]: memref<3xi8>, %[[Y:.+]]: memref<3xi8>)
// CHECK: affine.for %[[I:.+]] = 0 to 3 {
// CHECK: %[[V:.+]] = affine.load %[[X]][%[[I]]]
// CHECK: affine.store %[[V]], %[[Y]][%[[I]]]
func.func @passthrough(%x: tensor<3xi8>) -> tensor<3xi8> {
  return %x : tensor<3xi8>
}

// -----

// Tests that int4 weights stored two to a byte (effc.unpack_int4) become an
// i4 ROM (element 2j the sign-extended low nibble of byte j) multiplied at
// their own width.

// CHECK-LABEL: func.func @int4(
// CHECK: %[[W:.+]] = memref.get_global @int4_quantized_linear_0_w : memref<2x4xi4>
// CHECK: %[[WV:.+]] = affine.load %[[W]]
// CHECK: arith.extsi %[[WV]] : i4 to i12
// CHECK: memref.global "private" constant @int4_quantized_linear_0_w : memref<2x4xi4> = dense<{{\[}}[1, 2, -8, -1], [-1, 7, 1, 0]]>
func.func @int4(%x: tensor<1x4xi8>) -> tensor<1x2xi32> {
  %xq = quant.scast %x : tensor<1x4xi8> to tensor<1x4x!quant.uniform<i8:f32, 0.5>>
  %p = arith.constant dense<[[33, -8], [127, 1]]> : tensor<2x2xi8>
  %w4 = effc.unpack_int4 %p : tensor<2x2xi8> -> tensor<2x4xi4>
  %w = quant.scast %w4 : tensor<2x4xi4> to tensor<2x4x!quant.uniform<i4<-7:7>:f32:0, {0.1, 0.2}>>
  %y = effc.quantized_linear %xq, %w : tensor<1x4x!quant.uniform<i8:f32, 0.5>>, tensor<2x4x!quant.uniform<i4<-7:7>:f32:0, {0.1, 0.2}>> -> tensor<1x2xi32>
  return %y : tensor<1x2xi32>
}

// -----

// Tests attention in streaming online-softmax form: per query row a
// Dv-wide accumulator (completely partitioned), one loop over the keys
// carrying the running max and sum, masked keys (causal: j <= i) skipped,
// the q.k product a pipelined reduction, and the row divided by the sum
// (0 when no key was seen).

// CHECK-LABEL: func.func @attn(
// CHECK-SAME: %[[Q:.+]]: memref<2x4x8xf32>, %[[K:.+]]: memref<1x4x8xf32>, %[[V:.+]]: memref<1x4x8xf32>, %[[O:.+]]: memref<2x4x8xf32>)
// CHECK-NOT: effc.hls.fixed
// CHECK: affine.for %[[H:.+]] = 0 to 2 {
// CHECK: affine.for %[[I:.+]] = 0 to 4 {
// CHECK: %[[ACC:.+]] = memref.alloc() {effc.hls.partition = array<i64: 8>} : memref<8xf32>
// CHECK: %[[ML:.+]]:2 = affine.for %[[J:.+]] = 0 to 4 iter_args(%[[M:.+]] = %{{.+}}, %[[L:.+]] = %{{.+}}) -> (f32, f32) {
// CHECK: %[[VIS:.+]] = arith.cmpi sle, %[[J]], %{{.+}} : index
// CHECK: scf.if %[[VIS]] -> (f32, f32) {
// CHECK: affine.for %{{.+}} = 0 to 8 iter_args(%{{.+}} = %{{.+}}) -> (f32) {
// CHECK: affine.load %[[K]][%[[H]] floordiv 2, %[[J]], %{{.+}}]
// CHECK: } {effc.hls.pipeline_ii = 1 : i64}
// CHECK: %[[MN:.+]] = arith.maximumf %[[M]], %{{.+}} : f32
// CHECK: math.exp
// CHECK: math.exp
// CHECK: affine.load %[[V]][%[[H]] floordiv 2, %[[J]], %{{.+}}]
// CHECK: } else {
// CHECK-NEXT: scf.yield %[[M]], %[[L]] : f32, f32
// CHECK: %[[ANY:.+]] = arith.cmpf ogt, %[[ML]]#1, %{{.+}} : f32
// CHECK: arith.divf %{{.+}}, %[[ML]]#1 : f32
// CHECK: arith.select %[[ANY]]
// CHECK: affine.store %{{.+}}, %[[O]][%[[H]], %[[I]], %{{.+}}]
func.func @attn(%q: tensor<2x4x8xf32>, %k: tensor<1x4x8xf32>, %v: tensor<1x4x8xf32>) -> tensor<2x4x8xf32> {
  %o = effc.attention %q, %k, %v {mask = #effc.mask<causal>} : tensor<2x4x8xf32>, tensor<1x4x8xf32>, tensor<1x4x8xf32> -> tensor<2x4x8xf32>
  return %o : tensor<2x4x8xf32>
}

// -----

// Tests attention with a padding mask broadcast over the query rows
// ([H, 1, Skv]): every key's score gets the mask value at (h, 0, j) added,
// and a running max still at -inf (all keys so far masked by -inf) is
// replaced by 0 before the exps.

// CHECK-LABEL: func.func @attn_padding_mask(
// CHECK-SAME: %[[Q:.+]]: memref<2x4x8xf32>, %[[K:.+]]: memref<1x6x8xf32>, %[[V:.+]]: memref<1x6x8xf32>, %[[MASK:.+]]: memref<2x1x6xf32>, %[[O:.+]]: memref<2x4x8xf32>)
// CHECK: affine.for %[[H:.+]] = 0 to 2 {
// CHECK: affine.for %[[I:.+]] = 0 to 4 {
// CHECK: %[[NINF:.+]] = arith.constant 0xFF800000 : f32
// CHECK: affine.for %[[J:.+]] = 0 to 6 iter_args(%[[M:.+]] = %{{.+}}, %[[L:.+]] = %{{.+}}) -> (f32, f32) {
// CHECK-NOT: scf.if
// CHECK: } {effc.hls.pipeline_ii = 1 : i64}
// CHECK: %[[SC:.+]] = arith.mulf
// CHECK: %[[MV:.+]] = affine.load %[[MASK]][%[[H]], 0, %[[J]]] : memref<2x1x6xf32>
// CHECK: %[[S:.+]] = arith.addf %[[SC]], %[[MV]] : f32
// CHECK: %[[MN:.+]] = arith.maximumf %[[M]], %[[S]] : f32
// CHECK: %[[NONE:.+]] = arith.cmpf oeq, %[[MN]], %[[NINF]] : f32
// CHECK: %[[BASE:.+]] = arith.select %[[NONE]], %{{.+}}, %[[MN]] : f32
// CHECK: arith.subf %[[M]], %[[BASE]] : f32
// CHECK: arith.subf %[[S]], %[[BASE]] : f32
// CHECK: affine.yield %[[MN]], %{{.+}} : f32, f32
func.func @attn_padding_mask(%q: tensor<2x4x8xf32>, %k: tensor<1x6x8xf32>, %v: tensor<1x6x8xf32>, %m: tensor<2x1x6xf32>) -> tensor<2x4x8xf32> {
  %o = effc.attention %q, %k, %v mask(%m : tensor<2x1x6xf32>) {mask = #effc.mask<explicit>} : tensor<2x4x8xf32>, tensor<1x6x8xf32>, tensor<1x6x8xf32> -> tensor<2x4x8xf32>
  return %o : tensor<2x4x8xf32>
}

// -----

// Tests a quantized convolution: the OHWI weight becomes a [F, KH*KW*C]
// ROM read at (f, r), the input is read at the position derived from r
// under a padding guard, and the accumulator starts from the bias.

// CHECK-LABEL: func.func @qconv(
// CHECK-SAME: %[[X:.+]]: memref<1x3x3x2xi8>, %[[Y:.+]]: memref<1x3x3x2xi32>)
// CHECK: %[[W:.+]] = memref.get_global @qconv_quantized_conv2d_0_w : memref<2x18xi8>
// CHECK: affine.for %[[F:.+]] = 0 to 2 {
// CHECK: affine.for %[[R:.+]] = 0 to 18 iter_args
// CHECK: arith.divsi %[[R]]
// CHECK: arith.remsi %[[R]]
// CHECK: scf.if
// CHECK: memref.load %[[X]]
// CHECK: affine.load %[[W]][%[[F]], %[[R]]]
// CHECK: memref.global "private" constant @qconv_quantized_conv2d_0_w : memref<2x18xi8>
func.func @qconv(%x: tensor<1x3x3x2xi8>) -> tensor<1x3x3x2xi32> {
  %xq = quant.scast %x : tensor<1x3x3x2xi8> to tensor<1x3x3x2x!quant.uniform<i8:f32, 0.5:1>>
  %wc = arith.constant dense<3> : tensor<2x3x3x2xi8>
  %w = quant.scast %wc : tensor<2x3x3x2xi8> to tensor<2x3x3x2x!quant.uniform<i8<-127:127>:f32, 0.25>>
  %b = arith.constant dense<[7, -7]> : tensor<2xi32>
  %y = effc.quantized_conv2d %xq, %w bias %b {padding = array<i64: 1, 1, 1, 1>} : tensor<1x3x3x2x!quant.uniform<i8:f32, 0.5:1>>, tensor<2x3x3x2x!quant.uniform<i8<-127:127>:f32, 0.25>>, tensor<2xi32> -> tensor<1x3x3x2xi32>
  return %y : tensor<1x3x3x2xi32>
}

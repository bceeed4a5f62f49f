// RUN: effc-opt %s --effc-lower-hls --effc-hls-optimize="dsp-budget=1000" | FileCheck %s --check-prefix=FULL
// RUN: effc-opt %s --effc-lower-hls --effc-hls-optimize="dsp-budget=6" | FileCheck %s --check-prefix=PART
// RUN: effc-opt %s --effc-lower-hls --effc-hls-optimize="dsp-budget=0" 2>&1 | FileCheck %s --check-prefix=NONE
// RUN: not effc-opt %s --effc-lower-hls --effc-hls-optimize="target-ii=0" 2>&1 | FileCheck %s --check-prefix=BADII
// RUN: not effc-opt %s --effc-hls-pipeline="dsp-budget=abc" 2>&1 | FileCheck %s --check-prefix=BADOPT

// Tests that an option value the HLS pipeline cannot parse is an error.
// BADOPT: error: invalid options of effc-hls-pipeline: 'dsp-budget=abc'

// Tests the directive choice under the DSP budget on one int8 layer
// (2 x 4 outputs, K = 8; a 9x8-bit product takes 1 DSP, the 17x32-bit
// requantization multiply 2):
// - with room for everything the reduction is unrolled completely, the
//   row loop pipelined at II 1, and the input and the weight split into
//   K / 2 = 4 cyclic banks along K (two ports per bank);
// - with 6 DSPs, 4 multipliers fit: the reduction is pipelined and
//   unrolled by 4 over 2 banks;
// - with none, nothing is unrolled and a warning says the design does not
//   fit.
// The estimate lands on the layer's loop and on the function.

// FULL-LABEL: func.func @ql(
// FULL-SAME: memref<2x8xi8> {effc.hls.partition = array<i64: 1, 4>}
// FULL-SAME: effc.hls.estimate = {bram = 0 : i64, bram_budget = 280 : i64, dsp = 10 : i64, dsp_budget = 1000 : i64
// FULL-SAME: latency = [[LAT:[0-9]+]] : i64
// FULL: affine.for %{{.+}} = 0 to 8 iter_args
// FULL: } {effc.hls.unroll = 0 : i64}
// FULL: } {effc.hls.pipeline_ii = 1 : i64}
// FULL: } {effc.hls.estimate = {dsp = 10 : i64, ii = 1 : i64, latency = [[LAT]] : i64, lut = {{[0-9]+}} : i64, unroll = 8 : i64}, effc.hls.layer = "fc"}
// FULL: memref.global "private" constant @ql_fc_w : memref<4x8xi8> = dense<{{.+}}> {effc.hls.partition = array<i64: 1, 4>}

// PART-LABEL: func.func @ql(
// PART-SAME: memref<2x8xi8> {effc.hls.partition = array<i64: 1, 2>}
// PART-SAME: dsp = 6 : i64, dsp_budget = 6 : i64
// PART: } {effc.hls.pipeline_ii = 1 : i64, effc.hls.unroll = 4 : i64}
// PART: unroll = 4 : i64}, effc.hls.layer = "fc"}

// NONE: warning: effc-hls-optimize: even without unrolling the design needs 3 DSPs and 0 BRAM18 (budget 0 / 280)
// NONE-LABEL: func.func @ql(
// NONE-NOT: effc.hls.partition
// NONE: } {effc.hls.pipeline_ii = 1 : i64}
// NONE: unroll = 1 : i64}, effc.hls.layer = "fc"}

// BADII: error: effc-hls-optimize: target-ii must be >= 1 and the budgets >= 0
func.func @ql(%x: tensor<2x8xi8>) -> tensor<2x4xi8> {
  %xq = quant.scast %x : tensor<2x8xi8> to tensor<2x8x!quant.uniform<i8:f32, 0.05:-3>>
  %wc = arith.constant dense<[[1, -2, 3, -4, 5, -6, 7, -8], [8, 7, 6, 5, 4, 3, 2, 1], [-1, -1, -1, -1, 1, 1, 1, 1], [127, -127, 0, 3, 0, 0, 9, 9]]> : tensor<4x8xi8>
  %w = quant.scast %wc : tensor<4x8xi8> to tensor<4x8x!quant.uniform<i8<-127:127>:f32:0, {0.01, 0.02, 0.03, 0.04}>>
  %b = arith.constant dense<[10, -20, 30, -40]> : tensor<4xi32>
  %y = effc.quantized_linear %xq, %w bias %b {activation = #effc.activation<relu>, multiplier = array<i32: 1073741824, 1073741824, 1518500250, 1518500250>, shift = array<i32: 3, 3, 4, 4>, effc.name = "fc"} : tensor<2x8x!quant.uniform<i8:f32, 0.05:-3>>, tensor<4x8x!quant.uniform<i8<-127:127>:f32:0, {0.01, 0.02, 0.03, 0.04}>>, tensor<4xi32> -> tensor<2x4x!quant.uniform<i8:f32, 0.1:5>>
  %ys = quant.scast %y : tensor<2x4x!quant.uniform<i8:f32, 0.1:5>> to tensor<2x4xi8>
  return %ys : tensor<2x4xi8>
}

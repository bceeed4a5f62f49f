// RUN: effc-opt %s --effc-hls-pipeline -split-input-file | effc-translate --emit-hls-cpp -split-input-file | FileCheck %s

// Tests the C++ of causal grouped-query attention in streaming
// online-softmax form: per query row, a completely partitioned Dv-wide
// accumulator; one pass over the keys carrying the running max and sum;
// masked keys skipped; query head h reading key/value head h / 2; the
// row divided by the sum at the end.

// CHECK-LABEL: void attn(float in0[2][4][8], float in1[1][4][8], float in2[1][4][8], float out0[2][4][8]) {
// CHECK: for (int [[H:v[0-9]+]] = 0; [[H]] < 2; [[H]] += 1) {
// CHECK-NEXT: for (int [[I:v[0-9]+]] = 0; [[I]] < 4; [[I]] += 1) {
// CHECK-NEXT: float [[ACC:v[0-9]+]][8];
// CHECK-NEXT: #pragma HLS ARRAY_PARTITION variable=[[ACC]] type=complete dim=1
// CHECK: const float [[NINF:v[0-9]+]] = -INFINITY;
// CHECK: float [[M:v[0-9]+]] = [[NINF]];
// CHECK-NEXT: float [[L:v[0-9]+]] = {{v[0-9]+}};
// CHECK-NEXT: for (int [[J:v[0-9]+]] = 0; [[J]] < 4; [[J]] += 1) {
// CHECK: bool [[VIS:v[0-9]+]] = [[J]] <= {{v[0-9]+}};
// CHECK: if ([[VIS]]) {
// CHECK: float {{v[0-9]+}} = in1[([[H]] / 2)][[[J]]][{{v[0-9]+}}];
// CHECK: float [[MN:v[0-9]+]] = [[M]] > {{v[0-9]+}} ? float([[M]]) : float({{v[0-9]+}});
// CHECK: float [[CORR:v[0-9]+]] = std::exp({{v[0-9]+}});
// CHECK: float [[P:v[0-9]+]] = std::exp({{v[0-9]+}});
// CHECK: = in2[([[H]] / 2)][[[J]]][{{v[0-9]+}}];
// CHECK: [[ACC]][{{v[0-9]+}}] = {{v[0-9]+}};
// CHECK: } else {
// CHECK: [[M]] = {{v[0-9]+}};
// CHECK-NEXT: [[L]] = {{v[0-9]+}};
// CHECK: bool [[ANY:v[0-9]+]] = [[L]] > {{v[0-9]+}};
// CHECK: float {{v[0-9]+}} = [[ACC]][{{v[0-9]+}}];
// CHECK: float {{v[0-9]+}} = {{v[0-9]+}} / [[L]];
// CHECK: out0[[[H]]][[[I]]][{{v[0-9]+}}] = {{v[0-9]+}};
func.func @attn(%q: tensor<2x4x8xf32>, %k: tensor<1x4x8xf32>, %v: tensor<1x4x8xf32>) -> tensor<2x4x8xf32> {
  %o = effc.attention %q, %k, %v {mask = #effc.mask<causal>} : tensor<2x4x8xf32>, tensor<1x4x8xf32>, tensor<1x4x8xf32> -> tensor<2x4x8xf32>
  return %o : tensor<2x4x8xf32>
}

// -----

// Tests the C++ of attention with a [B, 1, 1, Skv] padding mask: the mask is
// one more input, read at [b][0][0][j] for every head and query row and
// added to the scaled score; a running max still at -INFINITY is replaced
// by 0 before the exps.

// CHECK-LABEL: void attn_padding(float in0[2][2][4][8], float in1[2][2][6][8], float in2[2][2][6][8], float in3[2][1][1][6], float out0[2][2][4][8]) {
// CHECK: #pragma HLS INTERFACE mode=ap_memory port=in3
// CHECK: for (int [[B:v[0-9]+]] = 0; [[B]] < 2; [[B]] += 1) {
// CHECK-NEXT: for (int [[H:v[0-9]+]] = 0; [[H]] < 2; [[H]] += 1) {
// CHECK-NEXT: for (int [[I:v[0-9]+]] = 0; [[I]] < 4; [[I]] += 1) {
// CHECK: const float [[NINF:v[0-9]+]] = -INFINITY;
// CHECK: float [[M:v[0-9]+]] = [[NINF]];
// CHECK: for (int [[J:v[0-9]+]] = 0; [[J]] < 6; [[J]] += 1) {
// CHECK: const float [[SCALE:v[0-9]+]] = 0.353553385f;
// CHECK-NEXT: float [[SC:v[0-9]+]] = {{v[0-9]+}} * [[SCALE]];
// CHECK-NEXT: float [[MV:v[0-9]+]] = in3[[[B]]][0][0][[[J]]];
// CHECK-NEXT: float [[S:v[0-9]+]] = [[SC]] + [[MV]];
// CHECK-NEXT: float [[MN:v[0-9]+]] = [[M]] > [[S]] ? float([[M]]) : float([[S]]);
// CHECK-NEXT: bool [[NONE:v[0-9]+]] = [[MN]] == [[NINF]];
// CHECK: float [[BASE:v[0-9]+]] = [[NONE]] ? {{v[0-9]+}} : [[MN]];
// CHECK-NEXT: float {{v[0-9]+}} = [[M]] - [[BASE]];
// CHECK: float {{v[0-9]+}} = [[S]] - [[BASE]];
// CHECK: [[M]] = [[MN]];
func.func @attn_padding(%q: tensor<2x2x4x8xf32>, %k: tensor<2x2x6x8xf32>, %v: tensor<2x2x6x8xf32>, %m: tensor<2x1x1x6xf32>) -> tensor<2x2x4x8xf32> {
  %o = effc.attention %q, %k, %v mask(%m : tensor<2x1x1x6xf32>) {mask = #effc.mask<explicit>} : tensor<2x2x4x8xf32>, tensor<2x2x6x8xf32>, tensor<2x2x6x8xf32> -> tensor<2x2x4x8xf32>
  return %o : tensor<2x2x4x8xf32>
}

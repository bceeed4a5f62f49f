// RUN: effc-opt %s --effc-hls-pipeline | effc-translate --emit-hls-cpp | FileCheck %s

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

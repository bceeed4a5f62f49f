// RUN: effc-opt %s --effc-hls-pipeline | effc-translate --emit-hls-testbench | FileCheck %s

// Tests the C-simulation testbench: it declares the top function, reads
// each input from the .npy path at its argument position (checking the
// shape), converts it to the kernel's element type, calls the top function
// and writes each result to the .npy path after the inputs, as the
// result's element type (i8 -> |i1, f32 -> <f4).

// CHECK: #include "ap_fixed.h"
// CHECK: void two(ap_int<8> in0[2][3], ap_int<8> out0[2][3], float out1[2][3]);
// CHECK: static bool readNpy(const char *path, NpyArray &a)
// CHECK: static bool writeNpy(
// CHECK: int main(int argc, char **argv) {
// CHECK-NEXT: if (argc != 4) {
// CHECK: static ap_int<8> in0[2][3];
// CHECK: if (!readNpy(argv[1], a)) {
// CHECK: const std::vector<long> want = {2, 3};
// CHECK: p[j] = ap_int<8>((long long)npyElement(a, j));
// CHECK: static ap_int<8> out0[2][3];
// CHECK: static float out1[2][3];
// CHECK: two(in0, out0, out1);
// CHECK: std::vector<int8_t> buf(6);
// CHECK: if (!writeNpy(argv[2], "|i1", {2, 3}, buf.data(), buf.size() * sizeof(int8_t))) {
// CHECK: std::vector<float> buf(6);
// CHECK: if (!writeNpy(argv[3], "<f4", {2, 3}, buf.data(), buf.size() * sizeof(float))) {
// CHECK: return 0;
func.func @two(%x: tensor<2x3xi8>) -> (tensor<2x3xi8>, tensor<2x3xf32>) {
  %q = quant.scast %x : tensor<2x3xi8> to tensor<2x3x!quant.uniform<i8:f32, 0.5:1>>
  %d = quant.dcast %q : tensor<2x3x!quant.uniform<i8:f32, 0.5:1>> to tensor<2x3xf32>
  return %x, %d : tensor<2x3xi8>, tensor<2x3xf32>
}

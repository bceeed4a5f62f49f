// RUN: effc-opt %s --effc-hls-pipeline="max-dims=8" | effc-translate --emit-hls-testbench | FileCheck %s

// Tests the testbench of a function with a runtime size: the size comes
// from the input's .npy shape (refused above its bound), the input fills
// the leading corner of its array at the bound, the top function gets the
// size, and the result is written in its runtime shape.

// CHECK: void two(ap_int<8> in0[8][3], float out0[8][3], int dim0);
// CHECK: static long boundedOffset(long j, const std::vector<long> &shape,
// CHECK: int main(int argc, char **argv) {
// CHECK-NEXT: if (argc != 3) {
// CHECK: int dim0 = -1;
// CHECK: static ap_int<8> in0[8][3];
// CHECK: if (dim0 < 0)
// CHECK-NEXT: dim0 = int(a.shape[0]);
// CHECK-NEXT: if (a.shape[0] != dim0 || dim0 > 8) {
// CHECK: const std::vector<long> want = {long(dim0), 3};
// CHECK: const std::vector<long> bounds = {8, 3};
// CHECK: p[boundedOffset(j, want, bounds)] = ap_int<8>((long long)npyElement(a, j));
// CHECK: two(in0, out0, dim0);
// CHECK: const std::vector<long> shape = {long(dim0), 3};
// CHECK: buf[j] = p[boundedOffset(j, shape, bounds)];
// CHECK: if (!writeNpy(argv[2], "<f4", shape, buf.data(), buf.size() * sizeof(float))) {
func.func @two(%x: tensor<?x3xi8>) -> tensor<?x3xf32> {
  %q = quant.scast %x : tensor<?x3xi8> to tensor<?x3x!quant.uniform<i8:f32, 0.5:1>>
  %d = quant.dcast %q : tensor<?x3x!quant.uniform<i8:f32, 0.5:1>> to tensor<?x3xf32>
  return %d : tensor<?x3xf32>
}

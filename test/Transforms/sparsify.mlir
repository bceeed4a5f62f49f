// RUN: effc-opt %s -split-input-file --effc-sparsify="force=true" | FileCheck %s
// RUN: effc-opt %s -split-input-file --effc-sparsify="force=true format=nm" | FileCheck %s --check-prefix=NM
// RUN: effc-opt %s -split-input-file --effc-sparsify="force=true format=csr" | FileCheck %s --check-prefix=CSR
// RUN: effc-opt %s -split-input-file --effc-sparsify="force=true format=bsr" | FileCheck %s --check-prefix=BSR
// RUN: effc-opt %s -split-input-file --effc-sparsify | FileCheck %s --check-prefix=AUTO
// RUN: effc-opt %s -split-input-file --effc-sparsify="target=gpu" | FileCheck %s --check-prefix=GPU
// RUN: not effc-opt %s -split-input-file --effc-sparsify="format=dia" -o /dev/null 2>&1 | FileCheck %s --check-prefix=BAD-FORMAT
// RUN: not effc-opt %s -split-input-file --effc-sparsify="target=tpu" -o /dev/null 2>&1 | FileCheck %s --check-prefix=BAD-TARGET

// BAD-FORMAT: for the --format option: Cannot find option named 'dia'!
// BAD-FORMAT: error:
// BAD-TARGET: for the --target option: Cannot find option named 'tpu'!
// BAD-TARGET: error:

// Tests that a 2:4 weight is stored as N:M values and in-group positions
// (ascending, a group with one non-zero padded with its first zero
// position) packed 2 bits each into i16 words (row 0: 1, 2, 0, 3 ->
// 0b11001001 = 201; row 1: 0, 3, 0, 1 -> 0b01001100 = 76), bias and
// activation carried over.

// NM-LABEL: func.func @nm
// NM-DAG: [[V:%.+]] = arith.constant dense<{{\[}}[-4.000000e+00, 3.000000e+00, 0.000000e+00, 1.000000e+00], [5.000000e+00, 6.000000e+00, 7.000000e+00, 8.000000e+00]]> : tensor<2x4xf32>
// NM-DAG: [[I:%.+]] = arith.constant dense<{{\[}}[201], [76]]> : tensor<2x1xi16>
// NM: effc.sparse_linear %{{.+}}, [[V]], [[I]] bias %{{.+}} {activation = #effc.activation<relu>, effc.sparse_decision = "nm 2:4: sparsity 0.562, 36 bytes{{.*}}(forced)", encoding = #effc.sparse_encoding<format = nm, n = 2, m = 4>, weight_shape = array<i64: 2, 8>}
// NM-NOT: effc.linear
// NM: return
// GPU-LABEL: func.func @nm
// GPU: effc.linear {{.*}}effc.sparse_decision = "dense: sparsity 0.562, no sparse kernel on the target
func.func @nm(%x: tensor<64x8xf32>) -> tensor<64x2xf32> {
  %w = arith.constant dense<[[0.0, -4.0, 3.0, 0.0, 0.0, 0.0, 0.0, 1.0],
                             [5.0, 0.0, 0.0, 6.0, 7.0, 8.0, 0.0, 0.0]]> : tensor<2x8xf32>
  %b = arith.constant dense<[0.5, -0.5]> : tensor<2xf32>
  %y = effc.linear %x, %w bias %b {activation = #effc.activation<relu>} : tensor<64x8xf32>, tensor<2x8xf32>, tensor<2xf32> -> tensor<64x2xf32>
  return %y : tensor<64x2xf32>
}

// -----

// Tests that CSR stores values and columns in row order and row offsets.

// CSR-LABEL: func.func @csr
// CSR-DAG: [[V:%.+]] = arith.constant dense<[1.000000e+00, 2.000000e+00, 3.000000e+00, 4.000000e+00, 5.000000e+00]> : tensor<5xf32>
// CSR-DAG: [[I:%.+]] = arith.constant dense<[0, 1, 2, 1, 3]> : tensor<5xi32>
// CSR-DAG: [[O:%.+]] = arith.constant dense<[0, 3, 5]> : tensor<3xi32>
// CSR: effc.sparse_linear %{{.+}}, [[V]], [[I]] offsets [[O]] {effc.sparse_decision = "csr: {{.*}}", encoding = #effc.sparse_encoding<format = csr>, weight_shape = array<i64: 2, 4>}
func.func @csr(%x: tensor<16x4xf32>) -> tensor<16x2xf32> {
  %w = arith.constant dense<[[1.0, 2.0, 3.0, 0.0], [0.0, 4.0, 0.0, 5.0]]> : tensor<2x4xf32>
  %y = effc.linear %x, %w : tensor<16x4xf32>, tensor<2x4xf32> -> tensor<16x2xf32>
  return %y : tensor<16x2xf32>
}

// -----

// Tests that runtime rows (a dynamic batch and sequence) are compressed
// too, ranked over 1 to 512 rows per static row: 4 to 2048 here.

// CSR-LABEL: func.func @csr_dynamic_rows
// CSR: effc.sparse_linear {{.+}}effc.sparse_decision = "csr: {{.*}} (geometric mean over 4 to 2048 runtime rows) (forced)"{{.*}} : tensor<?x4x4xf32>, {{.*}} -> tensor<?x4x2xf32>
func.func @csr_dynamic_rows(%x: tensor<?x4x4xf32>) -> tensor<?x4x2xf32> {
  %w = arith.constant dense<[[1.0, 2.0, 3.0, 0.0], [0.0, 4.0, 0.0, 5.0]]> : tensor<2x4xf32>
  %y = effc.linear %x, %w : tensor<?x4x4xf32>, tensor<2x4xf32> -> tensor<?x4x2xf32>
  return %y : tensor<?x4x2xf32>
}

// -----

// Tests that a weight with whole 4x4 zero blocks is stored as BSR 4x4 (the
// layout the cost model ranks fastest), blocks in row-major order; without
// force this small layer stays dense (the transposes around the sparse
// kernel cost more than the 8x8 GEMM).

// CHECK-LABEL: func.func @bsr
// CHECK: effc.sparse_linear {{.*}} offsets {{.*}}encoding = #effc.sparse_encoding<format = bsr, block_rows = 4, block_cols = 4>, weight_shape = array<i64: 8, 8>}
// CHECK-SAME: tensor<2x4x4xf32>, tensor<2xi32>, offsets tensor<3xi32>
// AUTO-LABEL: func.func @bsr
// AUTO: effc.linear {{.*}}effc.sparse_decision = "dense: sparsity 0.500, best sparse layout (bsr 4x4) estimated
func.func @bsr(%x: tensor<256x8xf32>) -> tensor<256x8xf32> {
  %w = arith.constant dense<[[1.0, 1.0, 1.0, 1.0, 0.0, 0.0, 0.0, 0.0],
                             [1.0, 1.0, 1.0, 1.0, 0.0, 0.0, 0.0, 0.0],
                             [1.0, 1.0, 1.0, 1.0, 0.0, 0.0, 0.0, 0.0],
                             [1.0, 1.0, 1.0, 1.0, 0.0, 0.0, 0.0, 0.0],
                             [0.0, 0.0, 0.0, 0.0, 2.0, 2.0, 2.0, 2.0],
                             [0.0, 0.0, 0.0, 0.0, 2.0, 2.0, 2.0, 2.0],
                             [0.0, 0.0, 0.0, 0.0, 2.0, 2.0, 2.0, 2.0],
                             [0.0, 0.0, 0.0, 0.0, 2.0, 2.0, 2.0, 2.0]]> : tensor<8x8xf32>
  %y = effc.linear %x, %w : tensor<256x8xf32>, tensor<8x8xf32> -> tensor<256x8xf32>
  return %y : tensor<256x8xf32>
}

// -----

// Tests that a weight without zeros, and a weight that is not a constant,
// are left alone, without a decision.

// CHECK-LABEL: func.func @untouched
// CHECK-NOT: sparse
// CHECK: return
// CSR-LABEL: func.func @untouched
// CSR-NOT: sparse
// CSR: return
// AUTO-LABEL: func.func @untouched
// AUTO-NOT: sparse
// AUTO: return
func.func @untouched(%x: tensor<4x2xf32>, %v: tensor<2x2xf32>) -> (tensor<4x2xf32>, tensor<4x2xf32>) {
  %w = arith.constant dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>
  %y = effc.linear %x, %w : tensor<4x2xf32>, tensor<2x2xf32> -> tensor<4x2xf32>
  %z = effc.linear %x, %v : tensor<4x2xf32>, tensor<2x2xf32> -> tensor<4x2xf32>
  return %y, %z : tensor<4x2xf32>, tensor<4x2xf32>
}

// -----

// Tests that without force a tiny, mildly sparse layer stays dense (the
// CPU cost model prefers the dense kernel) and records why.

// AUTO-LABEL: func.func @unprofitable
// AUTO: effc.linear {{.*}}effc.sparse_decision = "dense: sparsity 0.250, best sparse layout ({{.*}}) estimated {{.*}} us vs dense {{.*}} us"
func.func @unprofitable(%x: tensor<2x4xf32>) -> tensor<2x2xf32> {
  %w = arith.constant dense<[[1.0, 2.0, 3.0, 0.0], [0.0, 4.0, 5.0, 6.0]]> : tensor<2x4xf32>
  %y = effc.linear %x, %w : tensor<2x4xf32>, tensor<2x4xf32> -> tensor<2x2xf32>
  return %y : tensor<2x2xf32>
}

// -----

// Tests sparse int8: an effc.quantized_linear with int8 activations, a
// constant i8 per-tensor weight behind quant.scast and a float result
// becomes a quantized effc.sparse_linear whose i8 values carry the weight's
// quantization (CSR when forced to it), bias, activation and result kept;
// the weight constant and its cast are gone. The cost model keeps it dense
// (the int8 GEMM is faster) and says why.

// CSR-LABEL: func.func @int8
// CSR-DAG: [[VS:%.+]] = arith.constant dense<[-4, 3, 1, 5, 6, 7, 8]> : tensor<7xi8>
// CSR-DAG: [[V:%.+]] = quant.scast [[VS]] : tensor<7xi8> to tensor<7x!quant.uniform<i8<-127:127>:f32, 1.000000e-01>>
// CSR-DAG: [[I:%.+]] = arith.constant dense<[1, 2, 7, 0, 3, 4, 5]> : tensor<7xi32>
// CSR-DAG: [[O:%.+]] = arith.constant dense<[0, 3, 7]> : tensor<3xi32>
// CSR: effc.sparse_linear %{{.+}}, [[V]], [[I]] offsets [[O]] bias %{{.+}} {activation = #effc.activation<relu>, effc.sparse_decision = "csr: sparsity 0.562{{.*}}", encoding = #effc.sparse_encoding<format = csr>, weight_shape = array<i64: 2, 8>}
// CSR-SAME: -> tensor<64x2xf32>
// CSR-NOT: effc.quantized_linear
// CSR-NOT: tensor<2x8xi8>
// CSR: return
// AUTO-LABEL: func.func @int8
// AUTO: effc.quantized_linear {{.*}}effc.sparse_decision = "dense: sparsity 0.562, best sparse layout
func.func @int8(%x: tensor<64x8x!quant.uniform<i8:f32, 0.05:-3>>) -> tensor<64x2xf32> {
  %c = arith.constant dense<[[0, -4, 3, 0, 0, 0, 0, 1],
                             [5, 0, 0, 6, 7, 8, 0, 0]]> : tensor<2x8xi8>
  %w = quant.scast %c : tensor<2x8xi8> to tensor<2x8x!quant.uniform<i8<-127:127>:f32, 0.1>>
  %b = arith.constant dense<[50, -50]> : tensor<2xi32>
  %y = effc.quantized_linear %x, %w bias %b {activation = #effc.activation<relu>} : tensor<64x8x!quant.uniform<i8:f32, 0.05:-3>>, tensor<2x8x!quant.uniform<i8<-127:127>:f32, 0.1>>, tensor<2xi32> -> tensor<64x2xf32>
  return %y : tensor<64x2xf32>
}

// -----

// Tests that per-channel i8 weights keep their scales in every format: N:M
// values behind a per-axis quant.scast, CSR and BSR values (no channel dim
// for a per-axis type to name) as plain i8 with channel_scales; and that a
// requantized (i8 result) effc.quantized_linear stays dense and says why.

// CHECK-LABEL: func.func @int8_channel
// CHECK: [[V:%.+]] = quant.scast %{{.+}} : tensor<2x4xi8> to tensor<2x4x!quant.uniform<i8<-127:127>:f32:0, {1.000000e-01,2.000000e-01}>>
// CHECK: effc.sparse_linear %{{.+}}, [[V]], %{{.+}} {effc.sparse_decision = "nm 2:4{{.*}}", encoding = #effc.sparse_encoding<format = nm, n = 2, m = 4>
// CHECK-SAME: -> tensor<64x2xi32>
// BSR-LABEL: func.func @int8_channel
// BSR: effc.sparse_linear %{{.+}}, %{{.+}}, %{{.+}} offsets %{{.+}} {channel_scales = array<f32: 1.000000e-01, 2.000000e-01>, effc.sparse_decision = "bsr 2x2{{.*}}", encoding = #effc.sparse_encoding<format = bsr, block_rows = 2, block_cols = 2>
// BSR-SAME: tensor<4x2x2xi8>
// BSR-SAME: -> tensor<64x2xi32>
// NM-LABEL: func.func @int8_channel
// NM: [[V:%.+]] = quant.scast %{{.+}} : tensor<2x4xi8> to tensor<2x4x!quant.uniform<i8<-127:127>:f32:0, {1.000000e-01,2.000000e-01}>>
// NM: effc.sparse_linear %{{.+}}, [[V]], %{{.+}} {effc.sparse_decision = "nm 2:4{{.*}}", encoding = #effc.sparse_encoding<format = nm, n = 2, m = 4>
// NM-NOT: channel_scales
// NM-SAME: -> tensor<64x2xi32>
// CSR-LABEL: func.func @int8_channel
// CSR: effc.sparse_linear %{{.+}}, %{{.+}}, %{{.+}} offsets %{{.+}} {channel_scales = array<f32: 1.000000e-01, 2.000000e-01>, effc.sparse_decision = "csr: sparsity 0.562{{.*}}", encoding = #effc.sparse_encoding<format = csr>
// CSR-SAME: tensor<7xi8>, tensor<7xi32>
// CHECK-LABEL: func.func @int8_requant
// CHECK: effc.quantized_linear {{.*}}effc.sparse_decision = "dense: requantized result (effc.sparse_linear produces i32 or float)"
func.func @int8_channel(%x: tensor<64x8x!quant.uniform<i8:f32, 0.05:-3>>) -> tensor<64x2xi32> {
  %c = arith.constant dense<[[0, -4, 3, 0, 0, 0, 0, 1],
                             [5, 0, 0, 6, 7, 8, 0, 0]]> : tensor<2x8xi8>
  %w = quant.scast %c : tensor<2x8xi8> to tensor<2x8x!quant.uniform<i8<-127:127>:f32:0, {0.1, 0.2}>>
  %y = effc.quantized_linear %x, %w : tensor<64x8x!quant.uniform<i8:f32, 0.05:-3>>, tensor<2x8x!quant.uniform<i8<-127:127>:f32:0, {0.1, 0.2}>> -> tensor<64x2xi32>
  return %y : tensor<64x2xi32>
}
func.func @int8_requant(%x: tensor<64x8x!quant.uniform<i8:f32, 0.05:-3>>) -> tensor<64x2x!quant.uniform<i8:f32, 0.1:0>> {
  %c = arith.constant dense<[[0, -4, 3, 0, 0, 0, 0, 1],
                             [5, 0, 0, 6, 7, 8, 0, 0]]> : tensor<2x8xi8>
  %w = quant.scast %c : tensor<2x8xi8> to tensor<2x8x!quant.uniform<i8<-127:127>:f32:0, {0.1, 0.2}>>
  %y = effc.quantized_linear %x, %w {multiplier = array<i32: 1073741824>, shift = array<i32: 0>} : tensor<64x8x!quant.uniform<i8:f32, 0.05:-3>>, tensor<2x8x!quant.uniform<i8<-127:127>:f32:0, {0.1, 0.2}>> -> tensor<64x2x!quant.uniform<i8:f32, 0.1:0>>
  return %y : tensor<64x2x!quant.uniform<i8:f32, 0.1:0>>
}

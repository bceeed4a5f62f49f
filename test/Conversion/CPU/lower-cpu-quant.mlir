// RUN: effc-opt %s -split-input-file --effc-lower-cpu="cpu=sapphirerapids target-features=-amx-int8,-amx-tile" | FileCheck %s
// RUN: effc-opt %s -split-input-file --effc-lower-cpu="cpu=sapphirerapids" | FileCheck %s --check-prefix=AMX
// RUN: effc-opt %s -split-input-file --effc-lower-cpu="cpu=sapphirerapids target-features=-avx512vnni,-avxvnni" | FileCheck %s --check-prefix=NOVNNI
// RUN: effc-opt %s -split-input-file --effc-expand-fp8 | FileCheck %s --check-prefix=FP8

// Tests that an int8 quantized_linear with a constant weight becomes the
// VNNI kernel: the weight packed at compile time (4 k per lane), the zero
// point correction folded into the bias ((128 + z_x) * colsum = 125 * 48 =
// 6000, so 7 - 6000; zero for padded columns), vpdpbusd on 16 x i32, and
// the fixed-point requantization on i64 lanes. Without VNNI the same
// layout is multiplied with plain i32 vector arithmetic.

// CHECK-DAG: llvm.mlir.global private constant @{{.+}}(dense<"0x0303030303{{.*}}> : tensor<1x4x128xi8>)
// CHECK-DAG: llvm.mlir.global private constant @{{.+}}(dense<[-5993, -5993, -5993, -5993, -5993, -5993, -5993, -5993, 0, {{.*}}]> : tensor<32xi32>)
// CHECK-LABEL: llvm.func @int8(
// CHECK: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"({{.+}}) : (vector<16xi32>, vector<64xi8>, vector<64xi8>) -> vector<16xi32>
// CHECK: llvm.mul {{.+}} : vector<16xi64>
// CHECK: llvm.ashr {{.+}} : vector<16xi64>
// CHECK: llvm.trunc {{.+}} : vector<16xi64> to vector<16xi8>
// CHECK-NOT: llvm.intr.fshl

// NOVNNI-LABEL: llvm.func @int8(
// NOVNNI-NOT: vpdpbusd
// NOVNNI: llvm.mul {{.+}} : vector<16xi32>
// NOVNNI: llvm.func @_mlir_ciface_int8(
func.func @int8(%x: tensor<4x16xi8>) -> tensor<4x8xi8> {
  %xq = quant.scast %x : tensor<4x16xi8> to tensor<4x16x!quant.uniform<i8:f32, 0.05:-3>>
  %wc = arith.constant dense<3> : tensor<8x16xi8>
  %w = quant.scast %wc : tensor<8x16xi8> to tensor<8x16x!quant.uniform<i8<-127:127>:f32, 0.01>>
  %b = arith.constant dense<7> : tensor<8xi32>
  %y = effc.quantized_linear %xq, %w bias %b {multiplier = array<i32: 1518500250>, shift = array<i32: 7>} : tensor<4x16x!quant.uniform<i8:f32, 0.05:-3>>, tensor<8x16x!quant.uniform<i8<-127:127>:f32, 0.01>>, tensor<8xi32> -> tensor<4x8x!quant.uniform<i8:f32, 0.1:5>>
  %r = quant.scast %y : tensor<4x8x!quant.uniform<i8:f32, 0.1:5>> to tensor<4x8xi8>
  return %r : tensor<4x8xi8>
}

// -----

// Tests that a weight-only int4 linear reads the packed nibbles (8 per i32
// lane, the bytes 0x11 of the constant) and unpacks them in registers
// (shift left, arithmetic shift right by 28, convert), with one scale
// vector per group and f32 FMAs; no dequantized weight is materialized.

// CHECK-DAG: llvm.mlir.global private constant @{{.+}}(dense<"0x11111111{{.*}}> : tensor<1x8x32xi32>)
// CHECK-DAG: llvm.mlir.global private constant @{{.+}}(dense<{{.+}}> : tensor<1x2x32xf32>)
// CHECK-NOT: tensor<2x64xf32>
// CHECK-LABEL: llvm.func @int4(
// CHECK: llvm.shl {{.+}} : vector<16xi32>
// CHECK: llvm.ashr {{.+}} : vector<16xi32>
// CHECK: llvm.sitofp {{.+}} : vector<16xi32> to vector<16xf32>
// CHECK: llvm.intr.fmuladd({{.+}}) : (vector<16xf32>, vector<16xf32>, vector<16xf32>) -> vector<16xf32>
func.func @int4(%x: tensor<1x64xf32>) -> tensor<1x2xf32> {
  %p = arith.constant dense<17> : tensor<2x32xi8>
  %u = effc.unpack_int4 %p : tensor<2x32xi8> -> tensor<2x64xi4>
  %w = quant.scast %u : tensor<2x64xi4> to tensor<2x64x!quant.uniform<i4<-7:7>:f32:{0:1, 1:32}, {{0.5, 0.25}, {0.5, 0.125}}>>
  %y = effc.quantized_linear %x, %w : tensor<1x64xf32>, tensor<2x64x!quant.uniform<i4<-7:7>:f32:{0:1, 1:32}, {{0.5, 0.25}, {0.5, 0.125}}>> -> tensor<1x2xf32>
  return %y : tensor<1x2xf32>
}

// -----

// Tests that a quantized convolution runs as im2col + the int8 GEMM, and
// that with AMX-INT8 and at least 16 rows (here 36) the GEMM uses AMX
// tiles: the K loop unrolled (K = 36 -> one 64-byte step), tdpbusd into the
// four 16x16 i32 tiles of a 32-row x 32-column block, stored for the vector
// epilogue.

// CHECK-LABEL: llvm.func @conv(
// CHECK: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"

// AMX-LABEL: llvm.func @conv(
// AMX: "llvm.x86.tilezero.internal"
// AMX-COUNT-4: "llvm.x86.tdpbusd.internal"
// AMX-COUNT-4: "llvm.x86.tilestored64.internal"
// AMX-NOT: vpdpbusd
// AMX: llvm.func @_mlir_ciface_conv(
func.func @conv(%xs: tensor<1x6x6x4xi8>) -> tensor<1x6x6x8xi32> {
  %x = quant.scast %xs : tensor<1x6x6x4xi8> to tensor<1x6x6x4x!quant.uniform<i8:f32, 0.05:2>>
  %wc = arith.constant dense<1> : tensor<8x3x3x4xi8>
  %w = quant.scast %wc : tensor<8x3x3x4xi8> to tensor<8x3x3x4x!quant.uniform<i8<-127:127>:f32, 0.02>>
  %y = effc.quantized_conv2d %x, %w {padding = array<i64: 1, 1, 1, 1>} : tensor<1x6x6x4x!quant.uniform<i8:f32, 0.05:2>>, tensor<8x3x3x4x!quant.uniform<i8<-127:127>:f32, 0.02>> -> tensor<1x6x6x8xi32>
  return %y : tensor<1x6x6x8xi32>
}

// -----

// Tests that --effc-expand-fp8 turns f8E4M3FN extf/truncf (scalar and
// vector) into integer code around bitcasts, with no fp8 conversion left.

// FP8-LABEL: func.func @fp8(
// FP8-NOT: arith.extf
// FP8-NOT: arith.truncf
// FP8: arith.bitcast {{.+}} : f8E4M3FN to i8
// FP8: arith.bitcast {{.+}} : i32 to f32
// FP8: arith.bitcast {{.+}} : vector<4xi8> to vector<4xf8E4M3FN>
// FP8: return
func.func @fp8(%a: f8E4M3FN, %b: vector<4xf32>) -> (f32, vector<4xf8E4M3FN>) {
  %e = arith.extf %a : f8E4M3FN to f32
  %t = arith.truncf %b : vector<4xf32> to vector<4xf8E4M3FN>
  return %e, %t : f32, vector<4xf8E4M3FN>
}

// -----

// Tests that an i8 effc.block_scaled_linear with a constant weight (and
// leading batch dims) becomes the int8 kernel with per-block scaling: the
// weight packed at compile time, one shift correction per K block and
// column (-128 * block column sum = -128 * 3 * 4 = -1536, hex 0xFFFFFA00;
// zero for padded columns), vpdpbusd per K block (no AMX even for M >= 16),
// then f32(acc + off) * (xs * ws) added to f32 accumulators. Without VNNI
// the dots are plain i32 vector arithmetic.

// CHECK-DAG: llvm.mlir.global private constant @{{.+}}(dense<"0x00FAFFFF{{.*}}"> : tensor<4x32xi32>)
// CHECK-LABEL: llvm.func @block_scaled_i8(
// CHECK: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"({{.+}}) : (vector<16xi32>, vector<64xi8>, vector<64xi8>) -> vector<16xi32>
// CHECK: [[S:%.+]] = llvm.fmul {{.+}} : vector<16xf32>
// CHECK: [[A:%.+]] = llvm.add {{.+}} : vector<16xi32>
// CHECK: [[F:%.+]] = llvm.sitofp [[A]] : vector<16xi32> to vector<16xf32>
// CHECK: [[P:%.+]] = llvm.fmul [[F]], [[S]] : vector<16xf32>
// CHECK: llvm.fadd {{.+}}, [[P]] : vector<16xf32>
// CHECK-NOT: llvm.intr.fshl
// CHECK: llvm.func @_mlir_ciface_block_scaled_i8(

// AMX-LABEL: llvm.func @block_scaled_i8(
// AMX-NOT: tdpbusd
// AMX: vpdpbusd
// AMX-NOT: tdpbusd
// AMX: llvm.func @_mlir_ciface_block_scaled_i8(

// NOVNNI-LABEL: llvm.func @block_scaled_i8(
// NOVNNI-NOT: vpdpbusd
// NOVNNI: llvm.mul {{.+}} : vector<16xi32>
// NOVNNI: llvm.sitofp {{.+}} : vector<16xi32> to vector<16xf32>
// NOVNNI: llvm.func @_mlir_ciface_block_scaled_i8(
func.func @block_scaled_i8(%x: tensor<2x9x16xi8>, %xs: tensor<2x9x4xf32>, %ws: tensor<2x4xf32>) -> tensor<2x9x8xf32> {
  %w = arith.constant dense<3> : tensor<8x16xi8>
  %y = effc.block_scaled_linear %x, %xs, %w, %ws {block = array<i64: 4, 4>} : tensor<2x9x16xi8>, tensor<2x9x4xf32>, tensor<8x16xi8>, tensor<2x4xf32> -> tensor<2x9x8xf32>
  return %y : tensor<2x9x8xf32>
}

// -----

// Tests that an f8E4M3FN effc.block_scaled_linear with a constant weight
// becomes the fp8 kernel: the weight packed at compile time as fp8 bytes
// (panels of 32 columns, zero padded), 16 bytes per load widened to f32 in
// registers (integer bit expansion, no fp8 conversion left), a separate
// f32 multiply and add per k, then the per-block scaling.

// CHECK-DAG: llvm.mlir.global private constant @{{.+}}(dense<{{.+}}> : tensor<1x16x32xi8>)
// CHECK-LABEL: llvm.func @block_scaled_fp8(
// CHECK: llvm.load {{.+}} -> vector<16xi8>
// CHECK: llvm.bitcast {{.+}} : vector<16xi32> to vector<16xf32>
// CHECK: llvm.fmul {{.+}} : vector<16xf32>
// CHECK: llvm.fadd {{.+}} : vector<16xf32>
// CHECK-NOT: llvm.intr.fma
// CHECK: llvm.func @_mlir_ciface_block_scaled_fp8(
// AMX-LABEL: llvm.func @block_scaled_fp8(
// NOVNNI-LABEL: llvm.func @block_scaled_fp8(
func.func @block_scaled_fp8(%x: tensor<3x16xf8E4M3FN>, %xs: tensor<3x2xf32>, %ws: tensor<2x2xf32>) -> tensor<3x8xf32> {
  %w = arith.constant dense<1.5> : tensor<8x16xf8E4M3FN>
  %y = effc.block_scaled_linear %x, %xs, %w, %ws {block = array<i64: 4, 8>} : tensor<3x16xf8E4M3FN>, tensor<3x2xf32>, tensor<8x16xf8E4M3FN>, tensor<2x2xf32> -> tensor<3x8xf32>
  return %y : tensor<3x8xf32>
}

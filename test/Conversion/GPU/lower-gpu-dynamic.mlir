// RUN: effc-opt %s --effc-lower-gpu="chip=sm_90" -split-input-file | FileCheck %s
// RUN: effc-opt %s --effc-lower-gpu="chip=sm_90" -split-input-file --one-shot-bufferize="bufferize-function-boundaries" --effc-lower-gpu-launch | FileCheck %s --check-prefix=LAUNCH

// Tests that GPU kernels take a runtime batch / sequence (issue 20): the
// [B, S, K] activation is collapsed to [B*S, K] rows, the kernels take
// memrefs with a dynamic row count that they read with memref.dim, the
// host sizes the outputs from the input, and the launch stub computes the
// row grid at launch (ceil(rows / tile)) and sizes its device buffers from
// the host ones.

// W8A8 with per-token scales: a device quantization kernel (one warp per
// row block: max |x| by shuffles, scale, round to i8) with two outputs,
// then the int8 GEMM whose epilogue applies f32(acc) * (xs * ws).
// CHECK-LABEL: func.func @w8a8
// CHECK:         %[[X:.+]] = tensor.collapse_shape %{{.+}} {{\[}}[0, 1], [2]] : tensor<?x?x64xf32> into tensor<?x64xf32>
// CHECK:         %[[M:.+]] = tensor.dim %[[X]], %{{.+}} : tensor<?x64xf32>
// CHECK:         %[[Q:.+]] = memref.alloc(%[[M]]) : memref<?x64xi8>
// CHECK:         %[[S:.+]] = memref.alloc(%[[M]]) : memref<?x1xf32>
// CHECK:         call @effc_launch_dynamic_quantize_i8_0(%{{.+}}, %[[Q]], %[[S]])
// CHECK:         memref.alloc(%{{.+}}) : memref<?x96xf32>
// CHECK:         call @effc_launch_block_scaled_linear_i8_1
// CHECK:         tensor.expand_shape %{{.+}} {{\[}}[0, 1], [2]] output_shape [%{{.+}}, %{{.+}}, 96] : tensor<?x96xf32> into tensor<?x?x96xf32>
// CHECK:       func.func private @effc_launch_dynamic_quantize_i8_0(memref<?x64xf32>, memref<?x64xi8>, memref<?x1xf32>)
// CHECK-SAME:    effc_gpu_dynamic_grid = array<i64: 0, 0, 0, 4>
// CHECK-SAME:    effc_gpu_outputs = 2 : i32
// CHECK:       func.func private @effc_launch_block_scaled_linear_i8_1(memref<?x64xi8>, memref<96x64xi8>, memref<?x1xf32>, memref<96x1xf32>, memref<?x96xf32>)
// CHECK-SAME:    effc_gpu_dynamic_grid = array<i64: 1, 0, 0, 64>
// CHECK-SAME:    effc_gpu_grid = array<i64: 2, {{.+}}, 1>
// CHECK:         gpu.func @dynamic_quantize_i8_0(%[[GX:.+]]: memref<?x64xf32>, %{{.+}}: memref<?x64xi8>, %{{.+}}: memref<?x1xf32>) kernel
// CHECK:           memref.dim %[[GX]], %{{.+}} : memref<?x64xf32>
// CHECK:           math.absf
// CHECK-COUNT-5:   gpu.shuffle  xor
// CHECK:           arith.divf
// CHECK:           arith.select
// CHECK:           math.roundeven
// CHECK:           arith.fptosi %{{.+}} : f32 to i8
// CHECK:         gpu.func @block_scaled_linear_i8_1(%[[GP:.+]]: memref<?x64xi8>, %{{.+}}: memref<96x64xi8>, %{{.+}}: memref<?x1xf32>, %{{.+}}: memref<96x1xf32>, %{{.+}}: memref<?x96xf32>)
// CHECK:           memref.dim %[[GP]], %{{.+}} : memref<?x64xi8>
// CHECK:           nvgpu.mma.sync({{.*}}) {mmaShape = [16, 8, 32]} : (vector<4x4xi8>, vector<2x4xi8>, vector<2x2xi32>) -> vector<2x2xi32>
// CHECK:           %[[WS:.+]] = memref.load %{{.+}} : memref<96x1xf32>
// CHECK:           %[[XS:.+]] = memref.load %{{.+}} : memref<?x1xf32>
// CHECK:           %[[SC:.+]] = arith.mulf %[[XS]], %[[WS]] : f32
// CHECK:           %[[F:.+]] = arith.sitofp %{{.+}} : i32 to f32
// CHECK:           arith.mulf %[[F]], %[[SC]] : f32

// The stubs read the runtime rows: device buffers sized by memref.dim,
// the grid by ceildiv, both outputs of the quantization copied back.
// LAUNCH-LABEL: func.func private @effc_launch_dynamic_quantize_i8_0
// LAUNCH-SAME:    (%[[A:.+]]: memref<?x64xf32>, %[[O1:.+]]: memref<?x64xi8>, %[[O2:.+]]: memref<?x1xf32>)
// LAUNCH:         %[[D:.+]] = memref.dim %[[A]], %{{.+}} : memref<?x64xf32>
// LAUNCH:         gpu.alloc async [%{{.+}}] (%[[D]]) : memref<?x64xf32>
// LAUNCH:         %[[R:.+]] = memref.dim %[[A]], %{{.+}} : memref<?x64xf32>
// LAUNCH:         %[[G:.+]] = arith.ceildivui %[[R]], %{{.+}} : index
// LAUNCH:         gpu.launch_func async [%{{.+}}] @effc_kernels::@dynamic_quantize_i8_0 blocks in (%[[G]],
// LAUNCH:         gpu.memcpy async [%{{.+}}] %[[O1]], %{{.+}} : memref<?x64xi8>, memref<?x64xi8>
// LAUNCH:         gpu.memcpy async [%{{.+}}] %[[O2]], %{{.+}} : memref<?x1xf32>, memref<?x1xf32>
// LAUNCH-LABEL: func.func private @effc_launch_block_scaled_linear_i8_1
// LAUNCH:         arith.ceildivui %{{.+}}, %{{.+}} : index
// LAUNCH:         gpu.launch_func
func.func @w8a8(%x: tensor<?x?x64xf32>, %w: tensor<96x64xi8>, %ws: tensor<96x1xf32>) -> tensor<?x?x96xf32> {
  %q, %s = effc.dynamic_quantize %x {block = array<i64: 1, 1, 64>} : tensor<?x?x64xf32> -> tensor<?x?x64xi8>, tensor<?x?x1xf32>
  %y = effc.block_scaled_linear %q, %s, %w, %ws {block = array<i64: 1, 64>} : tensor<?x?x64xi8>, tensor<?x?x1xf32>, tensor<96x64xi8>, tensor<96x1xf32> -> tensor<?x?x96xf32>
  return %y : tensor<?x?x96xf32>
}

// -----

// An f16 linear over a runtime batch: the tensor-core GEMM with a dynamic
// row count and the row grid computed at launch.
// CHECK-LABEL: func.func @linear_f16
// CHECK:         memref.alloc(%{{.+}}) : memref<?x32xf16>
// CHECK:         call @effc_launch_linear_0
// CHECK:       func.func private @effc_launch_linear_0(memref<?x64xf16>, memref<32x64xf16>, memref<?x32xf16>)
// CHECK-SAME:    effc_gpu_dynamic_grid = array<i64: 1, 0, 0, 64>
// CHECK:         gpu.func @linear_0(%{{.+}}: memref<?x64xf16>, %{{.+}}: memref<32x64xf16>, %{{.+}}: memref<?x32xf16>)
// CHECK:           nvgpu.mma.sync({{.*}}) {mmaShape = [16, 8, 16]}
func.func @linear_f16(%x: tensor<?x64xf16>, %w: tensor<32x64xf16>) -> tensor<?x32xf16> {
  %y = effc.linear %x, %w : tensor<?x64xf16>, tensor<32x64xf16> -> tensor<?x32xf16>
  return %y : tensor<?x32xf16>
}

// -----

// Block-scaled int8 with several K blocks: each 64-wide K tile's i32
// partial sums are promoted into f32 accumulators with their block scales.
// CHECK-LABEL: gpu.func @block_scaled_linear_i8_0
// CHECK:         scf.for {{.*}} -> (vector<2x2xf32>,
// CHECK:           nvgpu.mma.sync({{.*}}) {mmaShape = [16, 8, 32]}
// CHECK:           arith.sitofp %{{.+}} : i32 to f32
// CHECK:           math.fma
func.func @blocks(%q: tensor<?x128xi8>, %s: tensor<?x2xf32>, %w: tensor<64x128xi8>, %ws: tensor<64x2xf32>) -> tensor<?x64xf32> {
  %y = effc.block_scaled_linear %q, %s, %w, %ws {block = array<i64: 1, 64>} : tensor<?x128xi8>, tensor<?x2xf32>, tensor<64x128xi8>, tensor<64x2xf32> -> tensor<?x64xf32>
  return %y : tensor<?x64xf32>
}

// -----

// Causal GQA flash attention over a runtime batch and sequence: [B, H, S,
// D] collapses to [B*H, S, D]; the kernel reads Sq and Skv from Q and K,
// the causal diagonal is Skv - Sq at run time, and the grid is
// (ceil(Sq / 64), B*H) from Q's dims.
// CHECK-LABEL: func.func @attention
// CHECK:         %[[Q3:.+]] = tensor.collapse_shape %{{.+}} {{\[}}[0, 1], [2], [3]] : tensor<?x4x?x64xf16> into tensor<?x?x64xf16>
// CHECK-DAG:     %[[BH:.+]] = tensor.dim %[[Q3]], %c0{{(_[0-9]+)?}} :
// CHECK-DAG:     %[[S:.+]] = tensor.dim %[[Q3]], %c1{{(_[0-9]+)?}} :
// CHECK:         memref.alloc(%[[BH]], %[[S]]) : memref<?x?x64xf16>
// CHECK:         tensor.expand_shape %{{.+}} {{\[}}[0, 1], [2], [3]] output_shape [%{{.+}}, 4, %{{.+}}, 64] : tensor<?x?x64xf16> into tensor<?x4x?x64xf16>
// CHECK:       func.func private @effc_launch_attention_0
// CHECK-SAME:    effc_gpu_dynamic_grid = array<i64: 0, 0, 1, 64, 1, 0, 0, 1>
// CHECK:         gpu.func @attention_0(%[[GQ:[^:]+]]: memref<?x?x64xf16>, %[[GK:[^:]+]]: memref<?x?x64xf16>,
// CHECK-DAG:       %[[SQ:.+]] = memref.dim %[[GQ]], %c1{{(_[0-9]+)?}} :
// CHECK-DAG:       %[[SKV:.+]] = memref.dim %[[GK]], %c1{{(_[0-9]+)?}} :
// CHECK:           arith.subi %[[SKV]], %[[SQ]] : index
// CHECK:           arith.ceildivui %[[SKV]], %c64{{(_[0-9]+)?}} :
// CHECK:           nvgpu.mma.sync
func.func @attention(%q: tensor<?x4x?x64xf16>, %k: tensor<?x2x?x64xf16>, %v: tensor<?x2x?x64xf16>) -> tensor<?x4x?x64xf16> {
  %o = effc.attention %q, %k, %v {mask = #effc.mask<causal>} : tensor<?x4x?x64xf16>, tensor<?x2x?x64xf16>, tensor<?x2x?x64xf16> -> tensor<?x4x?x64xf16>
  return %o : tensor<?x4x?x64xf16>
}


// -----

// The bias + ReLU generic --effc-quantize writes after a block-scaled
// linear runs in the GEMM's epilogue: the bias is one more kernel argument,
// the generic's body follows the scales, and nothing stays on the host.
#id = affine_map<(d0, d1) -> (d0, d1)>
#ch = affine_map<(d0, d1) -> (d1)>
// CHECK-LABEL: func.func @w8a8_bias_relu
// CHECK-NOT:     linalg.generic
// CHECK:         call @effc_launch_block_scaled_linear_i8_0(%{{.+}}, %{{.+}}, %{{.+}}, %{{.+}}, %{{.+}}, %{{.+}}) : (memref<?x64xi8>, memref<96x64xi8>, memref<?x1xf32>, memref<96x1xf32>, memref<96xf32>, memref<?x96xf32>) -> ()
// CHECK-NOT:     linalg.generic
// CHECK:         gpu.func @block_scaled_linear_i8_0(
// CHECK-SAME:      %[[BIAS:[^:]+]]: memref<96xf32>, %{{.+}}: memref<?x96xf32>)
// CHECK:           %[[F:.+]] = arith.sitofp %{{.+}} : i32 to f32
// CHECK:           %[[V:.+]] = arith.mulf %[[F]], %{{.+}} : f32
// CHECK:           %[[B:.+]] = memref.load %[[BIAS]][%{{.+}}] : memref<96xf32>
// CHECK:           %[[S:.+]] = arith.addf %[[V]], %[[B]] : f32
// CHECK:           %[[R:.+]] = arith.maximumf %[[S]], %{{.+}} : f32
// CHECK:           memref.store %[[R]]
func.func @w8a8_bias_relu(%q: tensor<?x64xi8>, %s: tensor<?x1xf32>, %w: tensor<96x64xi8>, %ws: tensor<96x1xf32>, %b: tensor<96xf32>) -> tensor<?x96xf32> {
  %y = effc.block_scaled_linear %q, %s, %w, %ws {block = array<i64: 1, 64>} : tensor<?x64xi8>, tensor<?x1xf32>, tensor<96x64xi8>, tensor<96x1xf32> -> tensor<?x96xf32>
  %c0 = arith.constant 0 : index
  %m = tensor.dim %y, %c0 : tensor<?x96xf32>
  %e = tensor.empty(%m) : tensor<?x96xf32>
  %r = linalg.generic {indexing_maps = [#id, #ch, #id], iterator_types = ["parallel", "parallel"]}
      ins(%y, %b : tensor<?x96xf32>, tensor<96xf32>) outs(%e : tensor<?x96xf32>) {
  ^bb0(%in: f32, %bias: f32, %out: f32):
    %zero = arith.constant 0.0 : f32
    %sum = arith.addf %in, %bias : f32
    %relu = arith.maximumf %sum, %zero : f32
    linalg.yield %relu : f32
  } -> tensor<?x96xf32>
  return %r : tensor<?x96xf32>
}

// -----

// fp8 activation tiles (DeepSeek-V3's 1 x 128) are quantized on the device
// too: scale = max / 448 and a saturating e4m3 rounding (expanded to
// integer code by --effc-expand-fp8 in the kernel pipeline).
// CHECK-LABEL: gpu.func @dynamic_quantize_fp8_0
// CHECK-SAME:    memref<?x256xf32>, %{{.+}}: memref<?x256xf8E4M3FN>, %{{.+}}: memref<?x2xf32>
// CHECK:         arith.divf %{{.+}}, %cst{{.*}} : f32
// CHECK:         arith.truncf %{{.+}} : f32 to f8E4M3FN
func.func @fp8(%x: tensor<?x256xf32>) -> (tensor<?x256xf8E4M3FN>, tensor<?x2xf32>) {
  %q, %s = effc.dynamic_quantize %x {block = array<i64: 1, 128>} : tensor<?x256xf32> -> tensor<?x256xf8E4M3FN>, tensor<?x2xf32>
  return %q, %s : tensor<?x256xf8E4M3FN>, tensor<?x2xf32>
}

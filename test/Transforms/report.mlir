// RUN: effc-opt %s --effc-report="file=%t.json" -o /dev/null && FileCheck %s --input-file=%t.json
// RUN: effc-opt %s --effc-report="file=-" -o /dev/null | FileCheck %s
// RUN: effc-opt %s --effc-report -o /dev/null | FileCheck %s
// RUN: effc-opt %s --effc-report="file=%t.json remarks=true" -o /dev/null 2>&1 | FileCheck %s --check-prefix=REMARK
// RUN: effc-opt %s --effc-report="file=%t.json" -o /dev/null 2>&1 | FileCheck %s --check-prefix=NO-REMARK --allow-empty
// RUN: effc-opt %s --effc-report="file=%t.json" | FileCheck %s --check-prefix=IR
// RUN: not effc-opt %s --effc-report="file=/nonexistent/dir/x.json" -o /dev/null 2>&1 | FileCheck %s --check-prefix=ERR

// Tests that the report lists every compute op with weights, in order, with
// its precision, sparsity (exact zeros, -0.0 included, counted on the raw
// data) and bytes as stored: a dense linear with zeros, a splat conv (named
// by its location), an i8 per-channel quantized linear (+ 4 bytes per
// scale), a 2:4 sparse linear (values + indices), a linear with precision
// and sparsity plans, a linalg.matmul with a constant weight and an
// attention (no weights), and a linear whose weight is a dense_resource
// blob; a matmul by a non-constant is not a weight op.
// Totals: 8 ops, 86 params, 30 zeros, 304 bytes stored vs 344 as dense f32.

func.func @model(%x: tensor<3x4xf32>, %img: tensor<1x4x4x1xf32>,
    %xq: tensor<3x4x!quant.uniform<i8:f32, 0.05>>, %xs: tensor<3x8xf32>,
    %x2: tensor<2x4xf32>, %q: tensor<4x8xf32>, %k: tensor<4x8xf32>,
    %v: tensor<4x8xf32>, %a: tensor<2x4xf32>, %b: tensor<4x3xf32>)
    -> (tensor<3x2xf32>, tensor<1x2x2x2xf32>, tensor<3x2xi32>, tensor<3x2xf32>,
        tensor<2x4xf32>, tensor<2x3xf32>, tensor<4x8xf32>, tensor<2x3xf32>,
        tensor<3x2xf32>) {
  %w1 = arith.constant dense<[[1.0, 0.0, 2.0, 0.0], [0.0, 3.0, 4.0, -0.0]]> : tensor<2x4xf32>
  %y1 = effc.linear %x, %w1 {name = "fc1"} : tensor<3x4xf32>, tensor<2x4xf32> -> tensor<3x2xf32>
  %wc = arith.constant dense<0.5> : tensor<2x3x3x1xf32>
  %y2 = effc.conv2d %img, %wc : tensor<1x4x4x1xf32>, tensor<2x3x3x1xf32> -> tensor<1x2x2x2xf32>
  %wqi = arith.constant dense<[[1, 0, -1, 2], [0, 0, 3, 4]]> : tensor<2x4xi8>
  %wq = quant.scast %wqi : tensor<2x4xi8> to tensor<2x4x!quant.uniform<i8:f32:0, {0.1, 0.2}>>
  %y3 = effc.quantized_linear %xq, %wq {name = "qfc"}
      : tensor<3x4x!quant.uniform<i8:f32, 0.05>>,
        tensor<2x4x!quant.uniform<i8:f32:0, {0.1, 0.2}>> -> tensor<3x2xi32>
  %vals = arith.constant dense<[[1.0, 2.0, 3.0, 4.0], [5.0, 6.0, 7.0, 8.0]]> : tensor<2x4xf32>
  %idx = arith.constant dense<[[0, 1, 0, 1], [0, 2, 1, 3]]> : tensor<2x4xi8>
  %y4 = effc.sparse_linear %xs, %vals, %idx {name = "sparse",
      encoding = #effc.sparse_encoding<format = nm, n = 2, m = 4>,
      weight_shape = array<i64: 2, 8>}
      : tensor<3x8xf32>, tensor<2x4xf32>, tensor<2x4xi8> -> tensor<3x2xf32>
  %w5 = arith.constant dense<[[1.0, 0.0, 2.0, 0.0], [0.0, 3.0, 0.0, 4.0],
                              [5.0, 6.0, 0.0, 0.0], [0.0, 0.0, 7.0, 8.0]]> : tensor<4x4xf32>
  %y5 = effc.linear %x2, %w5 {name = "planned",
      effc.precision_plan = #effc.precision_plan<weights = i4, activations = bf16, granularity = group, group_size = 4>,
      effc.sparsity_plan = #effc.sparsity_plan<method = nm, sparsity = 5.000000e-01 : f64, n = 2, m = 4>}
      : tensor<2x4xf32>, tensor<4x4xf32> -> tensor<2x4xf32>
  %wm = arith.constant dense<[[0.0, 1.0, 2.0], [3.0, 4.0, 5.0], [6.0, 7.0, 8.0], [9.0, 10.0, 0.0]]> : tensor<4x3xf32>
  %zero = arith.constant dense<0.0> : tensor<2x3xf32>
  %y6 = linalg.matmul ins(%a, %wm : tensor<2x4xf32>, tensor<4x3xf32>)
                      outs(%zero : tensor<2x3xf32>) -> tensor<2x3xf32>
  %y7 = effc.attention %q, %k, %v {name = "attn"} : tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32> -> tensor<4x8xf32>
  %y8 = linalg.matmul ins(%a, %b : tensor<2x4xf32>, tensor<4x3xf32>)
                      outs(%zero : tensor<2x3xf32>) -> tensor<2x3xf32>
  %wr = arith.constant dense_resource<report_blob> : tensor<2x4xf32>
  %y9 = effc.linear %x, %wr {name = "resource"} : tensor<3x4xf32>, tensor<2x4xf32> -> tensor<3x2xf32>
  return %y1, %y2, %y3, %y4, %y5, %y6, %y7, %y8, %y9
      : tensor<3x2xf32>, tensor<1x2x2x2xf32>, tensor<3x2xi32>, tensor<3x2xf32>,
        tensor<2x4xf32>, tensor<2x3xf32>, tensor<4x8xf32>, tensor<2x3xf32>,
        tensor<3x2xf32>
}

// [1, 0, 0, 0, 2, 0, 0, 3] after the 4-byte alignment header.
{-#
  dialect_resources: {
    builtin: {
      report_blob: "0x040000000000803F00000000000000000000000000000040000000000000000000004040"
    }
  }
#-}

// CHECK:      "ops": [
// CHECK:        "dense_f32_bytes": 32,
// CHECK-NEXT:   "kind": "effc.linear",
// CHECK-NEXT:   "name": "fc1",
// CHECK-NEXT:   "params": 8,
// CHECK-NEXT:   "precision": {
// CHECK-NEXT:     "activations": "f32",
// CHECK-NEXT:     "granularity": "none",
// CHECK-NEXT:     "group_size": 0,
// CHECK-NEXT:     "source": "types",
// CHECK-NEXT:     "weights": "f32"
// CHECK-NEXT:   },
// CHECK-NEXT:   "sparsity": 0.5,
// CHECK-NEXT:   "weight_bytes": 32,
// CHECK-NEXT:   "weight_dtype": "f32",
// CHECK-NEXT:   "weight_shape": [
// CHECK-NEXT:     2,
// CHECK-NEXT:     4
// CHECK-NEXT:   ]

// CHECK:        "dense_f32_bytes": 72,
// CHECK-NEXT:   "kind": "effc.conv2d",
// CHECK-NEXT:   "name": "loc(\"{{.*}}report.mlir\":{{[0-9]+}}:{{[0-9]+}})",
// CHECK-NEXT:   "params": 18,
// CHECK:        "sparsity": 0,
// CHECK-NEXT:   "weight_bytes": 72,
// CHECK-NEXT:   "weight_dtype": "f32",
// CHECK-NEXT:   "weight_shape": [
// CHECK-NEXT:     2,
// CHECK-NEXT:     3,
// CHECK-NEXT:     3,
// CHECK-NEXT:     1
// CHECK-NEXT:   ]

// CHECK:        "dense_f32_bytes": 32,
// CHECK-NEXT:   "kind": "effc.quantized_linear",
// CHECK-NEXT:   "name": "qfc",
// CHECK-NEXT:   "params": 8,
// CHECK-NEXT:   "precision": {
// CHECK-NEXT:     "activations": "i8",
// CHECK-NEXT:     "granularity": "channel",
// CHECK-NEXT:     "group_size": 0,
// CHECK-NEXT:     "source": "types",
// CHECK-NEXT:     "weights": "i8"
// CHECK-NEXT:   },
// CHECK-NEXT:   "sparsity": 0.375,
// CHECK-NEXT:   "weight_bytes": 16,
// CHECK-NEXT:   "weight_dtype": "!quant.uniform<i8:f32:0, {1.000000e-01,2.000000e-01}>",

// CHECK:        "compressed_bytes": 40,
// CHECK-NEXT:   "dense_f32_bytes": 64,
// CHECK-NEXT:   "kind": "effc.sparse_linear",
// CHECK-NEXT:   "name": "sparse",
// CHECK-NEXT:   "params": 16,
// CHECK:        "sparsity": 0.5,
// CHECK-NEXT:   "storage": {
// CHECK-NEXT:     "format": "nm",
// CHECK-NEXT:     "m": 4,
// CHECK-NEXT:     "n": 2
// CHECK-NEXT:   },
// CHECK-NEXT:   "weight_bytes": 40,
// CHECK-NEXT:   "weight_dtype": "f32",
// CHECK-NEXT:   "weight_shape": [
// CHECK-NEXT:     2,
// CHECK-NEXT:     8
// CHECK-NEXT:   ]

// CHECK:        "dense_f32_bytes": 64,
// CHECK-NEXT:   "kind": "effc.linear",
// CHECK-NEXT:   "name": "planned",
// CHECK-NEXT:   "params": 16,
// CHECK-NEXT:   "precision": {
// CHECK-NEXT:     "activations": "bf16",
// CHECK-NEXT:     "granularity": "group",
// CHECK-NEXT:     "group_size": 4,
// CHECK-NEXT:     "source": "plan",
// CHECK-NEXT:     "weights": "i4"
// CHECK-NEXT:   },
// CHECK-NEXT:   "sparsity": 0.5,
// CHECK-NEXT:   "sparsity_plan": {
// CHECK-NEXT:     "block_cols": 0,
// CHECK-NEXT:     "block_rows": 0,
// CHECK-NEXT:     "m": 4,
// CHECK-NEXT:     "method": "nm",
// CHECK-NEXT:     "n": 2,
// CHECK-NEXT:     "sparsity": 0.5
// CHECK-NEXT:   },
// CHECK-NEXT:   "weight_bytes": 64,

// CHECK:        "dense_f32_bytes": 48,
// CHECK-NEXT:   "kind": "linalg.matmul",
// CHECK-NEXT:   "name": "loc(\"{{.*}}report.mlir\":{{[0-9]+}}:{{[0-9]+}})",
// CHECK-NEXT:   "params": 12,
// CHECK:        "sparsity": 0.1666{{[0-9]*}},
// CHECK-NEXT:   "weight_bytes": 48,
// CHECK-NEXT:   "weight_dtype": "f32",
// CHECK-NEXT:   "weight_shape": [
// CHECK-NEXT:     4,
// CHECK-NEXT:     3
// CHECK-NEXT:   ]

// CHECK:        "dense_f32_bytes": 0,
// CHECK-NEXT:   "kind": "effc.attention",
// CHECK-NEXT:   "name": "attn",
// CHECK-NEXT:   "params": 0,
// CHECK:        "weight_bytes": 0,
// CHECK-NEXT:   "weight_dtype": null,
// CHECK-NEXT:   "weight_shape": []

// CHECK:        "dense_f32_bytes": 32,
// CHECK-NEXT:   "kind": "effc.linear",
// CHECK-NEXT:   "name": "resource",
// CHECK-NEXT:   "params": 8,
// CHECK:        "sparsity": 0.625,
// CHECK-NEXT:   "weight_bytes": 32,
// CHECK:      ],
// CHECK-NEXT: "totals": {
// CHECK-NEXT:   "bits_per_weight": 28.27906976744{{[0-9]*}},
// CHECK-NEXT:   "compression_ratio": 1.131578947368{{[0-9]*}},
// CHECK-NEXT:   "dense_f32_bytes": 344,
// CHECK-NEXT:   "ops": 8,
// CHECK-NEXT:   "params": 86,
// CHECK-NEXT:   "weight_bytes": 304,
// CHECK-NEXT:   "zero_fraction": 0.348837209302{{[0-9]*}}
// CHECK-NEXT: }

// REMARK: remark: effc-report: effc.linear: 32 weight bytes (32 as dense f32), sparsity 0.5000
// REMARK: remark: effc-report: effc.conv2d: 72 weight bytes (72 as dense f32), sparsity 0.0000
// REMARK: remark: effc-report: effc.quantized_linear: 16 weight bytes (32 as dense f32), sparsity 0.3750
// REMARK: remark: effc-report: effc.sparse_linear: 40 weight bytes (64 as dense f32), sparsity 0.5000
// REMARK: remark: effc-report: effc.linear: 64 weight bytes (64 as dense f32), sparsity 0.5000
// REMARK: remark: effc-report: linalg.matmul: 48 weight bytes (48 as dense f32), sparsity 0.1667
// REMARK: remark: effc-report: effc.attention: 0 weight bytes (0 as dense f32), sparsity 0.0000
// REMARK: remark: effc-report: effc.linear: 32 weight bytes (32 as dense f32), sparsity 0.6250
// REMARK-NOT: remark:

// NO-REMARK-NOT: remark:

// Tests that the IR is left unchanged.
// IR-LABEL: func.func @model
// IR: effc.linear %{{.+}}, %{{.+}} {name = "fc1"}
// IR: effc.sparse_linear
// IR: linalg.matmul
// IR: effc.attention

// ERR: error: effc-report: cannot write '/nonexistent/dir/x.json':
// ERR-NOT: see current operation

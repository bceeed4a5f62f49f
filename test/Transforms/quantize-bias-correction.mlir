// RUN: %python -c "import json; print(json.dumps({'version': 1, 'bins': 2048, 'ops': {'l0': {'min': -1, 'max': 1, 'count': 2, 'hist_max': 1, 'hist': [0] * 2048, 'row_length': 8, 'mean': [0.5] * 8}}}))" > %t.json
// RUN: effc-opt %s --effc-quantize="bias-correction=1 calibration=%t.json" | FileCheck %s

// Tests that bias correction gives a linear without a bias one (fp8
// weight-only path): the mean output shift of the weight quantization.
// CHECK-LABEL: func.func @no_bias
// CHECK: [[W:%.+]] = effc.dequantize
// CHECK: [[B:%.+]] = arith.constant dense<{{.*}}> : tensor<4xf32>
// CHECK: effc.linear %{{.+}}, [[W]] bias [[B]]
func.func @no_bias(%x: tensor<2x8xf32>) -> tensor<2x4xf32> {
  %w = arith.constant dense<[[0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8], [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8], [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8], [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.9]]> : tensor<4x8xf32>
  %y = effc.linear %x, %w {effc.name = "l0", effc.precision_plan = #effc.precision_plan<weights = f8e4m3, activations = f32, granularity = block, group_size = 4>} : tensor<2x8xf32>, tensor<4x8xf32> -> tensor<2x4xf32>
  return %y : tensor<2x4xf32>
}

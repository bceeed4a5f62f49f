// RUN: %python -c "import json; h=[0]*2048; h[0]=8; op=lambda cmin, cmax: {'min': min(cmin), 'max': max(cmax), 'count': 8, 'hist_max': max(cmax), 'hist': h, 'row_length': 4, 'rows': [], 'mean': [0]*4, 'channel_min': cmin, 'channel_max': cmax}; s=op([-8, -1, -2, 0], [8, 1, 2, 0]); r=op([-3, -3], [3, 3]); r.update(row_length=2, mean=[0, 0]); del r['channel_min'], r['channel_max']; json.dump({'version': 1, 'bins': 2048, 'ops': {'q': s, 'k': s, 'r': r}}, open('%t.json', 'w'))"
// RUN: effc-opt %s -split-input-file --effc-assign-precision="weights=i8 activations=i8 calibration=%t.json smooth=0.5" 2>/dev/null | FileCheck %s
// RUN: effc-opt %s -split-input-file --effc-assign-precision="weights=i8 activations=i8 calibration=%t.json smooth=0.5" -o /dev/null 2>&1 | FileCheck %s --check-prefix=REM
// RUN: effc-opt %s -split-input-file --effc-assign-precision="weights=i8 activations=i8 calibration=%t.json smooth=0.5 dynamic=1" 2>/dev/null | FileCheck %s --check-prefix=DYN
// RUN: not effc-opt %s --effc-assign-precision="weights=i8 activations=i8 smooth=0.5" 2>&1 | FileCheck %s --check-prefix=NOCAL
// RUN: not effc-opt %s --effc-assign-precision="weights=i8 activations=f32 calibration=%t.json smooth=0.5" 2>&1 | FileCheck %s --check-prefix=FLOAT
// RUN: not effc-opt %s --effc-assign-precision="weights=i8 activations=i8 calibration=%t.json smooth=1.5" 2>&1 | FileCheck %s --check-prefix=RANGE

// Tests SmoothQuant smoothing: the two linears reading %x share one factor
// per input channel, s_j = sqrt(max|x_j|) / sqrt(max|W[:, j]|) over both
// weights: channel ranges 8, 1, 2, 0 and weight column maxima 2, 1, 0.5, 1
// give s = [2, 1, 2, 1] (the dead channel 3 takes the smallest live factor,
// 1). %x is multiplied by
// 1 / s once, each weight column by s, and the static range is the
// smoothed channels' min / max: [-4, 4] instead of [-8, 8].

// CHECK-LABEL: func.func @shared
// CHECK: %[[INV:.+]] = arith.constant dense<[5.000000e-01, 1.000000e+00, 5.000000e-01, 1.000000e+00]> : tensor<4xf32>
// CHECK: %[[XS:.+]] = linalg.generic {{.*}} ins(%{{.*}}, %[[INV]] : tensor<2x4xf32>, tensor<4xf32>)
// CHECK: arith.mulf
// CHECK: %[[WQ:.+]] = arith.constant dense<{{\[}}[4.000000e+00, 1.000000e+00, 1.000000e+00, 1.000000e+00], [-2.000000e+00, 5.000000e-01, -5.000000e-01, 0.000000e+00]]> : tensor<2x4xf32>
// CHECK: effc.linear %[[XS]], %[[WQ]] {effc.name = "q", effc.precision_plan = #effc.precision_plan<weights = i8, activations = i8, granularity = channel, input_min = -4.000000e+00 : f64, input_max = 4.000000e+00 : f64,
// CHECK: %[[WK:.+]] = arith.constant dense<{{\[}}[1.000000e+00, -1.000000e+00, 0.000000e+00, 1.000000e+00]]> : tensor<1x4xf32>
// CHECK: effc.linear %[[XS]], %[[WK]] {effc.name = "k", effc.precision_plan = #effc.precision_plan<weights = i8, activations = i8, granularity = channel, input_min = -4.000000e+00 : f64, input_max = 4.000000e+00 : f64,

// dynamic=1 smooths the same way and keeps the activations dynamic.
// DYN-LABEL: func.func @shared
// DYN: linalg.generic
// DYN: effc.linear {{.*}}activations = i8, granularity = channel, sqnr
// DYN-NOT: input_min

// NOCAL: error: effc-assign-precision: smooth needs calibration statistics (calibration=)
// FLOAT: error: effc-assign-precision: smooth needs quantized activations (activations=i8 or f8e4m3): smoothing float activations changes nothing
// RANGE: error: effc-assign-precision: smooth must be in [0, 1], got 1.5
func.func @shared(%x: tensor<2x4xf32>) -> (tensor<2x2xf32>, tensor<2x1xf32>) {
  %wq = arith.constant dense<[[2.0, 1.0, 0.5, 1.0], [-1.0, 0.5, -0.25, 0.0]]> : tensor<2x4xf32>
  %wk = arith.constant dense<[[0.5, -1.0, 0.0, 1.0]]> : tensor<1x4xf32>
  %q = effc.linear %x, %wq {effc.name = "q"} : tensor<2x4xf32>, tensor<2x4xf32> -> tensor<2x2xf32>
  %k = effc.linear %x, %wk {effc.name = "k"} : tensor<2x4xf32>, tensor<1x4xf32> -> tensor<2x1xf32>
  return %q, %k : tensor<2x2xf32>, tensor<2x1xf32>
}

// -----

// Tests that a linear whose statistics have no per-channel ranges (written
// before they existed) and a convolution are left unsmoothed with a remark.
// REM: remark: effc-assign-precision: not smoothed: the calibration statistics have no per-channel ranges (re-run effc-run --calibrate)
// REM: remark: effc-assign-precision: not smoothed: smoothing applies to effc.linear
func.func @other(%x: tensor<2x2xf32>, %img: tensor<1x4x4x2xf32>) -> (tensor<2x2xf32>, tensor<1x4x4x2xf32>) {
  %w = arith.constant dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>
  %y = effc.linear %x, %w {effc.name = "r"} : tensor<2x2xf32>, tensor<2x2xf32> -> tensor<2x2xf32>
  %k = arith.constant dense<0.5> : tensor<2x1x1x2xf32>
  %c = effc.conv2d %img, %k : tensor<1x4x4x2xf32>, tensor<2x1x1x2xf32> -> tensor<1x4x4x2xf32>
  return %y, %c : tensor<2x2xf32>, tensor<1x4x4x2xf32>
}

// Tests that bad options and inputs of --effc-assign-precision are errors
// with a location and exit code 1, never a silent no-op.

// RUN: not effc-opt %s --effc-assign-precision="weights=i3" 2>&1 | FileCheck %s --check-prefix=PREC
// PREC: for the --weights option: Cannot find option named 'i3'!
// PREC: error:
// RUN: not effc-opt %s --effc-assign-precision="weights=i8 activations=int8" 2>&1 | FileCheck %s --check-prefix=ACT
// ACT: for the --activations option: Cannot find option named 'int8'!
// ACT: error:
// A layer the granularity does not fit is quantized per channel, with a
// remark, not a failed model (the rest of a model is still quantized).
// RUN: effc-opt %s --effc-assign-precision="weights=i4 granularity=group group-size=48" 2>&1 | FileCheck %s --check-prefix=GROUP
// GROUP: assign-precision-errors.mlir:{{[0-9]+}}:8: remark: effc-assign-precision: group-size 48 does not divide K = 64; quantized per channel instead
// GROUP: effc.linear {{.*}}effc.precision_plan = #effc.precision_plan<weights = i4, activations = f32, granularity = channel
// RUN: not effc-opt %s --effc-assign-precision="weights=i4 granularity=row" 2>&1 | FileCheck %s --check-prefix=GRAN
// GRAN: for the --granularity option: Cannot find option named 'row'!
// GRAN: error:
// RUN: not effc-opt %s --effc-assign-precision="weights=auto budget-bits=3" 2>&1 | FileCheck %s --check-prefix=BUDGET
// BUDGET: error: effc-assign-precision: budget-bits=3 is below the cheapest plan (4.500 bits per weight)
// RUN: not effc-opt %s --effc-assign-precision="weights=auto" 2>&1 | FileCheck %s --check-prefix=NOBUDGET
// NOBUDGET: error: effc-assign-precision: weights=auto needs budget-bits > 0
// RUN: not effc-opt %s --effc-assign-precision="weights=i8 calibration=%t.missing.json" 2>&1 | FileCheck %s --check-prefix=CALIB
// CALIB: error: effc-assign-precision: cannot read calibration file '{{.*}}missing.json'
// RUN: not effc-opt %s --effc-assign-precision="weights=i8 activations=i8 calibration-method=max" 2>&1 | FileCheck %s --check-prefix=METHOD
// METHOD: for the --calibration-method option: Cannot find option named 'max'!
// METHOD: error:
// RUN: not effc-opt %s --effc-assign-precision="weights=bf16 activations=i8" 2>&1 | FileCheck %s --check-prefix=PAIR
// PAIR: error: effc-assign-precision: activations=i8 needs integer weights (i8 or i4), got weights=bf16
// RUN: echo '{"version": 1, "bins": 16, "ops": {}}' > %t.bad.json
// RUN: not effc-opt %s --effc-assign-precision="weights=i8 calibration=%t.bad.json" 2>&1 | FileCheck %s --check-prefix=BADJSON
// BADJSON: error: effc-assign-precision: calibration file '{{.*}}bad.json': expected "bins": 2048

func.func @f(%x: tensor<2x64xf32>) -> tensor<2x32xf32> {
  %w = arith.constant dense<0.5> : tensor<32x64xf32>
  %y = effc.linear %x, %w : tensor<2x64xf32>, tensor<32x64xf32> -> tensor<2x32xf32>
  return %y : tensor<2x32xf32>
}

// Tests that batched [B, N, K] weights are planned in half precision only:
// an integer plan leaves them in float with a remark.
// RUN: echo 'func.func @b(%%x: tensor<2x3x4xf32>) -> tensor<2x3x5xf32> { %%w = arith.constant dense<0.5> : tensor<2x5x4xf32>' > %t.batched.mlir
// RUN: echo '%%y = effc.linear %%x, %%w : tensor<2x3x4xf32>, tensor<2x5x4xf32> -> tensor<2x3x5xf32> return %%y : tensor<2x3x5xf32> }' >> %t.batched.mlir
// RUN: effc-opt %t.batched.mlir --effc-assign-precision="weights=i8" 2>&1 | FileCheck %s --check-prefix=BATCHED
// BATCHED: remark: effc-assign-precision: batched [B, N, K] weights are stored in bf16 / f16 only (the quantized ops take [N, K] weights); left in float
// BATCHED-NOT: effc.precision_plan
// RUN: effc-opt %t.batched.mlir --effc-assign-precision="weights=bf16" --effc-quantize | FileCheck %s --check-prefix=BATCHEDBF16
// BATCHEDBF16: arith.extf %{{.+}} : tensor<2x5x4xbf16> to tensor<2x5x4xf32>

// RUN: effc-opt %s -split-input-file --effc-assign-precision="weights=i8 granularity=channel" | FileCheck %s --check-prefix=I8
// RUN: effc-opt %s -split-input-file --effc-assign-precision="weights=i4 granularity=group group-size=4 exclude=conv" | FileCheck %s --check-prefix=I4
// RUN: effc-opt %s -split-input-file --effc-assign-precision="weights=f8e4m3 activations=f8e4m3 granularity=block group-size=4 exclude=conv" | FileCheck %s --check-prefix=F8
// RUN: effc-opt %s -split-input-file --effc-assign-precision="weights=i8 activations=i8 exclude=fc1" | FileCheck %s --check-prefix=EXCL
// RUN: effc-opt %s -split-input-file --effc-assign-precision="weights=auto activations=auto budget-bits=12 exclude=conv" 2>&1 | FileCheck %s --check-prefix=AUTO

// Tests that every linear with a constant weight gets a plan with the
// requested precision and granularity and a measured SQNR (no calibration
// data: the weights' SQNR), that groups record their size, that fp8 with
// fp8 activations is planned as blocks, that exclude= leaves an op in
// float, and that auto stays within its budget.

// I8-LABEL: func.func @mlp
// I8: effc.linear {{.*}}effc.precision_plan = #effc.precision_plan<weights = i8, activations = f32, granularity = channel, sqnr = {{[0-9.e+]+}} : f64>
// I8: effc.linear {{.*}}effc.precision_plan = #effc.precision_plan<weights = i8, activations = f32, granularity = channel, sqnr = {{[0-9.e+]+}} : f64>

// I4-LABEL: func.func @mlp
// I4: effc.precision_plan = #effc.precision_plan<weights = i4, activations = f32, granularity = group, group_size = 4, sqnr =
// I4: effc.precision_plan = #effc.precision_plan<weights = i4, activations = f32, granularity = group, group_size = 4, sqnr =

// F8-LABEL: func.func @mlp
// F8: effc.precision_plan = #effc.precision_plan<weights = f8e4m3, activations = f8e4m3, granularity = block, group_size = 4, sqnr =
// F8: effc.precision_plan = #effc.precision_plan<weights = f8e4m3, activations = f8e4m3, granularity = block, group_size = 4, sqnr =

// Without calibration data the int8 activations have no range: dynamic.
// EXCL-LABEL: func.func @mlp
// EXCL: effc.linear {{.*}}effc.name = "fc0", effc.precision_plan = #effc.precision_plan<weights = i8, activations = i8, granularity = channel, sqnr =
// EXCL-NOT: input_min
// EXCL: effc.linear
// EXCL-SAME: {effc.name = "fc1"}
// EXCL-NOT: precision_plan

// 12 bits per weight on average (per-channel scales of 4-wide rows cost
// 8 bits a weight here): not everything can stay bf16. fc0's rows are
// integer multiples of max/7, exact in int4, so int4 costs it no accuracy:
// fc0 goes to i4 and fc1, whose weights int4 would distort, stays bf16.
// AUTO: remark: effc-assign-precision: auto plan uses {{([0-9]|1[01])\.[0-9]+|12\.0+}} bits per weight (budget 12)
// AUTO-LABEL: func.func @mlp
// AUTO: effc.name = "fc0", effc.precision_plan = #effc.precision_plan<weights = i4, activations = i8, granularity = channel, sqnr = {{[1-9]\.[0-9]+}}e+02 : f64>
// AUTO: effc.name = "fc1", effc.precision_plan = #effc.precision_plan<weights = bf16, activations = bf16, granularity = tensor,
func.func @mlp(%x: tensor<4x8xf32>) -> tensor<4x2xf32> {
  %w0 = arith.constant dense<[[7.0, -3.0, 2.0, 1.0, 0.0, -7.0, 5.0, 4.0],
                              [0.5, 1.0, -3.5, 2.5, 0.0, 1.5, -2.0, 3.0],
                              [-14.0, 2.0, 4.0, 6.0, 8.0, 10.0, 12.0, 14.0],
                              [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0]]> : tensor<4x8xf32>
  %b0 = arith.constant dense<[0.5, -0.5, 0.0, 1.0]> : tensor<4xf32>
  %h = effc.linear %x, %w0 bias %b0 {activation = #effc.activation<relu>, effc.name = "fc0"} : tensor<4x8xf32>, tensor<4x8xf32>, tensor<4xf32> -> tensor<4x4xf32>
  %w1 = arith.constant dense<[[0.13, -0.71, 0.29, 0.05], [-0.37, 0.52, 0.011, 0.93],
                              [0.61, -0.08, 0.44, -0.27], [0.19, 0.83, -0.56, 0.02]]> : tensor<4x4xf32>
  %y = effc.linear %h, %w1 {effc.name = "fc1"} : tensor<4x4xf32>, tensor<4x4xf32> -> tensor<4x4xf32>
  %r = tensor.extract_slice %y[0, 0] [4, 2] [1, 1] : tensor<4x4xf32> to tensor<4x2xf32>
  return %r : tensor<4x2xf32>
}

// -----

// Tests that a weight that is not a constant is left in float with a
// remark, and that a convolution is planned per channel.
// EXCL-LABEL: func.func @arg_weight_and_conv
// I8-LABEL: func.func @arg_weight_and_conv
// I8: effc.linear
// I8-NOT: precision_plan
// I8-SAME: -> tensor<2x3xf32>
// I8: effc.conv2d {{.*}}effc.precision_plan = #effc.precision_plan<weights = i8, activations = f32, granularity = channel,
func.func @arg_weight_and_conv(%x: tensor<2x4xf32>, %w: tensor<3x4xf32>, %img: tensor<1x4x4x2xf32>) -> (tensor<2x3xf32>, tensor<1x4x4x2xf32>) {
  %y = effc.linear %x, %w : tensor<2x4xf32>, tensor<3x4xf32> -> tensor<2x3xf32>
  %k = arith.constant dense<0.5> : tensor<2x1x1x2xf32>
  %c = effc.conv2d %img, %k {effc.name = "conv"} : tensor<1x4x4x2xf32>, tensor<2x1x1x2xf32> -> tensor<1x4x4x2xf32>
  return %y, %c : tensor<2x3xf32>, tensor<1x4x4x2xf32>
}

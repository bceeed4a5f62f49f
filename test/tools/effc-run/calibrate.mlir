// Tests effc-run --calibrate: the statistics of every effc.linear input
// (min/max, the 2048-bin |x| histogram, sample rows and per-K means) from
// .npy samples (one file per argument per sample, or samples stacked along
// a new leading dim) and from an .npz batch, checked against NumPy; and
// its errors.

// REQUIRES: numpy

// RUN: rm -rf %t && mkdir -p %t
// RUN: %python -c "import numpy as np; r = np.random.default_rng(3); x = r.standard_normal((5, 2, 8)).astype(np.float32); np.save('%t/x0.npy', x[0]); np.save('%t/rest.npy', x[1:]); np.savez('%t/all.npz', x=x); np.savez_compressed('%t/zip.npz', x=x); np.save('%t/bad.npy', x[:, :, :4])"

// RUN: effc-run %s --entry mlp --calibrate %t/x0.npy,%t/rest.npy --calibration-out %t/a.json | FileCheck %s
// CHECK: effc-run: calibrated 2 op(s) of @mlp on 5 sample(s) -> {{.*}}.json
// RUN: effc-run %s --entry mlp --calibrate %t/all.npz --calibration-out %t/b.json | FileCheck %s
// RUN: %python %s.py %t/all.npz %t/a.json %t/b.json | FileCheck %s --check-prefix=STATS
// STATS: OK fc0 min/max hist rows mean gram
// STATS: OK fc1 min/max hist rows mean gram
// STATS: OK npy == npz

// RUN: not effc-run %s --entry mlp --calibrate %t/all.npz 2>&1 | FileCheck %s --check-prefix=NOOUT
// NOOUT: error: --calibrate needs --calibration-out <stats.json>
// RUN: not effc-run %s --entry mlp --calibrate %t/bad.npy --calibration-out %t/c.json 2>&1 | FileCheck %s --check-prefix=SHAPE
// SHAPE: error: --calibrate: '{{.*}}bad.npy' holds a 5x2x4xf32 array, but argument #0 of @mlp is tensor<2x8xf32> (samples may be stacked along a new leading dim)
// RUN: not effc-run %s --entry mlp --calibrate %t/zip.npz --calibration-out %t/c.json 2>&1 | FileCheck %s --check-prefix=ZIP
// ZIP: error: --calibrate: '{{.*}}zip.npz': entry 'x.npy' is compressed; write the file with np.savez, not np.savez_compressed
// RUN: not effc-run %s --entry nolinear --calibrate %t/x0.npy --calibration-out %t/c.json 2>&1 | FileCheck %s --check-prefix=NONE
// NONE: error: --calibrate: @nolinear has no effc.linear or effc.conv2d with a float input to observe (raise the model first, e.g. --pipeline effc-raise)

func.func @mlp(%x: tensor<2x8xf32>) -> tensor<2x3xf32> {
  %w0 = arith.constant dense<0.25> : tensor<4x8xf32>
  %h = effc.linear %x, %w0 {effc.name = "fc0", activation = #effc.activation<relu>} : tensor<2x8xf32>, tensor<4x8xf32> -> tensor<2x4xf32>
  %w1 = arith.constant dense<[[1.0, -1.0, 0.5, 2.0], [0.0, 1.0, 1.0, 1.0], [-2.0, 0.0, 0.0, 1.0]]> : tensor<3x4xf32>
  %y = effc.linear %h, %w1 {effc.name = "fc1"} : tensor<2x4xf32>, tensor<3x4xf32> -> tensor<2x3xf32>
  return %y : tensor<2x3xf32>
}

func.func @nolinear(%x: tensor<2x8xf32>) -> tensor<2x8xf32> {
  return %x : tensor<2x8xf32>
}

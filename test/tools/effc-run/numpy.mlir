// Tests that effc-run reads and writes .npy files that NumPy agrees with:
// a matmul against numpy's, and one result of every dtype kind (f16, i8,
// bf16 as '<u2' bits, i64, a rank-0 f32), from format 1.0, 2.0 and 3.0 files.

// REQUIRES: numpy

// RUN: %python -c "import numpy as np; r = np.random.default_rng(0); np.save('%t.a.npy', r.standard_normal((4, 8)).astype(np.float32)); np.save('%t.b.npy', r.standard_normal((8, 3)).astype(np.float32))"
// RUN: effc-run %s --entry mm --input %t.a.npy,%t.b.npy --output %t.mm.npy
// RUN: %python -c "import numpy as np; a = np.load('%t.a.npy'); b = np.load('%t.b.npy'); o = np.load('%t.mm.npy'); assert o.dtype == np.float32 and o.shape == (4, 3), (o.dtype, o.shape); assert np.allclose(o, a @ b, rtol=1e-5, atol=1e-5), abs(o - a @ b).max()"

// RUN: %python -c "import numpy as np; f = np.lib.format; f.write_array(open('%t.h.npy', 'wb'), (np.arange(6).reshape(2, 3) / 4).astype(np.float16), version=(2, 0)); f.write_array(open('%t.q.npy', 'wb'), np.array([-60, -1, 0, 1, 60], np.int8), version=(3, 0)); np.save('%t.w.npy', (np.array([[1.0, -2.5], [0.375, 96.0]], np.float32).view(np.uint32) >> 16).astype(np.uint16)); np.save('%t.l.npy', np.array([1, -2, 3], np.int64) * 10**15); np.save('%t.s.npy', np.array(1.25, np.float32))"
// RUN: effc-run %s --entry twice --input %t.h.npy,%t.q.npy,%t.w.npy,%t.l.npy,%t.s.npy --output %t.h2.npy,%t.q2.npy,%t.w2.npy,%t.l2.npy,%t.s2.npy
// RUN: %python -c "import numpy as np; bf = lambda u: (u.astype(np.uint32) << 16).view(np.float32); t = '%t'; ins = [np.load(t + n + '.npy') for n in ['.h', '.q', '.w', '.l', '.s']]; outs = [np.load(t + n + '2.npy') for n in ['.h', '.q', '.w', '.l', '.s']]; assert [o.dtype.str for o in outs] == ['<f2', '|i1', '<u2', '<i8', '<f4'], [o.dtype.str for o in outs]; assert all(o.shape == i.shape for o, i in zip(outs, ins)); assert (outs[0] == 2 * ins[0]).all() and (outs[1] == 2 * ins[1]).all() and (outs[3] == 2 * ins[3]).all() and outs[4] == 2.5; assert (bf(outs[2]) == 2 * bf(ins[2])).all(), bf(outs[2])"

func.func @mm(%a: tensor<4x8xf32>, %b: tensor<8x3xf32>) -> tensor<4x3xf32> {
  %zero = arith.constant 0.0 : f32
  %init = tensor.empty() : tensor<4x3xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%init : tensor<4x3xf32>) -> tensor<4x3xf32>
  %r = linalg.matmul ins(%a, %b : tensor<4x8xf32>, tensor<8x3xf32>)
                     outs(%acc : tensor<4x3xf32>) -> tensor<4x3xf32>
  return %r : tensor<4x3xf32>
}

func.func @twice(%h: tensor<2x3xf16>, %q: tensor<5xi8>, %w: tensor<2x2xbf16>,
                 %l: tensor<3xi64>, %s: tensor<f32>)
    -> (tensor<2x3xf16>, tensor<5xi8>, tensor<2x2xbf16>, tensor<3xi64>, tensor<f32>) {
  %h0 = tensor.empty() : tensor<2x3xf16>
  %h2 = linalg.add ins(%h, %h : tensor<2x3xf16>, tensor<2x3xf16>) outs(%h0 : tensor<2x3xf16>) -> tensor<2x3xf16>
  %q0 = tensor.empty() : tensor<5xi8>
  %q2 = linalg.add ins(%q, %q : tensor<5xi8>, tensor<5xi8>) outs(%q0 : tensor<5xi8>) -> tensor<5xi8>
  %w0 = tensor.empty() : tensor<2x2xbf16>
  %w2 = linalg.add ins(%w, %w : tensor<2x2xbf16>, tensor<2x2xbf16>) outs(%w0 : tensor<2x2xbf16>) -> tensor<2x2xbf16>
  %l0 = tensor.empty() : tensor<3xi64>
  %l2 = linalg.add ins(%l, %l : tensor<3xi64>, tensor<3xi64>) outs(%l0 : tensor<3xi64>) -> tensor<3xi64>
  %s0 = tensor.empty() : tensor<f32>
  %s2 = linalg.add ins(%s, %s : tensor<f32>, tensor<f32>) outs(%s0 : tensor<f32>) -> tensor<f32>
  return %h2, %q2, %w2, %l2, %s2 : tensor<2x3xf16>, tensor<5xi8>, tensor<2x2xbf16>, tensor<3xi64>, tensor<f32>
}

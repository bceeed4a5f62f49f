// Tests that malformed or unsupported .npy inputs are errors that name the
// file and say what is wrong.

// REQUIRES: numpy

// RUN: %python -c "import numpy as np; z = np.zeros((2, 3), np.float32); np.save('%t.fortran.npy', np.asfortranarray(z)); np.save('%t.big.npy', z.astype('>f4')); np.save('%t.complex.npy', z.astype(np.complex64)); np.save('%t.good.npy', z); d = open('%t.good.npy', 'rb').read(); open('%t.trunc.npy', 'wb').write(d[:-4]); open('%t.extra.npy', 'wb').write(d + b'xy'); open('%t.version.npy', 'wb').write(d[:6] + bytes([4, 0]) + d[8:])"

// RUN: not effc-run %s --entry f --input %t.fortran.npy 2>&1 | FileCheck %s --check-prefix=FORTRAN
// FORTRAN: error: input #0: {{.*}}fortran.npy: Fortran-order arrays are not supported

// RUN: not effc-run %s --entry f --input %t.big.npy 2>&1 | FileCheck %s --check-prefix=BIG
// BIG: error: input #0: {{.*}}big.npy: unsupported dtype '>f4': big-endian data is not supported

// RUN: not effc-run %s --entry f --input %t.complex.npy 2>&1 | FileCheck %s --check-prefix=COMPLEX
// COMPLEX: error: input #0: {{.*}}complex.npy: unsupported dtype '<c8'

// RUN: not effc-run %s --entry f --input %t.trunc.npy 2>&1 | FileCheck %s --check-prefix=TRUNC
// TRUNC: error: input #0: {{.*}}trunc.npy: truncated .npy file: a 2x3xf32 array needs 24 bytes of data, the file has 20

// RUN: not effc-run %s --entry f --input %t.extra.npy 2>&1 | FileCheck %s --check-prefix=EXTRA
// EXTRA: error: input #0: {{.*}}extra.npy: 2 unexpected bytes after the data of a 2x3xf32 array

// RUN: not effc-run %s --entry f --input %t.version.npy 2>&1 | FileCheck %s --check-prefix=VERSION
// VERSION: error: input #0: {{.*}}version.npy: unsupported .npy format version 4.0

func.func @f(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  return %x : tensor<2x3xf32>
}

/* The same model compiled ahead of time (libmlp.so + mlp.h from
   effc-compile), called from C with the input embed.cpp uses. */
#include <math.h>
#include <stdio.h>

#include "mlp.h"

int main(void) {
  static float x[16 * 64], y[16 * 32];
  for (int i = 0; i < 16 * 64; ++i)
    x[i] = (float)(sin((double)i) / 2);
  if (effc_mlp_init(0) != EFFC_MLP_OK)
    return 1;
  const int64_t xs[] = EFFC_MLP_MAIN_IN0_SHAPE, ys[] = EFFC_MLP_MAIN_OUT0_SHAPE;
  if (effc_mlp_main(x, xs, y, ys) != EFFC_MLP_OK)
    return 1;
  effc_mlp_teardown();
  double sum = 0;
  for (int i = 0; i < 16 * 32; ++i)
    sum += y[i];
  printf("embed_aot: y[0..3] = %.6f %.6f %.6f, sum %.6f\n", y[0], y[1], y[2],
         sum);
  return 0;
}

/* Memory bandwidth for bench/quant: a STREAM-like read (sum) and copy over
 * arrays far larger than the caches, OpenMP-parallel.
 * usage: stream MBYTES ITERS
 * Prints "stream: read_gbps=.. copy_gbps=.." (best of ITERS; copy counts
 * bytes read + written). The read sums 64-bit integers (associative, so the
 * compiler vectorizes it with -O3: a float sum would be latency-bound). */
#include <omp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: %s MBYTES ITERS\n", argv[0]);
    return 2;
  }
  size_t n = (size_t)atol(argv[1]) * 1024 * 1024 / sizeof(uint64_t);
  int iters = atoi(argv[2]);
  uint64_t *a = aligned_alloc(64, n * sizeof(uint64_t));
  uint64_t *b = aligned_alloc(64, n * sizeof(uint64_t));
#pragma omp parallel for
  for (size_t i = 0; i < n; ++i) {
    a[i] = i & 1023;
    b[i] = 0;
  }
  double bestRead = 0, bestCopy = 0;
  uint64_t sink = 0;
  for (int it = 0; it < iters; ++it) {
    double t0 = omp_get_wtime();
    uint64_t sum = 0;
#pragma omp parallel for reduction(+ : sum)
    for (size_t i = 0; i < n; ++i)
      sum += a[i];
    double t1 = omp_get_wtime();
#pragma omp parallel for
    for (size_t i = 0; i < n; ++i)
      b[i] = a[i];
    double t2 = omp_get_wtime();
    sink += sum + b[n / 2];
    double r = n * sizeof(uint64_t) / (t1 - t0) / 1e9;
    double c = 2.0 * n * sizeof(uint64_t) / (t2 - t1) / 1e9;
    if (r > bestRead)
      bestRead = r;
    if (c > bestCopy)
      bestCopy = c;
  }
  printf("stream: bytes=%zu threads=%d read_gbps=%.2f copy_gbps=%.2f (sink %llu)\n",
         n * sizeof(uint64_t), omp_get_max_threads(), bestRead, bestCopy,
         (unsigned long long)sink);
  free(a);
  free(b);
  return 0;
}

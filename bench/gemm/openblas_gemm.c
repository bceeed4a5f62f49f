// The OpenBLAS peer for the f32 GEMM benchmark: C = A x B with cblas_sgemm
// (row-major, no transposes, alpha 1, beta 0), the same problem as
// bench/gemm/generate.py's @gemm.
//
// usage: openblas_gemm M N K THREADS ITERS
//
// Fills A and B with seeded random values in [-1, 1), makes two warm-up calls
// (thread pool start, page faults, caches), then times ITERS calls one by one
// with clock_gettime(CLOCK_MONOTONIC) and prints
//
//   openblas: sgemm M=.. N=.. K=.. threads=.. core=<kernel set> median_ms=.. min_ms=.. iters=..
//
// Debian's OpenBLAS 0.3.21 does not recognize Emerald Rapids and falls back to
// SSE3 kernels; run with OPENBLAS_CORETYPE=SkylakeX (bench/run.sh does), and
// check core= in the output.
//
// build: cc -O2 -o openblas_gemm openblas_gemm.c -lopenblas
#include <cblas.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec * 1e-6;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static long parse_positive(const char *text, const char *what) {
  char *end;
  long v = strtol(text, &end, 10);
  if (*text == '\0' || *end != '\0' || v <= 0) {
    fprintf(stderr, "openblas_gemm: %s must be a positive integer, got '%s'\n",
            what, text);
    exit(2);
  }
  return v;
}

static void fill_random(float *p, size_t n, uint64_t *state) {
  for (size_t i = 0; i < n; ++i) {
    // xorshift64*: a fixed, portable sequence.
    *state ^= *state >> 12;
    *state ^= *state << 25;
    *state ^= *state >> 27;
    uint64_t r = *state * 2685821657736338717ULL;
    p[i] = (float)((r >> 40) * (1.0 / (1 << 24)) * 2.0 - 1.0);
  }
}

int main(int argc, char **argv) {
  if (argc != 6) {
    fprintf(stderr, "usage: %s M N K THREADS ITERS\n", argv[0]);
    return 2;
  }
  long m = parse_positive(argv[1], "M"), n = parse_positive(argv[2], "N"),
       k = parse_positive(argv[3], "K");
  int threads = (int)parse_positive(argv[4], "THREADS");
  long iters = parse_positive(argv[5], "ITERS");

  openblas_set_num_threads(threads);

  float *a = aligned_alloc(64, ((size_t)m * k * sizeof(float) + 63) / 64 * 64);
  float *b = aligned_alloc(64, ((size_t)k * n * sizeof(float) + 63) / 64 * 64);
  float *c = aligned_alloc(64, ((size_t)m * n * sizeof(float) + 63) / 64 * 64);
  double *times = malloc((size_t)iters * sizeof(double));
  if (!a || !b || !c || !times) {
    fprintf(stderr, "openblas_gemm: out of memory\n");
    return 1;
  }
  uint64_t state = 0x9E3779B97F4A7C15ULL;
  fill_random(a, (size_t)m * k, &state);
  fill_random(b, (size_t)k * n, &state);

  for (int w = 0; w < 2; ++w)
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)m, (int)n,
                (int)k, 1.0f, a, (int)k, b, (int)n, 0.0f, c, (int)n);

  for (long i = 0; i < iters; ++i) {
    double t0 = now_ms();
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)m, (int)n,
                (int)k, 1.0f, a, (int)k, b, (int)n, 0.0f, c, (int)n);
    times[i] = now_ms() - t0;
  }
  qsort(times, (size_t)iters, sizeof(double), cmp_double);
  double median = iters % 2 ? times[iters / 2]
                            : (times[iters / 2 - 1] + times[iters / 2]) / 2;

  // Touch the result so the calls cannot be considered dead.
  double checksum = 0;
  for (long i = 0; i < m * n; ++i)
    checksum += c[i];

  printf("openblas: sgemm M=%ld N=%ld K=%ld threads=%d core=%s "
         "median_ms=%.6f min_ms=%.6f iters=%ld checksum=%g\n",
         m, n, k, openblas_get_num_threads(), openblas_get_corename(), median,
         times[0], iters, checksum);
  printf("openblas: config %s\n", openblas_get_config());
  free(a);
  free(b);
  free(c);
  free(times);
  return 0;
}

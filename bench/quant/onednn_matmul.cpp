// oneDNN u8 x s8 -> s32 matmul driver for bench/quant (the int8 GEMM peer).
// usage: onednn_matmul M N K ITERS
// Prints "onednn: matmul M=.. N=.. K=.. iters=.. median_ms=.. min_ms=..".
// Threads: OMP_NUM_THREADS (Debian's oneDNN uses OpenMP). The ISA oneDNN
// picks is visible with ONEDNN_VERBOSE=1 (bench/run.sh records it).
#include "dnnl.hpp"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

using namespace dnnl;

int main(int argc, char **argv) {
  if (argc != 5) {
    std::fprintf(stderr, "usage: %s M N K ITERS\n", argv[0]);
    return 2;
  }
  const memory::dim M = std::atol(argv[1]), N = std::atol(argv[2]),
                    K = std::atol(argv[3]);
  const int iters = std::atoi(argv[4]);
  engine eng(engine::kind::cpu, 0);
  stream s(eng);
  memory::desc a_md({M, K}, memory::data_type::u8, memory::format_tag::ab);
  memory::desc b_any({K, N}, memory::data_type::s8, memory::format_tag::any);
  memory::desc b_md({K, N}, memory::data_type::s8, memory::format_tag::ab);
  memory::desc c_md({M, N}, memory::data_type::s32, memory::format_tag::ab);
  auto pd = matmul::primitive_desc(matmul::desc(a_md, b_any, c_md), eng);
  memory a(a_md, eng), b_user(b_md, eng), c(c_md, eng);
  uint32_t st = 12345;
  auto rnd = [&] { st ^= st << 13; st ^= st >> 17; st ^= st << 5; return st; };
  auto *ap = static_cast<uint8_t *>(a.get_data_handle());
  for (memory::dim i = 0; i < M * K; ++i)
    ap[i] = rnd() & 0xFF;
  auto *bp = static_cast<int8_t *>(b_user.get_data_handle());
  for (memory::dim i = 0; i < K * N; ++i)
    bp[i] = (int8_t)((int)(rnd() % 255) - 127);
  // Weights are reordered once into the primitive's layout (as effc packs
  // them at compile time): not timed.
  memory b = b_user;
  if (pd.weights_desc() != b_user.get_desc()) {
    b = memory(pd.weights_desc(), eng);
    reorder(b_user, b).execute(s, b_user, b);
  }
  matmul prim(pd);
  auto run = [&] {
    prim.execute(s, {{DNNL_ARG_SRC, a}, {DNNL_ARG_WEIGHTS, b}, {DNNL_ARG_DST, c}});
    s.wait();
  };
  for (int i = 0; i < 3; ++i)
    run();
  std::vector<double> ms;
  for (int i = 0; i < iters; ++i) {
    auto t0 = std::chrono::steady_clock::now();
    run();
    ms.push_back(std::chrono::duration<double, std::milli>(
                     std::chrono::steady_clock::now() - t0)
                     .count());
  }
  std::sort(ms.begin(), ms.end());
  std::printf("onednn: matmul M=%ld N=%ld K=%ld iters=%d median_ms=%.6f min_ms=%.6f\n",
              (long)M, (long)N, (long)K, iters, ms[ms.size() / 2], ms[0]);
  return 0;
}

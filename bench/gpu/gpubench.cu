// gpubench: times one effc kernel (a cubin from effc-translate
// --effc-to-cubin) against its peer on the same device buffers.
//
//   gpubench CASE A B C KERNEL.cubin
//
// Prints one Markdown table row. The effc kernel is launched with the
// memref calling convention of MLIR's GPU lowering: every memref argument
// is passed expanded as (allocated ptr, aligned ptr, offset, sizes...,
// strides...); TMA tensor-map arguments of the sm_90a kernels (cases
// f16-wgmma, bf16-wgmma, i8-wgmma, fp8-wgmma) as one pointer to a
// CUtensorMap in device memory, encoded here as effcCudaTensorMap2D
// encodes it. Peers: cuBLAS (f16, bf16, int8 GEMM), cuBLASLt (fp8), the
// dense effc-shaped cuBLAS f16 GEMM (2:4 sparse), a naive attention kernel.
#include <cublasLt.h>
#include <cublas_v2.h>
#include <cuda.h>
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_fp8.h>
#include <cuda_runtime.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

#define CK(x)                                                                  \
  do {                                                                         \
    auto e = (x);                                                              \
    if (e != 0) {                                                              \
      std::fprintf(stderr, "%s:%d: %s failed (%d)\n", __FILE__, __LINE__, #x,  \
                   (int)e);                                                    \
      std::exit(1);                                                            \
    }                                                                          \
  } while (0)

struct Arg {
  void *ptr;
  std::vector<int64_t> shape;
  /// A tensor map: passed as the bare pointer.
  bool isMap = false;
};

/// The TMA tensor map of a row-major [rows, cols] operand in boxes of 128
/// rows x 128 bytes with the 128-byte swizzle (effc's sm_90a GEMM).
static Arg tensorMap(const Arg &a, CUtensorMapDataType type, int eltBytes) {
  CUtensorMap map;
  cuuint64_t dims[2] = {(cuuint64_t)a.shape[1], (cuuint64_t)a.shape[0]};
  cuuint64_t strides[1] = {(cuuint64_t)(a.shape[1] * eltBytes)};
  cuuint32_t box[2] = {(cuuint32_t)(128 / eltBytes), 128}, unit[2] = {1, 1};
  CK(cuTensorMapEncodeTiled(&map, type, 2, a.ptr, dims, strides, box, unit,
                            CU_TENSOR_MAP_INTERLEAVE_NONE,
                            CU_TENSOR_MAP_SWIZZLE_128B,
                            CU_TENSOR_MAP_L2_PROMOTION_L2_128B,
                            CU_TENSOR_MAP_FLOAT_OOB_FILL_NONE));
  void *d;
  CK(cudaMalloc(&d, sizeof(map)));
  CK(cudaMemcpy(d, &map, sizeof(map), cudaMemcpyHostToDevice));
  return {d, {}, true};
}

static Arg alloc(std::vector<int64_t> shape, size_t eltBytes) {
  size_t n = eltBytes;
  for (int64_t d : shape)
    n *= d;
  void *p;
  CK(cudaMalloc(&p, n));
  // Small random-ish bytes: finite in every element type used here.
  std::vector<unsigned char> host(n);
  for (size_t i = 0; i < n; ++i)
    host[i] = (i * 37 + 11) % 7 == 0 ? 0x30 : 0x2c;
  CK(cudaMemcpy(p, host.data(), n, cudaMemcpyHostToDevice));
  return {p, shape};
}

/// Median time in ms of `iters` calls of `f` after warm-ups.
static double timeIt(const std::function<void()> &f, int iters) {
  for (int i = 0; i < 5; ++i)
    f();
  CK(cudaDeviceSynchronize());
  std::vector<float> ms;
  cudaEvent_t a, b;
  CK(cudaEventCreate(&a));
  CK(cudaEventCreate(&b));
  for (int i = 0; i < iters; ++i) {
    CK(cudaEventRecord(a));
    f();
    CK(cudaEventRecord(b));
    CK(cudaEventSynchronize(b));
    float t;
    CK(cudaEventElapsedTime(&t, a, b));
    ms.push_back(t);
  }
  std::sort(ms.begin(), ms.end());
  return ms[ms.size() / 2];
}

/// Launches `name` from the cubin with memref-expanded arguments.
struct EffcKernel {
  CUfunction fn;
  std::vector<std::vector<int64_t>> storage;
  std::vector<void *> ptrs;
  std::vector<void *> params;
  unsigned grid[3], block[3], smem;

  EffcKernel(const char *cubin, const char *name, std::vector<Arg> args,
             unsigned gx, unsigned gy, unsigned gz, unsigned threads = 128,
             unsigned sharedBytes = 0) {
    std::ifstream f(cubin, std::ios::binary);
    std::stringstream ss;
    ss << f.rdbuf();
    static std::string image;
    image = ss.str();
    CUmodule mod;
    CK(cuModuleLoadData(&mod, image.data()));
    CK(cuModuleGetFunction(&fn, mod, name));
    if (sharedBytes > 48 * 1024)
      CK(cuFuncSetAttribute(fn, CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES,
                            sharedBytes));
    ptrs.reserve(args.size() * 2);
    storage.reserve(args.size());
    for (Arg &a : args) {
      ptrs.push_back(a.ptr);
      ptrs.push_back(a.ptr);
    }
    for (size_t i = 0; i < args.size(); ++i) {
      std::vector<int64_t> v = {0};
      v.insert(v.end(), args[i].shape.begin(), args[i].shape.end());
      int64_t stride = 1;
      std::vector<int64_t> strides(args[i].shape.size());
      for (int d = (int)args[i].shape.size() - 1; d >= 0; --d) {
        strides[d] = stride;
        stride *= args[i].shape[d];
      }
      v.insert(v.end(), strides.begin(), strides.end());
      storage.push_back(v);
    }
    for (size_t i = 0; i < args.size(); ++i) {
      if (args[i].isMap) {
        params.push_back(&ptrs[2 * i]);
        continue;
      }
      params.push_back(&ptrs[2 * i]);
      params.push_back(&ptrs[2 * i + 1]);
      for (int64_t &x : storage[i])
        params.push_back(&x);
    }
    grid[0] = gx, grid[1] = gy, grid[2] = gz;
    block[0] = threads, block[1] = block[2] = 1;
    smem = sharedBytes;
  }
  void operator()() {
    CK(cuLaunchKernel(fn, grid[0], grid[1], grid[2], block[0], block[1],
                      block[2], smem, 0, params.data(), nullptr));
  }
};

__global__ void naiveAttention(const __half *q, const __half *k,
                               const __half *v, __half *o, int s, int d,
                               float scale) {
  int row = blockIdx.x * blockDim.x + threadIdx.x, head = blockIdx.y;
  if (row >= s)
    return;
  const __half *qr = q + ((size_t)head * s + row) * d;
  const __half *kh = k + (size_t)head * s * d, *vh = v + (size_t)head * s * d;
  float mx = -1e30f, sum = 0;
  for (int j = 0; j < s; ++j) {
    float t = 0;
    for (int c = 0; c < d; ++c)
      t += __half2float(qr[c]) * __half2float(kh[(size_t)j * d + c]);
    mx = fmaxf(mx, t * scale);
  }
  float acc[128] = {0};
  for (int j = 0; j < s; ++j) {
    float t = 0;
    for (int c = 0; c < d; ++c)
      t += __half2float(qr[c]) * __half2float(kh[(size_t)j * d + c]);
    float p = __expf(t * scale - mx);
    sum += p;
    for (int c = 0; c < d; ++c)
      acc[c] += p * __half2float(vh[(size_t)j * d + c]);
  }
  for (int c = 0; c < d; ++c)
    o[((size_t)head * s + row) * d + c] = __float2half(acc[c] / sum);
}

int main(int argc, char **argv) {
  if (argc != 6) {
    std::fprintf(stderr, "usage: gpubench CASE A B C KERNEL.cubin\n");
    return 1;
  }
  std::string c = argv[1];
  int64_t a = atoll(argv[2]), b = atoll(argv[3]), kk = atoll(argv[4]);
  const char *cubin = argv[5];
  CK(cuInit(0));
  CK(cudaFree(nullptr)); // primary context
  cublasHandle_t blas;
  CK(cublasCreate(&blas));
  double effcMs = 0, peerMs = 0, flops = 0;
  std::string peer, shape;
  // The sm_90a kernels: 128 x 128 tiles, 256 threads, 4 stages of 32 KiB
  // plus barriers and alignment slack (LowerGpuWgmma.cpp).
  bool wgmma = c.size() > 6 && c.substr(c.size() - 6) == "-wgmma";
  if (wgmma)
    c = c.substr(0, c.size() - 6);
  const unsigned wgmmaSmem = 4 * 32768 + 4 * 8 + 1024;
  if (c == "f16" || c == "bf16" || c == "i8" || c == "fp8" || c == "sparse") {
    int64_t m = a, n = b, k = kk;
    flops = 2.0 * m * n * k;
    shape = std::to_string(m) + "x" + std::to_string(n) + "x" + std::to_string(k);
    unsigned gx = (n + 63) / 64, gy = (m + 63) / 64;
    if (c == "f16" || c == "bf16" || c == "sparse") {
      bool bf = c == "bf16";
      Arg x = alloc({m, k}, 2), w = alloc({n, k}, 2), y = alloc({m, n}, 2);
      if (c == "sparse") {
        Arg v = alloc({n, k / 2}, 2), meta = alloc({n, k / 16}, 2);
        EffcKernel kern(cubin, "sparse_linear_2of4_0", {v, meta, x, y}, gx, gy, 1);
        effcMs = timeIt(kern, 50);
      } else if (wgmma) {
        CUtensorMapDataType t =
            bf ? CU_TENSOR_MAP_DATA_TYPE_BFLOAT16 : CU_TENSOR_MAP_DATA_TYPE_FLOAT16;
        EffcKernel kern(cubin, "linear_wgmma_0",
                        {tensorMap(x, t, 2), tensorMap(w, t, 2), y},
                        (n + 127) / 128, (m + 127) / 128, 1, 256, wgmmaSmem);
        effcMs = timeIt(kern, 50);
      } else {
        EffcKernel kern(cubin, "linear_0", {x, w, y}, gx, gy, 1);
        effcMs = timeIt(kern, 50);
      }
      float one = 1, zero = 0;
      cudaDataType t = bf ? CUDA_R_16BF : CUDA_R_16F;
      peer = c == "sparse" ? "cuBLAS dense f16" : "cuBLAS " + c;
      peerMs = timeIt(
          [&] {
            CK(cublasGemmEx(blas, CUBLAS_OP_T, CUBLAS_OP_N, n, m, k, &one,
                            w.ptr, t, k, x.ptr, t, k, &zero, y.ptr, t, n,
                            CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT));
          },
          50);
    } else if (c == "i8") {
      Arg x = alloc({m, k}, 1), w = alloc({n, k}, 1), bias = alloc({n}, 4),
          y = alloc({m, n}, 4);
      if (wgmma) {
        EffcKernel kern(cubin, "quantized_linear_wgmma_0",
                        {tensorMap(x, CU_TENSOR_MAP_DATA_TYPE_UINT8, 1),
                         tensorMap(w, CU_TENSOR_MAP_DATA_TYPE_UINT8, 1), bias, y},
                        (n + 127) / 128, (m + 127) / 128, 1, 256, wgmmaSmem);
        effcMs = timeIt(kern, 50);
      } else {
        EffcKernel kern(cubin, "quantized_linear_0", {x, w, bias, y}, gx, gy, 1);
        effcMs = timeIt(kern, 50);
      }
      int32_t one = 1, zero = 0;
      peer = "cuBLAS int8";
      peerMs = timeIt(
          [&] {
            CK(cublasGemmEx(blas, CUBLAS_OP_T, CUBLAS_OP_N, n, m, k, &one,
                            w.ptr, CUDA_R_8I, k, x.ptr, CUDA_R_8I, k, &zero,
                            y.ptr, CUDA_R_32I, n, CUBLAS_COMPUTE_32I,
                            CUBLAS_GEMM_DEFAULT));
          },
          50);
    } else {
      Arg x = alloc({m, k}, 1), w = alloc({n, k}, 1),
          xs = alloc({m, k / 128}, 4), ws = alloc({n / 128, k / 128}, 4),
          y = alloc({m, n}, 2);
      if (wgmma) {
        EffcKernel kern(cubin, "block_scaled_linear_fp8_wgmma_0",
                        {tensorMap(x, CU_TENSOR_MAP_DATA_TYPE_UINT8, 1),
                         tensorMap(w, CU_TENSOR_MAP_DATA_TYPE_UINT8, 1), xs, ws,
                         y},
                        (n + 127) / 128, (m + 127) / 128, 1, 256, wgmmaSmem);
        effcMs = timeIt(kern, 50);
      } else {
        EffcKernel kern(cubin, "block_scaled_linear_fp8_0", {x, w, xs, ws, y},
                        gx, gy, 1);
        effcMs = timeIt(kern, 50);
      }
      cublasLtHandle_t lt;
      CK(cublasLtCreate(&lt));
      cublasLtMatmulDesc_t desc;
      CK(cublasLtMatmulDescCreate(&desc, CUBLAS_COMPUTE_32F, CUDA_R_32F));
      cublasOperation_t tr = CUBLAS_OP_T;
      CK(cublasLtMatmulDescSetAttribute(desc, CUBLASLT_MATMUL_DESC_TRANSA, &tr,
                                        sizeof(tr)));
      cublasLtMatrixLayout_t la, lb, lc;
      CK(cublasLtMatrixLayoutCreate(&la, CUDA_R_8F_E4M3, k, n, k));
      CK(cublasLtMatrixLayoutCreate(&lb, CUDA_R_8F_E4M3, k, m, k));
      CK(cublasLtMatrixLayoutCreate(&lc, CUDA_R_16BF, n, m, n));
      void *ws2;
      size_t wsSize = 32 << 20;
      CK(cudaMalloc(&ws2, wsSize));
      float one = 1, zero = 0;
      peer = "cuBLASLt fp8 (per-tensor scale)";
      peerMs = timeIt(
          [&] {
            CK(cublasLtMatmul(lt, desc, &one, w.ptr, la, x.ptr, lb, &zero,
                              y.ptr, lc, y.ptr, lc, nullptr, ws2, wsSize, 0));
          },
          50);
    }
  } else if (c == "attention") {
    int64_t h = a, s = b, d = kk;
    flops = 4.0 * h * s * s * d;
    shape = "H" + std::to_string(h) + " S" + std::to_string(s) + " D" +
            std::to_string(d);
    Arg q = alloc({h, s, d}, 2), k = alloc({h, s, d}, 2), v = alloc({h, s, d}, 2),
        o = alloc({h, s, d}, 2);
    EffcKernel kern(cubin, "attention_0", {q, k, v, o}, (s + 63) / 64, h, 1);
    effcMs = timeIt(kern, 20);
    peer = "naive attention";
    dim3 grid((s + 127) / 128, h);
    peerMs = timeIt(
        [&] {
          naiveAttention<<<grid, 128>>>((__half *)q.ptr, (__half *)k.ptr,
                                        (__half *)v.ptr, (__half *)o.ptr, s, d,
                                        1.0f / sqrtf((float)d));
          CK(cudaGetLastError());
        },
        3);
  } else {
    std::fprintf(stderr, "unknown case %s\n", c.c_str());
    return 1;
  }
  if (wgmma)
    c += " (sm_90a wgmma+TMA)";
  std::printf("| %s | %s | %.3f | %s | %.3f | %.1f | %.1f |\n", c.c_str(),
              shape.c_str(), effcMs, peer.c_str(), peerMs,
              flops / effcMs / 1e9, flops / peerMs / 1e9);
  return 0;
}

#pragma once
// cuBLASLt GEMMs with the CPU backend's row-major signature (cpu::gemm). Inputs fp32 /
// fp16 / bf16, accumulation always fp32; TF32 only when asked (CUBLAS_COMPUTE_32F vs
// CUBLAS_COMPUTE_32F_FAST_TF32). Plans (descriptors + algorithm) are built once per shape.
#include <map>
#include <tuple>

#include "engine/backend/cuda/cuda_common.cuh"

namespace halflab::cuda {

class GemmRunner {
 public:
  GemmRunner(bool tf32, std::size_t workspace_bytes);
  ~GemmRunner();
  GemmRunner(const GemmRunner&) = delete;
  GemmRunner& operator=(const GemmRunner&) = delete;

  // Row-major C[M,N] = op(A)[M,K] op(B)[K,N] + beta * C (+ bias[N] added to every row).
  // A and B are `in`, C is `out`; bias (nullable) has type `out`. Output is rounded once.
  void gemm(bool trans_a, bool trans_b, std::int64_t m, std::int64_t n, std::int64_t k,
            const void* a, const void* b, DType in, void* c, DType out, const void* bias,
            float beta, cudaStream_t stream);

 private:
  struct Plan;
  // trans_a, trans_b, m, n, k, in, out, bias epilogue, operand alignment in bytes.
  using Key = std::tuple<bool, bool, std::int64_t, std::int64_t, std::int64_t, int, int, bool, unsigned>;
  Plan& plan(const Key& key);

  bool tf32_;
  cublasLtHandle_t handle_ = nullptr;
  DeviceBuffer workspace_;
  std::map<Key, Plan*> plans_;
};

}  // namespace halflab::cuda

#include "engine/backend/cuda/cuda_gemm.cuh"

#include <algorithm>
#include <cstdint>

#include "engine/backend/cuda/cuda_kernels.cuh"
#include "engine/backend/cuda/gemm_layout.hpp"

namespace halflab::cuda {
namespace {

// The largest power of two (up to 256) that divides the address.
unsigned alignmentOf(const void* p) {
  const auto v = reinterpret_cast<std::uintptr_t>(p);
  unsigned a = 256;
  while (a > 1 && v % a != 0) a >>= 1;
  return a;
}

}  // namespace

struct GemmRunner::Plan {
  cublasLtMatmulDesc_t desc = nullptr;
  cublasLtMatrixLayout_t a = nullptr, b = nullptr, c = nullptr;
  cublasLtMatmulAlgo_t algo{};
  bool bias_epilogue = false;  // false: the bias is broadcast into C and beta = 1
  ~Plan() {
    if (desc) (void)cublasLtMatmulDescDestroy(desc);
    if (a) (void)cublasLtMatrixLayoutDestroy(a);
    if (b) (void)cublasLtMatrixLayoutDestroy(b);
    if (c) (void)cublasLtMatrixLayoutDestroy(c);
  }
};

GemmRunner::GemmRunner(bool tf32, std::size_t workspace_bytes) : tf32_(tf32) {
  HL_CUBLAS(cublasLtCreate(&handle_));
  workspace_.allocate(workspace_bytes, "the cuBLASLt workspace");
}

GemmRunner::~GemmRunner() {
  for (auto& [key, p] : plans_) delete p;
  if (handle_) (void)cublasLtDestroy(handle_);
}

GemmRunner::Plan& GemmRunner::plan(const Key& key) {
  auto it = plans_.find(key);
  if (it != plans_.end()) return *it->second;
  const auto [ta, tb, m, n, k, in_i, out_i, want_bias, align] = key;
  const auto in = static_cast<DType>(in_i), out = static_cast<DType>(out_i);
  const cublasComputeType_t compute =
      (in == DType::F32 && tf32_) ? CUBLAS_COMPUTE_32F_FAST_TF32 : CUBLAS_COMPUTE_32F;
  auto p = std::make_unique<Plan>();
  HL_CUBLAS(cublasLtMatmulDescCreate(&p->desc, compute, CUDA_R_32F));
  // The row-major -> column-major mapping (gemm_layout.hpp, unit-tested without a GPU).
  const GemmLayout g = gemmLayoutFor(ta, tb, m, n, k);
  const cublasOperation_t op_a = g.transpose_first ? CUBLAS_OP_T : CUBLAS_OP_N;
  const cublasOperation_t op_b = g.transpose_second ? CUBLAS_OP_T : CUBLAS_OP_N;
  HL_CUBLAS(cublasLtMatmulDescSetAttribute(p->desc, CUBLASLT_MATMUL_DESC_TRANSA, &op_a, sizeof op_a));
  HL_CUBLAS(cublasLtMatmulDescSetAttribute(p->desc, CUBLASLT_MATMUL_DESC_TRANSB, &op_b, sizeof op_b));
  auto layout = [](cublasLtMatrixLayout_t* out, DType t, const ColumnMajorMatrix& mat) {
    HL_CUBLAS(cublasLtMatrixLayoutCreate(out, cudaTypeOf(t), static_cast<std::uint64_t>(mat.rows),
                                         static_cast<std::uint64_t>(mat.cols), mat.ld));
  };
  layout(&p->a, in, g.first);
  layout(&p->b, in, g.second);
  layout(&p->c, out, g.out);

  cublasLtMatmulPreference_t pref = nullptr;
  HL_CUBLAS(cublasLtMatmulPreferenceCreate(&pref));
  const std::size_t ws = workspace_.bytes();
  auto heuristic = [&]() {
    cublasLtMatmulHeuristicResult_t result{};
    int found = 0;
    const cublasStatus_t st = cublasLtMatmulAlgoGetHeuristic(handle_, p->desc, p->a, p->b, p->c,
                                                             p->c, pref, 1, &result, &found);
    if (st == CUBLAS_STATUS_SUCCESS && found > 0 && result.state == CUBLAS_STATUS_SUCCESS) {
      p->algo = result.algo;
      return true;
    }
    return false;
  };
  bool ok = false;
  try {
    HL_CUBLAS(cublasLtMatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES, &ws, sizeof ws));
    // Split-K partial sums are reduced in the compute type (fp32) only: the in-place and
    // output-type schemes would add them in fp16/bf16 and round the output more than once.
    const std::uint32_t reduction = CUBLASLT_REDUCTION_SCHEME_COMPUTE_TYPE;
    HL_CUBLAS(cublasLtMatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_REDUCTION_SCHEME_MASK, &reduction,
                                                   sizeof reduction));
    // The heuristic assumes 256-byte-aligned operands unless told otherwise.
    const std::uint32_t align_bytes = align;
    for (auto attr : {CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_A_BYTES, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_B_BYTES,
                      CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_C_BYTES, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_D_BYTES})
      HL_CUBLAS(cublasLtMatmulPreferenceSetAttribute(pref, attr, &align_bytes, sizeof align_bytes));
    if (want_bias) {
      // The bias epilogue adds the bias in fp32 before the single rounding of the output.
      const cublasLtEpilogue_t epi = CUBLASLT_EPILOGUE_BIAS;
      const std::int32_t bias_type = static_cast<std::int32_t>(cudaTypeOf(out));
      HL_CUBLAS(cublasLtMatmulDescSetAttribute(p->desc, CUBLASLT_MATMUL_DESC_EPILOGUE, &epi, sizeof epi));
      HL_CUBLAS(cublasLtMatmulDescSetAttribute(p->desc, CUBLASLT_MATMUL_DESC_BIAS_DATA_TYPE, &bias_type, sizeof bias_type));
      ok = heuristic();
      if (ok) {
        p->bias_epilogue = true;
      } else {
        const cublasLtEpilogue_t plain = CUBLASLT_EPILOGUE_DEFAULT;
        HL_CUBLAS(cublasLtMatmulDescSetAttribute(p->desc, CUBLASLT_MATMUL_DESC_EPILOGUE, &plain, sizeof plain));
      }
    }
    if (!ok) ok = heuristic();
  } catch (...) {
    (void)cublasLtMatmulPreferenceDestroy(pref);
    throw;
  }
  (void)cublasLtMatmulPreferenceDestroy(pref);
  if (!ok)
    throw CudaError("cuBLASLt has no algorithm for a " + std::to_string(m) + "x" + std::to_string(n) +
                    "x" + std::to_string(k) + " GEMM with input type " + std::to_string(in_i) +
                    " and output type " + std::to_string(out_i) + " on this GPU");
  Plan* raw = p.release();
  plans_.emplace(key, raw);
  return *raw;
}

void GemmRunner::gemm(bool ta, bool tb, std::int64_t m, std::int64_t n, std::int64_t k,
                      const void* a, const void* b, DType in, void* c, DType out,
                      const void* bias, float beta, cudaStream_t stream) {
  if (m <= 0 || n <= 0) return;
  const unsigned align = std::min({alignmentOf(a), alignmentOf(b), alignmentOf(c)});
  // The bias epilogue needs a 16-byte-aligned bias; otherwise it is broadcast into C.
  const bool bias_epilogue_ok = bias != nullptr && alignmentOf(bias) >= 16;
  Plan& p = plan(Key{ta, tb, m, n, k, static_cast<int>(in), static_cast<int>(out), bias_epilogue_ok, align});
  const float alpha = 1.0f;
  float beta_used = beta;
  if (bias) {
    if (p.bias_epilogue) {
      HL_CUBLAS(cublasLtMatmulDescSetAttribute(p.desc, CUBLASLT_MATMUL_DESC_BIAS_POINTER, &bias, sizeof bias));
    } else {
      broadcastRows(bias, c, out, m, n, stream);
      beta_used = 1.0f;
    }
  }
  HL_CUBLAS(cublasLtMatmul(handle_, p.desc, &alpha, b, p.a, a, p.b, &beta_used, c, p.c, c, p.c,
                           &p.algo, workspace_.get(), workspace_.bytes(), stream));
}

}  // namespace halflab::cuda

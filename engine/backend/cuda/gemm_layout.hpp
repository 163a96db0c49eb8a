#pragma once
// How a row-major GEMM maps onto cuBLASLt's column-major one. Plain C++ (no CUDA headers)
// so the mapping is unit-tested on machines without a GPU (tests/unit/engine).
//
// Row-major C[M,N] = op(A)[M,K] op(B)[K,N] is, read as column-major, C^T = op(B)^T op(A)^T:
// cuBLASLt's first operand is our B, its second our A, and every matrix is described as
// it is stored (a row-major R x C matrix is a column-major C x R one with ld = C).
#include <cstdint>

namespace halflab::cuda {

struct ColumnMajorMatrix {
  std::int64_t rows = 0, cols = 0, ld = 0;  // as cublasLtMatrixLayoutCreate takes them
};

struct GemmLayout {
  bool transpose_first = false, transpose_second = false;  // CUBLASLT_MATMUL_DESC_TRANSA / _B
  ColumnMajorMatrix first, second, out;                     // our B, our A, C
};

// trans_a: A is stored as [K, M] (else [M, K]); trans_b: B is stored as [N, K] (else [K, N]).
constexpr GemmLayout gemmLayoutFor(bool trans_a, bool trans_b, std::int64_t m, std::int64_t n, std::int64_t k) {
  GemmLayout g;
  g.transpose_first = trans_b;
  g.transpose_second = trans_a;
  // Our B as stored: [K, N] row-major = N x K column-major (ld N); transposed: [N, K] = K x N (ld K).
  g.first = trans_b ? ColumnMajorMatrix{k, n, k} : ColumnMajorMatrix{n, k, n};
  // Our A as stored: [M, K] = K x M (ld K); transposed: [K, M] = M x K (ld M).
  g.second = trans_a ? ColumnMajorMatrix{m, k, m} : ColumnMajorMatrix{k, m, k};
  // C [M, N] row-major = N x M column-major, ld N.
  g.out = ColumnMajorMatrix{n, m, n};
  return g;
}

}  // namespace halflab::cuda

#pragma once
// CPU kernels. GEMMs (Linear) go to OpenBLAS, convolutions to oneDNN (dnnl_conv.hpp); the
// rest are simple loops over contiguous fp32 buffers. Precision handling (rounding outputs to
// the low format) is done by the callers in engine/model, so these stay plain fp32 ops.
#include <cstdint>

namespace halflab::cpu {

// C[M,N] = alpha * op(A) * op(B) + beta * C, row-major.
void gemm(bool trans_a, bool trans_b, std::int64_t m, std::int64_t n, std::int64_t k,
          float alpha, const float* a, const float* b, float beta, float* c);

void setThreadCount(int threads);   // BLAS threads; 0 = all cores
int threadCount();

// Convolution geometry (NCHW input, OIHW weights).
struct ConvGeometry {
  std::int64_t batch, in_channels, in_h, in_w;
  std::int64_t out_channels, kernel_h, kernel_w;
  std::int64_t stride, padding;
  std::int64_t outH() const { return (in_h + 2 * padding - kernel_h) / stride + 1; }
  std::int64_t outW() const { return (in_w + 2 * padding - kernel_w) / stride + 1; }
  std::int64_t patchSize() const { return in_channels * kernel_h * kernel_w; }
  std::int64_t outPixels() const { return outH() * outW(); }
};


// Max pooling (kernel k, stride s, no padding) on NCHW; argmax holds the flat input index.
void maxPoolForward(const float* x, float* y, std::int32_t* argmax, std::int64_t nc,
                    std::int64_t h, std::int64_t w, std::int64_t k, std::int64_t s);
void maxPoolBackward(const float* dy, const std::int32_t* argmax, float* dx, std::int64_t nc,
                     std::int64_t h, std::int64_t w, std::int64_t oh, std::int64_t ow);

}  // namespace halflab::cpu

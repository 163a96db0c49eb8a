#pragma once
// CPU kernels. GEMMs (and so Linear and Conv2d, through im2col) go to OpenBLAS; the rest
// are simple loops over contiguous fp32 buffers. Precision handling (rounding outputs to
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

// cols[(n*OH*OW + p), (c*KH*KW + kh*KW + kw)] = x[n, c, ...] (0 outside the image).
void im2col(const ConvGeometry& g, const float* x, float* cols);
// dx += scatter of dcols (inverse of im2col); dx must be zeroed first.
void col2im(const ConvGeometry& g, const float* dcols, float* dx);

// Patch-major layout: cols[(c*KH + kh)*KW + kw, n*OH*OW + p]. Each row is one kernel tap
// over every output pixel of the batch, so it is filled with contiguous row copies (no
// per-element bounds checks), and the conv GEMM output [OC, N*OH*OW] needs only block
// copies to become NCHW.
void im2colPatchMajor(const ConvGeometry& g, const float* x, float* cols);
// dx += scatter of patch-major dcols; dx must be zeroed first. Every dx element receives
// its contributions in the same order as col2im (output pixels in raster order), so the
// two give bit-identical sums.
void col2imPatchMajor(const ConvGeometry& g, const float* dcols, float* dx);

// [N, C, P] -> [C, N*P] and back (block copies of P floats).
void batchToChannelMajor(const float* src, float* dst, std::int64_t n, std::int64_t c,
                         std::int64_t p);
void channelMajorToBatch(const float* src, float* dst, std::int64_t n, std::int64_t c,
                         std::int64_t p);
// sums[c] = sum over j of x[c, j] for x [C, M], each in ascending j order starting from 0
// (the order a row-by-row loop gives), several channels interleaved for speed.
void sumRowsInOrder(const float* x, std::int64_t c, std::int64_t m, float* sums);

// [N, P, C] -> [N, C, P] and back (GEMM output rows are pixels, tensors are NCHW).
void pixelsToChannelsFirst(const float* src, float* dst, std::int64_t n, std::int64_t p,
                           std::int64_t c);
void channelsFirstToPixels(const float* src, float* dst, std::int64_t n, std::int64_t p,
                           std::int64_t c);

// Max pooling (kernel k, stride s, no padding) on NCHW; argmax holds the flat input index.
void maxPoolForward(const float* x, float* y, std::int32_t* argmax, std::int64_t nc,
                    std::int64_t h, std::int64_t w, std::int64_t k, std::int64_t s);
void maxPoolBackward(const float* dy, const std::int32_t* argmax, float* dx, std::int64_t nc,
                     std::int64_t h, std::int64_t w, std::int64_t oh, std::int64_t ow);

}  // namespace halflab::cpu

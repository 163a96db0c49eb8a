#pragma once
// fp32 2-D convolution through oneDNN: forward (with bias), backward data and backward
// weights (with bias). All buffers are the caller's plain NCHW / OIHW fp32 arrays; the
// primitives (and any layout reorders they need) are created once per geometry and kept.
// oneDNN is pinned to strict fp32 math, so it never computes in bf16/tf32 behind our back:
// the low-precision modes stay the callers' business (they pass exactly rounded inputs).
#include <memory>

#include "engine/backend/cpu/cpu_ops.hpp"

namespace halflab::cpu {

class DnnlConvolution {
 public:
  DnnlConvolution();
  ~DnnlConvolution();
  DnnlConvolution(DnnlConvolution&&) noexcept;
  DnnlConvolution& operator=(DnnlConvolution&&) noexcept;

  // y[N, OC, OH, OW] = conv(x[N, C, H, W], w[OC, C, KH, KW]) + b[OC]
  void forward(const ConvGeometry& g, const float* x, const float* w, const float* b, float* y);
  // dx[N, C, H, W] = conv^T(dy, w); dx is overwritten (no need to zero it).
  void backwardData(const ConvGeometry& g, const float* dy, const float* w, float* dx);
  // dw[OC, C, KH, KW] and db[OC] from x and dy; both are overwritten.
  void backwardWeights(const ConvGeometry& g, const float* x, const float* dy, float* dw,
                       float* db);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace halflab::cpu

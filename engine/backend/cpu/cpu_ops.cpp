#include "engine/backend/cpu/cpu_ops.hpp"

#include <cblas.h>

#include <algorithm>
#include <cstring>
#include <limits>
#include <thread>

namespace halflab::cpu {

void gemm(bool trans_a, bool trans_b, std::int64_t m, std::int64_t n, std::int64_t k,
          float alpha, const float* a, const float* b, float beta, float* c) {
  const auto lda = trans_a ? m : k;
  const auto ldb = trans_b ? k : n;
  cblas_sgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans,
              trans_b ? CblasTrans : CblasNoTrans, static_cast<blasint>(m),
              static_cast<blasint>(n), static_cast<blasint>(k), alpha, a,
              static_cast<blasint>(lda), b, static_cast<blasint>(ldb), beta, c,
              static_cast<blasint>(n));
}

void setThreadCount(int threads) {
  if (threads <= 0) threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  openblas_set_num_threads(threads);
}

int threadCount() { return openblas_get_num_threads(); }

void im2col(const ConvGeometry& g, const float* x, float* cols) {
  const auto oh = g.outH(), ow = g.outW(), patch = g.patchSize();
  for (std::int64_t n = 0; n < g.batch; ++n) {
    const float* xn = x + n * g.in_channels * g.in_h * g.in_w;
    for (std::int64_t oy = 0; oy < oh; ++oy) {
      for (std::int64_t ox = 0; ox < ow; ++ox) {
        float* row = cols + ((n * oh + oy) * ow + ox) * patch;
        const std::int64_t iy0 = oy * g.stride - g.padding, ix0 = ox * g.stride - g.padding;
        for (std::int64_t c = 0; c < g.in_channels; ++c) {
          const float* xc = xn + c * g.in_h * g.in_w;
          for (std::int64_t ky = 0; ky < g.kernel_h; ++ky) {
            const std::int64_t iy = iy0 + ky;
            float* dst = row + (c * g.kernel_h + ky) * g.kernel_w;
            if (iy < 0 || iy >= g.in_h) {
              std::fill(dst, dst + g.kernel_w, 0.0f);
              continue;
            }
            const float* src = xc + iy * g.in_w;
            for (std::int64_t kx = 0; kx < g.kernel_w; ++kx) {
              const std::int64_t ix = ix0 + kx;
              dst[kx] = (ix >= 0 && ix < g.in_w) ? src[ix] : 0.0f;
            }
          }
        }
      }
    }
  }
}

void col2im(const ConvGeometry& g, const float* dcols, float* dx) {
  const auto oh = g.outH(), ow = g.outW(), patch = g.patchSize();
  for (std::int64_t n = 0; n < g.batch; ++n) {
    float* dxn = dx + n * g.in_channels * g.in_h * g.in_w;
    for (std::int64_t oy = 0; oy < oh; ++oy) {
      for (std::int64_t ox = 0; ox < ow; ++ox) {
        const float* row = dcols + ((n * oh + oy) * ow + ox) * patch;
        const std::int64_t iy0 = oy * g.stride - g.padding, ix0 = ox * g.stride - g.padding;
        for (std::int64_t c = 0; c < g.in_channels; ++c) {
          float* dxc = dxn + c * g.in_h * g.in_w;
          for (std::int64_t ky = 0; ky < g.kernel_h; ++ky) {
            const std::int64_t iy = iy0 + ky;
            if (iy < 0 || iy >= g.in_h) continue;
            const float* src = row + (c * g.kernel_h + ky) * g.kernel_w;
            float* dst = dxc + iy * g.in_w;
            for (std::int64_t kx = 0; kx < g.kernel_w; ++kx) {
              const std::int64_t ix = ix0 + kx;
              if (ix >= 0 && ix < g.in_w) dst[ix] += src[kx];
            }
          }
        }
      }
    }
  }
}

void pixelsToChannelsFirst(const float* src, float* dst, std::int64_t n, std::int64_t p,
                           std::int64_t c) {
  for (std::int64_t b = 0; b < n; ++b) {
    const float* s = src + b * p * c;
    float* d = dst + b * p * c;
    for (std::int64_t i = 0; i < p; ++i)
      for (std::int64_t j = 0; j < c; ++j) d[j * p + i] = s[i * c + j];
  }
}

void channelsFirstToPixels(const float* src, float* dst, std::int64_t n, std::int64_t p,
                           std::int64_t c) {
  for (std::int64_t b = 0; b < n; ++b) {
    const float* s = src + b * p * c;
    float* d = dst + b * p * c;
    for (std::int64_t j = 0; j < c; ++j)
      for (std::int64_t i = 0; i < p; ++i) d[i * c + j] = s[j * p + i];
  }
}

void maxPoolForward(const float* x, float* y, std::int32_t* argmax, std::int64_t nc,
                    std::int64_t h, std::int64_t w, std::int64_t k, std::int64_t s) {
  const std::int64_t oh = (h - k) / s + 1, ow = (w - k) / s + 1;
  for (std::int64_t plane = 0; plane < nc; ++plane) {
    const float* xp = x + plane * h * w;
    for (std::int64_t oy = 0; oy < oh; ++oy) {
      for (std::int64_t ox = 0; ox < ow; ++ox) {
        float best = -std::numeric_limits<float>::infinity();
        std::int64_t best_i = (oy * s) * w + ox * s;
        for (std::int64_t ky = 0; ky < k; ++ky)
          for (std::int64_t kx = 0; kx < k; ++kx) {
            const std::int64_t i = (oy * s + ky) * w + ox * s + kx;
            // NaN propagates like PyTorch: a NaN wins the comparison.
            if (xp[i] > best || xp[i] != xp[i]) { best = xp[i]; best_i = i; }
          }
        const std::int64_t o = plane * oh * ow + oy * ow + ox;
        y[o] = best;
        argmax[o] = static_cast<std::int32_t>(plane * h * w + best_i);
      }
    }
  }
}

void maxPoolBackward(const float* dy, const std::int32_t* argmax, float* dx, std::int64_t nc,
                     std::int64_t h, std::int64_t w, std::int64_t oh, std::int64_t ow) {
  std::memset(dx, 0, sizeof(float) * static_cast<std::size_t>(nc * h * w));
  const std::int64_t total = nc * oh * ow;
  for (std::int64_t o = 0; o < total; ++o) dx[argmax[o]] += dy[o];
}

}  // namespace halflab::cpu

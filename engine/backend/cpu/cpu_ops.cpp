#include "engine/backend/cpu/cpu_ops.hpp"

#include <cblas.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <limits>
#include <thread>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace halflab::cpu {

namespace {

// The thread count asked for by setThreadCount. OpenBLAS splits a GEMM over its M and N
// sides only, so for small or skinny products (conv weight gradients are 6 x 25 with
// K = 100k) the split costs more than it saves, and the idle workers then spin-yield
// against our own loops on a 2-core machine: those run on one thread.
std::atomic<int> g_threads{1};
constexpr std::int64_t kMinMacsForThreads = std::int64_t{1} << 24;
constexpr std::int64_t kMinSideForThreads = 64;

bool worthThreading(std::int64_t m, std::int64_t n, std::int64_t k) {
  return std::min(m, n) >= kMinSideForThreads && m * n * k >= kMinMacsForThreads;
}

}  // namespace

void gemm(bool trans_a, bool trans_b, std::int64_t m, std::int64_t n, std::int64_t k,
          float alpha, const float* a, const float* b, float beta, float* c) {
  const auto lda = trans_a ? m : k;
  const auto ldb = trans_b ? k : n;
  const int threads = g_threads.load(std::memory_order_relaxed);
  const bool single = threads > 1 && !worthThreading(m, n, k);
  if (single) openblas_set_num_threads(1);
  cblas_sgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans,
              trans_b ? CblasTrans : CblasNoTrans, static_cast<blasint>(m),
              static_cast<blasint>(n), static_cast<blasint>(k), alpha, a,
              static_cast<blasint>(lda), b, static_cast<blasint>(ldb), beta, c,
              static_cast<blasint>(n));
  if (single) openblas_set_num_threads(threads);
}

void setThreadCount(int threads) {
  if (threads <= 0) threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  g_threads.store(threads, std::memory_order_relaxed);
  openblas_set_num_threads(threads);
}

int threadCount() { return g_threads.load(std::memory_order_relaxed); }

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

namespace {

// Image rows are short (28 floats and less): library memcpy/memset calls per row cost
// more than the copy, so these stay inline. SSE2 is part of x86-64.
inline void copyShort(const float* src, float* dst, std::int64_t n) {
  std::int64_t i = 0;
#if defined(__SSE2__)
  for (; i + 4 <= n; i += 4) _mm_storeu_ps(dst + i, _mm_loadu_ps(src + i));
#endif
  for (; i < n; ++i) dst[i] = src[i];
}

inline void zeroShort(float* dst, std::int64_t n) {
  std::int64_t i = 0;
#if defined(__SSE2__)
  for (; i + 4 <= n; i += 4) _mm_storeu_ps(dst + i, _mm_setzero_ps());
#endif
  for (; i < n; ++i) dst[i] = 0.0f;
}

// dst[i] += src[i], element by element (the same single addition per element as a
// scalar loop, so the sums are unchanged).
inline void addShort(const float* src, float* dst, std::int64_t n) {
  std::int64_t i = 0;
#if defined(__SSE2__)
  for (; i + 4 <= n; i += 4)
    _mm_storeu_ps(dst + i, _mm_add_ps(_mm_loadu_ps(dst + i), _mm_loadu_ps(src + i)));
#endif
  for (; i < n; ++i) dst[i] += src[i];
}

// Output columns ox whose input column ox*stride - padding + kx lies inside [0, in_w):
// [lo, hi), possibly empty.
struct ValidRange {
  std::int64_t lo, hi;
};

ValidRange validOutputRange(std::int64_t out_len, std::int64_t in_len, std::int64_t stride,
                            std::int64_t padding, std::int64_t k) {
  const std::int64_t first = padding - k;             // need ox*stride >= first
  const std::int64_t last = in_len - 1 + padding - k; // need ox*stride <= last
  const std::int64_t lo = first <= 0 ? 0 : (first + stride - 1) / stride;
  const std::int64_t hi = last < 0 ? 0 : std::min(out_len, last / stride + 1);
  return {std::min(lo, hi), hi};
}

}  // namespace

void im2colPatchMajor(const ConvGeometry& g, const float* x, float* cols) {
  const std::int64_t oh = g.outH(), ow = g.outW(), pixels = oh * ow;
  const std::int64_t row_len = g.batch * pixels, plane = g.in_h * g.in_w;
  for (std::int64_t c = 0; c < g.in_channels; ++c)
    for (std::int64_t ky = 0; ky < g.kernel_h; ++ky)
      for (std::int64_t kx = 0; kx < g.kernel_w; ++kx) {
        float* dst_row = cols + ((c * g.kernel_h + ky) * g.kernel_w + kx) * row_len;
        const auto xr = validOutputRange(ow, g.in_w, g.stride, g.padding, kx);
        const std::int64_t x_offset = kx - g.padding;
        for (std::int64_t n = 0; n < g.batch; ++n) {
          const float* xc = x + (n * g.in_channels + c) * plane;
          for (std::int64_t oy = 0; oy < oh; ++oy) {
            float* d = dst_row + n * pixels + oy * ow;
            const std::int64_t iy = oy * g.stride - g.padding + ky;
            if (iy < 0 || iy >= g.in_h) {
              zeroShort(d, ow);
              continue;
            }
            const float* src = xc + iy * g.in_w + x_offset;
            zeroShort(d, xr.lo);
            if (g.stride == 1) {
              copyShort(src + xr.lo, d + xr.lo, xr.hi - xr.lo);
            } else {
              for (std::int64_t ox = xr.lo; ox < xr.hi; ++ox) d[ox] = src[ox * g.stride];
            }
            zeroShort(d + xr.hi, ow - xr.hi);
          }
        }
      }
}

void col2imPatchMajor(const ConvGeometry& g, const float* dcols, float* dx) {
  const std::int64_t oh = g.outH(), ow = g.outW(), pixels = oh * ow;
  const std::int64_t row_len = g.batch * pixels, plane = g.in_h * g.in_w;
  // Taps in descending (ky, kx) order: for one input element that is ascending (oy, ox),
  // the raster order in which col2im adds the same contributions.
  for (std::int64_t c = 0; c < g.in_channels; ++c)
    for (std::int64_t ky = g.kernel_h; ky-- > 0;)
      for (std::int64_t kx = g.kernel_w; kx-- > 0;) {
        const float* src_row = dcols + ((c * g.kernel_h + ky) * g.kernel_w + kx) * row_len;
        const auto xr = validOutputRange(ow, g.in_w, g.stride, g.padding, kx);
        const std::int64_t x_offset = kx - g.padding;
        for (std::int64_t n = 0; n < g.batch; ++n) {
          float* dxc = dx + (n * g.in_channels + c) * plane;
          for (std::int64_t oy = 0; oy < oh; ++oy) {
            const std::int64_t iy = oy * g.stride - g.padding + ky;
            if (iy < 0 || iy >= g.in_h) continue;
            const float* s = src_row + n * pixels + oy * ow;
            float* dst = dxc + iy * g.in_w + x_offset;
            if (g.stride == 1) {
              addShort(s + xr.lo, dst + xr.lo, xr.hi - xr.lo);
            } else {
              for (std::int64_t ox = xr.lo; ox < xr.hi; ++ox) dst[ox * g.stride] += s[ox];
            }
          }
        }
      }
}

void batchToChannelMajor(const float* src, float* dst, std::int64_t n, std::int64_t c,
                         std::int64_t p) {
  for (std::int64_t b = 0; b < n; ++b)
    for (std::int64_t ch = 0; ch < c; ++ch)
      std::memcpy(dst + (ch * n + b) * p, src + (b * c + ch) * p, sizeof(float) * static_cast<std::size_t>(p));
}

void channelMajorToBatch(const float* src, float* dst, std::int64_t n, std::int64_t c,
                         std::int64_t p) {
  for (std::int64_t b = 0; b < n; ++b)
    for (std::int64_t ch = 0; ch < c; ++ch)
      std::memcpy(dst + (b * c + ch) * p, src + (ch * n + b) * p, sizeof(float) * static_cast<std::size_t>(p));
}

void sumRowsInOrder(const float* x, std::int64_t c, std::int64_t m, float* sums) {
  // Up to kGroup channels are summed side by side: independent chains instead of one
  // long dependent chain, each still in ascending order.
  constexpr std::int64_t kGroup = 8;
  for (std::int64_t c0 = 0; c0 < c; c0 += kGroup) {
    const std::int64_t g = std::min(kGroup, c - c0);
    float acc[kGroup] = {};
    if (g == kGroup) {
      for (std::int64_t j = 0; j < m; ++j)
        for (std::int64_t i = 0; i < kGroup; ++i) acc[i] += x[(c0 + i) * m + j];
    } else {
      for (std::int64_t j = 0; j < m; ++j)
        for (std::int64_t i = 0; i < g; ++i) acc[i] += x[(c0 + i) * m + j];
    }
    for (std::int64_t i = 0; i < g; ++i) sums[c0 + i] = acc[i];
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

namespace {

// One window, candidates in row-major order. NaN propagates like PyTorch: a NaN wins the
// comparison (and a later NaN wins over an earlier one). Branch-free selects: the
// comparisons are data dependent and would mispredict about half the time.
inline void poolWindow(const float* xp, std::int64_t w, std::int64_t y0, std::int64_t x0,
                       std::int64_t k, float& best_out, std::int64_t& index_out) {
  float best = -std::numeric_limits<float>::infinity();
  std::int64_t best_i = y0 * w + x0;
  for (std::int64_t ky = 0; ky < k; ++ky)
    for (std::int64_t kx = 0; kx < k; ++kx) {
      const std::int64_t i = (y0 + ky) * w + x0 + kx;
      const float v = xp[i];
      const bool take = (v > best) | (v != v);
      best = take ? v : best;
      best_i = take ? i : best_i;
    }
  best_out = best;
  index_out = best_i;
}

#if defined(__SSE2__)
inline __m128 selectPs(__m128 mask, __m128 a, __m128 b) {
  return _mm_or_ps(_mm_and_ps(mask, a), _mm_andnot_ps(mask, b));
}
inline __m128i selectEpi32(__m128 mask, __m128i a, __m128i b) {
  const __m128i m = _mm_castps_si128(mask);
  return _mm_or_si128(_mm_and_si128(m, a), _mm_andnot_si128(m, b));
}

// 2x2 windows with stride 2, four outputs at a time; the same candidate order and
// comparison as poolWindow, so values and argmax are identical. Returns how many
// outputs of the row it did.
std::int64_t pool2x2Row(const float* r0, std::int64_t w, std::int64_t ow, std::int32_t r0_index,
                        float* y, std::int32_t* am) {
  const float* r1 = r0 + w;
  const __m128i lane_offsets = _mm_setr_epi32(0, 2, 4, 6);
  const __m128i one = _mm_set1_epi32(1), down = _mm_set1_epi32(static_cast<std::int32_t>(w));
  std::int64_t ox = 0;
  for (; ox + 4 <= ow; ox += 4) {
    const __m128 a0 = _mm_loadu_ps(r0 + 2 * ox), a1 = _mm_loadu_ps(r0 + 2 * ox + 4);
    const __m128 b0 = _mm_loadu_ps(r1 + 2 * ox), b1 = _mm_loadu_ps(r1 + 2 * ox + 4);
    const __m128 cand[4] = {_mm_shuffle_ps(a0, a1, _MM_SHUFFLE(2, 0, 2, 0)),
                            _mm_shuffle_ps(a0, a1, _MM_SHUFFLE(3, 1, 3, 1)),
                            _mm_shuffle_ps(b0, b1, _MM_SHUFFLE(2, 0, 2, 0)),
                            _mm_shuffle_ps(b0, b1, _MM_SHUFFLE(3, 1, 3, 1))};
    const __m128i i00 = _mm_add_epi32(
        _mm_set1_epi32(r0_index + static_cast<std::int32_t>(2 * ox)), lane_offsets);
    const __m128i idx[4] = {i00, _mm_add_epi32(i00, one), _mm_add_epi32(i00, down),
                            _mm_add_epi32(_mm_add_epi32(i00, down), one)};
    __m128 best = _mm_set1_ps(-std::numeric_limits<float>::infinity());
    __m128i best_i = i00;
    for (int c = 0; c < 4; ++c) {
      const __m128 take = _mm_or_ps(_mm_cmpgt_ps(cand[c], best), _mm_cmpunord_ps(cand[c], cand[c]));
      best = selectPs(take, cand[c], best);
      best_i = selectEpi32(take, idx[c], best_i);
    }
    _mm_storeu_ps(y + ox, best);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(am + ox), best_i);
  }
  return ox;
}
#endif

}  // namespace

void maxPoolForward(const float* x, float* y, std::int32_t* argmax, std::int64_t nc,
                    std::int64_t h, std::int64_t w, std::int64_t k, std::int64_t s) {
  const std::int64_t oh = (h - k) / s + 1, ow = (w - k) / s + 1;
  for (std::int64_t plane = 0; plane < nc; ++plane) {
    const float* xp = x + plane * h * w;
    float* yp = y + plane * oh * ow;
    std::int32_t* ap = argmax + plane * oh * ow;
    const auto base = static_cast<std::int32_t>(plane * h * w);
    for (std::int64_t oy = 0; oy < oh; ++oy) {
      std::int64_t ox = 0;
#if defined(__SSE2__)
      if (k == 2 && s == 2)
        ox = pool2x2Row(xp + oy * 2 * w, w, ow, base + static_cast<std::int32_t>(oy * 2 * w),
                        yp + oy * ow, ap + oy * ow);
#endif
      for (; ox < ow; ++ox) {
        float best;
        std::int64_t best_i;
        if (k == 2)  // the common case, unrolled by the compiler
          poolWindow(xp, w, oy * s, ox * s, 2, best, best_i);
        else
          poolWindow(xp, w, oy * s, ox * s, k, best, best_i);
        yp[oy * ow + ox] = best;
        ap[oy * ow + ox] = base + static_cast<std::int32_t>(best_i);
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

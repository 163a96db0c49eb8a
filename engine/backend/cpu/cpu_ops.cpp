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

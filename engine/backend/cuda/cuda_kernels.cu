// The backend's own kernels: conversions with counting, data gathering, elementwise ops,
// losses, pooling, batch norm and histograms. Arithmetic follows the CPU backend
// operation by operation (compiled with --fmad=false) so the parity checks stay tight.
#include "engine/backend/cuda/cuda_kernels.cuh"

#include <cfloat>
#include <stdexcept>

namespace halflab::cuda {
namespace {

constexpr int kBlock = 256;

__device__ __forceinline__ unsigned long long warpSum(unsigned long long v) {
  for (int o = 16; o > 0; o >>= 1) v += __shfl_down_sync(0xffffffffu, v, o);
  return v;
}
__device__ __forceinline__ float warpMax(float v) {
  for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
  return v;
}
__device__ __forceinline__ float warpSumF(float v) {
  for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
  return v;
}
__device__ __forceinline__ double warpSumD(double v) {
  for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
  return v;
}

// Adds per-thread counts to the global counters, one atomic per warp.
__device__ void addCounts(RoundCounters* c, unsigned long long u, unsigned long long sb,
                          unsigned long long o) {
  u = warpSum(u);
  sb = warpSum(sb);
  o = warpSum(o);
  if ((threadIdx.x & 31) == 0) {
    if (u) atomicAdd(&c->underflow, u);
    if (sb) atomicAdd(&c->subnormal, sb);
    if (o) atomicAdd(&c->overflow, o);
  }
}

template <class T>
__global__ void roundCountedKernel(const float* src, T* dst, std::int64_t n, RoundCounters* c) {
  unsigned long long u = 0, sb = 0, o = 0;
  for (std::int64_t i = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<std::int64_t>(gridDim.x) * blockDim.x) {
    const float x = src[i];
    const T yt = fromF32<T>(x);
    dst[i] = yt;
    const float y = toF32(yt), ax = fabsf(x), ay = fabsf(y);
    u += (x != 0.0f) & (y == 0.0f);
    sb += (ay > 0.0f) & (ay < minNormal<T>());
    o += (ax <= FLT_MAX) & !(ay <= FLT_MAX);
  }
  if (c) {
    addCounts(c, u, sb, o);
    if (blockIdx.x == 0 && threadIdx.x == 0) atomicAdd(&c->total, static_cast<unsigned long long>(n));
  }
}

template <class T>
__global__ void countRoundedKernel(const T* x, std::int64_t n, RoundCounters* c) {
  unsigned long long sb = 0, o = 0;
  for (std::int64_t i = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<std::int64_t>(gridDim.x) * blockDim.x) {
    const float ay = fabsf(toF32(x[i]));
    sb += (ay > 0.0f) & (ay < minNormal<T>());
    o += (ay == INFINITY);
  }
  addCounts(c, 0, sb, o);
  if (blockIdx.x == 0 && threadIdx.x == 0) atomicAdd(&c->total, static_cast<unsigned long long>(n));
}

template <class S, class D>
__global__ void convertKernel(const S* src, D* dst, std::int64_t n) {
  for (std::int64_t i = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<std::int64_t>(gridDim.x) * blockDim.x)
    dst[i] = fromF32<D>(toF32(src[i]));
}

template <class T>
__global__ void broadcastRowsKernel(const T* bias, T* y, std::int64_t rows, std::int64_t cols) {
  const std::int64_t n = rows * cols;
  for (std::int64_t i = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<std::int64_t>(gridDim.x) * blockDim.x)
    y[i] = bias[i % cols];
}

template <class T>
__global__ void gatherKernel(GatherArgs a, T* x, std::int32_t* y) {
  const std::int64_t hw = a.height * a.width, sample = a.channels * hw, total = a.m * sample;
  const std::int64_t base = a.offset + (a.cursor ? static_cast<std::int64_t>(*a.cursor) : 0) * a.stride;
  for (std::int64_t e = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x; e < total;
       e += static_cast<std::int64_t>(gridDim.x) * blockDim.x) {
    const std::int64_t j = e / sample, r = e % sample;
    const std::int64_t idx = a.order ? a.order[base + j] : base + j;
    std::int64_t src_r = r;
    if (a.nhwc) {  // r = (pixel * C + channel) in NHWC; the dataset is NCHW
      const std::int64_t ch = r % a.channels, pixel = r / a.channels;
      src_r = ch * hw + pixel;
    }
    x[e] = fromF32<T>(a.inputs[idx * sample + src_r]);
    if (r == 0) y[j] = a.labels[idx];
  }
}

template <class T>
__global__ void nhwcToNchwKernel(const T* src, T* dst, std::int64_t n, std::int64_t c, std::int64_t hw) {
  const std::int64_t total = n * c * hw;
  for (std::int64_t e = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x; e < total;
       e += static_cast<std::int64_t>(gridDim.x) * blockDim.x) {
    // e indexes the NCHW output
    const std::int64_t b = e / (c * hw), rem = e % (c * hw), ch = rem / hw, p = rem % hw;
    dst[e] = src[(b * hw + p) * c + ch];
  }
}

template <class T>
__global__ void nchwToNhwcKernel(const T* src, T* dst, std::int64_t n, std::int64_t c, std::int64_t hw) {
  const std::int64_t total = n * c * hw;
  for (std::int64_t e = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x; e < total;
       e += static_cast<std::int64_t>(gridDim.x) * blockDim.x) {
    // e indexes the NHWC output
    const std::int64_t b = e / (c * hw), rem = e % (c * hw), p = rem / c, ch = rem % c;
    dst[e] = src[(b * c + ch) * hw + p];
  }
}

constexpr float kInvSqrt2 = 0.70710678118654752f;
constexpr float kInvSqrt2Pi = 0.39894228040143268f;

template <class T>
__global__ void activationForwardKernel(int kind, const T* x, T* y, std::int64_t n) {
  for (std::int64_t i = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<std::int64_t>(gridDim.x) * blockDim.x) {
    const float v = toF32(x[i]);
    float r;
    switch (kind) {
      case 0: r = v > 0.0f ? v : 0.0f; break;
      case 1: r = 0.5f * v * (1.0f + erff(v * kInvSqrt2)); break;
      case 2: r = tanhf(v); break;
      default: r = 1.0f / (1.0f + expf(-v)); break;
    }
    y[i] = fromF32<T>(r);
  }
}

template <class T>
__global__ void activationBackwardKernel(int kind, const T* x, const T* y, const T* dy, float* dx,
                                         std::int64_t n) {
  for (std::int64_t i = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<std::int64_t>(gridDim.x) * blockDim.x) {
    const float in = toF32(x[i]), out = toF32(y[i]), g = toF32(dy[i]);
    float d;
    switch (kind) {
      case 0: d = in > 0.0f ? g : 0.0f; break;
      case 1: {
        const float cdf = 0.5f * (1.0f + erff(in * kInvSqrt2));
        const float pdf = kInvSqrt2Pi * expf(-0.5f * in * in);
        d = g * (cdf + in * pdf);
        break;
      }
      case 2: d = g * (1.0f - out * out); break;
      default: d = g * out * (1.0f - out); break;
    }
    dx[i] = d;
  }
}

__device__ __forceinline__ std::uint64_t splitmix64(std::uint64_t z) {
  z += 0x9E3779B97F4A7C15ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

template <class T>
__global__ void dropoutForwardKernel(const T* x, T* y, std::uint8_t* mask, std::int64_t n,
                                     std::uint64_t threshold, float keep_scale, std::uint64_t seed,
                                     const unsigned long long* step) {
  const std::uint64_t key = splitmix64(seed ^ splitmix64(*step));
  for (std::int64_t i = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<std::int64_t>(gridDim.x) * blockDim.x) {
    const bool keep = (splitmix64(key + static_cast<std::uint64_t>(i)) >> 32) >= threshold;
    mask[i] = keep;
    y[i] = keep ? fromF32<T>(toF32(x[i]) * keep_scale) : fromF32<T>(0.0f);
  }
}

template <class T>
__global__ void dropoutBackwardKernel(const T* dy, const std::uint8_t* mask, float* dx,
                                      std::int64_t n, float keep_scale) {
  for (std::int64_t i = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<std::int64_t>(gridDim.x) * blockDim.x)
    dx[i] = mask[i] ? toF32(dy[i]) * keep_scale : 0.0f;
}

// Block (32 x 8): threadIdx.x picks a column of a 32-column tile, threadIdx.y strides rows.
template <class T>
__global__ void sumRowsKernel(const T* x, std::int64_t rows, std::int64_t cols, float* out) {
  __shared__ float part[8][33];
  const std::int64_t col = blockIdx.x * 32 + threadIdx.x;
  float acc = 0.0f;
  if (col < cols)
    for (std::int64_t r = threadIdx.y; r < rows; r += 8) acc += toF32(x[r * cols + col]);
  part[threadIdx.y][threadIdx.x] = acc;
  __syncthreads();
  if (threadIdx.y == 0 && col < cols) {
    float s = 0.0f;
    for (int k = 0; k < 8; ++k) s += part[k][threadIdx.x];
    out[col] = s;
  }
}

// One warp per row. kind 0 = softmax cross-entropy, 1 = MSE against one-hot.
template <class T>
__global__ void lossKernel(int kind, const T* x, const std::int32_t* labels, std::int64_t n,
                           std::int64_t c, const float* scale, double loss_weight, float* d,
                           double* loss_sum, unsigned long long* correct) {
  const std::int64_t warps = static_cast<std::int64_t>(gridDim.x) * (blockDim.x / 32);
  const int lane = threadIdx.x & 31;
  const double grad_scale = (scale ? static_cast<double>(*scale) : 1.0) * loss_weight;
  const float g = kind == 0 ? static_cast<float>(grad_scale / static_cast<double>(n))
                            : static_cast<float>(2.0 * grad_scale / static_cast<double>(n * c));
  for (std::int64_t row = blockIdx.x * static_cast<std::int64_t>(blockDim.x / 32) + threadIdx.x / 32;
       row < n; row += warps) {
    const T* xr = x + row * c;
    const std::int32_t y = labels[row];
    // argmax: the first maximum, like std::max_element
    float best = -INFINITY;
    std::int64_t best_j = 0;
    bool have = false;
    for (std::int64_t j = lane; j < c; j += 32) {
      const float v = toF32(xr[j]);
      if (!have || v > best) { best = v; best_j = j; have = true; }
    }
    for (int o = 16; o > 0; o >>= 1) {
      const float ov = __shfl_xor_sync(0xffffffffu, best, o);
      const long long oj = __shfl_xor_sync(0xffffffffu, static_cast<long long>(best_j), o);
      const int oh = __shfl_xor_sync(0xffffffffu, static_cast<int>(have), o);
      if (oh && (!have || ov > best || (ov == best && oj < best_j))) { best = ov; best_j = oj; have = true; }
    }
    if (kind == 0) {
      const float mx = warpMax(best);
      float sum = 0.0f;
      for (std::int64_t j = lane; j < c; j += 32) sum += expf(toF32(xr[j]) - mx);
      sum = warpSumF(sum);
      const float log_sum = logf(sum) + mx;
      if (lane == 0) {
        atomicAdd(loss_sum, static_cast<double>(log_sum - toF32(xr[y])));
        if (best_j == y) atomicAdd(correct, 1ull);
      }
      if (d)
        for (std::int64_t j = lane; j < c; j += 32) {
          const float p = expf(toF32(xr[j]) - log_sum);
          d[row * c + j] = (p - (j == y ? 1.0f : 0.0f)) * g;
        }
    } else {
      // fp32 sums, as on the CPU: a squared error beyond fp32 range is inf (divergence),
      // not a finite double. The step's loss is float(loss_sum) / (n*c) (finalizeStep).
      float total = 0.0f;
      for (std::int64_t j = lane; j < c; j += 32) {
        const float diff = toF32(xr[j]) - (j == y ? 1.0f : 0.0f);
        total += diff * diff;
        if (d) d[row * c + j] = diff * g;
      }
      total = warpSumF(total);
      if (lane == 0) {
        atomicAdd(loss_sum, static_cast<double>(total));
        if (best_j == y) atomicAdd(correct, 1ull);
      }
    }
  }
}

template <class T>
__global__ void maxPoolForwardKernel(const T* x, T* y, std::int32_t* argmax, std::int64_t n,
                                     std::int64_t h, std::int64_t w, std::int64_t c,
                                     std::int64_t k, std::int64_t st) {
  const std::int64_t oh = (h - k) / st + 1, ow = (w - k) / st + 1, total = n * oh * ow * c;
  for (std::int64_t o = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x; o < total;
       o += static_cast<std::int64_t>(gridDim.x) * blockDim.x) {
    const std::int64_t ch = o % c, ox = (o / c) % ow, oy = (o / (c * ow)) % oh, b = o / (c * ow * oh);
    float best = -INFINITY;
    std::int64_t best_i = ((b * h + oy * st) * w + ox * st) * c + ch;
    T best_v = x[best_i];
    for (std::int64_t ky = 0; ky < k; ++ky)
      for (std::int64_t kx = 0; kx < k; ++kx) {
        const std::int64_t i = ((b * h + oy * st + ky) * w + ox * st + kx) * c + ch;
        const float v = toF32(x[i]);
        if (v > best || v != v) { best = v; best_i = i; best_v = x[i]; }
      }
    y[o] = best_v;
    argmax[o] = static_cast<std::int32_t>(best_i);
  }
}

template <class T>
__global__ void maxPoolBackwardKernel(const T* dy, const std::int32_t* argmax, T* dx, std::int64_t total) {
  for (std::int64_t o = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x; o < total;
       o += static_cast<std::int64_t>(gridDim.x) * blockDim.x)
    dx[argmax[o]] = dy[o];  // windows do not overlap (checked when the model is built)
}

// One block per channel.
template <class T>
__global__ void batchNormForwardKernel(const T* x, T* y, std::int64_t rows, std::int64_t c,
                                       const float* gamma, const float* beta, float* rmean,
                                       float* rvar, float* save_mean, float* save_inv,
                                       bool training, double momentum, double eps) {
  __shared__ double s_sum[kBlock / 32], s_sq[kBlock / 32];
  __shared__ float s_mu, s_inv;
  const std::int64_t ch = blockIdx.x;
  if (training) {
    double sum = 0, sq = 0;
    for (std::int64_t r = threadIdx.x; r < rows; r += blockDim.x) {
      const double v = toF32(x[r * c + ch]);
      sum += v;
      sq += v * v;
    }
    sum = warpSumD(sum);
    sq = warpSumD(sq);
    if ((threadIdx.x & 31) == 0) { s_sum[threadIdx.x / 32] = sum; s_sq[threadIdx.x / 32] = sq; }
    __syncthreads();
    if (threadIdx.x == 0) {
      double ts = 0, tq = 0;
      for (unsigned k = 0; k < blockDim.x / 32; ++k) { ts += s_sum[k]; tq += s_sq[k]; }
      const double m = static_cast<double>(rows);
      const double mean = ts / m;
      const double var = fmax(0.0, tq / m - mean * mean);
      const double unbiased = m > 1 ? var * m / (m - 1) : var;
      rmean[ch] = static_cast<float>((1 - momentum) * rmean[ch] + momentum * mean);
      rvar[ch] = static_cast<float>((1 - momentum) * rvar[ch] + momentum * unbiased);
      s_inv = static_cast<float>(1.0 / sqrt(var + eps));
      s_mu = static_cast<float>(mean);
    }
  } else if (threadIdx.x == 0) {
    const double mean = rmean[ch], var = rvar[ch];
    s_inv = static_cast<float>(1.0 / sqrt(var + eps));
    s_mu = static_cast<float>(mean);
  }
  __syncthreads();
  const float mu = s_mu, inv = s_inv, ga = gamma[ch], be = beta[ch];
  if (threadIdx.x == 0) { save_mean[ch] = mu; save_inv[ch] = inv; }
  for (std::int64_t r = threadIdx.x; r < rows; r += blockDim.x) {
    const float xhat = (toF32(x[r * c + ch]) - mu) * inv;
    y[r * c + ch] = fromF32<T>(ga * xhat + be);
  }
}

template <class T>
__global__ void batchNormBackwardKernel(const T* x, const T* dy, std::int64_t rows, std::int64_t c,
                                        const float* gamma, const float* save_mean,
                                        const float* save_inv, float* dgamma, float* dbeta,
                                        float* dx) {
  __shared__ double s_g[kBlock / 32], s_b[kBlock / 32];
  __shared__ double s_dg, s_db;
  const std::int64_t ch = blockIdx.x;
  const float mu = save_mean[ch], inv = save_inv[ch];
  double dg = 0, db = 0;
  for (std::int64_t r = threadIdx.x; r < rows; r += blockDim.x) {
    const float xhat = (toF32(x[r * c + ch]) - mu) * inv;
    const float g = toF32(dy[r * c + ch]);
    dg += static_cast<double>(g) * xhat;
    db += g;
  }
  dg = warpSumD(dg);
  db = warpSumD(db);
  if ((threadIdx.x & 31) == 0) { s_g[threadIdx.x / 32] = dg; s_b[threadIdx.x / 32] = db; }
  __syncthreads();
  if (threadIdx.x == 0) {
    double tg = 0, tb = 0;
    for (unsigned k = 0; k < blockDim.x / 32; ++k) { tg += s_g[k]; tb += s_b[k]; }
    s_dg = tg;
    s_db = tb;
    dgamma[ch] = static_cast<float>(tg);
    dbeta[ch] = static_cast<float>(tb);
  }
  __syncthreads();
  if (!dx) return;
  const double m = static_cast<double>(rows);
  const float scale = static_cast<float>(static_cast<double>(gamma[ch] * inv) / m);
  const float mdg = static_cast<float>(s_dg), mdb = static_cast<float>(s_db);
  const float fm = static_cast<float>(m);
  for (std::int64_t r = threadIdx.x; r < rows; r += blockDim.x) {
    const float xhat = (toF32(x[r * c + ch]) - mu) * inv;
    dx[r * c + ch] = scale * (fm * toF32(dy[r * c + ch]) - mdb - xhat * mdg);
  }
}

template <class T>
__global__ void histogramKernel(const T* x, std::int64_t n, int min_exp, int nbins,
                                unsigned long long* bins) {
  extern __shared__ unsigned int local[];
  for (int b = threadIdx.x; b < nbins + 3; b += blockDim.x) local[b] = 0;
  __syncthreads();
  for (std::int64_t i = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<std::int64_t>(gridDim.x) * blockDim.x) {
    const unsigned bits = __float_as_uint(toF32(x[i]));
    const unsigned field = (bits >> 23) & 0xFFu, mant = bits & 0x7FFFFFu;
    int slot;
    if (field == 0xFFu) {
      slot = mant == 0 ? nbins + 1 : nbins + 2;
    } else if (field == 0 && mant == 0) {
      slot = nbins;
    } else {
      const int e = field == 0 ? (31 - __clz(static_cast<int>(mant))) - 149 : static_cast<int>(field) - 127;
      slot = min(max(e - min_exp, 0), nbins - 1);
    }
    atomicAdd(&local[slot], 1u);
  }
  __syncthreads();
  for (int b = threadIdx.x; b < nbins + 3; b += blockDim.x)
    if (local[b]) atomicAdd(&bins[b], static_cast<unsigned long long>(local[b]));
}

}  // namespace

void roundCounted(const float* src, void* dst, DType t, std::int64_t n, RoundCounters* counts,
                  cudaStream_t s) {
  if (n <= 0) return;
  HL_DISPATCH(t, roundCountedKernel<T><<<gridFor(n), kBlock, 0, s>>>(src, static_cast<T*>(dst), n, counts));
  HL_LAUNCHED();
}

void countRounded(const void* x, DType t, std::int64_t n, RoundCounters* counts, cudaStream_t s) {
  if (n <= 0 || t == DType::F32 || !counts) return;
  HL_DISPATCH(t, countRoundedKernel<T><<<gridFor(n), kBlock, 0, s>>>(static_cast<const T*>(x), n, counts));
  HL_LAUNCHED();
}

void convert(const void* src, DType st, void* dst, DType dt, std::int64_t n, cudaStream_t s) {
  if (n <= 0) return;
  HL_DISPATCH(st, {
    using S = T;
    HL_DISPATCH(dt, convertKernel<S, T><<<gridFor(n), kBlock, 0, s>>>(static_cast<const S*>(src), static_cast<T*>(dst), n));
  });
  HL_LAUNCHED();
}

void broadcastRows(const void* bias, void* y, DType t, std::int64_t rows, std::int64_t cols,
                   cudaStream_t s) {
  HL_DISPATCH(t, broadcastRowsKernel<T><<<gridFor(rows * cols), kBlock, 0, s>>>(
                     static_cast<const T*>(bias), static_cast<T*>(y), rows, cols));
  HL_LAUNCHED();
}

void gatherBatch(const GatherArgs& a, void* x, DType t, std::int32_t* y, cudaStream_t s) {
  const std::int64_t total = a.m * a.channels * a.height * a.width;
  if (total <= 0) return;
  HL_DISPATCH(t, gatherKernel<T><<<gridFor(total), kBlock, 0, s>>>(a, static_cast<T*>(x), y));
  HL_LAUNCHED();
}

void nhwcToNchw(const void* src, void* dst, DType t, std::int64_t n, std::int64_t c,
                std::int64_t hw, cudaStream_t s) {
  HL_DISPATCH(t, nhwcToNchwKernel<T><<<gridFor(n * c * hw), kBlock, 0, s>>>(
                     static_cast<const T*>(src), static_cast<T*>(dst), n, c, hw));
  HL_LAUNCHED();
}

void nchwToNhwc(const void* src, void* dst, DType t, std::int64_t n, std::int64_t c,
                std::int64_t hw, cudaStream_t s) {
  HL_DISPATCH(t, nchwToNhwcKernel<T><<<gridFor(n * c * hw), kBlock, 0, s>>>(
                     static_cast<const T*>(src), static_cast<T*>(dst), n, c, hw));
  HL_LAUNCHED();
}

void activationForward(ActivationKind k, const void* x, void* y, DType t, std::int64_t n,
                       cudaStream_t s) {
  HL_DISPATCH(t, activationForwardKernel<T><<<gridFor(n), kBlock, 0, s>>>(
                     static_cast<int>(k), static_cast<const T*>(x), static_cast<T*>(y), n));
  HL_LAUNCHED();
}

void activationBackward(ActivationKind k, const void* x, const void* y, const void* dy,
                        float* dx32, DType t, std::int64_t n, cudaStream_t s) {
  HL_DISPATCH(t, activationBackwardKernel<T><<<gridFor(n), kBlock, 0, s>>>(
                     static_cast<int>(k), static_cast<const T*>(x), static_cast<const T*>(y),
                     static_cast<const T*>(dy), dx32, n));
  HL_LAUNCHED();
}

void dropoutForward(const void* x, void* y, std::uint8_t* mask, DType t, std::int64_t n, double p,
                    std::uint64_t seed, const unsigned long long* step, cudaStream_t s) {
  const auto threshold = static_cast<std::uint64_t>(p * 4294967296.0);
  const float keep_scale = static_cast<float>(1.0 / (1.0 - p));
  HL_DISPATCH(t, dropoutForwardKernel<T><<<gridFor(n), kBlock, 0, s>>>(
                     static_cast<const T*>(x), static_cast<T*>(y), mask, n, threshold, keep_scale,
                     seed, step));
  HL_LAUNCHED();
}

void dropoutBackward(const void* dy, const std::uint8_t* mask, float* dx32, DType t, std::int64_t n,
                     double p, cudaStream_t s) {
  const float keep_scale = static_cast<float>(1.0 / (1.0 - p));
  HL_DISPATCH(t, dropoutBackwardKernel<T><<<gridFor(n), kBlock, 0, s>>>(
                     static_cast<const T*>(dy), mask, dx32, n, keep_scale));
  HL_LAUNCHED();
}

void sumRows(const void* x, DType t, std::int64_t rows, std::int64_t cols, float* out32,
             cudaStream_t s) {
  const dim3 block(32, 8);
  const auto grid = static_cast<unsigned>((cols + 31) / 32);
  HL_DISPATCH(t, sumRowsKernel<T><<<grid, block, 0, s>>>(static_cast<const T*>(x), rows, cols, out32));
  HL_LAUNCHED();
}

void softmaxCrossEntropy(const void* logits, DType t, const std::int32_t* labels, std::int64_t n,
                         std::int64_t c, const float* scale, double loss_weight, float* d,
                         double* loss_sum, unsigned long long* correct, cudaStream_t s) {
  HL_DISPATCH(t, lossKernel<T><<<gridFor(n * 32), kBlock, 0, s>>>(
                     0, static_cast<const T*>(logits), labels, n, c, scale, loss_weight, d, loss_sum, correct));
  HL_LAUNCHED();
}

void mseOneHot(const void* out, DType t, const std::int32_t* labels, std::int64_t n, std::int64_t c,
               const float* scale, double loss_weight, float* d, double* loss_sum,
               unsigned long long* correct, cudaStream_t s) {
  HL_DISPATCH(t, lossKernel<T><<<gridFor(n * 32), kBlock, 0, s>>>(
                     1, static_cast<const T*>(out), labels, n, c, scale, loss_weight, d, loss_sum, correct));
  HL_LAUNCHED();
}

void maxPoolForward(const void* x, void* y, std::int32_t* argmax, DType t, std::int64_t n,
                    std::int64_t h, std::int64_t w, std::int64_t c, std::int64_t k, std::int64_t st,
                    cudaStream_t s) {
  const std::int64_t total = n * ((h - k) / st + 1) * ((w - k) / st + 1) * c;
  HL_DISPATCH(t, maxPoolForwardKernel<T><<<gridFor(total), kBlock, 0, s>>>(
                     static_cast<const T*>(x), static_cast<T*>(y), argmax, n, h, w, c, k, st));
  HL_LAUNCHED();
}

void maxPoolBackward(const void* dy, const std::int32_t* argmax, void* dx, DType t,
                     std::int64_t out_elems, cudaStream_t s) {
  HL_DISPATCH(t, maxPoolBackwardKernel<T><<<gridFor(out_elems), kBlock, 0, s>>>(
                     static_cast<const T*>(dy), argmax, static_cast<T*>(dx), out_elems));
  HL_LAUNCHED();
}

void zero(void* p, std::size_t bytes, cudaStream_t s) {
  if (bytes) HL_CUDA(cudaMemsetAsync(p, 0, bytes, s));
}

void batchNormForward(const void* x, void* y, DType t, std::int64_t rows, std::int64_t c,
                      const float* gamma, const float* beta, float* running_mean, float* running_var,
                      float* save_mean, float* save_inv_std, bool training, double momentum,
                      double eps, cudaStream_t s) {
  HL_DISPATCH(t, batchNormForwardKernel<T><<<static_cast<unsigned>(c), kBlock, 0, s>>>(
                     static_cast<const T*>(x), static_cast<T*>(y), rows, c, gamma, beta, running_mean,
                     running_var, save_mean, save_inv_std, training, momentum, eps));
  HL_LAUNCHED();
}

void batchNormBackward(const void* x, const void* dy, DType t, std::int64_t rows, std::int64_t c,
                       const float* gamma, const float* save_mean, const float* save_inv_std,
                       float* dgamma, float* dbeta, float* dx32, cudaStream_t s) {
  HL_DISPATCH(t, batchNormBackwardKernel<T><<<static_cast<unsigned>(c), kBlock, 0, s>>>(
                     static_cast<const T*>(x), static_cast<const T*>(dy), rows, c, gamma, save_mean,
                     save_inv_std, dgamma, dbeta, dx32));
  HL_LAUNCHED();
}

void log2Histogram(const void* x, DType t, std::int64_t n, int min_exp, int nbins,
                   unsigned long long* bins, cudaStream_t s) {
  if (n <= 0) return;
  const std::size_t shared = sizeof(unsigned int) * static_cast<std::size_t>(nbins + 3);
  HL_DISPATCH(t, histogramKernel<T><<<gridFor(n, kBlock, 1024), kBlock, shared, s>>>(
                     static_cast<const T*>(x), n, min_exp, nbins, bins));
  HL_LAUNCHED();
}

}  // namespace halflab::cuda

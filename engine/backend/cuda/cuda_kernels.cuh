#pragma once
// Launchers of the backend's own kernels. Every launcher checks the launch; all work is
// enqueued on `stream` and nothing here synchronises with the host.
#include "engine/backend/cuda/cuda_common.cuh"
#include "engine/model/activation.hpp"

namespace halflab::cuda {

// Rounding counters of one step, in the order of RoundingCounts.
struct RoundCounters {
  unsigned long long total, underflow, subnormal, overflow;
};

// dst = RNE(src) in dst_type; counts what the rounding did exactly like roundBufferCounted
// (when counts is not null).
void roundCounted(const float* src, void* dst, DType dst_type, std::int64_t n,
                  RoundCounters* counts, cudaStream_t s);
// Counts what can still be seen of a rounding done elsewhere (cuDNN outputs): subnormal
// and non-finite elements; underflow to zero cannot be told apart from a true zero.
void countRounded(const void* x, DType t, std::int64_t n, RoundCounters* counts, cudaStream_t s);
// dst = RNE(src) between any two storage types.
void convert(const void* src, DType src_type, void* dst, DType dst_type, std::int64_t n,
             cudaStream_t s);
// y[i, :] = bias (broadcast of one row), in y's type.
void broadcastRows(const void* bias, void* y, DType t, std::int64_t rows, std::int64_t cols,
                   cudaStream_t s);

// Batch gather from the device-resident dataset (fp32, NCHW): sample j of the batch is
// order[base + j] (or base + j without an order), base = offset + (*cursor) * stride.
// Writes x in `t` ([m, C, H, W] as NHWC when nhwc, else the sample's flat order) and y.
struct GatherArgs {
  const float* inputs;
  const std::int32_t* labels;
  const std::int64_t* order;   // nullable: sequential
  const int* cursor;           // nullable: 0
  std::int64_t offset, stride, m;
  std::int64_t channels, height, width;  // height = width = 1 for vectors
  bool nhwc;
};
void gatherBatch(const GatherArgs& a, void* x, DType t, std::int32_t* y, cudaStream_t s);

// NHWC <-> NCHW for the Flatten layer (the Linear weights use the CPU's NCHW order).
void nhwcToNchw(const void* src, void* dst, DType t, std::int64_t n, std::int64_t c,
                std::int64_t hw, cudaStream_t s);
void nchwToNhwc(const void* src, void* dst, DType t, std::int64_t n, std::int64_t c,
                std::int64_t hw, cudaStream_t s);

void activationForward(ActivationKind k, const void* x, void* y, DType t, std::int64_t n,
                       cudaStream_t s);
// dx32 = fp32 gradient (to be rounded by the caller).
void activationBackward(ActivationKind k, const void* x, const void* y, const void* dy,
                        float* dx32, DType t, std::int64_t n, cudaStream_t s);

// Inverted dropout with a counter-based hash of (seed, *step, i): one mask per step,
// replayable inside a CUDA graph.
void dropoutForward(const void* x, void* y, std::uint8_t* mask, DType t, std::int64_t n,
                    double p, std::uint64_t seed, const unsigned long long* step, cudaStream_t s);
void dropoutBackward(const void* dy, const std::uint8_t* mask, float* dx32, DType t,
                     std::int64_t n, double p, cudaStream_t s);

// out32[c] = sum over rows of x[row, c] (fp32 accumulation).
void sumRows(const void* x, DType t, std::int64_t rows, std::int64_t cols, float* out32,
             cudaStream_t s);

// Fused softmax + cross-entropy (fp32) over logits [n, c]; grad_scale = (*scale) *
// loss_weight (scale nullable = 1). Adds the per-row losses to *loss_sum and the correct
// predictions to *correct; writes the fp32 gradient when dlogits32 is not null.
void softmaxCrossEntropy(const void* logits, DType t, const std::int32_t* labels, std::int64_t n,
                         std::int64_t c, const float* scale, double loss_weight, float* dlogits32,
                         double* loss_sum, unsigned long long* correct, cudaStream_t s);
void mseOneHot(const void* out, DType t, const std::int32_t* labels, std::int64_t n,
               std::int64_t c, const float* scale, double loss_weight, float* dout32,
               double* loss_sum, unsigned long long* correct, cudaStream_t s);

// Max pooling (kernel k, stride st, no padding) on NHWC; argmax is the flat input index.
// Same rule as the CPU: the first maximum in window order wins, NaN wins.
void maxPoolForward(const void* x, void* y, std::int32_t* argmax, DType t, std::int64_t n,
                    std::int64_t h, std::int64_t w, std::int64_t c, std::int64_t k,
                    std::int64_t st, cudaStream_t s);
// dx (already zeroed, type t) += dy routed through argmax; exact for non-overlapping windows.
void maxPoolBackward(const void* dy, const std::int32_t* argmax, void* dx, DType t,
                     std::int64_t out_elems, cudaStream_t s);
void zero(void* p, std::size_t bytes, cudaStream_t s);

// Batch norm over x viewed as [rows, C] (NHWC or [N, C]); statistics in double as on the
// CPU; gamma/beta/running stats fp32.
void batchNormForward(const void* x, void* y, DType t, std::int64_t rows, std::int64_t c,
                      const float* gamma, const float* beta, float* running_mean,
                      float* running_var, float* save_mean, float* save_inv_std, bool training,
                      double momentum, double eps, cudaStream_t s);
// dgamma/dbeta (fp32, scaled like dy) and dx32 (nullable).
void batchNormBackward(const void* x, const void* dy, DType t, std::int64_t rows,
                       std::int64_t c, const float* gamma, const float* save_mean,
                       const float* save_inv_std, float* dgamma, float* dbeta, float* dx32,
                       cudaStream_t s);

// log2-magnitude histogram: bins[0..nbins) over [min_exp, min_exp+nbins), then zeros,
// infs, nans at bins[nbins..nbins+3).
void log2Histogram(const void* x, DType t, std::int64_t n, int min_exp, int nbins,
                   unsigned long long* bins, cudaStream_t s);

}  // namespace halflab::cuda

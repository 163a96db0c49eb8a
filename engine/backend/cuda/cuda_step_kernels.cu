#include "engine/backend/cuda/cuda_step_kernels.cuh"

#include <cfloat>

namespace halflab::cuda {
namespace {

constexpr int kBlock = 256;

__device__ __forceinline__ double blockSumD(double v, double* shared) {
  for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
  if ((threadIdx.x & 31) == 0) shared[threadIdx.x / 32] = v;
  __syncthreads();
  double t = 0;
  if (threadIdx.x == 0)
    for (unsigned k = 0; k < blockDim.x / 32; ++k) t += shared[k];
  __syncthreads();
  return t;  // valid in thread 0
}

__device__ __forceinline__ unsigned long long warpSumU(unsigned long long v) {
  for (int o = 16; o > 0; o >>= 1) v += __shfl_down_sync(0xffffffffu, v, o);
  return v;
}

template <class T>
__global__ void unscaleKernel(FlatParams p, const ChunkDesc* chunks, int num_chunks,
                              bool scaler_enabled, StepState* st) {
  __shared__ double part[kBlock / 32];
  // 1/S in double, rounded to fp32: LossScaler::inverseScale.
  const float inv = scaler_enabled ? static_cast<float>(1.0 / static_cast<double>(st->scaler.scale)) : 1.0f;
  const T* glow = static_cast<const T*>(p.grad_low);
  double sq = 0;
  bool bad = false;
  unsigned long long zeros = 0;
  for (int c = blockIdx.x; c < num_chunks; c += gridDim.x) {
    const ChunkDesc ch = chunks[c];
    for (int i = threadIdx.x; i < ch.n; i += blockDim.x) {
      const std::int64_t idx = ch.start + i;
      float g = ch.low_grad ? toF32(glow[idx]) : p.grad32[idx];
      zeros += g == 0.0f;  // exactly zero before unscaling, as the CPU counts
      if (inv != 1.0f) g *= inv;
      p.grad32[idx] = g;
      bad |= !isfinite(g);
      sq += static_cast<double>(g) * static_cast<double>(g);
    }
  }
  const double total = blockSumD(sq, part);
  if (threadIdx.x == 0) atomicAdd(&st->accum.norm_sq, total);
  zeros = warpSumU(zeros);
  if ((threadIdx.x & 31) == 0 && zeros) atomicAdd(&st->accum.zero_grads, zeros);
  if (bad) atomicExch(&st->accum.found_inf, 1);
}

__global__ void stepControlKernel(ScalerConfig sc, bool scaler_enabled, OptimParams op,
                                  const double* lr_table, std::int64_t lr_count, StepState* st) {
  StepDeviceRecord& r = st->record;
  StepControl& ctl = st->control;
  const bool found_inf = st->accum.found_inf != 0;
  r.found_inf = found_inf;
  r.skipped = found_inf;  // every flavour, static and none included, skips the step
  r.scale_before = st->scaler.scale;
  // The CPU LossScaler's rule (engine/precision/scaler_rule.hpp), run here.
  if (scaler_enabled && st->scaler_error == 0 && !applyScalerRule(sc, st->scaler, found_inf))
    st->scaler_error = 1;
  r.scaler_error = st->scaler_error;
  r.scale_after = st->scaler.scale;
  r.growth_tracker = st->scaler.growth_tracker;
  r.hysteresis = st->scaler.hysteresis;
  // As on the CPU: the norm of a step with a non-finite gradient is inf.
  const double norm = found_inf ? INFINITY : sqrt(st->accum.norm_sq);
  r.grad_norm = norm;
  const std::int64_t applied = st->applied;
  const double lr = lr_table[applied < lr_count ? applied : lr_count - 1];
  r.lr = lr;
  ctl.skipped = found_inf || st->scaler_error != 0;
  ctl.apply_clip = op.clip > 0 && norm > op.clip;
  ctl.clip_factor = ctl.apply_clip ? static_cast<float>(op.clip / (norm + 1e-6)) : 1.0f;
  // Optimizer step t = applied + 1 (Optimizer::step counts its calls).
  ctl.coeffs = updateCoeffs(op.kind == static_cast<int>(OptimizerKind::AdamW), lr, applied + 1, op.momentum,
                            op.dampening, op.weight_decay, op.beta1, op.beta2, op.eps);
}

// T: the low format of copies and of store rounding (float when there is none).
template <class T>
__global__ void optimizerKernel(FlatParams p, const ChunkDesc* chunks, int num_chunks,
                                OptimParams op, StepState* st) {
  const StepControl ctl = st->control;
  if (ctl.skipped) return;
  const UpdateCoeffs& k = ctl.coeffs;
  T* copy = static_cast<T*>(p.copy);
  unsigned long long updated = 0, stalled = 0;
  for (int c = blockIdx.x; c < num_chunks; c += gridDim.x) {
    const ChunkDesc ch = chunks[c];
    const bool decay = ch.decay != 0;
    for (int i = threadIdx.x; i < ch.n; i += blockDim.x) {
      const std::int64_t idx = ch.start + i;
      float g = p.grad32[idx];
      if (ctl.apply_clip) g *= ctl.clip_factor;
      const float old = p.master[idx];
      // The CPU optimizer's element rules (engine/optim/update_rule.hpp), run here.
      float fresh;
      if (op.kind == static_cast<int>(OptimizerKind::SGD)) {
        if (op.momentum == 0.0) fresh = sgdUpdate(old, g, k, decay);
        else if (op.nesterov) fresh = sgdMomentumUpdate<true>(old, g, p.state_m[idx], k, decay);
        else fresh = sgdMomentumUpdate<false>(old, g, p.state_m[idx], k, decay);
      } else if (op.kind == static_cast<int>(OptimizerKind::AdamW)) {
        fresh = adamUpdate<true>(old, g, p.state_m[idx], p.state_v[idx], k, decay);
      } else {
        fresh = adamUpdate<false>(old, g, p.state_m[idx], p.state_v[idx], k, decay);
      }
      float next = fresh;
      if (op.store_low) {
        next = toF32(fromF32<T>(fresh));
        const bool moves = fresh != old;
        updated += moves;
        stalled += moves & (next == old);
      } else {
        updated += next != old;
      }
      p.master[idx] = next;
      if (ch.has_copy) copy[idx] = fromF32<T>(next);
    }
  }
  updated = warpSumU(updated);
  stalled = warpSumU(stalled);
  if ((threadIdx.x & 31) == 0) {
    if (updated) atomicAdd(&st->accum.updated, updated);
    if (stalled) atomicAdd(&st->accum.stalled, stalled);
  }
}

__global__ void finalizeKernel(StepState* st, std::int64_t denominator, bool fp32_loss) {
  StepDeviceRecord& r = st->record;
  StepAccum& a = st->accum;
  // Cross-entropy averages in double; MSE in fp32, like the CPU losses (engine/model/loss.cpp).
  r.loss = fp32_loss ? static_cast<double>(static_cast<float>(a.loss_sum) / static_cast<float>(denominator))
                     : a.loss_sum / static_cast<double>(denominator);
  r.zero_grads = a.zero_grads;
  r.correct = a.correct;
  r.total = a.counts.total;
  r.underflow = a.counts.underflow;
  r.subnormal = a.counts.subnormal;
  r.overflow = a.counts.overflow;
  r.updated = a.updated;
  r.stalled = a.stalled;
  if (!st->control.skipped) st->applied += 1;
  r.applied = st->applied;
  st->cursor += 1;
  st->rng_step += 1;
  a = StepAccum{};
}

unsigned chunkGrid(int num_chunks) {
  return static_cast<unsigned>(num_chunks < 1 ? 1 : (num_chunks > 2048 ? 2048 : num_chunks));
}

}  // namespace

OptimParams optimParamsFrom(const OptimizerConfig& c, double clip, bool store_low) {
  return {static_cast<int>(c.kind), c.momentum, c.dampening, c.weight_decay, c.beta1, c.beta2,
          c.eps, c.nesterov ? 1 : 0, clip, store_low ? 1 : 0};
}

void unscaleCheckNorm(const FlatParams& p, const ChunkDesc* chunks, int num_chunks,
                      bool scaler_enabled, StepState* st, cudaStream_t s) {
  HL_DISPATCH(p.low, unscaleKernel<T><<<chunkGrid(num_chunks), kBlock, 0, s>>>(p, chunks, num_chunks,
                                                                              scaler_enabled, st));
  HL_LAUNCHED();
}

void stepControl(const ScalerConfig& sc, bool scaler_enabled, const OptimParams& op,
                 const double* lr_table, std::int64_t lr_count, StepState* st, cudaStream_t s) {
  stepControlKernel<<<1, 1, 0, s>>>(sc, scaler_enabled, op, lr_table, lr_count, st);
  HL_LAUNCHED();
}

void optimizerUpdate(const FlatParams& p, const ChunkDesc* chunks, int num_chunks,
                     const OptimParams& op, StepState* st, cudaStream_t s) {
  HL_DISPATCH(p.low, optimizerKernel<T><<<chunkGrid(num_chunks), kBlock, 0, s>>>(p, chunks, num_chunks, op, st));
  HL_LAUNCHED();
}

void finalizeStep(StepState* st, std::int64_t denominator, bool fp32_loss, cudaStream_t s) {
  finalizeKernel<<<1, 1, 0, s>>>(st, denominator, fp32_loss);
  HL_LAUNCHED();
}

}  // namespace halflab::cuda

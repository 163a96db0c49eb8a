#include "engine/backend/cuda/cuda_step_kernels.cuh"

#include <cfloat>

namespace halflab::cuda {
namespace {

constexpr int kBlock = 256;

bool usesHysteresis(ScalerFlavour f) {
  return f == ScalerFlavour::DeepSpeed || f == ScalerFlavour::Megatron;
}

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
  for (int c = blockIdx.x; c < num_chunks; c += gridDim.x) {
    const ChunkDesc ch = chunks[c];
    for (int i = threadIdx.x; i < ch.n; i += blockDim.x) {
      const std::int64_t idx = ch.start + i;
      float g = ch.low_grad ? toF32(glow[idx]) : p.grad32[idx];
      if (inv != 1.0f) g *= inv;
      p.grad32[idx] = g;
      bad |= !isfinite(g);
      sq += static_cast<double>(g) * static_cast<double>(g);
    }
  }
  const double total = blockSumD(sq, part);
  if (threadIdx.x == 0) atomicAdd(&st->accum.norm_sq, total);
  if (bad) atomicExch(&st->accum.found_inf, 1);
}

__device__ float backedOff(float scale, const ScalerParams& c) {
  float next = static_cast<float>(static_cast<double>(scale) * c.backoff_factor);
  if (c.min_scale > 0.0) next = fmaxf(next, static_cast<float>(c.min_scale));
  return next;
}

__device__ float grown(float scale, const ScalerParams& c) {
  double next = static_cast<double>(scale) * c.growth_factor;
  if (c.max_scale > 0.0) next = fmin(next, c.max_scale);
  const float next32 = static_cast<float>(next);
  return isfinite(next32) ? next32 : scale;
}

// LossScaler::update, line by line.
__device__ void scalerUpdate(const ScalerParams& c, ScalerState& s, bool found_inf) {
  switch (static_cast<ScalerFlavour>(c.flavour)) {
    case ScalerFlavour::None:
    case ScalerFlavour::Static:
      break;
    case ScalerFlavour::PyTorch:
    case ScalerFlavour::Apex:
    case ScalerFlavour::TfKeras:
      if (found_inf) {
        s.scale = backedOff(s.scale, c);
        s.growth_tracker = 0;
      } else if (++s.growth_tracker == c.growth_interval) {
        s.scale = grown(s.scale, c);
        s.growth_tracker = 0;
      }
      break;
    case ScalerFlavour::DeepSpeed:
      if (found_inf) {
        if (c.hysteresis == 1 || s.hysteresis == 1) {
          if (c.raise_at_min && s.scale == static_cast<float>(c.min_scale)) {
            s.error = 1;  // the host raises ScalerError when the record arrives
            return;
          }
          s.scale = backedOff(s.scale, c);
        } else {
          s.hysteresis -= 1;
        }
        s.stable_steps = 0;
      } else {
        if (c.consecutive_hysteresis) s.hysteresis = c.hysteresis;
        s.stable_steps += 1;
        if (s.stable_steps % c.growth_interval == 0) {
          if (!c.consecutive_hysteresis) s.hysteresis = c.hysteresis;
          s.scale = grown(s.scale, c);
        }
      }
      s.growth_tracker = static_cast<int>(s.stable_steps % c.growth_interval);
      break;
    case ScalerFlavour::Megatron:
      if (found_inf) {
        s.growth_tracker = 0;
        s.hysteresis -= 1;
        if (s.hysteresis <= 0) s.scale = backedOff(s.scale, c);
      } else if (++s.growth_tracker == c.growth_interval) {
        s.growth_tracker = 0;
        s.hysteresis = c.hysteresis;
        s.scale = grown(s.scale, c);
      }
      break;
  }
  ++s.updates;
}

__global__ void stepControlKernel(ScalerParams sp, bool scaler_enabled, OptimParams op,
                                  const double* lr_table, std::int64_t lr_count, StepState* st) {
  StepDeviceRecord& r = st->record;
  StepControl& ctl = st->control;
  const bool found_inf = st->accum.found_inf != 0;
  r.found_inf = found_inf;
  r.skipped = found_inf;  // every flavour, static and none included, skips the step
  r.scale_before = st->scaler.scale;
  if (scaler_enabled && st->scaler.error == 0) scalerUpdate(sp, st->scaler, found_inf);
  r.scaler_error = st->scaler.error;
  r.scale_after = st->scaler.scale;
  r.growth_tracker = st->scaler.growth_tracker;
  r.hysteresis = st->scaler.hysteresis;
  const double norm = sqrt(st->accum.norm_sq);
  r.grad_norm = norm;
  const std::int64_t applied = st->applied;
  const double lr = lr_table[applied < lr_count ? applied : lr_count - 1];
  r.lr = lr;
  ctl.skipped = found_inf || st->scaler.error != 0;
  ctl.lr = static_cast<float>(lr);
  ctl.apply_clip = op.clip > 0 && norm > op.clip;
  ctl.clip_factor = ctl.apply_clip ? static_cast<float>(op.clip / (norm + 1e-6)) : 1.0f;
  // Optimizer step t = applied + 1 (Optimizer::step counts its calls).
  const double t = static_cast<double>(applied + 1);
  const bool decoupled = op.kind == static_cast<int>(OptimizerKind::AdamW);
  ctl.step_size = static_cast<float>(lr / (1.0 - pow(op.beta1, t)));
  ctl.bc2_sqrt = static_cast<float>(sqrt(1.0 - pow(op.beta2, t)));
  ctl.shrink = decoupled ? static_cast<float>(1.0 - lr * op.weight_decay) : 1.0f;
  const bool first = applied == 0;
  ctl.sgd_keep = first ? 0.0f : static_cast<float>(op.momentum);
  ctl.sgd_take = first ? 1.0f : static_cast<float>(1.0 - op.dampening);
}

// T: the low format of copies and of store rounding (float when there is none).
template <class T>
__global__ void optimizerKernel(FlatParams p, const ChunkDesc* chunks, int num_chunks,
                                OptimParams op, StepState* st) {
  const StepControl ctl = st->control;
  if (ctl.skipped) return;
  const float lr = ctl.lr;
  const float momentum = static_cast<float>(op.momentum);
  const float one_minus_b1 = static_cast<float>(1.0 - op.beta1);
  const float b2 = static_cast<float>(op.beta2);
  const float one_minus_b2 = static_cast<float>(1.0 - op.beta2);
  const float eps = static_cast<float>(op.eps);
  const bool decoupled = op.kind == static_cast<int>(OptimizerKind::AdamW);
  T* copy = static_cast<T*>(p.copy);
  unsigned long long updated = 0, stalled = 0;
  bool nonfinite = false;
  for (int c = blockIdx.x; c < num_chunks; c += gridDim.x) {
    const ChunkDesc ch = chunks[c];
    const float wd = ch.decay ? static_cast<float>(op.weight_decay) : 0.0f;
    for (int i = threadIdx.x; i < ch.n; i += blockDim.x) {
      const std::int64_t idx = ch.start + i;
      float g = p.grad32[idx];
      if (ctl.apply_clip) g *= ctl.clip_factor;
      const float old = p.master[idx];
      float fresh;
      if (op.kind == static_cast<int>(OptimizerKind::SGD)) {
        if (op.momentum == 0.0) {
          fresh = old - lr * (g + wd * old);
        } else {
          const float d = g + wd * old;
          const float buf = ctl.sgd_keep * p.state_m[idx] + ctl.sgd_take * d;
          p.state_m[idx] = buf;
          fresh = op.nesterov ? old - lr * (d + momentum * buf) : old - lr * buf;
        }
      } else {
        const float l2 = decoupled ? 0.0f : wd;
        const float shrink = (decoupled && ch.decay) ? ctl.shrink : 1.0f;
        const float w = old * shrink;
        const float grad = g + l2 * w;
        float m = p.state_m[idx];
        m += one_minus_b1 * (grad - m);
        const float v = b2 * p.state_v[idx] + one_minus_b2 * grad * grad;
        p.state_m[idx] = m;
        p.state_v[idx] = v;
        const float denom = sqrtf(v) / ctl.bc2_sqrt + eps;
        fresh = w - ctl.step_size * (m / denom);
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
      nonfinite |= !isfinite(next);
    }
  }
  updated = warpSumU(updated);
  stalled = warpSumU(stalled);
  if ((threadIdx.x & 31) == 0) {
    if (updated) atomicAdd(&st->accum.updated, updated);
    if (stalled) atomicAdd(&st->accum.stalled, stalled);
  }
  if (nonfinite) atomicExch(&st->accum.weights_nonfinite, 1);
}

__global__ void finalizeKernel(StepState* st, std::int64_t batch) {
  StepDeviceRecord& r = st->record;
  StepAccum& a = st->accum;
  r.loss = a.loss_sum / static_cast<double>(batch);
  r.correct = a.correct;
  r.total = a.counts.total;
  r.underflow = a.counts.underflow;
  r.subnormal = a.counts.subnormal;
  r.overflow = a.counts.overflow;
  r.updated = a.updated;
  r.stalled = a.stalled;
  r.weights_nonfinite = a.weights_nonfinite;
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

ScalerParams scalerParamsFrom(const ScalerConfig& c) {
  return {static_cast<int>(c.flavour), c.growth_factor, c.backoff_factor, c.min_scale,
          c.max_scale, c.growth_interval, c.hysteresis, c.consecutive_hysteresis ? 1 : 0,
          c.raise_at_min ? 1 : 0};
}

ScalerState initialScalerState(const ScalerConfig& c) {
  ScalerState s{};
  s.scale = c.flavour == ScalerFlavour::None ? 1.0f : static_cast<float>(c.init_scale);
  s.hysteresis = usesHysteresis(c.flavour) ? c.hysteresis : 0;
  return s;
}

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

void stepControl(const ScalerParams& sp, bool scaler_enabled, const OptimParams& op,
                 const double* lr_table, std::int64_t lr_count, StepState* st, cudaStream_t s) {
  stepControlKernel<<<1, 1, 0, s>>>(sp, scaler_enabled, op, lr_table, lr_count, st);
  HL_LAUNCHED();
}

void optimizerUpdate(const FlatParams& p, const ChunkDesc* chunks, int num_chunks,
                     const OptimParams& op, StepState* st, cudaStream_t s) {
  HL_DISPATCH(p.low, optimizerKernel<T><<<chunkGrid(num_chunks), kBlock, 0, s>>>(p, chunks, num_chunks, op, st));
  HL_LAUNCHED();
}

void finalizeStep(StepState* st, std::int64_t batch, cudaStream_t s) {
  finalizeKernel<<<1, 1, 0, s>>>(st, batch);
  HL_LAUNCHED();
}

}  // namespace halflab::cuda

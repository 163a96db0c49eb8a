#pragma once
// The per-step bookkeeping that runs on the device with no host synchronisation:
// multi-tensor unscale + finite check + norm, the loss-scaler update (all flavours of
// docs/ARCHITECTURE.md 2.2, the semantics of engine/precision/loss_scaler.cpp), the fused optimizer
// update on the fp32 master (writing the low-format working copy), and the step record.
#include "engine/backend/cuda/cuda_kernels.cuh"
#include "engine/optim/optimizer.hpp"
#include "engine/optim/update_rule.hpp"
#include "engine/precision/loss_scaler.hpp"

namespace halflab::cuda {

// A piece of one parameter in the flat parameter arrays (multi-tensor apply).
struct ChunkDesc {
  std::int64_t start;
  std::int32_t n;
  std::uint8_t low_grad;  // the gradient arrives in the low format (else fp32 already)
  std::uint8_t decay;     // weight decay applies
  std::uint8_t has_copy;  // a low-format working copy is refreshed from the master
};
constexpr std::int32_t kChunkElements = 4096;

struct OptimParams {
  int kind;  // OptimizerKind
  double momentum, dampening, weight_decay, beta1, beta2, eps;
  int nesterov;
  double clip;     // 0 = off
  int store_low;   // fp16-pure: results are rounded to the low format
};
OptimParams optimParamsFrom(const OptimizerConfig& c, double clip, bool store_low);

// Accumulated while the step runs; cleared by finalizeStep.
struct StepAccum {
  RoundCounters counts;
  double loss_sum;
  unsigned long long correct;
  double norm_sq;
  unsigned long long updated, stalled;
  unsigned long long zero_grads;  // weight-gradient elements exactly zero before unscaling
  int found_inf;
};

// Decided once per step by stepControl, read by the optimizer.
struct StepControl {
  int skipped, apply_clip;
  float clip_factor;
  UpdateCoeffs coeffs;  // engine/optim/update_rule.hpp, as on the CPU
};

// What reaches the host for each step (copied to pinned memory asynchronously).
struct StepDeviceRecord {
  double loss, grad_norm, lr, scale_before, scale_after;
  unsigned long long correct, total, underflow, subnormal, overflow, updated, stalled, zero_grads;
  long long applied;  // applied optimizer steps after this one
  int found_inf, skipped, growth_tracker, hysteresis, scaler_error;
};

// All device-side state of the step loop, in one allocation.
struct StepState {
  StepAccum accum;
  StepControl control;
  StepDeviceRecord record;
  ScalerRuleState scaler;
  int scaler_error;  // deepspeed raise_at_min fired; the host raises ScalerError
  long long applied;
  unsigned long long rng_step;
  int cursor;  // batch index within the epoch
  double eval_loss_sum;
  unsigned long long eval_correct;
};

struct FlatParams {
  float* master;          // fp32 values (fp16-exact in fp16-pure)
  void* copy;             // low working copy (nullable)
  void* grad_low;         // low gradients (nullable)
  float* grad32;          // unscaled fp32 gradients
  float* state_m;         // SGD momentum buffer / Adam m (nullable)
  float* state_v;         // Adam v (nullable)
  DType low;              // type of copy / grad_low / store rounding
};

void unscaleCheckNorm(const FlatParams& p, const ChunkDesc* chunks, int num_chunks,
                      bool scaler_enabled, StepState* st, cudaStream_t s);
void stepControl(const ScalerConfig& sc, bool scaler_enabled, const OptimParams& op,
                 const double* lr_table, std::int64_t lr_count, StepState* st, cudaStream_t s);
void optimizerUpdate(const FlatParams& p, const ChunkDesc* chunks, int num_chunks,
                     const OptimParams& op, StepState* st, cudaStream_t s);
// The step's loss is loss_sum / denominator (in fp32 when fp32_loss: MSE).
void finalizeStep(StepState* st, std::int64_t denominator, bool fp32_loss, cudaStream_t s);

}  // namespace halflab::cuda

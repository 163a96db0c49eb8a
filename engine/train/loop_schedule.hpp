#pragma once
// The training-loop schedule shared by the CPU RunLoop (engine/train/trainer.cpp) and the
// CUDA run (engine/backend/cuda/cuda_run.cu): which steps emit histograms, which steps
// evaluate, how large an evaluation batch is. One definition, so the two backends cannot
// drift apart (they used to carry copies of these rules and constants).
#include <algorithm>
#include <cstdint>

namespace halflab {

// Log2-histogram exponent range of every histogram record (docs/ARCHITECTURE.md 2.3):
// wide enough for fp32 gradients down to 2^-40 and activations up to 2^16.
inline constexpr int kHistogramMinExp = -40;
inline constexpr int kHistogramMaxExp = 16;
inline constexpr int kHistogramBins = kHistogramMaxExp - kHistogramMinExp + 1;

// Evaluation never runs in batches smaller than this, so a small training batch does
// not make evaluation slow; larger training batches are kept as they are.
inline constexpr std::int64_t kMinEvalBatch = 500;

inline std::int64_t evalBatchSize(std::int64_t train_batch) {
  return std::max<std::int64_t>(train_batch, kMinEvalBatch);
}

// Histograms on the first step (the starting spread) and every `every` steps; 0 = never.
inline bool isHistogramStep(std::int64_t step, std::int64_t every) {
  return every > 0 && (step == 1 || step % every == 0);
}

// With eval_every > 0: every eval_every steps and on the last step; otherwise at each
// epoch end.
inline bool isEvalStep(std::int64_t step, std::int64_t eval_every, std::int64_t total_steps,
                       bool epoch_end) {
  return eval_every > 0 ? (step % eval_every == 0 || step == total_steps) : epoch_end;
}

}  // namespace halflab

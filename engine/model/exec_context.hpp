#pragma once
// What every layer needs to know while running: the precision policy (where to round),
// train/eval mode, the dropout RNG, and the counters of low-format gradient rounding.
#include <cstdint>
#include <random>
#include <vector>

#include "engine/numeric/format.hpp"
#include "engine/precision/precision_mode.hpp"
#include "engine/tensor/tensor.hpp"

namespace halflab {

struct ExecContext {
  PrecisionPolicy policy;
  bool training = true;
  std::mt19937_64 rng{1};
  RoundingCounts grad_counts;  // reset by the trainer every step
  // Sequence inputs ([N, T] token ids, [N, T, F] features): the real steps of each sample
  // in the current batch, steps [0, length) (post-padded; pre-padded sets pass none). Empty: every sample uses all T steps.
  // Length-aware ops (recurrent layers, pooling over time, attention masks) read it.
  std::vector<std::int32_t> lengths;

  // Activations and other op outputs are stored in the compute format.
  void roundOutput(Tensor& t) const {
    if (policy.compute != Format::FP32) roundBuffer(policy.compute, t.ptr(), t.data.size());
    t.format = policy.compute;
  }
  // Gradients are stored in the compute format; what the rounding lost is counted.
  void roundGradient(Tensor& t) {
    if (policy.compute != Format::FP32)
      roundBufferCounted(policy.compute, t.ptr(), t.data.size(), grad_counts);
    t.format = policy.compute;
  }
  // GEMM/conv inputs: already exact in fp16/bf16 modes; TF32 mode rounds a copy.
  const float* gemmInput(const Tensor& t, std::vector<float>& scratch) const {
    return gemmInput(t.ptr(), t.data.size(), scratch);
  }
  const float* gemmInput(const float* p, std::size_t n, std::vector<float>& scratch) const {
    if (policy.gemm_input != Format::TF32) return p;
    scratch.resize(n);
    roundCopy(Format::TF32, p, scratch.data(), n);
    return scratch.data();
  }
};

}  // namespace halflab

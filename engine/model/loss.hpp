#pragma once
// Losses run in fp32 whatever the mode (autocast's fp32 list). The gradient they start
// the backward pass with is multiplied by grad_scale (loss scale x loss weight) in fp32
// and then stored in the compute format: activation gradients are low-format and scaled.
#include <cstdint>
#include <vector>

#include "engine/model/exec_context.hpp"

namespace halflab {

struct LossResult {
  double loss = 0;             // mean loss (unscaled)
  std::int64_t correct = 0;    // argmax == label
};

// Fused softmax + cross-entropy over logits [N, C].
LossResult softmaxCrossEntropy(const Tensor& logits, const std::vector<std::int32_t>& labels,
                               double grad_scale, Tensor* dlogits, ExecContext& ctx);
// Mean squared error against one-hot targets, mean over N*C.
LossResult mseOneHot(const Tensor& outputs, const std::vector<std::int32_t>& labels,
                     double grad_scale, Tensor* doutputs, ExecContext& ctx);

}  // namespace halflab

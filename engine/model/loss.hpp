#pragma once
// Losses run in fp32 whatever the mode (autocast's fp32 list). The gradient they start
// the backward pass with is multiplied by grad_scale (loss scale x loss weight) in fp32
// and then stored in the compute format: activation gradients are low-format and scaled.
#include <cstdint>
#include <string>
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

// Binary cross-entropy on logits [N, 1] against targets 0/1 (the class index of a
// two-class set), in fp32 as PyTorch's BCEWithLogitsLoss (mean, the log-sum-exp form
// max(x, 0) - x y + log1p(exp(-|x|)), stable for any logit); correct: (x > 0) == y.
LossResult bceWithLogits(const Tensor& logits, const std::vector<std::int32_t>& labels, double grad_scale,
                         Tensor* dlogits, ExecContext& ctx);

// The losses a run config names (training.loss), in the order the UI lists them.
const std::vector<std::string>& lossNames();
// `name` one of lossNames(); std::invalid_argument otherwise.
LossResult computeLoss(const std::string& name, const Tensor& outputs, const std::vector<std::int32_t>& labels,
                       double grad_scale, Tensor* doutputs, ExecContext& ctx);
// How many outputs per sample the model must give for this loss and class count.
int lossOutputs(const std::string& name, int num_classes);

}  // namespace halflab

#include "engine/train/model_fit.hpp"

#include <algorithm>
#include <stdexcept>

#include "engine/model/loss.hpp"
#include "engine/train/loop_schedule.hpp"
#include "engine/tensor/memory_budget.hpp"

namespace halflab {
namespace {

int widthOf(Format f) {
  switch (f) {
    case Format::FP16:
    case Format::BF16: return 2;
    case Format::E4M3:
    case Format::E5M2: return 1;
    default: return 4;
  }
}

int optimizerStates(const OptimizerConfig& o) {
  if (o.kind == OptimizerKind::SGD) return o.momentum != 0.0 ? 1 : 0;
  return 2;  // Adam, AdamW: first and second moments
}

}  // namespace

ModelPlan planModelFor(const RunConfig& cfg, const Shape& sample_shape, int num_classes) {
  try {
    const int outputs = lossOutputs(cfg.training.loss, num_classes);
    if (cfg.training.loss == "bce-with-logits" && num_classes != 2)
      throw ConfigError("training.loss", "bce-with-logits needs a two-class set; " + cfg.dataset.kind + " has " +
                                             std::to_string(num_classes) + " classes");
    ModelPlan plan = planModel(cfg.model, sample_shape, outputs, cfg.dataset.isTextKind() ? DType::I32 : DType::F32);
    if (cfg.dataset.isTextKind()) {
      // Token ids run up to vocab_size + 1 (0 is padding, 1 unknown words): a table that
      // stops short would fail on the first rare word, so say it before training starts.
      const std::int64_t ids = cfg.dataset.vocab_size + 2;
      for (const auto& l : plan.layers)
        if (l.def->token_input && l.node.attrs.value("vocab", std::int64_t{0}) < ids)
          throw ConfigError("model", l.name + ": vocab " + std::to_string(l.node.attrs.value("vocab", std::int64_t{0})) +
                                         " is too small for the data's " + std::to_string(ids) + " token ids (dataset.vocab_size " +
                                         std::to_string(cfg.dataset.vocab_size) + " words, plus padding 0 and unknown 1)");
    }
    return plan;
  } catch (const ShapeInferenceError& e) {
    throw ConfigError("model", e.what());
  } catch (const ShapeError& e) {
    throw ConfigError("model", e.what());
  } catch (const std::invalid_argument& e) {
    throw ConfigError("", e.what());  // already names its field ("model.preset: ...")
  }
}

ElementSizes hostElementSizes(const RunConfig& cfg) {
  const PrecisionPolicy policy = policyFor(cfg.precision.mode);
  ElementSizes s;
  s.working_copy = policy.master_weights ? 4 : 0;
  s.optimizer_states = optimizerStates(cfg.optimizer);
  s.gemm_scratch = policy.gemm_input == Format::TF32;
  s.layer_buffers = true;
  s.gradient_snapshot = policy.low_precision() && cfg.training.histogram_every > 0;
  return s;
}

ElementSizes deviceElementSizes(const RunConfig& cfg) {
  const PrecisionPolicy policy = policyFor(cfg.precision.mode);
  const int low = widthOf(policy.compute);
  ElementSizes s;
  s.weight = !policy.master_weights && policy.low_precision() ? low : 4;
  s.working_copy = policy.master_weights ? low : 0;
  s.gradient = low;
  s.activation = low;
  s.optimizer_states = optimizerStates(cfg.optimizer);
  return s;
}

std::int64_t evaluationBatchSize(const RunConfig& cfg) {
  return evalBatchSize(cfg.training.batch_size);
}

MemoryEstimate hostMemoryEstimate(const RunConfig& cfg, const ModelPlan& plan) {
  return estimateMemory(plan, cfg.training.batch_size, evaluationBatchSize(cfg), hostElementSizes(cfg));
}

void requireMemoryFor(const MemoryEstimate& need) {
  MemoryBudget budget;
  try {
    budget = availableMemory();
  } catch (const std::invalid_argument& e) {
    throw ConfigError("", e.what());  // names the environment variable
  }
  if (budget.bytes < 0 || need.total <= budget.bytes) return;
  throw ConfigError("model", "needs about " + formatBytes(need.total) + " (" + need.largest.what + " alone " +
                                 formatBytes(need.largest.bytes) + ") but " + formatBytes(budget.bytes) +
                                 " is available (" + budget.source + "); use smaller layers or a smaller batch");
}

}  // namespace halflab

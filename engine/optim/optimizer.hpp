#pragma once
// Optimizers act on fp32 values: the master weights in the amp modes, or the stored
// fp16 weights in fp16-pure, where the result is rounded back to the store format
// (so updates below ~2^-11 of the weight are lost: the stagnation users must see).
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/numeric/format.hpp"

namespace halflab {

enum class OptimizerKind { SGD, Adam, AdamW };
std::string_view optimizerKindName(OptimizerKind k);
std::optional<OptimizerKind> parseOptimizerKind(std::string_view name);

struct OptimizerConfig {
  OptimizerKind kind = OptimizerKind::Adam;
  double momentum = 0.0;      // SGD
  bool nesterov = false;      // SGD
  double dampening = 0.0;     // SGD
  double weight_decay = 0.0;  // SGD/Adam: L2 added to the gradient; AdamW: decoupled
  double beta1 = 0.9, beta2 = 0.999, eps = 1e-8;
};

struct OptimParam {
  float* value = nullptr;      // updated in place
  const float* grad = nullptr; // unscaled fp32 gradient
  std::size_t size = 0;
  bool apply_weight_decay = true;  // off for biases and norm parameters
};

struct UpdateCounts {
  std::int64_t updated = 0;  // elements with a non-zero intended update
  std::int64_t stalled = 0;  // of those, elements whose stored value did not change
};

class Optimizer {
 public:
  virtual ~Optimizer() = default;
  // One update of every parameter (same order and sizes every call). The result of each
  // element is rounded to store_format (FP32 = no rounding).
  virtual UpdateCounts step(const std::vector<OptimParam>& params, double lr,
                            Format store_format) = 0;
  static std::unique_ptr<Optimizer> create(const OptimizerConfig& cfg);
};

// Global L2 norm over all gradients (double accumulation).
double globalGradNorm(const std::vector<OptimParam>& params);

}  // namespace halflab

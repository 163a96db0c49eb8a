#pragma once
// Loss scalers with the exact semantics of docs/ARCHITECTURE.md 2.2. Each flavour mirrors a reference
// implementation (PyTorch GradScaler, Apex, tf.keras LossScaleOptimizer, DeepSpeed,
// Megatron-LM); every parameter can be overridden.
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "engine/precision/scaler_rule.hpp"

namespace halflab {

std::string_view scalerFlavourName(ScalerFlavour f);           // "pytorch", "tf-keras", ...
std::optional<ScalerFlavour> parseScalerFlavour(std::string_view name);
// Every flavour's name, in table order: what the GUI and CLI offer.
std::vector<std::string> scalerFlavourNames();

// The defaults of each flavour's reference implementation.
ScalerConfig defaultScalerConfig(ScalerFlavour f);

// One rule a scaler config breaks; `field` as in ScalerConfig ("growth_factor").
struct ScalerConfigIssue {
  std::string field;
  std::string rule;  // e.g. "must be a finite number > 1"
  double got = 0;
};
// The one set of limits for scaler parameters, used by LossScaler (which checks what the
// flavour uses) and by RunConfig::validate (every_field: a config names every parameter,
// whatever its flavour), so the two can never disagree.
std::vector<ScalerConfigIssue> scalerConfigIssues(const ScalerConfig& c, bool every_field = false);

class ScalerError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// One step of the scaler's trace (what `halflab-cli scaler` prints and the records carry).
struct ScalerStep {
  bool found_inf = false;
  bool skipped = false;
  double scale_before = 1;
  double scale_after = 1;
  int growth_tracker = 0;   // after the update
  int hysteresis = 0;       // after the update
};

class LossScaler {
 public:
  explicit LossScaler(ScalerConfig cfg);
  const ScalerConfig& config() const { return cfg_; }
  bool enabled() const { return cfg_.flavour != ScalerFlavour::None; }
  float scale() const { return state_.scale; }
  // 1/S computed in double then rounded to fp32, as PyTorch's unscale does.
  float inverseScale() const;
  int growthTracker() const { return state_.growth_tracker; }
  int hysteresis() const { return state_.hysteresis; }
  // Called after each backward with whether any unscaled fp32 gradient is non-finite.
  // Returns the step's trace; throws ScalerError when configured to fail at min scale.
  ScalerStep update(bool found_inf);

 private:
  ScalerConfig cfg_;
  ScalerRuleState state_;
  long long updates_ = 0;  // update() calls so far (names the step in errors)
};

// Drive a scaler through `steps` steps where the 1-based steps listed in overflow_steps
// report found_inf; the what-if tool behind `halflab-cli scaler` and the scaler tests.
std::vector<ScalerStep> simulateScaler(const ScalerConfig& cfg, long long steps,
                                       const std::vector<long long>& overflow_steps);

}  // namespace halflab

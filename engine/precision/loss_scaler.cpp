#include "engine/precision/loss_scaler.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <sstream>
#include <utility>

namespace halflab {
namespace {

constexpr std::array<std::pair<ScalerFlavour, std::string_view>, 7> kFlavourNames{{
    {ScalerFlavour::None, "none"},
    {ScalerFlavour::Static, "static"},
    {ScalerFlavour::PyTorch, "pytorch"},
    {ScalerFlavour::Apex, "apex"},
    {ScalerFlavour::TfKeras, "tf-keras"},
    {ScalerFlavour::DeepSpeed, "deepspeed"},
    {ScalerFlavour::Megatron, "megatron"},
}};

bool isDynamic(ScalerFlavour f) {
  return f != ScalerFlavour::None && f != ScalerFlavour::Static;
}

[[noreturn]] void badConfig(ScalerFlavour f, std::string_view field, std::string_view rule,
                            double got) {
  std::ostringstream msg;
  msg << "loss scaler '" << scalerFlavourName(f) << "': " << field << ' ' << rule << " (got "
      << got << ')';
  throw std::invalid_argument(msg.str());
}

void validate(const ScalerConfig& c) {
  const auto issues = scalerConfigIssues(c);
  if (!issues.empty()) badConfig(c.flavour, issues.front().field, issues.front().rule, issues.front().got);
}

}  // namespace

std::vector<ScalerConfigIssue> scalerConfigIssues(const ScalerConfig& c, bool every_field) {
  std::vector<ScalerConfigIssue> v;
  const auto need = [&](bool ok, const char* field, const char* rule, double got) {
    if (!ok) v.push_back({field, rule, got});
  };
  const auto f = c.flavour;
  if (f == ScalerFlavour::None && !every_field) return v;  // the scale is always 1
  const double fp32_max = std::numeric_limits<float>::max();
  need(c.init_scale > 0.0 && c.init_scale <= fp32_max, "init_scale",
       "must be positive and fit in fp32", c.init_scale);
  if (!isDynamic(f) && !every_field) return v;
  need(c.growth_factor > 1.0 && std::isfinite(c.growth_factor), "growth_factor",
       "must be a finite number > 1", c.growth_factor);
  need(c.backoff_factor > 0.0 && c.backoff_factor < 1.0, "backoff_factor", "must be in (0, 1)",
       c.backoff_factor);
  need(c.growth_interval >= 1, "growth_interval", "must be >= 1", c.growth_interval);
  need(c.min_scale >= 0.0 && c.min_scale <= fp32_max, "min_scale",
       "must be >= 0 and fit in fp32 (0 = no floor)", c.min_scale);
  need(c.max_scale >= 0.0 && c.max_scale <= fp32_max, "max_scale",
       "must be >= 0 and fit in fp32 (0 = no cap)", c.max_scale);
  if (c.max_scale > 0.0 && c.min_scale > c.max_scale)
    v.push_back({"min_scale", "must not exceed max_scale", c.min_scale});
  if (scalerUsesHysteresis(f) || every_field)
    need(c.hysteresis >= 1, "hysteresis", "must be >= 1", c.hysteresis);
  return v;
}

std::string_view scalerFlavourName(ScalerFlavour f) {
  for (const auto& [flavour, name] : kFlavourNames)
    if (flavour == f) return name;
  return "unknown";
}

std::optional<ScalerFlavour> parseScalerFlavour(std::string_view name) {
  for (const auto& [flavour, flavour_name] : kFlavourNames)
    if (flavour_name == name) return flavour;
  return std::nullopt;
}

std::vector<std::string> scalerFlavourNames() {
  std::vector<std::string> out;
  for (const auto& [flavour, flavour_name] : kFlavourNames) out.emplace_back(flavour_name);
  return out;
}

ScalerConfig defaultScalerConfig(ScalerFlavour f) {
  ScalerConfig c;
  c.flavour = f;
  switch (f) {
    case ScalerFlavour::None:
    case ScalerFlavour::Static:
      c.init_scale = 1.0;
      break;
    case ScalerFlavour::PyTorch:  // torch.amp.GradScaler
      c.init_scale = 65536.0;
      c.growth_interval = 2000;
      break;
    case ScalerFlavour::Apex:  // apex.amp LossScaler("dynamic")
      c.init_scale = 65536.0;
      c.max_scale = 16777216.0;  // 2^24
      c.growth_interval = 2000;
      break;
    case ScalerFlavour::TfKeras:  // tf.keras.mixed_precision.LossScaleOptimizer
      c.init_scale = 32768.0;
      c.min_scale = 1.0;
      c.growth_interval = 2000;
      break;
    case ScalerFlavour::DeepSpeed:  // deepspeed fp16 config defaults
      c.init_scale = 65536.0;
      c.min_scale = 1.0;
      c.hysteresis = 2;
      c.growth_interval = 1000;  // loss_scale_window
      c.consecutive_hysteresis = false;
      c.raise_at_min = false;
      break;
    case ScalerFlavour::Megatron:  // megatron DynamicGradScaler via its arguments
      c.init_scale = 4294967296.0;  // 2^32
      c.min_scale = 1.0;
      c.hysteresis = 2;
      c.growth_interval = 1000;
      break;
  }
  return c;
}

LossScaler::LossScaler(ScalerConfig cfg) : cfg_(cfg), state_(initialScalerRuleState(cfg)) {
  validate(cfg_);
}

float LossScaler::inverseScale() const {
  return static_cast<float>(1.0 / static_cast<double>(state_.scale));
}

ScalerStep LossScaler::update(bool found_inf) {
  ScalerStep step;
  step.found_inf = found_inf;
  step.skipped = found_inf;  // every flavour, static and none included, skips the step
  step.scale_before = state_.scale;
  if (!applyScalerRule(cfg_, state_, found_inf)) {
    std::ostringstream msg;
    msg << "deepspeed loss scaler: gradient overflow at step " << (updates_ + 1)
        << " while the loss scale is already at its minimum " << state_.scale
        << " (min_scale); cannot back off further and raise_at_min is set";
    throw ScalerError(msg.str());
  }
  ++updates_;
  step.scale_after = state_.scale;
  step.growth_tracker = state_.growth_tracker;
  step.hysteresis = state_.hysteresis;
  return step;
}

std::vector<ScalerStep> simulateScaler(const ScalerConfig& cfg, long long steps,
                                       const std::vector<long long>& overflow_steps) {
  if (steps < 0)
    throw std::invalid_argument("scaler simulation: steps must be >= 0 (got " +
                                std::to_string(steps) + ")");
  std::vector<long long> overflows = overflow_steps;
  std::sort(overflows.begin(), overflows.end());
  overflows.erase(std::unique(overflows.begin(), overflows.end()), overflows.end());
  if (!overflows.empty() && (overflows.front() < 1 || overflows.back() > steps)) {
    const long long bad = overflows.front() < 1 ? overflows.front() : overflows.back();
    throw std::invalid_argument("scaler simulation: overflow step " + std::to_string(bad) +
                                " is outside 1.." + std::to_string(steps));
  }

  LossScaler scaler(cfg);
  std::vector<ScalerStep> trace;
  trace.reserve(static_cast<std::size_t>(steps));
  auto next_overflow = overflows.begin();
  for (long long step = 1; step <= steps; ++step) {
    const bool found_inf = next_overflow != overflows.end() && *next_overflow == step;
    if (found_inf) ++next_overflow;
    trace.push_back(scaler.update(found_inf));
  }
  return trace;
}

}  // namespace halflab

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

bool usesHysteresis(ScalerFlavour f) {
  return f == ScalerFlavour::DeepSpeed || f == ScalerFlavour::Megatron;
}

[[noreturn]] void badConfig(ScalerFlavour f, std::string_view field, std::string_view rule,
                            double got) {
  std::ostringstream msg;
  msg << "loss scaler '" << scalerFlavourName(f) << "': " << field << ' ' << rule << " (got "
      << got << ')';
  throw std::invalid_argument(msg.str());
}

void validate(const ScalerConfig& c) {
  const auto f = c.flavour;
  if (f == ScalerFlavour::None) return;  // the scale is always 1; nothing to check
  const double fp32_max = std::numeric_limits<float>::max();
  if (!(c.init_scale > 0.0) || !(c.init_scale <= fp32_max))
    badConfig(f, "init_scale", "must be positive and fit in fp32", c.init_scale);
  if (!isDynamic(f)) return;
  if (!(c.growth_factor > 1.0) || !std::isfinite(c.growth_factor))
    badConfig(f, "growth_factor", "must be a finite number > 1", c.growth_factor);
  if (!(c.backoff_factor > 0.0 && c.backoff_factor < 1.0))
    badConfig(f, "backoff_factor", "must be in (0, 1)", c.backoff_factor);
  if (c.growth_interval < 1)
    badConfig(f, "growth_interval", "must be >= 1", c.growth_interval);
  if (!(c.min_scale >= 0.0) || !(c.min_scale <= fp32_max))
    badConfig(f, "min_scale", "must be >= 0 and fit in fp32 (0 = no floor)", c.min_scale);
  if (!(c.max_scale >= 0.0) || !(c.max_scale <= fp32_max))
    badConfig(f, "max_scale", "must be >= 0 and fit in fp32 (0 = no cap)", c.max_scale);
  if (c.max_scale > 0.0 && c.min_scale > c.max_scale)
    badConfig(f, "min_scale", "must not exceed max_scale", c.min_scale);
  if (usesHysteresis(f) && c.hysteresis < 1)
    badConfig(f, "hysteresis", "must be >= 1", c.hysteresis);
}

}  // namespace

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

LossScaler::LossScaler(ScalerConfig cfg) : cfg_(cfg) {
  validate(cfg_);
  scale_ = cfg_.flavour == ScalerFlavour::None ? 1.0f : static_cast<float>(cfg_.init_scale);
  hysteresis_ = usesHysteresis(cfg_.flavour) ? cfg_.hysteresis : 0;
}

float LossScaler::inverseScale() const {
  return static_cast<float>(1.0 / static_cast<double>(scale_));
}

namespace {

// The arithmetic is done in double and rounded once to fp32, as PyTorch's CPU kernel does
// (float scale times a double factor, stored back as float).
float backedOff(float scale, const ScalerConfig& c) {
  float next = static_cast<float>(static_cast<double>(scale) * c.backoff_factor);
  if (c.min_scale > 0.0) next = std::max(next, static_cast<float>(c.min_scale));
  return next;
}

// A grown scale that is not finite in fp32 is refused (GradScaler and tf.keras do this
// explicitly; for the others it is the price of holding the scale in fp32).
float grown(float scale, const ScalerConfig& c) {
  double next = static_cast<double>(scale) * c.growth_factor;
  if (c.max_scale > 0.0) next = std::min(next, c.max_scale);
  const float next32 = static_cast<float>(next);
  return std::isfinite(next32) ? next32 : scale;
}

}  // namespace

ScalerStep LossScaler::update(bool found_inf) {
  ScalerStep step;
  step.found_inf = found_inf;
  step.skipped = found_inf;  // every flavour, static and none included, skips the step
  step.scale_before = scale_;

  switch (cfg_.flavour) {
    case ScalerFlavour::None:
    case ScalerFlavour::Static:
      break;

    // GradScaler (_amp_update_scale_), apex DynamicLossScaler.update_scale and tf.keras
    // DynamicLossScale.update share one shape; their limits live in the config.
    case ScalerFlavour::PyTorch:
    case ScalerFlavour::Apex:
    case ScalerFlavour::TfKeras:
      if (found_inf) {
        scale_ = backedOff(scale_, cfg_);
        growth_tracker_ = 0;
      } else if (++growth_tracker_ == cfg_.growth_interval) {
        scale_ = grown(scale_, cfg_);
        growth_tracker_ = 0;
      }
      break;

    // DeepSpeed DynamicLossScaler.update_scale. Its test for growth is
    // (cur_iter - last_overflow_iter) % scale_window == 0 with last_overflow_iter
    // starting at -1, which is exactly "clean steps since the last overflow (or since the
    // start) is a multiple of the window": stable_steps_.
    case ScalerFlavour::DeepSpeed:
      if (found_inf) {
        if (cfg_.hysteresis == 1 || hysteresis_ == 1) {
          if (cfg_.raise_at_min && scale_ == static_cast<float>(cfg_.min_scale)) {
            std::ostringstream msg;
            msg << "deepspeed loss scaler: gradient overflow at step " << (updates_ + 1)
                << " while the loss scale is already at its minimum " << scale_
                << " (min_scale); cannot back off further and raise_at_min is set";
            throw ScalerError(msg.str());
          }
          scale_ = backedOff(scale_, cfg_);
        } else {
          hysteresis_ -= 1;
        }
        stable_steps_ = 0;
      } else {
        if (cfg_.consecutive_hysteresis) hysteresis_ = cfg_.hysteresis;
        stable_steps_ += 1;
        if (stable_steps_ % cfg_.growth_interval == 0) {
          if (!cfg_.consecutive_hysteresis) hysteresis_ = cfg_.hysteresis;
          scale_ = grown(scale_, cfg_);
        }
      }
      growth_tracker_ = static_cast<int>(stable_steps_ % cfg_.growth_interval);
      break;

    // Megatron-LM DynamicGradScaler.update: the hysteresis tracker is only refilled by a
    // growth, so it keeps falling (below zero) through a burst of overflows.
    case ScalerFlavour::Megatron:
      if (found_inf) {
        growth_tracker_ = 0;
        hysteresis_ -= 1;
        if (hysteresis_ <= 0) scale_ = backedOff(scale_, cfg_);
      } else if (++growth_tracker_ == cfg_.growth_interval) {
        growth_tracker_ = 0;
        hysteresis_ = cfg_.hysteresis;
        scale_ = grown(scale_, cfg_);
      }
      break;
  }

  ++updates_;
  step.scale_after = scale_;
  step.growth_tracker = growth_tracker_;
  step.hysteresis = hysteresis_;
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

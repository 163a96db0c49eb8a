#pragma once
// The loss-scaler configuration and its per-step update rule (docs/ARCHITECTURE.md 2.2) on plain data.
// The CPU LossScaler and the CUDA step kernel both call applyScalerRule, so the two
// backends produce the same scale trace from the same found_inf sequence.
#include "engine/numeric/host_device.hpp"

namespace halflab {

enum class ScalerFlavour { None, Static, PyTorch, Apex, TfKeras, DeepSpeed, Megatron };

struct ScalerConfig {
  ScalerFlavour flavour = ScalerFlavour::None;
  double init_scale = 1.0;
  double growth_factor = 2.0;
  double backoff_factor = 0.5;
  int growth_interval = 2000;       // clean steps before growth (deepspeed: scale_window)
  double min_scale = 0.0;           // 0 = no floor
  double max_scale = 0.0;           // 0 = no cap beyond fp32 max
  int hysteresis = 1;               // deepspeed/megatron delayed shift
  bool consecutive_hysteresis = false;  // deepspeed: refill h on every clean step
  bool raise_at_min = false;        // deepspeed: error when overflowing at min scale
};

// What the rule carries from step to step.
struct ScalerRuleState {
  float scale = 1.0f;
  int growth_tracker = 0;
  int hysteresis = 0;
  long long stable_steps = 0;  // deepspeed: clean steps since the last overflow
};

HL_HOST_DEVICE inline bool scalerUsesHysteresis(ScalerFlavour f) {
  return f == ScalerFlavour::DeepSpeed || f == ScalerFlavour::Megatron;
}

HL_HOST_DEVICE inline ScalerRuleState initialScalerRuleState(const ScalerConfig& c) {
  ScalerRuleState s;
  s.scale = c.flavour == ScalerFlavour::None ? 1.0f : static_cast<float>(c.init_scale);
  s.hysteresis = scalerUsesHysteresis(c.flavour) ? c.hysteresis : 0;
  return s;
}

// The arithmetic is done in double and rounded once to fp32, as PyTorch's CPU kernel does
// (float scale times a double factor, stored back as float).
HL_HOST_DEVICE inline float scalerBackedOff(float scale, const ScalerConfig& c) {
  float next = static_cast<float>(static_cast<double>(scale) * c.backoff_factor);
  if (c.min_scale > 0.0) {
    const float floor = static_cast<float>(c.min_scale);
    if (next < floor) next = floor;
  }
  return next;
}

// A scale that one more back-off would not lower: 0, the min_scale floor, or the fp32
// rounding floor of a backoff_factor near 1. A dynamic scaler there that still overflows
// has nowhere left to go (RunBookkeeper's collapse rule).
HL_HOST_DEVICE inline bool scalerAtFloor(float scale, const ScalerConfig& c) {
  return !(scalerBackedOff(scale, c) < scale);
}

// A grown scale that is not finite in fp32 is refused (GradScaler and tf.keras do this
// explicitly; for the others it is the price of holding the scale in fp32).
HL_HOST_DEVICE inline float scalerGrown(float scale, const ScalerConfig& c) {
  double next = static_cast<double>(scale) * c.growth_factor;
  if (c.max_scale > 0.0 && c.max_scale < next) next = c.max_scale;
  const float next32 = static_cast<float>(next);
  return isFiniteF(next32) ? next32 : scale;
}

// One step of the rule. Returns false, leaving the state unchanged, when deepspeed with
// raise_at_min overflows at the minimum scale: the caller reports that as an error.
HL_HOST_DEVICE inline bool applyScalerRule(const ScalerConfig& c, ScalerRuleState& s, bool found_inf) {
  switch (c.flavour) {
    case ScalerFlavour::None:
    case ScalerFlavour::Static:
      break;

    // GradScaler (_amp_update_scale_), apex DynamicLossScaler.update_scale and tf.keras
    // DynamicLossScale.update share one shape; their limits live in the config.
    case ScalerFlavour::PyTorch:
    case ScalerFlavour::Apex:
    case ScalerFlavour::TfKeras:
      if (found_inf) {
        s.scale = scalerBackedOff(s.scale, c);
        s.growth_tracker = 0;
      } else if (++s.growth_tracker == c.growth_interval) {
        s.scale = scalerGrown(s.scale, c);
        s.growth_tracker = 0;
      }
      break;

    // DeepSpeed DynamicLossScaler.update_scale. Its test for growth is
    // (cur_iter - last_overflow_iter) % scale_window == 0 with last_overflow_iter
    // starting at -1, which is exactly "clean steps since the last overflow (or since the
    // start) is a multiple of the window": stable_steps.
    case ScalerFlavour::DeepSpeed:
      if (found_inf) {
        if (c.hysteresis == 1 || s.hysteresis == 1) {
          if (c.raise_at_min && s.scale == static_cast<float>(c.min_scale)) return false;
          s.scale = scalerBackedOff(s.scale, c);
        } else {
          s.hysteresis -= 1;
        }
        s.stable_steps = 0;
      } else {
        if (c.consecutive_hysteresis) s.hysteresis = c.hysteresis;
        s.stable_steps += 1;
        if (s.stable_steps % c.growth_interval == 0) {
          if (!c.consecutive_hysteresis) s.hysteresis = c.hysteresis;
          s.scale = scalerGrown(s.scale, c);
        }
      }
      s.growth_tracker = static_cast<int>(s.stable_steps % c.growth_interval);
      break;

    // Megatron-LM DynamicGradScaler.update: the hysteresis tracker is only refilled by a
    // growth, so it keeps falling (below zero) through a burst of overflows.
    case ScalerFlavour::Megatron:
      if (found_inf) {
        s.growth_tracker = 0;
        s.hysteresis -= 1;
        if (s.hysteresis <= 0) s.scale = scalerBackedOff(s.scale, c);
      } else if (++s.growth_tracker == c.growth_interval) {
        s.growth_tracker = 0;
        s.hysteresis = c.hysteresis;
        s.scale = scalerGrown(s.scale, c);
      }
      break;
  }
  return true;
}

}  // namespace halflab

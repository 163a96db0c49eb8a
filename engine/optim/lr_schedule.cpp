#include "engine/optim/lr_schedule.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <numbers>
#include <stdexcept>
#include <string>
#include <utility>

namespace halflab {
namespace {

constexpr std::array<std::pair<ScheduleKind, std::string_view>, 3> kScheduleNames{{
    {ScheduleKind::Constant, "constant"},
    {ScheduleKind::Step, "step"},
    {ScheduleKind::Cosine, "cosine"},
}};

[[noreturn]] void badSchedule(const std::string& what) {
  throw std::invalid_argument("lr schedule: " + what);
}

}  // namespace

std::string_view scheduleKindName(ScheduleKind k) {
  for (const auto& [kind, name] : kScheduleNames)
    if (kind == k) return name;
  return "unknown";
}

std::optional<ScheduleKind> parseScheduleKind(std::string_view name) {
  for (const auto& [kind, kind_name] : kScheduleNames)
    if (kind_name == name) return kind;
  return std::nullopt;
}

double learningRateAt(const ScheduleConfig& cfg, double base_lr, std::int64_t applied_steps,
                      std::int64_t total_steps) {
  if (applied_steps < 0)
    badSchedule("applied step index must be >= 0 (got " + std::to_string(applied_steps) + ")");
  if (cfg.warmup_steps < 0)
    badSchedule("warmup_steps must be >= 0 (got " + std::to_string(cfg.warmup_steps) + ")");

  // Linear warm-up: lr/warmup, 2*lr/warmup, ..., lr on the last warm-up step.
  if (applied_steps < cfg.warmup_steps)
    return base_lr * static_cast<double>(applied_steps + 1) /
           static_cast<double>(cfg.warmup_steps);

  switch (cfg.kind) {
    case ScheduleKind::Constant:
      return base_lr;
    case ScheduleKind::Step: {
      if (cfg.step_size < 1)
        badSchedule("step_size must be >= 1 (got " + std::to_string(cfg.step_size) + ")");
      return base_lr * std::pow(cfg.gamma, static_cast<double>(applied_steps / cfg.step_size));
    }
    case ScheduleKind::Cosine: {
      // Anneals over the steps after warm-up: lr at the first one, min_lr once t reaches T.
      if (total_steps < 1)
        badSchedule("cosine needs the run's total step count (got " +
                    std::to_string(total_steps) + ")");
      const std::int64_t horizon = total_steps - cfg.warmup_steps;
      if (horizon <= 0) return cfg.min_lr;
      const double t = static_cast<double>(std::min(applied_steps - cfg.warmup_steps, horizon));
      const double cosine = std::cos(std::numbers::pi * t / static_cast<double>(horizon));
      return cfg.min_lr + (base_lr - cfg.min_lr) * (1.0 + cosine) / 2.0;
    }
  }
  return base_lr;
}

}  // namespace halflab

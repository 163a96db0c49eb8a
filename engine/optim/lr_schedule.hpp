#pragma once
// Learning-rate schedules, indexed by *applied* optimizer steps: a skipped (overflowed)
// step never advances the schedule.
#include <cstdint>
#include <optional>
#include <string_view>

namespace halflab {

enum class ScheduleKind { Constant, Step, Cosine };
std::string_view scheduleKindName(ScheduleKind k);
std::optional<ScheduleKind> parseScheduleKind(std::string_view name);

struct ScheduleConfig {
  ScheduleKind kind = ScheduleKind::Constant;
  std::int64_t warmup_steps = 0;  // linear ramp from lr/warmup to lr
  std::int64_t step_size = 1000;  // Step: multiply by gamma every step_size applied steps
  double gamma = 0.1;
  double min_lr = 0.0;            // Cosine floor
};

// lr for the optimizer step with 0-based index `applied_steps`, out of total_steps.
double learningRateAt(const ScheduleConfig& cfg, double base_lr, std::int64_t applied_steps,
                      std::int64_t total_steps);

}  // namespace halflab

#include "app/cli/json_lines_observer.hpp"

#include <cmath>

#include <nlohmann/json.hpp>

namespace halflab::cli {

using nlohmann::json;

namespace {
// JSON has no NaN/inf: write them as strings so the line stays valid JSON.
json num(double v) {
  if (std::isfinite(v)) return v;
  return std::isnan(v) ? "nan" : (v > 0 ? "inf" : "-inf");
}
}  // namespace

void JsonLinesObserver::line(const json& j) {
  // Names and event texts may hold bytes that are not UTF-8: replace them rather than
  // throw on the training thread.
  out_.write(j.dump(-1, ' ', false, json::error_handler_t::replace) + "\n");
}

void JsonLinesObserver::onRunStarted(const RunInfo& r) {
  json j{{"type", "run_started"}, {"name", r.name}, {"mode", r.precision_mode}, {"device", r.device},
         {"seed", r.seed}, {"total_steps", r.total_steps}, {"parameters", r.parameter_count},
         {"config", json::parse(r.config_json, nullptr, false)}};
  line(j);
}

void JsonLinesObserver::onStep(const StepRecord& r) {
  json j{{"type", "step"}, {"step", r.step}, {"epoch", r.epoch}, {"loss", num(r.loss)},
         {"scale_before", num(r.scale_before)}, {"scale_after", num(r.scale_after)},
         {"found_inf", r.found_inf}, {"skipped", r.skipped}, {"growth_tracker", r.growth_tracker},
         {"hysteresis", r.hysteresis}, {"grad_norm", num(r.grad_norm)}, {"lr", r.lr},
         {"step_time_ms", r.step_time_ms}, {"samples_per_s", r.samples_per_s}, {"wall_ms", r.wall_ms},
         {"grad_elements", r.grad_elements}, {"underflow", r.underflow}, {"subnormal", r.subnormal},
         {"overflow", r.overflow}, {"stalled_updates", r.stalled_updates},
         {"updated_elements", r.updated_elements}, {"zero_weight_grads", r.zero_weight_grads},
         {"weight_grad_elements", r.weight_grad_elements}};
  line(j);
}

void JsonLinesObserver::onEval(const EvalRecord& r) {
  json j{{"type", "eval"}, {"step", r.step}, {"epoch", r.epoch}, {"train_loss", num(r.train_loss)},
         {"train_accuracy", r.train_accuracy}, {"val_loss", num(r.val_loss)},
         {"val_accuracy", r.val_accuracy}, {"wall_ms", r.wall_ms}};
  line(j);
}

void JsonLinesObserver::onHistogram(const HistogramRecord& r) {
  json j{{"type", "histogram"}, {"step", r.step}, {"tensor", r.tensor}, {"kind", r.kind},
         {"format", formatName(r.format)}, {"min_exp", r.min_exp}, {"max_exp", r.max_exp},
         {"bins", r.bins}, {"zeros", r.zeros}, {"infs", r.infs}, {"nans", r.nans}};
  line(j);
}

void JsonLinesObserver::onEvent(const EventRecord& r) {
  json j{{"type", "event"}, {"step", r.step}, {"kind", eventKindName(r.kind)}, {"value", num(r.value)},
         {"text", r.text}};
  line(j);
}

void JsonLinesObserver::onRunFinished(const RunSummary& s) {
  json j{{"type", "summary"}, {"status", runStatusName(s.status)}, {"steps", s.steps},
         {"skipped_steps", s.skipped_steps}, {"overflow_steps", s.overflow_steps},
         {"final_loss", num(s.final_loss)}, {"final_val_loss", num(s.final_val_loss)},
         {"final_val_accuracy", s.final_val_accuracy}, {"best_val_accuracy", s.best_val_accuracy},
         {"final_scale", num(s.final_scale)}, {"wall_time_s", s.wall_time_s},
         {"time_to_target_s", s.time_to_target_s}, {"mean_samples_per_s", s.mean_samples_per_s},
         {"peak_memory_bytes", s.peak_memory_bytes}, {"device", s.device}, {"error", s.error}};
  line(j);
  out_.flush();  // a reader of the stream sees each run complete
}

}  // namespace halflab::cli

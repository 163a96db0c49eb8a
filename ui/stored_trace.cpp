#include "ui/stored_trace.hpp"

#include <map>

namespace halflab {

QString storedRunLabel(const RunRow& run) {
  QString label = QString::fromStdString(run.name);
  const QString mode = QString::fromStdString(run.precision_mode);
  if (!mode.isEmpty() && !label.contains(mode)) label += " (" + mode + ")";
  return label + QStringLiteral(" #%1").arg(run.id);
}

std::shared_ptr<RunTrace> loadStoredTrace(const RunStore& store, const RunRow& run, const QColor& color) {
  auto trace = std::make_shared<RunTrace>();
  trace->key = QString::number(run.id);
  trace->label = storedRunLabel(run);
  trace->color = color;

  // Series are stored per key; gather them back into step and eval records (full
  // resolution, so every overflow step keeps its marker).
  std::map<std::int64_t, StepRecord> steps;
  std::map<std::int64_t, EvalRecord> evals;
  auto gather = [&](auto& records, const char* key, auto setter) {
    for (const MetricPoint& p : store.metricSeries(run.id, key)) {
      auto& r = records[p.step];
      r.step = p.step;
      r.wall_ms = p.wall_ms;
      setter(r, p.value);
    }
  };
  auto fill = [&](const char* key, auto setter) { gather(steps, key, setter); };
  auto fillEval = [&](const char* key, auto setter) { gather(evals, key, setter); };
  fill("loss", [](StepRecord& r, double v) { r.loss = v; });
  fill("scale", [](StepRecord& r, double v) { r.scale_after = v; });
  fill("scale_before", [](StepRecord& r, double v) { r.scale_before = v; });
  fill("found_inf", [](StepRecord& r, double v) { r.found_inf = v != 0; });
  fill("skipped", [](StepRecord& r, double v) { r.skipped = v != 0; });
  fill("grad_norm", [](StepRecord& r, double v) { r.grad_norm = v; });
  fill("samples_per_s", [](StepRecord& r, double v) { r.samples_per_s = v; });
  fill("underflow", [](StepRecord& r, double v) { r.underflow = static_cast<std::int64_t>(v); });
  fill("subnormal", [](StepRecord& r, double v) { r.subnormal = static_cast<std::int64_t>(v); });
  fill("overflow", [](StepRecord& r, double v) { r.overflow = static_cast<std::int64_t>(v); });
  fill("grad_elements", [](StepRecord& r, double v) { r.grad_elements = static_cast<std::int64_t>(v); });
  fill("stalled_updates", [](StepRecord& r, double v) { r.stalled_updates = static_cast<std::int64_t>(v); });
  fill("updated_elements", [](StepRecord& r, double v) { r.updated_elements = static_cast<std::int64_t>(v); });
  fill("zero_weight_grads", [](StepRecord& r, double v) { r.zero_weight_grads = static_cast<std::int64_t>(v); });
  fill("weight_grad_elements", [](StepRecord& r, double v) { r.weight_grad_elements = static_cast<std::int64_t>(v); });
  for (const auto& [step, r] : steps) trace->add(r);

  fillEval("train_loss", [](EvalRecord& r, double v) { r.train_loss = v; });
  fillEval("train_accuracy", [](EvalRecord& r, double v) { r.train_accuracy = v; });
  fillEval("val_loss", [](EvalRecord& r, double v) { r.val_loss = v; });
  fillEval("val_accuracy", [](EvalRecord& r, double v) { r.val_accuracy = v; });
  for (const auto& [step, r] : evals) trace->add(r);

  for (const HistogramRecord& h : store.histograms(run.id)) trace->add(h);
  return trace;
}

}  // namespace halflab

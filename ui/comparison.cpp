#include "ui/comparison.hpp"

#include "engine/stats/step_timing.hpp"
#include "ui/stored_trace.hpp"

namespace halflab {

namespace {
const std::vector<double>& timesOf(const StepTimesByRun& step_times, std::int64_t id) {
  static const std::vector<double> none;
  const auto it = step_times.find(id);
  return it == step_times.end() ? none : it->second;
}
}  // namespace

StepTimesByRun storedStepTimes(const RunStore& store, const std::vector<RunRow>& runs) {
  StepTimesByRun out;
  for (const RunRow& run : runs) {
    std::vector<double>& ms = out[run.id];
    for (const MetricPoint& p : store.metricSeries(run.id, "step_time_ms")) ms.push_back(p.value);
  }
  return out;
}

QString comparisonTimingNote(const std::vector<RunRow>& runs) {
  for (const RunRow& run : runs)
    if (isCpuDevice(run.device)) return QString::fromUtf8(kCpuTimingCaveat);
  return {};
}

std::vector<ComparisonRow> buildComparison(const std::vector<RunRow>& runs, std::size_t baseline,
                                           const StepTimesByRun& step_times) {
  std::vector<ComparisonRow> rows;
  for (const RunRow& run : runs) {
    ComparisonRow r;
    r.run_id = run.id;
    r.label = storedRunLabel(run);
    r.mode = QString::fromStdString(run.precision_mode);
    r.status = QString::fromUtf8(runStatusName(run.status));
    if (run.summary) {
      const RunSummary& s = *run.summary;
      r.finished = true;
      r.final_acc = s.final_val_accuracy;
      r.best_acc = s.best_val_accuracy;
      r.final_loss = s.final_loss;
      r.wall_s = s.wall_time_s;
      r.samples_per_s = s.mean_samples_per_s;
      r.memory_mb = static_cast<double>(s.peak_memory_bytes) / (1024.0 * 1024.0);
      r.memory_estimated = s.device.rfind("cpu", 0) == 0;
      r.steps = s.steps;
      r.overflow_steps = s.overflow_steps;
      r.skipped_steps = s.skipped_steps;
      const std::vector<double>& ms = timesOf(step_times, run.id);
      r.ms_per_step = median(segmentStepTimes(ms, timingSegmentLength(ms.size())));
    }
    rows.push_back(r);
  }
  if (baseline < rows.size()) {
    const ComparisonRow& b = rows[baseline];
    const std::vector<double>& base_ms = timesOf(step_times, b.run_id);
    for (auto& r : rows) {
      r.d_final_acc = r.final_acc - b.final_acc;
      r.d_best_acc = r.best_acc - b.best_acc;
      const SpeedupEstimate e = estimateSpeedup(base_ms, timesOf(step_times, r.run_id));
      r.speed_valid = e.valid;
      r.speedup = e.valid ? e.speedup : 0;
      r.speedup_q1 = e.ratio_q1;
      r.speedup_q3 = e.ratio_q3;
      r.memory_ratio = b.memory_mb > 0 ? r.memory_mb / b.memory_mb : 0;
    }
  }
  return rows;
}

QStringList comparisonHeaders() {
  return {QObject::tr("Run"), QObject::tr("Mode"), QObject::tr("Status"), QObject::tr("Final val acc"),
          QObject::tr("Δ final"), QObject::tr("Best val acc"), QObject::tr("Δ best"), QObject::tr("Wall time (s)"),
          QObject::tr("ms/step (median)"), QObject::tr("Speedup (IQR)"), QObject::tr("Peak memory (MiB)"), QObject::tr("Memory ×"),
          QObject::tr("Overflow steps"), QObject::tr("Skipped steps")};
}

QStringList comparisonCells(const ComparisonRow& r, bool is_baseline) {
  auto pct = [](double v) { return QString::number(100.0 * v, 'f', 2) + " %"; };
  auto delta = [&](double v) {
    if (is_baseline) return QObject::tr("baseline");
    return (v >= 0 ? "+" : "") + QString::number(100.0 * v, 'f', 2) + " pp";
  };
  if (!r.finished)
    return {r.label, r.mode, r.status, "–", "–", "–", "–", "–", "–", "–", "–", "–", "–", "–"};
  auto times = [](double v) { return QString::number(v, 'f', 2) + "×"; };
  const QString speedup = is_baseline    ? QStringLiteral("1.00×")
                          : !r.speed_valid ? QStringLiteral("–")
                                           : times(r.speedup) + " (" + QString::number(r.speedup_q1, 'f', 2) + "–" +
                                                 QString::number(r.speedup_q3, 'f', 2) + ")";
  return {r.label,
          r.mode,
          r.status,
          pct(r.final_acc),
          delta(r.d_final_acc),
          pct(r.best_acc),
          delta(r.d_best_acc),
          QString::number(r.wall_s, 'f', 2),
          r.ms_per_step > 0 ? QString::number(r.ms_per_step, 'f', 3) : QStringLiteral("–"),
          speedup,
          QString::number(r.memory_mb, 'f', 2) + (r.memory_estimated ? QObject::tr(" (estimate)") : QString()),
          is_baseline ? QStringLiteral("1.00×") : QString::number(r.memory_ratio, 'f', 2) + "×",
          QString::number(r.overflow_steps),
          QString::number(r.skipped_steps)};
}

}  // namespace halflab

#pragma once
// The numbers of a run comparison: one row per run with deltas against a baseline run
// (final / best accuracy, wall time, step time, speedup, memory, overflows, skipped
// steps). Shared by the compare table and the HTML report. The speedup is
// estimateSpeedup's (engine/stats/step_timing) median over timed segments of the stored
// step_time_ms series, the same statistic as `halflab-cli train --ab`.
#include <cstdint>
#include <map>
#include <vector>

#include <QString>
#include <QObject>
#include <QStringList>

#include "storage/run_store.hpp"

namespace halflab {

struct ComparisonRow {
  std::int64_t run_id = 0;
  QString label, mode, status;
  bool finished = false;           // has a summary
  double final_acc = 0, best_acc = 0, final_loss = 0;
  double wall_s = 0, samples_per_s = 0;  // wall time excludes pauses
  double ms_per_step = 0;          // median segment time per step; 0 = not timed
  double memory_mb = 0;
  bool memory_estimated = false;   // computed from element counts (CPU runs), not measured
  std::int64_t steps = 0, overflow_steps = 0, skipped_steps = 0;
  // Against the baseline (0 for the baseline itself).
  double d_final_acc = 0, d_best_acc = 0;
  bool speed_valid = false;        // both runs long enough to time
  double speedup = 1;              // baseline ms/step / this ms/step (median over segments)
  double speedup_q1 = 1, speedup_q3 = 1;  // IQR of the per-segment ratios
  double memory_ratio = 1;         // this memory / baseline memory
};

// Each run's step_time_ms series in step order, by run id.
using StepTimesByRun = std::map<std::int64_t, std::vector<double>>;
StepTimesByRun storedStepTimes(const RunStore& store, const std::vector<RunRow>& runs);  // throws StoreError

std::vector<ComparisonRow> buildComparison(const std::vector<RunRow>& runs, std::size_t baseline,
                                           const StepTimesByRun& step_times);

// The line under a comparison that holds a CPU run (empty otherwise): CPU emulation
// timings say nothing about GPU speed.
QString comparisonTimingNote(const std::vector<RunRow>& runs);

// Column titles and the text of each cell, in table order.
QStringList comparisonHeaders();
QStringList comparisonCells(const ComparisonRow& row, bool is_baseline);

}  // namespace halflab

#pragma once
// The numbers of a run comparison: one row per run with deltas against a baseline run
// (final / best accuracy, wall time, speedup, memory, overflows, skipped steps). Shared
// by the compare table and the HTML report.
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
  double wall_s = 0, samples_per_s = 0;
  double memory_mb = 0;
  bool memory_estimated = false;   // computed from element counts (CPU runs), not measured
  std::int64_t steps = 0, overflow_steps = 0, skipped_steps = 0;
  // Against the baseline (0 for the baseline itself).
  double d_final_acc = 0, d_best_acc = 0;
  double speedup = 1;              // baseline wall time / this wall time
  double memory_ratio = 1;         // this memory / baseline memory
};

std::vector<ComparisonRow> buildComparison(const std::vector<RunRow>& runs, std::size_t baseline);

// Column titles and the text of each cell, in table order.
QStringList comparisonHeaders();
QStringList comparisonCells(const ComparisonRow& row, bool is_baseline);

}  // namespace halflab

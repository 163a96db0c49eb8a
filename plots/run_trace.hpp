#pragma once
// Everything the plots draw for one run, as flat arrays ready for QCustomPlot. Fed
// record by record (live, from the training buffer) or in bulk (from the run store).
// Lives in the GUI thread only: no locking.
#include <cstdint>
#include <vector>

#include <QColor>
#include <QString>
#include <QStringList>
#include <QVector>

#include "engine/record/records.hpp"

namespace halflab {

struct RunTrace {
  QString key;    // stable identity: the store's run id, or "live"
  QString label;  // legend text
  QColor color;

  // One entry per step record.
  QVector<double> step, wall_s, loss, scale_after, samples_per_s, grad_norm;
  QVector<double> underflow_pct, subnormal_pct, overflow_count, stalled_pct, zero_grad_pct;
  // Steps whose gradients were non-finite (overflow) or whose update was skipped.
  QVector<double> inf_step, inf_wall_s, inf_scale_before, inf_scale_after;
  // One entry per eval record.
  QVector<double> eval_step, eval_wall_s, train_loss, train_acc, val_loss, val_acc;
  // Histogram records in arrival order (all tensors interleaved).
  std::vector<HistogramRecord> histograms;

  // Bumped on every change so plots rebuild only the traces that moved.
  std::uint64_t revision = 0;

  void add(const StepRecord& r);
  void add(const EvalRecord& r);
  void add(const HistogramRecord& r);
  void clear();
  bool empty() const { return step.isEmpty() && eval_step.isEmpty(); }

  // Names of tensors that have gradient histograms ("fc1.weight", ...), in first-seen order.
  QStringList histogramTensors(const std::string& kind = "grad") const;
  // The histograms of one tensor and kind, oldest first.
  std::vector<const HistogramRecord*> histogramsOf(const QString& tensor,
                                                   const std::string& kind = "grad") const;
};

// A palette of well separated colours; run i gets colour i.
QColor runColor(int index);

}  // namespace halflab

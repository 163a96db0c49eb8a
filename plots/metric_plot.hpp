#pragma once
// Line plot of one or more per-step / per-eval series of every overlaid run: loss (with
// a smoothing slider: raw line faint, debiased EMA solid), accuracy, throughput, rounding.
#include <vector>

#include "plots/halflab_plot.hpp"

namespace halflab {

struct MetricSeries {
  QString name;                        // suffix in the legend, e.g. "val"
  QVector<double> RunTrace::*values;   // which array of the trace
  bool per_eval = false;               // keyed by eval steps instead of steps
  Qt::PenStyle style = Qt::SolidLine;
  bool smoothable = false;             // drawn raw (faint) + smoothed
  bool scatter = false;                // mark the points (sparse series like evals)
};

class MetricPlot : public HalflabPlot {
  Q_OBJECT
 public:
  MetricPlot(const QString& title, const QString& y_label, std::vector<MetricSeries> series,
             QWidget* parent = nullptr);
  // 0 = raw, 0.99 = very smooth (only series marked smoothable).
  void setSmoothing(double weight);
  double smoothing() const { return smoothing_; }
  // Fixed ends of the y axis (NaN = fitted to the data), e.g. loss from 0 and accuracy
  // 0..1 in lessons, so that two runs' levels compare at a glance. A log-y axis ignores a
  // lower bound of 0 or below.
  void setYBounds(double lower, double upper);
  // One legend entry per run instead of one per run and series (the title then says how
  // the series differ, e.g. solid / dashed).
  void setLegendPerRun(bool on) { legend_per_run_ = on; }

 protected:
  void rebuild() override;
  void autoRange() override;

 private:
  std::vector<MetricSeries> series_;
  double smoothing_ = 0.6;
  double y_lower_, y_upper_;  // NaN = from the data
  bool legend_per_run_ = false;
};

// The standard plots of the workbench.
MetricPlot* makeLossPlot(QWidget* parent = nullptr);
MetricPlot* makeAccuracyPlot(QWidget* parent = nullptr);
MetricPlot* makeThroughputPlot(QWidget* parent = nullptr);
MetricPlot* makeRoundingPlot(QWidget* parent = nullptr);

}  // namespace halflab

#include "plots/metric_plot.hpp"

#include <cmath>
#include <limits>

#include "plots/smoothing.hpp"

namespace halflab {

MetricPlot::MetricPlot(const QString& title, const QString& y_label, std::vector<MetricSeries> series,
                       QWidget* parent)
    : HalflabPlot(title, parent), series_(std::move(series)),
      y_lower_(std::numeric_limits<double>::quiet_NaN()), y_upper_(std::numeric_limits<double>::quiet_NaN()) {
  yAxis->setLabel(y_label);
}

void MetricPlot::setYBounds(double lower, double upper) {
  const auto same = [](double a, double b) { return a == b || (std::isnan(a) && std::isnan(b)); };
  if (same(lower, y_lower_) && same(upper, y_upper_)) return;
  y_lower_ = lower;
  y_upper_ = upper;
  user_moved_view_ = false;
  refresh(true);
}

void MetricPlot::autoRange() {
  HalflabPlot::autoRange();
  QCPRange y = yAxis->range();
  if (!std::isnan(y_lower_) && !(logY() && y_lower_ <= 0)) y.lower = y_lower_;
  if (!std::isnan(y_upper_)) y.upper = y_upper_;
  // The data may lie beyond a fixed end (a loss above the fitted top is still fitted).
  if (y.upper <= y.lower) y.upper = y.lower + 1;
  yAxis->setRange(y);
}

void MetricPlot::setSmoothing(double weight) {
  if (weight == smoothing_) return;
  smoothing_ = weight;
  refresh(true);
}

void MetricPlot::rebuild() {
  clearGraphs();
  const bool several_series = series_.size() > 1 && !legend_per_run_;
  for (const auto& trace : traces()) {
    bool run_in_legend = false;
    for (const auto& s : series_) {
      const QVector<double>& keys = s.per_eval ? evalKeys(*trace) : stepKeys(*trace);
      const QVector<double>& values = (*trace).*(s.values);
      if (keys.size() != values.size()) continue;
      const QString name = several_series ? trace->label + " " + s.name : trace->label;
      // One legend entry per run, shown with its solid line.
      const bool in_legend = !legend_per_run_ || (!run_in_legend && s.style == Qt::SolidLine);
      run_in_legend = run_in_legend || in_legend;
      QPen pen(trace->color, 1.6, s.style);
      if (s.smoothable && smoothing_ > 0.0) {
        QColor faint = trace->color;
        faint.setAlpha(55);
        auto* raw = addLine(name + " (raw)", keys, values, QPen(faint, 1.0));
        raw->removeFromLegend();
        auto* smooth = addLine(name, keys, debiasedEma(values, smoothing_), pen);
        if (!in_legend) smooth->removeFromLegend();
      } else {
        auto* g = addLine(name, keys, values, pen);
        if (s.scatter) g->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssCircle, 5));
        if (!in_legend) g->removeFromLegend();
      }
    }
  }
}

MetricPlot* makeLossPlot(QWidget* parent) {
  return new MetricPlot(QObject::tr("Training loss"), QObject::tr("loss"),
                        {{QObject::tr("loss"), &RunTrace::loss, false, Qt::SolidLine, true}}, parent);
}

MetricPlot* makeAccuracyPlot(QWidget* parent) {
  auto* p = new MetricPlot(QObject::tr("Accuracy (solid: val, dashed: train)"), QObject::tr("accuracy"),
                           {{QObject::tr("train"), &RunTrace::train_acc, true, Qt::DashLine, false, true},
                            {QObject::tr("val"), &RunTrace::val_acc, true, Qt::SolidLine, false, true}},
                           parent);
  p->setLegendPerRun(true);  // the title says which line is which
  return p;
}

MetricPlot* makeThroughputPlot(QWidget* parent) {
  return new MetricPlot(QObject::tr("Throughput"), QObject::tr("samples / s"),
                        {{QObject::tr("samples/s"), &RunTrace::samples_per_s, false, Qt::SolidLine, true}},
                        parent);
}

MetricPlot* makeRoundingPlot(QWidget* parent) {
  return new MetricPlot(
      QObject::tr("Gradient rounding and stalled updates"), QObject::tr("% of elements"),
      {{QObject::tr("zero weight grads"), &RunTrace::zero_grad_pct, false, Qt::DashDotLine},
       {QObject::tr("underflow→0"), &RunTrace::underflow_pct, false, Qt::SolidLine},
       {QObject::tr("subnormal"), &RunTrace::subnormal_pct, false, Qt::DashLine},
       {QObject::tr("stalled updates"), &RunTrace::stalled_pct, false, Qt::DotLine}},
      parent);
}

}  // namespace halflab

#include "plots/metric_plot.hpp"

#include "plots/smoothing.hpp"

namespace halflab {

MetricPlot::MetricPlot(const QString& title, const QString& y_label, std::vector<MetricSeries> series,
                       QWidget* parent)
    : HalflabPlot(title, parent), series_(std::move(series)) {
  yAxis->setLabel(y_label);
}

void MetricPlot::setSmoothing(double weight) {
  if (weight == smoothing_) return;
  smoothing_ = weight;
  refresh(true);
}

void MetricPlot::rebuild() {
  clearGraphs();
  const bool several_series = series_.size() > 1;
  for (const auto& trace : traces()) {
    for (const auto& s : series_) {
      const QVector<double>& keys = s.per_eval ? evalKeys(*trace) : stepKeys(*trace);
      const QVector<double>& values = (*trace).*(s.values);
      if (keys.size() != values.size()) continue;
      const QString name = several_series ? trace->label + " " + s.name : trace->label;
      QPen pen(trace->color, 1.6, s.style);
      if (s.smoothable && smoothing_ > 0.0) {
        QColor faint = trace->color;
        faint.setAlpha(55);
        auto* raw = addLine(name + " (raw)", keys, values, QPen(faint, 1.0));
        raw->removeFromLegend();
        addLine(name, keys, debiasedEma(values, smoothing_), pen);
      } else {
        auto* g = addLine(name, keys, values, pen);
        if (s.scatter) g->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssCircle, 5));
      }
    }
  }
}

MetricPlot* makeLossPlot(QWidget* parent) {
  return new MetricPlot(QObject::tr("Training loss"), QObject::tr("loss"),
                        {{QObject::tr("loss"), &RunTrace::loss, false, Qt::SolidLine, true}}, parent);
}

MetricPlot* makeAccuracyPlot(QWidget* parent) {
  auto* p = new MetricPlot(QObject::tr("Accuracy"), QObject::tr("accuracy"),
                           {{QObject::tr("train"), &RunTrace::train_acc, true, Qt::DashLine, false, true},
                            {QObject::tr("val"), &RunTrace::val_acc, true, Qt::SolidLine, false, true}},
                           parent);
  // Accuracy rises towards the top right: keep the legend out of its way.
  p->axisRect()->insetLayout()->setInsetAlignment(0, Qt::AlignBottom | Qt::AlignRight);
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

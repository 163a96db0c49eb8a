#include "plots/scale_plot.hpp"

#include <algorithm>
#include <cmath>

namespace halflab {

namespace {
// Log ticks at powers of two, labelled 2^k so a back-off reads as "one step down".
class Log2Ticker : public QCPAxisTickerLog {
 protected:
  QString getTickLabel(double tick, const QLocale&, QChar, int) override {
    if (tick <= 0) return {};
    const double e = std::log2(tick);
    if (std::abs(e - std::round(e)) > 1e-6) return {};  // only powers of two get a label
    return QStringLiteral("2^%1").arg(static_cast<int>(std::lround(e)));
  }
};
}  // namespace

ScalePlot::ScalePlot(QWidget* parent) : HalflabPlot(tr("Loss scale (log2) and overflow steps"), parent) {
  yAxis->setLabel(tr("loss scale"));
  yAxis->setScaleType(QCPAxis::stLogarithmic);
  auto ticker = QSharedPointer<Log2Ticker>(new Log2Ticker);
  ticker->setLogBase(2);
  ticker->setSubTickCount(0);
  yAxis->setTicker(ticker);
}

bool ScalePlot::hasLossScale(const RunTrace& trace) {
  if (!trace.inf_step.isEmpty()) return true;
  for (double s : trace.scale_after)
    if (s != 1.0) return true;
  return false;
}

void ScalePlot::rebuild() {
  clearGraphs();
  bool marker_in_legend = false;
  for (const auto& trace : traces()) {
    if (!hasLossScale(*trace)) {
      // An FP32 (or unscaled) run sits at 2^0 for good: a line there would only squeeze
      // the other runs' saw-tooth into a few pixels. The legend still names it.
      auto* none = addLine(trace->label + tr(" (no loss scale: 1)"), {}, {}, QPen(trace->color, 1.6));
      none->setProperty("unscaledTrace", true);
      continue;
    }
    auto* line = addLine(trace->label, stepKeys(*trace), trace->scale_after, QPen(trace->color, 1.6));
    line->setLineStyle(QCPGraph::lsStepLeft);
    if (!trace->inf_step.isEmpty()) {
      // Every run's crosses look alike: one legend entry says what they are.
      auto* marks = addLine(tr("overflow / skipped step"), infKeys(*trace), trace->inf_scale_before,
                            QPen(QColor(200, 30, 30), 1.5));
      marks->setLineStyle(QCPGraph::lsNone);
      marks->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssCross, QColor(200, 30, 30), 7));
      marks->setAdaptiveSampling(false);  // every overflow must stay visible
      marks->setProperty("overflowTrace", QVariant::fromValue<const void*>(trace.get()));
      if (marker_in_legend) marks->removeFromLegend();
      marker_in_legend = true;
    }
  }
}

void ScalePlot::autoRange() {
  rescaleAxes(true);
  QCPRange y = yAxis->range();
  bool any = false;
  for (int i = 0; i < graphCount(); ++i) any = any || !graph(i)->data()->isEmpty();
  if (y.lower <= 0) y.lower = 0.5;
  // Half a binade of room either side so the top / bottom step stays visible; only
  // unscaled runs: 2^-1 .. 2^1 around their scale 1.
  yAxis->setRange(any ? QCPRange(y.lower / 1.5, y.upper * 1.5) : QCPRange(0.5, 2.0));
  // The x axis spans every run, drawn or not, like the plots beside it.
  QCPRange x = xAxis->range();
  bool have_x = any;
  for (const auto& trace : traces()) {
    const QVector<double>& keys = stepKeys(*trace);
    if (keys.isEmpty()) continue;
    x = have_x ? QCPRange(std::min(x.lower, keys.front()), std::max(x.upper, keys.back()))
               : QCPRange(keys.front(), keys.back());
    have_x = true;
  }
  if (have_x) xAxis->setRange(x);
}

QString ScalePlot::readoutAt(const QPointF& pixel) const {
  // Overflow markers first: they are what the user is looking for on this plot.
  double best = 10.0;
  QString text;
  for (int i = 0; i < graphCount(); ++i) {
    QCPGraph* g = const_cast<ScalePlot*>(this)->graph(i);
    const auto* trace = static_cast<const RunTrace*>(g->property("overflowTrace").value<const void*>());
    if (!trace) continue;
    const QVector<double>& keys = infKeys(*trace);
    for (int k = 0; k < keys.size(); ++k) {
      const QPointF p = g->coordsToPixels(keys[k], trace->inf_scale_before[k]);
      const double d = std::hypot(p.x() - pixel.x(), p.y() - pixel.y());
      if (d < best) {
        best = d;
        text = tr("%1\noverflow at step %2\nscale %3 → %4 (2^%5 → 2^%6)")
                   .arg(trace->label)
                   .arg(trace->inf_step[k], 0, 'f', 0)
                   .arg(trace->inf_scale_before[k], 0, 'g', 8)
                   .arg(trace->inf_scale_after[k], 0, 'g', 8)
                   .arg(std::log2(trace->inf_scale_before[k]), 0, 'g', 4)
                   .arg(std::log2(trace->inf_scale_after[k]), 0, 'g', 4);
      }
    }
  }
  if (!text.isEmpty()) return text;
  return HalflabPlot::readoutAt(pixel);
}

}  // namespace halflab

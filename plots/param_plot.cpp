#include "plots/param_plot.hpp"

#include "plots/legend_row.hpp"

#include <algorithm>

namespace halflab {

ParamPlot::ParamPlot(QWidget* parent) : QCustomPlot(parent) {
  setObjectName("paramPlot");
  putLegendInRow(*this, 0);
  setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
}

void ParamPlot::setLines(const QString& x_label, const QString& y_label, std::vector<ParamLine> lines,
                         const QStringList& x_ticks) {
  lines_ = std::move(lines);
  clearPlottables();
  xAxis->setLabel(x_label);
  yAxis->setLabel(y_label);
  double lo = 0, hi = 0;
  bool first = true;
  for (const ParamLine& l : lines_)
    for (double x : l.x) {
      lo = first ? x : std::min(lo, x);
      hi = first ? x : std::max(hi, x);
      first = false;
    }
  // A parameter spread over decades (learning rates) reads best on a log axis.
  const bool log_x = x_ticks.isEmpty() && !first && lo > 0 && hi / lo >= 10;
  xAxis->setScaleType(log_x ? QCPAxis::stLogarithmic : QCPAxis::stLinear);
  if (log_x) xAxis->setTicker(QSharedPointer<QCPAxisTickerLog>(new QCPAxisTickerLog));
  else if (!x_ticks.isEmpty()) {
    QSharedPointer<QCPAxisTickerText> t(new QCPAxisTickerText);
    for (int i = 0; i < x_ticks.size(); ++i) t->addTick(i, x_ticks[i]);
    xAxis->setTicker(t);
  } else {
    xAxis->setTicker(QSharedPointer<QCPAxisTicker>(new QCPAxisTicker));
  }
  for (const ParamLine& l : lines_) {
    QCPGraph* g = addGraph();
    g->setData(l.x, l.mean);
    g->setPen(QPen(l.color, 1.5));
    g->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssCircle, QPen(l.color, 1.5), Qt::white, 6));
    g->setName(l.label);
    auto* bars = new QCPErrorBars(xAxis, yAxis);
    bars->removeFromLegend();
    bars->setDataPlottable(g);
    bars->setData(l.error);
    bars->setPen(QPen(l.color, 1.2));
  }
  rescaleAxes();
  // Room for the error bars and the end points.
  const QCPRange y = yAxis->range();
  double emax = 0;
  for (const ParamLine& l : lines_)
    for (double e : l.error) emax = std::max(emax, e);
  yAxis->setRange(y.lower - emax - 0.05 * y.size(), y.upper + emax + 0.05 * y.size());
  if (!x_ticks.isEmpty()) xAxis->setRange(-0.5, x_ticks.size() - 0.5);
  else if (!log_x) xAxis->scaleRange(1.1, xAxis->range().center());
  else xAxis->setRange(lo / 1.5, hi * 1.5);
  replot();
}

}  // namespace halflab

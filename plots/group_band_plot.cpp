#include "plots/group_band_plot.hpp"

#include "plots/legend_row.hpp"

#include <algorithm>
#include <cmath>

namespace halflab {

GroupBand groupBand(const TraceGroup& g, GroupCurve curve, BandKind band) {
  GroupBand b;
  if (g.runs.isEmpty()) return b;
  const auto keysOf = [&](const RunTrace& t) -> const QVector<double>& {
    return curve == GroupCurve::ValAccuracy ? t.eval_step : t.step;
  };
  const auto valuesOf = [&](const RunTrace& t) -> const QVector<double>& {
    return curve == GroupCurve::ValAccuracy ? t.val_acc : t.loss;
  };
  qsizetype n = keysOf(*g.runs.front()).size();
  for (const auto& r : g.runs) n = std::min({n, keysOf(*r).size(), valuesOf(*r).size()});
  for (qsizetype i = 0; i < n; ++i) {
    double sum = 0, lo = INFINITY, hi = -INFINITY;
    int count = 0;
    for (const auto& r : g.runs) {
      const double v = valuesOf(*r)[i];
      if (!std::isfinite(v)) continue;
      sum += v;
      lo = std::min(lo, v);
      hi = std::max(hi, v);
      ++count;
    }
    if (count == 0) continue;
    const double mean = sum / count;
    if (band == BandKind::StdDev) {
      double ss = 0;
      for (const auto& r : g.runs) {
        const double v = valuesOf(*r)[i];
        if (std::isfinite(v)) ss += (v - mean) * (v - mean);
      }
      const double sd = count > 1 ? std::sqrt(ss / (count - 1)) : 0.0;
      lo = mean - sd;
      hi = mean + sd;
    }
    b.key << keysOf(*g.runs.front())[i];
    b.mean << mean;
    b.low << lo;
    b.high << hi;
  }
  return b;
}

GroupBandPlot::GroupBandPlot(QWidget* parent) : QCustomPlot(parent) {
  setObjectName("groupBandPlot");
  xAxis->setLabel(tr("step"));
  plotLayout()->insertRow(0);
  plotLayout()->addElement(0, 0, new QCPTextElement(this, tr("Groups: mean with band"), QFont(font().family(), 9, QFont::Bold)));
  putLegendInRow(*this, 1);
  setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
  rebuild();
}

void GroupBandPlot::setGroups(std::vector<TraceGroup> groups) {
  groups_ = std::move(groups);
  rebuild();
}

void GroupBandPlot::setBand(BandKind band) {
  band_ = band;
  rebuild();
}

void GroupBandPlot::setCurve(GroupCurve curve) {
  curve_ = curve;
  rebuild();
}

void GroupBandPlot::rebuild() {
  clearGraphs();
  yAxis->setLabel(curve_ == GroupCurve::ValAccuracy ? tr("validation accuracy") : tr("training loss"));
  const QString band = band_ == BandKind::MinMax ? tr("min–max") : tr("±1 sd");
  for (const TraceGroup& g : groups_) {
    const GroupBand b = groupBand(g, curve_, band_);
    if (b.key.isEmpty()) continue;
    QCPGraph* low = addGraph();
    low->setData(b.key, b.low, true);
    low->setPen(Qt::NoPen);
    low->removeFromLegend();
    QCPGraph* high = addGraph();
    high->setData(b.key, b.high, true);
    high->setPen(Qt::NoPen);
    QColor fill = g.color;
    fill.setAlpha(60);
    high->setBrush(fill);
    high->setChannelFillGraph(low);
    high->removeFromLegend();
    QCPGraph* mean = addGraph();
    mean->setData(b.key, b.mean, true);
    mean->setPen(QPen(g.color, 2));
    mean->setName(QString("%1 (n = %2, band %3)").arg(g.label).arg(g.runs.size()).arg(band));
    if (curve_ == GroupCurve::ValAccuracy) mean->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssDisc, 4));
  }
  rescaleAxes();
  replot();
}

}  // namespace halflab

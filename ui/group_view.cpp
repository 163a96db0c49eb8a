#include "ui/group_view.hpp"

#include <cmath>
#include <set>

#include <QComboBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QSplitter>
#include <QVBoxLayout>

namespace halflab {

QStringList groupVerdicts(const std::vector<RunGroup>& groups) {
  QStringList lines;
  const std::vector<int> base = baselineOf(groups, "");
  for (std::size_t i = 0; i < groups.size(); ++i)
    if (base[i] >= 0 && base[i] != static_cast<int>(i)) {
      const GroupComparison c = compareGroups(groups[base[i]], groups[i]);
      QString line = QString::fromStdString(verdictText(groups[base[i]], groups[i], c));
      // The speedup of repeated runs: median over seeds of each run's median ms/step.
      if (!std::isnan(c.speedup)) line += QString("; speedup %1x (median over seeds)").arg(c.speedup, 0, 'f', 2);
      lines << line;
    }
  return lines;
}

GroupView::GroupView(QWidget* parent) : QWidget(parent) {
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(2, 2, 2, 2);
  auto* top = new QHBoxLayout;
  top->addWidget(new QLabel(tr("Curve:")));
  curve_box_ = new QComboBox;
  curve_box_->addItem(tr("validation accuracy"));
  curve_box_->addItem(tr("training loss"));
  top->addWidget(curve_box_);
  top->addWidget(new QLabel(tr("Band:")));
  band_box_ = new QComboBox;
  band_box_->setObjectName("groupBandBox");
  band_box_->addItem(tr("min – max"));
  band_box_->addItem(tr("mean ± 1 sd"));
  top->addWidget(band_box_);
  top->addStretch(1);
  layout->addLayout(top);
  auto* split = new QSplitter(Qt::Horizontal);
  band_plot_ = new GroupBandPlot;
  param_plot_ = new ParamPlot;
  band_plot_->setMinimumSize(300, 200);
  param_plot_->setMinimumSize(250, 200);
  split->addWidget(band_plot_);
  split->addWidget(param_plot_);
  split->setStretchFactor(0, 3);
  split->setStretchFactor(1, 2);
  layout->addWidget(split, 1);
  verdict_label_ = new QLabel(tr("Select runs of several seeds: groups appear here."));
  verdict_label_->setObjectName("groupVerdicts");
  verdict_label_->setWordWrap(true);
  verdict_label_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  layout->addWidget(verdict_label_);
  connect(band_box_, &QComboBox::currentIndexChanged, this,
          [this](int i) { band_plot_->setBand(i == 0 ? BandKind::MinMax : BandKind::StdDev); });
  connect(curve_box_, &QComboBox::currentIndexChanged, this,
          [this](int i) { band_plot_->setCurve(i == 0 ? GroupCurve::ValAccuracy : GroupCurve::Loss); });
}

void GroupView::setGroups(std::vector<RunGroup> groups, const std::map<qint64, std::shared_ptr<RunTrace>>& traces) {
  groups_ = std::move(groups);
  std::vector<TraceGroup> curves;
  for (std::size_t i = 0; i < groups_.size(); ++i) {
    TraceGroup tg;
    tg.label = QString::fromStdString(groups_[i].label);
    tg.color = runColor(static_cast<int>(i));
    for (const RunRow& r : groups_[i].runs)
      if (auto it = traces.find(r.id); it != traces.end()) tg.runs << it->second;
    curves.push_back(tg);
  }
  band_plot_->setGroups(std::move(curves));
  verdicts_ = groupVerdicts(groups_);
  verdict_label_->setText(groups_.empty() ? tr("No finished runs selected.")
                          : verdicts_.isEmpty() ? tr("%1 group(s); no baseline group (fp32 with the same settings) to compare with.").arg(groups_.size())
                                                : verdicts_.join("\n"));
  rebuildParamPlot();
}

// x: the first swept key other than the mode whose values are numbers; one line per
// mode. Without such a key, x is the group itself (one point each, named).
void GroupView::rebuildParamPlot() {
  std::set<std::string> keys;
  for (const RunGroup& g : groups_)
    for (const auto& [k, v] : g.params) keys.insert(k);
  std::string x_key;
  for (const std::string& k : keys) {
    if (k.rfind("precision.", 0) == 0) continue;
    std::set<std::string> values;
    bool numeric = true;
    for (const RunGroup& g : groups_) {
      auto it = g.params.find(k);
      if (it == g.params.end()) { numeric = false; break; }
      values.insert(it->second);
      bool ok = false;
      QString::fromStdString(it->second).toDouble(&ok);
      numeric = numeric && ok;
    }
    if (numeric && values.size() > 1) {
      x_key = k;
      break;
    }
  }
  std::vector<ParamLine> lines;
  const auto lineFor = [&](const QString& label) -> ParamLine& {
    for (ParamLine& l : lines)
      if (l.label == label) return l;
    lines.push_back({label, runColor(static_cast<int>(lines.size())), {}, {}, {}});
    return lines.back();
  };
  QStringList ticks;
  for (std::size_t i = 0; i < groups_.size(); ++i) {
    const RunGroup& g = groups_[i];
    const SampleSummary s = g.summary(RunMeasure::FinalValAccuracy);
    if (s.n == 0) continue;
    const double err = std::isnan(s.half_width) ? 0.0 : 100.0 * s.half_width;
    if (!x_key.empty()) {
      auto mode = g.params.find("precision.mode");
      ParamLine& l = lineFor(QString::fromStdString(mode == g.params.end() ? g.label : mode->second));
      l.x << QString::fromStdString(g.params.at(x_key)).toDouble();
      l.mean << 100.0 * s.mean;
      l.error << err;
    } else {
      ParamLine& l = lineFor(tr("final accuracy"));
      l.x << static_cast<double>(ticks.size());
      l.mean << 100.0 * s.mean;
      l.error << err;
      ticks << QString::fromStdString(g.label);
    }
  }
  param_plot_->setLines(x_key.empty() ? tr("group") : QString::fromStdString(x_key),
                        tr("final val accuracy % (95 % CI)"), std::move(lines), x_key.empty() ? ticks : QStringList{});
}

}  // namespace halflab

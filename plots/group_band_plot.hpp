#pragma once
// Seed-replicated runs drawn as groups: each group's curve is the mean over its runs
// with a shaded band (min..max or mean ± 1 sd, switchable), one colour per group. Runs of
// one group train the same steps and evaluate at the same steps, so the curves are
// combined point by point (up to the shortest run).
#include <vector>

#include <QColor>
#include <QList>
#include <QString>
#include <memory>
#include <qcustomplot.h>

#include "plots/run_trace.hpp"

namespace halflab {

struct TraceGroup {
  QString label;
  QColor color;
  QList<std::shared_ptr<const RunTrace>> runs;
};

enum class BandKind { MinMax, StdDev };
enum class GroupCurve { ValAccuracy, Loss };

// Mean and band of one group at each aligned point.
struct GroupBand {
  QVector<double> key, mean, low, high;
};
GroupBand groupBand(const TraceGroup& g, GroupCurve curve, BandKind band);

class GroupBandPlot : public QCustomPlot {
  Q_OBJECT
 public:
  explicit GroupBandPlot(QWidget* parent = nullptr);
  void setGroups(std::vector<TraceGroup> groups);
  const std::vector<TraceGroup>& groups() const { return groups_; }
  void setBand(BandKind band);
  BandKind band() const { return band_; }
  void setCurve(GroupCurve curve);
  GroupCurve curve() const { return curve_; }

 private:
  void rebuild();
  std::vector<TraceGroup> groups_;
  BandKind band_ = BandKind::MinMax;
  GroupCurve curve_ = GroupCurve::ValAccuracy;
};

}  // namespace halflab

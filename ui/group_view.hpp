#pragma once
// The "Groups" view: the selected runs grouped by config minus seed (storage/run_groups).
// Left, each group's curve as its mean with a shaded band (min–max or ±1 sd); right, final
// accuracy against a swept parameter with 95 % error bars, one line per precision mode;
// under them, each group's verdict against its baseline.
#include <map>
#include <memory>
#include <vector>

#include <QWidget>

#include "plots/group_band_plot.hpp"
#include "plots/param_plot.hpp"
#include "storage/run_groups.hpp"

class QComboBox;
class QLabel;

namespace halflab {

class GroupView : public QWidget {
  Q_OBJECT
 public:
  explicit GroupView(QWidget* parent = nullptr);
  // traces: the stored trace of each run id (runs without one are left out of the curves).
  void setGroups(std::vector<RunGroup> groups,
                 const std::map<qint64, std::shared_ptr<RunTrace>>& traces);
  const std::vector<RunGroup>& groups() const { return groups_; }
  GroupBandPlot* bandPlot() const { return band_plot_; }
  ParamPlot* paramPlot() const { return param_plot_; }
  QComboBox* bandBox() const { return band_box_; }
  QStringList verdicts() const { return verdicts_; }

 private:
  void rebuildParamPlot();
  std::vector<RunGroup> groups_;
  QStringList verdicts_;
  GroupBandPlot* band_plot_ = nullptr;
  ParamPlot* param_plot_ = nullptr;
  QComboBox* band_box_ = nullptr;
  QComboBox* curve_box_ = nullptr;
  QLabel* verdict_label_ = nullptr;
};

// The verdict lines of groups against their baselines (baselineOf(groups, "")).
QStringList groupVerdicts(const std::vector<RunGroup>& groups);

}  // namespace halflab

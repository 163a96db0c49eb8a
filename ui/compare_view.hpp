#pragma once
// Comparison table of the selected runs against a chosen baseline run, with the timing
// caveat under it when a run trained on the CPU.
#include <vector>

#include <QWidget>

#include "ui/comparison.hpp"

class QComboBox;
class QLabel;
class QTableWidget;

namespace halflab {

class CompareView : public QWidget {
  Q_OBJECT
 public:
  explicit CompareView(QWidget* parent = nullptr);
  // step_times: each run's stored step_time_ms series (storedStepTimes), for the speedup.
  void setRuns(const std::vector<RunRow>& runs, StepTimesByRun step_times = {});
  const std::vector<RunRow>& runs() const { return runs_; }
  // Index into runs() of the baseline.
  int baseline() const;
  void setBaseline(int index);
  std::vector<ComparisonRow> comparison() const;
  QTableWidget* table() const { return table_; }
  QString timingNote() const;
  // Verdicts of the selected runs' seed groups against their baselines (shown under the table).
  void setVerdicts(const QStringList& lines);
  QStringList verdicts() const { return verdicts_; }

 private:
  void rebuild();
  std::vector<RunRow> runs_;
  StepTimesByRun step_times_;
  QComboBox* baseline_ = nullptr;
  QTableWidget* table_ = nullptr;
  QLabel* note_ = nullptr;
  QLabel* verdict_ = nullptr;
  QStringList verdicts_;
};

}  // namespace halflab

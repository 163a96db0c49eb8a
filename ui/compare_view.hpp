#pragma once
// Comparison table of the selected runs against a chosen baseline run.
#include <vector>

#include <QWidget>

#include "ui/comparison.hpp"

class QComboBox;
class QTableWidget;

namespace halflab {

class CompareView : public QWidget {
  Q_OBJECT
 public:
  explicit CompareView(QWidget* parent = nullptr);
  void setRuns(const std::vector<RunRow>& runs);
  const std::vector<RunRow>& runs() const { return runs_; }
  // Index into runs() of the baseline.
  int baseline() const;
  void setBaseline(int index);
  std::vector<ComparisonRow> comparison() const;
  QTableWidget* table() const { return table_; }

 private:
  void rebuild();
  std::vector<RunRow> runs_;
  QComboBox* baseline_ = nullptr;
  QTableWidget* table_ = nullptr;
};

}  // namespace halflab

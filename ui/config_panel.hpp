#pragma once
// The run configuration form: dataset, model, precision mode, every loss-scaler
// parameter, optimizer, schedule and training settings. Problems found by
// RunConfig::validate() (and unparsable numbers) are shown next to the offending field.
#include <map>
#include <set>
#include <vector>

#include <QWidget>

#include "engine/train/run_config.hpp"

class QCheckBox;
class QComboBox;
class QLabel;
class QLineEdit;
class QSpinBox;
class QFormLayout;

namespace halflab {

// The configuration a first launch starts with: Fashion-MNIST, MLP 784-256-128-10,
// Adam 1e-3, batch 128, one epoch, fp16-amp with PyTorch's dynamic scaler.
RunConfig defaultGuiConfig();

class ConfigPanel : public QWidget {
  Q_OBJECT
 public:
  explicit ConfigPanel(QWidget* parent = nullptr);

  void setConfig(const RunConfig& cfg);
  // The form's values; numbers that do not parse keep their previous value and are
  // reported by issues().
  RunConfig config() const;
  // Every problem with the form as it stands (parse errors + RunConfig::validate()).
  std::vector<ConfigIssue> issues() const;
  // Runs validation, shows the messages next to the fields; true when valid.
  bool validateAndShow();
  // The message currently shown for a field ("" when none). For tests.
  QString shownIssue(const QString& field) const;
  // The editor of a field (e.g. "training.batch_size"). For tests and focus.
  QWidget* fieldWidget(const QString& field) const;

 signals:
  void configChanged();

 private:
  QLineEdit* addNumber(QFormLayout* form, const QString& field, const QString& label, const QString& tip);
  QSpinBox* addInt(QFormLayout* form, const QString& field, const QString& label, int min, int max,
                   const QString& tip);
  QCheckBox* addCheck(QFormLayout* form, const QString& field, const QString& label, const QString& text);
  void showDatasetOptions();
  QComboBox* addChoice(QFormLayout* form, const QString& field, const QString& label, const QStringList& items);
  void addRow(QFormLayout* form, const QString& field, const QString& label, QWidget* editor);
  void applyScalerDefaults();
  void onEdited();
  double number(const QString& field, double fallback, std::vector<ConfigIssue>* issues) const;
  void readInto(RunConfig& cfg, std::vector<ConfigIssue>* issues) const;

  RunConfig base_;  // fields the form does not show are kept from the last setConfig()
  std::map<QString, QWidget*> editors_;
  std::map<QString, QLabel*> issue_labels_;
  QLabel* general_issues_ = nullptr;
  QFormLayout* data_form_ = nullptr;
  std::set<QString> hidden_fields_;  // rows the chosen dataset kind does not use
  bool loading_ = false;
};

}  // namespace halflab

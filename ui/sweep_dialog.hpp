#pragma once
// The sweep dialog: the current config times a grid (one "key=v1,v2,..." per line) times
// seeds, run by `halflab-cli sweep` (the CLI's driver: parallel workers, resume, one store)
// as a child process, with the whole sweep's progress and ETA from its output.
#include <QDialog>
#include <QProcess>

#include "engine/train/run_config.hpp"

class QLabel;
class QPlainTextEdit;
class QProgressBar;
class QPushButton;
class QSpinBox;

namespace halflab {

class SweepDialog : public QDialog {
  Q_OBJECT
 public:
  SweepDialog(const RunConfig& base, const QString& store_path, QWidget* parent = nullptr);
  // halflab-cli to run (default: next to this executable).
  void setCliPath(const QString& path) { cli_ = path; }
  QPlainTextEdit* gridEdit() const { return grid_; }
  QSpinBox* seedsBox() const { return seeds_; }
  QSpinBox* workersBox() const { return workers_; }
  QProgressBar* progressBar() const { return bar_; }
  // Starts the sweep; "" or why it could not start.
  QString start();
  bool running() const { return process_.state() != QProcess::NotRunning; }
  const QString& sweepId() const { return sweep_id_; }
  const QString& log() const { return log_; }

 public slots:
  void reject() override;  // also stops a running sweep (run it again to resume)

 signals:
  void sweepFinished(int exit_code, const QString& sweep_id);

 private:
  void readOutput();
  RunConfig base_;
  QString store_path_, cli_, sweep_id_, log_, pending_;
  QString config_file_;
  QPlainTextEdit* grid_ = nullptr;
  QSpinBox* seeds_ = nullptr;
  QSpinBox* workers_ = nullptr;
  QProgressBar* bar_ = nullptr;
  QLabel* status_ = nullptr;
  QPushButton* start_ = nullptr;
  QProcess process_;
};

}  // namespace halflab

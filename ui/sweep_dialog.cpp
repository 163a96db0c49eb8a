#include "ui/sweep_dialog.hpp"

#include <QCoreApplication>
#include <QDialogButtonBox>
#include <QDir>
#include <QFormLayout>
#include <QLabel>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QRegularExpression>
#include <QSpinBox>
#include <QStandardPaths>
#include <QThread>
#include <QVBoxLayout>

#include <nlohmann/json.hpp>

namespace halflab {

SweepDialog::SweepDialog(const RunConfig& base, const QString& store_path, QWidget* parent)
    : QDialog(parent), base_(base), store_path_(store_path) {
  setWindowTitle(tr("Sweep from the current config"));
  setObjectName("sweepDialog");
  cli_ = QDir(QCoreApplication::applicationDirPath()).filePath("halflab-cli");
  auto* layout = new QVBoxLayout(this);
  auto* form = new QFormLayout;
  grid_ = new QPlainTextEdit;
  grid_->setPlaceholderText("precision.mode=fp32,fp16-amp,bf16-amp\noptimizer.lr=1e-3,3e-3");
  grid_->setPlainText("precision.mode=fp32,fp16-amp,bf16-amp");
  grid_->setToolTip(tr("One swept config key per line: key=value1,value2,..."));
  form->addRow(tr("Grid"), grid_);
  seeds_ = new QSpinBox;
  seeds_->setRange(1, 100);
  seeds_->setValue(3);
  form->addRow(tr("Seeds per cell"), seeds_);
  workers_ = new QSpinBox;
  workers_->setRange(1, 256);
  workers_->setValue(std::max(1, QThread::idealThreadCount()));
  workers_->setToolTip(tr("Worker processes; each gets cores / workers threads"));
  form->addRow(tr("Workers"), workers_);
  layout->addLayout(form);
  bar_ = new QProgressBar;
  bar_->setRange(0, 1);
  bar_->setValue(0);
  layout->addWidget(bar_);
  status_ = new QLabel(tr("The sweep runs into %1; running it again resumes it.").arg(store_path_));
  status_->setWordWrap(true);
  layout->addWidget(status_);
  auto* buttons = new QDialogButtonBox(QDialogButtonBox::Close);
  start_ = buttons->addButton(tr("Start sweep"), QDialogButtonBox::AcceptRole);
  layout->addWidget(buttons);
  connect(start_, &QPushButton::clicked, this, [this] {
    const QString problem = start();
    if (!problem.isEmpty()) status_->setText(problem);
  });
  connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
  connect(&process_, &QProcess::readyReadStandardError, this, &SweepDialog::readOutput);
  connect(&process_, &QProcess::finished, this, [this](int code, QProcess::ExitStatus st) {
    readOutput();
    const int exit_code = st == QProcess::NormalExit ? code : -1;
    status_->setText(exit_code == 0 ? tr("Sweep %1 finished: select its runs (Group by config) to compare.").arg(sweep_id_)
                                    : tr("Sweep %1 ended with exit %2:\n%3").arg(sweep_id_).arg(exit_code).arg(log_.right(400)));
    start_->setEnabled(true);
    if (!config_file_.isEmpty()) QFile::remove(config_file_);
    emit sweepFinished(exit_code, sweep_id_);
  });
}

void SweepDialog::reject() {
  // Closing the dialog stops the sweep (SIGTERM: the driver stops its workers; run again to resume).
  if (running()) {
    process_.terminate();
    process_.waitForFinished(30000);
  }
  QDialog::reject();
}

QString SweepDialog::start() {
  if (running()) return tr("A sweep is already running");
  QStringList args{"sweep", "--db", store_path_, "--seeds", QString::number(seeds_->value()),
                   "--workers", QString::number(workers_->value())};
  for (const QString& line : grid_->toPlainText().split('\n', Qt::SkipEmptyParts))
    if (!line.trimmed().isEmpty()) args << "--grid" << line.trimmed();
  // The base config as JSON, with the seed the sweep's seeds start from.
  config_file_ = QDir(QStandardPaths::writableLocation(QStandardPaths::TempLocation))
                     .filePath(QString("halflab-sweep-%1.json").arg(QCoreApplication::applicationPid()));
  QFile f(config_file_);
  if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate)) return tr("Cannot write %1").arg(config_file_);
  f.write(QByteArray::fromStdString(base_.toJson().dump(2)));
  f.close();
  args << "--config" << config_file_;
  // A swept mode must bring its own default scaler, not the base's.
  for (int i = 0; i + 1 < args.size(); ++i)
    if (args[i] == "--grid" && args[i + 1].startsWith("precision.mode=")) {
      nlohmann::json j = base_.toJson();
      j["precision"] = {{"mode", j["precision"]["mode"]}, {"max_consecutive_skips", j["precision"]["max_consecutive_skips"]}};
      f.open(QIODevice::WriteOnly | QIODevice::Truncate);
      f.write(QByteArray::fromStdString(j.dump(2)));
      f.close();
      break;
    }
  log_.clear();
  pending_.clear();
  sweep_id_.clear();
  bar_->setRange(0, 0);  // busy until the driver says how many cells
  process_.start(cli_, args);
  if (!process_.waitForStarted(10000)) return tr("Cannot start %1: %2").arg(cli_, process_.errorString());
  start_->setEnabled(false);
  status_->setText(tr("Starting the sweep…"));
  return {};
}

void SweepDialog::readOutput() {
  pending_ += QString::fromUtf8(process_.readAllStandardError());
  static const QRegularExpression progress("^sweep (\\S+): (\\d+)/(\\d+) cells done.*ETA (\\S+)");
  static const QRegularExpression header("^sweep (\\S+): (\\d+) cells, ");
  int nl;
  while ((nl = pending_.indexOf('\n')) >= 0) {
    const QString line = pending_.left(nl);
    pending_.remove(0, nl + 1);
    log_ += line + "\n";
    if (auto m = header.match(line); m.hasMatch()) {
      sweep_id_ = m.captured(1);
      bar_->setRange(0, m.captured(2).toInt());
    }
    if (auto m = progress.match(line); m.hasMatch()) {
      sweep_id_ = m.captured(1);
      bar_->setRange(0, m.captured(3).toInt());
      bar_->setValue(m.captured(2).toInt());
      bar_->setFormat(tr("%v/%m cells · ETA %1").arg(m.captured(4)));
      status_->setText(line);
    }
  }
}

}  // namespace halflab

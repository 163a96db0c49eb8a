#include "ui/main_window.hpp"

#include <algorithm>
#include <cmath>

#include <QAction>
#include <QApplication>
#include <QCloseEvent>
#include <QDateTime>
#include <QDir>
#include <QDockWidget>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QLabel>
#include <QMenuBar>
#include <QMessageBox>
#include <QProgressBar>
#include <QPushButton>
#include <QSpinBox>
#include <QSettings>
#include <QStatusBar>
#include <QSet>
#include <QTabWidget>
#include <QTimer>
#include <QToolBar>
#include <QVBoxLayout>
#include <nlohmann/json.hpp>

#include "plots/halflab_plot.hpp"
#include "plots/plot_panel.hpp"
#include "storage/default_path.hpp"
#include "storage/output_guard.hpp"
#include "storage/run_store.hpp"
#include "ui/compare_view.hpp"
#include "ui/group_view.hpp"
#include "ui/sweep_dialog.hpp"
#include "ui/config_panel.hpp"
#include "ui/exporter.hpp"
#include "ui/latency_probe.hpp"
#include "ui/lessons_panel.hpp"
#include "ui/model_view.hpp"
#include "ui/run_browser.hpp"
#include "ui/stored_trace.hpp"

namespace halflab {

namespace {
QString formatDuration(double seconds) {
  if (seconds < 0) return QStringLiteral("–");
  const int s = static_cast<int>(seconds + 0.5);
  return s >= 3600 ? QStringLiteral("%1:%2:%3").arg(s / 3600).arg(s / 60 % 60, 2, 10, QChar('0')).arg(s % 60, 2, 10, QChar('0'))
                   : QStringLiteral("%1:%2").arg(s / 60).arg(s % 60, 2, 10, QChar('0'));
}

}  // namespace

MainWindow::MainWindow(const QString& store_path, bool quiet, QWidget* parent) : QMainWindow(parent), quiet_(quiet) {
  initResources();
  setWindowTitle(tr("HalfLab — mixed-precision workbench"));
  setWindowIcon(QIcon(":/icons/halflab.svg"));
  setDockOptions(QMainWindow::AnimatedDocks | QMainWindow::AllowTabbedDocks);

  plots_ = new PlotPanel;
  setCentralWidget(plots_);
  session_ = new TrainingSession(this);
  probe_ = new LatencyProbe(10, this);

  buildDocks();
  buildActions();

  progress_bar_ = new QProgressBar;
  // Wide enough for "run 2/2 · paused · step 18890/30000" without clipping.
  progress_bar_->setMinimumWidth(progress_bar_->fontMetrics().horizontalAdvance(
                                     QStringLiteral("run 2/2 · paused · step 188888/300000")) + 24);
  progress_bar_->setTextVisible(true);
  progress_bar_->setFormat(tr("idle"));
  progress_bar_->setValue(0);
  speed_label_ = new QLabel;
  latency_label_ = new QLabel;
  latency_label_->setToolTip(tr("GUI event-loop lateness while training (p50 / p99)"));
  statusBar()->addPermanentWidget(speed_label_);
  statusBar()->addPermanentWidget(latency_label_);
  statusBar()->addPermanentWidget(progress_bar_);

  connect(session_, &TrainingSession::tracesChanged, this, &MainWindow::updateDisplayedTraces);
  // A run is listed while it trains: look for its row until the writer has stored it.
  list_live_timer_ = new QTimer(this);
  list_live_timer_->setInterval(400);
  connect(list_live_timer_, &QTimer::timeout, this, &MainWindow::listLiveRuns);
  connect(session_, &TrainingSession::tracesChanged, this, [this] {
    list_live_tries_ = 0;
    if (session_->busy() && !session_->traces().isEmpty()) list_live_timer_->start();
  });
  connect(session_, &TrainingSession::updated, plots_, &PlotPanel::refresh);
  connect(session_, &TrainingSession::progressChanged, this, &MainWindow::onProgress);
  connect(session_, &TrainingSession::message, this, [this](const QString& text, bool is_error) {
    statusBar()->showMessage(text, 10000);
    if (is_error) last_error_ = text;
  });
  connect(session_, &TrainingSession::storeProblem, this,
          [this](const QString& msg) { showError(tr("Run store"), msg); });
  connect(session_, &TrainingSession::jobFailed, this, [this](int, const QString& msg) {
    showError(tr("Training could not start"), msg);
  });
  connect(session_, &TrainingSession::jobFinished, this,
          [this](int job, qint64 id, const QString& status, const QString& error) {
            if (status == "failed" || status == "diverged") {
              showError(status == "failed" ? tr("Run failed") : tr("Run diverged"),
                        error.isEmpty() ? tr("The run ended as %1.").arg(status) : error);
            } else {
              const auto traces = session_->traces();
              const QString name = job >= 0 && job < traces.size() ? traces[job]->label : tr("Run");
              statusBar()->showMessage(tr("%1: %2").arg(name, status), 5000);
            }
            const auto traces = session_->traces();
            if (id > 0 && job >= 0 && job < traces.size()) {
              // The stored run is the live one: same colour, and never drawn twice.
              live_ids_[traces[job]->key] = id;
              palette_.alias(QString::number(id), traces[job]->key);
            }
            browser_->refresh();  // a finished A/B arm is listed at once
          });
  connect(session_, &TrainingSession::busyChanged, this, &MainWindow::updateActions);
  connect(session_, &TrainingSession::allFinished, this, &MainWindow::onBatchFinished);
  connect(browser_, &RunBrowser::selectionChanged, this, &MainWindow::onSelectionChanged);
  connect(browser_, &RunBrowser::storeError, this, [this](const QString& m) { statusBar()->showMessage(m, 10000); });
  connect(browser_, &RunBrowser::loadConfigRequested, this, [this](const QString& json) {
    try {
      config_->setConfig(RunConfig::fromJsonText(json.toStdString()));
    } catch (const std::exception& e) {
      showError(tr("Cannot load config"), QString::fromUtf8(e.what()));
    }
  });
  connect(lessons_, &LessonsPanel::loadRequested, this, [this](const Lesson& l) { loadLesson(l, false); });
  connect(lessons_, &LessonsPanel::runRequested, this, [this](const Lesson& l) { loadLesson(l, true); });

  restoreSettings();
  QString path = store_path;
  if (path.isEmpty()) path = QSettings().value("store/path").toString();
  if (path.isEmpty()) {
    try {
      path = QString::fromStdString(defaultStorePath());
    } catch (const std::exception& e) {
      path = QDir::temp().filePath("halflab-runs.sqlite");
      statusBar()->showMessage(tr("%1 — using %2").arg(e.what(), path), 10000);
    }
  }
  openStore(path);
  updateActions();
}

MainWindow::~MainWindow() = default;

void MainWindow::buildDocks() {
  config_ = new ConfigPanel;
  auto* config_box = new QWidget;
  auto* config_layout = new QVBoxLayout(config_box);
  config_layout->setContentsMargins(2, 2, 2, 2);
  auto* buttons = new QHBoxLayout;
  auto* start = new QPushButton(tr("Start"));
  start->setObjectName("startButton");
  start->setToolTip(tr("Train this config (Ctrl+R)"));
  auto* ab = new QPushButton(tr("A/B vs FP32"));
  ab->setToolTip(tr("Train FP32 and the chosen low-precision mode with the same seed, then compare (Ctrl+B)"));
  ab_seeds_ = new QSpinBox;
  ab_seeds_->setObjectName("abSeedsBox");
  ab_seeds_->setRange(1, 20);
  ab_seeds_->setValue(3);
  ab_seeds_->setPrefix(tr("seeds "));
  ab_seeds_->setToolTip(tr("A/B with this many seeds per mode: the comparison then has intervals and a verdict"));
  buttons->addWidget(start);
  buttons->addWidget(ab);
  buttons->addWidget(ab_seeds_);
  config_layout->addLayout(buttons);
  config_layout->addWidget(config_, 1);
  connect(start, &QPushButton::clicked, this, &MainWindow::startRun);
  connect(ab, &QPushButton::clicked, this, &MainWindow::startAB);
  connect(session_, &TrainingSession::busyChanged, this, [start, ab](bool busy) {
    start->setEnabled(!busy);
    ab->setEnabled(!busy);
  });

  auto* config_dock = new QDockWidget(tr("Configuration"), this);
  config_dock->setObjectName("configDock");
  config_dock->setWidget(config_box);
  config_dock->setMinimumWidth(300);
  addDockWidget(Qt::LeftDockWidgetArea, config_dock);

  browser_ = new RunBrowser;
  auto* browser_dock = new QDockWidget(tr("Runs"), this);
  browser_dock->setObjectName("runsDock");
  browser_dock->setWidget(browser_);
  addDockWidget(Qt::BottomDockWidgetArea, browser_dock);

  compare_ = new CompareView;
  auto* compare_dock = new QDockWidget(tr("Comparison"), this);
  compare_dock->setObjectName("compareDock");
  compare_dock->setWidget(compare_);
  addDockWidget(Qt::BottomDockWidgetArea, compare_dock);

  groups_ = new GroupView;
  auto* groups_dock = new QDockWidget(tr("Groups"), this);
  groups_dock->setObjectName("groupsDock");
  groups_dock->setWidget(groups_);
  addDockWidget(Qt::BottomDockWidgetArea, groups_dock);
  tabifyDockWidget(compare_dock, groups_dock);

  lessons_ = new LessonsPanel;
  auto* lessons_dock = new QDockWidget(tr("Lessons"), this);
  lessons_dock->setObjectName("lessonsDock");
  lessons_dock->setWidget(lessons_);
  addDockWidget(Qt::BottomDockWidgetArea, lessons_dock);
  tabifyDockWidget(compare_dock, lessons_dock);

  model_view_ = new ModelView;
  auto* model_dock = new QDockWidget(tr("Model"), this);
  model_dock->setObjectName("modelDock");
  model_dock->setWidget(model_view_);
  addDockWidget(Qt::BottomDockWidgetArea, model_dock);
  tabifyDockWidget(compare_dock, model_dock);
  connect(config_, &ConfigPanel::configChanged, this, [this] { model_view_->showConfig(config_->config()); });
  connect(model_view_, &ModelView::layersApplied, this, [this](const std::vector<NodeSpec>& nodes) {
    RunConfig cfg = config_->config();
    cfg.model.preset = "layers";
    cfg.model.layers = nodes;
    config_->setConfig(cfg);
  });
  model_view_->showConfig(config_->config());
  compare_dock->raise();
  resizeDocks({browser_dock}, {220}, Qt::Vertical);
}

bool MainWindow::raiseDock(const QString& name) {
  static const std::map<QString, QString> kDocks{{"model", "modelDock"},   {"runs", "runsDock"},
                                                 {"comparison", "compareDock"}, {"groups", "groupsDock"},
                                                 {"lessons", "lessonsDock"}, {"configuration", "configDock"}};
  const auto it = kDocks.find(name);
  if (it == kDocks.end()) return false;
  auto* dock = findChild<QDockWidget*>(it->second);
  if (!dock) return false;
  dock->show();
  dock->raise();
  return true;
}

void MainWindow::buildActions() {
  auto* file = menuBar()->addMenu(tr("&File"));
  file->addAction(tr("Open run store…"), this, [this] {
    const QString path = QFileDialog::getSaveFileName(this, tr("Open or create a run store"), store_path_,
                                                      tr("Run stores (*.sqlite *.db);;All files (*)"), nullptr,
                                                      QFileDialog::DontConfirmOverwrite);
    if (!path.isEmpty()) openStore(path);
  });
  file->addAction(tr("Load config…"), this, [this] {
    const QString path = QFileDialog::getOpenFileName(this, tr("Load config"), {}, tr("JSON (*.json)"));
    if (path.isEmpty()) return;
    try {
      config_->setConfig(RunConfig::fromFile(path.toStdString()));
    } catch (const std::exception& e) {
      showError(tr("Cannot load config"), QString::fromUtf8(e.what()));
    }
  });
  file->addAction(tr("Save config…"), this, [this] {
    const QString path = QFileDialog::getSaveFileName(this, tr("Save config"), "config.json", tr("JSON (*.json)"));
    if (path.isEmpty()) return;
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly)) return showError(tr("Cannot save config"), f.errorString());
    f.write(QByteArray::fromStdString(config_->config().toJsonText()));
  });
  auto* presets = file->addMenu(tr("Presets"));
  for (const QString& name : QDir(":/presets").entryList({"*.json"}, QDir::Files, QDir::Name)) {
    presets->addAction(QFileInfo(name).completeBaseName().replace('_', ' '), this, [this, name] {
      QFile f(":/presets/" + name);
      f.open(QIODevice::ReadOnly);
      try {
        config_->setConfig(RunConfig::fromJsonText(f.readAll().toStdString()));
      } catch (const std::exception& e) {
        showError(tr("Cannot load preset"), QString::fromUtf8(e.what()));
      }
    });
  }
  auto* export_action = file->addAction(tr("&Export…"), this, &MainWindow::exportDialog);
  export_action->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_E));
  file->addSeparator();
  file->addAction(tr("Quit"), QKeySequence::Quit, this, &QWidget::close);

  auto* run = menuBar()->addMenu(tr("&Run"));
  start_action_ = run->addAction(QIcon(":/icons/start.svg"), tr("Start"), this, &MainWindow::startRun);
  start_action_->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_R));
  pause_action_ = run->addAction(QIcon(":/icons/pause.svg"), tr("Pause / resume"), this, &MainWindow::togglePause);
  pause_action_->setShortcuts({QKeySequence(Qt::Key_Space), QKeySequence(Qt::CTRL | Qt::Key_P)});
  stop_action_ = run->addAction(QIcon(":/icons/stop.svg"), tr("Stop"), this, &MainWindow::stopRun);
  stop_action_->setShortcuts({QKeySequence(Qt::CTRL | Qt::Key_Period), QKeySequence(Qt::Key_Escape)});
  ab_action_ = run->addAction(QIcon(":/icons/ab.svg"), tr("A/B: FP32 vs low precision"), this, &MainWindow::startAB);
  ab_action_->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_B));
  run->addAction(tr("Sweep from this config…"), this, [this] { openSweepDialog()->show(); });

  auto* lessons = menuBar()->addMenu(tr("&Lessons"));
  for (const Lesson& l : lessons_->lessons()) {
    const Lesson lesson = l;
    lessons->addAction(l.title, this, [this, lesson] { loadLesson(lesson, true); });
  }

  auto* view = menuBar()->addMenu(tr("&View"));
  for (auto* dock : findChildren<QDockWidget*>()) view->addAction(dock->toggleViewAction());
  view->addAction(tr("Reset plot zoom"), this, [this] {
    for (auto& [id, p] : plots_->plots()) p->resetView();
  });

  auto* toolbar = addToolBar(tr("Run"));
  toolbar->setObjectName("runToolbar");
  toolbar->addAction(start_action_);
  toolbar->addAction(pause_action_);
  toolbar->addAction(stop_action_);
  toolbar->addAction(ab_action_);
  toolbar->addSeparator();
  toolbar->addAction(export_action);
}

void MainWindow::showError(const QString& title, const QString& message) {
  last_error_ = message;
  statusBar()->showMessage(title + ": " + QString(message).replace('\n', ' '), 15000);
  if (!quiet_) QMessageBox::warning(this, title, message);
}

void MainWindow::openStore(const QString& path) {
  try {
    RunStore::open(path.toStdString(), StoreOpenMode::Create);
  } catch (const std::exception& e) {
    showError(tr("Run store"), tr("Cannot open the run store %1:\n%2\nRuns will not be saved until another store is opened.")
                                   .arg(path, e.what()));
  }
  store_path_ = path;
  stored_traces_.clear();
  browser_->setStorePath(path);
  QSettings().setValue("store/path", path);
}

bool MainWindow::startRun() {
  plots_->setLessonAxes(false);
  return startConfigs({config_->config()}, false);
}

std::vector<RunConfig> MainWindow::abConfigs(const RunConfig& cfg, int seeds) {
  RunConfig fp32 = cfg, low = cfg;
  fp32.precision.mode = PrecisionMode::FP32;
  fp32.precision.scaler = defaultScalerConfig(ScalerFlavour::None);
  if (low.precision.mode == PrecisionMode::FP32 || low.precision.mode == PrecisionMode::TF32) {
    low.precision.mode = PrecisionMode::FP16Amp;
    low.precision.scaler = defaultScalerConfig(ScalerFlavour::PyTorch);
  }
  const std::string base = cfg.name.empty()
      ? "A/B " + QDateTime::currentDateTime().toString("hh:mm:ss").toStdString()
      : cfg.name;
  // Pairs in seed order (seed, seed + 1, ...): each pair trains the same batches.
  std::vector<RunConfig> out;
  for (int i = 0; i < std::max(1, seeds); ++i) {
    RunConfig a = fp32, b = low;
    a.training.seed = b.training.seed = cfg.training.seed + static_cast<std::uint64_t>(i);
    const std::string suffix = seeds > 1 ? " seed " + std::to_string(a.training.seed) : "";
    a.name = base + " [fp32]" + suffix;
    b.name = base + " [" + std::string(precisionModeName(low.precision.mode)) + "]" + suffix;
    out.push_back(a);
    out.push_back(b);
  }
  return out;
}

bool MainWindow::startAB() {
  plots_->setLessonAxes(false);
  const bool started = startConfigs(abConfigs(config_->config(), ab_seeds_->value()), true);
  comparison_when_done_ = started;
  return started;
}

SweepDialog* MainWindow::openSweepDialog() {
  if (!config_->validateAndShow()) return nullptr;
  auto* dialog = new SweepDialog(config_->config(), store_path_, this);
  dialog->setAttribute(Qt::WA_DeleteOnClose);
  connect(dialog, &SweepDialog::sweepFinished, this, [this](int, const QString& sweep_id) {
    // The sweep's runs, grouped, in the Groups view.
    browser_->refresh();
    QList<qint64> ids;
    for (const RunRow& r : browser_->allRows())
      if (QString::fromStdString(r.sweep_id) == sweep_id) ids << r.id;
    browser_->setGrouped(true);
    browser_->selectRuns(ids);
    if (auto* dock = qobject_cast<QDockWidget*>(groups_->parentWidget())) dock->raise();
  });
  return dialog;
}

bool MainWindow::startConfigs(std::vector<RunConfig> configs, bool share_data) {
  if (session_->busy()) {
    statusBar()->showMessage(tr("A run is already in progress"), 5000);
    return false;
  }
  if (!config_->validateAndShow()) {
    QStringList lines;
    for (const auto& i : config_->issues()) lines << QString::fromStdString(i.field + ": " + i.message);
    showError(tr("Invalid configuration"), tr("Fix these fields first:\n") + lines.join("\n"));
    return false;
  }
  for (const RunConfig& cfg : configs) {
    const auto issues = cfg.validate();
    if (!issues.empty()) {
      showError(tr("Invalid configuration"),
                QString::fromStdString(issues.front().field + ": " + issues.front().message));
      return false;
    }
    // A missing folder is the most common mistake: say so before a thread even starts.
    if (cfg.dataset.isImageKind()) {
      const QString dir = QString::fromStdString(cfg.datasetDir());
      if (!QFileInfo(dir).isDir()) {
        showError(tr("Dataset not found"),
                  tr("The %1 folder %2 does not exist. Choose the folder that holds the dataset files.")
                      .arg(QString::fromStdString(cfg.dataset.kind), dir));
        return false;
      }
    }
  }
  QSettings().setValue("config/last", QString::fromStdString(config_->config().toJsonText()));
  last_error_.clear();
  show_live_ = true;
  probe_->reset();
  probe_->start();
  comparison_when_done_ = false;
  if (!session_->start(std::move(configs), store_path_, share_data)) return false;
  progress_bar_->setValue(0);
  progress_bar_->setFormat(tr("starting…"));
  return true;
}

void MainWindow::togglePause() {
  if (!session_->busy()) return;
  session_->setPaused(!session_->paused());
  pause_action_->setText(session_->paused() ? tr("Resume") : tr("Pause"));
  progress_bar_->setFormat(session_->paused() ? tr("paused · %p%") : tr("%p%"));
  statusBar()->showMessage(session_->paused() ? tr("Paused") : tr("Resumed"), 3000);
}

void MainWindow::stopRun() {
  if (!session_->busy()) return;
  session_->stop();
  statusBar()->showMessage(tr("Stopping…"), 3000);
}

void MainWindow::loadLesson(const Lesson& lesson, bool run) {
  config_->setConfig(lesson.config);
  const int index = [&] {
    for (std::size_t i = 0; i < lessons_->lessons().size(); ++i)
      if (lessons_->lessons()[i].id == lesson.id) return static_cast<int>(i);
    return -1;
  }();
  lessons_->showLesson(index);
  if (auto* dock = qobject_cast<QDockWidget*>(lessons_->parentWidget())) dock->raise();
  plots_->showPlot(lesson.watch);
  plots_->setLessonAxes(true);
  if (!run) return;
  const auto configs = lessonConfigs(lesson);
  // The same batches for both runs unless the reference reads other data.
  const bool same_data = configs.size() < 2 || configs[0].toJson()["dataset"] == configs[1].toJson()["dataset"];
  startConfigs(configs, same_data);
}

std::vector<RunConfig> MainWindow::lessonConfigs(const Lesson& lesson) {
  std::vector<RunConfig> configs{lesson.config};
  if (lesson.reference) configs.push_back(*lesson.reference);
  for (RunConfig& cfg : configs)
    if (cfg.name.empty()) cfg.name = lesson.title.toStdString();
  return configs;
}

qint64 MainWindow::storeIdOf(const QString& live_key) const {
  const auto it = live_ids_.find(live_key);
  return it == live_ids_.end() ? 0 : it->second;
}

void MainWindow::listLiveRuns() {
  browser_->refresh();
  const auto traces = session_->traces();
  const auto& infos = session_->runInfos();
  bool all_listed = true;
  for (int i = 0; i < traces.size() && i < static_cast<int>(infos.size()); ++i) {
    if (storeIdOf(traces[i]->key) > 0) continue;
    // The store row of a live run: same name and start time (both come from its RunInfo).
    qint64 found = 0;
    for (const RunRow& row : browser_->allRows())
      if (row.name == infos[i].name && row.started_ms == infos[i].started_ms) found = row.id;
    if (found > 0) {
      live_ids_[traces[i]->key] = found;
      palette_.alias(QString::number(found), traces[i]->key);
    } else {
      all_listed = false;
    }
  }
  // Stop once every live run is listed, or after ~10 s (no store: nothing to list).
  if (all_listed || ++list_live_tries_ >= 25 || !session_->busy()) list_live_timer_->stop();
}

void MainWindow::onProgress(const TrainingProgress& p) {
  const int percent = p.total_steps > 0 ? static_cast<int>(100 * p.step / p.total_steps) : 0;
  progress_bar_->setValue(percent);
  QString prefix = p.jobs > 1 ? tr("run %1/%2 · ").arg(p.job + 1).arg(p.jobs) : QString();
  progress_bar_->setFormat(prefix + (session_->paused() ? tr("paused · ") : QString()) +
                           tr("step %1/%2").arg(p.step).arg(p.total_steps));
  speed_label_->setText(tr("%1 samples/s · ETA %2 · loss %3 · scale 2^%4")
                            .arg(p.samples_per_s, 0, 'f', 0)
                            .arg(formatDuration(p.eta_s))
                            .arg(p.loss, 0, 'g', 4)
                            .arg(p.scale > 0 ? std::log2(p.scale) : 0, 0, 'g', 3));
  latency_label_->setText(tr("UI latency p50 %1 ms · p99 %2 ms").arg(probe_->p50(), 0, 'f', 1).arg(probe_->p99(), 0, 'f', 1));
}

void MainWindow::onBatchFinished() {
  probe_->stop();
  latency_label_->setText(tr("UI latency p50 %1 ms · p99 %2 ms (last run)")
                              .arg(probe_->p50(), 0, 'f', 1)
                              .arg(probe_->p99(), 0, 'f', 1));
  progress_bar_->setFormat(tr("done · step %1").arg(session_->progress().step));
  browser_->refresh();
  QList<qint64> ids;
  for (qint64 id : session_->storedRunIds())
    if (id > 0) ids << id;
  // Show the stored versions (with summaries and the comparison) when everything was saved.
  if (!ids.isEmpty() && ids.size() == session_->traces().size()) {
    show_live_ = false;
    for (qint64 id : ids) stored_traces_.erase(id);
    browser_->selectRuns(ids);
    // The point of an A/B run is the side-by-side table: show it (lessons keep their text).
    // With several seeds the groups (mean curves with bands, verdicts) say more.
    if (comparison_when_done_ && ids.size() >= 2) {
      QWidget* front = ids.size() > 2 && !groups_->groups().empty() ? static_cast<QWidget*>(groups_) : compare_;
      if (auto* dock = qobject_cast<QDockWidget*>(front->parentWidget())) dock->raise();
    }
  }
  comparison_when_done_ = false;
  updateActions();
  emit batchFinished();
}

void MainWindow::onSelectionChanged(const QList<qint64>& ids) {
  // Oldest first, as the runs trained (the list shows the newest on top): legends then
  // read like the live ones, e.g. a lesson before its reference.
  selected_ids_ = ids;
  std::sort(selected_ids_.begin(), selected_ids_.end());
  std::vector<RunRow> rows = browser_->rowsFor(selected_ids_);
  StepTimesByRun step_times;  // the comparison's speedup reads the stored step times
  QSet<qint64> live;  // runs training now: their live trace stands for them
  if (session_->busy())
    for (const auto& t : session_->traces())
      if (const qint64 id = storeIdOf(t->key)) live.insert(id);
  try {
    std::unique_ptr<RunStore> store;
    for (const RunRow& row : rows) {
      if (live.contains(row.id)) continue;
      if (stored_traces_.count(row.id) && row.status != RunStatus::Running) continue;
      if (!store) store = std::make_unique<RunStore>(RunStore::open(store_path_.toStdString(), StoreOpenMode::ReadOnly));
      stored_traces_[row.id] = loadStoredTrace(*store, row, runColor(0));
    }
    if (!store && !rows.empty())
      store = std::make_unique<RunStore>(RunStore::open(store_path_.toStdString(), StoreOpenMode::ReadOnly));
    if (store) step_times = storedStepTimes(*store, rows);
  } catch (const std::exception& e) {
    showError(tr("Run store"), tr("Cannot read the selected runs: %1").arg(e.what()));
  }
  // Seeds of one config form a group: mean curves with bands, intervals, verdicts.
  std::vector<RunRow> finished;
  std::vector<RunMeasures> measures;
  for (const RunRow& r : rows) {
    if (!isComparable(r)) continue;
    finished.push_back(r);
    auto t = step_times.find(r.id);
    measures.push_back(measureRun(r, t == step_times.end() ? std::vector<double>{} : t->second));
  }
  std::vector<RunGroup> groups = groupRuns(finished, measures);
  compare_->setVerdicts(groupVerdicts(groups));
  groups_->setGroups(std::move(groups), stored_traces_);
  compare_->setRuns(rows, std::move(step_times));
  if (!session_->busy()) show_live_ = false;
  updateDisplayedTraces();
}

void MainWindow::updateDisplayedTraces() {
  QList<std::shared_ptr<RunTrace>> shown;
  QSet<qint64> live;  // store ids of the live runs shown: a run is drawn once
  if (show_live_ || session_->busy())
    for (const auto& t : session_->traces()) {
      shown << t;
      if (const qint64 id = storeIdOf(t->key)) live.insert(id);
    }
  for (qint64 id : selected_ids_) {
    auto it = stored_traces_.find(id);
    if (it == stored_traces_.end() || live.contains(id)) continue;
    shown << it->second;
  }
  QStringList keys;
  for (const auto& t : shown) keys << t->key;
  const QList<QColor> colors = palette_.assign(keys);
  QList<std::shared_ptr<const RunTrace>> drawn;
  for (int i = 0; i < shown.size(); ++i) {
    if (shown[i]->color != colors[i]) {
      shown[i]->color = colors[i];
      ++shown[i]->revision;
    }
    drawn << shown[i];
  }
  plots_->setTraces(drawn);
}

void MainWindow::updateActions() {
  const bool busy = session_->busy();
  start_action_->setEnabled(!busy);
  ab_action_->setEnabled(!busy);
  pause_action_->setEnabled(busy);
  stop_action_->setEnabled(busy);
  if (!busy) pause_action_->setText(tr("Pause / resume"));
}

// Every GUI output is checked against the open store first (by file identity, as the
// CLI's outputs): a plot saved as a symlink to runs.sqlite would otherwise truncate it.
QString MainWindow::outputProblem(const QString& path) const {
  const std::string hit = outputHitsStore(path.toStdString(), store_path_.toStdString());
  if (hit.empty()) return {};
  return tr("Cannot export to %1: it %2; writing there would destroy stored runs (choose another file)")
      .arg(path, QString::fromStdString(hit));
}

QString MainWindow::exportPlot(const QString& plot_id, const QString& path) {
  if (const QString problem = outputProblem(path); !problem.isEmpty()) return problem;
  HalflabPlot* p = plots_->plot(plot_id);
  if (!p) return tr("There is no plot called '%1'").arg(plot_id);
  return halflab::exportPlot(p, path);
}

QString MainWindow::exportSelectedRuns(const QString& path) {
  try {
    const RunStore store = RunStore::open(store_path_.toStdString(), StoreOpenMode::ReadOnly);
    return path.endsWith(".json", Qt::CaseInsensitive) ? exportRunsJson(store, selected_ids_, path)
                                                       : exportRunsCsv(store, selected_ids_, path);
  } catch (const std::exception& e) {
    return tr("Cannot read the run store: %1").arg(e.what());
  }
}

QString MainWindow::exportReport(const QString& path) {
  if (const QString problem = outputProblem(path); !problem.isEmpty()) return problem;
  try {
    const RunStore store = RunStore::open(store_path_.toStdString(), StoreOpenMode::ReadOnly);
    QList<QPair<QString, QCustomPlot*>> plots;
    for (const auto& id : {"loss", "accuracy", "scale", "throughput", "histogram"})
      if (HalflabPlot* p = plots_->plot(id)) plots << qMakePair(p->title(), static_cast<QCustomPlot*>(p));
    return exportComparisonHtml(store, selected_ids_, compare_->baseline(), plots, path);
  } catch (const std::exception& e) {
    return tr("Cannot read the run store: %1").arg(e.what());
  }
}

QString MainWindow::exportByPath(const QString& path) {
  if (const QString problem = outputProblem(path); !problem.isEmpty()) return problem;
  const QString suffix = QFileInfo(path).suffix().toLower();
  if (suffix == "png" || suffix == "pdf" || suffix == "svg") return halflab::exportPlot(plots_->currentPlot(), path);
  if (suffix == "csv" || suffix == "json") return exportSelectedRuns(path);
  if (suffix == "html" || suffix == "htm") return exportReport(path);
  return tr("Unknown export format '.%1' (use png, pdf, svg, csv, json or html)").arg(suffix);
}

void MainWindow::exportDialog() {
  QFileDialog dialog(this, tr("Export"), QDir::homePath(),
                     tr("Current plot as PNG (*.png);;Current plot as PDF (*.pdf);;Current plot as SVG (*.svg);;"
                        "Selected runs as CSV (*.csv);;Selected runs as JSON (*.json);;Comparison report (*.html)"));
  dialog.setObjectName("exportDialog");
  dialog.setAcceptMode(QFileDialog::AcceptSave);
  dialog.selectFile("halflab-export.png");
  if (dialog.exec() != QDialog::Accepted || dialog.selectedFiles().isEmpty()) return;
  // A name without an extension gets the chosen type's. The dialog checked the name as
  // typed for overwriting, so check the real one here.
  const QString typed = dialog.selectedFiles().front();
  const QString path = withFilterSuffix(typed, dialog.selectedNameFilter());
  if (path != typed && QFileInfo::exists(path) && !quiet_ &&
      QMessageBox::question(this, tr("Export"), tr("%1 already exists. Replace it?").arg(path)) != QMessageBox::Yes)
    return;
  const QString error = exportByPath(path);
  if (!error.isEmpty())
    showError(tr("Export failed"), error);
  else
    statusBar()->showMessage(tr("Exported %1").arg(path), 5000);
}

void MainWindow::saveSettings() {
  QSettings s;
  s.setValue("window/geometry", saveGeometry());
  s.setValue("window/state", saveState());
  s.setValue("config/last", QString::fromStdString(config_->config().toJsonText()));
  s.setValue("plots/smoothing", plots_->smoothing());
  s.setValue("store/path", store_path_);
}

void MainWindow::restoreSettings() {
  QSettings s;
  if (!restoreGeometry(s.value("window/geometry").toByteArray())) resize(1500, 950);
  restoreState(s.value("window/state").toByteArray());
  plots_->setSmoothing(s.value("plots/smoothing", 0.6).toDouble());
  const QString last = s.value("config/last").toString();
  if (!last.isEmpty()) {
    try {
      config_->setConfig(RunConfig::fromJsonText(last.toStdString()));
    } catch (const std::exception& e) {
      statusBar()->showMessage(tr("The saved config was not usable (%1); using the default").arg(e.what()), 8000);
    }
  }
}

void MainWindow::closeEvent(QCloseEvent* event) {
  if (session_->busy()) {
    if (!quiet_ && QMessageBox::question(this, tr("Training in progress"),
                                         tr("A run is in progress. Stop it and quit?")) != QMessageBox::Yes) {
      event->ignore();
      return;
    }
    session_->stop();
  }
  saveSettings();
  event->accept();
}

}  // namespace halflab

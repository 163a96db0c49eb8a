#pragma once
// The HalfLab workbench: config panel | live plots | run browser, with the compare table
// and lessons below. Runs train on a worker thread (TrainingSession); every run is
// stored; selected stored runs are overlaid on the plots.
#include <map>
#include <memory>

#include <QList>
#include <QMainWindow>

#include "engine/train/run_config.hpp"
#include "plots/run_palette.hpp"
#include "plots/run_trace.hpp"
#include "ui/lesson.hpp"
#include "ui/training_session.hpp"

class QAction;
class QLabel;
class QProgressBar;
class QSpinBox;
class QTimer;

namespace halflab {

class ConfigPanel;
class ModelView;
class PlotPanel;
class RunBrowser;
class CompareView;
class GroupView;
class LessonsPanel;
class LatencyProbe;

class MainWindow : public QMainWindow {
  Q_OBJECT
 public:
  // store_path: the run store; empty = the one in QSettings, else defaultStorePath().
  // quiet: no modal dialogs (tests, scripted runs); see setQuiet().
  explicit MainWindow(const QString& store_path = {}, bool quiet = false, QWidget* parent = nullptr);
  ~MainWindow() override;

  ConfigPanel* configPanel() const { return config_; }
  PlotPanel* plotPanel() const { return plots_; }
  RunBrowser* runBrowser() const { return browser_; }
  CompareView* compareView() const { return compare_; }
  GroupView* groupView() const { return groups_; }
  QSpinBox* abSeedsBox() const { return ab_seeds_; }
  LessonsPanel* lessonsPanel() const { return lessons_; }
  ModelView* modelView() const { return model_view_; }
  // Brings a dock to the front: model, runs, comparison, groups, lessons (false: no such dock).
  bool raiseDock(const QString& name);
  TrainingSession* session() const { return session_; }
  LatencyProbe* latencyProbe() const { return probe_; }
  const QString& storePath() const { return store_path_; }

  // Actions (also behind the menus and shortcuts). Return false when nothing started;
  // the reason is shown (dialog) and kept in lastError().
  bool startRun();
  bool startAB();
  bool startConfigs(std::vector<RunConfig> configs, bool share_data);
  // The sweep dialog for the current config (nullptr when the config is invalid); its
  // finished sweep is selected, grouped, in the Groups view.
  class SweepDialog* openSweepDialog();
  void togglePause();
  void stopRun();
  void loadLesson(const Lesson& lesson, bool run);
  // The two configs an A/B run trains: FP32 first, then the low-precision arm.
  // With seeds > 1: that many pairs, seeds cfg.seed, cfg.seed + 1, ... (the seeds box).
  static std::vector<RunConfig> abConfigs(const RunConfig& cfg, int seeds = 1);
  // What a lesson trains: its config, then its reference run (if it has one).
  static std::vector<RunConfig> lessonConfigs(const Lesson& lesson);
  // The store id of the run a live trace is training (0 = not known yet).
  qint64 storeIdOf(const QString& live_key) const;

  // Exports; return "" on success or the error.
  QString exportPlot(const QString& plot_id, const QString& path);
  QString exportSelectedRuns(const QString& path);  // .csv or .json
  QString exportReport(const QString& path);        // .html
  QString exportByPath(const QString& path);        // dispatch on the suffix
  // "" or why writing `path` would hit the open run store (or its -wal/-shm/-journal).
  QString outputProblem(const QString& path) const;

  void openStore(const QString& path);
  // Tests and scripted runs: no modal dialogs; errors go to lastError() and the status bar.
  void setQuiet(bool quiet) { quiet_ = quiet; }
  const QString& lastError() const { return last_error_; }

 signals:
  void batchFinished();

 protected:
  void closeEvent(QCloseEvent* event) override;

 private:
  void buildActions();
  void buildDocks();
  void showError(const QString& title, const QString& message);
  void updateDisplayedTraces();
  void onSelectionChanged(const QList<qint64>& ids);
  void onProgress(const TrainingProgress& p);
  void onBatchFinished();
  void updateActions();
  void saveSettings();
  void restoreSettings();
  void exportDialog();
  void listLiveRuns();

  ConfigPanel* config_ = nullptr;
  PlotPanel* plots_ = nullptr;
  RunBrowser* browser_ = nullptr;
  CompareView* compare_ = nullptr;
  GroupView* groups_ = nullptr;
  QSpinBox* ab_seeds_ = nullptr;
  LessonsPanel* lessons_ = nullptr;
  ModelView* model_view_ = nullptr;
  TrainingSession* session_ = nullptr;
  LatencyProbe* probe_ = nullptr;
  QProgressBar* progress_bar_ = nullptr;
  QLabel* speed_label_ = nullptr;
  QLabel* latency_label_ = nullptr;
  QAction* start_action_ = nullptr;
  QAction* pause_action_ = nullptr;
  QAction* stop_action_ = nullptr;
  QAction* ab_action_ = nullptr;
  QString store_path_;
  QString last_error_;
  bool quiet_ = false;
  bool show_live_ = false;
  bool comparison_when_done_ = false;  // an A/B batch: bring the comparison table up at the end
  QList<qint64> selected_ids_;
  std::map<qint64, std::shared_ptr<RunTrace>> stored_traces_;
  RunPalette palette_;                   // a run's colour for its whole life
  std::map<QString, qint64> live_ids_;   // live trace key -> the store id of its run
  QTimer* list_live_timer_ = nullptr;    // lists a new run in the browser once stored
  int list_live_tries_ = 0;
};

}  // namespace halflab

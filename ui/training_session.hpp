#pragma once
// The GUI side of training: owns the worker thread, the record buffer and the live
// traces. A ~30 Hz timer drains the buffer into the traces and reports progress, so the
// GUI never waits on training.
#include <memory>
#include <vector>

#include <QElapsedTimer>
#include <QList>
#include <QObject>
#include <QThread>
#include <QTimer>

#include "engine/train/run_config.hpp"
#include "plots/run_trace.hpp"
#include "ui/record_buffer.hpp"

namespace halflab {

class TrainingWorker;

struct TrainingProgress {
  int job = 0, jobs = 0;       // which run of the batch (A/B: 0 then 1 of 2)
  QString name;
  std::int64_t step = 0, total_steps = 0;
  double samples_per_s = 0;
  double eta_s = -1;           // -1 = unknown
  double loss = 0;
  double scale = 1;
};

class TrainingSession : public QObject {
  Q_OBJECT
 public:
  explicit TrainingSession(QObject* parent = nullptr);
  ~TrainingSession() override;  // cancels a running job and joins the thread

  bool busy() const { return busy_; }
  bool paused() const { return paused_; }
  // Starts the configs one after another. False (and nothing started) while busy.
  bool start(std::vector<RunConfig> configs, const QString& db_path, bool share_data);
  void setPaused(bool paused);
  void stop();

  // One trace per job of the current (or last) batch, in job order.
  QList<std::shared_ptr<RunTrace>> traces() const { return traces_; }
  // The start record of each trace's run (name, start time: what the store row holds).
  const std::vector<RunInfo>& runInfos() const { return infos_; }
  // Store ids of the finished jobs of the current batch (0 where not stored).
  const QList<qint64>& storedRunIds() const { return stored_ids_; }
  const std::vector<RunSummary>& summaries() const { return summaries_; }
  const TrainingProgress& progress() const { return progress_; }
  // Moves buffered records into the traces now (the timer does this at ~30 Hz).
  void drain();

 signals:
  void tracesChanged();                 // a job started: a new live trace exists
  void updated();                       // records were applied to the traces
  void progressChanged(const halflab::TrainingProgress& progress);
  void message(const QString& text, bool is_error);  // events worth telling the user
  void jobFinished(int index, qint64 store_run_id, const QString& status, const QString& error);
  void jobFailed(int index, const QString& message);
  void storeProblem(const QString& message);
  void busyChanged(bool busy);
  void allFinished();

 private:
  void apply(const BufferedRecord& record);

  QThread thread_;
  RecordBuffer buffer_;
  TrainingWorker* worker_ = nullptr;
  QTimer drain_timer_;
  QList<std::shared_ptr<RunTrace>> traces_;
  std::vector<RunInfo> infos_;
  int batch_ = 0;  // batches started so far: live keys stay unique across batches
  QList<qint64> stored_ids_;
  std::vector<RunSummary> summaries_;
  std::vector<RunConfig> configs_;
  TrainingProgress progress_;
  bool busy_ = false;
  bool paused_ = false;
};

}  // namespace halflab

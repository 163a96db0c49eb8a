#pragma once
// Runs training jobs on a worker thread (a QObject moved to a QThread). Every record goes
// to the GUI's RecordBuffer and to a RunWriter (the store). Controls (pause, cancel) may
// be called from the GUI thread at any time.
#include <memory>
#include <mutex>
#include <vector>

#include <QObject>
#include <QString>
#include <QThread>

#include "engine/train/run_config.hpp"
#include "ui/record_buffer.hpp"

namespace halflab {

class Trainer;

class TrainingWorker : public QObject {
  Q_OBJECT
 public:
  explicit TrainingWorker(RecordBuffer* buffer);

  // Runs the configs one after another on the thread this object lives on. With
  // share_data the dataset is loaded once and reused (A/B: identical data and batches).
  // Empty db_path: records only go to the buffer.
  void runJobs(std::vector<RunConfig> configs, QString db_path, bool share_data);

  // Thread-safe controls.
  void setPaused(bool paused);
  void cancel();

 signals:
  void jobStarted(int index, int count, QString name);
  // store_run_id is 0 when the store could not be written (see storeProblem).
  void jobFinished(int index, qint64 store_run_id, QString status, QString error);
  void jobFailed(int index, QString message);       // could not start (data, config)
  void storeProblem(QString message);               // store could not be opened / written
  void allFinished();

 private:
  RecordBuffer* buffer_;
  std::mutex mutex_;
  Trainer* current_ = nullptr;
  bool cancelled_ = false;
  bool paused_ = false;
};

}  // namespace halflab

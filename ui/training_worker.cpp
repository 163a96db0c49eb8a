#include "ui/training_worker.hpp"

#include <exception>

#include "engine/data/dataset.hpp"
#include "engine/train/trainer.hpp"
#include "storage/run_writer.hpp"

namespace halflab {

TrainingWorker::TrainingWorker(RecordBuffer* buffer) : buffer_(buffer) {}

void TrainingWorker::setPaused(bool paused) {
  std::lock_guard lock(mutex_);
  paused_ = paused;
  if (current_) current_->setPaused(paused);
}

void TrainingWorker::cancel() {
  std::lock_guard lock(mutex_);
  cancelled_ = true;
  if (current_) {
    current_->setPaused(false);
    current_->requestCancel();
  }
}

void TrainingWorker::runJobs(std::vector<RunConfig> configs, QString db_path, bool share_data) {
  {
    std::lock_guard lock(mutex_);
    cancelled_ = false;
  }
  std::unique_ptr<RunWriter> writer;
  if (!db_path.isEmpty()) {
    try {
      writer = std::make_unique<RunWriter>(db_path.toStdString());
    } catch (const std::exception& e) {
      emit storeProblem(tr("The run store cannot be opened, runs will not be saved:\n%1").arg(e.what()));
    }
  }
  std::shared_ptr<const DataSplit> shared;
  const int count = static_cast<int>(configs.size());
  for (int i = 0; i < count; ++i) {
    {
      std::lock_guard lock(mutex_);
      if (cancelled_) break;
    }
    // The config as given: threads = 0 means all cores here as in the CLI (the thread
    // count changes the results, so the GUI must not pick another one behind the
    // user's back); the Trainer stores the number it used with the run.
    const RunConfig& cfg = configs[i];
    emit jobStarted(i, count, QString::fromStdString(cfg.displayName()));
    try {
      auto trainer = std::make_unique<Trainer>(cfg);
      if (share_data) {
        if (!shared) shared = loadDataFor(cfg);
        trainer->setData(shared);
      }
      {
        std::lock_guard lock(mutex_);
        current_ = trainer.get();
        trainer->setPaused(paused_);
        if (cancelled_) trainer->requestCancel();
      }
      ObserverList observers;
      observers.add(buffer_);
      if (writer) observers.add(writer.get());
      const RunSummary summary = trainer->run(observers);
      {
        std::lock_guard lock(mutex_);
        current_ = nullptr;
      }
      qint64 run_id = 0;
      if (writer) {
        if (!writer->flush() || !writer->lastError().empty())
          emit storeProblem(tr("Saving the run failed: %1").arg(QString::fromStdString(writer->lastError())));
        run_id = writer->runId();
      }
      emit jobFinished(i, run_id, QString::fromUtf8(runStatusName(summary.status)),
                       QString::fromStdString(summary.error));
    } catch (const std::exception& e) {
      {
        std::lock_guard lock(mutex_);
        current_ = nullptr;
      }
      emit jobFailed(i, QString::fromUtf8(e.what()));
      break;  // the next job (A/B) would fail the same way
    }
  }
  emit allFinished();
}

}  // namespace halflab

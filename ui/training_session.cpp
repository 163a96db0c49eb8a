#include "ui/training_session.hpp"

#include "ui/training_worker.hpp"

namespace halflab {

TrainingSession::TrainingSession(QObject* parent) : QObject(parent) {
  worker_ = new TrainingWorker(&buffer_);
  worker_->moveToThread(&thread_);
  connect(&thread_, &QThread::finished, worker_, &QObject::deleteLater);
  thread_.setObjectName("halflab-training");
  thread_.start();

  drain_timer_.setInterval(33);  // ~30 Hz
  connect(&drain_timer_, &QTimer::timeout, this, &TrainingSession::drain);

  // Queued: these come from the worker thread. Drain first so that a finished job's
  // trace is complete before anyone looks at it.
  connect(worker_, &TrainingWorker::jobStarted, this, [this](int index, int count, QString name) {
    // The run's start record sets the progress (step count included). It may have been
    // drained already, e.g. by the previous job's jobFinished when the GUI thread was
    // busy: then it stands; resetting here would leave the second A/B arm at "step N/0".
    drain();
    if (traces_.size() > index) return;
    progress_ = {};
    progress_.job = index;
    progress_.jobs = count;
    progress_.name = name;
    emit progressChanged(progress_);
  });
  connect(worker_, &TrainingWorker::jobFinished, this,
          [this](int index, qint64 id, QString status, QString error) {
            drain();
            while (stored_ids_.size() <= index) stored_ids_.push_back(0);
            stored_ids_[index] = id;
            emit jobFinished(index, id, status, error);
          });
  connect(worker_, &TrainingWorker::jobFailed, this, [this](int index, QString msg) {
    drain();
    emit jobFailed(index, msg);
  });
  connect(worker_, &TrainingWorker::storeProblem, this, &TrainingSession::storeProblem);
  connect(worker_, &TrainingWorker::allFinished, this, [this] {
    drain();
    drain_timer_.stop();
    busy_ = false;
    paused_ = false;
    emit busyChanged(false);
    emit allFinished();
  });
}

TrainingSession::~TrainingSession() {
  worker_->cancel();
  thread_.quit();
  thread_.wait();
}

bool TrainingSession::start(std::vector<RunConfig> configs, const QString& db_path, bool share_data) {
  if (busy_ || configs.empty()) return false;
  busy_ = true;
  paused_ = false;
  traces_.clear();
  infos_.clear();
  ++batch_;
  stored_ids_.clear();
  summaries_.clear();
  configs_ = configs;
  buffer_.drain();  // leftovers of a previous batch
  worker_->setPaused(false);
  emit tracesChanged();
  emit busyChanged(true);
  QMetaObject::invokeMethod(worker_, [w = worker_, configs = std::move(configs), db_path, share_data]() mutable {
    w->runJobs(std::move(configs), db_path, share_data);
  }, Qt::QueuedConnection);
  drain_timer_.start();
  return true;
}

void TrainingSession::setPaused(bool paused) {
  if (!busy_) return;
  paused_ = paused;
  worker_->setPaused(paused);
}

void TrainingSession::stop() {
  if (busy_) worker_->cancel();
}

void TrainingSession::drain() {
  auto records = buffer_.drain();
  if (records.empty()) return;
  for (const auto& r : records) apply(r);
  emit updated();
  emit progressChanged(progress_);
}

void TrainingSession::apply(const BufferedRecord& record) {
  if (const auto* info = std::get_if<RunInfo>(&record)) {
    auto trace = std::make_shared<RunTrace>();
    trace->key = QStringLiteral("live:%1:%2").arg(batch_).arg(traces_.size());
    trace->label = QString::fromStdString(info->name.empty() ? info->precision_mode : info->name);
    // A/B runs share a name pattern: make the legend say which arm is which.
    if (!trace->label.contains(QString::fromStdString(info->precision_mode)))
      trace->label += " (" + QString::fromStdString(info->precision_mode) + ")";
    trace->color = runColor(traces_.size());  // the main window's palette repaints it
    // A new job: its progress starts here, whatever was shown for the previous one.
    progress_ = {};
    progress_.job = static_cast<int>(traces_.size());
    progress_.jobs = static_cast<int>(configs_.size());
    progress_.name = QString::fromStdString(info->name);
    progress_.total_steps = info->total_steps;
    traces_.push_back(trace);
    infos_.push_back(*info);
    emit tracesChanged();
    return;
  }
  if (traces_.isEmpty()) return;  // records without a start: nothing to attach them to
  RunTrace& trace = *traces_.back();
  if (const auto* s = std::get_if<StepRecord>(&record)) {
    trace.add(*s);
    progress_.step = s->step;
    progress_.samples_per_s = s->samples_per_s;
    progress_.loss = s->loss;
    progress_.scale = s->scale_after;
    const double steps_per_s = s->wall_ms > 0 ? s->step / (s->wall_ms / 1000.0) : 0;
    progress_.eta_s = steps_per_s > 0 && progress_.total_steps > 0
                          ? (progress_.total_steps - s->step) / steps_per_s : -1;
  } else if (const auto* e = std::get_if<EvalRecord>(&record)) {
    trace.add(*e);
  } else if (const auto* h = std::get_if<HistogramRecord>(&record)) {
    trace.add(*h);
  } else if (const auto* ev = std::get_if<EventRecord>(&record)) {
    const QString text = QString::fromStdString(ev->text);
    switch (ev->kind) {
      case EventKind::Diverged:
        emit message(tr("%1 diverged at step %2: %3").arg(trace.label).arg(ev->step).arg(text), true);
        break;
      case EventKind::RunFailed:
        emit message(tr("%1 failed: %2").arg(trace.label, text), true);
        break;
      case EventKind::Warning:
        emit message(tr("%1: %2").arg(trace.label, text), false);
        break;
      default:
        break;
    }
  } else if (const auto* sum = std::get_if<RunSummary>(&record)) {
    summaries_.push_back(*sum);
    progress_.eta_s = 0;
  }
}

}  // namespace halflab

#pragma once
// The hand-off between the training thread and the GUI (PlotJuggler's pattern): the
// observer appends records under a mutex in microseconds; a GUI timer takes everything
// at ~30 Hz. Records keep their order, so one drain may hold the end of one run and the
// start of the next (A/B).
#include <mutex>
#include <variant>
#include <vector>

#include "engine/record/observer.hpp"

namespace halflab {

using BufferedRecord = std::variant<RunInfo, StepRecord, EvalRecord, HistogramRecord, EventRecord, RunSummary>;

class RecordBuffer : public RunObserver {
 public:
  void onRunStarted(const RunInfo& r) override { push(r); }
  void onStep(const StepRecord& r) override { push(r); }
  void onEval(const EvalRecord& r) override { push(r); }
  void onHistogram(const HistogramRecord& r) override { push(r); }
  void onEvent(const EventRecord& r) override { push(r); }
  void onRunFinished(const RunSummary& r) override { push(r); }

  // Everything appended since the last call, oldest first.
  std::vector<BufferedRecord> drain() {
    std::vector<BufferedRecord> out;
    std::lock_guard lock(mutex_);
    out.swap(records_);
    return out;
  }
  bool empty() const {
    std::lock_guard lock(mutex_);
    return records_.empty();
  }

 private:
  template <class R>
  void push(const R& r) {
    std::lock_guard lock(mutex_);
    records_.emplace_back(r);
  }
  mutable std::mutex mutex_;
  std::vector<BufferedRecord> records_;
};

}  // namespace halflab

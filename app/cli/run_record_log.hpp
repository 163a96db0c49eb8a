#pragma once
// Every record of the current run, kept in memory in the order it came, so that a run the
// store could not take (locked by a stalled writer, disk full) can still be written out
// whole afterwards (store_fallback.hpp). Cleared at each onRunStarted. Step records
// beyond max_steps are counted but not kept (~200 bytes each: 1M steps ~ 200 MB).
#include <cstdint>
#include <variant>
#include <vector>

#include "engine/record/observer.hpp"

namespace halflab::cli {

class RunRecordLog : public RunObserver {
 public:
  explicit RunRecordLog(std::size_t max_steps = 2'000'000) : max_steps_(max_steps) {}
  void onRunStarted(const RunInfo& r) override;
  void onStep(const StepRecord& r) override;
  void onEval(const EvalRecord& r) override { records_.emplace_back(r); }
  void onHistogram(const HistogramRecord& r) override { records_.emplace_back(r); }
  void onEvent(const EventRecord& r) override { records_.emplace_back(r); }
  void onRunFinished(const RunSummary& r) override { records_.emplace_back(r); }

  // Sends every kept record, in order, to `to`.
  void replay(RunObserver& to) const;
  std::size_t size() const { return records_.size(); }
  std::int64_t stepsNotKept() const { return steps_not_kept_; }
  const std::string& runName() const { return name_; }

 private:
  using Record = std::variant<RunInfo, StepRecord, EvalRecord, HistogramRecord, EventRecord, RunSummary>;
  std::vector<Record> records_;
  std::size_t max_steps_;
  std::size_t steps_ = 0;
  std::int64_t steps_not_kept_ = 0;
  std::string name_;
};

}  // namespace halflab::cli

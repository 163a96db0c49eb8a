#include "app/cli/run_record_log.hpp"

namespace halflab::cli {

void RunRecordLog::onRunStarted(const RunInfo& r) {
  records_.clear();
  steps_ = 0;
  steps_not_kept_ = 0;
  name_ = r.name;
  records_.emplace_back(r);
}

void RunRecordLog::onStep(const StepRecord& r) {
  if (steps_ >= max_steps_) {
    ++steps_not_kept_;
    return;
  }
  ++steps_;
  records_.emplace_back(r);
}

void RunRecordLog::replay(RunObserver& to) const {
  for (const Record& rec : records_) {
    std::visit(
        [&](const auto& r) {
          using T = std::decay_t<decltype(r)>;
          if constexpr (std::is_same_v<T, RunInfo>) to.onRunStarted(r);
          else if constexpr (std::is_same_v<T, StepRecord>) to.onStep(r);
          else if constexpr (std::is_same_v<T, EvalRecord>) to.onEval(r);
          else if constexpr (std::is_same_v<T, HistogramRecord>) to.onHistogram(r);
          else if constexpr (std::is_same_v<T, EventRecord>) to.onEvent(r);
          else to.onRunFinished(r);
        },
        rec);
  }
}

}  // namespace halflab::cli

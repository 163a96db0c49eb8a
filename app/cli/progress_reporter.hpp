#pragma once
// Terminal progress for `halflab-cli train`: a bar with ETA, live loss and loss scale on
// a terminal; a plain line every ~10% when stderr is not a terminal (CI logs).
#include <chrono>
#include <cstdio>
#include <string>

#include "engine/record/observer.hpp"

namespace halflab::cli {

class ProgressReporter : public RunObserver {
 public:
  explicit ProgressReporter(bool quiet);
  void onRunStarted(const RunInfo& info) override;
  void onStep(const StepRecord& r) override;
  void onEval(const EvalRecord& r) override;
  void onEvent(const EventRecord& e) override;
  void onRunFinished(const RunSummary& s) override;

 private:
  void draw(const StepRecord& r, bool force);
  bool quiet_, tty_;
  std::string name_;
  std::int64_t total_ = 0;
  std::int64_t skipped_ = 0;
  int last_decile_ = -1;
  std::chrono::steady_clock::time_point last_draw_{};
  double ema_sps_ = 0;
  bool line_open_ = false;
};

std::string formatDuration(double seconds);

}  // namespace halflab::cli

#pragma once
// What the CPU training loop and its CUDA twin do alike: the run summary, the training
// loss and accuracy the next eval record reports, each step record with its events in a
// fixed order, the divergence rules, and the run's start and end. One implementation, so
// both backends emit the same records and events and stop for the same reasons.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>

#include "engine/record/observer.hpp"

namespace halflab {

using RunClock = std::chrono::steady_clock;

double msSince(RunClock::time_point t0);
std::int64_t unixMs();
std::string formatEventNumber(double v);  // "%g": 65536, 0.001, 1e-06

struct BookkeepingRules {
  bool scaler_none = false;      // nothing can back off: 5 non-finite gradient steps in a row diverge
  bool step_schedule = false;    // learning-rate changes are events (step schedules)
  double target_accuracy = 1.0;  // the summary's time_to_target_s
};

class RunBookkeeper {
 public:
  RunBookkeeper(RunObserver& obs, RunClock::time_point t0, BookkeepingRules rules, RunSummary& summary);

  // `rec` is complete but for samples_per_s and wall_ms, filled here from step_time_ms and
  // the batch size m; `correct` counts the batch's right predictions. Emits, in order: a
  // LrChange event, the record, Overflow, ScaleChange and Diverged events. Returns false
  // when the run must stop (it diverged; the summary says why).
  bool finishStep(StepRecord& rec, std::int64_t m, std::int64_t correct);
  // Adds the training loss and accuracy since the last evaluation to `ev` (the caller
  // filled the validation fields), updates the summary and emits the record.
  void finishEval(EvalRecord& ev);
  // While `paused` is set: Paused event, wait, Resumed event. False when the user
  // cancelled during the pause.
  bool waitWhilePaused(std::int64_t step, const std::atomic<bool>& paused, const std::atomic<bool>& cancel);
  // The user cancelled before `step` (a diverged run stays diverged).
  void cancelled(std::int64_t step);
  // Throughput over the steps trained; call once after the loop.
  void finishTraining();

  void emitEvent(std::int64_t step, EventKind kind, double value, std::string text);
  double elapsedMs() const { return msSince(t0_); }

 private:
  RunObserver& obs_;
  RunClock::time_point t0_;
  BookkeepingRules rules_;
  RunSummary& summary_;
  std::int64_t nonfinite_loss_streak_ = 0, inf_grad_streak_ = 0;
  double last_lr_ = -1;
  double train_ms_ = 0;
  std::int64_t samples_trained_ = 0;
  double train_loss_sum_ = 0;
  std::int64_t train_batches_ = 0, train_correct_ = 0, train_seen_ = 0;
};

// The run's first records: onRunStarted, then the RunStarted event.
void announceRun(RunObserver& obs, const RunInfo& info, RunClock::time_point t0);
// Ends a run that could not train (or failed while training): RunFailed event, summary.
RunSummary failRun(RunObserver& obs, RunSummary summary, RunStatus status, const std::string& error,
                   RunClock::time_point t0);
// Ends a run that trained: wall time, RunFinished event when completed, onRunFinished.
void finishRun(RunObserver& obs, RunSummary& summary, RunClock::time_point t0);

}  // namespace halflab

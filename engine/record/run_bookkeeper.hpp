#pragma once
// What the CPU training loop and its CUDA twin do alike: the run summary, the training
// loss and accuracy the next eval record reports, each step record with its events in a
// fixed order, the divergence rules, and the run's start and end. One implementation, so
// both backends emit the same records and events and stop for the same reasons.
#include <atomic>
#include <cstdint>
#include <string>

#include "engine/precision/scaler_rule.hpp"
#include "engine/record/observer.hpp"
#include "engine/record/run_timer.hpp"

namespace halflab {

double msSince(RunClock::time_point t0);
std::int64_t unixMs();
std::string formatEventNumber(double v);  // "%g": 65536, 0.001, 1e-06
std::string formatScale(double scale);    // a power of two as "2^k" (2^-20, 2^0), else "%g"

// The default of precision.max_consecutive_skips.
constexpr std::int64_t kDefaultMaxConsecutiveSkips = 50;

struct BookkeepingRules {
  // The run's loss scaler. None: nothing can back off, so 5 non-finite gradient steps in
  // a row diverge. Dynamic: a scale at its floor (0, min_scale, or where backing off no
  // longer lowers it) with max_consecutive_skips skipped steps in a row diverges. Static:
  // that many skipped steps in a row give one Warning event.
  ScalerConfig scaler;
  std::int64_t max_consecutive_skips = kDefaultMaxConsecutiveSkips;  // 0 = no such rule
  bool step_schedule = false;    // learning-rate changes are events (step schedules)
  double target_accuracy = 1.0;  // the summary's time_to_target_s
};

class RunBookkeeper {
 public:
  // Every wall time the records carry is read from `timer` (paused time excluded); the
  // pauses go through waitWhilePaused.
  RunBookkeeper(RunObserver& obs, RunTimer& timer, BookkeepingRules rules, RunSummary& summary);

  // `rec` is complete but for samples_per_s and wall_ms, filled here from step_time_ms and
  // the batch size m; `correct` counts the batch's right predictions. Emits, in order: a
  // LrChange event, the record, Overflow, ScaleChange, then Warning or Diverged events.
  // Returns false when the run must stop (it diverged; the summary says why).
  bool finishStep(StepRecord& rec, std::int64_t m, std::int64_t correct);
  // Adds the training loss and accuracy since the last evaluation to `ev` (the caller
  // filled the validation fields), updates the summary and emits the record.
  void finishEval(EvalRecord& ev);
  // While `paused` is set: Paused event, wait (the timer stands still), Resumed event
  // whose value is the pause's length in seconds. False when the user cancelled during
  // the pause.
  bool waitWhilePaused(std::int64_t step, const std::atomic<bool>& paused, const std::atomic<bool>& cancel);
  // The user cancelled before `step` (a diverged run stays diverged).
  void cancelled(std::int64_t step);
  // Throughput over the steps trained; call once after the loop.
  void finishTraining();

  void emitEvent(std::int64_t step, EventKind kind, double value, std::string text);
  double elapsedMs() const { return timer_.elapsedMs(); }

 private:
  // The reason the run diverged at this step, or empty.
  std::string divergence(const StepRecord& rec) const;
  void warnStaticScaleSkipping(const StepRecord& rec);

  RunObserver& obs_;
  RunTimer& timer_;
  BookkeepingRules rules_;
  RunSummary& summary_;
  std::int64_t nonfinite_loss_streak_ = 0, inf_grad_streak_ = 0, skip_streak_ = 0;
  bool static_scale_warned_ = false;
  double last_lr_ = -1;
  double train_ms_ = 0;
  std::int64_t samples_trained_ = 0;
  double train_loss_sum_ = 0;
  std::int64_t train_batches_ = 0, train_correct_ = 0, train_seen_ = 0;
};

// The run's first records: onRunStarted, then the RunStarted event.
void announceRun(RunObserver& obs, const RunInfo& info, const RunTimer& timer);
// Ends a run that could not train (or failed while training): RunFailed event, summary.
RunSummary failRun(RunObserver& obs, RunSummary summary, RunStatus status, const std::string& error,
                   const RunTimer& timer);
// Ends a run that trained: wall time (pauses excluded), RunFinished event when completed,
// onRunFinished.
void finishRun(RunObserver& obs, RunSummary& summary, const RunTimer& timer);

}  // namespace halflab

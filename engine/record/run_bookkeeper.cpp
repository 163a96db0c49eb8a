#include "engine/record/run_bookkeeper.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <thread>

namespace halflab {

double msSince(RunClock::time_point t0) {
  return std::chrono::duration<double, std::milli>(RunClock::now() - t0).count();
}

std::int64_t unixMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string formatEventNumber(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

RunBookkeeper::RunBookkeeper(RunObserver& obs, RunClock::time_point t0, BookkeepingRules rules,
                             RunSummary& summary)
    : obs_(obs), t0_(t0), rules_(rules), summary_(summary) {}

void RunBookkeeper::emitEvent(std::int64_t step, EventKind kind, double value, std::string text) {
  obs_.onEvent({step, kind, value, std::move(text), msSince(t0_)});
}

bool RunBookkeeper::finishStep(StepRecord& rec, std::int64_t m, std::int64_t correct) {
  const std::int64_t step = rec.step;
  if (!rec.skipped) {
    if (rules_.step_schedule && last_lr_ >= 0 &&
        std::abs(rec.lr - last_lr_) > 1e-12 * std::max(rec.lr, last_lr_))
      emitEvent(step, EventKind::LrChange, rec.lr,
                "learning rate " + formatEventNumber(last_lr_) + " -> " + formatEventNumber(rec.lr));
    last_lr_ = rec.lr;
  }
  train_ms_ += rec.step_time_ms;
  samples_trained_ += m;
  rec.samples_per_s = rec.step_time_ms > 0 ? 1000.0 * static_cast<double>(m) / rec.step_time_ms : 0;
  rec.wall_ms = msSince(t0_);

  if (std::isfinite(rec.loss)) {
    nonfinite_loss_streak_ = 0;
    train_loss_sum_ += rec.loss;
    ++train_batches_;
    train_correct_ += correct;
    train_seen_ += m;
    summary_.final_loss = rec.loss;
  } else {
    ++nonfinite_loss_streak_;
  }
  inf_grad_streak_ = rec.found_inf ? inf_grad_streak_ + 1 : 0;
  summary_.steps = step;
  if (rec.skipped) ++summary_.skipped_steps;
  if (rec.found_inf) ++summary_.overflow_steps;
  summary_.final_scale = rec.scale_after;
  obs_.onStep(rec);

  if (rec.found_inf)
    emitEvent(step, EventKind::Overflow, rec.scale_before,
              "non-finite gradient: step skipped at scale " + formatEventNumber(rec.scale_before));
  if (rec.scale_after != rec.scale_before)
    emitEvent(step, EventKind::ScaleChange, rec.scale_after,
              "loss scale " + formatEventNumber(rec.scale_before) + " -> " + formatEventNumber(rec.scale_after));

  // A non-finite loss that no skipped step can cure (non-finite weights show up here too,
  // as a NaN loss on the next steps), or endless non-finite gradients with no scaler to
  // back off (a static scale keeps skipping, which is what its lesson shows): diverged.
  const bool loss_gone = nonfinite_loss_streak_ >= 5;
  const bool grads_gone = rules_.scaler_none && inf_grad_streak_ >= 5;
  if (!loss_gone && !grads_gone) return true;
  const std::string why =
      loss_gone ? "loss is not finite for 5 consecutive steps (last " + formatEventNumber(rec.loss) + ")"
                : "gradients are not finite for 5 consecutive steps and no loss scaler can back off";
  emitEvent(step, EventKind::Diverged, rec.loss, "diverged at step " + std::to_string(step) + ": " + why);
  summary_.status = RunStatus::Diverged;
  summary_.error = why;
  return false;
}

void RunBookkeeper::finishEval(EvalRecord& ev) {
  ev.train_loss = train_batches_ ? train_loss_sum_ / static_cast<double>(train_batches_) : 0;
  ev.train_accuracy = train_seen_ ? static_cast<double>(train_correct_) / static_cast<double>(train_seen_) : 0;
  train_loss_sum_ = 0;
  train_correct_ = train_seen_ = train_batches_ = 0;
  summary_.final_val_loss = ev.val_loss;
  summary_.final_val_accuracy = ev.val_accuracy;
  summary_.best_val_accuracy = std::max(summary_.best_val_accuracy, ev.val_accuracy);
  if (summary_.time_to_target_s < 0 && ev.val_accuracy >= rules_.target_accuracy)
    summary_.time_to_target_s = ev.wall_ms / 1000.0;
  obs_.onEval(ev);
}

bool RunBookkeeper::waitWhilePaused(std::int64_t step, const std::atomic<bool>& paused,
                                    const std::atomic<bool>& cancel) {
  if (!paused.load()) return true;
  emitEvent(step, EventKind::Paused, 0, "paused");
  while (paused.load() && !cancel.load()) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  if (cancel.load()) return false;
  emitEvent(step, EventKind::Resumed, 0, "resumed");
  return true;
}

void RunBookkeeper::cancelled(std::int64_t step) {
  if (summary_.status == RunStatus::Diverged) return;
  summary_.status = RunStatus::Cancelled;
  summary_.error.clear();
  emitEvent(step, EventKind::Cancelled, 0, "cancelled by the user at step " + std::to_string(step));
}

void RunBookkeeper::finishTraining() {
  summary_.mean_samples_per_s =
      train_ms_ > 0 ? 1000.0 * static_cast<double>(samples_trained_) / train_ms_ : 0;
}

void announceRun(RunObserver& obs, const RunInfo& info, RunClock::time_point t0) {
  obs.onRunStarted(info);
  obs.onEvent({0, EventKind::RunStarted, 0,
               info.name + " on " + info.device + ", " + std::to_string(info.parameter_count) +
                   " parameters, " + std::to_string(info.total_steps) + " steps",
               msSince(t0)});
}

RunSummary failRun(RunObserver& obs, RunSummary summary, RunStatus status, const std::string& error,
                   RunClock::time_point t0) {
  summary.status = status;
  summary.error = error;
  obs.onEvent({summary.steps, EventKind::RunFailed, 0, error, msSince(t0)});
  summary.wall_time_s = msSince(t0) / 1000.0;
  summary.ended_ms = unixMs();
  obs.onRunFinished(summary);
  return summary;
}

void finishRun(RunObserver& obs, RunSummary& summary, RunClock::time_point t0) {
  summary.wall_time_s = msSince(t0) / 1000.0;
  summary.ended_ms = unixMs();
  if (summary.status == RunStatus::Completed)
    obs.onEvent({summary.steps, EventKind::RunFinished, summary.final_val_accuracy,
                 "finished: val accuracy " + formatEventNumber(summary.final_val_accuracy), msSince(t0)});
  obs.onRunFinished(summary);
}

}  // namespace halflab

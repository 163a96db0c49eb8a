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

std::string formatScale(double scale) {
  int exp = 0;
  if (scale > 0 && std::isfinite(scale) && std::frexp(scale, &exp) == 0.5)
    return "2^" + std::to_string(exp - 1);
  return formatEventNumber(scale);
}

RunBookkeeper::RunBookkeeper(RunObserver& obs, RunTimer& timer, BookkeepingRules rules, RunSummary& summary)
    : obs_(obs), timer_(timer), rules_(rules), summary_(summary) {}

void RunBookkeeper::emitEvent(std::int64_t step, EventKind kind, double value, std::string text) {
  obs_.onEvent({step, kind, value, std::move(text), timer_.elapsedMs()});
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
  rec.wall_ms = timer_.elapsedMs();

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
  skip_streak_ = rec.skipped ? skip_streak_ + 1 : 0;
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

  warnStaticScaleSkipping(rec);
  const std::string why = divergence(rec);
  if (why.empty()) return true;
  emitEvent(step, EventKind::Diverged, rec.loss, "diverged at step " + std::to_string(step) + ": " + why);
  summary_.status = RunStatus::Diverged;
  summary_.error = why;
  return false;
}

std::string RunBookkeeper::divergence(const StepRecord& rec) const {
  // A non-finite loss that no skipped step can cure (non-finite weights show up here too,
  // as a NaN loss on the next steps).
  if (nonfinite_loss_streak_ >= 5)
    return "loss is not finite for 5 consecutive steps (last " + formatEventNumber(rec.loss) + ")";
  const ScalerFlavour flavour = rules_.scaler.flavour;
  // Endless non-finite gradients with no scaler to back off.
  if (flavour == ScalerFlavour::None)
    return inf_grad_streak_ >= 5 ? "gradients are not finite for 5 consecutive steps and no loss scaler can back off"
                                 : "";
  // A dynamic scale that has backed off as far as it can and still skips every step: no
  // later step can apply (a scale of 0 even turns every gradient into 0 * inf = NaN).
  const bool dynamic = flavour != ScalerFlavour::Static;
  const std::int64_t limit = rules_.max_consecutive_skips;
  if (!dynamic || limit <= 0 || skip_streak_ < limit ||
      !scalerAtFloor(static_cast<float>(rec.scale_after), rules_.scaler))
    return "";
  return "loss scale collapsed to " + formatScale(rec.scale_after) + " after " + std::to_string(skip_streak_) +
         " consecutive skipped steps: every gradient overflows, " +
         (rec.scale_after <= 1 ? "even unscaled" : "even at the scaler's floor (precision.min_scale)");
}

void RunBookkeeper::warnStaticScaleSkipping(const StepRecord& rec) {
  // A static scale never backs off: skipping is what it does (lesson 2), so no divergence,
  // but one warning that nothing is being learned.
  const std::int64_t limit = rules_.max_consecutive_skips;
  if (rules_.scaler.flavour != ScalerFlavour::Static || limit <= 0 || skip_streak_ != limit || static_scale_warned_)
    return;
  static_scale_warned_ = true;
  emitEvent(rec.step, EventKind::Warning, static_cast<double>(skip_streak_),
            "static loss scale " + formatScale(rec.scale_before) + ": " + std::to_string(skip_streak_) +
                " consecutive steps skipped, every gradient overflows at this scale and nothing is learned "
                "(lower precision.init_scale or use a dynamic scaler)");
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
  timer_.pauseStarted();
  emitEvent(step, EventKind::Paused, 0, "paused (the pause is not counted in wall time)");
  while (paused.load() && !cancel.load()) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  const double pause_s = timer_.pauseEnded() / 1000.0;
  if (cancel.load()) return false;
  char text[96];
  std::snprintf(text, sizeof text, "resumed after %.1f s paused", pause_s);
  emitEvent(step, EventKind::Resumed, pause_s, text);
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

void announceRun(RunObserver& obs, const RunInfo& info, const RunTimer& timer) {
  obs.onRunStarted(info);
  obs.onEvent({0, EventKind::RunStarted, 0,
               info.name + " on " + info.device + ", " + std::to_string(info.parameter_count) +
                   " parameters, " + std::to_string(info.total_steps) + " steps",
               timer.elapsedMs()});
}

RunSummary failRun(RunObserver& obs, RunSummary summary, RunStatus status, const std::string& error,
                   const RunTimer& timer) {
  summary.status = status;
  summary.error = error;
  obs.onEvent({summary.steps, EventKind::RunFailed, 0, error, timer.elapsedMs()});
  summary.wall_time_s = timer.elapsedMs() / 1000.0;
  summary.ended_ms = unixMs();
  obs.onRunFinished(summary);
  return summary;
}

void finishRun(RunObserver& obs, RunSummary& summary, const RunTimer& timer) {
  summary.wall_time_s = timer.elapsedMs() / 1000.0;
  summary.ended_ms = unixMs();
  if (summary.status == RunStatus::Completed)
    obs.onEvent({summary.steps, EventKind::RunFinished, summary.final_val_accuracy,
                 "finished: val accuracy " + formatEventNumber(summary.final_val_accuracy), timer.elapsedMs()});
  obs.onRunFinished(summary);
}

}  // namespace halflab

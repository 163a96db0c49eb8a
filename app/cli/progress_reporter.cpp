#include "app/cli/progress_reporter.hpp"

#include "app/cli/terminal_text.hpp"

#include <unistd.h>

#include <cmath>

namespace halflab::cli {

std::string formatDuration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "--:--";
  const long s = std::lround(seconds);
  char buf[32];
  if (s >= 3600) std::snprintf(buf, sizeof buf, "%ld:%02ld:%02ld", s / 3600, (s / 60) % 60, s % 60);
  else std::snprintf(buf, sizeof buf, "%ld:%02ld", s / 60, s % 60);
  return buf;
}

ProgressReporter::ProgressReporter(bool quiet) : quiet_(quiet), tty_(isatty(STDERR_FILENO)) {}

void ProgressReporter::onRunStarted(const RunInfo& info) {
  name_ = printable(info.name);  // names come from configs: no raw control codes
  total_ = info.total_steps;
  skipped_ = 0;
  last_decile_ = -1;
  if (!quiet_) std::fprintf(stderr, "run: %s | %s | %lld parameters | %lld steps\n", name_.c_str(),
                            printable(info.device).c_str(), static_cast<long long>(info.parameter_count),
                            static_cast<long long>(info.total_steps));
}

void ProgressReporter::onStep(const StepRecord& r) {
  if (r.skipped) ++skipped_;
  ema_sps_ = ema_sps_ == 0 ? r.samples_per_s : 0.95 * ema_sps_ + 0.05 * r.samples_per_s;
  draw(r, r.step == total_);
}

void ProgressReporter::draw(const StepRecord& r, bool force) {
  if (quiet_ || total_ <= 0) return;
  const double frac = static_cast<double>(r.step) / static_cast<double>(total_);
  const double elapsed = r.wall_ms / 1000.0;
  const double eta = frac > 0 ? elapsed * (1 - frac) / frac : -1;
  if (tty_) {
    const auto now = std::chrono::steady_clock::now();
    if (!force && now - last_draw_ < std::chrono::milliseconds(100)) return;
    last_draw_ = now;
    constexpr int kWidth = 24;
    const int filled = static_cast<int>(frac * kWidth);
    std::string bar(static_cast<std::size_t>(filled), '=');
    if (filled < kWidth) bar += '>' + std::string(static_cast<std::size_t>(kWidth - filled - 1), ' ');
    std::fprintf(stderr, "\r[%s] %3.0f%% %lld/%lld loss %.4f scale %g skipped %lld | %.0f samples/s ETA %s   ",
                 bar.c_str(), 100 * frac, static_cast<long long>(r.step), static_cast<long long>(total_),
                 r.loss, r.scale_after, static_cast<long long>(skipped_), ema_sps_, formatDuration(eta).c_str());
    line_open_ = true;
  } else {
    const int decile = static_cast<int>(frac * 10);
    if (decile == last_decile_ && !force) return;
    last_decile_ = decile;
    std::fprintf(stderr, "%3.0f%% step %lld/%lld loss %.4f scale %g skipped %lld | %.0f samples/s ETA %s\n",
                 100 * frac, static_cast<long long>(r.step), static_cast<long long>(total_), r.loss,
                 r.scale_after, static_cast<long long>(skipped_), ema_sps_, formatDuration(eta).c_str());
  }
}

void ProgressReporter::onEval(const EvalRecord& r) {
  if (quiet_) return;
  if (line_open_) std::fputc('\n', stderr), line_open_ = false;
  std::fprintf(stderr, "eval step %lld: train loss %.4f acc %.4f | val loss %.4f acc %.4f\n",
               static_cast<long long>(r.step), r.train_loss, r.train_accuracy, r.val_loss, r.val_accuracy);
}

void ProgressReporter::onEvent(const EventRecord& e) {
  if (quiet_) return;
  if (e.kind != EventKind::Diverged && e.kind != EventKind::RunFailed && e.kind != EventKind::Warning &&
      e.kind != EventKind::Cancelled)
    return;
  if (line_open_) std::fputc('\n', stderr), line_open_ = false;
  std::fprintf(stderr, "%s: %s\n", eventKindName(e.kind), printable(e.text).c_str());
}

void ProgressReporter::onRunFinished(const RunSummary& s) {
  if (quiet_) return;
  if (line_open_) std::fputc('\n', stderr), line_open_ = false;
  std::fprintf(stderr, "%s: %s in %s, val accuracy %.4f, %lld steps (%lld skipped), %.0f samples/s\n",
               name_.c_str(), runStatusName(s.status), formatDuration(s.wall_time_s).c_str(),
               s.final_val_accuracy, static_cast<long long>(s.steps),
               static_cast<long long>(s.skipped_steps), s.mean_samples_per_s);
}

}  // namespace halflab::cli

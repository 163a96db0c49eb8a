#include "engine/record/run_timer.hpp"

#include <utility>

namespace halflab {

RunTimer::RunTimer(Now now) : now_(std::move(now)), start_(now_()) {}

double RunTimer::rawMs() const {
  return std::chrono::duration<double, std::milli>(now_() - start_).count();
}

double RunTimer::elapsedMs() const {
  return (paused_ ? pause_began_ : rawMs()) - paused_ms_;
}

void RunTimer::pauseStarted() {
  if (paused_) return;
  pause_began_ = rawMs();
  paused_ = true;
}

double RunTimer::pauseEnded() {
  if (!paused_) return 0;
  const double length = rawMs() - pause_began_;
  paused_ms_ += length;
  paused_ = false;
  return length;
}

double RunTimer::pausedMs() const { return paused_ms_ + (paused_ ? rawMs() - pause_began_ : 0); }

}  // namespace halflab

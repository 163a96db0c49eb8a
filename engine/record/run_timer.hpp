#pragma once
// The run's clock: milliseconds since the run started, less the time it spent paused.
// Every wall time a run records (step and eval wall_ms, event times, the summary's
// wall_time_s and time_to_target_s) reads this clock, so a pause is never counted as
// training time; the Resumed event carries how long the pause lasted.
#include <chrono>
#include <functional>

namespace halflab {

using RunClock = std::chrono::steady_clock;

class RunTimer {
 public:
  using Now = std::function<RunClock::time_point()>;
  // Starts now. `now` replaces the steady clock (tests drive time by hand).
  explicit RunTimer(Now now = RunClock::now);

  // Running time so far; frozen while paused.
  double elapsedMs() const;
  void pauseStarted();      // no effect while already paused
  double pauseEnded();      // the pause's length in ms (0 when not paused)
  double pausedMs() const;  // all pauses so far, the current one included
  bool paused() const { return paused_; }

 private:
  double rawMs() const;  // since the start, pauses included

  Now now_;
  RunClock::time_point start_;
  double paused_ms_ = 0;    // pauses that have ended
  double pause_began_ = 0;  // rawMs() when the current pause began
  bool paused_ = false;
};

}  // namespace halflab

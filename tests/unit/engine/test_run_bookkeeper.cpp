// RunBookkeeper: the record, event and divergence rules that the CPU loop and the CUDA
// loop share. Driven with hand-made step records, so every rule is pinned down without
// training anything.
#include <QtTest>

#include <atomic>
#include <cmath>
#include <limits>
#include <thread>
#include <vector>

#include "engine/precision/loss_scaler.hpp"
#include "engine/record/run_bookkeeper.hpp"

using namespace halflab;

namespace {

struct Recorder : RunObserver {
  std::vector<StepRecord> steps;
  std::vector<EvalRecord> evals;
  std::vector<EventRecord> events;
  std::vector<QString> order;  // "step N" / event kind names, in arrival order
  std::atomic<int> event_count{0};  // readable from another thread
  void onStep(const StepRecord& r) override {
    steps.push_back(r);
    order.push_back(QString("step %1").arg(r.step));
  }
  void onEval(const EvalRecord& r) override { evals.push_back(r); }
  void onEvent(const EventRecord& e) override {
    events.push_back(e);
    order.push_back(eventKindName(e.kind));
    ++event_count;
  }
};

StepRecord cleanStep(std::int64_t step, double loss = 1.0, double scale = 1024.0) {
  StepRecord r;
  r.step = step;
  r.loss = loss;
  r.scale_before = r.scale_after = scale;
  r.lr = 1e-3;
  r.step_time_ms = 2.0;
  return r;
}

StepRecord overflowStep(std::int64_t step, double scale_before, double scale_after) {
  StepRecord r = cleanStep(step, 1.0, scale_before);
  r.scale_after = scale_after;
  r.found_inf = r.skipped = true;
  return r;
}

// Steps that all overflow, driven through the real scaler (the records' scale trace is
// exactly what the loop would report). Returns the step at which the bookkeeper stopped
// the run, or 0 when it never did within `steps`.
std::int64_t overflowUntilStopped(RunBookkeeper& book, LossScaler& scaler, std::int64_t first_step,
                                  std::int64_t steps) {
  for (std::int64_t s = first_step; s < first_step + steps; ++s) {
    const ScalerStep st = scaler.update(true);
    StepRecord r = overflowStep(s, st.scale_before, st.scale_after);
    if (!book.finishStep(r, 8, 0)) return s;
  }
  return 0;
}

// A hand-driven clock for RunTimer: no sleeping, no timing asserts.
struct FakeClock {
  std::atomic<std::int64_t> ms{1000};
  RunTimer::Now now() {
    return [this] { return RunClock::time_point(std::chrono::milliseconds(ms.load())); };
  }
};

}  // namespace

class TestRunBookkeeper : public QObject {
  Q_OBJECT

 private slots:
  void fillsThroughputAndSummary() {
    Recorder obs;
    RunSummary summary;
    RunTimer timer;
    RunBookkeeper book(obs, timer, {}, summary);
    StepRecord r = cleanStep(1, 0.5);
    QVERIFY(book.finishStep(r, 128, 100));
    QCOMPARE(obs.steps.size(), std::size_t{1});
    QCOMPARE(obs.steps[0].samples_per_s, 64000.0);  // 128 samples in 2 ms
    QVERIFY(obs.steps[0].wall_ms >= 0);
    QCOMPARE(summary.steps, std::int64_t{1});
    QCOMPARE(summary.final_loss, 0.5);
    book.finishTraining();
    QCOMPARE(summary.mean_samples_per_s, 64000.0);
  }

  void overflowEventsFollowTheRecord() {
    Recorder obs;
    RunSummary summary;
    RunTimer timer;
    RunBookkeeper book(obs, timer, {}, summary);
    StepRecord r = overflowStep(1, 65536, 32768);
    QVERIFY(book.finishStep(r, 8, 0));
    const std::vector<QString> want{"step 1", "overflow", "scale_change"};
    QCOMPARE(obs.order, want);
    QCOMPARE(obs.events[0].value, 65536.0);
    QCOMPARE(obs.events[1].value, 32768.0);
    QCOMPARE(summary.skipped_steps, std::int64_t{1});
    QCOMPARE(summary.overflow_steps, std::int64_t{1});
    QCOMPARE(summary.final_scale, 32768.0);
  }

  void lrChangesAreEventsBeforeTheRecordOnStepSchedules() {
    Recorder obs;
    RunSummary summary;
    BookkeepingRules rules;
    rules.step_schedule = true;
    RunTimer timer;
    RunBookkeeper book(obs, timer, rules, summary);
    StepRecord a = cleanStep(1);
    StepRecord b = cleanStep(2);
    b.lr = 1e-4;
    QVERIFY(book.finishStep(a, 8, 0));
    QVERIFY(book.finishStep(b, 8, 0));
    const std::vector<QString> want{"step 1", "lr_change", "step 2"};
    QCOMPARE(obs.order, want);
    QCOMPARE(obs.events[0].text, std::string("learning rate 0.001 -> 0.0001"));
  }

  void fiveNonFiniteLossesDiverge() {
    Recorder obs;
    RunSummary summary;
    RunTimer timer;
    RunBookkeeper book(obs, timer, {}, summary);
    const double nan = std::numeric_limits<double>::quiet_NaN();
    for (int s = 1; s <= 4; ++s) {
      StepRecord r = cleanStep(s, nan);
      QVERIFY(book.finishStep(r, 8, 0));
    }
    StepRecord finite = cleanStep(5, 2.0);  // a finite loss resets the streak
    QVERIFY(book.finishStep(finite, 8, 0));
    for (int s = 6; s <= 9; ++s) {
      StepRecord r = cleanStep(s, nan);
      QVERIFY(book.finishStep(r, 8, 0));
    }
    StepRecord last = cleanStep(10, nan);
    QVERIFY(!book.finishStep(last, 8, 0));
    QCOMPARE(summary.status, RunStatus::Diverged);
    QVERIFY(summary.error.find("loss is not finite for 5 consecutive steps") != std::string::npos);
    QCOMPARE(obs.events.back().kind, EventKind::Diverged);
    QCOMPARE(obs.events.back().step, std::int64_t{10});
    QCOMPARE(summary.final_loss, 2.0);  // non-finite losses never become the final loss
  }

  void endlessOverflowDivergesOnlyWithoutAScaler() {
    for (bool none : {true, false}) {
      Recorder obs;
      RunSummary summary;
      BookkeepingRules rules;
      rules.scaler = defaultScalerConfig(none ? ScalerFlavour::None : ScalerFlavour::Static);
      RunTimer timer;
      RunBookkeeper book(obs, timer, rules, summary);
      bool going = true;
      int s = 0;
      while (going && s < 20) {
        StepRecord r = overflowStep(++s, 1.0, 1.0);
        going = book.finishStep(r, 8, 0);
      }
      if (none) {
        QCOMPARE(s, 5);
        QCOMPARE(summary.status, RunStatus::Diverged);
        QVERIFY(summary.error.find("no loss scaler can back off") != std::string::npos);
      } else {
        // A static scale keeps skipping: that is what its lesson shows, not divergence.
        QCOMPARE(s, 20);
        QCOMPARE(summary.status, RunStatus::Completed);
      }
    }
  }

  void evalReportsTrainingTotalsSinceTheLastEval() {
    Recorder obs;
    RunSummary summary;
    BookkeepingRules rules;
    rules.target_accuracy = 0.8;
    RunTimer timer;
    RunBookkeeper book(obs, timer, rules, summary);
    StepRecord a = cleanStep(1, 1.0), b = cleanStep(2, 3.0);
    QVERIFY(book.finishStep(a, 10, 5));
    QVERIFY(book.finishStep(b, 10, 9));
    EvalRecord ev;
    ev.step = 2;
    ev.val_loss = 0.7;
    ev.val_accuracy = 0.81;
    ev.wall_ms = 1500;
    book.finishEval(ev);
    QCOMPARE(obs.evals.size(), std::size_t{1});
    QCOMPARE(obs.evals[0].train_loss, 2.0);
    QCOMPARE(obs.evals[0].train_accuracy, 0.7);
    QCOMPARE(summary.final_val_accuracy, 0.81);
    QCOMPARE(summary.best_val_accuracy, 0.81);
    QCOMPARE(summary.time_to_target_s, 1.5);
    EvalRecord again;  // no steps since: zeros, and the best accuracy stays
    again.val_accuracy = 0.5;
    book.finishEval(again);
    QCOMPARE(obs.evals[1].train_loss, 0.0);
    QCOMPARE(summary.best_val_accuracy, 0.81);
    QCOMPARE(summary.time_to_target_s, 1.5);
  }

  void cancelKeepsADivergedRunDiverged() {
    Recorder obs;
    RunSummary summary;
    RunTimer timer;
    RunBookkeeper book(obs, timer, {}, summary);
    book.cancelled(3);
    QCOMPARE(summary.status, RunStatus::Cancelled);
    QCOMPARE(obs.events.back().kind, EventKind::Cancelled);
    RunSummary diverged;
    diverged.status = RunStatus::Diverged;
    RunBookkeeper other(obs, timer, {}, diverged);
    const auto events = obs.events.size();
    other.cancelled(4);
    QCOMPARE(diverged.status, RunStatus::Diverged);
    QCOMPARE(obs.events.size(), events);
  }

  // PyTorch's scaler has no floor: from 2^16 every overflow halves the scale, through the
  // fp32 subnormals down to 2^-149, and the next halving rounds to 0 (step 166). From then
  // on every step is skipped forever (0 x inf = NaN): diverged, at that step.
  void dynamicScaleCollapsingToZeroDiverges() {
    Recorder obs;
    RunSummary summary;
    BookkeepingRules rules;
    rules.scaler = defaultScalerConfig(ScalerFlavour::PyTorch);
    rules.max_consecutive_skips = 50;
    RunTimer timer;
    RunBookkeeper book(obs, timer, rules, summary);
    LossScaler scaler(rules.scaler);
    QCOMPARE(overflowUntilStopped(book, scaler, 1, 400), std::int64_t{166});
    QCOMPARE(obs.steps.back().scale_after, 0.0);
    QCOMPARE(obs.steps[164].scale_after, std::ldexp(1.0, -149));
    QCOMPARE(summary.status, RunStatus::Diverged);
    QCOMPARE(summary.error, std::string("loss scale collapsed to 0 after 166 consecutive skipped steps: "
                                        "every gradient overflows, even unscaled"));
    QCOMPARE(obs.events.back().kind, EventKind::Diverged);
    QCOMPARE(obs.events.back().step, std::int64_t{166});
    QCOMPARE(obs.events.back().text, "diverged at step 166: " + summary.error);
  }

  // tf-keras stops at min_scale 1 (2^15 -> 2^0 in 15 steps). A clean step resets the
  // count; max_consecutive_skips overflows in a row at the floor end the run.
  void dynamicScaleStuckAtItsFloorDivergesAfterTheLimit() {
    Recorder obs;
    RunSummary summary;
    BookkeepingRules rules;
    rules.scaler = defaultScalerConfig(ScalerFlavour::TfKeras);
    rules.max_consecutive_skips = 20;
    RunTimer timer;
    RunBookkeeper book(obs, timer, rules, summary);
    LossScaler scaler(rules.scaler);
    QCOMPARE(overflowUntilStopped(book, scaler, 1, 19), std::int64_t{0});  // 19 in a row: not yet
    QCOMPARE(obs.steps.back().scale_after, 1.0);
    const ScalerStep clean = scaler.update(false);
    StepRecord r = cleanStep(20, 1.0, clean.scale_after);
    QVERIFY(book.finishStep(r, 8, 0));
    QCOMPARE(overflowUntilStopped(book, scaler, 21, 100), std::int64_t{40});  // 20 more in a row
    QCOMPARE(summary.status, RunStatus::Diverged);
    QCOMPARE(summary.error, std::string("loss scale collapsed to 2^0 after 20 consecutive skipped steps: "
                                        "every gradient overflows, even unscaled"));
  }

  // Still backing off (above the floor) is not a collapse, however long the streak; and
  // max_consecutive_skips = 0 turns the rule off.
  void noCollapseAboveTheFloorOrWithTheRuleOff() {
    for (std::int64_t limit : {std::int64_t{5}, std::int64_t{0}}) {
      Recorder obs;
      RunSummary summary;
      BookkeepingRules rules;
      rules.scaler = defaultScalerConfig(ScalerFlavour::PyTorch);
      rules.scaler.init_scale = 3.0e38;  // 2^127.8: over 270 back-offs to reach 0
      rules.max_consecutive_skips = limit;
      RunTimer timer;
      RunBookkeeper book(obs, timer, rules, summary);
      LossScaler scaler(rules.scaler);
      const std::int64_t stopped = overflowUntilStopped(book, scaler, 1, limit ? 200 : 400);
      QCOMPARE(stopped, std::int64_t{0});
      QCOMPARE(summary.status, RunStatus::Completed);
      if (limit == 0) QCOMPARE(obs.steps.back().scale_after, 0.0);  // collapsed, yet the rule is off
    }
  }

  // A static scale skipping every step: one Warning at the limit, never again, and the
  // run goes on (that is what lesson 2 shows).
  void staticScaleSkippingEveryStepWarnsOnce() {
    Recorder obs;
    RunSummary summary;
    BookkeepingRules rules;
    rules.scaler = defaultScalerConfig(ScalerFlavour::Static);
    rules.scaler.init_scale = 16777216.0;
    rules.max_consecutive_skips = 10;
    RunTimer timer;
    RunBookkeeper book(obs, timer, rules, summary);
    LossScaler scaler(rules.scaler);
    QCOMPARE(overflowUntilStopped(book, scaler, 1, 35), std::int64_t{0});
    std::vector<EventRecord> warnings;
    for (const auto& e : obs.events)
      if (e.kind == EventKind::Warning) warnings.push_back(e);
    QCOMPARE(warnings.size(), std::size_t{1});
    QCOMPARE(warnings[0].step, std::int64_t{10});
    QCOMPARE(warnings[0].value, 10.0);
    QVERIFY2(warnings[0].text.find("static loss scale 2^24: 10 consecutive steps skipped") == 0,
             warnings[0].text.c_str());
    QCOMPARE(summary.status, RunStatus::Completed);
    QCOMPARE(summary.skipped_steps, std::int64_t{35});
  }

  void scaleFormatsAsAPowerOfTwo() {
    QCOMPARE(formatScale(0.0), std::string("0"));
    QCOMPARE(formatScale(1.0), std::string("2^0"));
    QCOMPARE(formatScale(16777216.0), std::string("2^24"));
    QCOMPARE(formatScale(std::ldexp(1.0, -149)), std::string("2^-149"));
    QCOMPARE(formatScale(3.0), std::string("3"));
  }

  // The run clock stands still while paused: a 5 s pause adds nothing to elapsedMs().
  void timerExcludesPausedTime() {
    FakeClock clock;
    RunTimer timer(clock.now());
    clock.ms += 100;
    QCOMPARE(timer.elapsedMs(), 100.0);
    timer.pauseStarted();
    clock.ms += 5000;
    QCOMPARE(timer.elapsedMs(), 100.0);  // frozen during the pause
    QCOMPARE(timer.pausedMs(), 5000.0);
    QCOMPARE(timer.pauseEnded(), 5000.0);
    clock.ms += 50;
    QCOMPARE(timer.elapsedMs(), 150.0);
    QCOMPARE(timer.pauseEnded(), 0.0);  // not paused: nothing to end
    QCOMPARE(timer.pausedMs(), 5000.0);
  }

  // A pause through the bookkeeper: the Resumed event carries its length, and the records
  // after it (step wall_ms, events) read the clock without it.
  void pauseIsRecordedAndNotCounted() {
    FakeClock clock;
    RunTimer timer(clock.now());
    Recorder obs;
    RunSummary summary;
    RunBookkeeper book(obs, timer, {}, summary);
    clock.ms += 10;
    StepRecord a = cleanStep(1);
    QVERIFY(book.finishStep(a, 8, 0));
    QCOMPARE(obs.steps[0].wall_ms, 10.0);
    std::atomic<bool> paused{true}, cancel{false};
    std::thread user([&] {
      while (obs.event_count == 0) std::this_thread::yield();  // the Paused event is out
      clock.ms += 7000;
      paused = false;
    });
    const bool resumed = book.waitWhilePaused(1, paused, cancel);
    user.join();
    QVERIFY(resumed);
    clock.ms += 5;
    StepRecord b = cleanStep(2);
    QVERIFY(book.finishStep(b, 8, 0));
    QCOMPARE(obs.order, (std::vector<QString>{"step 1", "paused", "resumed", "step 2"}));
    QCOMPARE(obs.events[1].kind, EventKind::Resumed);
    QCOMPARE(obs.events[1].value, 7.0);  // seconds
    QCOMPARE(obs.events[1].text, std::string("resumed after 7.0 s paused"));
    QCOMPARE(obs.events[1].wall_ms, 10.0);
    QCOMPARE(obs.steps[1].wall_ms, 15.0);
  }
};

QTEST_GUILESS_MAIN(TestRunBookkeeper)
#include "test_run_bookkeeper.moc"

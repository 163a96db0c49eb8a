// RunBookkeeper: the record, event and divergence rules that the CPU loop and the CUDA
// loop share. Driven with hand-made step records, so every rule is pinned down without
// training anything.
#include <QtTest>

#include <cmath>
#include <limits>
#include <vector>

#include "engine/record/run_bookkeeper.hpp"

using namespace halflab;

namespace {

struct Recorder : RunObserver {
  std::vector<StepRecord> steps;
  std::vector<EvalRecord> evals;
  std::vector<EventRecord> events;
  std::vector<QString> order;  // "step N" / event kind names, in arrival order
  void onStep(const StepRecord& r) override {
    steps.push_back(r);
    order.push_back(QString("step %1").arg(r.step));
  }
  void onEval(const EvalRecord& r) override { evals.push_back(r); }
  void onEvent(const EventRecord& e) override {
    events.push_back(e);
    order.push_back(eventKindName(e.kind));
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

}  // namespace

class TestRunBookkeeper : public QObject {
  Q_OBJECT

 private slots:
  void fillsThroughputAndSummary() {
    Recorder obs;
    RunSummary summary;
    RunBookkeeper book(obs, RunClock::now(), {}, summary);
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
    RunBookkeeper book(obs, RunClock::now(), {}, summary);
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
    RunBookkeeper book(obs, RunClock::now(), rules, summary);
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
    RunBookkeeper book(obs, RunClock::now(), {}, summary);
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
      rules.scaler_none = none;
      RunBookkeeper book(obs, RunClock::now(), rules, summary);
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
    RunBookkeeper book(obs, RunClock::now(), rules, summary);
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
    RunBookkeeper book(obs, RunClock::now(), {}, summary);
    book.cancelled(3);
    QCOMPARE(summary.status, RunStatus::Cancelled);
    QCOMPARE(obs.events.back().kind, EventKind::Cancelled);
    RunSummary diverged;
    diverged.status = RunStatus::Diverged;
    RunBookkeeper other(obs, RunClock::now(), {}, diverged);
    const auto events = obs.events.size();
    other.cancelled(4);
    QCOMPARE(diverged.status, RunStatus::Diverged);
    QCOMPARE(obs.events.size(), events);
  }
};

QTEST_GUILESS_MAIN(TestRunBookkeeper)
#include "test_run_bookkeeper.moc"

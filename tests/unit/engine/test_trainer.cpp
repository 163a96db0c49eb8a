// The trainer loop end to end on small synthetic sets (a few hundred 2-D points, tens of
// steps, milliseconds each): determinism, record order, cancel / pause from another
// thread, failures, divergence, skipped steps and the LR schedule, histograms.
#include <QtTest>

#include <chrono>
#include <cmath>
#include <functional>
#include <future>
#include <map>
#include <mutex>
#include <thread>

#include "engine/data/dataset.hpp"
#include "engine/train/trainer.hpp"

using namespace halflab;
using namespace std::chrono_literals;

namespace {

// Records everything, in arrival order; safe to read from another thread.
class Recorder : public RunObserver {
 public:
  std::function<void(const StepRecord&)> step_hook;  // runs on the training thread

  void onRunStarted(const RunInfo& r) override { push("started", [&] { info = r; }); }
  void onStep(const StepRecord& r) override {
    push("step", [&] { steps.push_back(r); });
    if (step_hook) step_hook(r);
  }
  void onEval(const EvalRecord& r) override { push("eval", [&] { evals.push_back(r); }); }
  void onHistogram(const HistogramRecord& r) override { push("hist", [&] { histograms.push_back(r); }); }
  void onEvent(const EventRecord& r) override {
    push(std::string("event:") + eventKindName(r.kind), [&] { events.push_back(r); });
  }
  void onRunFinished(const RunSummary& r) override { push("finished", [&] { summaries.push_back(r); }); }

  std::size_t stepCount() {
    std::lock_guard lock(mutex);
    return steps.size();
  }
  bool hasEvent(EventKind k) {
    std::lock_guard lock(mutex);
    for (const auto& e : events)
      if (e.kind == k) return true;
    return false;
  }
  std::vector<EventRecord> eventsOf(EventKind k) {
    std::vector<EventRecord> out;
    for (const auto& e : events)
      if (e.kind == k) out.push_back(e);
    return out;
  }

  std::mutex mutex;
  std::vector<std::string> order;  // "started", "step", "eval", "hist", "event:<kind>", "finished"
  RunInfo info;
  std::vector<StepRecord> steps;
  std::vector<EvalRecord> evals;
  std::vector<HistogramRecord> histograms;
  std::vector<EventRecord> events;
  std::vector<RunSummary> summaries;

 private:
  template <class F>
  void push(std::string what, F store) {
    std::lock_guard lock(mutex);
    order.push_back(std::move(what));
    store();
  }
};

// 400 spiral points (320 train, 80 test), MLP 2-16-16-3, batch 32: 10 steps per epoch.
RunConfig spiralsConfig() {
  RunConfig c;
  c.name = "spirals test";
  c.dataset.kind = "spirals";
  c.dataset.synthetic_samples = 400;
  c.dataset.synthetic_classes = 3;
  c.dataset.noise = 0.1;
  c.model.hidden = {16, 16};
  c.optimizer.kind = OptimizerKind::Adam;
  c.lr = 0.01;
  c.training.epochs = 3;
  c.training.batch_size = 32;
  c.training.seed = 7;
  c.training.threads = 1;
  c.training.histogram_every = 4;
  return c;
}

constexpr std::int64_t kStepsPerEpoch = 10;

RunSummary runOnce(const RunConfig& cfg, Recorder& rec) {
  Trainer t(cfg);
  return t.run(rec);
}

// Blocks the training thread at step `at` until the test thread has acted.
struct StepGate {
  std::promise<void> reached, release;
  std::shared_future<void> released{release.get_future().share()};
  void install(Recorder& rec, std::int64_t at) {
    rec.step_hook = [this, at](const StepRecord& r) {
      if (r.step != at) return;
      reached.set_value();
      released.wait();
    };
  }
};

bool waitFor(const std::function<bool()>& cond, std::chrono::milliseconds limit = 10s) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (!cond()) {
    if (std::chrono::steady_clock::now() > end) return false;
    std::this_thread::sleep_for(2ms);
  }
  return true;
}

}  // namespace

class TestTrainer : public QObject {
  Q_OBJECT

 private slots:
  void sameSeedGivesBitIdenticalRun() {
    Recorder a, b;
    const RunSummary sa = runOnce(spiralsConfig(), a);
    const RunSummary sb = runOnce(spiralsConfig(), b);
    QVERIFY2(sa.status == RunStatus::Completed, sa.error.c_str());
    QCOMPARE(a.steps.size(), std::size_t{30});
    QCOMPARE(b.steps.size(), a.steps.size());
    for (std::size_t i = 0; i < a.steps.size(); ++i) {
      QVERIFY2(a.steps[i].loss == b.steps[i].loss, qPrintable(QString("step %1: %2 vs %3")
                                                                   .arg(i + 1).arg(a.steps[i].loss, 0, 'g', 17)
                                                                   .arg(b.steps[i].loss, 0, 'g', 17)));
      QVERIFY(a.steps[i].grad_norm == b.steps[i].grad_norm);
    }
    QCOMPARE(a.evals.size(), b.evals.size());
    for (std::size_t i = 0; i < a.evals.size(); ++i) {
      QVERIFY(a.evals[i].val_loss == b.evals[i].val_loss);
      QVERIFY(a.evals[i].val_accuracy == b.evals[i].val_accuracy);
    }
    QVERIFY(sa.final_loss == sb.final_loss);
    // It did learn something: the last epoch's mean loss is below the first's.
    QVERIFY2(a.evals.back().train_loss < a.evals.front().train_loss,
             qPrintable(QString("%1 -> %2").arg(a.evals.front().train_loss).arg(a.evals.back().train_loss)));

    // Preloaded data (setData) gives the same run as loading it in run().
    Recorder c;
    Trainer t(spiralsConfig());
    t.setData(loadDataFor(spiralsConfig()));
    t.run(c);
    QCOMPARE(c.steps.size(), a.steps.size());
    for (std::size_t i = 0; i < a.steps.size(); ++i) QVERIFY(a.steps[i].loss == c.steps[i].loss);
  }

  void differentSeedGivesDifferentRun() {
    Recorder a, b;
    RunConfig other = spiralsConfig();
    other.training.seed = 8;
    runOnce(spiralsConfig(), a);
    runOnce(other, b);
    QCOMPARE(a.steps.size(), b.steps.size());
    int differing = 0;
    for (std::size_t i = 0; i < a.steps.size(); ++i) differing += a.steps[i].loss != b.steps[i].loss;
    QVERIFY(differing > static_cast<int>(a.steps.size()) / 2);
  }

  void recordsArriveInOrder() {
    Recorder r;
    const RunConfig cfg = spiralsConfig();
    const RunSummary s = runOnce(cfg, r);
    QVERIFY2(s.status == RunStatus::Completed, s.error.c_str());
    QVERIFY(r.order.size() > 4);
    QCOMPARE(r.order.front(), std::string("started"));
    QCOMPARE(r.order[1], std::string("event:run_started"));
    QCOMPARE(r.order.back(), std::string("finished"));
    QCOMPARE(r.order[r.order.size() - 2], std::string("event:run_finished"));
    QCOMPARE(r.summaries.size(), std::size_t{1});
    QCOMPARE(r.info.total_steps, 3 * kStepsPerEpoch);
    QCOMPARE(r.info.steps_per_epoch, kStepsPerEpoch);
    QCOMPARE(r.info.parameter_count, std::int64_t{2 * 16 + 16 + 16 * 16 + 16 + 16 * 3 + 3});
    QCOMPARE(r.info.precision_mode, std::string("fp32"));
    QCOMPARE(r.info.seed, std::uint64_t{7});
    QVERIFY(r.info.config_json.find("\"spirals\"") != std::string::npos);

    // Steps 1..N in order, epochs by step, wall clock non-decreasing.
    QCOMPARE(static_cast<std::int64_t>(r.steps.size()), r.info.total_steps);
    for (std::size_t i = 0; i < r.steps.size(); ++i) {
      QCOMPARE(r.steps[i].step, static_cast<std::int64_t>(i + 1));
      QCOMPARE(r.steps[i].epoch, static_cast<int>(i / kStepsPerEpoch));
      QVERIFY(std::isfinite(r.steps[i].loss) && r.steps[i].loss > 0);
      QVERIFY(!r.steps[i].skipped && !r.steps[i].found_inf);
      QCOMPARE(r.steps[i].lr, 0.01);
      if (i) QVERIFY(r.steps[i].wall_ms >= r.steps[i - 1].wall_ms);
    }
    // One eval per epoch, right after the epoch's last step record.
    QCOMPARE(r.evals.size(), std::size_t{3});
    for (int e = 0; e < 3; ++e) {
      QCOMPARE(r.evals[e].epoch, e);
      QCOMPARE(r.evals[e].step, (e + 1) * kStepsPerEpoch);
      QVERIFY(r.evals[e].val_accuracy >= 0 && r.evals[e].val_accuracy <= 1);
    }
    std::int64_t last_step = 0;
    for (const auto& what : r.order) {
      if (what == "step") ++last_step;
      if (what == "eval") QVERIFY2(last_step % kStepsPerEpoch == 0, "an eval arrived mid-epoch");
    }
    QCOMPARE(s.steps, r.info.total_steps);
    QCOMPARE(s.final_val_accuracy, r.evals.back().val_accuracy);
    QVERIFY(s.best_val_accuracy >= s.final_val_accuracy);
    QVERIFY(s.wall_time_s > 0);
    QCOMPARE(s.skipped_steps, std::int64_t{0});
  }

  void evalEveryNSteps() {
    Recorder r;
    RunConfig cfg = spiralsConfig();
    cfg.training.eval_every = 7;
    runOnce(cfg, r);
    std::vector<std::int64_t> at;
    for (const auto& e : r.evals) at.push_back(e.step);
    QCOMPARE(at, (std::vector<std::int64_t>{7, 14, 21, 28, 30}));
  }

  void maxStepsStopsEarly() {
    Recorder r;
    RunConfig cfg = spiralsConfig();
    cfg.training.max_steps = 13;
    const RunSummary s = runOnce(cfg, r);
    QVERIFY(s.status == RunStatus::Completed);
    QCOMPARE(r.steps.size(), std::size_t{13});
    QCOMPARE(r.info.total_steps, std::int64_t{13});
    QCOMPARE(r.evals.back().step, std::int64_t{13});  // a final eval at the last step
  }

  // max_steps > 0 is exactly that many steps, epochs ignored: 45 steps with epochs = 3
  // (30) runs 4.5 epochs; the first 30 steps are those of the 3-epoch run, evals come at
  // each epoch's end and at the last step, and the schedule spans the real total.
  void maxStepsExtendsTheRun() {
    Recorder three, longer, one;
    const RunConfig base = spiralsConfig();
    runOnce(base, three);
    RunConfig cfg = base;
    cfg.training.max_steps = 45;
    const RunSummary s = runOnce(cfg, longer);
    QVERIFY2(s.status == RunStatus::Completed, s.error.c_str());
    QCOMPARE(longer.info.total_steps, std::int64_t{45});
    QCOMPARE(longer.steps.size(), std::size_t{45});
    QCOMPARE(s.steps, std::int64_t{45});
    for (std::size_t i = 0; i < three.steps.size(); ++i) QVERIFY(longer.steps[i].loss == three.steps[i].loss);
    QCOMPARE(longer.steps.back().epoch, 4);
    std::vector<std::int64_t> at;
    for (const auto& e : longer.evals) at.push_back(e.step);
    QCOMPARE(at, (std::vector<std::int64_t>{10, 20, 30, 40, 45}));
    cfg.training.epochs = 1;  // ignored
    runOnce(cfg, one);
    QCOMPARE(one.steps.size(), std::size_t{45});
    QVERIFY(one.steps.back().loss == longer.steps.back().loss);

    Recorder cosine;
    cfg.schedule.kind = ScheduleKind::Cosine;
    runOnce(cfg, cosine);
    QCOMPARE(cosine.steps.size(), std::size_t{45});
    QCOMPARE(cosine.steps.back().lr, learningRateAt(cfg.schedule, cfg.lr, 44, 45));
    QVERIFY(cosine.steps.back().lr < 0.01 * cfg.lr);  // the cosine reached its end, not 2/3 of it
  }

  void cancelFromAnotherThread() {
    RunConfig cfg = spiralsConfig();
    cfg.training.epochs = 1000;  // far more than the test lets it run
    Trainer trainer(cfg);
    Recorder r;
    StepGate gate;
    gate.install(r, 3);
    RunSummary summary;
    std::thread worker([&] { summary = trainer.run(r); });
    const bool reached = gate.reached.get_future().wait_for(20s) == std::future_status::ready;
    trainer.requestCancel();  // from this (non-training) thread
    gate.release.set_value();
    worker.join();
    QVERIFY(reached);
    QCOMPARE(QString(runStatusName(summary.status)), QString("cancelled"));
    QCOMPARE(r.steps.size(), std::size_t{3});
    QCOMPARE(summary.steps, std::int64_t{3});
    QVERIFY(r.hasEvent(EventKind::Cancelled));
    QVERIFY(!r.hasEvent(EventKind::RunFinished));
    QCOMPARE(r.eventsOf(EventKind::Cancelled).front().step, std::int64_t{3});
    QCOMPARE(r.order.back(), std::string("finished"));
    QVERIFY(r.summaries.at(0).status == RunStatus::Cancelled);
  }

  void pauseThenResume() {
    RunConfig cfg = spiralsConfig();
    cfg.training.epochs = 2;
    Trainer trainer(cfg);
    Recorder r;
    StepGate gate;
    gate.install(r, 2);
    // When step 3's record reached the observer, on the test's own clock.
    std::chrono::steady_clock::time_point step3_seen;
    auto hook = r.step_hook;
    r.step_hook = [&](const StepRecord& rec) {
      if (rec.step == 3) step3_seen = std::chrono::steady_clock::now();
      hook(rec);
    };
    RunSummary summary;
    const auto started = std::chrono::steady_clock::now();
    std::thread worker([&] { summary = trainer.run(r); });
    const bool reached = gate.reached.get_future().wait_for(20s) == std::future_status::ready;
    trainer.setPaused(true);
    gate.release.set_value();
    const bool paused = waitFor([&] { return r.hasEvent(EventKind::Paused); });
    // While paused no step runs.
    const std::size_t at_pause = r.stepCount();
    std::this_thread::sleep_for(150ms);
    const std::size_t after_wait = r.stepCount();
    const bool still_paused = trainer.isPaused();
    trainer.setPaused(false);
    worker.join();
    const double outside_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
    const double to_step3_ms = std::chrono::duration<double, std::milli>(step3_seen - started).count();
    QVERIFY(reached);
    QVERIFY(paused);
    QVERIFY(still_paused);
    QCOMPARE(at_pause, std::size_t{2});
    QCOMPARE(after_wait, std::size_t{2});
    QVERIFY2(summary.status == RunStatus::Completed, runStatusName(summary.status));
    QCOMPARE(r.steps.size(), std::size_t{2 * kStepsPerEpoch});
    for (std::size_t i = 0; i < r.steps.size(); ++i) QCOMPARE(r.steps[i].step, static_cast<std::int64_t>(i + 1));
    // Paused, then Resumed, both before step 3's record.
    std::vector<std::string> around;
    int steps_seen = 0;
    for (const auto& what : r.order) {
      if (what == "step") ++steps_seen;
      if (steps_seen == 2 && (what == "event:paused" || what == "event:resumed" || what == "step"))
        around.push_back(what);
    }
    QCOMPARE(around, (std::vector<std::string>{"step", "event:paused", "event:resumed"}));
    // The pause (at least the 150 ms slept above) is not training time: the run's clock
    // stood still. Both bounds nest inside what this thread measured, so they hold
    // however slow the machine is; with the pause counted, each would exceed it by 150 ms.
    const auto resumed = r.eventsOf(EventKind::Resumed);
    QCOMPARE(resumed.size(), std::size_t{1});
    QVERIFY2(resumed[0].value >= 0.150, qPrintable(QString("pause %1 s").arg(resumed[0].value)));
    QVERIFY2(summary.wall_time_s * 1000 + 150 <= outside_ms,
             qPrintable(QString("wall %1 ms, measured %2 ms").arg(summary.wall_time_s * 1000).arg(outside_ms)));
    QVERIFY2(r.steps[2].wall_ms + 150 <= to_step3_ms,
             qPrintable(QString("step 3 at %1 ms, seen at %2 ms").arg(r.steps[2].wall_ms).arg(to_step3_ms)));
  }

  void badDatasetPathFailsNamingTheFolder() {
    RunConfig cfg = spiralsConfig();
    cfg.dataset.kind = "fashion-mnist";
    const std::string dir = "/nonexistent/halflab-test-dataset";
    cfg.dataset.path = dir;
    Recorder r;
    const RunSummary s = runOnce(cfg, r);
    QCOMPARE(QString(runStatusName(s.status)), QString("failed"));
    QVERIFY2(s.error.find(dir) != std::string::npos, s.error.c_str());
    const auto failed = r.eventsOf(EventKind::RunFailed);
    QCOMPARE(failed.size(), std::size_t{1});
    QVERIFY2(failed[0].text.find(dir) != std::string::npos, failed[0].text.c_str());
    QVERIFY(r.steps.empty());
    QCOMPARE(r.order.back(), std::string("finished"));
    QCOMPARE(r.summaries.size(), std::size_t{1});
  }

  void invalidConfigIsRejectedByTheConstructor() {
    RunConfig cfg = spiralsConfig();
    cfg.optimizer.kind = OptimizerKind::SGD;
    cfg.lr = 1e6;  // beyond the schema's (0, 100]
    try {
      Trainer t(cfg);
      QFAIL("an lr of 1e6 was accepted");
    } catch (const ConfigError& e) {
      QVERIFY2(std::string(e.what()).find("optimizer.lr") != std::string::npos, e.what());
    }
  }

  // fp16-amp with a static scale of 2^24: S/N x (p - 1) is far above 65504, so every
  // loss gradient overflows, every step is skipped, the scale never moves, the weights
  // never change and the LR schedule never advances.
  void fp16AmpHugeStaticScaleSkipsEveryStep() {
    RunConfig cfg = spiralsConfig();
    cfg.precision.mode = PrecisionMode::FP16Amp;
    cfg.precision.scaler = defaultScalerConfig(ScalerFlavour::Static);
    cfg.precision.scaler.init_scale = 16777216.0;
    cfg.schedule.kind = ScheduleKind::Step;
    cfg.schedule.step_size = 1;  // would halve the lr at every applied step
    cfg.schedule.gamma = 0.5;
    cfg.training.epochs = 2;
    Recorder r;
    const RunSummary s = runOnce(cfg, r);
    QVERIFY2(s.status == RunStatus::Completed, s.error.c_str());
    QCOMPARE(r.steps.size(), std::size_t{2 * kStepsPerEpoch});
    for (const auto& st : r.steps) {
      QVERIFY2(st.found_inf && st.skipped, qPrintable(QString("step %1 was not skipped").arg(st.step)));
      QCOMPARE(st.scale_before, 16777216.0);
      QCOMPARE(st.scale_after, 16777216.0);
      QCOMPARE(st.lr, 0.01);
      QCOMPARE(st.updated_elements, std::int64_t{0});
      QVERIFY(st.overflow > 0);
    }
    QCOMPARE(s.skipped_steps, std::int64_t{2 * kStepsPerEpoch});
    QCOMPARE(s.overflow_steps, std::int64_t{2 * kStepsPerEpoch});
    QCOMPARE(s.final_scale, 16777216.0);
    QCOMPARE(r.eventsOf(EventKind::Overflow).size(), std::size_t{2 * kStepsPerEpoch});
    QVERIFY(r.eventsOf(EventKind::ScaleChange).empty());
    QVERIFY(r.eventsOf(EventKind::LrChange).empty());
    // Weights unchanged: both epochs evaluate the same model to the same val loss, and
    // every weight histogram equals the first one.
    QCOMPARE(r.evals.size(), std::size_t{2});
    QVERIFY(r.evals[0].val_loss == r.evals[1].val_loss);
    std::map<std::string, HistogramRecord> first;
    int weight_histograms = 0;
    for (const auto& h : r.histograms) {
      if (h.kind == "grad") QVERIFY(h.format == Format::FP16);  // as stored by backward
      if (h.kind != "weight") continue;
      ++weight_histograms;
      QVERIFY(h.format == Format::FP16);  // the working copy
      auto [it, inserted] = first.emplace(h.tensor, h);
      if (!inserted) QVERIFY2(it->second.bins == h.bins, qPrintable(QString::fromStdString(h.tensor)));
    }
    QVERIFY(weight_histograms > 6);
  }

  // Every gradient overflows fp16 even unscaled (loss weight 1e30): tf-keras backs off
  // from 2^15 to its floor 1 in 15 steps and keeps skipping; at the 20th skipped step in a
  // row the run ends `diverged`. PyTorch's scaler has no floor: with a loss weight of
  // 1e300 even 2^-149 x 1e300 overflows, so it halves down to 0 (step 166), where the
  // unscale's 0 x inf = NaN keeps every step skipped: diverged there. (At 1e30 it finds a
  // scale around 2^-81 that fits and trains on, which is no collapse.)
  void collapsedDynamicScaleDiverges() {
    RunConfig cfg = spiralsConfig();
    cfg.precision.mode = PrecisionMode::FP16Amp;
    cfg.precision.scaler = defaultScalerConfig(ScalerFlavour::TfKeras);
    cfg.precision.max_consecutive_skips = 20;
    cfg.training.loss_weight = 1e30;
    cfg.training.epochs = 30;
    Recorder r;
    const RunSummary s = runOnce(cfg, r);
    QCOMPARE(QString(runStatusName(s.status)), QString("diverged"));
    QCOMPARE(r.steps.size(), std::size_t{20});
    for (const auto& st : r.steps) QVERIFY(st.skipped);
    QCOMPARE(r.steps.back().scale_after, 1.0);
    QCOMPARE(s.error, std::string("loss scale collapsed to 2^0 after 20 consecutive skipped steps: "
                                  "every gradient overflows, even unscaled"));
    const auto diverged = r.eventsOf(EventKind::Diverged);
    QCOMPARE(diverged.size(), std::size_t{1});
    QCOMPARE(diverged[0].step, std::int64_t{20});
    QVERIFY(!r.hasEvent(EventKind::RunFinished));

    cfg.precision.scaler = defaultScalerConfig(ScalerFlavour::PyTorch);
    cfg.precision.max_consecutive_skips = 50;  // the default
    cfg.training.loss_weight = 1e300;
    Recorder p;
    const RunSummary sp = runOnce(cfg, p);
    QCOMPARE(QString(runStatusName(sp.status)), QString("diverged"));
    QCOMPARE(p.steps.size(), std::size_t{166});
    QCOMPARE(p.steps.back().scale_after, 0.0);
    QVERIFY2(sp.error.find("loss scale collapsed to 0 after 166 consecutive skipped steps") == 0, sp.error.c_str());
  }

  // A static scale that skips every step is what lesson 2 shows: the run completes, with
  // one Warning at the max_consecutive_skips-th skipped step in a row.
  void staticScaleSkippingEveryStepWarnsOnce() {
    RunConfig cfg = spiralsConfig();
    cfg.precision.mode = PrecisionMode::FP16Amp;
    cfg.precision.scaler = defaultScalerConfig(ScalerFlavour::Static);
    cfg.precision.scaler.init_scale = 16777216.0;
    cfg.precision.max_consecutive_skips = 8;
    Recorder r;
    const RunSummary s = runOnce(cfg, r);
    QVERIFY2(s.status == RunStatus::Completed, s.error.c_str());
    QCOMPARE(s.skipped_steps, std::int64_t{30});
    const auto warnings = r.eventsOf(EventKind::Warning);
    QCOMPARE(warnings.size(), std::size_t{1});
    QCOMPARE(warnings[0].step, std::int64_t{8});
    QVERIFY2(warnings[0].text.find("static loss scale 2^24: 8 consecutive steps skipped") == 0,
             warnings[0].text.c_str());
  }

  // The thread count changes OpenBLAS's reduction order, so the stored config holds the
  // number the run used, not 0; re-running that stored config reproduces the run.
  void storedConfigHoldsTheThreadCountUsed() {
    RunConfig cfg = spiralsConfig();
    cfg.training.threads = 0;  // all cores
    cfg.training.epochs = 1;
    Recorder a;
    runOnce(cfg, a);
    const RunConfig stored = RunConfig::fromJsonText(a.info.config_json);
    QVERIFY2(stored.training.threads >= 1, a.info.config_json.c_str());
    QCOMPARE(a.info.device, "cpu (" + std::to_string(stored.training.threads) + " threads)");
    Recorder b;
    runOnce(stored, b);
    QCOMPARE(b.info.config_json, a.info.config_json);
    QCOMPARE(b.steps.size(), a.steps.size());
    for (std::size_t i = 0; i < a.steps.size(); ++i) QVERIFY(a.steps[i].loss == b.steps[i].loss);
  }

  // A scripted overflow pattern: a PyTorch scaler starting at 2^24 with growth after
  // every clean step overflows at first, then alternates (grow -> overflow -> back off).
  // The step schedule must count applied steps only.
  void skippedStepsDoNotAdvanceTheSchedule() {
    RunConfig cfg = spiralsConfig();
    cfg.precision.mode = PrecisionMode::FP16Amp;
    cfg.precision.scaler = defaultScalerConfig(ScalerFlavour::PyTorch);
    cfg.precision.scaler.init_scale = 16777216.0;
    cfg.precision.scaler.growth_interval = 1;
    cfg.schedule.kind = ScheduleKind::Step;
    cfg.schedule.step_size = 2;
    cfg.schedule.gamma = 0.5;
    Recorder r;
    const RunSummary s = runOnce(cfg, r);
    QVERIFY2(s.status == RunStatus::Completed, s.error.c_str());
    std::int64_t applied = 0, skipped = 0;
    for (const auto& st : r.steps) {
      const double want = 0.01 * std::pow(0.5, static_cast<double>(applied / 2));
      QVERIFY2(std::fabs(st.lr - want) <= 1e-15,
               qPrintable(QString("step %1: lr %2, expected %3 after %4 applied steps")
                              .arg(st.step).arg(st.lr).arg(want).arg(applied)));
      QCOMPARE(st.skipped, st.found_inf);
      if (st.skipped) {
        ++skipped;
        QCOMPARE(st.scale_after, st.scale_before * 0.5);
        QCOMPARE(st.updated_elements, std::int64_t{0});
      } else {
        ++applied;
        QCOMPARE(st.scale_after, st.scale_before * 2.0);
      }
    }
    QVERIFY2(skipped >= 5 && applied >= 5, qPrintable(QString("%1 skipped, %2 applied").arg(skipped).arg(applied)));
    QCOMPARE(s.skipped_steps, skipped);
    // One LrChange event per change of the applied lr (every 2 applied steps).
    QCOMPARE(static_cast<std::int64_t>(r.eventsOf(EventKind::LrChange).size()), (applied - 1) / 2);
  }

  // fp32 SGD at the largest lr the schema allows (1e6 is rejected, see above) with an
  // MSE loss: the outputs explode within three steps, every later gradient is non-finite
  // and skipped, and nothing can ever change again. That is divergence, and the run must
  // end `diverged` with a Diverged event, well before its last step.
  void hugeLearningRateDiverges() {
    RunConfig cfg = spiralsConfig();
    cfg.optimizer.kind = OptimizerKind::SGD;
    cfg.lr = 100.0;
    cfg.training.loss = "mse";
    cfg.training.epochs = 20;
    Recorder r;
    const RunSummary s = runOnce(cfg, r);
    std::int64_t skipped = 0;
    for (const auto& st : r.steps) skipped += st.skipped;
    QVERIFY2(s.status == RunStatus::Diverged,
             qPrintable(QString("ended %1 after %2 steps, %3 of them skipped for non-finite "
                                "gradients; last loss %4")
                            .arg(runStatusName(s.status)).arg(r.steps.size()).arg(skipped)
                            .arg(r.steps.back().loss)));
    QVERIFY(!s.error.empty());
    const auto div = r.eventsOf(EventKind::Diverged);
    QCOMPARE(div.size(), std::size_t{1});
    QCOMPARE(div[0].step, r.steps.back().step);
    QVERIFY(r.steps.size() < std::size_t{20 * kStepsPerEpoch});
    QVERIFY(!r.hasEvent(EventKind::RunFinished));
    QCOMPARE(r.order.back(), std::string("finished"));
    QVERIFY(r.summaries.at(0).status == RunStatus::Diverged);
  }

  // A loss that turns NaN and stays NaN (huge lr, large initial weights and a 1e30 loss
  // weight) ends `diverged` after a few steps.
  void nonFiniteLossDiverges() {
    RunConfig cfg = spiralsConfig();
    cfg.optimizer.kind = OptimizerKind::SGD;
    cfg.lr = 100.0;
    cfg.optimizer.momentum = 0.9;
    cfg.model.init_gain = 10.0;
    cfg.training.loss_weight = 1e30;
    cfg.training.epochs = 20;
    Recorder r;
    const RunSummary s = runOnce(cfg, r);
    QCOMPARE(QString(runStatusName(s.status)), QString("diverged"));
    QVERIFY(!s.error.empty());
    const auto div = r.eventsOf(EventKind::Diverged);
    QCOMPARE(div.size(), std::size_t{1});
    QCOMPARE(div[0].step, r.steps.back().step);
    QVERIFY2(div[0].text.find("diverged at step " + std::to_string(div[0].step)) != std::string::npos,
             div[0].text.c_str());
    QVERIFY(r.steps.size() < std::size_t{20});
    QVERIFY(!r.hasEvent(EventKind::RunFinished));
    QCOMPARE(r.order.back(), std::string("finished"));
    QVERIFY(r.summaries.at(0).status == RunStatus::Diverged);
  }

  // Every K steps (and at step 1) one histogram per parameter gradient, weight and
  // activation gradient; the bins, zeros, infs and NaNs account for every element.
  void histogramsEveryKStepsAccountForEveryElement() {
    RunConfig cfg = spiralsConfig();
    cfg.training.histogram_every = 4;
    cfg.training.epochs = 2;
    Recorder r;
    runOnce(cfg, r);
    const std::map<std::string, std::int64_t> params{
        {"fc1.weight", 16 * 2}, {"fc1.bias", 16}, {"fc2.weight", 16 * 16},
        {"fc2.bias", 16},       {"fc3.weight", 3 * 16}, {"fc3.bias", 3}};
    // No gradient is computed below the first layer with parameters, so fc1's input
    // (the data) has none.
    const std::map<std::string, std::int64_t> act_grads{
        {"fc2.input", 32 * 16}, {"fc3.input", 32 * 16}};
    std::map<std::int64_t, int> per_step;
    for (const auto& h : r.histograms) {
      ++per_step[h.step];
      QCOMPARE(static_cast<int>(h.bins.size()), h.max_exp - h.min_exp + 1);
      std::int64_t total = h.zeros + h.infs + h.nans;
      for (auto b : h.bins) {
        QVERIFY(b >= 0);
        total += b;
      }
      std::int64_t want = -1;
      if (h.kind == "grad" || h.kind == "weight") {
        QVERIFY2(params.count(h.tensor), h.tensor.c_str());
        want = params.at(h.tensor);
      } else {
        QCOMPARE(h.kind, std::string("act_grad"));
        QVERIFY2(act_grads.count(h.tensor), h.tensor.c_str());
        want = act_grads.at(h.tensor);
      }
      QVERIFY2(total == want, qPrintable(QString("%1 %2 at step %3: %4 counted, %5 elements")
                                             .arg(QString::fromStdString(h.kind), QString::fromStdString(h.tensor))
                                             .arg(h.step).arg(total).arg(want)));
      QCOMPARE(h.infs + h.nans, std::int64_t{0});  // an fp32 run stays finite
      QVERIFY(h.format == Format::FP32);
    }
    std::vector<std::int64_t> steps;
    for (const auto& [step, n] : per_step) {
      steps.push_back(step);
      QCOMPARE(n, 6 + 6 + 2);
    }
    QCOMPARE(steps, (std::vector<std::int64_t>{1, 4, 8, 12, 16, 20}));

    // histogram_every = 0: none at all.
    Recorder none;
    cfg.training.histogram_every = 0;
    runOnce(cfg, none);
    QVERIFY(none.histograms.empty());
  }
};

QTEST_APPLESS_MAIN(TestTrainer)
#include "test_trainer.moc"

// What the engine must show on the real Fashion-MNIST data (issue: engine on the CPU).
// Label slow: each case trains for real; the whole file takes a few minutes on 2 cores.
#include <QtTest>

#include <filesystem>
#include <map>

#include <nlohmann/json.hpp>

#include "engine/data/dataset.hpp"
#include "engine/train/trainer.hpp"

using namespace halflab;

namespace {

const char* kDataDir = "/usr/share/datasets/fashion-mnist";

// Keeps every record of a run in memory.
struct Recorder : RunObserver {
  std::vector<StepRecord> steps;
  std::vector<EvalRecord> evals;
  std::vector<HistogramRecord> histograms;
  std::vector<EventRecord> events;
  void onStep(const StepRecord& r) override { steps.push_back(r); }
  void onEval(const EvalRecord& r) override { evals.push_back(r); }
  void onHistogram(const HistogramRecord& r) override { histograms.push_back(r); }
  void onEvent(const EventRecord& r) override { events.push_back(r); }

  // Fraction of stored (low-format, scaled) weight-gradient elements that are zero at `step`.
  double zeroGradFraction(std::int64_t step) const {
    std::int64_t zeros = 0, total = 0;
    for (const auto& h : histograms) {
      if (h.step != step || h.kind != "grad") continue;
      zeros += h.zeros;
      total += h.zeros + h.infs + h.nans;
      for (auto b : h.bins) total += b;
    }
    return total ? static_cast<double>(zeros) / static_cast<double>(total) : -1;
  }
};

// Parses a config and optionally sets the precision mode / scaler (keeps the JSON texts
// free of raw strings that end in a quote, which moc misreads).
RunConfig config(const std::string& text, const char* mode = nullptr, const char* scaler = nullptr) {
  auto j = nlohmann::json::parse(text);
  if (mode) j["precision"]["mode"] = mode;
  if (scaler) j["precision"]["scaler"] = scaler;
  return RunConfig::fromJson(j);
}

}  // namespace

class FashionMnistTraining : public QObject {
  Q_OBJECT

  std::shared_ptr<const DataSplit> data_;

  RunSummary train(const RunConfig& cfg, Recorder& rec) {
    Trainer t(cfg);
    t.setData(data_);
    return t.run(rec);
  }

 private slots:
  void initTestCase() {
    if (!std::filesystem::exists(std::string(kDataDir) + "/train-images-idx3-ubyte.gz"))
      QSKIP("Debian's dataset-fashion-mnist is not installed");
    data_ = loadDataFor(RunConfig{});
    QCOMPARE(data_->train.count(), 60000);
    QCOMPARE(data_->test.count(), 10000);
  }

  // MLP 784-256-128-10, Adam, 1 epoch, batch 128: fp32 >= 0.85; fp16-amp and bf16-amp
  // with the same seed within 0.5 points of fp32. Seed 1 is the default config; across
  // seeds 1-7 fp32 lands between 0.845 and 0.856 after one epoch.
  void mlpOneEpochAllModesAgree() {
    const std::string base = R"({"model":{"preset":"mlp","hidden":[256,128]},
        "optimizer":{"kind":"adam","lr":0.001},"training":{"epochs":1,"batch_size":128,"seed":1,
        "histogram_every":0}})";
    std::map<std::string, double> acc;
    for (const char* mode : {"fp32", "fp16-amp", "bf16-amp"}) {
      Recorder rec;
      const auto s = train(config(base, mode), rec);
      QCOMPARE(s.status, RunStatus::Completed);
      acc[mode] = s.final_val_accuracy;
      qInfo("%s: val accuracy %.4f, %lld skipped steps, %.0f samples/s", mode, s.final_val_accuracy,
            static_cast<long long>(s.skipped_steps), s.mean_samples_per_s);
    }
    QVERIFY2(acc["fp32"] >= 0.85, qPrintable(QString("fp32 accuracy %1").arg(acc["fp32"])));
    QVERIFY(std::abs(acc["fp16-amp"] - acc["fp32"]) <= 0.005);
    QVERIFY(std::abs(acc["bf16-amp"] - acc["fp32"]) <= 0.005);
  }

  // A residual model written as model.layers (two linear branches over the same hidden
  // value, joined by add), Adam, 1 epoch: fp32 and fp16-amp reach the MLP's accuracy.
  void residualLayerListOneEpoch() {
    const std::string base = R"({"model":{"layers":[{"op":"flatten"},
        {"op":"linear","name":"hidden","units":256,"activation":"relu"},
        {"op":"linear","name":"branch","units":256,"activation":"relu"},
        {"op":"add","name":"residual","inputs":["hidden","branch"]},
        {"op":"linear","name":"head","units":10}]},
        "optimizer":{"kind":"adam","lr":0.001},"training":{"epochs":1,"batch_size":128,"seed":1,
        "histogram_every":0}})";
    for (const char* mode : {"fp32", "fp16-amp"}) {
      Recorder rec;
      const auto s = train(config(base, mode), rec);
      QCOMPARE(s.status, RunStatus::Completed);
      qInfo("residual %s: val accuracy %.4f", mode, s.final_val_accuracy);
      QVERIFY2(s.final_val_accuracy >= 0.84, qPrintable(QString("%1 accuracy %2").arg(mode).arg(s.final_val_accuracy)));
    }
  }

  // LeNet-style CNN, 2 epochs: test accuracy >= 0.89.
  void lenetTwoEpochs() {
    Recorder rec;
    // LeNet layout (conv5-pool-conv5-pool-fc120-fc84-fc10) with 16/32 channels, Adam with a
    // cosine schedule: 0.8954 / 0.8937 / 0.8959 for seeds 1 / 2 / 3 (the 6/16-channel
    // original reaches about 0.886 in 2 epochs).
    const auto s = train(config(R"({"model":{"preset":"lenet","channels":[16,32]},
        "optimizer":{"kind":"adam","lr":0.002},"schedule":{"kind":"cosine"},
        "training":{"epochs":2,"batch_size":64,"seed":1,"histogram_every":0}})"), rec);
    qInfo("lenet: val accuracy %.4f in %.1f s", s.final_val_accuracy, s.wall_time_s);
    QCOMPARE(s.status, RunStatus::Completed);
    QVERIFY2(s.final_val_accuracy >= 0.89, qPrintable(QString("accuracy %1").arg(s.final_val_accuracy)));
  }

  // Tiny gradients (loss weighted by 1e-6): without loss scaling the fp16 gradients
  // underflow to zero and training stalls; the same run with the dynamic scaler trains.
  void tinyGradientsUnderflowWithoutScaling() {
    const std::string base = R"({"training":{"max_steps":200,"eval_every":200,"loss_weight":1e-6,
        "histogram_every":100,"seed":3},"dataset":{"test_limit":3000}})";
    Recorder none, dyn;
    const auto s_none = train(config(base, "fp16-amp", "none"), none);
    const auto s_dyn = train(config(base, "fp16-amp", "pytorch"), dyn);
    const double zero_none = none.zeroGradFraction(100), zero_dyn = dyn.zeroGradFraction(100);
    qInfo("zero weight-gradient fraction: none %.3f, pytorch %.3f; accuracy none %.3f, pytorch %.3f",
          zero_none, zero_dyn, s_none.final_val_accuracy, s_dyn.final_val_accuracy);
    QVERIFY(zero_none > 0.9);                // most gradient elements are zero...
    QVERIFY(none.steps.at(99).underflow > 0);  // ...because the rounding flushed them
    QVERIFY(zero_dyn < 0.5);
    QVERIFY(s_none.final_val_accuracy < 0.3);  // stalled
    QVERIFY(s_dyn.final_val_accuracy > 0.7);   // trains
  }

  // Static scale 2^24: (nearly) every step overflows and is skipped, and the records say so.
  void staticScaleTooHighSkipsEveryStep() {
    Recorder rec;
    const auto s = train(config(R"({"precision":{"mode":"fp16-amp","scaler":"static","init_scale":16777216},
        "training":{"max_steps":100,"eval_every":100,"histogram_every":0},"dataset":{"test_limit":1000}})"), rec);
    QCOMPARE(rec.steps.size(), std::size_t(100));
    std::int64_t skipped = 0, overflow_events = 0;
    for (const auto& r : rec.steps) {
      skipped += r.skipped;
      QVERIFY(!r.skipped || r.found_inf);
      QCOMPARE(r.scale_after, 16777216.0);
    }
    for (const auto& e : rec.events) overflow_events += e.kind == EventKind::Overflow;
    QVERIFY(skipped >= 95);
    QCOMPARE(s.skipped_steps, skipped);
    QCOMPARE(overflow_events, skipped);
    QVERIFY(rec.steps.front().overflow > 0);  // the rounding counted the infs
  }

  // PyTorch dynamic scaler from 2^16: backs off in the first steps, then grows every
  // growth interval and backs off on overflow (the saw-tooth). The loss is summed over the
  // batch (reduction='sum', loss weight = batch size), whose gradients overflow fp16 at 2^16.
  void dynamicScalerSawTooth() {
    Recorder rec;
    train(config(R"({"precision":{"mode":"fp16-amp","scaler":"pytorch","init_scale":65536,"growth_interval":50},
        "training":{"max_steps":600,"eval_every":600,"histogram_every":0,"loss_weight":128},
        "dataset":{"test_limit":1000}})"), rec);
    int growths = 0, backoffs = 0;
    std::int64_t first_backoff = -1;
    for (const auto& r : rec.steps) {
      if (r.scale_after > r.scale_before) ++growths;
      if (r.scale_after < r.scale_before) {
        ++backoffs;
        if (first_backoff < 0) first_backoff = r.step;
        QVERIFY(r.skipped);
        QCOMPARE(r.scale_after, r.scale_before * 0.5);
      }
    }
    qInfo("first back-off at step %lld, %d back-offs, %d growths, final scale %g",
          static_cast<long long>(first_backoff), backoffs, growths, rec.steps.back().scale_after);
    QVERIFY(first_backoff >= 1 && first_backoff <= 3);
    QCOMPARE(rec.steps.front().scale_before, 65536.0);
    QVERIFY(growths >= 3);
    QVERIFY(backoffs >= 3);
  }

  // fp16-pure + SGD with a small lr: most updates are lost in the fp16 rounding (weights
  // unchanged) while fp16-amp with fp32 master weights keeps learning.
  void pureFp16UpdatesVanish() {
    const std::string base = R"({"optimizer":{"kind":"sgd","lr":0.001},"training":{"max_steps":300,
        "eval_every":300,"histogram_every":0},"dataset":{"test_limit":2000}})";
    Recorder pure, amp;
    const auto s_pure = train(config(base, "fp16-pure"), pure);
    const auto s_amp = train(config(base, "fp16-amp"), amp);
    std::int64_t stalled = 0, updated = 0, amp_stalled = 0;
    for (const auto& r : pure.steps) stalled += r.stalled_updates, updated += r.updated_elements;
    for (const auto& r : amp.steps) amp_stalled += r.stalled_updates;
    const double frac = static_cast<double>(stalled) / static_cast<double>(updated);
    qInfo("fp16-pure: %.1f%% of updates vanished; loss pure %.4f vs amp %.4f", 100 * frac,
          s_pure.final_val_loss, s_amp.final_val_loss);
    QVERIFY(frac > 0.5);
    QCOMPARE(amp_stalled, std::int64_t(0));
    QVERIFY(s_amp.final_val_loss < s_pure.final_val_loss - 0.02);
  }

  // bf16-amp trains without any loss scaling (its range is fp32's), even with the tiny
  // gradients that stall fp16.
  void bf16NeedsNoScaling() {
    Recorder rec;
    const auto s = train(config(R"({"precision":{"mode":"bf16-amp","scaler":"none"},
        "training":{"max_steps":200,"eval_every":200,"loss_weight":1e-6,"histogram_every":0},
        "dataset":{"test_limit":3000}})"), rec);
    qInfo("bf16-amp, no scaler, loss weight 1e-6: accuracy %.3f", s.final_val_accuracy);
    QCOMPARE(s.skipped_steps, std::int64_t(0));
    QVERIFY(s.final_val_accuracy > 0.7);
    for (const auto& r : rec.steps) QCOMPARE(r.scale_after, 1.0);
  }
};

QTEST_APPLESS_MAIN(FashionMnistTraining)
#include "test_fashion_mnist_training.moc"

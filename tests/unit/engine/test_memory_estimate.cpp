// The memory estimate walks a model plan without allocating it: hand-counted figures for
// a tiny model, a refusal naming the biggest tensor for a model that cannot fit, and
// Trainer::prepare refusing it (HALFLAB_MEMORY_LIMIT_BYTES pins the limit) before the
// weights would have been allocated.
#include <QtTest>

#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>

#include "engine/data/loaders.hpp"
#include "engine/model/memory_estimate.hpp"
#include "engine/model/model_plan.hpp"
#include "engine/tensor/memory_budget.hpp"
#include "engine/train/model_fit.hpp"
#include "engine/train/trainer.hpp"

using namespace halflab;

namespace {

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

std::string configErrorOf(const std::function<void()>& f) {
  try {
    f();
  } catch (const ConfigError& e) {
    return e.what();
  } catch (const std::exception& e) {
    return std::string("<not a ConfigError: ") + e.what() + ">";
  }
  return "<no error>";
}

// Sets an environment variable for the lifetime of the object.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const std::string& value) : name_(name) { setenv(name, value.c_str(), 1); }
  ~ScopedEnv() { unsetenv(name_); }

 private:
  const char* name_;
};

RunConfig spirals(std::vector<int> hidden) {
  RunConfig cfg;
  cfg.dataset.kind = "spirals";
  cfg.dataset.synthetic_samples = 200;
  cfg.model.hidden = std::move(hidden);
  cfg.training.batch_size = 16;
  cfg.training.max_steps = 2;
  return cfg;
}

}  // namespace

class TestMemoryEstimate : public QObject {
  Q_OBJECT

 private slots:
  void countsATinyModelByHand() {
    // flatten [2] -> fc1 2x3 -> act -> fc2 3x2: 6+3+6+2 = 17 parameters.
    ModelConfig m;
    m.hidden = {3};
    const ModelPlan plan = planModel(m, {2}, 2);
    ElementSizes fp32;  // every value 4 bytes, no optimizer state
    const MemoryEstimate e = estimateMemory(plan, 4, 4, fp32);
    // Parameters and their gradients: 2 x 17 x 4 = 136 bytes. Activations per sample:
    // input 2, flatten 2, fc1 3, act 3, fc2 2 = 12; times 4 samples, 4 bytes, and once
    // more for their gradients: 384 bytes.
    QCOMPARE(e.total, std::int64_t{136 + 384});
    QCOMPARE(QString::fromStdString(e.largest.what), QString("fc1 output"));  // 4 x 3 x 4 bytes

    ElementSizes adam = fp32;
    adam.optimizer_states = 2;
    QCOMPARE(estimateMemory(plan, 4, 4, adam).total, std::int64_t{136 + 384 + 2 * 17 * 4});
    // Evaluation batches only hold activations: 12 x (100 - 4) more values.
    QCOMPARE(estimateMemory(plan, 4, 100, fp32).total, std::int64_t{136 + 384 + 12 * 96 * 4});
  }

  void deviceFigureUsesTheFormatWidths() {
    RunConfig cfg = spirals({3});
    cfg.precision.mode = PrecisionMode::FP16Amp;
    cfg.optimizer.kind = OptimizerKind::SGD;
    const ModelPlan plan = planModelFor(cfg, {2}, 2);
    // fp32 masters (68) + fp16 copies (34) + fp16 gradients (34); fp16 activations and
    // their gradients: 2 x 12 x 16 samples x 2 bytes.
    QCOMPARE(estimateMemory(plan, 16, 16, deviceElementSizes(cfg)).total,
             std::int64_t{68 + 34 + 34 + 2 * 12 * 16 * 2});
  }

  void hostFigureCountsTheGhostHistogramCopies() {
    // Low-precision histogram steps copy every gradient aside for the FP32 ghost pass.
    RunConfig cfg = spirals({3});
    cfg.precision.mode = PrecisionMode::FP16Amp;
    const ModelPlan plan = planModelFor(cfg, {2}, 2);
    cfg.training.histogram_every = 0;
    const std::int64_t without = hostMemoryEstimate(cfg, plan).total;
    cfg.training.histogram_every = 50;
    QCOMPARE(hostMemoryEstimate(cfg, plan).total - without, std::int64_t{17 * 4});
  }

  void saysWhichTensorIsTooBig() {
    RunConfig cfg = spirals({65536, 65536, 65536});
    const ModelPlan plan = planModelFor(cfg, {2}, 3);
    const MemoryEstimate need = hostMemoryEstimate(cfg, plan);
    QVERIFY(need.total > (std::int64_t{120} << 30));  // Adam: weights x 4, two layers of 16 GiB
    QCOMPARE(QString::fromStdString(need.largest.what), QString("fc2.weight"));
    QCOMPARE(need.largest.bytes, std::int64_t{16} << 30);

    ScopedEnv limit("HALFLAB_MEMORY_LIMIT_BYTES", std::to_string(std::int64_t{8} << 30));
    const std::string msg = configErrorOf([&] { requireMemoryFor(need); });
    QVERIFY2(contains(msg, "invalid config: model: needs about 128.") && contains(msg, "(fc2.weight alone 16.0 GiB) but "
                                                                                         "8.0 GiB is available (HALFLAB_MEMORY_LIMIT_BYTES)"),
             msg.c_str());
    MemoryEstimate small;
    small.total = std::int64_t{8} << 30;
    requireMemoryFor(small);  // exactly the limit fits
  }

  void badLimitNamesTheVariable() {
    ScopedEnv limit("HALFLAB_MEMORY_LIMIT_BYTES", "12GB");
    const std::string msg = configErrorOf([] { requireMemoryFor(MemoryEstimate{}); });
    QVERIFY2(contains(msg, "HALFLAB_MEMORY_LIMIT_BYTES: '12GB' is not a whole number of bytes"), msg.c_str());
  }

  void realLimitComesFromTheSystem() {
    const MemoryBudget b = availableMemory();
    if (b.bytes < 0) QSKIP("no /proc/meminfo here");
    QVERIFY(b.bytes > 0);
    QVERIFY(!b.source.empty());
    QCOMPARE(QString::fromStdString(formatBytes(1536)), QString("1.5 KiB"));
    QCOMPARE(QString::fromStdString(formatBytes(512)), QString("512 B"));
    QCOMPARE(QString::fromStdString(formatBytes(std::int64_t{48} << 30)), QString("48.0 GiB"));
  }

  void prepareRefusesBeforeAllocating() {
    // 65536 x 65536 fp32 weights would be 16 GiB each: prepare() must refuse from the
    // estimate (a real allocation would end in bad_alloc or the OOM killer instead).
    ScopedEnv limit("HALFLAB_MEMORY_LIMIT_BYTES", std::to_string(std::int64_t{4} << 30));
    Trainer t(spirals({65536, 65536}));
    const std::string msg = configErrorOf([&] { t.prepare(); });
    QVERIFY2(contains(msg, "model: needs about") && contains(msg, "(fc2.weight alone 16.0 GiB) but 4.0 GiB is available"),
             msg.c_str());
    RunObserver quiet;
    const RunSummary s = t.run(quiet);
    QCOMPARE(QString(runStatusName(s.status)), QString("failed"));
    QVERIFY2(contains(s.error, "fc2.weight alone 16.0 GiB"), s.error.c_str());

    Trainer fits(spirals({32}));
    fits.prepare();
    QCOMPARE(QString(runStatusName(fits.run(quiet).status)), QString("completed"));
  }
};

QTEST_APPLESS_MAIN(TestMemoryEstimate)
#include "test_memory_estimate.moc"

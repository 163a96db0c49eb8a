// Pins the training curve of every preset in every precision mode: a checksum of the bit
// patterns of each step's loss, gradient norm and scale and of the evaluations, for a short
// run on deterministic synthetic images. Any change to the numerics (an op, a rounding
// point, the optimizer, the loop order) changes a checksum; refactors must not.
//
// The CPU kernels that OpenBLAS and oneDNN pick at run time differ between AVX-512 and
// AVX2 machines and change the reduction order, so the test runs itself with both capped at
// AVX2 (the kernels every x86-64 machine this project targets can run). With
// HALFLAB_PRINT_CHECKSUMS=1 it prints the table to paste below when a numeric change is
// intended.
#include <unistd.h>

#include <QtTest>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>

#include "engine/data/dataset.hpp"
#include <nlohmann/json.hpp>

#include "engine/train/trainer.hpp"

using namespace halflab;

namespace {

constexpr const char* kModes[] = {"fp32", "tf32", "fp16-pure", "fp16-amp", "bf16-amp"};
constexpr const char* kPresets[] = {"mlp", "lenet", "cifar-cnn"};

// FNV-1a over raw bytes: stable across compilers and machines.
struct Fnv {
  std::uint64_t h = 1469598103934665603ull;
  void add(const void* p, std::size_t n) {
    const auto* b = static_cast<const unsigned char*>(p);
    for (std::size_t i = 0; i < n; ++i) h = (h ^ b[i]) * 1099511628211ull;
  }
  void add(double v) { add(&v, sizeof v); }
  void add(std::int64_t v) { add(&v, sizeof v); }
};

class CurveHash : public RunObserver {
 public:
  Fnv fnv;
  std::int64_t steps = 0;
  void onStep(const StepRecord& r) override {
    ++steps;
    fnv.add(r.loss);
    fnv.add(r.grad_norm);
    fnv.add(r.scale_after);
    fnv.add(r.underflow);
    fnv.add(r.overflow);
  }
  void onEval(const EvalRecord& r) override {
    fnv.add(r.val_loss);
    fnv.add(r.val_accuracy);
  }
};

// 28x28 grey images whose class is the brightest of ten vertical bands, with hashed noise:
// learnable in a few steps and the same bytes on every machine.
std::shared_ptr<const DataSplit> syntheticImages() {
  auto make = [](std::int64_t n, std::uint64_t salt) {
    Dataset d;
    d.num_classes = 10;
    d.inputs = Tensor({n, 1, 28, 28});
    d.labels.resize(static_cast<std::size_t>(n));
    std::uint64_t x = 0x9E3779B97F4A7C15ull ^ salt;
    for (std::int64_t i = 0; i < n; ++i) {
      const int label = static_cast<int>(i % 10);
      d.labels[static_cast<std::size_t>(i)] = label;
      float* img = d.inputs.ptr() + i * 784;
      for (int p = 0; p < 784; ++p) {
        x ^= x << 13; x ^= x >> 7; x ^= x << 17;
        const float noise = static_cast<float>(x >> 40) / static_cast<float>(1 << 24);
        const int band = (p % 28) * 10 / 28;
        img[p] = 0.6f * noise + (band == label ? 0.4f : 0.0f);
      }
    }
    return d;
  };
  auto split = std::make_shared<DataSplit>();
  split->train = make(320, 1);
  split->test = make(100, 2);
  return split;
}

RunConfig configFor(const std::string& preset, const std::string& mode, int histogram_every = 0) {
  nlohmann::json j = {
      {"dataset", {{"kind", "fashion-mnist"}, {"normalize", false}}},
      {"model", {{"preset", preset}}},
      {"precision", {{"mode", mode}}},
      {"training", {{"batch_size", 32}, {"max_steps", 14}, {"eval_every", 7}, {"histogram_every", histogram_every},
                    {"seed", 3}, {"threads", 1}}}};
  if (preset == "cifar-cnn") j["model"]["channels"] = {8, 16};
  if (preset == "mlp") j["model"]["hidden"] = {64, 32};
  return RunConfig::fromJson(j);
}

std::uint64_t curveChecksum(const std::string& preset, const std::string& mode, std::int64_t* steps,
                            int histogram_every = 0) {
  static const auto data = syntheticImages();
  Trainer t(configFor(preset, mode, histogram_every));
  t.setData(data);
  CurveHash hash;
  const RunSummary s = t.run(hash);
  if (s.status != RunStatus::Completed) qWarning("%s %s: %s", preset.c_str(), mode.c_str(), s.error.c_str());
  *steps = hash.steps;
  return hash.fnv.h;
}

// preset/mode -> checksum, measured with the kernels capped at AVX2 (see the top).
const std::map<std::string, std::uint64_t> kExpected = {
    {"mlp/fp32", 0x677a723292ad4694ull},
    {"mlp/tf32", 0xe70620fff9e6bc30ull},
    {"mlp/fp16-pure", 0xd584d3ad00505091ull},
    {"mlp/fp16-amp", 0x38c32a5383039c9cull},
    {"mlp/bf16-amp", 0x304fb5b73ebecfcfull},
    {"lenet/fp32", 0x11fccc624074f431ull},
    {"lenet/tf32", 0x17b8ba2bcafe6826ull},
    {"lenet/fp16-pure", 0xc9a3372df6021fb4ull},
    {"lenet/fp16-amp", 0xde1d5a69ba1d5542ull},
    {"lenet/bf16-amp", 0x6eae5a02db824e6dull},
    {"cifar-cnn/fp32", 0x58edcb57466e7d46ull},
    {"cifar-cnn/tf32", 0xf3bfc0140f41aaeeull},
    {"cifar-cnn/fp16-pure", 0x8fa288a32ad741a3ull},
    {"cifar-cnn/fp16-amp", 0x95f25dc6be991d84ull},
    {"cifar-cnn/bf16-amp", 0xcf338ab229f1b753ull},
};

}  // namespace

class TestCurveChecksums : public QObject {
  Q_OBJECT
 private slots:
  void curves_data() {
    QTest::addColumn<QString>("preset");
    QTest::addColumn<QString>("mode");
    for (const char* p : kPresets)
      for (const char* m : kModes) QTest::newRow((std::string(p) + "/" + m).c_str()) << QString(p) << QString(m);
  }
  void curves() {
    QFETCH(QString, preset);
    QFETCH(QString, mode);
    std::int64_t steps = 0;
    const std::uint64_t got = curveChecksum(preset.toStdString(), mode.toStdString(), &steps);
    QCOMPARE(steps, std::int64_t{14});
    const std::string key = preset.toStdString() + "/" + mode.toStdString();
    if (std::getenv("HALFLAB_PRINT_CHECKSUMS"))
      std::printf("    {\"%s\", 0x%016llxull},\n", key.c_str(), static_cast<unsigned long long>(got));
    const auto it = kExpected.find(key);
    QVERIFY2(it != kExpected.end(), qPrintable("no pinned checksum for " + QString::fromStdString(key)));
    QVERIFY2(it->second == got, qPrintable(QString("%1: curve checksum 0x%2, pinned 0x%3: the numerics changed")
                                               .arg(QString::fromStdString(key))
                                               .arg(got, 16, 16, QChar('0'))
                                               .arg(it->second, 16, 16, QChar('0'))));
  }

  // Histogram steps only observe: their extra work (the FP32 ghost backward of the
  // low-precision modes, the histograms themselves) must not change the curve.
  void histogramStepsDoNotChangeTheCurve_data() { curves_data(); }
  void histogramStepsDoNotChangeTheCurve() {
    QFETCH(QString, preset);
    QFETCH(QString, mode);
    std::int64_t steps = 0;
    const std::uint64_t plain = curveChecksum(preset.toStdString(), mode.toStdString(), &steps, 0);
    const std::uint64_t observed = curveChecksum(preset.toStdString(), mode.toStdString(), &steps, 3);
    QCOMPARE(observed, plain);
  }
};

// Re-executes itself once with the CPU kernels capped at AVX2 (the libraries read these
// variables when they load, so they must be set before the process starts).
int main(int argc, char** argv) {
  if (!std::getenv("HALFLAB_CHECKSUM_ENV")) {
    setenv("HALFLAB_CHECKSUM_ENV", "1", 1);
    setenv("OPENBLAS_CORETYPE", "Haswell", 1);
    setenv("DNNL_MAX_CPU_ISA", "AVX2", 1);
    setenv("ONEDNN_MAX_CPU_ISA", "AVX2", 1);
    setenv("OPENBLAS_NUM_THREADS", "1", 1);
    execv("/proc/self/exe", argv);
    std::perror("re-exec with the AVX2 kernel caps");
    return 1;
  }
  QCoreApplication app(argc, argv);
  TestCurveChecksums t;
  return QTest::qExec(&t, argc, argv);
}
#include "test_curve_checksums.moc"

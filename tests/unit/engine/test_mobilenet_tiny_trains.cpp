// mobilenet-tiny (depthwise-separable CNN from depthwise_conv2d, batchnorm, conv2d 1x1 and
// global_avg_pool2d) learns: on the first 1024 Fashion-MNIST images, 3 epochs of Adam lower
// the loss well below its start and beat chance on the test images. Skips without
// Debian's dataset-fashion-mnist.
#include <QtTest>

#include <filesystem>
#include <numeric>

#include <nlohmann/json.hpp>

#include "engine/data/dataset.hpp"
#include "engine/train/trainer.hpp"

using namespace halflab;

namespace {

struct LossRecorder : RunObserver {
  std::vector<double> losses;
  void onStep(const StepRecord& r) override { losses.push_back(r.loss); }
};

double meanOf(const std::vector<double>& v, std::size_t from, std::size_t to) {
  return std::accumulate(v.begin() + static_cast<std::ptrdiff_t>(from), v.begin() + static_cast<std::ptrdiff_t>(to), 0.0) /
         static_cast<double>(to - from);
}

}  // namespace

class MobileNetTinyTrains : public QObject {
  Q_OBJECT

 private slots:
  void lossDecreasesOnASmallSet() {
    if (!std::filesystem::exists("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz"))
      QSKIP("Debian's dataset-fashion-mnist is not installed");
    for (const char* mode : {"fp32", "fp16-amp"}) {
      auto j = nlohmann::json::parse(R"({"model":{"preset":"mobilenet-tiny"},
          "dataset":{"train_limit":1024,"test_limit":500},"optimizer":{"kind":"adam","lr":0.002},
          "training":{"epochs":3,"batch_size":64,"seed":1,"histogram_every":0}})");
      j["precision"]["mode"] = mode;
      Trainer t(RunConfig::fromJson(j));
      LossRecorder rec;
      const auto s = t.run(rec);
      QCOMPARE(s.status, RunStatus::Completed);
      QCOMPARE(rec.losses.size(), std::size_t{48});
      const double first = meanOf(rec.losses, 0, 4), last = meanOf(rec.losses, 44, 48);
      qInfo("%s: loss %.3f -> %.3f, test accuracy %.3f", mode, first, last, s.final_val_accuracy);
      QVERIFY2(last < 0.7 * first, qPrintable(QString("%1: loss %2 -> %3").arg(mode).arg(first).arg(last)));
      QVERIFY2(s.final_val_accuracy > 0.5, qPrintable(QString("%1: accuracy %2").arg(mode).arg(s.final_val_accuracy)));
    }
  }
};

QTEST_APPLESS_MAIN(MobileNetTinyTrains)
#include "test_mobilenet_tiny_trains.moc"

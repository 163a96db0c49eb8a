// issue 11's target for the digit seed's CNN: seed-mnist-cnn (conv 32 3x3 ReLU, max pool 2,
// dense 128 ReLU, dense 10) on the full Fashion-MNIST (Debian's package), fp32, 2 epochs,
// Adam 1e-3, batch 64 asks for test accuracy >= 0.90. Measured here with seed 1 (CLI, same
// config): 0.8937 at batch 64 (33 s on 2 cores), 0.8993 at batch 32, 0.8877 at batch 128,
// so 0.90 is NOT reached yet; this test holds the measured level (>= 0.885) so a regression
// shows, and its name says it is below the issue's target. Label slow (all 60000 images).
#include <QtTest>

#include <filesystem>

#include <nlohmann/json.hpp>

#include "engine/data/dataset.hpp"
#include "engine/train/trainer.hpp"

using namespace halflab;

class SeedCnnTraining : public QObject {
  Q_OBJECT

 private slots:
  void seedMnistCnnTwoEpochsBelowIssueTargetOf90() {
    if (!std::filesystem::exists("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz"))
      QSKIP("Debian's dataset-fashion-mnist is not installed");
    Trainer t(RunConfig::fromJson(nlohmann::json::parse(R"({"model":{"preset":"seed-mnist-cnn"},
        "optimizer":{"kind":"adam","lr":0.001},"training":{"epochs":2,"batch_size":64,"seed":1,
        "histogram_every":0}})")));
    RunObserver quiet;
    const auto s = t.run(quiet);
    QCOMPARE(s.status, RunStatus::Completed);
    qInfo("seed-mnist-cnn fp32: test accuracy %.4f, %.0f samples/s", s.final_val_accuracy, s.mean_samples_per_s);
    QVERIFY2(s.final_val_accuracy >= 0.885, qPrintable(QString("test accuracy %1").arg(s.final_val_accuracy)));
  }
};

QTEST_APPLESS_MAIN(SeedCnnTraining)
#include "test_seed_cnn_training.moc"

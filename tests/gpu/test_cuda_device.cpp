// GPU suite: skips cleanly when the build has no CUDA or the machine has no GPU.
#include <QtTest>

#include "engine/backend/device.hpp"
#include "engine/train/trainer.hpp"

using namespace halflab;

class CudaDevice : public QObject {
  Q_OBJECT
 private slots:
  void reportsDevicesOrWhyNot() {
    const DeviceReport r = queryDevices();
    if (r.gpus.empty()) {
      QVERIFY2(!r.problem.empty(), "no GPU and no reason given");
      QSKIP(qPrintable(QString::fromStdString(r.problem)));
    }
    for (const auto& g : r.gpus) {
      QVERIFY(!g.name.empty());
      QVERIFY(g.total_memory > 0);
      QVERIFY(g.cc_major >= 3);
      qInfo("GPU %d: %s, %.1f GiB, sm_%d%d", g.index, g.name.c_str(), g.total_memory / 1073741824.0,
            g.cc_major, g.cc_minor);
    }
  }

  // "cuda" means the GPU: the run trains there (device "cuda:0 ..."), or, without a usable
  // CUDA backend, fails before training with the reason. Only "auto" falls back.
  void cudaRequestTrainsOnTheGpuOrFails() {
    RunObserver ignore;
    Trainer t(RunConfig::fromJsonText(R"({"dataset":{"kind":"moons","synthetic_samples":200},
        "training":{"device":"cuda","max_steps":3,"histogram_every":0}})"));
    const auto s = t.run(ignore);
    const bool usable = unusableDeviceReason(t.config()).empty();
    if (usable) {
      QCOMPARE(s.status, RunStatus::Completed);
      QVERIFY2(s.device.rfind("cuda:", 0) == 0, s.device.c_str());
    } else {
      QCOMPARE(s.status, RunStatus::Failed);
      QCOMPARE(s.steps, std::int64_t{0});
      QVERIFY2(s.error.find("training.device is cuda, but") != std::string::npos, s.error.c_str());
    }
  }

  void autoFallsBackToTheCpu() {
    RunObserver ignore;
    Trainer t(RunConfig::fromJsonText(R"({"dataset":{"kind":"moons","synthetic_samples":200},
        "training":{"device":"auto","max_steps":3,"histogram_every":0}})"));
    const auto s = t.run(ignore);
    QCOMPARE(s.status, RunStatus::Completed);
    const bool on_gpu = s.device.rfind("cuda:", 0) == 0;
    QCOMPARE(on_gpu, unusableDeviceReason(RunConfig::fromJsonText(
                         R"({"training":{"device":"cuda"},"dataset":{"kind":"moons"}})")).empty());
  }
};

QTEST_APPLESS_MAIN(CudaDevice)
#include "test_cuda_device.moc"

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

  // Asking for "cuda" never fails a run: it trains on the GPU (device "cuda:0 ..."), or,
  // without a usable CUDA backend, says so in a warning event and trains on the CPU.
  void cudaRequestFallsBackWithWarning() {
    struct Events : RunObserver {
      std::vector<EventRecord> events;
      void onEvent(const EventRecord& e) override { events.push_back(e); }
    } obs;
    Trainer t(RunConfig::fromJsonText(R"({"dataset":{"kind":"moons","synthetic_samples":200},
        "training":{"device":"cuda","max_steps":3,"histogram_every":0}})"));
    const auto s = t.run(obs);
    QCOMPARE(s.status, RunStatus::Completed);
    bool warned = false;
    for (const auto& e : obs.events)
      warned |= e.kind == EventKind::Warning && e.text.find("CPU backend") != std::string::npos;
    const bool on_gpu = s.device.rfind("cuda:", 0) == 0;
    QVERIFY2(warned != on_gpu, qPrintable(QString::fromStdString("device " + s.device)));
  }
};

QTEST_APPLESS_MAIN(CudaDevice)
#include "test_cuda_device.moc"

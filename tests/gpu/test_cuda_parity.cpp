// GPU suite: the CUDA backend against the CPU backend (the same checks halflab-gpu-check
// runs without Qt). Skips cleanly when the build has no CUDA or the machine has no GPU.
#include <QtTest>

#include "engine/backend/device.hpp"
#if HALFLAB_WITH_CUDA
#include "engine/backend/cuda/tools/parity_checks.hpp"
#endif

using namespace halflab;

// QSKIP returns from the function it is written in, so this stays a macro for the slots.
#define SKIP_WITHOUT_GPU()                                                           \
  do {                                                                               \
    const DeviceReport devices = queryDevices();                                     \
    if (devices.gpus.empty()) QSKIP(qPrintable(QString::fromStdString(devices.problem))); \
  } while (0)

class CudaParity : public QObject {
  Q_OBJECT
 private:
#if HALFLAB_WITH_CUDA
  static void verifyAll(const std::vector<gpucheck::CheckResult>& results) {
    QVERIFY(!results.empty());
    int failed = 0;
    for (const auto& r : results) {
      qInfo("%s %s: %s", r.skipped ? "SKIP" : r.passed ? "PASS" : "FAIL", r.name.c_str(), r.detail.c_str());
      failed += !r.passed && !r.skipped;
    }
    QCOMPARE(failed, 0);
  }
#endif

 private slots:
  void everyOpMatchesTheCpuInEveryMode() {
    SKIP_WITHOUT_GPU();
#if HALFLAB_WITH_CUDA
    verifyAll(gpucheck::opParity());
#endif
  }
  void fp32LossCurveMatchesFor1000Steps() {
    SKIP_WITHOUT_GPU();
#if HALFLAB_WITH_CUDA
    verifyAll({gpucheck::fp32LossCurve(1000)});
#endif
  }
  void fp16AmpOverflowsAndSkipsTheSameSteps() {
    SKIP_WITHOUT_GPU();
#if HALFLAB_WITH_CUDA
    verifyAll(gpucheck::scalerTraces(200));
#endif
  }
  void outOfMemoryFailsTheRunWithAMessage() {
    SKIP_WITHOUT_GPU();
#if HALFLAB_WITH_CUDA
    verifyAll({gpucheck::outOfMemoryIsAnError()});
#endif
  }
};

QTEST_APPLESS_MAIN(CudaParity)
#include "test_cuda_parity.moc"

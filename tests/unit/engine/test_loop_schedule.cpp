// The shared training-loop schedule (engine/train/loop_schedule.hpp) that both the CPU
// RunLoop and the CUDA run follow: histogram and eval cadence, eval batch size, and the
// histogram exponent range agreeing with the histogram record and the CPU accumulator.
#include <QtTest>

#include "engine/record/records.hpp"
#include "engine/stats/histogram.hpp"
#include "engine/train/loop_schedule.hpp"

using namespace halflab;

class TestLoopSchedule : public QObject {
  Q_OBJECT
 private slots:
  void histogramOnFirstStepAndEveryN() {
    QVERIFY(isHistogramStep(1, 10));
    QVERIFY(!isHistogramStep(2, 10));
    QVERIFY(!isHistogramStep(9, 10));
    QVERIFY(isHistogramStep(10, 10));
    QVERIFY(isHistogramStep(20, 10));
    QVERIFY(!isHistogramStep(21, 10));
    QVERIFY(isHistogramStep(1, 1) && isHistogramStep(2, 1));
  }
  void histogramZeroMeansNever() {
    for (std::int64_t s = 1; s <= 50; ++s) QVERIFY(!isHistogramStep(s, 0));
  }
  void evalEveryNStepsAndOnTheLastStep() {
    QVERIFY(!isEvalStep(4, 5, 12, false));
    QVERIFY(isEvalStep(5, 5, 12, false));
    QVERIFY(isEvalStep(10, 5, 12, false));
    QVERIFY(!isEvalStep(11, 5, 12, true));  // epoch end does not matter with eval_every
    QVERIFY(isEvalStep(12, 5, 12, false));  // the last step always evaluates
  }
  void evalAtEpochEndWithoutEvalEvery() {
    QVERIFY(isEvalStep(7, 0, 12, true));
    QVERIFY(!isEvalStep(6, 0, 12, false));
    QVERIFY(!isEvalStep(12, 0, 12, false));  // the caller marks the last step as an epoch end
  }
  void evalBatchHasAFloor() {
    QCOMPARE(evalBatchSize(1), kMinEvalBatch);
    QCOMPARE(evalBatchSize(64), std::int64_t{500});
    QCOMPARE(evalBatchSize(500), std::int64_t{500});
    QCOMPARE(evalBatchSize(1024), std::int64_t{1024});
  }
  void histogramRangeMatchesRecordAndAccumulator() {
    const HistogramRecord r;
    QCOMPARE(r.min_exp, kHistogramMinExp);
    QCOMPARE(r.max_exp, kHistogramMaxExp);
    const Log2Histogram h = makeLog2Histogram(kHistogramMinExp, kHistogramMaxExp);
    QCOMPARE(static_cast<int>(h.bins.size()), kHistogramBins);
    const Log2Histogram d = makeLog2Histogram();
    QCOMPARE(d.min_exp, kHistogramMinExp);
    QCOMPARE(d.max_exp, kHistogramMaxExp);
  }
};

QTEST_APPLESS_MAIN(TestLoopSchedule)
#include "test_loop_schedule.moc"

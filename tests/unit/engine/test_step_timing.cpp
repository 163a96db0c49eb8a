// The A/B speedup statistic (engine/stats/step_timing): segments of step times, warm-up
// and a partial last segment dropped, medians per run, the IQR of per-segment ratios.
// Hand-made step times, so every number is known exactly.
#include <QtTest>

#include <vector>

#include "engine/stats/step_timing.hpp"

using namespace halflab;

namespace {
std::vector<double> constant(std::size_t n, double ms) { return std::vector<double>(n, ms); }
}  // namespace

class TestStepTiming : public QObject {
  Q_OBJECT

 private slots:
  void segmentLengthShrinksForShortRuns() {
    QCOMPARE(timingSegmentLength(0), std::size_t{0});
    QCOMPARE(timingSegmentLength(1), std::size_t{0});
    QCOMPARE(timingSegmentLength(2), std::size_t{1});
    QCOMPARE(timingSegmentLength(79), std::size_t{19});
    QCOMPARE(timingSegmentLength(80), std::size_t{20});
    QCOMPARE(timingSegmentLength(100000), std::size_t{20});
  }

  void segmentsDropWarmUpAndAPartialTail() {
    std::vector<double> ms(75);
    for (std::size_t i = 0; i < ms.size(); ++i) ms[i] = static_cast<double>(i / 20 + 1);  // 1,1,..,2,..,3,..,4
    // Segments [20,40) and [40,60); [0,20) is the warm-up and [60,75) is partial.
    QCOMPARE(segmentStepTimes(ms, 20), (std::vector<double>{2.0, 3.0}));
    QVERIFY(segmentStepTimes(ms, 0).empty());
  }

  void medianAndQuantiles() {
    QCOMPARE(median({}), 0.0);
    QCOMPARE(median({5}), 5.0);
    QCOMPARE(median({4, 1, 3, 2}), 2.5);
    QCOMPARE(quantile({1, 2, 3, 4, 5}, 0.25), 2.0);
    QCOMPARE(quantile({1, 2, 3, 4, 5}, 0.75), 4.0);
    QCOMPARE(quantile({1, 2}, 0.25), 1.25);
  }

  // What whole wall times get wrong: a slow warm-up and rare long steps (a histogram
  // step, the machine busy for a moment) move neither median. The ratio of totals here
  // is about 1.03x; the steps themselves are exactly 2x faster.
  void speedupIgnoresWarmUpAndOutliers() {
    std::vector<double> base = constant(400, 2.0), low = constant(400, 1.0);
    for (std::size_t i = 0; i < 20; ++i) base[i] = low[i] = 100.0;  // warm-up
    for (std::size_t i = 30; i < 400; i += 50) low[i] = 40.0;          // one slow step in some segments
    const SpeedupEstimate e = estimateSpeedup(base, low);
    QVERIFY(e.valid);
    QCOMPARE(e.segment_steps, std::size_t{20});
    QCOMPARE(e.segments, std::size_t{19});
    QCOMPARE(e.base_ms_per_step, 2.0);
    QCOMPARE(e.other_ms_per_step, 1.0);
    QCOMPARE(e.speedup, 2.0);
    QVERIFY(e.ratio_q1 < 1.0 && e.ratio_q3 == 2.0);  // 8 of 19 segments hold a slow step
    double sum_base = 0, sum_low = 0;
    for (double v : base) sum_base += v;
    for (double v : low) sum_low += v;
    QVERIFY(sum_base / sum_low < 1.3);  // the statistic this replaces
  }

  // Per-segment ratios 1..5: speedup = median base / median low = 6 / 2 = 3, IQR 2..4.
  void spreadIsTheIqrOfSegmentRatios() {
    std::vector<double> base, low;
    const double low_ms[] = {6.0, 6.0, 3.0, 2.0, 1.5, 1.2};  // segment 0 is the warm-up
    for (double v : low_ms)
      for (int i = 0; i < 20; ++i) {
        base.push_back(6.0);
        low.push_back(v);
      }
    const SpeedupEstimate e = estimateSpeedup(base, low);
    QCOMPARE(e.segments, std::size_t{5});
    QCOMPARE(e.speedup, 3.0);
    QCOMPARE(e.ratio_q1, 2.0);
    QCOMPARE(e.ratio_q3, 4.0);
    QCOMPARE(QString::fromStdString(describeSpeedup(e)), QString("3.00x (IQR 2.00-4.00, 5 segments of 20 steps)"));
  }

  void tooShortRunsAreNotTimed() {
    const SpeedupEstimate one = estimateSpeedup(constant(1, 1.0), constant(500, 1.0));
    QVERIFY(!one.valid);
    QCOMPARE(QString::fromStdString(describeSpeedup(one)), QString("n/a (runs too short to time)"));
    const SpeedupEstimate two = estimateSpeedup(constant(2, 3.0), constant(2, 1.0));  // 1-step segments
    QVERIFY(two.valid);
    QCOMPARE(two.segments, std::size_t{1});
    QCOMPARE(two.speedup, 3.0);
    QVERIFY(!estimateSpeedup(constant(100, 1.0), constant(100, 0.0)).valid);  // no times recorded
  }

  void cpuDevicesAreRecognised() {
    QVERIFY(isCpuDevice("cpu (2 threads)"));
    QVERIFY(!isCpuDevice("cuda:0 NVIDIA H200 (139.8 GiB, sm_90)"));
    QVERIFY(!isCpuDevice(""));
    QVERIFY(QString::fromUtf8(kCpuTimingCaveat).contains("not indicative of GPU speed"));
  }
};

QTEST_APPLESS_MAIN(TestStepTiming)
#include "test_step_timing.moc"

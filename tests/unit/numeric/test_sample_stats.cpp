// Seed statistics (engine/stats/sample_stats) against numbers computed once with SciPy
// 1.10 by tests/reference/sample_stats_reference.py: mean, sd, Student t interval and
// Welch's t-test (statistic, Welch-Satterthwaite df, two-sided p, interval half width).
#include <QtTest>

#include <cmath>
#include <vector>

#include "engine/stats/sample_stats.hpp"

using namespace halflab;

namespace {
const std::vector<double> kFp32{0.8512, 0.8467, 0.8558, 0.8493, 0.8531};
const std::vector<double> kFp16{0.8498, 0.8440, 0.8571, 0.8476, 0.8519};
const std::vector<double> kBf16{0.8391, 0.8422, 0.8367, 0.8405, 0.8380, 0.8412};
const std::vector<double> kTiny{1.0, 2.0};

bool near(double a, double b, double rel = 1e-10) {
  return std::fabs(a - b) <= rel * std::max(1.0, std::fabs(b));
}
#define QNEAR(a, b) QVERIFY2(near((a), (b)), qPrintable(QString("%1 != %2").arg((a), 0, 'g', 17).arg((b), 0, 'g', 17)))
}  // namespace

class TestSampleStats : public QObject {
  Q_OBJECT

 private slots:
  void studentIntervalMatchesScipy() {
    SampleSummary s = summarizeSample(kFp32);
    QCOMPARE(s.n, std::size_t{5});
    QNEAR(s.mean, 0.85121999999999998);
    QNEAR(s.sd, 0.0034866889737973348);
    QNEAR(s.ci_low, 0.84689070382830178);
    QNEAR(s.ci_high, 0.85554929617169817);
    s = summarizeSample(kBf16);
    QNEAR(s.mean, 0.83961666666666657);
    QNEAR(s.sd, 0.0020663171747499513);
    QNEAR(s.ci_low, 0.83744819977932938);
    QNEAR(s.ci_high, 0.84178513355400375);
    s = summarizeSample(kTiny);  // n = 2: t(1) = 12.706, a very wide interval
    QNEAR(s.ci_low, -4.8531023682160477);
    QNEAR(s.ci_high, 7.8531023682160477);
    QCOMPARE(s.min, 1.0);
    QCOMPARE(s.max, 2.0);
  }

  void welchMatchesScipy() {
    WelchTest w = welchTest(kFp32, kFp16);
    QVERIFY(w.valid);
    QNEAR(w.difference, -0.0011400000000000299);
    QNEAR(w.t, -0.4242405657305241);
    QNEAR(w.df, 7.2290949379266189);
    QNEAR(w.p, 0.68373060604064761);
    QNEAR(w.half_width, 0.0063135174495395959);
    w = welchTest(kFp32, kBf16);  // unequal n and variances
    QNEAR(w.t, -6.5450024039290158);
    QNEAR(w.df, 6.2553763239017499);
    QNEAR(w.p, 0.00051304626482912572);
    QNEAR(w.half_width, 0.0042954473361066286);
    QCOMPARE(w.n_base, std::size_t{5});
    QCOMPARE(w.n_other, std::size_t{6});
    w = welchTest(kTiny, kFp32);
    QNEAR(w.df, 1.0000194512709399);
    QNEAR(w.p, 0.41800531492392567);
  }

  void nansAreLeftOutAndSmallSamplesSaySo() {
    std::vector<double> v = kFp32;
    v.push_back(NAN);
    QCOMPARE(summarizeSample(v).n, std::size_t{5});
    QNEAR(summarizeSample(v).mean, 0.85121999999999998);
    const SampleSummary one = summarizeSample({0.5});
    QCOMPARE(one.n, std::size_t{1});
    QCOMPARE(one.sd, 0.0);
    QVERIFY(std::isnan(one.half_width));
    QVERIFY(std::isnan(summarizeSample({}).mean));
    QVERIFY(!welchTest({0.5}, kFp32).valid);
  }

  void identicalSamplesWithoutSpread() {
    // Bit-identical runs (same seed, deterministic CPU): no spread at all.
    QCOMPARE(welchTest({1, 1, 1}, {1, 1, 1}).p, 1.0);
    QCOMPARE(welchTest({1, 1, 1}, {2, 2, 2}).p, 0.0);
  }
};

QTEST_APPLESS_MAIN(TestSampleStats)
#include "test_sample_stats.moc"

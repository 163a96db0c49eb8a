// Log2-magnitude histograms and tensor statistics (engine/stats).
#include <QtTest>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <stdexcept>
#include <vector>

#include "engine/stats/histogram.hpp"
#include "engine/stats/tensor_stats.hpp"

using namespace halflab;

namespace {

float floatOf(std::uint32_t b) { return std::bit_cast<float>(b); }
constexpr float kInf = std::numeric_limits<float>::infinity();
constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

std::int64_t binAt(const Log2Histogram& h, int exponent) {
  return h.bins.at(static_cast<std::size_t>(exponent - h.min_exp));
}

std::int64_t sum(const std::vector<std::int64_t>& v) {
  std::int64_t s = 0;
  for (auto x : v) s += x;
  return s;
}

}  // namespace

class TestHistogram : public QObject {
  Q_OBJECT

 private slots:
  void emptyHistogramHasOneBinPerExponent() {
    const Log2Histogram h = makeLog2Histogram();
    QCOMPARE(h.min_exp, -40);
    QCOMPARE(h.max_exp, 16);
    QCOMPARE(h.bins.size(), std::size_t{57});
    QCOMPARE(sum(h.bins), std::int64_t{0});
    QCOMPARE(h.zeros + h.infs + h.nans, std::int64_t{0});
    QCOMPARE(makeLog2Histogram(3, 3).bins.size(), std::size_t{1});
  }

  void craftedValuesLandInTheirBins() {
    Log2Histogram h = makeLog2Histogram(-40, 16);
    const std::vector<float> values = {
        1.0f, 1.5f, 1.9999999f,        // exponent 0
        2.0f, -3.0f,                   // 1
        0.75f, -0.5f,                  // -1
        65504.0f,                      // 15
        std::ldexp(1.0f, -40),         // -40, the first bin itself
        std::ldexp(1.0f, -14) * 0.99f, // -15
        std::ldexp(1.0f, 16),          // 16, the last bin itself
        std::ldexp(1.0f, -50), floatOf(0x00000001u),       // below: clamped into bin -40
        std::ldexp(1.0f, 20), std::numeric_limits<float>::max(),  // above: clamped into 16
        0.0f, -0.0f, kInf, -kInf, kNaN, -kNaN, floatOf(0x7F800001u)};
    accumulateLog2Histogram(values.data(), values.size(), h);
    QCOMPARE(binAt(h, 0), std::int64_t{3});
    QCOMPARE(binAt(h, 1), std::int64_t{2});
    QCOMPARE(binAt(h, -1), std::int64_t{2});
    QCOMPARE(binAt(h, 15), std::int64_t{1});
    QCOMPARE(binAt(h, -15), std::int64_t{1});
    QCOMPARE(binAt(h, -40), std::int64_t{3});
    QCOMPARE(binAt(h, 16), std::int64_t{3});
    QCOMPARE(h.zeros, std::int64_t{2});
    QCOMPARE(h.infs, std::int64_t{2});
    QCOMPARE(h.nans, std::int64_t{3});
    QCOMPARE(sum(h.bins) + h.zeros + h.infs + h.nans, static_cast<std::int64_t>(values.size()));

    // A second call adds to the same histogram.
    accumulateLog2Histogram(values.data(), 3, h);
    QCOMPARE(binAt(h, 0), std::int64_t{6});
  }

  void fp32SubnormalsUseTheirLeadingBit() {
    Log2Histogram h = makeLog2Histogram(-150, 128);
    const std::vector<float> values = {
        floatOf(0x00000001u),  // 2^-149
        floatOf(0x00000003u),  // 3 * 2^-149 -> -148
        floatOf(0x00400000u),  // 2^-127
        floatOf(0x007FFFFFu),  // largest subnormal, just under 2^-126 -> -127
        floatOf(0x00800000u),  // 2^-126, smallest normal
        std::numeric_limits<float>::max()};  // 127
    accumulateLog2Histogram(values.data(), values.size(), h);
    QCOMPARE(binAt(h, -149), std::int64_t{1});
    QCOMPARE(binAt(h, -148), std::int64_t{1});
    QCOMPARE(binAt(h, -127), std::int64_t{2});
    QCOMPARE(binAt(h, -126), std::int64_t{1});
    QCOMPARE(binAt(h, 127), std::int64_t{1});
    QCOMPARE(binAt(h, -150), std::int64_t{0});
    QCOMPARE(h.zeros, std::int64_t{0});
  }

  void randomBitPatternsMatchIlogb() {
    std::mt19937 rng(1234);
    std::vector<float> values(1'000'000);
    for (float& v : values) v = floatOf(rng());
    Log2Histogram h = makeLog2Histogram(-150, 100);  // wide enough for fp32 subnormals
    accumulateLog2Histogram(values.data(), values.size(), h);

    std::vector<std::int64_t> expected(h.bins.size(), 0);
    std::int64_t zeros = 0, infs = 0, nans = 0;
    for (float v : values) {
      if (std::isnan(v)) ++nans;
      else if (std::isinf(v)) ++infs;
      else if (v == 0.0f) ++zeros;
      else expected[static_cast<std::size_t>(std::clamp(std::ilogb(v), -150, 100) + 150)]++;
    }
    QCOMPARE(h.bins, expected);
    QCOMPARE(h.zeros, zeros);
    QCOMPARE(h.infs, infs);
    QCOMPARE(h.nans, nans);
    QVERIFY(nans > 0 && infs >= 0);
  }

  void badRangesAreRejected() {
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, makeLog2Histogram(5, 4));
    Log2Histogram broken = makeLog2Histogram(-4, 4);
    broken.bins.pop_back();
    const float one = 1.0f;
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, accumulateLog2Histogram(&one, 1, broken));
    try {
      makeLog2Histogram(5, 4);
    } catch (const std::invalid_argument& e) {
      QVERIFY(QString(e.what()).contains("min_exp"));
    }
  }

  void tensorStatsIgnoreNonFiniteInAmax() {
    const std::vector<float> values = {0.0f, -0.0f, 3.0f, -7.5f, kInf, kNaN, -kInf, 1e-40f};
    const TensorStats s = tensorStats(values.data(), values.size());
    QCOMPARE(s.amax, 7.5);
    QCOMPARE(s.zeros, std::int64_t{2});
    QCOMPARE(s.nonfinite, std::int64_t{3});

    const TensorStats empty = tensorStats(nullptr, 0);
    QCOMPARE(empty.amax, 0.0);
    QCOMPARE(empty.zeros, std::int64_t{0});
    QCOMPARE(empty.nonfinite, std::int64_t{0});

    std::vector<float> big(100003, 0.5f);
    big[77777] = -1234.5f;
    big[5] = kNaN;
    const TensorStats b = tensorStats(big.data(), big.size());
    QCOMPARE(b.amax, 1234.5);
    QCOMPARE(b.nonfinite, std::int64_t{1});
    QCOMPARE(b.zeros, std::int64_t{0});
  }
};

QTEST_APPLESS_MAIN(TestHistogram)
#include "test_histogram.moc"

// Precision modes (docs/ARCHITECTURE.md 2.1): config ids, the format policy of each mode and its
// default loss scaler.
#include <QtTest>

#include <string>
#include <vector>

#include "engine/precision/precision_mode.hpp"

using namespace halflab;

class TestPrecisionMode : public QObject {
  Q_OBJECT

 private slots:
  void namesRoundTrip() {
    const std::vector<std::pair<PrecisionMode, std::string>> names{
        {PrecisionMode::FP32, "fp32"},
        {PrecisionMode::TF32, "tf32"},
        {PrecisionMode::FP16Pure, "fp16-pure"},
        {PrecisionMode::FP16Amp, "fp16-amp"},
        {PrecisionMode::BF16Amp, "bf16-amp"}};
    for (const auto& [mode, name] : names) {
      QCOMPARE(std::string(precisionModeName(mode)), name);
      QVERIFY(parsePrecisionMode(name) == mode);
    }
    QVERIFY(!parsePrecisionMode("fp16").has_value());
    QVERIFY(!parsePrecisionMode("FP32").has_value());
    QVERIFY(!parsePrecisionMode("").has_value());
  }

  void policies_data() {
    QTest::addColumn<QString>("mode");
    QTest::addColumn<int>("compute");
    QTest::addColumn<int>("gemmInput");
    QTest::addColumn<bool>("master");
    QTest::addColumn<bool>("lowPrecision");
    auto fmt = [](Format f) { return static_cast<int>(f); };
    QTest::newRow("fp32") << "fp32" << fmt(Format::FP32) << fmt(Format::FP32) << false << false;
    QTest::newRow("tf32") << "tf32" << fmt(Format::FP32) << fmt(Format::TF32) << false << false;
    QTest::newRow("fp16-pure") << "fp16-pure" << fmt(Format::FP16) << fmt(Format::FP16) << false
                               << true;
    QTest::newRow("fp16-amp") << "fp16-amp" << fmt(Format::FP16) << fmt(Format::FP16) << true
                              << true;
    QTest::newRow("bf16-amp") << "bf16-amp" << fmt(Format::BF16) << fmt(Format::BF16) << true
                              << true;
  }

  void policies() {
    QFETCH(QString, mode);
    QFETCH(int, compute);
    QFETCH(int, gemmInput);
    QFETCH(bool, master);
    QFETCH(bool, lowPrecision);
    const auto parsed = parsePrecisionMode(mode.toStdString());
    QVERIFY(parsed.has_value());
    const PrecisionPolicy p = policyFor(*parsed);
    QVERIFY(p.mode == *parsed);
    QCOMPARE(static_cast<int>(p.compute), compute);
    QCOMPARE(static_cast<int>(p.gemm_input), gemmInput);
    QCOMPARE(p.master_weights, master);
    QCOMPARE(p.low_precision(), lowPrecision);
  }

  void defaultScalers() {
    QVERIFY(defaultScalerFor(PrecisionMode::FP32) == ScalerFlavour::None);
    QVERIFY(defaultScalerFor(PrecisionMode::TF32) == ScalerFlavour::None);
    QVERIFY(defaultScalerFor(PrecisionMode::FP16Pure) == ScalerFlavour::Static);
    QVERIFY(defaultScalerFor(PrecisionMode::FP16Amp) == ScalerFlavour::PyTorch);
    QVERIFY(defaultScalerFor(PrecisionMode::BF16Amp) == ScalerFlavour::None);
    // fp16-pure's static scale is 1 (docs/ARCHITECTURE.md 2.1).
    QCOMPARE(defaultScalerConfig(defaultScalerFor(PrecisionMode::FP16Pure)).init_scale, 1.0);
  }
};

QTEST_APPLESS_MAIN(TestPrecisionMode)
#include "test_precision_mode.moc"

// Loss scalers against whole traces written out by hand from the reference algorithms
// (PyTorch _amp_update_scale_, apex DynamicLossScaler, tf.keras DynamicLossScale,
// DeepSpeed DynamicLossScaler.update_scale, Megatron DynamicGradScaler.update).
// Small growth intervals keep the tables short; every row is one update() call.
#include <QtTest>

#include <cfloat>
#include <cmath>
#include <string>
#include <vector>

#include "engine/precision/loss_scaler.hpp"

using namespace halflab;

namespace {

struct Row {
  bool found_inf;
  double before;
  double after;
  int growth_tracker;
  int hysteresis;
};

// Every row must match; skipped must equal found_inf for every flavour.
QString compareTrace(const std::vector<ScalerStep>& got, const std::vector<Row>& want) {
  if (got.size() != want.size())
    return QString("trace has %1 steps, expected %2").arg(got.size()).arg(want.size());
  for (std::size_t i = 0; i < want.size(); ++i) {
    const ScalerStep& g = got[i];
    const Row& w = want[i];
    const QString where = QString("step %1: ").arg(i + 1);
    if (g.found_inf != w.found_inf) return where + "found_inf differs";
    if (g.skipped != w.found_inf)
      return where + QString("skipped is %1, expected %2").arg(g.skipped).arg(w.found_inf);
    if (g.scale_before != w.before)
      return where + QString("scale_before %1, expected %2").arg(g.scale_before).arg(w.before);
    if (g.scale_after != w.after)
      return where + QString("scale_after %1, expected %2").arg(g.scale_after).arg(w.after);
    if (g.growth_tracker != w.growth_tracker)
      return where + QString("growth_tracker %1, expected %2")
                         .arg(g.growth_tracker)
                         .arg(w.growth_tracker);
    if (g.hysteresis != w.hysteresis)
      return where +
             QString("hysteresis %1, expected %2").arg(g.hysteresis).arg(w.hysteresis);
  }
  return {};
}

std::vector<long long> overflowsOf(const std::vector<Row>& rows) {
  std::vector<long long> steps;
  for (std::size_t i = 0; i < rows.size(); ++i)
    if (rows[i].found_inf) steps.push_back(static_cast<long long>(i) + 1);
  return steps;
}

// Runs the scaler over the rows' overflow pattern and compares the whole trace.
#define CHECK_TRACE(cfg, rows)                                                          \
  do {                                                                                  \
    const auto trace_ = simulateScaler((cfg), static_cast<long long>((rows).size()),   \
                                       overflowsOf(rows));                              \
    const QString err_ = compareTrace(trace_, (rows));                                  \
    QVERIFY2(err_.isEmpty(), qPrintable(err_));                                         \
  } while (false)

constexpr bool INF = true;
constexpr bool OK = false;
const double P127 = std::ldexp(1.0, 127);

}  // namespace

class TestLossScaler : public QObject {
  Q_OBJECT

 private slots:
  void namesRoundTrip() {
    const std::vector<std::pair<ScalerFlavour, std::string>> names{
        {ScalerFlavour::None, "none"},         {ScalerFlavour::Static, "static"},
        {ScalerFlavour::PyTorch, "pytorch"},   {ScalerFlavour::Apex, "apex"},
        {ScalerFlavour::TfKeras, "tf-keras"},  {ScalerFlavour::DeepSpeed, "deepspeed"},
        {ScalerFlavour::Megatron, "megatron"}};
    for (const auto& [flavour, name] : names) {
      QCOMPARE(std::string(scalerFlavourName(flavour)), name);
      QVERIFY(parseScalerFlavour(name) == flavour);
    }
    QVERIFY(!parseScalerFlavour("PyTorch").has_value());
    QVERIFY(!parseScalerFlavour("dynamic").has_value());
    QVERIFY(!parseScalerFlavour("").has_value());
  }

  void defaultsMatchReferences() {
    auto c = defaultScalerConfig(ScalerFlavour::PyTorch);
    QCOMPARE(c.init_scale, 65536.0);
    QCOMPARE(c.growth_factor, 2.0);
    QCOMPARE(c.backoff_factor, 0.5);
    QCOMPARE(c.growth_interval, 2000);
    QCOMPARE(c.min_scale, 0.0);
    QCOMPARE(c.max_scale, 0.0);

    c = defaultScalerConfig(ScalerFlavour::Apex);
    QCOMPARE(c.init_scale, 65536.0);
    QCOMPARE(c.max_scale, 16777216.0);
    QCOMPARE(c.min_scale, 0.0);
    QCOMPARE(c.growth_interval, 2000);

    c = defaultScalerConfig(ScalerFlavour::TfKeras);
    QCOMPARE(c.init_scale, 32768.0);
    QCOMPARE(c.min_scale, 1.0);
    QCOMPARE(c.growth_interval, 2000);

    c = defaultScalerConfig(ScalerFlavour::DeepSpeed);
    QCOMPARE(c.init_scale, 65536.0);
    QCOMPARE(c.min_scale, 1.0);
    QCOMPARE(c.hysteresis, 2);
    QCOMPARE(c.growth_interval, 1000);
    QCOMPARE(c.consecutive_hysteresis, false);
    QCOMPARE(c.raise_at_min, false);

    c = defaultScalerConfig(ScalerFlavour::Megatron);
    QCOMPARE(c.init_scale, 4294967296.0);
    QCOMPARE(c.min_scale, 1.0);
    QCOMPARE(c.hysteresis, 2);
    QCOMPARE(c.growth_interval, 1000);

    QCOMPARE(defaultScalerConfig(ScalerFlavour::Static).init_scale, 1.0);
    QCOMPARE(defaultScalerConfig(ScalerFlavour::None).init_scale, 1.0);
    for (auto f : {ScalerFlavour::None, ScalerFlavour::Static, ScalerFlavour::PyTorch,
                   ScalerFlavour::Apex, ScalerFlavour::TfKeras, ScalerFlavour::DeepSpeed,
                   ScalerFlavour::Megatron})
      QVERIFY(defaultScalerConfig(f).flavour == f);
  }

  // With the real intervals: the scale doubles exactly on the interval-th clean step.
  void defaultIntervalsGrowOnTime() {
    struct Case { ScalerFlavour f; long long interval; double init; };
    for (const Case& c : {Case{ScalerFlavour::PyTorch, 2000, 65536.0},
                          Case{ScalerFlavour::Apex, 2000, 65536.0},
                          Case{ScalerFlavour::TfKeras, 2000, 32768.0},
                          Case{ScalerFlavour::DeepSpeed, 1000, 65536.0},
                          Case{ScalerFlavour::Megatron, 1000, 4294967296.0}}) {
      const auto trace = simulateScaler(defaultScalerConfig(c.f), c.interval + 1, {});
      QCOMPARE(trace[c.interval - 2].scale_after, c.init);
      QCOMPARE(trace[c.interval - 2].growth_tracker, static_cast<int>(c.interval - 1));
      QCOMPARE(trace[c.interval - 1].scale_after, 2 * c.init);
      QCOMPARE(trace[c.interval - 1].growth_tracker, 0);
      QCOMPARE(trace[c.interval].growth_tracker, 1);
    }
  }

  void pytorchSawTooth() {
    ScalerConfig cfg = defaultScalerConfig(ScalerFlavour::PyTorch);
    cfg.init_scale = 1024;
    cfg.growth_interval = 3;
    const std::vector<Row> rows{
        {OK, 1024, 1024, 1, 0},
        {INF, 1024, 512, 0, 0},
        {OK, 512, 512, 1, 0},
        {OK, 512, 512, 2, 0},
        {OK, 512, 1024, 0, 0},
        {OK, 1024, 1024, 1, 0},
        {INF, 1024, 512, 0, 0},
        {OK, 512, 512, 1, 0},
        {INF, 512, 256, 0, 0},  // an overflow resets the tracker before growth
        {OK, 256, 256, 1, 0},
        {OK, 256, 256, 2, 0},
        {OK, 256, 512, 0, 0},
    };
    CHECK_TRACE(cfg, rows);
  }

  void pytorchHasNoFloor() {
    ScalerConfig cfg = defaultScalerConfig(ScalerFlavour::PyTorch);
    cfg.init_scale = 2;
    cfg.growth_interval = 3;
    CHECK_TRACE(cfg, (std::vector<Row>{{INF, 2, 1, 0, 0},
                                       {INF, 1, 0.5, 0, 0},
                                       {INF, 0.5, 0.25, 0, 0},
                                       {OK, 0.25, 0.25, 1, 0}}));
  }

  // GradScaler keeps the old scale when the grown one would be inf in fp32.
  void pytorchGrowthBlockedAtInf() {
    ScalerConfig cfg = defaultScalerConfig(ScalerFlavour::PyTorch);
    cfg.init_scale = P127;
    cfg.growth_interval = 2;
    CHECK_TRACE(cfg, (std::vector<Row>{{OK, P127, P127, 1, 0},
                                       {OK, P127, P127, 0, 0},  // 2^128 is inf: refused
                                       {OK, P127, P127, 1, 0},
                                       {INF, P127, std::ldexp(1.0, 126), 0, 0}}));

    // 1.5 * 2^127 is still finite and is taken; 2.25 * 2^127 is not.
    cfg.growth_factor = 1.5;
    cfg.growth_interval = 1;
    CHECK_TRACE(cfg, (std::vector<Row>{{OK, P127, 1.5 * P127, 0, 0},
                                       {OK, 1.5 * P127, 1.5 * P127, 0, 0}}));
    QVERIFY(2.25 * P127 > FLT_MAX);
  }

  void apexCapAndFloor() {
    ScalerConfig cfg = defaultScalerConfig(ScalerFlavour::Apex);  // max 2^24
    cfg.init_scale = std::ldexp(1.0, 22);
    cfg.min_scale = std::ldexp(1.0, 21);
    cfg.growth_interval = 2;
    const double s21 = std::ldexp(1.0, 21), s22 = std::ldexp(1.0, 22),
                 s23 = std::ldexp(1.0, 23), s24 = std::ldexp(1.0, 24);
    CHECK_TRACE(cfg, (std::vector<Row>{
                         {OK, s22, s22, 1, 0},
                         {OK, s22, s23, 0, 0},
                         {OK, s23, s23, 1, 0},
                         {OK, s23, s24, 0, 0},
                         {OK, s24, s24, 1, 0},
                         {OK, s24, s24, 0, 0},  // min(2^24, 2^25): capped
                         {INF, s24, s23, 0, 0},
                         {INF, s23, s22, 0, 0},
                         {INF, s22, s21, 0, 0},
                         {INF, s21, s21, 0, 0},  // max(2^21, 2^20): floored
                         {OK, s21, s21, 1, 0},
                     }));
  }

  void apexWithoutMinKeepsHalving() {
    ScalerConfig cfg = defaultScalerConfig(ScalerFlavour::Apex);
    cfg.init_scale = 1;
    cfg.growth_interval = 4;
    CHECK_TRACE(cfg, (std::vector<Row>{{OK, 1, 1, 1, 0},
                                       {INF, 1, 0.5, 0, 0},
                                       {INF, 0.5, 0.25, 0, 0},
                                       {OK, 0.25, 0.25, 1, 0},
                                       {OK, 0.25, 0.25, 2, 0},
                                       {OK, 0.25, 0.25, 3, 0},
                                       {OK, 0.25, 0.5, 0, 0}}));
  }

  void tfKerasFloorOne() {
    ScalerConfig cfg = defaultScalerConfig(ScalerFlavour::TfKeras);
    cfg.init_scale = 4;
    cfg.growth_interval = 3;
    CHECK_TRACE(cfg, (std::vector<Row>{{INF, 4, 2, 0, 0},
                                       {INF, 2, 1, 0, 0},
                                       {INF, 1, 1, 0, 0},  // max(1/2, 1)
                                       {OK, 1, 1, 1, 0},
                                       {INF, 1, 1, 0, 0},
                                       {OK, 1, 1, 1, 0},
                                       {OK, 1, 1, 2, 0},
                                       {OK, 1, 2, 0, 0},
                                       {OK, 2, 2, 1, 0}}));
  }

  void tfKerasGrowthBlockedAtInf() {
    ScalerConfig cfg = defaultScalerConfig(ScalerFlavour::TfKeras);
    cfg.init_scale = P127;
    cfg.growth_interval = 1;
    CHECK_TRACE(cfg, (std::vector<Row>{{OK, P127, P127, 0, 0}, {OK, P127, P127, 0, 0}}));
  }

  // DeepSpeed, hysteresis 2, window 3, consecutive_hysteresis off: h is only refilled by
  // a growth, which happens when the clean steps since the last overflow reach 3.
  void deepspeedHysteresis() {
    ScalerConfig cfg = defaultScalerConfig(ScalerFlavour::DeepSpeed);
    cfg.init_scale = 1024;
    cfg.growth_interval = 3;
    CHECK_TRACE(cfg, (std::vector<Row>{
                         {OK, 1024, 1024, 1, 2},   // iter 0: (0 - -1) % 3 = 1
                         {INF, 1024, 1024, 0, 1},  // h 2 -> 1, scale kept
                         {OK, 1024, 1024, 1, 1},   // no refill without growth
                         {INF, 1024, 512, 0, 1},   // h == 1: back off
                         {INF, 512, 256, 0, 1},
                         {OK, 256, 256, 1, 1},
                         {OK, 256, 256, 2, 1},
                         {OK, 256, 512, 0, 2},  // 3 clean since the overflow: grow, refill
                         {INF, 512, 512, 0, 1},
                         {OK, 512, 512, 1, 1},
                         {OK, 512, 512, 2, 1},
                         {OK, 512, 1024, 0, 2},
                     }));
  }

  // Same overflow pattern with consecutive_hysteresis: every clean step refills h, so an
  // isolated overflow never backs off.
  void deepspeedConsecutiveHysteresis() {
    ScalerConfig cfg = defaultScalerConfig(ScalerFlavour::DeepSpeed);
    cfg.init_scale = 1024;
    cfg.growth_interval = 3;
    cfg.consecutive_hysteresis = true;
    CHECK_TRACE(cfg, (std::vector<Row>{
                         {OK, 1024, 1024, 1, 2},
                         {INF, 1024, 1024, 0, 1},
                         {OK, 1024, 1024, 1, 2},  // refilled
                         {INF, 1024, 1024, 0, 1},
                         {INF, 1024, 512, 0, 1},  // two in a row: back off
                         {OK, 512, 512, 1, 2},
                         {OK, 512, 512, 2, 2},
                         {OK, 512, 1024, 0, 2},
                         {INF, 1024, 1024, 0, 1},
                         {OK, 1024, 1024, 1, 2},
                         {OK, 1024, 1024, 2, 2},
                         {OK, 1024, 2048, 0, 2},
                     }));
  }

  // From the start (last_overflow_iter = -1) growth comes at clean steps 3, 6, ...
  void deepspeedWindowCountsFromStart() {
    ScalerConfig cfg = defaultScalerConfig(ScalerFlavour::DeepSpeed);
    cfg.init_scale = 1;
    cfg.growth_interval = 3;
    CHECK_TRACE(cfg, (std::vector<Row>{{OK, 1, 1, 1, 2},
                                       {OK, 1, 1, 2, 2},
                                       {OK, 1, 2, 0, 2},
                                       {OK, 2, 2, 1, 2},
                                       {OK, 2, 2, 2, 2},
                                       {OK, 2, 4, 0, 2},
                                       {OK, 4, 4, 1, 2}}));
  }

  void deepspeedFloorWithoutRaise() {
    ScalerConfig cfg = defaultScalerConfig(ScalerFlavour::DeepSpeed);  // min 1, no raise
    cfg.init_scale = 4;
    cfg.growth_interval = 100;
    CHECK_TRACE(cfg, (std::vector<Row>{{INF, 4, 4, 0, 1},
                                       {INF, 4, 2, 0, 1},
                                       {INF, 2, 1, 0, 1},
                                       {INF, 1, 1, 0, 1},
                                       {INF, 1, 1, 0, 1},
                                       {OK, 1, 1, 1, 1}}));
  }

  // DeepSpeed's test is `delayed_shift == 1 or cur_hysteresis == 1`: being at the minimum
  // does not bypass the hysteresis, so the first overflow at min only spends h.
  void deepspeedAtMinStillUsesHysteresis() {
    ScalerConfig cfg = defaultScalerConfig(ScalerFlavour::DeepSpeed);
    cfg.init_scale = 1;  // = min_scale
    cfg.growth_interval = 100;
    CHECK_TRACE(cfg, (std::vector<Row>{{INF, 1, 1, 0, 1}, {INF, 1, 1, 0, 1}, {OK, 1, 1, 1, 1}}));
    cfg.raise_at_min = true;
    LossScaler scaler(cfg);
    QCOMPARE(scaler.update(true).hysteresis, 1);  // no error yet
    bool raised = false;
    try {
      scaler.update(true);
    } catch (const ScalerError& e) {
      raised = std::string(e.what()).find("step 2") != std::string::npos;
    }
    QVERIFY(raised);
  }

  void deepspeedRaisesAtMin() {
    ScalerConfig cfg = defaultScalerConfig(ScalerFlavour::DeepSpeed);
    cfg.init_scale = 4;
    cfg.growth_interval = 100;
    cfg.raise_at_min = true;
    LossScaler scaler(cfg);
    QCOMPARE(scaler.update(true).hysteresis, 1);  // h 2 -> 1
    QCOMPARE(scaler.update(true).scale_after, 2.0);
    QCOMPARE(scaler.update(true).scale_after, 1.0);  // now at min, no error yet
    QCOMPARE(scaler.update(false).scale_after, 1.0);
    bool raised = false;
    try {
      scaler.update(true);  // step 5: overflow with h == 1 at the minimum
    } catch (const ScalerError& e) {
      raised = true;
      const std::string msg = e.what();
      QVERIFY2(msg.find("step 5") != std::string::npos, e.what());
      QVERIFY2(msg.find("minimum 1") != std::string::npos, e.what());
      QVERIFY2(msg.find("deepspeed") != std::string::npos, e.what());
    }
    QVERIFY(raised);

    // simulateScaler lets the error through as well.
    bool simulated_raise = false;
    try {
      simulateScaler(cfg, 10, {1, 2, 3, 4});
    } catch (const ScalerError&) {
      simulated_raise = true;
    }
    QVERIFY(simulated_raise);
  }

  // Megatron: h falls on every overflow (below zero in a burst) and is only refilled by a
  // growth; the scale backs off whenever h <= 0.
  void megatronHysteresis() {
    ScalerConfig cfg = defaultScalerConfig(ScalerFlavour::Megatron);
    cfg.init_scale = 1024;
    cfg.growth_interval = 3;
    CHECK_TRACE(cfg, (std::vector<Row>{
                         {INF, 1024, 1024, 0, 1},
                         {OK, 1024, 1024, 1, 1},
                         {INF, 1024, 512, 0, 0},
                         {INF, 512, 256, 0, -1},
                         {INF, 256, 128, 0, -2},
                         {OK, 128, 128, 1, -2},
                         {OK, 128, 128, 2, -2},
                         {OK, 128, 256, 0, 2},
                         {OK, 256, 256, 1, 2},
                         {INF, 256, 256, 0, 1},
                         {OK, 256, 256, 1, 1},
                     }));
  }

  void megatronFloor() {
    ScalerConfig cfg = defaultScalerConfig(ScalerFlavour::Megatron);
    cfg.init_scale = 2;
    cfg.hysteresis = 1;
    cfg.growth_interval = 2;
    CHECK_TRACE(cfg, (std::vector<Row>{{INF, 2, 1, 0, 0},
                                       {INF, 1, 1, 0, -1},
                                       {INF, 1, 1, 0, -2},
                                       {OK, 1, 1, 1, -2},
                                       {OK, 1, 2, 0, 1}}));
  }

  void staticSkipsAndKeepsScale() {
    ScalerConfig cfg = defaultScalerConfig(ScalerFlavour::Static);
    cfg.init_scale = 8;
    cfg.growth_interval = 1;  // ignored: a static scale never grows
    CHECK_TRACE(cfg, (std::vector<Row>{{OK, 8, 8, 0, 0},
                                       {INF, 8, 8, 0, 0},
                                       {INF, 8, 8, 0, 0},
                                       {OK, 8, 8, 0, 0}}));
    QVERIFY(LossScaler(cfg).enabled());
  }

  void noneSkipsAndKeepsOne() {
    ScalerConfig cfg = defaultScalerConfig(ScalerFlavour::None);
    cfg.init_scale = 8;  // ignored: none is always 1
    CHECK_TRACE(cfg, (std::vector<Row>{{OK, 1, 1, 0, 0}, {INF, 1, 1, 0, 0}, {OK, 1, 1, 0, 0}}));
    LossScaler scaler(cfg);
    QVERIFY(!scaler.enabled());
    QCOMPARE(scaler.scale(), 1.0f);
    QCOMPARE(scaler.inverseScale(), 1.0f);
  }

  void overridesAreHonoured() {
    ScalerConfig cfg = defaultScalerConfig(ScalerFlavour::PyTorch);
    cfg.init_scale = 16;
    cfg.growth_factor = 4;
    cfg.backoff_factor = 0.25;
    cfg.growth_interval = 1;
    CHECK_TRACE(cfg, (std::vector<Row>{{OK, 16, 64, 0, 0},
                                       {INF, 64, 16, 0, 0},
                                       {OK, 16, 64, 0, 0}}));

    cfg.max_scale = 32;  // a cap on GradScaler, beyond the reference
    CHECK_TRACE(cfg, (std::vector<Row>{{OK, 16, 32, 0, 0}, {OK, 32, 32, 0, 0}}));

    ScalerConfig ds = defaultScalerConfig(ScalerFlavour::DeepSpeed);
    ds.init_scale = 64;
    ds.hysteresis = 3;
    ds.min_scale = 16;
    ds.growth_interval = 2;
    CHECK_TRACE(ds, (std::vector<Row>{{INF, 64, 64, 0, 2},
                                      {INF, 64, 64, 0, 1},
                                      {INF, 64, 32, 0, 1},
                                      {INF, 32, 16, 0, 1},
                                      {INF, 16, 16, 0, 1},
                                      {OK, 16, 16, 1, 1},
                                      {OK, 16, 32, 0, 3}}));
  }

  void scaleAndInverseAreFp32() {
    ScalerConfig cfg = defaultScalerConfig(ScalerFlavour::Static);
    cfg.init_scale = 3;
    LossScaler three(cfg);
    QCOMPARE(three.inverseScale(), static_cast<float>(1.0 / 3.0));
    cfg.init_scale = 0.1;  // not representable: held as the nearest fp32
    QCOMPARE(LossScaler(cfg).scale(), 0.1f);
    LossScaler pytorch(defaultScalerConfig(ScalerFlavour::PyTorch));
    QCOMPARE(pytorch.scale(), 65536.0f);
    QCOMPARE(pytorch.inverseScale(), 1.0f / 65536.0f);
    QCOMPARE(pytorch.growthTracker(), 0);
    pytorch.update(false);
    QCOMPARE(pytorch.growthTracker(), 1);
    QCOMPARE(LossScaler(defaultScalerConfig(ScalerFlavour::Megatron)).hysteresis(), 2);
  }

  void badConfigIsRejected() {
    auto expectInvalid = [](ScalerConfig cfg, const char* field) {
      try {
        LossScaler scaler(cfg);
      } catch (const std::invalid_argument& e) {
        return std::string(e.what()).find(field) != std::string::npos;
      }
      return false;
    };
    ScalerConfig cfg = defaultScalerConfig(ScalerFlavour::PyTorch);
    cfg.growth_interval = 0;
    QVERIFY(expectInvalid(cfg, "growth_interval"));
    cfg = defaultScalerConfig(ScalerFlavour::PyTorch);
    cfg.init_scale = 1e39;  // beyond fp32
    QVERIFY(expectInvalid(cfg, "init_scale"));
    cfg.init_scale = 0;
    QVERIFY(expectInvalid(cfg, "init_scale"));
    cfg = defaultScalerConfig(ScalerFlavour::Apex);
    cfg.backoff_factor = 1.5;
    QVERIFY(expectInvalid(cfg, "backoff_factor"));
    cfg = defaultScalerConfig(ScalerFlavour::Megatron);
    cfg.hysteresis = 0;
    QVERIFY(expectInvalid(cfg, "hysteresis"));
    cfg = defaultScalerConfig(ScalerFlavour::Static);
    cfg.init_scale = -1;
    QVERIFY(expectInvalid(cfg, "init_scale"));
  }

  void simulationChecksItsInput() {
    const auto cfg = defaultScalerConfig(ScalerFlavour::PyTorch);
    bool threw = false;
    try {
      simulateScaler(cfg, 5, {0});
    } catch (const std::invalid_argument& e) {
      threw = std::string(e.what()).find("overflow step 0") != std::string::npos;
    }
    QVERIFY(threw);
    threw = false;
    try {
      simulateScaler(cfg, 5, {6});
    } catch (const std::invalid_argument& e) {
      threw = std::string(e.what()).find("1..5") != std::string::npos;
    }
    QVERIFY(threw);
    // Unordered and repeated overflow steps are the same pattern.
    const auto trace = simulateScaler(cfg, 4, {3, 1, 3});
    QCOMPARE(trace.size(), std::size_t{4});
    QVERIFY(trace[0].found_inf && !trace[1].found_inf && trace[2].found_inf && !trace[3].found_inf);
    QVERIFY(simulateScaler(cfg, 0, {}).empty());
  }

  // Where one more back-off would not lower the scale (the collapse rule's floor): 0,
  // min_scale, and the fp32 rounding floor of a backoff factor close to 1.
  void floorIsWhereBackingOffStops() {
    ScalerConfig pt = defaultScalerConfig(ScalerFlavour::PyTorch);
    QVERIFY(scalerAtFloor(0.0f, pt));
    QVERIFY(!scalerAtFloor(1.0f, pt));
    QVERIFY(!scalerAtFloor(std::ldexp(1.0f, -149), pt));  // halves to 0 next
    ScalerConfig tf = defaultScalerConfig(ScalerFlavour::TfKeras);
    QVERIFY(scalerAtFloor(1.0f, tf));  // min_scale 1
    QVERIFY(!scalerAtFloor(2.0f, tf));
    pt.backoff_factor = 0.9;  // 2^-149 x 0.9 rounds back to 2^-149
    QVERIFY(scalerAtFloor(std::ldexp(1.0f, -149), pt));
    QVERIFY(!scalerAtFloor(std::ldexp(1.0f, -140), pt));
  }
};

QTEST_APPLESS_MAIN(TestLossScaler)
#include "test_loss_scaler.moc"

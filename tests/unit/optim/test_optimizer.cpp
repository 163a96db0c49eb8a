// Optimizers against values worked out from the torch.optim formulas (in double, in the
// test), the stagnation of tiny updates in a 16-bit store format, and the gradient norm.
#include <QtTest>

#include <cfloat>
#include <cmath>
#include <string>
#include <vector>

#include "engine/optim/optimizer.hpp"

using namespace halflab;

namespace {

bool near(double got, double want, double rel = 2e-6) {
  return std::abs(got - want) <= rel * std::max(1.0, std::abs(want));
}

#define CHECK_NEAR(got, want)                                                          \
  QVERIFY2(near((got), (want)), qPrintable(QString("%1 = %2, expected %3")            \
                                               .arg(#got)                              \
                                               .arg(double(got), 0, 'g', 10)           \
                                               .arg(double(want), 0, 'g', 10)))

// One parameter tensor owned by the test.
struct Param {
  std::vector<float> value;
  std::vector<float> grad;
  bool decay = true;
  OptimParam view() { return {value.data(), grad.data(), value.size(), decay}; }
};

std::vector<OptimParam> views(std::vector<Param>& ps) {
  std::vector<OptimParam> out;
  for (auto& p : ps) out.push_back(p.view());
  return out;
}

OptimizerConfig sgd(double momentum = 0, double dampening = 0, bool nesterov = false,
                    double wd = 0) {
  OptimizerConfig c;
  c.kind = OptimizerKind::SGD;
  c.momentum = momentum;
  c.dampening = dampening;
  c.nesterov = nesterov;
  c.weight_decay = wd;
  return c;
}

OptimizerConfig adam(OptimizerKind kind, double wd = 0) {
  OptimizerConfig c;
  c.kind = kind;
  c.weight_decay = wd;
  return c;  // betas 0.9 / 0.999, eps 1e-8
}

}  // namespace

class TestOptimizer : public QObject {
  Q_OBJECT

 private slots:
  void namesRoundTrip() {
    QCOMPARE(std::string(optimizerKindName(OptimizerKind::SGD)), std::string("sgd"));
    QCOMPARE(std::string(optimizerKindName(OptimizerKind::Adam)), std::string("adam"));
    QCOMPARE(std::string(optimizerKindName(OptimizerKind::AdamW)), std::string("adamw"));
    for (auto k : {OptimizerKind::SGD, OptimizerKind::Adam, OptimizerKind::AdamW})
      QVERIFY(parseOptimizerKind(optimizerKindName(k)) == k);
    QVERIFY(!parseOptimizerKind("Adam").has_value());
  }

  // Plain SGD: w -= lr*g. Worked by hand.
  void sgdPlain() {
    std::vector<Param> ps{{{1.0f, -2.0f, 0.5f}, {0.5f, 0.25f, -1.0f}}};
    auto opt = Optimizer::create(sgd());
    auto counts = opt->step(views(ps), 0.1, Format::FP32);
    CHECK_NEAR(ps[0].value[0], 0.95);
    CHECK_NEAR(ps[0].value[1], -2.025);
    CHECK_NEAR(ps[0].value[2], 0.6);
    QCOMPARE(counts.updated, std::int64_t{3});
    QCOMPARE(counts.stalled, std::int64_t{0});
    opt->step(views(ps), 0.1, Format::FP32);
    CHECK_NEAR(ps[0].value[0], 0.9);
    CHECK_NEAR(ps[0].value[1], -2.05);
    CHECK_NEAR(ps[0].value[2], 0.7);
  }

  // momentum 0.9, lr 0.1, g = 1 every step: buf 1, 1.9, 2.71 -> w 0.9, 0.71, 0.439.
  void sgdMomentum() {
    std::vector<Param> ps{{{1.0f}, {1.0f}}};
    auto opt = Optimizer::create(sgd(0.9));
    const double expected[] = {0.9, 0.71, 0.439};
    for (double w : expected) {
      opt->step(views(ps), 0.1, Format::FP32);
      CHECK_NEAR(ps[0].value[0], w);
    }
  }

  // Nesterov: d = g + 0.9*buf; buf 1, 1.9, 2.71; d 1.9, 2.71, 3.439 -> w 0.81, 0.539, 0.1951.
  void sgdNesterov() {
    std::vector<Param> ps{{{1.0f}, {1.0f}}};
    auto opt = Optimizer::create(sgd(0.9, 0, true));
    const double expected[] = {0.81, 0.539, 0.1951};
    for (double w : expected) {
      opt->step(views(ps), 0.1, Format::FP32);
      CHECK_NEAR(ps[0].value[0], w);
    }
  }

  // Dampening 0.5: the first step takes the gradient whole (buf = g), later ones 0.5*g:
  // buf 1, 1.4, 1.76 -> w 0.9, 0.76, 0.584.
  void sgdDampening() {
    std::vector<Param> ps{{{1.0f}, {1.0f}}};
    auto opt = Optimizer::create(sgd(0.9, 0.5));
    const double expected[] = {0.9, 0.76, 0.584};
    for (double w : expected) {
      opt->step(views(ps), 0.1, Format::FP32);
      CHECK_NEAR(ps[0].value[0], w);
    }
  }

  // L2 decay with g = 0: w = 2 -> 2 - 0.1*0.1*2 = 1.98 -> 1.9602; a bias (no decay) stays.
  void sgdWeightDecay() {
    std::vector<Param> ps{{{2.0f}, {0.0f}}, {{2.0f}, {0.0f}, false}};
    auto opt = Optimizer::create(sgd(0, 0, false, 0.1));
    auto counts = opt->step(views(ps), 0.1, Format::FP32);
    CHECK_NEAR(ps[0].value[0], 1.98);
    QCOMPARE(ps[1].value[0], 2.0f);
    QCOMPARE(counts.updated, std::int64_t{1});
    opt->step(views(ps), 0.1, Format::FP32);
    CHECK_NEAR(ps[0].value[0], 1.9602);
  }

  // Momentum + Nesterov + decay over several elements of two parameters (separate
  // buffers), changing gradients; the expectation follows torch.optim.SGD in double.
  void sgdAgainstFormula() {
    const double lr = 0.05, mom = 0.8, wd = 0.01;
    std::vector<Param> ps{{{0.5f, -1.25f, 3.0f}, {}}, {{-0.75f, 2.0f}, {}}};
    const std::vector<std::vector<std::vector<float>>> grads{
        {{0.2f, -0.4f, 1.5f}, {0.1f, 0.3f}},
        {{-0.3f, 0.25f, 1.0f}, {-0.2f, 0.6f}},
        {{0.05f, -0.1f, -0.5f}, {0.4f, -0.2f}}};
    std::vector<std::vector<double>> w(2), buf(2);
    for (int p = 0; p < 2; ++p) {
      w[p].assign(ps[p].value.begin(), ps[p].value.end());
      buf[p].assign(w[p].size(), 0.0);
    }
    auto opt = Optimizer::create(sgd(mom, 0, true, wd));
    for (std::size_t step = 0; step < grads.size(); ++step) {
      for (int p = 0; p < 2; ++p) {
        ps[p].grad = grads[step][p];
        for (std::size_t i = 0; i < w[p].size(); ++i) {
          const double d = grads[step][p][i] + wd * w[p][i];
          buf[p][i] = step == 0 ? d : mom * buf[p][i] + d;
          w[p][i] -= lr * (d + mom * buf[p][i]);
        }
      }
      opt->step(views(ps), lr, Format::FP32);
      for (int p = 0; p < 2; ++p)
        for (std::size_t i = 0; i < w[p].size(); ++i) CHECK_NEAR(ps[p].value[i], w[p][i]);
    }
  }

  // Adam, g = 1 then -1, lr 0.1: step 1 m^ = v^ = 1 -> w = 1 - 0.1/(1+1e-8);
  // step 2 m = -0.01, v = 0.001999 -> m^ = -0.01/0.19, v^ = 1 -> w += 0.1*0.0526316.
  void adamByHand() {
    std::vector<Param> ps{{{1.0f}, {1.0f}}};
    auto opt = Optimizer::create(adam(OptimizerKind::Adam));
    opt->step(views(ps), 0.1, Format::FP32);
    CHECK_NEAR(ps[0].value[0], 1.0 - 0.1 / (1.0 + 1e-8));
    ps[0].grad = {-1.0f};
    opt->step(views(ps), 0.1, Format::FP32);
    CHECK_NEAR(ps[0].value[0], 0.9 + 0.1 * (0.01 / 0.19));
  }

  // Adam with L2 decay and AdamW with decoupled decay, three steps over two parameters,
  // against torch.optim.Adam / AdamW written out in double.
  void adamFamilyAgainstFormula_data() {
    QTest::addColumn<bool>("decoupled");
    QTest::newRow("adam-l2") << false;
    QTest::newRow("adamw") << true;
  }
  void adamFamilyAgainstFormula() {
    QFETCH(bool, decoupled);
    const double lr = 0.01, wd = 0.1, b1 = 0.9, b2 = 0.999, eps = 1e-8;
    std::vector<Param> ps{{{0.5f, -1.5f, 2.0f}, {}}, {{0.25f, -0.125f}, {}, false}};
    const std::vector<std::vector<std::vector<float>>> grads{
        {{0.3f, -0.2f, 0.05f}, {1.0f, -0.5f}},
        {{-0.1f, -0.4f, 0.02f}, {0.8f, 0.25f}},
        {{0.25f, 0.1f, -0.07f}, {-0.6f, 0.5f}}};
    std::vector<std::vector<double>> w(2), m(2), v(2);
    for (int p = 0; p < 2; ++p) {
      w[p].assign(ps[p].value.begin(), ps[p].value.end());
      m[p].assign(w[p].size(), 0.0);
      v[p].assign(w[p].size(), 0.0);
    }
    auto opt = Optimizer::create(adam(decoupled ? OptimizerKind::AdamW : OptimizerKind::Adam, wd));
    for (std::size_t step = 0; step < grads.size(); ++step) {
      const double t = static_cast<double>(step + 1);
      const double bc1 = 1 - std::pow(b1, t), bc2 = 1 - std::pow(b2, t);
      for (int p = 0; p < 2; ++p) {
        ps[p].grad = grads[step][p];
        const double decay = ps[p].decay ? wd : 0.0;
        for (std::size_t i = 0; i < w[p].size(); ++i) {
          double g = grads[step][p][i];
          if (decoupled)
            w[p][i] *= 1 - lr * decay;
          else
            g += decay * w[p][i];
          m[p][i] = b1 * m[p][i] + (1 - b1) * g;
          v[p][i] = b2 * v[p][i] + (1 - b2) * g * g;
          w[p][i] -= (lr / bc1) * m[p][i] / (std::sqrt(v[p][i]) / std::sqrt(bc2) + eps);
        }
      }
      opt->step(views(ps), lr, Format::FP32);
      for (int p = 0; p < 2; ++p)
        for (std::size_t i = 0; i < w[p].size(); ++i) CHECK_NEAR(ps[p].value[i], w[p][i]);
    }
  }

  // AdamW's decay alone: with g = 0 Adam's part is 0, so w = 2*(1 - 0.1*0.5) = 1.9.
  void adamwDecayIsDecoupled() {
    std::vector<Param> ps{{{2.0f}, {0.0f}}};
    auto opt = Optimizer::create(adam(OptimizerKind::AdamW, 0.5));
    opt->step(views(ps), 0.1, Format::FP32);
    CHECK_NEAR(ps[0].value[0], 1.9);
    // Adam with the same decay moves w by ~lr instead (the L2 gradient is normalised).
    std::vector<Param> qs{{{2.0f}, {0.0f}}};
    auto l2 = Optimizer::create(adam(OptimizerKind::Adam, 0.5));
    l2->step(views(qs), 0.1, Format::FP32);
    CHECK_NEAR(qs[0].value[0], 2.0 - 0.1 / (1.0 + 1e-8 / 1.0));
  }

  // fp16 store: 1 - 1e-4 rounds back to 1 (spacing below 1 is 2^-11), a stalled update;
  // 1 - 0.01 = 0.99 becomes the nearest fp16 0.990234375 (2028/2048); g = 0 is no update.
  void fp16StoreStallsTinyUpdates() {
    std::vector<Param> ps{{{1.0f, 1.0f, 1.0f, 4.0f}, {1e-4f, 0.01f, 0.0f, -0.5f}}};
    auto opt = Optimizer::create(sgd());
    auto counts = opt->step(views(ps), 1.0, Format::FP16);
    QCOMPARE(ps[0].value[0], 1.0f);
    QCOMPARE(ps[0].value[1], 0.990234375f);
    QCOMPARE(ps[0].value[2], 1.0f);
    QCOMPARE(ps[0].value[3], 4.5f);
    QCOMPARE(counts.updated, std::int64_t{3});
    QCOMPARE(counts.stalled, std::int64_t{1});

    // The same tiny update is kept in fp32, and nothing is stalled.
    std::vector<Param> qs{{{1.0f}, {1e-4f}}};
    auto counts32 = Optimizer::create(sgd())->step(views(qs), 1.0, Format::FP32);
    QCOMPARE(qs[0].value[0], 1.0f - 1e-4f);
    QCOMPARE(counts32.updated, std::int64_t{1});
    QCOMPARE(counts32.stalled, std::int64_t{0});

    // bf16 has 7 mantissa bits: 1 - 1e-3 is lost there as well (spacing below 1 is 2^-8).
    std::vector<Param> bs{{{1.0f, 1.0f}, {1e-3f, 0.25f}}};
    auto countsBf16 = Optimizer::create(sgd())->step(views(bs), 1.0, Format::BF16);
    QCOMPARE(bs[0].value[0], 1.0f);
    QCOMPARE(bs[0].value[1], 0.75f);
    QCOMPARE(countsBf16.stalled, std::int64_t{1});
  }

  // Stalled elements keep stalling step after step under Adam too (|update| ~ lr).
  void fp16StoreStallsAdam() {
    std::vector<Param> ps{{{1.0f, 1.0f}, {0.5f, 0.5f}}};
    auto opt = Optimizer::create(adam(OptimizerKind::Adam));
    for (int i = 0; i < 3; ++i) {
      ps[0].grad = {0.5f, 0.5f};
      auto counts = opt->step(views(ps), 1e-4, Format::FP16);
      QCOMPARE(counts.updated, std::int64_t{2});
      QCOMPARE(counts.stalled, std::int64_t{2});
      QCOMPARE(ps[0].value[0], 1.0f);
    }
    // With a step of 1e-3 (> half the fp16 spacing 2^-12 below 1) the weight moves.
    auto counts = opt->step(views(ps), 1e-3, Format::FP16);
    QCOMPARE(counts.stalled, std::int64_t{0});
    QCOMPARE(ps[0].value[0], 1.0f - 0.0009765625f);  // 1 - 2^-10: two fp16 spacings
  }

  void globalNorm() {
    std::vector<Param> ps{{{0, 0}, {3.0f, 4.0f}}, {{0}, {12.0f}}};
    QCOMPARE(globalGradNorm(views(ps)), 13.0);
    // Squares beyond fp32 range still add up in double.
    std::vector<Param> big{{{0, 0}, {3e38f, 3e38f}}};
    CHECK_NEAR(globalGradNorm(views(big)), std::sqrt(2.0) * double(3e38f));
    QVERIFY(globalGradNorm(views(big)) > FLT_MAX);
    std::vector<Param> bad{{{0, 0}, {1.0f, INFINITY}}};
    QVERIFY(std::isinf(globalGradNorm(views(bad))));
    QCOMPARE(globalGradNorm({}), 0.0);
  }

  void badInputIsRejected() {
    auto throwsWith = [](auto&& f, const char* text) {
      try {
        f();
      } catch (const std::invalid_argument& e) {
        return std::string(e.what()).find(text) != std::string::npos;
      }
      return false;
    };
    QVERIFY(throwsWith([] { Optimizer::create(sgd(0, 0, true)); }, "nesterov"));
    QVERIFY(throwsWith([] { Optimizer::create(sgd(0.9, 0.1, true)); }, "nesterov"));
    OptimizerConfig c = adam(OptimizerKind::Adam);
    c.beta2 = 1.0;
    QVERIFY(throwsWith([&] { Optimizer::create(c); }, "beta2"));
    c = adam(OptimizerKind::AdamW, -1);
    QVERIFY(throwsWith([&] { Optimizer::create(c); }, "weight_decay"));

    std::vector<Param> ps{{{1.0f, 2.0f}, {0.1f, 0.1f}}};
    auto opt = Optimizer::create(sgd(0.9));
    QVERIFY(throwsWith([&] { opt->step(views(ps), -0.1, Format::FP32); }, "learning rate"));
    opt->step(views(ps), 0.1, Format::FP32);
    std::vector<Param> other{{{1.0f}, {0.1f}}};
    QVERIFY(throwsWith([&] { opt->step(views(other), 0.1, Format::FP32); }, "parameter 0"));
    ps.push_back(other[0]);
    QVERIFY(throwsWith([&] { opt->step(views(ps), 0.1, Format::FP32); }, "2 parameters"));
  }
};

QTEST_APPLESS_MAIN(TestOptimizer)
#include "test_optimizer.moc"

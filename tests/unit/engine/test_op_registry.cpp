// Registry-driven op tests: every registered op, with every example it ships
// (OpDef::examples), is checked against finite differences (each input and parameter
// gradient) and against the precision rules (in fp16/bf16 modes the output, the input
// gradients and the low-format parameter gradients are stored in the compute format).
// A new op is tested by registering it with examples.
#include <QtTest>

#include <random>

#include "engine/model/op_def.hpp"
#include "engine_test_support.hpp"

using namespace halflab;
using namespace halflab::testing;

namespace {

Shape batchOne(Shape s) {
  s.at(0) = 1;
  return s;
}

struct Built {
  std::unique_ptr<Op> op;
  Shape out;  // with the example's batch
};

// The op as a model would build it; parameters drawn at random (affine norms included,
// so that their gradients are not trivially symmetric).
Built build(const OpDef& def, const OpExample& ex, std::mt19937_64& rng) {
  NodeSpec n{def.name, "n", {}, ex.attrs};
  std::vector<Shape> ins1;
  for (const auto& s : ex.inputs) ins1.push_back(batchOne(s));
  std::vector<Parameter> params;
  if (def.parameters)
    for (const ParameterSpec& s : def.parameters(n, ins1)) {
      Parameter p;
      p.name = s.name;
      p.decay = s.decay;
      p.keep_fp32 = s.keep_fp32;
      p.value = randomTensor(s.shape, rng, s.init == ParamInit::Ones ? 0.5 : -0.5, s.init == ParamInit::Ones ? 1.5 : 0.5);
      params.push_back(std::move(p));
    }
  Built b;
  b.out = def.output_shape(n, ins1);
  b.out.at(0) = ex.inputs.at(0).at(0);
  b.op = def.make_cpu(n, ins1, std::move(params));
  return b;
}

std::vector<Tensor> inputsFor(const OpDef& def, const OpExample& ex, std::mt19937_64& rng) {
  std::vector<Tensor> xs;
  if (def.token_input) {  // token ids below `vocab`, every id used (repeats included)
    Tensor ids = Tensor::tokenIds(ex.inputs.at(0));
    const auto vocab = static_cast<std::int32_t>(ex.attrs.at("vocab").get<std::int64_t>());
    // The padding row is frozen by definition (no gradient although it is read), so the
    // finite-difference check keeps clear of it; test_embedding covers it.
    const auto padding = static_cast<std::int32_t>(ex.attrs.value("padding_idx", std::int64_t{-1}));
    for (std::size_t i = 0; i < ids.ids.size(); ++i) {
      auto id = static_cast<std::int32_t>((i * 5 + rng() % 2) % static_cast<std::size_t>(vocab));
      if (id == padding) id = (id + 1) % vocab;
      ids.ids[i] = id;
    }
    xs.push_back(std::move(ids));
    return xs;
  }
  for (const auto& s : ex.inputs) xs.push_back(distinctTensor(s, rng, 0.37 / static_cast<double>(shapeSize(s))));
  for (auto& x : xs)
    // Spacing 0.037, shifted off zero so that no value sits within 0.01 of ReLU's kink.
    for (auto& v : x.data) v = v * static_cast<float>(shapeSize(x.shape)) * 0.1f + 0.011f;
  return xs;
}

std::vector<const Tensor*> pointers(const std::vector<Tensor>& xs) {
  std::vector<const Tensor*> p;
  for (const auto& x : xs) p.push_back(&x);
  return p;
}

bool storedIn(Format f, const Tensor& t) {
  std::vector<float> r(t.data.size());
  roundCopy(f, t.ptr(), r.data(), r.size());
  for (std::size_t i = 0; i < r.size(); ++i)
    if (!(r[i] == t.data[i]) && !(std::isnan(r[i]) && std::isnan(t.data[i]))) return false;
  return true;
}

}  // namespace

class TestOpRegistry : public QObject {
  Q_OBJECT
 private slots:
  void everyOpShipsExamplesThatItsAttributeCheckAccepts() {
    QVERIFY(opRegistry().all().size() >= 11);
    for (const auto& def : opRegistry().all()) {
      QVERIFY2(!def->examples.empty(), (def->name + " has no examples").c_str());
      QVERIFY2(def->make_cpu && def->output_shape && def->check_attrs, def->name.c_str());
      for (const auto& ex : def->examples) {
        std::vector<AttrIssue> issues;
        AttrReader r(ex.attrs, "n", &issues);
        def->check_attrs(r);
        QVERIFY2(issues.empty() && r.unread().empty(), (def->name + ": " + ex.attrs.dump()).c_str());
      }
    }
  }

  void gradientsMatchFiniteDifferences_data() {
    QTest::addColumn<QString>("op");
    QTest::addColumn<int>("example");
    for (const auto& def : opRegistry().all())
      for (std::size_t i = 0; i < def->examples.size(); ++i)
        QTest::newRow((def->name + " #" + std::to_string(i + 1)).c_str()) << QString::fromStdString(def->name) << int(i);
  }
  void gradientsMatchFiniteDifferences() {
    QFETCH(QString, op);
    QFETCH(int, example);
    const OpDef& def = opRegistry().at(op.toStdString());
    const OpExample& ex = def.examples.at(static_cast<std::size_t>(example));
    std::mt19937_64 rng(17 + static_cast<unsigned>(example));
    Built b = build(def, ex, rng);
    std::vector<Tensor> xs = inputsFor(def, ex, rng);
    ExecContext ctx = contextFor(PrecisionMode::FP32);
    ctx.lengths = ex.lengths;
    Tensor y;
    b.op->forwardNode(pointers(xs), y, ctx);
    QCOMPARE(y.shape, b.out);
    const Tensor w = randomTensor(y.shape, rng);
    std::vector<Tensor> dx(xs.size());
    std::vector<Tensor*> dxp;
    for (std::size_t k = 0; k < dx.size(); ++k) dxp.push_back(xs[k].isTokenIds() ? nullptr : &dx[k]);
    b.op->backwardNode(pointers(xs), y, w, dxp, ctx);
    std::vector<std::vector<float>> pgrads;
    for (auto* p : b.op->parameters()) pgrads.push_back(p->grad.data);
    Tensor probe;
    auto loss = [&] {
      b.op->forwardNode(pointers(xs), probe, ctx);
      return weightedSum(probe, w);
    };
    for (std::size_t k = 0; k < xs.size(); ++k) {
      if (xs[k].isTokenIds()) continue;  // ids have no gradient
      QCOMPARE(dx[k].shape, xs[k].shape);
      const std::string err = compareGradients(def.name + " dx" + std::to_string(k), dx[k].data,
                                               numericGradient(xs[k].data, 1e-3, loss), {});
      QVERIFY2(err.empty(), err.c_str());
    }
    const auto params = b.op->parameters();
    for (std::size_t k = 0; k < params.size(); ++k) {
      const std::string err =
          compareGradients(params[k]->name, pgrads[k], numericGradient(params[k]->value.data, 1e-3, loss), {});
      QVERIFY2(err.empty(), err.c_str());
    }
  }

  void lowFormatModesStoreWhatTheRulesSay_data() {
    QTest::addColumn<QString>("op");
    QTest::addColumn<int>("example");
    QTest::addColumn<QString>("mode");
    for (const auto& def : opRegistry().all())
      for (std::size_t i = 0; i < def->examples.size(); ++i)
        for (const char* m : {"fp16-pure", "fp16-amp", "bf16-amp"})
          QTest::newRow((def->name + " #" + std::to_string(i + 1) + " " + m).c_str())
              << QString::fromStdString(def->name) << int(i) << QString(m);
  }
  void lowFormatModesStoreWhatTheRulesSay() {
    QFETCH(QString, op);
    QFETCH(int, example);
    QFETCH(QString, mode);
    const OpDef& def = opRegistry().at(op.toStdString());
    const OpExample& ex = def.examples.at(static_cast<std::size_t>(example));
    std::mt19937_64 rng(29 + static_cast<unsigned>(example));
    Built b = build(def, ex, rng);
    ExecContext ctx = contextFor(*parsePrecisionMode(mode.toStdString()));
    ctx.lengths = ex.lengths;
    const Format f = ctx.policy.compute;
    // What the graph hands an op in this mode: low-format inputs and working weights
    // (fp32 where the op keeps its parameters fp32).
    std::vector<Tensor> xs = inputsFor(def, ex, rng);
    for (auto& x : xs) ctx.roundOutput(x);
    for (auto* p : b.op->parameters()) {
      if (p->keep_fp32) continue;
      if (ctx.policy.master_weights) {
        p->copy = Tensor(p->value.shape, 0.0f, f);
        roundCopy(f, p->value.ptr(), p->copy.ptr(), p->value.data.size());
      } else {
        roundBuffer(f, p->value.ptr(), p->value.data.size());
      }
    }
    Tensor y;
    b.op->forwardNode(pointers(xs), y, ctx);
    QVERIFY2(storedIn(f, y), (def.name + ": the output is not stored in the compute format").c_str());
    Tensor dy = randomTensor(y.shape, rng);
    ctx.roundGradient(dy);
    std::vector<Tensor> dx(xs.size());
    std::vector<Tensor*> dxp;
    for (std::size_t k = 0; k < dx.size(); ++k) dxp.push_back(xs[k].isTokenIds() ? nullptr : &dx[k]);
    b.op->backwardNode(pointers(xs), y, dy, dxp, ctx);
    for (std::size_t k = 0; k < dx.size(); ++k)
      QVERIFY2(storedIn(f, dx[k]), (def.name + ": input gradient " + std::to_string(k) + " is not in the compute format").c_str());
    for (auto* p : b.op->parameters())
      if (!p->keep_fp32)
        QVERIFY2(storedIn(f, p->grad), (p->name + ": the gradient is not stored in the compute format").c_str());
  }
};

QTEST_APPLESS_MAIN(TestOpRegistry)
#include "test_op_registry.moc"

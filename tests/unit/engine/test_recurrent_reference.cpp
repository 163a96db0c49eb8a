// The gru and lstm ops against PyTorch (nn.GRU / nn.LSTM, batch_first, packed variable
// lengths) on the fixed weights and inputs of tests/reference/{gru,lstm}_ref.json
// (written by tests/reference/make_recurrent_refs.py, float64): outputs, the input
// gradient and every parameter gradient, uni- and bidirectional, last states and whole
// sequences. fp32 mode; tolerance 1e-5 relative to the largest magnitude of each tensor
// (fp32 BPTT over 5 steps keeps about 6 significant digits).
#include <QtTest>

#include <cmath>
#include <fstream>

#include <nlohmann/json.hpp>

#include "engine/model/op_def.hpp"
#include "engine_test_support.hpp"

using namespace halflab;
using namespace halflab::testing;

namespace {

constexpr double kTolerance = 1e-5;

nlohmann::json readReference(const std::string& op) {
  std::ifstream in(std::string(HALFLAB_SOURCE_DIR) + "/tests/reference/" + op + "_ref.json");
  if (!in) throw std::runtime_error("missing reference file for " + op);
  return nlohmann::json::parse(in);
}

std::vector<float> floats(const nlohmann::json& j) { return j.get<std::vector<float>>(); }

// Empty when every element is within kTolerance * max|reference| (at least 1e-6 absolute).
std::string compare(const std::string& what, const std::vector<float>& got, const std::vector<float>& want) {
  if (got.size() != want.size())
    return what + ": " + std::to_string(got.size()) + " values, expected " + std::to_string(want.size());
  double scale = 1e-1;
  for (float v : want) scale = std::max(scale, static_cast<double>(std::fabs(v)));
  for (std::size_t i = 0; i < got.size(); ++i)
    if (!(std::fabs(static_cast<double>(got[i]) - want[i]) <= kTolerance * scale))
      return what + "[" + std::to_string(i) + "]: " + std::to_string(got[i]) + " vs PyTorch " + std::to_string(want[i]);
  return {};
}

void checkOp(const std::string& op) {
  const nlohmann::json ref = readReference(op);
  const std::int64_t n = ref["N"], t = ref["T"], f = ref["F"], h = ref["H"];
  const OpDef& def = opRegistry().at(op);
  QVERIFY(ref["cases"].size() == 4);
  for (const auto& c : ref["cases"]) {
    const std::string label = op + (c["bidirectional"].get<bool>() ? " bidirectional" : " forward") +
                              (c["return_sequences"].get<bool>() ? " sequences" : " last states");
    NodeSpec node{op, "rnn", {}, {{"hidden", h}, {"bidirectional", c["bidirectional"]}, {"return_sequences", c["return_sequences"]}}};
    const std::vector<Shape> in1{{1, t, f}};
    std::vector<Parameter> params;
    for (const ParameterSpec& s : def.parameters(node, in1)) {
      Parameter p;
      p.name = s.name;
      p.value = Tensor(s.shape);
      p.value.data = floats(c["params"].at(s.name.substr(std::string("rnn.").size())));
      QVERIFY2(p.value.size() == shapeSize(s.shape), (label + ": " + s.name).c_str());
      params.push_back(std::move(p));
    }
    auto rnn = def.make_cpu(node, in1, std::move(params));
    ExecContext ctx = contextFor(PrecisionMode::FP32);
    ctx.lengths = ref["lengths"].get<std::vector<std::int32_t>>();
    Tensor x({n, t, f});
    x.data = floats(c["x"]);
    Tensor y;
    rnn->forwardNode({&x}, y, ctx);
    QCOMPARE(y.shape, c["y_shape"].get<Shape>());
    std::string err = compare(label + " y", y.data, floats(c["y"]));
    QVERIFY2(err.empty(), err.c_str());
    Tensor dy(y.shape);
    dy.data = floats(c["dy"]);
    Tensor dx;
    rnn->backwardNode({&x}, y, dy, {&dx}, ctx);
    err = compare(label + " dx", dx.data, floats(c["dx"]));
    QVERIFY2(err.empty(), err.c_str());
    for (Parameter* p : rnn->parameters()) {
      err = compare(label + " " + p->name, p->grad.data, floats(c["grads"].at(p->name.substr(4))));
      QVERIFY2(err.empty(), err.c_str());
    }
  }
}

}  // namespace

class TestRecurrentReference : public QObject {
  Q_OBJECT
 private slots:
  void gruMatchesPyTorch() { checkOp("gru"); }
  void lstmMatchesPyTorch() { checkOp("lstm"); }
  void lengthsThatDoNotFitTheBatchAreRefused() {
    const OpDef& def = opRegistry().at("gru");
    NodeSpec node{"gru", "rnn", {}, {{"hidden", 2}}};
    const std::vector<Shape> in1{{1, 3, 2}};
    std::mt19937_64 rng(3);
    std::vector<Parameter> params;
    for (const ParameterSpec& s : def.parameters(node, in1)) {
      Parameter p;
      p.name = s.name;
      p.value = randomTensor(s.shape, rng);
      params.push_back(std::move(p));
    }
    auto rnn = def.make_cpu(node, in1, std::move(params));
    ExecContext ctx = contextFor(PrecisionMode::FP32);
    Tensor x = randomTensor({2, 3, 2}, rng), y;
    ctx.lengths = {3};
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, rnn->forwardNode({&x}, y, ctx));
    ctx.lengths = {3, 4};
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, rnn->forwardNode({&x}, y, ctx));
    ctx.lengths = {3, 0};  // an empty sequence: state 0
    rnn->forwardNode({&x}, y, ctx);
    QCOMPARE(y.data[2], 0.0f);
    QCOMPARE(y.data[3], 0.0f);
  }
};

QTEST_APPLESS_MAIN(TestRecurrentReference)
#include "test_recurrent_reference.moc"

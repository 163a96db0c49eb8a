// The embedding op and the bce-with-logits loss against PyTorch (nn.Embedding with
// padding_idx, F.binary_cross_entropy_with_logits) on the fixed values of
// tests/reference/{embedding,bce}_ref.json (tests/reference/make_text_op_refs.py, float64):
// embedding outputs and the table gradient exactly (copies and fp32 sums of at most three
// terms), the loss and the logit gradients within 1e-6 relative, logits up to +-300 included.
#include <QtTest>

#include <cmath>
#include <fstream>

#include <nlohmann/json.hpp>

#include "engine/model/loss.hpp"
#include "engine/model/model_factory.hpp"
#include "engine/model/model_plan.hpp"

using namespace halflab;

namespace {

nlohmann::json readReference(const std::string& name) {
  std::ifstream in(std::string(HALFLAB_SOURCE_DIR) + "/tests/reference/" + name + "_ref.json");
  if (!in) throw std::runtime_error("missing reference file " + name + "_ref.json");
  return nlohmann::json::parse(in);
}

}  // namespace

class TestTextOpReference : public QObject {
  Q_OBJECT
 private slots:
  void embeddingMatchesPyTorch() {
    const nlohmann::json ref = readReference("embedding");
    const std::int64_t vocab = ref["vocab"], dim = ref["dim"];
    const Shape ids_shape = ref["ids_shape"].get<Shape>();
    NodeSpec n{"embedding", "emb", {}, {{"vocab", vocab}, {"dim", dim}, {"padding_idx", ref["padding_idx"]}}};
    Graph g = buildModel(planNodes({n}, {ids_shape[1]}, {}, DType::I32), 1.0, 1);
    Parameter* w = g.parameters().at(0);
    w->value.data = ref["weight"].get<std::vector<float>>();
    ExecContext ctx;
    ctx.policy = policyFor(PrecisionMode::FP32);
    Tensor ids = Tensor::tokenIds(ids_shape);
    ids.ids = ref["ids"].get<std::vector<std::int32_t>>();
    const Tensor& out = g.forward(ids, ctx);
    const std::vector<float> want_out = ref["out"].get<std::vector<float>>();
    QCOMPARE(out.data.size(), want_out.size());
    for (std::size_t i = 0; i < want_out.size(); ++i) QCOMPARE(out.data[i], want_out[i]);
    Tensor dy(out.shape);
    dy.data = ref["dy"].get<std::vector<float>>();
    g.backward(dy, ctx);
    const std::vector<double> want_grad = ref["dweight"].get<std::vector<double>>();
    for (std::size_t i = 0; i < want_grad.size(); ++i)
      QVERIFY2(std::fabs(w->grad.data[i] - want_grad[i]) <= 1e-6 * std::max(1.0, std::fabs(want_grad[i])),
               qPrintable(QString("dweight[%1]: %2 vs PyTorch %3").arg(i).arg(w->grad.data[i]).arg(want_grad[i])));
  }

  void bceWithLogitsMatchesPyTorch() {
    const nlohmann::json ref = readReference("bce");
    const std::vector<float> x = ref["logits"].get<std::vector<float>>();
    const std::vector<double> t = ref["targets"].get<std::vector<double>>();
    Tensor logits({static_cast<std::int64_t>(x.size()), 1});
    logits.data = x;
    std::vector<std::int32_t> labels;
    for (double v : t) labels.push_back(v > 0.5 ? 1 : 0);
    ExecContext ctx;
    ctx.policy = policyFor(PrecisionMode::FP32);
    Tensor d;
    const LossResult r = bceWithLogits(logits, labels, 1.0, &d, ctx);
    const double want = ref["loss"];
    QVERIFY2(std::fabs(r.loss - want) <= 1e-6 * want, qPrintable(QString("loss %1 vs PyTorch %2").arg(r.loss).arg(want)));
    QCOMPARE(r.correct, ref["correct"].get<std::int64_t>());
    const std::vector<double> dwant = ref["dlogits"].get<std::vector<double>>();
    for (std::size_t i = 0; i < dwant.size(); ++i)
      QVERIFY2(std::fabs(d.data[i] - dwant[i]) <= 1e-6 * std::max(1e-3, std::fabs(dwant[i])),
               qPrintable(QString("dlogits[%1]: %2 vs PyTorch %3").arg(i).arg(d.data[i]).arg(dwant[i])));
    // Through computeLoss by name, and scaled: the gradient is S times the unscaled one.
    Tensor ds;
    computeLoss("bce-with-logits", logits, labels, 1024.0, &ds, ctx);
    for (std::size_t i = 0; i < d.data.size(); ++i) QCOMPARE(ds.data[i], d.data[i] * 1024.0f);
  }
};

QTEST_APPLESS_MAIN(TestTextOpReference)
#include "test_text_op_reference.moc"

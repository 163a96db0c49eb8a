// Integer inputs (docs/ARCHITECTURE.md, "Model description"): token ids are int32 tensors
// that no mode rounds. Every id 0..65535 passes through an fp16-amp embedding unchanged
// (as floats, fp16 would have turned 2049 into 2048); only an op made for token ids may
// read them (the plan names the node otherwise); the padding row never learns; and a text
// set given as CSV trains end to end with embedding -> flatten -> linear(1) and
// bce-with-logits, in fp32 and fp16-amp, to a test accuracy a bag of words must reach.
#include <QtTest>

#include <filesystem>
#include <fstream>
#include <random>

#include <nlohmann/json.hpp>

#include "engine/model/exec_context.hpp"
#include "engine/model/graph.hpp"
#include "engine/model/model_factory.hpp"
#include "engine/model/model_plan.hpp"
#include "engine/numeric/format.hpp"
#include "engine/record/observer.hpp"
#include "engine/train/model_fit.hpp"
#include "engine/train/trainer.hpp"

using namespace halflab;
namespace fs = std::filesystem;

namespace {

NodeSpec node(const std::string& op, const std::string& name, nlohmann::json attrs) {
  NodeSpec n;
  n.op = op;
  n.name = name;
  n.attrs = std::move(attrs);
  return n;
}

struct FinalAccuracy : RunObserver {
  double val_accuracy = -1;
  void onEval(const EvalRecord& r) override { val_accuracy = r.val_accuracy; }
};

void writeText(const fs::path& p, const std::string& s) {
  std::ofstream(p, std::ios::binary) << s;
}

// Reviews that say "good"/"great" are 1, "bad"/"awful" are 0, among neutral filler words.
std::string reviews(int rows, unsigned seed) {
  std::mt19937 rng(seed);
  const char* pos[] = {"good", "great", "fine", "lovely"};
  const char* neg[] = {"bad", "awful", "boring", "poor"};
  const char* filler[] = {"the", "movie", "plot", "actor", "scene", "was", "and", "a", "story", "film"};
  std::string out = "text,label\n";
  for (int r = 0; r < rows; ++r) {
    const bool positive = rng() % 2;
    std::string text;
    for (int w = 0; w < 8; ++w) text += std::string(filler[rng() % 10]) + " ";
    text += positive ? pos[rng() % 4] : neg[rng() % 4];
    for (int w = 0; w < 3; ++w) text += " " + std::string(filler[rng() % 10]);
    out += text + "," + (positive ? "1" : "0") + "\n";
  }
  return out;
}

}  // namespace

class TestTokenInputs : public QObject {
  Q_OBJECT
 private slots:
  void everyIdUpTo65535PassesThroughFp16AmpUnchanged() {
    // As a float, fp16 cannot even hold the ids: the reason token inputs are int32.
    QVERIFY(roundToFormat(Format::FP16, 2049.0f) != 2049.0f);
    QVERIFY(roundToFormat(Format::FP16, 65535.0f) != 65535.0f);

    const std::int64_t vocab = 65536;
    const ModelPlan plan = planNodes({node("embedding", "emb", {{"vocab", vocab}, {"dim", 2}})}, {vocab}, {}, DType::I32);
    Graph g = buildModel(plan, 1.0, 1);
    Parameter* w = g.parameters().at(0);
    // Row i holds (i / 256, i % 256): both fp16-exact, so the output spells the id it read.
    for (std::int64_t i = 0; i < vocab; ++i) {
      w->value.data[2 * i] = static_cast<float>(i / 256);
      w->value.data[2 * i + 1] = static_cast<float>(i % 256);
    }
    ExecContext ctx;
    ctx.policy = policyFor(PrecisionMode::FP16Amp);
    w->copy = Tensor(w->value.shape, 0.0f, Format::FP16);
    roundCopy(Format::FP16, w->value.ptr(), w->copy.ptr(), w->value.data.size());

    Tensor ids = Tensor::tokenIds({1, vocab});
    for (std::int64_t i = 0; i < vocab; ++i) ids.ids[i] = static_cast<std::int32_t>(vocab - 1 - i);
    ctx.roundOutput(ids);  // what the trainer does to every input: nothing, for ids
    const Tensor& out = g.forward(ids, ctx);
    QVERIFY(g.activation(0).isTokenIds());
    QVERIFY(g.activation(0).ids == ids.ids);
    QCOMPARE(out.format, Format::FP16);
    for (std::int64_t i = 0; i < vocab; ++i) {
      const auto got = static_cast<std::int64_t>(out.data[2 * i]) * 256 + static_cast<std::int64_t>(out.data[2 * i + 1]);
      if (got != vocab - 1 - i) QFAIL(qPrintable(QString("id %1 came out as %2").arg(vocab - 1 - i).arg(got)));
    }
  }

  void onlyTokenOpsReadTokenIds() {
    try {
      planNodes({node("flatten", "flat", nlohmann::json::object()), node("linear", "fc", {{"units", 1}})}, {8}, {},
                DType::I32);
      QFAIL("a linear model was planned on token ids");
    } catch (const ShapeInferenceError& e) {
      QVERIFY2(QString(e.what()).contains("flat: flatten cannot read the token ids"), e.what());
    }
    try {
      planNodes({node("embedding", "emb", {{"vocab", 4}, {"dim", 2}})}, {8}, {}, DType::F32);
      QFAIL("an embedding was planned on floats");
    } catch (const ShapeInferenceError& e) {
      QVERIFY2(QString(e.what()).contains("emb: embedding reads token ids"), e.what());
    }
    // The presets take floats: a text set with the mlp preset says what to do.
    RunConfig cfg;
    cfg.dataset.kind = "imdb";
    try {
      planModelFor(cfg, {200}, 2);
      QFAIL("mlp on IMDB was planned");
    } catch (const ConfigError& e) {
      QVERIFY2(QString(e.what()).contains("start the model with an embedding"), e.what());
    }
  }

  void thePaddingRowNeverLearnsAndRowsAccumulate() {
    const ModelPlan plan =
        planNodes({node("embedding", "emb", {{"vocab", 4}, {"dim", 2}, {"padding_idx", 0}})}, {3}, {}, DType::I32);
    Graph g = buildModel(plan, 1.0, 1);
    Parameter* w = g.parameters().at(0);
    QCOMPARE(w->value.data[0], 0.0f);  // PyTorch: the padding row starts at zero
    QCOMPARE(w->value.data[1], 0.0f);
    ExecContext ctx;
    ctx.policy = policyFor(PrecisionMode::FP32);
    Tensor ids = Tensor::tokenIds({2, 3});
    ids.ids = {0, 2, 2, 3, 0, 2};
    g.forward(ids, ctx);
    Tensor dy({2, 3, 2});
    for (std::size_t i = 0; i < dy.data.size(); ++i) dy.data[i] = static_cast<float>(i + 1);
    g.backward(dy, ctx);
    const std::vector<float>& grad = w->grad.data;
    QCOMPARE(grad[0], 0.0f);  // row 0: padding
    QCOMPARE(grad[1], 0.0f);
    QCOMPARE(grad[2], 0.0f);  // row 1: unused
    QCOMPARE(grad[4], 3.0f + 5.0f + 11.0f);  // row 2: tokens 1, 2 and 5
    QCOMPARE(grad[5], 4.0f + 6.0f + 12.0f);
    QCOMPARE(grad[6], 7.0f);  // row 3: token 3
    // An id past the table is an error naming the node, not a read out of bounds.
    ids.ids[1] = 4;
    try {
      g.forward(ids, ctx);
      QFAIL("id 4 of a 4-row table was read");
    } catch (const std::out_of_range& e) {
      QVERIFY2(QString(e.what()).contains("emb: token id 4 is outside the vocabulary (0..3)"), e.what());
    }
  }

  void aCsvTextSetTrainsWithEmbeddingAndBce_data() {
    QTest::addColumn<QString>("mode");
    QTest::newRow("fp32") << "fp32";
    QTest::newRow("fp16-amp") << "fp16-amp";
    QTest::newRow("bf16-amp") << "bf16-amp";
  }
  void aCsvTextSetTrainsWithEmbeddingAndBce() {
    QFETCH(QString, mode);
    QTemporaryDir tmp;
    const fs::path dir = tmp.path().toStdString();
    writeText(dir / "train.csv", reviews(600, 1));
    writeText(dir / "test.csv", reviews(200, 2));
    using nlohmann::json;
    const json layers = json::array({json{{"op", "embedding"}, {"name", "emb"}, {"vocab", 42}, {"dim", 4}},
                                     json{{"op", "flatten"}}, json{{"op", "linear"}, {"name", "out"}, {"units", 1}}});
    const json config{
        {"dataset", {{"kind", "csv-text"}, {"path", dir.string()}, {"vocab_size", 40}, {"max_len", 12}, {"cache", false}}},
        {"model", {{"layers", layers}}},
        {"training", {{"loss", "bce-with-logits"}, {"epochs", 4}, {"batch_size", 32}, {"seed", 3}, {"threads", 1}}},
        {"optimizer", {{"kind", "adam"}, {"lr", 0.01}}},
        {"precision", {{"mode", mode.toStdString()}}}};
    RunConfig cfg = RunConfig::fromJson(config);
    {  // A table without rows for padding and unknown words is refused before training.
      json small = config;
      small["model"]["layers"][0]["vocab"] = 40;
      try {
        planModelFor(RunConfig::fromJson(small), {12}, 2);
        QFAIL("a 40-row table was planned for 42 token ids");
      } catch (const ConfigError& e) {
        QVERIFY2(QString(e.what()).contains("emb: vocab 40 is too small for the data's 42 token ids"), e.what());
      }
    }
    Trainer t(cfg);
    FinalAccuracy obs;
    const RunSummary s = t.run(obs);
    QVERIFY2(s.status == RunStatus::Completed, s.error.c_str());
    QVERIFY2(obs.val_accuracy >= 0.95, qPrintable(QString("test accuracy %1").arg(obs.val_accuracy)));
  }
};

QTEST_APPLESS_MAIN(TestTokenInputs)
#include "test_token_inputs.moc"

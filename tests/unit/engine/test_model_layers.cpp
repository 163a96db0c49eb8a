// model.layers: a model written as a JSON node list (engine/model/layer_list.hpp). Every
// bad attribute is reported at once with its path; the expanded list is what a run stores
// and re-creates the same run; a residual model (two branches joined by add) trains.
#include <QtTest>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "engine/data/dataset.hpp"
#include "engine/model/model_plan.hpp"
#include "engine/train/trainer.hpp"

using namespace halflab;
using nlohmann::json;

namespace {

struct Losses : RunObserver {
  std::vector<double> loss;
  RunInfo info;
  RunSummary summary;
  void onRunStarted(const RunInfo& r) override { info = r; }
  void onStep(const StepRecord& r) override { loss.push_back(r.loss); }
  void onRunFinished(const RunSummary& s) override { summary = s; }
};

bool hasIssue(const ConfigError& e, const std::string& field, const std::string& part) {
  for (const auto& i : e.issues())
    if (i.field == field && i.message.find(part) != std::string::npos) return true;
  return false;
}

std::string issuesText(const ConfigError& e) {
  std::string s;
  for (const auto& i : e.issues()) s += i.field + ": " + i.message + "\n";
  return s;
}

// Two linear branches over the same hidden value, joined by add (a residual block).
json residualConfig(const std::string& mode) {
  return json::parse(R"({
    "dataset": {"kind": "blobs", "synthetic_samples": 600, "synthetic_classes": 3},
    "model": {"layers": [
      {"op": "linear", "name": "stem", "units": 32, "activation": "relu"},
      {"op": "linear", "name": "branch", "units": 32, "activation": "tanh"},
      {"op": "add", "name": "residual", "inputs": ["stem", "branch"]},
      {"op": "linear", "name": "head", "units": 3}
    ]},
    "precision": {"mode": ")" + mode + R"("},
    "training": {"epochs": 3, "batch_size": 32, "histogram_every": 5, "threads": 1}
  })");
}

}  // namespace

class TestModelLayers : public QObject {
  Q_OBJECT
 private slots:
  void everyBadAttributeIsReportedAtOnce() {
    const json j = json::parse(R"({"dataset": {"kind": "blobs"}, "model": {"layers": [
      {"op": "linear", "units": 8},
      {"op": "conv2d", "filters": 0, "kernel": "three"},
      {"op": "dropout", "rate": 1.5, "colour": "red"},
      {"op": "linear", "units": 0, "activation": "swish"},
      {"op": "teleport"},
      {"op": "add", "inputs": ["linear1", "nowhere"]},
      {"units": 3}
    ]}})");
    try {
      RunConfig::fromJson(j);
      QFAIL("an invalid model.layers was accepted");
    } catch (const ConfigError& e) {
      const std::string all = issuesText(e);
      QVERIFY2(hasIssue(e, "model.layers[1].filters", "must be >= 1 (got 0)"), all.c_str());
      QVERIFY2(hasIssue(e, "model.layers[1].kernel", "must be an integer"), all.c_str());
      QVERIFY2(hasIssue(e, "model.layers[2].rate", "must be in [0, 1)"), all.c_str());
      QVERIFY2(hasIssue(e, "model.layers[2].colour", "unknown attribute of dropout"), all.c_str());
      QVERIFY2(hasIssue(e, "model.layers[3].units", "must be >= 1 (got 0)"), all.c_str());
      QVERIFY2(hasIssue(e, "model.layers[3].activation", "unknown 'swish'"), all.c_str());
      QVERIFY2(hasIssue(e, "model.layers[4].op", "unknown op 'teleport'"), all.c_str());
      QVERIFY2(hasIssue(e, "model.layers[5].inputs[1]", "'nowhere' is not \"input\" or an earlier layer"), all.c_str());
      QVERIFY2(hasIssue(e, "model.layers[6].op", "is required"), all.c_str());
      QVERIFY2(e.issues().size() == 9, all.c_str());
    }
    // A preset field beside model.layers is a contradiction, not silently ignored.
    try {
      RunConfig::fromJson(json::parse(R"({"model": {"hidden": [4], "layers": [{"op": "linear", "units": 3}]}})"));
      QFAIL("model.hidden beside model.layers was accepted");
    } catch (const ConfigError& e) {
      QVERIFY(hasIssue(e, "model.hidden", "belongs to a preset"));
    }
  }

  void theExpandedListIsStoredAndReadsBackTheSame() {
    const RunConfig c = RunConfig::fromJson(residualConfig("fp32"));
    QCOMPARE(c.model.preset, std::string("layers"));
    std::vector<std::string> names;
    for (const auto& n : c.model.layers) names.push_back(n.op + ":" + n.name);
    QCOMPARE(names, (std::vector<std::string>{"linear:stem", "activation:stem_act", "linear:branch",
                                              "activation:branch_act", "add:residual", "linear:head"}));
    // Inputs naming an entry with an activation read the activation's output.
    QCOMPARE(c.model.layers[4].inputs, (std::vector<std::string>{"stem_act", "branch_act"}));
    const json stored = c.toJson();
    QCOMPARE(stored["model"]["layers"].size(), std::size_t{6});
    const RunConfig again = RunConfig::fromJson(stored);
    QCOMPARE(again.toJson().dump(), stored.dump());
  }

  void aLayerListThatDoesNotFitItsDataIsAConfigProblem() {
    json j = residualConfig("fp32");
    j["model"]["layers"][3]["units"] = 5;  // blobs has 3 classes
    Trainer t(RunConfig::fromJson(j));
    try {
      t.prepare();
      QFAIL("a model with 5 outputs for 3 classes was accepted");
    } catch (const ConfigError& e) {
      QVERIFY2(issuesText(e).find("the last layer (head) outputs [1x5]") != std::string::npos, issuesText(e).c_str());
    }
    json k = residualConfig("fp32");
    k["model"]["layers"][1]["units"] = 16;  // the add joins [1, 32] and [1, 16]
    Trainer t2(RunConfig::fromJson(k));
    try {
      t2.prepare();
      QFAIL("an add of different shapes was accepted");
    } catch (const ConfigError& e) {
      QVERIFY2(issuesText(e).find("residual: every input needs the same shape") != std::string::npos,
               issuesText(e).c_str());
    }
  }

  void aResidualModelTrainsAndTheStoreRecreatesIt_data() {
    QTest::addColumn<QString>("mode");
    for (const char* m : {"fp32", "fp16-amp", "bf16-amp"}) QTest::newRow(m) << m;
  }
  void aResidualModelTrainsAndTheStoreRecreatesIt() {
    QFETCH(QString, mode);
    Losses first;
    const RunSummary s = Trainer(RunConfig::fromJson(residualConfig(mode.toStdString()))).run(first);
    QCOMPARE(s.status, RunStatus::Completed);
    QVERIFY(first.loss.size() >= 40);
    auto mean = [](auto b, auto e) { double t = 0; int n = 0; for (; b != e; ++b, ++n) t += *b; return t / n; };
    const double early = mean(first.loss.begin(), first.loss.begin() + 5);
    const double late = mean(first.loss.end() - 5, first.loss.end());
    QVERIFY2(late < 0.5 * early, (std::to_string(early) + " -> " + std::to_string(late)).c_str());
    QVERIFY(s.final_val_accuracy > 0.8);
    // The stored config alone re-creates the run, bit for bit.
    Losses second;
    Trainer(RunConfig::fromJsonText(first.info.config_json)).run(second);
    QCOMPARE(second.loss, first.loss);
  }
};

QTEST_APPLESS_MAIN(TestModelLayers)
#include "test_model_layers.moc"

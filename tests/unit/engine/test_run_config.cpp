// RunConfig, the one JSON schema of a run: defaults, round trips, and a clear
// ConfigIssue naming the field for every bad value, wrong type, unknown key or bad file.
#include <QtTest>

#include <fstream>
#include <string>

#include <nlohmann/json.hpp>

#include "engine/train/run_config.hpp"

using namespace halflab;
using nlohmann::json;

namespace {

// The issues fromJsonText reports (empty when the text is accepted).
std::vector<ConfigIssue> issuesOf(const std::string& text, std::string* what = nullptr) {
  try {
    RunConfig::fromJsonText(text);
  } catch (const ConfigError& e) {
    if (what) *what = e.what();
    return e.issues();
  }
  return {};
}

QString describe(const std::vector<ConfigIssue>& issues) {
  QStringList parts;
  for (const auto& i : issues) parts << QString::fromStdString(i.field + ": " + i.message);
  return parts.isEmpty() ? QString("accepted") : parts.join("; ");
}

bool names(const std::vector<ConfigIssue>& issues, const std::string& field) {
  for (const auto& i : issues)
    if (i.field == field && !i.message.empty()) return true;
  return false;
}

void addBadRow(const char* field, const char* text) {
  QTest::newRow((std::string(field) + " " + text).c_str()) << QString(text) << QString(field);
}

}  // namespace

class TestRunConfig : public QObject {
  Q_OBJECT

 private slots:
  void defaults() {
    const RunConfig c = RunConfig::fromJsonText("{}");
    QVERIFY(RunConfig{}.validate().empty());
    QCOMPARE(c.dataset.kind, std::string("fashion-mnist"));
    QVERIFY(c.dataset.path.empty());
    QCOMPARE(c.model.preset, std::string("mlp"));
    QCOMPARE(c.model.hidden, (std::vector<int>{256, 128}));
    QCOMPARE(c.model.activation, std::string("relu"));
    QVERIFY(c.precision.mode == PrecisionMode::FP32);
    QVERIFY(c.precision.scaler.flavour == ScalerFlavour::None);
    QCOMPARE(c.precision.max_consecutive_skips, std::int64_t{50});
    QVERIFY(c.optimizer.kind == OptimizerKind::Adam);
    QCOMPARE(c.lr, 1e-3);
    QVERIFY(c.schedule.kind == ScheduleKind::Constant);
    QCOMPARE(c.training.epochs, 1);
    QCOMPARE(c.training.batch_size, std::int64_t{128});
    QCOMPARE(c.training.seed, std::uint64_t{1});
    QCOMPARE(c.training.histogram_every, std::int64_t{50});
    QCOMPARE(c.training.loss, std::string("cross-entropy"));
    QCOMPARE(c.training.device, std::string("cpu"));
    // Parsing "{}" gives the same config as the struct's own defaults.
    QCOMPARE(QString::fromStdString(c.toJsonText()), QString::fromStdString(RunConfig{}.toJsonText()));
    // null means "use the default".
    QCOMPARE(RunConfig::fromJsonText(R"({"training": {"epochs": null}})").training.epochs, 1);
    QCOMPARE(c.datasetDir(), std::string(HALFLAB_DEFAULT_DATA_DIR));
    QCOMPARE(c.displayName(), std::string("mlp fp32 seed 1"));
  }

  // Defaults that depend on another choice: the optimizer's lr / weight decay, the mode's
  // scaler, the preset's widths. Explicit values always win.
  void dependentDefaults() {
    QCOMPARE(RunConfig::fromJsonText(R"({"optimizer": {"kind": "sgd"}})").lr, 0.01);
    QCOMPARE(RunConfig::fromJsonText(R"({"optimizer": {"kind": "sgd", "lr": 0.2}})").lr, 0.2);
    QCOMPARE(RunConfig::fromJsonText(R"({"optimizer": {"kind": "adamw"}})").optimizer.weight_decay, 0.01);
    const RunConfig amp = RunConfig::fromJsonText(R"({"precision": {"mode": "fp16-amp"}})");
    QVERIFY(amp.precision.scaler.flavour == ScalerFlavour::PyTorch);
    QCOMPARE(amp.precision.scaler.init_scale, 65536.0);
    QCOMPARE(amp.precision.scaler.growth_interval, 2000);
    const RunConfig pure = RunConfig::fromJsonText(R"({"precision": {"mode": "fp16-pure"}})");
    QVERIFY(pure.precision.scaler.flavour == ScalerFlavour::Static);
    QCOMPARE(pure.precision.scaler.init_scale, 1.0);
    const RunConfig apex = RunConfig::fromJsonText(
        R"({"precision": {"mode": "fp16-amp", "scaler": "apex", "init_scale": 1024}})");
    QVERIFY(apex.precision.scaler.flavour == ScalerFlavour::Apex);
    QCOMPARE(apex.precision.scaler.init_scale, 1024.0);
    QVERIFY(RunConfig::fromJsonText(R"({"precision": {"mode": "bf16-amp", "scaler": "default"}})")
                .precision.scaler.flavour == ScalerFlavour::None);
    QCOMPARE(RunConfig::fromJsonText(R"({"model": {"preset": "lenet"}})").model.hidden,
             (std::vector<int>{120, 84}));
    QVERIFY(RunConfig::fromJsonText(R"({"model": {"preset": "cifar-cnn"}, "dataset": {"kind": "cifar10"}})")
                .model.hidden.empty());
    const RunConfig spirals = RunConfig::fromJsonText(R"({"dataset": {"kind": "spirals"}, "name": "s"})");
    QVERIFY(spirals.datasetDir().empty());
    QCOMPARE(spirals.displayName(), std::string("s"));
  }

  void roundTrip() {
    const std::string text = R"({
      "name": "round trip",
      "dataset": {"kind": "spirals", "synthetic_samples": 500, "synthetic_classes": 4,
                  "noise": 0.25, "normalize": false, "train_limit": 300, "test_limit": 50},
      "model": {"preset": "mlp", "hidden": [32, 16, 8], "activation": "gelu", "dropout": 0.2,
                "batchnorm": true, "init_gain": 2.5},
      "precision": {"mode": "fp16-amp", "scaler": "deepspeed", "init_scale": 4096,
                    "hysteresis": 3, "consecutive_hysteresis": true, "min_scale": 2,
                    "growth_interval": 500, "raise_at_min": true, "max_consecutive_skips": 7},
      "optimizer": {"kind": "sgd", "lr": 0.05, "momentum": 0.9, "nesterov": true,
                    "weight_decay": 0.0005},
      "schedule": {"kind": "step", "step_size": 7, "gamma": 0.5, "warmup_steps": 3},
      "training": {"epochs": 3, "batch_size": 64, "seed": 12345678901234, "max_steps": 99,
                   "eval_every": 10, "histogram_every": 5, "loss": "mse", "loss_weight": 0.5,
                   "clip_grad_norm": 1.5, "device": "auto", "threads": 1,
                   "target_accuracy": 0.7}})";
    const RunConfig a = RunConfig::fromJsonText(text);
    QCOMPARE(a.training.seed, std::uint64_t{12345678901234});
    QCOMPARE(a.model.hidden, (std::vector<int>{32, 16, 8}));
    QVERIFY(a.precision.scaler.flavour == ScalerFlavour::DeepSpeed);
    QCOMPARE(a.precision.scaler.hysteresis, 3);
    QVERIFY(a.optimizer.nesterov);
    QVERIFY(a.schedule.kind == ScheduleKind::Step);
    QCOMPARE(a.training.loss, std::string("mse"));

    const RunConfig b = RunConfig::fromJson(a.toJson());
    QCOMPARE(QString::fromStdString(b.toJsonText()), QString::fromStdString(a.toJsonText()));
    const RunConfig c = RunConfig::fromJsonText(a.toJsonText(-1));
    QCOMPARE(c.toJson(), a.toJson());
    // Every key the input named comes back with the same value.
    const json in = json::parse(text), out = a.toJson();
    for (auto sec = in.begin(); sec != in.end(); ++sec) {
      if (!sec->is_object()) {
        QCOMPARE(QString::fromStdString(out.at(sec.key()).dump()), QString::fromStdString(sec->dump()));
        continue;
      }
      for (auto it = sec->begin(); it != sec->end(); ++it) {
        const json& got = out.at(sec.key()).at(it.key());
        const bool same = (it->is_number() && got.is_number()) ? it->get<double>() == got.get<double>()
                                                               : *it == got;
        QVERIFY2(same, qPrintable(QString::fromStdString(sec.key() + "." + it.key() + ": " +
                                                         it->dump() + " came back as " + got.dump())));
      }
    }
  }

  void roundTripThroughFile() {
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const std::string path = dir.filePath("run.json").toStdString();
    RunConfig a;
    a.name = "from file";
    a.dataset.kind = "moons";
    a.precision.mode = PrecisionMode::BF16Amp;
    a.training.batch_size = 32;
    {
      std::ofstream f(path);
      f << a.toJsonText();
    }
    const RunConfig b = RunConfig::fromFile(path);
    QCOMPARE(b.toJson(), a.toJson());
  }

  // ---- bad values: one ConfigIssue naming the field -------------------------------
  void badValueNamesTheField_data() {
    QTest::addColumn<QString>("text");
    QTest::addColumn<QString>("field");
    addBadRow("dataset.kind", R"({"dataset": {"kind": "imagenet"}})");
    addBadRow("dataset.synthetic_samples", R"({"dataset": {"kind": "spirals", "synthetic_samples": 5}})");
    addBadRow("dataset.synthetic_classes", R"({"dataset": {"kind": "spirals", "synthetic_classes": 1}})");
    addBadRow("dataset.noise", R"({"dataset": {"noise": -0.1}})");
    addBadRow("dataset.train_limit", R"({"dataset": {"train_limit": -1}})");
    addBadRow("dataset.test_limit", R"({"dataset": {"test_limit": -3}})");
    addBadRow("dataset.path", R"({"dataset": {"kind": "moons", "path": "/tmp"}})");
    addBadRow("model.preset", R"({"model": {"preset": "resnet"}})");
    addBadRow("model.preset", R"({"dataset": {"kind": "spirals"}, "model": {"preset": "lenet"}})");
    addBadRow("model.hidden", R"({"model": {"hidden": [64, 0]}})");
    addBadRow("model.channels", R"({"model": {"preset": "lenet", "channels": [6, 5000]}})");
    addBadRow("model.activation", R"({"model": {"activation": "swish"}})");
    addBadRow("model.dropout", R"({"model": {"dropout": 1.0}})");
    addBadRow("model.init_gain", R"({"model": {"init_gain": 0}})");
    addBadRow("precision.mode", R"({"precision": {"mode": "fp8"}})");
    addBadRow("precision.scaler", R"({"precision": {"scaler": "magic"}})");
    addBadRow("precision.init_scale", R"({"precision": {"init_scale": 0}})");
    addBadRow("precision.init_scale", R"({"precision": {"init_scale": 1e39}})");
    addBadRow("precision.growth_factor", R"({"precision": {"growth_factor": 0.5}})");
    addBadRow("precision.backoff_factor", R"({"precision": {"backoff_factor": 1.5}})");
    addBadRow("precision.growth_interval", R"({"precision": {"growth_interval": 0}})");
    addBadRow("precision.hysteresis", R"({"precision": {"hysteresis": 0}})");
    addBadRow("precision.min_scale", R"({"precision": {"min_scale": 10, "max_scale": 5}})");
    addBadRow("optimizer.kind", R"({"optimizer": {"kind": "lion"}})");
    addBadRow("optimizer.lr", R"({"optimizer": {"lr": 0}})");
    addBadRow("optimizer.lr", R"({"optimizer": {"lr": 1e6}})");
    addBadRow("optimizer.momentum", R"({"optimizer": {"kind": "sgd", "momentum": 1.0}})");
    addBadRow("optimizer.nesterov", R"({"optimizer": {"kind": "sgd", "nesterov": true}})");
    addBadRow("optimizer.weight_decay", R"({"optimizer": {"weight_decay": -0.1}})");
    addBadRow("optimizer.beta1", R"({"optimizer": {"beta1": -0.5}})");
    addBadRow("optimizer.beta2", R"({"optimizer": {"beta2": 1.0}})");
    addBadRow("optimizer.eps", R"({"optimizer": {"eps": 0}})");
    addBadRow("schedule.kind", R"({"schedule": {"kind": "exponential"}})");
    addBadRow("schedule.warmup_steps", R"({"schedule": {"warmup_steps": -5}})");
    addBadRow("schedule.step_size", R"({"schedule": {"kind": "step", "step_size": 0}})");
    addBadRow("schedule.gamma", R"({"schedule": {"gamma": 0}})");
    addBadRow("schedule.min_lr", R"({"schedule": {"kind": "cosine", "min_lr": 1}})");
    addBadRow("training.epochs", R"({"training": {"epochs": 0}})");
    addBadRow("training.batch_size", R"({"training": {"batch_size": 0}})");
    addBadRow("training.batch_size", R"({"training": {"batch_size": 100000}})");
    addBadRow("training.max_steps", R"({"training": {"max_steps": -1}})");
    addBadRow("training.max_steps", R"({"training": {"max_steps": 1e12}})");  // epoch counter range
    addBadRow("precision.max_consecutive_skips", R"({"precision": {"max_consecutive_skips": -1}})");
    addBadRow("precision.max_consecutive_skips", R"({"precision": {"max_consecutive_skips": 2.5}})");
    addBadRow("precision.max_consecutive_skips", R"({"precision": {"max_consecutive_skips": 2e9}})");
    addBadRow("training.eval_every", R"({"training": {"eval_every": -1}})");
    addBadRow("training.histogram_every", R"({"training": {"histogram_every": -1}})");
    addBadRow("training.loss", R"({"training": {"loss": "hinge"}})");
    addBadRow("training.loss_weight", R"({"training": {"loss_weight": 0}})");
    addBadRow("training.clip_grad_norm", R"({"training": {"clip_grad_norm": -1}})");
    addBadRow("training.device", R"({"training": {"device": "tpu"}})");
    addBadRow("training.threads", R"({"training": {"threads": -1}})");
    addBadRow("training.target_accuracy", R"({"training": {"target_accuracy": 1.5}})");
  }
  void badValueNamesTheField() {
    QFETCH(QString, text);
    QFETCH(QString, field);
    std::string what;
    const auto issues = issuesOf(text.toStdString(), &what);
    QVERIFY2(names(issues, field.toStdString()), qPrintable(describe(issues)));
    // The exception text names the field too (it is what the CLI prints).
    QVERIFY2(QString::fromStdString(what).contains(field), what.c_str());
  }

  // The same checks through validate() on a struct built in code (the GUI's path).
  void validateReportsEveryProblem() {
    RunConfig c;
    c.training.batch_size = 0;
    c.lr = 0;
    c.model.activation = "nope";
    const auto issues = c.validate();
    QVERIFY(names(issues, "training.batch_size"));
    QVERIFY(names(issues, "optimizer.lr"));
    QVERIFY(names(issues, "model.activation"));
    QCOMPARE(issues.size(), std::size_t{3});
  }

  // ---- wrong types --------------------------------------------------------------------
  void wrongTypeNamesTheField_data() {
    QTest::addColumn<QString>("text");
    QTest::addColumn<QString>("field");
    addBadRow("training.batch_size", R"({"training": {"batch_size": "64"}})");
    addBadRow("training.batch_size", R"({"training": {"batch_size": 2.5}})");
    addBadRow("training.epochs", R"({"training": {"epochs": true}})");
    addBadRow("training.loss", R"({"training": {"loss": 1}})");
    addBadRow("dataset.normalize", R"({"dataset": {"normalize": 1}})");
    addBadRow("model.hidden", R"({"model": {"hidden": "256"}})");
    addBadRow("model.hidden", R"({"model": {"hidden": [1, "a"]}})");
    addBadRow("model.batchnorm", R"({"model": {"batchnorm": "yes"}})");
    addBadRow("optimizer.lr", R"({"optimizer": {"lr": "fast"}})");
    addBadRow("precision.mode", R"({"precision": {"mode": 16}})");
    addBadRow("training", R"({"training": []})");
    addBadRow("precision", R"({"precision": "fp16-amp"})");
    addBadRow("name", R"({"name": 5})");
  }
  void wrongTypeNamesTheField() {
    QFETCH(QString, text);
    QFETCH(QString, field);
    const auto issues = issuesOf(text.toStdString());
    QVERIFY2(names(issues, field.toStdString()), qPrintable(describe(issues)));
  }

  // Values JSON can carry but the field's C++ type cannot: they must not be converted
  // silently (a seed of -1 is not 2^64-1; a width of 64.5 is not 64).
  void unrepresentableNumbersAreRejected_data() {
    QTest::addColumn<QString>("text");
    QTest::addColumn<QString>("field");
    addBadRow("training.seed", R"({"training": {"seed": -1}})");
    addBadRow("model.hidden", R"({"model": {"hidden": [64.5]}})");
    addBadRow("training.epochs", R"({"training": {"epochs": 4294967297}})");
  }
  void unrepresentableNumbersAreRejected() {
    QFETCH(QString, text);
    QFETCH(QString, field);
    const auto issues = issuesOf(text.toStdString());
    QVERIFY2(names(issues, field.toStdString()), qPrintable(describe(issues)));
  }

  // ---- unknown keys -----------------------------------------------------------------
  void unknownFieldsAndSectionsAreRejected() {
    auto issues = issuesOf(R"({"trainig": {"epochs": 2}})");
    QVERIFY2(names(issues, "trainig"), qPrintable(describe(issues)));
    issues = issuesOf(R"({"training": {"epoch": 2}})");
    QVERIFY2(names(issues, "training.epoch"), qPrintable(describe(issues)));
    issues = issuesOf(R"({"optimizer": {"learning_rate": 0.1}})");
    QVERIFY2(names(issues, "optimizer.learning_rate"), qPrintable(describe(issues)));
    issues = issuesOf(R"({"precision": {"mode": "fp16-amp", "scale": 1024}})");
    QVERIFY2(names(issues, "precision.scale"), qPrintable(describe(issues)));
    // lr lives in the optimizer section, not at the top.
    issues = issuesOf(R"({"lr": 0.1})");
    QVERIFY2(names(issues, "lr"), qPrintable(describe(issues)));
  }

  // Every problem at once, not only the first.
  void allProblemsAreListedTogether() {
    const auto issues = issuesOf(
        R"({"extra": 1, "training": {"epoch": 3, "batch_size": "x"}, "model": {"dropout": "half"}})");
    QVERIFY2(names(issues, "extra"), qPrintable(describe(issues)));
    QVERIFY2(names(issues, "training.epoch"), qPrintable(describe(issues)));
    QVERIFY2(names(issues, "training.batch_size"), qPrintable(describe(issues)));
    QVERIFY2(names(issues, "model.dropout"), qPrintable(describe(issues)));
    const auto semantic = issuesOf(R"({"training": {"epochs": 0, "batch_size": 0}, "optimizer": {"lr": 0}})");
    QCOMPARE(semantic.size(), std::size_t{3});
  }

  // ---- not JSON / not a file --------------------------------------------------------
  void notJsonIsAClearError_data() {
    QTest::addColumn<QString>("text");
    QTest::addColumn<QString>("expect");
    QTest::newRow("broken") << R"({"training": {"epochs": 2)" << "not valid JSON";
    QTest::newRow("empty") << "" << "not valid JSON";
    QTest::newRow("trailing comma") << R"({"name": "x",})" << "not valid JSON";
    QTest::newRow("yaml") << "training:\n  epochs: 2\n" << "not valid JSON";
    QTest::newRow("array") << "[1, 2]" << "JSON object";
    QTest::newRow("number") << "42" << "JSON object";
  }
  void notJsonIsAClearError() {
    QFETCH(QString, text);
    QFETCH(QString, expect);
    std::string what;
    const auto issues = issuesOf(text.toStdString(), &what);
    QVERIFY2(!issues.empty(), "accepted");
    QVERIFY2(QString::fromStdString(what).contains(expect), what.c_str());
  }

  void missingFileNamesThePath() {
    const std::string path = "/nonexistent-halflab-dir/run.json";
    try {
      RunConfig::fromFile(path);
      QFAIL("a missing file was accepted");
    } catch (const ConfigError& e) {
      QVERIFY2(std::string(e.what()).find(path) != std::string::npos, e.what());
      QVERIFY(!e.issues().empty());
    }
  }

  void badFileContentNamesPathAndField() {
    QTemporaryDir dir;
    const std::string path = dir.filePath("bad.json").toStdString();
    {
      std::ofstream f(path);
      f << R"({"training": {"batch_size": -4}})";
    }
    try {
      RunConfig::fromFile(path);
      QFAIL("a bad file was accepted");
    } catch (const ConfigError& e) {
      QVERIFY(names(e.issues(), "training.batch_size"));
      QVERIFY2(std::string(e.what()).find(path) != std::string::npos, e.what());
    }
  }
};

QTEST_APPLESS_MAIN(TestRunConfig)
#include "test_run_config.moc"

// The dataset section for image-folder, imdb and csv-text: new kinds and options are
// read, validated with the field's path, round-trip through toJson, and a text dataset
// given to the trainer fails with a clear ConfigError instead of training on nothing.
#include <QtTest>

#include <nlohmann/json.hpp>

#include "engine/train/run_config.hpp"
#include "engine/train/trainer.hpp"

using namespace halflab;
using nlohmann::json;

namespace {

std::vector<ConfigIssue> issuesOf(const json& j) {
  try {
    RunConfig::fromJson(j);
  } catch (const ConfigError& e) {
    return e.issues();
  }
  return {};
}

std::string messageFor(const std::vector<ConfigIssue>& issues, const std::string& field) {
  for (const auto& i : issues)
    if (i.field == field) return i.message;
  return {};
}

}  // namespace

class TestDatasetConfig : public QObject {
  Q_OBJECT

 private slots:
  void readsAndRoundTripsTheNewOptions() {
    const json j = {{"dataset", {{"kind", "imdb"}, {"path", "/data/aclImdb"}, {"vocab_size", 5000},
                                 {"max_len", 100}, {"padding", "post"}, {"truncating", "post"},
                                 {"cache", false}, {"cache_dir", "/tmp/c"}}}};
    const RunConfig c = RunConfig::fromJson(j);
    QCOMPARE(c.dataset.vocab_size, std::int64_t{5000});
    QCOMPARE(c.dataset.max_len, std::int64_t{100});
    QCOMPARE(c.dataset.padding, std::string("post"));
    QVERIFY(!c.dataset.cache);
    QVERIFY(c.dataset.isTextKind());
    const RunConfig back = RunConfig::fromJson(c.toJson());
    QCOMPARE(back.toJsonText(), c.toJsonText());
    const RunConfig img = RunConfig::fromJson(
        {{"dataset", {{"kind", "image-folder"}, {"path", "/x"}, {"augment_flip", true}, {"augment_crop_pad", 4}}},
         {"model", {{"preset", "cifar-cnn"}}}});
    QVERIFY(img.dataset.isImageKind());
    QCOMPARE(RunConfig::fromJson(img.toJson()).dataset.augment_crop_pad, 4);
  }

  void badValuesNameTheField() {
    const auto issues = issuesOf({{"dataset", {{"kind", "csv-text"}, {"path", "/x"}, {"vocab_size", 0},
                                               {"max_len", 0}, {"padding", "middle"}, {"truncating", 3}}}});
    QVERIFY(messageFor(issues, "dataset.truncating").find("expected a string") != std::string::npos);
    const auto more = issuesOf({{"dataset", {{"kind", "csv-text"}, {"path", "/x"}, {"vocab_size", 0},
                                             {"max_len", 200000}, {"padding", "middle"}}}});
    QVERIFY(messageFor(more, "dataset.vocab_size").find("between 1 and") != std::string::npos);
    QVERIFY(messageFor(more, "dataset.max_len").find("between 1 and 100000") != std::string::npos);
    QVERIFY(messageFor(more, "dataset.padding").find("expected pre or post") != std::string::npos);
    QVERIFY(messageFor(issuesOf({{"dataset", {{"kind", "imdb"}}}}), "dataset.path").find("aclImdb") != std::string::npos);
    QVERIFY(messageFor(issuesOf({{"dataset", {{"kind", "image-folder"}}}}), "dataset.path").find("train/<class>/") != std::string::npos);
    QVERIFY(messageFor(issuesOf({{"dataset", {{"kind", "moons"}, {"augment_flip", true}}}}), "dataset.augment_flip")
                .find("needs an image dataset") != std::string::npos);
    QVERIFY(messageFor(issuesOf({{"dataset", {{"kind", "cifar10"}, {"path", "/c"}, {"augment_crop_pad", 65}}}}),
                       "dataset.augment_crop_pad").find("between 0 and 64") != std::string::npos);
    QVERIFY(messageFor(issuesOf({{"dataset", {{"kind", "cifar10"}, {"path", "/c"}, {"augment_flip", true}}},
                                 {"training", {{"device", "cuda"}}}}),
                       "dataset.augment_flip").find("CPU training loop") != std::string::npos);
    QVERIFY(messageFor(issuesOf({{"dataset", {{"kind", "imdb"}, {"path", "/x"}, {"vocab", 3}}}}), "dataset.vocab") == "unknown field");
  }

  // Text sets give int32 token ids; a preset that reads floats fails with the fix named.
  void textDataNeedsAModelThatTakesTokens() {
    QTemporaryDir tmp;
    for (const char* split : {"train.csv", "test.csv"}) {
      QFile f(tmp.filePath(split));
      QVERIFY(f.open(QIODevice::WriteOnly));
      f.write("text,label\ngood film,1\nbad film,0\n");
    }
    const RunConfig c = RunConfig::fromJson(
        {{"dataset", {{"kind", "csv-text"}, {"path", tmp.path().toStdString()}, {"cache", false}}}});
    Trainer t(c);
    try {
      t.prepare();
      QFAIL("prepare() accepted the mlp preset on token ids");
    } catch (const ConfigError& e) {
      QCOMPARE(e.issues().front().field, std::string("model"));
      QVERIFY2(std::string(e.what()).find("start the model with an embedding") != std::string::npos, e.what());
    }
    struct Quiet : RunObserver {} obs;
    const RunSummary s = t.run(obs);
    QCOMPARE(s.status, RunStatus::Failed);
    QVERIFY(s.error.find("embedding") != std::string::npos);
  }
};

QTEST_GUILESS_MAIN(TestDatasetConfig)
#include "test_dataset_config.moc"

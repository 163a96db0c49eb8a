// The real IMDB and CIFAR-10 JPEG archives (../shared/data, see its README.md), unpacked
// into the build tree: counts, token memory, cache use, and a short cifar-cnn run on the
// JPEGs that must learn. Skips cleanly where the archives are absent (a user's machine).
// Load times are printed (README quotes them), never asserted.
#include <QElapsedTimer>
#include <QProcess>
#include <QtTest>

#include <filesystem>
#include <fstream>
#include <map>

#include <nlohmann/json.hpp>

#include "engine/data/image_folder.hpp"
#include "engine/data/text/imdb_loader.hpp"
#include "engine/train/trainer.hpp"

using namespace halflab;
namespace fs = std::filesystem;

namespace {

// ../shared/data next to the project; a git worktree under <root>/wt/<name> finds the
// one two levels up. HALFLAB_SHARED_DATA overrides both.
fs::path sharedData() {
  if (const char* env = std::getenv("HALFLAB_SHARED_DATA"); env && *env) return env;
  const fs::path src(HALFLAB_SOURCE_DIR);
  for (const fs::path& p : {src / ".." / "shared" / "data", src / ".." / ".." / "shared" / "data"})
    if (fs::exists(p / "aclImdb.tar.gz") || fs::exists(p / "cifar10-images.tar.gz")) return p;
  return {};
}

// Unpacks `archive` into the build tree once (a marker file says it finished).
fs::path unpacked(const fs::path& archive, const std::string& folder) {
  const fs::path dest = fs::path(QT_TESTCASE_BUILDDIR) / "real-data";
  const fs::path marker = dest / (folder + ".unpacked");
  if (fs::exists(marker) && fs::exists(dest / folder)) return dest / folder;
  fs::remove_all(dest / folder);
  fs::create_directories(dest);
  QProcess tar;
  tar.start("tar", {"xzf", QString::fromStdString(archive.string()), "-C", QString::fromStdString(dest.string())});
  if (!tar.waitForFinished(600000) || tar.exitCode() != 0)
    qFatal("tar xzf %s failed: %s", archive.c_str(), tar.readAllStandardError().constData());
  std::ofstream(marker) << "ok\n";
  return dest / folder;
}

struct LossRecorder : RunObserver {
  std::vector<double> losses;
  std::vector<EvalRecord> evals;
  void onStep(const StepRecord& r) override { losses.push_back(r.loss); }
  void onEval(const EvalRecord& r) override { evals.push_back(r); }
};

double meanOf(const std::vector<double>& v, std::size_t from, std::size_t to) {
  double s = 0;
  for (std::size_t i = from; i < to; ++i) s += v[i];
  return s / static_cast<double>(to - from);
}

}  // namespace

class RealDatasets : public QObject {
  Q_OBJECT

  fs::path shared_;

 private slots:
  void initTestCase() {
    shared_ = sharedData();
    if (shared_.empty()) QSKIP("../shared/data (aclImdb.tar.gz, cifar10-images.tar.gz) is absent");
  }

  void imdbCountsMemoryAndCache() {
    if (!fs::exists(shared_ / "aclImdb.tar.gz")) QSKIP("aclImdb.tar.gz is absent");
    const fs::path root = unpacked(shared_ / "aclImdb.tar.gz", "aclImdb");
    const fs::path cache = fs::path(QT_TESTCASE_BUILDDIR) / "real-data" / "token-cache";
    fs::remove_all(cache);
    TextOptions o;  // defaults: 20,000 words, max_len 256, pre / pre
    o.cache_dir = cache.string();
    QElapsedTimer t;
    t.start();
    TextLoadInfo first;
    const TokenizedSplit a = loadImdb(root.string(), o, &first);
    const qint64 first_ms = t.elapsed();
    QVERIFY(!first.cache_used);
    QCOMPARE(a.train.count(), std::int64_t{25000});
    QCOMPARE(a.test.count(), std::int64_t{25000});
    for (const TokenizedSet* s : {&a.train, &a.test}) {
      std::int64_t pos = 0;
      for (auto l : s->labels) pos += l;
      QCOMPARE(pos, std::int64_t{12500});
    }
    QCOMPARE(a.vocab.size(), std::int64_t{20002});
    QCOMPARE(a.vocab.wordOf(2), std::string("the"));  // the most frequent word
    const std::int64_t bytes = a.train.memoryBytes() + a.test.memoryBytes();
    QVERIFY2(bytes < 100'000'000, qPrintable(QString("tokenized sets take %1 bytes").arg(bytes)));

    t.restart();
    TextLoadInfo second;
    const TokenizedSplit b = loadImdb(root.string(), o, &second);
    const qint64 cached_ms = t.elapsed();
    QVERIFY2(second.cache_used, second.cache_note.c_str());
    QCOMPARE(b.train.ids, a.train.ids);
    QCOMPARE(b.test.labels, a.test.labels);
    qInfo("IMDB 25000 + 25000 reviews: first load %lld ms (tokenized), cached load %lld ms, %.1f MB of int32 tokens",
          static_cast<long long>(first_ms), static_cast<long long>(cached_ms), static_cast<double>(bytes) / 1e6);
  }

  void cifarJpegCounts() {
    if (!fs::exists(shared_ / "cifar10-images.tar.gz")) QSKIP("cifar10-images.tar.gz is absent");
    const fs::path root = unpacked(shared_ / "cifar10-images.tar.gz", "cifar10-images");
    QElapsedTimer t;
    t.start();
    const ImageFolderSet set = loadImageFolder(root.string());
    qInfo("CIFAR-10 JPEGs 50000 + 10000: loaded in %lld ms", static_cast<long long>(t.elapsed()));
    QCOMPARE(set.class_names.size(), std::size_t{10});
    QCOMPARE(set.class_names.front(), std::string("airplane"));
    QCOMPARE(set.split.train.count(), std::int64_t{50000});
    QCOMPARE(set.split.test.count(), std::int64_t{10000});
    QCOMPARE(set.split.train.inputs.shape, (Shape{50000, 3, 32, 32}));
    std::map<int, int> per;
    for (auto l : set.split.train.labels) ++per[l];
    for (const auto& [c, n] : per) QCOMPARE(n, 5000);
  }

  // 300 steps of cifar-cnn (batch 64, Adam, flip + crop augmentation) on the JPEGs: the
  // loss must fall and test accuracy beat chance (0.10) clearly. Measured: ~0.55.
  void cifarCnnTrainsOnJpegs() {
    if (!fs::exists(shared_ / "cifar10-images.tar.gz")) QSKIP("cifar10-images.tar.gz is absent");
    const fs::path root = unpacked(shared_ / "cifar10-images.tar.gz", "cifar10-images");
    nlohmann::json j = {{"dataset", {{"kind", "image-folder"}, {"path", root.string()}, {"test_limit", 2000},
                                     {"augment_flip", true}, {"augment_crop_pad", 4}}},
                        {"model", {{"preset", "cifar-cnn"}}},
                        {"optimizer", {{"kind", "adam"}, {"lr", 0.001}}},
                        {"training", {{"max_steps", 300}, {"batch_size", 64}, {"histogram_every", 0}, {"seed", 1}}}};
    Trainer trainer(RunConfig::fromJson(j));
    LossRecorder rec;
    const RunSummary s = trainer.run(rec);
    QVERIFY2(s.status == RunStatus::Completed, s.error.c_str());
    QCOMPARE(rec.losses.size(), std::size_t{300});
    const double early = meanOf(rec.losses, 0, 30), late = meanOf(rec.losses, 270, 300);
    QVERIFY(!rec.evals.empty());
    const double acc = rec.evals.back().val_accuracy;
    qInfo("cifar-cnn on CIFAR-10 JPEGs, 300 steps: loss %.3f -> %.3f, test accuracy %.3f (2000 images)", early, late, acc);
    QVERIFY2(late < early - 0.3, qPrintable(QString("loss %1 -> %2").arg(early).arg(late)));
    QVERIFY2(acc > 0.3, qPrintable(QString("accuracy %1").arg(acc)));
  }
};

QTEST_GUILESS_MAIN(RealDatasets)
#include "test_real_datasets.moc"

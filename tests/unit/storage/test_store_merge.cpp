// Merging stores (storage/store_merge, `halflab-cli runs merge`) and schema version 2:
// everything of a run is carried, duplicates are skipped by uuid, and a source with a
// newer schema, a damaged source or a merge killed part-way leave the target untouched.
#include <QtTest>

#include <csignal>
#include <sys/wait.h>
#include <unistd.h>

#include <SQLiteCpp/Database.h>

#include "storage/run_store.hpp"
#include "storage/store_check.hpp"
#include "storage/store_merge.hpp"
#include "store_test_support.hpp"

using namespace halflab;

namespace {

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// `runs` synthetic runs with steps, evals, events, a histogram and a summary.
void writeStore(const std::string& path, int runs, const std::string& sweep = "", int steps = 300) {
  RunWriterOptions o;
  o.sweep_id = sweep;
  RunWriter w(path, o);
  for (int r = 0; r < runs; ++r) {
    w.onRunStarted(test::syntheticRunInfo("run " + std::to_string(r + 1), "fp16", 10 + r));
    for (int s = 1; s <= steps; ++s) w.onStep(test::syntheticStep(s, s));
    EvalRecord e;
    e.step = steps;
    e.val_accuracy = 0.8 + 0.01 * r;
    w.onEval(e);
    EventRecord ev;
    ev.step = 50;
    ev.kind = EventKind::Overflow;
    ev.text = "overflow";
    w.onEvent(ev);
    HistogramRecord h;
    h.step = 100;
    h.tensor = "fc1.weight";
    h.kind = "grad";
    h.format = Format::FP16;
    h.min_exp = -3;
    h.max_exp = 2;
    h.bins = {1, 2, 3, 4, 5, 6};
    w.onHistogram(h);
    RunSummary sum;
    sum.steps = steps;
    sum.final_val_accuracy = e.val_accuracy;
    w.onRunFinished(sum);
  }
}

std::int64_t count(const std::string& path, const std::string& table) {
  SQLite::Database db(path, SQLite::OPEN_READONLY);
  return db.execAndGet("SELECT count(*) FROM " + table).getInt64();
}

QByteArray bytesOf(const std::string& path) {
  QFile f(QString::fromStdString(path));
  return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

}  // namespace

class TestStoreMerge : public QObject {
  Q_OBJECT

 private:
  QTemporaryDir dir_;
  std::string file(const std::string& name) const { return dir_.filePath(QString::fromStdString(name)).toStdString(); }

 private slots:
  void everythingOfARunIsCarried() {
    const std::string a = file("a.sqlite"), b = file("b.sqlite"), into = file("all.sqlite");
    writeStore(a, 2, "sweep-a");
    writeStore(b, 3);
    const MergeReport r = mergeStores({a, b}, into);
    QCOMPARE(r.added(), std::int64_t{5});
    QCOMPARE(r.duplicates(), std::int64_t{0});
    for (const char* t : {"metrics", "latest_metrics", "events", "histograms", "run_summary", "params"})
      QCOMPARE(count(into, t), count(a, t) + count(b, t));
    const RunStore s = RunStore::open(into, StoreOpenMode::ReadOnly);
    RunFilter f;
    f.sweep_id = "sweep-a";
    const auto swept = s.listRuns(f);
    QCOMPARE(swept.size(), std::size_t{2});
    const auto hist = s.histograms(swept.front().id);
    QCOMPARE(hist.size(), std::size_t{1});
    QCOMPARE(hist.front().bins, (std::vector<std::int64_t>{1, 2, 3, 4, 5, 6}));
    QCOMPARE(s.metricSeries(swept.front().id, "loss").size(), std::size_t{300});
  }

  void duplicatesAreSkippedByUuid() {
    const std::string a = file("dup-a.sqlite"), into = file("dup-into.sqlite");
    writeStore(a, 2);
    QCOMPARE(mergeStores({a}, into).added(), std::int64_t{2});
    const MergeReport again = mergeStores({a, a}, into);  // twice more, once listed twice
    QCOMPARE(again.added(), std::int64_t{0});
    QCOMPARE(again.duplicates(), std::int64_t{4});
    QCOMPARE(count(into, "runs"), std::int64_t{2});
    QCOMPARE(count(into, "metrics"), count(a, "metrics"));
  }

  void newerSchemaIsRefusedAndTargetUntouched() {
    const std::string a = file("new-a.sqlite"), newer = file("newer.sqlite"), into = file("new-into.sqlite");
    writeStore(a, 1);
    writeStore(newer, 1);
    mergeStores({a}, into);
    { SQLite::Database db(newer, SQLite::OPEN_READWRITE); db.exec("PRAGMA user_version = 3"); }
    const QByteArray before = bytesOf(into);
    try {
      mergeStores({a, newer}, into);
      QFAIL("a store with a newer schema must be refused");
    } catch (const StoreError& e) {
      QVERIFY2(contains(e.what(), newer + ": schema version 3 is newer than this build supports (2)"), e.what());
    }
    QCOMPARE(bytesOf(into), before);
    // And a store of this newer schema is refused by every open, as an older binary would.
    try {
      RunStore::open(newer, StoreOpenMode::ReadWrite);
      QFAIL("an older build must refuse a newer schema");
    } catch (const StoreError& e) {
      QVERIFY2(contains(e.what(), "newer than this build supports"), e.what());
    }
  }

  void damagedSourceIsRefusedAndTargetUntouched() {
    const std::string good = file("good.sqlite"), bad = file("bad.sqlite"), into = file("dmg-into.sqlite");
    writeStore(good, 1);
    writeStore(bad, 3, "", 3000);
    mergeStores({good}, into);
    {
      QFile f(QString::fromStdString(bad));
      QVERIFY(f.open(QIODevice::ReadWrite));
      const qint64 pages = f.size() / 4096;
      QVERIFY(pages > 20);
      for (qint64 p = pages * 2 / 5; p < pages * 3 / 5; ++p) {
        QVERIFY(f.seek(p * 4096));
        QCOMPARE(f.write(QByteArray(4096, '\x5a')), qint64(4096));
      }
    }
    const QByteArray before = bytesOf(into);
    try {
      mergeStores({good, bad}, into);
      QFAIL("a damaged source must be refused");
    } catch (const StoreDamaged& e) {
      QVERIFY2(contains(e.what(), bad + ": store is damaged") && contains(e.what(), "nothing was merged"), e.what());
    }
    QCOMPARE(bytesOf(into), before);
    // Not a store at all.
    const std::string text = file("notes.txt");
    { QFile f(QString::fromStdString(text)); QVERIFY(f.open(QIODevice::WriteOnly)); f.write("hello"); }
    QVERIFY_THROWS_EXCEPTION(StoreError, mergeStores({text}, into));
    QVERIFY_THROWS_EXCEPTION(StoreError, mergeStores({into}, into));  // the target itself
  }

  void mergeKilledPartWayLeavesTargetIntact() {
    const std::string a = file("kill-a.sqlite"), into = file("kill-into.sqlite"), extra = file("kill-x.sqlite");
    writeStore(a, 4);
    writeStore(extra, 1);
    mergeStores({extra}, into);
    QProcess p;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert("HALFLAB_MERGE_STALL_MS", "30000");
    p.setProcessEnvironment(env);
    p.start(HALFLAB_CLI_PATH, {"runs", "merge", QString::fromStdString(a), "--into", QString::fromStdString(into)});
    QVERIFY(p.waitForStarted());
    // The first run is copied (inside the transaction), then the merge stalls: kill it.
    QByteArray err;
    for (int i = 0; i < 200 && !err.contains("copied run"); ++i) {
      p.waitForReadyRead(100);
      err += p.readAllStandardError();
    }
    QVERIFY2(err.contains("copied run"), err.constData());
    ::kill(static_cast<pid_t>(p.processId()), SIGKILL);
    QVERIFY(p.waitForFinished());
    QCOMPARE(p.exitStatus(), QProcess::CrashExit);
    QVERIFY(store::checkStoreFile(into).healthy());
    QCOMPARE(count(into, "runs"), std::int64_t{1});
    QCOMPARE(count(into, "metrics"), count(extra, "metrics"));
    // Run again to the end: all four arrive once.
    QProcess again;
    again.start(HALFLAB_CLI_PATH, {"runs", "merge", QString::fromStdString(a), "--into", QString::fromStdString(into)});
    QVERIFY(again.waitForFinished(60000));
    QCOMPARE(again.exitCode(), 0);
    QVERIFY(again.readAllStandardOutput().contains("merged 4 run(s)"));
    QCOMPARE(count(into, "runs"), std::int64_t{5});
  }

  void versionOneStoreIsMigrated() {
    const std::string path = file("v1.sqlite");
    {
      SQLite::Database db(path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
      db.exec(store::migrations().front().sql);
      db.exec("PRAGMA user_version = 1");
      db.exec("PRAGMA application_id = " + std::to_string(store::kApplicationId));
      db.exec("INSERT INTO runs (uuid, name, status, created_ms) VALUES ('u-1', 'old run', 'completed', 1)");
    }
    const std::string into = file("v1-into.sqlite");
    QCOMPARE(mergeStores({path}, into).added(), std::int64_t{1});  // a v1 source merges as it is
    const RunStore s = RunStore::open(path, StoreOpenMode::ReadWrite);
    SQLite::Database db(path, SQLite::OPEN_READONLY);
    QCOMPARE(db.execAndGet("PRAGMA user_version").getInt(), 2);
    const auto runs = s.listRuns();
    QCOMPARE(runs.size(), std::size_t{1});
    QCOMPARE(runs.front().name, std::string("old run"));
    QCOMPARE(runs.front().sweep_id, std::string());
  }
};

QTEST_GUILESS_MAIN(TestStoreMerge)
#include "test_store_merge.moc"

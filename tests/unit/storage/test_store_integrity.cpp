// A damaged store is reported, never silently used: writable opens run a bounded quick
// check and refuse a store that fails it, readers meeting a damaged page say so instead
// of returning part of a series, and the full check (`runs check`) lists the damage.
// The stores are real ones, damaged the way a disk or a bad copy damages them: pages in
// the middle of the file overwritten.
#include <QFile>
#include <QTemporaryDir>
#include <QtTest>

#include <chrono>
#include <string>

#include <SQLiteCpp/Database.h>

#include "storage/run_store.hpp"
#include "storage/run_writer.hpp"
#include "storage/store_check.hpp"
#include "store_test_support.hpp"

using namespace halflab;

namespace {

constexpr int kRuns = 3, kSteps = 3000;

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

void writeStore(const std::string& path) {
  RunWriter w(path);
  for (int r = 0; r < kRuns; ++r) {
    w.onRunStarted(test::syntheticRunInfo("run " + std::to_string(r + 1)));
    for (int s = 1; s <= kSteps; ++s) w.onStep(test::syntheticStep(s, s));
    w.onRunFinished(RunSummary{});
  }
}

// Overwrites the pages between 40% and 60% of the file with a byte pattern.
void damageMiddlePages(const std::string& path) {
  QFile f(QString::fromStdString(path));
  QVERIFY(f.open(QIODevice::ReadWrite));
  const qint64 pages = f.size() / 4096;
  QVERIFY(pages > 20);
  for (qint64 p = pages * 2 / 5; p < pages * 3 / 5; ++p) {
    QVERIFY(f.seek(p * 4096));
    QCOMPARE(f.write(QByteArray(4096, '\x5a')), qint64(4096));
  }
}

}  // namespace

class TestStoreIntegrity : public QObject {
  Q_OBJECT

 private:
  QTemporaryDir dir_;
  std::string file(const char* name) const { return dir_.filePath(name).toStdString(); }

 private slots:
  void healthyStorePassesBothChecks() {
    const std::string path = file("healthy.sqlite");
    writeStore(path);
    const store::IntegrityReport full = store::checkStoreFile(path);
    QVERIFY2(full.healthy(), full.problems.empty() ? "" : full.problems.front().c_str());
    RunStore s = RunStore::open(path, StoreOpenMode::ReadWrite);  // the quick check passes
    QCOMPARE(s.checkNote(), std::string());
    QCOMPARE(s.listRuns().size(), std::size_t{kRuns});
  }

  void damagedStoreIsNotWritten() {
    const std::string path = file("damaged.sqlite");
    writeStore(path);
    damageMiddlePages(path);
    const QByteArray before = [&] {
      QFile f(QString::fromStdString(path));
      return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
    }();
    for (StoreOpenMode mode : {StoreOpenMode::ReadWrite, StoreOpenMode::Create}) {
      try {
        RunStore::open(path, mode);
        QFAIL("a damaged store must not open for writing");
      } catch (const StoreDamaged& e) {
        QVERIFY2(contains(e.what(), path + ": store is damaged (quick_check: ") &&
                     contains(e.what(), "halflab-cli runs check --db " + path) &&
                     contains(e.what(), "--read-only"),
                 e.what());
      }
    }
    try {
      RunWriter w(path);
      QFAIL("a RunWriter must not append to a damaged store");
    } catch (const StoreDamaged& e) {
      QVERIFY2(contains(e.what(), "store is damaged") && contains(e.what(), "nothing is written"), e.what());
    }
    QFile f(QString::fromStdString(path));
    QVERIFY(f.open(QIODevice::ReadOnly));
    QVERIFY2(f.readAll() == before, "refusing a damaged store must leave it as it was");
  }

  // Every series is either complete or an error that says the store is damaged.
  void readersSayDamagedInsteadOfPartialSeries() {
    const std::string path = file("damaged.sqlite");
    const RunStore s = RunStore::open(path, StoreOpenMode::ReadOnly);
    int damaged = 0, complete = 0;
    for (std::int64_t id = 1; id <= kRuns; ++id) {
      for (const char* key : {"loss", "scale", "grad_norm", "underflow", "step_time_ms"}) {
        try {
          const auto series = s.metricSeries(id, key);
          QCOMPARE(series.size(), std::size_t{kSteps});
          ++complete;
        } catch (const StoreDamaged& e) {
          QVERIFY2(contains(e.what(), "store is damaged") && contains(e.what(), "runs check"), e.what());
          ++damaged;
        }
      }
    }
    QVERIFY2(damaged > 0, "the damaged pages hold metrics: some series must report it");
    qInfo("series: %d complete, %d reported as damaged", complete, damaged);
  }

  void fullCheckListsTheDamage() {
    const store::IntegrityReport r = store::checkStoreFile(file("damaged.sqlite"));
    QVERIFY(!r.healthy());
    QVERIFY(r.problems.size() > 1);
    for (const auto& p : r.problems) QVERIFY2(p.find('\n') == std::string::npos, p.c_str());
  }

  void overwrittenHeaderIsDamageToo() {
    const std::string path = file("header.sqlite");
    writeStore(path);
    {
      QFile f(QString::fromStdString(path));
      QVERIFY(f.open(QIODevice::ReadWrite));
      QCOMPARE(f.write(QByteArray(100, '\0')), qint64(100));
    }
    const store::IntegrityReport r = store::checkStoreFile(path);
    QCOMPARE(r.problems.size(), std::size_t{1});
    QVERIFY2(contains(r.problems.front(), "does not start with SQLite's header"), r.problems.front().c_str());
  }

  // A huge store must still open fast: the check on open stops at its budget and says so.
  void quickCheckStopsAtItsBudget() {
    const std::string path = file("big.sqlite");
    writeStore(path);
    SQLite::Database db(path, SQLite::OPEN_READONLY);
    const store::IntegrityReport cut = store::checkIntegrity(db, true, std::chrono::milliseconds(1));
    QVERIFY(!cut.complete);
    QVERIFY(cut.problems.empty());
    const std::string note = store::requireHealthyOnOpen(db, path, std::chrono::milliseconds(1));
    QVERIFY2(contains(note, "cut short") && contains(note, "runs check --db " + path), note.c_str());
    const store::IntegrityReport whole = store::checkIntegrity(db, true, std::chrono::milliseconds(0));
    QVERIFY(whole.healthy());
  }
};

QTEST_GUILESS_MAIN(TestStoreIntegrity)
#include "test_store_integrity.moc"

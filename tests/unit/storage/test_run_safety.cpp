// A run that could not be stored is known as such (RunWriter::runProblem, so the CLI can
// fail and write the run elsewhere), and a run that is still training cannot be deleted
// from under its writer (RunStore::deleteRun, used by the CLI and the GUI).
#include <QTemporaryDir>
#include <QtTest>

#include <string>

#include <SQLiteCpp/Database.h>

#include "storage/run_store.hpp"
#include "storage/run_writer.hpp"
#include "storage/store_schema.hpp"
#include "store_test_support.hpp"

using namespace halflab;

namespace {

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

void steps(RunWriter& w, int n) {
  for (int s = 1; s <= n; ++s) w.onStep(test::syntheticStep(s, s));
}

}  // namespace

class TestRunSafety : public QObject {
  Q_OBJECT

 private:
  QTemporaryDir dir_;
  std::string file(const char* name) const { return dir_.filePath(name).toStdString(); }

 private slots:
  void storedRunHasNoProblem() {
    RunWriter w(file("ok.sqlite"));
    w.onRunStarted(test::syntheticRunInfo("fine"));
    steps(w, 500);
    w.onRunFinished(RunSummary{});
    QCOMPARE(w.runProblem(), std::string());
    QCOMPARE(w.unstoredRecords(), std::int64_t{0});
  }

  void stalledWriterMeansNotStored() {
    const std::string path = file("locked.sqlite");
    RunStore::open(path, StoreOpenMode::Create);
    SQLite::Database other(path, SQLite::OPEN_READWRITE);
    other.exec("BEGIN IMMEDIATE");  // a writer that never commits
    other.exec("UPDATE runs SET notes = notes");
    RunWriterOptions opt;
    opt.busy_timeout_ms = 100;
    RunWriter w(path, opt);
    w.onRunStarted(test::syntheticRunInfo("blocked"));
    steps(w, 100);
    w.onRunFinished(RunSummary{});
    QVERIFY2(contains(w.runProblem(), "database is locked by another writer"), w.runProblem().c_str());
    QVERIFY(w.unstoredRecords() > 100);
    other.exec("ROLLBACK");
    // A later run that gets through has no problem of its own.
    w.onRunStarted(test::syntheticRunInfo("after the lock"));
    steps(w, 10);
    w.onRunFinished(RunSummary{});
    QCOMPARE(w.runProblem(), std::string());
  }

  void fullDiskMeansNotStored() {
    const std::string path = file("full.sqlite");
    RunStore::open(path, StoreOpenMode::Create);
    const int pages = [&] {
      SQLite::Database db(path, SQLite::OPEN_READONLY);
      return db.execAndGet("PRAGMA page_count").getInt();
    }();
    RunWriterOptions opt;
    opt.max_page_count = pages + 12;
    opt.max_pending_records = 2000;
    RunWriter w(path, opt);
    w.onRunStarted(test::syntheticRunInfo("fills the disk"));
    steps(w, 20000);
    w.onRunFinished(RunSummary{});
    const std::string problem = w.runProblem();
    QVERIFY2(contains(problem, "step records were dropped") && contains(problem, "disk full"), problem.c_str());
  }

  void runStillTrainingIsNotDeleted() {
    const std::string path = file("live.sqlite");
    RunWriter w(path);
    w.onRunStarted(test::syntheticRunInfo("training"));
    steps(w, 10);
    QVERIFY(w.flush());
    const std::int64_t id = w.runId();
    {
      RunStore s = RunStore::open(path, StoreOpenMode::ReadWrite);
      try {
        s.deleteRun(id);
        QFAIL("deleting a run that is still training must be refused");
      } catch (const StoreError& e) {
        QVERIFY2(contains(e.what(), "run " + std::to_string(id) + " is still training") &&
                     contains(e.what(), "wait for it to finish"),
                 e.what());
      }
      QVERIFY(s.findRun(id).has_value());
    }
    w.onRunFinished(RunSummary{});
    RunStore s = RunStore::open(path, StoreOpenMode::ReadWrite);
    s.deleteRun(id);  // finished: fine
    QVERIFY(!s.findRun(id).has_value());
  }

  void runOfADeadWriterCanBeDeleted() {
    const std::string path = file("dead.sqlite");
    std::int64_t id = 0;
    {
      RunWriter w(path);
      w.onRunStarted(test::syntheticRunInfo("orphan"));
      QVERIFY(w.flush());
      id = w.runId();
    }
    {
      // As if its process had died mid-run: still `running`, a writer that is gone.
      SQLite::Database db(path, SQLite::OPEN_READWRITE);
      db.exec("UPDATE runs SET status = 'running', writer_pid = 999999999 WHERE id = " + std::to_string(id));
    }
    RunStore s = RunStore::open(path, StoreOpenMode::ReadWrite);
    s.deleteRun(id);
    QVERIFY(!s.findRun(id).has_value());
  }
};

QTEST_GUILESS_MAIN(TestRunSafety)
#include "test_run_safety.moc"

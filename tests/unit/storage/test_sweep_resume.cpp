// `halflab-cli sweep` end to end on a small synthetic set: cells run in parallel into one
// store, tagged with the sweep id and cell; SIGKILL of the driver mid-sweep, then the same
// command again: no cell has two finished runs, none is missing, and the interrupted cells
// were run again. Also the cell plan (grid x seeds), a bad cell, and the grouped report.
#include <QtTest>

#include <csignal>
#include <map>
#include <set>

#include "storage/run_store.hpp"

using namespace halflab;

namespace {

QStringList sweepArgs(const QString& db, const QString& steps) {
  return {"sweep", "--dataset", "spirals", "--max-steps", steps, "--threads", "1",
          "--grid", "precision.mode=fp32,bf16-amp", "--seeds", "2", "--workers", "2",
          "--db", db};
}

std::vector<RunRow> sweepRuns(const std::string& db) {
  const RunStore s = RunStore::open(db, StoreOpenMode::ReadWrite);
  return s.listRuns();
}

}  // namespace

class TestSweepResume : public QObject {
  Q_OBJECT

 private:
  QTemporaryDir dir_;

 private slots:
  void planListsGridTimesSeeds() {
    QProcess p;
    p.start(HALFLAB_CLI_PATH, {"sweep", "--dataset", "spirals", "--grid", "precision.mode=fp32,fp16-amp",
                               "--grid", "optimizer.lr=1e-3,3e-3", "--seeds", "3", "--dry-run"});
    QVERIFY(p.waitForFinished(30000));
    QCOMPARE(p.exitCode(), 0);
    const QString out = p.readAllStandardOutput();
    QVERIFY2(out.contains(": 12 cell(s)"), qPrintable(out));
    QVERIFY2(out.contains("optimizer.lr=0.003 precision.mode=fp16-amp seed=3"), qPrintable(out));
  }

  void badCellIsRefusedBeforeAnythingRuns() {
    const QString db = dir_.filePath("bad.sqlite");
    QProcess p;
    p.start(HALFLAB_CLI_PATH, {"sweep", "--dataset", "spirals", "--grid", "training.batch_size=32,-4",
                               "--db", db});
    QVERIFY(p.waitForFinished(30000));
    QCOMPARE(p.exitCode(), 2);
    const QString err = p.readAllStandardError();
    QVERIFY2(err.contains("sweep cell 'training.batch_size=-4 seed=1': invalid config: training.batch_size: must be between 1 and 65536"),
             qPrintable(err));
    QVERIFY(!QFile::exists(db));
  }

  void killedDriverResumesWithoutRunningACellTwice() {
    const std::string db = dir_.filePath("sweep.sqlite").toStdString();
    const QStringList args = sweepArgs(QString::fromStdString(db), "2500");
    QProcess driver;
    driver.start(HALFLAB_CLI_PATH, args);
    QVERIFY(driver.waitForStarted());
    // Kill the driver once a cell has finished and others are training.
    bool mid_sweep = false;
    for (int i = 0; i < 600 && !mid_sweep; ++i) {
      QTest::qWait(100);
      if (!QFile::exists(QString::fromStdString(db))) continue;
      int done = 0, running = 0;
      try {
        for (const RunRow& r : RunStore::open(db, StoreOpenMode::ReadOnly).listRuns()) {
          done += r.status == RunStatus::Completed;
          running += r.status == RunStatus::Running;
        }
      } catch (const StoreError&) {
        continue;  // created, schema not written yet
      }
      mid_sweep = done >= 1 && running >= 1;
    }
    QVERIFY2(mid_sweep, "the sweep never had a finished and a running cell at once");
    ::kill(static_cast<pid_t>(driver.processId()), SIGKILL);
    QVERIFY(driver.waitForFinished());

    // The workers stop with their driver (stored cancelled, or interrupted).
    std::map<std::string, int> finished_before;
    for (int i = 0; i < 100; ++i) {
      bool live = false;
      for (const RunRow& r : sweepRuns(db)) live = live || r.status == RunStatus::Running;
      if (!live) break;
      QTest::qWait(100);
    }
    int unfinished = 0;
    for (const RunRow& r : sweepRuns(db)) {
      QVERIFY2(r.status != RunStatus::Running, "a worker outlived its killed driver");
      if (r.status == RunStatus::Completed) ++finished_before[r.cell];
      else ++unfinished;
    }
    QVERIFY(finished_before.size() < 4);

    QProcess resume;
    resume.start(HALFLAB_CLI_PATH, args);
    QVERIFY(resume.waitForFinished(300000));
    const QString err = resume.readAllStandardError();
    QVERIFY2(resume.exitCode() == 0, qPrintable(err));
    QVERIFY2(err.contains(QString("4 cells, %1 already finished").arg(finished_before.size())), qPrintable(err));
    std::map<std::string, int> finished;
    std::set<std::string> sweeps;
    for (const RunRow& r : sweepRuns(db)) {
      if (r.status == RunStatus::Completed) ++finished[r.cell];
      sweeps.insert(r.sweep_id);
    }
    QCOMPARE(finished.size(), std::size_t{4});  // none lost
    for (const auto& [cell, n] : finished) QVERIFY2(n == 1, cell.c_str());  // none twice
    for (const auto& [cell, n] : finished_before) QCOMPARE(finished[cell], 1);
    QCOMPARE(sweeps.size(), std::size_t{1});
    QVERIFY(sweeps.begin()->rfind("sw-", 0) == 0);
    qInfo("finished before the kill: %zu cells, unfinished runs left by the kill: %d",
          finished_before.size(), unfinished);

    // The report groups the four runs by mode, two seeds each.
    const QString out = resume.readAllStandardOutput();
    QVERIFY2(out.contains("bf16-amp vs fp32: "), qPrintable(out));
    QVERIFY2(out.contains("at n = 2"), qPrintable(out));

    // A third run finds nothing to do.
    QProcess again;
    again.start(HALFLAB_CLI_PATH, args);
    QVERIFY(again.waitForFinished(60000));
    QCOMPARE(again.exitCode(), 0);
    QVERIFY(QString(again.readAllStandardError()).contains("4 cells, 4 already finished, 0 to run"));
  }
};

QTEST_GUILESS_MAIN(TestSweepResume)
#include "test_sweep_resume.moc"

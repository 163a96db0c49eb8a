// SQLite's own discipline applied to the run store: a trainer writing into the store is
// killed with SIGKILL at random moments, again and again. After every kill the database
// must pass integrity_check, the run must read as `interrupted` once the store is opened
// read-write, and the metrics up to about a second before the kill must be there.
//
// The child is the real trainer (`halflab-cli train --db FILE --config spirals.json`:
// the spirals MLP, with 2000 epochs so that no run finishes before its kill); if that binary cannot train, a child mode of this test drives RunWriter with synthetic
// records at a realistic rate instead (the output says which one ran).
#include <QCoreApplication>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <random>
#include <thread>

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>
#include <signal.h>

#include "storage/run_store.hpp"
#include "storage/store_schema.hpp"
#include "../unit/storage/store_test_support.hpp"

using namespace halflab;

namespace {

constexpr const char* kChildEnv = "HALFLAB_STORE_CRASH_CHILD";
constexpr int kKills = 20;
// The writer commits at least every 250 ms; "about one second" leaves room for a loaded
// machine (the check is on what survived, not on speed).
constexpr double kMaxLossMs = 1000.0;
constexpr double kSchedulerSlackMs = 500.0;

bool cliCanTrain() {
  QProcess p;
  p.start(HALFLAB_CLI_PATH, {"train", "--help"});
  return p.waitForFinished(10000) && p.exitStatus() == QProcess::NormalExit && p.exitCode() == 0 &&
         p.readAllStandardOutput().contains("--db");
}

// The newest run id and its status, or 0 while the child has not created it yet.
std::pair<std::int64_t, RunStatus> newestRun(const std::string& path) {
  try {
    RunStore s = RunStore::open(path, StoreOpenMode::ReadOnly);
    const auto rows = s.listRuns();
    if (rows.empty()) return {0, RunStatus::Pending};
    return {rows.front().id, rows.front().status};
  } catch (const StoreError&) {
    return {0, RunStatus::Pending};  // not created yet
  }
}

}  // namespace

class TestStoreCrash : public QObject {
  Q_OBJECT

 private slots:
  void killWriterRepeatedly() {
    QTemporaryDir dir;
    const std::string db = dir.filePath("crash.sqlite").toStdString();
    const QString config = dir.filePath("spirals.json");
    {
      std::ofstream cfg(config.toStdString());
      cfg << R"({"dataset":{"kind":"spirals"},"model":{"preset":"mlp","hidden":[64,64]},)"
             R"("training":{"epochs":2000,"batch_size":32}})";  // outlasts any kill delay
    }
    const bool use_cli = cliCanTrain();
    qInfo("child: %s", use_cli ? "halflab-cli train (the real trainer)"
                               : "synthetic RunWriter child (halflab-cli train unavailable)");

    std::mt19937 rng(12345);
    std::uniform_int_distribution<int> kill_after_ms(50, 1500);
    double worst_gap_ms = 0;
    std::int64_t previous_id = 0;
    const auto t_start = std::chrono::steady_clock::now();

    for (int round = 0; round < kKills; ++round) {
      QProcess child;
      child.setProcessChannelMode(QProcess::ForwardedErrorChannel);
      if (use_cli) {
        child.start(HALFLAB_CLI_PATH, {"train", "--db", QString::fromStdString(db), "--config",
                                       config, "-q", "--name",
                                       QString("crash round %1").arg(round)});
      } else {
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(kChildEnv, QString::fromStdString(db));
        child.setProcessEnvironment(env);
        child.start(QCoreApplication::applicationFilePath(), {});
      }
      QVERIFY(child.waitForStarted(10000));

      // Wait for this round's run row, then let it train for a random while.
      std::int64_t id = 0;
      for (int i = 0; i < 1000 && id <= previous_id; ++i) {
        QVERIFY2(child.state() == QProcess::Running, "the child ended before its run started");
        id = newestRun(db).first;
        if (id <= previous_id) std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
      QVERIFY2(id > previous_id, "the child never created its run row");
      previous_id = id;
      std::this_thread::sleep_for(std::chrono::milliseconds(kill_after_ms(rng)));
      QCOMPARE(child.state(), QProcess::Running);  // 2000 epochs outlast any kill delay
      ::kill(static_cast<pid_t>(child.processId()), SIGKILL);
      const std::int64_t killed_ms = store::nowEpochMs();
      QVERIFY(child.waitForFinished(10000));
      QCOMPARE(child.exitStatus(), QProcess::CrashExit);

      {
        SQLite::Database raw(db, SQLite::OPEN_READONLY);
        QCOMPARE(raw.execAndGet("PRAGMA integrity_check").getString(), std::string("ok"));
        SQLite::Statement fk(raw, "PRAGMA foreign_key_check");
        QVERIFY2(!fk.executeStep(), "rows that point at missing runs");
      }
      RunStore store = RunStore::open(db, StoreOpenMode::ReadWrite);
      const RunRow run = store.run(id);
      QCOMPARE(run.status, RunStatus::Interrupted);
      const auto loss = store.metricSeries(id, "loss");
      const double last_ms = static_cast<double>(run.started_ms) +
                             (loss.empty() ? 0.0 : loss.back().wall_ms);
      const double gap_ms = static_cast<double>(killed_ms) - last_ms;
      worst_gap_ms = std::max(worst_gap_ms, gap_ms);
      qInfo("round %2d: run %lld killed after %zu steps, last committed %.0f ms before the kill",
            round, static_cast<long long>(id), loss.size(), gap_ms);
      QVERIFY2(gap_ms <= kMaxLossMs + kSchedulerSlackMs,
               qPrintable(QString("lost %1 ms of metrics").arg(gap_ms)));
      // Steps are contiguous from 1: nothing in the middle went missing.
      for (std::size_t i = 0; i < loss.size(); ++i)
        QCOMPARE(loss[i].step, static_cast<std::int64_t>(i + 1));
    }
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t_start).count();
    qInfo("%d kills in %.1f s; worst gap between the last committed step and the kill: %.0f ms",
          kKills, seconds, worst_gap_ms);
    RunStore store = RunStore::open(db, StoreOpenMode::ReadOnly);
    QCOMPARE(store.listRuns({"", "", "", "interrupted"}).size(), std::size_t{kKills});
  }
};

int main(int argc, char** argv) {
  // Fallback child: synthetic steps at ~3 kHz until killed.
  if (const char* db = std::getenv(kChildEnv)) return test::runWriterChild(db, 1000000000, 300);
  QCoreApplication app(argc, argv);
  TestStoreCrash t;
  return QTest::qExec(&t, argc, argv);
}

#include "test_store_crash.moc"

// A real single-node Slurm cluster (tests/slurm/start_slurm.sh: Debian's slurm-wlm and
// munge, configured and started here, as root) runs a small sweep through
// `halflab-cli sweep --slurm` as a job array, one store per cell; `sweep --status` follows
// it, `runs merge` joins the stores, and the merged store must match a local run of the
// same sweep cell for cell: same sweep id and cells, the same final metrics and the same
// loss curve bit for bit (CPU, one thread each). Fails, never skips, when Slurm cannot be
// started.
#include <QtTest>

#include <map>

#include "storage/run_store.hpp"

using namespace halflab;

namespace {

struct Result {
  int code = -1;
  QString out, err;
};

Result run(const QString& program, const QStringList& args, int timeout_ms = 120000) {
  QProcess p;
  p.start(program, args);
  Result r;
  if (!p.waitForStarted()) {
    r.err = "cannot start " + program;
    return r;
  }
  if (!p.waitForFinished(timeout_ms)) {
    p.kill();
    p.waitForFinished();
    r.err = program + " timed out";
  }
  r.code = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
  r.out = p.readAllStandardOutput();
  r.err += p.readAllStandardError();
  return r;
}

const QStringList kSweep{"--dataset", "spirals", "--max-steps", "300", "--grid",
                         "precision.mode=fp32,bf16-amp,fp16-amp", "--seeds", "2"};

std::map<std::string, RunRow> finishedByCell(const std::string& db) {
  const RunStore s = RunStore::open(db, StoreOpenMode::ReadWrite);
  std::map<std::string, RunRow> by;
  for (const RunRow& r : s.listRuns())
    if (r.status == RunStatus::Completed) by[r.cell] = r;
  return by;
}

}  // namespace

class TestSlurmSweep : public QObject {
  Q_OBJECT

 private:
  QTemporaryDir dir_{"/tmp/halflab-slurm-XXXXXX"};  // the "shared folder": slurmd runs here too

 private slots:
  void initTestCase() {
    const Result r = run(HALFLAB_SOURCE_DIR "/tests/slurm/start_slurm.sh", {}, 900000);
    QVERIFY2(r.code == 0, qPrintable("Slurm could not be started: " + r.err + r.out));
  }

  void sweepOnSlurmMatchesLocalRun() {
    const QString cli = HALFLAB_CLI_PATH;
    const QString sdir = dir_.filePath("slurm");
    Result r = run(cli, QStringList{"sweep"} + kSweep + QStringList{"--slurm", "--dir", sdir, "--cpus-per-task", "1",
                                                                    "--time", "00:10:00"});
    QVERIFY2(r.code == 0, qPrintable(r.err));
    QVERIFY2(r.out.contains("submitted job array") && r.out.contains("with 6 task(s)"), qPrintable(r.out));
    QVERIFY(QFile::exists(sdir + "/job.sh"));

    // Follow it with --status until every cell's store holds a finished run.
    QString status;
    bool saw_queue = false;
    for (int i = 0; i < 600; ++i) {
      r = run(cli, {"sweep", "--status", "--dir", sdir});
      QVERIFY2(r.code == 0, qPrintable(r.err));
      status = r.out;
      saw_queue = saw_queue || status.contains("squeue (job ");
      if (status.contains("all cells finished")) break;
      QTest::qWait(500);
    }
    QVERIFY2(status.contains("6 cell(s): 6 finished"), qPrintable(status));
    QVERIFY2(saw_queue, qPrintable(status));

    // Resubmitting a finished sweep submits nothing.
    r = run(cli, QStringList{"sweep"} + kSweep + QStringList{"--slurm", "--dir", sdir});
    QVERIFY2(r.code == 0 && r.out.contains("every cell already has a finished run"), qPrintable(r.out + r.err));

    QStringList stores;
    for (const QString& f : QDir(sdir + "/stores").entryList({"*.sqlite"}, QDir::Files, QDir::Name))
      stores << sdir + "/stores/" + f;
    QCOMPARE(stores.size(), 6);
    const QString merged = dir_.filePath("merged.sqlite");
    r = run(cli, QStringList{"runs", "merge"} + stores + QStringList{"--into", merged});
    QVERIFY2(r.code == 0 && r.out.contains("merged 6 run(s)"), qPrintable(r.out + r.err));

    const QString local = dir_.filePath("local.sqlite");
    r = run(cli, QStringList{"sweep"} + kSweep + QStringList{"--threads", "1", "--workers", "2", "--db", local}, 600000);
    QVERIFY2(r.code == 0, qPrintable(r.err));

    const auto a = finishedByCell(merged.toStdString()), b = finishedByCell(local.toStdString());
    QCOMPARE(a.size(), std::size_t{6});
    QCOMPARE(b.size(), std::size_t{6});
    const RunStore ms = RunStore::open(merged.toStdString(), StoreOpenMode::ReadOnly);
    const RunStore ls = RunStore::open(local.toStdString(), StoreOpenMode::ReadOnly);
    for (const auto& [cell, x] : a) {
      QVERIFY2(b.count(cell), cell.c_str());
      const RunRow& y = b.at(cell);
      QCOMPARE(x.sweep_id, y.sweep_id);
      QCOMPARE(x.seed, y.seed);
      QCOMPARE(x.summary->steps, y.summary->steps);
      QCOMPARE(x.summary->final_loss, y.summary->final_loss);
      QCOMPARE(x.summary->final_val_accuracy, y.summary->final_val_accuracy);
      QCOMPARE(x.summary->best_val_accuracy, y.summary->best_val_accuracy);
      QCOMPARE(x.summary->skipped_steps, y.summary->skipped_steps);
      QCOMPARE(x.summary->final_scale, y.summary->final_scale);
      const auto cx = ms.metricSeries(x.id, "loss"), cy = ls.metricSeries(y.id, "loss");
      QCOMPARE(cx.size(), cy.size());
      for (std::size_t i = 0; i < cx.size(); ++i) QCOMPARE(cx[i].value, cy[i].value);
    }
    // And the grouped report over the merged store.
    r = run(cli, {"runs", "compare", "--db", merged, "--sweep", QString::fromStdString(a.begin()->second.sweep_id)});
    QVERIFY2(r.code == 0 && r.out.contains("bf16-amp vs fp32: ") && r.out.contains("at n = 2"), qPrintable(r.out + r.err));
  }
};

QTEST_GUILESS_MAIN(TestSlurmSweep)
#include "test_slurm_sweep.moc"

// `halflab-cli runs ...` end to end on a store filled through RunWriter.
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

#include <fstream>

#include <nlohmann/json.hpp>

#include "storage/run_store.hpp"
#include "storage/run_writer.hpp"
#include "store_test_support.hpp"

using namespace halflab;

namespace {

struct CliResult {
  int code = -1;
  QString out, err;
};

CliResult cli(const QStringList& args) {
  QProcess p;
  p.start(HALFLAB_CLI_PATH, args);
  CliResult r;
  if (!p.waitForFinished(60000)) return r;
  r.code = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
  r.out = QString::fromUtf8(p.readAllStandardOutput());
  r.err = QString::fromUtf8(p.readAllStandardError());
  return r;
}

std::int64_t writeRun(const std::string& path, const std::string& name, const std::string& mode,
                      double wall_s, int overflow_events) {
  RunWriter w(path);
  w.onRunStarted(test::syntheticRunInfo(name, mode));
  for (int s = 1; s <= 50; ++s) {
    StepRecord step = test::syntheticStep(s, s * 10.0);
    step.step_time_ms = wall_s * 20.0;  // `runs compare` times steps, not whole runs
    w.onStep(step);
  }
  for (int i = 0; i < overflow_events; ++i)
    w.onEvent({i + 1, EventKind::Overflow, 65536, "overflow", 0});
  EvalRecord e{50, 0, 0.3, 0.9, 0.35, 0.875, 500};
  w.onEval(e);
  RunSummary s;
  s.steps = 50;
  s.final_loss = 0.125;
  s.final_val_accuracy = 0.875;
  s.best_val_accuracy = 0.9;
  s.wall_time_s = wall_s;
  s.skipped_steps = 1;
  s.final_scale = 32768;
  s.device = "cpu (2 threads)";  // computed memory: shown as an estimate
  w.onRunFinished(s);
  return w.runId();
}

}  // namespace

class TestRunsCli : public QObject {
  Q_OBJECT

 private:
  QTemporaryDir dir_;
  std::string db_;
  QString db() const { return QString::fromStdString(db_); }

 private slots:
  void initTestCase() {
    const CliResult help = cli({"runs", "--help"});
    if (help.code != 0) QSKIP("halflab-cli has no `runs` command in this build");
    db_ = dir_.filePath("cli.sqlite").toStdString();
    QCOMPARE(writeRun(db_, "fp32 baseline", "fp32", 10.0, 0), std::int64_t{1});
    QCOMPARE(writeRun(db_, "fp16 fast", "fp16-amp", 4.0, 3), std::int64_t{2});
  }

  void list() {
    const CliResult r = cli({"runs", "--db", db(), "list"});
    QCOMPARE(r.code, 0);
    for (const char* s : {"id", "name", "status", "mode", "seed", "val acc", "loss", "wall s",
                          "skipped", "fp32 baseline", "fp16 fast", "87.50%", "0.125", "completed"})
      QVERIFY2(r.out.contains(s), qPrintable(r.out));
    const CliResult f = cli({"runs", "list", "--db", db(), "--mode", "fp16-amp"});
    QCOMPARE(f.code, 0);
    QVERIFY(f.out.contains("fp16 fast"));
    QVERIFY(!f.out.contains("fp32 baseline"));
    const CliResult bad = cli({"runs", "--db", db(), "list", "--status", "sleeping"});
    QVERIFY(bad.code != 0);
    QVERIFY2(bad.err.contains("unknown run status 'sleeping'"), qPrintable(bad.err));
  }

  void show() {
    const CliResult r = cli({"runs", "--db", db(), "show", "2"});
    QCOMPARE(r.code, 0);
    for (const char* s : {"fp16 fast", "dataset.kind = spirals", "model.hidden = [64,64]",
                          "Events: 3", "overflow 3", "val_accuracy", "grad_norm", "87.50%",
                          "peak memory (estimate)"})
      QVERIFY2(r.out.contains(s), qPrintable(r.out));
    const CliResult missing = cli({"runs", "--db", db(), "show", "99"});
    QVERIFY(missing.code != 0);
    QVERIFY2(missing.err.contains("no run with id 99"), qPrintable(missing.err));
    QCOMPARE(missing.err.count('\n'), 1);  // one line
  }

  void compare() {
    const CliResult r = cli({"runs", "--db", db(), "compare", "1", "2"});
    QCOMPARE(r.code, 0);
    for (const char* s : {"final acc", "best acc", "final loss", "speedup", "overflows",
                          "final scale", "2.50x (2.50-2.50)", "1.00x", "90.00%", "32768",
                          "ms/step", "200.000", "80.000"})
      QVERIFY2(r.out.contains(s), qPrintable(r.out));
  }

  void exportCsvAndJson() {
    const QString csv = dir_.filePath("m.csv");
    CliResult r = cli({"runs", "--db", db(), "export", "1", "2", "--format", "csv", "--out", csv});
    QCOMPARE(r.code, 0);
    std::ifstream in(csv.toStdString());
    std::string header;
    std::getline(in, header);
    QCOMPARE(header, std::string("run,step,key,value,wall_time"));
    int rows = 0;
    for (std::string line; std::getline(in, line);) ++rows;
    QCOMPARE(rows, 2 * (50 * 19 + 4));

    const QString json = dir_.filePath("r.json");
    r = cli({"runs", "--db", db(), "export", "2", "--out", json});  // format from extension
    QCOMPARE(r.code, 0);
    std::ifstream jin(json.toStdString());
    const auto j = nlohmann::json::parse(jin);
    QCOMPARE(j["runs"][0]["name"].get<std::string>(), std::string("fp16 fast"));
    QCOMPARE(j["runs"][0]["events"].size(), std::size_t{3});
    QCOMPARE(j["runs"][0]["series"]["loss"]["step"].size(), std::size_t{50});
    QCOMPARE(j["runs"][0]["config"]["model"]["preset"].get<std::string>(), std::string("mlp"));

    r = cli({"runs", "--db", db(), "export", "1", "--format", "xml", "--out", csv});
    QVERIFY(r.code != 0);
    QVERIFY2(r.err.contains("xml"), qPrintable(r.err));
  }

  void tagNoteDelete() {
    QCOMPARE(cli({"runs", "--db", db(), "tag", "1", "paper"}).code, 0);
    QCOMPARE(cli({"runs", "--db", db(), "note", "1", "baseline for the report"}).code, 0);
    {
      RunStore s = RunStore::open(db_, StoreOpenMode::ReadOnly);
      QCOMPARE(s.run(1).tags, std::vector<std::string>{"paper"});
      QCOMPARE(s.run(1).notes, std::string("baseline for the report"));
    }
    CliResult r = cli({"runs", "--db", db(), "list", "--tag", "paper"});
    QVERIFY(r.out.contains("fp32 baseline") && !r.out.contains("fp16 fast"));
    QCOMPARE(cli({"runs", "--db", db(), "tag", "1", "paper", "--remove"}).code, 0);
    QVERIFY(RunStore::open(db_, StoreOpenMode::ReadOnly).run(1).tags.empty());

    r = cli({"runs", "--db", db(), "delete", "2", "77"});  // one bad id: nothing deleted
    QVERIFY(r.code != 0);
    QVERIFY(r.err.contains("no run with id 77"));
    QVERIFY(RunStore::open(db_, StoreOpenMode::ReadOnly).findRun(2).has_value());
    QCOMPARE(cli({"runs", "--db", db(), "delete", "2"}).code, 0);
    QVERIFY(!RunStore::open(db_, StoreOpenMode::ReadOnly).findRun(2).has_value());
  }

  void badStoreFiles() {
    const QString text = dir_.filePath("notes.txt");
    {
      QFile f(text);
      QVERIFY(f.open(QIODevice::WriteOnly));
      f.write("definitely not sqlite\n");
    }
    CliResult r = cli({"runs", "--db", text, "list"});
    QVERIFY(r.code != 0);
    QVERIFY2(r.err.contains(text) && r.err.contains("not an SQLite database"), qPrintable(r.err));
    r = cli({"runs", "--db", dir_.filePath("typo.sqlite"), "list"});
    QVERIFY(r.code != 0);
    QVERIFY2(r.err.contains("typo.sqlite") && r.err.contains("does not exist"), qPrintable(r.err));
    QVERIFY(!QFile::exists(dir_.filePath("typo.sqlite")));
  }

  void benchWriter() {
    const CliResult r = cli({"runs", "bench-writer", "--steps", "5000"});
    QCOMPARE(r.code, 0);
    QVERIFY2(r.out.contains("95000 metric rows") && r.out.contains("rows/s"), qPrintable(r.out));
    qInfo("%s", qPrintable(r.out.trimmed()));
  }
};

QTEST_GUILESS_MAIN(TestRunsCli)
#include "test_runs_cli.moc"

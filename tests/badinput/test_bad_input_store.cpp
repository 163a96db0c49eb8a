// Stores: a run the store cannot take (a stalled writer holding the lock, a full disk)
// is a failure (exit 4) whose records are written to a fallback file the message names;
// a run still training is not deleted; a damaged store is reported (exit 6) by every path
// instead of being appended to or read partially; a read-only store can be browsed.
#include <sys/stat.h>
#include <unistd.h>

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QThread>

#include <cstdio>
#include <iostream>
#include <string>

#include <SQLiteCpp/Database.h>
#include <nlohmann/json.hpp>

#include "cli_case.hpp"
#include "storage/run_store.hpp"

using halflab::test::CliCase;
using halflab::test::CliRun;
using halflab::test::runCli;

namespace {

constexpr const char* kHoldLockEnv = "HALFLAB_TEST_HOLD_WRITE_LOCK";

// A store with real runs (spirals) in dir/s.sqlite.
void storeWithRuns(const QString& dir, int runs, int epochs) {
  for (int i = 0; i < runs; ++i) {
    const CliRun r = runCli({"train", "-q", "--dataset", "spirals", "--epochs", QString::number(epochs), "--db",
                             dir + "/s.sqlite"},
                            dir);
    QVERIFY2(r.code == 0, qPrintable(r.err));
  }
}

// Overwrites the pages between 40% and 60% of the file, as a bad disk or copy would.
void damageMiddlePages(const QString& path) {
  QFile f(path);
  QVERIFY(f.open(QIODevice::ReadWrite));
  const qint64 pages = f.size() / 4096;
  QVERIFY(pages > 20);
  for (qint64 p = pages * 2 / 5; p < pages * 3 / 5; ++p) {
    QVERIFY(f.seek(p * 4096));
    QCOMPARE(f.write(QByteArray(4096, '\x5a')), qint64(4096));
  }
}

void damagedStore(const QString& dir) {
  storeWithRuns(dir, 3, 10);
  damageMiddlePages(dir + "/s.sqlite");
}

QStringList fallbackFiles(const QString& dir) {
  return QDir(dir).entryList({"s.sqlite.unsaved-*.jsonl"}, QDir::Files);
}

// The fallback holds the whole run: run_started first, summary last, valid JSON lines.
void fallbackHoldsTheRun(const QString& dir, const CliRun& r) {
  const QStringList files = fallbackFiles(dir);
  QCOMPARE(files.size(), 1);
  QVERIFY2(r.err.contains(files.front()), qPrintable(r.err));
  QFile f(dir + "/" + files.front());
  QVERIFY(f.open(QIODevice::ReadOnly));
  const QList<QByteArray> lines = f.readAll().trimmed().split('\n');
  QVERIFY(lines.size() > 20);
  QCOMPARE(QString::fromStdString(nlohmann::json::parse(lines.front().toStdString())["type"]), QString("run_started"));
  QCOMPARE(QString::fromStdString(nlohmann::json::parse(lines.back().toStdString())["type"]), QString("summary"));
  int steps = 0;
  for (const QByteArray& line : lines)
    steps += nlohmann::json::parse(line.toStdString())["type"] == "step" ? 1 : 0;
  QCOMPARE(steps, 19 * 5);  // spirals: 19 steps per epoch, 5 epochs
  QVERIFY2(r.err.contains(QString("all %1 records of the run were written to").arg(lines.size())), qPrintable(r.err));
}

std::vector<CliCase> table() {
  const QString db = "{dir}/s.sqlite";
  const QStringList train5 = {"train", "-q", "--dataset", "spirals", "--epochs", "5", "--db", db};
  return {
      // Full disk (RLIMIT_FSIZE): the store's writes fail, the ~52 KB fallback fits.
      {.name = "full disk: run goes to the fallback",
       .args = train5,
       .exit_code = 4,
       .message = "^halflab-cli: run store \\S*s\\.sqlite: cannot write the file \\(disk full, file size limit or "
                  "I/O error: .*\\); run 'mlp fp32 seed 1' is not completely stored: .*; all \\d+ records of "
                  "the run were written to \\S*s\\.sqlite\\.unsaved-\\S+\\.jsonl instead \\(JSON lines, the --jsonl "
                  "format\\)\n$",
       .setup = [](const QString& dir) { storeWithRuns(dir, 1, 1); },
       .file_size_limit = 65536,
       .after = fallbackHoldsTheRun},
      // Nowhere to write even the copy: say what is lost.
      {.name = "full disk everywhere: what is lost is said",
       .args = train5,
       .exit_code = 4,
       .message = "is not completely stored: .*; the copy could not be written anywhere either \\(.*File too "
                  "large.*\\), so \\d+ records of the run are lost\n$",
       .setup = [](const QString& dir) { storeWithRuns(dir, 1, 1); },
       .file_size_limit = 40000,  // the -shm (32 KiB) fits, the ~52 KB copy does not
       .after = [](const QString& dir, const CliRun&) {
         QVERIFY2(fallbackFiles(dir).isEmpty(), "a short copy must not be left behind");
       }},
      // A damaged store: nothing appended, readers say so, the check lists the damage.
      {.name = "damaged store: train refuses it",
       .args = {"train", "-q", "--dataset", "spirals", "--db", db},
       .exit_code = 6,
       .message = "^halflab-cli: run store: \\S*s\\.sqlite: store is damaged \\(quick_check: .*\\); nothing is "
                  "written to it\\. See the damage with `halflab-cli runs check --db \\S*s\\.sqlite`",
       .setup = damagedStore},
      {.name = "damaged store: runs list refuses to open it for writing",
       .args = {"runs", "--db", db, "list"},
       .exit_code = 6,
       .message = "store is damaged \\(quick_check: .*; browse what is readable with `halflab-cli runs --read-only",
       .setup = damagedStore},
      {.name = "damaged store: a reader says so instead of a partial export",
       .args = {"runs", "--db", db, "--read-only", "export", "1", "2", "3", "--out", "{dir}/all.csv"},
       .exit_code = 6,
       .message = "^halflab-cli: \\S*s\\.sqlite: store is damaged \\(database disk image is malformed\\); see the "
                  "damage with `halflab-cli runs check",
       .setup = damagedStore},
      {.name = "damaged store: runs check lists the damage",
       .args = {"runs", "--db", db, "check"},
       .exit_code = 6,
       .message = "s\\.sqlite: damaged \\(\\d+\\+? problem\\(s\\) found\\)\n  (Page \\d+|.*btree).*\nNothing is written "
                  "to a damaged store\\. To save what is readable: sqlite3 .*\\.recover",
       .setup = damagedStore},
      {.name = "overwritten header: runs check",
       .args = {"runs", "--db", db, "check"},
       .exit_code = 6,
       .message = "damaged \\(1 problem\\(s\\) found\\)\n  the file does not start with SQLite's header",
       .setup = [](const QString& dir) {
         storeWithRuns(dir, 1, 1);
         QFile f(dir + "/s.sqlite");
         QVERIFY(f.open(QIODevice::ReadWrite));
         f.write(QByteArray(100, '\0'));
       }},
      {.name = "healthy store: runs check",
       .args = {"runs", "--db", db, "check"},
       .exit_code = 0,
       .message = "^\\S*s\\.sqlite: ok \\(integrity check found no problems; [0-9.]+ MiB, [0-9.]+ s\\)\n$",
       .setup = [](const QString& dir) { storeWithRuns(dir, 2, 1); }},
      {.name = "runs check on a missing store",
       .args = {"runs", "--db", "{dir}/nope.sqlite", "check"},
       .exit_code = 1,
       .message = "nope\\.sqlite: no such run store"},
  };
}

// Child body: holds a write transaction on the store until stdin closes (a stalled
// writer: a process that took the lock and never commits).
int holdWriteLock(const char* path) {
  try {
    SQLite::Database db(path, SQLite::OPEN_READWRITE);
    db.exec("BEGIN IMMEDIATE");
    db.exec("UPDATE runs SET notes = notes");
    std::printf("locked\n");
    std::fflush(stdout);
    std::string line;
    while (std::getline(std::cin, line)) {
    }
    db.exec("ROLLBACK");
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "lock holder: %s\n", e.what());
    return 1;
  }
}

// Runs the CLI as an unprivileged user when the tests run as root (root ignores file
// modes), so that a 0444 file in a 0555 folder is really read-only for it.
CliRun runUnprivileged(const QStringList& args, const QString& dir) {
  QProcess p;
  p.setWorkingDirectory("/");
  QProcessEnvironment e = QProcessEnvironment::systemEnvironment();
  e.insert("HOME", dir);
  e.insert("XDG_DATA_HOME", dir + "/xdg");
  p.setProcessEnvironment(e);
  if (::geteuid() == 0)
    p.setChildProcessModifier([] {
      if (::setgid(65534) != 0 || ::setuid(65534) != 0) ::_exit(98);
    });
  p.start(HALFLAB_CLI_PATH, args);
  CliRun r;
  if (!p.waitForStarted(10000) || !p.waitForFinished(60000)) return r;
  r.code = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
  r.out = QString::fromUtf8(p.readAllStandardOutput());
  r.err = QString::fromUtf8(p.readAllStandardError());
  return r;
}

QString report(const QStringList& args, const CliRun& r) {
  return QString("halflab-cli %1\n  exit %2\n  stderr: %3\n  stdout: %4").arg(args.join(' ')).arg(r.code).arg(r.err, r.out);
}

}  // namespace

class TestBadInputStore : public QObject {
  Q_OBJECT
 private slots:
  HALFLAB_CLI_CASES(table)

  // A real stalled writer: another process took the write lock and never commits.
  void stalledWriterRunGoesToTheFallback() {
    QTemporaryDir tmp;
    const QString dir = tmp.path();
    storeWithRuns(dir, 1, 1);
    QProcess holder;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(kHoldLockEnv, dir + "/s.sqlite");
    holder.setProcessEnvironment(env);
    holder.start(QCoreApplication::applicationFilePath(), QStringList{});
    QVERIFY(holder.waitForStarted(10000));
    QVERIFY2(holder.waitForReadyRead(10000) && holder.readLine().trimmed() == "locked",
             qPrintable(QString::fromUtf8(holder.readAllStandardError())));

    const QStringList args = {"train", "-q", "--dataset", "spirals", "--epochs", "5", "--db", dir + "/s.sqlite",
                              "--busy-timeout", "200"};
    const CliRun r = runCli(args, dir);
    holder.closeWriteChannel();
    QVERIFY(holder.waitForFinished(10000));
    QVERIFY2(r.code == 4, qPrintable(report(args, r)));
    QVERIFY2(r.err.contains(QRegularExpression(
                 "^halflab-cli: run store \\S*s\\.sqlite: database is locked by another writer .*; run 'mlp fp32 "
                 "seed 1' is not completely stored: the store has no record of it; all \\d+ records of the run "
                 "were written to \\S+\\.jsonl instead")),
             qPrintable(report(args, r)));
    fallbackHoldsTheRun(dir, r);
    // The store is as it was: one run, and nothing half-written.
    const halflab::RunStore s = halflab::RunStore::open((dir + "/s.sqlite").toStdString(), halflab::StoreOpenMode::ReadOnly);
    QCOMPARE(s.listRuns().size(), std::size_t{1});
  }

  // `runs delete` of a run whose trainer is still going is refused; afterwards it works.
  void runStillTrainingIsNotDeleted() {
    QTemporaryDir tmp;
    const QString dir = tmp.path();
    const QString db = dir + "/s.sqlite";
    QProcess trainer;
    trainer.setWorkingDirectory(dir);
    trainer.start(HALFLAB_CLI_PATH, {"train", "-q", "--dataset", "spirals", "--epochs", "100000", "--db", db});
    QVERIFY(trainer.waitForStarted(10000));
    // Wait (bounded) until its run is in the store.
    QElapsedTimer waited;
    waited.start();
    bool running = false;
    while (!running && waited.elapsed() < 60000) {
      QThread::msleep(50);
      try {
        const auto runs = halflab::RunStore::open(db.toStdString(), halflab::StoreOpenMode::ReadOnly).listRuns();
        running = !runs.empty() && runs.front().status == halflab::RunStatus::Running;
      } catch (const std::exception&) {
      }
    }
    QVERIFY2(running, "the trainer's run never appeared in the store");
    const QStringList del = {"runs", "--db", db, "delete", "1"};
    const CliRun refused = runCli(del, dir);
    trainer.terminate();  // SIGTERM: the run ends as cancelled
    QVERIFY(trainer.waitForFinished(60000));
    QVERIFY2(refused.code == 1, qPrintable(report(del, refused)));
    QVERIFY2(refused.err.contains(QRegularExpression(
                 "^halflab-cli: \\S*s\\.sqlite: run 1 is still training \\(written by process \\d+\\); stop that "
                 "run or wait for it to finish, then delete it\n$")),
             qPrintable(report(del, refused)));
    const CliRun deleted = runCli(del, dir);
    QVERIFY2(deleted.code == 0 && deleted.out.contains("deleted run 1"), qPrintable(report(del, deleted)));
  }

  // A read-only store: mode 0444 (in a folder the user may write), a read-only folder
  // (around a file the user may write), or both. Browsable with --read-only, and every
  // refused write says why.
  void readOnlyStoreIsBrowsable_data() {
    QTest::addColumn<int>("file_mode");
    QTest::addColumn<int>("folder_mode");
    QTest::newRow("file 0444") << 0444 << 0777;
    QTest::newRow("folder 0555") << 0666 << 0555;
    QTest::newRow("file 0444 in folder 0555") << 0444 << 0555;
  }
  void readOnlyStoreIsBrowsable() {
    QFETCH(int, file_mode);
    QFETCH(int, folder_mode);
    QTemporaryDir tmp;
    const QString dir = tmp.path();
    QVERIFY(QDir().mkpath(dir + "/ro"));
    const CliRun made = runCli({"train", "-q", "--dataset", "spirals", "--db", dir + "/ro/s.sqlite"}, dir);
    QCOMPARE(made.code, 0);
    QCOMPARE(::chmod(qPrintable(dir), 0755), 0);
    QCOMPARE(::chmod(qPrintable(dir + "/ro/s.sqlite"), static_cast<mode_t>(file_mode)), 0);
    QCOMPARE(::chmod(qPrintable(dir + "/ro"), static_cast<mode_t>(folder_mode)), 0);
    const QString db = dir + "/ro/s.sqlite";
    struct Expect {
      QStringList args;
      int code;
      QString message;
    };
    const std::vector<Expect> cases = {
        {{"runs", "--db", db, "list"}, 1,
         "^halflab-cli: \\S*s\\.sqlite: store is read-only .*; open it read-only to browse it \\(halflab-cli runs "
         "--read-only\\)\n$"},
        {{"runs", "--db", db, "--read-only", "list"}, 0, "mlp fp32 seed 1  completed"},
        {{"runs", "--db", db, "--read-only", "show", "1"}, 0, "Run 1: mlp fp32 seed 1  \\[completed\\]"},
        {{"runs", "--db", db, "--read-only", "export", "1", "--out", "-"}, 0, "^run,step,key,value,wall_time\n"},
        {{"runs", "--db", db, "check"}, 0, "s\\.sqlite: ok"},
        {{"runs", "--db", db, "--read-only", "delete", "1"}, 1,
         "^halflab-cli: \\S*s\\.sqlite: store is opened read-only; cannot delete a run \\(--read-only was given\\)\n$"},
        {{"runs", "--db", db, "--read-only", "note", "1", "x"}, 1,
         "store is opened read-only; cannot set a note \\(--read-only was given\\)"},
        {{"train", "-q", "--dataset", "spirals", "--db", db}, 1, "^halflab-cli: run store: \\S*s\\.sqlite: store is read-only"},
    };
    for (const Expect& c : cases) {
      const CliRun r = runUnprivileged(c.args, dir);
      QVERIFY2(r.code == c.code, qPrintable(report(c.args, r)));
      const QRegularExpression re(c.message);
      QVERIFY2(re.match(r.err).hasMatch() || re.match(r.out).hasMatch(),
               qPrintable(report(c.args, r) + "\n  expected: " + c.message));
    }
    ::chmod(qPrintable(dir + "/ro"), 0755);  // so the temporary folder can be removed
  }
};

int main(int argc, char** argv) {
  if (const char* path = std::getenv(kHoldLockEnv)) return holdWriteLock(path);
  QCoreApplication app(argc, argv);
  TestBadInputStore t;
  return QTest::qExec(&t, argc, argv);
}

#include "test_bad_input_store.moc"

// Outputs: no output ever lands on the run store (the file, its -wal/-shm/-journal, by a
// symlink, a hard link or a redirected stdout), and it is refused before anything is
// truncated; a full disk or a closed pipe is an error with the reason, never exit 0; and
// names printed for a person carry no raw control characters.
#include <fcntl.h>
#include <unistd.h>

#include <QCryptographicHash>

#include "cli_case.hpp"

using halflab::test::CliCase;
using halflab::test::CliRun;
using halflab::test::runCli;

namespace {

// A name that would retitle the terminal, ring the bell and overwrite the line.
const QString kEvilName = QString::fromUtf8("evil\x1b]0;pwned\x07\rname\x1b[2J");
const QString kEvilNameShown = QRegularExpression::escape("evil\\x1b]0;pwned\\x07\\x0dname\\x1b[2J");

QByteArray hashOf(const QString& path) {
  QFile f(path);
  if (!f.open(QIODevice::ReadOnly)) return {};
  return QCryptographicHash::hash(f.readAll(), QCryptographicHash::Sha256);
}

// A store with one real run (spirals), its hash kept to check it is untouched.
void storeWithRun(const QString& dir, int epochs) {
  const CliRun r = runCli({"train", "-q", "--dataset", "spirals", "--epochs", QString::number(epochs), "--db",
                           dir + "/s.sqlite", "--name", kEvilName},
                          dir);
  QVERIFY2(r.code == 0, qPrintable(r.err));
  QFile::remove(dir + "/s.sqlite.sha");
  halflab::test::writeFile(dir + "/s.sqlite.sha", hashOf(dir + "/s.sqlite"));
}
void storeWithOneRun(const QString& dir) { storeWithRun(dir, 1); }

void storeUntouched(const QString& dir, const CliRun&) {
  QFile sha(dir + "/s.sqlite.sha");
  QVERIFY(sha.open(QIODevice::ReadOnly));
  QVERIFY2(hashOf(dir + "/s.sqlite") == sha.readAll(), "the store file changed");
  const CliRun list = runCli({"runs", "--db", dir + "/s.sqlite", "list"}, dir);
  QVERIFY2(list.code == 0 && list.out.contains("completed"), qPrintable(list.err + list.out));
}

CliCase ontoStore(const QString& name, const QStringList& args, const QString& target_message,
                  std::function<void(const QString&)> extra_setup = {}) {
  return {.name = name,
          .args = args,
          .exit_code = 1,
          .message = target_message + " \\S*s\\.sqlite; ",
          .setup = [extra_setup](const QString& dir) {
            storeWithOneRun(dir);
            if (extra_setup) extra_setup(dir);
          },
          .after = storeUntouched};
}

std::vector<CliCase> table() {
  const QString db = "{dir}/s.sqlite";
  return {
      // The store by any name.
      ontoStore("export --out the store", {"runs", "--db", db, "export", "1", "--out", db},
                "^halflab-cli: \\S*s\\.sqlite: is the run store"),
      ontoStore("export --out the store as json", {"runs", "--db", db, "export", "1", "--format", "json", "--out", db},
                "is the run store"),
      ontoStore("export --out a symlink to the store", {"runs", "--db", db, "export", "1", "--out", "{dir}/link.csv"},
                "link\\.csv: is the run store",
                [](const QString& dir) { QVERIFY(QFile::link(dir + "/s.sqlite", dir + "/link.csv")); }),
      ontoStore("export --out a hard link to the store", {"runs", "--db", db, "export", "1", "--out", "{dir}/hard.csv"},
                "hard\\.csv: is the run store",
                [](const QString& dir) {
                  QCOMPARE(::link(qPrintable(dir + "/s.sqlite"), qPrintable(dir + "/hard.csv")), 0);
                }),
      ontoStore("export --out relative store path", {"runs", "--db", db, "export", "1", "--out", "./s.sqlite"},
                "is the run store"),
      ontoStore("export --out the -wal", {"runs", "--db", db, "export", "1", "--out", db + "-wal"},
                "is the write-ahead log of the run store"),
      ontoStore("export --out the -shm", {"runs", "--db", db, "export", "1", "--out", db + "-shm"},
                "is the shared-memory index of the run store"),
      ontoStore("export --out the -journal", {"runs", "--db", db, "export", "1", "--out", db + "-journal"},
                "is the rollback journal of the run store"),
      ontoStore("train --jsonl the store", {"train", "-q", "--dataset", "spirals", "--db", db, "--jsonl", db},
                "^halflab-cli: --jsonl .*s\\.sqlite: is the run store"),
      ontoStore("train --jsonl a hard link to the store",
                {"train", "-q", "--dataset", "spirals", "--db", db, "--jsonl", "{dir}/h.jsonl"},
                "--jsonl .*h\\.jsonl: is the run store",
                [](const QString& dir) {
                  QCOMPARE(::link(qPrintable(dir + "/s.sqlite"), qPrintable(dir + "/h.jsonl")), 0);
                }),
      ontoStore("train --jsonl the -wal", {"train", "-q", "--dataset", "spirals", "--db", db, "--jsonl", db + "-wal"},
                "is the write-ahead log of the run store"),
      ontoStore("bench-writer --file the -wal", {"runs", "--db", db, "bench-writer", "--steps", "10", "--file", db + "-wal"},
                "--file .*s\\.sqlite-wal: is the write-ahead log of the run store"),
      // Full disk: an error with the reason, exit 1.
      {.name = "train --jsonl /dev/full",
       .args = {"train", "-q", "--dataset", "spirals", "--db", db, "--jsonl", "/dev/full"},
       .exit_code = 1,
       .message = "^halflab-cli: --jsonl /dev/full: cannot write \\(No space left on device\\); the run itself is in the store\n$"},
      {.name = "train --jsonl /dev/full without a store",
       .args = {"train", "-q", "--dataset", "spirals", "--no-db", "--jsonl", "/dev/full"},
       .exit_code = 1,
       .message = "^halflab-cli: --jsonl /dev/full: cannot write \\(No space left on device\\)\n$"},
      {.name = "export --out /dev/full",
       .args = {"runs", "--db", db, "export", "1", "--out", "/dev/full"},
       .exit_code = 1,
       .message = "^halflab-cli: /dev/full: cannot write \\(No space left on device\\)\n$",
       .setup = storeWithOneRun},
      {.name = "export --out over the file size limit",
       .args = {"runs", "--db", db, "export", "1", "--out", "{dir}/big.csv"},
       .exit_code = 1,
       .message = "^halflab-cli: \\S*big\\.csv: cannot write \\(File too large\\)\n$",
       .setup = [](const QString& dir) { storeWithRun(dir, 10); },  // a CSV of ~150 KB
       .file_size_limit = 65536},
      // Control characters in names are shown escaped.
      {.name = "runs list escapes names",
       .args = {"runs", "--db", db, "list"},
       .exit_code = 0,
       .message = kEvilNameShown,
       .setup = storeWithOneRun,
       .after = [](const QString&, const CliRun& r) {
         QVERIFY2(!r.out.contains('\x1b') && !r.out.contains('\a') && !r.out.contains('\r'), qPrintable(r.out));
       }},
      {.name = "runs show escapes names and notes",
       .args = {"runs", "--db", db, "show", "1"},
       .exit_code = 0,
       .message = "notes      bell\\\\x07 and \\\\x1b\\[31mred",
       .setup = [](const QString& dir) {
         storeWithOneRun(dir);
         const CliRun r = runCli({"runs", "--db", dir + "/s.sqlite", "note", "1",
                                  QString::fromUtf8("bell\a and \x1b[31mred")}, dir);
         QCOMPARE(r.code, 0);
       },
       .after = [](const QString&, const CliRun& r) {
         QVERIFY2(r.out.contains(QRegularExpression(kEvilNameShown)), qPrintable(r.out));
         QVERIFY2(!r.out.contains('\x1b') && !r.out.contains('\a'), qPrintable(r.out));
       }},
      {.name = "train progress escapes the name",
       .args = {"train", "--dataset", "spirals", "--no-db", "--name", kEvilName},
       .exit_code = 0,
       .message = "run: " + kEvilNameShown + " \\|",
       .after = [](const QString&, const CliRun& r) {
         QVERIFY2(!r.err.contains('\x1b') && !r.err.contains('\a'), qPrintable(r.err));
       }},
      {.name = "errors escape what they quote",
       .args = {"runs", "--db", QString::fromUtf8("{dir}/no\x1b[2Jstore.sqlite"), "list"},
       .exit_code = 1,
       .message = "no\\\\x1b\\[2Jstore\\.sqlite: no such run store",
       .after = [](const QString&, const CliRun& r) { QVERIFY(!r.err.contains('\x1b')); }},
  };
}

// Runs the CLI with its stdout prepared by `prepare` (in the child, before exec).
CliRun runWithStdout(const QStringList& args, const QString& dir, const std::function<void()>& prepare,
                     const QString& stdout_file = {}) {
  QProcess p;
  p.setWorkingDirectory(dir);
  QProcessEnvironment e = QProcessEnvironment::systemEnvironment();
  e.insert("HOME", dir);
  e.insert("XDG_DATA_HOME", dir + "/xdg");
  p.setProcessEnvironment(e);
  if (!stdout_file.isEmpty()) p.setStandardOutputFile(stdout_file, QIODevice::Append);
  if (prepare) p.setChildProcessModifier(prepare);
  p.start(HALFLAB_CLI_PATH, args);
  CliRun r;
  if (!p.waitForStarted(10000) || !p.waitForFinished(60000)) return r;
  r.code = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
  r.err = QString::fromUtf8(p.readAllStandardError());
  return r;
}

}  // namespace

class TestBadInputOutputs : public QObject {
  Q_OBJECT
 private slots:
  HALFLAB_CLI_CASES(table)

  void stdoutOnFullDisk() {
    QTemporaryDir tmp;
    storeWithOneRun(tmp.path());
    for (const QStringList& cmd : {QStringList{"list"}, QStringList{"show", "1"}, QStringList{"export", "1", "--out", "-"}}) {
      const CliRun r = runWithStdout(QStringList{"runs", "--db", tmp.path() + "/s.sqlite"} + cmd, tmp.path(), {},
                                     "/dev/full");
      QVERIFY2(r.code == 1, qPrintable(cmd.join(' ') + ": exit " + QString::number(r.code) + " " + r.err));
      QVERIFY2(r.err.contains("halflab-cli: cannot write to standard output (No space left on device)"),
               qPrintable(r.err));
    }
  }

  // `runs list | head -c1`, made deterministic: the reader end is closed before the CLI
  // writes a byte, so every write meets EPIPE (SIGPIPE is ignored by the CLI).
  void stdoutIntoAClosedPipe() {
    QTemporaryDir tmp;
    storeWithOneRun(tmp.path());
    const auto closed_pipe = [] {
      int fds[2];
      if (::pipe(fds) != 0) ::_exit(99);
      ::close(fds[0]);
      ::dup2(fds[1], STDOUT_FILENO);
      ::close(fds[1]);
    };
    for (const QStringList& cmd : {QStringList{"list"}, QStringList{"export", "1", "--out", "-"}}) {
      const CliRun r = runWithStdout(QStringList{"runs", "--db", tmp.path() + "/s.sqlite"} + cmd, tmp.path(), closed_pipe);
      QVERIFY2(r.code == 1, qPrintable(cmd.join(' ') + ": exit " + QString::number(r.code) + " " + r.err));
      QVERIFY2(r.err.contains("halflab-cli: cannot write to standard output (Broken pipe)"), qPrintable(r.err));
    }
    const CliRun r = runWithStdout({"train", "-q", "--dataset", "spirals", "--no-db", "--jsonl", "-"}, tmp.path(),
                                   closed_pipe);
    QCOMPARE(r.code, 1);
    QVERIFY2(r.err.contains("--jsonl -: cannot write (Broken pipe)"), qPrintable(r.err));
  }

  // `halflab-cli runs list >> s.sqlite`: refused before a byte is written.
  void stdoutRedirectedOntoTheStore() {
    QTemporaryDir tmp;
    storeWithOneRun(tmp.path());
    for (const QStringList& cmd : {QStringList{"runs", "--db", "s.sqlite", "list"},
                                   QStringList{"runs", "--db", "s.sqlite", "export", "1", "--out", "-"},
                                   QStringList{"train", "-q", "--dataset", "spirals", "--db", "s.sqlite", "--jsonl", "-"}}) {
      const CliRun r = runWithStdout(cmd, tmp.path(), {}, tmp.path() + "/s.sqlite");
      QVERIFY2(r.code == 1, qPrintable(cmd.join(' ') + ": exit " + QString::number(r.code) + " " + r.err));
      QVERIFY2(r.err.contains("standard output is the run store s.sqlite"), qPrintable(r.err));
      storeUntouched(tmp.path(), r);
    }
    // Commands without --db protect the default store ($XDG_DATA_HOME/HalfLab/runs.sqlite).
    QVERIFY(QDir().mkpath(tmp.path() + "/xdg/HalfLab"));
    const QString default_store = tmp.path() + "/xdg/HalfLab/runs.sqlite";
    QVERIFY(QFile::copy(tmp.path() + "/s.sqlite", default_store));
    const QByteArray before = hashOf(default_store);
    const CliRun r = runWithStdout({"scaler", "-n", "3"}, tmp.path(), {}, default_store);
    QCOMPARE(r.code, 1);
    QVERIFY2(r.err.contains("standard output is the run store " + default_store), qPrintable(r.err));
    QCOMPARE(hashOf(default_store), before);
  }
};

QTEST_GUILESS_MAIN(TestBadInputOutputs)
#include "test_bad_input_outputs.moc"

#pragma once
// The bad-input matrix: each case runs the real halflab-cli in a fresh temporary folder
// and asserts its exit code and what it printed. One file per area
// (tests/badinput/test_bad_input_<area>.cpp) holds a table of cases; a case may prepare
// files first (setup), feed stdin, cap the size of files the child may write (a "full
// disk" without root: RLIMIT_FSIZE with SIGXFSZ ignored makes write() fail with EFBIG),
// and check what the folder holds afterwards (after).
#include <sys/resource.h>

#include <csignal>
#include <functional>

#include <QDir>
#include <QFile>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QtTest>

namespace halflab::test {

struct CliRun {
  int code = -1;  // -1: crashed or hung
  QString out, err;
};

struct CliCase {
  QString name;
  QStringList args;             // "{dir}" is replaced by the case's temporary folder
  int exit_code = 0;
  QString message;              // a regular expression that must match stderr (or stdout)
  std::function<void(const QString& dir)> setup;
  QByteArray stdin_bytes;
  qint64 file_size_limit = -1;  // bytes, -1 = none
  QStringList env;              // extra "KEY=VALUE" entries
  std::function<void(const QString& dir, const CliRun& run)> after;
};

inline QString substituteDir(QString s, const QString& dir) { return s.replace("{dir}", dir); }

inline CliRun runCli(const QStringList& args, const QString& workdir, const QByteArray& stdin_bytes = {},
                     qint64 file_size_limit = -1, const QStringList& env = {}, int timeout_ms = 120000) {
  QProcess p;
  p.setWorkingDirectory(workdir);
  QProcessEnvironment e = QProcessEnvironment::systemEnvironment();
  e.insert("HOME", workdir);  // never touch the user's default store
  e.insert("XDG_DATA_HOME", workdir + "/xdg");
  for (const QString& kv : env) e.insert(kv.section('=', 0, 0), kv.section('=', 1));
  p.setProcessEnvironment(e);
  if (file_size_limit >= 0) {
    p.setChildProcessModifier([file_size_limit] {
      std::signal(SIGXFSZ, SIG_IGN);
      rlimit r{static_cast<rlim_t>(file_size_limit), static_cast<rlim_t>(file_size_limit)};
      setrlimit(RLIMIT_FSIZE, &r);
    });
  }
  p.start(HALFLAB_CLI_PATH, args);
  CliRun r;
  if (!p.waitForStarted(10000)) return r;
  if (!stdin_bytes.isEmpty()) p.write(stdin_bytes);
  p.closeWriteChannel();
  if (!p.waitForFinished(timeout_ms)) {
    p.kill();
    p.waitForFinished();
    r.err = "timed out";
    return r;
  }
  r.code = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
  r.out = QString::fromUtf8(p.readAllStandardOutput());
  r.err = QString::fromUtf8(p.readAllStandardError());
  return r;
}

// Runs one case and fails the current test function with the case's name, the command
// line, and what the CLI printed when the exit code or the message is not as expected.
inline void checkCliCase(const CliCase& c) {
  QTemporaryDir tmp;
  QVERIFY(tmp.isValid());
  const QString dir = tmp.path();
  if (c.setup) c.setup(dir);
  QStringList args;
  for (const QString& a : c.args) args << substituteDir(a, dir);
  const CliRun r = runCli(args, dir, c.stdin_bytes, c.file_size_limit, c.env);
  const QString report = QString("case '%1': halflab-cli %2\n  exit %3 (expected %4)\n  stderr: %5\n  stdout: %6")
                             .arg(c.name, args.join(' ')).arg(r.code).arg(c.exit_code)
                             .arg(r.err.left(2000), r.out.left(2000));
  QVERIFY2(r.code == c.exit_code, qPrintable(report));
  if (!c.message.isEmpty()) {
    const QRegularExpression re(c.message, QRegularExpression::DotMatchesEverythingOption);
    QVERIFY2(re.isValid(), qPrintable("bad regular expression in case " + c.name));
    QVERIFY2(re.match(r.err).hasMatch() || re.match(r.out).hasMatch(),
             qPrintable(report + "\n  expected a message matching: " + c.message));
  }
  if (c.after) c.after(dir, r);
}

inline void writeFile(const QString& path, const QByteArray& bytes) {
  QDir().mkpath(QFileInfo(path).path());
  QFile f(path);
  QVERIFY2(f.open(QIODevice::WriteOnly | QIODevice::Truncate), qPrintable(path));
  QCOMPARE(f.write(bytes), qint64(bytes.size()));
}

}  // namespace halflab::test

// Declares the data-driven test function `cases` of a suite whose cases come from
// `table()` (a std::vector<CliCase>): one ctest row per case, named after it.
#define HALFLAB_CLI_CASES(table)                                     \
  void cases_data() {                                                \
    QTest::addColumn<int>("index");                                  \
    const auto all = table();                                        \
    for (int i = 0; i < static_cast<int>(all.size()); ++i)           \
      QTest::newRow(qPrintable(all[i].name)) << i;                   \
  }                                                                  \
  void cases() {                                                     \
    QFETCH(int, index);                                              \
    halflab::test::checkCliCase(table()[static_cast<std::size_t>(index)]); \
  }

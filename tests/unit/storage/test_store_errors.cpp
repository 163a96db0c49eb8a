// Bad input for the run store: every case must give one clear error naming the file and
// the problem, never crash the "training" thread, and leave the file as it was.
#include <QCryptographicHash>
#include <QElapsedTimer>
#include <QFile>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

#include <string>

#include <SQLiteCpp/Database.h>
#include <sys/stat.h>
#include <unistd.h>

#include "storage/run_store.hpp"
#include "storage/run_writer.hpp"
#include "storage/store_schema.hpp"
#include "store_test_support.hpp"

using namespace halflab;

namespace {

QByteArray fileHash(const std::string& path) {
  QFile f(QString::fromStdString(path));
  if (!f.open(QIODevice::ReadOnly)) return {};
  return QCryptographicHash::hash(f.readAll(), QCryptographicHash::Sha256);
}

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// Runs `mount`/`umount` (tests run as root in CI containers; elsewhere this just fails).
bool runMount(const QStringList& args) {
  QProcess p;
  p.start("mount", args);
  return p.waitForFinished(10000) && p.exitStatus() == QProcess::NormalExit && p.exitCode() == 0;
}
bool runUmount(const QString& dir) {
  QProcess p;
  p.start("umount", {dir});
  return p.waitForFinished(10000) && p.exitCode() == 0;
}

// Unmounts on scope exit, so a failing check never leaves a mount behind.
struct MountGuard {
  QString dir;
  bool active = false;
  ~MountGuard() {
    if (active) runUmount(dir);
  }
};

// Both ways of opening must fail with a message containing every needle.
template <typename... Needles>
void expectOpenFails(const std::string& path, StoreOpenMode mode, Needles... needles) {
  try {
    RunStore::open(path, mode);
    QFAIL("open must fail");
  } catch (const StoreError& e) {
    for (const std::string& n : {std::string(needles)...})
      QVERIFY2(contains(e.what(), n), e.what());
  }
}

}  // namespace

class TestStoreErrors : public QObject {
  Q_OBJECT

 private:
  QTemporaryDir dir_;
  std::string file(const char* name) { return dir_.filePath(name).toStdString(); }

 private slots:
  void notAnSqliteFile() {
    const std::string path = file("notes.txt");
    {
      QFile f(QString::fromStdString(path));
      QVERIFY(f.open(QIODevice::WriteOnly));
      f.write(QByteArray("this is a text file, not a database\n").repeated(200));
    }
    const QByteArray before = fileHash(path);
    expectOpenFails(path, StoreOpenMode::ReadWrite, path, "not an SQLite database");
    expectOpenFails(path, StoreOpenMode::ReadOnly, path, "not an SQLite database");
    try {
      RunWriter w(path);
      QFAIL("RunWriter must refuse a non-SQLite file");
    } catch (const StoreError& e) {
      QVERIFY2(contains(e.what(), path) && contains(e.what(), "not an SQLite database"), e.what());
    }
    QCOMPARE(fileHash(path), before);
    QVERIFY(!QFile::exists(QString::fromStdString(path + "-wal")));
  }

  void foreignSqliteDatabase() {
    const std::string path = file("other_app.sqlite");
    {
      SQLite::Database db(path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
      db.exec("CREATE TABLE contacts (name TEXT)");
    }
    const QByteArray before = fileHash(path);
    expectOpenFails(path, StoreOpenMode::ReadWrite, path, "not a HalfLab run store",
                    "application_id");
    QCOMPARE(fileHash(path), before);
  }

  void missingFileAndFolder() {
    expectOpenFails(file("missing.sqlite"), StoreOpenMode::ReadWrite, file("missing.sqlite"),
                    "does not exist");
    QVERIFY(!QFile::exists(QString::fromStdString(file("missing.sqlite"))));
    expectOpenFails(file("no/such/dir/x.sqlite"), StoreOpenMode::Create, "no/such/dir/x.sqlite",
                    "cannot open");
    expectOpenFails(dir_.path().toStdString(), StoreOpenMode::ReadWrite, "is a folder");
  }

  void schemaNewerThanThisBuild() {
    const std::string path = file("future.sqlite");
    RunStore::open(path, StoreOpenMode::Create);
    {
      SQLite::Database db(path, SQLite::OPEN_READWRITE);
      db.exec("PRAGMA user_version = 99");
    }
    const QByteArray before = fileHash(path);
    expectOpenFails(path, StoreOpenMode::ReadWrite, path, "schema version 99",
                    "newer than this build supports (" + std::to_string(store::kSchemaVersion) + ")");
    expectOpenFails(path, StoreOpenMode::ReadOnly, path, "schema version 99");
    try {
      RunWriter w(path);
      QFAIL("RunWriter must refuse a newer schema");
    } catch (const StoreError& e) {
      QVERIFY2(contains(e.what(), "newer"), e.what());
    }
    QCOMPARE(fileHash(path), before);
    SQLite::Database db(path, SQLite::OPEN_READONLY);
    QCOMPARE(db.execAndGet("PRAGMA user_version").getInt(), 99);
  }

  void readOnlyFile() {
    // chmod 0444 stops normal users, but root (as in CI containers) bypasses file
    // permissions. As root, put the store on a tmpfs and remount it read-only: the
    // kernel then refuses writes to everyone. Without either, only the explicit
    // read-only open mode is tested.
    const bool root = ::geteuid() == 0;
    QTemporaryDir mount_dir;
    MountGuard guard;
    std::string path;
    bool mounted = false;
    if (root) {
      mounted = runMount({"-t", "tmpfs", "-o", "size=4m", "tmpfs", mount_dir.path()});
      guard.dir = mount_dir.path();
      guard.active = mounted;
      if (!mounted) QWARN("cannot mount a tmpfs; testing the read-only open mode only");
      path = mount_dir.filePath("ro.sqlite").toStdString();
    } else {
      path = file("ro.sqlite");
    }
    const std::int64_t id = [&] {
      RunWriter w(path);
      w.onRunStarted(test::syntheticRunInfo("ro"));
      w.onRunFinished(RunSummary{});
      return w.runId();
    }();
    bool protected_by_os = false;
    if (root && mounted) {
      protected_by_os = runMount({"-o", "remount,ro", mount_dir.path()});
    } else if (!root) {
      protected_by_os = ::chmod(path.c_str(), 0444) == 0;
    }
    qInfo("read-only store: %s", protected_by_os
                                     ? (root ? "tmpfs remounted read-only (root ignores chmod)"
                                             : "chmod 0444")
                                     : "explicit read-only open mode only");
    const QByteArray before = fileHash(path);
    if (protected_by_os) {
      try {
        RunWriter w(path);
        QFAIL("RunWriter must refuse a read-only store");
      } catch (const StoreError& e) {
        QVERIFY2(contains(e.what(), path) && contains(e.what(), "read-only"), e.what());
      }
      expectOpenFails(path, StoreOpenMode::ReadWrite, path, "read-only");
    }
    // Explicit read-only mode works everywhere: reading is fine, edits are refused.
    {
      RunStore ro = RunStore::open(path, StoreOpenMode::ReadOnly);
      QCOMPARE(ro.run(id).name, std::string("ro"));
      try {
        ro.setNote(id, "x");
        QFAIL("edit on a read-only store must throw");
      } catch (const StoreError& e) {
        QVERIFY2(contains(e.what(), path) && contains(e.what(), "read-only"), e.what());
      }
    }
    QCOMPARE(fileHash(path), before);
    if (!root) ::chmod(path.c_str(), 0644);
  }

  void lockedByAnotherWriter() {
    const std::string path = file("locked.sqlite");
    RunStore::open(path, StoreOpenMode::Create);
    SQLite::Database other(path, SQLite::OPEN_READWRITE);
    other.exec("BEGIN EXCLUSIVE");

    RunWriterOptions opt;
    opt.busy_timeout_ms = 200;
    RunWriter w(path, opt);  // opening only reads: fine while locked (WAL)
    QElapsedTimer timer;
    timer.start();
    w.onRunStarted(test::syntheticRunInfo("waits for the lock"));
    QVERIFY2(timer.elapsed() < 3000, "onRunStarted must give up after busy_timeout");
    QCOMPARE(w.runId(), std::int64_t{0});
    QVERIFY2(contains(w.lastError(), "database is locked"), w.lastError().c_str());
    QVERIFY(contains(w.lastError(), path));
    for (int s = 1; s <= 100; ++s) w.onStep(test::syntheticStep(s, s));  // never throws
    timer.restart();
    QVERIFY(!w.flush());
    QVERIFY2(timer.elapsed() < 3000, "flush must not hang on a locked store");

    // Editing from a reader gets the same clear message.
    {
      RunStore editor = RunStore::open(path, StoreOpenMode::ReadWrite, 100);
      try {
        editor.addTag(1, "x");
        QFAIL("must fail while locked");
      } catch (const StoreError& e) {
        QVERIFY(contains(e.what(), "no run with id 1") || contains(e.what(), "locked"));
      }
    }

    // Once the lock is gone the writer catches up: run row, then every queued record.
    other.exec("ROLLBACK");
    QVERIFY(w.flush());
    QVERIFY(w.runId() > 0);
    RunStore s = RunStore::open(path, StoreOpenMode::ReadOnly);
    QCOMPARE(s.metricSeries(w.runId(), "loss").size(), std::size_t{100});
    QCOMPARE(s.run(w.runId()).status, RunStatus::Running);

    // A lock taken while a run is going: onRunFinished returns (no hang) and reports.
    other.exec("BEGIN EXCLUSIVE");
    timer.restart();
    w.onRunFinished(RunSummary{});
    QVERIFY(timer.elapsed() < 3000);
    QVERIFY(contains(w.lastError(), "database is locked"));
    other.exec("ROLLBACK");
    QVERIFY(w.flush());  // the kept batch is retried
    QCOMPARE(s.run(w.runId()).status, RunStatus::Completed);
  }

  void diskFullViaMaxPageCount() {
    const std::string path = file("full.sqlite");
    RunStore::open(path, StoreOpenMode::Create);
    const int pages = [&] {
      SQLite::Database db(path, SQLite::OPEN_READONLY);
      return db.execAndGet("PRAGMA page_count").getInt();
    }();
    RunWriterOptions opt;
    opt.max_page_count = pages + 12;  // room for the run row and a little more
    opt.max_pending_records = 5000;
    RunWriter w(path, opt);
    w.onRunStarted(test::syntheticRunInfo("fills the disk"));
    QVERIFY(w.runId() > 0);
    for (int s = 1; s <= 20000; ++s) w.onStep(test::syntheticStep(s, s));  // never throws
    QVERIFY(!w.flush());
    QVERIFY2(contains(w.lastError(), "disk full") && contains(w.lastError(), path),
             w.lastError().c_str());
    QVERIFY(w.droppedRecords() > 0);  // backlog capped: memory does not grow forever
    w.onRunFinished(RunSummary{});   // returns although it cannot commit
    SQLite::Database db(path, SQLite::OPEN_READONLY);
    QCOMPARE(db.execAndGet("PRAGMA integrity_check").getString(), std::string("ok"));
  }

  void diskFullOnTinyTmpfs() {
    if (::geteuid() != 0) QSKIP("needs root to mount a tmpfs (diskFullViaMaxPageCount covers it)");
    QTemporaryDir mount_dir;
    if (!runMount({"-t", "tmpfs", "-o", "size=256k", "tmpfs", mount_dir.path()}))
      QSKIP("cannot mount a tmpfs here (diskFullViaMaxPageCount covers it)");
    MountGuard guard{mount_dir.path(), true};
    const std::string path = mount_dir.filePath("tiny.sqlite").toStdString();
    {
      RunWriter w(path);
      w.onRunStarted(test::syntheticRunInfo("tiny disk"));
      QVERIFY(w.runId() > 0);
      for (int s = 1; s <= 20000; ++s) w.onStep(test::syntheticStep(s, s));
      QVERIFY(!w.flush());
      QVERIFY2(contains(w.lastError(), "disk full") || contains(w.lastError(), "I/O error"),
               w.lastError().c_str());
      w.onRunFinished(RunSummary{});
    }
    {
      SQLite::Database db(path, SQLite::OPEN_READONLY);
      QCOMPARE(db.execAndGet("PRAGMA integrity_check").getString(), std::string("ok"));
    }
  }
};

QTEST_GUILESS_MAIN(TestStoreErrors)
#include "test_store_errors.moc"

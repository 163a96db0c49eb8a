// "Is this output the store?" (storage/output_guard.hpp) and the checked OutputFile: an
// output never lands on the store file or its -wal/-shm/-journal, whatever the name
// (symlink, hard link, relative path), and is refused before anything is truncated;
// write failures are errors with the reason.
#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QtTest>

#include <string>
#include <unistd.h>

#include "storage/output_file.hpp"
#include "storage/output_guard.hpp"
#include "storage/run_export.hpp"
#include "storage/run_store.hpp"
#include "storage/run_writer.hpp"
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

std::int64_t writeRun(const std::string& path) {
  RunWriter w(path);
  w.onRunStarted(test::syntheticRunInfo("kept"));
  for (int s = 1; s <= 200; ++s) w.onStep(test::syntheticStep(s, s));
  w.onRunFinished(RunSummary{});
  return w.runId();
}

}  // namespace

class TestOutputGuard : public QObject {
  Q_OBJECT

 private:
  QTemporaryDir dir_;
  std::string file(const QString& name) const { return dir_.filePath(name).toStdString(); }

 private slots:
  void initTestCase() {
    QVERIFY(dir_.isValid());
    writeRun(file("runs.sqlite"));
  }

  void theStoreByAnyName() {
    const std::string store = file("runs.sqlite");
    QVERIFY(contains(outputHitsStore(store, store), "is the run store"));
    // Relative path from the current folder.
    const QString cwd = QDir::currentPath();
    QDir::setCurrent(dir_.path());
    QVERIFY(contains(outputHitsStore("runs.sqlite", store), "is the run store"));
    QVERIFY(contains(outputHitsStore("./runs.sqlite", store), "is the run store"));
    QDir::setCurrent(cwd);
    // A symlink and a hard link are the same file under another name.
    QVERIFY(QFile::link(QString::fromStdString(store), dir_.filePath("link.csv")));
    QVERIFY(contains(outputHitsStore(file("link.csv"), store), "is the run store"));
    QCOMPARE(::link(store.c_str(), file("hard.csv").c_str()), 0);
    QVERIFY(contains(outputHitsStore(file("hard.csv"), store), "is the run store"));
  }

  void companionFilesPresentOrNot() {
    const std::string store = file("runs.sqlite");
    // Absent now (the writer closed cleanly): SQLite would create them next to the store.
    for (const char* suffix : {"-wal", "-shm", "-journal"}) {
      QVERIFY2(!QFile::exists(QString::fromStdString(store + suffix)), suffix);
      QVERIFY2(contains(outputHitsStore(store + suffix, store), "of the run store"), suffix);
    }
    // Present while a store is open: compared by identity.
    RunStore open = RunStore::open(store, StoreOpenMode::ReadWrite);
    open.listRuns();
    if (QFile::exists(QString::fromStdString(store + "-wal"))) {
      QVERIFY(QFile::link(QString::fromStdString(store + "-wal"), dir_.filePath("wal-link")));
      QVERIFY(contains(outputHitsStore(file("wal-link"), store), "write-ahead log"));
    }
  }

  void otherFilesPass() {
    const std::string store = file("runs.sqlite");
    QCOMPARE(outputHitsStore(file("export.csv"), store), std::string());
    QCOMPARE(outputHitsStore(file("runs.sqlite.csv"), store), std::string());
    QDir().mkpath(dir_.filePath("other"));
    QCOMPARE(outputHitsStore(dir_.filePath("other/runs.sqlite").toStdString(), store), std::string());
    QCOMPARE(outputHitsStore(store, ""), std::string());  // no store: nothing to protect
  }

  void refusedBeforeAnythingIsTruncated() {
    const std::string store = file("runs.sqlite");
    const QByteArray before = fileHash(store);
    try {
      OutputFile out(file("hard.csv"), store, OutputFile::Mode::Replace, "--out hard.csv");
      QFAIL("an output onto the store must be refused");
    } catch (const StoreError& e) {
      QVERIFY2(contains(e.what(), "--out hard.csv: is the run store") &&
                   contains(e.what(), "choose another file"),
               e.what());
    }
    QCOMPARE(fileHash(store), before);
  }

  // The GUI's export goes through exportRuns: it refuses the store too, both formats.
  void exportOntoTheStoreIsRefused() {
    const std::string store = file("runs.sqlite");
    const QByteArray before = fileHash(store);
    const RunStore s = RunStore::open(store, StoreOpenMode::ReadOnly);
    for (ExportFormat f : {ExportFormat::Csv, ExportFormat::Json}) {
      for (const std::string& target : {store, file("link.csv"), store + "-wal"}) {
        try {
          exportRuns(s, {1}, f, target);
          QFAIL("export onto the store must be refused");
        } catch (const StoreError& e) {
          QVERIFY2(contains(e.what(), "of the run store") || contains(e.what(), "is the run store"),
                   e.what());
        }
      }
    }
    QCOMPARE(fileHash(store), before);
    QCOMPARE(RunStore::open(store, StoreOpenMode::ReadOnly).metricSeries(1, "loss").size(), std::size_t{200});
  }

  void fullDiskIsAnError() {
    OutputFile out("/dev/full", "", OutputFile::Mode::Replace, "--out /dev/full");
    out.write(std::string(100, 'x'));  // buffered: the failure shows at the flush
    try {
      out.close();
      QFAIL("writing to a full disk must fail");
    } catch (const StoreError& e) {
      QVERIFY2(contains(e.what(), "--out /dev/full: cannot write (No space left on device)"), e.what());
    }
    const RunStore s = RunStore::open(file("runs.sqlite"), StoreOpenMode::ReadOnly);
    try {
      exportRuns(s, {1}, ExportFormat::Csv, "/dev/full");
      QFAIL("an export to a full disk must fail");
    } catch (const StoreError& e) {
      QVERIFY2(contains(e.what(), "No space left on device"), e.what());
    }
  }

  void createNewNeverReplaces() {
    const std::string path = file("taken.jsonl");
    {
      OutputFile first(path, "", OutputFile::Mode::CreateNew);
      first.write("first\n");
      first.close();
    }
    QVERIFY_THROWS_EXCEPTION(StoreError, OutputFile(path, "", OutputFile::Mode::CreateNew));
    QFile f(QString::fromStdString(path));
    QVERIFY(f.open(QIODevice::ReadOnly));
    QCOMPARE(f.readAll(), QByteArray("first\n"));
  }
};

QTEST_GUILESS_MAIN(TestOutputGuard)
#include "test_output_guard.moc"

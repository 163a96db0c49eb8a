#include "storage/store_schema.hpp"

#include <cctype>
#include <chrono>
#include <cstring>
#include <cstdio>
#include <filesystem>

#include <SQLiteCpp/Exception.h>
#include <SQLiteCpp/Statement.h>
#include <sqlite3.h>
#include <unistd.h>

#include "storage/process_identity.hpp"
#include "storage/store_check.hpp"
#include "storage/store_error.hpp"

namespace halflab::store {
namespace {

// Version 1 (DESIGN 3, modelled on MLflow's tracking schema). Metrics are narrow rows
// clustered by (run, key, step) so that one series is one contiguous range.
constexpr const char* kSchemaV1 = R"SQL(
CREATE TABLE runs (
  id                 INTEGER PRIMARY KEY,
  uuid               TEXT NOT NULL UNIQUE,
  name               TEXT NOT NULL DEFAULT '',
  status             TEXT NOT NULL,
  created_ms         INTEGER NOT NULL,
  started_ms         INTEGER,
  ended_ms           INTEGER,
  config_json        TEXT NOT NULL DEFAULT '{}',
  precision_mode     TEXT NOT NULL DEFAULT '',
  device             TEXT NOT NULL DEFAULT '',
  app_version        TEXT NOT NULL DEFAULT '',
  notes              TEXT NOT NULL DEFAULT '',
  seed               INTEGER NOT NULL DEFAULT 0,
  total_steps        INTEGER NOT NULL DEFAULT 0,
  steps_per_epoch    INTEGER NOT NULL DEFAULT 0,
  parameter_count    INTEGER NOT NULL DEFAULT 0,
  writer_pid         INTEGER,
  writer_boot_id     TEXT,
  writer_start_ticks INTEGER
);
CREATE INDEX runs_by_status ON runs(status);

CREATE TABLE params (
  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  key    TEXT NOT NULL,
  value  TEXT NOT NULL,
  PRIMARY KEY (run_id, key)
) WITHOUT ROWID;

CREATE TABLE tags (
  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  tag    TEXT NOT NULL,
  PRIMARY KEY (run_id, tag)
) WITHOUT ROWID;
CREATE INDEX tags_by_tag ON tags(tag);

CREATE TABLE metrics (
  run_id  INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  key     TEXT NOT NULL,
  step    INTEGER NOT NULL,
  value   REAL,                       -- NULL when is_nan (SQLite stores NaN as NULL)
  wall_ms REAL NOT NULL,              -- ms since the run started
  is_nan  INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (run_id, key, step)
) WITHOUT ROWID;

CREATE TABLE latest_metrics (
  run_id    INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  key       TEXT NOT NULL,
  step      INTEGER NOT NULL,
  value     REAL,
  wall_ms   REAL NOT NULL,
  is_nan    INTEGER NOT NULL DEFAULT 0,
  min_value REAL,                     -- over the finite, non-NaN values
  max_value REAL,
  count     INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (run_id, key)
) WITHOUT ROWID;

CREATE TABLE events (
  id      INTEGER PRIMARY KEY,
  run_id  INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  step    INTEGER NOT NULL,
  kind    TEXT NOT NULL,
  value   REAL,
  text    TEXT NOT NULL DEFAULT '',
  wall_ms REAL NOT NULL DEFAULT 0
);
CREATE INDEX events_by_run ON events(run_id, step);

CREATE TABLE histograms (
  id      INTEGER PRIMARY KEY,
  run_id  INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  step    INTEGER NOT NULL,
  tensor  TEXT NOT NULL,
  kind    TEXT NOT NULL,
  format  TEXT NOT NULL,
  min_exp INTEGER NOT NULL,
  max_exp INTEGER NOT NULL,
  bins    BLOB NOT NULL,              -- little-endian int64 counts, max_exp - min_exp + 1
  zeros   INTEGER NOT NULL DEFAULT 0,
  infs    INTEGER NOT NULL DEFAULT 0,
  nans    INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX histograms_by_run ON histograms(run_id, tensor, step);

CREATE TABLE run_summary (
  run_id             INTEGER PRIMARY KEY REFERENCES runs(id) ON DELETE CASCADE,
  steps              INTEGER NOT NULL DEFAULT 0,
  skipped_steps      INTEGER NOT NULL DEFAULT 0,
  overflow_steps     INTEGER NOT NULL DEFAULT 0,
  final_loss         REAL,
  final_val_loss     REAL,
  final_val_accuracy REAL,
  best_val_accuracy  REAL,
  final_scale        REAL,
  wall_time_s        REAL,
  time_to_target_s   REAL,
  mean_samples_per_s REAL,
  peak_memory_bytes  INTEGER NOT NULL DEFAULT 0,
  device             TEXT NOT NULL DEFAULT '',
  error              TEXT NOT NULL DEFAULT ''
);
)SQL";

// Version 2: sweeps. A run started by `halflab-cli sweep` carries its sweep's id and its
// cell (the grid point and seed, "optimizer.lr=0.003 precision.mode=fp16-amp seed=2"), so
// a sweep can be resumed (completed cells skipped) and merged stores stay attributable.
constexpr const char* kSchemaV2 = R"SQL(
ALTER TABLE runs ADD COLUMN sweep_id TEXT NOT NULL DEFAULT '';
ALTER TABLE runs ADD COLUMN cell     TEXT NOT NULL DEFAULT '';
CREATE INDEX runs_by_sweep ON runs(sweep_id, cell);
)SQL";

std::string hex32(std::int32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08x", static_cast<unsigned>(v));
  return buf;
}

// The file and its folder (for the -wal / -shm files) can be written. access() also sees
// read-only mounts, which even root cannot write.
bool writable(const std::string& path) {
  const std::filesystem::path p(path);
  const std::string folder = p.has_parent_path() ? p.parent_path().string() : ".";
  return ::access(path.c_str(), W_OK) == 0 && ::access(folder.c_str(), W_OK) == 0;
}

// file: URI with immutable=1; characters with a meaning in URIs are percent-encoded.
std::string immutableUri(const std::string& path) {
  const std::string absolute = std::filesystem::absolute(path).string();
  std::string uri = "file:";
  for (unsigned char c : absolute) {
    if (std::isalnum(c) || std::strchr("/-_.~", c) != nullptr) {
      uri += static_cast<char>(c);
    } else {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", c);
      uri += buf;
    }
  }
  return uri + "?immutable=1";
}

void migrate(SQLite::Database& db, const std::string& path) {
  db.exec("BEGIN IMMEDIATE");
  try {
    // Re-read inside the write lock: another process may have migrated meanwhile.
    const int version = db.execAndGet("PRAGMA user_version").getInt();
    for (const Migration& m : migrations()) {
      if (m.version <= version) continue;
      db.exec(m.sql);
      db.exec("PRAGMA user_version = " + std::to_string(m.version));
    }
    db.exec("PRAGMA application_id = " + std::to_string(kApplicationId));
    db.exec("COMMIT");
  } catch (const std::exception& e) {
    try { db.exec("ROLLBACK"); } catch (...) {}
    throw StoreError(describeStoreError(path, e) + " (while creating/upgrading the schema)");
  }
}

}  // namespace

const std::vector<Migration>& migrations() {
  static const std::vector<Migration> list{
      {1, "initial schema: runs, params, tags, metrics, latest_metrics, events, histograms, "
          "run_summary", kSchemaV1},
      {2, "sweeps: runs.sweep_id and runs.cell", kSchemaV2},
  };
  return list;
}

std::int64_t nowEpochMs() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

std::string describeStoreError(const std::string& path, const std::exception& e) {
  std::string what = e.what();
  if (const auto* se = dynamic_cast<const SQLite::Exception*>(&e)) {
    switch (se->getErrorCode()) {
      case SQLITE_NOTADB: return path + ": not an SQLite database (" + what + ")";
      case SQLITE_BUSY: return path + ": database is locked by another writer (" + what + ")";
      case SQLITE_LOCKED: return path + ": database is locked (" + what + ")";
      case SQLITE_FULL: return path + ": disk full, the store cannot grow (" + what + ")";
      case SQLITE_READONLY: return path + ": store is read-only (" + what + ")";
      case SQLITE_CANTOPEN:
        return path + ": cannot open the file (missing folder or no permission: " + what + ")";
      case SQLITE_CORRUPT:
        return path + ": store is damaged (" + what + "); see the damage with " +
               checkCommandFor(path);
      case SQLITE_IOERR:
        if (se->getExtendedErrorCode() == SQLITE_IOERR_WRITE)
          return path + ": cannot write the file (disk full, file size limit or I/O error: " +
                 what + ")";
        return path + ": I/O error (" + what + ")";
      default: break;
    }
  }
  return path + ": " + what;
}

void throwStoreError(const std::string& path, const std::exception& e) {
  if (const auto* se = dynamic_cast<const SQLite::Exception*>(&e)) {
    if (se->getErrorCode() == SQLITE_CORRUPT) throw StoreDamaged(describeStoreError(path, e));
    if (se->getErrorCode() == SQLITE_NOTADB)  // the header went bad after the open
      throw StoreDamaged(path + ": store is damaged (" + se->what() + "); see the damage with " +
                         checkCommandFor(path));
  }
  throw StoreError(describeStoreError(path, e));
}

std::unique_ptr<SQLite::Database> openStoreDatabase(const std::string& path, StoreOpenMode mode,
                                                    int busy_timeout_ms, int extra_flags,
                                                    std::string* check_note) {
  std::error_code ec;
  const bool exists = std::filesystem::exists(path, ec);
  if (!exists && mode != StoreOpenMode::Create)
    throw StoreError(path + ": no such run store (file does not exist)");
  if (exists && std::filesystem::is_directory(path, ec))
    throw StoreError(path + ": is a folder, not a run store file");

  int flags = mode == StoreOpenMode::ReadOnly ? SQLite::OPEN_READONLY : SQLite::OPEN_READWRITE;
  if (mode == StoreOpenMode::Create) flags |= SQLite::OPEN_CREATE;
  flags |= extra_flags;

  std::unique_ptr<SQLite::Database> db;
  int app_id = 0, version = 0, objects = 0;
  // A WAL store on a read-only filesystem cannot be read normally (the -shm file cannot
  // be created); nobody can write it there either, so it is safe to read as immutable.
  const bool immutable = mode == StoreOpenMode::ReadOnly && exists && !writable(path);
  try {
    if (immutable)
      db = std::make_unique<SQLite::Database>(immutableUri(path), flags | SQLite::OPEN_URI,
                                              busy_timeout_ms);
    else
      db = std::make_unique<SQLite::Database>(path, flags, busy_timeout_ms);
    // The first read is where "file is not a database" shows up.
    app_id = db->execAndGet("PRAGMA application_id").getInt();
    version = db->execAndGet("PRAGMA user_version").getInt();
    objects = db->execAndGet("SELECT count(*) FROM sqlite_master").getInt();
  } catch (const StoreError&) {
    throw;
  } catch (const std::exception& e) {
    // A read-only file or filesystem shows up as "unable to open" (WAL needs its -shm
    // and -wal files); say what it really is.
    if (exists && mode != StoreOpenMode::ReadOnly && !writable(path))
      throw StoreError(path + ": store is read-only (the file or its folder is not writable: " +
                       e.what() + "); open it read-only to browse it (halflab-cli runs --read-only)");
    const auto* se = dynamic_cast<const SQLite::Exception*>(&e);
    if (se && se->getErrorCode() == SQLITE_CORRUPT) throwStoreError(path, e);
    throw StoreError(describeStoreError(path, e));  // NOTADB here: not a database at all
  }

  // SQLite silently falls back to read-only when the file or its filesystem is not
  // writable; a writer must hear about that now, not at its first insert.
  if (mode != StoreOpenMode::ReadOnly && sqlite3_db_readonly(db->getHandle(), "main") == 1)
    throw StoreError(path + ": store is read-only (the file or its filesystem is not "
                     "writable); open it read-only to browse it (halflab-cli runs --read-only)");

  const bool fresh = app_id == 0 && version == 0 && objects == 0;
  if (app_id != kApplicationId && !fresh)
    throw StoreError(path + ": not a HalfLab run store (application_id " + hex32(app_id) +
                     ", expected " + hex32(kApplicationId) + ")");
  if (version > kSchemaVersion)
    throw StoreError(path + ": schema version " + std::to_string(version) +
                     " is newer than this build supports (" + std::to_string(kSchemaVersion) +
                     "); use a newer HalfLab");

  // Nothing is appended to a damaged store (a read-only open browses it as it is, and
  // its readers report damaged pages when they meet them).
  if (mode != StoreOpenMode::ReadOnly && !fresh) {
    const std::string note = requireHealthyOnOpen(*db, path);
    if (check_note) *check_note = note;
  }

  try {
    if (mode == StoreOpenMode::ReadOnly) {
      if (fresh) throw StoreError(path + ": empty file, not a HalfLab run store yet");
      if (version < kSchemaVersion)
        throw StoreError(path + ": schema version " + std::to_string(version) +
                         " is older than this build (" + std::to_string(kSchemaVersion) +
                         "); open it read-write once to upgrade");
    } else {
      // WAL lets readers (the GUI, `halflab-cli runs`) work while a trainer writes.
      const std::string journal = db->execAndGet("PRAGMA journal_mode").getString();
      if (journal != "wal") db->exec("PRAGMA journal_mode = WAL");
      if (version < kSchemaVersion) migrate(*db, path);
    }
    db->exec("PRAGMA synchronous = NORMAL");
    db->exec("PRAGMA foreign_keys = ON");
  } catch (const StoreError&) {
    throw;
  } catch (const std::exception& e) {
    throwStoreError(path, e);
  }
  return db;
}

int markInterruptedRuns(SQLite::Database& db) {
  std::vector<std::int64_t> dead;
  {
    SQLite::Statement q(db,
                        "SELECT id, writer_pid, writer_boot_id, writer_start_ticks FROM runs "
                        "WHERE status = 'running'");
    while (q.executeStep()) {
      ProcessIdentity writer;
      writer.pid = q.getColumn(1).getInt64();
      writer.boot_id = q.getColumn(2).getString();
      writer.start_ticks = q.getColumn(3).getInt64();
      if (!isProcessAlive(writer)) dead.push_back(q.getColumn(0).getInt64());
    }
  }
  if (dead.empty()) return 0;

  db.exec("BEGIN IMMEDIATE");
  try {
    SQLite::Statement update(db,
        "UPDATE runs SET status = 'interrupted', ended_ms = COALESCE(ended_ms, "
        "  started_ms + CAST((SELECT MAX(wall_ms) FROM latest_metrics WHERE run_id = ?1) "
        "  AS INTEGER), started_ms, created_ms) "
        "WHERE id = ?1 AND status = 'running'");
    SQLite::Statement event(db,
        "INSERT INTO events (run_id, step, kind, value, text, wall_ms) VALUES (?1, "
        "  COALESCE((SELECT MAX(step) FROM latest_metrics WHERE run_id = ?1), 0), 'warning', "
        "  0, 'run interrupted: its writer process ended without finishing the run', "
        "  COALESCE((SELECT MAX(wall_ms) FROM latest_metrics WHERE run_id = ?1), 0))");
    int marked = 0;
    for (std::int64_t id : dead) {
      update.bind(1, id);
      const int changed = update.exec();
      update.reset();
      if (changed == 0) continue;  // someone else marked or finished it meanwhile
      event.bind(1, id);
      event.exec();
      event.reset();
      ++marked;
    }
    db.exec("COMMIT");
    return marked;
  } catch (...) {
    try { db.exec("ROLLBACK"); } catch (...) {}
    throw;
  }
}

}  // namespace halflab::store

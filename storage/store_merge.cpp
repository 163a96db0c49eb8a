#include "storage/store_merge.hpp"

#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <set>

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>
#include <sqlite3.h>

#include "storage/process_identity.hpp"
#include "storage/store_check.hpp"
#include "storage/store_error.hpp"
#include "storage/store_schema.hpp"

namespace halflab {
namespace {

// Tables that hang off a run, copied with run_id mapped to the new id. Their own integer
// `id` (events, histograms) is left to the target.
const char* const kRunTables[] = {"params", "tags", "metrics", "latest_metrics",
                                  "events", "histograms", "run_summary"};

std::vector<std::string> columnsOf(SQLite::Database& db, const std::string& table) {
  std::vector<std::string> cols;
  SQLite::Statement q(db, "SELECT name FROM pragma_table_info(?)");
  q.bind(1, table);
  while (q.executeStep()) cols.push_back(q.getColumn(0).getString());
  return cols;
}

// The columns both stores have, minus `id` (the target numbers its own rows) and those
// named in `without`.
std::vector<std::string> sharedColumns(SQLite::Database& src, SQLite::Database& dst,
                                       const std::string& table) {
  const auto theirs = columnsOf(src, table);
  const std::set<std::string> have(theirs.begin(), theirs.end());
  std::vector<std::string> cols;
  for (const std::string& c : columnsOf(dst, table))
    if (c != "id" && have.count(c)) cols.push_back(c);
  return cols;
}

std::string joinCols(const std::vector<std::string>& cols) {
  std::string s;
  for (const auto& c : cols) s += (s.empty() ? "" : ", ") + c;
  return s;
}

// A raw statement: sqlite3_bind_value copies a column of any type exactly (SQLiteCpp's
// Statement does not expose its handle).
struct RawStatement {
  sqlite3* db;
  sqlite3_stmt* st = nullptr;
  RawStatement(SQLite::Database& d, const std::string& sql) : db(d.getHandle()) {
    const int rc = sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr);
    if (rc != SQLITE_OK) throw SQLite::Exception(db, rc);
  }
  ~RawStatement() { sqlite3_finalize(st); }
  RawStatement(const RawStatement&) = delete;
  RawStatement& operator=(const RawStatement&) = delete;
  bool step() {  // true while there is a row
    const int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    throw SQLite::Exception(db, rc);
  }
  void check(int rc) {
    if (rc != SQLITE_OK) throw SQLite::Exception(db, rc);
  }
};

// Copies the rows of table whose run_id is src_id, with run_id set to new_id.
void copyRows(SQLite::Database& src, SQLite::Database& dst, const std::string& table,
              const std::string& key_column, std::int64_t src_id, std::int64_t new_id) {
  const auto cols = sharedColumns(src, dst, table);
  RawStatement sel(src, "SELECT " + joinCols(cols) + " FROM " + table + " WHERE " + key_column + " = ?");
  sel.check(sqlite3_bind_int64(sel.st, 1, src_id));
  std::string marks;
  for (std::size_t i = 0; i < cols.size(); ++i) marks += i ? ", ?" : "?";
  RawStatement ins(dst, "INSERT INTO " + table + " (" + joinCols(cols) + ") VALUES (" + marks + ")");
  while (sel.step()) {
    for (std::size_t i = 0; i < cols.size(); ++i) {
      const int c = static_cast<int>(i);
      if (cols[i] == "run_id" && new_id > 0) ins.check(sqlite3_bind_int64(ins.st, c + 1, new_id));
      else ins.check(sqlite3_bind_value(ins.st, c + 1, sqlite3_column_value(sel.st, c)));
    }
    ins.step();
    sqlite3_reset(ins.st);
  }
}

// Opens a source read-only and checks it fully; throws naming the file.
std::unique_ptr<SQLite::Database> openSource(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec))
    throw StoreError(path + ": no such run store (not a file)");
  {
    std::ifstream in(path, std::ios::binary);
    char header[16] = {};
    in.read(header, sizeof header);
    if (in.gcount() < 16 || std::memcmp(header, "SQLite format 3", 16) != 0)
      throw StoreDamaged(path + ": not an SQLite run store, or its first page is damaged "
                         "(nothing was merged)");
  }
  std::unique_ptr<SQLite::Database> db;
  try {
    db = std::make_unique<SQLite::Database>(path, SQLite::OPEN_READONLY, 5000);
    const int app_id = db->execAndGet("PRAGMA application_id").getInt();
    const int version = db->execAndGet("PRAGMA user_version").getInt();
    if (app_id != store::kApplicationId)
      throw StoreError(path + ": not a HalfLab run store (nothing was merged)");
    if (version > store::kSchemaVersion)
      throw StoreError(path + ": schema version " + std::to_string(version) +
                       " is newer than this build supports (" + std::to_string(store::kSchemaVersion) +
                       "); merge it with a newer HalfLab (nothing was merged)");
    if (version < 1) throw StoreError(path + ": not a HalfLab run store (no schema)");
  } catch (const StoreError&) {
    throw;
  } catch (const std::exception& e) {
    throw StoreDamaged(store::describeStoreError(path, e) + " (nothing was merged)");
  }
  const store::IntegrityReport r = store::checkIntegrity(*db, false, std::chrono::milliseconds(0), 5);
  if (!r.problems.empty())
    throw StoreDamaged(path + ": store is damaged (" + r.problems.front() + "); nothing was merged; "
                       "see the damage with " + store::checkCommandFor(path));
  try {
    SQLite::Statement fk(*db, "PRAGMA foreign_key_check");
    if (fk.executeStep())
      throw StoreDamaged(path + ": store is damaged (table " + fk.getColumn(0).getString() +
                         " has rows of a missing run); nothing was merged");
  } catch (const StoreError&) {
    throw;
  } catch (const std::exception& e) {
    throw StoreDamaged(store::describeStoreError(path, e) + " (nothing was merged)");
  }
  return db;
}

bool sameFile(const std::string& a, const std::string& b) {
  std::error_code ec;
  return std::filesystem::exists(a, ec) && std::filesystem::exists(b, ec) &&
         std::filesystem::equivalent(a, b, ec);
}

}  // namespace

std::int64_t MergeReport::added() const {
  std::int64_t n = 0;
  for (const auto& s : sources) n += s.added;
  return n;
}

std::int64_t MergeReport::duplicates() const {
  std::int64_t n = 0;
  for (const auto& s : sources) n += s.duplicates;
  return n;
}

MergeReport mergeStores(const std::vector<std::string>& sources, const std::string& target,
                        const std::function<void(const std::string&, const std::string&)>& on_run) {
  if (sources.empty()) throw StoreError("runs merge: no source stores given");
  for (const std::string& s : sources)
    if (sameFile(s, target))
      throw StoreError(s + ": is the target store " + target + " itself (nothing was merged)");

  // Every source is opened and checked before the target is touched.
  std::vector<std::unique_ptr<SQLite::Database>> dbs;
  for (const std::string& s : sources) dbs.push_back(openSource(s));

  std::unique_ptr<SQLite::Database> dst =
      store::openStoreDatabase(target, StoreOpenMode::Create, 10000);
  MergeReport report;
  try {
    dst->exec("BEGIN IMMEDIATE");
    std::set<std::string> uuids;
    {
      SQLite::Statement q(*dst, "SELECT uuid FROM runs");
      while (q.executeStep()) uuids.insert(q.getColumn(0).getString());
    }
    for (std::size_t i = 0; i < dbs.size(); ++i) {
      SQLite::Database& src = *dbs[i];
      MergeSourceReport sr;
      sr.path = sources[i];
      SQLite::Statement runs(src, "SELECT id, uuid, status, writer_pid, writer_boot_id, "
                                  "writer_start_ticks FROM runs ORDER BY id");
      while (runs.executeStep()) {
        const std::int64_t src_id = runs.getColumn(0).getInt64();
        const std::string uuid = runs.getColumn(1).getString();
        if (uuids.count(uuid)) {
          ++sr.duplicates;
          continue;
        }
        if (runs.getColumn(2).getString() == "running") {
          ProcessIdentity writer;
          writer.pid = runs.getColumn(3).getInt64();
          writer.boot_id = runs.getColumn(4).getString();
          writer.start_ticks = runs.getColumn(5).getInt64();
          if (isProcessAlive(writer)) {
            ++sr.still_running;
            continue;
          }
        }
        // The runs row, then everything that refers to it.
        copyRows(src, *dst, "runs", "id", src_id, 0);
        const std::int64_t new_id = dst->getLastInsertRowid();
        for (const char* table : kRunTables) copyRows(src, *dst, table, "run_id", src_id, new_id);
        uuids.insert(uuid);
        ++sr.added;
        if (on_run) on_run(sources[i], uuid);
      }
      report.sources.push_back(sr);
    }
    dst->exec("COMMIT");
  } catch (const std::exception& e) {
    try { dst->exec("ROLLBACK"); } catch (...) {}
    if (dynamic_cast<const StoreError*>(&e)) throw;
    try {
      store::throwStoreError(target, e);
    } catch (const StoreError& se) {
      throw StoreError(std::string(se.what()) + " (the merge was rolled back: " + target +
                       " is unchanged)");
    }
  }
  return report;
}

}  // namespace halflab

#pragma once
// Opening a run store file: pragmas, identity checks, forward-only schema migrations and
// the crash recovery step (running runs whose writer died become `interrupted`).
// Shared by RunWriter and RunStore; most code wants those classes instead.
#include <cstdint>
#include <exception>
#include <memory>
#include <string>
#include <vector>

#include <SQLiteCpp/Database.h>

#include "storage/store_open_mode.hpp"

namespace halflab::store {

// PRAGMA application_id of every HalfLab store: "HFLB".
inline constexpr std::int32_t kApplicationId = 0x48464C42;
// PRAGMA user_version this build writes; older stores are migrated forward on open.
inline constexpr int kSchemaVersion = 2;

struct Migration {
  int version;              // user_version after this step
  const char* description;
  const char* sql;          // executed inside one IMMEDIATE transaction
};
// Every migration, oldest first: migrations()[i].version == i + 1.
const std::vector<Migration>& migrations();

// Opens (and for writable modes creates / migrates) the store. Sets busy_timeout,
// journal_mode=WAL, synchronous=NORMAL and foreign_keys=ON. Throws StoreError naming
// the path: not SQLite, not a HalfLab store, schema too new, missing, locked, ...
// extra_flags: e.g. SQLite::OPEN_NOMUTEX when the caller serialises access itself.
// Writable opens first run the bounded quick check (store_check.hpp): a damaged store
// throws StoreDamaged; a check cut short on a big store leaves a note in *check_note.
std::unique_ptr<SQLite::Database> openStoreDatabase(const std::string& path, StoreOpenMode mode,
                                                    int busy_timeout_ms, int extra_flags = 0,
                                                    std::string* check_note = nullptr);

// Marks `running` runs whose writer process is gone as `interrupted`; returns how many.
int markInterruptedRuns(SQLite::Database& db);

// "<path>: <what>" for an SQLite (or other) exception, with the SQLite result explained.
std::string describeStoreError(const std::string& path, const std::exception& e);
// Throws describeStoreError's text as StoreError, or as StoreDamaged when SQLite says
// the file is damaged (SQLITE_CORRUPT, SQLITE_NOTADB after the store was opened).
[[noreturn]] void throwStoreError(const std::string& path, const std::exception& e);

// Unix epoch milliseconds now.
std::int64_t nowEpochMs();

}  // namespace halflab::store

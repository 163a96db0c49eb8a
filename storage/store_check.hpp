#pragma once
// Integrity checks of a run store. A quick check runs when a store is opened for writing
// (bounded in time, so a huge store still opens fast), so that nothing is appended to a
// damaged file; `halflab-cli runs check` runs the full one.
#include <chrono>
#include <string>
#include <vector>

namespace SQLite { class Database; }

namespace halflab::store {

struct IntegrityReport {
  bool complete = true;               // false: the time budget ran out first
  std::vector<std::string> problems;  // SQLite's findings; empty = none found
  double seconds = 0;                 // how long the check ran
  bool healthy() const { return complete && problems.empty(); }
};

// PRAGMA quick_check (quick) or PRAGMA integrity_check, stopped once `budget` has passed
// (zero = no limit); at most max_problems findings are kept. Errors that stop the check
// itself (SQLITE_CORRUPT, NOTADB) are reported as findings, never thrown.
IntegrityReport checkIntegrity(SQLite::Database& db, bool quick,
                               std::chrono::milliseconds budget, int max_problems = 100);

// How long the check on open may take before it is cut short.
inline constexpr std::chrono::milliseconds kOpenCheckBudget{2000};

// The quick check on open, once per process and file (device + inode): a store found
// healthy is not checked again on the next open. Throws StoreDamaged naming the file,
// the first finding and `halflab-cli runs check`. Returns "" or a note that the check was
// cut short (the store is big), for callers that can show it.
std::string requireHealthyOnOpen(SQLite::Database& db, const std::string& path,
                                 std::chrono::milliseconds budget = kOpenCheckBudget);

// The full check of `halflab-cli runs check`: the file's header, PRAGMA integrity_check
// (no time limit) and PRAGMA foreign_key_check (rows whose run is missing). Throws
// StoreError when the file cannot be checked at all (missing, not a HalfLab store); a
// damaged file is a report with problems, not an exception.
IntegrityReport checkStoreFile(const std::string& path, int max_problems = 100);

// "`halflab-cli runs check --db PATH`", shell-quoted where needed: the hint in messages.
std::string checkCommandFor(const std::string& path);

}  // namespace halflab::store

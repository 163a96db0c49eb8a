#include "storage/store_check.hpp"

#include <cctype>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <mutex>
#include <set>
#include <sstream>
#include <string_view>
#include <utility>

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>
#include <sqlite3.h>
#include <sys/stat.h>

#include "storage/store_error.hpp"
#include "storage/store_schema.hpp"

namespace halflab::store {
namespace {

using Clock = std::chrono::steady_clock;

struct Deadline {
  Clock::time_point at;
  bool hit = false;
};

// Called by SQLite every few thousand VM steps; non-zero interrupts the statement.
int pastDeadline(void* p) {
  auto* d = static_cast<Deadline*>(p);
  if (Clock::now() < d->at) return 0;
  d->hit = true;
  return 1;
}

// Files found healthy in this process (device, inode).
std::mutex g_checked_mutex;
std::set<std::pair<dev_t, ino_t>> g_checked;

bool fileId(const std::string& path, std::pair<dev_t, ino_t>& id) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return false;
  id = {st.st_dev, st.st_ino};
  return true;
}

}  // namespace

IntegrityReport checkIntegrity(SQLite::Database& db, bool quick, std::chrono::milliseconds budget,
                               int max_problems) {
  IntegrityReport r;
  const auto start = Clock::now();
  Deadline deadline{start + budget};
  sqlite3* h = db.getHandle();
  if (budget.count() > 0) sqlite3_progress_handler(h, 1000, pastDeadline, &deadline);
  try {
    SQLite::Statement q(db, std::string(quick ? "PRAGMA quick_check(" : "PRAGMA integrity_check(") +
                                std::to_string(max_problems) + ")");
    while (q.executeStep()) {
      // One row may hold several findings, one per line, under a "*** in database main
      // ***" heading.
      std::istringstream rows(q.getColumn(0).getString());
      for (std::string line; std::getline(rows, line);) {
        if (line == "ok" || line.empty() || line.rfind("*** in database", 0) == 0) continue;
        if (static_cast<int>(r.problems.size()) < max_problems) r.problems.push_back(line);
      }
    }
  } catch (const SQLite::Exception& e) {
    if (deadline.hit) r.complete = false;
    else r.problems.push_back(e.what());
  }
  sqlite3_progress_handler(h, 0, nullptr, nullptr);
  r.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return r;
}

IntegrityReport checkStoreFile(const std::string& path, int max_problems) {
  IntegrityReport r;
  {
    // A store whose first page was overwritten is not recognised as SQLite at all; the
    // header tells that apart from a file that is simply something else... or empty.
    std::ifstream in(path, std::ios::binary);
    if (!in) throw StoreError(path + ": no such run store (cannot read the file)");
    char header[16] = {};
    in.read(header, sizeof header);
    if (in.gcount() > 0 && (in.gcount() < 16 || std::memcmp(header, "SQLite format 3", 16) != 0)) {
      r.problems.push_back("the file does not start with SQLite's header: its first page is damaged, "
                           "or it is not a run store");
      return r;
    }
  }
  std::unique_ptr<SQLite::Database> db;
  try {
    db = openStoreDatabase(path, StoreOpenMode::ReadOnly, 5000);
  } catch (const StoreDamaged& e) {
    r.problems.push_back(e.what());
    return r;
  }
  r = checkIntegrity(*db, false, std::chrono::milliseconds(0), max_problems);
  if (!r.problems.empty()) return r;
  try {
    SQLite::Statement q(*db, "PRAGMA foreign_key_check");
    while (q.executeStep() && static_cast<int>(r.problems.size()) < max_problems)
      r.problems.push_back("table " + q.getColumn(0).getString() + " row " +
                           q.getColumn(1).getString() + " refers to a missing " +
                           q.getColumn(2).getString() + " row");
  } catch (const SQLite::Exception& e) {
    r.problems.push_back(e.what());
  }
  return r;
}

std::string checkCommandFor(const std::string& path) {
  bool plain = !path.empty();
  for (char c : path)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || std::string_view("/._-+,:@%").find(c) != std::string_view::npos))
      plain = false;
  std::string quoted = "'";
  for (char c : path) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  quoted += "'";
  return "`halflab-cli runs check --db " + (plain ? path : quoted) + "`";
}

std::string requireHealthyOnOpen(SQLite::Database& db, const std::string& path,
                                 std::chrono::milliseconds budget) {
  std::pair<dev_t, ino_t> id{};
  const bool known = fileId(path, id);
  if (known) {
    std::lock_guard lock(g_checked_mutex);
    if (g_checked.count(id)) return {};
  }
  const IntegrityReport r = checkIntegrity(db, true, budget, 5);
  if (!r.problems.empty())
    throw StoreDamaged(path + ": store is damaged (quick_check: " + r.problems.front() +
                       (r.problems.size() > 1 ? "; and more" : "") +
                       "); nothing is written to it. See the damage with " + checkCommandFor(path) +
                       "; browse what is readable with `halflab-cli runs --read-only ...`");
  if (!r.complete) {
    char seconds[32];
    std::snprintf(seconds, sizeof seconds, "%.1f", static_cast<double>(budget.count()) / 1000.0);
    return path + ": the integrity check on open was cut short after " + seconds +
           " s (a big store); run " + checkCommandFor(path) + " for a full check";
  }
  if (known) {
    std::lock_guard lock(g_checked_mutex);
    g_checked.insert(id);
  }
  return {};
}

}  // namespace halflab::store

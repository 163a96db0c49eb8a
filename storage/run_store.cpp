#include "storage/run_store.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>

#include "storage/process_identity.hpp"
#include "storage/store_schema.hpp"

namespace halflab {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

double realOrNaN(const SQLite::Column& c) { return c.isNull() ? kNaN : c.getDouble(); }

RunStatus statusFromText(const std::string& s) {
  try {
    return parseRunStatus(s);
  } catch (const std::exception&) {
    return RunStatus::Failed;  // a status written by a newer build: show it as not usable
  }
}

EventKind eventKindFromText(const std::string& s) {
  for (int k = 0; k <= static_cast<int>(EventKind::Resumed); ++k)
    if (s == eventKindName(static_cast<EventKind>(k))) return static_cast<EventKind>(k);
  return EventKind::Warning;
}

constexpr const char* kRunColumns =
    "SELECT r.id, r.uuid, r.name, r.status, r.created_ms, r.started_ms, r.ended_ms, "
    "r.precision_mode, r.device, r.app_version, r.seed, r.total_steps, r.parameter_count, "
    "r.config_json, r.notes, s.run_id, s.steps, s.skipped_steps, s.overflow_steps, "
    "s.final_loss, s.final_val_loss, s.final_val_accuracy, s.best_val_accuracy, "
    "s.final_scale, s.wall_time_s, s.time_to_target_s, s.mean_samples_per_s, "
    "s.peak_memory_bytes, s.device, s.error, r.sweep_id, r.cell "
    "FROM runs r LEFT JOIN run_summary s ON s.run_id = r.id ";

RunRow readRunRow(SQLite::Statement& q) {
  RunRow r;
  r.id = q.getColumn(0).getInt64();
  r.uuid = q.getColumn(1).getString();
  r.name = q.getColumn(2).getString();
  r.status = statusFromText(q.getColumn(3).getString());
  r.created_ms = q.getColumn(4).getInt64();
  r.started_ms = q.getColumn(5).getInt64();
  r.ended_ms = q.getColumn(6).getInt64();
  r.precision_mode = q.getColumn(7).getString();
  r.device = q.getColumn(8).getString();
  r.app_version = q.getColumn(9).getString();
  r.seed = static_cast<std::uint64_t>(q.getColumn(10).getInt64());
  r.total_steps = q.getColumn(11).getInt64();
  r.parameter_count = q.getColumn(12).getInt64();
  r.config_json = q.getColumn(13).getString();
  r.notes = q.getColumn(14).getString();
  if (!q.getColumn(15).isNull()) {
    RunSummary s;
    s.status = r.status;
    s.steps = q.getColumn(16).getInt64();
    s.skipped_steps = q.getColumn(17).getInt64();
    s.overflow_steps = q.getColumn(18).getInt64();
    s.final_loss = realOrNaN(q.getColumn(19));
    s.final_val_loss = realOrNaN(q.getColumn(20));
    s.final_val_accuracy = realOrNaN(q.getColumn(21));
    s.best_val_accuracy = realOrNaN(q.getColumn(22));
    s.final_scale = realOrNaN(q.getColumn(23));
    s.wall_time_s = realOrNaN(q.getColumn(24));
    s.time_to_target_s = realOrNaN(q.getColumn(25));
    s.mean_samples_per_s = realOrNaN(q.getColumn(26));
    s.peak_memory_bytes = q.getColumn(27).getInt64();
    s.device = q.getColumn(28).getString();
    s.error = q.getColumn(29).getString();
    s.ended_ms = r.ended_ms;
    r.summary = s;
  }
  r.sweep_id = q.getColumn(30).getString();
  r.cell = q.getColumn(31).getString();
  return r;
}

// Keeps the first and the last point and, per bucket of steps in between, the lowest and
// the highest point. NaN ranks above everything, so a NaN step stays visible like any
// other spike. Returns at most max_points (>= 2) points in step order.
std::vector<MetricPoint> downsampleMinMax(const std::vector<MetricPoint>& pts,
                                          std::size_t max_points) {
  const std::size_t buckets = std::max<std::size_t>(1, (std::max<std::size_t>(max_points, 4) - 2) / 2);
  const std::size_t last = pts.size() - 1;
  const std::int64_t first_step = pts[1].step;
  const double span = static_cast<double>(pts[last - 1].step - first_step + 1);
  const auto bucketOf = [&](std::size_t i) {
    return static_cast<std::size_t>(static_cast<double>(pts[i].step - first_step) / span *
                                    static_cast<double>(buckets));
  };
  const auto higher = [](double a, double b) {  // a > b with NaN as the largest value
    if (std::isnan(b)) return false;
    return std::isnan(a) || a > b;
  };
  std::vector<MetricPoint> out;
  out.reserve(buckets * 2 + 2);
  out.push_back(pts.front());
  std::size_t i = 1;
  while (i < last) {
    const std::size_t bucket = bucketOf(i);
    std::size_t lo = i, hi = i, j = i;
    for (; j < last && bucketOf(j) == bucket; ++j) {
      if (higher(pts[lo].value, pts[j].value)) lo = j;
      if (higher(pts[j].value, pts[hi].value)) hi = j;
    }
    out.push_back(pts[std::min(lo, hi)]);
    if (lo != hi) out.push_back(pts[std::max(lo, hi)]);
    i = j;
  }
  out.push_back(pts.back());
  return out;
}

}  // namespace

RunStore RunStore::open(const std::string& path, StoreOpenMode mode, int busy_timeout_ms) {
  std::string note;
  auto db = store::openStoreDatabase(path, mode, busy_timeout_ms, 0, &note);
  RunStore s(path, mode == StoreOpenMode::ReadOnly, std::move(db));
  s.check_note_ = std::move(note);
  if (!s.read_only_) {
    // Best effort: a store locked by a live writer is still readable, the marking can
    // happen on a later open.
    try {
      s.markInterruptedRuns();
    } catch (const std::exception&) {
    }
  }
  return s;
}

RunStore::RunStore(std::string path, bool read_only, std::unique_ptr<SQLite::Database> db)
    : path_(std::move(path)), read_only_(read_only), db_(std::move(db)) {}
RunStore::RunStore(RunStore&&) noexcept = default;
RunStore& RunStore::operator=(RunStore&&) noexcept = default;
RunStore::~RunStore() = default;

int RunStore::markInterruptedRuns() {
  requireWritable("mark interrupted runs");
  try {
    return store::markInterruptedRuns(*db_);
  } catch (const std::exception& e) {
    store::throwStoreError(path_, e);
  }
}

std::vector<RunRow> RunStore::listRuns(const RunFilter& filter) const {
  if (!filter.status.empty()) {
    try {
      parseRunStatus(filter.status);
    } catch (const std::exception&) {
      throw StoreError("unknown run status '" + filter.status +
                       "' (expected pending, running, completed, failed, cancelled, "
                       "diverged or interrupted)");
    }
  }
  try {
    SQLite::Statement q(*db_, std::string(kRunColumns) +
        "WHERE (?1 = '' OR instr(lower(r.name), lower(?1)) > 0) "
        "AND (?2 = '' OR EXISTS (SELECT 1 FROM tags t WHERE t.run_id = r.id AND t.tag = ?2)) "
        "AND (?3 = '' OR r.precision_mode = ?3) AND (?4 = '' OR r.status = ?4) "
        "AND (?5 = '' OR r.sweep_id = ?5) "
        "ORDER BY r.id DESC");
    q.bind(1, filter.name_contains);
    q.bind(2, filter.tag);
    q.bind(3, filter.precision_mode);
    q.bind(4, filter.status);
    q.bind(5, filter.sweep_id);
    std::vector<RunRow> rows;
    while (q.executeStep()) rows.push_back(readRunRow(q));
    SQLite::Statement tags(*db_, "SELECT tag FROM tags WHERE run_id = ? ORDER BY tag");
    for (RunRow& r : rows) {
      tags.bind(1, r.id);
      while (tags.executeStep()) r.tags.push_back(tags.getColumn(0).getString());
      tags.reset();
    }
    return rows;
  } catch (const StoreError&) {
    throw;
  } catch (const std::exception& e) {
    store::throwStoreError(path_, e);
  }
}

std::optional<RunRow> RunStore::findRun(std::int64_t id) const {
  try {
    SQLite::Statement q(*db_, std::string(kRunColumns) + "WHERE r.id = ?");
    q.bind(1, id);
    if (!q.executeStep()) return std::nullopt;
    RunRow r = readRunRow(q);
    SQLite::Statement tags(*db_, "SELECT tag FROM tags WHERE run_id = ? ORDER BY tag");
    tags.bind(1, id);
    while (tags.executeStep()) r.tags.push_back(tags.getColumn(0).getString());
    return r;
  } catch (const std::exception& e) {
    store::throwStoreError(path_, e);
  }
}

RunRow RunStore::run(std::int64_t id) const {
  auto r = findRun(id);
  if (!r) throw StoreError(path_ + ": no run with id " + std::to_string(id));
  return *r;
}

void RunStore::requireRun(std::int64_t id) const {
  SQLite::Statement q(*db_, "SELECT 1 FROM runs WHERE id = ?");
  q.bind(1, id);
  if (!q.executeStep()) throw StoreError(path_ + ": no run with id " + std::to_string(id));
}

void RunStore::requireWritable(const char* what) const {
  if (read_only_)
    throw StoreError(path_ + ": store is opened read-only; cannot " + std::string(what));
}

void RunStore::requireNotTraining(std::int64_t id) const {
  try {
    SQLite::Statement q(*db_,
        "SELECT status, writer_pid, writer_boot_id, writer_start_ticks FROM runs WHERE id = ?");
    q.bind(1, id);
    if (!q.executeStep()) return;  // editRun names the missing id
    if (q.getColumn(0).getString() != runStatusName(RunStatus::Running)) return;
    ProcessIdentity writer;
    writer.pid = q.getColumn(1).getInt64();
    writer.boot_id = q.getColumn(2).getString();
    writer.start_ticks = q.getColumn(3).getInt64();
    if (!isProcessAlive(writer)) return;  // its writer is gone: an interrupted run
    throw StoreError(path_ + ": run " + std::to_string(id) + " is still training (written by " +
                     "process " + std::to_string(writer.pid) +
                     "); stop that run or wait for it to finish, then delete it");
  } catch (const StoreError&) {
    throw;
  } catch (const std::exception& e) {
    store::throwStoreError(path_, e);
  }
}

std::map<std::string, std::string> RunStore::params(std::int64_t id) const {
  try {
    std::map<std::string, std::string> out;
    SQLite::Statement q(*db_, "SELECT key, value FROM params WHERE run_id = ?");
    q.bind(1, id);
    while (q.executeStep()) out[q.getColumn(0).getString()] = q.getColumn(1).getString();
    return out;
  } catch (const std::exception& e) {
    store::throwStoreError(path_, e);
  }
}

std::vector<std::string> RunStore::metricKeys(std::int64_t id) const {
  try {
    std::vector<std::string> keys;
    SQLite::Statement q(*db_, "SELECT key FROM latest_metrics WHERE run_id = ? ORDER BY key");
    q.bind(1, id);
    while (q.executeStep()) keys.push_back(q.getColumn(0).getString());
    return keys;
  } catch (const std::exception& e) {
    store::throwStoreError(path_, e);
  }
}

std::vector<MetricPoint> RunStore::metricSeries(std::int64_t id, const std::string& key,
                                                std::size_t max_points) const {
  std::vector<MetricPoint> pts;
  try {
    SQLite::Statement q(*db_,
        "SELECT step, value, wall_ms, is_nan FROM metrics WHERE run_id = ? AND key = ? "
        "ORDER BY step");
    q.bind(1, id);
    q.bind(2, key);
    while (q.executeStep()) {
      MetricPoint p;
      p.step = q.getColumn(0).getInt64();
      p.value = q.getColumn(3).getInt() != 0 ? kNaN : realOrNaN(q.getColumn(1));
      p.wall_ms = q.getColumn(2).getDouble();
      pts.push_back(p);
    }
  } catch (const std::exception& e) {
    store::throwStoreError(path_, e);
  }
  if (max_points == 0 || pts.size() <= std::max<std::size_t>(max_points, 4)) return pts;
  return downsampleMinMax(pts, max_points);
}

std::vector<MetricStats> RunStore::metricStats(std::int64_t id) const {
  try {
    std::vector<MetricStats> out;
    SQLite::Statement q(*db_,
        "SELECT key, step, value, is_nan, min_value, max_value, count FROM latest_metrics "
        "WHERE run_id = ? ORDER BY key");
    q.bind(1, id);
    while (q.executeStep()) {
      MetricStats s;
      s.key = q.getColumn(0).getString();
      s.step = q.getColumn(1).getInt64();
      s.value = q.getColumn(3).getInt() != 0 ? kNaN : realOrNaN(q.getColumn(2));
      s.min = realOrNaN(q.getColumn(4));
      s.max = realOrNaN(q.getColumn(5));
      s.count = q.getColumn(6).getInt64();
      out.push_back(s);
    }
    return out;
  } catch (const std::exception& e) {
    store::throwStoreError(path_, e);
  }
}

std::vector<EventRecord> RunStore::events(std::int64_t id) const {
  try {
    std::vector<EventRecord> out;
    SQLite::Statement q(*db_,
        "SELECT step, kind, value, text, wall_ms FROM events WHERE run_id = ? ORDER BY step, id");
    q.bind(1, id);
    while (q.executeStep()) {
      EventRecord e;
      e.step = q.getColumn(0).getInt64();
      e.kind = eventKindFromText(q.getColumn(1).getString());
      e.value = realOrNaN(q.getColumn(2));
      e.text = q.getColumn(3).getString();
      e.wall_ms = q.getColumn(4).getDouble();
      out.push_back(std::move(e));
    }
    return out;
  } catch (const std::exception& e) {
    store::throwStoreError(path_, e);
  }
}

std::vector<HistogramRecord> RunStore::histograms(std::int64_t id, const std::string& tensor) const {
  try {
    std::vector<HistogramRecord> out;
    SQLite::Statement q(*db_,
        "SELECT step, tensor, kind, format, min_exp, max_exp, bins, zeros, infs, nans "
        "FROM histograms WHERE run_id = ?1 AND (?2 = '' OR tensor = ?2) ORDER BY step, id");
    q.bind(1, id);
    q.bind(2, tensor);
    while (q.executeStep()) {
      HistogramRecord h;
      h.step = q.getColumn(0).getInt64();
      h.tensor = q.getColumn(1).getString();
      h.kind = q.getColumn(2).getString();
      h.format = parseFormat(q.getColumn(3).getString()).value_or(Format::FP32);
      h.min_exp = q.getColumn(4).getInt();
      h.max_exp = q.getColumn(5).getInt();
      const SQLite::Column blob = q.getColumn(6);
      const auto* bytes = static_cast<const unsigned char*>(blob.getBlob());
      const std::size_t n = static_cast<std::size_t>(blob.getBytes()) / 8;
      h.bins.resize(n);
      for (std::size_t i = 0; i < n; ++i) {
        std::uint64_t v = 0;
        for (int k = 0; k < 8; ++k) v |= static_cast<std::uint64_t>(bytes[i * 8 + k]) << (8 * k);
        h.bins[i] = static_cast<std::int64_t>(v);
      }
      h.zeros = q.getColumn(7).getInt64();
      h.infs = q.getColumn(8).getInt64();
      h.nans = q.getColumn(9).getInt64();
      out.push_back(std::move(h));
    }
    return out;
  } catch (const std::exception& e) {
    store::throwStoreError(path_, e);
  }
}

std::vector<std::string> RunStore::histogramTensors(std::int64_t id) const {
  try {
    std::vector<std::string> out;
    SQLite::Statement q(*db_,
        "SELECT DISTINCT tensor FROM histograms WHERE run_id = ? ORDER BY tensor");
    q.bind(1, id);
    while (q.executeStep()) out.push_back(q.getColumn(0).getString());
    return out;
  } catch (const std::exception& e) {
    store::throwStoreError(path_, e);
  }
}

namespace {

// Runs one editing statement on an existing run; `what` names the edit in errors.
template <typename Bind>
void editRun(SQLite::Database& db, const std::string& path, std::int64_t id, const char* sql,
             Bind&& bind) {
  try {
    SQLite::Statement exists(db, "SELECT 1 FROM runs WHERE id = ?");
    exists.bind(1, id);
    if (!exists.executeStep()) throw StoreError(path + ": no run with id " + std::to_string(id));
    exists.reset();
    SQLite::Statement st(db, sql);
    bind(st);
    st.exec();
  } catch (const StoreError&) {
    throw;
  } catch (const std::exception& e) {
    store::throwStoreError(path, e);
  }
}

}  // namespace

void RunStore::rename(std::int64_t id, const std::string& name) {
  requireWritable("rename a run");
  editRun(*db_, path_, id, "UPDATE runs SET name = ?2 WHERE id = ?1", [&](SQLite::Statement& s) {
    s.bind(1, id);
    s.bind(2, name);
  });
}

void RunStore::setNote(std::int64_t id, const std::string& notes) {
  requireWritable("set a note");
  editRun(*db_, path_, id, "UPDATE runs SET notes = ?2 WHERE id = ?1", [&](SQLite::Statement& s) {
    s.bind(1, id);
    s.bind(2, notes);
  });
}

void RunStore::addTag(std::int64_t id, const std::string& tag) {
  requireWritable("add a tag");
  if (tag.empty()) throw StoreError("tag must not be empty");
  editRun(*db_, path_, id, "INSERT OR IGNORE INTO tags (run_id, tag) VALUES (?1, ?2)",
          [&](SQLite::Statement& s) {
            s.bind(1, id);
            s.bind(2, tag);
          });
}

void RunStore::removeTag(std::int64_t id, const std::string& tag) {
  requireWritable("remove a tag");
  editRun(*db_, path_, id, "DELETE FROM tags WHERE run_id = ?1 AND tag = ?2",
          [&](SQLite::Statement& s) {
            s.bind(1, id);
            s.bind(2, tag);
          });
}

void RunStore::deleteRun(std::int64_t id) {
  requireWritable("delete a run");
  requireNotTraining(id);
  // foreign_keys=ON: metrics, latest_metrics, params, tags, events, histograms and
  // run_summary rows go with it (ON DELETE CASCADE), all in one statement/transaction.
  editRun(*db_, path_, id, "DELETE FROM runs WHERE id = ?1",
          [&](SQLite::Statement& s) { s.bind(1, id); });
}

}  // namespace halflab

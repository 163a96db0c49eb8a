#pragma once
// Reading and editing a run store: the run browser, compare view, exports and the
// `halflab-cli runs` commands go through this. Safe to use while another process (a
// trainer's RunWriter) writes the same file: WAL readers see the last committed state.
// One RunStore is one SQLite connection: use it from one thread at a time.
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/record/records.hpp"
#include "storage/store_error.hpp"
#include "storage/store_open_mode.hpp"

namespace SQLite { class Database; }

namespace halflab {

// Empty fields match everything.
struct RunFilter {
  std::string name_contains;   // case-insensitive substring of the name
  std::string tag;             // exact tag
  std::string precision_mode;  // exact, e.g. "fp16"
  std::string status;          // exact status name, e.g. "completed"
  std::string sweep_id;        // exact sweep id
};

struct RunRow {
  std::int64_t id = 0;
  std::string uuid;
  std::string name;
  RunStatus status = RunStatus::Running;
  std::int64_t created_ms = 0, started_ms = 0, ended_ms = 0;  // unix epoch ms; 0 = unknown
  std::string precision_mode;
  std::string device;
  std::string app_version;
  std::uint64_t seed = 0;
  std::int64_t total_steps = 0;
  std::int64_t parameter_count = 0;
  std::string config_json;
  std::vector<std::string> tags;  // sorted
  std::string notes;
  std::string sweep_id;  // "" for runs not started by a sweep
  std::string cell;      // the sweep cell: grid values and seed
  std::optional<RunSummary> summary;  // set once the run finished (onRunFinished)
};

struct MetricPoint {
  std::int64_t step = 0;
  double value = 0;  // NaN where a NaN was recorded
  double wall_ms = 0;  // ms since the run started
};

// Per run and key: the latest value and the range (latest_metrics).
struct MetricStats {
  std::string key;
  std::int64_t step = 0;
  double value = 0;
  double min = 0, max = 0;  // over the finite values; NaN when there were none
  std::int64_t count = 0;
};

class RunStore {
 public:
  // Opens a store (Create also makes an empty one). Read-write opens refuse a damaged
  // store (StoreDamaged, after a quick check bounded to ~2 s) and mark `running` runs
  // whose writer process is gone as `interrupted`. Throws StoreError naming the file.
  // Any reader meeting a damaged page throws StoreDamaged instead of returning part of
  // the data.
  static RunStore open(const std::string& path, StoreOpenMode mode = StoreOpenMode::Create,
                       int busy_timeout_ms = 5000);
  RunStore(RunStore&&) noexcept;
  RunStore& operator=(RunStore&&) noexcept;
  ~RunStore();

  const std::string& path() const { return path_; }
  bool readOnly() const { return read_only_; }
  // "" or why the integrity check on open did not cover the whole store (cut short).
  const std::string& checkNote() const { return check_note_; }

  std::vector<RunRow> listRuns(const RunFilter& filter = {}) const;  // newest first
  RunRow run(std::int64_t id) const;                 // throws StoreError if there is none
  std::optional<RunRow> findRun(std::int64_t id) const;
  std::map<std::string, std::string> params(std::int64_t id) const;  // flattened config

  std::vector<std::string> metricKeys(std::int64_t id) const;  // sorted
  // All points of one series in step order. With max_points > 0 and a longer series, the
  // first and last points are kept and the steps between are cut into (max_points-2)/2
  // equal buckets, each keeping its min and max point (in step order), so spikes, NaNs
  // and overflow steps survive the downsampling. At most max(max_points, 4) points.
  std::vector<MetricPoint> metricSeries(std::int64_t id, const std::string& key,
                                        std::size_t max_points = 0) const;
  std::vector<MetricStats> metricStats(std::int64_t id) const;
  std::vector<EventRecord> events(std::int64_t id) const;  // in step order
  // All histograms of a run (tensor empty) or of one tensor, in step order.
  std::vector<HistogramRecord> histograms(std::int64_t id, const std::string& tensor = {}) const;
  std::vector<std::string> histogramTensors(std::int64_t id) const;

  // Editing (throws StoreError on a read-only store or an unknown run id).
  void rename(std::int64_t id, const std::string& name);
  void setNote(std::int64_t id, const std::string& notes);
  void addTag(std::int64_t id, const std::string& tag);
  void removeTag(std::int64_t id, const std::string& tag);
  // With all its metrics, events, histograms, ... Refused (StoreError) while the run is
  // still training: status `running` and its writer process alive.
  void deleteRun(std::int64_t id);

  // Marks `running` runs whose writer process is gone as `interrupted` (open() already
  // does this for read-write stores); returns how many were marked.
  int markInterruptedRuns();

 private:
  RunStore(std::string path, bool read_only, std::unique_ptr<SQLite::Database> db);
  void requireNotTraining(std::int64_t id) const;
  void requireWritable(const char* what) const;
  void requireRun(std::int64_t id) const;

  std::string path_;
  bool read_only_ = false;
  std::string check_note_;
  std::unique_ptr<SQLite::Database> db_;
};

}  // namespace halflab

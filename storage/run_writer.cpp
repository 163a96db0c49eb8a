#include "storage/run_writer.hpp"

#include <array>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <thread>
#include <vector>

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>
#include <nlohmann/json.hpp>
#include <sqlite3.h>

#include "engine/json/bounded_json.hpp"
#include "storage/config_params.hpp"
#include "storage/process_identity.hpp"
#include "storage/store_error.hpp"
#include "storage/store_schema.hpp"

#ifndef HALFLAB_VERSION
#define HALFLAB_VERSION "unknown"
#endif

namespace halflab {
namespace {

struct Batch {
  std::vector<StepRecord> steps;
  std::vector<EvalRecord> evals;
  std::vector<HistogramRecord> histograms;
  std::vector<EventRecord> events;
  std::optional<RunSummary> summary;

  std::size_t size() const {
    return steps.size() + evals.size() + histograms.size() + events.size() + (summary ? 1 : 0);
  }
  bool empty() const { return size() == 0; }
  void append(Batch&& o) {
    if (steps.empty()) steps = std::move(o.steps);
    else steps.insert(steps.end(), o.steps.begin(), o.steps.end());
    evals.insert(evals.end(), o.evals.begin(), o.evals.end());
    histograms.insert(histograms.end(), std::make_move_iterator(o.histograms.begin()),
                      std::make_move_iterator(o.histograms.end()));
    events.insert(events.end(), o.events.begin(), o.events.end());
    if (o.summary) summary = std::move(o.summary);
    o = Batch{};
  }
};

// The per-key aggregate kept in latest_metrics.
struct LatestValue {
  std::int64_t step = 0;
  double value = 0;
  double wall_ms = 0;
  bool is_nan = false;
  bool has_range = false;
  double min = 0, max = 0;
  std::int64_t count = 0;

  void add(std::int64_t s, double v, double wall) {
    if (count == 0 || s >= step) {
      step = s;
      value = v;
      wall_ms = wall;
      is_nan = std::isnan(v);
    }
    if (std::isfinite(v)) {
      min = has_range ? std::min(min, v) : v;
      max = has_range ? std::max(max, v) : v;
      has_range = true;
    }
    ++count;
  }
};

// Every metric key the writer produces, in a fixed order so the hot path indexes an
// array instead of looking strings up.
enum MetricKey : int {
  kLoss, kScale, kScaleBefore, kFoundInf, kSkipped, kGradNorm, kLr, kStepTimeMs,
  kSamplesPerS, kUnderflow, kSubnormal, kOverflow, kGradElements, kStalledUpdates,
  kUpdatedElements, kZeroWeightGrads, kWeightGradElements,
  kGrowthTracker, kHysteresis, kTrainLoss, kTrainAccuracy, kValLoss, kValAccuracy, kKeyCount
};
constexpr const char* kMetricKeyNames[kKeyCount] = {
    "loss", "scale", "scale_before", "found_inf", "skipped", "grad_norm", "lr",
    "step_time_ms", "samples_per_s", "underflow", "subnormal", "overflow", "grad_elements",
    "stalled_updates", "updated_elements", "zero_weight_grads", "weight_grad_elements",
    "growth_tracker", "hysteresis", "train_loss", "train_accuracy",
    "val_loss", "val_accuracy"};

constexpr int kStepMetricCount = kTrainLoss;  // keys written per step record

using LatestTable = std::array<std::optional<LatestValue>, kKeyCount>;

std::string makeUuid() {
  static std::mutex m;
  static std::mt19937_64 rng{std::random_device{}() ^
                             static_cast<std::uint64_t>(store::nowEpochMs())};
  std::uint64_t hi, lo;
  {
    std::lock_guard lock(m);
    hi = rng();
    lo = rng();
  }
  hi = (hi & 0xFFFFFFFFFFFF0FFFull) | 0x0000000000004000ull;  // version 4
  lo = (lo & 0x3FFFFFFFFFFFFFFFull) | 0x8000000000000000ull;  // RFC 4122 variant
  char buf[40];
  std::snprintf(buf, sizeof buf, "%08x-%04x-%04x-%04x-%012llx",
                static_cast<unsigned>(hi >> 32), static_cast<unsigned>((hi >> 16) & 0xFFFF),
                static_cast<unsigned>(hi & 0xFFFF), static_cast<unsigned>(lo >> 48),
                static_cast<unsigned long long>(lo & 0xFFFFFFFFFFFFull));
  return buf;
}

const char* storedStatus(RunStatus s) {
  // A finished run cannot still be running: an odd summary status counts as completed.
  if (s == RunStatus::Running || s == RunStatus::Pending) return runStatusName(RunStatus::Completed);
  return runStatusName(s);
}

}  // namespace

struct RunWriter::Impl {
  std::string path;
  RunWriterOptions options;
  ProcessIdentity me = currentProcessIdentity();

  // Guards the connection, its statements, `retry`, `pending_info` and `latest`. Only the
  // writer thread and onRunStarted take it: the training thread's record calls never do.
  std::mutex db_mutex;
  std::unique_ptr<SQLite::Database> db;
  // The hot statement is a raw sqlite3_stmt: SQLiteCpp does not expose its handle.
  struct StmtFinalizer {
    void operator()(sqlite3_stmt* st) const { sqlite3_finalize(st); }
  };
  std::unique_ptr<sqlite3_stmt, StmtFinalizer> insert_metric;
  std::unique_ptr<SQLite::Statement> upsert_latest, insert_event,
      insert_histogram, insert_summary, finish_run, insert_param;
  Batch retry;                         // a batch whose transaction failed, to try again
  std::optional<RunInfo> pending_info; // run row not inserted yet (store was locked)
  LatestTable latest;

  // Guards the queue and the flush / error bookkeeping.
  mutable std::mutex mu;
  std::condition_variable wake, flushed;
  Batch queue;
  std::size_t retry_size = 0;
  std::uint64_t flush_requested = 0, flush_served = 0;
  bool last_ok = true;
  bool stop = false;
  std::string last_error;
  std::int64_t dropped = 0;
  // The current run only (reset by onRunStarted): its latest write error, its drops.
  std::string run_error;
  std::int64_t run_dropped = 0;
  std::string check_note;

  std::atomic<std::int64_t> run_id{0};
  std::atomic<std::int64_t> committed_rows{0};
  std::thread thread;

  void setError(const std::string& message) {
    std::lock_guard lock(mu);
    last_error = message;
    run_error = message;
  }

  void prepare() {
    auto& d = *db;
    sqlite3_stmt* raw = nullptr;
    const int rc = sqlite3_prepare_v2(d.getHandle(),
        "INSERT OR REPLACE INTO metrics (run_id, key, step, value, wall_ms, is_nan) "
        "VALUES (?, ?, ?, ?, ?, ?)", -1, &raw, nullptr);
    if (rc != SQLITE_OK) throw SQLite::Exception(d.getHandle(), rc);
    insert_metric.reset(raw);
    upsert_latest = std::make_unique<SQLite::Statement>(d,
        "INSERT OR REPLACE INTO latest_metrics (run_id, key, step, value, wall_ms, is_nan, "
        "min_value, max_value, count) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");
    insert_event = std::make_unique<SQLite::Statement>(d,
        "INSERT INTO events (run_id, step, kind, value, text, wall_ms) VALUES (?, ?, ?, ?, ?, ?)");
    insert_histogram = std::make_unique<SQLite::Statement>(d,
        "INSERT INTO histograms (run_id, step, tensor, kind, format, min_exp, max_exp, bins, "
        "zeros, infs, nans) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    insert_summary = std::make_unique<SQLite::Statement>(d,
        "INSERT OR REPLACE INTO run_summary (run_id, steps, skipped_steps, overflow_steps, "
        "final_loss, final_val_loss, final_val_accuracy, best_val_accuracy, final_scale, "
        "wall_time_s, time_to_target_s, mean_samples_per_s, peak_memory_bytes, device, error) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    finish_run = std::make_unique<SQLite::Statement>(d,
        "UPDATE runs SET status = ?, ended_ms = ?, "
        "device = CASE WHEN device = '' THEN ? ELSE device END WHERE id = ?");
    insert_param = std::make_unique<SQLite::Statement>(d,
        "INSERT OR REPLACE INTO params (run_id, key, value) VALUES (?, ?, ?)");
  }

  // Inserts the runs row and its params; the caller holds a transaction.
  std::int64_t insertRunRow(const RunInfo& info) {
    SQLite::Statement ins(*db,
        "INSERT INTO runs (uuid, name, status, created_ms, started_ms, config_json, "
        "precision_mode, device, app_version, seed, total_steps, steps_per_epoch, "
        "parameter_count, writer_pid, writer_boot_id, writer_start_ticks, sweep_id, cell) "
        "VALUES (?, ?, 'running', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    const std::int64_t now = store::nowEpochMs();
    ins.bind(1, makeUuid());
    ins.bind(2, info.name);
    ins.bind(3, now);
    ins.bind(4, info.started_ms != 0 ? info.started_ms : now);
    ins.bind(5, info.config_json.empty() ? std::string("{}") : info.config_json);
    ins.bind(6, info.precision_mode);
    ins.bind(7, info.device);
    ins.bind(8, std::string(HALFLAB_VERSION));
    ins.bind(9, static_cast<std::int64_t>(info.seed));  // bit pattern; read back as uint64
    ins.bind(10, info.total_steps);
    ins.bind(11, info.steps_per_epoch);
    ins.bind(12, info.parameter_count);
    ins.bind(13, me.pid);
    ins.bind(14, me.boot_id);
    ins.bind(15, me.start_ticks);
    ins.bind(16, options.sweep_id);
    ins.bind(17, options.cell);
    ins.exec();
    const std::int64_t id = db->getLastInsertRowid();

    // Params: a config that is not JSON is still stored verbatim, just not flattened.
    const auto config = parseBoundedJsonOrDiscarded(info.config_json);
    if (!config.is_discarded()) {
      for (const auto& [key, value] : flattenConfigJson(config)) {
        insert_param->bind(1, id);
        insert_param->bind(2, key);
        insert_param->bind(3, value);
        insert_param->exec();
        insert_param->reset();
      }
    }
    return id;
  }

  void insertMetric(std::int64_t run, MetricKey key, std::int64_t step, double value,
                    double wall_ms, LatestTable& touched) {
    // Raw binds on the hot path: this runs ~200k times a second in the benchmark.
    sqlite3_stmt* st = insert_metric.get();
    sqlite3_bind_int64(st, 1, run);
    sqlite3_bind_text(st, 2, kMetricKeyNames[key], -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, step);
    const bool nan = std::isnan(value);
    if (nan) sqlite3_bind_null(st, 4);
    else sqlite3_bind_double(st, 4, value);
    sqlite3_bind_double(st, 5, wall_ms);
    sqlite3_bind_int(st, 6, nan ? 1 : 0);
    const int rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) throw SQLite::Exception(db->getHandle(), rc);
    auto& t = touched[key];
    if (!t) t = latest[key].value_or(LatestValue{});
    t->add(step, value, wall_ms);
  }

  // One transaction for the whole batch. Returns false (and rolls back) on any error.
  bool writeBatch(Batch& b) {
    std::int64_t id = run_id.load();
    if (id == 0 && !pending_info) {
      b = Batch{};  // records with no run to belong to (before onRunStarted): nothing to do
      return true;
    }
    std::int64_t rows = 0;
    try {
      db->exec("BEGIN IMMEDIATE");
      if (pending_info) id = insertRunRow(*pending_info);
      LatestTable touched;

      for (const StepRecord& r : b.steps) {
        const auto m = [&](MetricKey key, double v) {
          insertMetric(id, key, r.step, v, r.wall_ms, touched);
        };
        m(kLoss, r.loss);
        m(kScale, r.scale_after);
        m(kScaleBefore, r.scale_before);
        m(kFoundInf, r.found_inf ? 1 : 0);
        m(kSkipped, r.skipped ? 1 : 0);
        m(kGradNorm, r.grad_norm);
        m(kLr, r.lr);
        m(kStepTimeMs, r.step_time_ms);
        m(kSamplesPerS, r.samples_per_s);
        m(kUnderflow, static_cast<double>(r.underflow));
        m(kSubnormal, static_cast<double>(r.subnormal));
        m(kOverflow, static_cast<double>(r.overflow));
        m(kGradElements, static_cast<double>(r.grad_elements));
        m(kStalledUpdates, static_cast<double>(r.stalled_updates));
        m(kUpdatedElements, static_cast<double>(r.updated_elements));
        m(kZeroWeightGrads, static_cast<double>(r.zero_weight_grads));
        m(kWeightGradElements, static_cast<double>(r.weight_grad_elements));
        m(kGrowthTracker, r.growth_tracker);
        m(kHysteresis, r.hysteresis);
        rows += kStepMetricCount;
      }
      for (const EvalRecord& r : b.evals) {
        insertMetric(id, kTrainLoss, r.step, r.train_loss, r.wall_ms, touched);
        insertMetric(id, kTrainAccuracy, r.step, r.train_accuracy, r.wall_ms, touched);
        insertMetric(id, kValLoss, r.step, r.val_loss, r.wall_ms, touched);
        insertMetric(id, kValAccuracy, r.step, r.val_accuracy, r.wall_ms, touched);
        rows += 4;
      }
      for (const EventRecord& e : b.events) {
        auto& st = *insert_event;
        st.bind(1, id);
        st.bind(2, e.step);
        st.bindNoCopy(3, eventKindName(e.kind));
        if (std::isnan(e.value)) st.bind(4);
        else st.bind(4, e.value);
        st.bindNoCopy(5, e.text);
        st.bind(6, e.wall_ms);
        st.exec();
        st.reset();
      }
      std::vector<unsigned char> blob;
      for (const HistogramRecord& h : b.histograms) {
        blob.resize(h.bins.size() * 8);
        for (std::size_t i = 0; i < h.bins.size(); ++i) {
          const auto v = static_cast<std::uint64_t>(h.bins[i]);
          for (int k = 0; k < 8; ++k) blob[i * 8 + k] = static_cast<unsigned char>(v >> (8 * k));
        }
        auto& st = *insert_histogram;
        st.bind(1, id);
        st.bind(2, h.step);
        st.bindNoCopy(3, h.tensor);
        st.bindNoCopy(4, h.kind);
        st.bind(5, std::string(formatName(h.format)));
        st.bind(6, h.min_exp);
        st.bind(7, h.max_exp);
        st.bindNoCopy(8, blob.data(), static_cast<int>(blob.size()));
        st.bind(9, h.zeros);
        st.bind(10, h.infs);
        st.bind(11, h.nans);
        st.exec();
        st.reset();
      }
      for (int key = 0; key < kKeyCount; ++key) {
        if (!touched[key]) continue;
        const LatestValue& v = *touched[key];
        auto& st = *upsert_latest;
        st.bind(1, id);
        st.bindNoCopy(2, kMetricKeyNames[key]);
        st.bind(3, v.step);
        if (v.is_nan) st.bind(4);
        else st.bind(4, v.value);
        st.bind(5, v.wall_ms);
        st.bind(6, v.is_nan ? 1 : 0);
        if (v.has_range) {
          st.bind(7, v.min);
          st.bind(8, v.max);
        } else {
          st.bind(7);
          st.bind(8);
        }
        st.bind(9, v.count);
        st.exec();
        st.reset();
      }
      if (b.summary) {
        const RunSummary& s = *b.summary;
        auto& st = *insert_summary;
        st.bind(1, id);
        st.bind(2, s.steps);
        st.bind(3, s.skipped_steps);
        st.bind(4, s.overflow_steps);
        const auto real = [&](int i, double v) { std::isnan(v) ? st.bind(i) : st.bind(i, v); };
        real(5, s.final_loss);
        real(6, s.final_val_loss);
        real(7, s.final_val_accuracy);
        real(8, s.best_val_accuracy);
        real(9, s.final_scale);
        real(10, s.wall_time_s);
        real(11, s.time_to_target_s);
        real(12, s.mean_samples_per_s);
        st.bind(13, s.peak_memory_bytes);
        st.bind(14, s.device);
        st.bind(15, s.error);
        st.exec();
        st.reset();
        auto& fin = *finish_run;
        fin.bind(1, std::string(storedStatus(s.status)));
        fin.bind(2, s.ended_ms != 0 ? s.ended_ms : store::nowEpochMs());
        fin.bind(3, s.device);
        fin.bind(4, id);
        fin.exec();
        fin.reset();
      }
      db->exec("COMMIT");
      for (int key = 0; key < kKeyCount; ++key)
        if (touched[key]) latest[key] = touched[key];
      if (pending_info) {
        pending_info.reset();
        run_id.store(id);
      }
      committed_rows += rows;
      b = Batch{};
      return true;
    } catch (const std::exception& e) {
      sqlite3_reset(insert_metric.get());
      for (auto* st : {upsert_latest.get(), insert_event.get(),
                       insert_histogram.get(), insert_summary.get(), finish_run.get(),
                       insert_param.get()})
        st->tryReset();
      try { db->exec("ROLLBACK"); } catch (...) {}
      setError(store::describeStoreError(path, e));
      return false;
    }
  }

  void loop() {
    std::unique_lock lk(mu);
    for (;;) {
      wake.wait_for(lk, std::chrono::milliseconds(options.flush_interval_ms),
                    [&] { return stop || flush_requested > flush_served; });
      const bool stopping = stop;
      lk.unlock();
      bool ok = true;
      std::uint64_t serving = 0;
      {
        std::lock_guard dbl(db_mutex);
        Batch fresh;
        {
          std::lock_guard lock(mu);
          fresh = std::move(queue);
          queue = Batch{};
          // Room for the next interval's steps now, so onStep never reallocates a big
          // vector while holding the lock.
          queue.steps.reserve(std::max<std::size_t>(1024, fresh.steps.size() * 2));
          serving = flush_requested;
        }
        retry.append(std::move(fresh));
        if (!retry.empty() || pending_info) ok = writeBatch(retry);
        if (!ok && stopping) {
          const std::size_t lost = retry.size();
          retry = Batch{};
          setError(lastErrorCopy() + "; " + std::to_string(lost) +
                   " records could not be written before the writer closed");
        }
        std::lock_guard lock(mu);
        retry_size = retry.size();
      }
      lk.lock();
      if (serving > flush_served) flush_served = serving;
      last_ok = ok;
      flushed.notify_all();
      if (stopping) return;
    }
  }

  std::string lastErrorCopy() {
    std::lock_guard lock(mu);
    return last_error;
  }

  // Queues one record unless the backlog is over the cap (steps only, see header).
  template <typename Fn>
  void push(Fn&& add, bool droppable) {
    std::lock_guard lock(mu);
    if (droppable && queue.size() + retry_size >= options.max_pending_records) {
      ++run_dropped;
      if (dropped++ == 0)
        last_error += (last_error.empty() ? "" : "; ") + std::string("write backlog full: dropping step records");
      return;
    }
    add(queue);
  }
};

RunWriter::RunWriter(const std::string& db_path, RunWriterOptions options)
    : impl_(std::make_unique<Impl>()) {
  impl_->path = db_path;
  impl_->options = options;
  // NOMUTEX: db_mutex already serialises every use of this connection.
  impl_->db = store::openStoreDatabase(db_path, StoreOpenMode::Create, options.busy_timeout_ms,
                                       SQLite::OPEN_NOMUTEX, &impl_->check_note);
  try {
    // A bigger page cache for the writer: batches touch ~20 insertion points.
    impl_->db->exec("PRAGMA cache_size = -32768");
    if (options.max_page_count > 0)
      impl_->db->exec("PRAGMA max_page_count = " + std::to_string(options.max_page_count));
    impl_->prepare();
  } catch (const std::exception& e) {
    throw StoreError(store::describeStoreError(db_path, e));
  }
  // Recover runs of writers that died; a locked store just means "next time".
  try {
    store::markInterruptedRuns(*impl_->db);
  } catch (const std::exception& e) {
    impl_->last_error = store::describeStoreError(db_path, e) + " (marking interrupted runs)";
  }
  impl_->thread = std::thread([this] { impl_->loop(); });
}

RunWriter::~RunWriter() {
  {
    std::lock_guard lock(impl_->mu);
    impl_->stop = true;
    ++impl_->flush_requested;
  }
  impl_->wake.notify_all();
  if (impl_->thread.joinable()) impl_->thread.join();
}

void RunWriter::onRunStarted(const RunInfo& info) {
  Impl& d = *impl_;
  std::lock_guard dbl(d.db_mutex);
  std::size_t leftover = 0;
  {
    std::lock_guard lock(d.mu);
    leftover = d.queue.size() + d.retry.size();
    d.queue = Batch{};
    d.retry_size = 0;
    d.run_error.clear();
    d.run_dropped = 0;
    d.last_ok = true;
    if (leftover > 0)
      d.last_error += (d.last_error.empty() ? "" : "; ") + std::to_string(leftover) +
                      " records of the previous run could not be written and were dropped";
  }
  d.retry = Batch{};
  d.latest = LatestTable{};
  d.pending_info.reset();
  d.run_id.store(0);
  try {
    d.db->exec("BEGIN IMMEDIATE");
    const std::int64_t id = d.insertRunRow(info);
    d.db->exec("COMMIT");
    d.run_id.store(id);
  } catch (const std::exception& e) {
    d.insert_param->tryReset();
    try { d.db->exec("ROLLBACK"); } catch (...) {}
    d.pending_info = info;  // the writer thread keeps trying with the next batch
    d.setError(store::describeStoreError(d.path, e) + " (creating the run row; will retry)");
  }
}

void RunWriter::onStep(const StepRecord& r) {
  impl_->push([&](Batch& q) { q.steps.push_back(r); }, true);
}
void RunWriter::onEval(const EvalRecord& r) {
  impl_->push([&](Batch& q) { q.evals.push_back(r); }, false);
}
void RunWriter::onHistogram(const HistogramRecord& r) {
  impl_->push([&](Batch& q) { q.histograms.push_back(r); }, false);
}
void RunWriter::onEvent(const EventRecord& r) {
  impl_->push([&](Batch& q) { q.events.push_back(r); }, false);
}
void RunWriter::onRunFinished(const RunSummary& s) {
  impl_->push([&](Batch& q) { q.summary = s; }, false);
  flush();
}

std::int64_t RunWriter::runId() const { return impl_->run_id.load(); }

bool RunWriter::flush() {
  Impl& d = *impl_;
  std::unique_lock lk(d.mu);
  if (d.stop) return false;
  const std::uint64_t ticket = ++d.flush_requested;
  d.wake.notify_all();
  d.flushed.wait(lk, [&] { return d.flush_served >= ticket; });
  return d.last_ok;
}

std::string RunWriter::lastError() const {
  std::lock_guard lock(impl_->mu);
  return impl_->last_error;
}

std::string RunWriter::runProblem() const {
  const Impl& d = *impl_;
  std::lock_guard lock(d.mu);
  const std::string why = d.run_error.empty() ? d.last_error : d.run_error;
  if (d.run_dropped > 0)
    return std::to_string(d.run_dropped) +
           " step records were dropped while the store could not keep up (" + why + ")";
  if (!d.last_ok || d.retry_size > 0 || !d.queue.empty() || d.run_id.load() == 0)
    return why.empty() ? d.path + ": the run is not completely stored" : why;
  return {};
}

std::int64_t RunWriter::unstoredRecords() const {
  const Impl& d = *impl_;
  std::lock_guard lock(d.mu);
  return static_cast<std::int64_t>(d.retry_size + d.queue.size()) + d.run_dropped;
}

const std::string& RunWriter::checkNote() const { return impl_->check_note; }

std::int64_t RunWriter::droppedRecords() const {
  std::lock_guard lock(impl_->mu);
  return impl_->dropped;
}

std::int64_t RunWriter::committedMetricRows() const { return impl_->committed_rows.load(); }

const std::string& RunWriter::path() const { return impl_->path; }

}  // namespace halflab

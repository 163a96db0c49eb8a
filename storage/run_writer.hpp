#pragma once
// Writes one run (or several, one after another) into a run store without ever making
// the training thread wait on SQLite.
//
// onRunStarted inserts the run row synchronously (status `running`, with this process's
// pid / boot id / start time so a later open can tell a live writer from a dead one); on
// a store locked by another writer it waits at most busy_timeout_ms, then leaves the
// insert to the writer thread (runId() stays 0 until it succeeds).
// Every other callback only appends to a mutex-protected queue; a background thread
// drains it in one transaction per batch, at least every flush_interval_ms, and at once
// on flush() / onRunFinished (which returns once the summary is committed).
//
// Error policy (disk full, database locked by another writer, I/O error): the training
// thread never sees an exception. The failed batch is rolled back and kept, and retried
// on the next cycle; the message is exposed by lastError(). While the backlog exceeds
// max_pending_records, new step records are dropped (counted in droppedRecords()); evals,
// events, histograms and the summary are always kept. If the final flush of a run fails,
// onRunFinished returns anyway (the run stays `running` in the store and is marked
// `interrupted` on a later open) and the backlog is kept for later retries until the
// next onRunStarted or destruction, where it is given up (and noted in lastError()).
// runProblem() tells, after onRunFinished, whether the run is completely stored: a caller
// that must not lose a run (the CLI) keeps its own copy of the records and writes it
// elsewhere when it is not.
//
// The store is opened with a bounded quick integrity check: a damaged store throws
// StoreDamaged and nothing is appended to it.
#include <cstdint>
#include <memory>
#include <string>

#include "engine/record/observer.hpp"

namespace halflab {

struct RunWriterOptions {
  int flush_interval_ms = 250;
  int busy_timeout_ms = 5000;          // how long one attempt waits for another writer
  std::size_t max_pending_records = 200000;
  std::int64_t max_page_count = 0;     // > 0 caps the file size (tests: a "full disk")
  // Stored on every run this writer starts (a sweep's worker: its sweep and cell).
  std::string sweep_id;
  std::string cell;
};

class RunWriter : public RunObserver {
 public:
  // Opens or creates the store (throws StoreError naming the file and the problem).
  explicit RunWriter(const std::string& db_path, RunWriterOptions options = {});
  ~RunWriter() override;  // flushes what it can, joins the writer thread
  RunWriter(const RunWriter&) = delete;
  RunWriter& operator=(const RunWriter&) = delete;

  void onRunStarted(const RunInfo& info) override;
  void onStep(const StepRecord& r) override;
  void onEval(const EvalRecord& r) override;
  void onHistogram(const HistogramRecord& r) override;
  void onEvent(const EventRecord& r) override;
  void onRunFinished(const RunSummary& s) override;

  // Id of the current run's row; 0 before onRunStarted or while the row could not be
  // inserted yet (locked store: the writer thread keeps trying).
  std::int64_t runId() const;
  // Blocks until everything queued before the call is committed. False when the attempt
  // failed (see lastError()).
  bool flush();
  // The latest write problem ("" if none), e.g. "runs.sqlite: database is locked ...".
  std::string lastError() const;
  // "" when every record of the current run (since onRunStarted) is committed; otherwise
  // why not (the store's error, dropped records). Meaningful after onRunFinished / flush().
  std::string runProblem() const;
  // Records of the current run that are not in the store (kept for a retry, or dropped).
  std::int64_t unstoredRecords() const;
  // "" or a note that the integrity check on open was cut short (a big store).
  const std::string& checkNote() const;
  std::int64_t droppedRecords() const;       // step records dropped over the backlog cap
  std::int64_t committedMetricRows() const;  // metric rows committed so far (all runs)
  const std::string& path() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace halflab

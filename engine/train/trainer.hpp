#pragma once
// Runs one training run synchronously on the calling thread, reporting through a
// RunObserver. Thread-safe controls (cancel, pause) may be called from any thread.
#include <atomic>
#include <exception>
#include <memory>
#include <string>

#include "engine/record/observer.hpp"
#include "engine/train/run_config.hpp"

namespace halflab {

struct DataSplit;

// Why cfg.training.device cannot be honoured on this machine and build ("" when it can).
// Only "cuda" can fail: "cpu" always works and "auto" falls back to the CPU. Trainer::run
// fails such a run before training with this text; callers may check it first.
std::string unusableDeviceReason(const RunConfig& cfg);

class Trainer {
 public:
  explicit Trainer(RunConfig cfg);  // throws ConfigError when the config is invalid
  ~Trainer();

  // Loads the data (unless preloaded), builds the model and trains. Never throws for
  // run-time problems: a bad dataset, an engine error or divergence end the run as
  // failed / diverged with an event and the error in the summary.
  RunSummary run(RunObserver& observer);

  // Reuse already loaded data (A/B runs, tests, benchmarks).
  void setData(std::shared_ptr<const DataSplit> data);

  // Loads the data (unless preloaded) and checks, before anything large is allocated,
  // that the model fits it (shape inference over every layer) and fits in memory (the
  // estimate against the memory available; skipped when a GPU will hold the run).
  // Throws ConfigError when the model cannot fit (a config problem) and DataError when
  // the data cannot be loaded. run() calls it and reports either as a failed run; calling
  // it first lets a caller tell a config problem from a failed run. Repeated calls
  // repeat the first outcome.
  void prepare();

  void requestCancel() { cancel_.store(true); }
  void setPaused(bool paused) { paused_.store(paused); }
  bool isPaused() const { return paused_.load(); }
  const RunConfig& config() const { return cfg_; }

 private:
  RunConfig cfg_;
  std::shared_ptr<const DataSplit> data_;
  bool prepared_ = false;
  std::exception_ptr prepare_error_;
  std::atomic<bool> cancel_{false};
  std::atomic<bool> paused_{false};
};

// Loads the dataset a config names (throws DataError / ConfigError).
std::shared_ptr<const DataSplit> loadDataFor(const RunConfig& cfg);

}  // namespace halflab

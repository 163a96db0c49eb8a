#pragma once
// The plain records a run emits (docs/ARCHITECTURE.md 2.3). No Qt, no SQLite: storage, the GUI and the
// CLI all consume these through RunObserver.
#include <cstdint>
#include <string>
#include <vector>

#include "engine/numeric/format.hpp"

namespace halflab {

enum class RunStatus { Pending, Running, Completed, Failed, Cancelled, Diverged, Interrupted };
const char* runStatusName(RunStatus s);   // "completed", ...
RunStatus parseRunStatus(const std::string& s);

struct RunInfo {
  std::string name;
  std::string config_json;   // the full, validated config (RunConfig::toJson().dump())
  std::string precision_mode;
  std::string device;        // e.g. "cpu (2 threads)" or GPU name
  std::uint64_t seed = 0;
  std::int64_t total_steps = 0;
  std::int64_t steps_per_epoch = 0;
  std::int64_t parameter_count = 0;
  std::int64_t started_ms = 0;  // unix epoch ms
};

struct StepRecord {
  std::int64_t step = 0;     // 1-based global step (counts skipped steps too)
  int epoch = 0;             // 0-based
  double loss = 0;           // unscaled fp32 loss
  double scale_before = 1;
  double scale_after = 1;
  bool found_inf = false;
  bool skipped = false;
  int growth_tracker = 0;
  int hysteresis = 0;
  double grad_norm = 0;      // unscaled global L2 norm (before clipping)
  double lr = 0;             // lr used for this step (0 effect if skipped)
  double step_time_ms = 0;
  double samples_per_s = 0;
  double wall_ms = 0;        // ms since run start
  // Low-format gradient rounding this step (weight and activation gradients).
  std::int64_t grad_elements = 0;
  std::int64_t underflow = 0;
  std::int64_t subnormal = 0;
  std::int64_t overflow = 0;
  // Weight elements whose stored value did not change although the update was non-zero
  // (fp16-pure stagnation); counted on applied steps.
  std::int64_t stalled_updates = 0;
  std::int64_t updated_elements = 0;
  // Weight-gradient elements that are exactly zero as stored by the backward pass (before
  // unscaling): where upstream gradients underflowed, everything below them is zero too,
  // which the per-rounding underflow count above does not see.
  std::int64_t zero_weight_grads = 0;
  std::int64_t weight_grad_elements = 0;
};

struct EvalRecord {
  std::int64_t step = 0;
  int epoch = 0;
  double train_loss = 0;   // mean loss over the steps since the last eval
  double train_accuracy = 0;
  double val_loss = 0;
  double val_accuracy = 0;
  double wall_ms = 0;
};

// log2-magnitude histogram of one tensor: bins[i] counts values with
// floor(log2|x|) == min_exp + i (values outside are clamped to the edge bins).
struct HistogramRecord {
  std::int64_t step = 0;
  std::string tensor;        // e.g. "fc1.weight"
  std::string kind;          // "grad" | "weight" | "act_grad", and in low-precision runs
                             // "grad_fp32" | "act_grad_fp32": the same backward kept in FP32
  Format format = Format::FP32;
  int min_exp = -40;
  int max_exp = 16;
  std::vector<std::int64_t> bins;
  std::int64_t zeros = 0, infs = 0, nans = 0;
};

enum class EventKind { RunStarted, RunFinished, RunFailed, Diverged, Overflow, ScaleChange,
                       LrChange, Checkpoint, Warning, Cancelled, Paused, Resumed };
const char* eventKindName(EventKind k);

struct EventRecord {
  std::int64_t step = 0;
  EventKind kind = EventKind::Warning;
  double value = 0;
  std::string text;
  double wall_ms = 0;
};

struct RunSummary {
  RunStatus status = RunStatus::Completed;
  std::int64_t steps = 0;
  std::int64_t skipped_steps = 0;
  std::int64_t overflow_steps = 0;
  double final_loss = 0;
  double final_val_loss = 0;
  double final_val_accuracy = 0;
  double best_val_accuracy = 0;
  double final_scale = 1;
  double wall_time_s = 0;
  double time_to_target_s = -1;  // first eval reaching target accuracy; -1 if never
  double mean_samples_per_s = 0;
  std::int64_t peak_memory_bytes = 0;  // computed on CPU, measured on GPU
  std::string device;
  std::string error;                    // for failed / diverged runs
  std::int64_t ended_ms = 0;
};

}  // namespace halflab

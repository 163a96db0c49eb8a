#pragma once
// The skeleton of every training run, written once for both backends: epochs over the
// seeded batch order, the step budget, pause and cancel, the histogram and evaluation
// cadence, and the run's end. A backend implements StepBackend: the CPU runs each step to
// completion inside step(); CUDA launches it (graph capture, record ring) and drain()s the
// records of launched steps before anything that must see them (evaluation, pause, cancel,
// the end). See docs/ARCHITECTURE.md, "Training loop".
#include <atomic>
#include <cstdint>

#include "engine/data/dataset.hpp"
#include "engine/record/records.hpp"
#include "engine/record/run_bookkeeper.hpp"
#include "engine/train/loop_schedule.hpp"  // the cadence rules and constants
#include "engine/train/run_config.hpp"

namespace halflab {

class StepBackend {
 public:
  virtual ~StepBackend() = default;
  // A new epoch's order (sampler.batch(b) gives its batches).
  virtual void startEpoch(int /*epoch*/, const BatchSampler& /*sampler*/) {}
  // Training step `step` (1-based) on the n samples idx[0..n) of batch b.
  virtual void trainStep(std::int64_t step, int epoch, std::int64_t b, const std::int64_t* idx, std::int64_t n,
                         bool histogram) = 0;
  // Every launched step has reached the bookkeeper (asynchronous backends).
  virtual void drain() {}
  // A step's record ended the run (RunBookkeeper::finishStep said stop: diverged, target).
  virtual bool stopped() const = 0;
  virtual EvalRecord evaluate(std::int64_t step, int epoch) = 0;
};

// Runs the epochs: as many as total_steps takes (plannedSteps: max_steps may ask for more
// than `epochs`), the last one possibly partial. Does not call book.finishTraining().
void runTrainingLoop(const RunConfig& cfg, const Dataset& train, RunBookkeeper& book, std::atomic<bool>& cancel,
                     std::atomic<bool>& paused, std::int64_t total_steps, std::int64_t steps_per_epoch,
                     StepBackend& backend);

}  // namespace halflab

#include "engine/train/training_loop.hpp"

namespace halflab {

void runTrainingLoop(const RunConfig& cfg, const Dataset& train, RunBookkeeper& book, std::atomic<bool>& cancel,
                     std::atomic<bool>& paused, std::int64_t total_steps, std::int64_t steps_per_epoch,
                     StepBackend& backend) {
  const auto& tc = cfg.training;
  BatchSampler sampler(train.count(), tc.batch_size, tc.seed, true, false);
  std::int64_t step = 0;
  bool stop = false;
  for (int epoch = 0; step < total_steps && !stop && !backend.stopped(); ++epoch) {
    sampler.startEpoch(epoch);
    backend.startEpoch(epoch, sampler);
    for (std::int64_t b = 0; b < steps_per_epoch && !stop; ++b) {
      if (step >= total_steps) { stop = true; break; }
      // A pause shows every step launched before it; a record arriving then may end the run.
      if (!cancel.load() && paused.load()) {
        backend.drain();
        if (backend.stopped()) { stop = true; break; }
      }
      if (cancel.load() || !book.waitWhilePaused(step, paused, cancel)) {
        backend.drain();  // the steps already launched are recorded first
        book.cancelled(step);
        stop = true;
        break;
      }
      ++step;
      std::int64_t m = 0;
      const std::int64_t* idx = sampler.batch(b, &m);
      backend.trainStep(step, epoch, b, idx, m, isHistogramStep(step, tc.histogram_every));
      if (backend.stopped()) { stop = true; break; }
      const bool epoch_end = b + 1 == steps_per_epoch || step == total_steps;
      if (isEvalStep(step, tc.eval_every, total_steps, epoch_end)) {
        backend.drain();
        if (backend.stopped()) { stop = true; break; }
        EvalRecord ev = backend.evaluate(step, epoch);
        book.finishEval(ev);
      }
    }
  }
}

}  // namespace halflab

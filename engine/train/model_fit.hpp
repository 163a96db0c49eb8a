#pragma once
// Whether a configured model fits its data and this machine, decided before anything
// large is allocated: shape inference over every layer, then a memory estimate compared
// with the memory available. Both failures are config problems (ConfigError, field "model").
#include <cstdint>

#include "engine/data/dataset.hpp"
#include "engine/model/memory_estimate.hpp"
#include "engine/model/model_plan.hpp"
#include "engine/train/run_config.hpp"

namespace halflab {

// The plan for this config and data; ConfigError("model", "pool6: a 2x2 window with
// stride 2 does not fit a 1x1 input (...)") when a layer does not fit.
ModelPlan planModelFor(const RunConfig& cfg, const Shape& sample_shape, int num_classes);

// The CPU backend holds every value as a 4-byte float (plus its own scratch buffers); a
// device holds low-format tensors in their own width (the run's memory figure, docs/ARCHITECTURE.md 2.1).
ElementSizes hostElementSizes(const RunConfig& cfg);
ElementSizes deviceElementSizes(const RunConfig& cfg);

// Samples per evaluation batch in the CPU loop (at least 500, to keep evaluation quick).
std::int64_t evaluationBatchSize(const RunConfig& cfg);

// What the CPU backend will hold for this plan.
MemoryEstimate hostMemoryEstimate(const RunConfig& cfg, const ModelPlan& plan);

// Throws ConfigError("model", "needs about 48.0 GiB (fc2.weight alone 16.0 GiB) but 21.3
// GiB is available (...)") when the estimate exceeds availableMemory() (overridable with
// HALFLAB_MEMORY_LIMIT_BYTES).
void requireMemoryFor(const MemoryEstimate& need);

}  // namespace halflab

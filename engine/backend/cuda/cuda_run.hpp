#pragma once
// The seam between the trainer and the CUDA backend. Compiles without CUDA headers, so
// engine/train can include it; the implementation lives in halflab_cuda (.cu files).
#include <atomic>
#include <stdexcept>
#include <string>

#include "engine/record/observer.hpp"

namespace halflab {

struct RunConfig;
struct DataSplit;

// Every CUDA, cuBLAS or cuDNN failure (out of memory included) becomes one of these,
// with the call, the library's message and, for allocations, what was being allocated.
class CudaError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Empty when runOnCuda can train this config on this machine; otherwise why not (no GPU,
// the driver's reason, or a model the CUDA backend does not support in this build).
std::string cudaBackendProblem(const RunConfig& cfg);

// The CUDA twin of the CPU training loop (same records, same order of events, same
// semantics; docs/ARCHITECTURE.md 2.1-2.3). `info` is filled by the caller with name, config_json,
// precision_mode, seed and started_ms; this fills device, totals and parameter_count,
// then calls observer.onRunStarted and, at the end, observer.onRunFinished. Never throws:
// CUDA errors (out of memory included) end the run as Failed with the message.
RunSummary runOnCuda(const RunConfig& cfg, const DataSplit& data, RunInfo info,
                     RunObserver& observer, std::atomic<bool>& cancel,
                     std::atomic<bool>& paused);

}  // namespace halflab

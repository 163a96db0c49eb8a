#pragma once
// GPU-versus-CPU checks of the CUDA backend, shared by halflab-gpu-check (no Qt, for GPU
// machines without Qt) and the Qt suite tests/gpu/test_cuda_parity.cpp.
#include <string>
#include <vector>

namespace halflab::gpucheck {

struct CheckResult {
  std::string name;
  bool passed = false;
  bool skipped = false;    // no usable GPU / no data; detail says why
  std::string detail;      // worst tensor and its error, or the failure
};

// Every op of every preset (mlp with each activation + batch norm + dropout-free, lenet,
// small cifar-cnn), forward activations, activation gradients and parameter gradients,
// against the CPU backend in each precision mode. Tolerances (max |gpu - cpu| / max |cpu|
// per tensor): fp32 1e-4, tf32 2e-2, fp16 3e-2, bf16 8e-2.
std::vector<CheckResult> opParity();
// 1000 MLP steps in fp32 (Adam) on both backends: every step's loss within 1e-3 relative.
CheckResult fp32LossCurve(int steps = 1000);
// fp16-amp with each dynamic scaler flavour, started at 2^40 so the first steps overflow:
// identical found_inf / skipped / scale sequences on both backends.
std::vector<CheckResult> scalerTraces(int steps = 200);
// An impossible allocation ends the run as Failed with an out-of-memory message.
CheckResult outOfMemoryIsAnError();

struct BenchRow {
  std::string model, mode;
  long long batch = 0;
  double step_ms = 0, samples_per_s = 0, memory_mib = 0;
  std::string status;
};
// Median step time of runOnCuda after `warmup` steps (the same protocol as halflab-cli bench).
std::vector<BenchRow> benchCuda(const std::vector<std::string>& models, const std::vector<std::string>& modes,
                                long long batch, int steps, int warmup);

std::vector<CheckResult> allChecks();

}  // namespace halflab::gpucheck

#pragma once
// Shared by the storage tests: synthetic records and a "writer child" that drives a
// RunWriter at a realistic rate from a separate process.
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <string>
#include <thread>

#include "storage/run_writer.hpp"
#include "storage/store_schema.hpp"

namespace halflab::test {

inline RunInfo syntheticRunInfo(const std::string& name, const std::string& mode = "fp16",
                                std::uint64_t seed = 7) {
  RunInfo info;
  info.name = name;
  info.precision_mode = mode;
  info.seed = seed;
  info.device = "synthetic cpu";
  info.total_steps = 1000;
  info.steps_per_epoch = 100;
  info.parameter_count = 4547;
  info.started_ms = store::nowEpochMs();
  info.config_json = R"({"dataset":{"kind":"spirals"},"model":{"preset":"mlp","hidden":[64,64]},)"
                     R"("precision":{"mode":")" + mode + R"("},"training":{"epochs":10,"seed":)" +
                     std::to_string(seed) + "}}";
  return info;
}

// A plausible step: loss decays, every 50th step overflows and is skipped.
inline StepRecord syntheticStep(std::int64_t step, double wall_ms) {
  StepRecord r;
  r.step = step;
  r.epoch = static_cast<int>((step - 1) / 100);
  r.loss = 2.0 * std::exp(-static_cast<double>(step) / 300.0) + 0.05;
  r.found_inf = step % 50 == 0;
  r.skipped = r.found_inf;
  r.scale_before = 65536.0;
  r.scale_after = r.found_inf ? 32768.0 : 65536.0;
  r.growth_tracker = static_cast<int>(step % 2000);
  r.hysteresis = 2;
  r.grad_norm = 1.0 / std::sqrt(static_cast<double>(step));
  r.lr = 1e-3;
  r.step_time_ms = 1.5;
  r.samples_per_s = 21000;
  r.wall_ms = wall_ms;
  r.grad_elements = 4547;
  r.underflow = step % 7;
  r.subnormal = step % 11;
  r.overflow = r.found_inf ? 3 : 0;
  r.stalled_updates = step % 5;
  r.updated_elements = 4547;
  return r;
}

// Child process body: writes `steps` steps (one every step_us microseconds, an eval
// every 100) and finishes the run. Prints "run <id>" once the run row exists.
inline int runWriterChild(const std::string& db_path, std::int64_t steps, int step_us) {
  try {
    RunWriter writer(db_path);
    const RunInfo info = syntheticRunInfo("child writer");
    writer.onRunStarted(info);
    std::printf("run %lld\n", static_cast<long long>(writer.runId()));
    std::fflush(stdout);
    const auto start = std::chrono::steady_clock::now();
    const auto elapsed_ms = [&] {
      return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
          .count();
    };
    for (std::int64_t s = 1; s <= steps; ++s) {
      writer.onStep(syntheticStep(s, elapsed_ms()));
      if (s % 100 == 0) {
        EvalRecord e;
        e.step = s;
        e.val_accuracy = 1.0 - 1.0 / static_cast<double>(s);
        e.wall_ms = elapsed_ms();
        writer.onEval(e);
      }
      if (step_us > 0) std::this_thread::sleep_for(std::chrono::microseconds(step_us));
    }
    RunSummary summary;
    summary.steps = steps;
    summary.final_loss = syntheticStep(steps, 0).loss;
    summary.wall_time_s = elapsed_ms() / 1000.0;
    writer.onRunFinished(summary);
    if (!writer.lastError().empty()) {
      std::fprintf(stderr, "writer error: %s\n", writer.lastError().c_str());
      return 2;
    }
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "child failed: %s\n", e.what());
    return 1;
  }
}

}  // namespace halflab::test

// `halflab-cli train`: one run (or an FP32-vs-low-precision A/B pair with --ab), with a
// progress bar, records stored in the run store and optionally streamed as JSON lines.
#include <csignal>
#include <cstdio>
#include <memory>

#include "app/cli/commands.hpp"
#include "app/cli/config_options.hpp"
#include "app/cli/json_lines_observer.hpp"
#include "app/cli/progress_reporter.hpp"
#include "engine/data/dataset.hpp"
#include "engine/stats/step_timing.hpp"
#include "engine/train/trainer.hpp"
#include "storage/default_path.hpp"
#include "storage/run_writer.hpp"
#include "storage/store_error.hpp"

namespace halflab::cli {

namespace {

std::atomic<Trainer*> g_active_trainer{nullptr};

void onInterrupt(int) {
  // Ctrl+C: stop at the next step boundary so the run is stored as `cancelled`.
  if (Trainer* t = g_active_trainer.load()) t->requestCancel();
}

struct TrainArgs {
  ConfigOptions config;
  std::string db, jsonl, ab_mode;
  bool no_db = false, quiet = false;
};

int exitCodeFor(RunStatus s) {
  switch (s) {
    case RunStatus::Completed: return 0;
    case RunStatus::Diverged: return 3;
    case RunStatus::Cancelled: return 130;
    default: return 1;
  }
}

// Each step's step_time_ms, for the A/B speedup (estimateSpeedup).
struct StepTimes : RunObserver {
  std::vector<double> ms;
  void onStep(const StepRecord& r) override { ms.push_back(r.step_time_ms); }
};

RunSummary runOne(const RunConfig& cfg, std::shared_ptr<const DataSplit> data, const TrainArgs& a,
                  RunWriter* writer, std::FILE* jsonl, StepTimes* times = nullptr) {
  Trainer trainer(cfg);
  if (data) trainer.setData(std::move(data));
  ProgressReporter progress(a.quiet);
  ObserverList observers;
  observers.add(&progress);
  if (times) observers.add(times);
  std::unique_ptr<JsonLinesObserver> lines;
  if (jsonl) {
    lines = std::make_unique<JsonLinesObserver>(jsonl);
    observers.add(lines.get());
  }
  if (writer) observers.add(writer);
  g_active_trainer = &trainer;
  const RunSummary s = trainer.run(observers);
  g_active_trainer = nullptr;
  if (writer) {
    if (!writer->lastError().empty())
      std::fprintf(stderr, "warning: run store: %s\n", writer->lastError().c_str());
    else if (!a.quiet)
      std::fprintf(stderr, "stored as run %lld in %s\n", static_cast<long long>(writer->runId()),
                   writer->path().c_str());
  }
  return s;
}

// The speedup is estimateSpeedup's median over timed segments of steps, never the ratio
// of wall times (which also hold data loading, evaluations and histogram steps).
void printComparison(const RunSummary& base, const RunSummary& low, const std::string& mode,
                     const SpeedupEstimate& speed) {
  std::printf("\n%-22s %12s %12s\n", "", "fp32", mode.c_str());
  std::printf("%-22s %12.4f %12.4f\n", "val accuracy", base.final_val_accuracy, low.final_val_accuracy);
  std::printf("%-22s %12.4f %12.4f\n", "final loss", base.final_loss, low.final_loss);
  std::printf("%-22s %12.1f %12.1f\n", "wall time (s)", base.wall_time_s, low.wall_time_s);
  std::printf("%-22s %12.0f %12.0f\n", "samples/s", base.mean_samples_per_s, low.mean_samples_per_s);
  if (speed.valid) {
    std::printf("%-22s %12.3f %12.3f\n", "ms/step (median)", speed.base_ms_per_step, speed.other_ms_per_step);
    std::printf("%-22s %12s %11.2fx\n", "speedup", "1.00x", speed.speedup);
    char iqr[48];
    std::snprintf(iqr, sizeof iqr, "%.2f-%.2fx", speed.ratio_q1, speed.ratio_q3);
    std::printf("%-22s %12s %12s\n", "speedup IQR", "", iqr);
    std::printf("%-22s %12s %12s\n", "timed segments", "",
                (std::to_string(speed.segments) + " x " + std::to_string(speed.segment_steps)).c_str());
  } else {
    std::printf("%-22s %12s %12s\n", "speedup", "1.00x", "n/a");
  }
  std::printf("%-22s %12.2f %12.2f\n", "memory (MiB, computed)", base.peak_memory_bytes / 1048576.0,
              low.peak_memory_bytes / 1048576.0);
  std::printf("%-22s %12lld %12lld\n", "overflow steps", static_cast<long long>(base.overflow_steps),
              static_cast<long long>(low.overflow_steps));
  std::printf("%-22s %12lld %12lld\n", "skipped steps", static_cast<long long>(base.skipped_steps),
              static_cast<long long>(low.skipped_steps));
  std::printf("%-22s %12g %12g\n", "final loss scale", base.final_scale, low.final_scale);
  if (!speed.valid) std::printf("speedup: %s\n", describeSpeedup(speed).c_str());
  if (isCpuDevice(base.device) || isCpuDevice(low.device)) std::printf("%s\n", kCpuTimingCaveat);
}

void runTrain(const TrainArgs& a) {
  RunConfig cfg;
  try {
    cfg = a.config.build();
  } catch (const ConfigError& e) {
    throw CLI::RuntimeError(e.what(), 2);
  }
  std::unique_ptr<RunWriter> writer;
  if (!a.no_db) {
    try {
      writer = std::make_unique<RunWriter>(a.db.empty() ? defaultStorePath() : a.db);
    } catch (const std::exception& e) {
      throw CLI::RuntimeError(std::string("run store: ") + e.what(), 1);
    }
  }
  std::FILE* jsonl = nullptr;
  if (!a.jsonl.empty()) {
    jsonl = a.jsonl == "-" ? stdout : std::fopen(a.jsonl.c_str(), "w");
    if (!jsonl) throw CLI::RuntimeError(a.jsonl + ": cannot open for writing", 1);
  }
  std::signal(SIGINT, onInterrupt);
  std::signal(SIGTERM, onInterrupt);

  int code = 0;
  if (a.ab_mode.empty()) {
    const RunSummary s = runOne(cfg, nullptr, a, writer.get(), jsonl);
    code = exitCodeFor(s.status);
    if (code != 0 && !s.error.empty()) std::fprintf(stderr, "halflab-cli: run %s: %s\n", runStatusName(s.status), s.error.c_str());
  } else {
    RunConfig low = cfg;
    RunConfig base = cfg;
    try {
      // Each arm gets its mode's default scaler; the divergence limit is kept.
      nlohmann::json j = cfg.toJson();
      const auto skips = cfg.precision.max_consecutive_skips;
      j["precision"] = {{"mode", "fp32"}, {"max_consecutive_skips", skips}};
      base = RunConfig::fromJson(j);
      j["precision"] = {{"mode", a.ab_mode}, {"max_consecutive_skips", skips}};
      low = RunConfig::fromJson(j);
    } catch (const ConfigError& e) {
      throw CLI::RuntimeError(std::string("--ab: ") + e.what(), 2);
    }
    std::shared_ptr<const DataSplit> data;
    try {
      data = loadDataFor(cfg);
    } catch (const std::exception& e) {
      throw CLI::RuntimeError(e.what(), 1);
    }
    StepTimes t1, t2;
    const RunSummary s1 = runOne(base, data, a, writer.get(), jsonl, &t1);
    if (s1.status == RunStatus::Cancelled) throw CLI::RuntimeError("cancelled", 130);
    const RunSummary s2 = runOne(low, data, a, writer.get(), jsonl, &t2);
    printComparison(s1, s2, a.ab_mode, estimateSpeedup(t1.ms, t2.ms));
    code = std::max(exitCodeFor(s1.status), exitCodeFor(s2.status));
  }
  if (jsonl && jsonl != stdout) std::fclose(jsonl);
  if (code != 0) throw CLI::RuntimeError(code);
}

}  // namespace

void registerTrainCommand(CLI::App& app) {
  auto args = std::make_shared<TrainArgs>();
  auto* cmd = app.add_subcommand("train", "Train one run (CPU backend) and store it");
  args->config.addTo(*cmd);
  cmd->add_option("--db", args->db, "Run store file (default: ~/.local/share/HalfLab/runs.sqlite)");
  cmd->add_flag("--no-db", args->no_db, "Do not store the run");
  cmd->add_option("--jsonl", args->jsonl, "Write every record as JSON lines to FILE (- = stdout)");
  cmd->add_option("--ab", args->ab_mode,
                  "Run the config in fp32, then in this mode with the same seed, and compare");
  cmd->add_flag("-q,--quiet", args->quiet, "No progress output");
  cmd->callback([args] { runTrain(*args); });
}

}  // namespace halflab::cli

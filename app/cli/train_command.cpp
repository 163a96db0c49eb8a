// `halflab-cli train`: one run (or an FP32-vs-low-precision A/B pair with --ab), with a
// progress bar, records stored in the run store and optionally streamed as JSON lines.
// A run the store could not take completely is a failure (exit 4): its records go to a
// fallback file named in the message (store_fallback.hpp).
#include <algorithm>
#include <csignal>
#include <cstdio>
#include <memory>

#include "app/cli/commands.hpp"
#include "app/cli/config_options.hpp"
#include "app/cli/exit_codes.hpp"
#include "app/cli/json_lines_observer.hpp"
#include "app/cli/progress_reporter.hpp"
#include "app/cli/run_record_log.hpp"
#include "app/cli/store_fallback.hpp"
#include "app/cli/terminal_text.hpp"
#include "engine/data/dataset.hpp"
#include "engine/stats/step_timing.hpp"
#include "engine/train/trainer.hpp"
#include "storage/default_path.hpp"
#include "storage/output_file.hpp"
#include "storage/output_guard.hpp"
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
  std::string sweep_id, sweep_cell;  // set by `halflab-cli sweep` for its workers
  bool no_db = false, quiet = false;
  int busy_timeout_ms = 5000;
};

int exitCodeFor(RunStatus s) {
  switch (s) {
    case RunStatus::Completed: return kExitOk;
    case RunStatus::Diverged: return kExitDiverged;
    case RunStatus::Cancelled: return kExitCancelled;
    default: return kExitFailure;
  }
}

// Each step's step_time_ms, for the A/B speedup (estimateSpeedup).
struct StepTimes : RunObserver {
  std::vector<double> ms;
  void onStep(const StepRecord& r) override { ms.push_back(r.step_time_ms); }
};

void report(const std::string& message) {
  std::fprintf(stderr, "halflab-cli: %s\n", printable(message).c_str());
}

// After a run: says where it is stored, or, when the store did not take all of it,
// writes the whole run to a fallback file and says what was lost and where the records
// went. False when the run is not completely in the store.
bool checkStored(const RunWriter& writer, const RunRecordLog& log, bool quiet) {
  const std::string problem = writer.runProblem();
  if (problem.empty()) {
    if (!quiet)
      std::fprintf(stderr, "stored as run %lld in %s\n", static_cast<long long>(writer.runId()),
                   printable(writer.path()).c_str());
    return true;
  }
  const std::string in_store =
      writer.runId() > 0
          ? "the store holds an incomplete copy as run " + std::to_string(writer.runId()) +
                ", to be listed as interrupted"
          : "the store has no record of it";
  std::string message = "run store " + problem + "; run '" + log.runName() +
                        "' is not completely stored: " + in_store;
  const FallbackResult fb = writeStoreFallback(log, writer.path());
  if (!fb.path.empty()) {
    message += "; all " + std::to_string(log.size()) + " records of the run were written to " +
               fb.path + " instead (JSON lines, the --jsonl format)";
    if (log.stepsNotKept() > 0)
      message += " except " + std::to_string(log.stepsNotKept()) +
                 " step records beyond what the copy keeps in memory";
  } else {
    std::string why;
    for (const auto& f : fb.failures) why += (why.empty() ? "" : "; ") + f;
    message += "; the copy could not be written anywhere either (" + why + "), so " +
               std::to_string(writer.unstoredRecords()) + " records of the run are lost";
  }
  report(message);
  return false;
}

struct RunOutcome {
  RunSummary summary;
  bool stored = true;  // false: the store did not take the whole run
};

RunOutcome runOne(const RunConfig& cfg, std::shared_ptr<const DataSplit> data, const TrainArgs& a,
                  RunWriter* writer, OutputFile* jsonl, StepTimes* times = nullptr) {
  Trainer trainer(cfg);
  if (data) trainer.setData(std::move(data));
  try {
    trainer.prepare();  // before anything large is allocated
  } catch (const ConfigError& e) {
    throw CLI::RuntimeError(e.what(), kExitUsage);  // the model does not fit the data or the memory
  } catch (const std::exception&) {
    // A data problem: run() reports it as a failed run.
  }
  ProgressReporter progress(a.quiet);
  ObserverList observers;
  observers.add(&progress);
  if (times) observers.add(times);
  std::unique_ptr<JsonLinesObserver> lines;
  if (jsonl) {
    lines = std::make_unique<JsonLinesObserver>(*jsonl);
    observers.add(lines.get());
  }
  RunRecordLog log;  // the copy written elsewhere if the store fails
  if (writer) {
    observers.add(writer);
    observers.add(&log);
  }
  g_active_trainer = &trainer;
  RunOutcome out;
  out.summary = trainer.run(observers);
  g_active_trainer = nullptr;
  if (writer) out.stored = checkStored(*writer, log, a.quiet);
  return out;
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
  const RunConfig cfg = a.config.build();
  RunConfig low = cfg, base = cfg;
  if (!a.ab_mode.empty()) {
    // Each arm gets its mode's default scaler; the divergence limit is kept.
    nlohmann::json j = cfg.toJson();
    const auto skips = cfg.precision.max_consecutive_skips;
    j["precision"] = {{"mode", "fp32"}, {"max_consecutive_skips", skips}};
    base = a.config.configFrom(j);
    j["precision"] = {{"mode", a.ab_mode}, {"max_consecutive_skips", skips}};
    try {
      low = RunConfig::fromJson(j);
    } catch (const ConfigError& e) {
      throw CLI::RuntimeError(std::string("--ab ") + a.ab_mode + ": " + e.what(), kExitUsage);
    }
  }
  // Before anything is opened or trained: "cuda" means the GPU, only "auto" falls back.
  if (const std::string reason = unusableDeviceReason(cfg); !reason.empty()) {
    const std::string flag = a.config.device ? "--device " + *a.config.device : "training.device cuda";
    throw CLI::RuntimeError(flag + ": " + reason +
                                " (use --device cpu, or --device auto to fall back to the CPU)",
                            kExitNoDevice);
  }

  std::unique_ptr<RunWriter> writer;
  if (!a.no_db) {
    try {
      RunWriterOptions options;
      options.busy_timeout_ms = a.busy_timeout_ms;
      options.sweep_id = a.sweep_id;
      options.cell = a.sweep_cell;
      writer = std::make_unique<RunWriter>(a.db.empty() ? defaultStorePath() : a.db, options);
    } catch (const StoreDamaged& e) {
      throw CLI::RuntimeError(std::string("run store: ") + e.what(), kExitStoreDamaged);
    } catch (const std::exception& e) {
      throw CLI::RuntimeError(std::string("run store: ") + e.what(), kExitFailure);
    }
    if (!a.quiet && !writer->checkNote().empty())
      std::fprintf(stderr, "note: %s\n", printable(writer->checkNote()).c_str());
    if (const std::string clash = standardStreamHitsStore(writer->path()); !clash.empty())
      throw CLI::RuntimeError(clash, kExitFailure);
  }
  std::unique_ptr<OutputFile> jsonl;
  if (!a.jsonl.empty()) {
    try {
      jsonl = std::make_unique<OutputFile>(a.jsonl, writer ? writer->path() : a.db,
                                           OutputFile::Mode::Replace, "--jsonl " + a.jsonl);
    } catch (const StoreError& e) {
      throw CLI::RuntimeError(e.what(), kExitFailure);
    }
  }
  std::signal(SIGINT, onInterrupt);
  std::signal(SIGTERM, onInterrupt);

  int code = kExitOk;
  bool all_stored = true;
  if (a.ab_mode.empty()) {
    const RunOutcome r = runOne(cfg, nullptr, a, writer.get(), jsonl.get());
    all_stored = r.stored;
    code = exitCodeFor(r.summary.status);
    if (code != 0 && !r.summary.error.empty())
      report("run " + std::string(runStatusName(r.summary.status)) + ": " + r.summary.error);
  } else {
    std::shared_ptr<const DataSplit> data;
    try {
      data = loadDataFor(cfg);
    } catch (const std::exception& e) {
      throw CLI::RuntimeError(e.what(), kExitFailure);
    }
    StepTimes t1, t2;
    const RunOutcome r1 = runOne(base, data, a, writer.get(), jsonl.get(), &t1);
    if (r1.summary.status == RunStatus::Cancelled)
      throw CLI::RuntimeError(r1.stored ? "cancelled" : "cancelled (and the run is not completely stored)",
                              r1.stored ? kExitCancelled : kExitNotStored);
    const RunOutcome r2 = runOne(low, data, a, writer.get(), jsonl.get(), &t2);
    printComparison(r1.summary, r2.summary, a.ab_mode, estimateSpeedup(t1.ms, t2.ms));
    all_stored = r1.stored && r2.stored;
    code = std::max(exitCodeFor(r1.summary.status), exitCodeFor(r2.summary.status));
  }
  if (jsonl) {
    try {
      jsonl->close();
    } catch (const StoreError& e) {
      report(std::string(e.what()) + (writer && all_stored ? "; the run itself is in the store" : ""));
      if (code == kExitOk) code = kExitFailure;
    }
  }
  if (!all_stored) code = kExitNotStored;
  if (code != 0) throw CLI::RuntimeError(code);
}

}  // namespace

void registerTrainCommand(CLI::App& app) {
  auto args = std::make_shared<TrainArgs>();
  auto* cmd = app.add_subcommand("train", "Train one run and store it");
  args->config.addTo(*cmd);
  cmd->add_option("--db", args->db, "Run store file (default: ~/.local/share/HalfLab/runs.sqlite)");
  cmd->add_flag("--no-db", args->no_db, "Do not store the run");
  cmd->add_option("--busy-timeout", args->busy_timeout_ms,
                  "How long one store write waits for another writer, in ms")
      ->check(CLI::Range(0, 3600000));
  cmd->add_option("--jsonl", args->jsonl, "Write every record as JSON lines to FILE (- = stdout)");
  cmd->add_option("--ab", args->ab_mode,
                  "Run the config in fp32, then in this mode with the same seed, and compare");
  cmd->add_flag("-q,--quiet", args->quiet, "No progress output");
  // Written by `halflab-cli sweep` (its workers and Slurm job scripts), not meant by hand.
  cmd->add_option("--sweep-id", args->sweep_id, "Tag the run with this sweep id")->group("Sweep workers");
  cmd->add_option("--sweep-cell", args->sweep_cell, "Tag the run with this sweep cell")->group("Sweep workers");
  cmd->callback([args] { runTrain(*args); });
}

}  // namespace halflab::cli

// `halflab-cli sweep`: a grid or list of config settings times seeds, run locally in
// parallel into one store (sweep_runner), or on a Slurm cluster as a job array
// (sweep_slurm); `--report` prints the grouped comparison with intervals and verdicts.
#include <algorithm>
#include <filesystem>
#include <optional>
#include <iostream>
#include <memory>

#include "app/cli/commands.hpp"
#include "app/cli/config_options.hpp"
#include "app/cli/exit_codes.hpp"
#include "app/cli/flag_values.hpp"
#include "app/cli/group_report.hpp"
#include "app/cli/sweep_plan.hpp"
#include "app/cli/sweep_runner.hpp"
#include "app/cli/sweep_slurm.hpp"
#include "app/cli/terminal_text.hpp"
#include "storage/default_path.hpp"
#include "storage/run_store.hpp"
#include "storage/store_error.hpp"

namespace halflab::cli {
namespace {

struct SweepArgs {
  ConfigOptions config;
  std::vector<std::string> grid;
  std::string spec_file, db, sweep_id, baseline, dir;
  std::optional<int> seeds;
  int workers = 0;
  bool report = false, quiet = false, dry_run = false;
  SlurmOptions slurm;
  bool use_slurm = false, status = false;
};

SweepPlan planFrom(const SweepArgs& a) {
  SweepSpec spec;
  spec.base = a.config.mergedJson();
  // Threads are how a cell runs, not what it trains (--threads: per worker; Slurm: the
  // task's CPUs), so they are not part of the cells or the sweep id.
  if (spec.base.contains("training") && spec.base["training"].is_object()) spec.base["training"].erase("threads");
  for (const auto& g : a.grid) spec.grid.push_back(parseGridFlag(g));
  if (a.seeds) spec.seeds = consecutiveSeeds(spec.base, *a.seeds);
  if (!a.spec_file.empty()) readSweepFile(a.spec_file, spec);
  SweepPlan plan = planSweep(spec, a.sweep_id);
  // Every cell must be a valid config before anything runs.
  for (const SweepCell& c : plan.cells) {
    try {
      RunConfig::fromJson(c.config);
    } catch (const ConfigError& e) {
      throw CLI::RuntimeError("sweep cell '" + c.key + "': " + e.what(), kExitUsage);
    }
  }
  return plan;
}

std::string storeOf(const SweepArgs& a) { return a.db.empty() ? defaultStorePath() : a.db; }

void report(const SweepArgs& a, const SweepPlan* plan) {
  const std::string id = plan ? plan->id : a.sweep_id;
  const RunStore store = RunStore::open(storeOf(a), StoreOpenMode::ReadWrite);
  RunFilter f;
  f.sweep_id = id;
  auto runs = store.listRuns(f);
  std::reverse(runs.begin(), runs.end());
  if (runs.empty()) throw StoreError(printable(store.path()) + ": no runs of sweep " + id + " yet");
  std::cout << "sweep " << id << " in " << printable(store.path()) << ": " << runs.size() << " run(s)";
  if (plan) std::cout << " for " << plan->cells.size() << " cell(s)";
  std::cout << "\n";
  printGroupReport(store, runs, a.baseline);
}

void runSweep(const SweepArgs& a) {
  if (a.status) {
    if (a.dir.empty()) usageError("sweep --status: give the sweep's --dir");
    printSlurmStatus(a.dir);
    return;
  }
  const SweepPlan plan = planFrom(a);
  if (a.report) {
    report(a, &plan);
    return;
  }
  if (a.dry_run) {
    std::cout << "sweep " << plan.id << ": " << plan.cells.size() << " cell(s)\n";
    for (const SweepCell& c : plan.cells) std::cout << "  " << c.index << "  " << printable(c.key) << '\n';
    return;
  }
  if (a.use_slurm) {
    if (a.dir.empty()) usageError("sweep --slurm: give --dir, a folder every node can reach");
    submitSlurmSweep(plan, a.dir, a.slurm);
    return;
  }
  SweepRunOptions o;
  o.store_path = storeOf(a);
  o.work_dir = a.dir.empty() ? o.store_path + ".sweep-" + plan.id : a.dir;
  o.workers = a.workers;
  o.quiet = a.quiet;
  if (a.config.threads) {
    const std::int64_t t = parseWholeFlag("--threads", *a.config.threads);
    if (t < 0 || t > 1024)
      usageError("--threads: threads per sweep worker must be between 0 (cores / workers) and 1024 (got " +
                 *a.config.threads + ")");
    o.threads_per_worker = static_cast<int>(t);  // 0: cores / workers
  }
  const int code = runSweepLocally(plan, o);
  if (code == kExitOk || code == kExitFailure) {
    std::cout << '\n';
    report(a, &plan);
  }
  if (code != kExitOk) throw CLI::RuntimeError(code);
}

}  // namespace

void registerSweepCommand(CLI::App& app) {
  auto a = std::make_shared<SweepArgs>();
  auto* cmd = app.add_subcommand("sweep", "Run a grid or list of configs times seeds, compare with statistics");
  a->config.addTo(*cmd);
  cmd->add_option("--grid", a->grid, "key=v1,v2,... (repeatable; e.g. precision.mode=fp32,fp16-amp)");
  cmd->add_option("--list,--spec", a->spec_file,
                  "Sweep file (JSON): {\"grid\": {...}, \"list\": [{...}], \"seeds\": N, \"base\": {...}}");
  cmd->add_option("--seeds", a->seeds, "Seeds per cell: N consecutive seeds from --seed (default 1)")
      ->check(CLI::Range(1, 1000));
  cmd->add_option("--workers", a->workers, "Worker processes (default: one per core)")->check(CLI::Range(1, 1024));
  cmd->add_option("--db", a->db, "Run store file (default: ~/.local/share/HalfLab/runs.sqlite)");
  cmd->add_option("--sweep-id", a->sweep_id, "Name the sweep (default: a hash of the sweep, so a rerun resumes)");
  cmd->add_option("--dir", a->dir, "Working folder: cell configs, logs (Slurm: shared folder with one store per cell)");
  cmd->add_option("--baseline", a->baseline, "key=value naming each group's baseline (default precision.mode=fp32)");
  cmd->add_flag("--report", a->report, "Print the grouped comparison of the sweep's runs so far, run nothing");
  cmd->add_flag("--dry-run", a->dry_run, "List the cells, run nothing");
  cmd->add_flag("-q,--quiet", a->quiet, "No progress output");
  cmd->add_flag("--slurm", a->use_slurm, "Submit the cells as a Slurm job array (sbatch) instead of running them here");
  cmd->add_option("--partition", a->slurm.partition, "Slurm partition")->group("Slurm");
  cmd->add_option("--gpus-per-task", a->slurm.gpus_per_task, "GPUs per array task")->group("Slurm");
  cmd->add_option("--time", a->slurm.time, "Time limit per array task, e.g. 00:30:00")->group("Slurm");
  cmd->add_option("--cpus-per-task", a->slurm.cpus_per_task, "CPUs per array task (default 1)")->group("Slurm");
  cmd->add_flag("--no-submit", a->slurm.no_submit, "Write the job script, do not call sbatch")->group("Slurm");
  cmd->add_flag("--status", a->status, "Progress of a Slurm sweep in --dir: squeue/sacct and the cell stores")->group("Slurm");
  cmd->callback([a] {
    try {
      runSweep(*a);
    } catch (const StoreDamaged& e) {
      throw CLI::RuntimeError(e.what(), kExitStoreDamaged);
    } catch (const StoreError& e) {
      throw CLI::RuntimeError(e.what(), kExitFailure);
    }
  });
}

}  // namespace halflab::cli

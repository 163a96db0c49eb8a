#pragma once
// Runs a sweep's cells on this machine: N worker processes (`halflab-cli train` with the
// cell's config, tagged with the sweep id and cell), threads per worker chosen so that
// workers x threads does not exceed the cores, all into one store. Cells that already have
// a finished run (completed or diverged) in the store are skipped, so running the same
// sweep again resumes it; interrupted or cancelled cells run again. Workers die with the
// driver (PR_SET_PDEATHSIG: they stop at the next step and are stored as cancelled), so a
// killed driver leaves no orphan training in the background.
#include <string>

#include "app/cli/sweep_plan.hpp"

namespace halflab::cli {

struct SweepRunOptions {
  std::string store_path;
  std::string work_dir;         // cell configs and worker logs
  int workers = 0;              // 0 = as many as cores (at most one per cell)
  int threads_per_worker = 0;   // 0 = cores / workers (at least 1)
  bool quiet = false;
};

// Cores this process may use (sched_getaffinity), at least 1.
int usableCores();

// Returns the exit code: 0 when every cell has a finished run, 1 when some failed, 130
// when stopped (SIGINT / SIGTERM).
int runSweepLocally(const SweepPlan& plan, const SweepRunOptions& options);

}  // namespace halflab::cli

#pragma once
// Sweeps on a Slurm cluster: one job-array task per cell, each training into its own
// store file in a shared folder (no two nodes write one SQLite file: SQLite locking over
// NFS is not to be trusted), then `halflab-cli runs merge DIR/stores/*.sqlite --into ...`.
//
// DIR/sweep.json     the sweep id and its cells
// DIR/cells/         cell-NNNN.json (config) and cell-NNNN.key (the cell tag)
// DIR/stores/        cell-NNNN.sqlite, written by array task NNNN
// DIR/logs/          cell-NNNN.log, the task's output
// DIR/job.sh         the sbatch script; DIR/job_ids the submitted array job ids
#include <string>

#include "app/cli/sweep_plan.hpp"

namespace halflab::cli {

struct SlurmOptions {
  std::string partition;
  std::string time;          // --time of each array task
  int gpus_per_task = 0;
  int cpus_per_task = 1;
  bool no_submit = false;    // write the script only
};

// Writes the folder and the job script for the cells that have no finished run in their
// store yet (so submitting again resumes), then submits it with `sbatch --parsable`.
void submitSlurmSweep(const SweepPlan& plan, const std::string& dir, const SlurmOptions& options);

// Prints the cells' progress from their stores and the array job from squeue / sacct.
void printSlurmStatus(const std::string& dir);

}  // namespace halflab::cli

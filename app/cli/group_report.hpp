#pragma once
// The seed-replicated comparison table of `runs compare --groups`, `runs compare --sweep`
// and `sweep --report`: one row per group (config minus seed) with mean ± 95 % interval,
// the difference to its baseline group with its interval and Welch p, the speedup
// (median over repeats of each run's median step time, so paused time is never in it),
// and a verdict line per group.
#include <string>
#include <vector>

#include "storage/run_store.hpp"

namespace halflab::cli {

// Prints the table for the finished runs among `runs` (others are counted and named).
void printGroupReport(const RunStore& store, const std::vector<RunRow>& runs,
                      const std::string& baseline_spec);

}  // namespace halflab::cli

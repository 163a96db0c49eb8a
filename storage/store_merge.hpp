#pragma once
// `halflab-cli runs merge A.sqlite B.sqlite ... --into store.sqlite`: copies every run of
// the sources, with its params, tags, metrics, latest values, events, histograms and
// summary, into one store (a cluster sweep writes one store per array task).
//
// All or nothing: every source is checked first (a HalfLab store, a schema this build
// knows, PRAGMA integrity_check and foreign_key_check clean), then all runs are copied in
// ONE transaction on the target, so a merge that fails or is killed part-way leaves the
// target exactly as it was. Runs are identified by uuid: a run already in the target (or
// in an earlier source) is skipped and counted as a duplicate. Runs still being written
// by a live process are not merged (they would be copied half-done).
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace halflab {

struct MergeSourceReport {
  std::string path;
  std::int64_t added = 0;
  std::int64_t duplicates = 0;   // uuid already present
  std::int64_t still_running = 0;  // left out: a live writer is still writing them
};

struct MergeReport {
  std::vector<MergeSourceReport> sources;
  std::int64_t added() const;
  std::int64_t duplicates() const;
};

// Throws StoreError (StoreDamaged for a damaged source or target) naming the file and the
// problem; the target is then unchanged. on_run (may be empty) is called after each copied
// run, inside the transaction, with the source path and the run's uuid.
MergeReport mergeStores(const std::vector<std::string>& sources, const std::string& target,
                        const std::function<void(const std::string&, const std::string&)>& on_run = {});

}  // namespace halflab

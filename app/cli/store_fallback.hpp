#pragma once
// Where a run goes when the store cannot take it (locked past the busy timeout, disk
// full): the whole run as JSON lines (the `--jsonl` format) in a new file next to the
// store, or, where that cannot be written, in the current folder or $TMPDIR (/tmp).
// The file is always new (never replaces anything), and never one of the store's files.
#include <string>
#include <vector>

#include "app/cli/run_record_log.hpp"

namespace halflab::cli {

struct FallbackResult {
  std::string path;                   // the file written; empty = none could be
  std::vector<std::string> failures;  // why each place tried before failed
};

FallbackResult writeStoreFallback(const RunRecordLog& log, const std::string& store_path);

}  // namespace halflab::cli

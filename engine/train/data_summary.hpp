#pragma once
// What a config's dataset holds, for `halflab-cli data show`: counts per split and class,
// image size and channel means, or vocabulary and length statistics for token sets, and
// how long the load took (and whether the token cache served it).
#include <cstdint>
#include <string>
#include <vector>

#include "engine/train/run_config.hpp"

namespace halflab {

struct LengthStats {
  double mean = 0, median = 0, p95 = 0;
  std::int64_t max = 0;
  double truncated_share = 0;  // rows longer than max_len (cut by truncating)
};

struct SplitSummary {
  std::string name;  // "train" | "test"
  std::int64_t count = 0;
  std::vector<std::pair<std::string, std::int64_t>> per_class;  // class name, rows
  LengthStats lengths;  // token sets only (tokens before truncation)
};

struct DataSummary {
  std::string kind, source;
  bool tokens = false;                 // int32 token rows (else float inputs)
  std::vector<SplitSummary> splits;
  std::vector<std::int64_t> sample_shape;  // one float sample, e.g. 3 x 32 x 32
  std::vector<double> channel_means;   // training set, before normalisation
  std::int64_t vocab_size = 0;         // ids in use, pad and unknown included
  std::int64_t max_len = 0;
  std::int64_t memory_bytes = 0;       // the loaded arrays
  double load_ms = 0;
  bool cache_used = false;
  std::string cache_file, cache_note;
};

// Loads the dataset `cfg` names (DataError / ConfigError as the loaders throw them).
DataSummary describeData(const RunConfig& cfg);

// Nearest-rank percentile of `values` (p in [0, 100]); 0 for an empty list.
double percentile(std::vector<std::int32_t> values, double p);

}  // namespace halflab

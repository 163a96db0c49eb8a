#pragma once
// Measures how fast RunWriter commits metric rows (target: >= 200,000 rows/s sustained).
// Used by `halflab-cli runs bench-writer` and the storage unit test.
#include <cstdint>
#include <string>

namespace halflab {

struct WriterBenchResult {
  std::int64_t steps = 0;
  std::int64_t metric_rows = 0;   // committed
  double seconds = 0;             // first onStep to the committed summary
  double rows_per_s = 0;
  double mean_push_ns = 0;        // cost of one onStep on the "training" thread
  double max_push_us = 0;
  std::string error;              // RunWriter::lastError() after the run
};

// Writes one synthetic run of `steps` step records (16 metric rows each) into db_path
// (created if needed) as fast as the caller can produce them.
WriterBenchResult benchmarkRunWriter(const std::string& db_path, std::int64_t steps = 50000);

}  // namespace halflab

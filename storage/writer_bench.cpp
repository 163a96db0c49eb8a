#include "storage/writer_bench.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>

#include "storage/run_writer.hpp"

namespace halflab {

WriterBenchResult benchmarkRunWriter(const std::string& db_path, std::int64_t steps) {
  using Clock = std::chrono::steady_clock;
  WriterBenchResult result;
  result.steps = steps;
  RunWriter writer(db_path);
  RunInfo info;
  info.name = "writer benchmark";
  info.config_json = R"({"benchmark":"run_writer"})";
  info.precision_mode = "fp16";
  info.device = "synthetic";
  info.total_steps = steps;
  writer.onRunStarted(info);
  const std::int64_t rows_before = writer.committedMetricRows();

  const auto start = Clock::now();
  double push_ns_total = 0, push_ns_max = 0;
  StepRecord r;
  for (std::int64_t s = 1; s <= steps; ++s) {
    r.step = s;
    r.loss = 2.0 * std::exp(-static_cast<double>(s) / 10000.0);
    r.scale_before = r.scale_after = 65536.0;
    r.grad_norm = 1.0 / static_cast<double>(s);
    r.lr = 1e-3;
    r.wall_ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
    r.underflow = s % 97;
    r.grad_elements = 100000;
    const auto t0 = Clock::now();
    writer.onStep(r);
    const double ns = std::chrono::duration<double, std::nano>(Clock::now() - t0).count();
    push_ns_total += ns;
    push_ns_max = std::max(push_ns_max, ns);
  }
  RunSummary summary;
  summary.steps = steps;
  writer.onRunFinished(summary);  // returns once everything is committed
  result.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  result.metric_rows = writer.committedMetricRows() - rows_before;
  result.rows_per_s = result.seconds > 0 ? static_cast<double>(result.metric_rows) / result.seconds : 0;
  result.mean_push_ns = steps > 0 ? push_ns_total / static_cast<double>(steps) : 0;
  result.max_push_us = push_ns_max / 1000.0;
  result.error = writer.lastError();
  return result;
}

}  // namespace halflab

#include "engine/stats/step_timing.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace halflab {

const char* const kCpuTimingCaveat =
    "timings: CPU emulation of fp16/bf16/tf32 \u2014 not indicative of GPU speed";

bool isCpuDevice(const std::string& device) { return device.rfind("cpu", 0) == 0; }

std::size_t timingSegmentLength(std::size_t steps) {
  if (steps < 2) return 0;
  if (steps >= 4 * kTimingSegmentSteps) return kTimingSegmentSteps;
  return std::max<std::size_t>(1, steps / 4);
}

std::vector<double> segmentStepTimes(const std::vector<double>& step_ms, std::size_t segment_steps) {
  std::vector<double> out;
  if (segment_steps == 0) return out;
  // Segment 0 is the warm-up (first-touch allocations, caches, BLAS thread start-up).
  for (std::size_t start = segment_steps; start + segment_steps <= step_ms.size(); start += segment_steps) {
    double sum = 0;
    for (std::size_t i = start; i < start + segment_steps; ++i) sum += step_ms[i];
    out.push_back(sum / static_cast<double>(segment_steps));
  }
  return out;
}

double quantile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const double pos = std::clamp(q, 0.0, 1.0) * static_cast<double>(v.size() - 1);
  const auto lo = static_cast<std::size_t>(std::floor(pos));
  const std::size_t hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (v[hi] - v[lo]) * (pos - static_cast<double>(lo));
}

double median(std::vector<double> v) { return quantile(std::move(v), 0.5); }

SpeedupEstimate estimateSpeedup(const std::vector<double>& base_step_ms, const std::vector<double>& other_step_ms) {
  SpeedupEstimate e;
  e.segment_steps = timingSegmentLength(std::min(base_step_ms.size(), other_step_ms.size()));
  const std::vector<double> base = segmentStepTimes(base_step_ms, e.segment_steps);
  const std::vector<double> other = segmentStepTimes(other_step_ms, e.segment_steps);
  e.base_ms_per_step = median(base);
  e.other_ms_per_step = median(other);
  std::vector<double> ratios;
  for (std::size_t i = 0; i < std::min(base.size(), other.size()); ++i)
    if (other[i] > 0) ratios.push_back(base[i] / other[i]);
  e.segments = ratios.size();
  e.valid = !ratios.empty() && e.other_ms_per_step > 0;
  if (!e.valid) return e;
  e.speedup = e.base_ms_per_step / e.other_ms_per_step;
  e.ratio_q1 = quantile(ratios, 0.25);
  e.ratio_q3 = quantile(ratios, 0.75);
  return e;
}

std::string describeSpeedup(const SpeedupEstimate& e) {
  if (!e.valid) return "n/a (runs too short to time)";
  char buf[128];
  std::snprintf(buf, sizeof buf, "%.2fx (IQR %.2f-%.2f, %zu segments of %zu steps)", e.speedup, e.ratio_q1,
                e.ratio_q3, e.segments, e.segment_steps);
  return buf;
}

}  // namespace halflab

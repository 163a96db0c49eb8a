#pragma once
// How much faster one run's steps are than another's (the A/B speedup of `train --ab`
// and the GUI comparison). Whole wall times are the wrong measure: they include data
// loading, evaluations, histogram steps and whatever else the machine did meanwhile. So
// each run's step times are cut into segments of equal length (the first one, the warm-up,
// and a partial last one dropped), and the speedup is the median base segment time over
// the median low-precision segment time, with the interquartile range of the paired
// per-segment ratios as its spread.
#include <cstddef>
#include <string>
#include <vector>

namespace halflab {

constexpr std::size_t kTimingSegmentSteps = 20;

// Segment length for runs of this many steps: kTimingSegmentSteps, or a quarter of the
// run for runs under 4 segments (so at least 3 are measured); 0 when too short (< 2).
std::size_t timingSegmentLength(std::size_t steps);

// Mean ms per step of each measured segment (warm-up and a partial last one dropped).
std::vector<double> segmentStepTimes(const std::vector<double>& step_ms, std::size_t segment_steps);

// Median with the middle pair averaged; quantile by linear interpolation (q in [0, 1]).
// Both are 0 for an empty sample.
double median(std::vector<double> v);
double quantile(std::vector<double> v, double q);

struct SpeedupEstimate {
  bool valid = false;               // both runs had at least one measured segment
  std::size_t segment_steps = 0;
  std::size_t segments = 0;         // segment pairs compared
  double base_ms_per_step = 0;      // median segment time per step
  double other_ms_per_step = 0;
  double speedup = 0;               // base_ms_per_step / other_ms_per_step
  double ratio_q1 = 0, ratio_q3 = 0;  // IQR of the per-segment ratios base_i / other_i
};

// From each run's step_time_ms series in step order. Segment i of both runs covers the
// same steps (an A/B pair trains the same batches), so their ratio is a fair pair.
SpeedupEstimate estimateSpeedup(const std::vector<double>& base_step_ms, const std::vector<double>& other_step_ms);

// "1.23x (IQR 1.18-1.27, 9 segments of 20 steps)", or "n/a (runs too short to time)".
std::string describeSpeedup(const SpeedupEstimate& e);

// The one-line caveat for timings measured on the CPU backend, where fp16/bf16 are
// emulated in software.
extern const char* const kCpuTimingCaveat;
bool isCpuDevice(const std::string& device);  // "cpu (2 threads)" -> true

}  // namespace halflab

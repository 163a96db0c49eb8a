#pragma once
// Cheap whole-tensor summary used next to the histograms (DESIGN 2 "stats/"): the largest
// finite magnitude (what an fp8 per-tensor scale is chosen from), and how many elements
// are zero or not finite.
#include <cstddef>
#include <cstdint>

namespace halflab {

struct TensorStats {
  double amax = 0.0;            // max |x| over the finite elements (0 when there are none)
  std::int64_t zeros = 0;       // +0 and -0
  std::int64_t nonfinite = 0;   // inf and NaN
};

TensorStats tensorStats(const float* x, std::size_t n);

}  // namespace halflab

#include "engine/stats/tensor_stats.hpp"

#include <cmath>
#include <limits>

namespace halflab {

TensorStats tensorStats(const float* x, std::size_t n) {
  constexpr float kMaxFinite = std::numeric_limits<float>::max();
  // Branch-free body so the compiler can keep it in vector registers.
  float amax = 0.0f;
  std::int64_t zeros = 0, nonfinite = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const float a = std::fabs(x[i]);
    const bool finite = a <= kMaxFinite;  // false for inf and NaN
    amax = (finite && a > amax) ? a : amax;
    zeros += a == 0.0f;
    nonfinite += !finite;
  }
  return TensorStats{static_cast<double>(amax), zeros, nonfinite};
}

}  // namespace halflab

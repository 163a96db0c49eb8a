#pragma once
// PyTorch-style default initialisation (uniform in +-1/sqrt(fan_in) for weight and bias),
// drawn from raw mt19937_64 output so every platform gets bit-identical weights.
#include <cmath>
#include <cstdint>
#include <random>

#include "engine/tensor/tensor.hpp"

namespace halflab {

inline float uniformFromBits(std::mt19937_64& rng) {  // [0, 1), 24 random bits
  return static_cast<float>(rng() >> 40) * (1.0f / 16777216.0f);
}

inline void initUniform(Tensor& t, double bound, std::mt19937_64& rng) {
  for (auto& v : t.data) v = static_cast<float>((2.0 * uniformFromBits(rng) - 1.0) * bound);
}

}  // namespace halflab

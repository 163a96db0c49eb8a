#include "engine/stats/histogram.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cstring>
#include <stdexcept>
#include <string>

namespace halflab {

namespace {

constexpr int kFp32ExponentBias = 127;
constexpr std::uint32_t kMantissaMask = 0x007F'FFFFu;

// floor(log2|x|) of an fp32 subnormal: its leading mantissa bit, scaled by 2^-149.
int subnormalExponent(std::uint32_t mantissa) {
  return (31 - std::countl_zero(mantissa)) - 149;
}

}  // namespace

Log2Histogram makeLog2Histogram(int min_exp, int max_exp) {
  if (min_exp > max_exp) {
    throw std::invalid_argument("makeLog2Histogram: min_exp (" + std::to_string(min_exp) +
                                ") is greater than max_exp (" + std::to_string(max_exp) + ")");
  }
  Log2Histogram h{min_exp, max_exp, {}, 0, 0, 0};
  h.bins.assign(static_cast<std::size_t>(max_exp - min_exp + 1), 0);
  return h;
}

void accumulateLog2Histogram(const float* x, std::size_t n, Log2Histogram& h) {
  if (h.min_exp > h.max_exp ||
      h.bins.size() != static_cast<std::size_t>(h.max_exp - h.min_exp + 1)) {
    throw std::invalid_argument("accumulateLog2Histogram: histogram has " +
                                std::to_string(h.bins.size()) + " bins but its range [" +
                                std::to_string(h.min_exp) + ", " + std::to_string(h.max_exp) +
                                "] needs " + std::to_string(h.max_exp - h.min_exp + 1));
  }
  auto add_exponent = [&h](int exponent, std::int64_t count) {
    const int clamped = std::clamp(exponent, h.min_exp, h.max_exp);
    h.bins[static_cast<std::size_t>(clamped - h.min_exp)] += count;
  };

  // Normal numbers only need their exponent field: count those in a small table first
  // (a tight loop with no clamping), and fold the table into the bins at the end.
  std::array<std::int64_t, 256> by_exponent_field{};
  for (std::size_t i = 0; i < n; ++i) {
    std::uint32_t bits;
    std::memcpy(&bits, x + i, sizeof bits);
    const std::uint32_t field = (bits >> 23) & 0xFFu;
    if (field == 0 || field == 0xFF) [[unlikely]] {
      const std::uint32_t mantissa = bits & kMantissaMask;
      if (field == 0) {
        if (mantissa == 0) ++h.zeros;
        else add_exponent(subnormalExponent(mantissa), 1);
      } else {
        if (mantissa == 0) ++h.infs;
        else ++h.nans;
      }
      continue;
    }
    ++by_exponent_field[field];
  }
  for (int field = 1; field < 0xFF; ++field) {
    if (by_exponent_field[field] != 0) add_exponent(field - kFp32ExponentBias, by_exponent_field[field]);
  }
}

}  // namespace halflab

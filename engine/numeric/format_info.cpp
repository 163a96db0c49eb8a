// Format names and limits (docs/ARCHITECTURE.md 2.3 "Format limits for plots and tests").
#include "engine/numeric/format.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <limits>
#include <string>

namespace halflab {

namespace {

struct FormatEntry {
  Format format;
  std::string_view name;
};

constexpr std::array<FormatEntry, 6> kFormats{{
    {Format::FP32, "fp32"},
    {Format::TF32, "tf32"},
    {Format::FP16, "fp16"},
    {Format::BF16, "bf16"},
    {Format::E4M3, "e4m3"},
    {Format::E5M2, "e5m2"},
}};

// Limits of a binary format with an IEEE-style exponent, for the common cases; e4m3 ("fn")
// differs only in its largest value, since it spends the all-ones exponent on normal
// numbers and keeps a single NaN mantissa.
FormatLimits ieeeLikeLimits(int mantissa_bits, int exponent_bits) {
  const int bias = (1 << (exponent_bits - 1)) - 1;
  const int min_exponent = 1 - bias;
  FormatLimits limits{};
  limits.mantissa_bits = mantissa_bits;
  limits.exponent_bits = exponent_bits;
  limits.epsilon = std::ldexp(1.0, -mantissa_bits);
  limits.min_normal = std::ldexp(1.0, min_exponent);
  limits.min_subnormal = std::ldexp(1.0, min_exponent - mantissa_bits);
  limits.max = (2.0 - std::ldexp(1.0, -mantissa_bits)) * std::ldexp(1.0, bias);
  limits.has_inf = true;
  return limits;
}

}  // namespace

std::string_view formatName(Format f) {
  for (const auto& entry : kFormats) {
    if (entry.format == f) return entry.name;
  }
  return "unknown";
}

std::optional<Format> parseFormat(std::string_view name) {
  std::string lowered(name);
  std::transform(lowered.begin(), lowered.end(), lowered.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  for (const auto& entry : kFormats) {
    if (entry.name == lowered) return entry.format;
  }
  return std::nullopt;
}

FormatLimits formatLimits(Format f) {
  switch (f) {
    case Format::FP32: return ieeeLikeLimits(23, 8);
    // TF32 keeps fp32's exponent, so its subnormals are fp32 subnormals cut to 10 bits.
    case Format::TF32: return ieeeLikeLimits(10, 8);
    case Format::FP16: return ieeeLikeLimits(10, 5);
    case Format::BF16: return ieeeLikeLimits(7, 8);
    case Format::E4M3: {
      FormatLimits limits = ieeeLikeLimits(3, 4);
      limits.max = 448.0;  // 1.75 * 2^8: exponent 15 is normal, mantissa 111 is NaN
      limits.has_inf = false;
      return limits;
    }
    case Format::E5M2: return ieeeLikeLimits(2, 5);
  }
  return ieeeLikeLimits(23, 8);
}

}  // namespace halflab

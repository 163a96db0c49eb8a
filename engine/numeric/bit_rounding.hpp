#pragma once
// Internal to engine/numeric: the bit-level rounding steps shared by the scalar
// conversions (scalar_convert.cpp) and the portable buffer loops (round_buffer.cpp),
// inline so that the buffer loops can be vectorised by the compiler.
#include <bit>
#include <cstdint>

namespace halflab::numeric_detail {

inline constexpr std::uint32_t kAbsMask = 0x7FFF'FFFFu;
inline constexpr std::uint32_t kFp32Inf = 0x7F80'0000u;
inline constexpr std::uint32_t kFp32QuietBit = 0x0040'0000u;
inline constexpr std::uint32_t kFp32MantissaMask = 0x007F'FFFFu;

// Rounds a finite fp32 magnitude (sign clear) to a binary format with kMantissaBits
// explicit mantissa bits and exponent bias kBias, ties to even, subnormals kept.
// Returns the format's magnitude encoding (exponent field << kMantissaBits | mantissa).
// A result past the largest finite encoding means overflow; the caller maps it to inf,
// NaN or saturation, because that is where the formats differ.
template <int kMantissaBits, int kBias>
constexpr std::uint32_t roundMagnitude(std::uint32_t abs_bits) {
  constexpr int kDropped = 23 - kMantissaBits;
  // fp32 biased exponent of the format's smallest normal number.
  constexpr int kMinNormalFp32Exponent = 127 - kBias + 1;
  const int exponent = static_cast<int>(abs_bits >> 23);
  if (exponent >= kMinNormalFp32Exponent) {
    // Normal in the target: rebias the exponent, then round away kDropped bits. A carry
    // out of the mantissa correctly bumps the exponent (and can reach the inf encoding).
    const std::uint32_t rebased = abs_bits - (static_cast<std::uint32_t>(127 - kBias) << 23);
    const std::uint32_t lsb = (rebased >> kDropped) & 1u;
    return (rebased + ((1u << (kDropped - 1)) - 1u) + lsb) >> kDropped;
  }
  // Subnormal (or zero) in the target: count units of the smallest subnormal.
  const std::uint32_t significand =
      exponent == 0 ? (abs_bits & kFp32MantissaMask) : ((abs_bits & kFp32MantissaMask) | 0x0080'0000u);
  const int effective_exponent = exponent == 0 ? 1 : exponent;  // fp32 subnormals scale like 2^-126
  const int shift = kDropped + kMinNormalFp32Exponent - effective_exponent;
  if (shift > 24) return 0;  // below half the smallest subnormal (significand < 2^24)
  const std::uint32_t units = significand >> shift;
  const std::uint32_t remainder = significand & ((1u << shift) - 1u);
  const std::uint32_t half = 1u << (shift - 1);
  const bool round_up = remainder > half || (remainder == half && (units & 1u));
  return units + (round_up ? 1u : 0u);  // may carry into the smallest normal: still right
}

// Value of a finite magnitude encoding of a format with kMantissaBits / kBias.
template <int kMantissaBits, int kBias>
inline float decodeMagnitude(std::uint32_t magnitude) {
  const std::uint32_t exponent = magnitude >> kMantissaBits;
  const std::uint32_t mantissa = magnitude & ((1u << kMantissaBits) - 1u);
  if (exponent == 0) {
    // units of the smallest subnormal, 2^(1 - bias - mantissa_bits): exact in fp32.
    constexpr float kSmallestSubnormal =
        std::bit_cast<float>(static_cast<std::uint32_t>(127 + 1 - kBias - kMantissaBits) << 23);
    return static_cast<float>(mantissa) * kSmallestSubnormal;
  }
  return std::bit_cast<float>(((exponent - kBias + 127) << 23) | (mantissa << (23 - kMantissaBits)));
}

// Drops the low kDropped bits of an fp32 with RNE; the result stays an fp32 (bf16, tf32).
template <int kDropped>
constexpr std::uint32_t roundLowBits(std::uint32_t bits) {
  constexpr std::uint32_t kKeptMask = ~((1u << kDropped) - 1u);
  if ((bits & kAbsMask) > kFp32Inf) return (bits | kFp32QuietBit) & kKeptMask;
  const std::uint32_t lsb = (bits >> kDropped) & 1u;
  return (bits + ((1u << (kDropped - 1)) - 1u) + lsb) & kKeptMask;
}

}  // namespace halflab::numeric_detail

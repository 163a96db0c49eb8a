// Exact scalar conversions between fp32 and the emulated formats: round to nearest, ties
// to even, subnormals kept. These are the reference the vectorised buffer paths are
// tested against, and the fallback on CPUs without F16C/AVX2.
#include "engine/numeric/format.hpp"
#include "engine/numeric/bit_rounding.hpp"

#include <bit>
#include <cmath>

namespace halflab {

using namespace numeric_detail;

// ---- fp16 (1-5-10, bias 15) -------------------------------------------------------------

std::uint16_t fp32ToFp16Bits(float x) {
  const std::uint32_t bits = std::bit_cast<std::uint32_t>(x);
  const std::uint32_t sign = (bits >> 16) & 0x8000u;
  const std::uint32_t abs_bits = bits & kAbsMask;
  if (abs_bits >= kFp32Inf) {
    if (abs_bits == kFp32Inf) return static_cast<std::uint16_t>(sign | 0x7C00u);
    // Quiet NaN with the payload's top bits, exactly what F16C's vcvtps2ph produces.
    return static_cast<std::uint16_t>(sign | 0x7E00u | ((abs_bits >> 13) & 0x03FFu));
  }
  const std::uint32_t magnitude = roundMagnitude<10, 15>(abs_bits);
  return static_cast<std::uint16_t>(sign | (magnitude >= 0x7C00u ? 0x7C00u : magnitude));
}

float fp16BitsToFp32(std::uint16_t h) {
  const std::uint32_t sign = static_cast<std::uint32_t>(h & 0x8000u) << 16;
  const std::uint32_t magnitude = h & 0x7FFFu;
  if (magnitude >= 0x7C00u) {
    const std::uint32_t mantissa = magnitude & 0x03FFu;
    if (mantissa == 0) return std::bit_cast<float>(sign | kFp32Inf);
    return std::bit_cast<float>(sign | kFp32Inf | kFp32QuietBit | (mantissa << 13));
  }
  return std::bit_cast<float>(sign | std::bit_cast<std::uint32_t>(decodeMagnitude<10, 15>(magnitude)));
}

// ---- bf16 (1-8-7): the top half of an fp32 ----------------------------------------------

std::uint16_t fp32ToBf16Bits(float x) {
  return static_cast<std::uint16_t>(roundLowBits<16>(std::bit_cast<std::uint32_t>(x)) >> 16);
}

float bf16BitsToFp32(std::uint16_t b) {
  // Widening is exact; a NaN is passed through as stored.
  return std::bit_cast<float>(static_cast<std::uint32_t>(b) << 16);
}

// ---- tf32 (1-8-10) held in an fp32 -------------------------------------------------------

float roundToTf32(float x) {
  return std::bit_cast<float>(roundLowBits<13>(std::bit_cast<std::uint32_t>(x)));
}

// ---- e4m3 "fn" (1-4-3, bias 7, no inf, NaN = S.1111.111, max 448) -----------------------

std::uint8_t fp32ToE4m3Bits(float x, bool saturate) {
  constexpr std::uint32_t kNaN = 0x7Fu;
  constexpr std::uint32_t kMaxFinite = 0x7Eu;  // 448
  const std::uint32_t bits = std::bit_cast<std::uint32_t>(x);
  const std::uint32_t sign = (bits >> 24) & 0x80u;
  const std::uint32_t abs_bits = bits & kAbsMask;
  if (abs_bits > kFp32Inf) return static_cast<std::uint8_t>(sign | kNaN);
  // There is no inf: infinities clamp like any overflow (as CUDA's __NV_SATFINITE does).
  if (abs_bits == kFp32Inf) return static_cast<std::uint8_t>(sign | (saturate ? kMaxFinite : kNaN));
  const std::uint32_t magnitude = roundMagnitude<3, 7>(abs_bits);
  if (magnitude > kMaxFinite) return static_cast<std::uint8_t>(sign | (saturate ? kMaxFinite : kNaN));
  return static_cast<std::uint8_t>(sign | magnitude);
}

float e4m3BitsToFp32(std::uint8_t b) {
  const std::uint32_t sign = static_cast<std::uint32_t>(b & 0x80u) << 24;
  const std::uint32_t magnitude = b & 0x7Fu;
  if (magnitude == 0x7Fu) return std::bit_cast<float>(sign | kFp32Inf | kFp32QuietBit);
  return std::bit_cast<float>(sign | std::bit_cast<std::uint32_t>(decodeMagnitude<3, 7>(magnitude)));
}

// ---- e5m2 (1-5-2, bias 15, IEEE-like: inf and NaNs, max 57344) --------------------------

std::uint8_t fp32ToE5m2Bits(float x, bool saturate) {
  constexpr std::uint32_t kInf = 0x7Cu;
  constexpr std::uint32_t kMaxFinite = 0x7Bu;  // 57344
  const std::uint32_t bits = std::bit_cast<std::uint32_t>(x);
  const std::uint32_t sign = (bits >> 24) & 0x80u;
  const std::uint32_t abs_bits = bits & kAbsMask;
  if (abs_bits > kFp32Inf) return static_cast<std::uint8_t>(sign | 0x7Eu);  // quiet NaN
  if (abs_bits == kFp32Inf) return static_cast<std::uint8_t>(sign | (saturate ? kMaxFinite : kInf));
  const std::uint32_t magnitude = roundMagnitude<2, 15>(abs_bits);
  if (magnitude >= kInf) return static_cast<std::uint8_t>(sign | (saturate ? kMaxFinite : kInf));
  return static_cast<std::uint8_t>(sign | magnitude);
}

float e5m2BitsToFp32(std::uint8_t b) {
  const std::uint32_t sign = static_cast<std::uint32_t>(b & 0x80u) << 24;
  const std::uint32_t magnitude = b & 0x7Fu;
  if (magnitude >= 0x7Cu) {
    const std::uint32_t mantissa = magnitude & 0x3u;
    if (mantissa == 0) return std::bit_cast<float>(sign | kFp32Inf);
    return std::bit_cast<float>(sign | kFp32Inf | kFp32QuietBit | (mantissa << 21));
  }
  return std::bit_cast<float>(sign | std::bit_cast<std::uint32_t>(decodeMagnitude<2, 15>(magnitude)));
}

// ---- any format --------------------------------------------------------------------------

float roundToFormat(Format f, float x) {
  switch (f) {
    case Format::FP32: return x;
    case Format::TF32: return roundToTf32(x);
    case Format::FP16: return fp16BitsToFp32(fp32ToFp16Bits(x));
    case Format::BF16: return bf16BitsToFp32(fp32ToBf16Bits(x));
    case Format::E4M3: return e4m3BitsToFp32(fp32ToE4m3Bits(x));
    case Format::E5M2: return e5m2BitsToFp32(fp32ToE5m2Bits(x));
  }
  return x;
}

}  // namespace halflab

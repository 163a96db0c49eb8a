#pragma once
// Number formats HalfLab emulates, their limits, and exact round-to-nearest-even
// conversion from fp32. Low-format tensors on the CPU are held as fp32 values that are
// exactly representable in the format (docs/ARCHITECTURE.md 2.1), so "rounding a buffer" means
// replacing every value by the nearest representable one, in place.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace halflab {

enum class Format : std::uint8_t { FP32, TF32, FP16, BF16, E4M3, E5M2 };

std::string_view formatName(Format f);                       // "fp32", "tf32", "fp16", ...
std::optional<Format> parseFormat(std::string_view name);

struct FormatLimits {
  double max;            // largest finite value
  double min_normal;     // smallest positive normal
  double min_subnormal;  // smallest positive subnormal
  double epsilon;        // 2^-mantissa_bits
  int mantissa_bits;     // explicit mantissa bits
  int exponent_bits;
  bool has_inf;          // e4m3 (fn variant) has no inf: it saturates / gives NaN
};
FormatLimits formatLimits(Format f);

// Bit-level conversions (RNE, subnormals kept, overflow to inf, NaN kept as quiet NaN).
std::uint16_t fp32ToFp16Bits(float x);
float fp16BitsToFp32(std::uint16_t h);
std::uint16_t fp32ToBf16Bits(float x);
float bf16BitsToFp32(std::uint16_t b);
// e4m3 ("fn": no inf, max 448). Overflow saturates to +-448 when saturate is true,
// otherwise becomes NaN. e5m2 follows IEEE rules (overflow to inf) unless saturate.
std::uint8_t fp32ToE4m3Bits(float x, bool saturate = true);
float e4m3BitsToFp32(std::uint8_t b);
std::uint8_t fp32ToE5m2Bits(float x, bool saturate = false);
float e5m2BitsToFp32(std::uint8_t b);
// TF32: 8-bit exponent, 10-bit mantissa, RNE on the dropped 13 bits.
float roundToTf32(float x);

// Nearest value of `f` (as fp32). FP32 is the identity.
float roundToFormat(Format f, float x);

// What one rounding of gradient values did (docs/ARCHITECTURE.md 2.3): elements that were non-zero
// in fp32 and became 0, that became subnormal, that became inf (or NaN for e4m3).
struct RoundingCounts {
  std::int64_t total = 0;
  std::int64_t underflow = 0;
  std::int64_t subnormal = 0;
  std::int64_t overflow = 0;
  RoundingCounts& operator+=(const RoundingCounts& o) {
    total += o.total; underflow += o.underflow; subnormal += o.subnormal; overflow += o.overflow;
    return *this;
  }
};

// In-place rounding of a whole buffer; vectorised (F16C for fp16 when the CPU has it).
void roundBuffer(Format f, float* data, std::size_t n);
// Same, and counts what the rounding did (non-finite inputs are not counted as overflow).
void roundBufferCounted(Format f, float* data, std::size_t n, RoundingCounts& counts);
// Rounded copy: dst[i] = roundToFormat(f, src[i]).
void roundCopy(Format f, const float* src, float* dst, std::size_t n);

}  // namespace halflab

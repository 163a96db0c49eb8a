// Rounding whole buffers, on the training hot path (every fp16/bf16 activation and
// gradient passes through here). On x86 with F16C + AVX2 (chosen at run time, so the
// binary still runs on older CPUs) fp16 uses the hardware converter, which rounds to
// nearest even and keeps subnormals; bf16 and tf32 use the same bit routine as the scalar
// code, eight lanes at a time. Everything else goes through the portable loops.
#include "engine/numeric/bit_rounding.hpp"
#include "engine/numeric/format.hpp"
#include "engine/numeric/round_kernels.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <limits>

#if defined(__x86_64__) || defined(__i386__)
#define HALFLAB_X86 1
#include <cpuid.h>
#include <immintrin.h>
#endif

namespace halflab {

namespace numeric_detail {

namespace {

constexpr float kInfinity = std::numeric_limits<float>::infinity();

// A saturating e4m3 conversion maps overflow to +-448 instead of NaN; it saturates
// (rather than rounds normally to 448) exactly when |x| > 464, the midpoint between 448
// and the next step 480 (ties go to 448, whose mantissa is even).
constexpr float kE4m3SaturationThreshold = 464.0f;

float minNormalOf(Format f) { return static_cast<float>(formatLimits(f).min_normal); }

// |x| above which a finite input counts as overflow although its output is finite.
float saturationThresholdOf(Format f) {
  return f == Format::E4M3 ? kE4m3SaturationThreshold : kInfinity;
}

template <int kDropped>
inline float roundLowBitsValue(float x) {
  return std::bit_cast<float>(roundLowBits<kDropped>(std::bit_cast<std::uint32_t>(x)));
}

// fp16 rounding without branches, so the portable loop vectorises: adding
// c = 2^(e+13), where 2^e is the binade of |x| (at least fp16's 2^-14), leaves exactly
// fp16's 11 significant bits (its subnormal spacing 2^-24 below 2^-14) and the fp32
// addition rounds them to nearest even; subtracting c again is exact. Relies on the
// default rounding mode, like all fp32 arithmetic in the engine. Checked bit for bit
// against fp32ToFp16Bits and F16C by the tests.
inline float roundToFp16Value(float x) {
  constexpr std::uint32_t kFp16Overflow = 0x477F'F000u;  // 65520: rounds past 65504
  const std::uint32_t bits = std::bit_cast<std::uint32_t>(x);
  const std::uint32_t abs_bits = bits & kAbsMask;
  const std::uint32_t binade = std::clamp(abs_bits & kFp32Inf, (127u - 14u) << 23, (127u + 16u) << 23);
  const float c = std::bit_cast<float>(binade + (13u << 23));
  const float a = std::bit_cast<float>(abs_bits);
  std::uint32_t rounded = std::bit_cast<std::uint32_t>((a + c) - c);
  rounded = abs_bits >= kFp16Overflow ? kFp32Inf : rounded;
  rounded = abs_bits > kFp32Inf ? ((abs_bits | kFp32QuietBit) & 0xFFFF'E000u) : rounded;
  return std::bit_cast<float>(rounded | (bits & 0x8000'0000u));
}

template <class RoundOne>
void portableLoop(const float* src, float* dst, std::size_t n, RoundOne round_one) {
  for (std::size_t i = 0; i < n; ++i) dst[i] = round_one(src[i]);
}

template <class RoundOne>
void portableCountedLoop(const float* src, float* dst, std::size_t n, RoundingCounts& counts,
                         float min_normal, float saturation_threshold, RoundOne round_one) {
  constexpr float kMaxFinite = std::numeric_limits<float>::max();
  std::int64_t underflow = 0, subnormal = 0, overflow = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const float x = src[i];
    const float y = round_one(x);
    dst[i] = y;
    const float ax = std::fabs(x), ay = std::fabs(y);
    underflow += (x != 0.0f) & (y == 0.0f);
    subnormal += (ay > 0.0f) & (ay < min_normal);
    // !(ay <= max) is true for inf and NaN outputs alike.
    overflow += (ax <= kMaxFinite) & (!(ay <= kMaxFinite) | (ax > saturation_threshold));
  }
  counts.total += static_cast<std::int64_t>(n);
  counts.underflow += underflow;
  counts.subnormal += subnormal;
  counts.overflow += overflow;
}

template <class Visitor>
void withPortableRounder(Format f, Visitor visit) {
  switch (f) {
    case Format::FP32: visit([](float x) { return x; }); return;
    case Format::TF32: visit([](float x) { return roundLowBitsValue<13>(x); }); return;
    case Format::BF16: visit([](float x) { return roundLowBitsValue<16>(x); }); return;
    case Format::FP16: visit([](float x) { return roundToFp16Value(x); }); return;
    case Format::E4M3: visit([](float x) { return e4m3BitsToFp32(fp32ToE4m3Bits(x)); }); return;
    case Format::E5M2: visit([](float x) { return e5m2BitsToFp32(fp32ToE5m2Bits(x)); }); return;
  }
}

#ifdef HALFLAB_X86

#define HALFLAB_SIMD_TARGET __attribute__((target("avx2,f16c")))

struct Fp16Lanes {
  HALFLAB_SIMD_TARGET static __m256 round(__m256 v) {
    return _mm256_cvtph_ps(_mm256_cvtps_ph(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
  }
};

// The bit routine of roundLowBits, eight lanes at a time (bf16: 16 bits, tf32: 13 bits).
template <int kDropped>
struct LowBitsLanes {
  HALFLAB_SIMD_TARGET static __m256 round(__m256 v) {
    const __m256i bits = _mm256_castps_si256(v);
    const __m256i kept_mask = _mm256_set1_epi32(static_cast<int>(~((1u << kDropped) - 1u)));
    const __m256i lsb = _mm256_and_si256(_mm256_srli_epi32(bits, kDropped), _mm256_set1_epi32(1));
    const __m256i bias = _mm256_set1_epi32((1 << (kDropped - 1)) - 1);
    const __m256i rounded =
        _mm256_and_si256(_mm256_add_epi32(_mm256_add_epi32(bits, bias), lsb), kept_mask);
    const __m256i abs_bits = _mm256_and_si256(bits, _mm256_set1_epi32(0x7FFF'FFFF));
    const __m256i is_nan = _mm256_cmpgt_epi32(abs_bits, _mm256_set1_epi32(0x7F80'0000));
    const __m256i quiet_nan = _mm256_and_si256(
        _mm256_or_si256(bits, _mm256_set1_epi32(static_cast<int>(kFp32QuietBit))), kept_mask);
    return _mm256_castsi256_ps(_mm256_blendv_epi8(rounded, quiet_nan, is_nan));
  }
};

template <class Lanes>
HALFLAB_SIMD_TARGET void simdLoop(const float* src, float* dst, std::size_t n) {
  std::size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m256 a = Lanes::round(_mm256_loadu_ps(src + i));
    const __m256 b = Lanes::round(_mm256_loadu_ps(src + i + 8));
    _mm256_storeu_ps(dst + i, a);
    _mm256_storeu_ps(dst + i + 8, b);
  }
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(dst + i, Lanes::round(_mm256_loadu_ps(src + i)));
  if (i < n) {
    // The last < 8 elements go through the same lanes, padded, so every element of a
    // buffer is rounded by the same instruction sequence.
    alignas(32) float tail[8] = {};
    std::memcpy(tail, src + i, (n - i) * sizeof(float));
    _mm256_store_ps(tail, Lanes::round(_mm256_load_ps(tail)));
    std::memcpy(dst + i, tail, (n - i) * sizeof(float));
  }
}

// Per-lane counters; each compare mask is -1 where true, so subtracting counts it.
struct LaneCounters {
  __m256i underflow, subnormal, overflow;
};

HALFLAB_SIMD_TARGET inline void countLanes(__m256 x, __m256 y, __m256 min_normal, LaneCounters& c) {
  const __m256 abs_mask = _mm256_castsi256_ps(_mm256_set1_epi32(0x7FFF'FFFF));
  const __m256 zero = _mm256_setzero_ps();
  const __m256 inf = _mm256_set1_ps(kInfinity);
  const __m256 ax = _mm256_and_ps(x, abs_mask);
  const __m256 ay = _mm256_and_ps(y, abs_mask);
  const __m256 underflow =
      _mm256_and_ps(_mm256_cmp_ps(ax, zero, _CMP_NEQ_UQ), _mm256_cmp_ps(ay, zero, _CMP_EQ_OQ));
  const __m256 subnormal =
      _mm256_and_ps(_mm256_cmp_ps(ay, zero, _CMP_GT_OQ), _mm256_cmp_ps(ay, min_normal, _CMP_LT_OQ));
  const __m256 overflow =
      _mm256_and_ps(_mm256_cmp_ps(ax, inf, _CMP_LT_OQ), _mm256_cmp_ps(ay, inf, _CMP_EQ_OQ));
  c.underflow = _mm256_sub_epi32(c.underflow, _mm256_castps_si256(underflow));
  c.subnormal = _mm256_sub_epi32(c.subnormal, _mm256_castps_si256(subnormal));
  c.overflow = _mm256_sub_epi32(c.overflow, _mm256_castps_si256(overflow));
}

HALFLAB_SIMD_TARGET inline std::int64_t sumLanes(__m256i v) {
  alignas(32) std::int32_t lanes[8];
  _mm256_store_si256(reinterpret_cast<__m256i*>(lanes), v);
  std::int64_t total = 0;
  for (std::int32_t lane : lanes) total += lane;
  return total;
}

// Formats handled here all have inf, so overflow is "finite in, inf out".
template <class Lanes>
HALFLAB_SIMD_TARGET void simdCountedLoop(const float* src, float* dst, std::size_t n,
                                         float min_normal_value, RoundingCounts& counts) {
  // Each int32 lane gains at most one per 8 elements; flushing every 2^24 elements keeps
  // the lanes far from overflow.
  constexpr std::size_t kBlock = std::size_t{1} << 24;
  const __m256 min_normal = _mm256_set1_ps(min_normal_value);
  std::size_t i = 0;
  while (i < n) {
    const std::size_t block_end = std::min(n, i + kBlock);
    LaneCounters c{_mm256_setzero_si256(), _mm256_setzero_si256(), _mm256_setzero_si256()};
    for (; i + 8 <= block_end; i += 8) {
      const __m256 x = _mm256_loadu_ps(src + i);
      const __m256 y = Lanes::round(x);
      _mm256_storeu_ps(dst + i, y);
      countLanes(x, y, min_normal, c);
    }
    if (i < block_end) {
      // Zero padding rounds to zero and counts as nothing.
      alignas(32) float tail[8] = {};
      std::memcpy(tail, src + i, (block_end - i) * sizeof(float));
      const __m256 x = _mm256_load_ps(tail);
      const __m256 y = Lanes::round(x);
      _mm256_store_ps(tail, y);
      std::memcpy(dst + i, tail, (block_end - i) * sizeof(float));
      countLanes(x, y, min_normal, c);
      i = block_end;
    }
    counts.underflow += sumLanes(c.underflow);
    counts.subnormal += sumLanes(c.subnormal);
    counts.overflow += sumLanes(c.overflow);
  }
  counts.total += static_cast<std::int64_t>(n);
}

// Runs the SIMD kernel for f; false when f has none (fp8 goes the portable way).
bool simdRoundCopy(Format f, const float* src, float* dst, std::size_t n) {
  switch (f) {
    case Format::FP16: simdLoop<Fp16Lanes>(src, dst, n); return true;
    case Format::BF16: simdLoop<LowBitsLanes<16>>(src, dst, n); return true;
    case Format::TF32: simdLoop<LowBitsLanes<13>>(src, dst, n); return true;
    default: return false;
  }
}

bool simdRoundCopyCounted(Format f, const float* src, float* dst, std::size_t n,
                          RoundingCounts& counts) {
  const float min_normal = minNormalOf(f);
  switch (f) {
    case Format::FP16: simdCountedLoop<Fp16Lanes>(src, dst, n, min_normal, counts); return true;
    case Format::BF16: simdCountedLoop<LowBitsLanes<16>>(src, dst, n, min_normal, counts); return true;
    case Format::TF32: simdCountedLoop<LowBitsLanes<13>>(src, dst, n, min_normal, counts); return true;
    default: return false;
  }
}

#undef HALFLAB_SIMD_TARGET
#endif  // HALFLAB_X86

}  // namespace

bool simdRoundingAvailable() {
#ifdef HALFLAB_X86
  static const bool available = [] {
#if defined(__clang__) && __clang_major__ < 17
    // Older clang does not know "f16c" here: ask cpuid directly (F16C, AVX with the OS
    // saving ymm state, AVX2).
    unsigned eax, ebx, ecx, edx;
    if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return false;
    const bool f16c = ecx & bit_F16C, avx = ecx & bit_AVX, osxsave = ecx & bit_OSXSAVE;
    if (!(f16c && avx && osxsave)) return false;
    unsigned xcr0_low, xcr0_high;
    __asm__("xgetbv" : "=a"(xcr0_low), "=d"(xcr0_high) : "c"(0));
    if ((xcr0_low & 0x6u) != 0x6u) return false;
    if (!__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) return false;
    return (ebx & bit_AVX2) != 0;
#else
    __builtin_cpu_init();
    return __builtin_cpu_supports("f16c") && __builtin_cpu_supports("avx2");
#endif
  }();
  return available;
#else
  return false;
#endif
}

void roundCopyPortable(Format f, const float* src, float* dst, std::size_t n) {
  withPortableRounder(f, [&](auto round_one) { portableLoop(src, dst, n, round_one); });
}

void roundCopyCountedPortable(Format f, const float* src, float* dst, std::size_t n,
                              RoundingCounts& counts) {
  const float min_normal = minNormalOf(f);
  const float saturation_threshold = saturationThresholdOf(f);
  withPortableRounder(f, [&](auto round_one) {
    portableCountedLoop(src, dst, n, counts, min_normal, saturation_threshold, round_one);
  });
}

}  // namespace numeric_detail

void roundCopy(Format f, const float* src, float* dst, std::size_t n) {
  if (n == 0) return;
  if (f == Format::FP32) {
    if (src != dst) std::memmove(dst, src, n * sizeof(float));
    return;
  }
#ifdef HALFLAB_X86
  if (numeric_detail::simdRoundingAvailable() && numeric_detail::simdRoundCopy(f, src, dst, n)) return;
#endif
  numeric_detail::roundCopyPortable(f, src, dst, n);
}

void roundBuffer(Format f, float* data, std::size_t n) { roundCopy(f, data, data, n); }

void roundBufferCounted(Format f, float* data, std::size_t n, RoundingCounts& counts) {
  if (n == 0) return;
#ifdef HALFLAB_X86
  if (numeric_detail::simdRoundingAvailable() &&
      numeric_detail::simdRoundCopyCounted(f, data, data, n, counts))
    return;
#endif
  numeric_detail::roundCopyCountedPortable(f, data, data, n, counts);
}

}  // namespace halflab

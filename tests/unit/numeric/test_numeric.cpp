// Exactness of the format conversions (engine/numeric): fp16 against the F16C hardware
// converter, bf16/tf32 against independent bit routines, fp8 against a brute-force
// nearest-value search, the vectorised buffer paths against the scalar ones, and the
// rounding counters on crafted buffers.
#include <QElapsedTimer>
#include <QtTest>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

#include "engine/numeric/format.hpp"
#include "engine/numeric/round_kernels.hpp"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define HALFLAB_TEST_X86 1
#endif

using namespace halflab;

namespace {

std::uint32_t bitsOf(float x) { return std::bit_cast<std::uint32_t>(x); }
float floatOf(std::uint32_t b) { return std::bit_cast<float>(b); }
constexpr float kInf = std::numeric_limits<float>::infinity();

bool hasF16c() {
#if defined(HALFLAB_TEST_X86) && !defined(__clang__)
  __builtin_cpu_init();
  return __builtin_cpu_supports("f16c");
#else
  return numeric_detail::simdRoundingAvailable();  // implies F16C
#endif
}

#ifdef HALFLAB_TEST_X86
__attribute__((target("f16c"))) std::uint16_t hardwareFp16(float x) {
  return static_cast<std::uint16_t>(_cvtss_sh(x, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
}
__attribute__((target("f16c"))) float hardwareFp16ToFp32(std::uint16_t h) { return _cvtsh_ss(h); }
#endif

// bf16 reference written independently of the engine: add a rounding bias of 0x7FFF plus
// the lsb of the kept half, keep the top 16 bits. Valid for every non-NaN input.
std::uint16_t referenceBf16(float x) {
  const std::uint32_t b = bitsOf(x);
  return static_cast<std::uint16_t>((b + 0x7FFFu + ((b >> 16) & 1u)) >> 16);
}

// tf32 reference: RNE done with 64-bit arithmetic on the 13 dropped bits.
float referenceTf32(float x) {
  const std::uint64_t b = bitsOf(x);
  const std::uint64_t kept = b >> 13, dropped = b & 0x1FFFu;
  const std::uint64_t up = dropped > 0x1000u || (dropped == 0x1000u && (kept & 1u));
  return floatOf(static_cast<std::uint32_t>((kept + up) << 13));
}

// Nearest finite value of an 8-bit format by brute force over all 256 encodings; ties go
// to the encoding with an even mantissa (lowest bit 0). Inputs must be within the range
// where rounding does not overflow.
std::uint8_t bruteForceFp8(float x, float (*decode)(std::uint8_t)) {
  int best = -1;
  double best_distance = 0;
  for (int code = 0; code < 256; ++code) {
    const float v = decode(static_cast<std::uint8_t>(code));
    if (!std::isfinite(v)) continue;
    if (v == 0.0f && std::signbit(v) != std::signbit(x)) continue;  // keep zero's sign
    const double distance = std::fabs(static_cast<double>(v) - static_cast<double>(x));
    if (best < 0 || distance < best_distance ||
        (distance == best_distance && (code & 1) == 0 && (best & 1) == 1)) {
      best = code;
      best_distance = distance;
    }
  }
  return static_cast<std::uint8_t>(best);
}

// The random fp32 inputs shared by the fp16 / bf16 / tf32 tests: half random bit patterns
// (every class: NaN, inf, subnormal, huge), half random values spread log-uniformly over
// and just beyond the fp16 range (magnitudes 2^-27 .. 2^17, both signs).
std::vector<float> makeRandomInputs(std::size_t count) {
  std::mt19937_64 rng(20240611);
  std::vector<float> values(count);
  std::uniform_int_distribution<std::uint32_t> any_bits;
  std::uniform_int_distribution<int> exponent(-27, 17);
  std::uniform_int_distribution<std::uint32_t> mantissa(0, 0x7FFFFF);
  for (std::size_t i = 0; i < count; ++i) {
    if (i % 2 == 0) {
      values[i] = floatOf(any_bits(rng));
    } else {
      const std::uint32_t sign = (any_bits(rng) & 1u) << 31;
      values[i] = floatOf(sign | (static_cast<std::uint32_t>(exponent(rng) + 127) << 23) | mantissa(rng));
    }
  }
  return values;
}

constexpr std::size_t kRandomCount = 10'000'000;

bool sameBitsOrBothNaN(float a, float b) {
  return bitsOf(a) == bitsOf(b) || (std::isnan(a) && std::isnan(b));
}

}  // namespace

class TestNumeric : public QObject {
  Q_OBJECT

 private:
  std::vector<float> random_;

  // Every rounding entry point on `input` must give exactly roundToFormat's bits.
  void checkBufferPathsMatchScalar(Format f, const std::vector<float>& input) {
    std::vector<float> expected(input.size());
    for (std::size_t i = 0; i < input.size(); ++i) expected[i] = roundToFormat(f, input[i]);

    std::vector<float> in_place = input;
    roundBuffer(f, in_place.data(), in_place.size());
    std::vector<float> copied(input.size());
    roundCopy(f, input.data(), copied.data(), input.size());
    std::vector<float> counted = input;
    RoundingCounts counts;
    roundBufferCounted(f, counted.data(), counted.size(), counts);
    std::vector<float> portable(input.size());
    numeric_detail::roundCopyPortable(f, input.data(), portable.data(), input.size());
    std::vector<float> portable_counted = input;
    RoundingCounts portable_counts;
    numeric_detail::roundCopyCountedPortable(f, portable_counted.data(), portable_counted.data(),
                                             input.size(), portable_counts);

    std::size_t mismatches = 0;
    std::size_t first_bad = 0;
    for (std::size_t i = 0; i < input.size(); ++i) {
      const std::uint32_t e = bitsOf(expected[i]);
      const bool ok = bitsOf(in_place[i]) == e && bitsOf(copied[i]) == e && bitsOf(counted[i]) == e &&
                      bitsOf(portable[i]) == e && bitsOf(portable_counted[i]) == e;
      if (!ok && mismatches++ == 0) first_bad = i;
    }
    if (mismatches != 0) {
      QFAIL(qPrintable(QString("%1: %2 of %3 buffer results differ from the scalar path, first at "
                               "input 0x%4 (scalar 0x%5, roundBuffer 0x%6)")
                           .arg(QString::fromLatin1(formatName(f).data()))
                           .arg(mismatches)
                           .arg(input.size())
                           .arg(bitsOf(input[first_bad]), 8, 16, QChar('0'))
                           .arg(bitsOf(expected[first_bad]), 8, 16, QChar('0'))
                           .arg(bitsOf(in_place[first_bad]), 8, 16, QChar('0'))));
    }
    QCOMPARE(counts.total, static_cast<std::int64_t>(input.size()));
    QCOMPARE(counts.underflow, portable_counts.underflow);
    QCOMPARE(counts.subnormal, portable_counts.subnormal);
    QCOMPARE(counts.overflow, portable_counts.overflow);
    QCOMPARE(counts.total, portable_counts.total);
  }

 private slots:
  void initTestCase() {
    random_ = makeRandomInputs(kRandomCount);
    qInfo("SIMD rounding kernels (F16C+AVX2) in use: %s",
          numeric_detail::simdRoundingAvailable() ? "yes" : "no");
  }

  void formatNamesRoundTrip() {
    for (Format f : {Format::FP32, Format::TF32, Format::FP16, Format::BF16, Format::E4M3, Format::E5M2}) {
      const auto parsed = parseFormat(formatName(f));
      QVERIFY(parsed.has_value());
      QCOMPARE(*parsed, f);
    }
    QCOMPARE(formatName(Format::FP16), std::string_view("fp16"));
    QCOMPARE(parseFormat("BF16"), std::optional<Format>(Format::BF16));
    QVERIFY(!parseFormat("fp12").has_value());
    QVERIFY(!parseFormat("").has_value());
  }

  void formatLimitsMatchDesign() {
    const FormatLimits fp16 = formatLimits(Format::FP16);
    QCOMPARE(fp16.max, 65504.0);
    QCOMPARE(fp16.min_normal, std::ldexp(1.0, -14));
    QCOMPARE(fp16.min_subnormal, std::ldexp(1.0, -24));
    QCOMPARE(fp16.epsilon, std::ldexp(1.0, -10));
    QCOMPARE(fp16.mantissa_bits, 10);
    QCOMPARE(fp16.exponent_bits, 5);
    QVERIFY(fp16.has_inf);

    const FormatLimits bf16 = formatLimits(Format::BF16);
    QCOMPARE(bf16.max, (2.0 - std::ldexp(1.0, -7)) * std::ldexp(1.0, 127));
    QVERIFY(std::fabs(bf16.max - 3.3895e38) < 1e34);
    QCOMPARE(bf16.min_normal, std::ldexp(1.0, -126));
    QCOMPARE(bf16.min_subnormal, std::ldexp(1.0, -133));
    QCOMPARE(bf16.epsilon, std::ldexp(1.0, -7));

    const FormatLimits tf32 = formatLimits(Format::TF32);
    QCOMPARE(tf32.epsilon, std::ldexp(1.0, -10));
    QCOMPARE(tf32.min_normal, std::ldexp(1.0, -126));
    QCOMPARE(tf32.min_subnormal, std::ldexp(1.0, -136));
    QCOMPARE(tf32.exponent_bits, 8);

    const FormatLimits e4m3 = formatLimits(Format::E4M3);
    QCOMPARE(e4m3.max, 448.0);
    QCOMPARE(e4m3.min_normal, std::ldexp(1.0, -6));
    QCOMPARE(e4m3.min_subnormal, std::ldexp(1.0, -9));
    QVERIFY(!e4m3.has_inf);

    const FormatLimits e5m2 = formatLimits(Format::E5M2);
    QCOMPARE(e5m2.max, 57344.0);
    QCOMPARE(e5m2.min_normal, std::ldexp(1.0, -14));
    QCOMPARE(e5m2.min_subnormal, std::ldexp(1.0, -16));
    QVERIFY(e5m2.has_inf);

    QCOMPARE(formatLimits(Format::FP32).max, static_cast<double>(std::numeric_limits<float>::max()));

    // The limits agree with the conversions: max, min normal and min subnormal are
    // representable, half the smallest subnormal is a tie that goes to zero, 1 + eps is
    // representable and 1 + eps/2 is a tie that goes back to 1.
    for (Format f : {Format::FP32, Format::TF32, Format::FP16, Format::BF16, Format::E4M3, Format::E5M2}) {
      const FormatLimits l = formatLimits(f);
      const QByteArray name(formatName(f).data(), static_cast<int>(formatName(f).size()));
      const auto same = [&](double v) { return roundToFormat(f, static_cast<float>(v)) == static_cast<float>(v); };
      QVERIFY2(same(l.max) && same(-l.max), name);
      QVERIFY2(same(l.min_normal) && same(l.min_subnormal), name);
      QVERIFY2(same(1.0 + l.epsilon), name);
      if (f != Format::FP32) {
        QVERIFY2(roundToFormat(f, static_cast<float>(1.0 + l.epsilon / 2)) == 1.0f, name);
        QVERIFY2(roundToFormat(f, static_cast<float>(l.min_subnormal / 2)) == 0.0f, name);
        QVERIFY2(roundToFormat(f, static_cast<float>(l.min_subnormal * 0.75)) ==
                     static_cast<float>(l.min_subnormal), name);
      }
    }
  }

  // ---- fp16 --------------------------------------------------------------------------

  void fp16EveryBitPatternRoundTrips() {
    for (std::uint32_t h = 0; h <= 0xFFFFu; ++h) {
      const auto bits16 = static_cast<std::uint16_t>(h);
      const float v = fp16BitsToFp32(bits16);
      const bool is_nan = (h & 0x7C00u) == 0x7C00u && (h & 0x03FFu) != 0;
      if (is_nan) {
        QVERIFY2(std::isnan(v), qPrintable(QString::number(h, 16)));
        const std::uint16_t back = fp32ToFp16Bits(v);
        QVERIFY2((back & 0x7C00u) == 0x7C00u && (back & 0x03FFu) != 0, qPrintable(QString::number(h, 16)));
        QCOMPARE(back & 0x8000u, h & 0x8000u);
        QVERIFY(std::isnan(roundToFormat(Format::FP16, v)));
        continue;
      }
      if (fp32ToFp16Bits(v) != bits16) QFAIL(qPrintable(QString("fp16 0x%1 does not round-trip").arg(h, 4, 16)));
      if (bitsOf(roundToFormat(Format::FP16, v)) != bitsOf(v))
        QFAIL(qPrintable(QString("roundToFormat(FP16) changes fp16 value 0x%1").arg(h, 4, 16)));
    }
    QCOMPARE(fp16BitsToFp32(0x7BFF), 65504.0f);
    QCOMPARE(fp16BitsToFp32(0x0001), std::ldexp(1.0f, -24));
    QCOMPARE(fp16BitsToFp32(0x0400), std::ldexp(1.0f, -14));
    QCOMPARE(fp16BitsToFp32(0x3C00), 1.0f);
    QCOMPARE(fp16BitsToFp32(0xFC00), -kInf);
  }

  void fp16WideningMatchesF16c() {
#ifdef HALFLAB_TEST_X86
    if (!hasF16c()) QSKIP("this CPU has no F16C");
    for (std::uint32_t h = 0; h <= 0xFFFFu; ++h) {
      const auto bits16 = static_cast<std::uint16_t>(h);
      if (bitsOf(fp16BitsToFp32(bits16)) != bitsOf(hardwareFp16ToFp32(bits16)))
        QFAIL(qPrintable(QString("fp16 0x%1 widens differently from F16C").arg(h, 4, 16)));
    }
#else
    QSKIP("not an x86 CPU");
#endif
  }

  void fp16MatchesF16cOnRandomValues() {
#ifdef HALFLAB_TEST_X86
    if (!hasF16c()) QSKIP("this CPU has no F16C");
    std::size_t mismatches = 0;
    float first_bad = 0;
    for (float x : random_) {
      if (fp32ToFp16Bits(x) != hardwareFp16(x) && mismatches++ == 0) first_bad = x;
    }
    QVERIFY2(mismatches == 0, qPrintable(QString("%1 of %2 differ from F16C, first input bits 0x%3")
                                             .arg(mismatches).arg(random_.size())
                                             .arg(bitsOf(first_bad), 8, 16, QChar('0'))));
#else
    QSKIP("not an x86 CPU");
#endif
  }

  void fp16MatchesF16cOnTiesAndBoundaries() {
#ifdef HALFLAB_TEST_X86
    if (!hasF16c()) QSKIP("this CPU has no F16C");
    std::vector<float> cases;
    // Every midpoint between adjacent non-negative fp16 values (subnormal and normal, and
    // 65520 between 65504 and the first value past the range), with its fp32 neighbours.
    for (std::uint32_t h = 0; h < 0x7BFFu + 1; ++h) {
      const double lower = fp16BitsToFp32(static_cast<std::uint16_t>(h));
      const double upper = h == 0x7BFFu ? 65536.0 : fp16BitsToFp32(static_cast<std::uint16_t>(h + 1));
      const float mid = static_cast<float>((lower + upper) / 2);
      QCOMPARE(static_cast<double>(mid), (lower + upper) / 2);  // exact in fp32
      cases.push_back(mid);
      cases.push_back(std::nextafter(mid, 0.0f));
      cases.push_back(std::nextafter(mid, kInf));
      // The tie itself goes to the even neighbour.
      const std::uint16_t even = (h & 1u) == 0 ? static_cast<std::uint16_t>(h) : static_cast<std::uint16_t>(h + 1);
      const std::uint16_t got = fp32ToFp16Bits(mid);
      if (got != (even == 0x7C00u ? 0x7C00u : even))
        QFAIL(qPrintable(QString("tie after fp16 0x%1 rounded to 0x%2").arg(h, 4, 16).arg(got, 4, 16)));
    }
    const float boundaries[] = {
        std::ldexp(1.0f, -24), std::ldexp(1.0f, -25), std::ldexp(1.0f, -26), std::ldexp(1.0f, -14),
        std::ldexp(1.0f, -15), 65504.0f, 65519.99f, 65520.0f, 65536.0f, 1e30f, kInf,
        std::numeric_limits<float>::quiet_NaN(), floatOf(0x7F800001u), floatOf(0x7FBFFFFFu),
        floatOf(0x00000001u), floatOf(0x007FFFFFu), 0.0f, std::numeric_limits<float>::max(),
        std::numeric_limits<float>::min()};
    for (float b : boundaries) {
      cases.push_back(b);
      cases.push_back(std::nextafter(b, 0.0f));
      cases.push_back(std::nextafter(b, kInf));
    }
    const std::size_t positive = cases.size();
    for (std::size_t i = 0; i < positive; ++i) cases.push_back(-cases[i]);
    for (float x : cases) {
      if (fp32ToFp16Bits(x) != hardwareFp16(x))
        QFAIL(qPrintable(QString("fp32 0x%1: engine 0x%2, F16C 0x%3")
                             .arg(bitsOf(x), 8, 16, QChar('0'))
                             .arg(fp32ToFp16Bits(x), 4, 16)
                             .arg(hardwareFp16(x), 4, 16)));
    }
    // Overflow threshold and subnormal edge, stated outright.
    QCOMPARE(fp32ToFp16Bits(65519.99f), std::uint16_t(0x7BFF));
    QCOMPARE(fp32ToFp16Bits(65520.0f), std::uint16_t(0x7C00));
    QCOMPARE(fp32ToFp16Bits(-65536.0f), std::uint16_t(0xFC00));
    QCOMPARE(fp32ToFp16Bits(std::ldexp(1.0f, -25)), std::uint16_t(0x0000));
    QCOMPARE(fp32ToFp16Bits(std::nextafter(std::ldexp(1.0f, -25), 1.0f)), std::uint16_t(0x0001));
    QCOMPARE(fp32ToFp16Bits(-std::ldexp(1.0f, -25)), std::uint16_t(0x8000));
    QVERIFY(std::isnan(roundToFormat(Format::FP16, std::numeric_limits<float>::quiet_NaN())));
    checkBufferPathsMatchScalar(Format::FP16, cases);
#else
    QSKIP("not an x86 CPU");
#endif
  }

  void fp16BufferPathsMatchScalar() {
    checkBufferPathsMatchScalar(Format::FP16, random_);
    // Every short length, so each tail size goes through the padded last vector.
    for (std::size_t n = 1; n <= 40; ++n) {
      checkBufferPathsMatchScalar(Format::FP16, std::vector<float>(random_.begin() + 1000,
                                                                   random_.begin() + 1000 + n));
    }
  }

  // ---- bf16 --------------------------------------------------------------------------

  void bf16MatchesReferenceOnRandomBits() {
    std::size_t mismatches = 0;
    float first_bad = 0;
    for (float x : random_) {
      const std::uint16_t got = fp32ToBf16Bits(x);
      bool ok;
      if (std::isnan(x)) {
        ok = std::isnan(bf16BitsToFp32(got)) && (got & 0x8000u) == ((bitsOf(x) >> 16) & 0x8000u);
      } else {
        ok = got == referenceBf16(x);
      }
      if (!ok && mismatches++ == 0) first_bad = x;
    }
    QVERIFY2(mismatches == 0, qPrintable(QString("%1 bf16 mismatches, first input 0x%2")
                                             .arg(mismatches).arg(bitsOf(first_bad), 8, 16, QChar('0'))));
    checkBufferPathsMatchScalar(Format::BF16, random_);
  }

  void bf16TiesSubnormalsAndSpecials() {
    std::mt19937 rng(7);
    std::vector<float> cases;
    for (int i = 0; i < 100000; ++i) {
      const std::uint32_t upper = rng() & 0x7F7Fu;  // finite exponents
      const float tie = floatOf((upper << 16) | 0x8000u);
      const std::uint16_t expected = (upper & 1u) ? static_cast<std::uint16_t>(upper + 1) : static_cast<std::uint16_t>(upper);
      if (fp32ToBf16Bits(tie) != expected)
        QFAIL(qPrintable(QString("bf16 tie 0x%1 rounded to 0x%2").arg(bitsOf(tie), 8, 16).arg(fp32ToBf16Bits(tie), 4, 16)));
      const float subnormal = floatOf(rng() & 0x007FFFFFu);  // fp32 subnormals stay bf16 subnormals
      QCOMPARE(fp32ToBf16Bits(subnormal), referenceBf16(subnormal));
      cases.push_back(tie);
      cases.push_back(-subnormal);
    }
    // The smallest bf16 subnormal, 2^-133, survives (no flush to zero).
    QCOMPARE(bf16BitsToFp32(0x0001), std::ldexp(1.0f, -133));
    QCOMPARE(roundToFormat(Format::BF16, std::ldexp(1.0f, -133)), std::ldexp(1.0f, -133));
    QCOMPARE(roundToFormat(Format::BF16, std::ldexp(1.0f, -134)), 0.0f);  // tie -> even (0)
    QCOMPARE(roundToFormat(Format::BF16, std::ldexp(1.5f, -134)), std::ldexp(1.0f, -133));
    QCOMPARE(roundToFormat(Format::BF16, std::numeric_limits<float>::max()), kInf);
    QCOMPARE(roundToFormat(Format::BF16, -kInf), -kInf);
    const float bf16_max = static_cast<float>(formatLimits(Format::BF16).max);
    QCOMPARE(roundToFormat(Format::BF16, std::nextafter(bf16_max, kInf)), bf16_max);
    // Signalling NaN with payload only in the dropped bits must not become inf.
    QVERIFY(std::isnan(bf16BitsToFp32(fp32ToBf16Bits(floatOf(0x7F800001u)))));
    QVERIFY(std::isnan(roundToFormat(Format::BF16, floatOf(0xFF800001u))));
    QCOMPARE(fp32ToBf16Bits(floatOf(0xFF800001u)) & 0x8000u, 0x8000u);
    cases.push_back(floatOf(0x7F800001u));
    cases.push_back(floatOf(0xFFC00000u));
    cases.push_back(std::numeric_limits<float>::max());
    checkBufferPathsMatchScalar(Format::BF16, cases);
  }

  // ---- tf32 --------------------------------------------------------------------------

  void tf32RoundsToNearestEven() {
    std::size_t mismatches = 0;
    for (float x : random_) {
      const float got = roundToTf32(x);
      const bool ok = std::isnan(x) ? std::isnan(got) : bitsOf(got) == bitsOf(referenceTf32(x));
      mismatches += !ok;
    }
    QCOMPARE(mismatches, std::size_t{0});
    // Ties: exactly half of the last kept bit.
    QCOMPARE(roundToTf32(1.0f + std::ldexp(1.0f, -11)), 1.0f);
    QCOMPARE(roundToTf32(1.0f + 3 * std::ldexp(1.0f, -11)), 1.0f + std::ldexp(1.0f, -9));
    QCOMPARE(roundToTf32(std::nextafter(1.0f + std::ldexp(1.0f, -11), 2.0f)), 1.0f + std::ldexp(1.0f, -10));
    // Subnormals: the fp32 subnormal mantissa is cut to 10 bits, so 2^-136 is the unit.
    QCOMPARE(roundToTf32(std::ldexp(1.0f, -136)), std::ldexp(1.0f, -136));
    QCOMPARE(roundToTf32(std::ldexp(1.0f, -137)), 0.0f);
    QCOMPARE(roundToTf32(std::ldexp(3.0f, -137)), std::ldexp(2.0f, -136));
    QCOMPARE(roundToTf32(floatOf(0x007FFFFFu)), std::ldexp(1.0f, -126));  // carries into normal
    QCOMPARE(roundToTf32(std::numeric_limits<float>::max()), kInf);
    const float tf32_max = static_cast<float>(formatLimits(Format::TF32).max);
    QCOMPARE(roundToTf32(tf32_max), tf32_max);
    QVERIFY(std::isnan(roundToTf32(floatOf(0x7F800001u))));
    QCOMPARE(roundToTf32(-kInf), -kInf);
    QCOMPARE(roundToFormat(Format::TF32, 3.14159265f), roundToTf32(3.14159265f));
    checkBufferPathsMatchScalar(Format::TF32, random_);
  }

  // ---- fp8 ---------------------------------------------------------------------------

  void e4m3EveryBitPattern() {
    for (int code = 0; code < 256; ++code) {
      const auto b = static_cast<std::uint8_t>(code);
      const float v = e4m3BitsToFp32(b);
      if ((code & 0x7F) == 0x7F) {
        QVERIFY(std::isnan(v));
        QCOMPARE(fp32ToE4m3Bits(v), b);           // NaN 0x7F / 0xFF keeps its sign
        QCOMPARE(fp32ToE4m3Bits(v, false), b);
        continue;
      }
      QVERIFY(std::isfinite(v));
      QCOMPARE(fp32ToE4m3Bits(v), b);
      QCOMPARE(fp32ToE4m3Bits(v, false), b);
      QCOMPARE(roundToFormat(Format::E4M3, v), v);
    }
    QCOMPARE(e4m3BitsToFp32(0x7E), 448.0f);
    QCOMPARE(e4m3BitsToFp32(0xFE), -448.0f);
    QCOMPARE(e4m3BitsToFp32(0x38), 1.0f);
    QCOMPARE(e4m3BitsToFp32(0x08), std::ldexp(1.0f, -6));
    QCOMPARE(e4m3BitsToFp32(0x01), std::ldexp(1.0f, -9));
    QCOMPARE(e4m3BitsToFp32(0x07), 7 * std::ldexp(1.0f, -9));
  }

  void e4m3SaturationTiesAndSubnormals() {
    // Saturation (default) vs NaN on overflow. 464 is the tie between 448 and 480 and
    // goes to 448 (even mantissa) either way.
    QCOMPARE(fp32ToE4m3Bits(464.0f, false), std::uint8_t(0x7E));
    QCOMPARE(fp32ToE4m3Bits(std::nextafter(464.0f, 1000.0f), false), std::uint8_t(0x7F));
    QCOMPARE(fp32ToE4m3Bits(std::nextafter(464.0f, 1000.0f), true), std::uint8_t(0x7E));
    QCOMPARE(fp32ToE4m3Bits(1e6f, true), std::uint8_t(0x7E));
    QCOMPARE(fp32ToE4m3Bits(-1e6f, true), std::uint8_t(0xFE));
    QCOMPARE(fp32ToE4m3Bits(-1e6f, false), std::uint8_t(0xFF));
    QCOMPARE(fp32ToE4m3Bits(kInf, true), std::uint8_t(0x7E));
    QCOMPARE(fp32ToE4m3Bits(kInf, false), std::uint8_t(0x7F));
    QCOMPARE(fp32ToE4m3Bits(std::numeric_limits<float>::quiet_NaN(), true), std::uint8_t(0x7F));
    QCOMPARE(roundToFormat(Format::E4M3, 1000.0f), 448.0f);
    // Ties to even in the normal and subnormal ranges.
    QCOMPARE(fp32ToE4m3Bits(1.0625f), std::uint8_t(0x38));  // between 1 and 1.125
    QCOMPARE(fp32ToE4m3Bits(1.1875f), std::uint8_t(0x3A));  // between 1.125 and 1.25
    QCOMPARE(fp32ToE4m3Bits(std::ldexp(1.0f, -10)), std::uint8_t(0x00));
    QCOMPARE(fp32ToE4m3Bits(std::ldexp(1.5f, -9)), std::uint8_t(0x02));
    QCOMPARE(fp32ToE4m3Bits(std::ldexp(2.5f, -9)), std::uint8_t(0x02));
    QCOMPARE(fp32ToE4m3Bits(std::ldexp(7.5f, -9)), std::uint8_t(0x08));  // carries into normal
    QCOMPARE(fp32ToE4m3Bits(-std::ldexp(1.0f, -12)), std::uint8_t(0x80));
  }

  void e5m2EveryBitPattern() {
    for (int code = 0; code < 256; ++code) {
      const auto b = static_cast<std::uint8_t>(code);
      const float v = e5m2BitsToFp32(b);
      const int magnitude = code & 0x7F;
      if (magnitude > 0x7C) {
        QVERIFY(std::isnan(v));
        const std::uint8_t back = fp32ToE5m2Bits(v);
        QVERIFY((back & 0x7F) > 0x7C);
        QCOMPARE(back & 0x80, code & 0x80);
        continue;
      }
      QCOMPARE(fp32ToE5m2Bits(v), b);
      if (magnitude < 0x7C) QCOMPARE(roundToFormat(Format::E5M2, v), v);
    }
    QCOMPARE(e5m2BitsToFp32(0x7B), 57344.0f);
    QCOMPARE(e5m2BitsToFp32(0x7C), kInf);
    QCOMPARE(e5m2BitsToFp32(0x04), std::ldexp(1.0f, -14));
    QCOMPARE(e5m2BitsToFp32(0x01), std::ldexp(1.0f, -16));
    QCOMPARE(e5m2BitsToFp32(0x3C), 1.0f);
    // Overflow: 61440 is the tie between 57344 (odd mantissa) and 65536 -> inf.
    QCOMPARE(fp32ToE5m2Bits(61440.0f), std::uint8_t(0x7C));
    QCOMPARE(fp32ToE5m2Bits(std::nextafter(61440.0f, 0.0f)), std::uint8_t(0x7B));
    QCOMPARE(fp32ToE5m2Bits(-1e9f), std::uint8_t(0xFC));
    QCOMPARE(fp32ToE5m2Bits(1e9f, true), std::uint8_t(0x7B));
    QCOMPARE(fp32ToE5m2Bits(kInf, true), std::uint8_t(0x7B));
    QCOMPARE(fp32ToE5m2Bits(kInf), std::uint8_t(0x7C));
    QCOMPARE(roundToFormat(Format::E5M2, 70000.0f), kInf);
    // Ties: 1.125 lies between 1 (0x3C) and 1.25 (0x3D) -> 1; 1.375 -> 1.5 (0x3E).
    QCOMPARE(fp32ToE5m2Bits(1.125f), std::uint8_t(0x3C));
    QCOMPARE(fp32ToE5m2Bits(1.375f), std::uint8_t(0x3E));
    QCOMPARE(fp32ToE5m2Bits(std::ldexp(1.0f, -17)), std::uint8_t(0x00));
    QCOMPARE(fp32ToE5m2Bits(std::ldexp(3.0f, -17)), std::uint8_t(0x02));
  }

  // Nearest-value search over the 256 encodings, on random values and on every midpoint.
  void fp8MatchesBruteForceNearest() {
    struct Case { Format format; float (*decode)(std::uint8_t); std::uint8_t (*encode)(float, bool); float max; };
    const Case cases[] = {{Format::E4M3, e4m3BitsToFp32, fp32ToE4m3Bits, 448.0f},
                          {Format::E5M2, e5m2BitsToFp32, fp32ToE5m2Bits, 57344.0f}};
    std::mt19937 rng(99);
    for (const Case& c : cases) {
      std::vector<float> inputs;
      std::uniform_real_distribution<float> log_magnitude(-20.0f, std::log2(c.max));
      for (int i = 0; i < 40000; ++i) {
        const float magnitude = std::exp2(log_magnitude(rng));
        inputs.push_back((rng() & 1u) ? magnitude : -magnitude);
      }
      std::vector<float> finite_values;
      for (int code = 0; code < 128; ++code) {
        const float v = c.decode(static_cast<std::uint8_t>(code));
        if (std::isfinite(v)) finite_values.push_back(v);
      }
      std::sort(finite_values.begin(), finite_values.end());
      for (std::size_t i = 0; i + 1 < finite_values.size(); ++i) {
        const float mid = (finite_values[i] + finite_values[i + 1]) / 2;
        for (float x : {mid, std::nextafter(mid, 0.0f), std::nextafter(mid, kInf)}) {
          inputs.push_back(x);
          inputs.push_back(-x);
        }
      }
      for (float x : inputs) {
        const std::uint8_t expected = bruteForceFp8(x, c.decode);
        if (c.encode(x, false) != expected || c.encode(x, true) != expected)
          QFAIL(qPrintable(QString("%1: %2 gave 0x%3, nearest is 0x%4")
                               .arg(QString::fromLatin1(formatName(c.format).data()))
                               .arg(static_cast<double>(x), 0, 'g', 9)
                               .arg(c.encode(x, false), 2, 16).arg(expected, 2, 16)));
      }
      checkBufferPathsMatchScalar(c.format, inputs);
    }
  }

  // ---- counters ----------------------------------------------------------------------

  void countsFp16CraftedBuffer() {
    const float nan = std::numeric_limits<float>::quiet_NaN();
    const std::vector<float> crafted = {
        0.0f, -0.0f, 1.0f,                      // nothing
        1e-8f, -1e-9f, std::ldexp(1.0f, -25),   // underflow (2^-25 is a tie to 0)
        floatOf(0x00000001u),                   // underflow (fp32 subnormal)
        std::ldexp(1.0f, -20), -3e-6f,          // subnormal
        std::ldexp(1.0f, -24),                  // subnormal (smallest)
        std::nextafter(std::ldexp(1.0f, -25), 1.0f),  // rounds up to 2^-24: subnormal
        std::nextafter(std::ldexp(1.0f, -14), 0.0f),  // rounds up to 2^-14: normal
        6.2e-5f,                                // normal
        70000.0f, -65520.0f, 1e30f,             // overflow
        65519.0f, -65504.0f,                    // no overflow
        kInf, -kInf, nan};                      // non-finite input: not counted
    checkCounts(Format::FP16, crafted, 4, 4, 3);
  }

  void countsBf16CraftedBuffer() {
    const float nan = std::numeric_limits<float>::quiet_NaN();
    const std::vector<float> crafted = {
        0.0f, 1.0f, 1e-30f, 3e38f,
        std::ldexp(1.0f, -140), -std::ldexp(1.0f, -134),  // underflow (tie to 0)
        std::ldexp(1.0f, -133), 1e-39f, -std::ldexp(1.0f, -127),  // subnormal
        std::ldexp(1.0f, -126),                             // normal
        std::numeric_limits<float>::max(), -3.4e38f,        // overflow
        kInf, nan};
    checkCounts(Format::BF16, crafted, 2, 3, 2);
  }

  void countsFp8AndFp32() {
    // e4m3 saturates by default: saturation counts as overflow; 460 and the tie 464
    // round to 448 normally, which is not an overflow.
    checkCounts(Format::E4M3, {500.0f, -1e6f, 460.0f, 464.0f, -464.0f, 448.0f, kInf, std::ldexp(1.0f, -11),
                               std::ldexp(1.0f, -8), 1.0f},
                1, 1, 2);
    checkCounts(Format::E5M2, {70000.0f, 57344.0f, std::ldexp(1.0f, -18), std::ldexp(1.0f, -15), -kInf},
                1, 1, 1);
    // fp32 is the identity: only its own subnormals count.
    checkCounts(Format::FP32, {1.0f, floatOf(0x00000001u), 0.0f, kInf, std::numeric_limits<float>::max()},
                0, 1, 0);
  }

  void countsAccumulateAcrossCallsAndLongBuffers() {
    // A long buffer crosses many vectors and the odd tail; counts scale with repetitions.
    const std::vector<float> unit = {1e-8f, std::ldexp(1.0f, -20), 70000.0f, 1.0f, 0.0f};
    std::vector<float> big;
    for (int i = 0; i < 100001; ++i) big.insert(big.end(), unit.begin(), unit.end());
    RoundingCounts counts;
    roundBufferCounted(Format::FP16, big.data(), big.size(), counts);
    roundBufferCounted(Format::FP16, big.data(), 3, counts);  // already rounded: only a subnormal
    QCOMPARE(counts.total, static_cast<std::int64_t>(big.size() + 3));
    QCOMPARE(counts.underflow, std::int64_t{100001});
    QCOMPARE(counts.subnormal, std::int64_t{100002});
    QCOMPARE(counts.overflow, std::int64_t{100001});
    RoundingCounts sum;
    sum += counts;
    sum += counts;
    QCOMPARE(sum.overflow, 2 * counts.overflow);
  }

  // ---- speed (printed, not asserted: machines differ) --------------------------------

  void throughputIsReported() {
    const std::size_t sizes[] = {std::size_t{1} << 14, std::size_t{1} << 22};
    for (std::size_t n : sizes) {
      std::vector<float> buffer(random_.begin(), random_.begin() + static_cast<std::ptrdiff_t>(n));
      for (float& v : buffer) v = std::isfinite(v) ? std::fmod(v, 1000.0f) : 1.0f;
      for (Format f : {Format::FP16, Format::BF16, Format::TF32}) {
        for (bool counted : {false, true}) {
          const std::size_t repeats = std::max<std::size_t>(4, (std::size_t{200} << 20) / n);
          RoundingCounts counts;
          QElapsedTimer timer;
          timer.start();
          for (std::size_t r = 0; r < repeats; ++r) {
            if (counted) roundBufferCounted(f, buffer.data(), n, counts);
            else roundBuffer(f, buffer.data(), n);
          }
          const double seconds = std::max(1e-9, timer.nsecsElapsed() * 1e-9);
          qInfo("%s %-18s %8zu elements: %6.2f G elements/s (one core)", formatName(f).data(),
                counted ? "roundBufferCounted" : "roundBuffer", n, repeats * n / seconds * 1e-9);
        }
      }
    }
    // The portable path, which CPUs without F16C/AVX2 take.
    {
      std::vector<float> buffer(random_.begin(), random_.begin() + (1 << 14));
      for (float& v : buffer) v = std::isfinite(v) ? std::fmod(v, 1000.0f) : 1.0f;
      for (Format f : {Format::FP16, Format::BF16}) {
        const std::size_t repeats = 2000;
        QElapsedTimer timer;
        timer.start();
        for (std::size_t r = 0; r < repeats; ++r)
          numeric_detail::roundCopyPortable(f, buffer.data(), buffer.data(), buffer.size());
        const double seconds = std::max(1e-9, timer.nsecsElapsed() * 1e-9);
        qInfo("%s %-18s %8zu elements: %6.2f G elements/s (one core)", formatName(f).data(),
              "portable fallback", buffer.size(), repeats * buffer.size() / seconds * 1e-9);
      }
    }
    // Something was measured and the buffer is still rounded correctly afterwards.
    std::vector<float> check(random_.begin(), random_.begin() + 4096);
    roundBuffer(Format::FP16, check.data(), check.size());
    for (std::size_t i = 0; i < check.size(); ++i)
      QVERIFY(sameBitsOrBothNaN(check[i], roundToFormat(Format::FP16, random_[i])));
  }

 private:
  void checkCounts(Format f, const std::vector<float>& input, std::int64_t underflow,
                   std::int64_t subnormal, std::int64_t overflow) {
    const QByteArray name(formatName(f).data(), static_cast<int>(formatName(f).size()));
    // Through the public (vectorised when available) path ...
    std::vector<float> data = input;
    RoundingCounts counts;
    roundBufferCounted(f, data.data(), data.size(), counts);
    QVERIFY2(counts.total == static_cast<std::int64_t>(input.size()), name);
    QVERIFY2(counts.underflow == underflow, qPrintable(name + " underflow " + QByteArray::number(counts.underflow)));
    QVERIFY2(counts.subnormal == subnormal, qPrintable(name + " subnormal " + QByteArray::number(counts.subnormal)));
    QVERIFY2(counts.overflow == overflow, qPrintable(name + " overflow " + QByteArray::number(counts.overflow)));
    // ... and through the portable one.
    std::vector<float> portable = input;
    RoundingCounts portable_counts;
    numeric_detail::roundCopyCountedPortable(f, portable.data(), portable.data(), portable.size(), portable_counts);
    QVERIFY2(portable_counts.underflow == underflow && portable_counts.subnormal == subnormal &&
                 portable_counts.overflow == overflow && portable_counts.total == counts.total,
             name);
    for (std::size_t i = 0; i < input.size(); ++i) {
      QVERIFY(sameBitsOrBothNaN(data[i], roundToFormat(f, input[i])));
      QVERIFY(sameBitsOrBothNaN(portable[i], data[i]));
    }
  }
};

QTEST_APPLESS_MAIN(TestNumeric)
#include "test_numeric.moc"

#pragma once
// Random numbers that are the same on every platform: std::mt19937_64 is fully specified
// by the standard, but std::uniform_*_distribution / std::normal_distribution are not,
// so the conversions from raw 64-bit output are written out here.
#include <cmath>
#include <cstdint>
#include <random>

namespace halflab {

// SplitMix64 finaliser: spreads nearby seeds (1, 2, 3...) into unrelated engine states.
inline std::uint64_t mixSeed(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

inline std::uint64_t mixSeed(std::uint64_t a, std::uint64_t b) {
  return mixSeed(mixSeed(a) ^ (b + 0x632be59bd9b4e019ULL));
}

class PortableRandom {
 public:
  explicit PortableRandom(std::uint64_t seed) : engine_(seed) {}

  std::uint64_t bits() { return engine_(); }

  // Uniform in [0, 1): the top 53 bits as a double mantissa.
  double uniform01() { return static_cast<double>(engine_() >> 11) * 0x1.0p-53; }

  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform01(); }

  // Uniform integer in [0, range), unbiased by rejecting the incomplete top block.
  std::uint64_t below(std::uint64_t range) {
    if (range <= 1) return 0;
    const std::uint64_t limit = UINT64_MAX - UINT64_MAX % range;
    std::uint64_t x;
    do {
      x = engine_();
    } while (x >= limit);
    return x % range;
  }

  // Standard normal by Box-Muller; the second value of each pair is kept for the next call.
  double normal() {
    if (has_spare_) {
      has_spare_ = false;
      return spare_;
    }
    const double u1 = static_cast<double>((engine_() >> 11) + 1) * 0x1.0p-53;  // (0, 1]: log is finite
    const double u2 = uniform01();
    const double radius = std::sqrt(-2.0 * std::log(u1));
    const double angle = 2.0 * 3.14159265358979323846 * u2;
    spare_ = radius * std::sin(angle);
    has_spare_ = true;
    return radius * std::cos(angle);
  }

 private:
  std::mt19937_64 engine_;
  double spare_ = 0.0;
  bool has_spare_ = false;
};

}  // namespace halflab

#pragma once
// Statistics over repeated runs (seeds): mean, standard deviation and a Student t
// confidence interval of one sample, and Welch's unequal-variance t-test of the
// difference between two samples. The t distribution comes from Boost.Math.
#include <cstddef>
#include <vector>

namespace halflab {

struct SampleSummary {
  std::size_t n = 0;          // finite values used (NaNs are left out)
  double mean = 0;
  double sd = 0;              // sample standard deviation (n - 1); 0 for n = 1
  double half_width = 0;      // of the confidence interval; NaN for n < 2
  double ci_low = 0, ci_high = 0;
  double min = 0, max = 0;
};

// NaNs are ignored; an empty sample gives n = 0 and NaN everywhere else.
SampleSummary summarizeSample(const std::vector<double>& values, double confidence = 0.95);

struct WelchTest {
  bool valid = false;         // both samples have n >= 2
  double difference = 0;      // mean(other) - mean(base)
  double half_width = 0;      // confidence interval of the difference
  double ci_low = 0, ci_high = 0;
  double t = 0;
  double df = 0;              // Welch-Satterthwaite degrees of freedom
  double p = 1;               // two-sided
  std::size_t n_base = 0, n_other = 0;
};

// Welch's t-test of other against base (NaNs ignored). Two samples without any spread
// give p = 1 when their means are equal and p = 0 otherwise.
WelchTest welchTest(const std::vector<double>& base, const std::vector<double>& other,
                    double confidence = 0.95);

}  // namespace halflab

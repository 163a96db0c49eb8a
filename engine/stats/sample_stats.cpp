#include "engine/stats/sample_stats.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include <boost/math/distributions/students_t.hpp>

namespace halflab {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::vector<double> finite(const std::vector<double>& v) {
  std::vector<double> out;
  out.reserve(v.size());
  for (double x : v)
    if (!std::isnan(x)) out.push_back(x);
  return out;
}

double meanOf(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x;
  return s / static_cast<double>(v.size());
}

double varianceOf(const std::vector<double>& v, double mean) {
  double s = 0;
  for (double x : v) s += (x - mean) * (x - mean);
  return s / static_cast<double>(v.size() - 1);
}

// The two-sided critical value t such that P(|T| <= t) = confidence.
double criticalT(double df, double confidence) {
  const boost::math::students_t dist(df);
  return boost::math::quantile(boost::math::complement(dist, (1.0 - confidence) / 2.0));
}

}  // namespace

SampleSummary summarizeSample(const std::vector<double>& values, double confidence) {
  const std::vector<double> v = finite(values);
  SampleSummary s;
  s.n = v.size();
  if (v.empty()) {
    s.mean = s.sd = s.half_width = s.ci_low = s.ci_high = s.min = s.max = kNaN;
    return s;
  }
  s.mean = meanOf(v);
  s.min = *std::min_element(v.begin(), v.end());
  s.max = *std::max_element(v.begin(), v.end());
  if (v.size() < 2) {
    s.sd = 0;
    s.half_width = kNaN;
    s.ci_low = s.ci_high = kNaN;
    return s;
  }
  s.sd = std::sqrt(varianceOf(v, s.mean));
  s.half_width = criticalT(static_cast<double>(v.size() - 1), confidence) * s.sd /
                 std::sqrt(static_cast<double>(v.size()));
  s.ci_low = s.mean - s.half_width;
  s.ci_high = s.mean + s.half_width;
  return s;
}

WelchTest welchTest(const std::vector<double>& base, const std::vector<double>& other,
                    double confidence) {
  const std::vector<double> a = finite(base), b = finite(other);
  WelchTest w;
  w.n_base = a.size();
  w.n_other = b.size();
  if (a.empty() || b.empty()) {
    w.difference = w.half_width = w.ci_low = w.ci_high = w.t = w.df = w.p = kNaN;
    return w;
  }
  const double ma = meanOf(a), mb = meanOf(b);
  w.difference = mb - ma;
  if (a.size() < 2 || b.size() < 2) {
    w.half_width = w.ci_low = w.ci_high = w.t = w.df = w.p = kNaN;
    return w;
  }
  w.valid = true;
  const double qa = varianceOf(a, ma) / static_cast<double>(a.size());
  const double qb = varianceOf(b, mb) / static_cast<double>(b.size());
  const double se2 = qa + qb;
  if (se2 == 0) {  // identical values within each sample (e.g. bit-identical runs)
    w.t = w.difference == 0 ? 0 : std::copysign(std::numeric_limits<double>::infinity(), w.difference);
    w.df = static_cast<double>(a.size() + b.size() - 2);
    w.p = w.difference == 0 ? 1.0 : 0.0;
    w.half_width = 0;
    w.ci_low = w.ci_high = w.difference;
    return w;
  }
  const double se = std::sqrt(se2);
  w.t = w.difference / se;
  w.df = se2 * se2 / (qa * qa / static_cast<double>(a.size() - 1) +
                      qb * qb / static_cast<double>(b.size() - 1));
  const boost::math::students_t dist(w.df);
  w.p = 2.0 * boost::math::cdf(boost::math::complement(dist, std::fabs(w.t)));
  w.half_width = criticalT(w.df, confidence) * se;
  w.ci_low = w.difference - w.half_width;
  w.ci_high = w.difference + w.half_width;
  return w;
}

}  // namespace halflab

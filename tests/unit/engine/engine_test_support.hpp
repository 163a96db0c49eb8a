#pragma once
// Shared helpers of the engine unit tests: random tensors, the weighted-sum probe loss
// L = sum(w_i * y_i) and central finite differences against a layer's analytic gradients.
#include <QtTest>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "engine/model/exec_context.hpp"
#include "engine/model/layer.hpp"
#include "engine/tensor/tensor.hpp"

namespace halflab::testing {

inline Tensor randomTensor(const Shape& shape, std::mt19937_64& rng, double lo = -1.0,
                           double hi = 1.0) {
  Tensor t(shape);
  std::uniform_real_distribution<double> dist(lo, hi);
  for (auto& v : t.data) v = static_cast<float>(dist(rng));
  return t;
}

// Values exactly `gap` apart in random order, centred on zero (odd multiples of gap/2):
// no near-ties for max pooling and nothing within gap/2 of ReLU's kink.
inline Tensor distinctTensor(const Shape& shape, std::mt19937_64& rng, double gap) {
  Tensor t(shape);
  const std::size_t n = t.data.size();
  std::vector<std::size_t> order(n);
  for (std::size_t i = 0; i < n; ++i) order[i] = i;
  std::shuffle(order.begin(), order.end(), rng);
  const double start = -gap * (static_cast<double>(n) / 2.0) + gap / 2.0;
  for (std::size_t i = 0; i < n; ++i)
    t.data[order[i]] = static_cast<float>(start + gap * static_cast<double>(i));
  return t;
}

inline double weightedSum(const Tensor& y, const Tensor& w) {
  double s = 0;
  for (std::size_t i = 0; i < y.data.size(); ++i)
    s += static_cast<double>(w.data[i]) * static_cast<double>(y.data[i]);
  return s;
}

// d loss / d v by central differences; the step actually taken (after fp32 rounding of
// v +- eps) is the denominator, so the quotient is as exact as fp32 allows.
inline double centralDifference(float& v, double eps, const std::function<double()>& loss) {
  const float saved = v;
  const float up = static_cast<float>(saved + eps);
  const float down = static_cast<float>(saved - eps);
  v = up;
  const double lp = loss();
  v = down;
  const double lm = loss();
  v = saved;
  return (lp - lm) / (static_cast<double>(up) - static_cast<double>(down));
}

inline std::vector<double> numericGradient(std::vector<float>& values, double eps,
                                           const std::function<double()>& loss) {
  std::vector<double> g(values.size());
  for (std::size_t i = 0; i < values.size(); ++i) g[i] = centralDifference(values[i], eps, loss);
  return g;
}

struct Tolerance {
  double atol = 5e-4;
  double rtol = 5e-3;
};

// Empty when every element agrees within atol + rtol * max(|a|, |n|) (scaled by the
// largest gradient so that tiny components of a large gradient are not over-judged).
inline std::string compareGradients(const std::string& what, const std::vector<float>& analytic,
                                    const std::vector<double>& numeric, Tolerance tol) {
  if (analytic.size() != numeric.size())
    return what + ": analytic gradient has " + std::to_string(analytic.size()) +
           " elements, expected " + std::to_string(numeric.size());
  double largest = 0;
  for (double v : numeric) largest = std::max(largest, std::fabs(v));
  for (std::size_t i = 0; i < numeric.size(); ++i) {
    const double a = analytic[i], n = numeric[i];
    const double bound = tol.atol * std::max(1.0, largest) + tol.rtol * std::max(std::fabs(a), std::fabs(n));
    if (!(std::fabs(a - n) <= bound))
      return what + "[" + std::to_string(i) + "]: analytic " + std::to_string(a) +
             " vs finite difference " + std::to_string(n) + " (allowed " + std::to_string(bound) + ")";
  }
  return {};
}

inline ExecContext contextFor(PrecisionMode mode, bool training = true) {
  ExecContext ctx;
  ctx.policy = policyFor(mode);
  ctx.training = training;
  return ctx;
}

// Checks dx and every parameter gradient of `layer` at input x with the probe loss
// sum(w * y), w random and fixed. before_forward runs before every forward (e.g. to
// reseed dropout so all perturbed forwards share one mask). Returns "" on success.
inline std::string checkLayerGradients(Layer& layer, Tensor x, ExecContext& ctx,
                                       std::mt19937_64& rng, double eps, Tolerance tol,
                                       const std::function<void()>& before_forward = {}) {
  Tensor y;
  if (before_forward) before_forward();
  layer.forward(x, y, ctx);
  const Tensor w = randomTensor(y.shape, rng);
  Tensor dy = w;
  Tensor dx;
  layer.backward(x, y, dy, &dx, ctx);
  if (dx.shape != x.shape) return "dx has shape " + shapeToString(dx.shape) + ", expected " + shapeToString(x.shape);
  std::vector<std::vector<float>> param_grads;
  for (auto* p : layer.parameters()) param_grads.push_back(p->grad.data);

  Tensor probe_out;
  auto loss = [&]() {
    if (before_forward) before_forward();
    layer.forward(x, probe_out, ctx);
    return weightedSum(probe_out, w);
  };
  std::string err = compareGradients(layer.name() + " dx", dx.data, numericGradient(x.data, eps, loss), tol);
  if (!err.empty()) return err;
  const auto params = layer.parameters();
  for (std::size_t k = 0; k < params.size(); ++k) {
    err = compareGradients(params[k]->name, param_grads[k],
                           numericGradient(params[k]->value.data, eps, loss), tol);
    if (!err.empty()) return err;
  }
  return {};
}

}  // namespace halflab::testing

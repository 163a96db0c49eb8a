#include "engine/model/batch_norm.hpp"

#include <cmath>

namespace halflab {

BatchNorm::BatchNorm(std::string name, std::int64_t channels, double momentum, double eps)
    : name_(std::move(name)), channels_(channels), momentum_(momentum), eps_(eps),
      running_mean_(static_cast<std::size_t>(channels), 0.0f),
      running_var_(static_cast<std::size_t>(channels), 1.0f),
      inv_std_(static_cast<std::size_t>(channels)) {
  gamma_.name = name_ + ".weight";
  gamma_.value = Tensor({channels}, 1.0f);
  gamma_.decay = false;
  gamma_.keep_fp32 = true;
  beta_.name = name_ + ".bias";
  beta_.value = Tensor({channels}, 0.0f);
  beta_.decay = false;
  beta_.keep_fp32 = true;
}

BatchNorm::BatchNorm(std::string name, Parameter gamma, Parameter beta, double momentum, double eps)
    : name_(std::move(name)), channels_(gamma.value.size()), momentum_(momentum), eps_(eps),
      gamma_(std::move(gamma)), beta_(std::move(beta)),
      running_mean_(static_cast<std::size_t>(channels_), 0.0f),
      running_var_(static_cast<std::size_t>(channels_), 1.0f),
      inv_std_(static_cast<std::size_t>(channels_)) {}

namespace {
// x viewed as [N, C, S] with S = spatial size (1 for BatchNorm1d).
struct Layout {
  std::int64_t n, c, s;
  explicit Layout(const Shape& sh)
      : n(sh.at(0)), c(sh.at(1)), s(sh.size() > 2 ? shapeSize(Shape(sh.begin() + 2, sh.end())) : 1) {}
  std::int64_t at(std::int64_t i, std::int64_t ch, std::int64_t j) const { return (i * c + ch) * s + j; }
};
}  // namespace

void BatchNorm::forward(const Tensor& x, Tensor& y, ExecContext& ctx) {
  y.reshapeTo(outputShape(x.shape));  // refuses an input with the wrong channels
  const Layout L(x.shape);
  xhat_.resize(x.data.size());
  const float* gamma = gamma_.compute().ptr();
  const float* beta = beta_.compute().ptr();
  const double m = static_cast<double>(L.n * L.s);
  for (std::int64_t ch = 0; ch < L.c; ++ch) {
    double mean, var;
    if (ctx.training) {
      double sum = 0, sq = 0;
      for (std::int64_t i = 0; i < L.n; ++i)
        for (std::int64_t j = 0; j < L.s; ++j) {
          const double v = x.data[L.at(i, ch, j)];
          sum += v;
          sq += v * v;
        }
      mean = sum / m;
      var = std::max(0.0, sq / m - mean * mean);
      const double unbiased = m > 1 ? var * m / (m - 1) : var;
      running_mean_[ch] = static_cast<float>((1 - momentum_) * running_mean_[ch] + momentum_ * mean);
      running_var_[ch] = static_cast<float>((1 - momentum_) * running_var_[ch] + momentum_ * unbiased);
    } else {
      mean = running_mean_[ch];
      var = running_var_[ch];
    }
    const float inv = static_cast<float>(1.0 / std::sqrt(var + eps_));
    inv_std_[ch] = inv;
    const float mu = static_cast<float>(mean);
    for (std::int64_t i = 0; i < L.n; ++i)
      for (std::int64_t j = 0; j < L.s; ++j) {
        const auto k = L.at(i, ch, j);
        xhat_[k] = (x.data[k] - mu) * inv;
        y.data[k] = gamma[ch] * xhat_[k] + beta[ch];
      }
  }
  ctx.roundOutput(y);
}

void BatchNorm::backward(const Tensor& x, const Tensor&, const Tensor& dy, Tensor* dx,
                         ExecContext& ctx) {
  const Layout L(x.shape);
  gamma_.grad.reshapeTo({L.c});
  beta_.grad.reshapeTo({L.c});
  if (dx) dx->reshapeTo(x.shape);
  const float* gamma = gamma_.compute().ptr();
  const double m = static_cast<double>(L.n * L.s);
  for (std::int64_t ch = 0; ch < L.c; ++ch) {
    double dgamma = 0, dbeta = 0;
    for (std::int64_t i = 0; i < L.n; ++i)
      for (std::int64_t j = 0; j < L.s; ++j) {
        const auto k = L.at(i, ch, j);
        dgamma += static_cast<double>(dy.data[k]) * xhat_[k];
        dbeta += dy.data[k];
      }
    gamma_.grad.data[ch] = static_cast<float>(dgamma);
    beta_.grad.data[ch] = static_cast<float>(dbeta);
    if (!dx) continue;
    const float scale = static_cast<float>(gamma[ch] * inv_std_[ch] / m);
    const float mdg = static_cast<float>(dgamma), mdb = static_cast<float>(dbeta);
    const float fm = static_cast<float>(m);
    for (std::int64_t i = 0; i < L.n; ++i)
      for (std::int64_t j = 0; j < L.s; ++j) {
        const auto k = L.at(i, ch, j);
        dx->data[k] = scale * (fm * dy.data[k] - mdb - xhat_[k] * mdg);
      }
  }
  if (dx) ctx.roundGradient(*dx);
}

}  // namespace halflab

#include "engine/model/activation.hpp"

#include <bit>
#include <cmath>
#include <cstdint>

namespace halflab {

std::string_view activationName(ActivationKind k) {
  switch (k) {
    case ActivationKind::ReLU: return "relu";
    case ActivationKind::GELU: return "gelu";
    case ActivationKind::Tanh: return "tanh";
    case ActivationKind::Sigmoid: return "sigmoid";
  }
  return "?";
}

std::optional<ActivationKind> parseActivation(std::string_view name) {
  for (auto k : {ActivationKind::ReLU, ActivationKind::GELU, ActivationKind::Tanh,
                 ActivationKind::Sigmoid})
    if (activationName(k) == name) return k;
  return std::nullopt;
}

std::vector<std::string> activationNames() {
  std::vector<std::string> out;
  for (auto k : {ActivationKind::ReLU, ActivationKind::GELU, ActivationKind::Tanh, ActivationKind::Sigmoid})
    out.emplace_back(activationName(k));
  return out;
}

namespace {
constexpr float kInvSqrt2 = 0.70710678118654752f;
constexpr float kInvSqrt2Pi = 0.39894228040143268f;
}  // namespace

void Activation::forward(const Tensor& x, Tensor& y, ExecContext& ctx) {
  y.reshapeTo(x.shape);
  const float* in = x.ptr();
  float* out = y.ptr();
  const std::size_t n = x.data.size();
  switch (kind_) {
    case ActivationKind::ReLU:
      for (std::size_t i = 0; i < n; ++i) out[i] = in[i] > 0.0f ? in[i] : 0.0f;
      break;
    case ActivationKind::GELU:  // exact (erf) form, PyTorch's default
      for (std::size_t i = 0; i < n; ++i) out[i] = 0.5f * in[i] * (1.0f + std::erf(in[i] * kInvSqrt2));
      break;
    case ActivationKind::Tanh:
      for (std::size_t i = 0; i < n; ++i) out[i] = std::tanh(in[i]);
      break;
    case ActivationKind::Sigmoid:
      for (std::size_t i = 0; i < n; ++i) out[i] = 1.0f / (1.0f + std::exp(-in[i]));
      break;
  }
  ctx.roundOutput(y);
}

void Activation::backward(const Tensor& x, const Tensor& y, const Tensor& dy, Tensor* dx,
                          ExecContext& ctx) {
  if (!dx) return;
  dx->reshapeTo(x.shape);
  const float* in = x.ptr();
  const float* out = y.ptr();
  const float* g = dy.ptr();
  float* d = dx->ptr();
  const std::size_t n = x.data.size();
  switch (kind_) {
    case ActivationKind::ReLU:
      // g where x > 0, else +0 (also for NaN x), as a bit mask so it vectorises instead
      // of branching on the sign of every element.
      for (std::size_t i = 0; i < n; ++i) {
        const std::uint32_t keep = in[i] > 0.0f ? 0xFFFF'FFFFu : 0u;
        d[i] = std::bit_cast<float>(std::bit_cast<std::uint32_t>(g[i]) & keep);
      }
      break;
    case ActivationKind::GELU:
      for (std::size_t i = 0; i < n; ++i) {
        const float cdf = 0.5f * (1.0f + std::erf(in[i] * kInvSqrt2));
        const float pdf = kInvSqrt2Pi * std::exp(-0.5f * in[i] * in[i]);
        d[i] = g[i] * (cdf + in[i] * pdf);
      }
      break;
    case ActivationKind::Tanh:
      for (std::size_t i = 0; i < n; ++i) d[i] = g[i] * (1.0f - out[i] * out[i]);
      break;
    case ActivationKind::Sigmoid:
      for (std::size_t i = 0; i < n; ++i) d[i] = g[i] * out[i] * (1.0f - out[i]);
      break;
  }
  ctx.roundGradient(*dx);
}

}  // namespace halflab

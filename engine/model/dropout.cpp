#include "engine/model/dropout.hpp"

namespace halflab {

void Dropout::forward(const Tensor& x, Tensor& y, ExecContext& ctx) {
  y.reshapeTo(x.shape);
  last_training_ = ctx.training && p_ > 0.0;
  if (!last_training_) {
    y.data = x.data;
    y.format = x.format;
    return;
  }
  const float keep_scale = static_cast<float>(1.0 / (1.0 - p_));
  // Threshold on 32 random bits: deterministic for a given seed on every platform.
  const auto threshold = static_cast<std::uint64_t>(p_ * 4294967296.0);
  mask_.resize(x.data.size());
  for (std::size_t i = 0; i < x.data.size(); ++i) {
    mask_[i] = (ctx.rng() >> 32) >= threshold;
    y.data[i] = mask_[i] ? x.data[i] * keep_scale : 0.0f;
  }
  ctx.roundOutput(y);
}

void Dropout::backward(const Tensor& x, const Tensor&, const Tensor& dy, Tensor* dx,
                       ExecContext& ctx) {
  if (!dx) return;
  dx->reshapeTo(x.shape);
  if (!last_training_) {
    dx->data = dy.data;
    dx->format = dy.format;
    return;
  }
  const float keep_scale = static_cast<float>(1.0 / (1.0 - p_));
  for (std::size_t i = 0; i < dy.data.size(); ++i)
    dx->data[i] = mask_[i] ? dy.data[i] * keep_scale : 0.0f;
  ctx.roundGradient(*dx);
}

}  // namespace halflab

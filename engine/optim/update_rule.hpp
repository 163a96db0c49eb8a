#pragma once
// The per-element optimizer updates (torch.optim SGD, Adam and AdamW, non-fused) and the
// per-step coefficients they use. The CPU optimizer and the CUDA optimizer kernel both
// call these, so the two backends do the same fp32 operations in the same order.
#include <cmath>

#include "engine/numeric/host_device.hpp"

namespace halflab {

// Per-step constants of an update, computed once in double and rounded to fp32.
struct UpdateCoeffs {
  float lr = 0;
  float weight_decay = 0;  // applied only to parameters with decay
  // SGD with momentum: buf = keep*buf + take*d (keep 0, take 1 on the first step: buf = d).
  float momentum = 0, keep = 0, take = 1;
  // Adam: m.lerp_(g, 1-b1); v = b2*v + (1-b2)*g*g; w -= step_size * m / (sqrt(v)/bc2_sqrt + eps).
  float one_minus_b1 = 0, b2 = 0, one_minus_b2 = 0, eps = 0, step_size = 0, bc2_sqrt = 1;
  float shrink = 1;  // AdamW: w *= 1 - lr*wd before the update
};

// `step` is the 1-based number of the optimizer step (applied steps so far + 1).
HL_HOST_DEVICE inline UpdateCoeffs updateCoeffs(bool adamw, double lr, long long step, double momentum,
                                                double dampening, double weight_decay, double beta1,
                                                double beta2, double eps) {
  UpdateCoeffs c;
  c.lr = static_cast<float>(lr);
  c.weight_decay = static_cast<float>(weight_decay);
  c.momentum = static_cast<float>(momentum);
  const bool first = step == 1;
  c.keep = first ? 0.0f : static_cast<float>(momentum);
  c.take = first ? 1.0f : static_cast<float>(1.0 - dampening);
  const double t = static_cast<double>(step);
  c.one_minus_b1 = static_cast<float>(1.0 - beta1);
  c.b2 = static_cast<float>(beta2);
  c.one_minus_b2 = static_cast<float>(1.0 - beta2);
  c.eps = static_cast<float>(eps);
  c.step_size = static_cast<float>(lr / (1.0 - pow(beta1, t)));
  c.bc2_sqrt = static_cast<float>(sqrt(1.0 - pow(beta2, t)));
  c.shrink = adamw ? static_cast<float>(1.0 - lr * weight_decay) : 1.0f;
  return c;
}

// torch.optim.SGD without momentum: w - lr*(g + wd*w).
HL_HOST_DEVICE inline float sgdUpdate(float w, float g, const UpdateCoeffs& c, bool decay) {
  const float wd = decay ? c.weight_decay : 0.0f;
  return w - c.lr * (g + wd * w);
}

// torch.optim.SGD with momentum (and Nesterov): d = g + wd*w; buf = momentum*buf +
// (1-dampening)*d; w - lr*(nesterov ? d + momentum*buf : buf).
template <bool Nesterov>
HL_HOST_DEVICE inline float sgdMomentumUpdate(float w, float g, float& buf, const UpdateCoeffs& c, bool decay) {
  const float wd = decay ? c.weight_decay : 0.0f;
  const float d = g + wd * w;
  buf = c.keep * buf + c.take * d;
  return Nesterov ? w - c.lr * (d + c.momentum * buf) : w - c.lr * buf;
}

// torch.optim.Adam (L2 added to the gradient) and AdamW (decoupled: w shrinks first).
template <bool AdamW>
HL_HOST_DEVICE inline float adamUpdate(float w, float g, float& m, float& v, const UpdateCoeffs& c, bool decay) {
  if (AdamW) {
    if (decay) w *= c.shrink;
  }
  const float l2 = (!AdamW && decay) ? c.weight_decay : 0.0f;
  const float grad = g + l2 * w;
  m += c.one_minus_b1 * (grad - m);
  v = c.b2 * v + c.one_minus_b2 * grad * grad;
  // On the CPU this vectorises only with -fno-math-errno: sqrt's errno path is a branch.
  const float denom = sqrtf(v) / c.bc2_sqrt + c.eps;
  return w - c.step_size * (m / denom);
}

}  // namespace halflab

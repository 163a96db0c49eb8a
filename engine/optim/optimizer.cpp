#include "engine/optim/optimizer.hpp"

#include <array>
#include <cmath>
#include <stdexcept>
#include <utility>

namespace halflab {
namespace {

constexpr std::array<std::pair<OptimizerKind, std::string_view>, 3> kKindNames{{
    {OptimizerKind::SGD, "sgd"},
    {OptimizerKind::Adam, "adam"},
    {OptimizerKind::AdamW, "adamw"},
}};

[[noreturn]] void badConfig(OptimizerKind k, const std::string& what) {
  throw std::invalid_argument("optimizer '" + std::string(optimizerKindName(k)) + "': " + what);
}

void validate(const OptimizerConfig& c) {
  const auto num = [](double x) { return std::to_string(x); };
  if (!(c.weight_decay >= 0.0) || !std::isfinite(c.weight_decay))
    badConfig(c.kind, "weight_decay must be a finite number >= 0 (got " + num(c.weight_decay) + ")");
  if (c.kind == OptimizerKind::SGD) {
    if (!(c.momentum >= 0.0) || !std::isfinite(c.momentum))
      badConfig(c.kind, "momentum must be a finite number >= 0 (got " + num(c.momentum) + ")");
    if (!(c.dampening >= 0.0 && c.dampening <= 1.0))
      badConfig(c.kind, "dampening must be in [0, 1] (got " + num(c.dampening) + ")");
    if (c.nesterov && (c.momentum <= 0.0 || c.dampening != 0.0))
      badConfig(c.kind, "nesterov needs momentum > 0 and dampening = 0");
    return;
  }
  if (!(c.beta1 >= 0.0 && c.beta1 < 1.0))
    badConfig(c.kind, "beta1 must be in [0, 1) (got " + num(c.beta1) + ")");
  if (!(c.beta2 >= 0.0 && c.beta2 < 1.0))
    badConfig(c.kind, "beta2 must be in [0, 1) (got " + num(c.beta2) + ")");
  if (!(c.eps >= 0.0) || !std::isfinite(c.eps))
    badConfig(c.kind, "eps must be a finite number >= 0 (got " + num(c.eps) + ")");
}

// Runs `newValue(i, old)` over one parameter and stores the result rounded to `store`.
// The fp32 path is a single branch-free loop; the low-format path writes the fp32
// results to scratch, rounds them with the vectorised roundCopy and then counts.
template <class NewValue>
UpdateCounts applyUpdate(float* w, std::size_t n, Format store, std::vector<float>& fresh,
                         std::vector<float>& rounded, NewValue&& newValue) {
  std::int64_t updated = 0;
  std::int64_t stalled = 0;
  if (store == Format::FP32) {
    for (std::size_t i = 0; i < n; ++i) {
      const float old = w[i];
      const float next = newValue(i, old);
      updated += (next != old);
      w[i] = next;
    }
    return {updated, 0};
  }
  fresh.resize(n);
  rounded.resize(n);
  for (std::size_t i = 0; i < n; ++i) fresh[i] = newValue(i, w[i]);
  roundCopy(store, fresh.data(), rounded.data(), n);
  for (std::size_t i = 0; i < n; ++i) {
    const float old = w[i];
    const bool moves = fresh[i] != old;
    updated += moves;
    stalled += moves & (rounded[i] == old);  // the update was lost to rounding
    w[i] = rounded[i];
  }
  return {updated, stalled};
}

// Shared bookkeeping: parameter layout checks, per-parameter fp32 state, scratch buffers.
class OptimizerBase : public Optimizer {
 public:
  explicit OptimizerBase(OptimizerConfig cfg, int state_buffers)
      : cfg_(cfg), state_buffers_(state_buffers) {}

  UpdateCounts step(const std::vector<OptimParam>& params, double lr, Format store) final {
    if (!std::isfinite(lr) || lr < 0.0)
      throw std::invalid_argument("optimizer '" + std::string(optimizerKindName(cfg_.kind)) +
                                  "': learning rate must be a finite number >= 0 (got " +
                                  std::to_string(lr) + ")");
    checkLayout(params);
    ++steps_;
    beginStep(lr);
    UpdateCounts total;
    for (std::size_t p = 0; p < params.size(); ++p) {
      const UpdateCounts c = updateParam(p, params[p], lr, store);
      total.updated += c.updated;
      total.stalled += c.stalled;
    }
    return total;
  }

 protected:
  // Called once per step before the parameters (bias corrections etc.).
  virtual void beginStep(double /*lr*/) {}
  virtual UpdateCounts updateParam(std::size_t index, const OptimParam& p, double lr,
                                   Format store) = 0;

  float* state(std::size_t param, int buffer) { return state_[param][buffer].data(); }
  float decayFor(const OptimParam& p) const {
    return p.apply_weight_decay ? static_cast<float>(cfg_.weight_decay) : 0.0f;
  }

  OptimizerConfig cfg_;
  std::int64_t steps_ = 0;  // completed step() calls, this one included once it runs
  std::vector<float> fresh_, rounded_;

 private:
  // The first step fixes the layout and allocates zeroed fp32 state for each parameter.
  void checkLayout(const std::vector<OptimParam>& params) {
    for (std::size_t p = 0; p < params.size(); ++p) {
      if (params[p].size > 0 && (!params[p].value || !params[p].grad))
        throw std::invalid_argument("optimizer: parameter " + std::to_string(p) +
                                    " has no value or gradient buffer");
    }
    if (sizes_.empty() && steps_ == 0) {
      for (const auto& p : params) sizes_.push_back(p.size);
      state_.resize(params.size());
      for (std::size_t p = 0; p < params.size(); ++p)
        state_[p].assign(state_buffers_, std::vector<float>(params[p].size, 0.0f));
      return;
    }
    if (params.size() != sizes_.size())
      throw std::invalid_argument("optimizer: step got " + std::to_string(params.size()) +
                                  " parameters, but the first step had " +
                                  std::to_string(sizes_.size()));
    for (std::size_t p = 0; p < params.size(); ++p)
      if (params[p].size != sizes_[p])
        throw std::invalid_argument("optimizer: parameter " + std::to_string(p) + " has " +
                                    std::to_string(params[p].size) +
                                    " elements, but had " + std::to_string(sizes_[p]) +
                                    " at the first step");
  }

  int state_buffers_;
  std::vector<std::size_t> sizes_;
  std::vector<std::vector<std::vector<float>>> state_;  // [param][buffer][element]
};

// torch.optim.SGD: d = g + wd*w; buf = momentum*buf + (1-dampening)*d (buf = d on the
// first step); d = nesterov ? d + momentum*buf : buf; w -= lr*d.
class Sgd final : public OptimizerBase {
 public:
  explicit Sgd(const OptimizerConfig& cfg) : OptimizerBase(cfg, cfg.momentum != 0.0 ? 1 : 0) {}

 protected:
  UpdateCounts updateParam(std::size_t index, const OptimParam& p, double lr_d,
                           Format store) override {
    const float lr = static_cast<float>(lr_d);
    const float wd = decayFor(p);
    const float* g = p.grad;
    if (cfg_.momentum == 0.0) {
      return applyUpdate(p.value, p.size, store, fresh_, rounded_,
                         [=](std::size_t i, float w) { return w - lr * (g[i] + wd * w); });
    }
    float* buf = state(index, 0);
    // On the first step the zero buffer times 0 plus 1*d gives exactly buf = d.
    const bool first = steps_ == 1;
    const float keep = first ? 0.0f : static_cast<float>(cfg_.momentum);
    const float take = first ? 1.0f : static_cast<float>(1.0 - cfg_.dampening);
    const float momentum = static_cast<float>(cfg_.momentum);
    if (cfg_.nesterov) {
      return applyUpdate(p.value, p.size, store, fresh_, rounded_, [=](std::size_t i, float w) {
        const float d = g[i] + wd * w;
        buf[i] = keep * buf[i] + take * d;
        return w - lr * (d + momentum * buf[i]);
      });
    }
    return applyUpdate(p.value, p.size, store, fresh_, rounded_, [=](std::size_t i, float w) {
      const float d = g[i] + wd * w;
      buf[i] = keep * buf[i] + take * d;
      return w - lr * buf[i];
    });
  }
};

// torch.optim.Adam / AdamW (non-fused, non-capturable): m.lerp_(g, 1-b1);
// v = b2*v + (1-b2)*g*g; w -= (lr/bc1) * m / (sqrt(v)/sqrt(bc2) + eps).
// Adam adds wd*w to the gradient; AdamW first multiplies w by (1 - lr*wd).
class Adam final : public OptimizerBase {
 public:
  explicit Adam(const OptimizerConfig& cfg) : OptimizerBase(cfg, 2) {}

 protected:
  void beginStep(double lr) override {
    const double t = static_cast<double>(steps_);
    const double bias_correction1 = 1.0 - std::pow(cfg_.beta1, t);
    const double bias_correction2 = 1.0 - std::pow(cfg_.beta2, t);
    step_size_ = static_cast<float>(lr / bias_correction1);
    bias_correction2_sqrt_ = static_cast<float>(std::sqrt(bias_correction2));
  }

  UpdateCounts updateParam(std::size_t index, const OptimParam& p, double lr,
                           Format store) override {
    const bool decoupled = cfg_.kind == OptimizerKind::AdamW;
    const float wd = decayFor(p);
    const float l2 = decoupled ? 0.0f : wd;
    const float shrink = decoupled ? static_cast<float>(1.0 - lr * wd) : 1.0f;
    const float one_minus_b1 = static_cast<float>(1.0 - cfg_.beta1);
    const float b2 = static_cast<float>(cfg_.beta2);
    const float one_minus_b2 = static_cast<float>(1.0 - cfg_.beta2);
    const float eps = static_cast<float>(cfg_.eps);
    const float step_size = step_size_;
    const float bc2_sqrt = bias_correction2_sqrt_;
    float* m = state(index, 0);
    float* v = state(index, 1);
    const float* g = p.grad;
    return applyUpdate(p.value, p.size, store, fresh_, rounded_, [=](std::size_t i, float w) {
      w *= shrink;
      const float grad = g[i] + l2 * w;
      m[i] += one_minus_b1 * (grad - m[i]);
      v[i] = b2 * v[i] + one_minus_b2 * grad * grad;
      // Vectorises only with -fno-math-errno: sqrt's errno path is a branch.
      const float denom = std::sqrt(v[i]) / bc2_sqrt + eps;
      return w - step_size * (m[i] / denom);
    });
  }

 private:
  float step_size_ = 0.0f;
  float bias_correction2_sqrt_ = 1.0f;
};

}  // namespace

std::string_view optimizerKindName(OptimizerKind k) {
  for (const auto& [kind, name] : kKindNames)
    if (kind == k) return name;
  return "unknown";
}

std::optional<OptimizerKind> parseOptimizerKind(std::string_view name) {
  for (const auto& [kind, kind_name] : kKindNames)
    if (kind_name == name) return kind;
  return std::nullopt;
}

std::unique_ptr<Optimizer> Optimizer::create(const OptimizerConfig& cfg) {
  validate(cfg);
  if (cfg.kind == OptimizerKind::SGD) return std::make_unique<Sgd>(cfg);
  return std::make_unique<Adam>(cfg);
}

double globalGradNorm(const std::vector<OptimParam>& params) {
  double sum = 0.0;
  for (const auto& p : params)
    for (std::size_t i = 0; i < p.size; ++i) {
      const double g = p.grad[i];
      sum += g * g;
    }
  return std::sqrt(sum);
}

}  // namespace halflab

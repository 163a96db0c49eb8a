#include "engine/optim/optimizer.hpp"

#include "engine/optim/update_rule.hpp"

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
    UpdateCounts total;
    for (std::size_t p = 0; p < params.size(); ++p) {
      const UpdateCounts c = updateParam(p, params[p], lr, store);
      total.updated += c.updated;
      total.stalled += c.stalled;
    }
    return total;
  }

 protected:
  virtual UpdateCounts updateParam(std::size_t index, const OptimParam& p, double lr,
                                   Format store) = 0;

  float* state(std::size_t param, int buffer) { return state_[param][buffer].data(); }

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

// Per-step coefficients from the config (engine/optim/update_rule.hpp, shared with CUDA).
UpdateCoeffs coeffsFor(const OptimizerConfig& cfg, double lr, std::int64_t step) {
  return updateCoeffs(cfg.kind == OptimizerKind::AdamW, lr, step, cfg.momentum, cfg.dampening,
                      cfg.weight_decay, cfg.beta1, cfg.beta2, cfg.eps);
}

// torch.optim.SGD, with optional momentum, dampening, Nesterov and L2 weight decay.
class Sgd final : public OptimizerBase {
 public:
  explicit Sgd(const OptimizerConfig& cfg) : OptimizerBase(cfg, cfg.momentum != 0.0 ? 1 : 0) {}

 protected:
  UpdateCounts updateParam(std::size_t index, const OptimParam& p, double lr, Format store) override {
    const UpdateCoeffs c = coeffsFor(cfg_, lr, steps_);
    const bool decay = p.apply_weight_decay;
    const float* g = p.grad;
    if (cfg_.momentum == 0.0) {
      return applyUpdate(p.value, p.size, store, fresh_, rounded_,
                         [=](std::size_t i, float w) { return sgdUpdate(w, g[i], c, decay); });
    }
    float* buf = state(index, 0);
    if (cfg_.nesterov) {
      return applyUpdate(p.value, p.size, store, fresh_, rounded_, [=](std::size_t i, float w) {
        return sgdMomentumUpdate<true>(w, g[i], buf[i], c, decay);
      });
    }
    return applyUpdate(p.value, p.size, store, fresh_, rounded_, [=](std::size_t i, float w) {
      return sgdMomentumUpdate<false>(w, g[i], buf[i], c, decay);
    });
  }
};

// torch.optim.Adam / AdamW (non-fused, non-capturable).
class Adam final : public OptimizerBase {
 public:
  explicit Adam(const OptimizerConfig& cfg) : OptimizerBase(cfg, 2) {}

 protected:
  UpdateCounts updateParam(std::size_t index, const OptimParam& p, double lr, Format store) override {
    const UpdateCoeffs c = coeffsFor(cfg_, lr, steps_);
    const bool decay = p.apply_weight_decay;
    float* m = state(index, 0);
    float* v = state(index, 1);
    const float* g = p.grad;
    if (cfg_.kind == OptimizerKind::AdamW) {
      return applyUpdate(p.value, p.size, store, fresh_, rounded_, [=](std::size_t i, float w) {
        return adamUpdate<true>(w, g[i], m[i], v[i], c, decay);
      });
    }
    return applyUpdate(p.value, p.size, store, fresh_, rounded_, [=](std::size_t i, float w) {
      return adamUpdate<false>(w, g[i], m[i], v[i], c, decay);
    });
  }
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

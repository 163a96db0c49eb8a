// `halflab-cli scaler`: drive a loss-scaler policy through a scripted list of overflow
// steps and print its trace as CSV — a what-if tool for comparing policies.
#include <cstdio>
#include <sstream>

#include "app/cli/commands.hpp"
#include "engine/precision/loss_scaler.hpp"

namespace halflab::cli {

namespace {

struct ScalerArgs {
  std::string flavour = "pytorch", overflow;
  long long steps = 20, overflow_every = 0;
  double init_scale = 0, growth_factor = 0, backoff_factor = 0, min_scale = -1, max_scale = -1;
  int growth_interval = 0, hysteresis = 0;
  bool consecutive_hysteresis = false, raise_at_min = false;
};

std::vector<long long> parseSteps(const std::string& text) {
  std::vector<long long> out;
  std::stringstream ss(text);
  for (std::string part; std::getline(ss, part, ',');) {
    if (part.empty()) continue;
    const auto dash = part.find('-');
    try {
      if (dash != std::string::npos && dash > 0) {
        const long long a = std::stoll(part.substr(0, dash)), b = std::stoll(part.substr(dash + 1));
        for (long long s = a; s <= b; ++s) out.push_back(s);
      } else {
        out.push_back(std::stoll(part));
      }
    } catch (...) {
      throw CLI::RuntimeError("--overflow: '" + part + "' is not a step number or range like 5-9", 2);
    }
  }
  return out;
}

void runScaler(const ScalerArgs& a) {
  const auto fl = parseScalerFlavour(a.flavour);
  if (!fl)
    throw CLI::RuntimeError("--flavour: unknown '" + a.flavour +
                                "' (expected none, static, pytorch, apex, tf-keras, deepspeed, megatron)", 2);
  ScalerConfig cfg = defaultScalerConfig(*fl);
  if (a.init_scale > 0) cfg.init_scale = a.init_scale;
  if (a.growth_factor > 0) cfg.growth_factor = a.growth_factor;
  if (a.backoff_factor > 0) cfg.backoff_factor = a.backoff_factor;
  if (a.growth_interval > 0) cfg.growth_interval = a.growth_interval;
  if (a.min_scale >= 0) cfg.min_scale = a.min_scale;
  if (a.max_scale >= 0) cfg.max_scale = a.max_scale;
  if (a.hysteresis > 0) cfg.hysteresis = a.hysteresis;
  if (a.consecutive_hysteresis) cfg.consecutive_hysteresis = true;
  if (a.raise_at_min) cfg.raise_at_min = true;
  auto overflow = parseSteps(a.overflow);
  if (a.overflow_every > 0)
    for (long long s = a.overflow_every; s <= a.steps; s += a.overflow_every) overflow.push_back(s);

  std::printf("step,found_inf,skipped,scale_before,scale_after,growth_tracker,hysteresis\n");
  // Step by step so that a trace ending in an error still prints what came before.
  LossScaler scaler(cfg);
  std::vector<bool> inf(static_cast<std::size_t>(a.steps) + 1, false);
  for (auto s : overflow)
    if (s >= 1 && s <= a.steps) inf[static_cast<std::size_t>(s)] = true;
  for (long long s = 1; s <= a.steps; ++s) {
    ScalerStep st;
    try {
      st = scaler.update(inf[static_cast<std::size_t>(s)]);
    } catch (const ScalerError& e) {
      std::fflush(stdout);
      throw CLI::RuntimeError("step " + std::to_string(s) + ": " + e.what(), 1);
    }
    std::printf("%lld,%d,%d,%.9g,%.9g,%d,%d\n", s, st.found_inf ? 1 : 0, st.skipped ? 1 : 0,
                st.scale_before, st.scale_after, st.growth_tracker, st.hysteresis);
  }
}

}  // namespace

void registerScalerCommand(CLI::App& app) {
  auto a = std::make_shared<ScalerArgs>();
  auto* cmd = app.add_subcommand("scaler", "Print a loss scaler's trace for scripted overflow steps (CSV)");
  cmd->add_option("-f,--flavour", a->flavour, "none, static, pytorch, apex, tf-keras, deepspeed, megatron");
  cmd->add_option("-n,--steps", a->steps, "Number of steps")->check(CLI::Range(1LL, 100000000LL));
  cmd->add_option("--overflow", a->overflow, "Steps that overflow, e.g. 1,2,10-12");
  cmd->add_option("--overflow-every", a->overflow_every, "Also overflow every N steps");
  cmd->add_option("--init-scale", a->init_scale, "Initial scale");
  cmd->add_option("--growth-factor", a->growth_factor, "Growth factor");
  cmd->add_option("--backoff-factor", a->backoff_factor, "Back-off factor");
  cmd->add_option("--growth-interval", a->growth_interval, "Clean steps before growth");
  cmd->add_option("--min-scale", a->min_scale, "Floor (0 = none)");
  cmd->add_option("--max-scale", a->max_scale, "Cap (0 = none)");
  cmd->add_option("--hysteresis", a->hysteresis, "Hysteresis (deepspeed, megatron)");
  cmd->add_flag("--consecutive-hysteresis", a->consecutive_hysteresis, "deepspeed: refill hysteresis on every clean step");
  cmd->add_flag("--raise-at-min", a->raise_at_min, "deepspeed: fail when overflowing at the minimum scale");
  cmd->callback([a] { runScaler(*a); });
}

}  // namespace halflab::cli

// `halflab-cli scaler`: drive a loss-scaler policy through a scripted list of overflow
// steps and print its trace as CSV — a what-if tool for comparing policies.
#include <algorithm>
#include <cstdio>
#include <sstream>

#include <optional>

#include "app/cli/commands.hpp"
#include "app/cli/exit_codes.hpp"
#include "app/cli/flag_values.hpp"
#include "app/cli/std_output.hpp"
#include "engine/precision/loss_scaler.hpp"

namespace halflab::cli {

namespace {

struct ScalerArgs {
  std::string flavour = "pytorch", overflow;
  long long steps = 20, overflow_every = 0;
  // Given = used, whatever the value (checked by the scaler's own limits, named by flag).
  std::optional<std::string> init_scale, growth_factor, backoff_factor, min_scale, max_scale,
      growth_interval, hysteresis;
  bool consecutive_hysteresis = false, raise_at_min = false;
};

// Which flag sets each ScalerConfig field (for naming the flag in errors).
const char* flagFor(const std::string& field) {
  if (field == "init_scale") return "--init-scale";
  if (field == "growth_factor") return "--growth-factor";
  if (field == "backoff_factor") return "--backoff-factor";
  if (field == "growth_interval") return "--growth-interval";
  if (field == "min_scale") return "--min-scale";
  if (field == "max_scale") return "--max-scale";
  if (field == "hysteresis") return "--hysteresis";
  return nullptr;
}

int wholeInt(const std::string& flag, const std::string& text) {
  const std::int64_t v = parseWholeFlag(flag, text);
  if (v < 0 || v > 1'000'000'000) usageError(flag + ": must be between 0 and 1000000000 " + gotText(text));
  return static_cast<int>(v);
}

// Steps beyond `last` are ignored (a range like 1-1000000000000 must not fill memory).
std::vector<long long> parseSteps(const std::string& text, long long last) {
  std::vector<long long> out;
  std::stringstream ss(text);
  for (std::string part; std::getline(ss, part, ',');) {
    if (part.empty()) continue;
    const auto dash = part.find('-');
    try {
      if (dash != std::string::npos && dash > 0) {
        const long long a = std::stoll(part.substr(0, dash)), b = std::stoll(part.substr(dash + 1));
        for (long long s = std::max(a, 1LL); s <= std::min(b, last); ++s) out.push_back(s);
      } else {
        out.push_back(std::stoll(part));
      }
    } catch (...) {
      throw CLI::RuntimeError("--overflow: '" + part + "' is not a step number or range like 5-9", kExitUsage);
    }
  }
  return out;
}

void runScaler(const ScalerArgs& a) {
  const auto fl = parseScalerFlavour(a.flavour);
  if (!fl)
    throw CLI::RuntimeError("--flavour: unknown '" + a.flavour +
                                "' (expected none, static, pytorch, apex, tf-keras, deepspeed, megatron)", kExitUsage);
  ScalerConfig cfg = defaultScalerConfig(*fl);
  if (a.init_scale) cfg.init_scale = parseRealFlag("--init-scale", *a.init_scale);
  if (a.growth_factor) cfg.growth_factor = parseRealFlag("--growth-factor", *a.growth_factor);
  if (a.backoff_factor) cfg.backoff_factor = parseRealFlag("--backoff-factor", *a.backoff_factor);
  if (a.growth_interval) cfg.growth_interval = wholeInt("--growth-interval", *a.growth_interval);
  if (a.min_scale) cfg.min_scale = parseRealFlag("--min-scale", *a.min_scale);
  if (a.max_scale) cfg.max_scale = parseRealFlag("--max-scale", *a.max_scale);
  if (a.hysteresis) cfg.hysteresis = wholeInt("--hysteresis", *a.hysteresis);
  if (a.consecutive_hysteresis) cfg.consecutive_hysteresis = true;
  if (a.raise_at_min) cfg.raise_at_min = true;
  // A flag that the flavour ignores is a mistake worth hearing about, as is a bad value.
  for (const ScalerConfigIssue& i : scalerConfigIssues(cfg, true)) {
    const char* flag = flagFor(i.field);
    std::ostringstream got;
    got << i.got;
    usageError(std::string(flag ? flag : i.field.c_str()) + ": " + i.rule + " (got " + got.str() + ")");
  }
  auto overflow = parseSteps(a.overflow, a.steps);
  if (a.overflow_every > 0)
    for (long long s = a.overflow_every; s <= a.steps; s += a.overflow_every) overflow.push_back(s);

  printOut("step,found_inf,skipped,scale_before,scale_after,growth_tracker,hysteresis\n");
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
      throw CLI::RuntimeError("step " + std::to_string(s) + ": " + e.what(), kExitFailure);
    }
    printOut("%lld,%d,%d,%.9g,%.9g,%d,%d\n", s, st.found_inf ? 1 : 0, st.skipped ? 1 : 0,
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
  cmd->add_option("--overflow-every", a->overflow_every, "Also overflow every N steps (0 = never)")
      ->check(CLI::Range(0LL, 100000000LL));
  cmd->add_option("--init-scale", a->init_scale, "Initial scale")->type_name("NUMBER");
  cmd->add_option("--growth-factor", a->growth_factor, "Growth factor (> 1)")->type_name("NUMBER");
  cmd->add_option("--backoff-factor", a->backoff_factor, "Back-off factor, in (0, 1)")->type_name("NUMBER");
  cmd->add_option("--growth-interval", a->growth_interval, "Clean steps before growth")->type_name("INT");
  cmd->add_option("--min-scale", a->min_scale, "Floor (0 = none)")->type_name("NUMBER");
  cmd->add_option("--max-scale", a->max_scale, "Cap (0 = none)")->type_name("NUMBER");
  cmd->add_option("--hysteresis", a->hysteresis, "Hysteresis (deepspeed, megatron)")->type_name("INT");
  cmd->add_flag("--consecutive-hysteresis", a->consecutive_hysteresis, "deepspeed: refill hysteresis on every clean step");
  cmd->add_flag("--raise-at-min", a->raise_at_min, "deepspeed: fail when overflowing at the minimum scale");
  cmd->callback([a] { runScaler(*a); });
}

}  // namespace halflab::cli

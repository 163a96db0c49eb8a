#pragma once
// The run-config flags shared by `train` and `bench`: a config file, common flags, and
// free-form `--set section.key=value` overrides, merged in that order.
//
// Every flag that is given reaches the config, whatever its value: presence is what
// counts (std::optional), never a sentinel such as "lr > 0", so `--lr 0` or `--batch -5`
// are validated like the same config field and the error names the flag.
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "engine/train/run_config.hpp"

namespace halflab::cli {

struct ConfigOptions {
  std::string config_file;
  std::optional<std::string> name, mode, scaler, model, hidden, dataset, data_dir, optimizer, device;
  // Numbers are taken as text and parsed strictly here (no "64.5" -> 64, no "256abc" ->
  // 256, no raw library message for "1e400"), so every problem names its flag.
  std::optional<std::string> epochs, batch, lr, init_scale, seed, max_steps, threads,
      train_limit, test_limit;
  std::vector<std::string> sets;

  void addTo(CLI::App& cmd);
  // The merged config as JSON. Throws CLI::RuntimeError (exit 2) naming the flag or the
  // config file for a value that cannot even be read.
  nlohmann::json mergedJson() const;
  // Validates j as a RunConfig; problems with a field some flag set are reported under
  // the flag ("--batch: must be between 1 and 65536 (got -5)"). Throws CLI::RuntimeError
  // (exit 2).
  RunConfig configFrom(const nlohmann::json& j) const;
  RunConfig build() const { return configFrom(mergedJson()); }
};

}  // namespace halflab::cli

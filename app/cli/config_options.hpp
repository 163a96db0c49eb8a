#pragma once
// The run-config flags shared by `train` and `bench`: a config file, common flags, and
// free-form `--set section.key=value` overrides, merged in that order.
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "engine/train/run_config.hpp"

namespace halflab::cli {

struct ConfigOptions {
  std::string config_file, name, mode, scaler, model, hidden, dataset, data_dir, optimizer, device;
  int epochs = 0, threads = -1;
  long long batch = 0, max_steps = -1, train_limit = -1, test_limit = -1;
  double lr = 0, init_scale = 0;
  long long seed = -1;
  std::vector<std::string> sets;

  void addTo(CLI::App& cmd);
  // Throws ConfigError (file, field, value problems).
  nlohmann::json mergedJson() const;
  RunConfig build() const { return RunConfig::fromJson(mergedJson()); }
};

}  // namespace halflab::cli

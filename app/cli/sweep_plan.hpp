#pragma once
// What a sweep runs: a base config times a grid and/or a list of settings (any dotted
// config keys: "precision.mode", "optimizer.lr", "training.batch_size", ...) times a
// number of seeds. Each (settings, seed) is one cell. The sweep id is a hash of the base
// config and the cells, so running the same sweep command again resumes it.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace halflab::cli {

struct SweepCell {
  std::size_t index = 0;
  // "optimizer.lr=0.003 precision.mode=fp16-amp seed=2": the cell's settings (sorted by
  // key) and seed; what the store's runs.cell holds.
  std::string key;
  std::vector<std::pair<std::string, nlohmann::json>> settings;
  std::uint64_t seed = 0;
  nlohmann::json config;  // the base with the settings and training.seed applied
};

struct SweepPlan {
  std::string id;
  std::vector<std::string> swept_keys;  // in the order given
  std::vector<SweepCell> cells;
};

struct SweepSpec {
  nlohmann::json base = nlohmann::json::object();
  std::vector<std::pair<std::string, std::vector<nlohmann::json>>> grid;
  std::vector<std::vector<std::pair<std::string, nlohmann::json>>> list;
  std::vector<std::uint64_t> seeds;  // empty: one run with the base's seed
};

// "--grid key=v1,v2,...": values as JSON where they parse (1e-3, 64, true), else strings.
// Throws CLI::RuntimeError (exit 2) naming the flag.
std::pair<std::string, std::vector<nlohmann::json>> parseGridFlag(const std::string& text);

// A sweep file: {"grid": {"key": [v, ...]}, "list": [{"key": v, ...}, ...], "seeds": 5 or
// [1, 2, 3], "base": {config}} (every part optional), or just a JSON array (the list).
// Merged into spec: its grid keys after the command line's, its base under the flags'.
void readSweepFile(const std::string& path, SweepSpec& spec);

// seeds = n consecutive seeds from the base's training.seed (1 when unset).
std::vector<std::uint64_t> consecutiveSeeds(const nlohmann::json& base, int n);

// Every cell, in order: list entries x grid points (last grid key fastest) x seeds.
// Throws CLI::RuntimeError (exit 2) for a key that is not section.key or is set twice.
SweepPlan planSweep(const SweepSpec& spec, const std::string& id_override = {});

// Sets a dotted key ("precision.scaler.kind") inside a config object.
void setDotted(nlohmann::json& config, const std::string& key, const nlohmann::json& value);

}  // namespace halflab::cli

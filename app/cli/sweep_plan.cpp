#include "app/cli/sweep_plan.hpp"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include <CLI/CLI.hpp>

#include "app/cli/exit_codes.hpp"
#include "engine/json/bounded_json.hpp"

namespace halflab::cli {
namespace {

[[noreturn]] void usage(const std::string& message) { throw CLI::RuntimeError(message, kExitUsage); }

nlohmann::json valueOf(const std::string& text) {
  try {
    return parseBoundedJson(text);
  } catch (const std::exception&) {
    return text;  // a bare word is a string
  }
}

std::string valueText(const nlohmann::json& v) { return v.is_string() ? v.get<std::string>() : v.dump(); }

void checkKey(const std::string& key, const std::string& where) {
  const auto dot = key.find('.');
  if (dot == std::string::npos || dot == 0 || dot + 1 == key.size())
    usage(where + ": expected a config key such as precision.mode or optimizer.lr (got '" + key + "')");
}

// FNV-1a, 64 bits: a stable id for the same sweep on every machine.
std::uint64_t fnv1a(const std::string& s) {
  std::uint64_t h = 1469598103934665603ull;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

}  // namespace

void setDotted(nlohmann::json& config, const std::string& key, const nlohmann::json& value) {
  nlohmann::json* node = &config;
  std::stringstream ss(key);
  std::string part;
  std::vector<std::string> parts;
  while (std::getline(ss, part, '.')) parts.push_back(part);
  for (std::size_t i = 0; i + 1 < parts.size(); ++i) {
    if (!node->contains(parts[i]) || !(*node)[parts[i]].is_object()) (*node)[parts[i]] = nlohmann::json::object();
    node = &(*node)[parts[i]];
  }
  (*node)[parts.back()] = value;
}

std::pair<std::string, std::vector<nlohmann::json>> parseGridFlag(const std::string& text) {
  const auto eq = text.find('=');
  if (eq == std::string::npos || eq + 1 == text.size())
    usage("--grid: expected key=value1,value2,... (got '" + text + "')");
  const std::string key = text.substr(0, eq);
  checkKey(key, "--grid " + key);
  std::vector<nlohmann::json> values;
  std::stringstream ss(text.substr(eq + 1));
  std::string part;
  while (std::getline(ss, part, ',')) {
    if (part.empty()) usage("--grid " + key + ": empty value in '" + text + "'");
    values.push_back(valueOf(part));
  }
  return {key, values};
}

std::vector<std::uint64_t> consecutiveSeeds(const nlohmann::json& base, int n) {
  std::uint64_t first = 1;
  if (base.contains("training") && base["training"].contains("seed") && base["training"]["seed"].is_number_unsigned())
    first = base["training"]["seed"].get<std::uint64_t>();
  std::vector<std::uint64_t> seeds;
  for (int i = 0; i < n; ++i) seeds.push_back(first + static_cast<std::uint64_t>(i));
  return seeds;
}

void readSweepFile(const std::string& path, SweepSpec& spec) {
  std::ifstream in(path);
  if (!in) throw CLI::RuntimeError(path + ": cannot read the sweep file", kExitFailure);
  std::stringstream buf;
  buf << in.rdbuf();
  nlohmann::json j;
  try {
    j = parseBoundedJson(buf.str());
  } catch (const std::exception& e) {
    usage(path + ": not valid JSON (" + std::string(e.what()) + ")");
  }
  if (j.is_array()) j = nlohmann::json{{"list", j}};
  if (!j.is_object()) usage(path + ": expected an object with grid, list, seeds, base (or an array: the list)");
  for (const auto& [k, v] : j.items())
    if (k != "grid" && k != "list" && k != "seeds" && k != "base")
      usage(path + ": unknown key '" + k + "' (expected grid, list, seeds, base)");
  if (j.contains("base")) {
    if (!j["base"].is_object()) usage(path + ": base must be a config object");
    nlohmann::json merged = j["base"];
    merged.merge_patch(spec.base);  // the command line's flags win
    spec.base = merged;
  }
  if (j.contains("grid")) {
    if (!j["grid"].is_object()) usage(path + ": grid must be an object of key: [values]");
    for (const auto& [k, v] : j["grid"].items()) {
      checkKey(k, path + ": grid");
      if (!v.is_array() || v.empty()) usage(path + ": grid " + k + " must be a non-empty array of values");
      spec.grid.push_back({k, std::vector<nlohmann::json>(v.begin(), v.end())});
    }
  }
  if (j.contains("list")) {
    if (!j["list"].is_array()) usage(path + ": list must be an array of {key: value} objects");
    for (const auto& entry : j["list"]) {
      if (!entry.is_object()) usage(path + ": every list entry must be an object of key: value");
      std::vector<std::pair<std::string, nlohmann::json>> settings;
      for (const auto& [k, v] : entry.items()) {
        checkKey(k, path + ": list");
        settings.push_back({k, v});
      }
      spec.list.push_back(settings);
    }
  }
  if (j.contains("seeds")) {
    const auto& s = j["seeds"];
    if (s.is_number_unsigned() && s.get<std::uint64_t>() >= 1 && s.get<std::uint64_t>() <= 1000) {
      if (spec.seeds.empty()) spec.seeds = consecutiveSeeds(spec.base, s.get<int>());
    } else if (s.is_array() && !s.empty()) {
      if (spec.seeds.empty())
        for (const auto& x : s) {
          if (!x.is_number_unsigned()) usage(path + ": seeds must be whole numbers 0 or more");
          spec.seeds.push_back(x.get<std::uint64_t>());
        }
    } else {
      usage(path + ": seeds must be a count from 1 to 1000 or an array of seeds");
    }
  }
}

SweepPlan planSweep(const SweepSpec& spec, const std::string& id_override) {
  SweepPlan plan;
  std::set<std::string> keys;
  for (const auto& [k, values] : spec.grid) {
    if (!keys.insert(k).second) usage("--grid " + k + ": the key is swept twice");
    plan.swept_keys.push_back(k);
  }
  const std::set<std::string> grid_keys = keys;
  for (const auto& entry : spec.list)
    for (const auto& [k, v] : entry) {
      if (grid_keys.count(k)) usage("sweep: " + k + " is both in the grid and in the list");
      if (keys.insert(k).second) plan.swept_keys.push_back(k);
    }
  if (std::find(plan.swept_keys.begin(), plan.swept_keys.end(), "training.seed") != plan.swept_keys.end())
    usage("sweep: training.seed cannot be swept as a key; use --seeds N");

  // Grid points: the cartesian product, last key fastest.
  std::vector<std::vector<std::pair<std::string, nlohmann::json>>> points{{}};
  for (const auto& [k, values] : spec.grid) {
    std::vector<std::vector<std::pair<std::string, nlohmann::json>>> next;
    for (const auto& p : points)
      for (const auto& v : values) {
        auto q = p;
        q.push_back({k, v});
        next.push_back(q);
      }
    points = next;
  }
  std::vector<std::vector<std::pair<std::string, nlohmann::json>>> combos;
  if (spec.list.empty()) {
    combos = points;
  } else {
    for (const auto& entry : spec.list)
      for (const auto& p : points) {
        auto q = entry;
        q.insert(q.end(), p.begin(), p.end());
        combos.push_back(q);
      }
  }
  std::vector<std::uint64_t> seeds = spec.seeds;
  if (seeds.empty()) seeds = consecutiveSeeds(spec.base, 1);

  std::string identity = spec.base.dump();
  for (const auto& combo : combos) {
    auto sorted = combo;
    std::sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    std::string settings_key;
    for (const auto& [k, v] : sorted) settings_key += (settings_key.empty() ? "" : " ") + k + "=" + valueText(v);
    for (std::uint64_t seed : seeds) {
      SweepCell c;
      c.index = plan.cells.size();
      c.settings = sorted;
      c.seed = seed;
      c.key = settings_key + (settings_key.empty() ? "" : " ") + "seed=" + std::to_string(seed);
      c.config = spec.base;
      // The base holds only what was given, so a swept mode gets its own default scaler.
      for (const auto& [k, v] : sorted) setDotted(c.config, k, v);
      setDotted(c.config, "training.seed", seed);
      identity += "\n" + c.key;
      plan.cells.push_back(std::move(c));
    }
  }
  std::set<std::string> unique;
  for (const auto& c : plan.cells)
    if (!unique.insert(c.key).second) usage("sweep: cell '" + c.key + "' appears twice (a repeated value?)");
  if (!id_override.empty()) {
    plan.id = id_override;
  } else {
    char buf[32];
    std::snprintf(buf, sizeof buf, "sw-%012llx", static_cast<unsigned long long>(fnv1a(identity) & 0xFFFFFFFFFFFFull));
    plan.id = buf;
  }
  return plan;
}

}  // namespace halflab::cli

// `halflab-cli data show`: loads the dataset a config (or --dataset / --path) names and
// prints what it holds: counts per split and class, image size and channel means, or the
// vocabulary and token length statistics, plus the load time and whether the token cache
// served it. A dataset that cannot be loaded is exit 1 with the loader's message.
#include <cstdio>

#include <nlohmann/json.hpp>

#include "app/cli/commands.hpp"
#include "app/cli/config_options.hpp"
#include "app/cli/exit_codes.hpp"
#include "app/cli/std_output.hpp"
#include "engine/data/dataset.hpp"
#include "engine/train/data_summary.hpp"

namespace halflab::cli {

namespace {

struct DataArgs {
  ConfigOptions config;
  std::optional<std::string> path;
};

std::string megabytes(std::int64_t bytes) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f MB", static_cast<double>(bytes) / 1e6);
  return buf;
}

void printSummary(const RunConfig& cfg, const DataSummary& s) {
  printOut("dataset: %s%s%s\n", s.kind.c_str(), s.source.empty() ? "" : " from ", s.source.c_str());
  for (const auto& sp : s.splits) {
    printOut("%s: %lld %s |", sp.name.c_str(), static_cast<long long>(sp.count), s.tokens ? "texts" : "samples");
    for (std::size_t i = 0; i < sp.per_class.size(); ++i)
      printOut("%s %s %lld", i ? "," : "", sp.per_class[i].first.c_str(), static_cast<long long>(sp.per_class[i].second));
    printOut("\n");
  }
  if (s.tokens) {
    printOut("tokens: int32 ids, vocabulary %lld (pad 0, unknown 1, %lld words from train), max_len %lld, padding %s, truncating %s\n",
             static_cast<long long>(s.vocab_size), static_cast<long long>(s.vocab_size - 2),
             static_cast<long long>(s.max_len), cfg.dataset.padding.c_str(), cfg.dataset.truncating.c_str());
    for (const auto& sp : s.splits)
      printOut("lengths %s (words before truncating): mean %.1f, median %.0f, p95 %.0f, max %lld, truncated %.1f%%\n",
               sp.name.c_str(), sp.lengths.mean, sp.lengths.median, sp.lengths.p95,
               static_cast<long long>(sp.lengths.max), 100.0 * sp.lengths.truncated_share);
  } else {
    std::string shape;
    for (std::size_t i = 0; i < s.sample_shape.size(); ++i)
      shape += (i ? " x " : "") + std::to_string(s.sample_shape[i]);
    printOut("sample: %s floats; channel means (train, before normalisation):", shape.c_str());
    for (double m : s.channel_means) printOut(" %.4f", m);
    printOut("\n");
  }
  printOut("memory: %s\n", megabytes(s.memory_bytes).c_str());
  std::string cache;
  if (s.tokens) {
    if (s.cache_used) cache = ", from the token cache " + s.cache_file;
    else if (!s.cache_file.empty()) cache = ", tokenized (cache " + s.cache_file + (s.cache_note.empty() ? " written" : ": " + s.cache_note) + ")";
    else cache = ", tokenized (" + s.cache_note + ")";
  }
  printOut("loaded in %.0f ms%s\n", s.load_ms, cache.c_str());
}

void runShow(const DataArgs& a) {
  nlohmann::json j = a.config.mergedJson();
  if (a.path) j["dataset"]["path"] = *a.path;
  const RunConfig cfg = a.config.configFrom(j);
  DataSummary s;
  try {
    s = describeData(cfg);
  } catch (const ConfigError& e) {
    throw CLI::RuntimeError(e.what(), kExitUsage);
  } catch (const std::exception& e) {
    throw CLI::RuntimeError(e.what(), kExitFailure);
  }
  printSummary(cfg, s);
}

}  // namespace

void registerDataCommand(CLI::App& app) {
  auto args = std::make_shared<DataArgs>();
  auto* data = app.add_subcommand("data", "Inspect datasets");
  data->require_subcommand(1);
  auto* show = data->add_subcommand("show", "Load a config's dataset and print what it holds");
  args->config.addTo(*show);
  show->add_option("--path", args->path, "Dataset folder (same as --data-dir)");
  show->callback([args] { runShow(*args); });
}

}  // namespace halflab::cli

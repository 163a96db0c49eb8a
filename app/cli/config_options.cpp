#include "app/cli/config_options.hpp"

#include <charconv>
#include <cmath>
#include <fstream>
#include <limits>
#include <sstream>

#include "app/cli/exit_codes.hpp"
#include "app/cli/flag_values.hpp"
#include "engine/json/bounded_json.hpp"
#include "engine/model/presets.hpp"
#include "engine/precision/precision_mode.hpp"

namespace halflab::cli {

using nlohmann::json;

namespace {

// Which config field each flag sets (for naming the flag in validation errors).
struct FlagField {
  const char* flag;
  const char* field;
  const std::optional<std::string> ConfigOptions::*value;
};
constexpr FlagField kFlagFields[] = {
    {"--name", "name", &ConfigOptions::name},
    {"--mode", "precision.mode", &ConfigOptions::mode},
    {"--scaler", "precision.scaler", &ConfigOptions::scaler},
    {"--init-scale", "precision.init_scale", &ConfigOptions::init_scale},
    {"--model", "model.preset", &ConfigOptions::model},
    {"--hidden", "model.hidden", &ConfigOptions::hidden},
    {"--dataset", "dataset.kind", &ConfigOptions::dataset},
    {"--data-dir", "dataset.path", &ConfigOptions::data_dir},
    {"--train-limit", "dataset.train_limit", &ConfigOptions::train_limit},
    {"--test-limit", "dataset.test_limit", &ConfigOptions::test_limit},
    {"--optimizer", "optimizer.kind", &ConfigOptions::optimizer},
    {"--lr", "optimizer.lr", &ConfigOptions::lr},
    {"--epochs", "training.epochs", &ConfigOptions::epochs},
    {"--batch", "training.batch_size", &ConfigOptions::batch},
    {"--max-steps", "training.max_steps", &ConfigOptions::max_steps},
    {"--seed", "training.seed", &ConfigOptions::seed},
    {"--threads", "training.threads", &ConfigOptions::threads},
    {"--device", "training.device", &ConfigOptions::device},
};

}  // namespace

void ConfigOptions::addTo(CLI::App& cmd) {
  cmd.add_option("-c,--config", config_file, "Run config (JSON); flags below override it");
  cmd.add_option("--name", name, "Run name");
  // The lists come from the engine's tables, so help and engine cannot disagree.
  auto joined = [](const std::vector<std::string>& names) {
    std::string s;
    for (const auto& n : names) s += (s.empty() ? "" : ", ") + n;
    return s;
  };
  std::vector<std::string> presets;
  for (const auto& p : modelPresets()) presets.push_back(p.name);
  cmd.add_option("-m,--mode", mode, "Precision mode: " + joined(precisionModeNames()));
  cmd.add_option("--scaler", scaler, "Loss scaler: " + joined(scalerFlavourNames()));
  cmd.add_option("--init-scale", init_scale, "Initial loss scale")->type_name("NUMBER");
  cmd.add_option("--model", model, "Model preset: " + joined(presets) + " (or model.layers in --config)");
  cmd.add_option("--hidden", hidden, "Hidden widths, e.g. 256,128");
  cmd.add_option("--dataset", dataset, "fashion-mnist, mnist, cifar10, image-folder, imdb, csv-text, spirals, moons, blobs");
  cmd.add_option("--data-dir", data_dir, "Dataset folder (default: Debian's Fashion-MNIST)");
  cmd.add_option("--train-limit", train_limit, "Use only the first N training samples (0 = all)")->type_name("INT");
  cmd.add_option("--test-limit", test_limit, "Use only the first N test samples (0 = all)")->type_name("INT");
  cmd.add_option("--optimizer", optimizer, "sgd, adam, adamw");
  cmd.add_option("--lr", lr, "Learning rate")->type_name("NUMBER");
  cmd.add_option("-e,--epochs", epochs, "Epochs")->type_name("INT");
  cmd.add_option("-b,--batch", batch, "Batch size")->type_name("INT");
  cmd.add_option("--max-steps", max_steps, "Train exactly N steps, as many epochs as that takes (0 = --epochs decides)")->type_name("INT");
  cmd.add_option("--seed", seed, "Random seed (0 to 2^64-1)")->type_name("INT");
  cmd.add_option("--threads", threads, "CPU threads (0 = all cores)")->type_name("INT");
  cmd.add_option("--device", device, "cpu, cuda or auto (only auto falls back to the CPU)");
  cmd.add_option("--set", sets, "Override any config field: section.key=value (value as JSON)")
      ->type_name("KEY=VALUE");
}

json ConfigOptions::mergedJson() const {
  json j = json::object();
  if (!config_file.empty()) {
    std::ifstream in(config_file);
    if (!in) usageError("--config " + config_file + ": cannot open the file");
    std::stringstream ss;
    ss << in.rdbuf();
    try {
      j = parseBoundedJson(ss.str());
    } catch (const json::exception& e) {  // parse errors and number overflow (1e400)
      usageError("--config " + config_file + ": not valid JSON: " + describeJsonError(e));
    } catch (const JsonTooDeep& e) {
      usageError("--config " + config_file + ": " + e.what());
    }
    if (!j.is_object()) usageError("--config " + config_file + ": must hold a JSON object");
  }
  auto put = [&](const std::string& section, const std::string& key, const json& v) {
    json& s = j[section];
    if (!s.is_null() && !s.is_object())
      usageError("--config " + config_file + ": section '" + section + "' must be an object");
    s[key] = v;
  };
  if (name) j["name"] = *name;
  if (mode) put("precision", "mode", *mode);
  if (scaler) put("precision", "scaler", *scaler);
  if (init_scale) put("precision", "init_scale", parseRealFlag("--init-scale", *init_scale));
  if (model) put("model", "preset", *model);
  if (hidden) {
    json widths = json::array();
    std::stringstream ss(*hidden);
    std::string part;
    while (std::getline(ss, part, ',')) {
      if (part.empty()) usageError("--hidden: expected widths such as 256,128 " + gotText(*hidden));
      widths.push_back(parseWholeFlag("--hidden", part));
    }
    if (widths.empty()) usageError("--hidden: expected widths such as 256,128 " + gotText(*hidden));
    put("model", "hidden", widths);
  }
  if (dataset) put("dataset", "kind", *dataset);
  if (data_dir) put("dataset", "path", *data_dir);
  if (train_limit) put("dataset", "train_limit", parseWholeFlag("--train-limit", *train_limit));
  if (test_limit) put("dataset", "test_limit", parseWholeFlag("--test-limit", *test_limit));
  if (optimizer) put("optimizer", "kind", *optimizer);
  if (lr) put("optimizer", "lr", parseRealFlag("--lr", *lr));
  // Ranges are the config's (validate() names the field, reported as the flag).
  if (epochs) put("training", "epochs", parseWholeFlag("--epochs", *epochs));
  if (batch) put("training", "batch_size", parseWholeFlag("--batch", *batch));
  if (max_steps) put("training", "max_steps", parseWholeFlag("--max-steps", *max_steps));
  if (seed)
    put("training", "seed", parseSeedFlag("--seed", *seed));
  if (threads) put("training", "threads", parseWholeFlag("--threads", *threads));
  if (device) put("training", "device", *device);
  for (const auto& s : sets) {
    const auto eq = s.find('=');
    const auto dot = s.find('.');
    if (eq == std::string::npos || dot == std::string::npos || dot > eq || dot == 0 || dot + 1 == eq)
      usageError("--set: expected section.key=value " + gotText(s));
    const std::string section = s.substr(0, dot), key = s.substr(dot + 1, eq - dot - 1);
    const std::string text = s.substr(eq + 1);
    json v;
    try {
      v = parseBoundedJson(text);
    } catch (const json::out_of_range&) {  // 1e400: a number, just too big
      usageError("--set " + cutForMessage(section + "." + key) + ": " + cutForMessage(text) +
                 " is out of range for a number (magnitudes from about 2.2e-308 to 1.8e308)");
    } catch (const json::exception&) {
      v = text;  // a bare word is a string
    } catch (const JsonTooDeep& e) {
      usageError("--set " + cutForMessage(section + "." + key) + ": " + e.what());
    }
    put(section, key, v);
  }
  return j;
}

RunConfig ConfigOptions::configFrom(const json& j) const {
  try {
    return RunConfig::fromJson(j);
  } catch (const ConfigError& e) {
    std::string message;
    bool all_flags = true;
    for (const ConfigIssue& issue : e.issues()) {
      std::string field = issue.field, text = issue.message;
      bool named = false;
      // --set is applied last, so it is what set the field when both were given.
      for (const auto& set : sets)
        if (set.rfind(issue.field + "=", 0) == 0) field = "--set " + issue.field, named = true;
      for (const FlagField& f : kFlagFields) {
        const auto& value = this->*f.value;
        if (!named && value && issue.field == f.field) {
          field = f.flag;
          if (text.find("(got ") == std::string::npos) text += " " + gotText(*value);
          named = true;
        }
      }
      all_flags = all_flags && named;
      message += (message.empty() ? "" : "; ") + (field.empty() ? text : field + ": " + text);
    }
    usageError(all_flags ? message : "invalid config: " + message);
  }
}

}  // namespace halflab::cli

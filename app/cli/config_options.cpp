#include "app/cli/config_options.hpp"

#include <fstream>
#include <sstream>

namespace halflab::cli {

using nlohmann::json;

void ConfigOptions::addTo(CLI::App& cmd) {
  cmd.add_option("-c,--config", config_file, "Run config (JSON); flags below override it");
  cmd.add_option("--name", name, "Run name");
  cmd.add_option("-m,--mode", mode, "Precision mode: fp32, tf32, fp16-pure, fp16-amp, bf16-amp");
  cmd.add_option("--scaler", scaler, "Loss scaler: none, static, pytorch, apex, tf-keras, deepspeed, megatron");
  cmd.add_option("--init-scale", init_scale, "Initial loss scale");
  cmd.add_option("--model", model, "Model preset: mlp, lenet, cifar-cnn");
  cmd.add_option("--hidden", hidden, "Hidden widths, e.g. 256,128");
  cmd.add_option("--dataset", dataset, "fashion-mnist, mnist, cifar10, spirals, moons, blobs");
  cmd.add_option("--data-dir", data_dir, "Dataset folder (default: Debian's Fashion-MNIST)");
  cmd.add_option("--train-limit", train_limit, "Use only the first N training samples");
  cmd.add_option("--test-limit", test_limit, "Use only the first N test samples");
  cmd.add_option("--optimizer", optimizer, "sgd, adam, adamw");
  cmd.add_option("--lr", lr, "Learning rate");
  cmd.add_option("-e,--epochs", epochs, "Epochs");
  cmd.add_option("-b,--batch", batch, "Batch size");
  cmd.add_option("--max-steps", max_steps, "Train exactly N steps, as many epochs as that takes (0 = --epochs decides)");
  cmd.add_option("--seed", seed, "Random seed");
  cmd.add_option("--threads", threads, "CPU threads (0 = all cores)");
  cmd.add_option("--device", device, "cpu, cuda or auto");
  cmd.add_option("--set", sets, "Override any config field: section.key=value (value as JSON)")
      ->type_name("KEY=VALUE");
}

json ConfigOptions::mergedJson() const {
  json j = json::object();
  if (!config_file.empty()) {
    std::ifstream in(config_file);
    if (!in) throw ConfigError("--config", config_file + ": cannot open the file");
    std::stringstream ss;
    ss << in.rdbuf();
    try {
      j = json::parse(ss.str());
    } catch (const json::parse_error& e) {
      throw ConfigError("--config", config_file + ": not valid JSON: " + e.what());
    }
    if (!j.is_object()) throw ConfigError("--config", config_file + ": must hold a JSON object");
  }
  auto put = [&](const char* section, const char* key, const json& v) { j[section][key] = v; };
  if (!name.empty()) j["name"] = name;
  if (!mode.empty()) put("precision", "mode", mode);
  if (!scaler.empty()) put("precision", "scaler", scaler);
  if (init_scale > 0) put("precision", "init_scale", init_scale);
  if (!model.empty()) put("model", "preset", model);
  if (!hidden.empty()) {
    json widths = json::array();
    std::stringstream ss(hidden);
    std::string part;
    while (std::getline(ss, part, ',')) {
      try {
        widths.push_back(std::stoi(part));
      } catch (...) {
        throw ConfigError("--hidden", "'" + hidden + "' is not a comma-separated list of widths");
      }
    }
    put("model", "hidden", widths);
  }
  if (!dataset.empty()) put("dataset", "kind", dataset);
  if (!data_dir.empty()) put("dataset", "path", data_dir);
  if (train_limit >= 0) put("dataset", "train_limit", train_limit);
  if (test_limit >= 0) put("dataset", "test_limit", test_limit);
  if (!optimizer.empty()) put("optimizer", "kind", optimizer);
  if (lr > 0) put("optimizer", "lr", lr);
  if (epochs > 0) put("training", "epochs", epochs);
  if (batch > 0) put("training", "batch_size", batch);
  if (max_steps >= 0) put("training", "max_steps", max_steps);
  if (seed >= 0) put("training", "seed", seed);
  if (threads >= 0) put("training", "threads", threads);
  if (!device.empty()) put("training", "device", device);
  for (const auto& s : sets) {
    const auto eq = s.find('=');
    const auto dot = s.find('.');
    if (eq == std::string::npos || dot == std::string::npos || dot > eq)
      throw ConfigError("--set", "'" + s + "' must look like section.key=value");
    const std::string section = s.substr(0, dot), key = s.substr(dot + 1, eq - dot - 1);
    const std::string text = s.substr(eq + 1);
    json v;
    try {
      v = json::parse(text);
    } catch (const json::parse_error&) {
      v = text;  // a bare word is a string
    }
    put(section.c_str(), key.c_str(), v);
  }
  return j;
}

}  // namespace halflab::cli

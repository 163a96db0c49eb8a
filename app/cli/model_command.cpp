// `halflab-cli model`: what the engine can build and what a model costs.
//   model show [--preset P | --config F | flags]: per node output shape, parameters,
//     forward FLOPs per sample and memory in every precision mode;
//   model ops / model presets: the engine's registered ops and presets.
#include <memory>

#include "app/cli/commands.hpp"
#include "app/cli/config_options.hpp"
#include "app/cli/exit_codes.hpp"
#include "app/cli/std_output.hpp"
#include "engine/data/dataset.hpp"
#include "engine/model/op_def.hpp"
#include "engine/model/presets.hpp"
#include "engine/train/model_fit.hpp"
#include "engine/train/model_summary.hpp"
#include "engine/train/sample_shape.hpp"
#include "engine/train/trainer.hpp"

namespace halflab::cli {
namespace {

struct ModelArgs {
  ConfigOptions config;
  std::string preset;
};

void showModel(const ModelArgs& a) {
  nlohmann::json j = a.config.mergedJson();
  if (!a.preset.empty()) j["model"]["preset"] = a.preset;
  const RunConfig cfg = a.config.configFrom(j);
  try {
    const SampleInfo info = sampleInfoFor(cfg);
    const Shape& sample = info.sample;
    const int classes = info.classes;
    const ModelPlan plan = planModelFor(cfg, sample, classes);
    printOut("%s on %s (samples %s, %d classes)\n", cfg.model.preset.c_str(), cfg.dataset.kind.c_str(),
             shapeToString(sample).c_str(), classes);
    const std::string table = formatModelSummary(summarizeModel(cfg, plan));
    printOut("%s", table.c_str());
  } catch (const ConfigError& e) {
    throw CLI::RuntimeError(e.what(), kExitUsage);
  } catch (const std::exception& e) {
    throw CLI::RuntimeError(e.what(), kExitUsage);
  }
}

}  // namespace

void registerModelCommand(CLI::App& app) {
  auto* model = app.add_subcommand("model", "Inspect models: show a model's table, list ops and presets");
  model->require_subcommand(1);
  auto args = std::make_shared<ModelArgs>();
  auto* show = model->add_subcommand("show", "Per node: output shape, parameters, FLOPs, memory per precision mode");
  args->config.addTo(*show);
  show->add_option("--preset", args->preset, "Model preset (same as --model)");
  show->callback([args] { showModel(*args); });
  model->add_subcommand("ops", "The registered ops")->callback([] {
    for (const auto& d : opRegistry().all()) printOut("%-11s %s\n", d->name.c_str(), d->summary.c_str());
  });
  model->add_subcommand("presets", "The model presets")->callback([] {
    for (const auto& p : modelPresets()) printOut("%-10s %s\n", p.name.c_str(), p.description.c_str());
  });
}

}  // namespace halflab::cli

// `halflab-cli bench`: throughput, step time and memory of a model / batch / mode on
// the chosen backend (training.device; the device each row ran on is printed). Medians over timed steps after a warm-up; several modes in one run so
// their ratios come from the same machine state.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

#include <nlohmann/json.hpp>

#include "app/cli/commands.hpp"
#include "app/cli/config_options.hpp"
#include "app/cli/exit_codes.hpp"
#include "app/cli/std_output.hpp"
#include "engine/data/dataset.hpp"
#include "engine/train/trainer.hpp"

namespace halflab::cli {

namespace {

struct StepTimes : RunObserver {
  explicit StepTimes(std::int64_t batch) : batch(batch) {}
  std::int64_t batch;
  std::vector<double> ms;
  std::vector<std::string> warnings;  // e.g. "no usable CUDA device: running on the CPU"
  void onStep(const StepRecord& r) override {
    // Full batches only: an epoch's shorter last batch would flatter the median.
    if (std::llround(r.samples_per_s * r.step_time_ms / 1000.0) == batch) ms.push_back(r.step_time_ms);
  }
  void onEvent(const EventRecord& e) override {
    if (e.kind == EventKind::Warning) warnings.push_back(e.text);
  }
};

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const auto n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

struct BenchArgs {
  ConfigOptions config;
  std::string modes = "fp32";
  int steps = 50, warmup = 5, repeats = 1;
  bool json = false;
};

void runBench(const BenchArgs& a) {
  nlohmann::json base = a.config.mergedJson();
  base["training"]["max_steps"] = a.warmup + a.steps;
  base["training"]["histogram_every"] = 0;
  base["training"]["eval_every"] = 1000000000;  // one eval at the end only
  base["dataset"]["test_limit"] = 1;
  if (!base["training"].contains("epochs")) base["training"]["epochs"] = 1000;

  std::vector<std::string> modes;
  std::stringstream ss(a.modes);
  for (std::string m; std::getline(ss, m, ',');) {
    if (m.empty()) throw CLI::RuntimeError("--modes: expected modes such as fp32,fp16-amp (got " + a.modes + ")", kExitUsage);
    modes.push_back(m);
  }
  if (modes.empty()) throw CLI::RuntimeError("--modes: expected modes such as fp32,fp16-amp", kExitUsage);

  // Validate every mode before measuring any, so a typo fails at once.
  for (const auto& mode : modes) {
    if (!parsePrecisionMode(mode))
      throw CLI::RuntimeError("--modes: unknown mode '" + mode +
                                  "' (expected fp32, tf32, fp16-pure, fp16-amp or bf16-amp)",
                              kExitUsage);
    nlohmann::json j = base;
    j["precision"]["mode"] = mode;
    const RunConfig cfg = a.config.configFrom(j);  // problems name their flag
    // "cuda" means the GPU: measuring the CPU instead would be a wrong answer.
    if (const std::string reason = unusableDeviceReason(cfg); !reason.empty())
      throw CLI::RuntimeError("--device cuda: " + reason +
                                  " (use --device cpu, or --device auto to fall back to the CPU)",
                              kExitNoDevice);
  }

  std::shared_ptr<const DataSplit> data;
  nlohmann::json results = nlohmann::json::array();
  double fp32_ms = 0;
  if (!a.json)
    printOut("%-10s %-8s %6s %12s %12s %12s %10s  %s\n", "mode", "model", "batch", "samples/s",
                "step ms", "vs fp32", "mem MiB", "device");
  std::vector<std::string> warned;
  for (const auto& mode : modes) {
    nlohmann::json j = base;
    j["precision"]["mode"] = mode;
    RunConfig cfg;
    cfg = a.config.configFrom(j);
    try {
      if (!data) data = loadDataFor(cfg);
    } catch (const std::exception& e) {
      throw CLI::RuntimeError(e.what(), kExitFailure);
    }
    std::vector<double> medians;
    RunSummary s;
    for (int r = 0; r < a.repeats; ++r) {
      Trainer t(cfg);
      t.setData(data);
      StepTimes times(cfg.training.batch_size);
      s = t.run(times);
      for (const auto& w : times.warnings)
        if (std::find(warned.begin(), warned.end(), w) == warned.end()) {
          std::fprintf(stderr, "halflab-cli bench: %s\n", w.c_str());
          warned.push_back(w);
        }
      if (s.status != RunStatus::Completed)
        throw CLI::RuntimeError("bench run " + std::string(runStatusName(s.status)) + ": " + s.error, kExitFailure);
      std::vector<double> timed(times.ms.begin() + std::min<std::size_t>(a.warmup, times.ms.size()), times.ms.end());
      medians.push_back(median(timed));
    }
    const double step_ms = median(medians);
    if (mode == "fp32") fp32_ms = step_ms;
    const double sps = 1000.0 * static_cast<double>(cfg.training.batch_size) / step_ms;
    const double mem = s.peak_memory_bytes / 1048576.0;
    results.push_back({{"mode", mode}, {"model", cfg.model.preset}, {"batch", cfg.training.batch_size},
                       {"samples_per_s", sps}, {"step_ms", step_ms}, {"memory_mib", mem},
                       {"device", s.device}, {"vs_fp32", fp32_ms > 0 ? step_ms / fp32_ms : 0}});
    if (!a.json) {
      char ratio[32] = "-";
      if (fp32_ms > 0) std::snprintf(ratio, sizeof ratio, "%.2fx", step_ms / fp32_ms);
      printOut("%-10s %-8s %6lld %12.0f %12.3f %12s %10.2f  %s\n", mode.c_str(), cfg.model.preset.c_str(),
                  static_cast<long long>(cfg.training.batch_size), sps, step_ms, ratio, mem, s.device.c_str());
      std::fflush(stdout);
    }
  }
  if (a.json) printOut("%s\n", results.dump(2).c_str());
}

}  // namespace

void registerBenchCommand(CLI::App& app) {
  auto args = std::make_shared<BenchArgs>();
  auto* cmd = app.add_subcommand("bench", "Measure samples/s, step time and memory");
  args->config.addTo(*cmd);
  cmd->add_option("--modes", args->modes, "Comma-separated precision modes to measure (step time ratio vs fp32)");
  cmd->add_option("--steps", args->steps, "Timed steps")->check(CLI::Range(1, 100000));
  cmd->add_option("--warmup", args->warmup, "Untimed warm-up steps")->check(CLI::Range(0, 10000));
  cmd->add_option("--repeats", args->repeats, "Repeat each measurement, report the median")->check(CLI::Range(1, 100));
  cmd->add_flag("--json", args->json, "Print results as JSON");
  cmd->callback([args] { runBench(*args); });
}

}  // namespace halflab::cli

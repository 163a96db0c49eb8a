// halflab-gpu-check: the CUDA backend's parity checks and benchmark without Qt, for GPU
// machines that have CUDA but no Qt (scripts/gpu-check.sh runs it).
//   halflab-gpu-check [--require-gpu]
//                     all parity checks; exit 1 if any fails, 0 otherwise; with
//                     --require-gpu, exit 3 when checks were skipped (no usable GPU)
//   halflab-gpu-check --bench [--models mlp,lenet] [--modes fp32,tf32,fp16-amp,bf16-amp]
//                     [--batch 128] [--steps 200] [--warmup 20] [--json]
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <sstream>
#include <string>
#include <vector>

#include "engine/backend/cuda/tools/parity_checks.hpp"

namespace {

std::vector<std::string> splitList(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  for (std::string item; std::getline(ss, item, ',');)
    if (!item.empty()) out.push_back(item);
  return out;
}

int usage(const char* why) {
  std::fprintf(stderr, "halflab-gpu-check: %s\nusage: halflab-gpu-check [--bench [--models LIST] [--modes LIST] "
                       "[--batch N] [--steps N] [--warmup N] [--json]]\n", why);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace halflab::gpucheck;
  bool bench = false, json = false, require_gpu = false;
  std::string models = "mlp,lenet", modes = "fp32,tf32,fp16-amp,bf16-amp";
  long long batch = 128;
  int steps = 200, warmup = 20;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&](const char* name) -> const char* {
      if (i + 1 >= argc) { std::fprintf(stderr, "halflab-gpu-check: %s needs a value\n", name); std::exit(2); }
      return argv[++i];
    };
    if (a == "--bench") bench = true;
    else if (a == "--json") json = true;
    else if (a == "--require-gpu") require_gpu = true;
    else if (a == "--models") models = value("--models");
    else if (a == "--modes") modes = value("--modes");
    else if (a == "--batch") batch = std::atoll(value("--batch"));
    else if (a == "--steps") steps = std::atoi(value("--steps"));
    else if (a == "--warmup") warmup = std::atoi(value("--warmup"));
    else return usage(("unknown argument '" + a + "'").c_str());
  }
  if (batch <= 0 || steps <= 0 || warmup < 0) return usage("--batch and --steps must be > 0, --warmup >= 0");

  if (bench) {
    const auto rows = benchCuda(splitList(models), splitList(modes), batch, steps, warmup);
    if (json) std::printf("[\n");
    else std::printf("%-10s %-10s %6s %12s %10s %10s  %s\n", "model", "mode", "batch", "samples/s", "step ms", "mem MiB", "status");
    for (std::size_t i = 0; i < rows.size(); ++i) {
      const auto& r = rows[i];
      if (json)
        std::printf("  {\"backend\":\"halflab-cuda\",\"model\":\"%s\",\"mode\":\"%s\",\"batch\":%lld,\"samples_per_s\":%.1f,"
                    "\"step_ms\":%.4f,\"memory_mib\":%.1f,\"status\":\"%s\"}%s\n",
                    r.model.c_str(), r.mode.c_str(), r.batch, r.samples_per_s, r.step_ms, r.memory_mib,
                    r.status.substr(0, r.status.find('"')).c_str(), i + 1 < rows.size() ? "," : "");
      else
        std::printf("%-10s %-10s %6lld %12.0f %10.4f %10.1f  %s\n", r.model.c_str(), r.mode.c_str(), r.batch,
                    r.samples_per_s, r.step_ms, r.memory_mib, r.status.c_str());
    }
    if (json) std::printf("]\n");
    return 0;
  }

  int failed = 0, passed = 0, skipped = 0;
  for (const auto& r : allChecks()) {
    const char* tag = r.skipped ? "SKIP" : r.passed ? "PASS" : "FAIL";
    std::printf("%-5s %-48s %s\n", tag, r.name.c_str(), r.detail.c_str());
    std::fflush(stdout);
    (r.skipped ? skipped : r.passed ? passed : failed)++;
  }
  std::printf("\n%d passed, %d failed, %d skipped\n", passed, failed, skipped);
  if (failed) return 1;
  if (require_gpu && (skipped > 0 || passed == 0)) {
    std::printf("checks were skipped: no usable GPU, so nothing was verified (--require-gpu)\n");
    return 3;
  }
  return 0;
}

// libFuzzer harness for the config parser: any text either becomes a valid RunConfig
// or a ConfigError with a bounded message. A valid config must survive the round trip
// through its own JSON unchanged, and its model must plan (or be refused cleanly) for
// image and point samples, with a finite memory estimate.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "engine/json/bounded_json.hpp"
#include "engine/model/memory_estimate.hpp"
#include "engine/model/model_plan.hpp"
#include "engine/train/run_config.hpp"

using namespace halflab;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  RunConfig cfg;
  try {
    cfg = RunConfig::fromJsonText(text);
  } catch (const ConfigError& e) {
    // Every quoted value is cut: no single problem's text grows with the input.
    for (const ConfigIssue& i : e.issues())
      if (i.field.size() + i.message.size() > 512) std::abort();
    return 0;
  }
  const std::string once = cfg.toJsonText(-1);
  if (RunConfig::fromJsonText(once).toJsonText(-1) != once) std::abort();
  for (const Shape& sample : {Shape{1, 28, 28}, Shape{3, 32, 32}, Shape{2}}) {
    try {
      const ModelPlan plan = planModel(cfg.model, sample, 10);
      const MemoryEstimate e = estimateMemory(plan, cfg.training.batch_size, 500, ElementSizes{});
      if (e.total < 0) std::abort();
    } catch (const std::invalid_argument&) {
    }
  }
  (void)jsonForMessage(parseBoundedJsonOrDiscarded(text));
  return 0;
}

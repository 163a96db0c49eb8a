// libFuzzer harness for the IDX loader and what consumes its result: the input is
// [2-byte little-endian length L][images file, L bytes][labels file, the rest]. A DataError
// is a correct answer; a crash, a sanitizer report or a leak is a finding. Loaded sets go
// through the normalisation, truncation and batching every run does, and through shape
// inference of each preset, where the header's image sizes decide the geometry.
#include <cstdint>
#include <cstdlib>
#include <stdexcept>
#include <vector>

#include "engine/data/loaders.hpp"
#include "engine/model/model_plan.hpp"
#include "tests/fuzz/memory_file.hpp"

using namespace halflab;

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  // Headers may announce gigabytes: keep what the loader agrees to allocate small.
  setenv("HALFLAB_MEMORY_LIMIT_BYTES", "268435456", 1);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const std::size_t image_bytes = std::min<std::size_t>(data[0] | (std::size_t{data[1]} << 8), size - 2);
  fuzz::MemoryFile images("images", data + 2, image_bytes);
  fuzz::MemoryFile labels("labels", data + 2 + image_bytes, size - 2 - image_bytes);
  Dataset d;
  try {
    d = loadIdxPair(images.path(), labels.path(), "fuzz", 10 + data[0] % 200);
  } catch (const DataError&) {
    return 0;
  }
  requireWellFormed(d);  // a loaded set that is not well formed is a finding: this aborts
  const auto stats = channelStats(d);
  normalizeChannels(d, stats);
  std::vector<std::int64_t> idx;
  for (std::int64_t i = 0; i < d.count(); i += 1 + d.count() / 4) idx.push_back(i);
  Tensor x;
  std::vector<std::int32_t> y;
  gatherBatch(d, idx.data(), static_cast<std::int64_t>(idx.size()), x, y);
  truncateDataset(d, 1 + d.count() / 2);
  for (const char* preset : {"mlp", "lenet", "cifar-cnn"}) {
    ModelConfig m;
    m.preset = preset;
    m.hidden = {4};
    m.channels = {2, 2, 2};
    try {
      const ModelPlan plan = planModel(m, sampleShape(d), d.num_classes);
      if (plan.output() != Shape{1, d.num_classes}) std::abort();
    } catch (const std::invalid_argument&) {
      // a geometry that does not fit is a correct answer
    }
  }
  return 0;
}

// libFuzzer harness for the CIFAR-10 batch loader (plain or gzip). A DataError is a
// correct answer; a crash, a sanitizer report or a leak is a finding.
#include <cstdint>

#include "engine/data/loaders.hpp"
#include "tests/fuzz/memory_file.hpp"

using namespace halflab;

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  setenv("HALFLAB_MEMORY_LIMIT_BYTES", "268435456", 1);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::MemoryFile batch("batch", data, size);
  try {
    Dataset d = loadCifar10Batch(batch.path(), "fuzz");
    requireWellFormed(d);
    normalizeChannels(d, channelStats(d));
  } catch (const DataError&) {
  }
  return 0;
}

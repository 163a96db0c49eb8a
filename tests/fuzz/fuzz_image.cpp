// libFuzzer harness for the PNG / JPEG decoder (libpng, libjpeg-turbo behind our error
// handling). A DataError is a correct answer; a crash, an exit() from libjpeg, a
// sanitizer report or a leak is a finding. Sides are capped at 1024 here so a hostile
// header cannot make one input allocate more than a few megabytes.
#include <cstdint>
#include <cstdlib>

#include "engine/data/dataset.hpp"
#include "engine/data/image_decode.hpp"
#include "tests/fuzz/memory_file.hpp"

using namespace halflab;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::MemoryFile file("image", data, size);
  ImageLimits limits;
  limits.max_side = 1024;
  try {
    const DecodedImage img = decodeImageFile(file.path(), limits);
    if (img.width < 1 || img.height < 1 || img.width > 1024 || img.height > 1024) std::abort();
    if (img.channels != 1 && img.channels != 3) std::abort();
    if (img.pixels.size() != static_cast<std::size_t>(img.width) * img.height * img.channels) std::abort();
  } catch (const DataError&) {
  }
  return 0;
}

#pragma once
// The shape of one sample and the class count of a configured dataset: what a model is
// planned against (`model show`, the GUI's model table) before any training starts.
#include <optional>

#include "engine/tensor/tensor.hpp"
#include "engine/train/run_config.hpp"

namespace halflab {

struct SampleInfo {
  Shape sample;   // per sample, no batch dimension ([1, 28, 28], [2], [max_len] for text)
  int classes = 0;
};

// Known from the config alone (built-in image sets, synthetic sets, IMDB): no file is read.
// nullopt when only the data can tell (image folders, CSV text).
std::optional<SampleInfo> knownSampleInfo(const RunConfig& cfg);
// knownSampleInfo, else reads the data (DataError / ConfigError from the loaders).
SampleInfo sampleInfoFor(const RunConfig& cfg);

}  // namespace halflab

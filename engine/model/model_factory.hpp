#pragma once
// Builds the model presets the UI offers from a ModelConfig.
#include <cstdint>

#include "engine/model/model_config.hpp"
#include "engine/model/sequential.hpp"

namespace halflab {

// sample_shape: one sample's shape ({C, H, W} for images, {D} for vectors).
// Throws std::invalid_argument with a readable message for impossible geometry.
Sequential buildModel(const ModelConfig& cfg, const Shape& sample_shape, int num_classes,
                      std::uint64_t seed);

}  // namespace halflab

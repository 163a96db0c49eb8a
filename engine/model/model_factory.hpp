#pragma once
// Builds the model presets the UI offers from a ModelConfig.
#include <cstdint>

#include "engine/model/model_config.hpp"
#include "engine/model/model_plan.hpp"
#include "engine/model/sequential.hpp"

namespace halflab {

// sample_shape: one sample's shape ({C, H, W} for images, {D} for vectors).
// Throws std::invalid_argument (ShapeInferenceError for impossible geometry) with a
// readable message naming the layer; see planModel().
Sequential buildModel(const ModelConfig& cfg, const Shape& sample_shape, int num_classes,
                      std::uint64_t seed);
// Instantiates a plan: allocates and initialises every parameter, in layer order (the
// weights depend only on the plan, init_gain and seed).
Sequential buildModel(const ModelPlan& plan, double init_gain, std::uint64_t seed);

}  // namespace halflab

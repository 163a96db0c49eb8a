#pragma once
// Builds the CPU model (a Graph) from a plan or a preset config.
#include <cstdint>

#include "engine/model/graph.hpp"
#include "engine/model/model_config.hpp"
#include "engine/model/model_plan.hpp"

namespace halflab {

// sample_shape: one sample's shape ({C, H, W} for images, {D} for vectors).
// Throws std::invalid_argument (ShapeInferenceError for impossible geometry) with a
// readable message naming the layer; see planModel().
Graph buildModel(const ModelConfig& cfg, const Shape& sample_shape, int num_classes, std::uint64_t seed);
// Instantiates a plan: allocates and initialises every parameter (initialParameters),
// then each node's CPU implementation.
Graph buildModel(const ModelPlan& plan, double init_gain, std::uint64_t seed);

// Every parameter of the plan, initialised on the host, in node order: the weights depend
// only on the plan, init_gain and seed, so every backend starts from the same ones.
std::vector<std::vector<Parameter>> initialParameters(const ModelPlan& plan, double init_gain, std::uint64_t seed);

}  // namespace halflab

#pragma once
// The model presets the UI offers, each a function that returns a node list.
#include <string>
#include <vector>

#include "engine/model/model_config.hpp"
#include "engine/model/node_spec.hpp"
#include "engine/tensor/tensor.hpp"

namespace halflab {

struct PresetModel {
  std::vector<NodeSpec> nodes;
  // Per node: the convolutional stage it belongs to (-1: none), so that a shape error can
  // say how many stages the images allow.
  std::vector<int> stage;
  int stages = 0;
};

struct PresetInfo {
  std::string name;         // "mlp"
  std::string description;  // one line for the GUI and `halflab-cli model presets`
  bool needs_images = false;
};

// Every preset, in the order the UI lists them.
const std::vector<PresetInfo>& modelPresets();
const PresetInfo* findPreset(const std::string& name);

// std::invalid_argument for an unknown preset or activation, or a preset that needs
// images given vector samples.
PresetModel presetModel(const ModelConfig& cfg, const Shape& sample_shape, int num_classes);

}  // namespace halflab

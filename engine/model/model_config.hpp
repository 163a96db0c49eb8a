#pragma once
#include <string>
#include <vector>

#include "engine/model/node_spec.hpp"

namespace halflab {

struct ModelConfig {
  std::string preset = "mlp";          // mlp | lenet | cifar-cnn; "layers" when `layers` is given
  std::vector<int> hidden{256, 128};   // mlp widths (lenet: fc widths, default 120, 84)
  std::string activation = "relu";     // relu | gelu | tanh | sigmoid
  double dropout = 0.0;
  bool batchnorm = false;              // mlp: BatchNorm1d after each hidden Linear
  std::vector<int> channels;           // cnn conv widths (empty = preset default)
  // model.layers, expanded (engine/model/layer_list.hpp); not empty = this model instead
  // of a preset (the preset fields above are then unused).
  std::vector<NodeSpec> layers;
  double init_gain = 1.0;              // multiplies the default (uniform 1/sqrt(fan_in)) bound
};

}  // namespace halflab

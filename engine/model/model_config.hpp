#pragma once
#include <string>
#include <vector>

namespace halflab {

struct ModelConfig {
  std::string preset = "mlp";          // mlp | lenet | cifar-cnn
  std::vector<int> hidden{256, 128};   // mlp widths (lenet: fc widths, default 120, 84)
  std::string activation = "relu";     // relu | gelu | tanh | sigmoid
  double dropout = 0.0;
  bool batchnorm = false;              // mlp: BatchNorm1d after each hidden Linear
  std::vector<int> channels;           // cnn conv widths (empty = preset default)
  double init_gain = 1.0;              // multiplies the default (uniform 1/sqrt(fan_in)) bound
};

}  // namespace halflab

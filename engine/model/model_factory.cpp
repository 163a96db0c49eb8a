#include "engine/model/model_factory.hpp"

#include <random>

#include "engine/model/activation.hpp"
#include "engine/model/batch_norm.hpp"
#include "engine/model/conv2d.hpp"
#include "engine/model/dropout.hpp"
#include "engine/model/flatten.hpp"
#include "engine/model/linear.hpp"
#include "engine/model/max_pool2d.hpp"

namespace halflab {

Sequential buildModel(const ModelConfig& cfg, const Shape& sample_shape, int num_classes,
                      std::uint64_t seed) {
  return buildModel(planModel(cfg, sample_shape, num_classes), cfg.init_gain, seed);
}

Sequential buildModel(const ModelPlan& plan, double init_gain, std::uint64_t seed) {
  // One generator for the whole model: each layer draws its weights in plan order.
  std::mt19937_64 rng(seed);
  Sequential m;
  for (const LayerSpec& l : plan.layers) {
    switch (l.kind) {
      case LayerKind::Flatten: m.add(std::make_unique<Flatten>(l.name)); break;
      case LayerKind::Linear:
        m.add(std::make_unique<Linear>(l.name, l.in_size, l.out_size, rng, init_gain));
        break;
      case LayerKind::Conv2d:
        m.add(std::make_unique<Conv2d>(l.name, l.in_size, l.out_size, l.window.kernel, l.window.stride,
                                       l.window.padding, rng, init_gain));
        break;
      case LayerKind::BatchNorm: m.add(std::make_unique<BatchNorm>(l.name, l.in_size)); break;
      case LayerKind::Activation: m.add(std::make_unique<Activation>(l.name, l.activation)); break;
      case LayerKind::Dropout: m.add(std::make_unique<Dropout>(l.name, l.dropout)); break;
      case LayerKind::MaxPool2d:
        m.add(std::make_unique<MaxPool2d>(l.name, l.window.kernel, l.window.stride));
        break;
    }
  }
  return m;
}

}  // namespace halflab

#include "engine/model/model_factory.hpp"

#include <stdexcept>

#include "engine/model/activation.hpp"
#include "engine/model/batch_norm.hpp"
#include "engine/model/conv2d.hpp"
#include "engine/model/dropout.hpp"
#include "engine/model/flatten.hpp"
#include "engine/model/linear.hpp"
#include "engine/model/max_pool2d.hpp"

namespace halflab {

namespace {

ActivationKind activationOf(const ModelConfig& cfg) {
  auto a = parseActivation(cfg.activation);
  if (!a) throw std::invalid_argument("model.activation: unknown '" + cfg.activation + "'");
  return *a;
}

// Appends Flatten + MLP head layers: hidden widths, then the classifier.
void addDenseStack(Sequential& m, const ModelConfig& cfg, std::int64_t in,
                   const std::vector<int>& hidden, int classes, std::mt19937_64& rng,
                   int first_index) {
  const auto act = activationOf(cfg);
  int idx = first_index;
  for (int width : hidden) {
    const auto tag = std::to_string(idx++);
    m.add(std::make_unique<Linear>("fc" + tag, in, width, rng, cfg.init_gain));
    if (cfg.batchnorm) m.add(std::make_unique<BatchNorm>("bn_fc" + tag, width));
    m.add(std::make_unique<Activation>("act_fc" + tag, act));
    if (cfg.dropout > 0) m.add(std::make_unique<Dropout>("drop_fc" + tag, cfg.dropout));
    in = width;
  }
  m.add(std::make_unique<Linear>("fc" + std::to_string(idx), in, classes, rng, cfg.init_gain));
}

}  // namespace

Sequential buildModel(const ModelConfig& cfg, const Shape& sample_shape, int num_classes,
                      std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  Sequential m;
  const std::int64_t features = shapeSize(sample_shape);
  if (cfg.preset == "mlp") {
    m.add(std::make_unique<Flatten>("flatten"));
    addDenseStack(m, cfg, features, cfg.hidden, num_classes, rng, 1);
    return m;
  }
  if (sample_shape.size() != 3)
    throw std::invalid_argument("model.preset: '" + cfg.preset +
                                "' needs image data (channels x height x width); this dataset "
                                "has samples of shape " + shapeToString(sample_shape));
  const auto act = activationOf(cfg);
  Shape shape{1, sample_shape[0], sample_shape[1], sample_shape[2]};
  auto push = [&](std::unique_ptr<Layer> l) {
    shape = l->outputShape(shape);
    if (shape.size() == 4 && (shape[2] <= 0 || shape[3] <= 0))
      throw std::invalid_argument("model: images of " + shapeToString(sample_shape) +
                                  " are too small for preset '" + cfg.preset + "'");
    m.add(std::move(l));
  };
  if (cfg.preset == "lenet") {
    // LeNet-5 style: conv5(pad 2)-act-pool, conv5-act-pool, fc120-act, fc84-act, fc.
    std::vector<int> ch = cfg.channels.empty() ? std::vector<int>{6, 16} : cfg.channels;
    std::int64_t in_c = sample_shape[0];
    for (std::size_t i = 0; i < ch.size(); ++i) {
      const auto tag = std::to_string(i + 1);
      push(std::make_unique<Conv2d>("conv" + tag, in_c, ch[i], 5, 1, i == 0 ? 2 : 0, rng,
                                    cfg.init_gain));
      push(std::make_unique<Activation>("act_conv" + tag, act));
      push(std::make_unique<MaxPool2d>("pool" + tag, 2, 2));
      in_c = ch[i];
    }
    m.add(std::make_unique<Flatten>("flatten"));
    std::vector<int> hidden = cfg.hidden.empty() ? std::vector<int>{120, 84} : cfg.hidden;
    addDenseStack(m, cfg, shapeSize(shape) / shape[0], hidden, num_classes, rng, 1);
    return m;
  }
  if (cfg.preset == "cifar-cnn") {
    // [conv3x3(pad 1) - BN - act - pool2] per width, then one classifier layer.
    std::vector<int> ch = cfg.channels.empty() ? std::vector<int>{32, 64, 128} : cfg.channels;
    std::int64_t in_c = sample_shape[0];
    for (std::size_t i = 0; i < ch.size(); ++i) {
      const auto tag = std::to_string(i + 1);
      push(std::make_unique<Conv2d>("conv" + tag, in_c, ch[i], 3, 1, 1, rng, cfg.init_gain));
      push(std::make_unique<BatchNorm>("bn" + tag, ch[i]));
      push(std::make_unique<Activation>("act_conv" + tag, act));
      push(std::make_unique<MaxPool2d>("pool" + tag, 2, 2));
      in_c = ch[i];
    }
    m.add(std::make_unique<Flatten>("flatten"));
    addDenseStack(m, cfg, shapeSize(shape) / shape[0], {}, num_classes, rng, 1);
    return m;
  }
  throw std::invalid_argument("model.preset: unknown '" + cfg.preset +
                              "' (expected mlp, lenet or cifar-cnn)");
}

}  // namespace halflab
